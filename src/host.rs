//! The desktop's side of the host API (`embed/parley-desktop.js`). Inside a frame, it answers
//! the requests of the page that frames it once that page has said `hello` from an origin the
//! server lists (`/api/embed`), within that origin's scopes, and tells that page what changes.
//! It reads only messages from its parent window and posts only to that exact origin. What each
//! request does, and which events a change makes, are the reducer's rules (`state::host`).
//!
//! The [`Bridge`] lives as long as the app, so a page hears from it before the agent signs in
//! (`signedIn: false`) and after the agent signs out (a `signedOut` event); the signed-in
//! desktop attaches its [`Desk`] to it.

use crate::app::Desk;
use crate::state::host::HostView;
use crate::state::{DesktopState, Outbox};
use leptos::prelude::*;
use serde_json::{json, Value};
use web_sys::js_sys;

/// The envelope's version.
const VERSION: u64 = 1;

/// An origin that may frame the desktop, and its scopes.
#[derive(Clone, Debug, serde::Deserialize)]
struct Host {
    origin: String,
    scopes: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Hosts {
    hosts: Vec<Host>,
}

/// The app's link to the page that frames it.
#[derive(Clone, Copy)]
pub struct Bridge {
    /// The origins the server lets frame the desktop, once read.
    hosts: StoredValue<Option<Vec<Host>>>,
    /// The page that said hello from one of them.
    host: StoredValue<Option<Host>>,
    /// The number of the last event sent.
    position: StoredValue<u64>,
    /// The signed-in desktop, if any.
    desk: StoredValue<Option<Desk>, LocalStorage>,
}

/// Starts the bridge when the app runs in a frame; lives as long as the calling component.
pub fn start() -> Option<Bridge> {
    let window = web_sys::window()?;
    let parent = window.parent().ok()??;
    if js_sys::Object::is(&parent, &window) {
        return None;
    }
    let bridge = Bridge {
        hosts: StoredValue::new(None),
        host: StoredValue::new(None),
        position: StoredValue::new(0),
        desk: StoredValue::new_local(None),
    };
    leptos::task::spawn_local(async move {
        if let Ok(Hosts { hosts }) = parley_client::http::get_json("/api/embed").await {
            bridge.hosts.set_value(Some(hosts));
        }
    });
    let listener = window_event_listener(leptos::ev::message, move |event| {
        bridge.receive(&event);
    });
    on_cleanup(move || listener.remove());
    Some(bridge)
}

impl Bridge {
    /// The signed-in desktop serves the page from now on, and tells it what changes; when it
    /// goes (the agent signed out), the page hears `signedOut`.
    pub fn attach(self, desk: Desk) {
        self.desk.set_value(Some(desk));
        let view = desk.select(DesktopState::host_view);
        // The desktop starts empty: everything it shows from now on is news to the page.
        let before = StoredValue::new(HostView::default());
        Effect::new(move |_| {
            view.track();
            let events = desk.with(|s| {
                let events = before.with_value(|b| s.host_events(b));
                before.set_value(s.host_view());
                events
            });
            for (event, data) in events {
                self.event(event, data);
            }
        });
        on_cleanup(move || {
            self.desk.set_value(None);
            self.event("signedOut", json!({}));
        });
    }

    fn receive(self, event: &web_sys::MessageEvent) {
        let from_parent = event
            .source()
            .zip(web_sys::window().and_then(|w| w.parent().ok().flatten()))
            .is_some_and(|(source, parent)| js_sys::Object::is(&source, &parent));
        if !from_parent {
            return;
        }
        let origin = event.origin();
        let Some(allowed) = self.hosts.with_value(|list| {
            list.as_ref()
                .and_then(|l| l.iter().find(|h| h.origin == origin).cloned())
        }) else {
            // An origin the server does not list gets no answer at all.
            return;
        };
        let Some(message) = js_sys::JSON::stringify(&event.data())
            .ok()
            .and_then(|s| s.as_string())
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        else {
            return;
        };
        if message["parley"].as_u64() != Some(VERSION) || message["kind"] != "request" {
            return;
        }
        let id = message["id"].clone();
        let method = message["method"].as_str().unwrap_or_default().to_owned();
        if method == "hello" {
            self.host.set_value(Some(allowed.clone()));
        }
        let params = &message["params"];
        let scopes = &allowed.scopes;
        let handled = match self.desk.get_value() {
            Some(desk) => {
                let mut handled = None;
                desk.update(|s| handled = Some(s.host_request(&method, params, scopes)));
                handled
            }
            // Signed out: the rules of a desktop with nobody in it (hello and the state only).
            None => {
                Some(DesktopState::new(Outbox::new("host")).host_request(&method, params, scopes))
            }
        };
        let Some(handled) = handled else {
            return;
        };
        if let Some(desk) = self.desk.get_value() {
            for msg in &handled.send {
                desk.send(msg);
            }
        }
        let reply = match handled.reply {
            Ok(result) => json!({ "parley": VERSION, "kind": "reply", "id": id, "result": result }),
            Err(e) => json!({
                "parley": VERSION, "kind": "reply", "id": id,
                "error": { "code": e.code, "message": e.message },
            }),
        };
        post(&origin, &reply);
    }

    /// Tells the page that said hello, with the next position.
    fn event(self, event: &str, data: Value) {
        let Some(origin) = self
            .host
            .with_value(|h| h.as_ref().map(|h| h.origin.clone()))
        else {
            return;
        };
        let at = self.position.with_value(|p| p + 1);
        self.position.set_value(at);
        let message = json!({ "parley": VERSION, "kind": "event", "event": event, "data": data, "position": at });
        post(&origin, &message);
    }
}

/// Posts a message to the parent window, at exactly `origin`.
fn post(origin: &str, message: &Value) {
    let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
        return;
    };
    if let Ok(value) = js_sys::JSON::parse(&message.to_string()) {
        let _ = parent.post_message(&value, origin);
    }
}
