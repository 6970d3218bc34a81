//! The hub: one task that owns the [`Engine`], persists each command's effects in one store
//! transaction, and only then delivers them to the connections allowed to see them.
//!
//! Commands are processed one at a time, so the engine needs no locks and every connection sees
//! the events of an interaction in sequence order. A connection registers in the same step that
//! reads what the engine holds for it, and its outbox holds what is delivered from then on until
//! the edge has sent what it missed, so no event falls between its resume and its live feed.
//! Reads never come here (`older`, `earlier`, `history`, a chat's window, file downloads): the
//! edge answers them (`reads.rs`) after checking the read model of rights the writer keeps
//! (`access.rs`).
//!
//! - [`handle`]: the bounded inbox and the [`HubHandle`] everything else sends through.
//! - [`connections`]: tokens, `hello` with its resume, a connection's going.
//! - [`host`]: what a host system asks of the writer through `/api/v1`.
//! - [`writer`]: a command through the engine, committed, then delivered; a failed commit
//!   reloads what it touched.

use crate::config::Config;
use crate::edge::{Bus, Lease, Ports, Presence};
use crate::engine::{Actor, Command, ContactInfo, Effect, Engine, Refusal};
use crate::now_ms;
use crate::store::{Store, StoreError, Write};
use parley_protocol::{ErrorCode, InteractionId, QueueId, Seq};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Identifies one WebSocket connection.
pub type ConnId = u64;

pub use crate::access::Access;
pub use crate::outbox::Outbox;
pub use handle::{Busy, HubHandle, NotJoined, INBOX};
pub(crate) use writer::may_see;

pub(crate) use handle::HubMsg;

mod connections;
mod desktops;
mod handle;
pub mod host;
mod requests;
#[cfg(test)]
pub(crate) mod tests;
mod writer;

/// How many open chats a restart reads from the store at a time.
const RESTORE_PAGE: u32 = 200;

/// How often offer time-outs and routing retries are checked.
const TICK: Duration = Duration::from_millis(500);

/// A chat could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Refused(String),
    #[error("the server is shutting down")]
    Gone,
    #[error("the chat could not be stored")]
    NotStored,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The connection a command came from, and the request id it gave: every reply and refusal
/// goes back there, naming the request.
#[derive(Clone, Copy, Debug)]
struct Issuer {
    conn: ConnId,
    req: Option<u64>,
}

/// What the engine holds for a connection that joined: the edge sends it, with what the
/// connection missed, before anything delivered since.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum Joined {
    Agent(Box<AgentJoined>),
    Contact { interaction: InteractionId },
}

/// What the engine holds for an agent's new connection.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AgentJoined {
    pub me: parley_protocol::Identity,
    pub settings: parley_protocol::AgentSettings,
    /// The agent's chats, each with the last event it may read (`None`: all).
    pub chats: Vec<(parley_protocol::InteractionSummary, Option<Seq>)>,
    pub invitations: Vec<parley_protocol::Invitation>,
    pub presence: Vec<parley_protocol::AgentPresence>,
    /// The agent's desktop in use (the `client` of its `hello`).
    #[serde(default)]
    pub desktop: Option<String>,
}

/// A connection the writer of lease epoch `epoch` registered, and what it holds for it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Registered {
    pub epoch: i64,
    pub joined: Joined,
}

/// What a contact's pre-chat form starts.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct NewChat {
    pub contact: ContactInfo,
    pub queue: Option<QueueId>,
    pub text: Option<String>,
    pub case_data: BTreeMap<String, String>,
}

struct Hub<S> {
    engine: Engine,
    store: S,
    config: Arc<Config>,
    /// The connections of every node, by id (the edges hold them; deliveries go through `bus`).
    conns: HashMap<ConnId, Actor>,
    /// The client instance each connection's `hello` named, if it did.
    clients: HashMap<ConnId, String>,
    /// Each agent's desktop in use.
    desktops: desktops::Desktops,
    /// The requests acted on lately, by client instance and request id.
    requests: requests::Requests,
    bus: Arc<dyn Bus>,
    presence: Arc<dyn Presence>,
    lease: Arc<dyn Lease>,
    /// The lease epoch this hub writes in: each connection it registers is told.
    epoch: i64,
    /// Interactions whose commit failed and whose stored state could not be read back yet: out
    /// of the engine until the next tick reads them.
    stale: BTreeSet<InteractionId>,
    /// The readers each node's read model was last told of, per interaction.
    published: BTreeMap<InteractionId, Vec<(parley_protocol::AgentId, Option<Seq>)>>,
}

/// Restores the engine from the store and starts the hub task, with one process's ports.
pub async fn start<S: Store + Clone>(
    config: Arc<Config>,
    store: S,
) -> Result<HubHandle, StoreError> {
    start_with(config, store, Ports::default()).await
}

