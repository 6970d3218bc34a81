//! Agent sessions and contact tokens, by the hash of the token.

use super::SqliteStore;
use crate::store::{Sessions, StoreError, StoreFuture};
use parley_protocol::{AgentId, InteractionId, Millis};

/// Agent sessions and contact tokens.
impl SqliteStore {
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
            .execute(&self.writer)
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
            .execute(&self.writer)
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
            .execute(&self.writer)
            .await?;
        Ok(())
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
