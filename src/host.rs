//! The desktop's side of the host API (`embed/parley-desktop.js`). Inside a frame, it answers
//! the requests of the page that frames it once that page has said `hello` from an origin the
//! server lists (`/api/embed`), within that origin's scopes, and tells that page what changes.
//! It reads only messages from its parent window and posts only to that exact origin. What each
//! request does, and which events a change makes, are the reducer's rules (`state::host`).

use crate::app::Desk;
use crate::state::DesktopState;
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

/// Serves the page that frames this desktop, if one does; lives as long as the calling component.
pub fn serve(desk: Desk) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(Some(parent)) = window.parent() else {
        return;
    };
    if js_sys::Object::is(&parent, &window) {
        return;
    }
    // The origins the server lets frame the desktop, once read; then the one that said hello.
    let hosts = StoredValue::new(None::<Vec<Host>>);
    let host = StoredValue::new(None::<Host>);
    let position = StoredValue::new(0u64);
    leptos::task::spawn_local(async move {
        if let Ok(Hosts { hosts: list }) = parley_client::http::get_json("/api/embed").await {
            hosts.set_value(Some(list));
        }
    });

    let listener = window_event_listener(leptos::ev::message, move |event| {
        let from_parent = event
            .source()
            .zip(web_sys::window().and_then(|w| w.parent().ok().flatten()))
            .is_some_and(|(source, parent)| js_sys::Object::is(&source, &parent));
        if !from_parent {
            return;
        }
        let origin = event.origin();
        let Some(allowed) = hosts.with_value(|list| {
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
            host.set_value(Some(allowed.clone()));
        }
        let params = message["params"].clone();
        let mut handled = None;
        desk.update(|s| handled = Some(s.host_request(&method, &params, &allowed.scopes)));
        // The desktop is gone (logged out): the host's request times out.
        let Some(handled) = handled else {
            return;
        };
        for msg in &handled.send {
            desk.send(msg);
        }
        let reply = match handled.reply {
            Ok(result) => json!({ "parley": VERSION, "kind": "reply", "id": id, "result": result }),
            Err(e) => json!({
                "parley": VERSION, "kind": "reply", "id": id,
                "error": { "code": e.code, "message": e.message },
            }),
        };
        post(&origin, &reply);
    });
    on_cleanup(move || listener.remove());

    // Each change of what the host is told about becomes events, in order, with a position.
    let view = desk.select(DesktopState::host_view);
    let before = StoredValue::new(desk.with(DesktopState::host_view));
    Effect::new(move |_| {
        view.track();
        let events = desk.with(|s| {
            let events = before.with_value(|b| s.host_events(b));
            before.set_value(s.host_view());
            events
        });
        let Some(origin) = host.with_value(|h| h.as_ref().map(|h| h.origin.clone())) else {
            return;
        };
        for (event, data) in events {
            let at = position.with_value(|p| p + 1);
            position.set_value(at);
            let message = json!({ "parley": VERSION, "kind": "event", "event": event, "data": data, "position": at });
            post(&origin, &message);
        }
    });
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
