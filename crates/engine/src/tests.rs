//! Engine scenarios: each drives the pure state machine through one procedure.

use super::*;
use parley_protocol::{
    Audience, EndReason, EventKind, InteractionState, InvitationKind, Notice, Party, RequestKind,
    Target, MAX_MESSAGE_CHARS,
};
use std::collections::{BTreeMap, BTreeSet};

const T0: Millis = 1_700_000_000_000;

fn config(disposition_required: bool) -> Config {
    toml::from_str(&format!(
        r#"
        disposition_required = {disposition_required}
        dispositions = ["Resolved", "Escalated"]
        not_ready_reasons = ["Lunch"]
        [routing]
        offer_timeout_secs = 20
        reject_cooldown_secs = 30
        [chat]
        pending_warn_secs = 30
        pending_late_secs = 60
        inactivity_warn_secs = 240
        inactivity_timeout_secs = 300
        contact_grace_secs = 20
        auto_close_secs = 60
        typing_preview = true
        editable_case_data = ["Order number"]
        [[agents]]
        id = "kate"
        name = "Kate Lewis"
        nickname = "Kate"
        password_hash = "-"
        capacity = 2
        [[agents]]
        id = "john"
        name = "John Davis"
        nickname = "John"
        password_hash = "-"
        capacity = 1
        [[agents]]
        id = "avril"
        name = "Avril Mai"
        password_hash = "-"
        capacity = 2
        [[agents]]
        id = "vip"
        name = "Vera Ip"
        password_hash = "-"
        skills = ["gold"]
        [[queues]]
        id = "general"
        name = "General"
        [[queues]]
        id = "gold"
        name = "Gold customers"
        skill = "gold"
        [[groups]]
        id = "tier2"
        name = "Tier 2"
        agents = ["john", "avril"]
        [[skills]]
        id = "gold"
        name = "Gold"
        "#
    ))
    .expect("test config parses")
}

/// What an interaction's events alone decide, which a restarted engine restores. Offers out,
/// the timers' levels and connections are not events, and are left out.
#[derive(Debug, PartialEq)]
struct Durable {
    state: InteractionState,
    agents: Vec<AgentId>,
    consultations: Vec<ix::Consultation>,
    pending_done: BTreeSet<AgentId>,
    ever_party: BTreeSet<AgentId>,
    contact_present: bool,
    contact_left_at: Option<Millis>,
    next_seq: Seq,
    client_ids: BTreeMap<(String, String), Seq>,
    case_data: BTreeMap<String, String>,
    files: (u32, u64),
    awaiting_since: Option<Millis>,
    last_activity: Millis,
    last_read: Seq,
    with_bot: bool,
    rights: BTreeMap<AgentId, super::rights::Right>,
    seen: BTreeMap<AgentId, ix::Seen>,
}

fn durable(ix: &ix::Interaction) -> Durable {
    Durable {
        // Offered is routing's word for a queued chat with an offer out: not an event.
        state: match ix.state {
            InteractionState::Offered => InteractionState::Queued,
            s => s,
        },
        agents: ix.agents.clone(),
        consultations: ix.consultations.clone(),
        pending_done: ix.pending_done.clone(),
        ever_party: ix.ever_party.clone(),
        contact_present: ix.contact_present,
        contact_left_at: ix.contact_left_at,
        next_seq: ix.next_seq,
        client_ids: ix.client_ids.clone(),
        case_data: ix.case_data.clone(),
        files: ix.files,
        awaiting_since: ix.awaiting_since,
        last_activity: ix.last_activity,
        last_read: ix.last_read,
        with_bot: ix.with_bot,
        rights: ix.rights.clone(),
        seen: ix.seen.clone(),
    }
}

impl Engine {
    /// After every command of every engine test: replaying each live interaction's stored
    /// events gives what the live engine holds (the way Zulip's `verify_action` checks that
    /// applying an action's events equals a fresh fetch).
    pub(super) fn check_replay(&mut self, effects: &[Effect]) {
        for effect in effects {
            if let Effect::Append {
                interaction, event, ..
            } = effect
            {
                let log = self.stored.entry(interaction.clone()).or_default();
                log.push(event.clone());
            }
        }
        for (id, live) in &self.interactions {
            let events = self.stored.get(id).map(Vec::as_slice).unwrap_or_default();
            let replayed = ix::Interaction::replay(live.record.clone(), events);
            assert_eq!(
                durable(&replayed),
                durable(live),
                "replaying the stored events of {id} gives its live state"
            );
        }
    }
}

impl Engine {
    /// After every command of every engine test: the offers the effects stored are exactly the
    /// offers out, each with its agent, time-out and request, so a restore loses none.
    pub(super) fn check_offers(&mut self, effects: &[Effect]) {
        for effect in effects {
            if let Effect::SaveOffer { interaction, offer } = effect {
                match offer {
                    Some(offer) => self
                        .stored_offers
                        .insert(interaction.clone(), offer.clone()),
                    None => self.stored_offers.remove(interaction),
                };
            }
        }
        let mut live = BTreeMap::new();
        for (id, offer) in &self.invitations {
            let Effect::SaveOffer {
                offer: Some(stored),
                ..
            } = self.offer_saved(id, offer)
            else {
                unreachable!("offer_saved saves an offer")
            };
            let earlier = live.insert(offer.interaction.clone(), stored);
            assert!(earlier.is_none(), "{} has one offer out", offer.interaction);
        }
        assert_eq!(
            live, self.stored_offers,
            "the stored offers are the offers out"
        );
    }
}

