//! Durable state: interactions, their append-only event logs, and session tokens.
//!
//! One port per concern ([`EventLog`], [`Sessions`], [`History`], [`FileRecords`]; together
//! [`Store`]), usable as `dyn`: the hub and the HTTP handlers go through them, and any adapter
//! passes the same contract suite (`tests/store_contract.rs`). [`SqliteStore`] is the default
//! adapter. A batch of writes from one engine command is stored in one transaction before any of
//! it is delivered, so an acknowledged message survives a crash. `(interaction, seq)` is the
//! primary key of an event and `(interaction, sender, client_id)` is unique: the database itself
//! refuses a duplicate.

use crate::engine::{ContactInfo, InteractionRecord, Milestone};
use parley_protocol::{
    AgentId, Audience, Event, EventKind, FileRef, HistoryEntry, InteractionId, Millis, Party,
    QueueId, Seq,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;

mod schema;

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored event is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("{0}")]
    Format(String),
}

/// One write of a batch.
#[derive(Clone, Debug)]
pub enum Write {
    Interaction(InteractionRecord),
    Event(InteractionId, Event),
    /// A domain event made by an event of the same batch.
    Milestone(Milestone),
    /// The contact token of a chat started in the same batch (by the hash of the token).
    ContactToken {
        token_hash: String,
        interaction: InteractionId,
    },
    /// A file sent into a chat (its bytes are already in the files directory), with the `seq`
    /// of the event of the same batch that shows it.
    File {
        interaction: InteractionId,
        file: FileRef,
        seq: Seq,
        at: Millis,
    },
}

/// A file as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    pub interaction: InteractionId,
    pub file: FileRef,
    /// The event that put it into its chat (`None`: it never got in; only rows written before
    /// version 3 can lack it).
    pub seq: Option<Seq>,
}

/// What a store's methods return: a future that is `Send`, boxed so that the traits below can be
/// used as `dyn` (one process holds one store; the HTTP handlers and the hub share it).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The interactions' append-only event logs.
pub trait EventLog: Send + Sync {
    /// Stores every write or none.
    fn commit(&self, batch: Vec<Write>) -> StoreFuture<'_, ()>;
    /// Events of an interaction after `after`, in order.
    fn events_after<'a>(
        &'a self,
        interaction: &'a InteractionId,
        after: Seq,
    ) -> StoreFuture<'a, Vec<Event>>;
    /// At most `limit` events before `before`, in order (the latest of them).
    fn events_before<'a>(
        &'a self,
        interaction: &'a InteractionId,
        before: Seq,
        limit: u32,
    ) -> StoreFuture<'a, Vec<Event>>;
    /// One interaction's record and all its events, as stored (`None`: never stored).
    fn interaction<'a>(
        &'a self,
        id: &'a InteractionId,
    ) -> StoreFuture<'a, Option<(InteractionRecord, Vec<Event>)>>;
    /// At most `limit` interactions not yet closed whose ids come after `after`, in id order,
    /// with their events: what a restarted engine restores, a page at a time.
    fn open_interactions<'a>(
        &'a self,
        after: Option<&'a InteractionId>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<(InteractionRecord, Vec<Event>)>>;
}

/// Agent sessions and contact tokens, kept by the hash of the token.
pub trait Sessions: Send + Sync {
    /// Remembers an agent session under the hash of its token.
    fn create_session<'a>(
        &'a self,
        token_hash: &'a str,
        agent: &'a AgentId,
        now: Millis,
    ) -> StoreFuture<'a, ()>;
    /// The agent of a session token hash.
    fn session_agent<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, Option<AgentId>>;
    /// Forgets a session.
    fn delete_session<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, ()>;
    /// Remembers the contact token of a new interaction.
    fn create_contact_token<'a>(
        &'a self,
        token_hash: &'a str,
        interaction: &'a InteractionId,
    ) -> StoreFuture<'a, ()>;
    /// The interaction of a contact token hash.
    fn contact_interaction<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> StoreFuture<'a, Option<InteractionId>>;
}

