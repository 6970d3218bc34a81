//! One scenario per procedure of the seeds (chat consultation, transfer, conference), named
//! after the lesson, plus the rules around them.

use super::*;
use parley_protocol::{DeclineReason, InvitationKind, LeaveReason, RequestKind, Role, Target};

/// An engine with Kate in a chat with Mark Avram, John and Avril logged in and Ready, and a log
/// of everything the engine sent to whom.
pub(super) struct World {
    pub e: Engine,
    pub now: Millis,
    pub effects: Vec<Effect>,
}

impl World {
    pub fn new(config: Config) -> Self {
        let mut w = World {
            e: Engine::new(&config),
            now: T0,
            effects: Vec::new(),
        };
        ok(w.run(Command::StartChat {
            id: ix("ix-1"),
            contact: ContactInfo {
                name: "Mark Avram".into(),
                email: Some("mark@example.com".into()),
                subject: None,
                verified: false,
            },
            queue: None,
            text: Some("Hello, my card is refused".into()),
            case_data: BTreeMap::new(),
        }));
        ok(w.run(Command::ContactConnected(ix("ix-1"))));
        w.ready("kate");
        let inv = w.offers_to("kate").pop().expect("kate is offered the chat");
        ok(w.run(Command::act(
            Actor::Agent(agent("kate")),
            act::Accept { invitation: inv.id },
        )));
        w.ready("john");
        w.ready("avril");
        w
    }

    pub fn run(&mut self, cmd: Command) -> Outcome {
        self.now += 1_000;
        let out = self.e.handle(cmd, self.now);
        self.effects.extend(out.effects().iter().cloned());
        out
    }

    pub fn ready(&mut self, who: &str) {
        ok(self.run(Command::AgentConnected(agent(who))));
        ok(self.run(Command::act(
            Actor::Agent(agent(who)),
            act::SetStatus {
                status: AgentStatus::Ready,
            },
        )));
    }

    /// Offers sent to an agent so far, still open or not.
    pub fn offers_to(&self, who: &str) -> Vec<Invitation> {
        invitations(&self.effects)
            .into_iter()
            .filter(|(a, _)| a == &agent(who))
            .map(|(_, i)| i)
            .collect()
    }

    pub fn last_offer_to(&self, who: &str) -> Invitation {
        self.offers_to(who)
            .pop()
            .unwrap_or_else(|| panic!("{who} got no offer"))
    }

    pub fn invite(&mut self, from: &str, request: RequestKind, target: Target) -> Outcome {
        self.run(Command::act(
            Actor::Agent(agent(from)),
            act::Invite {
                interaction: ix("ix-1"),
                request,
                target,
            },
        ))
    }

    pub fn accept(&mut self, who: &str) -> Outcome {
        let inv = self.last_offer_to(who);
        self.run(Command::act(
            Actor::Agent(agent(who)),
            act::Accept { invitation: inv.id },
        ))
    }

    pub fn reject(&mut self, who: &str) -> Outcome {
        let inv = self.last_offer_to(who);
        self.run(Command::act(
            Actor::Agent(agent(who)),
            act::Reject { invitation: inv.id },
        ))
    }

    /// `who` ends the chat (an agent's End, or the contact's).
    pub fn end(&mut self, who: Actor) -> Outcome {
        let interaction = ix("ix-1");
        self.run(Command::act(who, act::End { interaction }))
    }

    /// The agent marks the chat done, with this disposition and no note.
    pub fn done(&mut self, who: &str, disposition: Option<&str>) -> Outcome {
        let done = act::Done {
            interaction: ix("ix-1"),
            disposition: disposition.map(Into::into),
            note: None,
        };
        self.run(Command::act(Actor::Agent(agent(who)), done))
    }

    pub fn say(&mut self, who: Actor, text: &str) -> Outcome {
        let client_id = format!("m{}", self.now);
        self.run(Command::act(
            who,
            act::Send {
                interaction: ix("ix-1"),
                client_id,
                text: text.into(),
                consultation: None,
            },
        ))
    }