impl Engine {
    /// After every command of every engine test: [`Engine::readers`] says what the engine's own
    /// checks say, and an interaction's readers changed only if the effects name it (a read
    /// model updated from effects alone never goes stale).
    pub(super) fn check_readers(
        &self,
        before: &BTreeMap<InteractionId, Vec<(AgentId, Option<Seq>)>>,
        effects: &[Effect],
    ) {
        let after = self.all_readers();
        for (agent, state) in &self.agents {
            for id in &state.chats {
                let limit = self.read_limit(agent, id);
                assert!(
                    after
                        .get(id)
                        .is_some_and(|readers| readers.contains(&(agent.clone(), limit))),
                    "{agent} reads {id} up to {limit:?}, and its readers say so"
                );
            }
        }
        for (id, readers) in &after {
            for (agent, _) in readers {
                assert!(self.agent_may_read(agent, id), "{agent} reads {id}");
            }
        }
        let named: BTreeSet<&InteractionId> =
            effects.iter().filter_map(Effect::interaction).collect();
        let ids: BTreeSet<&InteractionId> = before.keys().chain(after.keys()).collect();
        for id in ids {
            let empty = Vec::new();
            let was = before.get(id).unwrap_or(&empty);
            let is = after.get(id).unwrap_or(&empty);
            assert!(
                was == is || named.contains(id),
                "the readers of {id} changed ({was:?} to {is:?}) without an effect naming it"
            );
        }
    }
}

/// The effects but the stored offers (which [`Engine::check_offers`] checks after every command).
fn not_stored_offers(out: Vec<Effect>) -> Vec<Effect> {
    out.into_iter()
        .filter(|e| !matches!(e, Effect::SaveOffer { .. }))
        .collect()
}

fn agent(id: &str) -> AgentId {
    AgentId(id.into())
}

fn ix(id: &str) -> InteractionId {
    InteractionId(id.into())
}

fn start(engine: &mut Engine, id: &str, queue: Option<&str>, now: Millis) -> Vec<Effect> {
    let contact = ContactInfo {
        name: "Mark Avram".into(),
        email: None,
        subject: None,
        verified: false,
    };
    let cmd = Command::StartChat {
        id: ix(id),
        contact,
        queue: queue.map(QueueId::from),
        text: Some("Hello, my card is refused".into()),
        case_data: BTreeMap::new(),
    };
    let mut out = ok(engine.handle(cmd, now));
    out.extend(ok(engine.handle(Command::ContactConnected(ix(id)), now)));
    out
}

fn ready(engine: &mut Engine, id: &str, now: Millis) -> Vec<Effect> {
    ok(engine.handle(Command::AgentConnected(agent(id)), now));
    ok(engine.handle(
        Command::act(
            Actor::Agent(agent(id)),
            act::SetStatus {
                status: AgentStatus::Ready,
            },
        ),
        now,
    ))
}

/// What tests read effects from: a list, or a command's outcome (a refusal has none).
trait Effects {
    fn effects(&self) -> &[Effect];
}

impl Effects for [Effect] {
    fn effects(&self) -> &[Effect] {
        self
    }
}

impl Effects for Vec<Effect> {
    fn effects(&self) -> &[Effect] {
        self
    }
}

impl Effects for Outcome {
    fn effects(&self) -> &[Effect] {
        self.as_deref().unwrap_or_default()
    }
}

fn invitations(effects: &(impl Effects + ?Sized)) -> Vec<(AgentId, Invitation)> {
    effects
        .effects()
        .iter()
        .filter_map(|e| match e {
            Effect::Send {
                to: Actor::Agent(a),
                msg: ServerMsg::Invitation { invitation },
            } => Some((a.clone(), invitation.clone())),
            _ => None,
        })
        .collect()
}

fn appended(effects: &(impl Effects + ?Sized)) -> Vec<(&Event, &Vec<Recipient>)> {
    effects
        .effects()
        .iter()
        .filter_map(|e| match e {
            Effect::Append { event, to, .. } => Some((event, to)),
            _ => None,
        })
        .collect()
}

fn replies(effects: &(impl Effects + ?Sized)) -> Vec<&ServerMsg> {
    effects
        .effects()
        .iter()
        .filter_map(|e| {
            if let Effect::Reply(m) = e {
                Some(m)
            } else {
                None
            }
        })
        .collect()
}

/// `from` sends `text` into the chat ix-1 with this client id.
fn say_in_ix1(from: Actor, client_id: String, text: String) -> Command {
    Command::act(
        from,
        act::Send {
            interaction: ix("ix-1"),
            client_id,
            text,
            consultation: None,
        },
    )
}

/// The effects of a command that must be carried out.
fn ok(out: Outcome) -> Vec<Effect> {
    out.expect("the command is carried out")
}

/// Why the command was refused, or `None` when it was carried out.
fn error_code(out: &Outcome) -> Option<ErrorCode> {
    out.as_ref().err().map(|r| r.code)
}

/// Starts a chat, makes `who` Ready and accepts the offer.
fn accepted_chat(engine: &mut Engine, id: &str, who: &str) -> Vec<Effect> {
    start(engine, id, None, T0);
    let offers = invitations(&ready(engine, who, T0 + 1));
    let (_, inv) = offers.into_iter().next().expect("an offer");
    ok(engine.handle(
        Command::act(Actor::Agent(agent(who)), act::Accept { invitation: inv.id }),
        T0 + 2,
    ))
}

