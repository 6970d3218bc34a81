//! One chat on the desktop and the rules that only concern it: its transcript, draft, unread
//! count, why it flashes, the contact's typing notice and how far the contact has read.

use super::parties::Parties;
use parley_client::lines::{line, lines, Line, Mark, CURRENT_KEYS};
use parley_client::typing::TypingNotice;
use parley_protocol::visit::read_journey;
use parley_protocol::{
    AgentId, Event, EventKind, HistoryEntry, InteractionSummary, Notice, Party, PastChat,
    PendingLevel, Role, Seq, Transcript,
};
use parley_protocol::{Visit, VISIT_KEY};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why a chat's tab flashes (the seed's list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flash {
    /// The pending response reached the warning stage.
    PendingWarning,
    /// Another party joined or left.
    PartyChanged,
    /// The contact left the chat.
    ContactLeft,
    /// The chat is about to time out, or timed out, for inactivity.
    Inactivity,
    /// The chat is about to close by itself because the contact left.
    AboutToClose,
}

/// What the contact is typing, when it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Typing {
    /// The text so far, where the server is configured to show it.
    pub preview: Option<String>,
}

/// A link to the contact's record in the host CRM (`contactSearch`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub label: String,
    /// An `http` or `https` address.
    pub url: String,
}

/// One chat on the desktop.
#[derive(Clone, Debug, PartialEq)]
pub struct Chat {
    pub summary: InteractionSummary,
    pub transcript: Transcript,
    /// The disposition code chosen for Mark Done.
    pub disposition: Option<String>,
    /// The note sent with Mark Done.
    pub note: String,
    /// The unsent text of the composer, kept while the agent looks at other chats.
    pub draft: String,
    /// The words of the draft the spelling check did not know, while the agent is asked
    /// whether to send it anyway.
    pub spelling: Option<Vec<String>>,
    /// This agent left the chat (End in a conference, or deleted from it): its part is over.
    pub left: bool,
    /// The last refusal from the server for this chat, shown above the transcript.
    pub error: Option<String>,
    /// A system message at the top of the window (a consultation or conference was declined).
    pub notice: Option<String>,
    /// The party list and the consultations.
    pub parties: Parties,
    /// Unsent text of each consultation's composer.
    pub consult_drafts: BTreeMap<String, String>,
    /// When to tell the other agent of a consultation that this agent is typing.
    pub consult_typing: TypingNotice,
    /// Contact messages that arrived while the agent looked elsewhere.
    pub unread: u32,
    /// Why the tab flashes, until the agent looks at it or hovers over it.
    pub flash: Option<Flash>,
    pub typing: Option<Typing>,
    /// The contact has read everything up to here.
    pub read_up_to: Seq,
    /// The contact's earlier chats (in progress, or closed within the history limit), once
    /// asked for.
    pub history: Option<Vec<HistoryEntry>>,
    /// When to tell the contact this agent is typing.
    pub typing_notice: TypingNotice,
    /// The earliest sequence number the server has sent everything from (0: not known yet).
    pub loaded_from: Seq,
    /// Older events were asked for and have not arrived yet.
    pub older_pending: bool,
    /// Earlier chats of the same contact shown above this one, oldest first.
    pub past: Vec<PastChat>,
    /// An earlier chat was asked for and has not arrived yet.
    pub past_pending: bool,
    /// No earlier chat is left to show (within the history limit).
    pub past_done: bool,
    /// How many of [`Chat::lines`] come first from earlier chats (and their marks).
    pub prefix: usize,
    /// The contact's record in the CRM that frames the desktop, once it found one.
    pub record: Option<Record>,
    /// The transcript as display lines, kept up to date as events arrive so that a long chat is
    /// not converted again on every message. Shared with the view without copying.
    pub lines: Arc<Vec<Line>>,
    /// Counts the changes of [`Chat::lines`]: the view follows it, and reads the lines only when
    /// it changed (holding a copy of them would make every new line copy the transcript).
    pub lines_version: u64,
    /// How many of [`Chat::lines`] are files (Save all shows when there is one).
    pub files: usize,
}

impl Chat {
    pub fn new(summary: InteractionSummary) -> Self {
        let mut chat = Self {
            summary,
            transcript: Transcript::default(),
            disposition: None,
            note: String::new(),
            draft: String::new(),
            spelling: None,
            left: false,
            error: None,
            notice: None,
            consult_drafts: BTreeMap::new(),
            consult_typing: TypingNotice::default(),
            parties: Parties::default(),
            unread: 0,
            flash: None,
            typing: None,
            read_up_to: 0,
            history: None,
            typing_notice: TypingNotice::default(),
            lines: Arc::new(Vec::new()),
            lines_version: 0,
            files: 0,
            loaded_from: 0,
            older_pending: false,
            past: Vec::new(),
            past_pending: false,
            past_done: false,
            prefix: 0,
            record: None,
        };
        chat.parties.seed(&chat.contact(), &chat.summary.agents);
        chat
    }