    pub fn consult_say(&mut self, who: &str, consultation: &str, text: &str) -> Outcome {
        let client_id = format!("c{}", self.now);
        let cmd = Command::act(
            Actor::Agent(agent(who)),
            act::Send {
                interaction: ix("ix-1"),
                client_id,
                text: text.into(),
                consultation: Some(consultation.into()),
            },
        );
        self.run(cmd)
    }

    /// Every event delivered to a recipient so far (live; `Open` transcripts are the hub's job).
    pub fn seen_by(&self, who: &Actor) -> Vec<Event> {
        self.effects
            .iter()
            .filter_map(|e| match e {
                Effect::Append { event, to, .. } if to.contains(who) => Some(event.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn texts_seen_by(&self, who: &Actor) -> Vec<String> {
        self.seen_by(who)
            .into_iter()
            .filter_map(|e| match e.kind {
                EventKind::Message { text, .. } => Some(text),
                _ => None,
            })
            .collect()
    }

    /// The events stored so far, in order.
    pub fn log(&self) -> Vec<Event> {
        appended(&self.effects)
            .into_iter()
            .map(|(e, _)| e.clone())
            .collect()
    }

    pub fn consultation_id(&self) -> String {
        self.log()
            .iter()
            .rev()
            .find_map(|e| match &e.kind {
                EventKind::ConsultationStarted { consultation, .. } => Some(consultation.clone()),
                _ => None,
            })
            .expect("a consultation started")
    }

    pub fn declined(&self) -> Vec<(Event, Vec<Recipient>)> {
        appended(&self.effects)
            .into_iter()
            .filter(|(e, _)| matches!(e.kind, EventKind::Declined { .. }))
            .map(|(e, to)| (e.clone(), to.clone()))
            .collect()
    }

    pub fn closed_for(&self, who: &str) -> bool {
        self.effects.contains(&Effect::Send {
            to: Actor::Agent(agent(who)),
            msg: ServerMsg::Closed {
                interaction: ix("ix-1"),
            },
        })
    }
}

pub(super) fn kate() -> Actor {
    Actor::Agent(agent("kate"))
}
pub(super) fn john() -> Actor {
    Actor::Agent(agent("john"))
}
pub(super) fn mark() -> Actor {
    Actor::Contact(ix("ix-1"))
}

fn opened(out: &(impl Effects + ?Sized), who: &str) -> Option<InteractionSummary> {
    out.effects().iter().find_map(|e| match e {
        Effect::Open { agent: a, summary } if a == &agent(who) => Some(summary.clone()),
        _ => None,
    })
}

fn consulting_world() -> World {
    let mut w = World::new(config(false));
    ok(w.invite(
        "kate",
        RequestKind::Consultation,
        Target::Agent(agent("john")),
    ));
    ok(w.accept("john"));
    w
}

#[test]
fn starting_a_chat_consultation() {
    let mut w = World::new(config(false));
    let out = w.invite(
        "kate",
        RequestKind::Consultation,
        Target::Agent(agent("john")),
    );
    assert!(replies(&out).is_empty(), "{out:?}");
    let inv = w.last_offer_to("john");
    assert_eq!(
        inv.kind,
        InvitationKind::Request {
            request: RequestKind::Consultation,
            from: "Kate Lewis".into()
        }
    );
    let out = w.accept("john");
    let summary = opened(&out, "john").expect("the consultation opens on the target's desktop");
    assert_eq!(summary.role, Role::Consultant);
    let id = w.consultation_id();
    ok(w.consult_say("kate", &id, "Is this card on the fraud list?"));
    ok(w.consult_say("john", &id, "Yes, since Monday"));
    ok(w.say(mark(), "Are you still there?"));
    // The target sees the live contact transcript; the contact sees nothing of the consultation.
    assert!(w
        .texts_seen_by(&john())
        .contains(&"Are you still there?".to_owned()));
    assert!(w
        .texts_seen_by(&kate())
        .contains(&"Yes, since Monday".to_owned()));
    let contact_sees = w.texts_seen_by(&mark());
    assert!(
        !contact_sees
            .iter()
            .any(|t| t.contains("fraud") || t.contains("Monday")),
        "{contact_sees:?}"
    );
    assert!(w
        .seen_by(&mark())
        .iter()
        .all(|e| e.audience.includes_contact()));
    // A consultation is not a join: nobody sees John join the chat.
    assert!(!w.log().iter().any(|e| matches!(&e.kind, EventKind::Joined { party: Party::Agent { id, .. } } if id == &agent("john"))));
    // The contact cannot write into the consultation.
    let out = w.run(Command::act(
        mark(),
        act::Send {
            interaction: ix("ix-1"),
            client_id: "x".into(),
            text: "hi".into(),
            consultation: Some(id),
        },
    ));
    assert_eq!(error_code(&out), Some(ErrorCode::Forbidden));
}

#[test]
fn receiving_a_chat_consultation_request() {
    let mut w = World::new(config(true));
    ok(w.invite(
        "kate",
        RequestKind::Consultation,
        Target::Agent(agent("john")),
    ));
    ok(w.accept("john"));
    let id = w.consultation_id();
    // The target can read but not write the contact chat, and cannot End it.
    assert_eq!(
        error_code(&w.say(john(), "hello contact")),
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(error_code(&w.end(john())), Some(ErrorCode::Invalid));
    let early = w.done("john", None);
    assert_eq!(
        error_code(&early),
        Some(ErrorCode::Invalid),
        "Done comes after the consultation ends"
    );
    let out = w.run(Command::act(
        Actor::Agent(agent("john")),
        act::EndConsultation {
            interaction: ix("ix-1"),
            consultation: id.clone(),
        },
    ));
    let (ended, to) = appended(&out)[0];
    assert!(
        matches!(&ended.kind, EventKind::ConsultationEnded { by: Some(p), .. } if p.name() == "John")
    );
    assert!(to.contains(&kate()) && to.contains(&john()) && !to.contains(&mark()));
    ok(w.say(mark(), "after the consultation"));
    assert!(
        !w.texts_seen_by(&john())
            .contains(&"after the consultation".to_owned()),
        "an ended consultation no longer streams"
    );
    // The consultant marks its part done without a disposition, though dispositions are required.
    let out = w.done("john", None);
    assert_eq!(error_code(&out), None);
    assert!(w.closed_for("john"));
    assert!(!w.closed_for("kate"), "the chat goes on for the initiator");
    assert_eq!(
        error_code(&w.consult_say("kate", &id, "still there?")),
        Some(ErrorCode::Invalid)
    );
}

#[test]
fn a_rejected_consultation_is_released_with_a_system_message_for_the_initiator() {
    let mut w = World::new(config(false));
    ok(w.invite(
        "kate",
        RequestKind::Consultation,
        Target::Agent(agent("john")),
    ));
    ok(w.reject("john"));
    let declined = w.declined();
    assert_eq!(declined.len(), 1);
    let (event, to) = &declined[0];
    assert_eq!(
        event.kind,
        EventKind::Declined {
            request: RequestKind::Consultation,
            target: "John Davis".into(),
            reason: DeclineReason::Rejected
        }
    );
    assert_eq!(to, &vec![kate()]);
    assert_eq!(
        event.audience,
        Audience::Private {
            agents: vec![agent("kate")]
        }
    );
    // Released: a new request can go out.
    let out = w.invite(
        "kate",
        RequestKind::Consultation,
        Target::Agent(agent("avril")),
    );
    assert_eq!(error_code(&out), None);
}

#[test]
fn a_consultation_offer_that_times_out_is_released() {
    let mut w = World::new(config(false));
    ok(w.invite(
        "kate",
        RequestKind::Consultation,
        Target::Agent(agent("john")),
    ));
    w.now += 20_000;
    ok(w.run(Command::Tick));
    assert!(matches!(
        w.declined()[0].0.kind,
        EventKind::Declined {
            reason: DeclineReason::TimedOut,
            ..
        }
    ));
}

#[test]
fn ending_the_chat_ends_its_consultation() {
    let mut w = consulting_world();
    let out = ok(w.end(kate()));
    let kinds: Vec<_> = appended(&out).iter().map(|(e, _)| e.kind.clone()).collect();
    assert!(matches!(kinds[0], EventKind::ConsultationEnded { .. }));
    assert_eq!(
        kinds[1],
        EventKind::Ended {
            reason: EndReason::AgentEnded
        }
    );
    // Both must Mark Done to close the interaction.
    ok(w.done("kate", None));
    assert!(
        w.e.interactions.contains_key(&ix("ix-1")),
        "the consultant has not marked done yet"
    );
    ok(w.done("john", None));
    assert!(!w.e.interactions.contains_key(&ix("ix-1")));
}

#[test]
fn starting_an_instant_chat_transfer() {
    let mut w = World::new(config(false));
    ok(w.say(kate(), "Let me pass you to billing"));
    ok(w.invite("kate", RequestKind::Transfer, Target::Agent(agent("john"))));
    assert_eq!(
        w.last_offer_to("john").kind,
        InvitationKind::Request {
            request: RequestKind::Transfer,
            from: "Kate Lewis".into()
        }
    );
    let out = ok(w.accept("john"));
    assert_eq!(opened(&out, "john").map(|s| s.role), Some(Role::Party));
    let kinds: Vec<_> = appended(&out).iter().map(|(e, _)| e.kind.clone()).collect();
    assert!(matches!(&kinds[0], EventKind::Joined { party } if party.name() == "John"));
    assert!(matches!(&kinds[1], EventKind::OwnerChanged { owner } if owner.name() == "John"));
    assert!(
        matches!(&kinds[2], EventKind::Left { party, reason: Some(LeaveReason::Transferred) } if party.name() == "Kate")
    );
    assert!(w.closed_for("kate"), "the initiator's window closes");
    assert!(w.e.agent_interactions(&agent("kate")).is_empty());
    assert_eq!(
        error_code(&w.say(kate(), "still me")),
        Some(ErrorCode::Forbidden)
    );
}

#[test]
fn receiving_a_transferred_chat() {
    let mut w = World::new(config(false));
    ok(w.invite("kate", RequestKind::Transfer, Target::Agent(agent("john"))));
    ok(w.accept("john"));
    assert_eq!(w.e.interactions[&ix("ix-1")].owner(), Some(&agent("john")));
    ok(w.say(john(), "Hi, I am John from billing"));
    assert!(w
        .texts_seen_by(&mark())
        .contains(&"Hi, I am John from billing".to_owned()));
    // The new owner handles it to the end like any chat.
    ok(w.end(john()));
    let out = ok(w.done("john", Some("Resolved")));
    assert!(
        out.iter().any(|e| matches!(e, Effect::Save(r) if r.closed)),
        "kate does not need to mark a transferred chat done"
    );
}

#[test]
fn a_rejected_transfer_leaves_the_chat_with_the_initiator_and_reports_an_error() {
    let mut w = World::new(config(false));
    ok(w.invite("kate", RequestKind::Transfer, Target::Agent(agent("john"))));
    ok(w.reject("john"));
    assert!(matches!(
        w.declined()[0].0.kind,
        EventKind::Declined {
            request: RequestKind::Transfer,
            reason: DeclineReason::Rejected,
            ..
        }
    ));
    assert!(!w.closed_for("kate"));
    assert_eq!(error_code(&w.say(kate(), "still here")), None);
}

#[test]
fn starting_a_chat_transfer_to_an_active_consultation() {
    let mut w = consulting_world();
    let offers_before = w.offers_to("john").len();
    let out = ok(w.invite("kate", RequestKind::Transfer, Target::Agent(agent("john"))));
    assert_eq!(
        w.offers_to("john").len(),
        offers_before,
        "no second invitation"
    );
    let kinds: Vec<_> = appended(&out).iter().map(|(e, _)| e.kind.clone()).collect();
    assert!(matches!(kinds[0], EventKind::ConsultationEnded { .. }));
    assert!(matches!(&kinds[1], EventKind::Joined { party } if party.name() == "John"));
    assert!(w.closed_for("kate"));
    assert_eq!(w.e.interactions[&ix("ix-1")].owner(), Some(&agent("john")));
    assert_eq!(opened(&out, "john").map(|s| s.role), Some(Role::Party));
}

#[test]
fn starting_an_instant_chat_conference() {
    let mut w = World::new(config(false));
    ok(w.invite(
        "kate",
        RequestKind::Conference,
        Target::Agent(agent("john")),
    ));
    assert_eq!(
        w.last_offer_to("john").kind,
        InvitationKind::Request {
            request: RequestKind::Conference,
            from: "Kate Lewis".into()
        }
    );
    let out = ok(w.accept("john"));
    let summary = opened(&out, "john").expect("the target receives the whole transcript");
    // The agents already connected, named as the events name them: the party list of a long
    // chat does not depend on their joins being among the events sent.
    assert_eq!(
        summary.agents,
        [Party::Agent {
            id: agent("kate"),
            name: "Kate".into()
        }]
    );
    ok(w.say(mark(), "from the contact"));
    ok(w.say(kate(), "from kate"));
    ok(w.say(john(), "from john"));
    for who in [kate(), john(), mark()] {
        let seen = w.texts_seen_by(&who);
        for text in ["from the contact", "from kate", "from john"] {
            assert!(seen.contains(&text.to_owned()), "{who:?} misses {text}");
        }
    }
    assert!(w
        .seen_by(&mark())
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Joined { party } if party.name() == "John")));
}

#[test]
fn a_rejected_conference_is_released_with_a_system_message() {
    let mut w = World::new(config(false));
    ok(w.invite(
        "kate",
        RequestKind::Conference,
        Target::Agent(agent("john")),
    ));
    ok(w.reject("john"));
    assert!(matches!(
        w.declined()[0].0.kind,
        EventKind::Declined {
            request: RequestKind::Conference,
            reason: DeclineReason::Rejected,
            ..
        }
    ));
    assert_eq!(w.e.interactions[&ix("ix-1")].agents, vec![agent("kate")]);
}

#[test]
fn receiving_a_chat_conference() {
    let mut w = World::new(config(false));
    ok(w.invite(
        "kate",
        RequestKind::Conference,
        Target::Agent(agent("john")),
    ));
    ok(w.accept("john"));
    // The conferenced agent who ends leaves; the others stay connected.
    let out = w.end(john());
    let kinds: Vec<_> = appended(&out).iter().map(|(e, _)| e.kind.clone()).collect();
    assert_eq!(kinds.len(), 1);
    assert!(
        matches!(&kinds[0], EventKind::Left { party, reason: Some(LeaveReason::Ended) } if party.name() == "John")
    );
    assert_eq!(
        w.e.interactions[&ix("ix-1")].state,
        InteractionState::Active
    );
    assert_eq!(error_code(&w.say(kate(), "still with you")), None);
    let out = w.done("john", None);
    assert_eq!(error_code(&out), None);
    assert!(w.closed_for("john"));
}

#[test]
fn remaining_connected_after_the_conferencing_agent_disconnects() {
    let mut w = World::new(config(false));
    ok(w.invite(
        "kate",
        RequestKind::Conference,
        Target::Agent(agent("john")),
    ));
    ok(w.accept("john"));
    let out = ok(w.end(kate()));
    let kinds: Vec<_> = appended(&out).iter().map(|(e, _)| e.kind.clone()).collect();
    assert!(matches!(&kinds[0], EventKind::Left { party, .. } if party.name() == "Kate"));
    assert!(matches!(&kinds[1], EventKind::OwnerChanged { owner } if owner.name() == "John"));
    assert_eq!(w.e.interactions[&ix("ix-1")].owner(), Some(&agent("john")));
    ok(w.say(mark(), "is anyone there?"));
    assert!(w
        .texts_seen_by(&john())
        .contains(&"is anyone there?".to_owned()));
    assert!(
        !w.texts_seen_by(&kate())
            .contains(&"is anyone there?".to_owned()),
        "kate left"
    );
    assert_eq!(error_code(&w.done("kate", None)), None);
}

#[test]
fn starting_a_chat_conference_with_an_active_consultation() {
    let mut w = consulting_world();
    ok(w.invite(
        "kate",
        RequestKind::Conference,
        Target::Agent(agent("john")),
    ));
    let inv = w.last_offer_to("john");
    assert_eq!(
        inv.kind,
        InvitationKind::Request {
            request: RequestKind::Conference,
            from: "Kate Lewis".into()
        }
    );
    let out = ok(w.accept("john"));
    let kinds: Vec<_> = appended(&out).iter().map(|(e, _)| e.kind.clone()).collect();
    assert!(
        matches!(kinds[0], EventKind::ConsultationEnded { .. }),
        "the consultation ends"
    );
    assert!(matches!(&kinds[1], EventKind::Joined { party } if party.name() == "John"));
    assert_eq!(
        w.e.interactions[&ix("ix-1")].agents,
        vec![agent("kate"), agent("john")]
    );
    ok(w.say(john(), "I joined"));
    assert!(w.texts_seen_by(&mark()).contains(&"I joined".to_owned()));
}

#[test]
fn delete_from_conference() {
    let mut w = World::new(config(false));
    ok(w.invite(
        "kate",
        RequestKind::Conference,
        Target::Agent(agent("john")),
    ));
    ok(w.accept("john"));
    assert_eq!(
        error_code(&w.run(Command::act(
            Actor::Agent(agent("kate")),
            act::Remove {
                interaction: ix("ix-1"),
                agent: agent("kate")
            }
        ))),
        Some(ErrorCode::Invalid)
    );
    assert_eq!(
        error_code(&w.run(Command::act(
            Actor::Agent(agent("avril")),
            act::Remove {
                interaction: ix("ix-1"),
                agent: agent("john")
            }
        ))),
        Some(ErrorCode::Forbidden)
    );
    let out = ok(w.run(Command::act(
        Actor::Agent(agent("kate")),
        act::Remove {
            interaction: ix("ix-1"),
            agent: agent("john"),
        },
    )));
    let (left, to) = appended(&out)[0];
    assert!(
        matches!(&left.kind, EventKind::Left { party, reason: Some(LeaveReason::Removed) } if party.name() == "John")
    );
    assert!(
        to.contains(&john()) && to.contains(&mark()),
        "the removed agent and the contact see it"
    );
    assert_eq!(
        error_code(&w.say(john(), "let me back")),
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(error_code(&w.done("john", None)), None);
}

#[test]
fn a_group_target_offers_the_next_agent_when_the_first_rejects_and_reports_when_nobody_accepts() {
    let mut w = World::new(config(false));
    w.ready("vip");
    let tier2 = Target::Group("tier2".into());
    let out = w.invite("kate", RequestKind::Consultation, tier2);
    assert_eq!(error_code(&out), None);
    // john became Ready before avril: he is the longest idle.
    assert_eq!(w.offers_to("john").len(), 1);
    assert!(w.offers_to("avril").is_empty());
    ok(w.reject("john"));
    assert_eq!(
        w.offers_to("avril").len(),
        1,
        "the next agent of the group is offered"
    );
    assert!(w.declined().is_empty());
    w.now += 20_000;
    ok(w.run(Command::Tick));
    let declined = w.declined();
    assert_eq!(declined.len(), 1);
    assert_eq!(
        declined[0].0.kind,
        EventKind::Declined {
            request: RequestKind::Consultation,
            target: "Tier 2".into(),
            reason: DeclineReason::NobodyAvailable
        }
    );
    assert!(w.offers_to("vip").is_empty(), "not in the group");
}

#[test]
fn a_skill_or_queue_target_offers_a_matching_ready_agent() {
    let mut w = World::new(config(false));
    w.ready("vip");
    ok(w.invite("kate", RequestKind::Transfer, Target::Skill("gold".into())));
    assert_eq!(w.offers_to("vip").len(), 1);
    ok(w.reject("vip"));
    ok(w.invite(
        "kate",
        RequestKind::Conference,
        Target::Queue("gold".into()),
    ));
    assert!(matches!(
        w.declined()[0].0.kind,
        EventKind::Declined {
            reason: DeclineReason::NobodyAvailable,
            ..
        }
    ));
    assert_eq!(w.offers_to("vip").len(), 2, "a new request starts afresh");
}

#[test]
fn requests_are_checked() {
    let mut w = World::new(config(false));
    let bad = |w: &mut World, from: &str, target: Target| {
        error_code(&w.invite(from, RequestKind::Consultation, target))
    };
    assert_eq!(
        bad(&mut w, "kate", Target::Agent(agent("kate"))),
        Some(ErrorCode::Invalid)
    );
    assert_eq!(
        bad(&mut w, "kate", Target::Agent(agent("nobody"))),
        Some(ErrorCode::NotFound)
    );
    assert_eq!(
        bad(&mut w, "kate", Target::Group("nope".into())),
        Some(ErrorCode::NotFound)
    );
    assert_eq!(
        bad(&mut w, "john", Target::Agent(agent("avril"))),
        Some(ErrorCode::Forbidden)
    );
    ok(w.run(Command::AgentDisconnected(agent("avril"))));
    assert_eq!(
        bad(&mut w, "kate", Target::Agent(agent("avril"))),
        Some(ErrorCode::Invalid),
        "avril is offline"
    );
    assert_eq!(bad(&mut w, "kate", Target::Agent(agent("john"))), None);
    assert_eq!(
        bad(&mut w, "kate", Target::Agent(agent("vip"))),
        Some(ErrorCode::Invalid),
        "one request at a time"
    );
}

#[test]
fn restore_keeps_a_live_consultation() {
    let w = consulting_world();
    let record = w
        .effects
        .iter()
        .find_map(|e| {
            if let Effect::Save(r) = e {
                Some(r.clone())
            } else {
                None
            }
        })
        .expect("record");
    let mut restored = Engine::new(&config(false));
    restored.restore(record, &w.log());
    let ix1 = &restored.interactions[&ix("ix-1")];
    assert_eq!(
        ix1.consulting(&agent("john")).map(|c| c.initiator.clone()),
        Some(agent("kate"))
    );
    assert!(restored.agent_may_read(&agent("john"), &ix("ix-1")));
    assert_eq!(
        restored.agent_interactions(&agent("john"))[0].role,
        Role::Consultant
    );
}

#[test]
fn with_asynchronous_chat_the_chat_stays_open_after_the_last_agent_leaves_until_done() {
    let mut config = config(false);
    config.chat.async_chat = true;
    let mut w = World::new(config);
    let out = ok(w.end(kate()));
    let kinds: Vec<_> = appended(&out).iter().map(|(e, _)| e.kind.clone()).collect();
    assert!(
        matches!(&kinds[..], [EventKind::Left { party, reason: Some(LeaveReason::Ended) }] if party.name() == "Kate"),
        "{kinds:?}"
    );
    assert_eq!(
        w.e.interactions[&ix("ix-1")].state,
        InteractionState::Active
    );
    // The contact can still write; the agent rejoins and sees it.
    ok(w.say(mark(), "I am back"));
    let out = ok(w.run(Command::act(
        Actor::Agent(agent("kate")),
        act::Rejoin {
            interaction: ix("ix-1"),
        },
    )));
    assert!(
        opened(&out, "kate").is_some(),
        "rejoining sends the transcript again"
    );
    assert!(w
        .seen_by(&mark())
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Joined { party } if party.name() == "Kate")));
    assert_eq!(
        error_code(&w.run(Command::act(
            Actor::Agent(agent("kate")),
            act::Rejoin {
                interaction: ix("ix-1")
            }
        ))),
        Some(ErrorCode::Invalid)
    );
    assert_eq!(
        error_code(&w.run(Command::act(
            Actor::Agent(agent("john")),
            act::Rejoin {
                interaction: ix("ix-1")
            }
        ))),
        Some(ErrorCode::Forbidden)
    );
    // Leaving again and marking done ends and closes the chat.
    ok(w.end(kate()));
    let out = ok(w.done("kate", None));
    assert!(
        appended(&out)
            .iter()
            .any(|(e, to)| matches!(e.kind, EventKind::Ended { .. }) && to.contains(&mark())),
        "the contact is told the chat ended"
    );
    assert!(out.iter().any(|e| matches!(e, Effect::Save(r) if r.closed)));
}

#[test]
fn a_chats_domain_events_come_with_the_events_that_made_them() {
    let mut w = World::new(config(false));
    let conference = Target::Agent(agent("john"));
    ok(w.invite("kate", RequestKind::Conference, conference));
    ok(w.accept("john"));
    ok(w.invite("john", RequestKind::Transfer, Target::Agent(agent("avril"))));
    ok(w.accept("avril"));
    ok(w.end(mark()));
    ok(w.run(Command::act(
        Actor::Agent(agent("avril")),
        act::Done {
            interaction: ix("ix-1"),
            disposition: Some("Resolved".into()),
            note: Some("refunded".into()),
        },
    )));
    let milestones: Vec<&Milestone> = w
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Milestone(m) => Some(m),
            _ => None,
        })
        .collect();
    let events: Vec<DomainEvent> = milestones.iter().map(|m| m.event.clone()).collect();
    assert_eq!(
        events,
        vec![
            DomainEvent::ChatStarted {
                queue: "general".into()
            },
            DomainEvent::Accepted {
                agent: agent("kate")
            },
            DomainEvent::Conferenced {
                agent: agent("john"),
                by: agent("kate")
            },
            DomainEvent::Transferred {
                from: agent("john"),
                to: agent("avril")
            },
            DomainEvent::Ended {
                reason: EndReason::ContactEnded
            },
            DomainEvent::Done {
                agent: agent("avril"),
                disposition: Some("Resolved".into()),
                note: Some("refunded".into())
            },
        ]
    );
    // Each names the event of the log that made it, committed in the same batch.
    for m in &milestones {
        let made_by = w.effects.iter().find_map(|e| match e {
            Effect::Append { event, .. } if event.seq == m.seq => Some(&event.kind),
            _ => None,
        });
        let fits = match (&m.event, made_by) {
            (DomainEvent::ChatStarted { .. }, Some(EventKind::Joined { party })) => {
                matches!(party, Party::Contact { .. })
            }
            (
                DomainEvent::Accepted { agent: a } | DomainEvent::Conferenced { agent: a, .. },
                Some(EventKind::Joined {
                    party: Party::Agent { id, .. },
                }),
            ) => a == id,
            (
                DomainEvent::Transferred { from, .. },
                Some(EventKind::Left {
                    party: Party::Agent { id, .. },
                    ..
                }),
            ) => from == id,
            (DomainEvent::Ended { .. }, Some(EventKind::Ended { .. })) => true,
            (DomainEvent::Done { agent: a, .. }, Some(EventKind::Done { agent, .. })) => a == agent,
            _ => false,
        };
        assert!(fits, "{m:?} was made by {made_by:?}");
    }
}
