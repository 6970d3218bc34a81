//! Routing and the interaction state machine.
//!
//! [`Engine::handle`] takes a [`Command`] and the current time and returns the [`Effect`]s the hub
//! must carry out, in order. The engine owns every rule (who may do what, who is offered which chat,
//! which sequence number an event gets, who may see it) and does no I/O: no sockets, no database, no
//! clock. Timers are the [`Command::Tick`] input. It can be rebuilt from the stored event log with
//! [`Engine::restore`], so a restart continues where the last process stopped.

use crate::config::Config;
use parley_protocol::{
    AgentId, AgentSettings, AgentStatus, Audience, EndReason, ErrorCode, Event, EventKind,
    InteractionId, InteractionState, InteractionSummary, Invitation, InvitationId, InvitationKind,
    Millis, Party, QueueId, Seq, ServerMsg, MAX_MESSAGE_CHARS,
};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The contact's details from the pre-chat form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactInfo {
    pub name: String,
    pub email: Option<String>,
    pub subject: Option<String>,
}

/// Who issued a command.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
    },
    /// The agent's first connection opened.
    AgentConnected(AgentId),
    /// The agent's last connection closed.
    AgentDisconnected(AgentId),
    SetStatus {
        agent: AgentId,
        status: AgentStatus,
    },
    Accept {
        agent: AgentId,
        invitation: InvitationId,
    },
    Reject {
        agent: AgentId,
        invitation: InvitationId,
    },
    Send {
        from: Actor,
        interaction: InteractionId,
        client_id: String,
        text: String,
    },
    End {
        by: Actor,
        interaction: InteractionId,
    },
    Done {
        agent: AgentId,
        interaction: InteractionId,
        disposition: Option<String>,
        note: Option<String>,
    },
    /// Time passed: expire offers, retry routing.
    Tick,
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
    /// Tell the agent it joined, then deliver the stored transcript the agent may see.
    Open {
        agent: AgentId,
        summary: InteractionSummary,
    },
    /// Answer the connection that issued the command.
    Reply(ServerMsg),
}

#[derive(Clone, Debug)]
struct AgentProfile {
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
    /// Interactions the agent is a party of and has not marked done.
    chats: HashSet<InteractionId>,
    /// Open offers.
    offers: HashSet<InvitationId>,
}

#[derive(Clone, Debug)]
struct Interaction {
    record: InteractionRecord,
    state: InteractionState,
    /// Agents connected to the chat, owner first.
    agents: Vec<AgentId>,
    /// Agents that have not marked it done yet (connected now or before the end).
    pending_done: HashSet<AgentId>,
    contact_present: bool,
    next_seq: Seq,
    /// Client message ids already stored, and where.
    client_ids: HashMap<String, Seq>,
    /// Who rejected it (or let the offer time out), and when.
    rejected: HashMap<AgentId, Millis>,
}

#[derive(Clone, Debug)]
struct PendingInvitation {
    agent: AgentId,
    interaction: InteractionId,
    expires_at: Millis,
}

/// The routing and interaction state of the whole contact centre.
pub struct Engine {
    profiles: HashMap<AgentId, AgentProfile>,
    queue_skills: HashMap<QueueId, Option<String>>,
    default_queue: QueueId,
    offer_timeout_ms: Millis,
    reject_cooldown_ms: Millis,
    settings: AgentSettings,
    agents: HashMap<AgentId, AgentState>,
    /// Live interactions, by id (ids sort by creation, so this is also queue order).
    interactions: BTreeMap<InteractionId, Interaction>,
    /// Queued interactions in arrival order.
    queue: Vec<InteractionId>,
    invitations: HashMap<InvitationId, PendingInvitation>,
    next_invitation: u64,
}

fn error(code: ErrorCode, message: &str) -> Vec<Effect> {
    vec![Effect::Reply(ServerMsg::error(code, message))]
}

