//! The contact's side of one chat, as a pure reducer.

use parley_client::lines::{lines, Line};
use parley_client::typing::TypingNotice;
use parley_client::Outbox;
use parley_protocol::act;
use parley_protocol::{
    ClientMsg, ErrorCode, EventKind, InteractionId, Party, Resume, Seq, ServerMsg, Transcript,
    PROTOCOL_VERSION,
};
use serde::{Deserialize, Serialize};

/// What the page keeps to come back to the chat after a reload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub interaction: InteractionId,
    pub token: String,
    /// What the website framing the widget keeps instead of the token: the server exchanges it
    /// for a new token after a reload, and forgets it when the chat is over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
}

/// The chat as the contact sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct WidgetState {
    pub session: Session,
    pub transcript: Transcript,
    pub outbox: Outbox,
    /// The server no longer knows this chat: the page should offer a new one.
    pub forgotten: bool,
    /// The server cannot talk to this page (it was updated since the page loaded): the page
    /// asks for a reload.
    pub outdated: bool,
    /// The server held a message back (the contact wrote faster than anyone types while the
    /// chat waited): what is unsent goes again a little later, once the view has a timer set
    /// ([`WidgetState::take_retry_due`]); at most one is set at a time.
    pub held_back: bool,
    retry_pending: bool,
    /// Whether the socket is up.
    pub online: bool,
    /// The server refused the connection for a broken rule (1008): no retry comes.
    pub refused: bool,
    /// The last sequence number reported read to the server.
    read_sent: Seq,
    /// When to tell the agents the contact is typing.
    typing: TypingNotice,
    /// The agent who is typing, by the name the contact sees.
    pub agent_typing: Option<String>,
    /// A page of earlier messages was asked for and has not come yet.
    older_pending: bool,
    /// The chat's first event is held: there is nothing earlier to ask for.
    older_done: bool,
}

impl WidgetState {
    /// The state of a chat just started or reloaded, its messages taking their ids from `outbox`.
    pub fn new(session: Session, outbox: Outbox) -> Self {
        Self {
            session,
            transcript: Transcript::default(),
            outbox,
            forgotten: false,
            held_back: false,
            retry_pending: false,
            outdated: false,
            online: false,
            refused: false,
            read_sent: 0,
            typing: TypingNotice::default(),
            agent_typing: None,
            older_pending: false,
            older_done: false,
        }
    }

    /// The `hello` for each connection, resuming after the last event held.
    pub fn hello(&self) -> ClientMsg {
        ClientMsg::Hello {
            v: PROTOCOL_VERSION,
            token: Some(self.session.token.clone()),
            resume: vec![Resume {
                interaction: self.session.interaction.clone(),
                after: self.transcript.last_seq(),
            }],
            client: Some(self.outbox.instance().to_owned()),
        }
    }

    /// Applies a server frame; returns frames to send (unacknowledged messages after a welcome).
    pub fn apply(&mut self, msg: ServerMsg) -> Vec<ClientMsg> {
        match msg {
            ServerMsg::Welcome { .. } => {
                self.online = true;
                return self.outbox.resend();
            }
            ServerMsg::Events {
                interaction,
                events,
            } if interaction == self.session.interaction => {
                if events.iter().any(|e| {
                    matches!(
                        e.kind,
                        EventKind::Message {
                            from: Party::Agent { .. },
                            ..
                        }
                    )
                }) {
                    self.agent_typing = None;
                }
                self.transcript.merge(events);
                if self.ended() {
                    self.outbox.drop_interaction(&interaction);
                }
            }
            ServerMsg::Older {
                interaction,
                events,
                from,
            } if interaction == self.session.interaction => {
                self.transcript.merge(events);
                self.older_pending = false;
                self.older_done = from <= 1;
            }
            ServerMsg::Ack { client_id, .. } => self.outbox.ack(&client_id),
            ServerMsg::Typing {
                party: party @ Party::Agent { .. },
                typing,
                consultation: None,
                ..
            } => {
                self.agent_typing = typing.then(|| party.name().to_owned());
            }
            ServerMsg::Error {
                code: ErrorCode::Unauthorized,
                ..
            } => self.forgotten = true,
            ServerMsg::Error {
                code: ErrorCode::UnsupportedVersion,
                ..
            } => self.outdated = true,
            ServerMsg::Error {
                code: ErrorCode::RateLimited,
                ..
            } => self.held_back = !self.retry_pending,
            _ => {}
        }
        Vec::new()
    }

