//! Verified contacts: only an identity the contact's site signed links the contact's chats; an
//! e-mail typed into the form is shown as typed, marked unverified, and unlocks no history; a
//! forged or expired identity is refused.

mod common;

use common::*;
use parley_protocol::{ClientMsg, HistoryScope, InteractionId, ServerMsg};
use serde_json::json;

/// The agent's summary of the chat, as it opened.
fn opened(agent: &Client, ix: &InteractionId) -> parley_protocol::InteractionSummary {
    agent
        .seen
        .iter()
        .rev()
        .find_map(|m| match m {
            ServerMsg::Opened { interaction } if &interaction.id == ix => Some(interaction.clone()),
            _ => None,
        })
        .expect("opened")
}

/// The ids of the contact's earlier chats the agent is shown for `ix`.
async fn history(agent: &mut Client, ix: &InteractionId) -> Vec<InteractionId> {
    agent
        .send(&ClientMsg::History {
            scope: HistoryScope::Contact {
                interaction: ix.clone(),
            },
        })
        .await;
    match agent
        .expect(|m| matches!(m, ServerMsg::History { .. }))
        .await
    {
        ServerMsg::History { entries, .. } => entries.into_iter().map(|e| e.id).collect(),
        _ => unreachable!(),
    }
}

/// Starts a chat with a typed e-mail and no identity, and has the agent accept it.
async fn typed_chat(addr: std::net::SocketAddr, agent: &mut Client, email: &str) -> InteractionId {
    let (status, body) = post(
        addr,
        "/api/chats",
        json!({"name": "Mark Avram", "email": email, "text": "It is me, really"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ix = InteractionId(body["interaction"].as_str().expect("id").into());
    accept_next(agent, &ix).await;
    ix
}

#[tokio::test]
async fn a_verified_contacts_chats_in_progress_are_in_the_history_too() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;
    // Mark chats in two tabs at once: the second lists the first, still in progress; the
    // first lists nothing that came after it.
    let (first, _c1, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    let (second, _c2, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    assert_eq!(history(&mut kate, &second).await, vec![first.clone()]);
    assert_eq!(
        history(&mut kate, &first).await,
        Vec::<InteractionId>::new()
    );
    finish(&mut kate, &first).await;
    assert_eq!(history(&mut kate, &second).await, vec![first]);
}

#[tokio::test]
async fn only_a_verified_identity_links_a_contacts_chats() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;

    // Two chats of a contact whose site vouched for mark.avram@example.com: linked.
    let (first, _c1, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    assert!(opened(&kate, &first).verified);
    finish(&mut kate, &first).await;
    let (second, _c2, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    assert_eq!(history(&mut kate, &second).await, vec![first.clone()]);
    finish(&mut kate, &second).await;

    // Someone types the same address: shown as typed, marked unverified, and linked to nothing.
    let typed = typed_chat(addr, &mut kate, "Mark.Avram@example.com").await;
    let summary = opened(&kate, &typed);
    assert!(!summary.verified);
    assert_eq!(summary.email.as_deref(), Some("Mark.Avram@example.com"));
    assert_eq!(
        history(&mut kate, &typed).await,
        Vec::<InteractionId>::new()
    );
    finish(&mut kate, &typed).await;

    // And the typed chat does not join the verified contact's history either.
    let (third, _c3, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    assert_eq!(history(&mut kate, &third).await, vec![second, first]);
}

#[tokio::test]
async fn a_forged_or_expired_identity_is_refused_and_starts_no_chat() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let expired = identity("mark@example.com", -3600);
    let (status, body) = post(
        addr,
        "/api/chats",
        json!({"name": "Mark", "identity": expired}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("expired")),
        "{body}"
    );

    let claims = json!({"sub": "u", "email": "mark@example.com", "aud": "parley",
        "exp": parley_server::now_ms() / 1000 + 300});
    let key = jsonwebtoken::EncodingKey::from_secret(b"someone-elses-secret-of-32-characters")
        .expect("key");
    let forged =
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).expect("signed");
    let (status, body) = post(
        addr,
        "/api/chats",
        json!({"name": "Mark", "identity": forged}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("signature")),
        "{body}"
    );
    let (status, _) = post(
        addr,
        "/api/chats",
        json!({"name": "Mark", "identity": "not-a-token"}),
    )
    .await;
    assert_eq!(status, 400);

    // Nothing was started: a Ready agent is offered nothing.
    let mut kate = ready_agent(addr, "kate").await;
    while let Some(m) = kate.try_next(std::time::Duration::from_millis(300)).await {
        assert!(!matches!(m, ServerMsg::Invitation { .. }), "{m:?}");
    }
}

/// The token a handle is exchanged for, or the status of the refusal.
async fn resume(addr: std::net::SocketAddr, handle: &str) -> Result<String, u16> {
    let (status, body) = post(addr, "/api/chats/resume", json!({ "handle": handle })).await;
    match status {
        200 => Ok(body["token"].as_str().expect("token").to_owned()),
        other => Err(other),
    }
}

#[tokio::test]
async fn a_host_pages_handle_brings_the_chat_back_until_released_or_over() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let (status, body) = post(addr, "/api/chats", json!({"name": "Mark", "text": "Hi"})).await;
    assert_eq!(status, 200, "{body}");
    let (ix, token) = (
        body["interaction"].clone(),
        body["token"].as_str().expect("token"),
    );
    let handle = body["handle"].as_str().expect("a handle for the host page");
    assert_ne!(handle, token);
    assert!(!admitted(addr, handle).await, "a handle is not a token");

    // After a reload, the widget exchanges the handle for a token of its own.
    let (status, body) = post(addr, "/api/chats/resume", json!({ "handle": handle })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["interaction"], ix);
    let resumed = body["token"].as_str().expect("token").to_owned();
    assert_ne!(resumed, token);
    assert!(admitted(addr, &resumed).await);
    assert_eq!(resume(addr, "a-guess").await, Err(404));
    let (status, _) = post(addr, "/api/chats/resume", json!({ "nope": 1 })).await;
    assert_eq!(status, 400);

    // The contact starts another chat: the handle and what it gave are revoked, the token the
    // chat started with is not.
    let (status, _) = post(addr, "/api/chats/release", json!({ "handle": handle })).await;
    assert_eq!(status, 204);
    assert!(!admitted(addr, &resumed).await, "revoked with its handle");
    assert!(admitted(addr, token).await);
    assert_eq!(resume(addr, handle).await, Err(404));

    // A chat that is over cannot be brought back by its handle.
    let mut kate = ready_agent(addr, "kate").await;
    let first = InteractionId(ix.as_str().expect("id").into());
    accept_next(&mut kate, &first).await;
    let (status, body) = post(addr, "/api/chats", json!({"name": "Vera", "text": "Hello"})).await;
    assert_eq!(status, 200, "{body}");
    let second = InteractionId(body["interaction"].as_str().expect("id").into());
    let handle = body["handle"].as_str().expect("handle").to_owned();
    accept_next(&mut kate, &second).await;
    assert!(resume(addr, &handle).await.is_ok(), "open: it resumes");
    finish(&mut kate, &second).await;
    assert_eq!(resume(addr, &handle).await, Err(404));
}

#[tokio::test]
async fn a_contact_token_writes_until_the_chat_ends_and_reads_for_a_while_after() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.contact_read_secs = 2;
    })
    .await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, mut contact, token) = chat_with(addr, &mut kate, "Mark Avram").await;
    let sent = upload(addr, &token, &ix, "a.png", "image/png", PNG).await;
    assert_eq!(sent.status, 201, "a file while the chat runs");
    let file: serde_json::Value = serde_json::from_slice(&sent.body).expect("json");
    let download = format!("/api/files/{}", file["file"]["id"].as_str().expect("id"));
    let fetch = |path: String| {
        let auth = format!("Bearer {token}");
        async move { request(addr, "GET", &path, &[("Authorization", &auth)], b"").await }
    };
    finish(&mut kate, &ix).await;

    // Writing ended with the chat: a message and a file are refused, and nothing is stored.
    contact
        .send(&ClientMsg::from(parley_protocol::act::Send {
            interaction: ix.clone(),
            client_id: "late".into(),
            text: "one more thing".into(),
            consultation: None,
        }))
        .await;
    let refused = contact
        .expect(|m| matches!(m, ServerMsg::Error { .. } | ServerMsg::Ack { .. }))
        .await;
    assert!(matches!(refused, ServerMsg::Error { .. }), "{refused:?}");
    let late = upload(addr, &token, &ix, "b.png", "image/png", PNG).await;
    assert!(late.status >= 400, "a file after the end: {}", late.status);
    // Reading goes on: the transcript on a new socket, and the chat's file.
    assert!(
        admitted(addr, &token).await,
        "the contact still reads its chat"
    );
    assert_eq!(fetch(download.clone()).await.status, 200);

    // Some rounds after the reading time the token is gone, for sockets and files alike.
    let mut revoked = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if !admitted(addr, &token).await {
            revoked = true;
            break;
        }
    }
    assert!(revoked, "the token still reads 10 s after its chat closed");
    assert_eq!(fetch(download).await.status, 401);
    // Another contact's chat is untouched.
    let (other, _c, other_token) = chat_with(addr, &mut kate, "Avril Mai").await;
    assert!(admitted(addr, &other_token).await, "{other}");
}