/// Queries over finished and running chats: My History, a contact's earlier chats.
pub trait History: Send + Sync {
    /// My History: interactions the agent joined as a party (consultations are not joins), newest first.
    fn history_of_agent<'a>(&'a self, agent: &'a AgentId) -> StoreFuture<'a, Vec<HistoryEntry>>;
    /// The latest closed interaction of the same contact that started in `[since, before)` and
    /// before this one.
    fn earlier_of_contact<'a>(
        &'a self,
        interaction: &'a InteractionId,
        before: Millis,
        since: Millis,
    ) -> StoreFuture<'a, Option<(InteractionId, Millis)>>;
    /// Closed interactions of the same contact (same e-mail address) that started before this
    /// one and since `since`, newest first.
    fn history_of_contact<'a>(
        &'a self,
        interaction: &'a InteractionId,
        since: Millis,
    ) -> StoreFuture<'a, Vec<HistoryEntry>>;
}

/// Files sent in chats (their bytes are in the files directory) and who may fetch them.
pub trait FileRecords: Send + Sync {
    /// A file, the interaction it was sent in and its event there.
    fn file<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<StoredFile>>;
    /// Whether the agent ever joined the interaction as a party.
    fn was_party<'a>(
        &'a self,
        agent: &'a AgentId,
        interaction: &'a InteractionId,
    ) -> StoreFuture<'a, bool>;
}

/// A domain event as a consumer reads it: its place in commit order and the milestone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedEntry {
    pub position: i64,
    pub milestone: Milestone,
}

/// The domain events, in commit order, and each consumer's stored cursor: a consumer reads
/// after its cursor, acts, then saves the position it reached, so a restart resumes there.
pub trait DomainFeed: Send + Sync {
    /// At most `limit` domain events after `position`, in commit order.
    fn domain_after(&self, position: i64, limit: u32) -> StoreFuture<'_, Vec<FeedEntry>>;
    /// Where the consumer has read up to (0 before its first save).
    fn cursor<'a>(&'a self, consumer: &'a str) -> StoreFuture<'a, i64>;
    /// Remembers where the consumer has read up to.
    fn save_cursor<'a>(&'a self, consumer: &'a str, position: i64) -> StoreFuture<'a, ()>;
}

/// Everything the server keeps: one port per concern, one adapter implements them all.
pub trait Store: EventLog + Sessions + History + FileRecords + DomainFeed + 'static {}

impl<T: EventLog + Sessions + History + FileRecords + DomainFeed + 'static> Store for T {}

/// How many entries a history list holds at most.
const HISTORY_LIMIT: i64 = 100;

/// The SQLite store (WAL journal, `synchronous=FULL`: nothing acknowledged is lost to a killed
/// process or a power failure).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
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
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        schema::migrate(&pool).await?;
        Ok(Self { pool })
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

fn history_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<HistoryEntry, StoreError> {
    Ok(HistoryEntry {
        id: InteractionId(row.try_get("id")?),
        contact: row.try_get("contact_name")?,
        subject: row.try_get("subject")?,
        started_at: row.try_get("started_at")?,
        closed: row.try_get::<bool, _>("closed")?,
    })
}

/// The SQLite adapter's queries; the ports below hand them out boxed.
impl SqliteStore {
    pub async fn commit(&self, batch: Vec<Write>) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
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

