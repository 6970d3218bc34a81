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
        },
    }
}

#[test]
fn every_client_message_round_trips() {
    let msgs = vec![
        ClientMsg::Hello {
            v: PROTOCOL_VERSION,
            token: Some("tok".into()),
            resume: vec![Resume {
                interaction: "ix-1".into(),
                after: 4,
            }],
        },
        ClientMsg::SetStatus {
            status: AgentStatus::NotReady {
                reason: Some("Lunch".into()),
            },
        },
        ClientMsg::Accept {
            invitation: "inv-1".into(),
        },
        ClientMsg::Reject {
            invitation: "inv-1".into(),
        },
        ClientMsg::Send {
            interaction: "ix-1".into(),
            client_id: "c-1".into(),
            text: "Hi ✓".into(),
        },
        ClientMsg::End {
            interaction: "ix-1".into(),
        },
        ClientMsg::Done {
            interaction: "ix-1".into(),
            disposition: Some("Resolved".into()),
            note: None,
        },
    ];
    for m in msgs {
        let frame = m.to_frame();
        assert_eq!(ClientMsg::parse(&frame), Ok(m), "{frame}");
    }
}

#[test]
fn every_server_message_round_trips() {
    let summary = InteractionSummary {
        id: "ix-1".into(),
        contact: "Mark Avram".into(),
        email: Some("mark@example.com".into()),
        subject: None,
        queue: "general".into(),
        state: InteractionState::Active,
        started_at: 5,
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
            settings: Some(AgentSettings::default()),
        },
        ServerMsg::Welcome {
            v: 1,
            me: Identity::Contact {
                interaction: "ix-1".into(),
                name: "M".into(),
            },
            settings: None,
        },
        ServerMsg::Status {
            status: AgentStatus::AfterCallWork,
        },
        ServerMsg::Invitation {
            invitation: Invitation {
                id: "inv-1".into(),
                kind: InvitationKind::NewChat,
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
                Event {
                    seq: 2,
                    at: 3,
                    audience: Audience::Agents,
                    kind: EventKind::Done {
                        agent: "kate".into(),
                        disposition: None,
                        note: Some("n".into()),
                    },
                },
                Event {
                    seq: 3,
                    at: 3,
                    audience: Audience::Everyone,
                    kind: EventKind::Ended {
                        reason: EndReason::AgentEnded,
                    },
                },
            ],
        },
        ServerMsg::Ack {
            interaction: "ix-1".into(),
            client_id: "c".into(),
            seq: 3,
        },
        ServerMsg::Closed {
            interaction: "ix-1".into(),
        },
        ServerMsg::error(ErrorCode::NotFound, "no such chat"),
    ];
    for m in msgs {
        let frame = m.to_frame();
        assert_eq!(ServerMsg::parse(&frame), Ok(m), "{frame}");
    }
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
        ClientMsg::parse(r#"{"type":"send"}"#),
        Err(ParseError::BadFrame(_))
    ));
    assert_eq!(
        ClientMsg::parse(r#"{"type":"launch_rockets"}"#),
        Err(ParseError::UnknownType("launch_rockets".into()))
    );
    let big = format!(
        r#"{{"type":"send","text":"{}"}}"#,
        "x".repeat(MAX_FRAME_BYTES)
    );
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
    let mut client = 0;
    let mut server = 0;
    for line in docs.lines().filter_map(|l| l.trim().strip_prefix("//! {")) {
        let frame = format!("{{{line}");
        if ClientMsg::parse(&frame).is_ok() {
            client += 1;
        } else {
            ServerMsg::parse(&frame).unwrap_or_else(|e| panic!("{frame}: {e}"));
            server += 1;
        }
    }
    assert_eq!((client, server), (7, 9));
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
}
