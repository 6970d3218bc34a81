//! The Parley wire protocol: every frame that crosses a WebSocket, and the domain types they carry.
//!
//! - [`ids`]: typed identifiers and the millisecond clock type.
//! - [`domain`]: parties, agent status, events and their audience.
//! - [`act`]: the actions a party asks of the engine, one payload type each.
//! - [`msg`]: [`ClientMsg`] (client → server) and [`ServerMsg`] (server → client), parsed once at the edge.
//! - [`contact`]: the frames a contact's widget reads, by a small hand-written reader.
//! - `hostile` (feature `proptest`, tests only): text that breaks byte-offset slicing.
//! - [`transcript`]: a sequence-ordered event list that both browser apps use to merge live events
//!   and resumed ones without losing or doubling any.
//!
//! Frames are JSON text, one message per frame: an object whose one key is the message type,
//! holding the message's fields. A connection starts with `{"hello":{"v":3,...}}`; the server
//! answers `welcome` or an `error`. Every enum is written the same way: a variant with fields as
//! `{"variant":{...}}`, one without as `"variant"` (serde's default, the cheapest to decode in
//! the browser apps). Every interaction event
//! carries a per-interaction sequence number `seq` assigned by the server; a client that reconnects
//! sends the last `seq` it saw for each interaction and receives exactly the events after it.
//!
//! This crate is serde only: it builds for wasm32 and native and must never depend on an async
//! runtime or a browser API.

pub mod act;
pub mod contact;
pub mod domain;
#[cfg(not(target_arch = "wasm32"))]
pub mod fuzz;
#[cfg(feature = "proptest")]
pub mod hostile;
pub mod ids;
pub mod msg;
pub mod transcript;
pub mod visit;

pub use domain::*;
pub use ids::*;
pub use msg::*;
pub use transcript::Transcript;
pub use visit::{Visit, VISIT_KEY};

/// The case data key holding the contact's language, as their widget speaks it (`de`): the
/// agent sees it with the chat, and the spelling check uses it.
pub const LANGUAGE_KEY: &str = "Language";

/// Whether `code` names a language as Parley keeps one: two or three lowercase letters (`de`).
pub fn is_language_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())
}

/// The protocol version a client announces in its `hello`.
pub const PROTOCOL_VERSION: u32 = 9;

/// The oldest version a server still accepts: at least the one before the current one, so that
/// upgrading a server does not make every open desktop reload in the middle of its chats.
/// Protocol 4 only adds `hello`'s `client`, 5 only HTTP routes, and 6 a frame older apps
/// ignore (`active_desktop`) and one they never send (`use_here`), 7 only HTTP routes and the
/// widget's messages to its host page, 8 only how long tokens live and how close codes are
/// read, 9 an optional field (`settings.spell_check`) and HTTP routes, so protocol 2 clients are
/// still served too.
pub const OLDEST_PROTOCOL_VERSION: u32 = 2;

/// The longest `client` a `hello` may name.
pub const MAX_CLIENT_INSTANCE: usize = 64;

/// What an app shows when the server cannot talk to it (the `unsupported_version` error's
/// message): the app is older than the server, and a reload brings the new one.
pub const UPDATED_NOTICE: &str = "Parley was updated: reload";

/// The largest text frame the server accepts; larger ones get a `too_large` error frame.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// How many of an interaction's latest events an agent receives when it opens one (and per
/// `older` page): a few screenfuls, so a long chat opens with little to decode; scrolling up
/// loads the rest a page at a time.
pub const OPEN_WINDOW: u32 = 100;

/// The longest chat message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 8 * 1024;
