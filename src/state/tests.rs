use super::*;
use parley_protocol::{
    Audience, EndReason, Event, EventKind, InteractionState, InvitationKind, Party,
};

fn summary(id: &str) -> InteractionSummary {
    InteractionSummary {
        id: id.into(),
        contact: "Mark Avram".into(),
        email: None,
        subject: None,
        queue: "general".into(),
        state: InteractionState::Active,
        started_at: 0,
        case_data: Default::default(),
        pending: Default::default(),
        role: Default::default(),
    }
}

fn welcome() -> ServerMsg {
    ServerMsg::Welcome {
        v: 1,
        me: Identity::Agent {
            id: "kate".into(),
            name: "Kate Lewis".into(),
            nickname: "Kate".into(),
            status: AgentStatus::Ready,
        },
        settings: Some(AgentSettings {
            dispositions: vec!["Resolved".into()],
            disposition_required: true,
            not_ready_reasons: vec![],
            ..AgentSettings::default()
        }),
    }
}

fn event(seq: u64, kind: EventKind) -> Event {
    Event {
        seq,
        at: seq as i64 * 1000,
        audience: Audience::Everyone,
        kind,
    }
}

fn contact_says(seq: u64, text: &str) -> Event {
    event(
        seq,
        EventKind::Message {
            from: Party::Contact {
                name: "Mark Avram".into(),
            },
            text: text.into(),
            client_id: None,
            consultation: None,
        },
    )
}

fn events(id: &str, events: Vec<Event>) -> ServerMsg {
    ServerMsg::Events {
        interaction: id.into(),
        events,
    }
}

fn with_chat() -> DesktopState {
    let mut s = DesktopState::new("t");
    s.apply(welcome());
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-1"),
    });
    s.apply(events(
        "ix-1",
        vec![
            event(
                1,
                EventKind::Joined {
                    party: Party::Contact {
                        name: "Mark Avram".into(),
                    },
                },
            ),
            contact_says(2, "Hello"),
        ],
    ));
    s
}

#[test]
fn welcome_sets_the_agent_status_and_settings() {
    let mut s = DesktopState::new("t");
    assert_eq!(s.link, Link::Connecting);
    s.apply(welcome());
    assert_eq!(s.me.as_ref().map(|m| m.nickname.as_str()), Some("Kate"));
    assert_eq!(s.status, AgentStatus::Ready);
    assert!(s.settings.disposition_required);
    assert_eq!(s.link, Link::Online);
    assert_eq!(s.notice, None);
}

#[test]
fn an_offer_shows_until_it_is_gone_and_can_be_answered() {
    let mut s = DesktopState::new("t");
    let inv = Invitation {
        id: "inv-1".into(),
        kind: InvitationKind::NewChat,
        interaction: summary("ix-1"),
        expires_at: 9,
    };
    s.apply(ServerMsg::Invitation {
        invitation: inv.clone(),
    });
    s.apply(ServerMsg::Invitation { invitation: inv });
    assert_eq!(s.invitations.len(), 1, "a repeated offer is shown once");
    assert_eq!(
        s.answer(&"inv-1".into(), true),
        Some(ClientMsg::Accept {
            invitation: "inv-1".into()
        })
    );
    assert_eq!(
        s.answer(&"inv-1".into(), false),
        Some(ClientMsg::Reject {
            invitation: "inv-1".into()
        })
    );
    s.apply(ServerMsg::InvitationGone {
        invitation: "inv-1".into(),
    });
    assert!(s.invitations.is_empty());
    assert_eq!(s.answer(&"inv-1".into(), true), None);
}

#[test]
fn an_opened_chat_is_selected_and_collects_its_transcript_once() {
    let mut s = with_chat();
    assert_eq!(s.selected, Some("ix-1".into()));
    s.apply(events(
        "ix-1",
        vec![contact_says(2, "Hello"), contact_says(3, "Anyone?")],
    ));
    let chat = s.chat(&"ix-1".into()).expect("chat");
    assert_eq!(chat.transcript.events().len(), 3);
    let l = lines(chat, Some(&"kate".into()));
    assert_eq!(
        l[0],
        Line::System {
            seq: 1,
            at: 1000,
            text: "New party 'Mark Avram' has joined the session".into()
        }
    );
    assert!(
        matches!(&l[2], Line::Message { text, contact: true, mine: false, .. } if text == "Anyone?")
    );
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-2"),
    });
    assert_eq!(
        s.selected,
        Some("ix-1".into()),
        "a second chat does not steal the view"
    );
    s.select(&"ix-2".into());
    assert_eq!(s.selected, Some("ix-2".into()));
    s.select(&"nope".into());
    assert_eq!(s.selected, Some("ix-2".into()));
}

