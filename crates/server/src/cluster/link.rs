//! From every node's edges to the writer, wherever it runs.
//!
//! A node's [`HubHandle`](crate::hub::HubHandle) sends into its link. While this node holds the
//! writer's lease, the link hands messages to its own hub; otherwise it pushes them onto a Redis
//! list, the writer's inbox (`{namespace}:w3:writer`), which the writer node pops ([`serve`]). A
//! list keeps what was pushed while no node was writing (a failover), so the next writer takes
//! it. Answers the caller waits for (a join, a chat start, a file) come back on the node's own
//! channel (`{namespace}:w3:node:{node}`); one that does not come within [`ANSWER_WAIT`] is given
//! up, and the caller sees the writer as gone (its client retries). Commands are answered
//! through the bus, like every delivery.

use super::presence::Holders;
use crate::edge::{Bus, Delivery, Edges};
use crate::engine::{Actor, Refusal};
use crate::hub::host::{HostAnswer, HostCall};
use crate::hub::{ConnId, HubMsg, NewChat, Registered, StartError};
use futures::StreamExt;
use parley_protocol::{
    ClientMsg, ErrorCode, FileRef, InteractionId, Reason, Request, Seq, ServerMsg,
};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};

/// How long a node waits for the writer's answer.
pub const ANSWER_WAIT: Duration = Duration::from_secs(10);

/// How many messages a node's link holds before its callers wait.
const LINK_QUEUE: usize = 4096;

/// How long the writer's inbox in Redis may grow (while the writer catches up after a
/// failover, say) before nodes answer new commands `busy` instead of pushing them.
pub const WRITER_BACKLOG: usize = 65_536;

/// How long the writer waits on an empty inbox before it checks it is still the writer.
const POP_WAIT: Duration = Duration::from_secs(1);

/// How many messages the writer takes off its inbox at a time.
const TAKE: usize = 256;

/// The writer's inbox in Redis.
pub fn inbox(namespace: &str) -> String {
    super::key(namespace, "writer")
}

fn answers(namespace: &str, node: &str) -> String {
    super::key(namespace, &format!("node:{node}"))
}

/// A message for the writer, as it travels between nodes.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    from: String,
    id: u64,
    msg: ToWriter,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ToWriter {
    Join {
        conn: ConnId,
        actor: Actor,
        #[serde(default)]
        client: Option<String>,
    },
    /// A command, as the client framed it (with its request id).
    Command {
        conn: ConnId,
        actor: Actor,
        frame: String,
    },
    Gone {
        conn: ConnId,
    },
    StartChat {
        chat: NewChat,
    },
    PostFile {
        actor: Actor,
        interaction: InteractionId,
        file: FileRef,
    },
    Connections,
    Resync,
    Host {
        call: HostCall,
    },
}

/// The writer's answer to a message that waits for one.
#[derive(Debug, Serialize, Deserialize)]
struct Answer {
    id: u64,
    answer: Answered,
    /// Why a file was not posted ([`Reason::key`]), beside `answer`'s code and English text:
    /// a field of its own, which a node of the previous release skips, and read as text, so a
    /// key only a newer release knows costs the reason, not the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answered {
    Joined(Option<Registered>),
    Started(Result<(InteractionId, String), Option<String>>),
    Posted(PostedOnWire),
    Connections(usize),
    Host(HostAnswer),
}

/// A file's posting as the link carries it: the code and English text in the answer as a node
/// of the previous release reads it, the reason beside it (see [`Answer::reason`]).
type PostedOnWire = Result<Seq, (ErrorCode, String)>;

fn posted_to_wire(posted: Result<Seq, Refusal>) -> (PostedOnWire, Option<Reason>) {
    match posted {
        Ok(seq) => (Ok(seq), None),
        Err(refusal) => (Err((refusal.code, refusal.reason)), refusal.why),
    }
}

fn posted_from_wire(posted: PostedOnWire, reason: Option<&str>) -> Result<Seq, Refusal> {
    posted.map_err(|(code, reason_text)| Refusal {
        code,
        reason: reason_text,
        why: reason.and_then(Reason::from_key),
    })
}