impl Engine {
    /// An engine with no interactions, for this configuration.
    pub fn new(config: &Config) -> Self {
        let profiles = config
            .agents
            .iter()
            .map(|a| {
                let profile = AgentProfile {
                    nickname: a.nickname.clone().unwrap_or_else(|| a.name.clone()),
                    capacity: a.capacity,
                    skills: a.skills.clone(),
                };
                (a.id.clone(), profile)
            })
            .collect();
        Self {
            profiles,
            queue_skills: config
                .queues
                .iter()
                .map(|q| (q.id.clone(), q.skill.clone()))
                .collect(),
            default_queue: config.default_queue(),
            offer_timeout_ms: Millis::from(config.routing.offer_timeout_secs) * 1000,
            reject_cooldown_ms: Millis::from(config.routing.reject_cooldown_secs) * 1000,
            settings: config.agent_settings(),
            agents: HashMap::new(),
            interactions: BTreeMap::new(),
            queue: Vec::new(),
            invitations: HashMap::new(),
            next_invitation: 1,
        }
    }

    /// Rebuilds a live interaction from its record and stored events (after a restart).
    pub fn restore(&mut self, record: InteractionRecord, events: &[Event]) {
        if record.closed {
            return;
        }
        let mut ix = Interaction::new(record);
        for event in events {
            ix.next_seq = ix.next_seq.max(event.seq + 1);
            match &event.kind {
                EventKind::Joined {
                    party: Party::Agent { id, .. },
                } => {
                    ix.agents.push(id.clone());
                    ix.pending_done.insert(id.clone());
                    ix.state = InteractionState::Active;
                }
                EventKind::Left {
                    party: Party::Agent { id, .. },
                } => ix.agents.retain(|a| a != id),
                EventKind::Left {
                    party: Party::Contact { .. },
                } => ix.contact_present = false,
                EventKind::Message {
                    client_id: Some(c), ..
                } => {
                    ix.client_ids.insert(c.clone(), event.seq);
                }
                EventKind::Ended { .. } => ix.state = InteractionState::Ended,
                EventKind::Done { agent, .. } => {
                    ix.pending_done.remove(agent);
                }
                _ => {}
            }
        }
        for agent in &ix.pending_done {
            self.agent_mut(agent).chats.insert(ix.record.id.clone());
        }
        if ix.state == InteractionState::Queued {
            self.queue.push(ix.record.id.clone());
        }
        self.interactions.insert(ix.record.id.clone(), ix);
    }

    /// The agent lists shown in the desktop controls.
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

