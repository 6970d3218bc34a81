//! `cargo xtask bench`: figures, not tests. Starts a release server on a fresh SQLite database
//! and drives it with `parley-loadgen` over loopback, bounded in count and time; then measures
//! the desktop in headless Chromium with 4x CPU throttling (`bench/desktop.mjs`).
//! `PARLEY_BENCH_CHATS`, `_AGENTS`, `_RATE`, `_SECS` and `_READERS` change the load; `PARLEY_BENCH_GROUP`
//! the most commands per transaction (`server.commit_group`; 1 commits each alone).
//!
//! `cargo xtask bench --cluster`: the same chats on two nodes over PostgreSQL and Redis (started
//! as `cargo xtask cluster` starts them, fresh, with durable commits), contacts on the writer
//! node and agents on the other, and the writer killed (`kill -9`) 10 s into a 40 s run.
//! The nodes' logs are left in `target/bench-cluster/`.

use crate::{cmd, root, run};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Kills the server however the bench ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bench_config(agents: u64, chats: u64, password_hash: &str) -> String {
    let capacity = chats.div_ceil(agents.max(1)) + 1;
    let group = env_or("PARLEY_BENCH_GROUP", 64);
    let mut toml = format!(
        "[server]\nframe_burst = 100000\nframes_per_second = 100000\ncommit_group = {group}\n\
         max_connections = 200000\nmax_connections_per_address = 200000\nchats_per_minute = 1000000\n\
         [chat]\nqueued_message_gap_ms = 0\ninactivity_warn_secs = 0\ninactivity_timeout_secs = 0\ncontact_grace_secs = 0\nauto_close_secs = 0\n\
         [[queues]]\nid = \"general\"\nname = \"General\"\n",
    );
    for i in 1..=agents {
        toml.push_str(&format!("[[agents]]\nid = \"bench-{i}\"\nname = \"Bench Agent {i}\"\npassword_hash = \"{password_hash}\"\ncapacity = {capacity}\n"));
    }
    toml
}

/// Both benchmarks: the server under load, then the desktop in a throttled browser.
pub fn bench() -> Result<(), String> {
    server_bench()?;
    desktop_bench()
}

/// `bench/desktop.mjs` against the release server and the release builds of the apps.
fn desktop_bench() -> Result<(), String> {
    crate::tools::ensure()?;
    crate::tools::ensure_browser()?;
    crate::web::build_all()?;
    run(cmd("node").arg("bench/desktop.mjs").env(
        "PARLEY_SERVER_BIN",
        root().join("target/release/parley-server"),
    ))
}

pub fn server_bench() -> Result<(), String> {
    let (chats, agents, rate, secs) = load();
    // Clients paging `older` and `earlier` at 20 requests/s each while the chats run.
    let readers = env_or("PARLEY_BENCH_READERS", 50);
    let hash = build()?;
    let dir = root().join("target/bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;

    let config = dir.join("bench.toml");
    std::fs::write(&config, bench_config(agents, chats, &hash)).map_err(|e| e.to_string())?;
    let addr = free_addr()?;
    let db = dir.join("bench.db");
    let server = start_node(&config, &db, &addr, None)?;
    let pid = server.0.id();
    println!(
        "xtask: bench against {addr}: {chats} chats, {agents} agents, {rate} msgs/s for {secs} s"
    );
    run(loadgen(&addr, chats, agents, rate, secs).args([
        "--server-pid",
        &pid.to_string(),
        "--readers",
        &readers.to_string(),
    ]))
}

/// `cargo xtask chaos`: the abuse suite (`crates/loadgen/src/chaos.rs`) against a release server
/// with the default limits and five agents, printing one line per attack.
pub fn chaos() -> Result<(), String> {
    let hash = build()?;
    let dir = root().join("target/chaos");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut toml = String::from("[[queues]]\nid = \"general\"\nname = \"General\"\n");
    for i in 1..=5 {
        toml.push_str(&format!("[[agents]]\nid = \"bench-{i}\"\nname = \"Bench Agent {i}\"\npassword_hash = \"{hash}\"\n"));
    }
    let config = dir.join("chaos.toml");
    std::fs::write(&config, toml).map_err(|e| e.to_string())?;
    let addr = free_addr()?;
    let server = start_node(&config, &dir.join("chaos.db"), &addr, None)?;
    let pid = server.0.id();
    println!("xtask: chaos against {addr} (server pid {pid})");
    run(cmd(&root()
        .join("target/release/parley-loadgen")
        .to_string_lossy())
    .args(["--addr", &addr, "--password", "bench", "--chaos"])
    .args(["--server-pid", &pid.to_string()]))
}

/// Chats, agents, messages per second and seconds of the run.
fn load() -> (u64, u64, u64, u64) {
    (
        env_or("PARLEY_BENCH_CHATS", 5000),
        env_or("PARLEY_BENCH_AGENTS", 50),
        env_or("PARLEY_BENCH_RATE", 2000),
        env_or("PARLEY_BENCH_SECS", 20),
    )
}

/// Builds the release server and load generator; the agents' password hash.
fn build() -> Result<String, String> {
    run(cmd("cargo").args([
        "build",
        "--release",
        "-p",
        "parley-server",
        "-p",
        "parley-loadgen",
    ]))?;
    let server = root().join("target/release/parley-server");
    let mut hashing = cmd(&server.to_string_lossy())
        .arg("hash-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    if let Some(mut stdin) = hashing.stdin.take() {
        use std::io::Write;
        stdin.write_all(b"bench\n").map_err(|e| e.to_string())?;
    }
    let hash = hashing.wait_with_output().map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&hash.stdout).trim().to_owned())
}

