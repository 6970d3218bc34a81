//! Team Communicator, consultation panel and party list.

use super::*;
use parley_protocol::act::{self, Action};
use parley_protocol::{AgentPresence, Named, Role};

fn kate() -> Party {
    Party::Agent {
        id: "kate".into(),
        name: "Kate Lewis".into(),
    }
}

fn john() -> Party {
    Party::Agent {
        id: "john".into(),
        name: "John Davis".into(),
    }
}

fn private(seq: u64, kind: EventKind) -> Event {
    Event {
        audience: Audience::Private {
            agents: vec!["kate".into(), "john".into()],
        },
        ..event(seq, kind)
    }
}

fn started(seq: u64) -> Event {
    private(
        seq,
        EventKind::ConsultationStarted {
            consultation: "ix-1/c1".into(),
            initiator: kate(),
            target: john(),
        },
    )
}

fn consult_says(seq: u64, from: Party, text: &str) -> Event {
    private(
        seq,
        EventKind::Message {
            from,
            text: text.into(),
            client_id: None,
            consultation: Some("ix-1/c1".into()),
        },
    )
}

fn ended(seq: u64, by: Option<Party>) -> Event {
    private(
        seq,
        EventKind::ConsultationEnded {
            consultation: "ix-1/c1".into(),
            by,
        },
    )
}

fn presence(id: &str, name: &str, online: bool, load: u32) -> AgentPresence {
    AgentPresence {
        id: id.into(),
        name: name.into(),
        online,
        status: AgentStatus::Ready,
        load,
        capacity: 3,
    }
}

fn named(id: &str, name: &str) -> Named {
    Named {
        id: id.into(),
        name: name.into(),
    }
}

fn team() -> DesktopState {
    let mut s = with_chat();
    s.settings.groups = vec![named("tier2", "Tier 2 support")];
    s.settings.skills = vec![named("billing", "Billing")];
    s.settings.queues = vec![named("general", "General enquiries")];
    s.apply(ServerMsg::Presence {
        agents: vec![
            presence("kate", "Kate Lewis", true, 1),
            presence("john", "John Davis", true, 1),
            presence("avril", "Avril Mai", false, 0),
        ],
    });
    s
}

fn ix() -> InteractionId {
    "ix-1".into()
}

#[test]
fn the_team_communicator_lists_every_target_but_me_with_live_presence() {
    crate::english();
    let mut s = team();
    assert!(s.tc_entries().is_empty(), "nothing listed while closed");
    s.open_tc(&ix(), RequestKind::Consultation);
    let entries = s.tc_entries();
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Avril Mai",
            "John Davis",
            "Tier 2 support",
            "Billing",
            "General enquiries"
        ]
    );
    assert_eq!(entries[1].detail, "Ready · 1/3 chats");
    assert_eq!(entries[0].detail, "Offline");
    assert_eq!(entries[2].kind.as_str(), "group");
    assert!(entries
        .iter()
        .all(|e| e.actions == [RequestKind::Consultation]));

    // Presence changes show at once.
    s.apply(ServerMsg::Presence {
        agents: vec![AgentPresence {
            status: AgentStatus::NotReady {
                reason: Some("Lunch".into()),
            },
            ..presence("john", "John Davis", true, 2)
        }],
    });
    assert_eq!(s.tc_entries()[0].detail, "Not Ready – Lunch · 2/3 chats");

    s.tc_search("TIER");
    let found = s.tc_entries();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].target, Target::Group("tier2".into()));
    s.tc_search("nobody like this");
    assert!(s.tc_entries().is_empty());
    assert_eq!(s.tc_choose(), None, "Enter on an empty list does nothing");
}