    /// Interactions the agent is a party of and has not marked done.
    pub fn agent_interactions(&self, agent: &AgentId) -> Vec<InteractionSummary> {
        let Some(state) = self.agents.get(agent) else {
            return Vec::new();
        };
        let mut out: Vec<_> = state
            .chats
            .iter()
            .filter_map(|id| self.interactions.get(id))
            .map(Interaction::summary)
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// The agent's open offers.
    pub fn agent_invitations(&self, agent: &AgentId) -> Vec<Invitation> {
        let mut out: Vec<_> = self
            .invitations
            .iter()
            .filter(|(_, inv)| &inv.agent == agent)
            .filter_map(|(id, inv)| self.invitation(id, inv))
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Whether the contact of this interaction may still connect to it.
    pub fn contact_may_connect(&self, interaction: &InteractionId) -> bool {
        self.interactions.contains_key(interaction)
    }

    /// Whether an agent may read this interaction's events (a party that has not marked it done).
    pub fn agent_may_read(&self, agent: &AgentId, interaction: &InteractionId) -> bool {
        self.agents
            .get(agent)
            .is_some_and(|a| a.chats.contains(interaction))
    }

    /// Carries out one command at time `now`.
    pub fn handle(&mut self, command: Command, now: Millis) -> Vec<Effect> {
        let mut out = match command {
            Command::StartChat {
                id,
                contact,
                queue,
                text,
            } => self.start_chat(id, contact, queue, text, now),
            Command::AgentConnected(agent) => {
                self.agent_mut(&agent).connected = true;
                Vec::new()
            }
            Command::AgentDisconnected(agent) => self.agent_disconnected(agent),
            Command::SetStatus { agent, status } => self.set_status(agent, status, now),
            Command::Accept { agent, invitation } => self.accept(agent, invitation, now),
            Command::Reject { agent, invitation } => self.reject(agent, invitation, now),
            Command::Send {
                from,
                interaction,
                client_id,
                text,
            } => self.send(from, interaction, client_id, text, now),
            Command::End { by, interaction } => self.end(by, interaction, now),
            Command::Done {
                agent,
                interaction,
                disposition,
                note,
            } => self.done(agent, interaction, disposition, note, now),
            Command::Tick => self.expire_offers(now),
        };
        self.route(now, &mut out);
        out
    }

    fn agent_mut(&mut self, agent: &AgentId) -> &mut AgentState {
        self.agents
            .entry(agent.clone())
            .or_insert_with(|| AgentState {
                status: AgentStatus::NotReady { reason: None },
                connected: false,
                idle_since: 0,
                chats: HashSet::new(),
                offers: HashSet::new(),
            })
    }

    fn start_chat(
        &mut self,
        id: InteractionId,
        contact: ContactInfo,
        queue: Option<QueueId>,
        text: Option<String>,
        now: Millis,
    ) -> Vec<Effect> {
        if self.interactions.contains_key(&id) {
            return error(ErrorCode::Invalid, "interaction already exists");
        }
        let queue = queue.unwrap_or_else(|| self.default_queue.clone());
        if !self.queue_skills.contains_key(&queue) {
            return error(ErrorCode::NotFound, "no such queue");
        }
        let record = InteractionRecord {
            id: id.clone(),
            contact,
            queue,
            started_at: now,
            closed: false,
        };
        let mut ix = Interaction::new(record.clone());
        let contact_party = ix.contact_party();
        let mut out = vec![Effect::Save(record)];
        ix.push(
            &mut out,
            now,
            Audience::Everyone,
            EventKind::Joined {
                party: contact_party.clone(),
            },
            &[],
        );
        let notice = "Agent will be with you shortly".to_owned();
        ix.push(
            &mut out,
            now,
            Audience::Everyone,
            EventKind::Notice { text: notice },
            &[],
        );
        if let Some(text) = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
            let text: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
            ix.push(
                &mut out,
                now,
                Audience::Everyone,
                EventKind::Message {
                    from: contact_party,
                    text,
                    client_id: None,
                },
                &[],
            );
        }
        self.queue.push(id.clone());
        self.interactions.insert(id, ix);
        out
    }

    fn agent_disconnected(&mut self, agent: AgentId) -> Vec<Effect> {
        let state = self.agent_mut(&agent);
        state.connected = false;
        let offers: Vec<_> = state.offers.drain().collect();
        for inv in offers {
            if let Some(pending) = self.invitations.remove(&inv) {
                self.requeue(&pending.interaction);
            }
        }
        Vec::new()
    }

    fn set_status(&mut self, agent: AgentId, status: AgentStatus, now: Millis) -> Vec<Effect> {
        if let AgentStatus::NotReady { reason: Some(r) } = &status {
            if !self.settings.not_ready_reasons.contains(r) {
                return error(ErrorCode::Invalid, "unknown Not Ready reason");
            }
        }
        let state = self.agent_mut(&agent);
        if status == AgentStatus::Ready && state.status != AgentStatus::Ready {
            state.idle_since = now;
        }
        state.status = status.clone();
        vec![Effect::Send {
            to: Actor::Agent(agent),
            msg: ServerMsg::Status { status },
        }]
    }

    fn take_invitation(
        &mut self,
        agent: &AgentId,
        invitation: &InvitationId,
    ) -> Result<PendingInvitation, Vec<Effect>> {
        match self.invitations.get(invitation) {
            Some(p) if &p.agent == agent => {}
            _ => {
                return Err(error(
                    ErrorCode::NotFound,
                    "this invitation is no longer open",
                ))
            }
        }
        let pending = self.invitations.remove(invitation).ok_or_else(Vec::new)?;
        self.agent_mut(agent).offers.remove(invitation);
        Ok(pending)
    }

    fn accept(&mut self, agent: AgentId, invitation: InvitationId, now: Millis) -> Vec<Effect> {
        let pending = match self.take_invitation(&agent, &invitation) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let mut out = vec![Effect::Send {
            to: Actor::Agent(agent.clone()),
            msg: ServerMsg::InvitationGone { invitation },
        }];
        let nickname = self.nickname(&agent).unwrap_or(agent.as_str()).to_owned();
        let Some(ix) = self.interactions.get_mut(&pending.interaction) else {
            return out;
        };
        ix.state = InteractionState::Active;
        ix.agents.push(agent.clone());
        ix.pending_done.insert(agent.clone());
        out.push(Effect::Open {
            agent: agent.clone(),
            summary: ix.summary(),
        });
        let party = Party::Agent {
            id: agent.clone(),
            name: nickname,
        };
        ix.push(
            &mut out,
            now,
            Audience::Everyone,
            EventKind::Joined { party },
            &[],
        );
        self.agent_mut(&agent).chats.insert(pending.interaction);
        out
    }

    fn reject(&mut self, agent: AgentId, invitation: InvitationId, now: Millis) -> Vec<Effect> {
        match self.take_invitation(&agent, &invitation) {
            Ok(pending) => self.decline(agent, invitation, pending, now),
            Err(e) => e,
        }
    }

    /// A reject or a time-out: the chat goes back to the queue, not to this agent for a while.
    fn decline(
        &mut self,
        agent: AgentId,
        invitation: InvitationId,
        pending: PendingInvitation,
        now: Millis,
    ) -> Vec<Effect> {
        if let Some(ix) = self.interactions.get_mut(&pending.interaction) {
            ix.rejected.insert(agent.clone(), now);
        }
        self.requeue(&pending.interaction);
        vec![Effect::Send {
            to: Actor::Agent(agent),
            msg: ServerMsg::InvitationGone { invitation },
        }]
    }

    fn requeue(&mut self, interaction: &InteractionId) {
        if let Some(ix) = self.interactions.get_mut(interaction) {
            if ix.state == InteractionState::Offered {
                ix.state = InteractionState::Queued;
                // Back at its place by arrival, ahead of chats that came later.
                let at = self.queue.partition_point(|q| q < interaction);
                self.queue.insert(at, interaction.clone());
            }
        }
    }

    fn expire_offers(&mut self, now: Millis) -> Vec<Effect> {
        let mut expired: Vec<_> = self
            .invitations
            .iter()
            .filter(|(_, p)| p.expires_at <= now)
            .map(|(id, p)| (id.clone(), p.agent.clone()))
            .collect();
        expired.sort();
        let mut out = Vec::new();
        for (id, agent) in expired {
            if let Ok(pending) = self.take_invitation(&agent, &id) {
                out.extend(self.decline(agent, id, pending, now));
            }
        }
        out
    }

    fn party_of(&self, actor: &Actor, interaction: &InteractionId) -> Result<Party, Vec<Effect>> {
        let Some(ix) = self.interactions.get(interaction) else {
            return Err(error(ErrorCode::NotFound, "no such interaction"));
        };
        match actor {
            Actor::Agent(agent) if ix.agents.contains(agent) => Ok(Party::Agent {
                id: agent.clone(),
                name: self.nickname(agent).unwrap_or(agent.as_str()).to_owned(),
            }),
            Actor::Contact(id) if id == interaction && ix.contact_present => Ok(ix.contact_party()),
            _ => Err(error(
                ErrorCode::Forbidden,
                "you are not connected to this interaction",
            )),
        }
    }

    fn send(
        &mut self,
        from: Actor,
        interaction: InteractionId,
        client_id: String,
        text: String,
        now: Millis,
    ) -> Vec<Effect> {
        let party = match self.party_of(&from, &interaction) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let text = text.trim();
        if text.is_empty() {
            return error(ErrorCode::Invalid, "empty message");
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return error(ErrorCode::Invalid, "message is too long");
        }
        if client_id.is_empty() || client_id.len() > 64 {
            return error(ErrorCode::Invalid, "client_id must be 1 to 64 bytes");
        }
        let Some(ix) = self.interactions.get_mut(&interaction) else {
            return Vec::new();
        };
        let ack = |seq| {
            Effect::Reply(ServerMsg::Ack {
                interaction: interaction.clone(),
                client_id: client_id.clone(),
                seq,
            })
        };
        if let Some(&seq) = ix.client_ids.get(&client_id) {
            return vec![ack(seq)];
        }
        if ix.state == InteractionState::Ended {
            return error(ErrorCode::Invalid, "the chat has ended");
        }
        let mut out = Vec::new();
        let kind = EventKind::Message {
            from: party,
            text: text.to_owned(),
            client_id: Some(client_id.clone()),
        };
        let seq = ix.push(&mut out, now, Audience::Everyone, kind, &[]);
        ix.client_ids.insert(client_id.clone(), seq);
        out.push(ack(seq));
        out
    }

    fn end(&mut self, by: Actor, interaction: InteractionId, now: Millis) -> Vec<Effect> {
        let party = match self.party_of(&by, &interaction) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let Some(ix) = self.interactions.get_mut(&interaction) else {
            return Vec::new();
        };
        if ix.state == InteractionState::Ended {
            return error(ErrorCode::Invalid, "the chat has already ended");
        }
        let mut out = Vec::new();
        let reason = match by {
            Actor::Agent(_) => EndReason::AgentEnded,
            Actor::Contact(_) => {
                ix.push(
                    &mut out,
                    now,
                    Audience::Everyone,
                    EventKind::Left { party },
                    &[],
                );
                EndReason::ContactEnded
            }
        };
        ix.push(
            &mut out,
            now,
            Audience::Everyone,
            EventKind::Ended { reason },
            &[],
        );
        ix.state = InteractionState::Ended;
        if matches!(by, Actor::Contact(_)) {
            ix.contact_present = false;
        }
        out
    }

    fn done(
        &mut self,
        agent: AgentId,
        interaction: InteractionId,
        disposition: Option<String>,
        note: Option<String>,
        now: Millis,
    ) -> Vec<Effect> {
        let required = self.settings.disposition_required;
        let known = disposition
            .as_ref()
            .is_none_or(|d| self.settings.dispositions.contains(d));
        let Some(ix) = self.interactions.get_mut(&interaction) else {
            return error(ErrorCode::NotFound, "no such interaction");
        };
        if !ix.pending_done.contains(&agent) {
            return error(
                ErrorCode::Forbidden,
                "you are not a party of this interaction",
            );
        }
        if ix.state != InteractionState::Ended {
            return error(ErrorCode::Invalid, "end the chat before marking it done");
        }
        if !known {
            return error(ErrorCode::Invalid, "unknown disposition code");
        }
        if required && disposition.is_none() {
            return error(ErrorCode::Invalid, "choose a disposition code first");
        }
        let note = note
            .map(|n| n.trim().chars().take(MAX_MESSAGE_CHARS).collect::<String>())
            .filter(|n| !n.is_empty());
        let mut out = Vec::new();
        let kind = EventKind::Done {
            agent: agent.clone(),
            disposition,
            note,
        };
        ix.push(
            &mut out,
            now,
            Audience::Agents,
            kind,
            std::slice::from_ref(&agent),
        );
        ix.pending_done.remove(&agent);
        ix.agents.retain(|a| a != &agent);
        let closed = ix.pending_done.is_empty();
        if closed {
            let mut record = ix.record.clone();
            record.closed = true;
            out.push(Effect::Save(record));
            self.interactions.remove(&interaction);
        }
        let state = self.agent_mut(&agent);
        state.chats.remove(&interaction);
        state.idle_since = now;
        out.push(Effect::Send {
            to: Actor::Agent(agent),
            msg: ServerMsg::Closed { interaction },
        });
        out
    }

    fn invitation(&self, id: &InvitationId, pending: &PendingInvitation) -> Option<Invitation> {
        let ix = self.interactions.get(&pending.interaction)?;
        Some(Invitation {
            id: id.clone(),
            kind: InvitationKind::NewChat,
            interaction: ix.summary(),
            expires_at: pending.expires_at,
        })
    }

    /// Offers queued chats, oldest first, each to the longest-idle Ready agent with room.
    fn route(&mut self, now: Millis, out: &mut Vec<Effect>) {
        let mut still_queued = Vec::new();
        for id in std::mem::take(&mut self.queue) {
            let Some(agent) = self.pick_agent(&id, now) else {
                still_queued.push(id);
                continue;
            };
            let invitation = InvitationId(format!("inv-{}", self.next_invitation));
            self.next_invitation += 1;
            let pending = PendingInvitation {
                agent: agent.clone(),
                interaction: id.clone(),
                expires_at: now + self.offer_timeout_ms,
            };
            if let Some(ix) = self.interactions.get_mut(&id) {
                ix.state = InteractionState::Offered;
            }
            self.agent_mut(&agent).offers.insert(invitation.clone());
            if let Some(inv) = self.invitation(&invitation, &pending) {
                out.push(Effect::Send {
                    to: Actor::Agent(agent),
                    msg: ServerMsg::Invitation { invitation: inv },
                });
            }
            self.invitations.insert(invitation, pending);
        }
        self.queue = still_queued;
    }

    fn pick_agent(&self, interaction: &InteractionId, now: Millis) -> Option<AgentId> {
        let ix = self.interactions.get(interaction)?;
        let skill = self.queue_skills.get(&ix.record.queue).cloned().flatten();
        self.agents
            .iter()
            .filter(|(_, a)| a.connected && a.status == AgentStatus::Ready)
            .filter(|(id, a)| {
                let profile = &self.profiles[*id];
                (a.chats.len() + a.offers.len()) < profile.capacity as usize
                    && skill.as_ref().is_none_or(|s| profile.skills.contains(s))
            })
            .filter(|(id, _)| {
                ix.rejected
                    .get(*id)
                    .is_none_or(|&at| now - at >= self.reject_cooldown_ms)
            })
            .min_by(|(ida, a), (idb, b)| a.idle_since.cmp(&b.idle_since).then(ida.cmp(idb)))
            .map(|(id, _)| id.clone())
    }
}

impl Interaction {
    fn new(record: InteractionRecord) -> Self {
        Self {
            record,
            state: InteractionState::Queued,
            agents: Vec::new(),
            pending_done: HashSet::new(),
            contact_present: true,
            next_seq: 1,
            client_ids: HashMap::new(),
            rejected: HashMap::new(),
        }
    }