#[test]
fn a_new_chat_is_queued_with_the_joined_and_waiting_notices() {
    let mut e = Engine::new(&config(false));
    let out = start(&mut e, "ix-1", None, T0);
    assert!(matches!(&out[0], Effect::Save(r) if r.id == ix("ix-1") && !r.closed));
    let events = appended(&out);
    let kinds: Vec<_> = events
        .iter()
        .map(|(ev, _)| (ev.seq, ev.kind.clone()))
        .collect();
    assert_eq!(
        kinds[0],
        (
            1,
            EventKind::Joined {
                party: Party::Contact {
                    name: "Mark Avram".into()
                }
            }
        )
    );
    assert_eq!(
        kinds[1],
        (
            2,
            EventKind::System {
                notice: Notice::Queued
            }
        )
    );
    assert!(
        matches!(&kinds[2], (3, EventKind::Message { text, .. }) if text == "Hello, my card is refused")
    );
    for (_, to) in events {
        assert_eq!(
            to,
            &vec![Actor::Contact(ix("ix-1"))],
            "nobody else takes part yet"
        );
    }
    assert!(invitations(&out).is_empty(), "nobody is ready");
}

#[test]
fn a_chat_is_offered_to_the_longest_idle_ready_agent() {
    let mut e = Engine::new(&config(false));
    ready(&mut e, "john", T0);
    ready(&mut e, "kate", T0 + 5);
    let offers = invitations(&start(&mut e, "ix-1", None, T0 + 10));
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].0, agent("john"));
    assert_eq!(offers[0].1.expires_at, T0 + 10 + 20_000);
    assert_eq!(offers[0].1.interaction.contact, "Mark Avram");
    let second = invitations(&start(&mut e, "ix-2", None, T0 + 11));
    assert_eq!(
        second[0].0,
        agent("kate"),
        "john is busy with an offer and has capacity 1"
    );
}

#[test]
fn not_ready_disconnected_or_unskilled_agents_get_no_offer() {
    let mut e = Engine::new(&config(false));
    ok(e.handle(Command::AgentConnected(agent("kate")), T0));
    ok(e.handle(
        Command::act(
            Actor::Agent(agent("kate")),
            act::SetStatus {
                status: AgentStatus::NotReady {
                    reason: Some("Lunch".into()),
                },
            },
        ),
        T0,
    ));
    ok(e.handle(
        Command::act(
            Actor::Agent(agent("john")),
            act::SetStatus {
                status: AgentStatus::Ready,
            },
        ),
        T0,
    ));
    ready(&mut e, "vip", T0);
    let out = start(&mut e, "ix-1", Some("gold"), T0);
    assert_eq!(invitations(&out)[0].0, agent("vip"));
    ready(&mut e, "kate", T0);
    ok(e.handle(Command::AgentDisconnected(agent("vip")), T0));
    let out = start(&mut e, "ix-2", Some("gold"), T0 + 1);
    assert!(invitations(&out).is_empty(), "only vip has the gold skill");
}

#[test]
fn accepting_opens_the_chat_and_both_sides_exchange_messages() {
    let mut e = Engine::new(&config(false));
    let out = accepted_chat(&mut e, "ix-1", "kate");
    let out = not_stored_offers(out);
    assert!(
        matches!(&out[0], Effect::Open { agent: a, summary } if a == &agent("kate") && summary.state == InteractionState::Active)
    );
    // The offer is withdrawn after the chat opened (the desktop builds the chat first).
    assert!(matches!(
        out.last(),
        Some(Effect::Send {
            to: Actor::Agent(a),
            msg: ServerMsg::InvitationGone { .. },
        }) if a == &agent("kate")
    ));
    let (joined, to) = appended(&out)[0];
    assert_eq!(joined.seq, 4);
    assert_eq!(
        joined.kind,
        EventKind::Joined {
            party: Party::Agent {
                id: agent("kate"),
                name: "Kate".into()
            }
        }
    );
    // Kate gets her own join with the transcript that `Open` sends, not as a live event.
    assert_eq!(to, &vec![Actor::Contact(ix("ix-1"))]);

    let out = ok(e.handle(
        say_in_ix1(
            Actor::Agent(agent("kate")),
            "a1".into(),
            " Which card? ".into(),
        ),
        T0 + 3,
    ));
    let (msg, to) = appended(&out)[0];
    assert!(
        matches!(&msg.kind, EventKind::Message { text, from: Party::Agent { name, .. }, .. } if text == "Which card?" && name == "Kate")
    );
    assert_eq!(to.len(), 2);
    assert_eq!(
        replies(&out),
        vec![&ServerMsg::Ack {
            interaction: ix("ix-1"),
            client_id: "a1".into(),
            seq: 5,
            req: None,
        }]
    );

    let out = ok(e.handle(
        say_in_ix1(Actor::Contact(ix("ix-1")), "c1".into(), "Visa".into()),
        T0 + 4,
    ));
    assert_eq!(appended(&out)[0].0.seq, 6);
    assert_eq!(e.agent_interactions(&agent("kate")).len(), 1);
}

