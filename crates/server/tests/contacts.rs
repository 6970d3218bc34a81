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
