//! The keyboard and screen readers: which key is which command, moving between chats, where the
//! focus goes when a chat leaves, and what the live region says.

use super::*;
use crate::state::keys::{command, Command, Press, SHORTCUTS};

fn alt_shift<'a>(key: &'a str, code: &'a str) -> Press<'a> {
    Press {
        key,
        code,
        alt: true,
        shift: true,
        ..Press::default()
    }
}

#[test]
fn alt_shift_letters_are_the_commands_and_question_mark_the_sheet_outside_text() {
    assert_eq!(command(&alt_shift("Y", "KeyY")), Some(Command::Accept));
    assert_eq!(command(&alt_shift("n", "KeyN")), Some(Command::Reject));
    assert_eq!(command(&alt_shift("D", "KeyD")), Some(Command::Done));
    assert_eq!(
        command(&alt_shift("ArrowDown", "ArrowDown")),
        Some(Command::Next)
    );
    assert_eq!(
        command(&alt_shift("ArrowUp", "ArrowUp")),
        Some(Command::Previous)
    );
    // macOS's Option types a letter of its own: the key's place tells.
    assert_eq!(command(&alt_shift("Á", "KeyY")), Some(Command::Accept));
    // The layout's letter wins over the place (a German Z sits where KeyY is).
    assert_eq!(command(&alt_shift("Z", "KeyY")), None);
    // Chromium's own (Alt+Shift+T, I, A), and keys with Ctrl or Meta, are left alone.
    assert_eq!(command(&alt_shift("T", "KeyT")), None);
    let with_ctrl = Press {
        ctrl: true,
        ..alt_shift("Y", "KeyY")
    };
    assert_eq!(command(&with_ctrl), None);
    // A screen reader's browse keys (letters, Shift+letters) and Alt alone do nothing.
    let shift_y = Press {
        key: "Y",
        code: "KeyY",
        shift: true,
        ..Press::default()
    };
    assert_eq!(command(&shift_y), None);
    let alt_y = Press {
        shift: false,
        ..alt_shift("y", "KeyY")
    };
    assert_eq!(command(&alt_y), None);
    // `?` opens the sheet, except in a text field, where it is typed.
    let question = Press {
        key: "?",
        code: "Slash",
        shift: true,
        ..Press::default()
    };
    assert_eq!(command(&question), Some(Command::Help));
    let typed = Press {
        typing: true,
        ..question
    };
    assert_eq!(command(&typed), None);
    // Every command but the sheet's has its Alt+Shift key, each key one command.
    let keyed = SHORTCUTS.iter().filter(|(cmd, _, _)| *cmd != Command::Help);
    for &(cmd, key, _) in keyed {
        let code = format!("Key{key}");
        let press = match key {
            "↓" => alt_shift("ArrowDown", "ArrowDown"),
            "↑" => alt_shift("ArrowUp", "ArrowUp"),
            _ => alt_shift(key, &code),
        };
        assert_eq!(command(&press), Some(cmd), "{key}");
    }
}

#[test]
fn next_and_previous_go_round_the_chats_and_take_the_focus() {
    let mut s = two_chats();
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-3"),
    });
    s.select_by(1);
    assert_eq!(s.selected, Some("ix-2".into()));
    assert_eq!(s.focus, Some("ix-2".into()));
    s.select_by(1);
    s.select_by(1);
    assert_eq!(s.selected, Some("ix-1".into()), "round from the last");
    s.select_by(-1);
    assert_eq!(s.selected, Some("ix-3".into()), "round from the first");
    assert_eq!(s.chat(&"ix-3".into()).map(|c| c.unread), Some(0));
    DesktopState::new(Outbox::new("t")).select_by(1);
    // With none on screen, next is the first and previous the last.
    s.selected = None;
    s.select_by(1);
    assert_eq!(s.selected, Some("ix-1".into()));
    s.selected = None;
    s.select_by(-1);
    assert_eq!(s.selected, Some("ix-3".into()));
}

#[test]
fn when_the_chat_on_screen_closes_the_next_takes_the_screen_and_the_focus() {
    let mut s = two_chats();
    s.apply(ServerMsg::Closed {
        interaction: "ix-2".into(),
    });
    assert_eq!(s.selected, Some("ix-1".into()));
    assert_eq!(s.focus, None, "a chat not on screen closing moves nothing");
    s.apply(ServerMsg::Closed {
        interaction: "ix-1".into(),
    });
    assert_eq!(s.selected, None);
    let mut s = two_chats();
    s.apply(ServerMsg::Closed {
        interaction: "ix-1".into(),
    });
    assert_eq!(s.selected, Some("ix-2".into()));
    assert_eq!(s.focus, Some("ix-2".into()));
}