    /// The server's summary of the chat, again (after a reconnect): who is connected now
    /// completes the party list.
    pub fn set_summary(&mut self, summary: InteractionSummary) {
        self.summary = summary;
        self.parties.seed(&self.contact(), &self.summary.agents);
    }

    /// The contact as a party of the chat.
    pub fn contact(&self) -> Party {
        Party::Contact {
            name: self.summary.contact.clone(),
        }
    }

    /// How many other chats of the contact the history holds (0 until it arrives).
    pub fn other_chats(&self) -> usize {
        self.history.as_ref().map_or(0, Vec::len)
    }

    /// Whether this agent's part is over: Mark Done is offered, the composer is closed. A
    /// consultant's part is over when its consultation ends.
    pub fn ended(&self) -> bool {
        self.left
            || self.transcript.is_ended()
            || (self.is_consultant() && self.parties.consulting().is_none())
    }

    /// Whether this agent only consults on the chat (reads it, talks privately to the initiator).
    pub fn is_consultant(&self) -> bool {
        self.summary.role == Role::Consultant
    }

    /// Takes in events; `looking` is whether the agent has this chat in front of it.
    pub fn absorb(&mut self, events: Vec<Event>, me: Option<&AgentId>, looking: bool) {
        let last = self.transcript.last_seq();
        for e in events.iter().filter(|e| e.seq > last) {
            let flash = match &e.kind {
                EventKind::Message {
                    from: Party::Contact { .. },
                    consultation: None,
                    ..
                } => {
                    self.typing = None;
                    if !looking {
                        self.unread += 1;
                    }
                    None
                }
                EventKind::Left {
                    party: Party::Agent { id, .. },
                    ..
                } if Some(id) == me => {
                    self.left = true;
                    None
                }
                EventKind::Left {
                    party: Party::Contact { .. },
                    ..
                } => {
                    self.typing = None;
                    Some(Flash::ContactLeft)
                }
                EventKind::Joined {
                    party: Party::Agent { id, .. },
                } if Some(id) == me => None,
                EventKind::Joined { .. } | EventKind::Left { .. } => Some(Flash::PartyChanged),
                EventKind::System {
                    notice: Notice::AutoClose { .. },
                } => Some(Flash::AboutToClose),
                EventKind::System {
                    notice: Notice::InactivityWarning | Notice::InactivityTimeout,
                } => Some(Flash::Inactivity),
                EventKind::Read { up_to } => {
                    self.read_up_to = self.read_up_to.max(*up_to);
                    None
                }
                EventKind::CaseData { key, value } => {
                    match value {
                        Some(v) => self.summary.case_data.insert(key.clone(), v.clone()),
                        None => self.summary.case_data.remove(key),
                    };
                    None
                }
                _ => None,
            };
            // Only a chat the agent is not looking at needs to call for attention.
            if !looking && flash.is_some() {
                self.flash = flash;
            }
        }
        let in_order =
            events.iter().all(|e| e.seq > last) && events.windows(2).all(|w| w[0].seq < w[1].seq);
        let is_me = |p: &Party| matches!(p, Party::Agent { id, .. } if Some(id) == me);
        if in_order {
            for e in &events {
                self.parties.track(e, me);
            }
            let new = events.iter().filter_map(|e| line(e, is_me));
            let lines = Arc::make_mut(&mut self.lines);
            let before = lines.len();
            lines.extend(new);
            if lines.len() > before {
                self.files += count_files(&lines[before..]);
                self.lines_version += 1;
            }
            self.transcript.merge(events);
        } else {
            // A resume filled a gap or repeated events: convert the whole transcript again.
            self.transcript.merge(events);
            let mut all = self.lines[..self.prefix].to_vec();
            all.extend(lines(&self.transcript, is_me));
            self.set_lines(all);
            self.parties.rebuild(
                (&self.contact(), &self.summary.agents),
                self.transcript.events(),
                me,
            );
        }
    }

    /// The server's pending-response level changed; whether it rose (warning, then late).
    pub fn set_pending(&mut self, level: PendingLevel, looking: bool) -> bool {
        let rising = matches!(
            (self.summary.pending, level),
            (PendingLevel::Ok, PendingLevel::Warn | PendingLevel::Late)
                | (PendingLevel::Warn, PendingLevel::Late)
        );
        self.summary.pending = level;
        if rising && !looking {
            self.flash = Some(Flash::PendingWarning);
        }
        rising
    }

