//! One interaction: who takes part, its numbering of events and who receives each.

use super::rights::Right;
use super::{Actor, Effect, InteractionRecord, Recipient};
use parley_protocol::{
    AgentId, Audience, EndReason, Event, EventKind, InteractionState, InteractionSummary,
    LeaveReason, Millis, Notice, Party, PendingLevel, RequestKind, Role, Seq, Target,
};
use std::collections::{BTreeMap, BTreeSet};

/// A private chat between the initiator and the target about the interaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Consultation {
    pub id: String,
    pub initiator: AgentId,
    pub target: AgentId,
    pub active: bool,
}

/// A contact whose chat waits in its queue sends at most this many messages in any window of
/// as many times `queued_message_gap_ms`.
pub(super) const QUEUED_BURST: usize = 3;

/// A consultation, transfer or conference request waiting for a target to accept.
#[derive(Clone, Debug)]
pub(super) struct Request {
    pub kind: RequestKind,
    pub initiator: AgentId,
    pub target: Target,
    /// Agents already offered this request (they rejected or let it time out).
    pub tried: BTreeSet<AgentId>,
    /// The offer out now.
    pub invitation: Option<parley_protocol::InvitationId>,
}

#[derive(Clone, Debug)]
pub(super) struct Interaction {
    pub record: InteractionRecord,
    pub state: InteractionState,
    /// Connected agent parties, the owner first.
    pub agents: Vec<AgentId>,
    pub consultations: Vec<Consultation>,
    /// Agents that have not marked their part done yet.
    pub pending_done: BTreeSet<AgentId>,
    /// Agents that were ever a party (not only a consultant): they need a disposition when required.
    pub ever_party: BTreeSet<AgentId>,
    /// The contact has not left the chat.
    pub contact_present: bool,
    /// The contact has a connection open now.
    pub contact_online: bool,
    /// Since when the contact has had no connection (`None` until first noticed).
    pub contact_gone_since: Option<Millis>,
    /// When the contact left, for auto-close.
    pub contact_left_at: Option<Millis>,
    pub next_seq: Seq,
    /// Client message ids already stored, by sender ([`Party::sender_key`]), and where.
    pub client_ids: BTreeMap<(String, String), Seq>,
    /// When the contact's latest messages were taken while the chat waited in its queue (at
    /// most [`QUEUED_BURST`]); not kept across a restart.
    pub queued_sends: std::collections::VecDeque<Millis>,
    /// Agents who rejected the routed offer (or let it time out), and when.
    pub rejected: BTreeMap<AgentId, Millis>,
    pub request: Option<Request>,
    pub case_data: BTreeMap<String, String>,
    /// Files sent in the chat, and their bytes.
    pub files: (u32, u64),
    /// When the oldest contact message no agent has answered yet arrived.
    pub awaiting_since: Option<Millis>,
    pub pending: PendingLevel,
    /// Last message by anyone in the main chat, for the inactivity time-out.
    pub last_activity: Millis,
    pub inactivity_warned: bool,
    pub last_read: Seq,
    /// The queue position last told to the contact.
    pub position_sent: u32,
    /// The bot is handling the chat: it is not in the queue yet.
    pub with_bot: bool,
    /// How far each agent that ever took part may read.
    pub rights: BTreeMap<AgentId, Right>,
    /// The chat as each agent whose right ended last saw it.
    pub seen: BTreeMap<AgentId, Seen>,
}

/// What an agent saw of a chat when its right to it ended.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Seen {
    state: InteractionState,
    agents: Vec<AgentId>,
    case_data: BTreeMap<String, String>,
    pending: PendingLevel,
    role: Role,
}