    /// Whether the view must set a timer for [`WidgetState::retry_held_back`] now.
    pub fn take_retry_due(&mut self) -> bool {
        let due = std::mem::take(&mut self.held_back);
        self.retry_pending |= due;
        due
    }

    /// What goes again once the timer fires after the server held a message back.
    pub fn retry_held_back(&mut self) -> Vec<ClientMsg> {
        if std::mem::take(&mut self.retry_pending) && self.online {
            self.outbox.resend()
        } else {
            Vec::new()
        }
    }

    /// The socket dropped.
    pub fn disconnected(&mut self) {
        self.online = false;
    }

    /// The server refused the connection; the socket will not try again.
    pub fn connection_refused(&mut self) {
        self.online = false;
        self.refused = true;
    }

    /// The contact typed at `now` (ms): a typing notice with the text so far, when one is due.
    pub fn input(&mut self, text: &str, now: i64) -> Option<ClientMsg> {
        if self.ended() {
            return None;
        }
        let (typing, preview) = self.typing.input(text, now)?;
        Some(ClientMsg::from(act::Typing {
            interaction: self.session.interaction.clone(),
            typing,
            preview,
            consultation: None,
        }))
    }

    /// The contact sends `text`: the frame to send, if any.
    pub fn send(&mut self, text: &str) -> Option<ClientMsg> {
        if self.ended() {
            return None;
        }
        self.typing.sent();
        self.outbox.push(&self.session.interaction, text)
    }

    /// Whether earlier messages of this chat can be asked for: a long chat opens with its latest
    /// ones only.
    pub fn has_older(&self) -> bool {
        !self.older_done && self.transcript.events().first().is_some_and(|e| e.seq > 1)
    }

    /// The contact asked for earlier messages: the request, one at a time.
    pub fn older(&mut self) -> Option<ClientMsg> {
        if self.older_pending || !self.has_older() {
            return None;
        }
        self.older_pending = true;
        Some(ClientMsg::Older {
            interaction: self.session.interaction.clone(),
            before: self.transcript.events().first().map_or(1, |e| e.seq),
            limit: parley_protocol::OPEN_WINDOW,
        })
    }

    /// Whether the chat is over: it ended, or the contact left it (the chat's end then goes to
    /// the agents still in it).
    pub fn ended(&self) -> bool {
        self.transcript.is_ended()
            || self.transcript.events().iter().rev().any(|e| {
                matches!(
                    e.kind,
                    EventKind::Left {
                        party: Party::Contact { .. },
                        ..
                    }
                )
            })
    }

    /// The transcript lines, the contact's own marked as mine.
    pub fn lines(&self) -> Vec<Line> {
        lines(&self.transcript, |p| matches!(p, Party::Contact { .. }))
    }

    /// A read receipt for everything shown, when the page is visible and there is news to report.
    pub fn read_receipt(&mut self, visible: bool) -> Option<ClientMsg> {
        let last = self.transcript.last_seq();
        if !visible || !self.online || last <= self.read_sent || self.ended() {
            return None;
        }
        self.read_sent = last;
        Some(ClientMsg::from(act::Read {
            interaction: self.session.interaction.clone(),
            up_to: last,
        }))
    }

    /// Sent messages not in the transcript yet.
    /// Messages typed but not stored yet, as (client id, text): the id tells apart two
    /// messages with the same text.
    pub fn unsent(&self) -> Vec<(String, String)> {
        self.outbox
            .pending()
            .iter()
            .filter(|p| !self.transcript.has_client_id(&p.client_id))
            .map(|p| (p.client_id.clone(), p.text.clone()))
            .collect()
    }
}

#[cfg(test)]
mod older_tests {
    use super::tests::english;
    use super::*;
    use parley_protocol::{Audience, Event};

    fn said(seq: Seq) -> Event {
        Event {
            seq,
            at: seq as i64,
            audience: Audience::Everyone,
            kind: EventKind::Message {
                from: Party::Contact {
                    name: "Mark".into(),
                },
                text: format!("m{seq}"),
                client_id: None,
                consultation: None,
            },
        }
    }