/// A caller waiting for the writer's answer.
enum Waiting {
    Join(oneshot::Sender<Option<Registered>>),
    Start(oneshot::Sender<Result<(InteractionId, String), StartError>>),
    Post(oneshot::Sender<Result<Seq, Refusal>>),
    Connections(oneshot::Sender<usize>),
    Host(oneshot::Sender<HostAnswer>),
}

impl Waiting {
    fn answer(self, answered: Answered, reason: Option<&str>) {
        match (self, answered) {
            (Waiting::Join(tx), Answered::Joined(joined)) => {
                let _ = tx.send(joined);
            }
            (Waiting::Start(tx), Answered::Started(started)) => {
                let _ = tx.send(started.map_err(|refused| match refused {
                    Some(reason) => StartError::Refused(reason),
                    None => StartError::NotStored,
                }));
            }
            (Waiting::Post(tx), Answered::Posted(posted)) => {
                let _ = tx.send(posted_from_wire(posted, reason));
            }
            (Waiting::Connections(tx), Answered::Connections(n)) => {
                let _ = tx.send(n);
            }
            (Waiting::Host(tx), Answered::Host(answer)) => {
                let _ = tx.send(answer);
            }
            _ => tracing::error!("link: an answer of the wrong kind"),
        }
    }
}

/// Splits a message into what travels and who waits for the answer (`None`: a message this
/// node's link never forwards).
fn outgoing(msg: HubMsg) -> Option<(ToWriter, Option<Waiting>)> {
    Some(match msg {
        HubMsg::Join {
            conn,
            actor,
            client,
            reply,
        } => (
            ToWriter::Join {
                conn,
                actor,
                client,
            },
            Some(Waiting::Join(reply)),
        ),
        HubMsg::Command {
            conn,
            actor,
            request,
        } => {
            let frame = match request.req {
                Some(req) => request.msg.to_frame_with(req),
                None => request.msg.to_frame(),
            };
            (ToWriter::Command { conn, actor, frame }, None)
        }
        HubMsg::Gone { conn } => (ToWriter::Gone { conn }, None),
        HubMsg::StartChat { chat, reply } => {
            (ToWriter::StartChat { chat }, Some(Waiting::Start(reply)))
        }
        HubMsg::PostFile {
            actor,
            interaction,
            file,
            reply,
        } => (
            ToWriter::PostFile {
                actor,
                interaction,
                file,
            },
            Some(Waiting::Post(reply)),
        ),
        HubMsg::Connections(reply) => (ToWriter::Connections, Some(Waiting::Connections(reply))),
        HubMsg::Resync => (ToWriter::Resync, None),
        HubMsg::Host { call, reply } => (ToWriter::Host { call }, Some(Waiting::Host(reply))),
        HubMsg::Tick | HubMsg::Stop => return None,
    })
}

/// Where this node's messages for the writer go: its own hub's inbox while it is the writer.
pub(crate) type LocalWriter = watch::Receiver<Option<mpsc::Sender<HubMsg>>>;

