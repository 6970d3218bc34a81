//! The Parley agent desktop: a Leptos app compiled to WebAssembly.
//!
//! - [`state`]: [`state::DesktopState`] and its reducer: every rule of what the agent sees, tested natively.
//! - [`app`]: the views. Each selects the parts of the state it shows from the [`app::Desk`], which
//!   wakes a view only when its part changed; they send the frames the state produces.
//! - [`session`]: where the login token is kept in the browser.
//! - [`host`]: inside a CRM page's frame, that page's host API requests and events (the rules
//!   are the reducer's, `state::host`).
//!
//! `main.rs` only mounts [`app::App`]; everything else is here so tests can import it.

pub mod app;
pub mod host;
pub mod session;
pub mod state;

/// For the tests: the texts in English, as the build serves them.
#[cfg(test)]
pub(crate) fn english() {
    parley_client::i18n::install_english(include_str!("../i18n/en.txt"));
}
