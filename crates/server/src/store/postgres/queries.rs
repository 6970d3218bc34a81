//! Sessions and contact tokens, My History and a contact's earlier chats, files, and the domain
//! feed, on PostgreSQL.

use super::PgStore;
use crate::store::rows::{feed_of, file_of, history_of, FeedRow, FileRow, HistoryRow};
use crate::store::{
    DomainFeed, FeedEntry, FileRecords, History, Sessions, StoreFuture, StoredFile,
};
use parley_protocol::{AgentId, HistoryEntry, InteractionId, Millis};

/// How many entries a history list holds at most.
const HISTORY_LIMIT: i64 = 100;

impl Sessions for PgStore {
    fn create_session<'a>(
        &'a self,
        token_hash: &'a str,
        agent: &'a AgentId,
        now: Millis,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query("INSERT INTO sessions (token_hash, agent, created_at) VALUES ($1, $2, $3)")
                .bind(token_hash)
                .bind(agent.as_str())
                .bind(now)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn session_agent<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, Option<AgentId>> {
        Box::pin(async move {
            let agent: Option<String> =
                sqlx::query_scalar("SELECT agent FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
            Ok(agent.map(AgentId))
        })
    }

    fn delete_session<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn create_contact_token<'a>(
        &'a self,
        token_hash: &'a str,
        interaction: &'a InteractionId,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query("INSERT INTO contact_tokens (token_hash, interaction) VALUES ($1, $2)")
                .bind(token_hash)
                .bind(interaction.as_str())
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn contact_interaction<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> StoreFuture<'a, Option<InteractionId>> {
        Box::pin(async move {
            let id: Option<String> =
                sqlx::query_scalar("SELECT interaction FROM contact_tokens WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
            Ok(id.map(InteractionId))
        })
    }
}

impl History for PgStore {
    fn history_of_agent<'a>(&'a self, agent: &'a AgentId) -> StoreFuture<'a, Vec<HistoryEntry>> {
        Box::pin(async move {
            let rows: Vec<HistoryRow> = sqlx::query_as(
                "SELECT i.id, i.contact_name, i.subject, i.started_at, i.closed FROM interactions i
                 JOIN interaction_agents a ON a.interaction = i.id
                 WHERE a.agent = $1 ORDER BY i.started_at DESC LIMIT $2",
            )
            .bind(agent.as_str())
            .bind(HISTORY_LIMIT)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(history_of).collect())
        })
    }

    fn earlier_of_contact<'a>(
        &'a self,
        interaction: &'a InteractionId,
        before: Millis,
        since: Millis,
    ) -> StoreFuture<'a, Option<(InteractionId, Millis)>> {
        Box::pin(async move {
            let row: Option<(String, i64)> = sqlx::query_as(
                "SELECT i.id, i.started_at FROM interactions i
                 JOIN interactions me ON me.id = $1 AND me.contact_key IS NOT NULL
                   AND i.contact_key = me.contact_key
                 WHERE i.id <> me.id AND i.closed AND i.started_at < me.started_at
                   AND i.started_at < $2 AND i.started_at >= $3
                 ORDER BY i.started_at DESC LIMIT 1",
            )
            .bind(interaction.as_str())
            .bind(before)
            .bind(since)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(|(id, at)| (InteractionId(id), at)))
        })
    }

    fn history_of_contact<'a>(
        &'a self,
        interaction: &'a InteractionId,
        since: Millis,
    ) -> StoreFuture<'a, Vec<HistoryEntry>> {
        Box::pin(async move {
            let rows: Vec<HistoryRow> = sqlx::query_as(
                "SELECT i.id, i.contact_name, i.subject, i.started_at, i.closed FROM interactions i
                 JOIN interactions me ON me.id = $1 AND me.contact_key IS NOT NULL
                   AND i.contact_key = me.contact_key
                 WHERE i.id <> me.id AND i.closed AND i.started_at < me.started_at
                   AND i.started_at >= $2
                 ORDER BY i.started_at DESC LIMIT $3",
            )
            .bind(interaction.as_str())
            .bind(since)
            .bind(HISTORY_LIMIT)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(history_of).collect())
        })
    }
}

impl FileRecords for PgStore {
    fn file<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<StoredFile>> {
        Box::pin(async move {
            let row: Option<FileRow> = sqlx::query_as(
                "SELECT interaction, id, name, mime, size, seq FROM files WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(file_of))
        })
    }

    fn was_party<'a>(
        &'a self,
        agent: &'a AgentId,
        interaction: &'a InteractionId,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let found: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM interaction_agents WHERE agent = $1 AND interaction = $2",
            )
            .bind(agent.as_str())
            .bind(interaction.as_str())
            .fetch_optional(&self.pool)
            .await?;
            Ok(found.is_some())
        })
    }
}

impl DomainFeed for PgStore {
    fn domain_after(&self, position: i64, limit: u32) -> StoreFuture<'_, Vec<FeedEntry>> {
        Box::pin(async move {
            let rows: Vec<FeedRow> = sqlx::query_as(
                "SELECT position, interaction, seq, at, body FROM domain_events
                 WHERE position > $1 ORDER BY position LIMIT $2",
            )
            .bind(position)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter().map(feed_of).collect()
        })
    }

    fn cursor<'a>(&'a self, consumer: &'a str) -> StoreFuture<'a, i64> {
        Box::pin(async move {
            let position: Option<i64> =
                sqlx::query_scalar("SELECT position FROM cursors WHERE consumer = $1")
                    .bind(consumer)
                    .fetch_optional(&self.pool)
                    .await?;
            Ok(position.unwrap_or(0))
        })
    }

    fn save_cursor<'a>(&'a self, consumer: &'a str, position: i64) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO cursors (consumer, position) VALUES ($1, $2)
                 ON CONFLICT (consumer) DO UPDATE SET position = excluded.position",
            )
            .bind(consumer)
            .bind(position)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }
}
