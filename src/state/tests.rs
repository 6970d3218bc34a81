use super::*;
use parley_protocol::act::{self, Action};
use parley_protocol::{
    Audience, DeclineReason, EndReason, Event, EventKind, FileRef, InteractionState,
    InteractionSummary, InvitationKind, Notice, Party, PendingLevel, Reason, StandardResponse,
};

fn summary(id: &str) -> InteractionSummary {
    InteractionSummary {
        id: id.into(),
        contact: "Mark Avram".into(),
        email: None,
        verified: false,
        subject: None,
        queue: "general".into(),
        state: InteractionState::Active,
        started_at: 0,
        case_data: Default::default(),
        pending: Default::default(),
        role: Default::default(),
        agents: Vec::new(),
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
        desktop: None,
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
    let mut s = DesktopState::new(Outbox::new("t"));
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
    let mut s = DesktopState::new(Outbox::new("t"));
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
    let mut s = DesktopState::new(Outbox::new("t"));
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
        Some(ClientMsg::from(act::Accept {
            invitation: "inv-1".into()
        }))
    );
    assert_eq!(
        s.answer(&"inv-1".into(), false),
        Some(ClientMsg::from(act::Reject {
            invitation: "inv-1".into()
        }))
    );
    s.apply(ServerMsg::InvitationGone {
        invitation: "inv-1".into(),
    });
    assert!(s.invitations.is_empty());
    assert_eq!(s.answer(&"inv-1".into(), true), None);
}

#[test]
fn an_opened_chat_is_selected_and_collects_its_transcript_once() {
    crate::english();
    let mut s = with_chat();
    assert_eq!(s.selected, Some("ix-1".into()));
    s.apply(events(
        "ix-1",
        vec![contact_says(2, "Hello"), contact_says(3, "Anyone?")],
    ));
    let chat = s.chat(&"ix-1".into()).expect("chat");
    assert_eq!(chat.transcript.events().len(), 3);
    let l = &chat.lines;
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
    crate::english();
    let mut s = with_chat();
    let ix: InteractionId = "ix-1".into();
    let Some(ClientMsg::Act(Action::Send(act::Send { client_id, .. }))) =
        s.send(&ix, "Which card?")
    else {
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
            v: parley_protocol::PROTOCOL_VERSION,
            token: Some("tok".into()),
            resume: vec![Resume {
                interaction: ix.clone(),
                after: 2
            }],
            client: Some("t".into()),
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
        req: None,
    });
    assert!(!s.is_pending(&client_id));
    assert!(s.after_welcome().is_empty());
    let l = s.chat(&ix).expect("chat").lines.clone();
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
        Some(ClientMsg::from(act::Done {
            interaction: ix.clone(),
            disposition: Some("Resolved".into()),
            note: None
        }))
    );
    s.apply(ServerMsg::Closed {
        interaction: ix.clone(),
    });
    assert!(s.chats.is_empty());
    assert_eq!(s.selected, None);
}

#[test]
fn refusals_go_to_the_chat_or_the_main_notice_and_unauthorized_logs_out() {
    crate::english();
    let mut s = with_chat();
    let end = ClientMsg::from(act::End {
        interaction: "ix-1".into(),
    });
    let req = s.requests.track(&end);
    s.apply(ServerMsg::refused(ErrorCode::Invalid, Reason::ChatEnded).answering(req));
    assert_eq!(
        s.chat(&"ix-1".into()).expect("chat").error.as_deref(),
        Some("The chat has ended.")
    );
    s.apply(ServerMsg::error(ErrorCode::Internal, "try again"));
    assert_eq!(s.notice.as_deref(), Some("The server failed: try again."));
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
        matches!(
            s.done(&ix),
            Some(ClientMsg::Act(Action::Done(act::Done { .. })))
        ),
        "Mark Done is offered once my part is over"
    );
}

fn agent_says(seq: u64, text: &str) -> Event {
    event(
        seq,
        EventKind::Message {
            from: Party::Agent {
                id: "kate".into(),
                name: "Kate".into(),
            },
            text: text.into(),
            client_id: None,
            consultation: None,
        },
    )
}

/// Kate with two chats, ix-1 selected.
fn two_chats() -> DesktopState {
    let mut s = with_chat();
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-2"),
    });
    s.apply(events("ix-2", vec![contact_says(1, "first")]));
    s
}

