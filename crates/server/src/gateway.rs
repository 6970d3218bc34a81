//! One WebSocket connection: frames in and out, parsed once at this edge.
//!
//! The socket is split into a writer task (fed by the connection's outbox) and this reader loop.
//! [`serve`] is generic over the socket's `Stream`/`Sink` so it can run over channels in tests.
//! Nothing here decides what a client may do: it only parses, checks `hello` comes first and
//! hands commands to the hub.

use crate::engine::Actor;
use crate::hub::ConnId;
use crate::outbox;
use crate::reads::Reads;
use axum::extract::ws::CloseFrame;
use axum::extract::ws::{Message, Utf8Bytes};
use futures::{Sink, SinkExt, Stream, StreamExt};
use parley_protocol::{
    ClientMsg, ErrorCode, Request, ServerMsg, MAX_CLIENT_INSTANCE, OLDEST_PROTOCOL_VERSION,
    PROTOCOL_VERSION, UPDATED_NOTICE,
};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use std::time::Instant;

/// Connection ids are unique across the nodes of a cluster (answers travel on a shared bus):
/// each process numbers its connections under a random 32-bit prefix of its own.
static NEXT_CONN: std::sync::LazyLock<AtomicU64> =
    std::sync::LazyLock::new(|| AtomicU64::new(u64::from(rand::random::<u32>()) << 32 | 1));

pub use crate::outbox::{POLICY, SERVICE_RESTART, SESSION_ENDED, TRY_AGAIN_LATER};

/// How long a closing socket is given to take its close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// How many frames a connection may send: a burst, then a steady rate.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub burst: u32,
    pub per_second: u32,
}

/// A token bucket: each frame takes a token; tokens come back at a steady rate.
pub struct RateLimit {
    limits: Limits,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    pub fn new(limits: Limits, now: Instant) -> Self {
        Self {
            limits,
            tokens: f64::from(limits.burst),
            last: now,
        }
    }

    /// Whether a frame arriving at `now` may pass.
    pub fn allow(&mut self, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.last).as_secs_f64()
            * f64::from(self.limits.per_second);
        self.tokens = (self.tokens + refill).min(f64::from(self.limits.burst));
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Frame budgets of actors: every connection of one agent or contact on this node draws on
/// the same one, so ten sockets on one token get no more than one.
#[derive(Clone, Default)]
pub struct Budgets(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<Actor, RateLimit>>>);

impl Budgets {
    /// Budgets idle for this long are forgotten once there are many.
    const IDLE: Duration = Duration::from_secs(60);
    const MANY: usize = 10_000;

