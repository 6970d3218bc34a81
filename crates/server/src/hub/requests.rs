//! Commands acted on, by request: a client that names itself in `hello` makes each of its
//! request ids name one command, so the same request sent again (after a reconnect that lost
//! its answer) acts once and is answered as it was the first time.
//!
//! The writer keeps each request's answers in memory for [`KEEP_MS`] (at most [`MOST`]
//! requests); a request that changed something is also stored with that change, in the same
//! transaction, so a writer taking over knows it acted (it restores the keys, not the answers:
//! a command that changed something has no answer but its effects, except `send`, which is
//! answered by its `client_id` in any case and is left to it).

use crate::store::RequestKey;
use parley_protocol::{ErrorCode, Millis, ServerMsg};
use std::collections::{HashMap, VecDeque};

/// How long a request is remembered.
pub const KEEP_MS: Millis = 10 * 60 * 1000;

/// The most requests remembered at once (the oldest are forgotten first).
pub const MOST: usize = 100_000;

/// What became of a request the writer was given.
#[derive(Debug, PartialEq)]
pub enum Seen {
    /// The first time: it acts now.
    New,
    /// It came before: these were its answers (none yet while it is being carried out).
    Again(Vec<ServerMsg>),
}

#[derive(Default)]
pub struct Requests {
    /// Each request remembered: when it came, and its answers.
    answers: HashMap<RequestKey, (Millis, Vec<ServerMsg>)>,
    /// Keys by the time they came, oldest first (a key forgotten and come again is here twice;
    /// only its last time counts).
    order: VecDeque<(Millis, RequestKey)>,
    /// When the store last forgot old requests.
    pruned: Millis,
}

/// How often the store forgets requests older than [`KEEP_MS`].
const PRUNE_EVERY_MS: Millis = 60 * 1000;

impl Requests {
    /// The requests a writer before this one acted on (stored, oldest first).
    pub fn restored(stored: Vec<(RequestKey, Millis)>) -> Self {
        let mut r = Self::default();
        for (key, at) in stored {
            r.remember(key, at);
        }
        r
    }

    fn remember(&mut self, key: RequestKey, at: Millis) {
        self.answers.insert(key.clone(), (at, Vec::new()));
        self.order.push_back((at, key));
    }

    /// A request arrives at `now`.
    pub fn arrive(&mut self, key: &RequestKey, now: Millis) -> Seen {
        self.forget_old(now);
        if let Some((_, answers)) = self.answers.get(key) {
            return Seen::Again(answers.clone());
        }
        self.remember(key.clone(), now);
        Seen::New
    }

    /// The request was answered with `msg`. An answer that says "try again" (`busy`,
    /// `internal`) means it did not act: it may come again and act then.
    pub fn answered(&mut self, key: &RequestKey, msg: &ServerMsg) {
        if let ServerMsg::Error {
            code: ErrorCode::Busy | ErrorCode::Internal,
            ..
        } = msg
        {
            self.answers.remove(key);
            return;
        }
        if let Some((_, answers)) = self.answers.get_mut(key) {
            answers.push(msg.clone());
        }
    }

    fn forget_old(&mut self, now: Millis) {
        while let Some((at, key)) = self.order.front() {
            if *at >= now - KEEP_MS && self.answers.len() < MOST && self.order.len() < 2 * MOST {
                break;
            }
            if self.answers.get(key).is_some_and(|(came, _)| came == at) {
                self.answers.remove(key);
            }
            self.order.pop_front();
        }
    }

    /// Whether this request came and may have acted.
    pub fn knows(&self, key: &RequestKey) -> bool {
        self.answers.contains_key(key)
    }

    /// Whether it is time the store forgot old requests (once a minute).
    pub fn prune_due(&mut self, now: Millis) -> bool {
        if now - self.pruned < PRUNE_EVERY_MS {
            return false;
        }
        self.pruned = now;
        true
    }

    pub fn len(&self) -> usize {
        self.answers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(req: u64) -> RequestKey {
        RequestKey {
            actor: "agent:kate".into(),
            client: "tab-1".into(),
            req,
        }
    }

    fn refusal(code: ErrorCode) -> ServerMsg {
        ServerMsg::error(code, "no").answering(Some(1))
    }

    #[test]
    fn a_request_acts_once_and_is_answered_the_same_again() {
        let mut r = Requests::default();
        assert_eq!(r.arrive(&key(1), 0), Seen::New);
        r.answered(&key(1), &refusal(ErrorCode::Invalid));
        assert_eq!(
            r.arrive(&key(1), 5),
            Seen::Again(vec![refusal(ErrorCode::Invalid)])
        );
        let other_tab = RequestKey {
            client: "tab-2".into(),
            ..key(1)
        };
        assert_eq!(r.arrive(&other_tab, 6), Seen::New, "another instance");
    }

    #[test]
    fn a_request_that_did_not_act_may_act_when_it_comes_again() {
        let mut r = Requests::default();
        for code in [ErrorCode::Busy, ErrorCode::Internal] {
            assert_eq!(r.arrive(&key(1), 0), Seen::New);
            r.answered(&key(1), &refusal(code));
        }
        assert_eq!(r.arrive(&key(1), 0), Seen::New);
    }

    #[test]
    fn requests_are_remembered_ten_minutes_and_at_most_a_bounded_number() {
        let mut r = Requests::restored(vec![(key(1), 0), (key(2), 1_000)]);
        assert_eq!(r.arrive(&key(1), KEEP_MS), Seen::Again(vec![]));
        assert_eq!(r.arrive(&key(1), KEEP_MS + 1), Seen::New, "forgotten");
        assert_eq!(r.arrive(&key(2), KEEP_MS + 2), Seen::Again(vec![]));
        for n in 0..(MOST as u64 + 10) {
            r.arrive(&key(100 + n), KEEP_MS + 3);
        }
        assert_eq!(r.len(), MOST);
    }
}
