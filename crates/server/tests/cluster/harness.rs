//! Nodes of a cluster as separate processes, for the cluster's test files: each starts on the
//! demo configuration with a `[cluster]` section naming one PostgreSQL database, one Redis and
//! one namespace per test.

// Each test file uses a part of it.
#![allow(dead_code)]

use crate::common::*;
use parley_protocol::act;
use parley_protocol::{ClientMsg, Event, InteractionId};
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

/// How long a node may take to start, or the other one to take over as the writer.
pub const TAKE_OVER: Duration = Duration::from_secs(20);

/// A node process; killed when dropped.
pub struct Node {
    pub name: String,
    pub addr: SocketAddr,
    pub child: tokio::process::Child,
}

/// The cluster's shared settings: one database, one Redis namespace, one files folder.
pub struct Cluster {
    /// The database, as the test reaches it.
    pub database_url: String,
    /// The database as the nodes reach it (through a proxy the test can cut, say).
    pub nodes_database_url: String,
    pub redis_url: String,
    pub namespace: String,
    pub dir: tempfile::TempDir,
}

impl Cluster {
    pub async fn new(name: &str) -> Self {
        let database_url = postgres_database(name).await;
        Self {
            nodes_database_url: database_url.clone(),
            database_url,
            redis_url: std::env::var("PARLEY_TEST_REDIS").expect(
                "PARLEY_TEST_REDIS is not set: the cluster tests run under `cargo xtask test`",
            ),
            namespace: format!("{name}-{}", std::process::id()),
            dir: tempfile::tempdir().expect("tmp"),
        }
    }

    /// Starts a node and waits until it listens.
    pub async fn node(&self, name: &str) -> Node {
        self.server(name, true, None).await
    }

    /// [`Cluster::node`] with more configuration (TOML sections after the demo's).
    pub async fn node_with(&self, name: &str, extra: &str) -> Node {
        let binary = std::path::Path::new(env!("CARGO_BIN_EXE_parley-server"));
        self.start(binary, &demo_config_path(), name, true, None, extra)
            .await
    }

    /// [`Cluster::node`] on the demo configuration with some of its lines changed (`from`,
    /// `to`): for settings the demo already has.
    pub async fn node_changing(&self, name: &str, changes: &[(&str, &str)]) -> Node {
        let mut text = std::fs::read_to_string(demo_config_path()).expect("the demo configuration");
        for (from, to) in changes {
            assert!(text.contains(from), "the demo configuration has {from:?}");
            text = text.replace(from, to);
        }
        let base = self.dir.path().join(format!("{name}-base.toml"));
        std::fs::write(&base, text).expect("written");
        let binary = std::path::Path::new(env!("CARGO_BIN_EXE_parley-server"));
        self.start(binary, &base, name, true, None, "").await
    }

    /// Starts a node of the previous release (`PARLEY_PREVIOUS_SERVER`, which `cargo xtask
    /// test` builds from the git history) and waits until it listens.
    pub async fn previous_node(&self, name: &str) -> Node {
        let binary = std::env::var("PARLEY_PREVIOUS_SERVER").expect(
            "PARLEY_PREVIOUS_SERVER is not set: the upgrade test runs under `cargo xtask test` \
             (or `cargo xtask services`, which builds it and prints it)",
        );
        // Its own demo configuration, kept beside it: a release refuses settings it does not know.
        let config = std::path::PathBuf::from(format!("{binary}.toml"));
        self.start(std::path::Path::new(&binary), &config, name, true, None, "")
            .await
    }

    /// Starts a server on the demo configuration, as a node of this cluster or (`clustered`
    /// false) alone on SQLite in the cluster's folder.
    pub async fn server(&self, name: &str, clustered: bool, metrics: Option<SocketAddr>) -> Node {
        let binary = std::path::Path::new(env!("CARGO_BIN_EXE_parley-server"));
        self.start(binary, &demo_config_path(), name, clustered, metrics, "")
            .await
    }

    async fn start(
        &self,
        binary: &std::path::Path,
        base: &std::path::Path,
        name: &str,
        clustered: bool,
        metrics: Option<SocketAddr>,
        extra: &str,
    ) -> Node {
        let cluster = if clustered {
            format!(
                "[cluster]\ndatabase_url = \"{}\"\nredis_url = \"{}\"\n\
                 node = \"{name}\"\nnamespace = \"{}\"\nconnections = 8\n",
                self.nodes_database_url, self.redis_url, self.namespace
            )
        } else {
            String::new()
        };
        let file = format!("{name}.toml");
        let path = config_with(base, self.dir.path(), &file, &format!("{extra}\n{cluster}"));
        // Both nodes keep files in one folder, as a shared mount would.
        let db = self.dir.path().join("shared.db");
        let mut command = tokio::process::Command::new(binary);
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
    pub async fn writer(&self) -> String {
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
pub async fn first_chat(addr: SocketAddr, name: &str) -> (InteractionId, String) {
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

pub fn send(ix: &InteractionId, id: &str, text: &str, consultation: Option<&str>) -> ClientMsg {
    ClientMsg::from(act::Send {
        interaction: ix.clone(),
        client_id: id.into(),
        text: text.into(),
        consultation: consultation.map(Into::into),
    })
}

pub fn texts(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| message_text(&e.kind).map(str::to_owned))
        .collect()
}

/// Every event of the chat a client holds: each `seq` once, none missing from the first.
pub fn assert_contiguous(events: &[Event], who: &str) {
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

/// `GET path` on a node: its status and body.
pub async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    http(addr, "GET", path, &[], None).await
}

/// Waits until a node says it is ready (a writer answers through it).
pub async fn until_ready(node: &Node) {
    let started = Instant::now();
    while get(node.addr, "/readyz").await.0 != 200 {
        assert!(
            started.elapsed() < TAKE_OVER,
            "{} was not ready again in time",
            node.name
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Where a client that holds `events` of the chat resumes it: after the last one.
pub fn resume_after(ix: &InteractionId, events: &[Event]) -> Vec<parley_protocol::Resume> {
    vec![parley_protocol::Resume {
        interaction: ix.clone(),
        after: events.iter().map(|e| e.seq).max().unwrap_or(0),
    }]
}
