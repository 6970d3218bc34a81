//! An interaction's events as one client sees them: ordered by `seq`, each exactly once.
//!
//! Live frames, resumed frames after a reconnect and the full transcript sent on accept can
//! overlap; [`Transcript::merge`] is the one place that makes them a clean sequence.

use crate::domain::{Event, EventKind};
use crate::ids::Seq;

/// Events of one interaction, strictly increasing by `seq`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transcript {
    events: Vec<Event>,
    /// An `ended` event is held (asked on every render: kept, not searched for).
    ended: bool,
}

impl Transcript {
    /// All events, oldest first.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The highest sequence number held (0 when empty): what to resume after.
    pub fn last_seq(&self) -> Seq {
        self.events.last().map_or(0, |e| e.seq)
    }

    /// Adds events, ignoring any already held; returns how many were new.
    pub fn merge(&mut self, incoming: impl IntoIterator<Item = Event>) -> usize {
        let mut added = 0;
        for event in incoming {
            self.ended |= matches!(event.kind, EventKind::Ended { .. });
            if event.seq > self.last_seq() {
                self.events.push(event);
                added += 1;
            } else if let Err(at) = self.events.binary_search_by_key(&event.seq, |e| e.seq) {
                self.events.insert(at, event);
                added += 1;
            }
        }
        added
    }

    /// Whether the interaction has ended.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Whether a message with this client id is already in the transcript.
    pub fn has_client_id(&self, id: &str) -> bool {
        self.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Message { client_id: Some(c), .. } if c == id))
    }
}
