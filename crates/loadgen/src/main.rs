//! `parley-loadgen`: simulated agents and contacts driving a running Parley server over loopback.
//!
//! Agents log in, go Ready and accept every offer; contacts start chats and, once an agent has
//! joined, send messages at a steady total rate; agents answer every contact message. Each text
//! carries its send time, so the receiver measures latency; every message has a unique client id,
//! so the receiver can count what was lost or delivered twice. One line is printed at the end:
//! `bench: chats=N agents=N msgs=N secs=N rate=N/s p50_ms=N p99_ms=N lost=N dup=N rss_kb_per_conn=N`.
//! With `--readers N`, that many clients page `older` and `earlier` at `--read-rate` meanwhile,
//! and `reads:` gives send→ack latency under that load. `memory:` is the server's RSS per
//! connection once every chat is connected and before any message is sent. `--chaos` runs the
//! abuse suite instead ([`chaos`]).

mod chaos;
mod clients;
mod http;
mod session;
mod stats;

use clap::Parser;
use clients::{run_agent, run_contact, run_reader};
use stats::Stats;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

#[derive(Parser, Clone)]
pub struct Args {
    /// The server.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Agents `bench-1` … `bench-N`, all with the password `--password`.
    #[arg(long, default_value_t = 50)]
    agents: usize,
    #[arg(long, default_value = "bench")]
    password: String,
    /// Concurrent chats.
    #[arg(long, default_value_t = 5000)]
    chats: usize,
    /// Messages per second, contacts and agents together.
    #[arg(long, default_value_t = 2000)]
    rate: u64,
    /// How long to send at that rate once every chat is connected.
    #[arg(long, default_value_t = 20)]
    secs: u64,
    /// The server's process id, to read its memory use.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Clients that page through history (`older`, `earlier`) while the chats run.
    #[arg(long, default_value_t = 0)]
    readers: usize,
    /// Reads per second of each reader.
    #[arg(long, default_value_t = 20)]
    read_rate: u64,
    /// Where agents and readers connect (a cluster's other node); `--addr` when not given.
    /// Contacts connect to `--addr`. Each side reconnects to the other address when its own
    /// node is gone.
    #[arg(long)]
    agent_addr: Option<SocketAddr>,
    /// A process to kill (`kill -9`) during the run: the writer node of a cluster. The report
    /// then is a `cluster:` line with the time from the kill to the new writer's first
    /// acknowledgement.
    #[arg(long)]
    kill_pid: Option<u32>,
    /// Seconds into the run when `--kill-pid` is killed.
    #[arg(long, default_value_t = 10)]
    kill_after: u64,
    /// Run the abuse suite (`chaos::run`) instead of the load: one line per attack.
    #[arg(long)]
    chaos: bool,
}

impl Args {
    fn agent_addr(&self) -> SocketAddr {
        self.agent_addr.unwrap_or(self.addr)
    }

    /// Each side's own node first, then the other.
    fn agent_addrs(&self) -> Vec<SocketAddr> {
        let mut addrs = vec![self.agent_addr()];
        if self.addr != self.agent_addr() {
            addrs.push(self.addr);
        }
        addrs
    }

