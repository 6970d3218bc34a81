//! Durability: the real binary is killed with SIGKILL and started again on the same database.

mod common;

use common::*;
use parley_protocol::act;
use parley_protocol::{AgentStatus, ClientMsg, EventKind, Resume, ServerMsg};
use sqlx::Row;

#[tokio::test]
async fn a_killed_server_keeps_finished_and_live_chats_and_clients_resume() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("parley.db");
    let (mut server, addr) = launch_server(&db).await;

    let token = login(addr, "kate").await;
    let mut kate = Client::hello(addr, &token, vec![]).await;
    kate.send(&ClientMsg::from(act::SetStatus {
        status: AgentStatus::Ready,
    }))
    .await;

    // One chat finished before the crash...
    let (done_ix, _) = start_chat(addr, "Mark Avram", "first chat").await;
    let accept = |m: &ServerMsg| matches!(m, ServerMsg::Invitation { .. });
    let ServerMsg::Invitation { invitation } = kate.expect(accept).await else {
        unreachable!()
    };
    kate.send(&ClientMsg::from(act::Accept {
        invitation: invitation.id,
    }))
    .await;
    kate.send(&ClientMsg::from(act::Send {
        interaction: done_ix.clone(),
        client_id: "k1".into(),
        text: "Solved!".into(),
        consultation: None,
    }))
    .await;
    kate.send(&ClientMsg::from(act::End {
        interaction: done_ix.clone(),
    }))
    .await;
    kate.send(&ClientMsg::from(act::Done {
        interaction: done_ix.clone(),
        disposition: Some("Resolved".into()),
        note: Some("ok".into()),
    }))
    .await;
    kate.expect(|m| matches!(m, ServerMsg::Closed { .. })).await;

    // ...and one still going.
    let (live_ix, contact_token) = start_chat(addr, "Avril Mai", "second chat").await;
    let ServerMsg::Invitation { invitation } = kate.expect(accept).await else {
        unreachable!()
    };
    kate.send(&ClientMsg::from(act::Accept {
        invitation: invitation.id,
    }))
    .await;
    let mut contact = Client::hello(addr, &contact_token, vec![]).await;
    contact
        .send(&ClientMsg::from(act::Send {
            interaction: live_ix.clone(),
            client_id: "c1".into(),
            text: "before the crash".into(),
            consultation: None,
        }))
        .await;
    contact.expect(|m| matches!(m, ServerMsg::Ack { .. })).await;
    let last_seen = kate
        .expect_event(&live_ix, |k| message_text(k) == Some("before the crash"))
        .await;

    server.kill().await.expect("SIGKILL");
    let (_server, addr) = launch_server(&db).await;

    // The finished chat and its transcript are in the database.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("db");
    let closed: i64 = sqlx::query("SELECT closed FROM interactions WHERE id = ?")
        .bind(done_ix.as_str())
        .fetch_one(&pool)
        .await
        .expect("row")
        .get(0);
    assert_eq!(closed, 1);
    let texts: Vec<String> =
        sqlx::query("SELECT body FROM events WHERE interaction = ? ORDER BY seq")
            .bind(done_ix.as_str())
            .fetch_all(&pool)
            .await
            .expect("rows")
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect();
    assert!(texts.iter().any(|b| b.contains("Solved!")), "{texts:?}");
    assert!(texts.iter().any(|b| b.contains("\"done\"")), "{texts:?}");

    // The agent's session and the live chat survive; the agent resumes exactly after what it saw.
    let mut kate = Client::hello(
        addr,
        &token,
        vec![Resume {
            interaction: live_ix.clone(),
            after: last_seen,
        }],
    )
    .await;
    kate.expect(|m| matches!(m, ServerMsg::Opened { interaction } if interaction.id == live_ix))
        .await;
    let mut contact = Client::hello(
        addr,
        &contact_token,
        vec![Resume {
            interaction: live_ix.clone(),
            after: 0,
        }],
    )
    .await;
    contact
        .expect_event(&live_ix, |k| message_text(k) == Some("before the crash"))
        .await;
    // A retry of the message sent before the crash is not stored twice.
    contact
        .send(&ClientMsg::from(act::Send {
            interaction: live_ix.clone(),
            client_id: "c1".into(),
            text: "before the crash".into(),
            consultation: None,
        }))
        .await;
    contact
        .expect(|m| matches!(m, ServerMsg::Ack { seq, .. } if *seq == last_seen))
        .await;
    contact
        .send(&ClientMsg::from(act::Send {
            interaction: live_ix.clone(),
            client_id: "c2".into(),
            text: "after the restart".into(),
            consultation: None,
        }))
        .await;
    kate.expect_event(&live_ix, |k| message_text(k) == Some("after the restart"))
        .await;
    let after: Vec<_> = kate.events(&live_ix).iter().map(|e| e.seq).collect();
    assert!(
        after.iter().all(|s| *s > last_seen),
        "nothing already seen is sent again: {after:?}"
    );
    assert!(!kate
        .events(&live_ix)
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Message { text, .. } if text == "before the crash")));
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly_with_agents_and_contacts_connected() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("parley.db");
    let (mut server, addr) = launch_server(&db).await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, mut contact, contact_token) = chat_with(addr, &mut kate, "Mark Avram").await;
    contact
        .send(&ClientMsg::from(act::Send {
            interaction: ix.clone(),
            client_id: "c1".into(),
            text: "just before the stop".into(),
            consultation: None,
        }))
        .await;
    let seq = ack_of(&mut contact, "c1").await;

    let pid = server.id().expect("running");
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let status = tokio::time::timeout(WAIT, server.wait())
        .await
        .expect("stops in time, connections open or not")
        .expect("exit status");
    assert!(status.success(), "a clean exit: {status:?}");

    // What was acknowledged is there when it starts again.
    let (_server, addr) = launch_server(&db).await;
    let mut contact = Client::hello(
        addr,
        &contact_token,
        vec![Resume {
            interaction: ix.clone(),
            after: seq - 1,
        }],
    )
    .await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some("just before the stop"))
        .await;
}

