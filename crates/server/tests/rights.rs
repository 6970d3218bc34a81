//! Rights over real sockets: an agent deleted from a conference reads nothing newer on any path
//! (live, resume, `older`, history, files), and a contact's history holds only its own earlier,
//! finished chats.

mod common;

use common::*;
use parley_protocol::act;
use parley_protocol::{
    ClientMsg, ErrorCode, Event, EventKind, FileRef, HistoryScope, InteractionId, RequestKind,
    Resume, ServerMsg, Target,
};
use serde_json::json;
use std::time::Duration;

fn send(ix: &InteractionId, id: &str, text: &str) -> ClientMsg {
    ClientMsg::from(act::Send {
        interaction: ix.clone(),
        client_id: id.into(),
        text: text.into(),
        consultation: None,
    })
}

/// The contact posts a PNG into the chat.
async fn post_png(addr: std::net::SocketAddr, token: &str, ix: &InteractionId) -> FileRef {
    let reply = upload(addr, token, ix, "card.png", "image/png", PNG).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
    serde_json::from_value(body["file"].clone()).expect("file")
}

async fn download(addr: std::net::SocketAddr, token: &str, file: &FileRef) -> u16 {
    let auth = format!("Bearer {token}");
    request(addr, "GET", &file.url(), &[("Authorization", &auth)], b"")
        .await
        .status
}

/// Whether any of these events says `text` or carries `file`.
fn shows(events: &[Event], text: &str, file: &FileRef) -> bool {
    events.iter().any(|e| match &e.kind {
        EventKind::Message { text: t, .. } => t == text,
        EventKind::File { file: f, .. } => f.id == file.id,
        _ => false,
    })
}

/// Every frame that arrives within `wait`.
async fn drain(client: &mut Client, wait: Duration) -> Vec<ServerMsg> {
    let mut got = Vec::new();
    while let Some(m) = client.try_next(wait).await {
        got.push(m);
    }
    got
}

fn events_of(msgs: &[ServerMsg], ix: &InteractionId) -> Vec<Event> {
    msgs.iter()
        .flat_map(|m| match m {
            ServerMsg::Events {
                interaction,
                events,
            } if interaction == ix => events.clone(),
            ServerMsg::Older {
                interaction,
                events,
                ..
            } if interaction == ix => events.clone(),
            _ => Vec::new(),
        })
        .collect()
}

/// Ends `ix` and marks it done for `agent`, which then no longer has it open.
/// Sets an agent Not Ready and waits until the server has it, so no offer goes there.
async fn not_ready(agent: &mut Client) {
    let status = parley_protocol::AgentStatus::NotReady { reason: None };
    agent
        .send(&ClientMsg::from(act::SetStatus {
            status: status.clone(),
        }))
        .await;
    agent
        .expect(|m| matches!(m, ServerMsg::Status { status: s } if *s == status))
        .await;
}

#[tokio::test]
async fn an_agent_deleted_from_a_conference_reads_nothing_newer_on_any_path() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, mut contact, contact_token) = chat_with(addr, &mut kate, "Mark Avram").await;
    let john_token = login(addr, "john").await;
    let mut john = ready_agent_with(addr, &john_token).await;
    kate.send(&ClientMsg::from(act::Invite {
        interaction: ix.clone(),
        request: RequestKind::Conference,
        target: Target::Agent("john".into()),
    }))
    .await;
    let invitation = next_invitation(&mut john).await.id;
    john.send(&ClientMsg::from(act::Accept { invitation }))
        .await;
    john.expect_event(&ix, |k| message_text(k) == Some("Hello"))
        .await;
    not_ready(&mut john).await;

    // Before the removal John sees a file; after it, a message and a file he must not.
    let before = post_png(addr, &contact_token, &ix).await;
    john.expect_event(
        &ix,
        |k| matches!(k, EventKind::File { file, .. } if file.id == before.id),
    )
    .await;
    kate.send(&ClientMsg::from(act::Remove {
        interaction: ix.clone(),
        agent: "john".into(),
    }))
    .await;
    let removed_at = john
        .expect_event(
            &ix,
            |k| matches!(k, EventKind::Left { party, .. } if party.name() == "John"),
        )
        .await;
    contact.send(&send(&ix, "c-after", "my PIN is 4711")).await;
    kate.expect_event(&ix, |k| message_text(k) == Some("my PIN is 4711"))
        .await;
    let after = post_png(addr, &contact_token, &ix).await;
    kate.expect_event(
        &ix,
        |k| matches!(k, EventKind::File { file, .. } if file.id == after.id),
    )
    .await;

    // Live: nothing arrives.
    let live = drain(&mut john, Duration::from_millis(300)).await;
    assert!(
        !shows(&events_of(&live, &ix), "my PIN is 4711", &after),
        "{live:?}"
    );

    // Resume on a new connection's hello, from nothing and from where it stopped.
    for resume in [
        vec![],
        vec![Resume {
            interaction: ix.clone(),
            after: removed_at - 1,
        }],
    ] {
        let mut again = Client::hello(addr, &john_token, resume).await;
        again
            .expect(|m| matches!(m, ServerMsg::Opened { interaction } if interaction.id == ix))
            .await;
        let got = drain(&mut again, Duration::from_millis(300)).await;
        let events = events_of(&got, &ix);
        assert!(!shows(&events, "my PIN is 4711", &after), "{events:?}");
        assert!(events.iter().all(|e| e.seq <= removed_at), "{events:?}");
        again.close().await;
    }
    // What it saw before stays readable until its Mark Done.
    let mut again = Client::hello(addr, &john_token, vec![]).await;
    let opened = drain(&mut again, Duration::from_millis(300)).await;
    assert!(events_of(&opened, &ix).iter().any(|e| e.seq == removed_at));

    // `older`, however far it asks.
    again
        .send(&ClientMsg::Older {
            interaction: ix.clone(),
            before: u64::MAX,
            limit: 1000,
        })
        .await;
    let older = again.expect(|m| matches!(m, ServerMsg::Older { .. })).await;
    let older = events_of(&[older], &ix);
    assert!(shows(&older, "Hello", &before), "earlier events still come");
    assert!(!shows(&older, "my PIN is 4711", &after), "{older:?}");

    // Files: the one from before, yes; the later one, no.
    assert_eq!(download(addr, &john_token, &before).await, 200);
    assert_eq!(download(addr, &john_token, &after).await, 403);

    // Rejoining is refused (asynchronous chat is off in the demo, and he was removed anyway).
    again
        .send(&ClientMsg::from(act::Rejoin {
            interaction: ix.clone(),
        }))
        .await;
    again.expect_error(ErrorCode::Forbidden).await;

    // History: a later chat of the same contact is not his to see through this one.
    let (later, _later_contact, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    finish(&mut kate, &later).await;
    again
        .send(&ClientMsg::History {
            scope: HistoryScope::Contact {
                interaction: ix.clone(),
            },
        })
        .await;
    let ServerMsg::History { entries, .. } = again
        .expect(|m| matches!(m, ServerMsg::History { .. }))
        .await
    else {
        unreachable!()
    };
    assert!(entries.iter().all(|e| e.id != later), "{entries:?}");

    // After his Mark Done the later file stays out of reach.
    again
        .send(&ClientMsg::from(act::Done {
            interaction: ix.clone(),
            disposition: Some("Resolved".into()),
            note: None,
        }))
        .await;
    again
        .expect(|m| matches!(m, ServerMsg::Closed { interaction } if interaction == &ix))
        .await;
    assert_eq!(download(addr, &john_token, &after).await, 403);
    assert_eq!(download(addr, &john_token, &before).await, 200);
}