#[test]
fn choosing_an_action_sends_the_request_and_the_target_comes_first_next_time() {
    let mut s = team();
    s.open_tc(&ix(), RequestKind::Transfer);
    let queue = s
        .tc_entries()
        .iter()
        .position(|e| e.target == Target::Queue("general".into()))
        .unwrap();
    assert_eq!(
        s.tc_act(queue, RequestKind::Consultation),
        None,
        "not an action of this button"
    );
    assert_eq!(
        s.tc_act(queue, RequestKind::Transfer),
        Some(ClientMsg::from(act::Invite {
            interaction: ix(),
            request: RequestKind::Transfer,
            target: Target::Queue("general".into()),
        }))
    );
    assert_eq!(s.tc, None, "the communicator closes");

    s.open_tc(&ix(), RequestKind::Conference);
    assert_eq!(
        s.tc_entries()[0].name,
        "General enquiries",
        "recent targets first"
    );

    // The keyboard: the highlight stays on the list; Enter takes the button's action.
    s.tc_move(-3);
    s.tc_move(1);
    s.tc_move(1);
    assert_eq!(s.tc.as_ref().map(|t| t.cursor), Some(2));
    s.tc_move(99);
    assert_eq!(s.tc.as_ref().map(|t| t.cursor), Some(4));
    assert_eq!(
        s.tc_choose(),
        Some(ClientMsg::from(act::Invite {
            interaction: ix(),
            request: RequestKind::Conference,
            target: Target::Skill("billing".into()),
        }))
    );
}

#[test]
fn an_active_consultation_is_the_default_for_transfer_and_conference() {
    let mut s = team();
    s.apply(events("ix-1", vec![started(3)]));
    s.open_tc(&ix(), RequestKind::Transfer);
    let entries = s.tc_entries();
    assert!(entries[0].active_consultation);
    assert_eq!(entries[0].target, Target::Agent("john".into()));
    assert_eq!(
        entries[0].actions,
        [RequestKind::Transfer, RequestKind::Conference]
    );
    assert!(
        !entries[1..].iter().any(|e| e.name == "John Davis"),
        "listed once, under Active Consultations"
    );
    assert_eq!(
        s.tc_choose(),
        Some(ClientMsg::from(act::Invite {
            interaction: ix(),
            request: RequestKind::Transfer,
            target: Target::Agent("john".into()),
        }))
    );
}

