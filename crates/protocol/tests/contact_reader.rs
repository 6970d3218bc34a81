//! The widget's hand-written reader (`ServerMsg::parse_contact`) against serde's reading of the
//! same frames, variant by variant.

use parley_protocol::*;

/// Asserts that every variant of a type has an example: `index` numbers the variants with an
/// exhaustive match (a new variant does not compile until it is numbered) and each number must
/// be used.
fn covers<T>(examples: &[T], count: usize, index: fn(&T) -> usize) {
    let mut seen = vec![false; count];
    for e in examples {
        seen[index(e)] = true;
    }
    let missing: Vec<usize> = (0..count).filter(|i| !seen[*i]).collect();
    assert!(missing.is_empty(), "no example of variants {missing:?}");
}

/// The frame reads the same through the contact's reader and through serde.
fn reads_as_serde(msg: &ServerMsg) {
    let frame = msg.to_frame();
    assert_eq!(ServerMsg::parse(&frame).as_ref(), Ok(msg), "serde: {frame}");
    assert_eq!(
        ServerMsg::parse_contact(&frame).as_ref(),
        Ok(msg),
        "{frame}"
    );
}

fn agent(id: &str) -> Party {
    Party::Agent {
        id: id.into(),
        name: id.to_uppercase(),
    }
}

fn parties() -> Vec<Party> {
    let parties = vec![
        Party::Contact {
            name: "Mark".into(),
        },
        agent("kate"),
        Party::System,
    ];
    covers(&parties, 3, |p| match p {
        Party::Contact { .. } => 0,
        Party::Agent { .. } => 1,
        Party::System => 2,
    });
    parties
}

fn rich_contents() -> Vec<Rich> {
    let rich = vec![
        Rich::QuickReplies {
            text: "Which card?".into(),
            replies: vec!["Visa".into(), "Amex".into()],
        },
        Rich::List {
            title: "Plans".into(),
            items: vec![
                RichItem {
                    title: "Basic".into(),
                    subtitle: None,
                },
                RichItem {
                    title: "Plus".into(),
                    subtitle: Some("more data".into()),
                },
            ],
            selectable: true,
        },
        Rich::List {
            title: "Shops".into(),
            items: vec![],
            selectable: false,
        },
        Rich::Carousel {
            cards: vec![
                RichCard {
                    title: "A".into(),
                    text: Some("t".into()),
                    image: Some("https://example.com/a.png".into()),
                },
                RichCard {
                    title: "B".into(),
                    text: None,
                    image: None,
                },
            ],
        },
        Rich::Markdown {
            text: "# Hi\n**bold**".into(),
        },
    ];
    covers(&rich, 4, |r| match r {
        Rich::QuickReplies { .. } => 0,
        Rich::List { .. } => 1,
        Rich::Carousel { .. } => 2,
        Rich::Markdown { .. } => 3,
    });
    rich
}

