//! The SQLite adapter: the database, its one transaction per batch, and the event log. The
//! other ports' queries are in the modules below, by concern.

use super::{schema, EventLog, StoreError, StoreFuture, Write};
use crate::engine::{ContactInfo, InteractionRecord};
use parley_protocol::{Audience, Event, EventKind, InteractionId, Party, QueueId, Seq};
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

fn record_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<InteractionRecord, StoreError> {
    Ok(InteractionRecord {
        id: InteractionId(row.try_get("id")?),
        contact: ContactInfo {
            name: row.try_get("contact_name")?,
            email: row.try_get("contact_email")?,
            subject: row.try_get("subject")?,
        },
        queue: QueueId(row.try_get("queue")?),
        started_at: row.try_get("started_at")?,
        closed: row.try_get::<i64, _>("closed")? != 0,
    })
}

fn event_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Event, StoreError> {
    let audience: Audience = serde_json::from_str(&row.try_get::<String, _>("audience")?)?;
    let kind: EventKind = serde_json::from_str(&row.try_get::<String, _>("body")?)?;
    Ok(Event {
        seq: row.try_get::<i64, _>("seq")? as Seq,
        at: row.try_get("at")?,
        audience,
        kind,
    })
}

/// The SQLite adapter's queries; the ports below hand them out boxed.
impl SqliteStore {
    pub async fn commit(&self, batch: Vec<Write>) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer.begin().await?;
        for write in batch {
            match write {
                Write::Interaction(r) => {
                    sqlx::query(
                        "INSERT INTO interactions (id, contact_name, contact_email, contact_key, subject, queue, started_at, closed)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                         ON CONFLICT(id) DO UPDATE SET closed = excluded.closed",
                    )
                    .bind(r.id.as_str())
                    .bind(&r.contact.name)
                    .bind(&r.contact.email)
                    .bind(r.contact.email.as_ref().map(|e| e.to_lowercase()))
                    .bind(&r.contact.subject)
                    .bind(r.queue.as_str())
                    .bind(r.started_at)
                    .bind(r.closed)
                    .execute(&mut *tx)
                    .await?;
                }
                Write::File {
                    interaction,
                    file,
                    seq,
                    at,
                } => {
                    sqlx::query("INSERT INTO files (id, interaction, name, mime, size, uploaded_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?)")
                        .bind(&file.id)
                        .bind(interaction.as_str())
                        .bind(&file.name)
                        .bind(&file.mime)
                        .bind(file.size as i64)
                        .bind(at)
                        .bind(seq as i64)
                        .execute(&mut *tx)
                        .await?;
                }
                Write::ContactToken {
                    token_hash,
                    interaction,
                } => {
                    sqlx::query(
                        "INSERT INTO contact_tokens (token_hash, interaction) VALUES (?, ?)",
                    )
                    .bind(token_hash)
                    .bind(interaction.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                Write::Milestone(m) => {
                    sqlx::query("INSERT INTO domain_events (interaction, seq, at, body) VALUES (?, ?, ?, ?)")
                        .bind(m.interaction.as_str())
                        .bind(m.seq as i64)
                        .bind(m.at)
                        .bind(serde_json::to_string(&m.event)?)
                        .execute(&mut *tx)
                        .await?;
                }
                Write::Event(interaction, event) => {
                    let (client_id, sender) = match &event.kind {
                        EventKind::Message {
                            client_id: Some(id),
                            from,
                            ..
                        } => (Some(id.clone()), Some(from.sender_key())),
                        _ => (None, None),
                    };
                    if let EventKind::Joined {
                        party: Party::Agent { id, .. },
                    } = &event.kind
                    {
                        sqlx::query("INSERT OR IGNORE INTO interaction_agents (interaction, agent) VALUES (?, ?)")
                            .bind(interaction.as_str())
                            .bind(id.as_str())
                            .execute(&mut *tx)
                            .await?;
                    }
                    sqlx::query("INSERT INTO events (interaction, seq, at, audience, client_id, body, sender) VALUES (?, ?, ?, ?, ?, ?, ?)")
                        .bind(interaction.as_str())
                        .bind(event.seq as i64)
                        .bind(event.at)
                        .bind(serde_json::to_string(&event.audience)?)
                        .bind(client_id)
                        .bind(serde_json::to_string(&event.kind)?)
                        .bind(sender)
                        .execute(&mut *tx)
                        .await?;
                }
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
        let rows = sqlx::query("SELECT seq, at, audience, body FROM events WHERE interaction = ? AND seq > ? ORDER BY seq")
            .bind(interaction.as_str())
            .bind(after as i64)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    pub async fn events_before(
        &self,
        interaction: &InteractionId,
        before: Seq,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query("SELECT seq, at, audience, body FROM events WHERE interaction = ? AND seq < ? ORDER BY seq DESC LIMIT ?")
            .bind(interaction.as_str())
            .bind(before.min(i64::MAX as u64) as i64)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().rev().map(event_from_row).collect()
    }

    pub async fn interaction(
        &self,
        id: &InteractionId,
    ) -> Result<Option<(InteractionRecord, Vec<Event>)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, contact_name, contact_email, subject, queue, started_at, closed
             FROM interactions WHERE id = ?",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let events = self.events_after(id, 0).await?;
        Ok(Some((record_from_row(&row)?, events)))
    }

    pub async fn open_interactions(
        &self,
        after: Option<&InteractionId>,
        limit: u32,
    ) -> Result<Vec<(InteractionRecord, Vec<Event>)>, StoreError> {
        let after = after.map_or("", InteractionId::as_str);
        let rows = sqlx::query(
            "SELECT id, contact_name, contact_email, subject, queue, started_at, closed
             FROM interactions WHERE closed = 0 AND id > ? ORDER BY id LIMIT ?",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push((record_from_row(&row)?, Vec::new()));
        }
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
                    list.push(event_from_row(&row)?);
                }
            }
        }
        Ok(out)
    }
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