/// [`start`] with these ports.
pub async fn start_with<S: Store + Clone>(
    config: Arc<Config>,
    store: S,
    ports: Ports,
) -> Result<HubHandle, StoreError> {
    let mut engine = Engine::new(&config);
    engine.set_invitation_epoch(&crate::auth::new_token()[..16]);
    // Agents keep the status they chose across a restart or a change of writer.
    for (agent, status) in store.agent_statuses().await? {
        engine.restore_status(&agent, status, now_ms());
    }
    // A command acted on before is not acted on again when it is sent again.
    let requests =
        requests::Requests::restored(store.requests_since(now_ms() - requests::KEEP_MS).await?);
    let mut after: Option<InteractionId> = None;
    loop {
        let page = store
            .open_interactions(after.as_ref(), RESTORE_PAGE)
            .await?;
        let full = page.len() == RESTORE_PAGE as usize;
        for (record, events) in page {
            let id = record.id.clone();
            engine.restore(record, &events);
            after = Some(id);
        }
        if !full {
            break;
        }
    }
    // The same offers to the same agents, until the same time; one that no longer fits the
    // chat is dropped and the chat routed afresh.
    for (interaction, offer) in store.open_offers().await? {
        if !engine.restore_offer(&interaction, offer) {
            tracing::info!("the stored offer of {interaction} no longer holds; routing it afresh");
        }
    }
    let (tx, mut rx) = mpsc::channel(INBOX);
    let ticker = tx.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(TICK);
        loop {
            interval.tick().await;
            // A full inbox skips a tick: the next one catches up on the timers.
            if let Err(mpsc::error::TrySendError::Closed(_)) = ticker.try_send(HubMsg::Tick) {
                break;
            }
        }
    });
    let most = config.server.commit_group.max(1);
    let Ports {
        edges,
        bus,
        presence,
        lease,
    } = ports;
    edges
        .rights()
        .know_agents(config.agents.iter().map(|a| a.id.clone()));
    let handle = HubHandle::new(tx, edges);
    let mut hub = Hub {
        engine,
        store,
        config,
        conns: HashMap::new(),
        clients: HashMap::new(),
        desktops: Default::default(),
        requests,
        bus,
        presence,
        epoch: lease.epoch(),
        lease,
        stale: BTreeSet::new(),
        published: BTreeMap::new(),
    };
    hub.publish_all_rights();
    // The writer alone sends webhooks, while it writes.
    let senders = crate::webhooks::start(&hub.config.webhooks, hub.store.clone());
    tokio::spawn(async move {
        let _senders = senders;
        // Commands that are waiting together are carried out together and committed in one
        // transaction; anything else waits for the group to finish.
        let mut next = None;
        loop {
            let msg = match next.take() {
                Some(msg) => msg,
                None => match rx.recv().await {
                    Some(msg) => msg,
                    None => break,
                },
            };
            let mut group = match msg {
                HubMsg::Command {
                    conn,
                    actor,
                    request,
                } => vec![(conn, actor, request)],
                HubMsg::Stop => break,
                other => {
                    hub.on(other).await;
                    continue;
                }
            };
            while group.len() < most {
                match rx.try_recv() {
                    Ok(HubMsg::Command {
                        conn,
                        actor,
                        request,
                    }) => group.push((conn, actor, request)),
                    Ok(other) => {
                        next = Some(other);
                        break;
                    }
                    Err(_) => break,
                }
            }
            let group = group
                .into_iter()
                .map(|(conn, actor, request)| {
                    let issuer = Issuer {
                        conn,
                        req: request.req,
                    };
                    (issuer, actor, request.msg)
                })
                .collect();
            hub.commands(group).await;
        }
    });
    Ok(handle)
}

impl<S: Store> Hub<S> {
    async fn on(&mut self, msg: HubMsg) {
        match msg {
            HubMsg::Join {
                conn,
                actor,
                client,
                reply,
            } => {
                let joined = self.join(conn, actor, client).await;
                let epoch = self.epoch;
                let _ = reply.send(joined.map(|joined| Registered { epoch, joined }));
            }
            HubMsg::Command {
                conn,
                actor,
                request,
            } => {
                let to = Issuer {
                    conn,
                    req: request.req,
                };
                self.commands(vec![(to, actor, request.msg)]).await
            }
            HubMsg::Gone { conn } => self.gone(conn).await,
            // Unanswered while the bus is down: this writer is not ready.
            HubMsg::Connections(reply) => {
                if self.bus.healthy() {
                    let _ = reply.send(self.conns.len());
                }
            }
            HubMsg::StartChat { chat, reply } => {
                let _ = reply.send(self.start_chat(chat).await);
            }
            HubMsg::PostFile {
                actor,
                interaction,
                file,
                reply,
            } => {
                let now = now_ms();
                let command = Command::PostFile {
                    from: actor,
                    interaction: interaction.clone(),
                    file: file.clone(),
                };
                let not_sent = || Refusal::new(ErrorCode::Internal, "the file was not sent");
                let effects = match self.engine.handle(command, now) {
                    Ok(effects) => effects,
                    Err(refusal) => {
                        let _ = reply.send(Err(refusal));
                        return;
                    }
                };
                let posted = effects
                    .iter()
                    .find_map(|e| match e {
                        Effect::Append { event, .. } => Some(event.seq),
                        _ => None,
                    })
                    .ok_or_else(not_sent);
                // The file's record commits with its event: never one without the other.
                let record = match posted {
                    Ok(seq) => vec![Write::File {
                        interaction,
                        file,
                        seq,
                        at: now,
                    }],
                    Err(_) => Vec::new(),
                };
                let committed = self.apply_with(None, effects, record).await;
                let _ = reply
                    .send(posted.and_then(|seq| committed.then_some(seq).ok_or_else(not_sent)));
            }
            HubMsg::Host { call, reply } => {
                let _ = reply.send(self.host_call(call).await);
            }
            HubMsg::Stop => {}
            HubMsg::Resync => self.publish_all_rights(),
            HubMsg::Tick => {
                self.gauges();
                self.reload_stale().await;
                self.forget_old_requests().await;
                self.run(None, Command::Tick).await
            }
        }
    }
}