#[tokio::test]
async fn an_agent_ready_before_a_restart_is_ready_after_it_and_is_offered_chats() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("p.db");
    let (mut server, addr) = launch_server(&db).await;
    let token = login(addr, "kate").await;
    let kate = ready_agent_with(addr, &token).await;
    drop(kate);
    server.start_kill().expect("killed");
    let _ = server.wait().await;

    let (_server, addr) = launch_server(&db).await;
    // She reconnects and says nothing about her status: she is still Ready.
    let mut kate = Client::hello(addr, &token, vec![]).await;
    let me = kate.seen.iter().find_map(|m| match m {
        ServerMsg::Welcome { me, .. } => Some(me.clone()),
        _ => None,
    });
    assert!(
        matches!(
            me,
            Some(parley_protocol::Identity::Agent {
                status: AgentStatus::Ready,
                ..
            })
        ),
        "{me:?}"
    );
    let (ix, _token) = start_chat(addr, "Ana Pop", "Hello").await;
    let offer = next_invitation(&mut kate).await;
    assert_eq!(offer.interaction.id, ix);
}

#[tokio::test]
async fn an_offer_out_at_a_kill_is_the_same_offer_after_the_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("p.db");
    let (mut server, addr) = launch_server(&db).await;
    let token = login(addr, "kate").await;
    let mut kate = ready_agent_with(addr, &token).await;
    let (ix, _token) = start_chat(addr, "Ana Pop", "Hello").await;
    let offer = next_invitation(&mut kate).await;
    drop(kate);
    server.start_kill().expect("killed");
    let _ = server.wait().await;

    let (_server, addr) = launch_server(&db).await;
    // Kate is shown the same offer, under the same id, ending when it would have ended.
    let mut kate = Client::hello(addr, &token, vec![]).await;
    let again = next_invitation(&mut kate).await;
    assert_eq!(again, offer);
    kate.send(&ClientMsg::from(act::Accept {
        invitation: again.id,
    }))
    .await;
    let opened = kate.expect(|m| matches!(m, ServerMsg::Opened { .. })).await;
    assert!(matches!(opened, ServerMsg::Opened { interaction } if interaction.id == ix));
}
