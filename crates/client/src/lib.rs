//! What both browser apps (desktop and widget) need to talk to the server.
//!
//! - [`outbox`]: messages typed but not yet acknowledged, re-sent after a reconnect (pure, tested natively).
//! - [`socket`]: the one WebSocket, reconnecting with back-off and re-sending `hello` each time.
//! - [`typing`]: when to send typing notices (pure).
//! - [`http`]: JSON POSTs to the server's small HTTP API.
//! - [`i18n`]: the reader's language and its catalogue of texts ([`catalogues`]: their checks).
//! - [`flow`]: keyed lists and shown-when views, each through one copy of Leptos's own.
//! - [`json`]: JSON read with the browser's `JSON.parse`.
//! - [`lines`]: a transcript as display lines (pure, shared by both apps).
//! - [`links`]: message text split into text and http(s) links (pure, shared by both apps).
//! - [`order`]: stable sorting through one copy of the standard library's sort (pure).
//! - [`time`]: the clock, local days, and times as the reader's locale writes them (`Intl`).
//!
//! Nothing here knows about the views; the apps feed what arrives into their reducers.

#[cfg(not(target_arch = "wasm32"))]
pub mod catalogues;
pub mod flow;
pub mod http;
pub mod i18n;
pub mod json;
pub mod lines;
pub mod links;
pub mod markdown;
pub mod order;
pub mod outbox;
pub mod rich;
pub mod socket;
pub mod time;
pub mod typing;

pub use outbox::Outbox;
pub use socket::{Socket, SocketEvent};

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(bytes: &mut [u8]);
}

/// 128 random bits from the browser's cryptographic generator, as 32 hex digits (browser only).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    get_random_values(&mut bytes);
    format!("{:032x}", u128::from_le_bytes(bytes))
}

/// `text` in lower case, to match what someone typed whatever its case. In the browser the
/// browser's `toLowerCase` does it: Rust's own `to_lowercase` brings Unicode's case tables into
/// the app's WebAssembly (decision record 0005 has the bytes).
pub fn lowercase(text: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    return String::from(js_sys::JsString::from(text).to_lower_case());
    #[cfg(not(target_arch = "wasm32"))]
    text.to_lowercase()
}

/// The page's storage (`localStorage` or `sessionStorage`), when the browser allows it.
pub fn storage(session: bool) -> Option<web_sys::Storage> {
    let window = web_sys::window()?;
    if session {
        window.session_storage().ok().flatten()
    } else {
        window.local_storage().ok().flatten()
    }
}
