//! With a store that fails or stalls on demand: nothing is acknowledged, answered as a success
//! or remembered by the engine unless it was stored (honest commits), and a stalled read holds
//! up only the connection that asked for it.

mod common;

use common::*;
use parley_protocol::act;
use parley_protocol::{ClientMsg, ErrorCode, Event, EventKind, ServerMsg};
use parley_server::store::faults::Faulty;
use parley_server::store::{EventLog, SqliteStore};
use serde_json::json;

async fn spawn_faulty(dir: &std::path::Path) -> (std::net::SocketAddr, Faulty<SqliteStore>) {
    let mut config = parley_server::config::load(&demo_config_path()).expect("demo config");
    config.server.addr = "127.0.0.1:0".into();
    config.server.db = dir.join("p.db");
    // Kate takes one chat at a time: an offer the engine kept by mistake would take her place.
    for agent in &mut config.agents {
        if agent.id.as_str() == "kate" {
            agent.capacity = 1;
        }
    }
    let store = Faulty::new(SqliteStore::open(&config.server.db).await.expect("store"));
    let server = config.server.clone();
    let (listener, app) = parley_server::start_with(config, store.clone())
        .await
        .expect("server starts");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        parley_server::net::serve(listener, app, &server, std::future::pending()).await
    });
    (addr, store)
}

fn messages(events: &[Event], client_id: &str) -> usize {
    events
        .iter()
        .filter(
            |e| matches!(&e.kind, EventKind::Message { client_id: Some(c), .. } if c == client_id),
        )
        .count()
}

/// A chat that Kate accepted, with the contact's "Hello" on her screen: the chat, the contact's
/// token, and Kate.
async fn taken_by_kate(
    addr: std::net::SocketAddr,
) -> (parley_protocol::InteractionId, String, Client) {
    let (ix, contact_token) = start_chat(addr, "Mark Avram", "Hello").await;
    let mut kate = ready_agent(addr, "kate").await;
    let invitation = next_invitation(&mut kate).await;
    kate.send(&ClientMsg::from(act::Accept {
        invitation: invitation.id,
    }))
    .await;
    kate.expect_event(&ix, |k| message_text(k) == Some("Hello"))
        .await;
    (ix, contact_token, kate)
}

#[tokio::test]
async fn a_message_whose_commit_failed_is_stored_once_when_retried() {
    let dir = tempfile::tempdir().expect("tmp");
    let (addr, store) = spawn_faulty(dir.path()).await;
    let (ix, contact_token, mut kate) = taken_by_kate(addr).await;
    let mut contact = Client::hello(addr, &contact_token, vec![]).await;

    let send = ClientMsg::from(act::Send {
        interaction: ix.clone(),
        client_id: "k-1".into(),
        text: "Let me check".into(),
        consultation: None,
    });
    store.fail_next_commit();
    kate.send_raw(&send.to_frame_with(7)).await;
    let refused = kate.expect_error(ErrorCode::Internal).await;
    assert!(
        matches!(refused, ServerMsg::Error { req: Some(7), .. }),
        "{refused:?}"
    );
    // The retry is stored, acknowledged with its own seq, and reaches the contact once.
    kate.send_raw(&send.to_frame_with(8)).await;
    let seq = ack_of(&mut kate, "k-1").await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some("Let me check"))
        .await;
    let stored = store.inner.events_after(&ix, 0).await.expect("events");
    assert_eq!(messages(&stored, "k-1"), 1, "stored once");
    assert!(stored.iter().any(|e| e.seq == seq));
    // A second retry is only acknowledged, with the same seq.
    kate.send(&send).await;
    assert_eq!(ack_of(&mut kate, "k-1").await, seq);
    let stored = store.inner.events_after(&ix, 0).await.expect("events");
    assert_eq!(messages(&stored, "k-1"), 1);
    assert_eq!(messages(&contact.events(&ix), "k-1"), 1, "delivered once");
}

