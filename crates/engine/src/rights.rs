//! How far each agent may read an interaction, derived from its event log alone.
//!
//! An agent reads a chat while it is a party or an active consultant. When that right ends
//! (deleted from a conference, transferred away, its own End, a consultant whose consultation
//! ended) it keeps what it saw, up to the event that ended the right, until its Mark Done, and
//! receives nothing newer on any path: live, resume, `older`, files. A new right (joining again,
//! a new consultation) lifts the limit. The engine keeps a [`Right`] per agent as events are
//! applied; [`read_limit`] folds the same steps over a stored log.

use parley_protocol::{AgentId, Event, EventKind, LeaveReason, Party, Seq};

/// One agent's right to read one interaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Right {
    /// A party now (joined and not left).
    party: bool,
    /// The active consultation this agent is the target of.
    consulting: Option<String>,
    /// The last event it may read, once its right ended; `None` while it has the right.
    pub until: Option<Seq>,
    /// Its last leave was its own End (only such an agent may rejoin).
    pub left_by_own_end: bool,
}

impl Right {
    /// Takes one event of the interaction into account.
    pub fn apply(&mut self, agent: &AgentId, event: &Event) {
        let me = |party: &Party| matches!(party, Party::Agent { id, .. } if id == agent);
        match &event.kind {
            EventKind::Joined { party } if me(party) => {
                self.party = true;
                self.until = None;
            }
            EventKind::Left { party, reason } if me(party) => {
                self.party = false;
                self.left_by_own_end = *reason == Some(LeaveReason::Ended);
                if self.consulting.is_none() {
                    self.until = Some(event.seq);
                }
            }
            EventKind::ConsultationStarted {
                consultation,
                target,
                ..
            } if me(target) => {
                self.consulting = Some(consultation.clone());
                self.until = None;
            }
            EventKind::ConsultationEnded { consultation, .. }
                if self.consulting.as_ref() == Some(consultation) =>
            {
                self.consulting = None;
                if !self.party {
                    self.until = Some(event.seq);
                }
            }
            _ => {}
        }
    }

    /// Whether an event concerns some agent's right (who it concerns, [`Right::apply`] decides).
    pub fn concerns(event: &Event) -> Option<&AgentId> {
        match &event.kind {
            EventKind::Joined {
                party: Party::Agent { id, .. },
            }
            | EventKind::Left {
                party: Party::Agent { id, .. },
                ..
            }
            | EventKind::ConsultationStarted {
                target: Party::Agent { id, .. },
                ..
            } => Some(id),
            _ => None,
        }
    }
}

/// The last event `agent` may read of a stored log (`None`: all of it).
pub fn read_limit(agent: &AgentId, events: &[Event]) -> Option<Seq> {
    let mut right = Right::default();
    for event in events {
        right.apply(agent, event);
    }
    right.until
}

/// Whether the event numbered `seq` is within a reading that ends at `until` (`None`: no end).
pub fn reaches(until: Option<Seq>, seq: Seq) -> bool {
    until.is_none_or(|limit| seq <= limit)
}

/// Whether an agent whose reading ends at `until` may read this event: those up to the limit,
/// and events addressed to it alone or by name (its own Mark Done, its request declined).
pub fn within(until: Option<Seq>, event: &Event) -> bool {
    reaches(until, event.seq) || matches!(event.audience, parley_protocol::Audience::Private { .. })
}