    #[test]
    fn a_long_chat_opens_with_its_latest_messages_and_pages_back_to_the_start() {
        english();
        let session = Session {
            interaction: "ix-1".into(),
            token: "t".into(),
            handle: None,
        };
        let mut s = WidgetState::new(session, Outbox::new("w"));
        let ix: InteractionId = "ix-1".into();
        s.apply(ServerMsg::Events {
            interaction: ix.clone(),
            events: (151..=250).map(said).collect(),
        });
        assert!(s.has_older());
        let Some(ClientMsg::Older { before, .. }) = s.older() else {
            panic!("asks for older messages")
        };
        assert_eq!(before, 151);
        assert_eq!(s.older(), None, "one request at a time");
        s.apply(ServerMsg::Older {
            interaction: ix.clone(),
            events: (51..=150).map(said).collect(),
            from: 51,
        });
        assert!(s.has_older());
        assert!(matches!(
            s.older(),
            Some(ClientMsg::Older { before: 51, .. })
        ));
        s.apply(ServerMsg::Older {
            interaction: ix,
            events: (1..=50).map(said).collect(),
            from: 1,
        });
        assert!(!s.has_older(), "the start is reached");
        assert_eq!(s.older(), None);
        let seqs: Vec<Seq> = s.transcript.events().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=250).collect::<Vec<_>>());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::act::Action;
    use parley_protocol::{Audience, EndReason, Event, Identity};

    /// The texts the reader sees, in English.
    pub(super) fn english() {
        parley_client::i18n::install_english(include_str!("../i18n/en.txt"));
    }

    fn state() -> WidgetState {
        WidgetState::new(
            Session {
                interaction: "ix-1".into(),
                token: "tok".into(),
                handle: None,
            },
            Outbox::new("w"),
        )
    }

    fn events(events: Vec<Event>) -> ServerMsg {
        ServerMsg::Events {
            interaction: "ix-1".into(),
            events,
        }
    }

    fn welcome() -> ServerMsg {
        ServerMsg::Welcome {
            v: 1,
            me: Identity::Contact {
                interaction: "ix-1".into(),
                name: "Mark".into(),
            },
            settings: None,
            desktop: None,
        }
    }

    #[test]
    fn a_refused_connection_is_said_and_a_dropped_one_is_not() {
        english();
        let mut s = state();
        s.apply(welcome());
        s.disconnected();
        assert!(!s.online && !s.refused, "a drop is retried: nothing to say");
        s.connection_refused();
        assert!(!s.online && s.refused);
    }

    #[test]
    fn messages_survive_a_reconnect_and_resume_after_the_last_event() {
        english();
        let mut s = state();
        s.apply(welcome());
        s.apply(events(vec![Event {
            seq: 1,
            at: 0,
            audience: Audience::Everyone,
            kind: EventKind::System {
                notice: parley_protocol::Notice::Queued,
            },
        }]));
        let Some(ClientMsg::Act(Action::Send(act::Send { client_id, .. }))) = s.send("Hello?")
        else {
            panic!("send frame")
        };
        assert_eq!(s.unsent(), vec![(client_id.clone(), "Hello?".to_owned())]);
        s.disconnected();
        assert!(!s.online);
        assert_eq!(
            s.hello(),
            ClientMsg::Hello {
                v: PROTOCOL_VERSION,
                token: Some("tok".into()),
                resume: vec![Resume {
                    interaction: "ix-1".into(),
                    after: 1
                }],
                client: Some("w".into()),
            }
        );
        let resend = s.apply(welcome());
        assert_eq!(resend.len(), 1, "the unacknowledged message goes again");
        s.apply(ServerMsg::Ack {
            interaction: "ix-1".into(),
            client_id,
            seq: 2,
            req: None,
        });
        assert!(s.apply(welcome()).is_empty());
        assert!(s.unsent().is_empty());

        // The same text twice is two messages waiting, told apart by their ids.
        s.send("Yes");
        s.send("Yes");
        let waiting = s.unsent();
        assert_eq!(waiting.len(), 2);
        assert_ne!(waiting[0].0, waiting[1].0);
    }

    #[test]
    fn events_of_another_chat_are_ignored_and_the_end_closes_the_composer() {
        english();
        let mut s = state();
        let end = Event {
            seq: 1,
            at: 0,
            audience: Audience::Everyone,
            kind: EventKind::Ended {
                reason: EndReason::AgentEnded,
            },
        };
        s.apply(ServerMsg::Events {
            interaction: "ix-2".into(),
            events: vec![end.clone()],
        });
        assert!(!s.ended());
        s.apply(events(vec![end]));
        assert!(s.ended());
        assert_eq!(s.send("late"), None);
        assert_eq!(
            s.lines(),
            vec![Line::System {
                seq: 1,
                at: 0,
                text: "The chat was ended".into()
            }]
        );
    }

    #[test]
    fn a_message_held_back_goes_again_later_once() {
        english();
        let mut s = state();
        s.apply(welcome());
        let sent = s.send("one").expect("sent");
        assert!(!s.take_retry_due(), "nothing held back yet");
        assert!(s.retry_held_back().is_empty());
        s.apply(ServerMsg::error(ErrorCode::RateLimited, "slow down"));
        assert!(s.take_retry_due());
        // More refusals while a retry waits set no second timer.
        s.apply(ServerMsg::error(ErrorCode::RateLimited, "slow down"));
        assert!(!s.take_retry_due(), "one timer at a time");
        assert_eq!(s.retry_held_back(), vec![sent.clone()]);
        assert!(s.retry_held_back().is_empty(), "once");
        s.apply(ServerMsg::error(ErrorCode::RateLimited, "slow down"));
        assert!(s.take_retry_due(), "held back again: a new timer");
    }

    #[test]
    fn the_contact_leaving_ends_the_chat_on_its_side() {
        english();
        let mut s = state();
        let left = |seq, party| Event {
            seq,
            at: 0,
            audience: Audience::Everyone,
            kind: EventKind::Left {
                party,
                reason: None,
            },
        };
        let kate = Party::Agent {
            id: "kate".into(),
            name: "Kate".into(),
        };
        s.apply(events(vec![left(1, kate)]));
        assert!(!s.ended(), "an agent leaving does not end it");
        s.apply(events(vec![left(
            2,
            Party::Contact {
                name: "Mark".into(),
            },
        )]));
        assert!(s.ended());
        assert_eq!(s.send("late"), None);
    }

    #[test]
    fn read_receipts_report_what_a_visible_page_shows_once() {
        english();
        let mut s = state();
        let notice = |seq| Event {
            seq,
            at: 0,
            audience: Audience::Everyone,
            kind: EventKind::Notice { text: "hi".into() },
        };
        s.apply(events(vec![notice(1), notice(2)]));
        assert_eq!(s.read_receipt(true), None, "not before the welcome");
        s.apply(welcome());
        assert_eq!(
            s.read_receipt(false),
            None,
            "a hidden page has read nothing"
        );
        assert_eq!(
            s.read_receipt(true),
            Some(ClientMsg::from(act::Read {
                interaction: "ix-1".into(),
                up_to: 2
            }))
        );
        assert_eq!(s.read_receipt(true), None, "nothing new");
        s.apply(events(vec![notice(3)]));
        assert_eq!(
            s.read_receipt(true),
            Some(ClientMsg::from(act::Read {
                interaction: "ix-1".into(),
                up_to: 3
            }))
        );
    }

    #[test]
    fn typing_goes_both_ways() {
        english();
        let mut s = state();
        let Some(ClientMsg::Act(Action::Typing(act::Typing {
            typing: true,
            preview: Some(p),
            ..
        }))) = s.input("the visa end", 1_000)
        else {
            panic!("a typing notice")
        };
        assert_eq!(p, "the visa end");
        let agent = Party::Agent {
            id: "kate".into(),
            name: "Kate".into(),
        };
        s.apply(ServerMsg::Typing {
            interaction: "ix-1".into(),
            party: agent.clone(),
            typing: true,
            preview: None,
            consultation: None,
        });
        assert_eq!(s.agent_typing.as_deref(), Some("Kate"));
        s.apply(ServerMsg::Typing {
            interaction: "ix-1".into(),
            party: agent,
            typing: false,
            preview: None,
            consultation: None,
        });
        assert_eq!(s.agent_typing, None);
    }

    #[test]
    fn an_unknown_token_forgets_the_chat() {
        english();
        let mut s = state();
        s.apply(ServerMsg::error(ErrorCode::Unauthorized, "no"));
        assert!(s.forgotten);
    }

    #[test]
    fn a_server_that_cannot_talk_to_the_page_asks_for_a_reload() {
        english();
        let mut s = state();
        assert!(!s.outdated);
        s.apply(ServerMsg::error(
            ErrorCode::UnsupportedVersion,
            parley_protocol::UPDATED_NOTICE,
        ));
        assert!(
            s.outdated && !s.forgotten,
            "the chat is kept for after the reload"
        );
    }
}