#[tokio::test]
async fn a_chat_start_whose_commit_failed_answers_5xx_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("tmp");
    let (addr, store) = spawn_faulty(dir.path()).await;
    let mut kate = ready_agent(addr, "kate").await;
    store.fail_next_commit();
    let (status, body) = post(
        addr,
        "/api/chats",
        json!({"name": "Lost Visitor", "text": "anyone?", "email": "lost@example.com"}),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert!(body["token"].is_null(), "{body}");
    let open = store.inner.open_interactions(None, 10).await.expect("read");
    assert!(open.is_empty(), "nothing stored: {open:?}");
    // The engine forgot it and its offer too: Kate, who takes one chat at a time, is offered the
    // next chat.
    let (ix, _) = start_chat(addr, "Mark Avram", "Hello").await;
    let invitation = next_invitation(&mut kate).await;
    assert_eq!(invitation.interaction.id, ix);
}

#[tokio::test]
async fn a_read_that_stalls_holds_up_only_its_own_connection() {
    let dir = tempfile::tempdir().expect("tmp");
    let (addr, store) = spawn_faulty(dir.path()).await;
    let (first, first_token) = start_chat(addr, "Mark Avram", "Hello").await;
    let (second, second_token) = start_chat(addr, "Avril Mai", "Hi").await;
    let mut pager = Client::hello(addr, &first_token, vec![]).await;
    let mut other = Client::hello(addr, &second_token, vec![]).await;
    // The first chat's contact pages through its history, and the store stalls on it.
    store.stall_reads(true);
    let older = ClientMsg::Older {
        interaction: first.clone(),
        before: 100,
        limit: 100,
    };
    for req in 1..=20 {
        pager.send_raw(&older.to_frame_with(req)).await;
    }
    // Meanwhile another chat's message is stored and acknowledged.
    other
        .send(&ClientMsg::from(act::Send {
            interaction: second.clone(),
            client_id: "a-1".into(),
            text: "Still there?".into(),
            consultation: None,
        }))
        .await;
    let seq = ack_of(&mut other, "a-1").await;
    assert!(seq > 0);
    // Nothing was answered to the pager while its reads stalled; then every page comes.
    assert!(
        !pager
            .seen
            .iter()
            .any(|m| matches!(m, ServerMsg::Older { .. })),
        "the pager's reads were still stalled"
    );
    store.stall_reads(false);
    for _ in 0..20 {
        pager
            .expect(|m| matches!(m, ServerMsg::Older { interaction, .. } if *interaction == first))
            .await;
    }
}

#[tokio::test]
async fn a_resume_misses_and_doubles_nothing_committed_while_it_is_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let (addr, store) = spawn_faulty(dir.path()).await;
    let (ix, contact_token, mut kate) = taken_by_kate(addr).await;
    // The contact comes back while the store is slow to read its transcript...
    store.stall_reads(true);
    let mut contact = Client::connect(addr).await;
    contact
        .send(&ClientMsg::Hello {
            v: parley_protocol::PROTOCOL_VERSION,
            token: Some(contact_token),
            resume: vec![],
            client: None,
        })
        .await;
    // ...and meanwhile Kate's answer is stored (the hub does not wait for that read).
    kate.send(&ClientMsg::from(act::Send {
        interaction: ix.clone(),
        client_id: "k-1".into(),
        text: "While you were away".into(),
        consultation: None,
    }))
    .await;
    let answer = ack_of(&mut kate, "k-1").await;
    store.stall_reads(false);
    contact
        .expect_event(&ix, |k| message_text(k) == Some("While you were away"))
        .await;
    // Everything, once, in order, the answer last.
    let seqs: Vec<u64> = contact.events(&ix).iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = {
        let mut all: Vec<u64> = store
            .inner
            .events_after(&ix, 0)
            .await
            .expect("events")
            .iter()
            .filter(|e| e.audience.includes_contact())
            .map(|e| e.seq)
            .collect();
        all.retain(|s| *s <= answer);
        all
    };
    assert_eq!(seqs, expected, "no event missed or doubled");
    assert_eq!(seqs.last(), Some(&answer));
}
