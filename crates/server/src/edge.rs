//! The seams between the writer and the connections, as ports, with the adapters one process
//! needs: the cluster replaces them (PostgreSQL, Redis) without the writer changing.
//!
//! - [`Bus`]: the writer publishes what connections must receive; the edges deliver it.
//! - [`Presence`]: an actor's first and last connection, wherever its connections are.
//! - [`Lease`]: the writer's right to run (one writer at a time).
//!
//! [`Edges`] holds this process's connections and is the in-memory [`Bus`]: it delivers into
//! each connection's bounded outbox, every message encoded once.

use crate::access::Rights;
use crate::engine::Actor;
use crate::hub::ConnId;
use crate::outbox::{Frames, Outbox};
use parley_protocol::{AgentId, Event, InteractionId, InteractionSummary, Seq, ServerMsg};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Something the writer publishes for connections (serialized when it crosses nodes).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// To every connection of these actors.
    Actors { to: Vec<Actor>, msg: ServerMsg },
    /// One event of an interaction, to every connection of these actors.
    Event {
        to: Vec<Actor>,
        interaction: InteractionId,
        event: Event,
    },
    /// To every connected agent.
    Agents(ServerMsg),
    /// To one connection: the answer to its request.
    Conn { conn: ConnId, msg: ServerMsg },
    /// Who may read an interaction now: every node's read model takes it before anything the
    /// same commit delivers.
    Rights {
        interaction: InteractionId,
        readers: Vec<(AgentId, Option<Seq>)>,
    },
    /// The writer of lease epoch `epoch` took over: every connection an older writer
    /// registered joins it afresh (it knows none of them) and resumes. Connections it registered
    /// itself (joins that waited for it during the failover) stay.
    Restart { epoch: i64 },
    /// The writer has registered this connection: what its node holds for it from before
    /// that point is older than what the writer gave it ([`Outbox::mark`]).
    Mark { conn: ConnId },
    /// A chat given to an agent: `opened`, then the chat's latest window (up to `until`), which
    /// each connection of the agent reads for itself ([`Outbox::open`]).
    Open {
        agent: AgentId,
        summary: InteractionSummary,
        until: Option<Seq>,
    },
    /// An agent session ended (logout, or it moved to another window): every connection that
    /// signed in with it closes, on every node. Published by whichever node ended it; nodes of
    /// the release before ignore it (they log an unreadable message).
    SessionEnded { session: String },
}

/// Where the writer publishes deliveries.
pub trait Bus: Send + Sync {
    fn publish(&self, delivery: Delivery);
    /// Whether what is published now reaches the nodes (a writer whose bus is down is not
    /// ready: its deliveries wait to be declared lost).
    fn healthy(&self) -> bool {
        true
    }
}

/// Who is connected: an actor's first connection brings it online, its last takes it off.
pub trait Presence: Send + Sync {
    /// One more connection of the actor; whether it is its first.
    fn connected(&self, actor: &Actor) -> bool;
    /// One connection fewer; whether it was its last.
    fn disconnected(&self, actor: &Actor) -> bool;
}

/// The writer's right to run: a writer that does not hold it takes no commands.
pub trait Lease: Send + Sync {
    fn held(&self) -> bool;
    /// The lease's epoch while held (0: one process, where it never changes).
    fn epoch(&self) -> i64 {
        0
    }
}

/// One process: its writer always holds the lease.
pub struct Sole;

impl Lease for Sole {
    fn held(&self) -> bool {
        true
    }
}

/// Presence counted in this process.
#[derive(Default)]
pub struct LocalPresence(Mutex<HashMap<Actor, usize>>);

impl Presence for LocalPresence {
    fn connected(&self, actor: &Actor) -> bool {
        let mut counts = lock(&self.0);
        let n = counts.entry(actor.clone()).or_default();
        *n += 1;
        *n == 1
    }

