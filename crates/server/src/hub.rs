//! The hub: one task that owns the [`Engine`], persists each command's effects in one store
//! transaction, and only then delivers them to the connections allowed to see them.
//!
//! Commands are processed one at a time, so the engine needs no locks and every connection sees
//! the events of an interaction in sequence order. A connection registers in the same step that
//! reads what it missed, so no event can fall between its resume and its live feed.

use crate::auth::token_hash;
use crate::config::Config;
use crate::engine::rights::{reaches, within};
use crate::engine::{Actor, Command, ContactInfo, Effect, Engine};
use crate::now_ms;
use crate::store::{Store, StoreError, Write};
use parley_protocol::{
    ClientMsg, ErrorCode, Event, Identity, InteractionId, QueueId, Request, Resume, Seq, ServerMsg,
    OPEN_WINDOW, PROTOCOL_VERSION,
};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Identifies one WebSocket connection.
pub type ConnId = u64;

use crate::outbox::Frames;
pub use crate::outbox::Outbox;

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

enum HubMsg {
    Hello {
        conn: ConnId,
        outbox: Outbox,
        token: Option<String>,
        resume: Vec<Resume>,
        reply: oneshot::Sender<Option<Actor>>,
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
    Authorize {
        token: String,
        interaction: InteractionId,
        reply: oneshot::Sender<Option<(Actor, Access)>>,
    },
    PostFile {
        actor: Actor,
        interaction: InteractionId,
        file: parley_protocol::FileRef,
        reply: oneshot::Sender<Result<Seq, (ErrorCode, String)>>,
    },
    Tick,
    /// How many connections are registered.
    Connections(oneshot::Sender<usize>),
    /// What an actor may read of an interaction now.
    Access {
        actor: Actor,
        interaction: InteractionId,
        reply: oneshot::Sender<Access>,
    },
}

/// The connection a command came from, and the request id it gave: every reply and refusal
/// goes back there, naming the request.
#[derive(Clone, Copy, Debug)]
struct Issuer {
    conn: ConnId,
    req: Option<u64>,
}

/// What an actor may do with an interaction now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// It takes no part in it (any more).
    None,
    /// It takes part and reads its events up to this one (`None`: all of them): an agent whose
    /// right ended keeps what it saw until its Mark Done.
    Reads(Option<Seq>),
}

impl Access {
    /// Whether it may read the event with this sequence number.
    pub fn reads(self, seq: Seq) -> bool {
        matches!(self, Access::Reads(until) if reaches(until, seq))
    }

    /// Whether it still has the right to act (send, post files): it reads without a limit.
    pub fn acts(self) -> bool {
        self == Access::Reads(None)
    }
}

/// What a contact's pre-chat form starts.
#[derive(Clone, Debug)]
pub struct NewChat {
    pub contact: ContactInfo,
    pub queue: Option<QueueId>,
    pub text: Option<String>,
    pub case_data: BTreeMap<String, String>,
}

/// A cheap, cloneable way to talk to the hub task.
#[derive(Clone)]
pub struct HubHandle {
    tx: mpsc::Sender<HubMsg>,
}

/// How many messages may wait for the hub. Commands beyond it are refused as `busy` at once;
/// everything else (hello, closing connections, HTTP) waits for room.
pub const INBOX: usize = 4096;

/// The hub's inbox is full: the command was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy;