    pub async fn create_session(
        &self,
        token_hash: &str,
        agent: &AgentId,
        now: Millis,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (token_hash, agent, created_at) VALUES (?, ?, ?)")
            .bind(token_hash)
            .bind(agent.as_str())
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn session_agent(&self, token_hash: &str) -> Result<Option<AgentId>, StoreError> {
        let agent: Option<String> =
            sqlx::query_scalar("SELECT agent FROM sessions WHERE token_hash = ?")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(agent.map(AgentId))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn create_contact_token(
        &self,
        token_hash: &str,
        interaction: &InteractionId,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO contact_tokens (token_hash, interaction) VALUES (?, ?)")
            .bind(token_hash)
            .bind(interaction.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn history_of_agent(&self, agent: &AgentId) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT i.id, i.contact_name, i.subject, i.started_at, i.closed FROM interactions i
             JOIN interaction_agents a ON a.interaction = i.id WHERE a.agent = ? ORDER BY i.started_at DESC LIMIT ?",
        )
        .bind(agent.as_str())
        .bind(HISTORY_LIMIT)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(history_from_row).collect()
    }

    pub async fn earlier_of_contact(
        &self,
        interaction: &InteractionId,
        before: Millis,
        since: Millis,
    ) -> Result<Option<(InteractionId, Millis)>, StoreError> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT i.id, i.started_at FROM interactions i
             JOIN interactions me ON me.id = ? AND me.contact_key IS NOT NULL AND i.contact_key = me.contact_key
             WHERE i.id <> me.id AND i.closed = 1 AND i.started_at < me.started_at
               AND i.started_at < ? AND i.started_at >= ?
             ORDER BY i.started_at DESC LIMIT 1",
        )
        .bind(interaction.as_str())
        .bind(before)
        .bind(since)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, at)| (InteractionId(id), at)))
    }

    pub async fn history_of_contact(
        &self,
        interaction: &InteractionId,
        since: Millis,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT i.id, i.contact_name, i.subject, i.started_at, i.closed FROM interactions i
             JOIN interactions me ON me.id = ? AND me.contact_key IS NOT NULL AND i.contact_key = me.contact_key
             WHERE i.id <> me.id AND i.closed = 1 AND i.started_at < me.started_at AND i.started_at >= ?
             ORDER BY i.started_at DESC LIMIT ?",
        )
        .bind(interaction.as_str())
        .bind(since)
        .bind(HISTORY_LIMIT)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(history_from_row).collect()
    }

    pub async fn contact_interaction(
        &self,
        token_hash: &str,
    ) -> Result<Option<InteractionId>, StoreError> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT interaction FROM contact_tokens WHERE token_hash = ?")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(id.map(InteractionId))
    }
}

/// Files sent in chats, and who took part in which chat.
impl SqliteStore {
    /// A file, the interaction it was sent in and its event there.
    pub async fn file(&self, id: &str) -> Result<Option<StoredFile>, StoreError> {
        let row: Option<(String, String, String, String, i64, Option<i64>)> =
            sqlx::query_as("SELECT interaction, id, name, mime, size, seq FROM files WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(ix, id, name, mime, size, seq)| StoredFile {
            interaction: InteractionId(ix),
            file: FileRef {
                id,
                name,
                mime,
                size: size.max(0) as u64,
            },
            seq: seq.map(|s| s.max(0) as Seq),
        }))
    }

    /// Whether the agent ever joined the interaction as a party.
    pub async fn was_party(
        &self,
        agent: &AgentId,
        interaction: &InteractionId,
    ) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM interaction_agents WHERE agent = ? AND interaction = ?",
        )
        .bind(agent.as_str())
        .bind(interaction.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
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

impl Sessions for SqliteStore {
    fn create_session<'a>(
        &'a self,
        token_hash: &'a str,
        agent: &'a AgentId,
        now: Millis,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.create_session(token_hash, agent, now))
    }
    fn session_agent<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, Option<AgentId>> {
        Box::pin(self.session_agent(token_hash))
    }
    fn delete_session<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(self.delete_session(token_hash))
    }
    fn create_contact_token<'a>(
        &'a self,
        token_hash: &'a str,
        interaction: &'a InteractionId,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.create_contact_token(token_hash, interaction))
    }
    fn contact_interaction<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> StoreFuture<'a, Option<InteractionId>> {
        Box::pin(self.contact_interaction(token_hash))
    }
}

impl History for SqliteStore {
    fn history_of_agent<'a>(&'a self, agent: &'a AgentId) -> StoreFuture<'a, Vec<HistoryEntry>> {
        Box::pin(self.history_of_agent(agent))
    }
    fn earlier_of_contact<'a>(
        &'a self,
        interaction: &'a InteractionId,
        before: Millis,
        since: Millis,
    ) -> StoreFuture<'a, Option<(InteractionId, Millis)>> {
        Box::pin(self.earlier_of_contact(interaction, before, since))
    }
    fn history_of_contact<'a>(
        &'a self,
        interaction: &'a InteractionId,
        since: Millis,
    ) -> StoreFuture<'a, Vec<HistoryEntry>> {
        Box::pin(self.history_of_contact(interaction, since))
    }
}