fn event_kinds() -> Vec<EventKind> {
    let mut kinds = Vec::new();
    for party in parties() {
        kinds.push(EventKind::Joined {
            party: party.clone(),
        });
        kinds.push(EventKind::Message {
            from: party.clone(),
            text: "Hello ✓ \"quoted\"\n".into(),
            client_id: Some("c-1".into()),
            consultation: None,
        });
        kinds.push(EventKind::OwnerChanged { owner: party });
    }
    let leave_reasons = [
        LeaveReason::Ended,
        LeaveReason::Transferred,
        LeaveReason::Removed,
        LeaveReason::Disconnected,
    ];
    covers(&leave_reasons, 4, |r| match r {
        LeaveReason::Ended => 0,
        LeaveReason::Transferred => 1,
        LeaveReason::Removed => 2,
        LeaveReason::Disconnected => 3,
    });
    for reason in leave_reasons.into_iter().map(Some).chain([None]) {
        kinds.push(EventKind::Left {
            party: agent("john"),
            reason,
        });
    }
    let end_reasons = [
        EndReason::ContactEnded,
        EndReason::AgentEnded,
        EndReason::ContactDisconnected,
        EndReason::Inactivity,
    ];
    covers(&end_reasons, 4, |r| match r {
        EndReason::ContactEnded => 0,
        EndReason::AgentEnded => 1,
        EndReason::ContactDisconnected => 2,
        EndReason::Inactivity => 3,
    });
    kinds.extend(end_reasons.map(|reason| EventKind::Ended { reason }));
    let requests = [
        RequestKind::Consultation,
        RequestKind::Transfer,
        RequestKind::Conference,
    ];
    covers(&requests, 3, |r| match r {
        RequestKind::Consultation => 0,
        RequestKind::Transfer => 1,
        RequestKind::Conference => 2,
    });
    let declines = [
        DeclineReason::Rejected,
        DeclineReason::TimedOut,
        DeclineReason::NobodyAvailable,
    ];
    covers(&declines, 3, |r| match r {
        DeclineReason::Rejected => 0,
        DeclineReason::TimedOut => 1,
        DeclineReason::NobodyAvailable => 2,
    });
    for (request, reason) in requests.into_iter().zip(declines) {
        kinds.push(EventKind::Declined {
            request,
            target: "Tier 2".into(),
            reason,
        });
    }
    kinds.extend(rich_contents().into_iter().map(|content| EventKind::Rich {
        from: Party::System,
        content,
    }));
    kinds.extend([
        EventKind::Message {
            from: agent("kate"),
            text: String::new(),
            client_id: None,
            consultation: Some("ix-1/c1".into()),
        },
        EventKind::Notice {
            text: "Waiting for an agent".into(),
        },
        EventKind::System {
            notice: Notice::Queued,
        },
        EventKind::System {
            notice: Notice::InactivityWarning,
        },
        EventKind::System {
            notice: Notice::InactivityTimeout,
        },
        EventKind::System {
            notice: Notice::AutoClose { secs: 60 },
        },
        EventKind::Done {
            agent: "kate".into(),
            disposition: Some("Resolved".into()),
            note: None,
        },
        EventKind::Done {
            agent: "kate".into(),
            disposition: None,
            note: Some("called back".into()),
        },
        EventKind::ConsultationStarted {
            consultation: "ix-1/c1".into(),
            initiator: agent("kate"),
            target: agent("john"),
        },
        EventKind::ConsultationEnded {
            consultation: "ix-1/c1".into(),
            by: Some(agent("john")),
        },
        EventKind::ConsultationEnded {
            consultation: "ix-1/c1".into(),
            by: None,
        },
        EventKind::Read { up_to: u64::MAX },
        EventKind::CaseData {
            key: "Order".into(),
            value: Some("A-1".into()),
        },
        EventKind::CaseData {
            key: "Order".into(),
            value: None,
        },
        EventKind::File {
            from: Party::Contact {
                name: "Mark".into(),
            },
            file: FileRef {
                id: "f-1".into(),
                name: "receipt.png".into(),
                mime: "image/png".into(),
                size: 12_345,
            },
        },
    ]);
    let notices: Vec<&Notice> = kinds
        .iter()
        .filter_map(|k| match k {
            EventKind::System { notice } => Some(notice),
            _ => None,
        })
        .collect();
    covers(&notices, 4, |n| match n {
        Notice::Queued => 0,
        Notice::InactivityWarning => 1,
        Notice::InactivityTimeout => 2,
        Notice::AutoClose { .. } => 3,
    });
    covers(&kinds, 15, |k| match k {
        EventKind::Joined { .. } => 0,
        EventKind::Left { .. } => 1,
        EventKind::Message { .. } => 2,
        EventKind::Notice { .. } => 3,
        EventKind::Ended { .. } => 4,
        EventKind::Done { .. } => 5,
        EventKind::ConsultationStarted { .. } => 6,
        EventKind::ConsultationEnded { .. } => 7,
        EventKind::Declined { .. } => 8,
        EventKind::OwnerChanged { .. } => 9,
        EventKind::Read { .. } => 10,
        EventKind::CaseData { .. } => 11,
        EventKind::File { .. } => 12,
        EventKind::Rich { .. } => 13,
        EventKind::System { .. } => 14,
    });
    kinds
}

