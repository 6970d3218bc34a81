//! Two Parley nodes as separate processes on one PostgreSQL and one Redis (started by
//! `cargo xtask test`): a chat whose contact is on one node and whose agents are on the other,
//! and the writer node killed in the middle of it.

mod common;
#[path = "cluster/harness.rs"]
mod harness;

use common::*;
use harness::*;
use parley_protocol::act;
use parley_protocol::{ClientMsg, EventKind, Party, RequestKind, ServerMsg};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_chat_runs_across_nodes_with_consultation_transfer_and_conference() {
    let cluster = Cluster::new("across").await;
    let a = cluster.node("node-a").await;
    let b = cluster.node("node-b").await;
    let (ix, token) = first_chat(a.addr, "Mark Avram").await;
    // The writer told every client to join it afresh when it took over: connect after that.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut contact = Client::hello(a.addr, &token, vec![]).await;
    let mut kate = ready_agent(b.addr, "kate").await;
    let invitation = next_invitation(&mut kate).await;
    kate.send(&ClientMsg::from(act::Accept {
        invitation: invitation.id,
    }))
    .await;
    kate.expect(|m| matches!(m, ServerMsg::Opened { interaction } if interaction.id == ix))
        .await;
    kate.expect_event(&ix, |k| message_text(k) == Some("Hello"))
        .await;
    contact
        .send(&send(&ix, "c1", "my card is refused", None))
        .await;
    kate.expect_event(&ix, |k| message_text(k) == Some("my card is refused"))
        .await;
    kate.send(&send(&ix, "k1", "let me check", None)).await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some("let me check"))
        .await;

    // John, on the contact's node, is consulted, then takes the chat over.
    let mut john = ready_agent(a.addr, "john").await;
    kate.send(&ClientMsg::from(act::Invite {
        interaction: ix.clone(),
        request: RequestKind::Consultation,
        target: parley_protocol::Target::Agent("john".into()),
    }))
    .await;
    let consult = next_invitation(&mut john).await.id;
    john.send(&ClientMsg::from(act::Accept {
        invitation: consult,
    }))
    .await;
    let cid = consultation_id(&mut kate, &ix).await;
    kate.send(&send(&ix, "k2", "psst: known fraud?", Some(&cid)))
        .await;
    john.expect_event(&ix, |k| message_text(k) == Some("psst: known fraud?"))
        .await;
    kate.send(&ClientMsg::from(act::Invite {
        interaction: ix.clone(),
        request: RequestKind::Transfer,
        target: parley_protocol::Target::Agent("john".into()),
    }))
    .await;
    // A transfer to the agent consulted takes effect at once: John owns the chat.
    kate.expect(|m| matches!(m, ServerMsg::Closed { interaction } if *interaction == ix))
        .await;
    john.send(&send(&ix, "j1", "I am John, I take it from here", None))
        .await;
    contact
        .expect_event(&ix, |k| {
            message_text(k) == Some("I am John, I take it from here")
        })
        .await;

    // John, on the contact's node, brings Avril in from the other node for a conference, then
    // takes her out of it.
    let mut avril = ready_agent(b.addr, "avril").await;
    john.send(&ClientMsg::from(act::Invite {
        interaction: ix.clone(),
        request: RequestKind::Conference,
        target: parley_protocol::Target::Agent("avril".into()),
    }))
    .await;
    let conference = next_invitation(&mut avril).await.id;
    avril
        .send(&ClientMsg::from(act::Accept {
            invitation: conference,
        }))
        .await;
    // She reads the conversation so far, not the consultation she was not in.
    avril
        .expect_event(&ix, |k| {
            message_text(k) == Some("I am John, I take it from here")
        })
        .await;
    assert!(!texts(&avril.events(&ix)).contains(&"psst: known fraud?".to_owned()));
    avril
        .send(&send(&ix, "a1", "Avril, from billing", None))
        .await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some("Avril, from billing"))
        .await;
    john.expect_event(&ix, |k| message_text(k) == Some("Avril, from billing"))
        .await;
    john.send(&ClientMsg::from(act::Remove {
        interaction: ix.clone(),
        agent: "avril".into(),
    }))
    .await;
    avril
        .expect_event(
            &ix,
            |k| matches!(k, EventKind::Left { party: Party::Agent { id, .. }, .. } if id.as_str() == "avril"),
        )
        .await;
    john.send(&send(&ix, "j2", "thanks, Avril", None)).await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some("thanks, Avril"))
        .await;
    while avril.try_next(Duration::from_millis(300)).await.is_some() {}
    assert!(
        !texts(&avril.events(&ix)).contains(&"thanks, Avril".to_owned()),
        "out of the conference, out of the conversation"
    );

    let seen = contact.events(&ix);
    assert!(
        !seen.iter().any(|e| matches!(
            &e.kind,
            EventKind::Message {
                consultation: Some(_),
                ..
            }
        )),
        "the contact saw nothing of the consultation"
    );
    // Exactly what it may see of what was stored: each once, in order, none missing.
    let store = parley_server::store::PgStore::open(&cluster.database_url, 2)
        .await
        .expect("database");
    let stored = parley_server::store::EventLog::events_after(&store, &ix, 0)
        .await
        .expect("events");
    let visible: Vec<u64> = stored
        .iter()
        .filter(|e| e.audience.includes_contact())
        .map(|e| e.seq)
        .collect();
    let got: Vec<u64> = seen.iter().map(|e| e.seq).collect();
    assert_eq!(got, visible[..got.len()], "the contact's events");
    drop((a, b));
}