impl FileRecords for SqliteStore {
    fn file<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<StoredFile>> {
        Box::pin(self.file(id))
    }
    fn was_party<'a>(
        &'a self,
        agent: &'a AgentId,
        interaction: &'a InteractionId,
    ) -> StoreFuture<'a, bool> {
        Box::pin(self.was_party(agent, interaction))
    }
}

impl SqliteStore {
    pub async fn domain_after(
        &self,
        position: i64,
        limit: u32,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT position, interaction, seq, at, body FROM domain_events
             WHERE position > ? ORDER BY position LIMIT ?",
        )
        .bind(position)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(FeedEntry {
                    position: row.try_get("position")?,
                    milestone: Milestone {
                        interaction: InteractionId(row.try_get("interaction")?),
                        seq: row.try_get::<i64, _>("seq")? as Seq,
                        at: row.try_get("at")?,
                        event: serde_json::from_str(&row.try_get::<String, _>("body")?)?,
                    },
                })
            })
            .collect()
    }

    pub async fn cursor(&self, consumer: &str) -> Result<i64, StoreError> {
        let position: Option<i64> =
            sqlx::query_scalar("SELECT position FROM cursors WHERE consumer = ?")
                .bind(consumer)
                .fetch_optional(&self.pool)
                .await?;
        Ok(position.unwrap_or(0))
    }

    pub async fn save_cursor(&self, consumer: &str, position: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO cursors (consumer, position) VALUES (?, ?)
             ON CONFLICT(consumer) DO UPDATE SET position = excluded.position",
        )
        .bind(consumer)
        .bind(position)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

impl DomainFeed for SqliteStore {
    fn domain_after(&self, position: i64, limit: u32) -> StoreFuture<'_, Vec<FeedEntry>> {
        Box::pin(self.domain_after(position, limit))
    }
    fn cursor<'a>(&'a self, consumer: &'a str) -> StoreFuture<'a, i64> {
        Box::pin(self.cursor(consumer))
    }
    fn save_cursor<'a>(&'a self, consumer: &'a str, position: i64) -> StoreFuture<'a, ()> {
        Box::pin(self.save_cursor(consumer, position))
    }
}

#[cfg(test)]
mod tests {
    use super::{SqliteStore, StoreError, Write};
    use crate::engine::{ContactInfo, InteractionRecord};
    use parley_protocol::{Audience, Event, EventKind, InteractionId, QueueId};

