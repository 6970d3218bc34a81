//! `cargo xtask bench`: figures, not tests. Starts a release server on a fresh SQLite database
//! and drives it with `parley-loadgen` over loopback, bounded in count and time; then measures
//! the desktop in headless Chromium with 4x CPU throttling (`bench/desktop.mjs`).
//! `PARLEY_BENCH_CHATS`, `_AGENTS`, `_RATE`, `_SECS` and `_READERS` change the load; `PARLEY_BENCH_GROUP`
//! the most commands per transaction (`server.commit_group`; 1 commits each alone).

use crate::{cmd, root, run};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
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
         [chat]\ninactivity_warn_secs = 0\ninactivity_timeout_secs = 0\ncontact_grace_secs = 0\nauto_close_secs = 0\n\
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
    let (chats, agents) = (
        env_or("PARLEY_BENCH_CHATS", 5000),
        env_or("PARLEY_BENCH_AGENTS", 50),
    );
    let (rate, secs) = (
        env_or("PARLEY_BENCH_RATE", 2000),
        env_or("PARLEY_BENCH_SECS", 20),
    );
    // Clients paging `older` and `earlier` at 20 requests/s each while the chats run.
    let readers = env_or("PARLEY_BENCH_READERS", 50);
    run(cmd("cargo").args([
        "build",
        "--release",
        "-p",
        "parley-server",
        "-p",
        "parley-loadgen",
    ]))?;
    let release = root().join("target/release");
    let dir = root().join("target/bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;

    let hash = cmd(&release.join("parley-server").to_string_lossy())
        .args(["hash-password", "bench"])
        .output()
        .map_err(|e| e.to_string())?;
    let hash = String::from_utf8_lossy(&hash.stdout).trim().to_owned();
    let config = dir.join("bench.toml");
    std::fs::write(&config, bench_config(agents, chats, &hash)).map_err(|e| e.to_string())?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let addr = format!("127.0.0.1:{port}");

    let server = cmd(&release.join("parley-server").to_string_lossy())
        .args([
            "--config",
            &config.to_string_lossy(),
            "--db",
            &dir.join("bench.db").to_string_lossy(),
            "--addr",
            &addr,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let mut server = Guard(server);
    let pid = server.0.id();
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
    std::thread::spawn(move || lines.for_each(drop));
    println!(
        "xtask: bench against {addr}: {chats} chats, {agents} agents, {rate} msgs/s for {secs} s"
    );
    run(
        cmd(&release.join("parley-loadgen").to_string_lossy()).args([
            "--addr",
            &addr,
            "--agents",
            &agents.to_string(),
            "--chats",
            &chats.to_string(),
            "--rate",
            &rate.to_string(),
            "--secs",
            &secs.to_string(),
            "--server-pid",
            &pid.to_string(),
            "--readers",
            &readers.to_string(),
        ]),
    )
}
