use parley_protocol::act;
use parley_protocol::*;

fn msg_event(seq: Seq, text: &str) -> Event {
    Event {
        seq,
        at: 1_700_000_000_000 + seq as i64,
        audience: Audience::Everyone,
        kind: EventKind::Message {
            from: Party::Contact {
                name: "Mark Avram".into(),
            },
            text: text.into(),
            client_id: Some(format!("c-{seq}")),
            consultation: None,
        },
    }
}

#[test]
fn every_client_message_round_trips() {
    let ix = || InteractionId::from("ix-1");
    let msgs = vec![
        ClientMsg::Hello {
            v: PROTOCOL_VERSION,
            token: Some("tok".into()),
            resume: vec![Resume {
                interaction: ix(),
                after: 4,
            }],
            client: None,
        },
        ClientMsg::from(act::SetStatus {
            status: AgentStatus::NotReady {
                reason: Some("Lunch".into()),
            },
        }),
        ClientMsg::from(act::Accept {
            invitation: "inv-1".into(),
        }),
        ClientMsg::from(act::Reject {
            invitation: "inv-1".into(),
        }),
        ClientMsg::from(act::Send {
            interaction: ix(),
            client_id: "c-1".into(),
            text: "Hi ✓".into(),
            consultation: None,
        }),
        ClientMsg::from(act::Send {
            interaction: ix(),
            client_id: "c-2".into(),
            text: "psst".into(),
            consultation: Some("ix-1/c1".into()),
        }),
        ClientMsg::from(act::Typing {
            interaction: ix(),
            typing: true,
            preview: Some("the vi".into()),
            consultation: None,
        }),
        ClientMsg::from(act::Read {
            interaction: ix(),
            up_to: 7,
        }),
        ClientMsg::from(act::End { interaction: ix() }),
        ClientMsg::from(act::Done {
            interaction: ix(),
            disposition: Some("Resolved".into()),
            note: None,
        }),
        ClientMsg::from(act::Invite {
            interaction: ix(),
            request: RequestKind::Conference,
            target: Target::Queue("billing".into()),
        }),
        ClientMsg::from(act::Invite {
            interaction: ix(),
            request: RequestKind::Consultation,
            target: Target::Agent("john".into()),
        }),
        ClientMsg::from(act::EndConsultation {
            interaction: ix(),
            consultation: "ix-1/c1".into(),
        }),
        ClientMsg::from(act::Remove {
            interaction: ix(),
            agent: "john".into(),
        }),
        ClientMsg::from(act::SetCaseData {
            interaction: ix(),
            key: "Order".into(),
            value: None,
        }),
        ClientMsg::History {
            scope: HistoryScope::Contact { interaction: ix() },
        },
        ClientMsg::History {
            scope: HistoryScope::Mine,
        },
        ClientMsg::from(act::Rejoin { interaction: ix() }),
        ClientMsg::Older {
            interaction: ix(),
            before: 4801,
            limit: 200,
        },
        ClientMsg::UseHere {},
    ];
    for (n, m) in msgs.into_iter().enumerate() {
        let frame = m.to_frame();
        assert_eq!(ClientMsg::parse(&frame), Ok(m.clone()), "{frame}");
        // With a request id next to the type, which parsing gives back.
        let req = n as u64 * 1_000_000_007;
        let framed = m.to_frame_with(req);
        assert_eq!(
            ClientMsg::parse_request(&framed),
            Ok(Request {
                msg: m,
                req: Some(req)
            }),
            "{framed}"
        );
    }
}

