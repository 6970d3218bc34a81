//! What the load generator counts: sends, acknowledgements, receipts with their latency, and
//! from those, messages lost (acknowledged but never received) and doubled (received twice).

use parley_protocol::InteractionId;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

#[derive(Default)]
struct Inner {
    sent: HashSet<String>,
    acked: HashSet<String>,
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
        self.with(|s| s.sent.insert(id.to_owned()));
    }

    pub fn acked(&self, id: &str) {
        self.with(|s| s.acked.insert(id.to_owned()));
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
        self.with(|s| s.latencies_us.clear());
    }

    pub fn report(&self) -> Report {
        self.with(|s| {
            let mut lat = s.latencies_us.clone();
            lat.sort_unstable();
            let pct = |p: f64| {
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
                p50_ms: pct(0.50),
                p99_ms: pct(0.99),
                lost,
                dup,
                lost_ids,
            }
        })
    }
}