#[test]
fn contact_messages_in_a_chat_the_agent_is_not_looking_at_count_as_unread() {
    let mut s = two_chats();
    s.apply(events(
        "ix-2",
        vec![contact_says(2, "second"), contact_says(3, "third")],
    ));
    s.apply(events("ix-1", vec![contact_says(3, "seen at once")]));
    assert_eq!(s.chat(&"ix-2".into()).map(|c| c.unread), Some(3));
    assert_eq!(s.chat(&"ix-1".into()).map(|c| c.unread), Some(0));
    s.set_focused(false);
    s.apply(events("ix-1", vec![contact_says(4, "while away")]));
    assert_eq!(
        s.chat(&"ix-1".into()).map(|c| c.unread),
        Some(1),
        "an unfocused window is not looking"
    );
    s.set_focused(true);
    assert_eq!(s.chat(&"ix-1".into()).map(|c| c.unread), Some(0));
    s.select(&"ix-2".into());
    assert_eq!(s.chat(&"ix-2".into()).map(|c| c.unread), Some(0));
}

#[test]
fn a_tab_flashes_for_the_seeds_reasons_and_stops_on_hover() {
    let mut s = two_chats();
    let ix2: InteractionId = "ix-2".into();
    let flash = |s: &DesktopState| s.chat(&"ix-2".into()).and_then(|c| c.flash);
    s.apply(events("ix-2", vec![contact_says(2, "no reason to flash")]));
    assert_eq!(flash(&s), None);
    s.apply(ServerMsg::Pending {
        interaction: ix2.clone(),
        level: PendingLevel::Warn,
    });
    assert_eq!(flash(&s), Some(Flash::PendingWarning));
    assert!(s.needs_attention());
    s.hover(&ix2);
    assert_eq!(flash(&s), None);
    s.apply(events(
        "ix-2",
        vec![event(
            3,
            EventKind::Joined {
                party: Party::Agent {
                    id: "john".into(),
                    name: "John".into(),
                },
            },
        )],
    ));
    assert_eq!(flash(&s), Some(Flash::PartyChanged));
    s.hover(&ix2);
    s.apply(events(
        "ix-2",
        vec![event(
            4,
            EventKind::System {
                notice: Notice::InactivityWarning,
            },
        )],
    ));
    assert_eq!(flash(&s), Some(Flash::Inactivity));
    s.apply(events(
        "ix-2",
        vec![event(
            5,
            EventKind::Left {
                party: Party::Contact {
                    name: "Mark Avram".into(),
                },
                reason: None,
            },
        )],
    ));
    assert_eq!(flash(&s), Some(Flash::ContactLeft));
    s.apply(events(
        "ix-2",
        vec![event(
            6,
            EventKind::System {
                notice: Notice::AutoClose { secs: 60 },
            },
        )],
    ));
    assert_eq!(flash(&s), Some(Flash::AboutToClose));
    // The chat in front of the agent does not flash.
    s.apply(ServerMsg::Pending {
        interaction: "ix-1".into(),
        level: PendingLevel::Late,
    });
    assert_eq!(s.chat(&"ix-1".into()).and_then(|c| c.flash), None);
    assert_eq!(
        s.chat(&"ix-1".into()).map(|c| c.summary.pending),
        Some(PendingLevel::Late)
    );
    assert_eq!(
        s.chat(&ix2).and_then(|c| c.last_contact_message()),
        Some("no reason to flash")
    );
}

