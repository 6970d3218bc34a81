//! Timers, typing, read receipts, case data, queue positions and presence.

use super::seeds::World;
use super::*;
use parley_protocol::{LeaveReason, PendingLevel};

fn pending_sent(out: &(impl Effects + ?Sized)) -> Vec<PendingLevel> {
    out.effects()
        .iter()
        .filter_map(|e| match e {
            Effect::Send {
                msg: ServerMsg::Pending { level, .. },
                ..
            } => Some(*level),
            _ => None,
        })
        .collect()
}

fn tick_at(w: &mut World, at: Millis) -> Vec<Effect> {
    w.now = at - 1_000;
    ok(w.run(Command::Tick))
}

#[test]
fn the_pending_response_indicator_goes_yellow_then_red_and_back_to_green_on_an_answer() {
    let mut w = World::new(config(false));
    let asked = w.now;
    ok(w.run(say_in_ix1(
        Actor::Contact(ix("ix-1")),
        "c9".into(),
        "hello?".into(),
    )));
    // The first unanswered message counts: the contact's opening message.
    let first = w
        .log()
        .iter()
        .find(|e| matches!(e.kind, EventKind::Message { .. }))
        .map(|e| e.at)
        .expect("opening message");
    assert!(pending_sent(&tick_at(&mut w, first + 29_000)).is_empty());
    assert_eq!(
        pending_sent(&tick_at(&mut w, first + 30_000)),
        vec![PendingLevel::Warn]
    );
    assert!(
        pending_sent(&tick_at(&mut w, first + 31_000)).is_empty(),
        "sent once per change"
    );
    assert_eq!(
        pending_sent(&tick_at(&mut w, first + 60_000)),
        vec![PendingLevel::Late]
    );
    assert!(asked > first);
    let out = ok(w.run(say_in_ix1(
        Actor::Agent(agent("kate")),
        "k9".into(),
        "here".into(),
    )));
    assert_eq!(pending_sent(&out), vec![PendingLevel::Ok]);
    assert_eq!(
        w.e.agent_interactions(&agent("kate"))[0].pending,
        PendingLevel::Ok
    );
}

#[test]
fn an_idle_chat_is_warned_then_times_out_with_system_messages() {
    let mut w = World::new(config(false));
    ok(w.run(say_in_ix1(
        Actor::Agent(agent("kate")),
        "k1".into(),
        "hello".into(),
    )));
    let last = w.now;
    let out = tick_at(&mut w, last + 240_000);
    assert_eq!(
        appended(&out)[0].0.kind,
        EventKind::System {
            notice: Notice::InactivityWarning
        }
    );
    assert!(
        appended(&tick_at(&mut w, last + 250_000)).is_empty(),
        "warned once"
    );
    let out = tick_at(&mut w, last + 300_000);
    let kinds: Vec<_> = appended(&out).iter().map(|(e, _)| e.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::System {
                notice: Notice::InactivityTimeout
            },
            EventKind::Ended {
                reason: EndReason::Inactivity
            }
        ]
    );
}

#[test]
fn a_contact_gone_past_the_grace_period_leaves_and_the_chat_closes_itself_later() {
    let mut w = World::new(config(false));
    ok(w.run(Command::ContactDisconnected(ix("ix-1"))));
    let gone = w.now;
    ok(w.run(Command::ContactConnected(ix("ix-1"))));
    assert!(
        appended(&tick_at(&mut w, gone + 25_000)).is_empty(),
        "back in time"
    );
    ok(w.run(Command::ContactDisconnected(ix("ix-1"))));
    let gone = w.now;
    assert!(appended(&tick_at(&mut w, gone + 19_000)).is_empty());
    let out = tick_at(&mut w, gone + 20_000);
    let kinds: Vec<_> = appended(&out).iter().map(|(e, _)| e.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::Left {
                party: Party::Contact {
                    name: "Mark Avram".into()
                },
                reason: Some(LeaveReason::Disconnected)
            },
            EventKind::System {
                notice: Notice::AutoClose { secs: 60 }
            },
            EventKind::Ended {
                reason: EndReason::ContactDisconnected
            },
        ]
    );
    assert!(!w.closed_for("kate"));
    let out = tick_at(&mut w, gone + 20_000 + 60_000);
    assert!(
        out.iter().any(|e| matches!(e, Effect::Save(r) if r.closed)),
        "auto-closed after the configured delay"
    );
    assert!(w.closed_for("kate"));
}

#[test]
fn a_queued_chat_whose_contact_is_gone_is_dropped() {
    let mut e = Engine::new(&config(false));
    start(&mut e, "ix-1", None, T0);
    ok(e.handle(Command::ContactDisconnected(ix("ix-1")), T0));
    assert!(!ok(e.handle(Command::Tick, T0 + 19_999))
        .iter()
        .any(|e| matches!(e, Effect::Save(_))));
    let out = ok(e.handle(Command::Tick, T0 + 20_000));
    assert!(out.iter().any(|e| matches!(e, Effect::Save(r) if r.closed)));
    assert!(invitations(&ready(&mut e, "kate", T0 + 21_000)).is_empty());
}

