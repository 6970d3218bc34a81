use super::{EventLog, FileRecords, SqliteStore, StoreError, Write};
use crate::engine::{ContactInfo, InteractionRecord};
use parley_protocol::{Audience, Event, EventKind, InteractionId, QueueId};

#[tokio::test]
async fn a_files_record_is_stored_with_its_event_or_not_at_all() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("p.db"))
        .await
        .expect("database");
    let ix = InteractionId("ix-1".into());
    let record = InteractionRecord {
        id: ix.clone(),
        contact: ContactInfo {
            name: "Mark".into(),
            email: None,
            subject: None,
            verified: false,
        },
        queue: QueueId("general".into()),
        started_at: 1,
        closed: false,
    };
    let file = |id: &str| parley_protocol::FileRef {
        id: id.into(),
        name: "card.png".into(),
        mime: "image/png".into(),
        size: 10,
    };
    let posted = |seq, id: &str| {
        vec![
            Write::Event(
                ix.clone(),
                Event {
                    seq,
                    at: 2,
                    audience: Audience::Everyone,
                    kind: EventKind::File {
                        from: parley_protocol::Party::Contact {
                            name: "Mark".into(),
                        },
                        file: file(id),
                    },
                },
            ),
            Write::File {
                interaction: ix.clone(),
                file: file(id),
                seq,
                at: 2,
            },
        ]
    };
    let mut first = vec![Write::Interaction(record)];
    first.extend(posted(1, "f1"));
    store.commit(first).await.expect("stored");
    let stored = store.file("f1").await.expect("read").expect("stored");
    assert_eq!((stored.interaction, stored.seq), (ix.clone(), Some(1)));
    // The event cannot be stored (its seq is taken): neither is the file's record.
    assert!(store.commit(posted(1, "f2")).await.is_err());
    assert!(store.file("f2").await.expect("read").is_none());
}

#[tokio::test]
async fn open_chats_come_back_a_page_at_a_time_with_all_their_events() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("p.db"))
        .await
        .expect("database");
    let mut batch = Vec::new();
    for n in 0..450u64 {
        let record = InteractionRecord {
            id: InteractionId(format!("ix-{n:04}")),
            contact: ContactInfo {
                name: format!("Contact {n}"),
                email: None,
                subject: None,
                verified: false,
            },
            queue: QueueId("general".into()),
            started_at: n as i64,
            // Every third chat is over: it is not restored.
            closed: n % 3 == 0,
        };
        batch.push(Write::Interaction(record.clone()));
        for seq in 1..=(n % 4 + 1) {
            let event = Event {
                seq,
                at: n as i64,
                audience: Audience::Everyone,
                kind: EventKind::Notice {
                    text: format!("{n}/{seq}"),
                },
            };
            batch.push(Write::Event(record.id.clone(), event));
        }
    }
    store.commit(batch).await.expect("stored");

    let mut after: Option<InteractionId> = None;
    let mut pages = Vec::new();
    let mut restored = Vec::new();
    loop {
        let page = store
            .open_interactions(after.as_ref(), 200)
            .await
            .expect("page");
        pages.push(page.len());
        let full = page.len() == 200;
        for (record, events) in page {
            after = Some(record.id.clone());
            restored.push((record, events));
        }
        if !full {
            break;
        }
    }
    assert_eq!(pages, [200, 100]);
    for (record, events) in &restored {
        let n: u64 = record.id.as_str()[3..].parse().expect("number");
        assert_ne!(n % 3, 0, "{} is closed", record.id);
        let texts: Vec<String> = events
            .iter()
            .map(|e| match &e.kind {
                EventKind::Notice { text } => text.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        let expected: Vec<String> = (1..=(n % 4 + 1)).map(|s| format!("{n}/{s}")).collect();
        assert_eq!(texts, expected, "{}", record.id);
    }
}

#[tokio::test]
async fn a_database_this_build_cannot_read_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("parley.db");
    // A new database gets every migration, and opens again without change.
    let store = SqliteStore::open(&path).await.expect("new database");
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(&store.pool)
        .await
        .expect("migrations");
    assert_eq!(applied, (1..=super::schema::latest()).collect::<Vec<_>>());
    drop(store);
    SqliteStore::open(&path).await.expect("reopened");

    // One written by a newer Parley (a migration this build does not know): refused.
    let newer = dir.path().join("newer.db");
    let store = SqliteStore::open(&newer).await.expect("database");
    sqlx::raw_sql(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (999, 'from the future', 1, x'00', 0);",
    )
    .execute(&store.pool)
    .await
    .expect("a later migration");
    drop(store);
    let err = SqliteStore::open(&newer).await.err().expect("refused");
    assert!(matches!(err, StoreError::Format(_)), "{err}");
    assert!(err.to_string().contains("a newer Parley"), "{err}");

    // One written before migrations, with events in the first format: refused, untouched.
    let old = dir.path().join("old.db");
    let store = SqliteStore::open(&old).await.expect("database");
    sqlx::raw_sql(
        "DROP TABLE _sqlx_migrations; PRAGMA user_version = 0; \
         INSERT INTO interactions (id, contact_name, queue, started_at) VALUES ('ix-1', 'Mark', 'general', 1); \
         INSERT INTO events (interaction, seq, at, audience, body) \
         VALUES ('ix-1', 1, 1, '{\"scope\":\"everyone\"}', '{\"kind\":\"ended\"}');",
    )
    .execute(&store.pool)
    .await
    .expect("old rows");
    drop(store);
    let err = SqliteStore::open(&old).await.err().expect("refused");
    assert!(matches!(err, StoreError::Format(_)), "{err}");
    assert!(err.to_string().contains("an older Parley"), "{err}");
    assert!(
        SqliteStore::open(&old).await.is_err(),
        "nothing was changed"
    );
}