#[test]
fn consultation_messages_go_to_the_panel_and_never_to_the_contact_transcript() {
    crate::english();
    let mut s = team();
    s.apply(events("ix-1", vec![started(3)]));
    let chat = s.chat(&ix()).unwrap();
    let consult = &chat.parties.consults[0];
    assert!(consult.mine && consult.active);
    assert_eq!(consult.with, john());
    let john_entry = chat
        .parties
        .list
        .iter()
        .find(|p| p.key() == "john")
        .unwrap();
    assert_eq!(john_entry.status, PartyStatus::Consulting);

    // Typing and sending in the panel.
    let typing = s.consult_typed(&ix(), "ix-1/c1", "Is the card", 1_000);
    assert!(matches!(
        typing,
        Some(ClientMsg::Act(Action::Typing(act::Typing { consultation: Some(ref c), typing: true, .. }))) if c == "ix-1/c1"
    ));
    assert_eq!(s.consult_draft(&ix(), "ix-1/c1"), "Is the card");
    assert_eq!(
        s.chat(&ix()).unwrap().draft,
        "",
        "the contact chat's draft is untouched"
    );
    let sent = s.consult_send(&ix(), "ix-1/c1");
    let Some(ClientMsg::Act(Action::Send(act::Send {
        consultation: Some(c),
        client_id,
        text,
        ..
    }))) = sent
    else {
        panic!("expected a consultation send, got {sent:?}");
    };
    assert_eq!((c.as_str(), text.as_str()), ("ix-1/c1", "Is the card"));
    assert_eq!(s.consult_draft(&ix(), "ix-1/c1"), "");
    assert_eq!(s.consult_unsent(&ix(), "ix-1/c1"), ["Is the card"]);
    assert!(s.unsent(&ix()).is_empty(), "not shown in the contact chat");
    assert_eq!(s.consult_send(&ix(), "ix-1/c1"), None, "nothing to send");

    s.apply(events(
        "ix-1",
        vec![Event {
            kind: EventKind::Message {
                from: kate(),
                text: "Is the card".into(),
                client_id: Some(client_id.clone()),
                consultation: Some("ix-1/c1".into()),
            },
            ..consult_says(4, kate(), "")
        }],
    ));
    s.apply(ServerMsg::Ack {
        interaction: ix(),
        client_id,
        seq: 4,
        req: None,
    });
    s.apply(ServerMsg::Typing {
        interaction: ix(),
        party: john(),
        typing: true,
        preview: None,
        consultation: Some("ix-1/c1".into()),
    });
    assert!(s.chat(&ix()).unwrap().parties.consults[0].typing);
    s.apply(events(
        "ix-1",
        vec![consult_says(5, john(), "Blocked, yes")],
    ));
    let chat = s.chat(&ix()).unwrap();
    let texts: Vec<&str> = chat.parties.consults[0]
        .lines
        .iter()
        .map(Line::text)
        .collect();
    assert_eq!(
        texts,
        [
            "Consultation with John Davis started",
            "Is the card",
            "Blocked, yes"
        ]
    );
    assert!(
        !chat.parties.consults[0].typing,
        "a message ends the typing notice"
    );
    assert!(
        !chat.lines.iter().any(|l| l.text().contains("Blocked")),
        "consultation messages stay out of the contact transcript"
    );
    assert!(s.consult_unsent(&ix(), "ix-1/c1").is_empty());

    // Ending: the request goes out; the panel closes only on Done after the end.
    assert_eq!(s.consult_done(&ix(), "ix-1/c1"), None);
    assert!(!s.chat(&ix()).unwrap().parties.consults[0].dismissed);
    assert_eq!(
        s.end_consultation(&ix(), "ix-1/c1"),
        Some(ClientMsg::from(act::EndConsultation {
            interaction: ix(),
            consultation: "ix-1/c1".into(),
        }))
    );
    s.apply(events("ix-1", vec![ended(6, Some(john()))]));
    assert_eq!(s.end_consultation(&ix(), "ix-1/c1"), None, "already over");
    assert_eq!(s.consult_send(&ix(), "ix-1/c1"), None);
    let chat = s.chat(&ix()).unwrap();
    assert_eq!(
        chat.parties.consults[0].lines.last().map(Line::text),
        Some("John Davis ended the consultation")
    );
    assert!(!chat.ended(), "the chat with the contact goes on");
    assert_eq!(
        chat.parties
            .list
            .iter()
            .find(|p| p.key() == "john")
            .map(|p| p.status),
        Some(PartyStatus::Left)
    );
    assert_eq!(
        s.consult_done(&ix(), "ix-1/c1"),
        None,
        "the initiator just closes the panel"
    );
    assert!(s.chat(&ix()).unwrap().parties.consults[0].dismissed);

    // A resume that repeats events rebuilds the same panel, still dismissed.
    s.apply(events(
        "ix-1",
        vec![started(3), consult_says(5, john(), "Blocked, yes")],
    ));
    let consult = &s.chat(&ix()).unwrap().parties.consults[0];
    assert_eq!(consult.lines.len(), 4);
    assert!(consult.dismissed && !consult.active);
}

