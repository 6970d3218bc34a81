//! Property tests: whatever the agent types (any keyboard, any IME) and whatever arrives from the
//! server, the reducer never panics. Under `panic = "abort"` a panic kills the desktop.

use super::*;
use parley_protocol::hostile::text;
use proptest::prelude::*;

/// A chat whose settings hold standard responses with hostile names, keywords and texts.
fn desk_with(responses_text: &str) -> DesktopState {
    let mut s = with_chat();
    s.settings.responses = vec![
        StandardResponse {
            name: responses_text.into(),
            category: responses_text.into(),
            keyword: Some(responses_text.into()),
            text: responses_text.into(),
            ..StandardResponse::default()
        },
        StandardResponse {
            name: "Greeting".into(),
            category: "Openers".into(),
            keyword: Some("hi".into()),
            text: "Hello!".into(),
            ..StandardResponse::default()
        },
    ];
    s.settings.editable_case_data = vec![responses_text.into(), "Account".into()];
    s
}

#[test]
fn a_keyword_after_a_no_break_space_expands() {
    let mut s = desk_with("x");
    let ix: InteractionId = "ix-1".into();
    // What a French keyboard types: a no-break space before `!`. This panicked (a byte offset
    // inside the two-byte space).
    s.set_draft(&ix, "Bonjour\u{a0}! ");
    assert_eq!(
        s.chat(&ix).map(|c| c.draft.as_str()),
        Some("Bonjour\u{a0}! ")
    );
    s.set_draft(&ix, "Bonjour\u{a0}#hi ");
    assert_eq!(
        s.chat(&ix).map(|c| c.draft.as_str()),
        Some("Bonjour\u{a0}Hello! ")
    );
    s.set_draft(&ix, "Merci\u{3000}#hi ");
    assert_eq!(
        s.chat(&ix).map(|c| c.draft.as_str()),
        Some("Merci\u{3000}Hello! ")
    );
}

proptest! {
    #![proptest_config(parley_protocol::hostile::config(256))]

    #[test]
    fn the_agents_text_never_panics(typed in text(24), other in text(6), now in 0i64..1_000_000) {
        let mut s = desk_with(&other);
        let ix: InteractionId = "ix-1".into();
        let _ = s.typed(&ix, &typed, now);
        let _ = s.typed(&ix, &format!("{typed} "), now + 1);
        s.set_draft(&ix, &format!("{typed}#{other} "));
        s.set_draft(&ix, &format!("{other}#hi "));
        s.insert(&ix, &typed);
        let _ = s.send_draft(&ix);
        let _ = s.send(&ix, &typed);
        let _ = find_responses(&s.settings.responses, &typed);
        let _ = s.push_url(&ix, &typed);
        let _ = s.push_url(&ix, &format!("https://{typed}"));
        let _ = url_suggestions(&s.pushed_urls, &typed);
        s.set_note(&ix, &typed);
        let _ = s.edit_case_data(&ix, &other, &typed);
        let _ = s.edit_case_data(&ix, "Account", &typed);
        s.open_tc(&ix, RequestKind::Consultation);
        s.tc_search(&typed);
        let _ = s.tc_entries();
        s.tc_move(1);
        let _ = s.tc_choose();
    }

    #[test]
    fn other_peoples_text_never_panics(t in text(24)) {
        let mut s = with_chat();
        let contact = Party::Contact { name: t.clone() };
        s.apply(events(
            "ix-1",
            vec![
                contact_says(3, &t),
                event(4, EventKind::Notice { text: t.clone() }),
                event(5, EventKind::Left { party: contact, reason: None }),
                event(6, EventKind::CaseData { key: t.clone(), value: Some(t.clone()) }),
            ],
        ));
        s.apply(ServerMsg::error(ErrorCode::Invalid, t.clone()));
        let chat = s.chat(&"ix-1".into());
        prop_assert!(chat.is_some_and(|c| c.lines.iter().any(|l| l.text() == t.as_str())));
    }
}