#[tokio::test]
async fn the_writer_killed_mid_chat_loses_nothing() {
    let cluster = Cluster::new("failover").await;
    let a = cluster.node("node-a").await;
    let b = cluster.node("node-b").await;
    let (ix, token) = first_chat(a.addr, "Ana Pop").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let writer = cluster.writer().await;
    let (mut dead, alive) = if writer == a.name { (a, b) } else { (b, a) };
    // The contact and the agent are both on the node that survives, so their sockets see the
    // writer's death only as its replacement's restart.
    let mut contact = Client::hello(alive.addr, &token, vec![]).await;
    let kate_token = login(alive.addr, "kate").await;
    let mut kate = ready_agent_with(alive.addr, &kate_token).await;
    let invitation = next_invitation(&mut kate).await;
    kate.send(&ClientMsg::from(act::Accept {
        invitation: invitation.id,
    }))
    .await;
    kate.expect_event(&ix, |k| message_text(k) == Some("Hello"))
        .await;
    for n in 0..5 {
        contact
            .send(&send(&ix, &format!("c{n}"), &format!("before {n}"), None))
            .await;
    }
    kate.expect_event(&ix, |k| message_text(k) == Some("before 4"))
        .await;
    // A second chat is offered to Kate and not yet answered when the writer dies.
    let (second, _) = first_chat(alive.addr, "Bo Li").await;
    let offer = next_invitation(&mut kate).await;
    assert_eq!(offer.interaction.id, second);

    // kill -9 of the writer.
    let killed = Instant::now();
    dead.child.start_kill().expect("killed");
    let _ = dead.child.wait().await;

    // The survivor takes the lease once it has run out, and makes every client join it again.
    let contact_resume = resume_after(&ix, &contact.events(&ix));
    let kate_resume = resume_after(&ix, &kate.events(&ix));
    let seen_by_contact = contact.events(&ix);
    let seen_by_kate = kate.events(&ix);
    drop((contact, kate));
    let mut contact = loop {
        assert!(killed.elapsed() < TAKE_OVER, "no writer took over");
        tokio::time::sleep(Duration::from_millis(300)).await;
        if cluster.writer().await == alive.name {
            break Client::hello(alive.addr, &token, contact_resume.clone()).await;
        }
    };
    let mut kate = Client::hello(alive.addr, &kate_token, kate_resume).await;
    // The new writer restored her status: still Ready, with nothing clicked.
    let status = kate.seen.iter().find_map(|m| match m {
        ServerMsg::Welcome {
            me: parley_protocol::Identity::Agent { status, .. },
            ..
        } => Some(status.clone()),
        _ => None,
    });
    assert_eq!(status, Some(parley_protocol::AgentStatus::Ready));
    // The offer out at the kill is still hers: the same id, ending when it would have ended.
    assert_eq!(next_invitation(&mut kate).await, offer);
    kate.send(&ClientMsg::from(act::Accept {
        invitation: offer.id,
    }))
    .await;
    kate.expect(|m| matches!(m, ServerMsg::Opened { interaction } if interaction.id == second))
        .await;
    // Retried, as the apps retry what was not acknowledged: stored once.
    contact.send(&send(&ix, "c4", "before 4", None)).await;
    for n in 5..10 {
        contact
            .send(&send(&ix, &format!("c{n}"), &format!("after {n}"), None))
            .await;
    }
    kate.expect_event(&ix, |k| message_text(k) == Some("after 9"))
        .await;
    kate.send(&send(&ix, "k1", "still here", None)).await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some("still here"))
        .await;

    let mut all_kate = seen_by_kate;
    all_kate.extend(kate.events(&ix));
    let mut all_contact = seen_by_contact;
    all_contact.extend(contact.events(&ix));
    assert_contiguous(&all_kate, "kate");
    assert_contiguous(&all_contact, "the contact");
    let expected: Vec<String> = (0..5)
        .map(|n| format!("before {n}"))
        .chain((5..10).map(|n| format!("after {n}")))
        .collect();
    let kate_texts: Vec<String> = texts(&all_kate)
        .into_iter()
        .filter(|t| t.starts_with("before") || t.starts_with("after"))
        .collect();
    assert_eq!(kate_texts, expected, "every message once, in order");
    drop(alive);
}

