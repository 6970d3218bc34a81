//! Consultation, transfer and conference over real sockets, and delivery through random
//! disconnects with nothing lost and nothing doubled.

mod common;

use common::*;
use parley_protocol::act;
use parley_protocol::{
    ClientMsg, DeclineReason, Event, EventKind, HistoryScope, InteractionId, RequestKind, Resume,
    ServerMsg, Target,
};
use std::collections::BTreeMap;
use std::time::Duration;

fn send(ix: &InteractionId, id: &str, text: &str, consultation: Option<&str>) -> ClientMsg {
    ClientMsg::from(act::Send {
        interaction: ix.clone(),
        client_id: id.into(),
        text: text.into(),
        consultation: consultation.map(Into::into),
    })
}

/// `from` asks agent `to_id` (connected as `to`) for a request on `ix`; `to` answers the offer.
async fn ask(
    from: &mut Client,
    to: &mut Client,
    to_id: &str,
    ix: &InteractionId,
    request: RequestKind,
    accept: bool,
) {
    let target = Target::Agent(to_id.into());
    from.send(&ClientMsg::from(act::Invite {
        interaction: ix.clone(),
        request,
        target,
    }))
    .await;
    let invitation = next_invitation(to).await.id;
    to.send(&if accept {
        ClientMsg::from(act::Accept { invitation })
    } else {
        ClientMsg::from(act::Reject { invitation })
    })
    .await;
}

#[tokio::test]
async fn a_consultation_stays_private_live_and_after_a_resume() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, mut contact, contact_token) = chat_with(addr, &mut kate, "Mark Avram").await;
    let mut john = ready_agent(addr, "john").await;

    ask(
        &mut kate,
        &mut john,
        "john",
        &ix,
        RequestKind::Consultation,
        true,
    )
    .await;
    john.expect(|m| matches!(m, ServerMsg::Opened { interaction } if interaction.id == ix))
        .await;
    // The target receives the contact transcript so far.
    john.expect_event(&ix, |k| message_text(k) == Some("Hello"))
        .await;
    let cid = consultation_id(&mut kate, &ix).await;

    kate.send(&send(&ix, "k1", "psst: fraud list?", Some(&cid)))
        .await;
    john.expect_event(&ix, |k| message_text(k) == Some("psst: fraud list?"))
        .await;
    john.send(&send(&ix, "j1", "psst: yes", Some(&cid))).await;
    kate.expect_event(&ix, |k| message_text(k) == Some("psst: yes"))
        .await;
    contact.send(&send(&ix, "c1", "anyone?", None)).await;
    john.expect_event(&ix, |k| message_text(k) == Some("anyone?"))
        .await;
    kate.send(&send(&ix, "k2", "yes, one moment", None)).await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some("yes, one moment"))
        .await;

    let private = |events: &[Event]| {
        events.iter().any(|e| {
            matches!(
                &e.kind,
                EventKind::Message {
                    consultation: Some(_),
                    ..
                } | EventKind::ConsultationStarted { .. }
            )
        })
    };
    assert!(
        !private(&contact.events(&ix)),
        "live: the contact got nothing of the consultation"
    );

    // A fresh connection resuming from the very start still gets none of it.
    let mut resumed = Client::hello(
        addr,
        &contact_token,
        vec![Resume {
            interaction: ix.clone(),
            after: 0,
        }],
    )
    .await;
    resumed
        .expect_event(&ix, |k| message_text(k) == Some("yes, one moment"))
        .await;
    resumed.send_raw("{}").await;
    resumed
        .expect(|m| matches!(m, ServerMsg::Error { .. }))
        .await;
    assert!(
        !private(&resumed.events(&ix)),
        "resume: the contact got nothing of the consultation"
    );
    assert!(resumed
        .events(&ix)
        .iter()
        .all(|e| e.audience.includes_contact()));

    // A third agent who is not part of it cannot read it either.
    let avril_token = login(addr, "avril").await;
    let mut avril = Client::hello(
        addr,
        &avril_token,
        vec![Resume {
            interaction: ix.clone(),
            after: 0,
        }],
    )
    .await;
    avril
        .send(&ClientMsg::History {
            scope: HistoryScope::Contact {
                interaction: ix.clone(),
            },
        })
        .await;
    avril.expect(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(avril.events(&ix).is_empty());

    // The consultant is not in My History; the owner is.
    john.send(&ClientMsg::History {
        scope: HistoryScope::Mine,
    })
    .await;
    let ServerMsg::History { entries, .. } = john
        .expect(|m| matches!(m, ServerMsg::History { .. }))
        .await
    else {
        unreachable!()
    };
    assert!(entries.iter().all(|e| e.id != ix), "{entries:?}");
    kate.send(&ClientMsg::History {
        scope: HistoryScope::Mine,
    })
    .await;
    let ServerMsg::History { entries, .. } = kate
        .expect(|m| matches!(m, ServerMsg::History { .. }))
        .await
    else {
        unreachable!()
    };
    assert!(entries.iter().any(|e| e.id == ix));
}

