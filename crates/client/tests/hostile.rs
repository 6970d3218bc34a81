//! Property tests: other people's text (a contact's message, a bot's markdown, a frame off the
//! network) never panics the code that reads or shows it. Under `panic = "abort"` a panic kills
//! the page, so one hostile message would kill every agent's desktop that shows it.

#![cfg(not(target_arch = "wasm32"))]

use parley_client::lines::line;
use parley_client::links::{is_web_address, segments, Segment};
use parley_client::markdown::parse;
use parley_protocol::hostile::text;
use parley_protocol::*;
use proptest::prelude::*;

fn agent(name: &str) -> Party {
    Party::Agent {
        id: "kate".into(),
        name: name.into(),
    }
}

/// Frames a client may receive, each carrying the hostile text in its free-text fields.
fn frames(t: &str) -> Vec<ServerMsg> {
    let event = |seq, kind| Event {
        seq,
        at: 1,
        audience: Audience::Everyone,
        kind,
    };
    let rich = vec![
        Rich::QuickReplies {
            text: t.into(),
            replies: vec![t.into(), "ok".into()],
        },
        Rich::List {
            title: t.into(),
            items: vec![RichItem {
                title: t.into(),
                subtitle: Some(t.into()),
            }],
            selectable: true,
        },
        Rich::Carousel {
            cards: vec![RichCard {
                title: t.into(),
                text: Some(t.into()),
                image: Some(t.into()),
            }],
        },
        Rich::Markdown { text: t.into() },
    ];
    let mut events = vec![
        event(
            1,
            EventKind::Joined {
                party: Party::Contact { name: t.into() },
            },
        ),
        event(
            2,
            EventKind::Message {
                from: agent(t),
                text: t.into(),
                client_id: Some(t.into()),
                consultation: None,
            },
        ),
        event(3, EventKind::Notice { text: t.into() }),
    ];
    for (n, content) in rich.into_iter().enumerate() {
        events.push(event(
            10 + n as u64,
            EventKind::Rich {
                from: Party::System,
                content,
            },
        ));
    }
    vec![
        ServerMsg::Events {
            interaction: InteractionId(t.into()),
            events,
        },
        ServerMsg::error(ErrorCode::Invalid, t),
        ServerMsg::Typing {
            interaction: "ix-1".into(),
            party: agent(t),
            typing: true,
            preview: Some(t.into()),
            consultation: None,
        },
    ]
}

proptest! {
    #![proptest_config(parley_protocol::hostile::config(512))]

    #[test]
    fn link_detection_keeps_every_character(t in text(24)) {
        let parts = segments(&t);
        let rebuilt: String = parts
            .iter()
            .map(|p| match p {
                Segment::Text(s) | Segment::Link(s) | Segment::Email(s) | Segment::Phone(s) => {
                    s.as_str()
                }
            })
            .collect();
        prop_assert_eq!(rebuilt, t.clone());
        for p in parts {
            match &p {
                Segment::Link(url) => prop_assert!(is_web_address(url), "{url:?} is shown as a link"),
                Segment::Email(a) => prop_assert!(a.contains('@') && a.is_ascii(), "{a:?}"),
                Segment::Phone(n) => {
                    let digits = n.chars().filter(char::is_ascii_digit).count();
                    prop_assert!((7..=15).contains(&digits), "{n:?}");
                }
                Segment::Text(_) => {}
            }
            if let Some(href) = p.href() {
                prop_assert!(
                    ["http://", "https://", "mailto:", "tel:"]
                        .iter()
                        .any(|s| href.to_ascii_lowercase().starts_with(s)),
                    "{href:?}"
                );
            }
        }
    }

    #[test]
    fn markdown_reads_anything(t in text(32)) {
        let _ = parse(&t);
    }

    #[test]
    fn both_frame_readers_read_hostile_text_back(t in text(16)) {
        for msg in frames(&t) {
            let frame = msg.to_frame();
            prop_assert_eq!(ServerMsg::parse(&frame), Ok(msg.clone()));
            prop_assert_eq!(ServerMsg::parse_contact(&frame), Ok(msg.clone()));
            prop_assert_eq!(ServerMsg::parse_agent(&frame), Ok(msg.clone()));
            if let ServerMsg::Events { events, .. } = &msg {
                for e in events {
                    let _ = line(e, |p| matches!(p, Party::Contact { .. }));
                }
            }
        }
    }

    #[test]
    fn both_frame_readers_refuse_broken_frames_without_panicking(
        t in text(8),
        cut in any::<prop::sample::Index>(),
        junk in text(4),
    ) {
        for msg in frames(&t) {
            let frame = msg.to_frame();
            // Cut the frame at any character and put junk there: a frame torn or tampered with.
            let at = frame
                .char_indices()
                .map(|(i, _)| i)
                .nth(cut.index(frame.chars().count()))
                .unwrap_or(frame.len());
            let broken = format!("{}{junk}", &frame[..at]);
            let _ = ServerMsg::parse(&broken);
            let _ = ServerMsg::parse_contact(&broken);
            let _ = ServerMsg::parse_agent(&broken);
        }
    }

    #[test]
    fn both_frame_readers_refuse_any_text(t in text(32)) {
        let _ = ServerMsg::parse(&t);
        let _ = ServerMsg::parse_contact(&t);
        let _ = ServerMsg::parse_agent(&t);
        let _ = ClientMsg::parse(&t);
    }
}