impl Interaction {
    pub fn new(record: InteractionRecord) -> Self {
        let last_activity = record.started_at;
        Self {
            record,
            state: InteractionState::Queued,
            agents: Vec::new(),
            consultations: Vec::new(),
            pending_done: BTreeSet::new(),
            ever_party: BTreeSet::new(),
            contact_present: true,
            contact_online: false,
            contact_gone_since: None,
            contact_left_at: None,
            next_seq: 1,
            client_ids: BTreeMap::new(),
            queued_sends: std::collections::VecDeque::new(),
            rejected: BTreeMap::new(),
            request: None,
            case_data: BTreeMap::new(),
            files: (0, 0),
            awaiting_since: None,
            pending: PendingLevel::Ok,
            last_activity,
            inactivity_warned: false,
            last_read: 0,
            position_sent: 0,
            with_bot: false,
            rights: BTreeMap::new(),
            seen: BTreeMap::new(),
        }
    }

    /// The interaction as its stored events leave it.
    pub fn replay(record: InteractionRecord, events: &[Event]) -> Self {
        let mut ix = Self::new(record);
        for event in events {
            ix.next_seq = ix.next_seq.max(event.seq + 1);
            ix.apply(event);
        }
        ix
    }

    /// Updates the state for one event. `push` and `replay` both go through here, so a restored
    /// interaction is exactly the live one.
    fn apply(&mut self, event: &Event) {
        if let Some(agent) = Right::concerns(event) {
            self.rights.entry(agent.clone()).or_default();
        }
        for (agent, right) in &mut self.rights {
            right.apply(agent, event);
        }
        self.change(event);
        // An agent whose right ended with this event keeps the chat as it was then: its summary
        // (state, parties, case data) stops here like its transcript.
        let role = match event.kind {
            EventKind::ConsultationEnded { .. } => Role::Consultant,
            _ => Role::Party,
        };
        for (agent, right) in &self.rights {
            if right.until == Some(event.seq) {
                self.seen.insert(agent.clone(), self.seen_now(role));
            }
        }
    }

    /// The chat as an agent in this role sees it now.
    fn seen_now(&self, role: Role) -> Seen {
        Seen {
            state: self.state,
            agents: self.agents.clone(),
            case_data: self.case_data.clone(),
            pending: self.pending,
            role,
        }
    }

    /// The state's own part of [`Interaction::apply`].
    fn change(&mut self, event: &Event) {
        match &event.kind {
            EventKind::Joined {
                party: Party::Agent { id, .. },
            } => {
                if !self.agents.contains(id) {
                    self.agents.push(id.clone());
                }
                self.pending_done.insert(id.clone());
                self.ever_party.insert(id.clone());
                if self.state != InteractionState::Ended {
                    self.state = InteractionState::Active;
                }
            }
            EventKind::Left {
                party: Party::Agent { id, .. },
                reason,
            } => {
                self.agents.retain(|a| a != id);
                if *reason == Some(LeaveReason::Transferred) {
                    self.pending_done.remove(id);
                }
            }
            EventKind::Left {
                party: Party::Contact { .. },
                ..
            } => {
                self.contact_present = false;
                self.contact_left_at = Some(event.at);
            }
            EventKind::OwnerChanged {
                owner: Party::Agent { id, .. },
            } => {
                if let Some(at) = self.agents.iter().position(|a| a == id) {
                    let owner = self.agents.remove(at);
                    self.agents.insert(0, owner);
                }
            }
            EventKind::Message {
                from,
                client_id,
                consultation,
                ..
            } => {
                if let Some(c) = client_id {
                    self.client_ids
                        .insert((from.sender_key(), c.clone()), event.seq);
                }
                if consultation.is_none() {
                    self.spoke(from, event.at);
                }
            }
            EventKind::File { from, file } => {
                self.files.0 = self.files.0.saturating_add(1);
                self.files.1 = self.files.1.saturating_add(file.size);
                self.spoke(from, event.at);
            }
            EventKind::Rich { from, .. } => {
                self.with_bot = true;
                self.spoke(from, event.at);
            }
            // The queued notice marks where a bot hands a chat over to its queue; databases from
            // before protocol 3 hold it as its English text.
            EventKind::System {
                notice: Notice::Queued,
            } => self.with_bot = false,
            EventKind::Notice { text } if *text == Notice::Queued.text() => self.with_bot = false,
            EventKind::Ended { .. } => {
                self.state = InteractionState::Ended;
                self.awaiting_since = None;
                self.pending = PendingLevel::Ok;
                for c in &mut self.consultations {
                    c.active = false;
                }
            }
            EventKind::Done { agent, .. } => {
                self.pending_done.remove(agent);
                self.agents.retain(|a| a != agent);
            }
            EventKind::ConsultationStarted {
                consultation,
                initiator: Party::Agent { id: from, .. },
                target: Party::Agent { id: to, .. },
            } => {
                self.consultations.push(Consultation {
                    id: consultation.clone(),
                    initiator: from.clone(),
                    target: to.clone(),
                    active: true,
                });
                self.pending_done.insert(to.clone());
            }
            EventKind::ConsultationEnded { consultation, .. } => {
                if let Some(c) = self
                    .consultations
                    .iter_mut()
                    .find(|c| &c.id == consultation)
                {
                    c.active = false;
                }
            }
            EventKind::CaseData { key, value } => match value {
                Some(v) => {
                    self.case_data.insert(key.clone(), v.clone());
                }
                None => {
                    self.case_data.remove(key);
                }
            },
            EventKind::Read { up_to } => self.last_read = self.last_read.max(*up_to),
            EventKind::Notice { .. }
            | EventKind::System { .. }
            | EventKind::Declined { .. }
            | EventKind::Joined { .. }
            | EventKind::Left { .. } => {}
            EventKind::OwnerChanged { .. } | EventKind::ConsultationStarted { .. } => {}
        }
    }

