//! Two Parley nodes as separate processes on one PostgreSQL and one Redis (started by
//! `cargo xtask test`): a chat whose contact is on one node and whose agents are on the other,
//! and the writer node killed in the middle of it.

mod common;

use common::*;
use parley_protocol::act;
use parley_protocol::{ClientMsg, Event, EventKind, InteractionId, RequestKind, Resume, ServerMsg};
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

/// How long a node may take to start, or the other one to take over as the writer.
const TAKE_OVER: Duration = Duration::from_secs(20);

/// A node process; killed when dropped.
struct Node {
    name: String,
    addr: SocketAddr,
    child: tokio::process::Child,
}

/// The cluster's shared settings: one database, one Redis namespace, one files folder.
struct Cluster {
    database_url: String,
    namespace: String,
    dir: tempfile::TempDir,
}

impl Cluster {
    async fn new(name: &str) -> Self {
        Self {
            database_url: postgres_database(name).await,
            namespace: format!("{name}-{}", std::process::id()),
            dir: tempfile::tempdir().expect("tmp"),
        }
    }

    /// Starts a node and waits until it listens.
    async fn node(&self, name: &str) -> Node {
        self.server(name, true, None).await
    }

    /// Starts a server on the demo configuration, as a node of this cluster or (`clustered`
    /// false) alone on SQLite in the cluster's folder.
    async fn server(&self, name: &str, clustered: bool, metrics: Option<SocketAddr>) -> Node {
        let redis_url = std::env::var("PARLEY_TEST_REDIS")
            .expect("PARLEY_TEST_REDIS is not set: the cluster tests run under `cargo xtask test`");
        let demo = demo_config_path();
        let config_dir = demo.parent().expect("config dir");
        let text = std::fs::read_to_string(&demo).expect("demo config");
        // Attachments are relative to the configuration's own folder.
        let text = text.replace(
            "attachment = \"",
            &format!("attachment = \"{}/", config_dir.display()),
        );
        let config = if clustered {
            format!(
                "{text}\n[cluster]\ndatabase_url = \"{}\"\nredis_url = \"{redis_url}\"\n\
                 node = \"{name}\"\nnamespace = \"{}\"\nconnections = 8\n",
                self.database_url, self.namespace
            )
        } else {
            text
        };
        let path = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, config).expect("node config");
        // Both nodes keep files in one folder, as a shared mount would.
        let db = self.dir.path().join("shared.db");
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_parley-server"));
        if let Some(metrics) = metrics {
            command.env("PARLEY_METRICS_ADDR", metrics.to_string());
        }
        let mut child = command
            .arg("--config")
            .arg(&path)
            .arg("--db")
            .arg(&db)
            .args(["--addr", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(TAKE_OVER, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split('/').next().unwrap_or_default();
                    return addr.parse::<SocketAddr>().expect("an address");
                }
            }
            panic!("node {name} stopped before it listened");
        })
        .await
        .expect("the node listens in time");
        // Its log, shown with a failing test's output (and never blocking on a full pipe).
        let who = name.to_owned();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("[{who}] {line}");
            }
        });
        Node {
            name: name.to_owned(),
            addr,
            child,
        }
    }

    /// The node holding the writer's lease now (empty when none does).
    async fn writer(&self) -> String {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.database_url)
            .await
            .expect("database");
        let holder: Option<String> =
            sqlx::query_scalar("SELECT holder FROM writer_lease WHERE expires_at > now()")
                .fetch_optional(&mut conn)
                .await
                .expect("the lease");
        holder.unwrap_or_default()
    }
}

/// Starts a chat through `addr` once some node writes (the first tries may find none yet).
async fn first_chat(addr: SocketAddr, name: &str) -> (InteractionId, String) {
    let started = Instant::now();
    loop {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        let body = serde_json::json!({"name": name, "text": "Hello", "email": email});
        let (status, body) = post(addr, "/api/chats", body).await;
        if status == 200 {
            return (
                InteractionId(body["interaction"].as_str().expect("id").into()),
                body["token"].as_str().expect("token").into(),
            );
        }
        assert!(started.elapsed() < TAKE_OVER, "no writer: {status} {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn send(ix: &InteractionId, id: &str, text: &str, consultation: Option<&str>) -> ClientMsg {
    ClientMsg::from(act::Send {
        interaction: ix.clone(),
        client_id: id.into(),
        text: text.into(),
        consultation: consultation.map(Into::into),
    })
}

fn texts(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| message_text(&e.kind).map(str::to_owned))
        .collect()
}

/// Every event of the chat a client holds: each `seq` once, none missing from the first.
fn assert_contiguous(events: &[Event], who: &str) {
    let mut seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    let all = seqs.len();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), all, "{who} got an event twice: {events:?}");
    let first = seqs.first().copied().unwrap_or(1);
    assert!(
        seqs.iter().enumerate().all(|(n, s)| *s == first + n as u64),
        "{who} has a gap: {seqs:?}"
    );
}

#[tokio::test]
async fn a_chat_runs_across_nodes_with_consultation_and_transfer() {
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

    // kill -9 of the writer.
    let killed = Instant::now();
    dead.child.start_kill().expect("killed");
    let _ = dead.child.wait().await;

    // The survivor takes the lease once it has run out, and makes every client join it again.
    let resume = |c: &Client| {
        let after = c.events(&ix).iter().map(|e| e.seq).max().unwrap_or(0);
        vec![Resume {
            interaction: ix.clone(),
            after,
        }]
    };
    let contact_resume = resume(&contact);
    let kate_resume = resume(&kate);
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

/// `GET path` on a node: its status and body.
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    http(addr, "GET", path, &[], None).await
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