    fn disconnected(&self, actor: &Actor) -> bool {
        let mut counts = lock(&self.0);
        match counts.get_mut(actor) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                counts.remove(actor);
                true
            }
            None => false,
        }
    }
}

/// The ports a writer runs with, and this process's connections.
#[derive(Clone)]
pub struct Ports {
    pub edges: Edges,
    pub bus: Arc<dyn Bus>,
    pub presence: Arc<dyn Presence>,
    pub lease: Arc<dyn Lease>,
}

impl Default for Ports {
    /// One process: the bus delivers to its own connections, presence is counted here, and its
    /// writer holds the lease.
    fn default() -> Self {
        let edges = Edges::default();
        Self {
            bus: Arc::new(edges.clone()),
            edges,
            presence: Arc::new(LocalPresence::default()),
            lease: Arc::new(Sole),
        }
    }
}

#[derive(Default)]
struct Registry {
    conns: HashMap<ConnId, (Actor, Outbox)>,
    routes: HashMap<Actor, Vec<ConnId>>,
    /// The lease epoch of the writer that registered each connection (none yet: its join
    /// waits for an answer).
    registered: HashMap<ConnId, i64>,
    /// The newest writer's epoch this node has heard of ([`Delivery::Restart`]).
    epoch: i64,
    /// The agent session (its token's hash) each connection signed in with, and the other way.
    session_of: HashMap<ConnId, String>,
    sessions: HashMap<String, Vec<ConnId>>,
}