impl HubHandle {
    /// Authenticates a connection and sends it everything it missed. `None`: refused (an error
    /// frame has been sent).
    pub async fn hello(
        &self,
        conn: ConnId,
        outbox: Outbox,
        token: Option<String>,
        resume: Vec<Resume>,
    ) -> Option<Actor> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(HubMsg::Hello {
                conn,
                outbox,
                token,
                resume,
                reply,
            })
            .await
            .ok()?;
        rx.await.ok().flatten()
    }

    /// Passes an authenticated connection's command on, unless the hub's inbox is full.
    pub fn command(&self, conn: ConnId, actor: Actor, request: Request) -> Result<(), Busy> {
        let command = HubMsg::Command {
            conn,
            actor,
            request,
        };
        match self.tx.try_send(command) {
            Err(mpsc::error::TrySendError::Full(_)) => Err(Busy),
            // A hub that stopped takes nothing: the server is stopping.
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => Ok(()),
        }
    }

    /// The connection closed (never dropped: the hub must forget the connection).
    pub async fn gone(&self, conn: ConnId) {
        let _ = self.tx.send(HubMsg::Gone { conn }).await;
    }

    /// What an actor may read of an interaction now (`None` when the hub is stopping).
    pub async fn access(&self, actor: Actor, interaction: InteractionId) -> Access {
        let (reply, rx) = oneshot::channel();
        let asked = HubMsg::Access {
            actor,
            interaction,
            reply,
        };
        let _ = self.tx.send(asked).await;
        rx.await.unwrap_or(Access::None)
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

    /// Who holds this token, and what it may read of the interaction now. `None`: nobody.
    pub async fn authorize(
        &self,
        token: String,
        interaction: InteractionId,
    ) -> Option<(Actor, Access)> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(HubMsg::Authorize {
                token,
                interaction,
                reply,
            })
            .await
            .ok()?;
        rx.await.ok().flatten()
    }

    /// Puts a stored file into the chat; the event's sequence number, or why not.
    pub async fn post_file(
        &self,
        actor: Actor,
        interaction: InteractionId,
        file: parley_protocol::FileRef,
    ) -> Result<Seq, (ErrorCode, String)> {
        let (reply, rx) = oneshot::channel();
        let gone = || (ErrorCode::Internal, "the server is stopping".to_owned());
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

struct Hub<S> {
    engine: Engine,
    store: S,
    config: Arc<Config>,
    conns: HashMap<ConnId, (Actor, Outbox)>,
    routes: HashMap<Actor, Vec<ConnId>>,
    /// Interactions whose commit failed and whose stored state could not be read back yet: out
    /// of the engine until the next tick reads them.
    stale: BTreeSet<InteractionId>,
}

/// Restores the engine from the store and starts the hub task.
pub async fn start<S: Store>(config: Arc<Config>, store: S) -> Result<HubHandle, StoreError> {
    let mut engine = Engine::new(&config);
    engine.set_invitation_epoch(&crate::auth::new_token()[..16]);
    let mut after: Option<InteractionId> = None;
    loop {
        let page = store
            .open_interactions(after.as_ref(), RESTORE_PAGE)
            .await?;
        let full = page.len() == RESTORE_PAGE as usize;
        for (record, events) in page {
            after = Some(record.id.clone());
            engine.restore(record, &events);
        }
        if !full {
            break;
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
    let mut hub = Hub {
        engine,
        store,
        config,
        conns: HashMap::new(),
        routes: HashMap::new(),
        stale: BTreeSet::new(),
    };
    tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            hub.on(msg).await;
        }
    });
    Ok(HubHandle { tx })
}