#[test]
fn a_chat_holds_so_many_files_and_bytes_counted_in_commit_order_and_after_a_restore() {
    let mut c = config(false);
    c.server.max_files_per_chat = 2;
    c.server.max_chat_file_bytes = 1_000;
    let mut e = Engine::new(&c);
    accepted_chat(&mut e, "ix-1", "kate");
    let post = |id: &str, size: u64| Command::PostFile {
        from: Actor::Contact(ix("ix-1")),
        interaction: ix("ix-1"),
        file: parley_protocol::FileRef {
            id: id.into(),
            name: "a.png".into(),
            mime: "image/png".into(),
            size,
        },
    };
    ok(e.handle(post("f1", 600), T0 + 3));
    // Over the bytes: refused, and nothing counted.
    assert_eq!(
        error_code(&e.handle(post("f2", 401), T0 + 4)),
        Some(ErrorCode::TooLarge)
    );
    ok(e.handle(post("f2", 400), T0 + 5));
    // Over the count, even a small one; and the same after a restart from the stored events.
    assert_eq!(
        error_code(&e.handle(post("f3", 1), T0 + 6)),
        Some(ErrorCode::TooLarge)
    );
    let mut restored = Engine::new(&c);
    for (id, live) in &e.interactions {
        restored.restore(live.record.clone(), e.stored.get(id).map_or(&[][..], |v| v));
    }
    assert_eq!(restored.interactions[&ix("ix-1")].files, (2, 1_000));
    assert_eq!(
        error_code(&restored.handle(post("f3", 1), T0 + 7)),
        Some(ErrorCode::TooLarge)
    );
}

#[test]
fn a_retried_send_is_stored_once_and_acknowledged_again() {
    let mut e = Engine::new(&config(false));
    accepted_chat(&mut e, "ix-1", "kate");
    let send = || say_in_ix1(Actor::Contact(ix("ix-1")), "c1".into(), "Visa".into());
    let first = ok(e.handle(send(), T0 + 3));
    let again = ok(e.handle(send(), T0 + 4));
    assert_eq!(appended(&first).len(), 1);
    assert!(appended(&again).is_empty());
    assert_eq!(replies(&first), replies(&again));
}

#[test]
fn message_ids_are_unique_per_sender_not_per_chat() {
    let mut e = Engine::new(&config(false));
    let mut log: Vec<Event> = accepted_chat(&mut e, "ix-1", "kate")
        .into_iter()
        .filter_map(|x| match x {
            Effect::Append { event, .. } => Some(event),
            _ => None,
        })
        .collect();
    let send = |from: Actor, text: &str| say_in_ix1(from, "d1-7".into(), text.into());
    let kate = || Actor::Agent(agent("kate"));
    let contact = || Actor::Contact(ix("ix-1"));
    let first = ok(e.handle(send(contact(), "mine first"), T0 + 3));
    let second = ok(e.handle(send(kate(), "the agent's"), T0 + 4));
    assert_eq!(appended(&first).len(), 1);
    assert_eq!(appended(&second).len(), 1, "the agent's message is stored");
    let seq_of = |out: &Vec<Effect>| {
        replies(out).iter().find_map(|m| match m {
            ServerMsg::Ack { seq, .. } => Some(*seq),
            _ => None,
        })
    };
    assert_ne!(seq_of(&first), seq_of(&second));
    log.extend(appended(&first).into_iter().map(|(e, _)| e.clone()));
    log.extend(appended(&second).into_iter().map(|(e, _)| e.clone()));

    // Each sender's retry is still stored once, live and after a restart.
    let mut restored = Engine::new(&config(false));
    let record = e
        .interactions
        .get(&ix("ix-1"))
        .expect("live")
        .record
        .clone();
    restored.restore(record, &log);
    for engine in [&mut e, &mut restored] {
        let again = ok(engine.handle(send(kate(), "the agent's"), T0 + 5));
        assert!(appended(&again).is_empty());
        assert_eq!(seq_of(&again), seq_of(&second));
        let again = ok(engine.handle(send(contact(), "mine first"), T0 + 5));
        assert!(appended(&again).is_empty());
        assert_eq!(seq_of(&again), seq_of(&first));
    }
}

#[test]
fn nobody_outside_the_chat_can_act_on_it() {
    let mut e = Engine::new(&config(false));
    accepted_chat(&mut e, "ix-1", "kate");
    start(&mut e, "ix-2", None, T0);
    let by_john = e.handle(
        say_in_ix1(Actor::Agent(agent("john")), "x".into(), "hi".into()),
        T0 + 3,
    );
    assert_eq!(error_code(&by_john), Some(ErrorCode::Forbidden));
    let other_contact = e.handle(
        say_in_ix1(Actor::Contact(ix("ix-2")), "x".into(), "hi".into()),
        T0 + 3,
    );
    assert_eq!(error_code(&other_contact), Some(ErrorCode::Forbidden));
    let end = e.handle(
        Command::act(
            Actor::Agent(agent("john")),
            act::End {
                interaction: ix("ix-1"),
            },
        ),
        T0 + 3,
    );
    assert_eq!(error_code(&end), Some(ErrorCode::Forbidden));
    let missing = e.handle(
        Command::act(
            Actor::Agent(agent("kate")),
            act::End {
                interaction: ix("nope"),
            },
        ),
        T0 + 3,
    );
    assert_eq!(error_code(&missing), Some(ErrorCode::NotFound));
    let empty = e.handle(
        say_in_ix1(Actor::Agent(agent("kate")), "x".into(), "  ".into()),
        T0 + 3,
    );
    assert_eq!(error_code(&empty), Some(ErrorCode::Invalid));
    let huge = "x".repeat(MAX_MESSAGE_CHARS + 1);
    let long = e.handle(
        say_in_ix1(Actor::Agent(agent("kate")), "x".into(), huge),
        T0 + 3,
    );
    assert_eq!(error_code(&long), Some(ErrorCode::Invalid));
    let other_agents_offer = e.handle(
        Command::act(
            Actor::Agent(agent("john")),
            act::Accept {
                invitation: "inv-0-1".into(),
            },
        ),
        T0 + 3,
    );
    assert_eq!(error_code(&other_agents_offer), Some(ErrorCode::NotFound));
}

