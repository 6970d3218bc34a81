//! A right taken away is gone at once: an agent deleted from a conference, transferred away, or
//! a consultant whose consultation ended reads nothing newer, and only an agent that left by its
//! own End may rejoin (with asynchronous chat).

use super::seeds::{john, kate, mark, World};
use super::*;
use crate::rights::read_limit;
use parley_protocol::{RequestKind, Role, Target};

/// The seq of the last event stored so far.
fn last_seq(w: &World) -> Seq {
    w.log().last().map_or(0, |e| e.seq)
}

/// The engine's live limit agrees with the limit folded from the stored log alone (what a
/// restarted server or a file download after Mark Done sees).
fn limit(w: &World, who: &str) -> Option<Seq> {
    let live = w.e.read_limit(&agent(who), &ix("ix-1"));
    assert_eq!(
        live,
        read_limit(&agent(who), &w.log()),
        "live and stored agree"
    );
    live
}

fn conference_world(async_chat: bool) -> World {
    let mut config = config(false);
    config.chat.async_chat = async_chat;
    let mut w = World::new(config);
    ok(w.invite(
        "kate",
        RequestKind::Conference,
        Target::Agent(agent("john")),
    ));
    ok(w.accept("john"));
    w
}

fn rejoin(w: &mut World, who: &str) -> Option<ErrorCode> {
    error_code(&w.run(Command::act(
        Actor::Agent(agent(who)),
        act::Rejoin {
            interaction: ix("ix-1"),
        },
    )))
}

#[test]
fn an_agent_deleted_from_a_conference_reads_nothing_newer_and_cannot_rejoin() {
    for async_chat in [false, true] {
        let mut w = conference_world(async_chat);
        assert_eq!(limit(&w, "john"), None, "a party reads everything");
        ok(w.run(Command::act(
            Actor::Agent(agent("kate")),
            act::Remove {
                interaction: ix("ix-1"),
                agent: agent("john"),
            },
        )));
        let removed_at = last_seq(&w);
        assert_eq!(limit(&w, "john"), Some(removed_at));
        ok(w.say(mark(), "only for Kate now"));
        assert!(!w
            .texts_seen_by(&john())
            .contains(&"only for Kate now".into()));
        assert_eq!(
            rejoin(&mut w, "john"),
            Some(ErrorCode::Forbidden),
            "async chat {async_chat}"
        );
        assert_eq!(limit(&w, "john"), Some(removed_at));
        // Nor does the chat's summary tell it anything newer (a reconnect sends it again).
        ok(w.run(Command::act(
            Actor::Agent(agent("kate")),
            act::SetCaseData {
                interaction: ix("ix-1"),
                key: "Order number".into(),
                value: Some("A-1".into()),
            },
        )));
        let summary = |w: &World, who: &str| {
            w.e.agent_interactions(&agent(who))
                .into_iter()
                .find(|s| s.id == ix("ix-1"))
                .expect("open for it")
        };
        assert_eq!(
            summary(&w, "kate")
                .case_data
                .get("Order number")
                .map(String::as_str),
            Some("A-1")
        );
        assert!(summary(&w, "john").case_data.is_empty());
        let restored = {
            let record = w.e.interactions[&ix("ix-1")].record.clone();
            let mut e = Engine::new(&config(false));
            e.restore(record, &w.log());
            e.agent_interactions(&agent("john"))
        };
        assert_eq!(
            restored,
            vec![summary(&w, "john")],
            "the same after a restart"
        );
        // What it saw before stays readable until its Mark Done, which it still owes.
        assert!(w.e.agent_may_read(&agent("john"), &ix("ix-1")));
        let done = w.done("john", None);
        assert_eq!(error_code(&done), None);
        assert!(!w.e.agent_may_read(&agent("john"), &ix("ix-1")));
    }
}

#[test]
fn an_agent_that_transferred_the_chat_away_reads_nothing_newer() {
    let mut w = World::new(config(false));
    ok(w.invite("kate", RequestKind::Transfer, Target::Agent(agent("john"))));
    ok(w.accept("john"));
    let left_at = w
        .log()
        .iter()
        .rev()
        .find(|e| matches!(&e.kind, EventKind::Left { party, .. } if party.name() == "Kate"))
        .map(|e| e.seq)
        .expect("Kate left");
    assert_eq!(limit(&w, "kate"), Some(left_at));
    assert_eq!(limit(&w, "john"), None);
    ok(w.say(mark(), "thanks John"));
    assert!(!w.texts_seen_by(&kate()).contains(&"thanks John".into()));
    assert_eq!(rejoin(&mut w, "kate"), Some(ErrorCode::Forbidden));
}

#[test]
fn a_consultant_reads_nothing_newer_once_the_consultation_ended() {
    let mut w = World::new(config(false));
    ok(w.invite(
        "kate",
        RequestKind::Consultation,
        Target::Agent(agent("john")),
    ));
    ok(w.accept("john"));
    assert_eq!(
        limit(&w, "john"),
        None,
        "an active consultant reads the chat"
    );
    let id = w.consultation_id();
    ok(w.run(Command::act(
        Actor::Agent(agent("kate")),
        act::EndConsultation {
            interaction: ix("ix-1"),
            consultation: id,
        },
    )));
    let ended_at = last_seq(&w);
    assert_eq!(limit(&w, "john"), Some(ended_at));
    let role = |w: &World| w.e.agent_interactions(&agent("john"))[0].role;
    assert_eq!(
        role(&w),
        Role::Consultant,
        "it stays a consultation to John, with its Done"
    );
    ok(w.say(mark(), "after the consultation"));
    assert!(!w
        .texts_seen_by(&john())
        .contains(&"after the consultation".into()));
    // A new consultation gives the right back, and everything with it.
    ok(w.invite(
        "kate",
        RequestKind::Consultation,
        Target::Agent(agent("john")),
    ));
    ok(w.accept("john"));
    assert_eq!(limit(&w, "john"), None);
    // Kate, a party all along, never had a limit.
    assert_eq!(limit(&w, "kate"), None);
}

#[test]
fn only_an_agent_that_left_by_its_own_end_rejoins_and_only_with_asynchronous_chat() {
    let mut w = conference_world(false);
    ok(w.end(john()));
    assert_eq!(limit(&w, "john"), Some(last_seq(&w)));
    assert_eq!(rejoin(&mut w, "john"), Some(ErrorCode::Forbidden));

    let mut w = conference_world(true);
    ok(w.end(john()));
    assert_eq!(rejoin(&mut w, "john"), None);
    assert_eq!(
        limit(&w, "john"),
        None,
        "back in the chat, it reads all of it"
    );
}
