//! Databases written by earlier servers open, upgrade in place, and their chats in progress go
//! on: event format 2 (the server of protocol 1, before message ids were keyed by sender) and
//! event format 3 (protocol 2, before the schema was kept as migrations).

mod common;

use common::*;
use parley_protocol::act;
use parley_protocol::{ClientMsg, InteractionId, ServerMsg};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

/// The databases as those servers left them, dumped as SQL (tokens in the first one's header).
const FORMAT_2: &str = include_str!("fixtures/event-format-2.sql");
const FORMAT_3: &str = include_str!("fixtures/event-format-3.sql");
const KATE_TOKEN: &str = "f06e7bc140e7aaed0e03dff128780470a3583658ca525f17ddcadd08ea2a161d";
const CONTACT_TOKEN: &str = "0af854dac848d13a9cf09f545d0fadad350a572f7c10f941857bd8b0140ca618";
const CHAT: &str = "ix-1795968979761-22cbc139";

async fn connect(db: &std::path::Path) -> SqliteConnection {
    // The dump creates tables by name, so events come in before the interactions they name.
    let options = SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(true)
        .foreign_keys(false);
    SqliteConnection::connect_with(&options)
        .await
        .expect("sqlite")
}

/// Writes a database the way an earlier server left it: each SQL text in turn.
async fn load(db: &std::path::Path, sql: &[&str]) {
    let mut old = connect(db).await;
    for text in sql {
        sqlx::raw_sql(text)
            .execute(&mut old)
            .await
            .expect("the fixture loads");
    }
    old.close().await.expect("closed");
}

/// Starts a server on the database; Kate and the contact resume the chat and each see the line
/// named (everything said before).
async fn resume(db: &std::path::Path, kate_sees: &str, contact_sees: &str) -> (Client, Client) {
    // The chat was idle since the fixture was made: no inactivity time-out or contact grace may
    // end it before the test resumes it, nor may Kate's session (from that day) expire, nor
    // retention forget the fixture's closed chats (their events are from 1970).
    let addr = spawn_server(db, |c| {
        c.server.retention_days = 0;
        c.chat.inactivity_timeout_secs = 0;
        c.chat.inactivity_warn_secs = 0;
        c.chat.contact_grace_secs = 0;
        c.server.session_idle_secs = u32::MAX;
        c.server.session_max_secs = u32::MAX;
    })
    .await;
    let ix = chat();
    let mut kate = Client::hello(addr, KATE_TOKEN, vec![]).await;
    kate.expect(|m| matches!(m, ServerMsg::Opened { interaction } if interaction.id == ix))
        .await;
    kate.expect_event(&ix, |k| message_text(k) == Some(kate_sees))
        .await;
    let mut contact = Client::hello(addr, CONTACT_TOKEN, vec![]).await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some(contact_sees))
        .await;
    (kate, contact)
}

fn chat() -> InteractionId {
    InteractionId(CHAT.into())
}

fn send(id: &str, text: &str) -> ClientMsg {
    ClientMsg::from(act::Send {
        interaction: chat(),
        client_id: id.into(),
        text: text.into(),
        consultation: None,
    })
}

