//! Warming up for the first chat. The browser compiles the app's code function by function as it
//! first runs it, and warms up the glue between the app and the page as it first calls it; opening
//! a chat runs a lot of code nothing before it ran. In the throttled benchmark, the first chat
//! opened after login took about twice as long as it does warm.
//!
//! So once the agent is logged in, at the first idle moment, a sample chat is read from frames
//! like the server's, put in a state of its own, and its Chat Interaction window is built in an
//! element that is not in the page, then dropped. Nothing of it reaches the agent's state, the
//! server or the page; the agent's first real chat then runs code that has run before.

use super::chat::{after_paint, ChatWindow};
use super::Desk;
use crate::state::{DesktopState, Outbox};
use leptos::mount::UnmountHandle;
use leptos::prelude::*;
use leptos::tachys::view::any_view::AnyViewState;
use std::time::Duration;
use wasm_bindgen::JsCast;

/// The sample chat's id.
pub const SAMPLE_ID: &str = "ix-warm-up";

/// The frames of the sample chat, as the server sends them: the agent, the chat, and one line of
/// each common kind (a join, the contact's message with an address, the agent's own message,
/// a system notice, a read receipt).
const SAMPLE: [&str; 3] = [
    r#"{"welcome":{"v":2,"me":{"agent":{"id":"warm-up","name":"Warm Up","nickname":"Warm","status":"ready"}}}}"#,
    r#"{"opened":{"interaction":{"id":"ix-warm-up","contact":"Sample Contact","queue":"sample","state":"active","started_at":0}}}"#,
    r#"{"events":{"interaction":"ix-warm-up","events":[
        {"seq":1,"at":0,"audience":"everyone","kind":{"joined":{"party":{"contact":{"name":"Sample Contact"}}}}},
        {"seq":2,"at":1000,"audience":"everyone","kind":{"message":{"from":{"contact":{"name":"Sample Contact"}},"text":"A question about https://example.com/order"}}},
        {"seq":3,"at":2000,"audience":"everyone","kind":{"joined":{"party":{"agent":{"id":"warm-up","name":"Warm"}}}}},
        {"seq":4,"at":3000,"audience":"everyone","kind":{"message":{"from":{"agent":{"id":"warm-up","name":"Warm"}},"text":"An answer","client_id":"warm-1"}}},
        {"seq":5,"at":4000,"audience":"everyone","kind":{"notice":{"text":"A notice"}}},
        {"seq":6,"at":5000,"audience":"everyone","kind":{"message":{"from":{"agent":{"id":"warm-up","name":"Warm"}},"text":"Another answer","client_id":"warm-2"}}},
        {"seq":7,"at":6000,"audience":"everyone","kind":{"read":{"up_to":4}}}
    ]}}"#,
];

/// A frame as the desktop reads it: through the browser's JSON in the app, through serde_json's
/// value natively (the same hand-written reader either way).
fn read(frame: &str) -> Option<parley_protocol::ServerMsg> {
    #[cfg(target_arch = "wasm32")]
    return parley_client::json::agent_frame(frame);
    #[cfg(not(target_arch = "wasm32"))]
    return parley_protocol::ServerMsg::parse_agent(frame).ok();
}

/// A state holding only the sample chat, read from its frames (parsing them is warmed up too).
pub fn sample() -> DesktopState {
    let mut state = DesktopState::new(Outbox::new("warm-up"));
    for frame in SAMPLE {
        if let Some(msg) = read(frame) {
            state.apply(msg);
        }
    }
    state
}

/// The sample chat's window, built in an element that is not in the page. Dropping it drops the
/// window and everything it set up.
pub struct Sample {
    parent: web_sys::HtmlElement,
    _window: UnmountHandle<AnyViewState>,
}

impl Sample {
    /// Builds the window (its panels follow after the next paint, as in a real chat).
    pub fn build() -> Option<Self> {
        let parent = document()
            .create_element("div")
            .ok()?
            .dyn_into::<web_sys::HtmlElement>()
            .ok()?;
        let window = leptos::mount::mount_to(parent.clone(), || {
            provide_context(Desk::detached(sample()));
            view! { <ChatWindow id=SAMPLE_ID.into() /> }.into_any()
        });
        Some(Self {
            parent,
            _window: window,
        })
    }

    /// The element the window is built in.
    pub fn element(&self) -> &web_sys::HtmlElement {
        &self.parent
    }
}

/// Builds the sample chat's window once the browser is idle, and drops it once its panels are
/// built too.
pub fn schedule() {
    let run = || {
        if let Some(sample) = Sample::build() {
            // The panels asked to be built after the paint while the window was built, so they
            // are built before this runs.
            after_paint(move || drop(sample));
        }
    };
    if request_idle_callback_with_handle(run).is_err() {
        set_timeout(run, Duration::ZERO);
    }
}

#[cfg(test)]
mod tests {
    use super::{sample, SAMPLE_ID};
    use crate::state::Line;

    #[test]
    fn the_sample_chat_reads_like_a_real_one() {
        let state = sample();
        let chat = state
            .chat(&SAMPLE_ID.into())
            .expect("the sample chat is open");
        let lines = &chat.lines;
        let messages = |mine: bool| {
            lines
                .iter()
                .filter(|l| matches!(l, Line::Message { mine: m, .. } if *m == mine))
                .count()
        };
        assert_eq!(messages(false), 1, "{lines:?}");
        assert_eq!(messages(true), 2, "{lines:?}");
        assert!(lines.iter().any(|l| matches!(l, Line::System { .. })));
        assert_eq!(chat.read_up_to, 4);
    }
}
