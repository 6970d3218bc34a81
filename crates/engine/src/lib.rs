//! `parley-engine`: routing and the interaction state machine, in a crate of its own so that
//! its purity is the compiler's to check (it depends on the protocol and serde, nothing else).
//!
//! [`Engine::handle`] takes a [`Command`] and the current time and returns the [`Effect`]s the hub
//! must carry out, in order. The engine owns every rule (who may do what, who is offered which chat,
//! which sequence number an event gets, who may see it) and does no I/O: no sockets, no database, no
//! clock. Timers are the [`Command::Tick`] input. It can be rebuilt from the stored event logs with
//! [`Engine::restore`], so a restart continues where the last process stopped.
//!
//! - [`config`]: the configuration's shape (the server reads and checks the file).
//! - [`ix`]: one interaction's state, its event numbering and its recipients.
//! - [`rights`]: how far each agent may read an interaction, from its events alone.
//! - [`routing`]: queues, offers, and consultation/transfer/conference requests to targets.
//! - [`chat`]: what parties do inside an interaction (send, typing, end, done, remove, case data).
//! - [`timers`]: pending-response levels, inactivity, contact disconnects and auto-close.
//! - [`offers`]: open offers as the store keeps them, put back by [`Engine::restore_offer`].
//! - [`milestone`]: domain events (started, accepted, transferred, conferenced, ended, done)
//!   derived from the events appended, committed with them, read by consumers with a cursor.

mod bot;
mod chat;
pub mod config;
mod ix;
pub mod marks;
mod milestone;
mod offers;
pub mod rights;
mod routing;
mod timers;

use crate::config::Config;
use ix::Interaction;
pub use milestone::{DomainEvent, Milestone};
pub use offers::{PendingOffer, PendingRequest};
use parley_protocol::act::{self, Action};
use parley_protocol::{
    AgentId, AgentPresence, AgentSettings, AgentStatus, ErrorCode, Event, InteractionId,
    InteractionSummary, Invitation, InvitationId, Millis, Named, QueueId, Reason, Seq, ServerMsg,
};
use std::collections::{BTreeMap, BTreeSet};

/// The contact's details from the pre-chat form.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContactInfo {
    pub name: String,
    pub email: Option<String>,
    pub subject: Option<String>,
    /// The e-mail comes from an identity the contact's site signed, not from the form: only
    /// then does it link the contact's chats.
    #[serde(default)]
    pub verified: bool,
}

/// A live chat as the host system sees it (`GET /api/v1/chats`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OpenChat {
    pub id: InteractionId,
    pub contact: ContactInfo,
    pub queue: QueueId,
    pub started_at: Millis,
    pub state: parley_protocol::InteractionState,
    /// Connected agents, the owner first.
    pub agents: Vec<AgentId>,
    pub case_data: BTreeMap<String, String>,
}

/// Who issued a command.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Agent(AgentId),
    /// The contact of this interaction.
    Contact(InteractionId),
}

/// A connection audience the hub can deliver to.
pub type Recipient = Actor;

/// An input to the engine.
#[derive(Clone, Debug)]
pub enum Command {
    /// A contact starts a chat (the id is made by the caller).
    StartChat {
        id: InteractionId,
        contact: ContactInfo,
        queue: Option<QueueId>,
        text: Option<String>,
        case_data: BTreeMap<String, String>,
    },
    /// The agent's first connection opened.
    AgentConnected(AgentId),
    /// The agent's last connection closed.
    AgentDisconnected(AgentId),
    /// The contact's first connection to the interaction opened.
    ContactConnected(InteractionId),
    /// The contact's last connection to the interaction closed.
    ContactDisconnected(InteractionId),
    /// A party's action, as it came over the wire.
    Act { by: Actor, action: Action },
    /// A stored file goes into the chat (the upload was checked before).
    PostFile {
        from: Actor,
        interaction: InteractionId,
        file: parley_protocol::FileRef,
    },
    /// The host system sets (or, with `None`, removes) a case data value of a live chat.
    HostCaseData {
        interaction: InteractionId,
        key: String,
        value: Option<String>,
    },
    /// Time passed: expire offers, move timers, retry routing.
    Tick,
}