    /// Someone wrote in the main chat: activity, and the pending response starts or is answered.
    fn spoke(&mut self, from: &Party, at: Millis) {
        self.last_activity = at;
        self.inactivity_warned = false;
        match from {
            Party::Contact { .. } => {
                self.awaiting_since.get_or_insert(at);
            }
            Party::Agent { .. } => {
                self.awaiting_since = None;
                self.pending = PendingLevel::Ok;
            }
            Party::System => {}
        }
    }

    pub fn contact_party(&self) -> Party {
        Party::Contact {
            name: self.record.contact.name.clone(),
        }
    }

    /// The owner: the first connected agent party.
    pub fn owner(&self) -> Option<&AgentId> {
        self.agents.first()
    }

    /// The active consultation this agent is the target of.
    pub fn consulting(&self, agent: &AgentId) -> Option<&Consultation> {
        self.consultations
            .iter()
            .find(|c| c.active && &c.target == agent)
    }

    /// Whether the agent's part is over: the chat ended, or it left and consults nobody.
    pub fn part_over(&self, agent: &AgentId) -> bool {
        self.state == InteractionState::Ended
            || (!self.agents.contains(agent) && self.consulting(agent).is_none())
    }

    pub fn summary_for(
        &self,
        agent: &AgentId,
        profiles: &BTreeMap<AgentId, super::AgentProfile>,
    ) -> InteractionSummary {
        let role = if self.agents.contains(agent) || self.consulting(agent).is_none() {
            Role::Party
        } else {
            Role::Consultant
        };
        let ended = self.rights.get(agent).is_some_and(|r| r.until.is_some());
        let seen = match self.seen.get(agent) {
            Some(then) if ended => then.clone(),
            _ => self.seen_now(role),
        };
        InteractionSummary {
            id: self.record.id.clone(),
            contact: self.record.contact.name.clone(),
            email: self.record.contact.email.clone(),
            verified: self.record.contact.verified,
            subject: self.record.contact.subject.clone(),
            queue: self.record.queue.clone(),
            state: seen.state,
            started_at: self.record.started_at,
            case_data: seen.case_data,
            pending: seen.pending,
            role: seen.role,
            agents: seen
                .agents
                .iter()
                .map(|a| super::party_of(profiles, a))
                .collect(),
        }
    }