    /// The agent looks at the chat: nothing is unread and nothing needs to flash.
    pub fn seen(&mut self) {
        self.unread = 0;
        self.flash = None;
    }

    /// Whether older events exist that have not been loaded (the chat opened on its latest ones).
    pub fn has_older(&self) -> bool {
        let first = self.transcript.events().first().map_or(0, |e| e.seq);
        let earliest = if self.loaded_from > 0 {
            self.loaded_from.min(first.max(1))
        } else {
            first
        };
        earliest > 1
    }

    /// Whether scrolling up can load anything more: older events, or an earlier chat.
    pub fn can_load_more(&self) -> bool {
        self.has_older() || !self.past_done
    }

    /// An earlier chat arrived (`None`: there is none left); `days` is the history limit.
    pub fn add_past(&mut self, chat: Option<PastChat>, me: Option<&AgentId>, days: u32) {
        self.past_pending = false;
        match chat {
            Some(c) if !self.past.iter().any(|p| p.id == c.id) => self.past.insert(0, c),
            Some(_) => {}
            None => self.past_done = true,
        }
        let is_me = |p: &Party| matches!(p, Party::Agent { id, .. } if Some(id) == me);
        let mut prefix = Vec::new();
        if self.past_done {
            prefix.push(Line::Divider {
                key: 1,
                mark: Mark::HistoryLimit { days },
            });
        }
        for (i, chat) in self.past.iter().enumerate() {
            // Newer chats take the higher blocks of keys; one block per chat.
            let mut key = CURRENT_KEYS - (self.past.len() - i) as u64 * PAST_BLOCK;
            let mut next = || {
                key += 1;
                key
            };
            let mut day = None;
            let starts = std::iter::once(chat.started_at).chain(chat.events.iter().map(|e| e.at));
            for (at, event) in starts.zip(std::iter::once(None).chain(chat.events.iter().map(Some)))
            {
                let today = parley_client::time::local_day(at);
                if day != Some(today) {
                    day = Some(today);
                    prefix.push(Line::Divider {
                        key: next(),
                        mark: Mark::Day { at },
                    });
                }
                if let Some(l) = event.and_then(|e| line(e, is_me)) {
                    prefix.push(Line::Past {
                        key: next(),
                        line: Box::new(l),
                    });
                }
            }
        }
        if !self.past.is_empty() {
            prefix.push(Line::Divider {
                key: CURRENT_KEYS - 1,
                mark: Mark::CurrentChat,
            });
        }
        let current = &self.lines[self.prefix..];
        self.prefix = prefix.len();
        prefix.extend_from_slice(current);
        self.set_lines(prefix);
    }

    fn set_lines(&mut self, lines: Vec<Line>) {
        self.files = count_files(&lines);
        self.lines = Arc::new(lines);
        self.lines_version += 1;
    }

    /// Where to load older events from: everything before this.
    pub fn earliest(&self) -> Seq {
        let first = self.transcript.events().first().map_or(1, |e| e.seq);
        if self.loaded_from > 0 {
            self.loaded_from.min(first)
        } else {
            first
        }
    }

    /// The latest message from the contact, for the hover preview.
    pub fn last_contact_message(&self) -> Option<&str> {
        self.transcript
            .events()
            .iter()
            .rev()
            .find_map(|e| match &e.kind {
                EventKind::Message {
                    from: Party::Contact { .. },
                    text,
                    consultation: None,
                    ..
                } => Some(text.as_str()),
                _ => None,
            })
    }

    /// The pages the contact viewed on the website before the chat (the Visit panel), as they
    /// came, not read yet ([`journey`] reads them): cheap to ask for on every update.
    pub fn visit_data(&self) -> Option<&str> {
        self.summary.case_data.get(VISIT_KEY).map(String::as_str)
    }

    /// Whether the contact has read the event with this sequence number.
    pub fn is_read(&self, seq: Seq) -> bool {
        seq <= self.read_up_to
    }
}

/// The pages of a journey as [`Chat::visit_data`] gives it (none when there is none, or when it
/// does not read as one).
pub fn journey(visit_data: Option<&str>) -> Vec<Visit> {
    visit_data
        .and_then(parley_client::json::value)
        .and_then(|v| read_journey(&v))
        .unwrap_or_default()
}

fn count_files(lines: &[Line]) -> usize {
    lines
        .iter()
        .filter(|l| matches!(l, Line::File { .. }))
        .count()
}

/// Keys for the lines of one earlier chat (a block below the next newer chat's).
const PAST_BLOCK: u64 = 1 << 24;

/// Case data as the agent reads it: every key but the visitor's journey (it has its own panel).
pub fn shown_case_data(case_data: &BTreeMap<String, String>) -> Vec<(String, String)> {
    case_data
        .iter()
        .filter(|(k, _)| *k != VISIT_KEY)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