#[test]
fn typing_reaches_the_others_and_only_agents_see_the_preview() {
    let mut w = World::new(config(false));
    let typing = |from: Actor, preview: Option<&str>| {
        Command::act(
            from,
            act::Typing {
                interaction: ix("ix-1"),
                typing: true,
                preview: preview.map(Into::into),
                consultation: None,
            },
        )
    };
    let out = ok(w.run(typing(Actor::Contact(ix("ix-1")), Some("the visa end"))));
    assert_eq!(out.len(), 1);
    assert!(
        matches!(&out[0], Effect::Send { to: Actor::Agent(a), msg: ServerMsg::Typing { preview: Some(p), .. } } if a == &agent("kate") && p == "the visa end")
    );
    let out = ok(w.run(typing(Actor::Agent(agent("kate")), Some("secret draft"))));
    assert!(
        matches!(
            &out[0],
            Effect::Send {
                to: Actor::Contact(_),
                msg: ServerMsg::Typing { preview: None, .. }
            }
        ),
        "{out:?}"
    );
    assert!(
        appended(&w.effects).iter().all(
            |(e, _)| !matches!(e.kind, EventKind::Notice { ref text } if text.contains("typing"))
        ),
        "typing is never stored"
    );
    assert_eq!(
        error_code(&w.run(typing(Actor::Agent(agent("john")), None))),
        Some(ErrorCode::Forbidden)
    );
}

#[test]
fn read_receipts_move_forward_only() {
    let mut w = World::new(config(false));
    let read = |up_to| {
        Command::act(
            Actor::Contact(ix("ix-1")),
            act::Read {
                interaction: ix("ix-1"),
                up_to,
            },
        )
    };
    let out = ok(w.run(read(4)));
    let (event, to) = appended(&out)[0];
    assert_eq!(event.kind, EventKind::Read { up_to: 4 });
    assert_eq!(event.audience, Audience::Agents);
    assert_eq!(to, &vec![Actor::Agent(agent("kate"))]);
    assert!(appended(&w.run(read(3))).is_empty());
    assert_eq!(error_code(&w.run(read(999))), Some(ErrorCode::Invalid));
}

#[test]
fn only_configured_case_data_keys_are_editable() {
    let mut w = World::new(config(false));
    let set = |key: &str, value: &str| {
        Command::act(
            Actor::Agent(agent("kate")),
            act::SetCaseData {
                interaction: ix("ix-1"),
                key: key.into(),
                value: Some(value.into()),
            },
        )
    };
    assert_eq!(
        error_code(&w.run(set("Credit limit", "1000000"))),
        Some(ErrorCode::Forbidden)
    );
    let out = ok(w.run(set("Order number", "A-1234")));
    assert_eq!(
        appended(&out)[0].0.kind,
        EventKind::CaseData {
            key: "Order number".into(),
            value: Some("A-1234".into())
        }
    );
    assert!(
        appended(&w.run(set("Order number", "A-1234"))).is_empty(),
        "no change, no event"
    );
    assert_eq!(
        w.e.agent_interactions(&agent("kate"))[0]
            .case_data
            .get("Order number")
            .map(String::as_str),
        Some("A-1234")
    );
}

#[test]
fn waiting_contacts_are_told_their_place_in_the_queue() {
    let mut e = Engine::new(&config(false));
    let positions = |out: &[Effect]| -> Vec<(Actor, u32)> {
        out.iter()
            .filter_map(|e| match e {
                Effect::Send {
                    to,
                    msg: ServerMsg::QueuePosition { position, .. },
                } => Some((to.clone(), *position)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        positions(&start(&mut e, "ix-1", None, T0)),
        vec![(Actor::Contact(ix("ix-1")), 1)]
    );
    assert_eq!(
        positions(&start(&mut e, "ix-2", None, T0)),
        vec![(Actor::Contact(ix("ix-2")), 2)]
    );
    let out = ready(&mut e, "kate", T0 + 1);
    assert_eq!(invitations(&out).len(), 2, "kate has room for both");
}

#[test]
fn presence_is_broadcast_when_it_changes() {
    let mut e = Engine::new(&config(false));
    let broadcast = |out: &Outcome| {
        out.effects().iter().find_map(|e| match e {
            Effect::Broadcast(ServerMsg::Presence { agents }) => Some(agents.clone()),
            _ => None,
        })
    };
    let out = Ok(ready(&mut e, "kate", T0));
    let kate = broadcast(&out)
        .expect("status change is broadcast")
        .into_iter()
        .find(|a| a.id == agent("kate"))
        .expect("kate");
    assert!(kate.online);
    assert_eq!(kate.status, AgentStatus::Ready);
    assert!(
        broadcast(&e.handle(Command::Tick, T0 + 1)).is_none(),
        "nothing changed"
    );
    let out = Ok(start(&mut e, "ix-1", None, T0 + 2));
    let kate = broadcast(&out)
        .expect("load change")
        .into_iter()
        .find(|a| a.id == agent("kate"))
        .expect("kate");
    assert_eq!((kate.load, kate.capacity), (1, 2));
}