#[tokio::test]
async fn a_database_of_the_previous_format_is_upgraded_and_its_chat_resumes() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("old.db");
    // With a finished chat with a file, as that server wrote them: the file's row did not name
    // its event.
    let file = r#"INSERT INTO interactions (id, contact_name, queue, started_at, closed)
                 VALUES ('ix-files', 'Avril', 'general', 1, 1);
               INSERT INTO events (interaction, seq, at, audience, client_id, body)
                 VALUES ('ix-files', 1, 1, '"everyone"', NULL,
                   '{"file":{"from":{"contact":{"name":"Avril"}},"file":{"id":"f-1","name":"a.png","mime":"image/png","size":9}}}');
               INSERT INTO files (id, interaction, name, mime, size, uploaded_at)
                 VALUES ('f-1', 'ix-files', 'a.png', 'image/png', 9, 1);"#;
    load(&db, &[FORMAT_2, file]).await;
    let ix = chat();
    // Both sides resume the chat with everything said before.
    let (mut kate, mut contact) = resume(&db, "Let me check", "The Visa one").await;

    // A retry of a message stored before the upgrade is still stored once.
    kate.send(&send("d1700000000000-2", "Let me check")).await;
    assert_eq!(ack_of(&mut kate, "d1700000000000-2").await, 7);
    // The contact takes Kate's next id first: both messages are stored.
    contact.send(&send("d1700000000000-3", "Hurry up")).await;
    let contacts = ack_of(&mut contact, "d1700000000000-3").await;
    kate.send(&send("d1700000000000-3", "Found it")).await;
    let kates = ack_of(&mut kate, "d1700000000000-3").await;
    assert_eq!((contacts, kates), (8, 9));
    contact
        .expect_event(&ix, |k| message_text(k) == Some("Found it"))
        .await;

    // The database now keys ids by sender.
    let mut conn = connect(&db).await;
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut conn)
        .await
        .expect("version");
    assert_eq!(version, 3);
    assert_eq!(
        migrations(&db).await,
        every_migration(),
        "then adopted as the first migration, and the later ones ran"
    );
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("indexes");
    assert!(
        indexes.contains(&"events_sender_client_id".to_owned()),
        "{indexes:?}"
    );
    assert!(
        !indexes.contains(&"events_client_id".to_owned()),
        "{indexes:?}"
    );
    let senders: Vec<(i64, Option<String>)> =
        sqlx::query_as("SELECT seq, sender FROM events WHERE interaction = ? ORDER BY seq")
            .bind(CHAT)
            .fetch_all(&mut conn)
            .await
            .expect("senders");
    let of = |seq: i64| {
        senders
            .iter()
            .find(|(s, _)| *s == seq)
            .and_then(|(_, w)| w.clone())
    };
    assert_eq!(of(3), None, "the first message came without an id");
    assert_eq!(of(5).as_deref(), Some("agent:kate"));
    assert_eq!(of(6).as_deref(), Some("contact"));
    assert_eq!(of(8).as_deref(), Some("contact"));
    assert_eq!(of(9).as_deref(), Some("agent:kate"));
    // Each file now names the event that put it into its chat.
    let file_seq: Option<i64> = sqlx::query_scalar("SELECT seq FROM files WHERE id = 'f-1'")
        .fetch_one(&mut conn)
        .await
        .expect("the file");
    assert_eq!(file_seq, Some(1));
}

/// The migrations this database has applied.
async fn migrations(db: &std::path::Path) -> Vec<i64> {
    let mut conn = connect(db).await;
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .expect("the migrations table")
}

#[tokio::test]
async fn a_database_from_before_migrations_is_adopted_and_its_chat_resumes() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("format3.db");
    load(&db, &[FORMAT_3]).await;
    let (mut kate, mut contact) = resume(&db, "Found it", "Hurry up").await;
    assert_eq!(
        migrations(&db).await,
        every_migration(),
        "adopted as the first migration, and the later ones ran"
    );

    // Retries of messages stored by that server are stored once, each sender's own.
    kate.send(&send("d1700000000000-3", "Found it")).await;
    assert_eq!(ack_of(&mut kate, "d1700000000000-3").await, 9);
    contact.send(&send("d1700000000000-3", "Hurry up")).await;
    assert_eq!(ack_of(&mut contact, "d1700000000000-3").await, 8);
    // And the chat goes on after them.
    kate.send(&send("d1700000000000-4", "Done: it is refunded"))
        .await;
    assert_eq!(ack_of(&mut kate, "d1700000000000-4").await, 10);
    contact
        .expect_event(&chat(), |k| message_text(k) == Some("Done: it is refunded"))
        .await;
}

/// The versions of every SQLite migration this build has, in order.
fn every_migration() -> Vec<i64> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut versions: Vec<i64> = std::fs::read_dir(dir)
        .expect("migrations")
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .split('_')
                .next()?
                .parse()
                .ok()
        })
        .collect();
    versions.sort_unstable();
    versions
}
