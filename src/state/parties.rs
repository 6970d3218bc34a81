//! Who takes part in one chat, as this agent sees it: the party list (contact, agents and
//! consultation targets with their status) and the consultations with their private messages.
//!
//! Both follow from the events alone, so a resume or a scroll-back that fills a gap rebuilds
//! them with [`Parties::rebuild`] and gets the same answer as the live path.

use parley_client::i18n::{t, tf};
use parley_client::lines::Line;
use parley_protocol::{AgentId, Event, EventKind, Party};

/// A party's state in the chat, for the party list (`data-status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartyStatus {
    Connected,
    /// A consultation target: sees the chat, talks privately with the initiator.
    Consulting,
    Left,
}

impl PartyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyStatus::Connected => "connected",
            PartyStatus::Consulting => "consulting",
            PartyStatus::Left => "left",
        }
    }

    /// The catalogue key of what the party list says.
    pub fn label(self) -> &'static str {
        match self {
            PartyStatus::Connected => "parties.connected",
            PartyStatus::Consulting => "parties.consulting",
            PartyStatus::Left => "parties.left",
        }
    }
}

/// One line of the party list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartyEntry {
    pub party: Party,
    pub status: PartyStatus,
}

impl PartyEntry {
    /// A stable key: `contact`, or the agent's id.
    pub fn key(&self) -> String {
        party_key(&self.party)
    }

    pub fn agent(&self) -> Option<&AgentId> {
        match &self.party {
            Party::Agent { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// A stable key for a party: `contact`, or the agent's id.
pub fn party_key(party: &Party) -> String {
    match party {
        Party::Agent { id, .. } => id.to_string(),
        Party::Contact { .. } => "contact".into(),
        Party::System => "system".into(),
    }
}

/// A consultation this agent takes part in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consult {
    pub id: String,
    /// The other agent.
    pub with: Party,
    /// The agent consulted (the viewer when it is not `mine`).
    pub target: Party,
    /// This agent started it (it is the initiator).
    pub mine: bool,
    pub active: bool,
    /// The private messages, as display lines.
    pub lines: Vec<Line>,
    /// The other agent is typing.
    pub typing: bool,
    /// The agent closed the ended consultation (Done).
    pub dismissed: bool,
}

impl Consult {
    /// The other agent's id.
    pub fn with_id(&self) -> Option<&AgentId> {
        match &self.with {
            Party::Agent { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// The party list and consultations of one chat.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parties {
    pub list: Vec<PartyEntry>,
    pub consults: Vec<Consult>,
}

impl Parties {
    /// Follows one event; `me` is the viewing agent.
    pub fn track(&mut self, e: &Event, me: Option<&AgentId>) {
        let is_me = |p: &Party| matches!(p, Party::Agent { id, .. } if Some(id) == me);
        match &e.kind {
            EventKind::Joined { party } => self.set(party, PartyStatus::Connected),
            EventKind::Left { party, .. } => self.set(party, PartyStatus::Left),
            EventKind::Message {
                from,
                text,
                consultation: Some(id),
                ..
            } => {
                if let Some(c) = self.consults.iter_mut().find(|c| &c.id == id) {
                    c.typing = c.typing && is_me(from);
                    c.lines.push(Line::Message {
                        seq: e.seq,
                        at: e.at,
                        from: from.name().to_owned(),
                        text: text.clone(),
                        mine: is_me(from),
                        contact: false,
                    });
                }
            }
            EventKind::ConsultationStarted {
                consultation,
                initiator,
                target,
            } => {
                let mine = is_me(initiator);
                let with = if mine { target } else { initiator };
                self.set(target, PartyStatus::Consulting);
                if !self.consults.iter().any(|c| &c.id == consultation) {
                    self.consults.push(Consult {
                        id: consultation.clone(),
                        with: with.clone(),
                        target: target.clone(),
                        mine,
                        active: true,
                        lines: vec![Line::System {
                            seq: e.seq,
                            at: e.at,
                            text: tf("parties.consult_started", &[("name", with.name())]),
                        }],
                        typing: false,
                        dismissed: false,
                    });
                }
            }
            EventKind::ConsultationEnded { consultation, by } => {
                if let Some(c) = self.consults.iter_mut().find(|c| &c.id == consultation) {
                    c.active = false;
                    c.typing = false;
                    let text = match by {
                        Some(p) => tf("parties.consult_ended_by", &[("name", p.name())]),
                        None => t("parties.consult_ended"),
                    };
                    c.lines.push(Line::System {
                        seq: e.seq,
                        at: e.at,
                        text,
                    });
                    let target = c.target.clone();
                    if self.status_of(&target) == Some(PartyStatus::Consulting) {
                        self.set(&target, PartyStatus::Left);
                    }
                }
            }
            _ => {}
        }
    }

    /// Adds the parties known without events, as connected: the contact and the agents the
    /// chat's summary names (their joins may be older than the events loaded).
    pub fn seed(&mut self, contact: &Party, agents: &[Party]) {
        for party in std::iter::once(contact).chain(agents) {
            if self.status_of(party).is_none() {
                self.set(party, PartyStatus::Connected);
            }
        }
    }

    /// The same as seeding and tracking every event from scratch; keeps which ended
    /// consultations were dismissed.
    pub fn rebuild<'a>(
        &mut self,
        (contact, agents): (&Party, &[Party]),
        events: impl IntoIterator<Item = &'a Event>,
        me: Option<&AgentId>,
    ) {
        let dismissed: Vec<String> = self
            .consults
            .iter()
            .filter(|c| c.dismissed)
            .map(|c| c.id.clone())
            .collect();
        *self = Parties::default();
        self.seed(contact, agents);
        for e in events {
            self.track(e, me);
        }
        for c in &mut self.consults {
            c.dismissed = dismissed.contains(&c.id);
        }
    }

    fn status_of(&self, party: &Party) -> Option<PartyStatus> {
        let key = party_key(party);
        self.list.iter().find(|p| p.key() == key).map(|p| p.status)
    }

    fn set(&mut self, party: &Party, status: PartyStatus) {
        let key = party_key(party);
        match self.list.iter_mut().find(|p| p.key() == key) {
            Some(entry) => {
                entry.status = status;
                entry.party = party.clone();
            }
            None => self.list.push(PartyEntry {
                party: party.clone(),
                status,
            }),
        }
    }

    /// The consultation with this id.
    pub fn consult_mut(&mut self, id: &str) -> Option<&mut Consult> {
        self.consults.iter_mut().find(|c| c.id == id)
    }

    /// The active consultation this agent is the target of, if any.
    pub fn consulting(&self) -> Option<&Consult> {
        self.consults.iter().find(|c| c.active && !c.mine)
    }

    /// Active consultations this agent started.
    pub fn my_active(&self) -> impl Iterator<Item = &Consult> {
        self.consults.iter().filter(|c| c.active && c.mine)
    }

    /// Whether this agent is connected to the chat as a party.
    pub fn connected(&self, agent: &AgentId) -> bool {
        self.list
            .iter()
            .any(|p| p.agent() == Some(agent) && p.status == PartyStatus::Connected)
    }
}