    /// Agents that receive `audience` events now: parties and active consultants, or for a
    /// private event the named agents that still take part.
    pub fn agent_recipients(&self, audience: &Audience) -> Vec<AgentId> {
        match audience {
            Audience::Private { agents } => agents
                .iter()
                .filter(|a| self.pending_done.contains(*a) || self.agents.contains(a))
                .cloned()
                .collect(),
            Audience::Everyone | Audience::Agents => {
                let mut to = self.agents.clone();
                to.extend(
                    self.consultations
                        .iter()
                        .filter(|c| c.active)
                        .map(|c| c.target.clone())
                        .filter(|t| !self.agents.contains(t)),
                );
                to
            }
        }
    }

    /// Appends an event with the next sequence number, applies it, and emits it to its recipients.
    pub fn push(
        &mut self,
        out: &mut Vec<Effect>,
        now: Millis,
        audience: Audience,
        kind: EventKind,
    ) -> Seq {
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut to: Vec<Recipient> = self
            .agent_recipients(&audience)
            .into_iter()
            .map(Actor::Agent)
            .collect();
        if audience.includes_contact() && self.contact_present {
            to.push(Actor::Contact(self.record.id.clone()));
        }
        let event = Event {
            seq,
            at: now,
            audience,
            kind,
        };
        self.apply(&event);
        // Recipients are computed before applying, so an agent who leaves still sees its own leave.
        out.push(Effect::Append {
            interaction: self.record.id.clone(),
            event,
            to,
        });
        seq
    }

    /// Records a domain event made by the event just pushed.
    pub fn milestone(&self, out: &mut Vec<Effect>, now: Millis, event: crate::DomainEvent) {
        out.push(Effect::Milestone(crate::Milestone {
            interaction: self.record.id.clone(),
            seq: self.next_seq.saturating_sub(1),
            at: now,
            event,
        }));
    }

    /// The contact leaves; with auto-close on, the agents are told when the chat will close
    /// (after that no disposition or note can be added).
    pub fn contact_leaves(
        &mut self,
        out: &mut Vec<Effect>,
        now: Millis,
        reason: Option<LeaveReason>,
        auto_close: Millis,
    ) {
        let party = self.contact_party();
        self.push(
            out,
            now,
            Audience::Everyone,
            EventKind::Left { party, reason },
        );
        if auto_close > 0 {
            let notice = Notice::AutoClose {
                secs: u32::try_from(auto_close / 1000).unwrap_or(u32::MAX),
            };
            self.push(out, now, Audience::Agents, EventKind::System { notice });
        }
    }

    /// Ends one consultation if it is active; `by` is the agent who ended it.
    pub fn end_consultation(
        &mut self,
        out: &mut Vec<Effect>,
        now: Millis,
        id: &str,
        by: Option<Party>,
    ) {
        let Some(c) = self.consultations.iter().find(|c| c.id == id && c.active) else {
            return;
        };
        let audience = Audience::Private {
            agents: vec![c.initiator.clone(), c.target.clone()],
        };
        let kind = EventKind::ConsultationEnded {
            consultation: c.id.clone(),
            by,
        };
        self.push(out, now, audience, kind);
    }

    /// Ends the chat for everyone: consultations end first, then the end itself.
    pub fn end_all(&mut self, out: &mut Vec<Effect>, now: Millis, reason: EndReason) {
        let active: Vec<String> = self
            .consultations
            .iter()
            .filter(|c| c.active)
            .map(|c| c.id.clone())
            .collect();
        for id in active {
            self.end_consultation(out, now, &id, None);
        }
        self.push(
            out,
            now,
            Audience::Everyone,
            EventKind::Ended {
                reason: reason.clone(),
            },
        );
        self.milestone(out, now, crate::DomainEvent::Ended { reason });
    }
}