#[test]
fn drafts_are_kept_per_chat_and_keywords_expand_to_standard_responses() {
    let mut s = two_chats();
    s.settings.responses = vec![StandardResponse {
        name: "Greeting".into(),
        category: "Openers".into(),
        keyword: Some("hi".into()),
        text: "Hello, how can I help you today?".into(),
        ..StandardResponse::default()
    }];
    let (ix1, ix2): (InteractionId, InteractionId) = ("ix-1".into(), "ix-2".into());
    s.set_draft(&ix1, "half a sentence");
    s.select(&ix2);
    s.set_draft(&ix2, "#hi");
    assert_eq!(
        s.chat(&ix2).map(|c| c.draft.as_str()),
        Some("#hi"),
        "no expansion before the space"
    );
    s.set_draft(&ix2, "#hi ");
    assert_eq!(
        s.chat(&ix2).map(|c| c.draft.as_str()),
        Some("Hello, how can I help you today? ")
    );
    s.set_draft(&ix2, "Well #nope ");
    assert_eq!(s.chat(&ix2).map(|c| c.draft.as_str()), Some("Well #nope "));
    s.select(&ix1);
    assert_eq!(
        s.chat(&ix1).map(|c| c.draft.as_str()),
        Some("half a sentence")
    );
    let Some(ClientMsg::Act(Action::Send(act::Send { text, .. }))) = s.send_draft(&ix1) else {
        panic!("a send")
    };
    assert_eq!(text, "half a sentence");
    assert_eq!(s.chat(&ix1).map(|c| c.draft.as_str()), Some(""));
    assert_eq!(s.send_draft(&ix1), None, "nothing to send");
    s.insert(&ix1, "Thanks");
    s.insert(&ix1, "🙂");
    assert_eq!(s.chat(&ix1).map(|c| c.draft.as_str()), Some("Thanks🙂"));
    assert_eq!(find_responses(&s.settings.responses, "open").len(), 1);
    assert_eq!(find_responses(&s.settings.responses, "GREET").len(), 1);
    assert!(find_responses(&s.settings.responses, "refund").is_empty());
}

#[test]
fn a_response_comes_in_the_chats_language_and_codes_in_the_agents() {
    crate::english();
    let mut s = two_chats();
    s.settings.responses = vec![StandardResponse {
        name: "Greeting".into(),
        category: "Openers".into(),
        keyword: Some("hi".into()),
        text: "Hello".into(),
        texts: [("de".to_owned(), "Hallo".to_owned())].into(),
        ..StandardResponse::default()
    }];
    s.settings.labels = vec![parley_protocol::Label {
        language: "en".into(),
        code: "Lunch".into(),
        text: "Lunch break".into(),
    }];
    // ix-2's contact speaks German (their widget said so); ix-1's did not say.
    let (ix1, ix2): (InteractionId, InteractionId) = ("ix-1".into(), "ix-2".into());
    if let Some(c) = s.chats.iter_mut().find(|c| c.summary.id == ix2) {
        let language = (parley_protocol::LANGUAGE_KEY.to_owned(), "de".to_owned());
        c.summary.case_data.extend([language]);
    }
    s.set_draft(&ix2, "#hi ");
    assert_eq!(s.chat(&ix2).map(|c| c.draft.as_str()), Some("Hallo "));
    s.insert_response(&ix1, "Greeting");
    assert_eq!(s.chat(&ix1).map(|c| c.draft.as_str()), Some("Hello"));
    assert_eq!(s.chat_language(&ix2), "de");
    assert_eq!(
        s.chat_language(&ix1),
        "en",
        "the agent's when the contact's is unknown"
    );
    assert_eq!(s.label("Lunch"), "Lunch break");
    assert_eq!(
        s.label("Meeting"),
        "Meeting",
        "a code without a label shows as written"
    );
}

#[test]
fn pushing_a_url_sends_the_navigation_text_and_remembers_the_address() {
    crate::english();
    let mut s = with_chat();
    let ix: InteractionId = "ix-1".into();
    assert!(s.push_url(&ix, "javascript:alert(1)").is_err());
    let Ok(ClientMsg::Act(Action::Send(act::Send { text, .. }))) =
        s.push_url(&ix, " https://example.com/help ")
    else {
        panic!("a send")
    };
    assert_eq!(
        text,
        "Please navigate to the link: https://example.com/help"
    );
    s.push_url(&ix, "https://example.com/cards")
        .expect("pushed");
    s.push_url(&ix, "https://example.com/help")
        .expect("pushed again");
    assert_eq!(
        s.pushed_urls,
        vec![
            "https://example.com/help".to_owned(),
            "https://example.com/cards".to_owned()
        ]
    );
    assert_eq!(
        url_suggestions(&s.pushed_urls, "CARD"),
        vec!["https://example.com/cards"]
    );
}

#[test]
fn read_receipts_mark_the_agents_messages_read() {
    let mut s = with_chat();
    s.apply(events(
        "ix-1",
        vec![agent_says(3, "one"), agent_says(4, "two")],
    ));
    let chat = |s: &DesktopState| s.chat(&"ix-1".into()).cloned().expect("chat");
    assert!(!chat(&s).is_read(3));
    s.apply(events("ix-1", vec![event(5, EventKind::Read { up_to: 3 })]));
    assert!(chat(&s).is_read(3));
    assert!(!chat(&s).is_read(4));
}

