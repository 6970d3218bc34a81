//! The store contract: what every `Store` adapter must do, as one suite, passed by SQLite and
//! by PostgreSQL.

mod common;

use parley_protocol::{
    AgentId, Audience, Event, EventKind, InteractionId, InvitationId, Millis, Party, QueueId,
    RequestKind, Seq, Target,
};
use parley_server::engine::{
    ContactInfo, DomainEvent, InteractionRecord, Milestone, PendingOffer, PendingRequest,
};
use parley_server::store::{DomainFeed, PgStore, SignIn, SqliteStore, Store, Write};

#[tokio::test]
async fn sqlite_keeps_the_store_contract() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = SqliteStore::open(&dir.path().join("contract.db"))
        .await
        .expect("opens");
    contract(&store).await;
    drop(store);
    // Consumers' cursors and the domain events survive a restart.
    let store = SqliteStore::open(&dir.path().join("contract.db"))
        .await
        .expect("opens again");
    assert_eq!(store.cursor("webhooks").await.expect("cursor"), 1);
    assert_eq!(store.domain_after(0, 10).await.expect("feed").len(), 2);
}

#[tokio::test]
async fn postgres_keeps_the_store_contract() {
    let url = common::postgres_database("contract").await;
    let store = PgStore::open(&url, 4).await.expect("opens");
    contract(&store).await;
    drop(store);
    let store = PgStore::open(&url, 4).await.expect("opens again");
    assert_eq!(store.cursor("webhooks").await.expect("cursor"), 1);
    assert_eq!(store.domain_after(0, 10).await.expect("feed").len(), 2);
}

fn record(id: &str, email: Option<&str>, started_at: Millis, closed: bool) -> InteractionRecord {
    InteractionRecord {
        id: InteractionId(id.into()),
        contact: ContactInfo {
            name: "Mark".into(),
            email: email.map(Into::into),
            subject: None,
            // A verified e-mail links a contact's chats; see `typed` for one that does not.
            verified: email.is_some(),
        },
        queue: QueueId("general".into()),
        started_at,
        closed,
    }
}

/// A chat whose contact typed an e-mail that nobody vouched for.
fn typed(id: &str, email: &str, started_at: Millis) -> InteractionRecord {
    let mut r = record(id, Some(email), started_at, true);
    r.contact.verified = false;
    r
}

fn message(seq: Seq, from: Party, client_id: &str) -> Event {
    Event {
        seq,
        at: seq as Millis,
        audience: Audience::Everyone,
        kind: EventKind::Message {
            from,
            text: format!("message {seq}"),
            client_id: Some(client_id.into()),
            consultation: None,
        },
    }
}

fn joined(seq: Seq, agent: &str) -> Event {
    Event {
        seq,
        at: seq as Millis,
        audience: Audience::Everyone,
        kind: EventKind::Joined {
            party: Party::Agent {
                id: agent.into(),
                name: agent.into(),
            },
        },
    }
}

fn seqs(events: &[Event]) -> Vec<Seq> {
    events.iter().map(|e| e.seq).collect()
}