#[test]
fn every_event_kind_and_audience_reads_as_serde_reads_it() {
    let audiences = vec![
        Audience::Everyone,
        Audience::Agents,
        Audience::Private {
            agents: vec!["kate".into(), "john".into()],
        },
    ];
    covers(&audiences, 3, |a| match a {
        Audience::Everyone => 0,
        Audience::Agents => 1,
        Audience::Private { .. } => 2,
    });
    let kinds = event_kinds();
    let events: Vec<Event> = kinds
        .into_iter()
        .enumerate()
        .map(|(i, kind)| Event {
            seq: i as u64 + 1,
            at: -5 + i as i64,
            audience: audiences[i % audiences.len()].clone(),
            kind,
        })
        .collect();
    // One frame with all of them, and one per event.
    reads_as_serde(&ServerMsg::Events {
        interaction: "ix-1".into(),
        events: events.clone(),
    });
    for event in events {
        reads_as_serde(&ServerMsg::Events {
            interaction: "ix-1".into(),
            events: vec![event],
        });
    }
}

#[test]
fn every_contact_frame_reads_as_serde_reads_it() {
    let statuses = vec![
        AgentStatus::Ready,
        AgentStatus::NotReady {
            reason: Some("Lunch".into()),
        },
        AgentStatus::NotReady { reason: None },
        AgentStatus::AfterCallWork,
    ];
    covers(&statuses, 3, |s| match s {
        AgentStatus::Ready => 0,
        AgentStatus::NotReady { .. } => 1,
        AgentStatus::AfterCallWork => 2,
    });
    let mut identities: Vec<Identity> = statuses
        .into_iter()
        .map(|status| Identity::Agent {
            id: "kate".into(),
            name: "Kate Lewis".into(),
            nickname: "Kate".into(),
            status,
        })
        .collect();
    identities.push(Identity::Contact {
        interaction: "ix-1".into(),
        name: "Mark".into(),
    });
    covers(&identities, 2, |i| match i {
        Identity::Agent { .. } => 0,
        Identity::Contact { .. } => 1,
    });
    covers(&ErrorCode::ALL, 11, |c| match c {
        ErrorCode::BadFrame => 0,
        ErrorCode::UnknownType => 1,
        ErrorCode::TooLarge => 2,
        ErrorCode::UnsupportedVersion => 3,
        ErrorCode::Unauthorized => 4,
        ErrorCode::Forbidden => 5,
        ErrorCode::NotFound => 6,
        ErrorCode::Invalid => 7,
        ErrorCode::RateLimited => 8,
        ErrorCode::Internal => 9,
        ErrorCode::Busy => 10,
    });
    let mut frames: Vec<ServerMsg> = identities
        .into_iter()
        .map(|me| ServerMsg::Welcome {
            v: 1,
            me,
            settings: None,
            desktop: None,
        })
        .collect();
    frames.extend(ErrorCode::ALL.map(|code| ServerMsg::error(code, "why")));
    frames.extend(
        parley_protocol::Reason::ALL.map(|reason| ServerMsg::refused(ErrorCode::Invalid, reason)),
    );
    frames.extend(parties().into_iter().map(|party| ServerMsg::Typing {
        interaction: "ix-1".into(),
        party,
        typing: true,
        preview: Some("the visa".into()),
        consultation: None,
    }));
    frames.extend([
        ServerMsg::Typing {
            interaction: "ix-1".into(),
            party: agent("kate"),
            typing: false,
            preview: None,
            consultation: Some("ix-1/c1".into()),
        },
        ServerMsg::Ack {
            interaction: "ix-1".into(),
            client_id: "c-7".into(),
            seq: 6,
            req: None,
        },
        ServerMsg::Closed {
            interaction: "ix-1".into(),
        },
        ServerMsg::QueuePosition {
            interaction: "ix-1".into(),
            position: u32::MAX,
        },
        ServerMsg::Older {
            interaction: "ix-1".into(),
            events: event_kinds()
                .into_iter()
                .enumerate()
                .map(|(i, kind)| Event {
                    seq: i as u64 + 1,
                    at: 0,
                    audience: Audience::Everyone,
                    kind,
                })
                .collect(),
            from: 1,
        },
    ]);
    for frame in &frames {
        reads_as_serde(frame);
    }
}