#[test]
fn the_contact_typing_notice_shows_until_the_message_arrives() {
    let mut s = with_chat();
    let typing = |on: bool, preview: Option<&str>| ServerMsg::Typing {
        interaction: "ix-1".into(),
        party: Party::Contact {
            name: "Mark Avram".into(),
        },
        typing: on,
        preview: preview.map(Into::into),
        consultation: None,
    };
    s.apply(typing(true, Some("the visa end")));
    assert_eq!(
        s.chat(&"ix-1".into()).and_then(|c| c.typing.clone()),
        Some(Typing {
            preview: Some("the visa end".into())
        })
    );
    s.apply(events("ix-1", vec![contact_says(3, "the visa ending 42")]));
    assert_eq!(s.chat(&"ix-1".into()).and_then(|c| c.typing.clone()), None);
    s.apply(typing(true, None));
    s.apply(typing(false, None));
    assert_eq!(s.chat(&"ix-1".into()).and_then(|c| c.typing.clone()), None);
}

#[test]
fn a_rejected_transfer_shows_at_the_top_of_the_window_and_in_my_messages() {
    crate::english();
    let mut s = with_chat();
    let declined = EventKind::Declined {
        request: parley_protocol::RequestKind::Transfer,
        target: "John Davis".into(),
        reason: DeclineReason::Rejected,
    };
    s.apply(events("ix-1", vec![event(3, declined.clone())]));
    assert_eq!(
        s.my_messages,
        vec!["John Davis rejected the transfer".to_owned()]
    );
    assert_eq!(
        s.chat(&"ix-1".into())
            .and_then(|c| c.error.clone())
            .as_deref(),
        Some("John Davis rejected the transfer")
    );
    s.apply(events("ix-1", vec![event(3, declined)]));
    assert_eq!(
        s.my_messages.len(),
        1,
        "a resumed copy is not counted twice"
    );
}

#[test]
fn notes_case_data_and_zoom() {
    let mut s = with_chat();
    let ix: InteractionId = "ix-1".into();
    s.settings.editable_case_data = vec!["Order number".into()];
    assert_eq!(s.edit_case_data(&ix, "Credit", "1"), None);
    assert_eq!(
        s.edit_case_data(&ix, "Order number", " A-1 "),
        Some(ClientMsg::from(act::SetCaseData {
            interaction: ix.clone(),
            key: "Order number".into(),
            value: Some("A-1".into())
        }))
    );
    s.apply(events(
        "ix-1",
        vec![event(
            3,
            EventKind::CaseData {
                key: "Order number".into(),
                value: Some("A-1".into()),
            },
        )],
    ));
    assert_eq!(
        s.chat(&ix)
            .and_then(|c| c.summary.case_data.get("Order number").cloned())
            .as_deref(),
        Some("A-1")
    );
    s.apply(events(
        "ix-1",
        vec![event(
            4,
            EventKind::Ended {
                reason: EndReason::AgentEnded,
            },
        )],
    ));
    s.set_disposition(&ix, "Resolved");
    s.set_note(&ix, "  replaced the card ");
    assert_eq!(
        s.done(&ix),
        Some(ClientMsg::from(act::Done {
            interaction: ix.clone(),
            disposition: Some("Resolved".into()),
            note: Some("replaced the card".into())
        }))
    );
    assert_eq!(s.zoom, 100);
    s.zoom_by(2);
    assert_eq!(s.zoom, 120);
    s.zoom_by(-20);
    assert_eq!(s.zoom, 70);
}

#[test]
fn typing_in_the_composer_tells_the_contact_without_the_text() {
    let mut s = with_chat();
    let ix: InteractionId = "ix-1".into();
    assert_eq!(
        s.typed(&ix, "W", 1_000),
        Some(ClientMsg::from(act::Typing {
            interaction: ix.clone(),
            typing: true,
            preview: None,
            consultation: None
        }))
    );
    assert_eq!(s.typed(&ix, "Wh", 1_050), None, "not on every key");
    assert_eq!(s.chat(&ix).map(|c| c.draft.as_str()), Some("Wh"));
    assert_eq!(
        s.typed(&ix, "", 1_100),
        Some(ClientMsg::from(act::Typing {
            interaction: ix.clone(),
            typing: false,
            preview: None,
            consultation: None
        }))
    );
}