#[tokio::test]
async fn a_rejected_transfer_leaves_the_chat_with_the_initiator() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, mut contact, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    let mut john = ready_agent(addr, "john").await;
    ask(
        &mut kate,
        &mut john,
        "john",
        &ix,
        RequestKind::Transfer,
        false,
    )
    .await;
    kate.expect_event(&ix, |k| {
        matches!(
            k,
            EventKind::Declined {
                request: RequestKind::Transfer,
                reason: DeclineReason::Rejected,
                ..
            }
        )
    })
    .await;
    kate.send(&send(&ix, "k1", "still mine", None)).await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some("still mine"))
        .await;
    assert!(!contact
        .events(&ix)
        .iter()
        .any(|e| matches!(e.kind, EventKind::Declined { .. })));
}

#[tokio::test]
async fn a_transfer_hands_the_chat_over_and_closes_the_initiators_window() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, mut contact, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    let mut john = ready_agent(addr, "john").await;
    ask(
        &mut kate,
        &mut john,
        "john",
        &ix,
        RequestKind::Transfer,
        true,
    )
    .await;
    kate.expect(|m| matches!(m, ServerMsg::Closed { interaction } if interaction == &ix))
        .await;
    john.expect_event(&ix, |k| message_text(k) == Some("Hello"))
        .await;
    john.send(&send(&ix, "j1", "John here", None)).await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some("John here"))
        .await;
}

#[tokio::test]
async fn the_conference_goes_on_when_the_owner_leaves() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, mut contact, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    let mut john = ready_agent(addr, "john").await;
    ask(
        &mut kate,
        &mut john,
        "john",
        &ix,
        RequestKind::Conference,
        true,
    )
    .await;
    john.expect_event(&ix, |k| message_text(k) == Some("Hello"))
        .await;
    contact
        .expect_event(
            &ix,
            |k| matches!(k, EventKind::Joined { party } if party.name() == "John"),
        )
        .await;

    kate.send(&ClientMsg::from(act::End {
        interaction: ix.clone(),
    }))
    .await;
    john.expect_event(
        &ix,
        |k| matches!(k, EventKind::OwnerChanged { owner } if owner.name() == "John"),
    )
    .await;
    contact
        .expect_event(
            &ix,
            |k| matches!(k, EventKind::Left { party, .. } if party.name() == "Kate"),
        )
        .await;
    contact.send(&send(&ix, "c1", "still there?", None)).await;
    john.expect_event(&ix, |k| message_text(k) == Some("still there?"))
        .await;
    assert!(!contact
        .events(&ix)
        .iter()
        .any(|e| matches!(e.kind, EventKind::Ended { .. })));
    kate.send(&ClientMsg::from(act::Done {
        interaction: ix.clone(),
        disposition: None,
        note: None,
    }))
    .await;
    kate.expect(|m| matches!(m, ServerMsg::Closed { interaction } if interaction == &ix))
        .await;
}

/// One side of a chat that reconnects at random and re-sends what was not acknowledged.
struct Flaky {
    addr: std::net::SocketAddr,
    token: String,
    ix: InteractionId,
    client: Client,
    last_seq: u64,
    /// Sent, not yet acknowledged: client id → text.
    pending: BTreeMap<String, String>,
    /// Every message received, by seq.
    got: BTreeMap<u64, String>,
    duplicates: usize,
}

