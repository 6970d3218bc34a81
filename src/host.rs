//! The desktop's side of the host API (`embed/parley-desktop.js`). Inside a frame (or a pop-up
//! a CRM page opened), it answers the requests of that page once it has said `hello` from an
//! origin the server lists (`/api/embed`), within that origin's scopes, and tells that page what
//! changes. It reads only messages from that window and posts only to that exact origin. What
//! each request does, which events a change makes and what a host's answer means are the
//! reducer's rules (`state::host`); this module carries the messages.
//!
//! The [`Bridge`] lives as long as the app, so a page hears from it before the agent signs in
//! and after the agent signs out; the signed-in desktop attaches its [`Desk`] to it. Three
//! duties besides requests and events:
//! - **Resynchronising.** Every batch of events carries a cursor (the [`HostView`] the page has
//!   now heard of), which the SDK keeps and gives back in its next `hello`: after a reload of
//!   the page or of the frame, the page hears exactly what changed since, nothing twice.
//! - **Signing in again.** A framed desktop keeps its session in memory only
//!   (`crate::session`); every [`REFRESH`] it leaves the page a one-time token minted from it,
//!   which the SDK gives back in `hello` after a reload of the frame: no second prompt.
//! - **Asking the page.** The desktop asks the page's contact search for the record of each new
//!   chat, and holds an action the page intercepts until the page allows, amends or refuses it.

use crate::app::{Desk, SignedOut};
use crate::state::host::{self, verdict, Hooks, HostView};
use crate::state::{DesktopState, Outbox};
use leptos::prelude::*;
use parley_protocol::{ClientMsg, InteractionId};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;
use web_sys::js_sys;

/// The envelope's version.
const VERSION: u64 = 1;

/// How often a framed desktop leaves its page a fresh sign-in token; each is good for five
/// minutes (`HANDOFF_TTL_MS` on the server), so one lost refresh costs nothing.
const REFRESH: Duration = Duration::from_secs(120);

/// How long the desktop waits for the page's contact search.
const SEARCH_MS: u32 = 10_000;

/// At most this many requests to the page wait for an answer; more are answered "no answer".
const MAX_CALLS: usize = 64;

/// The longest message (as JSON text) the desktop reads from the page: a cursor and a request.
const MAX_MESSAGE: usize = host::MAX_CURSOR + 64 * 1024;

/// An origin that may frame the desktop, and its scopes.
#[derive(Clone, Debug)]
struct Host {
    origin: String,
    scopes: Vec<String>,
}

/// The hosts in `/api/embed`'s answer (`{"hosts": [{"origin": …, "scopes": […]}]}`).
fn hosts(answer: &parley_client::json::Js) -> Option<Vec<Host>> {
    use parley_protocol::contact::Json;
    let texts = |list: parley_client::json::Js| -> Option<Vec<String>> {
        list.items()?.iter().map(Json::string).collect()
    };
    answer
        .field("hosts")
        .items()?
        .into_iter()
        .map(|h| {
            Some(Host {
                origin: h.field("origin").string()?,
                scopes: texts(h.field("scopes"))?,
            })
        })
        .collect()
}

/// What to do with the page's answer to a request (`None`: no answer in time).
type Answer = Box<dyn FnOnce(Option<Value>)>;

/// Signs the app in with a session token.
type SignIn = Rc<dyn Fn(String)>;

/// Requests to the page that wait for their answers.
#[derive(Default)]
struct Calls {
    next: u64,
    waiting: HashMap<String, Answer>,
}

/// The app's link to the page that frames it (or opened it).
#[derive(Clone, Copy)]
pub struct Bridge {
    /// The origins the server lets frame the desktop, once read.
    hosts: StoredValue<Option<Vec<Host>>>,
    /// The window the page lives in: the parent of the frame, or the opener of the pop-up.
    window: StoredValue<web_sys::Window, LocalStorage>,
    /// The page that said hello from one of them.
    host: StoredValue<Option<Host>>,
    /// What that page has heard of (`None` before its hello).
    seen: StoredValue<Option<HostView>>,
    /// The signed-in desktop and its session token, if any.
    desk: StoredValue<Option<(Desk, String)>, LocalStorage>,
    /// What the page answers for.
    hooks: StoredValue<Hooks>,
    /// The chats whose record the page was asked for.
    searched: StoredValue<Vec<InteractionId>>,
    calls: StoredValue<Calls, LocalStorage>,
    sign_in: StoredValue<Option<SignIn>, LocalStorage>,
    /// Reading the origins the server lists now.
    fetching: StoredValue<bool>,
    /// How many sign-in tokens were asked for: only the latest is posted.
    mints: StoredValue<u64>,
    /// The last sign-in token the page gave back, tried once.
    resumed: StoredValue<Option<String>>,
    /// Signing in with it now.
    resuming: StoredValue<bool>,
    /// Hellos answered once the desktop holds what the server sent on joining (or has failed
    /// to sign in again): then the page's snapshot (`agent.getState`, `interactions.list`) is
    /// the truth, and the events after it follow.
    hellos: StoredValue<Vec<(String, Value)>>,
}