    /// Whether a frame of `actor` arriving at `now` may pass.
    pub fn allow(&self, actor: &Actor, limits: Limits, now: Instant) -> bool {
        let mut budgets = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if budgets.len() >= Self::MANY && !budgets.contains_key(actor) {
            budgets.retain(|_, b| now.saturating_duration_since(b.last) < Self::IDLE);
        }
        budgets
            .entry(actor.clone())
            .or_insert_with(|| RateLimit::new(limits, now))
            .allow(now)
    }
}

/// Close codes for a client that broke the WebSocket's rules (RFC 6455 7.4.1).
pub const TOO_BIG: u16 = 1009;
pub const NOT_UTF8: u16 = 1007;
pub const PROTOCOL: u16 = 1002;
/// The close code for a peer that answers no pings.
pub const GOING_AWAY: u16 = 1001;

/// The close code for a read that failed because the client broke a rule (a frame over the
/// limit, bad UTF-8, not the protocol), or `None` when the connection just failed.
fn broken_rule(error: &(dyn std::error::Error + 'static)) -> Option<u16> {
    use tungstenite::error::{CapacityError, Error as WsError};
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(ws) = e.downcast_ref::<WsError>() {
            return match ws {
                WsError::Capacity(
                    CapacityError::MessageTooLong { .. } | CapacityError::TooManyHeaders,
                ) => Some(TOO_BIG),
                WsError::Utf8(_) => Some(NOT_UTF8),
                WsError::Protocol(_) => Some(PROTOCOL),
                _ => None,
            };
        }
        cause = e.source();
    }
    None
}

/// Sockets whose connection task still runs (their last frames may not be written yet).
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Counts one running connection while it lives.
struct Running;

impl Running {
    fn start() -> Self {
        RUNNING.fetch_add(1, Ordering::Relaxed);
        Self
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Waits (at most `within`) until every connection has written its last frame: a node told its
/// clients to reconnect elsewhere (1012), and the process must not end before they hear it.
/// Under load the close frames took longer than the process's exit, and clients saw a dropped
/// connection instead.
pub async fn drained(within: Duration) {
    let deadline = Instant::now() + within;
    while RUNNING.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// What a connection needs besides its socket.
#[derive(Clone)]
pub struct Edge {
    pub reads: Reads,
    pub limits: Limits,
    pub outbox: outbox::Limits,
    /// How long a new socket has to say `hello`.
    pub hello_timeout: Duration,
    /// How often the server pings; a socket from which nothing (not even the pong) arrived for
    /// two and a half times as long is dead, and closed.
    pub ping_every: Duration,
    /// The actors' shared frame budgets (before `hello`, each connection has its own).
    pub budgets: Budgets,
}

/// Runs one connection until the client closes it or the socket fails.
/// `cookie_token` is the session cookie sent with the upgrade request, used when `hello` has no token.
pub async fn serve<W, R, E>(mut writer: W, mut reader: R, edge: Edge, cookie_token: Option<String>)
where
    W: Sink<Message> + Unpin + Send + 'static,
    R: Stream<Item = Result<Message, E>> + Unpin,
    E: std::error::Error + 'static,
{
    let conn: ConnId = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let _running = Running::start();
    let Edge {
        reads,
        limits,
        outbox: outbox_limits,
        hello_timeout,
        ping_every,
        budgets,
    } = edge;
    let hello_by = tokio::time::Instant::now() + hello_timeout;
    let dead_after = ping_every * 5 / 2;
    let mut last_heard = tokio::time::Instant::now();
    let hub = reads.hub.clone();
    let (outbox, mut pending) = outbox::channel(outbox_limits);
    let write_task = tokio::spawn(async move {
        let start = tokio::time::Instant::now() + ping_every;
        let mut ping = tokio::time::interval_at(start, ping_every);
        loop {
            let frame = tokio::select! {
                frame = pending.next() => match frame {
                    Some(frame) => Message::Text(frame),
                    None => break,
                },
                // Browsers answer pings by themselves: a silent peer is a dead one.
                _ = ping.tick() => Message::Ping(Default::default()),
            };
            // A send that cannot finish (the client stopped reading) gives way to the close.
            let sent = tokio::select! {
                biased;
                _ = pending.closed() => break,
                sent = writer.send(frame) => sent,
            };
            if sent.is_err() {
                break;
            }
        }
        if let Some(code) = pending.close_code() {
            let reason = match code {
                TRY_AGAIN_LATER => "too slow: reconnect and resume",
                POLICY => "no hello in time",
                GOING_AWAY => "no answer to pings",
                TOO_BIG => "a frame over 64 KiB",
                NOT_UTF8 => "a text frame that is not UTF-8",
                PROTOCOL => "not the WebSocket protocol",
                SESSION_ENDED => "the session ended: log in again",
                _ => "the server is restarting: reconnect and resume",
            };
            let close = Message::Close(Some(CloseFrame {
                code,
                reason: Utf8Bytes::from_static(reason),
            }));
            let _ = tokio::time::timeout(CLOSE_WAIT, writer.send(close)).await;
        }
        let _ = tokio::time::timeout(CLOSE_WAIT, writer.close()).await;
    });
    let mut closing = outbox.closing();

    let mut actor: Option<Actor> = None;
    let mut limit = RateLimit::new(limits, Instant::now());
    loop {
        let frame = tokio::select! {
            biased;
            _ = closing.changed() => break,
            // A socket that never says who it is holds memory for nothing.
            () = tokio::time::sleep_until(hello_by), if actor.is_none() => {
                tracing::debug!(conn, "no hello in time");
                outbox.close(POLICY);
                continue;
            }
            () = tokio::time::sleep_until(last_heard + dead_after) => {
                tracing::debug!(conn, "no answer to pings: the connection is dead");
                // Also ends a write stuck on the dead peer, so nothing waits for the kernel.
                outbox.close(GOING_AWAY);
                break;
            }
            // A chat given to the agent: its window is read here, not by the writer.
            window = outbox.next_window() => {
                if let Some(a) = &actor {
                    reads.window(&outbox, a, window).await;
                }
                continue;
            }
            frame = reader.next() => frame,
        };
        last_heard = tokio::time::Instant::now();
        let frame = match frame {
            Some(Ok(frame)) => frame,
            Some(Err(e)) => {
                // The client broke the WebSocket's rules: it hears which before the close.
                if let Some(code) = broken_rule(&e) {
                    tracing::debug!(conn, code, "socket closed: {e}");
                    outbox.close(code);
                }
                break;
            }
            None => break,
        };
        let allowed = match &actor {
            Some(a) => budgets.allow(a, limits, Instant::now()),
            None => limit.allow(Instant::now()),
        };
        if !allowed {
            let _ = outbox.send(ServerMsg::error(
                ErrorCode::RateLimited,
                "too many messages; slow down",
            ));
            continue;
        }
        let text = match frame {
            Message::Text(t) => t,
            Message::Binary(_) => {
                let _ = outbox.send(ServerMsg::error(
                    ErrorCode::BadFrame,
                    "binary frames are not supported; send JSON text",
                ));
                continue;
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        let request = match ClientMsg::parse_request(text.as_str()) {
            Ok(r) => r,
            Err(e) => {
                let _ = outbox.send(e.to_server_msg());
                continue;
            }
        };
        match (&actor, request.msg) {
            (
                None,
                ClientMsg::Hello {
                    v,
                    token,
                    resume,
                    client,
                },
            ) => {
                if !(OLDEST_PROTOCOL_VERSION..=PROTOCOL_VERSION).contains(&v) {
                    tracing::info!(
                        "hello with protocol version {v}; this server speaks \
                         {OLDEST_PROTOCOL_VERSION} to {PROTOCOL_VERSION}"
                    );
                    let _ = outbox.send(ServerMsg::error(
                        ErrorCode::UnsupportedVersion,
                        UPDATED_NOTICE,
                    ));
                    continue;
                }
                if client
                    .as_ref()
                    .is_some_and(|c| c.is_empty() || c.len() > MAX_CLIENT_INSTANCE)
                {
                    let _ = outbox.send(ServerMsg::error(
                        ErrorCode::BadFrame,
                        "`client` must be 1 to 64 bytes",
                    ));
                    continue;
                }
                outbox.set_version(v);
                let token = token.or_else(|| cookie_token.clone());
                let session = token.as_deref().map(crate::auth::token_hash);
                actor = reads.hello(conn, &outbox, token, resume, client).await;
                if let (Some(Actor::Agent(_)), Some(session)) = (&actor, session) {
                    hub.edges().bind_session(conn, session.clone());
                    // A logout while this hello was under way was announced before the socket
                    // was bound: look again.
                    if matches!(reads.store.session_agent(&session).await, Ok(None)) {
                        outbox.close(SESSION_ENDED);
                    }
                }
            }
            (None, _) => {
                let _ = outbox.send(
                    ServerMsg::error(ErrorCode::Unauthorized, "send hello first")
                        .answering(request.req),
                );
            }
            (Some(a), msg) => {
                // Reads are answered here, on this connection's task.
                if let Some(answer) = reads.answer(a, &msg).await {
                    let _ = outbox.send(answer.answering(request.req));
                    continue;
                }
                let command = Request {
                    msg,
                    req: request.req,
                };
                if hub.command(conn, a.clone(), command).is_err() {
                    let _ = outbox.send(
                        ServerMsg::error(ErrorCode::Busy, "the server is busy; try again")
                            .answering(request.req),
                    );
                }
            }
        }
    }
    if actor.is_some() {
        hub.gone(conn).await;
    }
    drop(outbox);
    // The hub holds a clone of the outbox until it processes `gone`; the writer then ends.
    let _ = write_task.await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::channel::mpsc as chan;
    use std::sync::Arc;

    #[tokio::test]
    async fn a_client_that_never_reads_is_closed_with_1013_and_leaves_the_registry() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = crate::store::SqliteStore::open(&dir.path().join("p.db"))
            .await
            .expect("store");
        let (hub, ix, token) = crate::hub::tests::hub_with_a_chat(store.clone()).await;
        // The socket over channels: the test sends frames, and never reads what the server
        // writes until the end (the channel holds 8 frames).
        let (client, reader) = chan::unbounded::<Result<Message, std::io::Error>>();
        let (writer, mut written) = chan::channel::<Message>(8);
        let cap = outbox::Limits {
            frames: 4096,
            bytes: 64 * 1024,
        };
        let unlimited = Limits {
            burst: 100_000,
            per_second: 100_000,
        };
        let edge = Edge {
            reads: Reads {
                hub: hub.clone(),
                store: Arc::new(store),
                history_days: 30,
                contacts_only: false,
                aliases: crate::alias::Aliases::new(b"test"),
            },
            limits: unlimited,
            outbox: cap,
            hello_timeout: Duration::from_secs(5),
            ping_every: Duration::from_secs(30),
            budgets: Budgets::default(),
        };
        let served = tokio::spawn(serve(writer, reader, edge, None));
        let text = |t: String| Ok(Message::Text(Utf8Bytes::from(t)));
        let hello = ClientMsg::Hello {
            v: PROTOCOL_VERSION,
            token: Some(token),
            resume: vec![],
            client: None,
        };
        client
            .unbounded_send(text(hello.to_frame()))
            .expect("hello");
        let registered = |n: usize| {
            let hub = hub.clone();
            async move {
                for _ in 0..200 {
                    if hub.connections().await == n {
                        return true;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                false
            }
        };
        assert!(registered(1).await, "the connection is registered");
        let older = format!(r#"{{"older":{{"interaction":"{ix}","before":100,"limit":100}}}}"#);
        for _ in 0..10_000 {
            client.unbounded_send(text(older.clone())).expect("older");
        }
        // Each `older` is answered; the answers do not fit, and the server lets go of the
        // connection by itself.
        assert!(registered(0).await, "the connection left the registry");
        // Reading at last: the frames that were written, then the close with 1013.
        let mut frames = 0;
        let mut close = None;
        while let Some(msg) = tokio::time::timeout(CLOSE_WAIT, written.next())
            .await
            .expect("the writer ends")
        {
            match msg {
                Message::Text(_) => frames += 1,
                Message::Close(frame) => close = frame,
                _ => {}
            }
        }
        assert_eq!(close.map(|c| c.code), Some(TRY_AGAIN_LATER));
        assert!(
            frames < 10_000,
            "{frames} frames were written before the close"
        );
        served.await.expect("served");
    }

    #[test]
    fn a_burst_passes_then_the_rate_is_held() {
        let t0 = Instant::now();
        let mut limit = RateLimit::new(
            Limits {
                burst: 40,
                per_second: 20,
            },
            t0,
        );
        let passed = (0..100).filter(|_| limit.allow(t0)).count();
        assert_eq!(passed, 40);
        assert!(!limit.allow(t0));
        assert!(
            limit.allow(t0 + Duration::from_millis(50)),
            "one token back after 1/20 s"
        );
        assert!(!limit.allow(t0 + Duration::from_millis(50)));
        let later = t0 + Duration::from_secs(10);
        assert_eq!(
            (0..100).filter(|_| limit.allow(later)).count(),
            40,
            "never more than the burst"
        );
    }
}
