//! One WebSocket connection: frames in and out, parsed once at this edge.
//!
//! The socket is split into a writer task (fed by the connection's outbox) and this reader loop.
//! [`serve`] is generic over the socket's `Stream`/`Sink` so it can run over channels in tests.
//! Nothing here decides what a client may do: it only parses, checks `hello` comes first and
//! hands commands to the hub.

use crate::engine::Actor;
use crate::hub::{ConnId, HubHandle};
use axum::extract::ws::{Message, Utf8Bytes};
use futures::{Sink, SinkExt, Stream, StreamExt};
use parley_protocol::{
    ClientMsg, ErrorCode, Request, ServerMsg, OLDEST_PROTOCOL_VERSION, PROTOCOL_VERSION,
    UPDATED_NOTICE,
};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

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

/// Runs one connection until the client closes it or the socket fails.
/// `cookie_token` is the session cookie sent with the upgrade request, used when `hello` has no token.
pub async fn serve<W, R, E>(
    mut writer: W,
    mut reader: R,
    hub: HubHandle,
    cookie_token: Option<String>,
    limits: Limits,
) where
    W: Sink<Message> + Unpin + Send + 'static,
    R: Stream<Item = Result<Message, E>> + Unpin,
{
    let conn: ConnId = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let (outbox, mut rx) = mpsc::unbounded_channel::<ServerMsg>();
    // The protocol version the client said hello with: a client of the previous version gets
    // each frame in the form it reads.
    let version = Arc::new(AtomicU32::new(PROTOCOL_VERSION));
    let spoken = version.clone();
    let write_task = tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            let msg = msg.for_version(spoken.load(Ordering::Relaxed));
            if writer
                .send(Message::Text(Utf8Bytes::from(msg.to_frame())))
                .await
                .is_err()
            {
                break;
            }
        }
        let _ = writer.close().await;
    });

    let mut actor: Option<Actor> = None;
    let mut limit = RateLimit::new(limits, Instant::now());
    while let Some(Ok(frame)) = reader.next().await {
        if !limit.allow(Instant::now()) {
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
            (None, ClientMsg::Hello { v, token, resume }) => {
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
                version.store(v, Ordering::Relaxed);
                actor = hub
                    .hello(
                        conn,
                        outbox.clone(),
                        token.or_else(|| cookie_token.clone()),
                        resume,
                    )
                    .await;
            }
            (None, _) => {
                let _ = outbox.send(
                    ServerMsg::error(ErrorCode::Unauthorized, "send hello first")
                        .answering(request.req),
                );
            }
            (Some(a), msg) => hub.command(
                conn,
                a.clone(),
                Request {
                    msg,
                    req: request.req,
                },
            ),
        }
    }
    if actor.is_some() {
        hub.gone(conn);
    }
    drop(outbox);
    // The hub holds a clone of the outbox until it processes `gone`; the writer then ends.
    let _ = write_task.await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