/// Starts the bridge when the app runs in a frame or in a pop-up a page opened; lives as long
/// as the calling component.
pub fn start() -> Option<Bridge> {
    let window = web_sys::window()?;
    let page = if crate::session::framed() {
        window.parent().ok()??
    } else if crate::session::popup_opener().is_some() {
        // Parley's own sign-in pop-up: its opener is a desktop, not a page.
        return None;
    } else {
        let opener = window.opener().ok()?;
        if opener.is_null() || opener.is_undefined() {
            return None;
        }
        wasm_bindgen::JsCast::unchecked_into(opener)
    };
    let bridge = Bridge {
        hosts: StoredValue::new(None),
        window: StoredValue::new_local(page),
        host: StoredValue::new(None),
        seen: StoredValue::new(None),
        desk: StoredValue::new_local(None),
        hooks: StoredValue::new(Hooks::default()),
        searched: StoredValue::new(Vec::new()),
        calls: StoredValue::new_local(Calls::default()),
        sign_in: StoredValue::new_local(None),
        fetching: StoredValue::new(false),
        mints: StoredValue::new(0),
        resumed: StoredValue::new(None),
        resuming: StoredValue::new(false),
        hellos: StoredValue::new(Vec::new()),
    };
    bridge.fetch_hosts();
    let listener = window_event_listener(leptos::ev::message, move |event| {
        bridge.receive(&event);
    });
    on_cleanup(move || listener.remove());
    Some(bridge)
}

impl Bridge {
    /// How the bridge signs the app in with a session token (after a frame reload).
    pub fn on_sign_in(self, sign_in: impl Fn(String) + 'static) {
        self.sign_in.set_value(Some(Rc::new(sign_in)));
    }

    /// The signed-in desktop serves the page from now on, and tells it what changes.
    pub fn attach(self, desk: Desk, token: String) {
        self.desk.set_value(Some((desk, token)));
        self.resuming.set_value(false);
        desk.set_gate(Some(Rc::new(move |msg: &ClientMsg| self.gate(msg))));
        let view = desk.select(|s| (s.host_view(), s.synced));
        Effect::new(move |_| {
            view.track();
            self.flush();
        });
        self.mint();
        let refresh = set_interval_with_handle(move || self.mint(), REFRESH).ok();
        on_cleanup(move || {
            self.desk.try_set_value(None);
            if let Some(refresh) = refresh {
                refresh.clear();
            }
        });
    }

    /// The agent signed out (or the server ended the session): the page hears it, forgets its
    /// sign-in token, and starts again from an empty desktop.
    pub fn signed_out(self, reason: SignedOut) {
        self.desk.try_set_value(None);
        let signed_in = self
            .seen
            .try_with_value(|s| s.as_ref().is_some_and(HostView::signed_in))
            .unwrap_or(false);
        if !signed_in {
            return;
        }
        self.seen.set_value(Some(HostView::default()));
        let event =
            json!({ "event": "signedOut", "data": { "reason": reason.as_str() }, "position": {} });
        self.post(&json!({
            "parley": VERSION, "kind": "events", "events": [event],
            "cursor": HostView::default().cursor(),
        }));
    }

    /// Reads the origins the server lists; again on the next message if that failed.
    fn fetch_hosts(self) {
        if self.fetching.get_value() {
            return;
        }
        self.fetching.set_value(true);
        leptos::task::spawn_local(async move {
            let answer = parley_client::http::get_json("/api/embed").await;
            if let Some(hosts) = answer.ok().as_ref().and_then(hosts) {
                self.hosts.set_value(Some(hosts));
            }
            self.fetching.set_value(false);
        });
    }

