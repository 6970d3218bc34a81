//! A database written before message ids were keyed by sender (event format 2, the server of
//! protocol 1) is upgraded in place, and its chat in progress goes on.

mod common;

use common::*;
use parley_protocol::{ClientMsg, InteractionId, ServerMsg};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

/// The database as that server left it, dumped as SQL (tokens in its header).
const FIXTURE: &str = include_str!("fixtures/event-format-2.sql");
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

#[tokio::test]
async fn a_database_of_the_previous_format_is_upgraded_and_its_chat_resumes() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("old.db");
    {
        let mut old = connect(&db).await;
        sqlx::raw_sql(FIXTURE)
            .execute(&mut old)
            .await
            .expect("the fixture loads");
        // And a finished chat with a file, as that server wrote them: the file's row did not
        // name its event.
        sqlx::raw_sql(
            r#"INSERT INTO interactions (id, contact_name, queue, started_at, closed)
                 VALUES ('ix-files', 'Avril', 'general', 1, 1);
               INSERT INTO events (interaction, seq, at, audience, client_id, body)
                 VALUES ('ix-files', 1, 1, '"everyone"', NULL,
                   '{"file":{"from":{"contact":{"name":"Avril"}},"file":{"id":"f-1","name":"a.png","mime":"image/png","size":9}}}');
               INSERT INTO files (id, interaction, name, mime, size, uploaded_at)
                 VALUES ('f-1', 'ix-files', 'a.png', 'image/png', 9, 1);"#,
        )
        .execute(&mut old)
        .await
        .expect("a file of the previous format");
        old.close().await.expect("closed");
    }
    // The chat was idle since the fixture was made: no inactivity time-out or contact grace may
    // end it before the test resumes it.
    let addr = spawn_server(&db, |c| {
        c.chat.inactivity_timeout_secs = 0;
        c.chat.inactivity_warn_secs = 0;
        c.chat.contact_grace_secs = 0;
    })
    .await;
    let ix = InteractionId(CHAT.into());

    // Both sides resume the chat with everything said before.
    let mut kate = Client::hello(addr, KATE_TOKEN, vec![]).await;
    kate.expect(|m| matches!(m, ServerMsg::Opened { interaction } if interaction.id == ix))
        .await;
    kate.expect_event(&ix, |k| message_text(k) == Some("Let me check"))
        .await;
    let mut contact = Client::hello(addr, CONTACT_TOKEN, vec![]).await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some("The Visa one"))
        .await;

    // A retry of a message stored before the upgrade is still stored once.
    let send = |id: &str, text: &str| ClientMsg::Send {
        interaction: ix.clone(),
        client_id: id.into(),
        text: text.into(),
        consultation: None,
    };
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
