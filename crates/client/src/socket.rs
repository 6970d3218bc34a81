//! The WebSocket to the server: opened once, reconnected with exponential back-off, and a fresh
//! `hello` (with the current resume points) sent on every connect.
//!
//! Built on the browser's `WebSocket` and its events directly: frames sent while the socket is
//! down wait and go out after the next `hello`, in order.

use parley_protocol::{ClientMsg, ServerMsg};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// What the socket reports to the app.
#[derive(Clone, Debug, PartialEq)]
pub enum SocketEvent {
    /// Trying to connect.
    Connecting,
    /// Connected; `hello` was sent.
    Open,
    /// A frame from the server.
    Msg(Box<ServerMsg>),
    /// The connection dropped; a retry follows after `retry_in`.
    Closed { retry_in: Duration },
    /// The server closed for a breach of its rules (1008): retrying would only repeat it, so
    /// the socket stops until the page is reloaded.
    Refused,
}

/// A handle to send frames; dropping every handle closes the socket for good.
#[derive(Clone)]
pub struct Socket {
    link: Rc<Link>,
}

impl Socket {
    /// Sends a frame, with a request id when given (held while reconnecting, sent after the
    /// next `hello`).
    pub fn send(&self, msg: &ClientMsg, req: Option<u64>) {
        let frame = match req {
            Some(req) => msg.to_frame_with(req),
            None => msg.to_frame(),
        };
        let mut inner = self.link.0.borrow_mut();
        let sent = match &inner.ws {
            Some(ws) if inner.open => ws.send_with_str(&frame).is_ok(),
            _ => false,
        };
        if !sent {
            inner.waiting.push(frame);
        }
    }
}

/// The socket URL on the page's own host: `ws(s)://host/ws`.
pub fn default_url() -> String {
    let location = web_sys::window().map(|w| w.location());
    let host = location
        .as_ref()
        .and_then(|l| l.host().ok())
        .unwrap_or_default();
    let secure = location
        .and_then(|l| l.protocol().ok())
        .is_some_and(|p| p == "https:");
    format!("{}://{host}/ws", if secure { "wss" } else { "ws" })
}

const FIRST_RETRY: Duration = Duration::from_millis(250);
const MAX_RETRY: Duration = Duration::from_secs(5);

/// How an app reads the server's frames: [`ServerMsg::read_agent`] for the desktop, the
/// narrower [`ServerMsg::read_contact`] for the widget. Frames it cannot read are dropped.
pub type Parse = fn(&str) -> Option<ServerMsg>;

/// Opens the socket at `url`. `hello` builds the first frame of each connection; `on_event`
/// receives everything that happens.
pub fn open(
    url: String,
    parse: Parse,
    hello: impl Fn() -> ClientMsg + 'static,
    on_event: impl Fn(SocketEvent) + 'static,
) -> Socket {
    let inner = Rc::new(RefCell::new(Inner {
        url,
        parse,
        hello: Rc::new(hello),
        on_event: Rc::new(on_event),
        ws: None,
        open: false,
        waiting: Vec::new(),
        retry: FIRST_RETRY,
        stopped: false,
        handlers: Vec::new(),
    }));
    // The first connection starts once the caller holds the handle, as every later one does.
    let first = inner.clone();
    wasm_bindgen_futures::spawn_local(async move { connect(&first) });
    Socket {
        link: Rc::new(Link(inner)),
    }
}

type Shared = Rc<RefCell<Inner>>;
type Handler = Closure<dyn FnMut(JsValue)>;

/// The last handle's share of the socket: dropping it stops the socket.
struct Link(Shared);

impl Drop for Link {
    fn drop(&mut self) {
        let mut inner = self.0.borrow_mut();
        inner.stopped = true;
        inner.close();
        // The handlers hold the socket's state: dropping them ends the cycle.
        inner.handlers.clear();
    }
}