impl<S: Store> Hub<S> {
    async fn on(&mut self, msg: HubMsg) {
        match msg {
            HubMsg::Hello {
                conn,
                outbox,
                token,
                resume,
                reply,
            } => {
                let actor = self.hello(conn, outbox, token, resume).await;
                let _ = reply.send(actor);
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
                self.command(to, actor, request.msg).await
            }
            HubMsg::Gone { conn } => self.gone(conn).await,
            HubMsg::Connections(reply) => {
                let _ = reply.send(self.conns.len());
            }
            HubMsg::Access {
                actor,
                interaction,
                reply,
            } => {
                let _ = reply.send(self.access(&actor, &interaction));
            }
            HubMsg::StartChat { chat, reply } => {
                let _ = reply.send(self.start_chat(chat).await);
            }
            HubMsg::Authorize {
                token,
                interaction,
                reply,
            } => {
                let actor = self.authenticate(&token).await.ok().flatten();
                let answer = actor.map(|actor| {
                    let access = self.access(&actor, &interaction);
                    (actor, access)
                });
                let _ = reply.send(answer);
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
                let not_sent = || (ErrorCode::Internal, "the file was not sent".to_owned());
                let effects = match self.engine.handle(command, now) {
                    Ok(effects) => effects,
                    Err(refusal) => {
                        let _ = reply.send(Err((refusal.code, refusal.reason)));
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
            HubMsg::Tick => {
                self.reload_stale().await;
                self.run(None, Command::Tick).await
            }
        }
    }

    async fn authenticate(&self, token: &str) -> Result<Option<Actor>, StoreError> {
        let hash = token_hash(token);
        if let Some(agent) = self.store.session_agent(&hash).await? {
            return Ok(self
                .engine
                .knows_agent(&agent)
                .then_some(Actor::Agent(agent)));
        }
        Ok(self
            .store
            .contact_interaction(&hash)
            .await?
            .map(Actor::Contact))
    }

    async fn hello(
        &mut self,
        conn: ConnId,
        outbox: Outbox,
        token: Option<String>,
        resume: Vec<Resume>,
    ) -> Option<Actor> {
        let refuse = |outbox: &Outbox, code, message: &str| {
            let _ = outbox.send(ServerMsg::error(code, message));
            None
        };
        let Some(token) = token else {
            return refuse(&outbox, ErrorCode::Unauthorized, "log in first");
        };
        let actor = match self.authenticate(&token).await {
            Ok(Some(actor)) => actor,
            Ok(None) => {
                return refuse(
                    &outbox,
                    ErrorCode::Unauthorized,
                    "your session has expired; log in again",
                )
            }
            Err(e) => {
                tracing::error!("hello: {e}");
                return refuse(
                    &outbox,
                    ErrorCode::Internal,
                    "the server could not check your session",
                );
            }
        };
        let after: HashMap<_, _> = resume
            .into_iter()
            .map(|r| (r.interaction, r.after))
            .collect();
        let since = |id: &InteractionId| after.get(id).copied().unwrap_or(0);
        // The actor's first connection: the engine hears that it is online (for a contact, back
        // online: its grace period stops).
        let first = self.routes.get(&actor).is_none_or(|c| c.is_empty());
        let connected = match &actor {
            Actor::Agent(agent) => {
                let me = Identity::Agent {
                    id: agent.clone(),
                    name: self
                        .config
                        .agents
                        .iter()
                        .find(|a| &a.id == agent)
                        .map_or_else(String::new, |a| a.name.clone()),
                    nickname: self.engine.nickname(agent).unwrap_or_default().to_owned(),
                    status: self.engine.status(agent),
                };
                let _ = outbox.send(ServerMsg::Welcome {
                    v: PROTOCOL_VERSION,
                    me,
                    settings: Some(self.engine.settings().clone()),
                });
                for summary in self.engine.agent_interactions(agent) {
                    let id = summary.id.clone();
                    let _ = outbox.send(ServerMsg::Opened {
                        interaction: summary,
                    });
                    self.send_missed(&outbox, &actor, &id, since(&id)).await;
                }
                for invitation in self.engine.agent_invitations(agent) {
                    let _ = outbox.send(ServerMsg::Invitation { invitation });
                }
                let _ = outbox.send(ServerMsg::Presence {
                    agents: self.engine.presence(),
                });
                Command::AgentConnected(agent.clone())
            }
            Actor::Contact(interaction) => {
                let name = self.contact_name(interaction).await;
                let me = Identity::Contact {
                    interaction: interaction.clone(),
                    name,
                };
                let _ = outbox.send(ServerMsg::Welcome {
                    v: PROTOCOL_VERSION,
                    me,
                    settings: None,
                });
                self.send_missed(&outbox, &actor, interaction, since(interaction))
                    .await;
                Command::ContactConnected(interaction.clone())
            }
        };
        self.register(conn, actor.clone(), outbox);
        if first {
            self.run(Some(Issuer { conn, req: None }), connected).await;
        }
        Some(actor)
    }

    /// The contact's name from its join, which is always an interaction's first event: one row
    /// is read, not the whole log.
    async fn contact_name(&self, interaction: &InteractionId) -> String {
        let events = self
            .store
            .events_before(interaction, 2, 1)
            .await
            .unwrap_or_default();
        events
            .iter()
            .find_map(|e| match &e.kind {
                parley_protocol::EventKind::Joined {
                    party: p @ parley_protocol::Party::Contact { .. },
                } => Some(p.name().to_owned()),
                _ => None,
            })
            .unwrap_or_default()
    }

    fn register(&mut self, conn: ConnId, actor: Actor, outbox: Outbox) {
        self.routes.entry(actor.clone()).or_default().push(conn);
        self.conns.insert(conn, (actor, outbox));
    }

    /// Sends the stored events this actor may see after `after`.
    async fn send_missed(
        &self,
        outbox: &Outbox,
        actor: &Actor,
        interaction: &InteractionId,
        after: Seq,
    ) {
        let until = self.read_limit(actor, interaction);
        // An agent opening a chat gets its latest events (that it may read); older ones come
        // with `older`.
        let loaded = match actor {
            Actor::Agent(_) if after == 0 => {
                let before = until.map_or(Seq::MAX, |u| u.saturating_add(1));
                self.store
                    .events_before(interaction, before, OPEN_WINDOW)
                    .await
            }
            _ => self.store.events_after(interaction, after).await,
        };
        match loaded {
            Ok(events) => {
                let events: Vec<Event> = events
                    .into_iter()
                    .filter(|e| may_see(actor, e) && within(until, e))
                    .collect();
                if !events.is_empty() {
                    let _ = outbox.send(ServerMsg::Events {
                        interaction: interaction.clone(),
                        events,
                    });
                }
            }
            Err(e) => {
                tracing::error!("resume {interaction}: {e}");
                let _ = outbox.send(ServerMsg::error(
                    ErrorCode::Internal,
                    "could not load the transcript; reconnect to retry",
                ));
            }
        }
    }

    async fn gone(&mut self, conn: ConnId) {
        let Some((actor, _)) = self.conns.remove(&conn) else {
            return;
        };
        let last = match self.routes.get_mut(&actor) {
            Some(conns) => {
                conns.retain(|c| *c != conn);
                conns.is_empty()
            }
            None => false,
        };
        if last {
            self.routes.remove(&actor);
            let command = match actor {
                Actor::Agent(agent) => Command::AgentDisconnected(agent),
                Actor::Contact(interaction) => Command::ContactDisconnected(interaction),
            };
            self.run(None, command).await;
        }
    }

    async fn command(&mut self, conn: Issuer, actor: Actor, msg: ClientMsg) {
        // What a connection asked before it closed (or was closed) is not worth doing.
        if !self.conns.contains_key(&conn.conn) {
            return;
        }
        match msg {
            ClientMsg::Hello { .. } => self.reply(
                conn,
                ServerMsg::error(ErrorCode::Invalid, "already said hello"),
            ),
            ClientMsg::Act(action) => {
                self.run(Some(conn), Command::Act { by: actor, action })
                    .await
            }
            // Reads are answered at the edge (`reads.rs`), never here.
            ClientMsg::Older { .. } | ClientMsg::History { .. } | ClientMsg::Earlier { .. } => {}
        }
    }

    async fn start_chat(&mut self, chat: NewChat) -> Result<(InteractionId, String), StartError> {
        let now = now_ms();
        let id = InteractionId(format!("ix-{now:013}-{}", &crate::auth::new_token()[..8]));
        let token = crate::auth::new_token();
        let effects = self
            .engine
            .handle(
                Command::StartChat {
                    id: id.clone(),
                    contact: chat.contact,
                    queue: chat.queue,
                    text: chat.text,
                    case_data: chat.case_data,
                },
                now,
            )
            .map_err(|r| StartError::Refused(r.reason))?;
        // The token commits with the chat: a failed start leaves neither behind.
        let token_row = Write::ContactToken {
            token_hash: token_hash(&token),
            interaction: id.clone(),
        };
        if !self.apply_with(None, effects, vec![token_row]).await {
            return Err(StartError::NotStored);
        }
        Ok((id, token))
    }

    /// What this actor may do with the interaction now: for HTTP (files) and `older` alike.
    fn access(&self, actor: &Actor, interaction: &InteractionId) -> Access {
        let takes_part = match actor {
            Actor::Agent(agent) => self.engine.agent_may_read(agent, interaction),
            Actor::Contact(own) => own == interaction,
        };
        if takes_part {
            Access::Reads(self.read_limit(actor, interaction))
        } else {
            Access::None
        }
    }

    /// The last event of the interaction this actor may read (`None`: all; a contact always
    /// reads its whole chat).
    fn read_limit(&self, actor: &Actor, interaction: &InteractionId) -> Option<Seq> {
        match actor {
            Actor::Agent(agent) => self.engine.read_limit(agent, interaction),
            Actor::Contact(_) => None,
        }
    }

    /// Carries out a command; a refusal goes back to the connection that issued it.
    async fn run(&mut self, conn: Option<Issuer>, command: Command) {
        match self.engine.handle(command, now_ms()) {
            Ok(effects) => self.apply(conn, effects).await,
            Err(refusal) => {
                if let Some(to) = conn {
                    self.reply(to, refusal.to_msg(None));
                }
            }
        }
    }

    /// Answers the request the issuer sent (an `ack` or `error` names it).
    fn reply(&self, to: Issuer, msg: ServerMsg) {
        if let Some((_, outbox)) = self.conns.get(&to.conn) {
            let _ = outbox.send(msg.answering(to.req));
        }
    }

    fn send_to(&self, to: &Actor, msg: &ServerMsg) {
        self.deliver(std::iter::once(to), &Frames::new(msg));
    }

    /// Puts one message, encoded once, into every connection of these actors. A connection
    /// whose outbox is full is closing; it resumes from the store when it reconnects.
    fn deliver<'a>(&self, to: impl IntoIterator<Item = &'a Actor>, frames: &Frames<'_>) {
        for actor in to {
            for conn in self.routes.get(actor).into_iter().flatten() {
                if let Some((_, outbox)) = self.conns.get(conn) {
                    let _ = outbox.send_frames(frames);
                }
            }
        }
    }

    /// Stores the effects' writes in one transaction, then delivers them in order.
    async fn apply(&mut self, conn: Option<Issuer>, effects: Vec<Effect>) {
        self.apply_with(conn, effects, Vec::new()).await;
    }

    /// [`Hub::apply`] with more writes for the same transaction; whether it committed.
    async fn apply_with(
        &mut self,
        conn: Option<Issuer>,
        effects: Vec<Effect>,
        extra: Vec<Write>,
    ) -> bool {
        let mut writes: Vec<Write> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Save(record) => Some(Write::Interaction(record.clone())),
                Effect::Append {
                    interaction, event, ..
                } => Some(Write::Event(interaction.clone(), event.clone())),
                Effect::Milestone(m) => Some(Write::Milestone(m.clone())),
                _ => None,
            })
            .collect();
        writes.extend(extra);
        if let Err(e) = self.store.commit(writes).await {
            tracing::error!("commit: {e}");
            self.roll_back(&effects).await;
            if let Some(conn) = conn {
                self.reply(
                    conn,
                    ServerMsg::error(
                        ErrorCode::Internal,
                        "the server could not store this; try again",
                    ),
                );
            }
            return false;
        }
        for effect in effects {
            match effect {
                Effect::Save(_) | Effect::Milestone(_) => {}
                Effect::Append {
                    interaction,
                    event,
                    to,
                } => {
                    let audience = to.iter().filter(|a| may_see(a, &event));
                    let msg = ServerMsg::Events {
                        interaction,
                        events: vec![event.clone()],
                    };
                    self.deliver(audience, &Frames::new(&msg));
                }
                Effect::Send { to, msg } => self.send_to(&to, &msg),
                Effect::Broadcast(msg) => {
                    let frames = Frames::new(&msg);
                    for (actor, outbox) in self.conns.values() {
                        if matches!(actor, Actor::Agent(_)) {
                            let _ = outbox.send_frames(&frames);
                        }
                    }
                }
                Effect::Open { agent, summary } => {
                    let actor = Actor::Agent(agent);
                    let id = summary.id.clone();
                    self.send_to(
                        &actor,
                        &ServerMsg::Opened {
                            interaction: summary,
                        },
                    );
                    for conn in self.routes.get(&actor).cloned().unwrap_or_default() {
                        if let Some((_, outbox)) = self.conns.get(&conn) {
                            self.send_missed(&outbox.clone(), &actor, &id, 0).await;
                        }
                    }
                }
                Effect::Reply(msg) => {
                    if let Some(conn) = conn {
                        self.reply(conn, msg);
                    }
                }
            }
        }
        true
    }
}