/// Starts this node's link; its inbox is what the node's `HubHandle` sends into.
pub(crate) async fn start(
    url: &str,
    namespace: &str,
    node: &str,
    edges: Edges,
    local: LocalWriter,
) -> Result<mpsc::Sender<HubMsg>, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let mut redis = redis::aio::ConnectionManager::new(client.clone()).await?;
    let channel = answers(namespace, node);
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(&channel).await?;
    let waiting: Arc<Mutex<HashMap<u64, (Instant, Waiting)>>> = Arc::default();
    // Answers for this node. One lost while the subscription is down (Redis restarted) leaves
    // its caller to give up after [`ANSWER_WAIT`].
    let answered = waiting.clone();
    let subscriber = client.clone();
    tokio::spawn(async move {
        loop {
            let mut messages = pubsub.into_on_message();
            while let Some(msg) = messages.next().await {
                let Ok(Answer { id, answer, reason }) =
                    serde_json::from_slice(msg.get_payload_bytes())
                else {
                    tracing::error!("link: an unreadable answer");
                    continue;
                };
                let found = answered
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&id);
                if let Some((_, waiting)) = found {
                    waiting.answer(answer, reason.as_deref());
                }
            }
            tracing::warn!("link: the answers' subscription dropped; subscribing again");
            pubsub = super::bus::subscribe_again(&subscriber, &channel).await;
        }
    });
    // Callers waiting too long give up (their oneshot is dropped).
    let expiring = waiting.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            every.tick().await;
            expiring
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|_, (since, _)| since.elapsed() < ANSWER_WAIT);
        }
    });
    let (tx, mut rx) = mpsc::channel::<HubMsg>(LINK_QUEUE);
    let (inbox, node) = (inbox(namespace), node.to_owned());
    let next_id = AtomicU64::new(1);
    tokio::spawn(async move {
        // The inbox's length at the last push: over the limit, commands are refused until it
        // is under again.
        let mut backlog = 0usize;
        while let Some(msg) = rx.recv().await {
            let writer = local.borrow().clone();
            if let Some(writer) = writer {
                hand_over(&writer, msg).await;
                continue;
            }
            let Some((msg, waits)) = outgoing(msg) else {
                continue;
            };
            let id = next_id.fetch_add(1, Ordering::Relaxed);
            let busy_conn = match &msg {
                ToWriter::Command { conn, frame, .. } => Some((*conn, request_id(frame))),
                _ => None,
            };
            // Over the limit, commands are answered `busy` and joins and probes are not sent
            // (their callers see no writer, and retry); `gone` always goes.
            let limited = !matches!(msg, ToWriter::Gone { .. });
            if limited && backlog > WRITER_BACKLOG {
                backlog = redis.llen(&inbox).await.unwrap_or(backlog);
                if backlog > WRITER_BACKLOG {
                    metrics::counter!("parley_busy_total").increment(1);
                    if let Some((conn, req)) = busy_conn {
                        edges.publish(busy(conn, req));
                    }
                    continue;
                }
            }
            if let Some(waits) = waits {
                waiting
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(id, (Instant::now(), waits));
            }
            let envelope = Envelope {
                from: node.clone(),
                id,
                msg,
            };
            let pushed = match serde_json::to_vec(&envelope) {
                Ok(bytes) => match redis.lpush::<_, _, usize>(&inbox, bytes).await {
                    Ok(length) => {
                        backlog = length;
                        true
                    }
                    Err(_) => false,
                },
                Err(_) => false,
            };
            if !pushed {
                tracing::warn!("link: the writer's inbox could not be reached");
                waiting
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&id);
                if let Some((conn, req)) = busy_conn {
                    edges.publish(busy(conn, req));
                }
            }
        }
    });
    Ok(tx)
}

/// The request id of a framed command (for answering it `busy`).
fn request_id(frame: &str) -> Option<u64> {
    ClientMsg::parse_request(frame).ok().and_then(|r| r.req)
}

fn busy(conn: ConnId, req: Option<u64>) -> Delivery {
    let msg = ServerMsg::error(ErrorCode::Busy, "the server is busy; try again").answering(req);
    Delivery::Conn { conn, msg }
}

/// Gives a message to this node's own hub, waiting while its inbox is full: what waits behind
/// it waits in the link's queue (bounded: callers are answered `busy` when it is full) or in
/// Redis (bounded by [`WRITER_BACKLOG`]). What was accepted is not refused later.
async fn hand_over(writer: &mpsc::Sender<HubMsg>, msg: HubMsg) {
    let _ = writer.send(msg).await;
}