#[tokio::test]
async fn a_contact_typing_anothers_email_sees_none_of_that_contacts_chats() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;
    // Mark's chat, live with Kate.
    let (marks, _mark, _) = chat_with(addr, &mut kate, "Mark Avram").await;

    // Someone else gives Mark's e-mail and reaches John.
    let mut john = ready_agent(addr, "john").await;
    not_ready(&mut kate).await;
    let (status, body) = post(
        addr,
        "/api/chats",
        json!({"name": "Eve", "text": "Hi", "email": "Mark.Avram@example.com"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let eves = InteractionId(body["interaction"].as_str().expect("id").into());
    let invitation = next_invitation(&mut john).await;
    assert_eq!(invitation.interaction.id, eves);
    john.send(&ClientMsg::from(act::Accept {
        invitation: invitation.id,
    }))
    .await;
    john.expect(|m| matches!(m, ServerMsg::Opened { interaction } if interaction.id == eves))
        .await;
    not_ready(&mut john).await;

    // However far the desktop asks, Mark's live chat is not an earlier chat of Eve's.
    john.send(&ClientMsg::Earlier {
        interaction: eves.clone(),
        before: i64::MAX,
    })
    .await;
    john.expect(|m| matches!(m, ServerMsg::Earlier { chat: None, .. }))
        .await;
    john.send(&ClientMsg::History {
        scope: HistoryScope::Contact {
            interaction: eves.clone(),
        },
    })
    .await;
    john.expect(|m| matches!(m, ServerMsg::History { entries, .. } if entries.is_empty()))
        .await;

    // Once Mark's chat is over, it is history, for a chat that started after it only.
    finish(&mut kate, &marks).await;
    kate.send(&ClientMsg::from(act::SetStatus {
        status: parley_protocol::AgentStatus::Ready,
    }))
    .await;
    let (third, _c, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    kate.send(&ClientMsg::History {
        scope: HistoryScope::Contact {
            interaction: third.clone(),
        },
    })
    .await;
    let ServerMsg::History { entries, .. } = kate
        .expect(|m| matches!(m, ServerMsg::History { .. }))
        .await
    else {
        unreachable!()
    };
    let ids: Vec<&InteractionId> = entries.iter().map(|e| &e.id).collect();
    assert_eq!(
        ids,
        [&marks],
        "closed and earlier only: Eve's open chat is not listed"
    );
    // A typed e-mail address links nothing: even finished, Mark's chat is never an earlier chat
    // of whoever types his address (only an identity his site signed links his chats).
    john.send(&ClientMsg::Earlier {
        interaction: eves,
        before: i64::MAX,
    })
    .await;
    john.expect(|m| matches!(m, ServerMsg::Earlier { chat: None, .. }))
        .await;
}

#[tokio::test]
async fn contact_history_reaches_back_only_as_far_as_the_history_limit() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| c.chat.history_days = 0).await;
    let mut kate = ready_agent(addr, "kate").await;
    let (first, _c1, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    finish(&mut kate, &first).await;
    let (second, _c2, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    kate.send(&ClientMsg::History {
        scope: HistoryScope::Contact {
            interaction: second,
        },
    })
    .await;
    kate.expect(|m| matches!(m, ServerMsg::History { entries, .. } if entries.is_empty()))
        .await;
}