#[test]
fn a_rejected_chat_goes_to_the_next_agent() {
    let mut e = Engine::new(&config(false));
    ready(&mut e, "kate", T0);
    ready(&mut e, "john", T0 + 1);
    let (who, inv) = invitations(&start(&mut e, "ix-1", None, T0 + 2)).remove(0);
    assert_eq!(who, agent("kate"));
    let out = ok(e.handle(
        Command::act(
            Actor::Agent(agent("kate")),
            act::Reject {
                invitation: inv.id.clone(),
            },
        ),
        T0 + 3,
    ));
    let out = not_stored_offers(out);
    assert!(
        matches!(&out[0], Effect::Send { to: Actor::Agent(a), msg: ServerMsg::InvitationGone { invitation } } if a == &agent("kate") && invitation == &inv.id)
    );
    assert_eq!(invitations(&out)[0].0, agent("john"));
}

#[test]
fn a_chat_rejected_by_the_only_agent_waits_in_the_queue_and_comes_back_after_the_cooldown() {
    let mut e = Engine::new(&config(false));
    ready(&mut e, "kate", T0);
    let (_, inv) = invitations(&start(&mut e, "ix-1", None, T0)).remove(0);
    let out = ok(e.handle(
        Command::act(
            Actor::Agent(agent("kate")),
            act::Reject { invitation: inv.id },
        ),
        T0 + 1_000,
    ));
    assert!(invitations(&out).is_empty());
    assert!(invitations(&e.handle(Command::Tick, T0 + 30_999)).is_empty());
    let again = invitations(&e.handle(Command::Tick, T0 + 31_000));
    assert_eq!(again[0].0, agent("kate"));
}

#[test]
fn an_offer_that_times_out_counts_as_a_reject() {
    let mut e = Engine::new(&config(false));
    ready(&mut e, "kate", T0);
    ready(&mut e, "john", T0 + 1);
    let (_, inv) = invitations(&start(&mut e, "ix-1", None, T0)).remove(0);
    assert!(ok(e.handle(Command::Tick, T0 + 19_999)).is_empty());
    let out = ok(e.handle(Command::Tick, T0 + 20_000));
    assert!(out.contains(&Effect::Send {
        to: Actor::Agent(agent("kate")),
        msg: ServerMsg::InvitationGone { invitation: inv.id }
    }));
    assert_eq!(invitations(&out)[0].0, agent("john"));
}

#[test]
fn an_agent_who_disconnects_loses_its_offers_to_the_queue() {
    let mut e = Engine::new(&config(false));
    ready(&mut e, "kate", T0);
    start(&mut e, "ix-1", None, T0);
    ok(e.handle(Command::AgentDisconnected(agent("kate")), T0 + 1));
    assert!(e.agent_invitations(&agent("kate")).is_empty());
    let out = ready(&mut e, "john", T0 + 2);
    assert_eq!(invitations(&out)[0].0, agent("john"));
}

#[test]
fn end_then_mark_done_closes_the_chat_and_frees_capacity() {
    let mut e = Engine::new(&config(false));
    accepted_chat(&mut e, "ix-1", "john");
    let early = e.handle(
        Command::act(
            Actor::Agent(agent("john")),
            act::Done {
                interaction: ix("ix-1"),
                disposition: None,
                note: None,
            },
        ),
        T0 + 3,
    );
    assert_eq!(error_code(&early), Some(ErrorCode::Invalid));
    let out = ok(e.handle(
        Command::act(
            Actor::Agent(agent("john")),
            act::End {
                interaction: ix("ix-1"),
            },
        ),
        T0 + 4,
    ));
    let (ended, to) = appended(&out)[0];
    assert_eq!(
        ended.kind,
        EventKind::Ended {
            reason: EndReason::AgentEnded
        }
    );
    assert!(to.contains(&Actor::Contact(ix("ix-1"))));
    let late = e.handle(
        say_in_ix1(Actor::Contact(ix("ix-1")), "z".into(), "wait".into()),
        T0 + 5,
    );
    assert_eq!(error_code(&late), Some(ErrorCode::Invalid));
    let queued = invitations(&start(&mut e, "ix-2", None, T0 + 5));
    assert!(queued.is_empty(), "john's only slot is held until Done");
    let out = ok(e.handle(
        Command::act(
            Actor::Agent(agent("john")),
            act::Done {
                interaction: ix("ix-1"),
                disposition: Some("Resolved".into()),
                note: Some(" replaced card ".into()),
            },
        ),
        T0 + 6,
    ));
    let (done, to) = appended(&out)[0];
    assert_eq!(
        done.audience,
        Audience::Private {
            agents: vec![agent("john")]
        }
    );
    assert_eq!(
        done.kind,
        EventKind::Done {
            agent: agent("john"),
            disposition: Some("Resolved".into()),
            note: Some("replaced card".into())
        }
    );
    assert_eq!(to, &vec![Actor::Agent(agent("john"))]);
    assert!(out.iter().any(|e| matches!(e, Effect::Save(r) if r.closed)));
    assert!(out.contains(&Effect::Send {
        to: Actor::Agent(agent("john")),
        msg: ServerMsg::Closed {
            interaction: ix("ix-1")
        }
    }));
    assert_eq!(
        invitations(&out)[0].1.interaction.id,
        ix("ix-2"),
        "the freed slot takes the next chat"
    );
    assert!(
        !e.interactions.contains_key(&ix("ix-1")),
        "closed chats leave the engine"
    );
}