/// The writer's side: while this node writes, takes the messages other nodes pushed onto the
/// writer's inbox, hands them to its hub and sends the answers back; the connections of a node
/// that stopped beating are gone ([`super::presence`]). Ends when `hub` closes.
pub(crate) async fn serve(
    url: &str,
    namespace: &str,
    hub: mpsc::Sender<HubMsg>,
    holders: &mut Holders,
) -> Result<(), redis::RedisError> {
    let client = redis::Client::open(url)?;
    // A blocking pop needs a connection of its own, which waits longer than the pop does.
    let waits = redis::AsyncConnectionConfig::new().set_response_timeout(Some(POP_WAIT * 4));
    let mut popping = client
        .get_multiplexed_async_connection_with_config(&waits)
        .await?;
    let mut answering = redis::aio::ConnectionManager::new(client).await?;
    let inbox = inbox(namespace);
    while !hub.is_closed() {
        let first: Option<(String, Vec<u8>)> =
            popping.brpop(&inbox, POP_WAIT.as_secs_f64()).await?;
        if let Some((_, first)) = first {
            let more: Option<Vec<Vec<u8>>> = popping
                .rpop(&inbox, std::num::NonZeroUsize::new(TAKE - 1))
                .await?;
            for bytes in std::iter::once(first).chain(more.into_iter().flatten()) {
                let envelope: Envelope = match serde_json::from_slice(&bytes) {
                    Ok(envelope) => envelope,
                    Err(e) => {
                        tracing::error!("link: an unreadable message for the writer: {e}");
                        continue;
                    }
                };
                match &envelope.msg {
                    ToWriter::Join { conn, .. } => holders.joined(&envelope.from, *conn),
                    ToWriter::Gone { conn } => holders.gone(*conn),
                    _ => {}
                }
                take(envelope, &hub, &answering, namespace).await;
            }
        }
        for conn in holders.of_dead_nodes(&mut answering, namespace).await {
            let _ = hub.send(HubMsg::Gone { conn }).await;
        }
    }
    Ok(())
}

/// Where the answer to one message goes.
struct Replier {
    redis: redis::aio::ConnectionManager,
    to: String,
    id: u64,
}

impl Replier {
    async fn send(self, answer: Answered) {
        self.send_with(answer, None).await
    }

    /// [`Replier::send`] with the reason of a refusal.
    async fn send_with(mut self, answer: Answered, reason: Option<Reason>) {
        let answer = Answer {
            id: self.id,
            answer,
            reason: reason.map(|r| r.key().to_owned()),
        };
        if let Ok(bytes) = serde_json::to_vec(&answer) {
            if let Err(e) = self.redis.publish::<_, _, ()>(&self.to, bytes).await {
                tracing::warn!("link: an answer to {} was lost: {e}", self.to);
            }
        }
    }
}