/// This process's connections, and who may read what (cheap to clone; clones share them).
#[derive(Clone, Default)]
pub struct Edges {
    registry: Arc<Mutex<Registry>>,
    rights: Rights,
    /// Whether this node has lost its subscription to the bus (it is not ready meanwhile).
    unsubscribed: Arc<std::sync::atomic::AtomicBool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Edges {
    pub fn register(&self, conn: ConnId, actor: Actor, outbox: Outbox) {
        metrics::gauge!("parley_connections", "kind" => kind(&actor)).increment(1.0);
        let mut r = lock(&self.registry);
        r.routes.entry(actor.clone()).or_default().push(conn);
        r.conns.insert(conn, (actor, outbox));
    }

    /// Remembers the agent session (its token's hash) a connection signed in with, so that the
    /// session's end closes it.
    pub fn bind_session(&self, conn: ConnId, session: String) {
        let mut r = lock(&self.registry);
        if !r.conns.contains_key(&conn) {
            return;
        }
        r.sessions.entry(session.clone()).or_default().push(conn);
        r.session_of.insert(conn, session);
    }

    /// The agent sessions (their tokens' hashes) of the connections here.
    pub fn sessions(&self) -> Vec<String> {
        lock(&self.registry).sessions.keys().cloned().collect()
    }

    /// Forgets a connection; whose it was.
    pub fn unregister(&self, conn: ConnId) -> Option<Actor> {
        let mut r = lock(&self.registry);
        r.registered.remove(&conn);
        if let Some(session) = r.session_of.remove(&conn) {
            if let Some(conns) = r.sessions.get_mut(&session) {
                conns.retain(|c| *c != conn);
                if conns.is_empty() {
                    r.sessions.remove(&session);
                }
            }
        }
        let (actor, _) = r.conns.remove(&conn)?;
        metrics::gauge!("parley_connections", "kind" => kind(&actor)).decrement(1.0);
        if let Some(conns) = r.routes.get_mut(&actor) {
            conns.retain(|c| *c != conn);
            if conns.is_empty() {
                r.routes.remove(&actor);
            }
        }
        Some(actor)
    }

    /// The writer of lease epoch `epoch` registered this connection; `false` when a newer
    /// writer has taken over since (the connection must join again).
    pub fn registered(&self, conn: ConnId, epoch: i64) -> bool {
        let mut r = lock(&self.registry);
        if epoch < r.epoch || !r.conns.contains_key(&conn) {
            return false;
        }
        r.registered.insert(conn, epoch);
        true
    }

    pub fn is_open(&self, conn: ConnId) -> bool {
        lock(&self.registry).conns.contains_key(&conn)
    }

    /// This node's subscription to the bus dropped (`true`) or is back.
    pub fn set_unsubscribed(&self, down: bool) {
        self.unsubscribed
            .store(down, std::sync::atomic::Ordering::Release);
    }

    /// Whether deliveries reach this node now.
    pub fn subscribed(&self) -> bool {
        !self.unsubscribed.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Who may read what, as this node knows it.
    pub fn rights(&self) -> &Rights {
        &self.rights
    }

    pub fn count(&self) -> usize {
        lock(&self.registry).conns.len()
    }

    /// Closes every connection here with this code (they reconnect and resume by `seq`): what
    /// they should have been sent may be lost.
    pub fn close_all(&self, code: u16) {
        for (_, outbox) in lock(&self.registry).conns.values() {
            outbox.close(code);
        }
    }
}

/// A connection's kind, for metrics.
fn kind(actor: &Actor) -> &'static str {
    match actor {
        Actor::Agent(_) => "agent",
        Actor::Contact(_) => "contact",
    }
}

impl Bus for Edges {
    fn publish(&self, delivery: Delivery) {
        metrics::counter!("parley_deliveries_total").increment(1);
        let mut r = lock(&self.registry);
        // A connection whose outbox is full is closing; it resumes from the store later.
        match delivery {
            Delivery::Actors { to, msg } => {
                let frames = Frames::new(&msg);
                for conn in to.iter().flat_map(|a| r.routes.get(a)).flatten() {
                    if let Some((_, outbox)) = r.conns.get(conn) {
                        let _ = outbox.send_frames(&frames);
                    }
                }
            }
            Delivery::Event {
                to,
                interaction,
                event,
            } => {
                let (key, seq) = (interaction.clone(), event.seq);
                let msg = ServerMsg::Events {
                    interaction,
                    events: vec![event],
                };
                let frames = Frames::new(&msg);
                for conn in to.iter().flat_map(|a| r.routes.get(a)).flatten() {
                    if let Some((_, outbox)) = r.conns.get(conn) {
                        let _ = outbox.send_event(&frames, &key, seq);
                    }
                }
            }
            Delivery::Agents(msg) => {
                let frames = Frames::new(&msg);
                for (actor, outbox) in r.conns.values() {
                    if matches!(actor, Actor::Agent(_)) {
                        let _ = outbox.send_frames(&frames);
                    }
                }
            }
            Delivery::Conn { conn, msg } => {
                if let Some((_, outbox)) = r.conns.get(&conn) {
                    let _ = outbox.send(msg);
                }
            }
            Delivery::Rights {
                interaction,
                readers,
            } => self.rights.set(&interaction, readers),
            Delivery::Restart { epoch } => {
                r.epoch = r.epoch.max(epoch);
                for (conn, (_, outbox)) in &r.conns {
                    if r.registered.get(conn).is_some_and(|e| *e < epoch) {
                        outbox.close(crate::outbox::SERVICE_RESTART);
                    }
                }
            }
            Delivery::SessionEnded { session } => {
                for conn in r.sessions.get(&session).into_iter().flatten() {
                    if let Some((_, outbox)) = r.conns.get(conn) {
                        outbox.close(crate::outbox::SESSION_ENDED);
                    }
                }
            }
            Delivery::Mark { conn } => {
                if let Some((_, outbox)) = r.conns.get(&conn) {
                    outbox.mark();
                }
            }
            Delivery::Open {
                agent,
                summary,
                until,
            } => {
                let interaction = summary.id.clone();
                let msg = ServerMsg::Opened {
                    interaction: summary,
                };
                let frames = Frames::new(&msg);
                let actor = Actor::Agent(agent);
                for conn in r.routes.get(&actor).into_iter().flatten() {
                    if let Some((_, outbox)) = r.conns.get(conn) {
                        let _ = outbox.open(&frames, interaction.clone(), until);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::{self, Limits};
    use parley_protocol::ErrorCode;

    #[test]
    fn presence_counts_first_and_last_connections() {
        let p = LocalPresence::default();
        let kate = Actor::Agent(AgentId("kate".into()));
        assert!(p.connected(&kate), "first");
        assert!(!p.connected(&kate), "second");
        assert!(!p.disconnected(&kate));
        assert!(p.disconnected(&kate), "last");
        assert!(!p.disconnected(&kate), "never below zero");
        assert!(p.connected(&kate), "first again");
    }

    #[tokio::test]
    async fn the_bus_delivers_to_each_connection_of_whom_it_names() {
        let edges = Edges::default();
        let kate = Actor::Agent(AgentId("kate".into()));
        let contact = Actor::Contact(InteractionId("ix-1".into()));
        let (k1, mut k1_in) = outbox::channel(Limits::default());
        let (k2, mut k2_in) = outbox::channel(Limits::default());
        let (c, mut c_in) = outbox::channel(Limits::default());
        edges.register(1, kate.clone(), k1);
        edges.register(2, kate.clone(), k2);
        edges.register(3, contact.clone(), c);
        let msg = ServerMsg::error(ErrorCode::Invalid, "hello");
        edges.publish(Delivery::Actors {
            to: vec![kate.clone()],
            msg: msg.clone(),
        });
        edges.publish(Delivery::Agents(msg.clone()));
        edges.publish(Delivery::Conn { conn: 3, msg });
        let mut got = Vec::new();
        for pending in [&mut k1_in, &mut k2_in, &mut c_in] {
            let mut n = 0;
            while let Ok(Some(_)) =
                tokio::time::timeout(std::time::Duration::from_millis(50), pending.next()).await
            {
                n += 1;
            }
            got.push(n);
        }
        assert_eq!(got, vec![2, 2, 1]);
        assert_eq!(edges.unregister(1), Some(kate.clone()));
        edges.publish(Delivery::Actors {
            to: vec![kate.clone()],
            msg: ServerMsg::error(ErrorCode::Invalid, "again"),
        });
        assert!(
            k2_in.next().await.is_some(),
            "the other connection hears it"
        );
        assert_eq!(edges.count(), 2);
        assert!(!edges.is_open(1) && edges.is_open(2));
    }

    #[test]
    fn a_new_writer_sends_away_only_the_connections_an_older_one_registered() {
        let edges = Edges::default();
        let kate = Actor::Agent(AgentId("kate".into()));
        let contact = Actor::Contact(InteractionId("ix-1".into()));
        let (old, _old_in) = outbox::channel(Limits::default());
        let (waiting, _waiting_in) = outbox::channel(Limits::default());
        let (late, _late_in) = outbox::channel(Limits::default());
        edges.register(1, kate.clone(), old.clone());
        edges.register(2, contact, waiting.clone());
        edges.register(3, kate, late.clone());
        assert!(
            edges.registered(1, 1),
            "the writer of epoch 1 registered it"
        );
        // Connection 2's join waits in the new writer's inbox: it stays.
        edges.publish(Delivery::Restart { epoch: 2 });
        assert_eq!(old.close_code(), Some(crate::outbox::SERVICE_RESTART));
        assert_eq!(waiting.close_code(), None);
        assert!(edges.registered(2, 2), "the new writer answers it");
        // An answer from the replaced writer comes late: that connection must join again.
        assert!(!edges.registered(3, 1));
        assert!(
            !edges.registered(9, 2),
            "nor is an unknown connection registered"
        );
        edges.publish(Delivery::Restart { epoch: 2 });
        assert_eq!(
            waiting.close_code(),
            None,
            "the same epoch again changes nothing"
        );
    }
}