#[test]
fn a_request_id_is_a_whole_number_next_to_the_type() {
    let end = r#"{"end":{"interaction":"ix-1"}}"#;
    assert_eq!(ClientMsg::parse_request(end).map(|r| r.req), Ok(None));
    let with = r#"{"req":7,"end":{"interaction":"ix-1"}}"#;
    assert_eq!(ClientMsg::parse_request(with).map(|r| r.req), Ok(Some(7)));
    for bad in [
        r#"{"req":"7","end":{"interaction":"ix-1"}}"#,
        r#"{"req":-1,"end":{"interaction":"ix-1"}}"#,
        r#"{"req":1.5,"end":{"interaction":"ix-1"}}"#,
        r#"{"req":7}"#,
    ] {
        assert!(
            matches!(ClientMsg::parse_request(bad), Err(ParseError::BadFrame(_))),
            "{bad}"
        );
    }
    // Refusals and acks name it; other replies name their subject and are left alone.
    let error = ServerMsg::error(ErrorCode::Invalid, "no").answering(Some(7));
    assert!(
        error.to_frame().contains(r#""req":7"#),
        "{}",
        error.to_frame()
    );
    let closed = ServerMsg::Closed {
        interaction: "ix-1".into(),
    };
    assert_eq!(closed.clone().answering(Some(7)), closed);
}

#[test]
fn a_client_of_the_previous_protocol_reads_typed_notices_as_text() {
    let notice = |kind| Event {
        seq: 2,
        at: 0,
        audience: Audience::Everyone,
        kind,
    };
    let typed = ServerMsg::Events {
        interaction: "ix-1".into(),
        events: vec![notice(EventKind::System {
            notice: Notice::AutoClose { secs: 60 },
        })],
    };
    assert_eq!(typed.clone().for_version(PROTOCOL_VERSION), typed);
    let old = typed.for_version(OLDEST_PROTOCOL_VERSION);
    assert_eq!(
        old,
        ServerMsg::Events {
            interaction: "ix-1".into(),
            events: vec![notice(EventKind::Notice {
                text: "The contact has left: this chat closes automatically in 60 seconds".into()
            })],
        }
    );
    let earlier = ServerMsg::Earlier {
        interaction: "ix-1".into(),
        chat: Some(PastChat {
            id: "ix-0".into(),
            started_at: 0,
            events: vec![notice(EventKind::System {
                notice: Notice::Queued,
            })],
        }),
    };
    let ServerMsg::Earlier {
        chat: Some(chat), ..
    } = earlier.for_version(2)
    else {
        panic!("an earlier chat")
    };
    assert_eq!(
        chat.events[0].kind,
        EventKind::Notice {
            text: "Agent will be with you shortly".into()
        }
    );
    // `busy` was new in protocol 3: before, it reads as `internal` (both mean "retry").
    let busy = ServerMsg::error(ErrorCode::Busy, "try again").answering(Some(4));
    assert_eq!(busy.clone().for_version(PROTOCOL_VERSION), busy);
    assert_eq!(
        busy.for_version(2),
        ServerMsg::error(ErrorCode::Internal, "try again").answering(Some(4))
    );
}

#[test]
fn every_server_message_round_trips() {
    let summary = InteractionSummary {
        id: "ix-1".into(),
        contact: "Mark Avram".into(),
        email: Some("mark@example.com".into()),
        verified: false,
        subject: None,
        queue: "general".into(),
        state: InteractionState::Active,
        started_at: 5,
        case_data: [("Order".to_owned(), "A-1".to_owned())]
            .into_iter()
            .collect(),
        pending: PendingLevel::Warn,
        role: Role::Consultant,
        agents: vec![Party::Agent {
            id: "kate".into(),
            name: "Kate".into(),
        }],
    };
    let event = |seq, audience, kind| Event {
        seq,
        at: 3,
        audience,
        kind,
    };
    let msgs = vec![
        ServerMsg::Welcome {
            v: 1,
            me: Identity::Agent {
                id: "kate".into(),
                name: "Kate Lewis".into(),
                nickname: "Kate".into(),
                status: AgentStatus::Ready,
            },
            settings: Some(AgentSettings {
                groups: vec![Named {
                    id: "t2".into(),
                    name: "Tier 2".into(),
                }],
                ..AgentSettings::default()
            }),
            desktop: None,
        },
        ServerMsg::Welcome {
            v: 1,
            me: Identity::Contact {
                interaction: "ix-1".into(),
                name: "M".into(),
            },
            settings: None,
            desktop: None,
        },
        ServerMsg::Status {
            status: AgentStatus::AfterCallWork,
        },
        ServerMsg::Invitation {
            invitation: Invitation {
                id: "inv-1".into(),
                kind: InvitationKind::Request {
                    request: RequestKind::Transfer,
                    from: "Kate Lewis".into(),
                },
                interaction: summary.clone(),
                expires_at: 99,
            },
        },
        ServerMsg::InvitationGone {
            invitation: "inv-1".into(),
        },
        ServerMsg::Opened {
            interaction: summary,
        },
        ServerMsg::Events {
            interaction: "ix-1".into(),
            events: vec![
                msg_event(1, "hi"),
                event(
                    2,
                    Audience::Private {
                        agents: vec!["kate".into()],
                    },
                    EventKind::Done {
                        agent: "kate".into(),
                        disposition: None,
                        note: Some("n".into()),
                    },
                ),
                event(
                    3,
                    Audience::Everyone,
                    EventKind::Ended {
                        reason: EndReason::Inactivity,
                    },
                ),
                event(
                    4,
                    Audience::Private {
                        agents: vec!["kate".into()],
                    },
                    EventKind::Declined {
                        request: RequestKind::Consultation,
                        target: "Tier 2".into(),
                        reason: DeclineReason::NobodyAvailable,
                    },
                ),
                event(
                    5,
                    Audience::Everyone,
                    EventKind::Left {
                        party: Party::Contact { name: "M".into() },
                        reason: Some(LeaveReason::Disconnected),
                    },
                ),
                event(
                    6,
                    Audience::Agents,
                    EventKind::CaseData {
                        key: "k".into(),
                        value: Some("v".into()),
                    },
                ),
                event(7, Audience::Agents, EventKind::Read { up_to: 6 }),
                event(
                    8,
                    Audience::Agents,
                    EventKind::OwnerChanged {
                        owner: Party::Agent {
                            id: "john".into(),
                            name: "John".into(),
                        },
                    },
                ),
                event(
                    9,
                    Audience::Private {
                        agents: vec!["kate".into(), "john".into()],
                    },
                    EventKind::ConsultationStarted {
                        consultation: "ix-1/c1".into(),
                        initiator: Party::Agent {
                            id: "kate".into(),
                            name: "Kate".into(),
                        },
                        target: Party::Agent {
                            id: "john".into(),
                            name: "John".into(),
                        },
                    },
                ),
                event(
                    10,
                    Audience::Private {
                        agents: vec!["kate".into(), "john".into()],
                    },
                    EventKind::ConsultationEnded {
                        consultation: "ix-1/c1".into(),
                        by: None,
                    },
                ),
            ],
        },
        ServerMsg::Ack {
            interaction: "ix-1".into(),
            client_id: "c".into(),
            seq: 3,
            req: Some(9),
        },
        ServerMsg::Closed {
            interaction: "ix-1".into(),
        },
        ServerMsg::error(ErrorCode::RateLimited, "slow down"),
        ServerMsg::Presence {
            agents: vec![AgentPresence {
                id: "john".into(),
                name: "John".into(),
                online: true,
                status: AgentStatus::Ready,
                load: 1,
                capacity: 3,
            }],
        },
        ServerMsg::Typing {
            interaction: "ix-1".into(),
            party: Party::System,
            typing: false,
            preview: None,
            consultation: Some("c".into()),
        },
        ServerMsg::Older {
            interaction: "ix-1".into(),
            events: vec![msg_event(3, "old")],
            from: 1,
        },
        ServerMsg::QueuePosition {
            interaction: "ix-1".into(),
            position: 3,
        },
        ServerMsg::Pending {
            interaction: "ix-1".into(),
            level: PendingLevel::Late,
        },
        ServerMsg::History {
            scope: HistoryScope::Mine,
            entries: vec![HistoryEntry {
                id: "ix-0".into(),
                contact: "M".into(),
                subject: None,
                started_at: 1,
                closed: true,
            }],
        },
        ServerMsg::ActiveDesktop {
            client: "d-5f2a".into(),
        },
    ];
    let mut contact_frames = 0;
    for m in msgs {
        let frame = m.to_frame();
        // The widget's reading: the frames a contact may receive, nothing else.
        let contact_reads = match &m {
            ServerMsg::Welcome { .. }
            | ServerMsg::Events { .. }
            | ServerMsg::Ack { .. }
            | ServerMsg::Closed { .. }
            | ServerMsg::Error { .. }
            | ServerMsg::Typing { .. }
            | ServerMsg::QueuePosition { .. }
            | ServerMsg::Older { .. } => true,
            ServerMsg::Status { .. }
            | ServerMsg::Invitation { .. }
            | ServerMsg::InvitationGone { .. }
            | ServerMsg::Opened { .. }
            | ServerMsg::Presence { .. }
            | ServerMsg::Pending { .. }
            | ServerMsg::History { .. }
            | ServerMsg::ActiveDesktop { .. }
            | ServerMsg::Earlier { .. } => false,
        };
        match ServerMsg::parse_contact(&frame) {
            Ok(c) => {
                assert!(contact_reads, "a contact reads {frame}");
                // Contacts never get agent settings: the welcome is read without them.
                let expected = match m.clone() {
                    ServerMsg::Welcome { v, me, .. } => ServerMsg::Welcome {
                        v,
                        me,
                        settings: None,
                        desktop: None,
                    },
                    other => other,
                };
                assert_eq!(c, expected, "{frame}");
                contact_frames += 1;
            }
            Err(e) => assert!(!contact_reads, "{frame}: {e}"),
        }
        // The desktop's hand-written reader reads every frame as serde does.
        assert_eq!(ServerMsg::parse_agent(&frame), Ok(m.clone()), "{frame}");
        assert_eq!(ServerMsg::parse(&frame), Ok(m), "{frame}");
    }
    assert!(contact_frames >= 7, "{contact_frames}");
}

#[test]
fn parse_tells_malformed_unknown_and_oversized_frames_apart() {
    assert!(matches!(
        ClientMsg::parse("{not json"),
        Err(ParseError::BadFrame(_))
    ));
    assert!(matches!(
        ClientMsg::parse("[1,2]"),
        Err(ParseError::BadFrame(_))
    ));
    assert!(matches!(
        ClientMsg::parse(r#"{"send":{}}"#),
        Err(ParseError::BadFrame(_))
    ));
    assert!(matches!(
        ClientMsg::parse(r#"{"send":{},"end":{}}"#),
        Err(ParseError::BadFrame(_))
    ));
    assert!(matches!(
        ClientMsg::parse(r#""end""#),
        Err(ParseError::BadFrame(_))
    ));
    assert_eq!(
        ClientMsg::parse(r#"{"launch_rockets":{}}"#),
        Err(ParseError::UnknownType("launch_rockets".into()))
    );
    let big = format!(r#"{{"send":{{"text":"{}"}}}}"#, "x".repeat(MAX_FRAME_BYTES));
    assert!(matches!(
        ClientMsg::parse(&big),
        Err(ParseError::TooLarge(_))
    ));
    assert_eq!(
        ParseError::UnknownType("x".into()).to_server_msg(),
        ServerMsg::error(ErrorCode::UnknownType, "unknown message type \"x\"")
    );
}

#[test]
fn documented_examples_parse() {
    let docs = include_str!("../src/msg.rs");
    let (client_part, server_part) = docs
        .split_once("Server → client")
        .expect("both example blocks");
    let frames = |part: &'static str| {
        part.lines()
            .filter_map(|l| l.trim().strip_prefix("//! {"))
            .map(|l| format!("{{{l}"))
            .collect::<Vec<_>>()
    };
    let client = frames(client_part);
    let server = frames(server_part);
    for frame in &client {
        ClientMsg::parse(frame).unwrap_or_else(|e| panic!("{frame}: {e}"));
    }
    for frame in &server {
        ServerMsg::parse(frame).unwrap_or_else(|e| panic!("{frame}: {e}"));
    }
    assert_eq!((client.len(), server.len()), (20, 22));
}

#[test]
fn audiences_decide_who_sees_an_event() {
    let kate = AgentId::from("kate");
    let john = AgentId::from("john");
    assert!(Audience::Everyone.includes_contact() && Audience::Everyone.includes_agent(&kate));
    assert!(!Audience::Agents.includes_contact() && Audience::Agents.includes_agent(&kate));
    let private = Audience::Private {
        agents: vec![kate.clone()],
    };
    assert!(!private.includes_contact());
    assert!(private.includes_agent(&kate) && !private.includes_agent(&john));
}

#[test]
fn transcript_merges_overlapping_batches_once_in_order() {
    let mut t = Transcript::default();
    assert_eq!(t.merge([msg_event(1, "a"), msg_event(2, "b")]), 2);
    assert_eq!(t.merge([msg_event(2, "b"), msg_event(3, "c")]), 1);
    assert_eq!(t.merge([msg_event(5, "e")]), 1);
    assert_eq!(t.merge([msg_event(4, "d"), msg_event(1, "a")]), 1);
    let seqs: Vec<_> = t.events().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert_eq!(t.last_seq(), 5);
    assert!(t.has_client_id("c-3"));
    assert!(!t.has_client_id("c-9"));
    assert!(!t.is_ended());
    // An `ended` that arrives late (a resume filling a gap) counts as well.
    let ended = Event {
        seq: 7,
        at: 0,
        audience: Audience::Everyone,
        kind: EventKind::Ended {
            reason: EndReason::AgentEnded,
        },
    };
    assert_eq!(t.merge([ended, msg_event(6, "f")]), 2);
    assert!(t.is_ended());
    assert_eq!(t.merge([msg_event(6, "f")]), 0);
    assert!(t.is_ended());
}

#[test]
fn every_reason_is_found_by_its_key_and_no_other_key_names_one() {
    use parley_protocol::Reason;
    for reason in Reason::ALL {
        assert_eq!(Reason::from_key(reason.key()), Some(reason));
    }
    let keys: std::collections::HashSet<_> = Reason::ALL.iter().map(|r| r.key()).collect();
    assert_eq!(keys.len(), Reason::ALL.len(), "two reasons share a key");
    for unknown in [
        "",
        "Chat_Ended",
        "chat_ended ",
        "a_reason_of_a_newer_release",
    ] {
        assert_eq!(Reason::from_key(unknown), None, "{unknown:?}");
    }
}