/// One message from another node, handed to the hub; its answer goes back to that node.
async fn take(
    envelope: Envelope,
    hub: &mpsc::Sender<HubMsg>,
    answering: &redis::aio::ConnectionManager,
    namespace: &str,
) {
    let Envelope { from, id, msg } = envelope;
    let answer = Replier {
        redis: answering.clone(),
        to: answers(namespace, &from),
        id,
    };
    match msg {
        ToWriter::Command { conn, actor, frame } => match ClientMsg::parse_request(&frame) {
            Ok(request) => {
                let request = Request {
                    msg: request.msg,
                    req: request.req,
                };
                hand_over(
                    hub,
                    HubMsg::Command {
                        conn,
                        actor,
                        request,
                    },
                )
                .await
            }
            Err(e) => tracing::error!("link: a forwarded command did not parse: {e:?}"),
        },
        ToWriter::Gone { conn } => {
            let _ = hub.send(HubMsg::Gone { conn }).await;
        }
        ToWriter::Resync => {
            let _ = hub.send(HubMsg::Resync).await;
        }
        ToWriter::Join {
            conn,
            actor,
            client,
        } => {
            let (reply, rx) = oneshot::channel();
            let join = HubMsg::Join {
                conn,
                actor,
                client,
                reply,
            };
            if hub.send(join).await.is_ok() {
                tokio::spawn(async move {
                    answer.send(Answered::Joined(rx.await.ok().flatten())).await;
                });
            }
        }
        ToWriter::StartChat { chat } => {
            let (reply, rx) = oneshot::channel();
            if hub.send(HubMsg::StartChat { chat, reply }).await.is_ok() {
                tokio::spawn(async move {
                    let started = match rx.await {
                        Ok(Ok(started)) => Ok(started),
                        Ok(Err(StartError::Refused(reason))) => Err(Some(reason)),
                        _ => Err(None),
                    };
                    answer.send(Answered::Started(started)).await;
                });
            }
        }
        ToWriter::PostFile {
            actor,
            interaction,
            file,
        } => {
            let (reply, rx) = oneshot::channel();
            let post = HubMsg::PostFile {
                actor,
                interaction,
                file,
                reply,
            };
            if hub.send(post).await.is_ok() {
                tokio::spawn(async move {
                    let gone = Refusal::new(ErrorCode::Internal, "the server is stopping");
                    let (posted, why) = posted_to_wire(rx.await.unwrap_or(Err(gone)));
                    answer.send_with(Answered::Posted(posted), why).await;
                });
            }
        }
        ToWriter::Host { call } => {
            let (reply, rx) = oneshot::channel();
            if hub.send(HubMsg::Host { call, reply }).await.is_ok() {
                tokio::spawn(async move {
                    if let Ok(answered) = rx.await {
                        answer.send(Answered::Host(answered)).await;
                    }
                });
            }
        }
        ToWriter::Connections => {
            let (reply, rx) = oneshot::channel();
            if hub.send(HubMsg::Connections(reply)).await.is_ok() {
                // No answer while the writer's bus is down: then no node is ready.
                tokio::spawn(async move {
                    if let Ok(n) = rx.await {
                        answer.send(Answered::Connections(n)).await;
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer as a node of the previous release writes and reads it.
    #[derive(Debug, Serialize, Deserialize)]
    struct PreviousAnswer {
        id: u64,
        answer: Answered,
    }

    fn refused_post(why: Option<Reason>) -> Answer {
        let refusal = Refusal {
            code: ErrorCode::TooLarge,
            reason: "this chat holds as many files as it may".to_owned(),
            why,
        };
        let (posted, why) = posted_to_wire(Err(refusal));
        Answer {
            id: 7,
            answer: Answered::Posted(posted),
            reason: why.map(|r| r.key().to_owned()),
        }
    }

    fn read_post(json: &[u8]) -> Result<Seq, Refusal> {
        let Answer { answer, reason, .. } = serde_json::from_slice(json).expect("an answer");
        let Answered::Posted(posted) = answer else {
            panic!("not a post's answer");
        };
        posted_from_wire(posted, reason.as_deref())
    }

    #[test]
    fn a_refused_post_keeps_its_reason_across_the_link() {
        let json = serde_json::to_vec(&refused_post(Some(Reason::FilesFull))).expect("json");
        let refusal = read_post(&json).expect_err("refused");
        assert_eq!(refusal.code, ErrorCode::TooLarge);
        assert_eq!(refusal.why, Some(Reason::FilesFull));
        assert_eq!(refusal.reason, "this chat holds as many files as it may");
        // A posted file's answer carries no reason at all.
        let (posted, why) = posted_to_wire(Ok(12));
        assert_eq!((posted, why), (Ok(12), None));
    }

    #[test]
    fn nodes_of_the_previous_release_read_and_write_post_answers() {
        // The previous release reads the new answer, reason and all.
        let json = serde_json::to_vec(&refused_post(Some(Reason::ChatEnded))).expect("json");
        let old: PreviousAnswer = serde_json::from_slice(&json).expect("read by the previous");
        assert!(matches!(
            old.answer,
            Answered::Posted(Err((ErrorCode::TooLarge, _)))
        ));
        // Its answers, without a reason, read here as a refusal without one.
        let previous = PreviousAnswer {
            id: 7,
            answer: Answered::Posted(Err((ErrorCode::Invalid, "the chat has ended".into()))),
        };
        let json = serde_json::to_vec(&previous).expect("json");
        let refusal = read_post(&json).expect_err("refused");
        assert_eq!((refusal.code, refusal.why), (ErrorCode::Invalid, None));
        // A reason only a newer release knows costs the reason, not the answer.
        let mut newer = refused_post(None);
        newer.reason = Some("a_reason_of_a_newer_release".into());
        let json = serde_json::to_vec(&newer).expect("json");
        let refusal = read_post(&json).expect_err("refused");
        assert_eq!((refusal.code, refusal.why), (ErrorCode::TooLarge, None));
    }
}