async fn contract(store: &impl Store) {
    let ix = InteractionId("ix-1".into());
    let contact = || Party::Contact {
        name: "Mark".into(),
    };
    let kate = || Party::Agent {
        id: "kate".into(),
        name: "Kate".into(),
    };

    // A batch is stored whole.
    let mut batch = vec![Write::Interaction(record(
        "ix-1",
        Some("Mark@Example.com"),
        100,
        false,
    ))];
    batch.push(Write::Event(ix.clone(), joined(1, "kate")));
    for seq in 2..=10 {
        batch.push(Write::Event(
            ix.clone(),
            message(seq, contact(), &format!("c{seq}")),
        ));
    }
    store.commit(batch).await.expect("a batch");
    assert_eq!(
        seqs(&store.events_after(&ix, 0).await.expect("all")),
        (1..=10).collect::<Vec<_>>()
    );
    assert_eq!(
        seqs(&store.events_after(&ix, 7).await.expect("after")),
        [8, 9, 10]
    );
    assert_eq!(
        seqs(&store.events_before(&ix, 8, 3).await.expect("before")),
        [5, 6, 7]
    );
    assert_eq!(
        seqs(&store.events_before(&ix, Seq::MAX, 2).await.expect("latest")),
        [9, 10]
    );

    // ... or not at all: a taken seq fails the batch, and its other writes with it.
    let failing = vec![
        Write::Event(ix.clone(), message(11, contact(), "c11")),
        Write::Event(ix.clone(), message(10, contact(), "c-again")),
    ];
    assert!(store.commit(failing).await.is_err());
    assert_eq!(store.events_after(&ix, 10).await.expect("none").len(), 0);

    // A client id is unique per sender: another sender may use it, the same sender may not.
    store
        .commit(vec![Write::Event(ix.clone(), message(11, kate(), "c2"))])
        .await
        .expect("another sender's id");
    assert!(store
        .commit(vec![Write::Event(ix.clone(), message(12, contact(), "c2"))])
        .await
        .is_err());

    // Sessions and contact tokens, by hash.
    let kate_id = AgentId::from("kate");
    store
        .create_session("h1", &kate_id, 1)
        .await
        .expect("session");
    assert_eq!(
        store.session_agent("h1").await.expect("read"),
        Some(kate_id.clone())
    );
    store.delete_session("h1").await.expect("deleted");
    assert_eq!(store.session_agent("h1").await.expect("read"), None);
    store.create_contact_token("t1", &ix).await.expect("token");
    assert_eq!(
        store.contact_interaction("t1").await.expect("read"),
        Some(ix.clone())
    );
    assert_eq!(store.contact_interaction("nope").await.expect("read"), None);

    // Earlier chats of the same contact (e-mail in any case): finished, started before, within
    // the limit; the contact's history; My History: the chats an agent joined, newest first.
    store
        .commit(vec![
            Write::Interaction(record("ix-0", Some("mark@example.com"), 50, true)),
            Write::Event(InteractionId("ix-0".into()), joined(1, "kate")),
            Write::Interaction(record("ix-old", Some("mark@example.com"), 10, true)),
            Write::Interaction(record("ix-open", Some("mark@example.com"), 60, false)),
            Write::Interaction(record("ix-later", Some("mark@example.com"), 200, true)),
            Write::Interaction(record("ix-other", Some("eve@example.com"), 70, true)),
            Write::Interaction(typed("ix-typed", "mark@example.com", 55)),
            Write::Interaction(typed("ix-typed-now", "mark@example.com", 65)),
        ])
        .await
        .expect("more chats");
    // An e-mail typed into the form links nothing, either way.
    assert_eq!(
        store
            .earlier_of_contact(&InteractionId("ix-typed-now".into()), Millis::MAX, 20)
            .await
            .expect("earlier"),
        None
    );
    let (typed_back, _) = store
        .interaction(&InteractionId("ix-typed".into()))
        .await
        .expect("read")
        .expect("stored");
    assert!(!typed_back.contact.verified);
    let (verified_back, _) = store.interaction(&ix).await.expect("read").expect("stored");
    assert!(verified_back.contact.verified);
    let earlier = store
        .earlier_of_contact(&ix, Millis::MAX, 20)
        .await
        .expect("earlier");
    assert_eq!(earlier, Some((InteractionId("ix-0".into()), 50)));
    assert_eq!(
        store.earlier_of_contact(&ix, 50, 20).await.expect("none"),
        None
    );
    // The contact's chats before this one: in progress, or closed since the limit; none later.
    let history = |since| async move {
        store
            .history_of_contact(&InteractionId("ix-1".into()), since)
            .await
            .expect("history")
            .into_iter()
            .map(|e| (e.id.to_string(), e.closed))
            .collect::<Vec<_>>()
    };
    let entry = |id: &str, closed| (id.to_owned(), closed);
    assert_eq!(
        history(0).await,
        [
            entry("ix-open", false),
            entry("ix-0", true),
            entry("ix-old", true)
        ]
    );
    // One in progress stays whenever it started; a closed one goes past the limit.
    assert_eq!(history(65).await, [entry("ix-open", false)]);
    let mine: Vec<String> = store
        .history_of_agent(&kate_id)
        .await
        .expect("mine")
        .into_iter()
        .map(|e| e.id.to_string())
        .collect();
    assert_eq!(mine, ["ix-1", "ix-0"]);

    // Open chats come back with their events, closed ones do not.
    let open = store.open_interactions(None, 10).await.expect("open");
    let ids: Vec<String> = open.iter().map(|(r, _)| r.id.to_string()).collect();
    assert_eq!(ids, ["ix-1", "ix-open"]);
    assert_eq!(seqs(&open[0].1), (1..=11).collect::<Vec<_>>());
    domain_feed(store).await;
}