#[test]
fn a_consultant_reads_the_chat_talks_only_to_the_initiator_and_marks_done_without_disposition() {
    let mut s = DesktopState::new(Outbox::new("t"));
    s.apply(ServerMsg::Welcome {
        v: 1,
        me: Identity::Agent {
            id: "john".into(),
            name: "John Davis".into(),
            nickname: "John".into(),
            status: AgentStatus::Ready,
        },
        settings: Some(AgentSettings {
            dispositions: vec!["Resolved".into()],
            disposition_required: true,
            ..AgentSettings::default()
        }),
        desktop: None,
    });
    s.apply(ServerMsg::Opened {
        interaction: InteractionSummary {
            role: Role::Consultant,
            ..summary("ix-1")
        },
    });
    s.apply(events("ix-1", vec![contact_says(2, "Hello"), started(3)]));
    let chat = s.chat(&ix()).unwrap();
    assert!(chat.is_consultant() && !chat.ended());
    assert!(!chat.parties.consults[0].mine);
    assert_eq!(chat.parties.consults[0].with, kate());
    let my_status = |s: &DesktopState| {
        s.chat(&ix())
            .and_then(|c| c.parties.list.iter().find(|p| p.key() == "john"))
            .map(|p| p.status)
    };
    assert_eq!(my_status(&s), Some(PartyStatus::Consulting));
    assert_eq!(
        s.send(&ix(), "Hi Mark"),
        None,
        "the consultant cannot write to the contact"
    );
    assert!(s.consult_typed(&ix(), "ix-1/c1", "Yes", 0).is_some());
    assert!(s.consult_send(&ix(), "ix-1/c1").is_some());
    assert_eq!(s.consult_done(&ix(), "ix-1/c1"), None, "not before the end");

    s.apply(events("ix-1", vec![ended(4, Some(kate()))]));
    assert!(s.chat(&ix()).unwrap().ended());
    assert_eq!(my_status(&s), Some(PartyStatus::Left));
    assert_eq!(
        s.consult_done(&ix(), "ix-1/c1"),
        Some(ClientMsg::from(act::Done {
            interaction: ix(),
            disposition: None,
            note: None,
        })),
        "a consultant needs no disposition"
    );
}

#[test]
fn a_declined_consultation_or_conference_is_a_notice_at_the_top_not_a_my_messages_entry() {
    crate::english();
    let mut s = team();
    s.apply(events(
        "ix-1",
        vec![private(
            3,
            EventKind::Declined {
                request: RequestKind::Consultation,
                target: "John Davis".into(),
                reason: DeclineReason::Rejected,
            },
        )],
    ));
    let chat = s.chat(&ix()).unwrap();
    assert_eq!(
        chat.notice.as_deref(),
        Some("John Davis rejected the consultation")
    );
    assert_eq!(chat.error, None);
    assert!(s.my_messages.is_empty());
    // The next request clears it.
    s.open_tc(&ix(), RequestKind::Conference);
    s.tc_choose();
    assert_eq!(s.chat(&ix()).unwrap().notice, None);
}

#[test]
fn the_party_list_follows_joins_and_leaves_and_offers_delete_from_conference() {
    let mut s = team();
    s.apply(events(
        "ix-1",
        vec![
            event(3, EventKind::Joined { party: kate() }),
            event(4, EventKind::Joined { party: john() }),
        ],
    ));
    let list = |s: &DesktopState| -> Vec<(String, &'static str)> {
        s.chat(&ix())
            .unwrap()
            .parties
            .list
            .iter()
            .map(|p| (p.party.name().to_owned(), p.status.as_str()))
            .collect()
    };
    assert_eq!(
        list(&s),
        [
            ("Mark Avram".to_owned(), "connected"),
            ("Kate Lewis".to_owned(), "connected"),
            ("John Davis".to_owned(), "connected"),
        ]
    );
    assert_eq!(
        s.remove_party(&ix(), &"john".into()),
        Some(ClientMsg::from(act::Remove {
            interaction: ix(),
            agent: "john".into(),
        }))
    );
    assert_eq!(
        s.remove_party(&ix(), &"kate".into()),
        None,
        "End leaves, not Delete"
    );
    assert_eq!(
        s.remove_party(&ix(), &"avril".into()),
        None,
        "not in the chat"
    );
    s.open_tc(&ix(), RequestKind::Conference);
    assert!(
        !s.tc_entries().iter().any(|e| e.name == "John Davis"),
        "a connected agent is not offered again"
    );
    s.apply(events(
        "ix-1",
        vec![event(
            5,
            EventKind::Left {
                party: john(),
                reason: Some(parley_protocol::LeaveReason::Removed),
            },
        )],
    ));
    assert_eq!(list(&s)[2], ("John Davis".to_owned(), "left"));
    assert_eq!(s.remove_party(&ix(), &"john".into()), None);
}
