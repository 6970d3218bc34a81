//! One simulated client's connection, kept up as the apps keep theirs: when the socket closes
//! (a node died, or the new writer asked every client to reconnect), it connects again, to its
//! own node first and then to the others, says `hello` with where each chat was left (`resume`)
//! and sends again every message not yet acknowledged, under the same client id. A message
//! refused `busy` (its request id says which) is sent again a moment later.

use crate::stats::Stats;
use futures::{SinkExt, StreamExt};
use parley_protocol::{
    ClientMsg, ErrorCode, InteractionId, Resume, Seq, ServerMsg, PROTOCOL_VERSION,
};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a client keeps trying to reconnect before it gives up.
const RECONNECT_FOR: Duration = Duration::from_secs(60);

/// The wait between two attempts, and after a `busy`.
const RETRY_EVERY: Duration = Duration::from_millis(200);

/// Opens a socket and says `hello`.
pub async fn connect(addr: SocketAddr, token: &str, resume: Vec<Resume>) -> Result<Ws, String> {
    // Without Nagle's algorithm, as browsers connect.
    let url = format!("ws://{addr}/ws");
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let hello = ClientMsg::Hello {
        v: PROTOCOL_VERSION,
        token: Some(token.into()),
        resume,
        client: None,
    };
    ws.send(Message::Text(hello.to_frame().into()))
        .await
        .map_err(|e| format!("hello: {e}"))?;
    Ok(ws)
}

/// A message sent and not acknowledged yet.
#[derive(Clone)]
struct Unacked {
    client_id: String,
    req: u64,
    frame: String,
}

pub struct Session {
    /// Its own node first.
    addrs: Vec<SocketAddr>,
    token: String,
    ws: Option<Ws>,
    /// When the socket was last opened: one closed at once is not opened again at once.
    opened: Option<Instant>,
    /// The last sequence number seen of each chat.
    seen: HashMap<InteractionId, Seq>,
    /// Messages sent and not acknowledged, oldest first, by client id.
    unacked: Vec<Unacked>,
    /// The request id of the next message.
    next_req: u64,
    /// Messages refused `busy` (by request id), and when to send them again.
    busy: Vec<u64>,
    retry_at: Option<tokio::time::Instant>,
    stats: Arc<Stats>,
}

impl Session {
    pub async fn open(
        addrs: Vec<SocketAddr>,
        token: String,
        stats: Arc<Stats>,
    ) -> Result<Self, String> {
        let mut s = Self {
            addrs,
            token,
            ws: None,
            opened: None,
            seen: HashMap::new(),
            unacked: Vec::new(),
            next_req: 1,
            busy: Vec::new(),
            retry_at: None,
            stats,
        };
        s.reconnect().await?;
        Ok(s)
    }

    /// Sends a frame now, or after the next reconnect when the socket is down.
    pub async fn send(&mut self, msg: &ClientMsg) {
        self.send_frame(msg.to_frame()).await;
    }

    async fn send_frame(&mut self, frame: String) {
        if let Some(ws) = &mut self.ws {
            if ws.send(Message::Text(frame.into())).await.is_err() {
                self.ws = None;
            }
        }
    }

    /// Sends a chat message, and again after every reconnect until it is acknowledged.
    pub async fn send_message(&mut self, client_id: String, msg: ClientMsg) {
        let req = self.next_req;
        self.next_req += 1;
        let unacked = Unacked {
            client_id,
            req,
            frame: msg.to_frame_with(req),
        };
        self.send_frame(unacked.frame.clone()).await;
        self.unacked.push(unacked);
    }

    /// The next message from the server; `None` once the socket closed ([`Session::reconnect`]
    /// opens it again). Cancelling it loses nothing.
    pub async fn next(&mut self) -> Option<ServerMsg> {
        loop {
            let ws = self.ws.as_mut()?;
            let frame = match self.retry_at {
                Some(at) => tokio::select! {
                    frame = ws.next() => frame,
                    _ = tokio::time::sleep_until(at) => {
                        self.retry_at = None;
                        let busy = std::mem::take(&mut self.busy);
                        let again: Vec<String> = self
                            .unacked
                            .iter()
                            .filter(|u| busy.contains(&u.req))
                            .map(|u| u.frame.clone())
                            .collect();
                        for frame in again {
                            self.send_frame(frame).await;
                        }
                        continue;
                    }
                },
                None => ws.next().await,
            };
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let Ok(msg) = ServerMsg::parse(text.as_str()) else {
                        continue;
                    };
                    match &msg {
                        ServerMsg::Events {
                            interaction,
                            events,
                        } => {
                            if let Some(last) = events.last() {
                                let seen = self.seen.entry(interaction.clone()).or_default();
                                *seen = (*seen).max(last.seq);
                            }
                        }
                        ServerMsg::Ack { client_id, .. } => {
                            self.unacked.retain(|u| &u.client_id != client_id);
                        }
                        ServerMsg::Error {
                            code: ErrorCode::Busy,
                            req: Some(req),
                            ..
                        } => {
                            self.busy.push(*req);
                            self.retry_at
                                .get_or_insert(tokio::time::Instant::now() + RETRY_EVERY);
                        }
                        _ => {}
                    }
                    return Some(msg);
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    self.ws = None;
                    return None;
                }
            }
        }
    }

    /// Connects again, to its own node first, for up to a minute; then resends what waits.
    pub async fn reconnect(&mut self) -> Result<(), String> {
        self.ws = None;
        if self
            .opened
            .is_some_and(|at| at.elapsed() < Duration::from_secs(1))
        {
            tokio::time::sleep(RETRY_EVERY).await;
        }
        let started = Instant::now();
        let mut attempt = 0usize;
        let mut last_error = String::new();
        while started.elapsed() < RECONNECT_FOR {
            let addr = self.addrs[attempt % self.addrs.len()];
            attempt += 1;
            let resume = self
                .seen
                .iter()
                .map(|(interaction, after)| Resume {
                    interaction: interaction.clone(),
                    after: *after,
                })
                .collect();
            match connect(addr, &self.token, resume).await {
                Ok(ws) => {
                    if self.opened.is_some() {
                        self.stats.reconnected();
                    }
                    self.ws = Some(ws);
                    self.opened = Some(Instant::now());
                    self.busy.clear();
                    for u in self.unacked.clone() {
                        self.send_frame(u.frame).await;
                    }
                    if self.ws.is_some() {
                        return Ok(());
                    }
                }
                Err(e) => last_error = e,
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
        Err(format!("could not reconnect: {last_error}"))
    }
}
