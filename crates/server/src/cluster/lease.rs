//! The writer's lease as a PostgreSQL row: one holder at a time, with an epoch that grows at
//! every change of holder and an expiry its holder keeps pushing forward.
//!
//! - A node that does not hold the lease tries to take it at every renewal tick; it gets it
//!   only once the row has expired (or was handed back), with the next epoch.
//! - The holder renews every [`Timing::renew`]; it counts itself the holder only until the
//!   expiry it last set, measured from before it asked, so its own clock never lets it write
//!   past what the database believes.
//! - The store commits behind the lease's [`Fence`]: each commit reads the row `FOR SHARE` and
//!   checks the epoch and expiry, so even a writer that has not noticed its loss yet cannot
//!   commit, and a node taking over waits for a commit in flight.

use crate::edge::Lease;
use crate::store::{Fence, StoreError};
use sqlx::PgPool;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long a lease lasts and how often its holder renews it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    pub ttl: Duration,
    pub renew: Duration,
}

impl Default for Timing {
    /// A dead writer is replaced within 3 s of its last renewal; a live one renews three times
    /// per lease, so one slow round trip does not lose it.
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(3),
            renew: Duration::from_secs(1),
        }
    }
}

/// What this node holds: the epoch (0: nothing) and until when it may count on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holding {
    pub epoch: i64,
    until: Option<Instant>,
}

/// The lease as seen by one node.
#[derive(Clone)]
pub struct PgLease {
    pool: PgPool,
    node: String,
    timing: Timing,
    fence: Fence,
    holding: Arc<Mutex<Holding>>,
    changes: watch::Sender<i64>,
}

impl PgLease {
    /// The lease for this node (not held yet: [`PgLease::tick`] or [`PgLease::run`] takes it).
    pub fn new(pool: PgPool, node: &str, timing: Timing, fence: Fence) -> Self {
        Self {
            pool,
            node: node.to_owned(),
            timing,
            fence,
            holding: Arc::new(Mutex::new(Holding {
                epoch: 0,
                until: None,
            })),
            changes: watch::Sender::new(0),
        }
    }

    /// The epoch this node holds now (0: none). Every change is also sent to [`PgLease::watch`].
    pub fn epoch(&self) -> i64 {
        let holding = *self.holding.lock().unwrap_or_else(PoisonError::into_inner);
        match holding.until {
            Some(until) if Instant::now() < until => holding.epoch,
            _ => 0,
        }
    }

    /// The epoch held, as it changes (0 when lost).
    pub fn watch(&self) -> watch::Receiver<i64> {
        self.changes.subscribe()
    }

    /// Renews the lease if this node holds it, or takes it if it has expired; the epoch held
    /// after (0: none).
    pub async fn tick(&self) -> Result<i64, StoreError> {
        let asked = Instant::now();
        let held = self.epoch();
        let ttl_ms = i64::try_from(self.timing.ttl.as_millis()).unwrap_or(i64::MAX);
        let epoch: Option<i64> = if held != 0 {
            sqlx::query_scalar(
                "UPDATE writer_lease SET expires_at = now() + $3 * interval '1 millisecond'
                 WHERE id = 1 AND holder = $1 AND epoch = $2 AND expires_at > now()
                 RETURNING epoch",
            )
            .bind(&self.node)
            .bind(held)
            .bind(ttl_ms)
            .fetch_optional(&self.pool)
            .await?
        } else {
            sqlx::query_scalar(
                "INSERT INTO writer_lease (id, holder, epoch, expires_at)
                 VALUES (1, $1, 1, now() + $2 * interval '1 millisecond')
                 ON CONFLICT (id) DO UPDATE
                   SET holder = excluded.holder, epoch = writer_lease.epoch + 1,
                       expires_at = excluded.expires_at
                   WHERE writer_lease.expires_at <= now()
                 RETURNING epoch",
            )
            .bind(&self.node)
            .bind(ttl_ms)
            .fetch_optional(&self.pool)
            .await?
        };
        let holding = Holding {
            epoch: epoch.unwrap_or(0),
            until: epoch.map(|_| asked + self.timing.ttl),
        };
        self.set(holding);
        Ok(holding.epoch)
    }

    /// Hands the lease back (a graceful stop): another node takes it at its next tick.
    pub async fn release(&self) -> Result<(), StoreError> {
        let held = self.epoch();
        self.set(Holding {
            epoch: 0,
            until: None,
        });
        if held != 0 {
            sqlx::query(
                "UPDATE writer_lease SET expires_at = now() WHERE id = 1 AND holder = $1 AND epoch = $2",
            )
            .bind(&self.node)
            .bind(held)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// Ticks until the task is dropped; a failed round trip counts as not holding.
    pub async fn run(self) {
        let mut every = tokio::time::interval(self.timing.renew);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = self.tick().await {
                tracing::warn!("writer lease: {e}");
                self.set(Holding {
                    epoch: 0,
                    until: None,
                });
            }
        }
    }

    fn set(&self, holding: Holding) {
        let before = {
            let mut now = self.holding.lock().unwrap_or_else(PoisonError::into_inner);
            std::mem::replace(&mut *now, holding).epoch
        };
        self.fence.set(holding.epoch);
        metrics::gauge!("parley_writer_epoch").set(holding.epoch as f64);
        if before != holding.epoch {
            if holding.epoch != 0 {
                tracing::info!(
                    "writer lease taken by {} (epoch {})",
                    self.node,
                    holding.epoch
                );
            } else {
                tracing::warn!("writer lease lost by {} (epoch {before})", self.node);
            }
            self.changes.send_replace(holding.epoch);
        }
    }
}

impl Lease for PgLease {
    fn held(&self) -> bool {
        self.epoch() != 0
    }

    fn epoch(&self) -> i64 {
        PgLease::epoch(self)
    }
}