#[tokio::test]
async fn a_node_is_ready_only_while_a_writer_answers() {
    use sqlx::Connection;
    let cluster = Cluster::new("ready").await;
    // Another node holds the lease, and will not let go for a while.
    let _schema = parley_server::store::PgStore::open(&cluster.database_url, 2)
        .await
        .expect("the schema");
    let mut db = sqlx::PgConnection::connect(&cluster.database_url)
        .await
        .expect("database");
    sqlx::query(
        "INSERT INTO writer_lease (id, holder, epoch, expires_at)
         VALUES (1, 'elsewhere', 7, now() + interval '1 hour')",
    )
    .execute(&mut db)
    .await
    .expect("a lease held elsewhere");
    let a = cluster.node("node-a").await;
    assert_eq!(get(a.addr, "/healthz").await.0, 200, "the process lives");
    let (status, body) = get(a.addr, "/readyz").await;
    assert_eq!((status, body.as_str()), (503, "no writer answers"));
    // The other holder hands it back: this node takes it and is ready.
    sqlx::query("UPDATE writer_lease SET expires_at = now()")
        .execute(&mut db)
        .await
        .expect("handed back");
    let started = Instant::now();
    while get(a.addr, "/readyz").await.0 != 200 {
        assert!(started.elapsed() < TAKE_OVER, "never ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(cluster.writer().await, "node-a");
}

#[tokio::test]
async fn a_node_stopped_gracefully_hands_the_lease_back_and_sends_its_clients_elsewhere() {
    let cluster = Cluster::new("graceful").await;
    let a = cluster.node("node-a").await;
    let b = cluster.node("node-b").await;
    let (ix, token) = first_chat(a.addr, "Ana Pop").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let writer = cluster.writer().await;
    let (mut stopping, other) = if writer == a.name { (a, b) } else { (b, a) };
    let mut contact = Client::hello(stopping.addr, &token, vec![]).await;
    let pid = stopping.child.id().expect("running");
    let term = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(term.success());
    assert_eq!(
        contact.closed_with().await,
        Some(parley_server::gateway::SERVICE_RESTART),
        "told to reconnect elsewhere"
    );
    let exited = tokio::time::timeout(TAKE_OVER, stopping.child.wait())
        .await
        .expect("it stops with a client connected")
        .expect("exit status");
    assert!(exited.success(), "{exited:?}");
    // Handed back, not left to run out: free at once, or already taken by the other node.
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(&cluster.database_url)
        .await
        .expect("database");
    let (holder, free): (String, bool) =
        sqlx::query_as("SELECT holder, expires_at <= now() FROM writer_lease")
            .fetch_one(&mut db)
            .await
            .expect("the lease");
    assert!(
        free || holder == other.name,
        "{holder} holds it, free: {free}"
    );
    // The contact comes back through the other node, once it writes, and carries on.
    let started = Instant::now();
    while cluster.writer().await != other.name {
        assert!(
            started.elapsed() < TAKE_OVER,
            "the other node never took over"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut contact = Client::hello(other.addr, &token, vec![]).await;
    contact.send(&send(&ix, "c1", "back", None)).await;
    contact.expect(|m| matches!(m, ServerMsg::Ack { .. })).await;
}

/// `parley-server migrate-to-postgres` from this SQLite file into this database.
fn migrate(db: &std::path::Path, to: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_parley-server"))
        .arg("--config")
        .arg(demo_config_path())
        .arg("--db")
        .arg(db)
        .args(["migrate-to-postgres", "--to", to])
        .output()
        .expect("runs")
}

#[tokio::test]
async fn a_single_server_moves_to_postgres_with_one_command_and_its_chats_go_on() {
    let cluster = Cluster::new("moved").await;
    // A single server on SQLite, with a chat in progress.
    let mut single = cluster.server("single", false, None).await;
    let (ix, contact_token) = start_chat(single.addr, "Ana Pop", "Hello").await;
    let kate_token = login(single.addr, "kate").await;
    let mut kate = ready_agent_with(single.addr, &kate_token).await;
    let invitation = next_invitation(&mut kate).await;
    kate.send(&ClientMsg::from(act::Accept {
        invitation: invitation.id,
    }))
    .await;
    kate.send(&send(&ix, "k1", "how can I help?", None)).await;
    kate.expect(|m| matches!(m, ServerMsg::Ack { .. })).await;
    let before = kate.events(&ix).iter().map(|e| e.seq).max().unwrap_or(0);
    drop(kate);
    single.child.start_kill().expect("stopped");
    let _ = single.child.wait().await;

    // One command copies it all.
    let db = cluster.dir.path().join("shared.db");
    let out = migrate(&db, &cluster.database_url);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("copied 1 chats"), "{said}");

    // A node on PostgreSQL takes over: the same sign-in, the same chat, the next seq.
    let a = cluster.node("node-a").await;
    let _ = first_chat(a.addr, "Bo Lind").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut kate = Client::hello(a.addr, &kate_token, vec![]).await;
    kate.expect_event(&ix, |k| message_text(k) == Some("how can I help?"))
        .await;
    let mut contact = Client::hello(a.addr, &contact_token, vec![]).await;
    contact.send(&send(&ix, "c1", "my card", None)).await;
    let seq = kate
        .expect_event(&ix, |k| message_text(k) == Some("my card"))
        .await;
    assert_eq!(seq, before + 1, "numbering goes on where SQLite left it");
    // A copy into a database that has chats is refused.
    let again = migrate(&db, &cluster.database_url);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has"));
}

#[tokio::test]
async fn a_node_shows_its_metrics_on_a_listener_of_its_own() {
    let cluster = Cluster::new("metrics").await;
    let metrics: SocketAddr = {
        let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        free.local_addr().expect("addr")
    };
    let a = cluster.server("node-a", true, Some(metrics)).await;
    let (ix, token) = first_chat(a.addr, "Ana Pop").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut contact = Client::hello(a.addr, &token, vec![]).await;
    contact.send(&send(&ix, "c1", "hello", None)).await;
    contact.expect(|m| matches!(m, ServerMsg::Ack { .. })).await;
    let (status, text) = get(metrics, "/metrics").await;
    assert_eq!(status, 200);
    for line in [
        "parley_connections{kind=\"contact\"} 1",
        "parley_writer_epoch 1",
        "parley_queue_waiting{queue=\"general\"} 1",
        "parley_commit_seconds_count",
        "parley_commands_total",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    // Not on the public address.
    assert_eq!(get(a.addr, "/metrics").await.0, 404);
}

/// Whether `msg` shows the agent `id` with a desktop open (`None`: it does not name them).
fn online(msg: &ServerMsg, id: &str) -> Option<bool> {
    match msg {
        ServerMsg::Presence { agents } => agents.iter().find(|a| a.id.0 == id).map(|a| a.online),
        _ => None,
    }
}

#[tokio::test]
async fn an_agent_on_a_node_that_dies_goes_offline_and_comes_back_through_another() {
    let cluster = Cluster::new("node_death").await;
    let a = cluster.node("node-a").await;
    let b = cluster.node("node-b").await;
    let started = Instant::now();
    while cluster.writer().await.is_empty() {
        assert!(started.elapsed() < TAKE_OVER, "no node took the lease");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (writer, mut doomed) = if cluster.writer().await == a.name {
        (a, b)
    } else {
        (b, a)
    };
    let mut john = ready_agent(writer.addr, "john").await;
    let kate_token = login(doomed.addr, "kate").await;
    let _kate = ready_agent_with(doomed.addr, &kate_token).await;
    john.expect(|m| online(m, "kate") == Some(true)).await;

    // Kate's node dies; the writer lives on, and hears nothing of her socket.
    doomed.child.start_kill().expect("killed");
    let _ = doomed.child.wait().await;
    let killed = Instant::now();
    john.expect(|m| online(m, "kate") == Some(false)).await;
    let after = killed.elapsed();
    assert!(
        after <= Duration::from_secs(9),
        "offline once her node's heartbeat was missing 3 s, not later: {after:?}"
    );

    // Through the node that lives, she is one agent again.
    let _kate = Client::hello(writer.addr, &kate_token, vec![]).await;
    john.expect(|m| online(m, "kate") == Some(true)).await;
}

#[tokio::test]
async fn a_host_system_calls_the_api_through_either_node() {
    let cluster = Cluster::new("api").await;
    let (key, hash) = parley_server::api::keys::new_key();
    let keys = format!(
        "[[api_keys]]\nname = \"crm\"\nkey_hashes = [\"{hash}\"]\n\
         scopes = [\"chats.write\", \"chats.read\", \"agents.read\"]\n"
    );
    let a = cluster.node_with("node-a", &keys).await;
    let b = cluster.node_with("node-b", &keys).await;
    until_ready(&a).await;
    until_ready(&b).await;
    let writer = cluster.writer().await;
    let (writer, other) = if writer == a.name { (&a, &b) } else { (&b, &a) };
    let auth = format!("Bearer {key}");
    let headers = [("Authorization", auth.as_str())];
    // Kate is on the writer; the host calls the other node, which asks the writer.
    let _kate = ready_agent(writer.addr, "kate").await;
    let start = serde_json::json!({"name": "Ana Pop", "text": "Hello"});
    let (status, body) = http(other.addr, "POST", "/api/v1/chats", &headers, Some(&start)).await;
    assert_eq!(status, 201, "{body}");
    let session: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let ix = session["interaction"].as_str().expect("id").to_owned();
    let value = serde_json::json!({"key": "CRM case", "value": "CASE-1"});
    let path = format!("/api/v1/chats/{ix}/case-data");
    let (status, body) = http(other.addr, "PUT", &path, &headers, Some(&value)).await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = http(other.addr, "GET", "/api/v1/chats", &headers, None).await;
    assert_eq!(status, 200);
    let chats: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(chats["chats"][0]["id"], ix.as_str());
    assert_eq!(chats["chats"][0]["case_data"]["CRM case"], "CASE-1");
    let (status, body) = http(other.addr, "GET", "/api/v1/agents", &headers, None).await;
    assert_eq!(status, 200);
    let agents: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let kate = agents["agents"]
        .as_array()
        .and_then(|all| all.iter().find(|a| a["id"] == "kate"))
        .expect("kate");
    assert_eq!(kate["online"], true);
    assert_eq!(kate["load"], 1, "the chat is offered to her");
}

#[tokio::test]
async fn logging_out_on_one_node_closes_the_sessions_sockets_on_every_node() {
    let cluster = Cluster::new("logout").await;
    let a = cluster.node("node-a").await;
    let b = cluster.node("node-b").await;
    until_ready(&a).await;
    until_ready(&b).await;
    let token = login(a.addr, "kate").await;
    let mut on_a = Client::hello(a.addr, &token, vec![]).await;
    let mut on_b = Client::hello(b.addr, &token, vec![]).await;
    assert_eq!(logout(a.addr, &token).await, 204);
    for socket in [&mut on_a, &mut on_b] {
        assert_eq!(
            socket.closed_with().await,
            Some(parley_server::gateway::SESSION_ENDED)
        );
    }
    assert!(!admitted(b.addr, &token).await);
}

/// A request from `address` (named by the trusted proxy in front, 127.0.0.1): status and the
/// `Retry-After` header.
async fn post_from(
    addr: SocketAddr,
    address: &str,
    path: &str,
    body: serde_json::Value,
) -> (u16, Option<String>) {
    let body = body.to_string();
    let reply = request(
        addr,
        "POST",
        path,
        &[
            ("Content-Type", "application/json"),
            ("X-Forwarded-For", address),
        ],
        body.as_bytes(),
    )
    .await;
    (reply.status, reply.header("retry-after").map(str::to_owned))
}

#[tokio::test]
async fn a_client_spreading_its_requests_over_the_nodes_gets_one_nodes_budget() {
    let cluster = Cluster::new("shared_limits").await;
    let fewer_chats = [("chats_per_minute = 600", "chats_per_minute = 3")];
    let a = cluster.node_changing("node-a", &fewer_chats).await;
    let b = cluster.node_changing("node-b", &fewer_chats).await;
    until_ready(&a).await;
    until_ready(&b).await;
    let nodes = [&a, &b];
    let guess = serde_json::json!({"username": "kate", "password": "guess"});
    let attacker = "203.0.113.9";
    for n in 0..parley_server::throttle::FREE_PER_USER as usize {
        let (status, _) = post_from(nodes[n % 2].addr, attacker, "/api/login", guess.clone()).await;
        assert_eq!(status, 401, "guess {n}");
    }
    // The wait on one node is the wait on both, as on a single server.
    for node in nodes {
        let (status, retry) = post_from(node.addr, attacker, "/api/login", guess.clone()).await;
        assert_eq!(
            (status, retry.as_deref()),
            (429, Some("1")),
            "{}",
            node.name
        );
    }
    let right = serde_json::json!({"username": "kate", "password": "kate-demo"});
    let (status, _) = post_from(b.addr, "198.51.100.4", "/api/login", right).await;
    assert_eq!(status, 200, "Kate, from her own address, signs in");

    let chat = serde_json::json!({"name": "Flood", "text": "hi"});
    for n in 0..3 {
        let (status, _) = post_from(nodes[n % 2].addr, attacker, "/api/chats", chat.clone()).await;
        assert_eq!(status, 200, "chat {n}");
    }
    for node in nodes {
        let (status, retry) = post_from(node.addr, attacker, "/api/chats", chat.clone()).await;
        assert_eq!(status, 429, "{}", node.name);
        let secs: u64 = retry.expect("Retry-After").parse().expect("seconds");
        assert!((1..=60).contains(&secs), "{secs}");
    }
    let (status, _) = post_from(a.addr, "198.51.100.4", "/api/chats", chat).await;
    assert_eq!(status, 200, "another visitor");
}

#[tokio::test]
async fn an_upload_refused_by_the_writer_says_why_on_the_other_node() {
    let cluster = Cluster::new("refused_upload").await;
    let a = cluster.node("node-a").await;
    let b = cluster.node("node-b").await;
    until_ready(&a).await;
    until_ready(&b).await;
    let writer = cluster.writer().await;
    let (writer, other) = if writer == a.name { (&a, &b) } else { (&b, &a) };
    // Kate works on the writer; her chat ends there, and she uploads to it through the other
    // node, whose hub asks the writer's engine across the link.
    let kate_token = login(writer.addr, "kate").await;
    let mut kate = ready_agent_with(writer.addr, &kate_token).await;
    let (ix, _contact, _) = chat_with(other.addr, &mut kate, "Ana Pop").await;
    end_chat(&mut kate, &ix).await;
    let late = upload(other.addr, &kate_token, &ix, "late.png", "image/png", PNG).await;
    let body: serde_json::Value = serde_json::from_slice(&late.body).expect("JSON");
    assert_eq!(late.status, 400, "{body}");
    assert_eq!(body["reason"], "chat_ended", "{body}");
}