#[tokio::test]
async fn reordering_and_invisible_characters_in_names_are_written_out() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;
    let (status, body) = post(
        addr,
        "/api/chats",
        json!({
            "name": "Mark\u{202E}nivA",
            "subject": "Refund\u{200B}",
            "text": "שלום\u{200F}, my order",
            "case_data": {"order\u{2066}": "A-17\u{FEFF}"},
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ix = InteractionId(body["interaction"].as_str().expect("id").into());
    let token = body["token"].as_str().expect("token").to_owned();
    let offer = next_invitation(&mut kate).await;
    assert_eq!(offer.interaction.contact, "Mark[U+202E]nivA");
    assert_eq!(offer.interaction.subject.as_deref(), Some("Refund[U+200B]"));
    assert_eq!(
        offer
            .interaction
            .case_data
            .get("order[U+2066]")
            .map(String::as_str),
        Some("A-17[U+FEFF]")
    );
    kate.send(&ClientMsg::from(parley_protocol::act::Accept {
        invitation: offer.id,
    }))
    .await;
    // A message keeps the marks right-to-left writing needs.
    kate.expect_event(&ix, |k| message_text(k) == Some("שלום\u{200F}, my order"))
        .await;
    // A file's name: with a right-to-left override, `invoice…fdp.png` would read `invoicegnp.pdf`.
    let sent = upload(
        addr,
        &token,
        &ix,
        "invoice%E2%80%AEfdp.png",
        "image/png",
        PNG,
    )
    .await;
    assert_eq!(sent.status, 201);
    let file: serde_json::Value = serde_json::from_slice(&sent.body).expect("json");
    assert_eq!(file["file"]["name"], "invoice[U+202E]fdp.png");
}

/// Every agent id the contact's frames so far name.
fn agent_ids_seen(contact: &Client) -> Vec<String> {
    let mut ids = Vec::new();
    let mut note = |party: &parley_protocol::Party| {
        if let parley_protocol::Party::Agent { id, .. } = party {
            ids.push(id.as_str().to_owned());
        }
    };
    for msg in &contact.seen {
        match msg {
            ServerMsg::Events { events, .. } | ServerMsg::Older { events, .. } => {
                for e in events {
                    match &e.kind {
                        parley_protocol::EventKind::Joined { party }
                        | parley_protocol::EventKind::Left { party, .. }
                        | parley_protocol::EventKind::Message { from: party, .. } => note(party),
                        _ => {}
                    }
                }
            }
            ServerMsg::Typing { party, .. } => note(party),
            _ => {}
        }
    }
    ids
}

#[tokio::test]
async fn contacts_see_an_alias_per_chat_never_an_agents_login_id() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, mut contact, token) = chat_with(addr, &mut kate, "Mark Avram").await;
    kate.send(&ClientMsg::from(parley_protocol::act::Typing {
        interaction: ix.clone(),
        typing: true,
        preview: None,
        consultation: None,
    }))
    .await;
    contact
        .expect(|m| matches!(m, ServerMsg::Typing { .. }))
        .await;
    kate.send(&ClientMsg::from(parley_protocol::act::Send {
        interaction: ix.clone(),
        client_id: "k1".into(),
        text: "Hello Mark".into(),
        consultation: None,
    }))
    .await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some("Hello Mark"))
        .await;
    let seen = agent_ids_seen(&contact);
    assert!(seen.len() >= 3, "joined, typing and a message: {seen:?}");
    let alias = seen[0].clone();
    assert!(alias.starts_with("agent-") && alias != "kate", "{alias}");
    assert!(
        seen.iter().all(|id| *id == alias),
        "one agent, one name: {seen:?}"
    );

    // A reconnect reads the chat again under the same name.
    let mut again = Client::hello(addr, &token, vec![]).await;
    again
        .expect_event(&ix, |k| message_text(k) == Some("Hello Mark"))
        .await;
    let reread = agent_ids_seen(&again);
    assert!(
        !reread.is_empty() && reread.iter().all(|id| *id == alias),
        "{reread:?}"
    );

    // Another chat with the same agent: another name, so chats cannot be linked by it.
    let (other, mut second, _) = chat_with(addr, &mut kate, "Avril Mai").await;
    kate.send(&ClientMsg::from(parley_protocol::act::Send {
        interaction: other.clone(),
        client_id: "k2".into(),
        text: "Hello Avril".into(),
        consultation: None,
    }))
    .await;
    second
        .expect_event(&other, |k| message_text(k) == Some("Hello Avril"))
        .await;
    let theirs = agent_ids_seen(&second);
    assert!(
        !theirs.is_empty()
            && theirs
                .iter()
                .all(|id| id.starts_with("agent-") && *id != alias),
        "{theirs:?}"
    );
    // The agents' own frames still carry the login id.
    assert!(kate.seen.iter().any(|m| matches!(m,
        ServerMsg::Events { events, .. } if events.iter().any(|e| matches!(&e.kind,
            parley_protocol::EventKind::Message { from: parley_protocol::Party::Agent { id, .. }, .. } if id.as_str() == "kate")))));
}