/// Domain events come back in commit order, only when their batch committed, and a consumer's
/// cursor is its own.
async fn domain_feed(store: &impl Store) {
    let ix = InteractionId("ix-feed".into());
    let milestone = |seq: Seq, event: DomainEvent| {
        Write::Milestone(Milestone {
            interaction: ix.clone(),
            seq,
            at: 100 + seq as Millis,
            event,
        })
    };
    assert!(store.domain_after(0, 10).await.expect("feed").is_empty());
    assert_eq!(store.cursor("webhooks").await.expect("cursor"), 0);
    store
        .commit(vec![
            Write::Interaction(record("ix-feed", None, 100, false)),
            Write::Event(ix.clone(), joined(1, "kate")),
            milestone(
                1,
                DomainEvent::Accepted {
                    agent: AgentId("kate".into()),
                },
            ),
        ])
        .await
        .expect("commit");
    // A batch that fails stores its domain event no more than its events.
    let failed = store
        .commit(vec![
            Write::Event(ix.clone(), joined(1, "kate")),
            milestone(
                1,
                DomainEvent::Accepted {
                    agent: AgentId("john".into()),
                },
            ),
        ])
        .await;
    assert!(failed.is_err(), "seq 1 is taken");
    store
        .commit(vec![milestone(
            2,
            DomainEvent::Ended {
                reason: parley_protocol::EndReason::ContactEnded,
            },
        )])
        .await
        .expect("commit");
    let feed = store.domain_after(0, 10).await.expect("feed");
    let events: Vec<&DomainEvent> = feed.iter().map(|f| &f.milestone.event).collect();
    assert_eq!(
        events,
        vec![
            &DomainEvent::Accepted {
                agent: AgentId("kate".into())
            },
            &DomainEvent::Ended {
                reason: parley_protocol::EndReason::ContactEnded
            },
        ]
    );
    assert!(feed[0].position < feed[1].position);
    assert_eq!(feed[1].milestone.at, 102);
    // Reading after a position, and a page at a time.
    let after_first = store
        .domain_after(feed[0].position, 10)
        .await
        .expect("feed");
    assert_eq!(after_first, feed[1..].to_vec());
    assert_eq!(
        store.domain_after(0, 1).await.expect("feed"),
        feed[..1].to_vec()
    );
    // Cursors are per consumer.
    store
        .save_cursor("webhooks", feed[0].position)
        .await
        .expect("save");
    assert_eq!(
        store.cursor("webhooks").await.expect("cursor"),
        feed[0].position
    );
    assert_eq!(store.cursor("metrics").await.expect("cursor"), 0);

    // A file's record, with the event that shows it; who joined as a party.
    let file = parley_protocol::FileRef {
        id: "f-1".into(),
        name: "invoice.pdf".into(),
        mime: "application/pdf".into(),
        size: 1234,
    };
    store
        .commit(vec![Write::File {
            interaction: ix.clone(),
            file: file.clone(),
            seq: 3,
            at: 3,
        }])
        .await
        .expect("commit");
    assert_eq!(
        store.files_in(&ix).await.expect("count"),
        (1, file.size),
        "a chat's files and bytes"
    );
    assert_eq!(
        store
            .files_in(&InteractionId("ix-none".into()))
            .await
            .expect("count"),
        (0, 0)
    );
    let stored = store.file("f-1").await.expect("read").expect("stored");
    assert_eq!(
        (stored.interaction, stored.file, stored.seq),
        (ix.clone(), file, Some(3))
    );
    assert_eq!(store.file("f-2").await.expect("read"), None);
    assert!(store
        .was_party(&AgentId("kate".into()), &ix)
        .await
        .expect("read"));
    assert!(!store
        .was_party(&AgentId("avril".into()), &ix)
        .await
        .expect("read"));

    // Agents' statuses: the last one stored of each.
    let status = |agent: &str, status: parley_protocol::AgentStatus| Write::AgentStatus {
        agent: AgentId(agent.into()),
        status,
    };
    let not_ready = parley_protocol::AgentStatus::NotReady {
        reason: Some("Lunch".into()),
    };
    store
        .commit(vec![
            status("kate", parley_protocol::AgentStatus::Ready),
            status("john", parley_protocol::AgentStatus::Ready),
        ])
        .await
        .expect("commit");
    store
        .commit(vec![status("john", not_ready.clone())])
        .await
        .expect("commit");
    assert_eq!(
        store.agent_statuses().await.expect("read"),
        vec![
            (AgentId("john".into()), not_ready),
            (AgentId("kate".into()), parley_protocol::AgentStatus::Ready),
        ]
    );

    // Requests acted on: each once, read back from a time on, forgotten before another.
    let key = |client: &str, req: u64| parley_server::store::RequestKey {
        actor: "agent:kate".into(),
        client: client.into(),
        req,
    };
    let acted = |client: &str, req: u64, at: i64| Write::Request {
        key: key(client, req),
        at,
    };
    store
        .commit(vec![acted("tab-1", 1, 1_000), acted("tab-2", 1, 2_000)])
        .await
        .expect("commit");
    store
        .commit(vec![acted("tab-1", 1, 3_000), acted("tab-1", 2, 4_000)])
        .await
        .expect("the same request again changes nothing");
    assert_eq!(
        store.requests_since(2_000).await.expect("read"),
        vec![(key("tab-2", 1), 2_000), (key("tab-1", 2), 4_000)]
    );
    store
        .commit(vec![Write::ForgetRequests { before: 2_000 }])
        .await
        .expect("commit");
    assert_eq!(store.requests_since(0).await.expect("read").len(), 2);

    // Open offers: one per interaction, replaced, taken back, and gone when the chat closes.
    let offer = |invitation: &str, agent: &str, expires_at: Millis| PendingOffer {
        invitation: InvitationId(invitation.into()),
        agent: AgentId(agent.into()),
        expires_at,
        request: None,
    };
    let save = |ix: &str, offer: Option<PendingOffer>| Write::Offer {
        interaction: InteractionId(ix.into()),
        offer,
    };
    let consult = PendingOffer {
        request: Some(PendingRequest {
            kind: RequestKind::Consultation,
            initiator: AgentId("kate".into()),
            target: Target::Group("tier2".into()),
            tried: vec![AgentId("john".into())],
        }),
        ..offer("inv-a-2", "avril", 5_000)
    };
    store
        .commit(vec![
            save("ix-o1", Some(offer("inv-a-1", "kate", 1_000))),
            save("ix-o2", Some(offer("inv-a-3", "john", 3_000))),
            save("ix-o1", Some(consult.clone())),
        ])
        .await
        .expect("commit");
    assert_eq!(
        store.open_offers().await.expect("read"),
        vec![
            (InteractionId("ix-o1".into()), consult),
            (
                InteractionId("ix-o2".into()),
                offer("inv-a-3", "john", 3_000)
            ),
        ]
    );
    store
        .commit(vec![
            save("ix-o1", None),
            Write::Interaction(record("ix-o2", None, 100, true)),
        ])
        .await
        .expect("commit");
    assert_eq!(store.open_offers().await.expect("read"), vec![]);

    // One-time sign-in tokens: used once, never after they expire.
    let kate = AgentId("kate".into());
    store
        .create_sign_in("h1", &kate, 1_000, None)
        .await
        .expect("create");
    store
        .create_sign_in("h2", &kate, 1_000, None)
        .await
        .expect("create");
    assert_eq!(
        store.take_sign_in("h1", 999).await.expect("take"),
        Some(SignIn {
            agent: kate.clone(),
            from_session: None
        })
    );
    assert_eq!(
        store.take_sign_in("h1", 999).await.expect("take"),
        None,
        "used once"
    );
    assert_eq!(
        store.take_sign_in("h2", 1_000).await.expect("take"),
        None,
        "expired"
    );
    assert_eq!(store.take_sign_in("nope", 0).await.expect("take"), None);

    // Minted from a session: one at a time per session, and gone with the session.
    store.create_session("s1", &kate, 0).await.expect("session");
    for token in ["m1", "m2"] {
        store
            .create_sign_in(token, &kate, 5_000, Some("s1"))
            .await
            .expect("create");
    }
    assert_eq!(
        store.take_sign_in("m1", 0).await.expect("take"),
        None,
        "replaced by m2"
    );
    assert_eq!(
        store.take_sign_in("m2", 0).await.expect("take"),
        Some(SignIn {
            agent: kate.clone(),
            from_session: Some("s1".into())
        })
    );
    store
        .create_sign_in("m3", &kate, 5_000, Some("s1"))
        .await
        .expect("create");
    store.delete_session("s1").await.expect("logout");
    assert_eq!(
        store.take_sign_in("m3", 0).await.expect("take"),
        None,
        "revoked with its session"
    );

    // A hand-off moves a session: the new one keeps the login time, the old one and what it
    // minted are gone, and a session already gone moves nowhere.
    store
        .create_session("from", &kate, 100)
        .await
        .expect("session");
    store
        .create_sign_in("from-link", &kate, 99_000, Some("from"))
        .await
        .expect("mint");
    assert!(store.move_session("from", "to", 900).await.expect("move"));
    assert_eq!(store.session_agent("from").await.expect("read"), None);
    assert_eq!(
        store.take_sign_in("from-link", 0).await.expect("take"),
        None
    );
    assert_eq!(
        store.expire_sessions(0, 200).await.expect("expire"),
        vec!["to".to_owned()],
        "opened at 100, not at the move"
    );
    assert!(!store
        .move_session("from", "again", 950)
        .await
        .expect("move"));
    assert_eq!(store.session_agent("again").await.expect("read"), None);

    // Sessions end when idle or too old, with what they minted; one in use lives on.
    store
        .create_session("old", &kate, 0)
        .await
        .expect("session");
    store
        .create_session("idle", &kate, 5_000)
        .await
        .expect("session");
    store
        .create_session("used", &kate, 5_000)
        .await
        .expect("session");
    store
        .create_sign_in("from-idle", &kate, 99_000, Some("idle"))
        .await
        .expect("mint");
    // "old" is in use too: only its age ends it.
    store
        .touch_sessions(&["used".to_owned(), "old".to_owned()], 9_000)
        .await
        .expect("touch");
    let mut ended = store.expire_sessions(8_000, 1_000).await.expect("expire");
    ended.sort();
    assert_eq!(ended, vec!["idle".to_owned(), "old".to_owned()]);
    assert_eq!(
        store.session_agent("used").await.expect("read"),
        Some(kate.clone())
    );
    assert_eq!(store.session_agent("idle").await.expect("read"), None);
    assert_eq!(
        store.take_sign_in("from-idle", 0).await.expect("take"),
        None,
        "gone with its session"
    );
    assert!(store
        .expire_sessions(8_000, 1_000)
        .await
        .expect("again")
        .is_empty());

    // A host page's handle: exchanged for tokens of its chat, a bounded number of times; its
    // release revokes them; a closed chat's handle is forgotten.
    store
        .commit(vec![Write::Interaction(record("ix-h", None, 100, false))])
        .await
        .expect("commit");
    let ix_h = InteractionId("ix-h".into());
    store
        .create_contact_handle("hh", &ix_h)
        .await
        .expect("handle");
    store
        .create_contact_token("th0", &ix_h)
        .await
        .expect("token");
    for (n, token) in ["th1", "th2"].into_iter().enumerate() {
        assert_eq!(
            store.use_contact_handle("hh", token, 2).await.expect("use"),
            Some(ix_h.clone()),
            "use {n}"
        );
        assert_eq!(
            store.contact_interaction(token).await.expect("read"),
            Some(ix_h.clone())
        );
    }
    assert_eq!(
        store.use_contact_handle("hh", "th3", 2).await.expect("use"),
        None,
        "used up"
    );
    assert_eq!(store.contact_interaction("th3").await.expect("read"), None);
    assert_eq!(
        store
            .use_contact_handle("nope", "th4", 9)
            .await
            .expect("use"),
        None
    );
    store.revoke_contact_handle("hh").await.expect("release");
    for token in ["th1", "th2"] {
        assert_eq!(
            store.contact_interaction(token).await.expect("read"),
            None,
            "{token} was exchanged for the released handle"
        );
    }
    assert_eq!(
        store.contact_interaction("th0").await.expect("read"),
        Some(ix_h.clone()),
        "the token the chat started with is not the handle's"
    );
    store
        .create_contact_handle("hh2", &ix_h)
        .await
        .expect("handle");
    store
        .commit(vec![Write::Interaction(record("ix-h", None, 100, true))])
        .await
        .expect("close");
    assert_eq!(
        store
            .use_contact_handle("hh2", "th5", 9)
            .await
            .expect("use"),
        None,
        "the chat is over"
    );
    store
        .commit(vec![Write::Interaction(record("ix-h", None, 100, false))])
        .await
        .expect("reopen");
    assert_eq!(
        store
            .use_contact_handle("hh2", "th6", 9)
            .await
            .expect("use"),
        None,
        "forgotten when it was found closed"
    );

    // Contact tokens: a round notes when their chat was seen closed, and a later one revokes
    // them once that is before the reading time; an open chat's tokens stay.
    store
        .commit(vec![
            Write::Interaction(record("ix-r", None, 100, false)),
            Write::Interaction(record("ix-o", None, 100, false)),
        ])
        .await
        .expect("commit");
    let (ix_r, ix_o) = (InteractionId("ix-r".into()), InteractionId("ix-o".into()));
    store
        .create_contact_token("tr", &ix_r)
        .await
        .expect("token");
    store
        .create_contact_token("to", &ix_o)
        .await
        .expect("token");
    store
        .commit(vec![Write::Interaction(record("ix-r", None, 100, true))])
        .await
        .expect("close");
    let rounds = [(5_000, 0), (6_000, 4_000), (9_000, 5_001)];
    let mut revoked = Vec::new();
    for (now, before) in rounds {
        revoked.push(
            store
                .expire_contact_tokens(now, before)
                .await
                .expect("expire"),
        );
    }
    assert_eq!(
        revoked,
        [0, 0, 1],
        "seen closed at 5,000; revoked once that is before 5,001"
    );

    // A secret is made once: later asks get the first one.
    assert_eq!(store.secret("k", "first").await.expect("secret"), "first");
    assert_eq!(store.secret("k", "second").await.expect("secret"), "first");
    assert_eq!(store.secret("other", "own").await.expect("secret"), "own");

    // Records: closed chats past a time, a contact's chats, and forgetting one whole.
    store
        .commit(vec![
            Write::Interaction(record("ix-gone", Some("Ana@Example.com"), 1_000, true)),
            Write::Event(InteractionId("ix-gone".into()), joined(1, "kate")),
            Write::Interaction(typed("ix-typed-ana", "ana@example.com", 1_500)),
            Write::Interaction(record("ix-live-ana", Some("ana@example.com"), 2_000, false)),
            Write::Event(InteractionId("ix-live-ana".into()), joined(1, "kate")),
        ])
        .await
        .expect("commit");
    let old = InteractionId("ix-gone".into());
    store
        .commit(vec![Write::File {
            interaction: old.clone(),
            file: parley_protocol::FileRef {
                id: "f-gone".into(),
                name: "a.png".into(),
                mime: "image/png".into(),
                size: 10,
            },
            seq: 2,
            at: 2,
        }])
        .await
        .expect("file");
    store
        .create_contact_token("t-gone", &old)
        .await
        .expect("token");
    let line = parley_server::store::AuditEntry {
        interaction: old.clone(),
        at: 5,
        actor: "agent:kate".into(),
        action: "read".into(),
        detail: Some("beside ix-1".into()),
    };
    store.audit(&line).await.expect("audit");
    assert_eq!(store.audit_of(&old).await.expect("audit"), vec![line]);
    // An event at 1 ms; the typed chat has none and counts from its start (1,500).
    let past = store.closed_before(3, 10).await.expect("past");
    assert!(
        past.contains(&old) && !past.iter().any(|c| c.as_str() == "ix-typed-ana"),
        "{past:?}"
    );
    assert!(
        !past.iter().any(|c| c.as_str() == "ix-live-ana"),
        "open chats are kept"
    );
    let mine = store
        .chats_of_contact(" ANA@example.com ")
        .await
        .expect("chats");
    let ids: Vec<(&str, bool)> = mine.iter().map(|(id, c)| (id.as_str(), *c)).collect();
    for expected in [
        ("ix-gone", true),
        ("ix-typed-ana", true),
        ("ix-live-ana", false),
    ] {
        assert!(ids.contains(&expected), "{expected:?} in {ids:?}");
    }
    let gone = store
        .forget(std::slice::from_ref(&old))
        .await
        .expect("forget");
    assert_eq!(
        (gone.chats, gone.events, gone.files.clone(), gone.tokens),
        (1, 1, vec!["f-gone".to_owned()], 1)
    );
    assert_eq!(store.file("f-gone").await.expect("file"), None);
    assert!(
        store.audit_of(&old).await.expect("audit").is_empty(),
        "forgotten with its chat"
    );
    assert_eq!(
        store.contact_interaction("t-gone").await.expect("token"),
        None
    );
    assert!(store
        .events_after(&old, 0)
        .await
        .expect("events")
        .is_empty());
    assert!(!store
        .chats_of_contact("ana@example.com")
        .await
        .expect("chats")
        .iter()
        .any(|(id, _)| id == &old));
    assert_eq!(
        store
            .forget(std::slice::from_ref(&old))
            .await
            .expect("again"),
        Default::default(),
        "forgetting twice is harmless"
    );
    assert_eq!(store.contact_interaction("tr").await.expect("read"), None);
    assert_eq!(
        store.contact_interaction("to").await.expect("read"),
        Some(ix_o),
        "the open chat's token stays"
    );
}