#[test]
fn the_lines_follow_the_transcript_whether_events_come_in_order_or_not() {
    let mut s = with_chat();
    let ix: InteractionId = "ix-1".into();
    s.apply(events("ix-1", vec![contact_says(5, "five")]));
    // A resume fills the gap before it.
    s.apply(events(
        "ix-1",
        vec![contact_says(3, "three"), agent_says(4, "four")],
    ));
    let chat = s.chat(&ix).expect("chat");
    let seqs: Vec<u64> = chat.lines.iter().map(Line::seq).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
    assert!(matches!(&chat.lines[3], Line::Message { mine: true, .. }));
    assert_eq!(
        *chat.lines,
        parley_client::lines::lines(
            &chat.transcript,
            |p| matches!(p, Party::Agent { id, .. } if id.as_str() == "kate")
        )
    );
}

#[test]
fn a_long_chat_opens_on_its_latest_events_and_loads_older_ones_on_request() {
    let mut s = with_chat();
    let ix: InteractionId = "ix-1".into();
    // with_chat holds seqs 1..=2: nothing older in this chat; the contact's earlier chat is next.
    assert!(matches!(s.older(&ix), Some(ClientMsg::Earlier { .. })));
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-9"),
    });
    let long: InteractionId = "ix-9".into();
    s.apply(events(
        "ix-9",
        (801..=1000).map(|i| contact_says(i, "latest")).collect(),
    ));
    let ask = s.older(&long);
    assert_eq!(
        ask,
        Some(ClientMsg::Older {
            interaction: long.clone(),
            before: 801,
            limit: parley_protocol::OPEN_WINDOW
        })
    );
    assert_eq!(s.older(&long), None, "one request at a time");
    s.apply(ServerMsg::Older {
        interaction: long.clone(),
        events: (601..=800).map(|i| contact_says(i, "older")).collect(),
        from: 601,
    });
    let chat = s.chat(&long).expect("chat");
    assert_eq!(chat.lines.first().map(Line::seq), Some(601));
    assert_eq!(chat.lines.len(), 400);
    assert_eq!(
        chat.unread, 200,
        "older messages do not add to the unread count"
    );
    assert!(matches!(
        s.older(&long),
        Some(ClientMsg::Older { before: 601, .. })
    ));
    s.apply(ServerMsg::Older {
        interaction: long.clone(),
        events: vec![],
        from: 1,
    });
    assert!(
        matches!(s.older(&long), Some(ClientMsg::Earlier { .. })),
        "the start is reached: the contact's earlier chat is next"
    );
}

mod host;
#[cfg(not(target_arch = "wasm32"))]
mod hostile;
mod keys;
mod team;