    fn receive(self, event: &web_sys::MessageEvent) {
        let from_page = event.source().is_some_and(|source| {
            self.window
                .with_value(|page| js_sys::Object::is(&source, page))
        });
        if !from_page {
            return;
        }
        let origin = event.origin();
        if self.hosts.with_value(Option::is_none) {
            self.fetch_hosts();
        }
        let Some(allowed) = self.hosts.with_value(|list| {
            list.as_ref()
                .and_then(|l| l.iter().find(|h| h.origin == origin).cloned())
        }) else {
            // An origin the server does not list gets no answer at all.
            return;
        };
        // Through JSON text and back: what the page posted becomes a plain tree (no cycles, no
        // objects of the page's own), of bounded size.
        let Some(message) = js_sys::JSON::stringify(&event.data())
            .ok()
            .and_then(|s| s.as_string())
            .filter(|s| s.len() <= MAX_MESSAGE)
            .and_then(|s| parley_client::json::value(&s))
        else {
            return;
        };
        if message["parley"].as_u64() != Some(VERSION) {
            return;
        }
        match message["kind"].as_str() {
            Some("request") => self.request(allowed, &message),
            Some("reply") => self.reply(&message),
            _ => {}
        }
    }

    /// Answers one request from the page.
    fn request(self, allowed: Host, message: &Value) {
        let id = message["id"].clone();
        let method = message["method"].as_str().unwrap_or_default();
        let params = &message["params"];
        let scopes = &allowed.scopes;
        let desk = self.desk.with_value(|d| d.as_ref().map(|(desk, _)| *desk));
        let reply = match method {
            "hello" => {
                self.hellos.update_value(|h| {
                    // A page that keeps saying hello while the desktop settles is answered for
                    // its latest ones.
                    if h.len() >= MAX_CALLS {
                        h.remove(0);
                    }
                    h.push((allowed.origin.clone(), id.clone()));
                });
                self.hello(allowed, params);
                self.answer_hellos();
                return;
            }
            _ if host::allowed(method, scopes).is_err() => {
                host::allowed(method, scopes).map(|_| Value::Null)
            }
            "host.register" => Hooks::register(params, scopes).map(|hooks| {
                self.hooks.set_value(hooks);
                self.flush();
                Value::Null
            }),
            "ui.setTheme" => host::theme_of(params).map(|properties| {
                set_theme(&properties);
                Value::Null
            }),
            "ui.setLocale" => host::locale_of(params).and_then(|locale| {
                let other = locale != parley_client::i18n::language();
                if other && crate::app::files_waiting(desk) {
                    return Err(host::HostError::new(
                        "files_waiting",
                        "files attached in a chat wait to be sent or removed; the language changes after",
                    ));
                }
                // Another language reloads the frame in it once the answer is posted; the page
                // greets the reloaded desktop and it signs in again by itself.
                if other {
                    set_timeout(
                        move || {
                            crate::app::switch_language(desk, locale);
                        },
                        Duration::from_millis(50),
                    );
                }
                Ok(json!({ "locale": locale }))
            }),
            _ => {
                let handled = match desk {
                    Some(desk) => {
                        let mut handled = None;
                        desk.update(|s| handled = Some(s.host_request(method, params, scopes)));
                        handled
                    }
                    // Signed out: the rules of a desktop with nobody in it (the state only).
                    None => Some(
                        DesktopState::new(Outbox::new("host")).host_request(method, params, scopes),
                    ),
                };
                let Some(handled) = handled else {
                    return;
                };
                if let Some(desk) = desk {
                    for msg in &handled.send {
                        desk.send(msg);
                    }
                }
                handled.reply
            }
        };
        self.post_to(&allowed.origin, &reply_to(&id, reply));
    }