#[test]
fn defaults_and_unknown_fields_read_as_serde_reads_them() {
    for frame in [
        // Fields the reader does not know are skipped; an `Option` may be `null` or missing.
        r#"{"closed":{"interaction":"ix-1","later":{"x":[1,2]}}}"#,
        r#"{"typing":{"interaction":"ix-1","party":"system","typing":true,"preview":null}}"#,
        // `selectable` defaults to false.
        r#"{"events":{"interaction":"ix-1","events":[{"seq":1,"at":2,"audience":"everyone","kind":{"rich":{"from":"system","content":{"list":{"title":"T","items":[{"title":"a"}]}}}}}]}}"#,
    ] {
        let ours = ServerMsg::parse_contact(frame);
        assert!(ours.is_ok(), "{frame}: {ours:?}");
        assert_eq!(ours, ServerMsg::parse(frame), "{frame}");
    }
}

#[test]
fn bad_frames_are_refused_with_where_and_what() {
    let refused = |frame: &str| match ServerMsg::parse_contact(frame) {
        Err(ParseError::BadFrame(why)) => why,
        other => panic!("{frame}: {other:?}"),
    };
    let event = |kind: &str| {
        format!(
            r#"{{"events":{{"interaction":"ix-1","events":[{{"seq":1,"at":2,"audience":"everyone","kind":{kind}}}]}}}}"#
        )
    };
    assert!(refused("not json").contains("expected"));
    assert!(refused("[]").contains("object with one key"));
    assert!(refused(r#"{"ack":{},"closed":{}}"#).contains("object with one key"));
    // Agent-only frames are not read at all.
    assert!(refused(r#"{"presence":{"agents":[]}}"#)
        .contains("`presence` is not a frame this app reads"));
    assert!(refused(r#"{"history":{"scope":"mine","entries":[]}}"#).contains("not a frame"));
    // Missing and mistyped fields name the field.
    let why = refused(r#"{"ack":{"interaction":"ix-1","seq":3}}"#);
    assert!(
        why.contains("`ack.client_id`") && why.contains("expected a string, found nothing"),
        "{why}"
    );
    let why = refused(r#"{"queue_position":{"interaction":"ix-1","position":-1}}"#);
    assert!(why.contains("`queue_position.position`"), "{why}");
    let why = refused(r#"{"queue_position":{"interaction":"ix-1","position":4294967296}}"#);
    assert!(why.contains("4294967295"), "{why}");
    let why = refused(&event(r#"{"shout":{"text":"hi"}}"#));
    assert_eq!(why, "`event.kind`: unknown variant `shout`");
    let why = refused(&event(r#"{"message":{"from":{"contact":{}},"text":"hi"}}"#));
    assert!(why.contains("`contact.name`"), "{why}");
    let why = refused(&event(r#""message""#));
    assert!(
        why.contains("`message`: expected an object of fields"),
        "{why}"
    );
    let why = refused(&event(
        r#"{"file":{"from":"system","file":{"id":"f","name":"a","mime":"x","size":"big"}}}"#,
    ));
    assert!(
        why.contains("`file.size`: expected a whole number, found a string"),
        "{why}"
    );
    // Everything serde refuses here, the reader refuses too.
    for frame in [
        r#"{"closed":{}}"#,
        r#"{"closed":"ix-1"}"#,
        r#"{"error":{"code":"gone","message":"m"}}"#,
        r#"{"welcome":{"v":1,"me":{"agent":{"id":"k","name":"K","nickname":"K","status":"away"}}}}"#,
        r#"{"typing":{"interaction":"ix-1","party":{"robot":{}},"typing":true}}"#,
    ] {
        refused(frame);
        assert!(ServerMsg::parse(frame).is_err(), "{frame}");
    }
    // Oversize frames are refused before reading.
    let big = format!(
        r#"{{"closed":{{"interaction":"{}"}}}}"#,
        "x".repeat(MAX_FRAME_BYTES)
    );
    assert!(matches!(
        ServerMsg::parse_contact(&big),
        Err(ParseError::TooLarge(_))
    ));
}