#[test]
fn earlier_chats_of_the_contact_load_above_the_current_one_with_day_marks() {
    crate::english();
    use parley_client::lines::Mark;
    use parley_protocol::PastChat;
    const DAY: i64 = 86_400_000;
    let mut s = with_chat();
    s.settings.history_days = 180;
    let ix: InteractionId = "ix-1".into();
    let started = s.chat(&ix).unwrap().summary.started_at;
    assert!(s.chat(&ix).unwrap().can_load_more());
    assert_eq!(
        s.older(&ix),
        Some(ClientMsg::Earlier {
            interaction: ix.clone(),
            before: started,
        })
    );
    assert_eq!(s.older(&ix), None, "one request at a time");

    let past = |id: &str, at: i64, texts: &[&str]| PastChat {
        id: id.into(),
        started_at: at,
        events: texts
            .iter()
            .enumerate()
            .map(|(i, t)| Event {
                at: at + i as i64 * 1000,
                ..contact_says(i as u64 + 1, t)
            })
            .collect(),
    };
    s.apply(ServerMsg::Earlier {
        interaction: ix.clone(),
        chat: Some(past(
            "ix-0",
            started - 2 * DAY,
            &["My card again", "Thanks"],
        )),
    });
    let texts = |s: &DesktopState| -> Vec<String> {
        s.chat(&ix)
            .unwrap()
            .lines
            .iter()
            .map(|l| match l {
                Line::Divider {
                    mark: Mark::Day { .. },
                    ..
                } => "[day]".to_owned(),
                Line::Divider {
                    mark: Mark::CurrentChat,
                    ..
                } => "[current]".to_owned(),
                Line::Divider {
                    mark: Mark::HistoryLimit { days },
                    ..
                } => format!("[limit {days}]"),
                Line::Past { line, .. } => format!("past: {}", line.text()),
                l => l.text().to_owned(),
            })
            .collect()
    };
    assert_eq!(
        texts(&s),
        [
            "[day]",
            "past: My card again",
            "past: Thanks",
            "[current]",
            "New party 'Mark Avram' has joined the session",
            "Hello"
        ]
    );

    // The next one asked for is the chat before that one; a chat two days apart gets its own day.
    assert_eq!(
        s.older(&ix),
        Some(ClientMsg::Earlier {
            interaction: ix.clone(),
            before: started - 2 * DAY,
        })
    );
    s.apply(ServerMsg::Earlier {
        interaction: ix.clone(),
        chat: Some(past("ix-00", started - 5 * DAY, &["First time"])),
    });
    s.older(&ix);
    s.apply(ServerMsg::Earlier {
        interaction: ix.clone(),
        chat: None,
    });
    assert_eq!(s.older(&ix), None, "nothing more to load");
    assert!(!s.chat(&ix).unwrap().can_load_more());

    // New messages still go to the end; a resume that rebuilds the lines keeps the history.
    s.apply(events("ix-1", vec![contact_says(3, "Still there?")]));
    s.apply(events(
        "ix-1",
        vec![contact_says(2, "Hello"), contact_says(3, "Still there?")],
    ));
    assert_eq!(
        texts(&s),
        [
            "[limit 180]",
            "[day]",
            "past: First time",
            "[day]",
            "past: My card again",
            "past: Thanks",
            "[current]",
            "New party 'Mark Avram' has joined the session",
            "Hello",
            "Still there?"
        ]
    );
    let keys: Vec<u64> = s.chat(&ix).unwrap().lines.iter().map(Line::key).collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "keys grow down the transcript: {keys:?}"
    );
}

#[test]
fn the_other_chats_of_a_verified_contact_are_counted_as_the_window_opens() {
    let history = |id: &str| ClientMsg::History {
        scope: HistoryScope::Contact {
            interaction: id.into(),
        },
    };
    let mut s = with_chat();
    // A contact who only typed an address has no linked chats: nothing to count, but the
    // agent may still open the history.
    assert_eq!(s.contact_history(&"ix-1".into(), false), None);
    assert_eq!(
        s.contact_history(&"ix-1".into(), true),
        Some(history("ix-1"))
    );
    assert_eq!(
        s.contact_history(&"ix-9".into(), true),
        None,
        "not a chat here"
    );

    s.apply(ServerMsg::Opened {
        interaction: InteractionSummary {
            verified: true,
            email: Some("mark@example.com".into()),
            ..summary("ix-2")
        },
    });
    let ix2 = InteractionId::from("ix-2");
    assert_eq!(s.contact_history(&ix2, false), Some(history("ix-2")));
    assert_eq!(
        s.chat(&ix2).map(Chat::other_chats),
        Some(0),
        "until the answer"
    );
    let entry = |id: &str, closed| HistoryEntry {
        id: id.into(),
        contact: "Mark Avram".into(),
        subject: None,
        started_at: 0,
        closed,
    };
    s.apply(ServerMsg::History {
        scope: HistoryScope::Contact {
            interaction: ix2.clone(),
        },
        entries: vec![entry("ix-3", false), entry("ix-0", true)],
    });
    assert_eq!(s.chat(&ix2).map(Chat::other_chats), Some(2));
    assert_eq!(s.chat(&"ix-1".into()).map(Chat::other_chats), Some(0));
}