    /// A page said hello: it is the page from now on, it has heard what its cursor says, and
    /// it may give back the sign-in token the desktop left it.
    fn hello(self, host: Host, params: &Value) {
        let seen = params["cursor"]
            .as_str()
            .and_then(HostView::from_cursor)
            .unwrap_or_default();
        let thought_signed_in = seen.signed_in();
        // A new page (or the same one reloaded) registers its hooks again after its hello.
        self.hooks.set_value(Hooks::default());
        self.host.set_value(Some(host));
        self.seen.set_value(Some(seen));
        if self.desk.with_value(Option::is_some) {
            self.mint();
            self.flush();
            return;
        }
        let token = params["resume"].as_str().map(str::to_owned);
        let fresh = token
            .as_ref()
            .filter(|t| self.resumed.with_value(|r| r.as_ref() != Some(*t)));
        match fresh {
            Some(token) => {
                let token = token.clone();
                self.resumed.set_value(Some(token.clone()));
                self.resuming.set_value(true);
                leptos::task::spawn_local(async move {
                    match crate::session::exchange(&token).await {
                        // Still resuming until the desktop attaches.
                        Ok(session) => {
                            if let Some(sign_in) = self.sign_in.get_value() {
                                sign_in(session);
                            }
                        }
                        // Used, expired, or the server unreachable for a moment: the page
                        // hears `signedIn: false`; its next hello may try the token again.
                        Err(_) => {
                            self.resuming.set_value(false);
                            self.resumed.set_value(None);
                            self.answer_hellos();
                        }
                    }
                });
            }
            None if thought_signed_in && token.is_none() => {
                // Answered first: the page listens for events once its hello is answered.
                self.answer_hellos();
                self.signed_out(SignedOut::Expired);
            }
            None => {}
        }
    }

    /// Answers the waiting hellos once the desktop is settled: signed in and holding what the
    /// server sent on joining, or signed out and not signing in again.
    fn answer_hellos(self) {
        let desk = self.desk.with_value(|d| d.as_ref().map(|(desk, _)| *desk));
        let settled = match desk {
            Some(desk) => desk.with(|s| s.synced),
            None => !self.resuming.get_value(),
        };
        if !settled {
            return;
        }
        let scopes = self
            .host
            .with_value(|h| h.as_ref().map(|h| h.scopes.clone()));
        for (origin, id) in self
            .hellos
            .try_update_value(std::mem::take)
            .unwrap_or_default()
        {
            let result =
                json!({ "version": VERSION, "scopes": scopes, "signedIn": desk.is_some() });
            self.post_to(&origin, &reply_to(&id, Ok(result)));
        }
    }

    /// Tells the page what changed since what it heard last, once the desktop holds everything
    /// the server sent on joining; asks its contact search about new chats.
    fn flush(self) {
        self.answer_hellos();
        let Some((desk, _)) = self.desk.try_with_value(Option::clone).flatten() else {
            return;
        };
        let (Some(host), Some(before)) = (self.host.get_value(), self.seen.get_value()) else {
            return;
        };
        let text = host::granted(&host.scopes, "chat.read");
        let Some((events, now)) = desk.with(|s| {
            s.synced
                .then(|| (s.host_events(&before, text), s.host_view()))
        }) else {
            return;
        };
        self.seen.set_value(Some(now.clone()));
        if !events.is_empty() {
            let events: Vec<Value> = events
                .into_iter()
                .map(|e| json!({ "event": e.name, "data": e.data, "position": e.position }))
                .collect();
            self.post(&json!({
                "parley": VERSION, "kind": "events", "events": events, "cursor": now.cursor(),
            }));
        }
        if self.hooks.with_value(|h| h.contact_search) {
            self.search(desk);
        }
    }

    /// Asks the page's contact search for the record of each chat not asked about yet.
    fn search(self, desk: Desk) {
        let open: Vec<InteractionId> =
            desk.with(|s| s.chats.iter().map(|c| c.summary.id.clone()).collect());
        let new: Vec<InteractionId> = self.searched.with_value(|asked| {
            open.iter()
                .filter(|id| !asked.contains(id))
                .cloned()
                .collect()
        });
        self.searched.set_value(open);
        for id in new {
            let Some(query) = desk.with(|s| s.contact_query(&id)) else {
                continue;
            };
            self.call("contactSearch", query, SEARCH_MS, move |answer| {
                if let Some(answer) = answer {
                    desk.update(|s| s.host_record(&id, &answer));
                }
            });
        }
    }

    /// Holds a frame the page intercepts until it answers; `false` lets the frame go now.
    fn gate(self, msg: &ClientMsg) -> bool {
        let Some((desk, _)) = self.desk.with_value(Option::clone) else {
            return false;
        };
        if self.host.with_value(Option::is_none) {
            return false;
        }
        let Some((interceptor, params)) = self
            .hooks
            .with_value(|h| desk.with(|s| h.intercepts(msg, s)))
        else {
            return false;
        };
        let held = msg.clone();
        let chat = match msg {
            ClientMsg::Act(a) => a.interaction().cloned(),
            _ => None,
        };
        self.call(
            "intercept",
            params,
            interceptor.timeout_ms,
            move |answer| match verdict(interceptor, answer.as_ref(), held) {
                Ok(frames) => frames.iter().for_each(|f| desk.send_past_gate(f)),
                Err(why) => desk.update(|s| s.host_refused(chat.as_ref(), why)),
            },
        );
        true
    }