#[test]
fn a_sent_message_is_pending_until_acknowledged_and_resent_after_a_reconnect() {
    let mut s = with_chat();
    let ix: InteractionId = "ix-1".into();
    let Some(ClientMsg::Send { client_id, .. }) = s.send(&ix, "Which card?") else {
        panic!("a send frame")
    };
    assert_eq!(s.unsent(&ix), vec!["Which card?"]);
    s.disconnected();
    assert_eq!(s.link, Link::Offline);
    assert_eq!(
        s.notice.as_deref(),
        Some("Connection to the server lost. Reconnecting…")
    );
    assert_eq!(
        s.hello(Some("tok".into())),
        ClientMsg::Hello {
            v: 1,
            token: Some("tok".into()),
            resume: vec![Resume {
                interaction: ix.clone(),
                after: 2
            }]
        }
    );
    s.apply(welcome());
    assert_eq!(s.notice.as_deref(), Some("Connection restored."));
    assert_eq!(s.after_welcome().len(), 1);
    let mine = event(
        3,
        EventKind::Message {
            from: Party::Agent {
                id: "kate".into(),
                name: "Kate".into(),
            },
            text: "Which card?".into(),
            client_id: Some(client_id.clone()),
            consultation: None,
        },
    );
    s.apply(events("ix-1", vec![mine]));
    assert!(
        s.unsent(&ix).is_empty(),
        "shown once it is in the transcript"
    );
    assert!(s.is_pending(&client_id));
    s.apply(ServerMsg::Ack {
        interaction: ix.clone(),
        client_id: client_id.clone(),
        seq: 3,
    });
    assert!(!s.is_pending(&client_id));
    assert!(s.after_welcome().is_empty());
    let l = lines(s.chat(&ix).expect("chat"), Some(&"kate".into()));
    assert!(matches!(&l[2], Line::Message { mine: true, from, .. } if from == "Kate"));
    assert_eq!(s.send(&ix, "  "), None);
}

#[test]
fn mark_done_is_offered_only_after_the_end_and_needs_a_disposition_when_required() {
    let mut s = with_chat();
    let ix: InteractionId = "ix-1".into();
    assert_eq!(s.done(&ix), None, "not before the chat ended");
    s.apply(events(
        "ix-1",
        vec![event(
            3,
            EventKind::Ended {
                reason: EndReason::AgentEnded,
            },
        )],
    ));
    assert!(s.chat(&ix).expect("chat").ended());
    assert_eq!(s.send(&ix, "too late"), None);
    assert_eq!(s.done(&ix), None);
    assert!(s.chat(&ix).expect("chat").error.is_some());
    s.set_disposition(&ix, "Bogus");
    assert_eq!(s.chat(&ix).expect("chat").disposition, None);
    s.set_disposition(&ix, "Resolved");
    assert_eq!(
        s.done(&ix),
        Some(ClientMsg::Done {
            interaction: ix.clone(),
            disposition: Some("Resolved".into()),
            note: None
        })
    );
    s.apply(ServerMsg::Closed {
        interaction: ix.clone(),
    });
    assert!(s.chats.is_empty());
    assert_eq!(s.selected, None);
}

#[test]
fn refusals_go_to_the_chat_or_the_main_notice_and_unauthorized_logs_out() {
    let mut s = with_chat();
    s.apply(ServerMsg::error(ErrorCode::Invalid, "the chat has ended"));
    assert_eq!(
        s.chat(&"ix-1".into()).expect("chat").error.as_deref(),
        Some("the chat has ended")
    );
    s.apply(ServerMsg::error(ErrorCode::Internal, "try again"));
    assert_eq!(s.notice.as_deref(), Some("try again"));
    assert!(!s.logged_out);
    s.apply(ServerMsg::error(ErrorCode::Unauthorized, "log in"));
    assert!(s.logged_out);
}

#[test]
fn leaving_a_conference_ends_this_agents_part_only() {
    let mut s = with_chat();
    let ix: InteractionId = "ix-1".into();
    let left = |seq, id: &str, name: &str| {
        event(
            seq,
            EventKind::Left {
                party: Party::Agent {
                    id: id.into(),
                    name: name.into(),
                },
                reason: None,
            },
        )
    };
    s.apply(events("ix-1", vec![left(3, "john", "John")]));
    assert!(
        !s.chat(&ix).expect("chat").ended(),
        "another agent leaving changes nothing for me"
    );
    s.apply(events("ix-1", vec![left(4, "kate", "Kate")]));
    assert!(s.chat(&ix).expect("chat").ended());
    assert_eq!(s.send(&ix, "hello?"), None);
    s.set_disposition(&ix, "Resolved");
    assert!(
        matches!(s.done(&ix), Some(ClientMsg::Done { .. })),
        "Mark Done is offered once my part is over"
    );
}