struct Inner {
    url: String,
    parse: Parse,
    hello: Rc<dyn Fn() -> ClientMsg>,
    on_event: Rc<dyn Fn(SocketEvent)>,
    ws: Option<WebSocket>,
    /// `hello` went out on `ws`.
    open: bool,
    /// Frames sent while not connected, in order.
    waiting: Vec<String>,
    retry: Duration,
    /// Every handle is gone: no more connecting.
    stopped: bool,
    /// The latest connection's event handlers, kept until the next connection replaces them
    /// (never dropped while one of them runs).
    handlers: Vec<Handler>,
}

impl Inner {
    /// Forgets the current connection, closing it if it is still up.
    fn close(&mut self) {
        if let Some(ws) = self.ws.take() {
            ws.set_onopen(None);
            ws.set_onmessage(None);
            ws.set_onclose(None);
            let _ = ws.close();
        }
        self.open = false;
    }
}

/// Starts a connection; reports it, and a failure to even start one, to the app.
fn connect(shared: &Shared) {
    let on_event = shared.borrow().on_event.clone();
    on_event(SocketEvent::Connecting);
    let url = shared.borrow().url.clone();
    let Ok(ws) = WebSocket::new(&url) else {
        dropped(shared);
        return;
    };
    let handler = |f: fn(&Shared, JsValue)| {
        let shared = shared.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |ev| f(&shared, ev))
    };
    let handlers = vec![handler(opened), handler(received), handler(closed)];
    ws.set_onopen(Some(handlers[0].as_ref().unchecked_ref()));
    ws.set_onmessage(Some(handlers[1].as_ref().unchecked_ref()));
    ws.set_onclose(Some(handlers[2].as_ref().unchecked_ref()));
    let mut inner = shared.borrow_mut();
    inner.ws = Some(ws);
    inner.handlers = handlers;
}

/// Connected: `hello`, then what waited, then the app hears of it.
fn opened(shared: &Shared, _: JsValue) {
    let hello = shared.borrow().hello.clone();
    let hello = hello().to_frame();
    let (ok, on_event) = {
        let mut inner = shared.borrow_mut();
        let waiting = std::mem::take(&mut inner.waiting);
        let ok = inner.ws.as_ref().is_some_and(|ws| {
            std::iter::once(&hello)
                .chain(&waiting)
                .all(|frame| ws.send_with_str(frame).is_ok())
        });
        inner.open = ok;
        (ok, inner.on_event.clone())
    };
    if ok {
        on_event(SocketEvent::Open);
    } else {
        dropped(shared);
    }
}

/// A frame from the server, handed to the app once read.
fn received(shared: &Shared, ev: JsValue) {
    let Some(text) = ev
        .dyn_ref::<MessageEvent>()
        .and_then(|m| m.data().as_string())
    else {
        return;
    };
    let (parse, on_event) = {
        let mut inner = shared.borrow_mut();
        inner.retry = FIRST_RETRY;
        (inner.parse, inner.on_event.clone())
    };
    if let Some(msg) = parse(&text) {
        on_event(SocketEvent::Msg(Box::new(msg)));
    }
}

/// The server's close code for a breach of its rules.
const POLICY: u16 = 1008;

/// The server closed the connection: stop after a breach, otherwise retry.
fn closed(shared: &Shared, ev: JsValue) {
    if ev.dyn_ref::<CloseEvent>().map(CloseEvent::code) != Some(POLICY) {
        return dropped(shared);
    }
    let on_event = {
        let mut inner = shared.borrow_mut();
        inner.stopped = true;
        inner.close();
        inner.on_event.clone()
    };
    on_event(SocketEvent::Refused);
}

/// The connection is gone: tell the app and try again after the back-off.
fn dropped(shared: &Shared) {
    let (retry, on_event) = {
        let mut inner = shared.borrow_mut();
        if inner.stopped {
            return;
        }
        inner.close();
        let retry = inner.retry;
        inner.retry = (retry * 2).min(MAX_RETRY);
        (retry, inner.on_event.clone())
    };
    on_event(SocketEvent::Closed { retry_in: retry });
    let again = shared.clone();
    let reconnect = Closure::once_into_js(move || {
        if !again.borrow().stopped {
            connect(&again);
        }
    });
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            reconnect.unchecked_ref(),
            retry.as_millis() as i32,
        );
    }
}
