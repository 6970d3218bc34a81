//! What the load generator counts: sends, acknowledgements (with the time from send to ack),
//! receipts with their latency, answers to reads, and from those, messages lost (acknowledged
//! but never received) and doubled (received twice).

use parley_protocol::InteractionId;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

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
    latencies_us: Vec<u64>,
}

#[derive(Default)]
pub struct Stats {
    inner: Mutex<Inner>,
    connected: AtomicUsize,
}

pub struct Report {
    pub received: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
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

    pub fn connected_count(&self) -> usize {
        self.connected.load(Ordering::Relaxed)
    }

    pub fn sent(&self, id: &str) {
        self.with(|s| s.sent.insert(id.to_owned(), Instant::now()));
    }

    pub fn acked(&self, id: &str) {
        self.with(|s| {
            if let Some(at) = s.sent.get(id) {
                s.ack_latencies_us.push(at.elapsed().as_micros() as u64);
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
            s.latencies_us.push(latency_us);
        });
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
            let mut lat = s.latencies_us.clone();
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
            Report {
                received: lat.len() as u64,
                p50_ms: pct(&lat, 0.50),
                p99_ms: pct(&lat, 0.99),
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
