//! A rolling upgrade: a node of the previous release (built from the git history by `cargo
//! xtask test`) writes, a node of this release joins it on the same PostgreSQL and Redis, the old
//! node is stopped, and the chat goes on through the new one with apps of the previous release.

mod common;
#[path = "cluster/harness.rs"]
mod harness;

use common::*;
use harness::*;
use parley_protocol::act;
use parley_protocol::{AgentStatus, ClientMsg, Identity, ServerMsg};
use std::time::{Duration, Instant};

#[tokio::test]
async fn an_old_and_a_new_node_side_by_side_lose_nothing() {
    let cluster = Cluster::new("upgrade").await;
    let mut old = cluster.previous_node("node-old").await;
    until_writer(&cluster, &old.name).await;
    until_ready(&old).await;

    // A chat on the old node, with apps that speak its protocol.
    let (ix, token) = first_chat(old.addr, "Ana Pop").await;
    let kate_token = login(old.addr, "kate").await;
    let mut kate = Client::hello_v3(old.addr, &kate_token, vec![]).await;
    kate.send(&ClientMsg::from(act::SetStatus {
        status: AgentStatus::Ready,
    }))
    .await;
    let invitation = next_invitation(&mut kate).await;
    kate.send(&ClientMsg::from(act::Accept {
        invitation: invitation.id,
    }))
    .await;
    let mut contact = Client::hello_v3(old.addr, &token, vec![]).await;
    say(&mut contact, &ix, "old", 0..3).await;
    kate.expect_event(&ix, |k| message_text(k) == Some("old 2"))
        .await;

    // The new node migrates the database under the old one, which goes on writing; the new one
    // is not ready while a node it cannot talk to writes.
    let new = cluster.node("node-new").await;
    let migrations = applied_migrations(&cluster).await;
    assert!(
        migrations.contains(&4),
        "the new node migrated: {migrations:?}"
    );
    say(&mut contact, &ix, "during", 0..3).await;
    kate.expect_event(&ix, |k| message_text(k) == Some("during 2"))
        .await;
    assert_eq!(get(new.addr, "/readyz").await.0, 503);
    assert_eq!(cluster.writer().await, old.name);

    // The old node is stopped, as an upgrade stops it: its clients are told to reconnect, and
    // the new node takes the lease, restores the chat and serves them.
    let seen_by_kate = kate.events(&ix);
    let seen_by_contact = contact.events(&ix);
    let pid = old.child.id().expect("running");
    let term = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(term.success());
    // The previous release sometimes drops its sockets as it stops without the close frame
    // (1 run in 4 with four runs at once); the apps reconnect the same way after either.
    let closed = contact.closed_with().await;
    assert!(
        matches!(closed, None | Some(parley_server::gateway::SERVICE_RESTART)),
        "{closed:?}"
    );
    let exited = tokio::time::timeout(TAKE_OVER, old.child.wait())
        .await
        .expect("the old node stops")
        .expect("exit status");
    assert!(exited.success(), "{exited:?}");
    drop(kate);
    until_writer(&cluster, &new.name).await;
    until_ready(&new).await;

    let mut kate = Client::hello_v3(new.addr, &kate_token, resume_after(&ix, &seen_by_kate)).await;
    let status = kate.seen.iter().find_map(|m| match m {
        ServerMsg::Welcome {
            me: Identity::Agent { status, .. },
            ..
        } => Some(status.clone()),
        _ => None,
    });
    assert_eq!(status, Some(AgentStatus::Ready), "still Ready");
    let mut contact = Client::hello_v3(new.addr, &token, resume_after(&ix, &seen_by_contact)).await;
    // The last message sent again, as an app resends what it is not sure of: stored once.
    contact.send(&send(&ix, "during-2", "during 2", None)).await;
    say(&mut contact, &ix, "new", 0..3).await;
    kate.expect_event(&ix, |k| message_text(k) == Some("new 2"))
        .await;
    kate.send(&send(&ix, "k-1", "served by the new node", None))
        .await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some("served by the new node"))
        .await;

    let mut all_kate = seen_by_kate;
    all_kate.extend(kate.events(&ix));
    let mut all_contact = seen_by_contact;
    all_contact.extend(contact.events(&ix));
    assert_contiguous(&all_kate, "kate");
    assert_contiguous(&all_contact, "the contact");
    let expected: Vec<String> = ["old", "during", "new"]
        .iter()
        .flat_map(|stage| (0..3).map(move |n| format!("{stage} {n}")))
        .collect();
    let said: Vec<String> = texts(&all_kate)
        .into_iter()
        .filter(|t| expected.contains(t))
        .collect();
    assert_eq!(said, expected, "every message once, in order");
}

/// The contact sends `{stage} {n}` for each n, each acknowledged before the next.
async fn say(
    contact: &mut Client,
    ix: &parley_protocol::InteractionId,
    stage: &str,
    ns: std::ops::Range<u32>,
) {
    for n in ns {
        let text = format!("{stage} {n}");
        contact
            .send(&send(ix, &format!("{stage}-{n}"), &text, None))
            .await;
        contact.expect(|m| matches!(m, ServerMsg::Ack { .. })).await;
    }
}

async fn until_writer(cluster: &Cluster, node: &str) {
    let started = Instant::now();
    while cluster.writer().await != node {
        assert!(started.elapsed() < TAKE_OVER, "{node} never took the lease");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn applied_migrations(cluster: &Cluster) -> Vec<i64> {
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(&cluster.database_url)
        .await
        .expect("database");
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut db)
        .await
        .expect("migrations")
}