#[test]
fn a_long_chat_lists_the_agents_connected_before_its_loaded_events() {
    let mut s = DesktopState::new(Outbox::new("t"));
    s.apply(welcome());
    let john = Party::Agent {
        id: "john".into(),
        name: "John".into(),
    };
    let kate = Party::Agent {
        id: "kate".into(),
        name: "Kate".into(),
    };
    // A conference whose joins are far older than the latest events the desktop receives.
    s.apply(ServerMsg::Opened {
        interaction: InteractionSummary {
            agents: vec![kate.clone(), john.clone()],
            ..summary("ix-1")
        },
    });
    s.apply(events(
        "ix-1",
        (4901..=5000).map(|i| contact_says(i, "latest")).collect(),
    ));
    let ix: InteractionId = "ix-1".into();
    let listed = |s: &DesktopState| {
        s.chat(&ix)
            .expect("chat")
            .parties
            .list
            .iter()
            .map(|p| (p.key(), p.status.as_str()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        listed(&s),
        [
            ("contact".to_owned(), "connected"),
            ("kate".to_owned(), "connected"),
            ("john".to_owned(), "connected")
        ]
    );
    assert!(s.chat(&ix).expect("chat").parties.connected(&"john".into()));

    // Events still move them on; a gap filled later rebuilds the same list.
    s.apply(events(
        "ix-1",
        vec![event(
            5001,
            EventKind::Left {
                party: john.clone(),
                reason: None,
            },
        )],
    ));
    s.apply(ServerMsg::Older {
        interaction: ix.clone(),
        events: (4801..=4900).map(|i| contact_says(i, "older")).collect(),
        from: 4801,
    });
    s.apply(events("ix-1", vec![contact_says(4950, "again")]));
    assert_eq!(
        listed(&s),
        [
            ("contact".to_owned(), "connected"),
            ("kate".to_owned(), "connected"),
            ("john".to_owned(), "left")
        ]
    );
}

#[test]
fn the_lines_version_moves_with_every_change_of_the_lines_and_only_then() {
    let mut s = with_chat();
    let ix: InteractionId = "ix-1".into();
    let version = |s: &DesktopState| s.chat(&ix).map(|c| (c.lines_version, c.files));
    let before = version(&s).expect("chat");
    // A read receipt is an event that shows no line.
    s.apply(events("ix-1", vec![event(3, EventKind::Read { up_to: 2 })]));
    assert_eq!(version(&s), Some(before), "nothing new to show");
    let file = FileRef {
        id: "f1".into(),
        name: "card.png".into(),
        mime: "image/png".into(),
        size: 10,
    };
    s.apply(events(
        "ix-1",
        vec![
            contact_says(5, "here"),
            event(
                6,
                EventKind::File {
                    from: Party::Contact {
                        name: "Mark Avram".into(),
                    },
                    file,
                },
            ),
        ],
    ));
    let (after, files) = version(&s).expect("chat");
    assert!(after > before.0, "new lines");
    assert_eq!(files, 1, "one of them a file");
    // A resume that fills the gap at 4 rebuilds the lines: a new version, the same files.
    s.apply(events("ix-1", vec![contact_says(4, "filled")]));
    let (rebuilt, files) = version(&s).expect("chat");
    assert!(rebuilt > after);
    assert_eq!(files, 1);
    let seqs: Vec<u64> = s
        .chat(&ix)
        .expect("chat")
        .lines
        .iter()
        .map(Line::seq)
        .collect();
    assert_eq!(seqs, vec![1, 2, 4, 5, 6]);
}

#[test]
fn every_refusal_is_counted_so_that_controls_showing_confirmed_state_show_it_again() {
    let mut s = with_chat();
    assert_eq!(s.refusals, 0);
    for _ in 0..2 {
        s.apply(ServerMsg::error(
            ErrorCode::Invalid,
            "unknown Not Ready reason",
        ));
    }
    assert_eq!(s.refusals, 2, "the same refusal twice counts twice");
    assert_eq!(s.status, AgentStatus::Ready, "the status is unchanged");
}

#[test]
fn a_refusal_lands_on_the_chat_of_the_command_that_caused_it() {
    let mut s = with_chat();
    let first = InteractionId::from("ix-1");
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-2"),
    });
    let second = InteractionId::from("ix-2");
    s.selected = Some(second.clone());
    // A case data change in the first chat, a Mark Done in the second, then a status change.
    let case_data = ClientMsg::from(act::SetCaseData {
        interaction: first.clone(),
        key: "Order number".into(),
        value: Some("A-1".into()),
    });
    let in_first = s.requests.track(&case_data);
    let done = ClientMsg::from(act::Done {
        interaction: second.clone(),
        disposition: None,
        note: None,
    });
    let in_second = s.requests.track(&done);
    let status = ClientMsg::from(act::SetStatus {
        status: AgentStatus::Ready,
    });
    let about_no_chat = s.requests.track(&status);
    assert!(in_first.is_some() && in_second.is_some() && about_no_chat.is_some());
    assert_ne!(in_first, in_second);
    crate::english();
    let refused = |code, reason: Reason, req| ServerMsg::refused(code, reason).answering(req);

    // The first chat's refusal arrives while the second is on screen: it lands on the first,
    // said in the agent's language.
    s.apply(refused(ErrorCode::Forbidden, Reason::NotEditable, in_first));
    let error = |s: &DesktopState, id: &InteractionId| s.chat(id).and_then(|c| c.error.clone());
    assert_eq!(
        error(&s, &first).as_deref(),
        Some("This case data key cannot be edited.")
    );
    assert_eq!(error(&s, &second), None, "the chat on screen is untouched");
    s.apply(refused(
        ErrorCode::Invalid,
        Reason::DispositionFirst,
        in_second,
    ));
    assert_eq!(
        error(&s, &second).as_deref(),
        Some("Choose a disposition code first.")
    );
    // About no chat, or with no id the desktop knows: the main notice, never a chat. A
    // refusal with no reason, or one this desktop does not know, is said by its code.
    s.apply(
        ServerMsg::error(ErrorCode::Invalid, "unknown Not Ready reason").answering(about_no_chat),
    );
    assert_eq!(s.notice.as_deref(), Some("This cannot be done now."));
    s.apply(ServerMsg::Error {
        code: ErrorCode::RateLimited,
        message: "too many messages; slow down".into(),
        reason: Some("a_reason_of_a_later_server".into()),
        req: None,
    });
    assert_eq!(
        s.notice.as_deref(),
        Some("Too many requests: wait a moment and try again.")
    );
    assert_eq!(
        error(&s, &second).as_deref(),
        Some("Choose a disposition code first.")
    );
    // Reads name their subject in their answers and get no id.
    let older = ClientMsg::Older {
        interaction: first,
        before: 10,
        limit: 100,
    };
    assert_eq!(s.requests.track(&older), None);
}