/// The load generator against `addr` with this load.
fn loadgen(addr: &str, chats: u64, agents: u64, rate: u64, secs: u64) -> std::process::Command {
    let mut c = cmd(&root()
        .join("target/release/parley-loadgen")
        .to_string_lossy());
    c.args(["--addr", addr])
        .args([
            "--agents",
            &agents.to_string(),
            "--chats",
            &chats.to_string(),
        ])
        .args(["--rate", &rate.to_string(), "--secs", &secs.to_string()]);
    c
}

fn free_addr() -> Result<String, String> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    Ok(format!("127.0.0.1:{port}"))
}

/// A release server with this configuration, once it listens; its output from then on goes to
/// `log` (at `info`), or is dropped.
fn start_node(config: &Path, db: &Path, addr: &str, log: Option<&Path>) -> Result<Guard, String> {
    let server = cmd(&root()
        .join("target/release/parley-server")
        .to_string_lossy())
    .arg("--config")
    .arg(config)
    .arg("--db")
    .arg(db)
    .args(["--addr", addr])
    .env("RUST_LOG", if log.is_some() { "info" } else { "warn" })
    .stdout(Stdio::piped())
    .spawn()
    .map_err(|e| format!("cannot start the server: {e}"))?;
    let mut server = Guard(server);
    let mut log = match log {
        Some(path) => {
            Some(std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    let stdout = server.0.stdout.take().ok_or("no server output")?;
    let mut lines = BufReader::new(stdout).lines();
    let started = Instant::now();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("listening on") => break,
            Some(Ok(_)) => {}
            _ => return Err("the server stopped before listening".into()),
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err("the server did not start within 30 s".into());
        }
    }
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if let Some(log) = &mut log {
                let _ = writeln!(log, "{line}");
            }
        }
    });
    Ok(server)
}

/// Whether `GET path` answers 200.
fn answers_ok(addr: &str, path: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let mut answer = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.1 200")
}

fn wait_ready(addr: &str) -> Result<(), String> {
    let started = Instant::now();
    while !answers_ok(addr, "/readyz") {
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!("the node on {addr} was not ready within 30 s"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// `cargo xtask bench --cluster`.
pub fn cluster_bench() -> Result<(), String> {
    let (chats, agents, rate, _) = load();
    // Long enough to catch up after the failover and measure the cluster after it.
    let secs = env_or("PARLEY_BENCH_SECS", 40);
    let kill_after = 10.min(secs / 2);
    let hash = build()?;
    // Fresh every time, and durable: the figures are those of a real installation.
    let _ = std::fs::remove_dir_all(root().join("target/services/bench-cluster"));
    let services = crate::services::start("bench-cluster", false)?;
    let dir = root().join("target/bench-cluster");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut nodes = Vec::new();
    for node in ["node-1", "node-2"] {
        let config = dir.join(format!("{node}.toml"));
        let text = format!(
            "{}\n[cluster]\ndatabase_url = \"{}\"\nredis_url = \"{}\"\nnode = \"{node}\"\n",
            bench_config(agents, chats, &hash),
            services.postgres_url,
            services.redis_url
        );
        std::fs::write(&config, text).map_err(|e| e.to_string())?;
        let addr = free_addr()?;
        // Files live beside this path: one folder for both, as a shared mount would be.
        let log = dir.join(format!("{node}.log"));
        let node = start_node(&config, &dir.join("files.db"), &addr, Some(&log))?;
        // The first node takes the writer's lease before the second starts.
        wait_ready(&addr)?;
        nodes.push((node, addr));
    }
    let (writer, other) = (&nodes[0], &nodes[1]);
    println!(
        "xtask: cluster bench: {chats} chats (contacts on the writer {}), {agents} agents (on {}), \
         {rate} msgs/s for {secs} s, the writer killed after {} s",
        writer.1,
        other.1,
        kill_after
    );
    let result = run(loadgen(&writer.1, chats, agents, rate, secs).args([
        "--agent-addr",
        &other.1,
        "--kill-pid",
        &writer.0 .0.id().to_string(),
        "--kill-after",
        &kill_after.to_string(),
    ]));
    drop(nodes);
    drop(services);
    result
}
