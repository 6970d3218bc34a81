//! The hub's inbox and the handle everything else talks to it through.

use super::{Access, ConnId, Joined, NewChat, Outbox, Registered, StartError};
use crate::edge::Edges;
use crate::engine::{Actor, Refusal};
use crate::store::Store;
use parley_protocol::{ErrorCode, InteractionId, Request, Seq};
use tokio::sync::{mpsc, oneshot};

/// What the writer's inbox takes (from this node's edges, or from other nodes through
/// `cluster::link`).
pub(crate) enum HubMsg {
    Join {
        conn: ConnId,
        actor: Actor,
        /// The client instance its `hello` named.
        client: Option<String>,
        reply: oneshot::Sender<Option<Registered>>,
    },
    Command {
        conn: ConnId,
        actor: Actor,
        request: Request,
    },
    Gone {
        conn: ConnId,
    },
    StartChat {
        chat: NewChat,
        reply: oneshot::Sender<Result<(InteractionId, String), StartError>>,
    },
    /// Who a token is, and what it may read of the interaction now.
    PostFile {
        actor: Actor,
        interaction: InteractionId,
        file: parley_protocol::FileRef,
        reply: oneshot::Sender<Result<Seq, Refusal>>,
    },
    Tick,
    /// A host system's call through `/api/v1`.
    Host {
        call: super::host::HostCall,
        reply: oneshot::Sender<super::host::HostAnswer>,
    },
    /// How many connections are registered.
    Connections(oneshot::Sender<usize>),
    /// This node is no longer the writer: the hub ends.
    Stop,
    /// A node starting afresh asks for every interaction's readers (published on the bus).
    Resync,
}

/// A cheap, cloneable way to talk to the hub task.
#[derive(Clone)]
pub struct HubHandle {
    pub(super) tx: mpsc::Sender<HubMsg>,
    /// This node's connections, and its read model of who may read what (read here, never
    /// through the inbox).
    pub(super) edges: Edges,
    /// Where this node announces what every node must act on at once (the end of an agent
    /// session): its own connections alone, or the cluster's bus.
    announce: std::sync::Arc<dyn crate::edge::Bus>,
}

/// How many messages may wait for the hub. Commands beyond it are refused as `busy` at once;
/// everything else (hello, closing connections, HTTP) waits for room.
pub const INBOX: usize = 4096;

/// Why a connection could not join.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotJoined {
    /// The writer does not know the actor (an agent no longer in the configuration).
    Unknown,
    /// No writer answered (it is stopping, or changing over to another node).
    NoWriter,
}

/// The hub's inbox is full: the command was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy;

impl HubHandle {
    /// A handle whose messages go into this inbox (the hub's own, or a cluster node's link to
    /// wherever the writer is), for a node with these connections.
    pub(crate) fn new(tx: mpsc::Sender<HubMsg>, edges: Edges) -> Self {
        let announce = std::sync::Arc::new(edges.clone());
        Self {
            tx,
            edges,
            announce,
        }
    }

    /// The same handle announcing on `bus` (a cluster node's, which every node hears).
    pub(crate) fn announcing_on(self, bus: std::sync::Arc<dyn crate::edge::Bus>) -> Self {
        Self {
            announce: bus,
            ..self
        }
    }

    /// An agent session ended: every connection signed in with it closes, on every node.
    pub fn end_session(&self, session_hash: &str) {
        self.announce.publish(crate::edge::Delivery::SessionEnded {
            session: session_hash.to_owned(),
        });
    }

    /// Where this handle's messages go.
    pub(crate) fn inbox(&self) -> mpsc::Sender<HubMsg> {
        self.tx.clone()
    }

    /// This node's connections.
    pub fn edges(&self) -> &Edges {
        &self.edges
    }