    /// Sends the page a request; `answer` gets its result, or `None` without one in time.
    fn call(
        self,
        method: &str,
        params: Value,
        timeout_ms: u32,
        answer: impl FnOnce(Option<Value>) + 'static,
    ) {
        let id = self.calls.with_value(|c| format!("d{}", c.next));
        let full = self.calls.with_value(|c| c.waiting.len() >= MAX_CALLS);
        if full {
            return answer(None);
        }
        self.calls.update_value(|c| {
            c.next += 1;
            c.waiting.insert(id.clone(), Box::new(answer));
        });
        self.post(&json!({ "parley": VERSION, "kind": "request", "id": id, "method": method, "params": params }));
        let calls = self.calls;
        set_timeout(
            move || {
                if let Some(answer) = calls.try_update_value(|c| c.waiting.remove(&id)).flatten() {
                    answer(None);
                }
            },
            Duration::from_millis(u64::from(timeout_ms)),
        );
    }

    /// The page answered one of the desktop's requests; an error counts as a refusal.
    fn reply(self, message: &Value) {
        let Some(id) = message["id"].as_str() else {
            return;
        };
        let Some(answer) = self
            .calls
            .try_update_value(|c| c.waiting.remove(id))
            .flatten()
        else {
            return;
        };
        let result = match message.get("error") {
            Some(error) => json!({ "allow": false, "message": error["message"] }),
            None => message["result"].clone(),
        };
        answer(Some(result));
    }

    /// Leaves the page a fresh one-time token to sign in again with after a reload of the frame.
    fn mint(self) {
        let Some(token) = self
            .desk
            .try_with_value(|d| d.as_ref().map(|(_, t)| t.clone()))
            .flatten()
        else {
            return;
        };
        // The token signs the agent in with a full session: only a page trusted with that.
        let trusted = self.host.with_value(|h| {
            h.as_ref()
                .is_some_and(|h| host::granted(&h.scopes, "session.resume"))
        });
        if !crate::session::framed() || !trusted {
            return;
        }
        let n = self.mints.with_value(|m| m + 1);
        self.mints.set_value(n);
        leptos::task::spawn_local(async move {
            let handed = crate::session::handoff(&token).await;
            // Each token replaces the one before: a late answer to an earlier ask, or one for a
            // session that has gone meanwhile, is not posted.
            let latest = self.mints.try_get_value() == Some(n);
            let same = self
                .desk
                .try_with_value(|d| d.as_ref().is_some_and(|(_, t)| *t == token))
                .unwrap_or(false);
            if let (Ok(handed), true, true) = (handed, latest, same) {
                self.post(&json!({
                    "parley": VERSION, "kind": "session",
                    "resume": handed.token, "expiresAt": handed.expires_at,
                }));
            }
        });
    }

    /// Posts to the page that said hello, at exactly its origin.
    fn post(self, message: &Value) {
        if let Some(origin) = self
            .host
            .try_with_value(|h| h.as_ref().map(|h| h.origin.clone()))
            .flatten()
        {
            self.post_to(&origin, message);
        }
    }

    fn post_to(self, origin: &str, message: &Value) {
        if let Ok(value) = js_sys::JSON::parse(&message.to_string()) {
            self.window.with_value(|page| {
                let _ = page.post_message(&value, origin);
            });
        }
    }
}

/// The envelope answering the page's request `id`: its result, or a typed error.
fn reply_to(id: &Value, reply: Result<Value, host::HostError>) -> Value {
    match reply {
        Ok(result) => json!({ "parley": VERSION, "kind": "reply", "id": id, "result": result }),
        Err(e) => json!({
            "parley": VERSION, "kind": "reply", "id": id,
            "error": { "code": e.code, "message": e.message },
        }),
    }
}

/// Sets the page's theme: CSS custom properties on the root element.
fn set_theme(properties: &[(String, String)]) {
    let Some(root) = document().document_element() else {
        return;
    };
    let Ok(root) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(root) else {
        return;
    };
    let style = root.style();
    for (name, value) in properties {
        let _ = style.set_property(name, value);
    }
}