impl Command {
    /// A party's action.
    pub fn act(by: Actor, action: impl Into<Action>) -> Self {
        Command::Act {
            by,
            action: action.into(),
        }
    }
}

/// The durable facts about an interaction besides its events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InteractionRecord {
    pub id: InteractionId,
    pub contact: ContactInfo,
    pub queue: QueueId,
    pub started_at: Millis,
    /// Every agent has marked it done; it no longer lives in the engine.
    pub closed: bool,
}

/// What the hub must do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Store the record (new interaction or closed).
    Save(InteractionRecord),
    /// Store the event, then deliver it to the recipients.
    Append {
        interaction: InteractionId,
        event: Event,
        to: Vec<Recipient>,
    },
    /// Deliver a message to every connection of the recipient.
    Send { to: Recipient, msg: ServerMsg },
    /// Deliver a message to every connected agent.
    Broadcast(ServerMsg),
    /// Tell the agent it joined, then deliver the stored transcript the agent may see.
    Open {
        agent: AgentId,
        summary: InteractionSummary,
    },
    /// Answer the connection that issued the command.
    Reply(ServerMsg),
    /// Store a domain event with the command's events (it is never delivered to a connection).
    Milestone(Milestone),
    /// Store the agent's status, so that a writer taking over (or a restart) keeps it.
    SaveStatus { agent: AgentId, status: AgentStatus },
    /// Store the interaction's open offer, replacing the one stored (`None`: it has none).
    SaveOffer {
        interaction: InteractionId,
        offer: Option<PendingOffer>,
    },
}

impl Effect {
    /// The interaction whose stored state or readers this effect changes, if one.
    pub fn interaction(&self) -> Option<&InteractionId> {
        match self {
            Effect::Save(record) => Some(&record.id),
            Effect::Append { interaction, .. } => Some(interaction),
            Effect::Milestone(m) => Some(&m.interaction),
            Effect::Open { summary, .. } => Some(&summary.id),
            Effect::SaveOffer { interaction, .. } => Some(interaction),
            Effect::Send { .. }
            | Effect::Broadcast(_)
            | Effect::Reply(_)
            | Effect::SaveStatus { .. } => None,
        }
    }
}

/// The timers and switches of chat handling, from the configuration.
#[derive(Clone, Debug)]
struct Timers {
    offer_timeout: Millis,
    reject_cooldown: Millis,
    pending_warn: Millis,
    pending_late: Millis,
    inactivity_warn: Millis,
    inactivity_timeout: Millis,
    contact_grace: Millis,
    auto_close: Millis,
    /// The least average gap between a queued contact's messages (0: no limit).
    queued_gap: Millis,
    typing_preview: bool,
    async_chat: bool,
}

/// An agent as the events name it: by nickname, what contacts see.
fn party_of(profiles: &BTreeMap<AgentId, AgentProfile>, agent: &AgentId) -> parley_protocol::Party {
    parley_protocol::Party::Agent {
        id: agent.clone(),
        name: profiles
            .get(agent)
            .map_or(agent.as_str(), |p| p.nickname.as_str())
            .to_owned(),
    }
}

#[derive(Clone, Debug)]
struct AgentProfile {
    name: String,
    nickname: String,
    capacity: u32,
    skills: Vec<String>,
}

#[derive(Clone, Debug)]
struct AgentState {
    status: AgentStatus,
    connected: bool,
    /// Longest-idle routing: when the agent last became free (Ready, or a chat done).
    idle_since: Millis,
    /// Interactions the agent takes part in and has not marked done.
    chats: BTreeSet<InteractionId>,
    /// Open offers.
    offers: BTreeSet<InvitationId>,
}

impl AgentState {
    /// What counts against the agent's capacity: its chats and its open offers.
    fn load(&self) -> u32 {
        (self.chats.len() + self.offers.len()) as u32
    }
}