impl Flaky {
    async fn new(addr: std::net::SocketAddr, token: String, ix: InteractionId) -> Self {
        let client = Client::hello(addr, &token, vec![]).await;
        Flaky {
            addr,
            token,
            ix,
            client,
            last_seq: 0,
            pending: BTreeMap::new(),
            got: BTreeMap::new(),
            duplicates: 0,
        }
    }

    fn absorb(&mut self, msg: ServerMsg) {
        match msg {
            ServerMsg::Events {
                interaction,
                events,
            } if interaction == self.ix => {
                for e in events {
                    if e.seq <= self.last_seq {
                        self.duplicates += 1;
                        continue;
                    }
                    self.last_seq = e.seq;
                    if let EventKind::Message { text, .. } = e.kind {
                        self.got.insert(e.seq, text);
                    }
                }
            }
            ServerMsg::Ack { client_id, .. } => {
                self.pending.remove(&client_id);
            }
            _ => {}
        }
    }

    async fn pump(&mut self, wait: Duration) {
        while let Some(msg) = self.client.try_next(wait).await {
            self.absorb(msg);
        }
    }

    async fn say(&mut self, id: String, text: String) {
        self.client.send(&send(&self.ix, &id, &text, None)).await;
        self.pending.insert(id, text);
    }

    /// Drops the socket without waiting for anything and comes back where it left off.
    async fn reconnect(&mut self) {
        let resume = vec![Resume {
            interaction: self.ix.clone(),
            after: self.last_seq,
        }];
        let fresh = Client::hello(self.addr, &self.token, resume).await;
        let old = std::mem::replace(&mut self.client, fresh);
        drop(old);
        for msg in std::mem::take(&mut self.client.seen) {
            self.absorb(msg);
        }
        for (id, text) in self.pending.clone() {
            self.client.send(&send(&self.ix, &id, &text, None)).await;
        }
    }
}

#[tokio::test]
async fn random_disconnects_lose_nothing_and_double_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.frames_per_second = 1000;
        c.server.frame_burst = 1000;
    })
    .await;
    let agent_token = login(addr, "kate").await;
    let mut setup = Client::hello(addr, &agent_token, vec![]).await;
    setup
        .send(&ClientMsg::from(act::SetStatus {
            status: parley_protocol::AgentStatus::Ready,
        }))
        .await;
    let (ix, contact_client, contact_token) = chat_with(addr, &mut setup, "Mark Avram").await;
    drop(contact_client);
    let mut agent = Flaky::new(addr, agent_token, ix.clone()).await;
    let mut contact = Flaky::new(addr, contact_token, ix.clone()).await;
    drop(setup);

    // A fixed-seed generator keeps the run reproducible.
    let mut seed: u64 = 0x5eed_1234;
    let mut roll = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let rounds = 80;
    for i in 0..rounds {
        contact.say(format!("c{i}"), format!("contact {i}")).await;
        agent.say(format!("a{i}"), format!("agent {i}")).await;
        if roll(4) == 0 {
            contact.reconnect().await;
        }
        if roll(5) == 0 {
            agent.reconnect().await;
        }
        agent.pump(Duration::from_millis(2)).await;
        contact.pump(Duration::from_millis(2)).await;
    }
    // Settle: reconnect once more to flush anything unacknowledged, then drain.
    for _ in 0..20 {
        if agent.pending.is_empty() && contact.pending.is_empty() {
            break;
        }
        agent.reconnect().await;
        contact.reconnect().await;
        agent.pump(Duration::from_millis(100)).await;
        contact.pump(Duration::from_millis(100)).await;
    }
    agent.pump(Duration::from_millis(300)).await;
    contact.pump(Duration::from_millis(300)).await;

    for (who, side) in [("agent", &agent), ("contact", &contact)] {
        assert!(
            side.pending.is_empty(),
            "{who}: unacknowledged {:?}",
            side.pending
        );
        assert_eq!(side.duplicates, 0, "{who} received an event twice");
        let texts: Vec<&String> = side.got.values().collect();
        for i in 0..rounds {
            for text in [format!("contact {i}"), format!("agent {i}")] {
                let copies = texts.iter().filter(|t| ***t == text).count();
                assert_eq!(copies, 1, "{who} has {copies} copies of {text:?}");
            }
        }
    }
    assert_eq!(
        agent.got, contact.got,
        "both sides hold the same transcript"
    );
}