    fn contact_party(&self) -> Party {
        Party::Contact {
            name: self.record.contact.name.clone(),
        }
    }

    fn summary(&self) -> InteractionSummary {
        InteractionSummary {
            id: self.record.id.clone(),
            contact: self.record.contact.name.clone(),
            email: self.record.contact.email.clone(),
            subject: self.record.contact.subject.clone(),
            queue: self.record.queue.clone(),
            state: self.state,
            started_at: self.record.started_at,
        }
    }

    /// Appends an event with the next sequence number. It goes to `only` when given, else to
    /// every connected agent and, when the audience allows, the contact.
    fn push(
        &mut self,
        out: &mut Vec<Effect>,
        now: Millis,
        audience: Audience,
        kind: EventKind,
        only: &[AgentId],
    ) -> Seq {
        let seq = self.next_seq;
        self.next_seq += 1;
        let to = if only.is_empty() {
            let mut to: Vec<Recipient> = self.agents.iter().cloned().map(Actor::Agent).collect();
            if audience.includes_contact() && self.contact_present {
                to.push(Actor::Contact(self.record.id.clone()));
            }
            to
        } else {
            only.iter().cloned().map(Actor::Agent).collect()
        };
        let event = Event {
            seq,
            at: now,
            audience,
            kind,
        };
        out.push(Effect::Append {
            interaction: self.record.id.clone(),
            event,
            to,
        });
        seq
    }
}

#[cfg(test)]
#[path = "engine/tests.rs"]
mod tests;