#[test]
fn mark_done_requires_a_known_disposition_when_configured() {
    let mut e = Engine::new(&config(true));
    accepted_chat(&mut e, "ix-1", "kate");
    ok(e.handle(
        Command::act(
            Actor::Contact(ix("ix-1")),
            act::End {
                interaction: ix("ix-1"),
            },
        ),
        T0 + 3,
    ));
    let none = e.handle(
        Command::act(
            Actor::Agent(agent("kate")),
            act::Done {
                interaction: ix("ix-1"),
                disposition: None,
                note: None,
            },
        ),
        T0 + 4,
    );
    assert_eq!(error_code(&none), Some(ErrorCode::Invalid));
    let bogus = e.handle(
        Command::act(
            Actor::Agent(agent("kate")),
            act::Done {
                interaction: ix("ix-1"),
                disposition: Some("Bogus".into()),
                note: None,
            },
        ),
        T0 + 4,
    );
    assert_eq!(error_code(&bogus), Some(ErrorCode::Invalid));
    let ok = e.handle(
        Command::act(
            Actor::Agent(agent("kate")),
            act::Done {
                interaction: ix("ix-1"),
                disposition: Some("Escalated".into()),
                note: None,
            },
        ),
        T0 + 4,
    );
    assert_eq!(error_code(&ok), None);
}

#[test]
fn the_contact_ending_leaves_and_ends_for_everyone() {
    let mut e = Engine::new(&config(false));
    accepted_chat(&mut e, "ix-1", "kate");
    let out = ok(e.handle(
        Command::act(
            Actor::Contact(ix("ix-1")),
            act::End {
                interaction: ix("ix-1"),
            },
        ),
        T0 + 3,
    ));
    let kinds: Vec<_> = appended(&out)
        .iter()
        .map(|(ev, _)| ev.kind.clone())
        .collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::Left {
                party: Party::Contact {
                    name: "Mark Avram".into()
                },
                reason: None,
            },
            EventKind::System {
                notice: Notice::AutoClose { secs: 60 }
            },
            EventKind::Ended {
                reason: EndReason::ContactEnded
            },
        ]
    );
    let again = e.handle(
        Command::act(
            Actor::Agent(agent("kate")),
            act::End {
                interaction: ix("ix-1"),
            },
        ),
        T0 + 4,
    );
    assert_eq!(error_code(&again), Some(ErrorCode::Invalid));
}

#[test]
fn restore_rebuilds_live_chats_from_their_event_logs() {
    let mut live = Engine::new(&config(false));
    let mut log: Vec<Event> = Vec::new();
    let mut record = None;
    let mut collect = |effects: Vec<Effect>| {
        for e in effects {
            match e {
                Effect::Append { event, .. } => log.push(event),
                Effect::Save(r) => record = Some(r),
                _ => {}
            }
        }
    };
    collect(start(&mut live, "ix-1", None, T0));
    let (_, inv) = invitations(&ready(&mut live, "kate", T0 + 1)).remove(0);
    collect(ok(live.handle(
        Command::act(
            Actor::Agent(agent("kate")),
            act::Accept { invitation: inv.id },
        ),
        T0 + 2,
    )));
    collect(ok(live.handle(
        say_in_ix1(Actor::Contact(ix("ix-1")), "c1".into(), "Visa".into()),
        T0 + 3,
    )));

    let mut restored = Engine::new(&config(false));
    restored.restore(record.expect("saved"), &log);
    assert_eq!(restored.agent_interactions(&agent("kate")).len(), 1);
    assert!(restored.agent_may_read(&agent("kate"), &ix("ix-1")));
    let retry = ok(restored.handle(
        say_in_ix1(Actor::Contact(ix("ix-1")), "c1".into(), "Visa".into()),
        T0 + 4,
    ));
    assert!(
        appended(&retry).is_empty(),
        "the retried send is known after restart"
    );
    let next = ok(restored.handle(
        say_in_ix1(Actor::Agent(agent("kate")), "a1".into(), "ok".into()),
        T0 + 5,
    ));
    assert_eq!(
        appended(&next)[0].0.seq,
        log.last().map(|e| e.seq + 1).unwrap_or(0)
    );
}

#[test]
fn restore_puts_unanswered_chats_back_in_the_queue() {
    let mut live = Engine::new(&config(false));
    let out = start(&mut live, "ix-1", None, T0);
    let Effect::Save(record) = out[0].clone() else {
        panic!("first effect saves the record")
    };
    let log: Vec<Event> = appended(&out).into_iter().map(|(e, _)| e.clone()).collect();
    let mut restored = Engine::new(&config(false));
    restored.restore(record, &log);
    assert_eq!(
        invitations(&ready(&mut restored, "kate", T0 + 1))[0]
            .1
            .interaction
            .id,
        ix("ix-1")
    );
}

#[test]
fn an_unknown_not_ready_reason_is_refused() {
    let mut e = Engine::new(&config(false));
    let out = e.handle(
        Command::act(
            Actor::Agent(agent("kate")),
            act::SetStatus {
                status: AgentStatus::NotReady {
                    reason: Some("Nap".into()),
                },
            },
        ),
        T0,
    );
    assert_eq!(error_code(&out), Some(ErrorCode::Invalid));
    assert_eq!(
        e.status(&agent("kate")),
        AgentStatus::NotReady { reason: None }
    );
}

mod bot;
mod rights;
mod seeds;
mod timers;