#[test]
fn a_chat_accepted_here_comes_to_the_front_and_others_never_move_the_view() {
    let mut s = with_chat();
    let offer = |id: &str, inv: &str| ServerMsg::Invitation {
        invitation: Invitation {
            id: inv.into(),
            kind: InvitationKind::NewChat,
            interaction: summary(id),
            expires_at: 9,
        },
    };
    s.apply(offer("ix-2", "inv-2"));
    assert!(s.answer(&"inv-2".into(), true).is_some());
    s.apply(ServerMsg::InvitationGone {
        invitation: "inv-2".into(),
    });
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-2"),
    });
    assert_eq!(
        s.selected,
        Some("ix-2".into()),
        "the accepted chat is in front"
    );
    assert_eq!(s.focus, Some("ix-2".into()));

    // Opened again by a reconnect, or a chat accepted in another window: the view stays.
    s.select(&"ix-1".into());
    assert_eq!(
        s.focus, None,
        "picking another chat takes the focus request back"
    );
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-2"),
    });
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-3"),
    });
    assert_eq!(s.selected, Some("ix-1".into()));
    assert_eq!(s.focus, None);

    // A rejected offer opens nothing and moves nothing.
    s.apply(offer("ix-4", "inv-4"));
    assert!(s.answer(&"inv-4".into(), false).is_some());
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-4"),
    });
    assert_eq!(s.selected, Some("ix-1".into()));
}

#[test]
fn a_desktop_not_in_use_says_so_and_stays_quiet_until_used_here() {
    let mut s = DesktopState::new(Outbox::new("tab"));
    let mut hello = welcome();
    if let ServerMsg::Welcome { desktop, .. } = &mut hello {
        *desktop = Some("frame".into());
    }
    s.apply(hello);
    assert!(s.elsewhere());
    s.apply(ServerMsg::Invitation {
        invitation: Invitation {
            id: "inv-1".into(),
            kind: InvitationKind::NewChat,
            interaction: summary("ix-1"),
            expires_at: 9,
        },
    });
    assert!(
        !s.needs_attention(),
        "the desktop in use calls for attention"
    );
    s.apply(ServerMsg::ActiveDesktop {
        client: s.outbox.instance().to_owned(),
    });
    assert!(!s.elsewhere());
    assert!(s.needs_attention());
}