    /// Registers a connection of an authenticated actor with this node's edges, then with the
    /// writer (see [`super::Hub::join`]). On an error the connection is not registered.
    pub async fn join(
        &self,
        conn: ConnId,
        actor: Actor,
        client: Option<String>,
        outbox: Outbox,
    ) -> Result<Joined, NotJoined> {
        self.edges.register(conn, actor.clone(), outbox);
        let (reply, rx) = oneshot::channel();
        let join = HubMsg::Join {
            conn,
            actor,
            client,
            reply,
        };
        let joined = match self.tx.send(join).await {
            Ok(()) => match rx.await {
                // A writer that another has replaced since: join that one.
                Ok(Some(r)) if !self.edges.registered(conn, r.epoch) => Err(NotJoined::NoWriter),
                Ok(Some(r)) => Ok(r.joined),
                Ok(None) => Err(NotJoined::Unknown),
                Err(_) => Err(NotJoined::NoWriter),
            },
            Err(_) => return Err(self.not_joined(conn, NotJoined::NoWriter)),
        };
        joined.map_err(|not| {
            // The join was sent: a writer may still take it (it waited too long in a backlog),
            // and must then hear that this connection is gone. After the join, in order.
            let _ = self.tx.try_send(HubMsg::Gone { conn });
            self.not_joined(conn, not)
        })
    }

    fn not_joined(&self, conn: ConnId, not: NotJoined) -> NotJoined {
        self.edges.unregister(conn);
        not
    }

    /// Passes an authenticated connection's command on, unless the hub's inbox is full.
    pub fn command(&self, conn: ConnId, actor: Actor, request: Request) -> Result<(), Busy> {
        let command = HubMsg::Command {
            conn,
            actor,
            request,
        };
        metrics::counter!("parley_commands_total").increment(1);
        metrics::gauge!("parley_writer_inbox")
            .set((self.tx.max_capacity() - self.tx.capacity()) as f64);
        match self.tx.try_send(command) {
            Err(mpsc::error::TrySendError::Full(_)) => {
                metrics::counter!("parley_busy_total").increment(1);
                Err(Busy)
            }
            // A hub that stopped takes nothing: the server is stopping.
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => Ok(()),
        }
    }

    /// The connection closed (never dropped: the writer must forget the connection).
    pub async fn gone(&self, conn: ConnId) {
        self.edges.unregister(conn);
        let _ = self.tx.send(HubMsg::Gone { conn }).await;
    }

    /// What an actor may read of an interaction now, from the read model the writer keeps
    /// (no round trip through the inbox).
    pub fn access(&self, actor: &Actor, interaction: &InteractionId) -> Access {
        self.edges
            .rights()
            .access(actor, interaction)
            .unwrap_or(Access::None)
    }

    /// Whether the writer (this process's hub, or the cluster's writer through the link)
    /// answers within `wait`.
    pub async fn writer_answers(&self, wait: std::time::Duration) -> bool {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(HubMsg::Connections(reply)).await.is_err() {
            return false;
        }
        matches!(tokio::time::timeout(wait, rx).await, Ok(Ok(_)))
    }

    /// How many connections the hub delivers to now.
    pub async fn connections(&self) -> usize {
        let (reply, rx) = oneshot::channel();
        let _ = self.tx.send(HubMsg::Connections(reply)).await;
        rx.await.unwrap_or(0)
    }

    /// Starts a chat; returns its id and the contact's token.
    pub async fn start_chat(&self, chat: NewChat) -> Result<(InteractionId, String), StartError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(HubMsg::StartChat { chat, reply })
            .await
            .map_err(|_| StartError::Gone)?;
        rx.await.map_err(|_| StartError::Gone)?
    }

    /// A host system's call, answered by the writer (`None`: no writer answered).
    pub async fn host(&self, call: super::host::HostCall) -> Option<super::host::HostAnswer> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(HubMsg::Host { call, reply }).await.ok()?;
        rx.await.ok()
    }

    /// Who holds this token, and what it may read of the interaction now. `None`: nobody (or
    /// an agent no longer in the configuration). The token is checked here, on the caller's
    /// task, not in the hub.
    pub async fn authorize(
        &self,
        store: &dyn Store,
        token: String,
        interaction: InteractionId,
    ) -> Option<(Actor, Access)> {
        let actor = crate::reads::authenticate(store, &token).await.ok()??;
        let access = self.edges.rights().access(&actor, &interaction)?;
        Some((actor, access))
    }

    /// Puts a stored file into the chat; the event's sequence number, or why not (with the
    /// reason the apps say in the uploader's language).
    pub async fn post_file(
        &self,
        actor: Actor,
        interaction: InteractionId,
        file: parley_protocol::FileRef,
    ) -> Result<Seq, Refusal> {
        let (reply, rx) = oneshot::channel();
        let gone = || Refusal::new(ErrorCode::Internal, "the server is stopping");
        self.tx
            .send(HubMsg::PostFile {
                actor,
                interaction,
                file,
                reply,
            })
            .await
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}
