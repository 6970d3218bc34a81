//! My History, a contact's earlier chats, and the files sent in chats.

use super::SqliteStore;
use crate::store::rows::{file_of, history_of, FileRow, HistoryRow};
use crate::store::{FileRecords, History, StoreError, StoreFuture, StoredFile};
use parley_protocol::{AgentId, HistoryEntry, InteractionId, Millis};

/// How many entries a history list holds at most.
const HISTORY_LIMIT: i64 = 100;

/// My History and a contact's earlier chats.
impl SqliteStore {
    pub async fn history_of_agent(&self, agent: &AgentId) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows: Vec<HistoryRow> = sqlx::query_as(
            "SELECT i.id, i.contact_name, i.subject, i.started_at, i.closed FROM interactions i
             JOIN interaction_agents a ON a.interaction = i.id WHERE a.agent = ? ORDER BY i.started_at DESC LIMIT ?",
        )
        .bind(agent.as_str())
        .bind(HISTORY_LIMIT)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(history_of).collect())
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
        let rows: Vec<HistoryRow> = sqlx::query_as(
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
        Ok(rows.into_iter().map(history_of).collect())
    }
}

/// Files sent in chats, and who took part in which chat.
impl SqliteStore {
    /// A file, the interaction it was sent in and its event there.
    pub async fn file(&self, id: &str) -> Result<Option<StoredFile>, StoreError> {
        let row: Option<FileRow> =
            sqlx::query_as("SELECT interaction, id, name, mime, size, seq FROM files WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(file_of))
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
