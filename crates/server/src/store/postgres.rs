//! The PostgreSQL adapter, for a cluster of nodes: every port on one database, the same
//! contract as SQLite (`tests/store_contract.rs`). The other ports' queries are in
//! [`queries`].
//!
//! A store opened with a [`Fence`] commits only while its node holds the writer's lease: the
//! commit reads the lease row `FOR SHARE` in the same transaction, so a node taking the lease
//! over waits for it, and a writer whose lease expired (or was taken) gets
//! [`StoreError::Fenced`] and nothing is written.

use super::rows::{event_of, record_of, Arg, EventRow, RecordRow, Statement};
use super::{EventLog, StoreError, StoreFuture, Write};
use crate::engine::InteractionRecord;
use parley_protocol::{Event, InteractionId, Seq};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::Row;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

mod queries;

static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// The epoch of the writer's lease this node holds (0: none), shared by the lease and the store.
#[derive(Clone, Debug, Default)]
pub struct Fence(Arc<AtomicI64>);

impl Fence {
    pub fn epoch(&self) -> i64 {
        self.0.load(Ordering::Acquire)
    }

    pub fn set(&self, epoch: i64) {
        self.0.store(epoch, Ordering::Release);
    }
}

/// The PostgreSQL store (cheap to clone: one pool).
#[derive(Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    fence: Option<Fence>,
}

impl PgStore {
    /// Connects (at most `connections` at once) and brings the schema up to this build's.
    pub async fn open(url: &str, connections: u32) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(connections.max(2))
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_with(options)
            .await?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Format(format!("migrating the database failed: {e}")))?;
        Ok(Self { pool, fence: None })
    }

    /// This store, committing only while the fence's epoch is the lease's.
    pub fn fenced(self, fence: Fence) -> Self {
        Self {
            fence: Some(fence),
            ..self
        }
    }

    async fn commit(&self, batch: Vec<Write>) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        if let Some(fence) = &self.fence {
            let held: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM writer_lease WHERE epoch = $1 AND expires_at > now() FOR SHARE",
            )
            .bind(fence.epoch())
            .fetch_optional(&mut *tx)
            .await?;
            if held.is_none() {
                return Err(StoreError::Fenced);
            }
        }
        for write in batch {
            for statement in super::rows::statements(write)? {
                bind(statement).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn events_after(
        &self,
        interaction: &InteractionId,
        after: Seq,
    ) -> Result<Vec<Event>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT seq, at, audience, body FROM events WHERE interaction = $1 AND seq > $2 ORDER BY seq",
        )
        .bind(interaction.as_str())
        .bind(after.min(i64::MAX as u64) as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(event_of).collect()
    }

    async fn events_before(
        &self,
        interaction: &InteractionId,
        before: Seq,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT seq, at, audience, body FROM events WHERE interaction = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
        )
        .bind(interaction.as_str())
        .bind(before.min(i64::MAX as u64) as i64)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().rev().map(event_of).collect()
    }

    async fn interaction(
        &self,
        id: &InteractionId,
    ) -> Result<Option<(InteractionRecord, Vec<Event>)>, StoreError> {
        let row: Option<RecordRow> = sqlx::query_as(
            "SELECT id, contact_name, contact_email, subject, queue, started_at, closed
             FROM interactions WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let events = self.events_after(id, 0).await?;
        Ok(Some((record_of(row), events)))
    }

    async fn open_interactions(
        &self,
        after: Option<&InteractionId>,
        limit: u32,
    ) -> Result<Vec<(InteractionRecord, Vec<Event>)>, StoreError> {
        let after = after.map_or("", InteractionId::as_str);
        let rows: Vec<RecordRow> = sqlx::query_as(
            "SELECT id, contact_name, contact_email, subject, queue, started_at, closed
             FROM interactions WHERE NOT closed AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<(InteractionRecord, Vec<Event>)> = rows
            .into_iter()
            .map(|row| (record_of(row), Vec::new()))
            .collect();
        let ids: Vec<String> = out.iter().map(|(r, _)| r.id.0.clone()).collect();
        if ids.is_empty() {
            return Ok(out);
        }
        // The page's events in one query, not one per chat.
        let rows = sqlx::query(
            "SELECT interaction, seq, at, audience, body FROM events
             WHERE interaction = ANY($1) ORDER BY interaction, seq",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        let mut at = 0;
        for row in rows {
            let interaction: String = row.try_get("interaction")?;
            while out
                .get(at)
                .is_some_and(|(r, _)| r.id.as_str() < interaction.as_str())
            {
                at += 1;
            }
            if let Some((record, list)) = out.get_mut(at) {
                if record.id.as_str() == interaction {
                    list.push(event_of((
                        row.try_get("seq")?,
                        row.try_get("at")?,
                        row.try_get("audience")?,
                        row.try_get("body")?,
                    ))?);
                }
            }
        }
        Ok(out)
    }
}

/// A statement with its values bound.
fn bind(
    statement: Statement,
) -> sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments> {
    statement
        .args
        .into_iter()
        .fold(sqlx::query(statement.sql), |q, arg| match arg {
            Arg::Text(v) => q.bind(v),
            Arg::MaybeText(v) => q.bind(v),
            Arg::Int(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
        })
}

impl EventLog for PgStore {
    fn commit(&self, batch: Vec<Write>) -> StoreFuture<'_, ()> {
        Box::pin(self.commit(batch))
    }
    fn events_after<'a>(
        &'a self,
        interaction: &'a InteractionId,
        after: Seq,
    ) -> StoreFuture<'a, Vec<Event>> {
        Box::pin(self.events_after(interaction, after))
    }
    fn events_before<'a>(
        &'a self,
        interaction: &'a InteractionId,
        before: Seq,
        limit: u32,
    ) -> StoreFuture<'a, Vec<Event>> {
        Box::pin(self.events_before(interaction, before, limit))
    }
    fn interaction<'a>(
        &'a self,
        id: &'a InteractionId,
    ) -> StoreFuture<'a, Option<(InteractionRecord, Vec<Event>)>> {
        Box::pin(self.interaction(id))
    }
    fn open_interactions<'a>(
        &'a self,
        after: Option<&'a InteractionId>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<(InteractionRecord, Vec<Event>)>> {
        Box::pin(self.open_interactions(after, limit))
    }
}
