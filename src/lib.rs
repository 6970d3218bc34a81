//! The Parley agent desktop: a Leptos app compiled to WebAssembly.
//!
//! - [`state`]: [`state::DesktopState`] and its reducer: every rule of what the agent sees, tested natively.
//! - [`app`]: the views. They read the state, render it, and send the frames the state produces.
//! - [`session`]: where the login token is kept in the browser.
//!
//! `main.rs` only mounts [`app::App`]; everything else is here so tests can import it.

pub mod app;
pub mod session;
pub mod state;