/// Why an offer was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    /// A queued chat routed to an agent.
    Route,
    /// The interaction's pending consultation/transfer/conference request.
    Request,
}

#[derive(Clone, Debug)]
struct Offer {
    agent: AgentId,
    interaction: InteractionId,
    expires_at: Millis,
    purpose: Purpose,
}

/// The routing and interaction state of the whole contact centre.
pub struct Engine {
    profiles: BTreeMap<AgentId, AgentProfile>,
    queue_skills: BTreeMap<QueueId, Option<String>>,
    groups: BTreeMap<String, Vec<AgentId>>,
    default_queue: QueueId,
    timers: Timers,
    settings: AgentSettings,
    agents: BTreeMap<AgentId, AgentState>,
    /// Live interactions, by id (ids sort by creation time).
    interactions: BTreeMap<InteractionId, Interaction>,
    /// Queued interactions in arrival order.
    queue: Vec<InteractionId>,
    invitations: BTreeMap<InvitationId, Offer>,
    /// Invitation ids are `inv-<epoch>-<n>`: the epoch, given by whoever starts the engine (the
    /// hub draws it at random), keeps an `accept` held across a restart from naming a new offer.
    invitation_epoch: String,
    next_invitation: u64,
    /// The presence last broadcast, to send only changes.
    last_presence: Vec<AgentPresence>,
    /// The demo bot, when configured.
    bot: Option<bot::Bot>,
    /// Files one chat may hold, and their bytes in all (`server.max_files_per_chat`,
    /// `server.max_chat_file_bytes`): the server checks them before reading an upload, and
    /// here, in commit order, so uploads racing each other cannot pass them together.
    file_quota: (u32, u64),
    /// Tests only: the events each live interaction stored, to check after every command that
    /// replaying them gives the live state.
    #[cfg(test)]
    stored: BTreeMap<InteractionId, Vec<Event>>,
    /// The open offers as the store would hold them, from the effects alone (tests only).
    #[cfg(test)]
    stored_offers: BTreeMap<InteractionId, PendingOffer>,
}

/// Why a command was refused. Nothing changed; the issuer is told with an `error` frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    /// In English.
    pub reason: String,
    /// For the apps to say in the reader's language, where the code says too little.
    pub why: Option<Reason>,
}

impl Refusal {
    pub fn new(code: ErrorCode, reason: &str) -> Self {
        Self {
            code,
            reason: reason.to_owned(),
            why: None,
        }
    }

    pub fn because(code: ErrorCode, why: Reason) -> Self {
        Self {
            code,
            reason: why.text().to_owned(),
            why: Some(why),
        }
    }

    /// The `error` frame that tells the issuer, naming its request.
    pub fn to_msg(&self, req: Option<u64>) -> ServerMsg {
        match self.why {
            Some(why) => ServerMsg::refused(self.code, why),
            None => ServerMsg::error(self.code, &self.reason),
        }
        .answering(req)
    }
}

/// What a command came to: the effects to carry out in order, or why nothing happened.
pub type Outcome = Result<Vec<Effect>, Refusal>;

fn refuse(code: ErrorCode, reason: &str) -> Outcome {
    Err(Refusal::new(code, reason))
}

fn refuse_for(code: ErrorCode, why: Reason) -> Outcome {
    Err(Refusal::because(code, why))
}

fn secs(s: u32) -> Millis {
    Millis::from(s) * 1000
}

