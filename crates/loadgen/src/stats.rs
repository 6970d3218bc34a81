//! What the load generator counts: sends, acknowledgements (with the time from send to ack),
//! receipts with their latency, answers to reads, and from those, messages lost (acknowledged
//! but never received) and doubled (received twice). When a node is killed during the run, the
//! failover is the time from the kill to the first acknowledgement of a message sent after it
//! (at least 0.1 s after: the dying process may answer for a few milliseconds);
//! the cluster has caught up once fewer messages wait for their acknowledgement than a tenth of
//! a second's worth. The percentiles leave out the messages sent from the kill until then
//! (`p99_all_ms` keeps them).

use parley_protocol::InteractionId;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Inner {
    /// Message id → when it was sent.
    sent: HashMap<String, Instant>,
    acked: HashSet<String>,
    /// From send to acknowledgement, for the messages sent since the clock was reset.
    ack_latencies_us: Vec<u64>,
    /// Answers to `older` and `earlier` received since the clock was reset.
    reads: u64,
    /// Message id → (interaction, seq) of each delivery.
    received: HashMap<String, Vec<(InteractionId, u64)>>,
    /// Each delivery's latency, with when its message was sent.
    latencies_us: Vec<(Option<Instant>, u64)>,
    killed: Option<Instant>,
    /// The first acknowledgement of a message sent after the kill.
    recovered: Option<Instant>,
    /// When, after that, the messages waiting for acknowledgement were few again.
    caught_up: Option<Instant>,
}

#[derive(Default)]
pub struct Stats {
    inner: Mutex<Inner>,
    connected: AtomicUsize,
    /// Sockets opened again after one closed.
    reconnects: AtomicUsize,
}

pub struct Report {
    pub received: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// The p99 with the messages sent during the failover.
    pub p99_all_ms: f64,
    pub failover_ms: Option<u128>,
    /// From the kill until the cluster caught up.
    pub caught_up_ms: Option<u128>,
    /// Messages sent and never acknowledged, and the first few of their ids.
    pub unacked: u64,
    pub unacked_ids: Vec<String>,
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    pub reads: u64,
    pub lost: u64,
    pub dup: u64,
    /// The first few of the lost messages' ids, to look them up in the server's store.
    pub lost_ids: Vec<String>,
}

impl Stats {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    pub fn connected(&self) {
        self.connected.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reconnected(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    /// Acknowledgements, deliveries and reconnects so far: the timeline of a failover.
    pub fn progress(&self) -> (usize, usize, usize) {
        let (acked, received) = self.with(|s| (s.acked.len(), s.latencies_us.len()));
        (acked, received, self.reconnects.load(Ordering::Relaxed))
    }

    pub fn connected_count(&self) -> usize {
        self.connected.load(Ordering::Relaxed)
    }

    pub fn sent(&self, id: &str) {
        self.with(|s| s.sent.insert(id.to_owned(), Instant::now()));
    }

    pub fn acked(&self, id: &str) {
        self.with(|s| {
            if let Some(&at) = s.sent.get(id) {
                s.ack_latencies_us.push(at.elapsed().as_micros() as u64);
                // Sent a moment after the kill: what the dying process answered in its last
                // milliseconds does not count.
                if s.recovered.is_none()
                    && s.killed
                        .is_some_and(|k| at > k + Duration::from_millis(100))
                {
                    s.recovered = Some(Instant::now());
                }
            }
            s.acked.insert(id.to_owned())
        });
    }

    /// An answer to a read (`older`, `earlier`) came.
    pub fn read(&self) {
        self.with(|s| s.reads += 1);
    }

    pub fn received(&self, id: &str, seq: u64, interaction: &InteractionId, latency_us: u64) {
        self.with(|s| {
            s.received
                .entry(id.to_owned())
                .or_default()
                .push((interaction.clone(), seq));
            let sent = s.sent.get(id).copied();
            s.latencies_us.push((sent, latency_us));
        });
    }

    /// Notes the time the cluster caught up, once `waiting` or fewer messages wait.
    pub fn check_caught_up(&self, waiting: usize) {
        self.with(|s| {
            if s.recovered.is_some()
                && s.caught_up.is_none()
                && s.sent.len().saturating_sub(s.acked.len()) <= waiting
            {
                s.caught_up = Some(Instant::now());
            }
        });
    }

    /// The node under test is being killed now.
    pub fn killed(&self) {
        self.with(|s| s.killed = Some(Instant::now()));
    }

    /// Latencies measured so far are from the ramp-up; the run starts now.
    pub fn reset_clock(&self) {
        self.with(|s| {
            s.latencies_us.clear();
            s.ack_latencies_us.clear();
            s.reads = 0;
        });
    }

    pub fn report(&self) -> Report {
        self.with(|s| {
            let failover = s.killed.map(|k| (k, s.caught_up));
            let during = |sent: &Option<Instant>| match (failover, sent) {
                (Some((killed, recovered)), Some(at)) => {
                    *at >= killed && recovered.is_none_or(|r| *at <= r)
                }
                _ => false,
            };
            let mut all: Vec<u64> = s.latencies_us.iter().map(|(_, us)| *us).collect();
            all.sort_unstable();
            let mut lat: Vec<u64> = s
                .latencies_us
                .iter()
                .filter(|(sent, _)| !during(sent))
                .map(|(_, us)| *us)
                .collect();
            lat.sort_unstable();
            let mut acks = s.ack_latencies_us.clone();
            acks.sort_unstable();
            let pct = |lat: &[u64], p: f64| {
                lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
                    .map_or(0.0, |us| *us as f64 / 1000.0)
            };
            let mut lost_ids: Vec<String> = s
                .acked
                .iter()
                .filter(|id| !s.received.contains_key(*id))
                .cloned()
                .collect();
            let lost = lost_ids.len() as u64;
            lost_ids.sort();
            lost_ids.truncate(5);
            let dup = s
                .received
                .values()
                .map(|deliveries| {
                    let distinct: HashSet<_> = deliveries.iter().collect();
                    // Delivered twice, or stored twice under two sequence numbers.
                    (deliveries.len() - 1) as u64 + u64::from(distinct.len() > 1)
                })
                .sum();
            let mut unacked_ids: Vec<String> = s
                .sent
                .keys()
                .filter(|id| !s.acked.contains(*id))
                .cloned()
                .collect();
            let unacked = unacked_ids.len() as u64;
            unacked_ids.sort();
            unacked_ids.truncate(5);
            Report {
                received: all.len() as u64,
                p50_ms: pct(&lat, 0.50),
                p99_ms: pct(&lat, 0.99),
                p99_all_ms: pct(&all, 0.99),
                failover_ms: s
                    .killed
                    .and_then(|killed| Some((s.recovered? - killed).as_millis())),
                caught_up_ms: s
                    .killed
                    .and_then(|killed| Some((s.caught_up? - killed).as_millis())),
                unacked,
                unacked_ids,
                ack_p50_ms: pct(&acks, 0.50),
                ack_p99_ms: pct(&acks, 0.99),
                reads: s.reads,
                lost,
                dup,
                lost_ids,
            }
        })
    }
}