    fn contact_addrs(&self) -> Vec<SocketAddr> {
        let mut addrs = self.agent_addrs();
        addrs.reverse();
        addrs
    }
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if args.chaos {
        if let Err(e) = chaos::run(args.addr, &args.password, args.server_pid).await {
            eprintln!("chaos: {e}");
            std::process::exit(1);
        }
        return;
    }
    let stats = Arc::new(Stats::default());
    let stop = Arc::new(AtomicBool::new(false));
    let go = Arc::new(tokio::sync::Notify::new());
    for i in 1..=args.agents {
        let (a, s, st) = (args.clone(), stats.clone(), stop.clone());
        tokio::spawn(async move {
            if let Err(e) = run_agent(a, i, s, st).await {
                eprintln!("agent {i}: {e}");
            }
        });
    }
    for i in 0..args.readers {
        let (a, s, g, st) = (args.clone(), stats.clone(), go.clone(), stop.clone());
        tokio::spawn(async move {
            if let Err(e) = run_reader(a, i, s, g, st).await {
                eprintln!("reader {i}: {e}");
            }
        });
    }
    // Contacts send half the messages; agents answer each one.
    let contact_rate = (args.rate / 2).max(1) as f64;
    let every = Duration::from_secs_f64(args.chats as f64 / contact_rate);
    let start = Arc::new(Semaphore::new(64));
    let ramp = Instant::now();
    for i in 1..=args.chats {
        let (a, s, p, g, st) = (
            args.clone(),
            stats.clone(),
            start.clone(),
            go.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            if let Err(e) = run_contact(a, i, every, s, p, g, st).await {
                eprintln!("contact {i}: {e}");
            }
        });
    }
    let deadline = ramp + Duration::from_secs(120);
    while stats.connected_count() < args.chats && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ramp_secs = ramp.elapsed().as_secs_f64();
    eprintln!(
        "loadgen: {} of {} chats connected in {ramp_secs:.1}s; sending for {}s",
        stats.connected_count(),
        args.chats,
        args.secs
    );
    let idle_rss = args.server_pid.and_then(rss_kb);
    stats.reset_clock();
    go.notify_waiters();
    let t0 = Instant::now();
    if let Some(pid) = args.kill_pid {
        let (killer, after) = (stats.clone(), Duration::from_secs(args.kill_after));
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            killer.killed();
            let killed = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
            eprintln!("loadgen: killed {pid} ({killed:?})");
        });
        // Each second: acknowledgements, deliveries and reconnects in it; every tenth of a
        // second, whether the cluster caught up after the failover.
        let (stats, waiting) = (stats.clone(), (args.rate / 10) as usize);
        tokio::spawn(async move {
            let mut last = stats.progress();
            for second in 1.. {
                for _ in 0..10 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    stats.check_caught_up(waiting);
                }
                let now = stats.progress();
                eprintln!(
                    "loadgen: t={second}s acks={} deliveries={} reconnects={}",
                    now.0 - last.0,
                    now.1 - last.1,
                    now.2 - last.2
                );
                last = now;
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(args.secs)).await;
    stop.store(true, Ordering::Relaxed);
    let secs = t0.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss = args.server_pid.and_then(rss_kb).or(idle_rss).unwrap_or(0);
    let report = stats.report();
    if !report.lost_ids.is_empty() {
        eprintln!(
            "loadgen: acknowledged, never received: {}",
            report.lost_ids.join(", ")
        );
    }
    let conns = (args.agents + stats.connected_count()).max(1) as u64;
    if !report.unacked_ids.is_empty() {
        eprintln!(
            "loadgen: sent, never acknowledged: {}",
            report.unacked_ids.join(", ")
        );
    }
    if args.kill_pid.is_some() {
        println!(
            "cluster: nodes={} chats={} rate={:.0} p50_ms={:.1} p99_ms={:.1} lost={} dup={} failover_ms={} caught_up_ms={} unacked={} p99_all_ms={:.1}",
            args.agent_addrs().len(),
            stats.connected_count(),
            report.received as f64 / secs,
            report.p50_ms,
            report.p99_ms,
            report.lost,
            report.dup,
            report
                .failover_ms
                .map_or_else(|| "none".to_owned(), |ms| ms.to_string()),
            report
                .caught_up_ms
                .map_or_else(|| "none".to_owned(), |ms| ms.to_string()),
            report.unacked,
            report.p99_all_ms,
        );
        return;
    }
    println!(
        "bench: chats={} agents={} msgs={} secs={secs:.0} rate={:.0}/s p50_ms={:.1} p99_ms={:.1} lost={} dup={} rss_kb_per_conn={}",
        stats.connected_count(),
        args.agents,
        report.received,
        report.received as f64 / secs,
        report.p50_ms,
        report.p99_ms,
        report.lost,
        report.dup,
        rss / conns,
    );
    if args.readers > 0 {
        println!(
            "reads: readers={} rate={}/s answers={} ack_p50_ms={:.1} ack_p99_ms={:.1}",
            args.readers, args.read_rate, report.reads, report.ack_p50_ms, report.ack_p99_ms,
        );
    }
    if let Some(idle) = idle_rss {
        println!(
            "memory: conns={conns} idle_rss_kb={idle} kb_per_conn={}",
            idle / conns
        );
    }
}