impl Engine {
    /// An engine with no interactions, for this configuration.
    pub fn new(config: &Config) -> Self {
        let profiles = config
            .agents
            .iter()
            .map(|a| {
                let profile = AgentProfile {
                    name: a.name.clone(),
                    nickname: a.nickname.clone().unwrap_or_else(|| a.name.clone()),
                    capacity: a.capacity,
                    skills: a.skills.clone(),
                };
                (a.id.clone(), profile)
            })
            .collect();
        let named = |id: &str, name: &str| Named {
            id: id.to_owned(),
            name: name.to_owned(),
        };
        let mut settings = config.agent_settings();
        settings.groups = config
            .groups
            .iter()
            .map(|g| named(&g.id, &g.name))
            .collect();
        settings.skills = config
            .skills
            .iter()
            .map(|s| named(&s.id, &s.name))
            .collect();
        settings.queues = config
            .queues
            .iter()
            .map(|q| named(q.id.as_str(), &q.name))
            .collect();
        let chat = &config.chat;
        Self {
            bot: config.bot.clone().map(bot::Bot::new),
            file_quota: (
                config.server.max_files_per_chat,
                config.server.max_chat_file_bytes,
            ),
            profiles,
            queue_skills: config
                .queues
                .iter()
                .map(|q| (q.id.clone(), q.skill.clone()))
                .collect(),
            groups: config
                .groups
                .iter()
                .map(|g| (g.id.clone(), g.agents.clone()))
                .collect(),
            default_queue: config.default_queue(),
            timers: Timers {
                offer_timeout: secs(config.routing.offer_timeout_secs),
                reject_cooldown: secs(config.routing.reject_cooldown_secs),
                pending_warn: secs(chat.pending_warn_secs),
                pending_late: secs(chat.pending_late_secs),
                inactivity_warn: secs(chat.inactivity_warn_secs),
                inactivity_timeout: secs(chat.inactivity_timeout_secs),
                contact_grace: secs(chat.contact_grace_secs),
                auto_close: secs(chat.auto_close_secs),
                queued_gap: Millis::from(chat.queued_message_gap_ms),
                typing_preview: chat.typing_preview,
                async_chat: chat.async_chat,
            },
            settings,
            agents: BTreeMap::new(),
            interactions: BTreeMap::new(),
            queue: Vec::new(),
            invitations: BTreeMap::new(),
            invitation_epoch: String::from("0"),
            next_invitation: 1,
            last_presence: Vec::new(),
            #[cfg(test)]
            stored: BTreeMap::new(),
            #[cfg(test)]
            stored_offers: BTreeMap::new(),
        }
    }

    /// Sets the epoch of the invitation ids made from now on (the engine draws nothing at
    /// random itself).
    pub fn set_invitation_epoch(&mut self, epoch: &str) {
        self.invitation_epoch = epoch.to_owned();
    }

    /// Puts back an agent's stored status (after a restart, or on a writer taking over): a
    /// Ready agent is offered chats again as soon as it is connected. Agents the configuration
    /// no longer has are left out.
    pub fn restore_status(&mut self, agent: &AgentId, status: AgentStatus, now: Millis) {
        if !self.knows_agent(agent) {
            return;
        }
        let state = self.agent_mut(agent);
        state.status = status;
        state.idle_since = now;
    }

    /// Rebuilds a live interaction from its record and stored events (after a restart).
    pub fn restore(&mut self, record: InteractionRecord, events: &[Event]) {
        if record.closed {
            return;
        }
        #[cfg(test)]
        self.stored.insert(record.id.clone(), events.to_vec());
        let ix = Interaction::replay(record, events);
        for agent in &ix.pending_done {
            self.agent_mut(agent).chats.insert(ix.record.id.clone());
        }
        if ix.state == parley_protocol::InteractionState::Queued && !ix.with_bot {
            self.queue.push(ix.record.id.clone());
        }
        self.interactions.insert(ix.record.id.clone(), ix);
    }

    /// Puts an interaction back as the store has it, after a commit of its events failed: the
    /// engine never runs ahead of the store, so a client's retry is carried out afresh and stored
    /// once. `None`: the store does not have it (a chat whose start failed). Its open offers are
    /// withdrawn; routing offers it again from what was stored.
    pub fn reload(
        &mut self,
        id: &InteractionId,
        stored: Option<(InteractionRecord, Vec<Event>)>,
    ) -> Vec<Effect> {
        let mut out = Vec::new();
        self.withdraw_offers(id, &mut out);
        self.interactions.remove(id);
        #[cfg(test)]
        self.stored.remove(id);
        for agent in self.agents.values_mut() {
            agent.chats.remove(id);
        }
        if let Some((record, events)) = stored {
            self.restore(record, &events);
            // Back in its place in the queue (ids sort by start time), not at its end.
            if self.queue.last() == Some(id) {
                self.queue.pop();
                let at = self.queue.partition_point(|q| q < id);
                self.queue.insert(at, id.clone());
            }
        }
        out
    }