#[test]
fn screen_readers_hear_of_messages_elsewhere_and_replies_falling_late() {
    crate::english();
    let mut s = two_chats();
    let said = |s: &DesktopState| s.announcement.clone();
    // A chat's first events (its history) are not news.
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-3"),
    });
    let before = said(&s);
    s.apply(events("ix-3", vec![contact_says(1, "old")]));
    assert_eq!(said(&s), before, "history is not said");
    s.apply(events("ix-1", vec![contact_says(3, "on screen")]));
    assert_eq!(said(&s), before, "the chat on screen says it itself");
    s.apply(events("ix-2", vec![contact_says(2, "elsewhere")]));
    assert_eq!(said(&s).1, "New message from Mark Avram");
    s.apply(events("ix-2", vec![contact_says(3, "again")]));
    assert_eq!(said(&s).0, before.0 + 2, "the same words said again");
    s.apply(events("ix-2", vec![contact_says(3, "again")]));
    assert_eq!(
        said(&s).0,
        before.0 + 2,
        "an event seen before says nothing"
    );

    let pending = |level| ServerMsg::Pending {
        interaction: "ix-1".into(),
        level,
    };
    s.apply(pending(PendingLevel::Warn));
    assert_eq!(said(&s).1, "Mark Avram is waiting for a reply");
    s.apply(pending(PendingLevel::Late));
    assert_eq!(said(&s).1, "Mark Avram has waited too long for a reply");
    let count = said(&s).0;
    s.apply(pending(PendingLevel::Ok));
    s.apply(pending(PendingLevel::Ok));
    assert_eq!(said(&s).0, count, "an answered chat says nothing");
}

#[test]
fn the_spelling_answer_sends_only_the_text_it_checked() {
    crate::english();
    let mut s = with_chat();
    let ix: InteractionId = "ix-1".into();
    s.set_draft(&ix, "I recieve");
    // Typed on during the check: nothing goes unchecked.
    s.set_draft(&ix, "I recieve it");
    assert_eq!(
        s.spelling_checked(&ix, "I recieve", vec!["recieve".into()]),
        None
    );
    assert_eq!(s.chat(&ix).and_then(|c| c.spelling.clone()), None);
    // The check of what is there asks; No keeps it, Yes sends it.
    assert_eq!(
        s.spelling_checked(&ix, "I recieve it", vec!["recieve".into()]),
        None
    );
    assert_eq!(
        s.chat(&ix).and_then(|c| c.spelling.clone()),
        Some(vec!["recieve".into()])
    );
    assert_eq!(s.spelling_answered(&ix, false), None);
    assert_eq!(s.chat(&ix).map(|c| c.draft.as_str()), Some("I recieve it"));
    assert_eq!(
        s.spelling_checked(&ix, "I recieve it", vec!["recieve".into()]),
        None
    );
    assert!(s.spelling_answered(&ix, true).is_some(), "Yes sends");
    assert_eq!(s.chat(&ix).map(|c| c.draft.as_str()), Some(""));
    // A second Enter's check, after the message went, sends nothing.
    assert_eq!(s.spelling_checked(&ix, "I recieve it", vec![]), None);
    s.set_draft(&ix, "fine");
    assert!(
        s.spelling_checked(&ix, "fine", vec![]).is_some(),
        "known words go at once"
    );
}

#[test]
fn drafts_and_notes_outlive_a_reload_and_come_back_to_their_chats() {
    let mut s = two_chats();
    let (ix1, ix2): (InteractionId, InteractionId) = ("ix-1".into(), "ix-2".into());
    s.set_draft(&ix1, "half a sentence");
    s.set_note(&ix2, "called back");
    let kept = s.to_keep();
    assert_eq!(kept.len(), 2, "{kept:?}");
    // After the reload: the chats open again and take back what was written in them.
    let mut again = DesktopState::new(Outbox::new("t"));
    again.kept = kept;
    again.apply(welcome());
    for id in ["ix-2", "ix-1"] {
        again.apply(ServerMsg::Opened {
            interaction: summary(id),
        });
    }
    assert_eq!(
        again.chat(&ix1).map(|c| c.draft.as_str()),
        Some("half a sentence")
    );
    assert_eq!(
        again.chat(&ix2).map(|c| c.note.as_str()),
        Some("called back")
    );
    assert!(again.kept.is_empty(), "each given back once");
}
