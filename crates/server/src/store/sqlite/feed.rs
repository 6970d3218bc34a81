//! Domain events in commit order, and each consumer's cursor.

use super::SqliteStore;
use crate::store::rows::{feed_of, FeedRow};
use crate::store::{DomainFeed, FeedEntry, StoreError, StoreFuture};

impl SqliteStore {
    pub async fn domain_after(
        &self,
        position: i64,
        limit: u32,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let rows: Vec<FeedRow> = sqlx::query_as(
            "SELECT position, interaction, seq, at, body FROM domain_events
             WHERE position > ? ORDER BY position LIMIT ?",
        )
        .bind(position)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(feed_of).collect()
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
        .execute(&self.writer)
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