    /// The lists shown in the desktop controls and the Team Communicator.
    pub fn settings(&self) -> &AgentSettings {
        &self.settings
    }

    /// Whether this agent account exists.
    pub fn knows_agent(&self, agent: &AgentId) -> bool {
        self.profiles.contains_key(agent)
    }

    /// The agent's current status (Not Ready until set).
    pub fn status(&self, agent: &AgentId) -> AgentStatus {
        self.agents
            .get(agent)
            .map_or(AgentStatus::NotReady { reason: None }, |a| a.status.clone())
    }

    /// What the agent shows contacts as its name.
    pub fn nickname(&self, agent: &AgentId) -> Option<&str> {
        self.profiles.get(agent).map(|p| p.nickname.as_str())
    }

    /// The agent's full name.
    pub fn agent_name(&self, agent: &AgentId) -> Option<&str> {
        self.profiles.get(agent).map(|p| p.name.as_str())
    }

    /// Interactions the agent takes part in and has not marked done, as that agent sees them.
    pub fn agent_interactions(&self, agent: &AgentId) -> Vec<InteractionSummary> {
        let Some(state) = self.agents.get(agent) else {
            return Vec::new();
        };
        let mut out: Vec<_> = state
            .chats
            .iter()
            .filter_map(|id| self.interactions.get(id))
            .map(|ix| ix.summary_for(agent, &self.profiles))
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// At most `limit` live chats whose ids come after `after`, in id order (start time), as
    /// the host system sees them.
    pub fn open_chats(&self, after: Option<&InteractionId>, limit: usize) -> Vec<OpenChat> {
        let from = match after {
            Some(after) => std::ops::Bound::Excluded(after),
            None => std::ops::Bound::Unbounded,
        };
        self.interactions
            .range::<InteractionId, _>((from, std::ops::Bound::Unbounded))
            .take(limit)
            .map(|(id, ix)| OpenChat {
                id: id.clone(),
                contact: ix.record.contact.clone(),
                queue: ix.record.queue.clone(),
                started_at: ix.record.started_at,
                state: ix.state,
                agents: ix.agents.clone(),
                case_data: ix.case_data.clone(),
            })
            .collect()
    }

    /// The agent's open offers.
    pub fn agent_invitations(&self, agent: &AgentId) -> Vec<Invitation> {
        let mut out: Vec<_> = self
            .invitations
            .iter()
            .filter(|(_, offer)| &offer.agent == agent)
            .filter_map(|(id, offer)| self.invitation(id, offer))
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Whether the agent can take one more chat or offer: the capacity rule, in one place.
    fn has_room(&self, agent: &AgentId) -> bool {
        match (self.agents.get(agent), self.profiles.get(agent)) {
            (Some(state), Some(profile)) => state.load() < profile.capacity,
            _ => false,
        }
    }

    /// Whether an agent may read this interaction's events (it takes part and has not marked it done).
    pub fn agent_may_read(&self, agent: &AgentId, interaction: &InteractionId) -> bool {
        self.agents
            .get(agent)
            .is_some_and(|a| a.chats.contains(interaction))
    }

    /// The last event of the interaction the agent may read, once its right to it ended
    /// (`None`: it reads everything). See [`rights`].
    pub fn read_limit(&self, agent: &AgentId, interaction: &InteractionId) -> Option<Seq> {
        self.interactions
            .get(interaction)
            .and_then(|ix| ix.rights.get(agent))
            .and_then(|r| r.until)
    }

    /// Every agent's presence, for the Team Communicator.
    pub fn presence(&self) -> Vec<AgentPresence> {
        self.profiles
            .iter()
            .map(|(id, p)| {
                let state = self.agents.get(id);
                AgentPresence {
                    id: id.clone(),
                    name: p.name.clone(),
                    online: state.is_some_and(|s| s.connected),
                    status: state
                        .map_or(AgentStatus::NotReady { reason: None }, |s| s.status.clone()),
                    load: state.map_or(0, AgentState::load),
                    capacity: p.capacity,
                }
            })
            .collect()
    }

    /// Every agent that may read the interaction now, with the last event it reads (`None`:
    /// all): what a read model of rights holds for it, so that reads need not ask the engine.
    /// It changes only with a command whose effects name the interaction
    /// ([`Effect::interaction`]).
    pub fn readers(&self, interaction: &InteractionId) -> Vec<(AgentId, Option<Seq>)> {
        let Some(ix) = self.interactions.get(interaction) else {
            return Vec::new();
        };
        ix.rights
            .iter()
            .filter(|(agent, _)| self.agent_may_read(agent, interaction))
            .map(|(agent, right)| (agent.clone(), right.until))
            .collect()
    }

    /// For operators' metrics: per queue, the chats waiting and how long the longest has waited
    /// (ms); and how many agents are connected and Ready.
    pub fn queue_gauges(&self, now: Millis) -> (Vec<(QueueId, usize, Millis)>, usize) {
        let mut queues: BTreeMap<QueueId, (usize, Millis)> = BTreeMap::new();
        for ix in self.queue.iter().filter_map(|id| self.interactions.get(id)) {
            let entry = queues.entry(ix.record.queue.clone()).or_default();
            entry.0 += 1;
            entry.1 = entry.1.max(now.saturating_sub(ix.record.started_at));
        }
        let ready = self
            .agents
            .values()
            .filter(|a| a.connected && a.status == AgentStatus::Ready)
            .count();
        let queues = queues.into_iter().map(|(q, (n, w))| (q, n, w)).collect();
        (queues, ready)
    }

    /// Every live interaction's readers (for a read model starting afresh).
    pub fn all_readers(&self) -> BTreeMap<InteractionId, Vec<(AgentId, Option<Seq>)>> {
        self.interactions
            .keys()
            .map(|id| (id.clone(), self.readers(id)))
            .collect()
    }

    /// Carries out one command at time `now`. A refused command changes nothing.
    pub fn handle(&mut self, command: Command, now: Millis) -> Outcome {
        #[cfg(test)]
        let readers = self.all_readers();
        let out = self.handle_command(command, now);
        #[cfg(test)]
        {
            let effects = out.as_deref().unwrap_or_default();
            self.check_replay(effects);
            self.check_readers(&readers, effects);
            self.check_offers(effects);
        }
        out
    }

    fn handle_command(&mut self, command: Command, now: Millis) -> Outcome {
        let mut out = match command {
            Command::StartChat {
                id,
                contact,
                queue,
                text,
                case_data,
            } => self.start_chat(id, contact, queue, text, case_data, now)?,
            Command::AgentConnected(agent) => {
                self.agent_mut(&agent).connected = true;
                Vec::new()
            }
            Command::AgentDisconnected(agent) => self.agent_disconnected(agent, now),
            Command::ContactConnected(id) => self.contact_link(&id, true, now),
            Command::ContactDisconnected(id) => self.contact_link(&id, false, now),
            Command::Act { by, action } => self.act(by, action, now)?,
            Command::PostFile {
                from,
                interaction,
                file,
            } => self.post_file(from, interaction, file, now)?,
            Command::HostCaseData {
                interaction,
                key,
                value,
            } => self.host_case_data(interaction, key, value, now)?,
            Command::Tick => self.tick(now),
        };
        self.route(now, &mut out);
        self.publish_presence(&mut out);
        Ok(out)
    }

    /// Who may do what: the contact of a chat sends, types, reads and ends it; everything else
    /// is an agent's.
    fn act(&mut self, by: Actor, action: Action, now: Millis) -> Outcome {
        let agent = match (by, action) {
            (by, Action::Send(a)) => return self.send(by, a, now),
            (by, Action::Typing(a)) => return self.typing(by, a),
            (by, Action::End(a)) => return self.end(by, a, now),
            (Actor::Contact(own), Action::Read(a)) if own == a.interaction => {
                return self.read(a, now)
            }
            (Actor::Contact(_), Action::Read(_)) => {
                return refuse(ErrorCode::Forbidden, "not your chat")
            }
            (Actor::Agent(_), Action::Read(_)) => {
                return refuse(ErrorCode::Forbidden, "only the contact sends read receipts")
            }
            (Actor::Contact(_), _) => {
                return refuse(ErrorCode::Forbidden, "only agents may do this")
            }
            (Actor::Agent(agent), action) => (agent, action),
        };
        match agent {
            (agent, Action::SetStatus(a)) => self.set_status(agent, a.status, now),
            (agent, Action::Accept(a)) => self.accept(agent, a, now),
            (agent, Action::Reject(a)) => self.reject(agent, a, now),
            (agent, Action::Done(a)) => self.done(agent, a, now),
            (agent, Action::Invite(a)) => self.invite(agent, a, now),
            (agent, Action::EndConsultation(a)) => self.end_consultation(agent, a, now),
            (agent, Action::Remove(a)) => self.remove(agent, a, now),
            (agent, Action::SetCaseData(a)) => self.set_case_data(agent, a, now),
            (agent, Action::Rejoin(a)) => self.rejoin(agent, a, now),
            (_, Action::Send(_) | Action::Typing(_) | Action::End(_) | Action::Read(_)) => {
                unreachable!("matched above")
            }
        }
    }

    fn agent_mut(&mut self, agent: &AgentId) -> &mut AgentState {
        self.agents
            .entry(agent.clone())
            .or_insert_with(|| AgentState {
                status: AgentStatus::NotReady { reason: None },
                connected: false,
                idle_since: 0,
                chats: BTreeSet::new(),
                offers: BTreeSet::new(),
            })
    }

    fn agent_party(&self, agent: &AgentId) -> parley_protocol::Party {
        party_of(&self.profiles, agent)
    }

    fn set_status(&mut self, agent: AgentId, status: AgentStatus, now: Millis) -> Outcome {
        if let AgentStatus::NotReady { reason: Some(r) } = &status {
            if !self.settings.not_ready_reasons.contains(r) {
                return refuse(ErrorCode::Invalid, "unknown Not Ready reason");
            }
        }
        let state = self.agent_mut(&agent);
        if status == AgentStatus::Ready && state.status != AgentStatus::Ready {
            state.idle_since = now;
        }
        state.status = status.clone();
        Ok(vec![
            Effect::SaveStatus {
                agent: agent.clone(),
                status: status.clone(),
            },
            Effect::Send {
                to: Actor::Agent(agent),
                msg: ServerMsg::Status { status },
            },
        ])
    }

    fn publish_presence(&mut self, out: &mut Vec<Effect>) {
        let presence = self.presence();
        if presence != self.last_presence {
            out.push(Effect::Broadcast(ServerMsg::Presence {
                agents: presence.clone(),
            }));
            self.last_presence = presence;
        }
    }

    /// Removes a finished interaction whose every agent is done.
    fn close_if_finished(&mut self, interaction: &InteractionId, out: &mut Vec<Effect>) {
        let finished = self.interactions.get(interaction).is_some_and(|ix| {
            ix.state == parley_protocol::InteractionState::Ended && ix.pending_done.is_empty()
        });
        if finished {
            if let Some(ix) = self.interactions.remove(interaction) {
                let mut record = ix.record;
                record.closed = true;
                out.push(Effect::Save(record));
            }
            self.queue.retain(|q| q != interaction);
        }
    }
}

#[cfg(test)]
mod tests;
