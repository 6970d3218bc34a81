//! Desktop components in a real browser (wasm-bindgen-test, headless Chromium): each test mounts
//! a component into a fresh element and checks the DOM it produces.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use parley_desktop::app::transcript::Transcript;
use parley_desktop::app::Composer;
use parley_desktop::state::Line;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_root() -> web_sys::HtmlElement {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("document");
    let el: web_sys::HtmlElement = document
        .create_element("div")
        .expect("div")
        .unchecked_into();
    document
        .body()
        .expect("body")
        .append_child(&el)
        .expect("append");
    el
}

async fn tick() {
    leptos::task::tick().await;
}

fn all(root: &web_sys::HtmlElement, selector: &str) -> Vec<web_sys::Element> {
    let list = root.query_selector_all(selector).expect("selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into().ok())
        .collect()
}

fn message(seq: u64, from: &str, text: &str, contact: bool) -> Line {
    Line::Message {
        seq,
        at: 1_700_000_000_000,
        from: from.into(),
        text: text.into(),
        mine: !contact,
        contact,
    }
}

#[wasm_bindgen_test]
async fn the_transcript_renders_messages_and_system_lines_and_follows_updates() {
    let root = fresh_root();
    let lines = RwSignal::new(vec![
        Line::System {
            seq: 1,
            at: 1_700_000_000_000,
            text: "New party 'Mark Avram' has joined the session".into(),
        },
        message(
            2,
            "Mark Avram",
            "<img src=x onerror=alert(1)> my card is refused",
            true,
        ),
    ]);
    let unsent = RwSignal::new(vec!["Which card?".to_owned()]);
    let _handle = leptos::mount::mount_to(
        root.clone(),
        move || view! { <Transcript lines=lines unsent=unsent /> },
    );
    tick().await;

    let system = all(&root, "[data-testid=system-message]");
    assert_eq!(system.len(), 1);
    assert!(system[0]
        .text_content()
        .unwrap_or_default()
        .contains("has joined the session"));
    let messages = all(&root, "[data-testid=message]");
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].get_attribute("data-from").as_deref(),
        Some("Mark Avram")
    );
    assert_eq!(messages[0].get_attribute("data-id").as_deref(), Some("2"));
    assert!(messages[0].class_list().contains("pl-line--contact"));
    assert!(all(&root, "img").is_empty(), "contact text is never HTML");
    assert!(messages[0]
        .text_content()
        .unwrap_or_default()
        .contains("<img src=x onerror=alert(1)>"));
    assert_eq!(all(&root, "[data-testid=message-unsent]").len(), 1);

    lines.update(|l| l.push(message(3, "Kate", "Which card?", false)));
    unsent.set(Vec::new());
    tick().await;
    let messages = all(&root, "[data-testid=message]");
    assert_eq!(messages.len(), 2);
    assert!(messages[1].class_list().contains("pl-line--mine"));
    assert!(all(&root, "[data-testid=message-unsent]").is_empty());
}

#[wasm_bindgen_test]
async fn the_composer_sends_on_enter_keeps_shift_enter_and_ignores_blank_text() {
    let root = fresh_root();
    let sent = RwSignal::new(Vec::<String>::new());
    let _handle = leptos::mount::mount_to(
        root.clone(),
        move || view! { <Composer on_send=move |t| sent.update(|s| s.push(t)) /> },
    );
    tick().await;
    let input: web_sys::HtmlTextAreaElement = root
        .query_selector("[data-testid=composer-input]")
        .expect("q")
        .expect("input")
        .unchecked_into();
    let press = |key: &str, shift: bool| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(key);
        init.set_shift_key(shift);
        init.set_bubbles(true);
        init.set_cancelable(true);
        let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
            .expect("event");
        input.dispatch_event(&ev).expect("dispatch")
    };
    let type_text = |text: &str| {
        input.set_value(text);
        input
            .dispatch_event(&web_sys::Event::new("input").expect("event"))
            .expect("dispatch");
    };

    type_text("   ");
    press("Enter", false);
    tick().await;
    assert!(sent.get_untracked().is_empty(), "blank text is not sent");

    type_text("line one");
    let not_cancelled = press("Enter", true);
    assert!(
        not_cancelled,
        "Shift+Enter is left to the textarea (new line)"
    );
    tick().await;
    assert!(sent.get_untracked().is_empty());

    let cancelled = !press("Enter", false);
    tick().await;
    assert!(cancelled, "Enter does not also insert a new line");
    assert_eq!(sent.get_untracked(), vec!["line one".to_owned()]);
    assert_eq!(input.value(), "", "the input is cleared after sending");

    type_text("by click");
    let button: web_sys::HtmlElement = root
        .query_selector("[data-testid=composer-send]")
        .expect("q")
        .expect("button")
        .unchecked_into();
    button.click();
    tick().await;
    assert_eq!(sent.get_untracked().len(), 2);
}