    #[tokio::test]
    async fn a_files_record_is_stored_with_its_event_or_not_at_all() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("p.db"))
            .await
            .expect("database");
        let ix = InteractionId("ix-1".into());
        let record = InteractionRecord {
            id: ix.clone(),
            contact: ContactInfo {
                name: "Mark".into(),
                email: None,
                subject: None,
            },
            queue: QueueId("general".into()),
            started_at: 1,
            closed: false,
        };
        let file = |id: &str| parley_protocol::FileRef {
            id: id.into(),
            name: "card.png".into(),
            mime: "image/png".into(),
            size: 10,
        };
        let posted = |seq, id: &str| {
            vec![
                Write::Event(
                    ix.clone(),
                    Event {
                        seq,
                        at: 2,
                        audience: Audience::Everyone,
                        kind: EventKind::File {
                            from: parley_protocol::Party::Contact {
                                name: "Mark".into(),
                            },
                            file: file(id),
                        },
                    },
                ),
                Write::File {
                    interaction: ix.clone(),
                    file: file(id),
                    seq,
                    at: 2,
                },
            ]
        };
        let mut first = vec![Write::Interaction(record)];
        first.extend(posted(1, "f1"));
        store.commit(first).await.expect("stored");
        let stored = store.file("f1").await.expect("read").expect("stored");
        assert_eq!((stored.interaction, stored.seq), (ix.clone(), Some(1)));
        // The event cannot be stored (its seq is taken): neither is the file's record.
        assert!(store.commit(posted(1, "f2")).await.is_err());
        assert!(store.file("f2").await.expect("read").is_none());
    }

    #[tokio::test]
    async fn open_chats_come_back_a_page_at_a_time_with_all_their_events() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("p.db"))
            .await
            .expect("database");
        let mut batch = Vec::new();
        for n in 0..450u64 {
            let record = InteractionRecord {
                id: InteractionId(format!("ix-{n:04}")),
                contact: ContactInfo {
                    name: format!("Contact {n}"),
                    email: None,
                    subject: None,
                },
                queue: QueueId("general".into()),
                started_at: n as i64,
                // Every third chat is over: it is not restored.
                closed: n % 3 == 0,
            };
            batch.push(Write::Interaction(record.clone()));
            for seq in 1..=(n % 4 + 1) {
                let event = Event {
                    seq,
                    at: n as i64,
                    audience: Audience::Everyone,
                    kind: EventKind::Notice {
                        text: format!("{n}/{seq}"),
                    },
                };
                batch.push(Write::Event(record.id.clone(), event));
            }
        }
        store.commit(batch).await.expect("stored");

        let mut after: Option<InteractionId> = None;
        let mut pages = Vec::new();
        let mut restored = Vec::new();
        loop {
            let page = store
                .open_interactions(after.as_ref(), 200)
                .await
                .expect("page");
            pages.push(page.len());
            let full = page.len() == 200;
            for (record, events) in page {
                after = Some(record.id.clone());
                restored.push((record, events));
            }
            if !full {
                break;
            }
        }
        assert_eq!(pages, [200, 100]);
        for (record, events) in &restored {
            let n: u64 = record.id.as_str()[3..].parse().expect("number");
            assert_ne!(n % 3, 0, "{} is closed", record.id);
            let texts: Vec<String> = events
                .iter()
                .map(|e| match &e.kind {
                    EventKind::Notice { text } => text.clone(),
                    other => panic!("{other:?}"),
                })
                .collect();
            let expected: Vec<String> = (1..=(n % 4 + 1)).map(|s| format!("{n}/{s}")).collect();
            assert_eq!(texts, expected, "{}", record.id);
        }
    }

    #[tokio::test]
    async fn a_database_this_build_cannot_read_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("parley.db");
        // A new database gets every migration, and opens again without change.
        let store = SqliteStore::open(&path).await.expect("new database");
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
            .fetch_all(&store.pool)
            .await
            .expect("migrations");
        assert_eq!(applied, (1..=super::schema::latest()).collect::<Vec<_>>());
        drop(store);
        SqliteStore::open(&path).await.expect("reopened");

        // One written by a newer Parley (a migration this build does not know): refused.
        let newer = dir.path().join("newer.db");
        let store = SqliteStore::open(&newer).await.expect("database");
        sqlx::raw_sql(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (999, 'from the future', 1, x'00', 0);",
        )
        .execute(&store.pool)
        .await
        .expect("a later migration");
        drop(store);
        let err = SqliteStore::open(&newer).await.err().expect("refused");
        assert!(matches!(err, StoreError::Format(_)), "{err}");
        assert!(err.to_string().contains("a newer Parley"), "{err}");

        // One written before migrations, with events in the first format: refused, untouched.
        let old = dir.path().join("old.db");
        let store = SqliteStore::open(&old).await.expect("database");
        sqlx::raw_sql(
            "DROP TABLE _sqlx_migrations; PRAGMA user_version = 0; \
             INSERT INTO interactions (id, contact_name, queue, started_at) VALUES ('ix-1', 'Mark', 'general', 1); \
             INSERT INTO events (interaction, seq, at, audience, body) \
             VALUES ('ix-1', 1, 1, '{\"scope\":\"everyone\"}', '{\"kind\":\"ended\"}');",
        )
        .execute(&store.pool)
        .await
        .expect("old rows");
        drop(store);
        let err = SqliteStore::open(&old).await.err().expect("refused");
        assert!(matches!(err, StoreError::Format(_)), "{err}");
        assert!(err.to_string().contains("an older Parley"), "{err}");
        assert!(
            SqliteStore::open(&old).await.is_err(),
            "nothing was changed"
        );
    }
}