impl<S: Store> Hub<S> {
    /// After a failed commit: every interaction the effects touched goes back to what the store
    /// has, so the engine never runs ahead of it (a retried message is stored, not just acked).
    async fn roll_back(&mut self, effects: &[Effect]) {
        let touched: BTreeSet<InteractionId> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Save(record) => Some(record.id.clone()),
                Effect::Append { interaction, .. } => Some(interaction.clone()),
                Effect::Milestone(m) => Some(m.interaction.clone()),
                _ => None,
            })
            .collect();
        for id in touched {
            self.reload(id).await;
        }
    }

    /// Reads an interaction back from the store into the engine; when it cannot be read now, it
    /// leaves the engine and the next tick tries again.
    async fn reload(&mut self, id: InteractionId) {
        let stored = match self.store.interaction(&id).await {
            Ok(stored) => {
                self.stale.remove(&id);
                stored
            }
            Err(e) => {
                tracing::error!("reading {id} back after a failed commit: {e}");
                self.stale.insert(id.clone());
                None
            }
        };
        for effect in self.engine.reload(&id, stored) {
            if let Effect::Send { to, msg } = effect {
                self.send_to(&to, &msg);
            }
        }
    }

    async fn reload_stale(&mut self) {
        for id in std::mem::take(&mut self.stale) {
            self.reload(id).await;
        }
    }
}

/// The gateway's own audience check, on top of the engine's choice of recipients.
pub(crate) fn may_see(actor: &Actor, event: &Event) -> bool {
    match actor {
        Actor::Agent(agent) => event.audience.includes_agent(agent),
        Actor::Contact(_) => event.audience.includes_contact(),
    }
}
