//! Property tests: whatever the contact types and whatever arrives from the server, the widget's
//! reducer never panics (under `panic = "abort"` a panic kills the chat page).

#![cfg(not(target_arch = "wasm32"))]

use parley_protocol::hostile::text;
use parley_protocol::*;
use parley_widget::state::{Session, WidgetState};
use proptest::prelude::*;

proptest! {
    #![proptest_config(parley_protocol::hostile::config(256))]

    #[test]
    fn the_contacts_text_and_the_servers_never_panic(t in text(24), now in 0i64..1_000_000) {
        let ix: InteractionId = "ix-1".into();
        let mut s = WidgetState::new(
            Session { interaction: ix.clone(), token: "tok".into(), handle: None },
            parley_client::Outbox::new("w"),
        );
        let _ = s.input(&t, now);
        let _ = s.input(&format!("{t}{t}"), now + 5_000);
        let sent = s.send(&t);
        prop_assert_eq!(sent.is_some(), !t.trim().is_empty());
        let agent = Party::Agent { id: "kate".into(), name: t.clone() };
        s.apply(ServerMsg::Events {
            interaction: ix.clone(),
            events: vec![Event {
                seq: 1,
                at: now,
                audience: Audience::Everyone,
                kind: EventKind::Message {
                    from: agent.clone(),
                    text: t.clone(),
                    client_id: Some(t.clone()),
                    consultation: None,
                },
            }],
        });
        s.apply(ServerMsg::Typing {
            interaction: ix,
            party: agent,
            typing: true,
            preview: Some(t.clone()),
            consultation: None,
        });
        let lines = s.lines();
        prop_assert_eq!(lines.last().map(|l| l.text()), Some(t.as_str()));
        let _ = s.unsent();
    }
}
