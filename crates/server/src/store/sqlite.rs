//! The SQLite adapter: the database, its one transaction per batch, and the event log. The
//! other ports' queries are in the modules below, by concern.

use super::rows::{event_of, record_of, Arg, EventRow, RecordRow, Statement};
use super::{schema, EventLog, StoreError, StoreFuture, Write};
use crate::engine::InteractionRecord;
use parley_protocol::{Event, InteractionId, Seq};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::Path;

mod accounts;
mod feed;
mod history;

/// The SQLite store (WAL journal, `synchronous=FULL`: nothing acknowledged is lost to a killed
/// process or a power failure).
///
/// Writes go through a connection of their own and reads through a pool beside it: SQLite takes
/// one writer at a time anyway, and a commit never waits for a reader to give a connection back.
/// With 50 clients paging history at 20 reads/s each, sharing one pool of 4 put the writer behind
/// them.
#[derive(Clone)]
pub struct SqliteStore {
    pub(in crate::store) pool: SqlitePool,
    pub(in crate::store) writer: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating when missing) the database file and its tables.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Db(sqlx::Error::Io(e)))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before it is acknowledged, so an acked message survives
            // a power failure, not only a killed process (NORMAL syncs the WAL at checkpoints).
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        schema::migrate(&writer).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Ok(Self { pool, writer })
    }
}

/// The SQLite adapter's queries; the ports below hand them out boxed.
impl SqliteStore {
    pub async fn commit(&self, batch: Vec<Write>) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer.begin().await?;
        for write in batch {
            for statement in super::rows::statements(write)? {
                bind(statement).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn events_after(
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

    pub async fn events_before(
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

    pub async fn interaction(
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

    pub async fn open_interactions(
        &self,
        after: Option<&InteractionId>,
        limit: u32,
    ) -> Result<Vec<(InteractionRecord, Vec<Event>)>, StoreError> {
        let after = after.map_or("", InteractionId::as_str);
        let rows: Vec<RecordRow> = sqlx::query_as(
            "SELECT id, contact_name, contact_email, subject, queue, started_at, closed
             FROM interactions WHERE closed = 0 AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<(InteractionRecord, Vec<Event>)> = rows
            .into_iter()
            .map(|row| (record_of(row), Vec::new()))
            .collect();
        let Some(last) = out.last().map(|(r, _)| r.id.as_str().to_owned()) else {
            return Ok(out);
        };
        // The page's events in one query, not one per chat.
        let events = sqlx::query(
            "SELECT e.interaction, e.seq, e.at, e.audience, e.body FROM events e
             JOIN interactions i ON i.id = e.interaction
             WHERE i.closed = 0 AND i.id > ? AND i.id <= ? ORDER BY e.interaction, e.seq",
        )
        .bind(after)
        .bind(&last)
        .fetch_all(&self.pool)
        .await?;
        let mut at = 0;
        for row in events {
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
) -> sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'static>> {
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

impl EventLog for SqliteStore {
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
    fn interaction<'a>(
        &'a self,
        id: &'a InteractionId,
    ) -> StoreFuture<'a, Option<(InteractionRecord, Vec<Event>)>> {
        Box::pin(self.interaction(id))
    }
    fn events_before<'a>(
        &'a self,
        interaction: &'a InteractionId,
        before: Seq,
        limit: u32,
    ) -> StoreFuture<'a, Vec<Event>> {
        Box::pin(self.events_before(interaction, before, limit))
    }
    fn open_interactions<'a>(
        &'a self,
        after: Option<&'a InteractionId>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<(InteractionRecord, Vec<Event>)>> {
        Box::pin(self.open_interactions(after, limit))
    }
}
