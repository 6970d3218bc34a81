//! The page the apps show when their WebAssembly stops. Its own test binary: the panic it
//! provokes traps the module it runs in, and no other test should share that module.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The static script both apps' pages load before their WebAssembly.
const STOPPED_JS: &str = include_str!("../crates/client/stopped.js");

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

fn overlay() -> Option<web_sys::Element> {
    web_sys::window()?
        .document()?
        .get_element_by_id("pl-stopped")
}

#[wasm_bindgen_test]
async fn a_panic_shows_parley_stopped_working_instead_of_a_dead_page() {
    js_sys::eval(STOPPED_JS).expect("the script runs");
    // An ordinary script error (a browser extension, a CRM page's own code) is not ours.
    let thrown = Closure::once_into_js(|| -> Result<(), JsValue> {
        Err(js_sys::Error::new("someone else's error").into())
    });
    let window = web_sys::window().expect("window");
    window
        .set_timeout_with_callback_and_timeout_and_arguments_0(thrown.unchecked_ref(), 0)
        .expect("timeout");
    sleep(50).await;
    assert!(overlay().is_none(), "shown for an error that is not a trap");

    // The trigger: a panic in a task of its own, as a panic in an event handler would be.
    let panics = Closure::once_into_js(|| {
        let text = String::from("Bonjour\u{a0}! ");
        let at = text.find('\u{a0}').unwrap_or(0) + 1;
        // Slicing inside the two-byte no-break space panics, the way the composer did.
        std::hint::black_box(&text[at..]);
    });
    window
        .set_timeout_with_callback_and_timeout_and_arguments_0(panics.unchecked_ref(), 0)
        .expect("timeout");
    sleep(100).await;
    let shown = overlay().expect("the stopped page is shown");
    assert_eq!(shown.get_attribute("role").as_deref(), Some("alertdialog"));
    assert!(shown
        .text_content()
        .unwrap_or_default()
        .contains("Parley stopped working: reload"));
    assert!(shown
        .query_selector("[data-testid=stopped-reload]")
        .ok()
        .flatten()
        .is_some());
}