#[test]
fn effects_come_out_in_the_same_order_every_time() {
    // An agent with two offers disconnects: both chats go back to the queue and the contacts
    // hear their place. Offers were kept in a hash set, whose order differs from one engine to
    // the next: the queue, and so who gets which chat, depended on it.
    let run = || {
        let mut e = Engine::new(&config(false));
        let mut all = start(&mut e, "ix-1", None, T0);
        all.extend(start(&mut e, "ix-2", None, T0 + 1));
        all.extend(start(&mut e, "ix-3", None, T0 + 2));
        all.extend(ready(&mut e, "kate", T0 + 3));
        all.extend(ok(
            e.handle(Command::AgentDisconnected(agent("kate")), T0 + 4)
        ));
        all.extend(ready(&mut e, "avril", T0 + 5));
        all
    };
    let first = run();
    assert!(
        invitations(&first).len() >= 4,
        "kate and avril are offered chats"
    );
    for _ in 0..16 {
        assert_eq!(run(), first);
    }
}

#[test]
fn who_may_do_what_is_the_engines_rule_and_a_refusal_changes_nothing() {
    let mut e = Engine::new(&config(false));
    accepted_chat(&mut e, "ix-1", "kate");
    let before = durable(&e.interactions[&ix("ix-1")]);
    let contact = || Actor::Contact(ix("ix-1"));
    let refused = [
        // Agents' actions from a contact.
        Command::act(
            contact(),
            act::SetCaseData {
                interaction: ix("ix-1"),
                key: "Order number".into(),
                value: Some("A-1".into()),
            },
        ),
        Command::act(
            contact(),
            act::Done {
                interaction: ix("ix-1"),
                disposition: None,
                note: None,
            },
        ),
        // Read receipts are the chat's own contact's.
        Command::act(
            Actor::Agent(agent("kate")),
            act::Read {
                interaction: ix("ix-1"),
                up_to: 1,
            },
        ),
        Command::act(
            Actor::Contact(ix("ix-2")),
            act::Read {
                interaction: ix("ix-1"),
                up_to: 1,
            },
        ),
    ];
    for command in refused {
        let out = e.handle(command.clone(), T0 + 10);
        assert_eq!(error_code(&out), Some(ErrorCode::Forbidden), "{command:?}");
        assert_eq!(durable(&e.interactions[&ix("ix-1")]), before, "{command:?}");
    }
}

#[test]
fn after_a_failed_commit_the_interaction_is_what_the_store_has_and_a_retry_lands_once() {
    let mut e = Engine::new(&config(false));
    accepted_chat(&mut e, "ix-1", "kate");
    let record = e.interactions[&ix("ix-1")].record.clone();
    let stored = e.stored[&ix("ix-1")].clone();
    let before = durable(&e.interactions[&ix("ix-1")]);
    let kate = || Actor::Agent(agent("kate"));
    // The message's events are made, then their commit fails.
    let lost = ok(e.handle(say_in_ix1(kate(), "k-1".into(), "Hello".into()), T0 + 3));
    assert_eq!(appended(&lost).len(), 1);
    e.reload(&ix("ix-1"), Some((record, stored)));
    assert_eq!(durable(&e.interactions[&ix("ix-1")]), before);
    assert!(e.agent_may_read(&agent("kate"), &ix("ix-1")));
    // The retry is a new message, not an acknowledgement of one that was never stored.
    let retry = ok(e.handle(say_in_ix1(kate(), "k-1".into(), "Hello".into()), T0 + 4));
    let seqs: Vec<Seq> = appended(&retry).iter().map(|(ev, _)| ev.seq).collect();
    assert_eq!(seqs, vec![appended(&lost)[0].0.seq]);

    // A chat whose start was never stored goes, with the offer it made.
    let offered = start(&mut e, "ix-2", None, T0 + 5);
    ok(e.handle(Command::AgentConnected(agent("john")), T0 + 5));
    let offers = invitations(&ready(&mut e, "john", T0 + 6));
    assert!(!offers.is_empty() || !invitations(&offered).is_empty());
    let gone = e.reload(&ix("ix-2"), None);
    assert!(!e.interactions.contains_key(&ix("ix-2")));
    assert!(!e.queue.contains(&ix("ix-2")));
    assert!(e.invitations.values().all(|o| o.interaction != ix("ix-2")));
    assert!(gone.iter().all(|g| matches!(
        g,
        Effect::Send {
            msg: ServerMsg::InvitationGone { .. },
            ..
        } | Effect::SaveOffer { offer: None, .. }
    )));
    assert_eq!(e.agent_invitations(&agent("john")), vec![]);
}

/// A new engine restored from what `live` stored: its events, its agents' statuses and its open
/// offers, as a restarted server or a writer taking over reads them.
fn restored_from(live: &Engine) -> Engine {
    let mut engine = Engine::new(&config(false));
    // Each hub start draws an epoch of its own for the ids of its offers.
    engine.set_invitation_epoch("restored");
    for (id, state) in &live.agents {
        engine.restore_status(id, state.status.clone(), T0);
    }
    for (id, ix) in &live.interactions {
        let events = live.stored.get(id).cloned().unwrap_or_default();
        engine.restore(ix.record.clone(), &events);
    }
    for (id, offer) in &live.stored_offers {
        assert!(
            engine.restore_offer(id, offer.clone()),
            "{id}'s offer holds"
        );
    }
    engine
}

