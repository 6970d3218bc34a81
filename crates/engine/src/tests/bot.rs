//! The demo bot: it greets chats for its queues, answers by its rules, and hands the chat to the
//! queue when the contact asks for a person; a restart in between keeps the chat with the bot.

use super::*;
use parley_protocol::Rich;

fn with_bot() -> Config {
    let mut c = config(false);
    c.bot = Some(
        toml::from_str(
            r#"
            name = "Assistant"
            queues = ["gold"]
            greeting = { quick_replies = { text = "How can I help?", replies = ["Card", "Talk to an agent"] } }
            [[rules]]
            keywords = ["card"]
            reply = { list = { title = "Card problems", selectable = true, items = [{ title = "Refused" }, { title = "Lost" }] } }
            "#,
        )
        .expect("bot config parses"),
    );
    c
}

fn contact_says(engine: &mut Engine, text: &str, n: u32, now: Millis) -> Vec<Effect> {
    ok(engine.handle(
        say_in_ix1(Actor::Contact(ix("ix-1")), format!("c{n}"), text.into()),
        now,
    ))
}

fn rich(effects: &[Effect]) -> Vec<Rich> {
    appended(effects)
        .into_iter()
        .filter_map(|(e, _)| match &e.kind {
            EventKind::Rich { content, .. } => Some(content.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_bot_greets_answers_by_rule_and_hands_over_to_the_queue() {
    let mut engine = Engine::new(&with_bot());
    ready(&mut engine, "vip", T0);
    let out = start(&mut engine, "ix-1", Some("gold"), T0 + 1);
    assert!(
        invitations(&out).is_empty(),
        "no agent is offered a chat the bot handles"
    );
    assert!(matches!(rich(&out)[..], [Rich::QuickReplies { .. }]));
    assert!(
        !appended(&out).iter().any(|(e, _)| matches!(
            &e.kind,
            EventKind::System {
                notice: Notice::Queued
            }
        )),
        "not queued yet"
    );

    let out = contact_says(&mut engine, "It is about my card", 1, T0 + 2);
    assert!(
        matches!(&rich(&out)[..], [Rich::List { title, selectable: true, .. }] if title == "Card problems")
    );
    assert!(invitations(&out).is_empty());

    let out = contact_says(&mut engine, "Talk to an agent", 2, T0 + 3);
    assert!(appended(&out).iter().any(|(e, _)| matches!(
        &e.kind,
        EventKind::System {
            notice: Notice::Queued
        }
    )));
    let offers = invitations(&out);
    assert_eq!(
        offers.len(),
        1,
        "handed over: the queue's agent is offered it"
    );
    assert_eq!(offers[0].0, agent("vip"));

    // Other queues never see the bot.
    let out = start(&mut engine, "ix-2", None, T0 + 4);
    assert!(rich(&out).is_empty());
}

#[test]
fn a_restored_chat_stays_with_the_bot_until_handed_over() {
    let config = with_bot();
    let mut engine = Engine::new(&config);
    let mut log: Vec<Event> = Vec::new();
    let mut record = None;
    for e in start(&mut engine, "ix-1", Some("gold"), T0) {
        match e {
            Effect::Save(r) => record = Some(r),
            Effect::Append { event, .. } => log.push(event),
            _ => {}
        }
    }
    let mut restarted = Engine::new(&config);
    restarted.restore(record.expect("record"), &log);
    let out = ready(&mut restarted, "vip", T0 + 1);
    assert!(
        invitations(&out).is_empty(),
        "still the bot's after a restart"
    );
    let out = contact_says(&mut restarted, "agent please", 1, T0 + 2);
    assert_eq!(invitations(&out).len(), 1);
}
