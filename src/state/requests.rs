//! The request ids this desktop gave its commands, so a refusal lands where it belongs: on the
//! chat the refused command was about, or in the main notice for status and offers.

use parley_protocol::{ClientMsg, InteractionId};
use std::collections::VecDeque;

/// How many commands are remembered: far more than can be unanswered at once (the server
/// answers in order, within a round trip).
const REMEMBERED: usize = 64;

/// Commands sent, newest last, with the chat each was about.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Requests {
    next: u64,
    sent: VecDeque<(u64, Option<InteractionId>)>,
}

impl Requests {
    /// The id to send `msg` with: actions get one, reads name their subject in their answer.
    pub fn track(&mut self, msg: &ClientMsg) -> Option<u64> {
        let ClientMsg::Act(action) = msg else {
            return None;
        };
        self.next += 1;
        if self.sent.len() == REMEMBERED {
            self.sent.pop_front();
        }
        self.sent
            .push_back((self.next, action.interaction().cloned()));
        Some(self.next)
    }

    /// The chat the command with this id was about: `None` when it is unknown (forgotten, or no
    /// id), `Some(None)` when it was about no chat.
    pub fn about(&self, req: Option<u64>) -> Option<Option<&InteractionId>> {
        let req = req?;
        self.sent
            .iter()
            .find(|(id, _)| *id == req)
            .map(|(_, chat)| chat.as_ref())
    }
}
