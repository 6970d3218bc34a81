//! The WebSocket to the server: opened once, reconnected with exponential back-off, and a fresh
//! `hello` (with the current resume points) sent on every connect.

use futures::channel::mpsc;
use futures::{FutureExt, SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::Message;
use parley_protocol::{ClientMsg, ServerMsg};
use std::rc::Rc;
use std::time::Duration;

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
}

/// A handle to send frames; dropping every handle closes the socket for good.
#[derive(Clone)]
pub struct Socket {
    tx: mpsc::UnboundedSender<ClientMsg>,
}

impl Socket {
    /// Sends a frame (queued while reconnecting).
    pub fn send(&self, msg: &ClientMsg) {
        let _ = self.tx.unbounded_send(msg.clone());
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

/// How an app reads the server's frames: [`ServerMsg::parse`] for the desktop, the narrower
/// [`parley_protocol::ContactMsg`] for the widget. Frames it cannot read are dropped.
pub type Parse = fn(&str) -> Option<ServerMsg>;

/// Opens the socket at `url`. `hello` builds the first frame of each connection; `on_event`
/// receives everything that happens.
pub fn open(
    url: String,
    parse: Parse,
    hello: impl Fn() -> ClientMsg + 'static,
    on_event: impl Fn(SocketEvent) + 'static,
) -> Socket {
    let (tx, mut rx) = mpsc::unbounded::<ClientMsg>();
    let on_event = Rc::new(on_event);
    wasm_bindgen_futures::spawn_local(async move {
        let mut retry = FIRST_RETRY;
        loop {
            on_event(SocketEvent::Connecting);
            if let Ok(ws) = WebSocket::open(&url) {
                let (mut writer, mut reader) = ws.split();
                if writer.send(Message::Text(hello().to_frame())).await.is_ok() {
                    on_event(SocketEvent::Open);
                    loop {
                        futures::select! {
                            incoming = reader.next().fuse() => match incoming {
                                Some(Ok(Message::Text(text))) => {
                                    retry = FIRST_RETRY;
                                    if let Some(msg) = parse(&text) {
                                        on_event(SocketEvent::Msg(Box::new(msg)));
                                    }
                                }
                                Some(Ok(Message::Bytes(_))) => {}
                                Some(Err(_)) | None => break,
                            },
                            outgoing = rx.next() => match outgoing {
                                Some(msg) => {
                                    if writer.send(Message::Text(msg.to_frame())).await.is_err() {
                                        break;
                                    }
                                }
                                None => return,
                            },
                        }
                    }
                }
            }
            on_event(SocketEvent::Closed { retry_in: retry });
            gloo_timers::future::sleep(retry).await;
            retry = (retry * 2).min(MAX_RETRY);
        }
    });
    Socket { tx }
}