#[test]
fn an_offer_outlives_a_restore_with_its_agent_and_its_time_out() {
    let mut live = Engine::new(&config(false));
    ready(&mut live, "kate", T0);
    let (_, offer) = invitations(&start(&mut live, "ix-1", None, T0 + 1)).remove(0);
    let mut e = restored_from(&live);
    assert_eq!(e.agent_invitations(&agent("kate")), vec![offer.clone()]);
    // Nobody else is offered the chat while Kate's offer is out.
    assert!(invitations(&ready(&mut e, "john", T0 + 2)).is_empty());
    // It ends when it would have: Kate hears so, and John is offered the chat.
    assert!(ok(e.handle(Command::Tick, offer.expires_at - 1))
        .iter()
        .all(|effect| !matches!(effect, Effect::SaveOffer { .. })));
    let out = ok(e.handle(Command::Tick, offer.expires_at));
    assert!(out.iter().any(|effect| matches!(
        effect,
        Effect::Send { to: Actor::Agent(a), msg: ServerMsg::InvitationGone { invitation } }
            if a == &agent("kate") && invitation == &offer.id
    )));
    let again = e.agent_invitations(&agent("john"));
    assert!(again.iter().any(|inv| inv.interaction.id == ix("ix-1")));
}

#[test]
fn a_restored_offer_is_accepted_under_its_own_id() {
    let mut live = Engine::new(&config(false));
    ready(&mut live, "kate", T0);
    let (_, offer) = invitations(&start(&mut live, "ix-1", None, T0 + 1)).remove(0);
    let mut e = restored_from(&live);
    ok(e.handle(Command::AgentConnected(agent("kate")), T0 + 2));
    let out = ok(e.handle(
        Command::act(
            Actor::Agent(agent("kate")),
            act::Accept {
                invitation: offer.id,
            },
        ),
        T0 + 3,
    ));
    assert!(out
        .iter()
        .any(|effect| matches!(effect, Effect::Open { agent: a, .. } if a == &agent("kate"))));
    assert_eq!(e.agent_interactions(&agent("kate")).len(), 1);
}

#[test]
fn a_consultation_request_out_outlives_a_restore_and_goes_on_to_the_next_agent() {
    let mut live = Engine::new(&config(false));
    accepted_chat(&mut live, "ix-1", "kate");
    ready(&mut live, "john", T0 + 3);
    ready(&mut live, "avril", T0 + 3);
    let invite = act::Invite {
        interaction: ix("ix-1"),
        request: RequestKind::Consultation,
        target: Target::Group("tier2".into()),
    };
    let out = ok(live.handle(Command::act(Actor::Agent(agent("kate")), invite), T0 + 4));
    let (first, offer) = invitations(&out).remove(0);
    let mut e = restored_from(&live);
    assert_eq!(e.agent_invitations(&first), vec![offer.clone()]);
    // The first agent lets it pass; the other agent of the group is offered it, not the first.
    for who in ["kate", "john", "avril"] {
        ok(e.handle(Command::AgentConnected(agent(who)), T0 + 5));
    }
    let out = ok(e.handle(
        Command::act(
            Actor::Agent(first.clone()),
            act::Reject {
                invitation: offer.id,
            },
        ),
        T0 + 6,
    ));
    let (next, request) = invitations(&out).remove(0);
    assert_ne!(next, first);
    assert!(matches!(
        request.kind,
        InvitationKind::Request {
            request: RequestKind::Consultation,
            ..
        }
    ));
    let out = ok(e.handle(
        Command::act(
            Actor::Agent(next.clone()),
            act::Accept {
                invitation: request.id,
            },
        ),
        T0 + 7,
    ));
    assert!(appended(&out)
        .iter()
        .any(|(event, _)| matches!(event.kind, EventKind::ConsultationStarted { .. })));
}

#[test]
fn a_stored_offer_that_no_longer_holds_is_dropped() {
    let mut live = Engine::new(&config(false));
    ready(&mut live, "kate", T0);
    let (_, offer) = invitations(&start(&mut live, "ix-1", None, T0 + 1)).remove(0);
    let stored = live.stored_offers[&ix("ix-1")].clone();
    ok(live.handle(
        Command::act(
            Actor::Agent(agent("kate")),
            act::Accept {
                invitation: offer.id,
            },
        ),
        T0 + 2,
    ));
    // The accept's commit was lost after the offer's: the events say the chat is answered.
    let mut e = restored_from(&live);
    assert!(!e.restore_offer(&ix("ix-1"), stored.clone()));
    // An unknown chat or agent.
    assert!(!e.restore_offer(&ix("ix-9"), stored.clone()));
    let mut e = Engine::new(&config(false));
    let mut other = stored;
    other.agent = agent("nobody");
    assert!(!e.restore_offer(&ix("ix-1"), other));
}

#[test]
fn a_queued_contact_writes_no_faster_than_a_person_types() {
    let mut engine = Engine::new(&config(false));
    start(&mut engine, "ix-1", None, T0);
    let contact = || Actor::Contact(ix("ix-1"));
    let say = |n: u32| say_in_ix1(contact(), format!("c{n}"), format!("hello {n}"));
    for n in 0..3 {
        ok(engine.handle(say(n), T0 + 10 + Millis::from(n)));
    }
    let fourth = engine.handle(say(3), T0 + 20);
    assert_eq!(error_code(&fourth), Some(ErrorCode::RateLimited));
    // A retry of a message already taken is acknowledged as ever.
    ok(engine.handle(say(0), T0 + 21));
    // Some seconds later it may write again.
    ok(engine.handle(say(3), T0 + 3_011));
    // Once an agent has the chat, nothing holds the contact back.
    let offers = invitations(&ready(&mut engine, "kate", T0 + 3_100));
    let (_, inv) = offers.into_iter().next().expect("an offer");
    ok(engine.handle(
        Command::act(
            Actor::Agent(agent("kate")),
            act::Accept { invitation: inv.id },
        ),
        T0 + 3_101,
    ));
    for n in 10..16 {
        ok(engine.handle(say(n), T0 + 3_200));
    }
}
