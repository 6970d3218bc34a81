//! The queries of every store port, written once for both SQL adapters: the SQL is the same on
//! SQLite and PostgreSQL (`$n` placeholders, `ON CONFLICT`, truth values read as booleans), and
//! only the pools differ. Each adapter opens its database and runs its own commit (SQLite on its
//! one writer connection, PostgreSQL behind the lease's fence) and binds a batch's statements
//! (`rows.rs`); [`sql_ports!`] gives it the rest.

/// Implements every port but the commit for `$store`, reading through `self.$read` and writing
/// sessions and cursors through `self.$write`. The adapter provides `commit_batch`.
macro_rules! sql_ports {
    ($store:ty, read: $read:ident, write: $write:ident) => {
        const _: () = {
            use $crate::engine::InteractionRecord;
            use $crate::store::rows::{
                event_of, feed_of, file_of, history_of, record_of, EventRow, FeedRow, FileRow,
                HistoryRow, RecordRow,
            };
            use $crate::store::{
                DomainFeed, EventLog, FeedEntry, FileRecords, History, Sessions, SignIn, StoreError,
                StoreFuture, StoredFile, Write,
            };
            use parley_protocol::{AgentId, Event, HistoryEntry, InteractionId, Millis, Seq};
            use sqlx::Row;

            /// How many entries a history list holds at most.
            const HISTORY_LIMIT: i64 = 100;

            /// Sequence numbers as the databases keep them (signed).
            fn stored(seq: Seq) -> i64 {
                seq.min(i64::MAX as u64) as i64
            }

            impl $store {
                async fn events_after_(
                    &self,
                    interaction: &InteractionId,
                    after: Seq,
                ) -> Result<Vec<Event>, StoreError> {
                    let rows: Vec<EventRow> = sqlx::query_as(
                        "SELECT seq, at, audience, body FROM events
                         WHERE interaction = $1 AND seq > $2 ORDER BY seq",
                    )
                    .bind(interaction.as_str())
                    .bind(stored(after))
                    .fetch_all(&self.$read)
                    .await?;
                    rows.into_iter().map(event_of).collect()
                }

                async fn open_interactions_(
                    &self,
                    after: Option<&InteractionId>,
                    limit: u32,
                ) -> Result<Vec<(InteractionRecord, Vec<Event>)>, StoreError> {
                    let after = after.map_or("", InteractionId::as_str);
                    let rows: Vec<RecordRow> = sqlx::query_as(
                        "SELECT id, contact_name, contact_email, subject, queue, started_at, closed,
                            contact_key IS NOT NULL
                         FROM interactions WHERE NOT closed AND id > $1 ORDER BY id LIMIT $2",
                    )
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.$read)
                    .await?;
                    let mut out: Vec<(InteractionRecord, Vec<Event>)> = rows
                        .into_iter()
                        .map(|row| (record_of(row), Vec::new()))
                        .collect();
                    let Some(last) = out.last().map(|(r, _)| r.id.0.clone()) else {
                        return Ok(out);
                    };
                    // The page's events in one query, not one per chat.
                    let rows = sqlx::query(
                        "SELECT e.interaction, e.seq, e.at, e.audience, e.body FROM events e
                         JOIN interactions i ON i.id = e.interaction
                         WHERE NOT i.closed AND i.id > $1 AND i.id <= $2
                         ORDER BY e.interaction, e.seq",
                    )
                    .bind(after)
                    .bind(&last)
                    .fetch_all(&self.$read)
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

            impl EventLog for $store {
                fn commit(&self, batch: Vec<Write>) -> StoreFuture<'_, ()> {
                    Box::pin(self.commit_batch(batch))
                }

                fn events_after<'a>(
                    &'a self,
                    interaction: &'a InteractionId,
                    after: Seq,
                ) -> StoreFuture<'a, Vec<Event>> {
                    Box::pin(self.events_after_(interaction, after))
                }

                fn events_before<'a>(
                    &'a self,
                    interaction: &'a InteractionId,
                    before: Seq,
                    limit: u32,
                ) -> StoreFuture<'a, Vec<Event>> {
                    Box::pin(async move {
                        let rows: Vec<EventRow> = sqlx::query_as(
                            "SELECT seq, at, audience, body FROM events
                             WHERE interaction = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
                        )
                        .bind(interaction.as_str())
                        .bind(stored(before))
                        .bind(i64::from(limit))
                        .fetch_all(&self.$read)
                        .await?;
                        rows.into_iter().rev().map(event_of).collect()
                    })
                }

                fn interaction<'a>(
                    &'a self,
                    id: &'a InteractionId,
                ) -> StoreFuture<'a, Option<(InteractionRecord, Vec<Event>)>> {
                    Box::pin(async move {
                        let row: Option<RecordRow> = sqlx::query_as(
                            "SELECT id, contact_name, contact_email, subject, queue, started_at, closed,
                            contact_key IS NOT NULL
                             FROM interactions WHERE id = $1",
                        )
                        .bind(id.as_str())
                        .fetch_optional(&self.$read)
                        .await?;
                        let Some(row) = row else {
                            return Ok(None);
                        };
                        let events = self.events_after_(id, 0).await?;
                        Ok(Some((record_of(row), events)))
                    })
                }

                fn open_interactions<'a>(
                    &'a self,
                    after: Option<&'a InteractionId>,
                    limit: u32,
                ) -> StoreFuture<'a, Vec<(InteractionRecord, Vec<Event>)>> {
                    Box::pin(self.open_interactions_(after, limit))
                }

                fn requests_since(
                    &self,
                    since: Millis,
                ) -> StoreFuture<'_, Vec<(crate::store::RequestKey, Millis)>> {
                    Box::pin(async move {
                        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
                            "SELECT actor, client, req, at FROM requests WHERE at >= $1
                             ORDER BY at",
                        )
                        .bind(since)
                        .fetch_all(&self.$read)
                        .await?;
                        Ok(rows
                            .into_iter()
                            .map(|(actor, client, req, at)| {
                                let req = u64::try_from(req).unwrap_or_default();
                                (crate::store::RequestKey { actor, client, req }, at)
                            })
                            .collect())
                    })
                }

                fn open_offers(
                    &self,
                ) -> StoreFuture<'_, Vec<(InteractionId, crate::engine::PendingOffer)>> {
                    Box::pin(async move {
                        let rows: Vec<(String, String)> = sqlx::query_as(
                            "SELECT interaction, offer FROM open_offers ORDER BY interaction",
                        )
                        .fetch_all(&self.$read)
                        .await?;
                        Ok(rows
                            .into_iter()
                            .filter_map(|(interaction, offer)| {
                                match serde_json::from_str(&offer) {
                                    Ok(offer) => Some((InteractionId(interaction), offer)),
                                    Err(e) => {
                                        tracing::warn!(
                                            "the open offer of {interaction} is unreadable \
                                             ({e}); it is routed afresh"
                                        );
                                        None
                                    }
                                }
                            })
                            .collect())
                    })
                }

                fn agent_statuses(
                    &self,
                ) -> StoreFuture<'_, Vec<(AgentId, parley_protocol::AgentStatus)>> {
                    Box::pin(async move {
                        let rows: Vec<(String, String)> =
                            sqlx::query_as("SELECT agent, status FROM agent_status ORDER BY agent")
                                .fetch_all(&self.$read)
                                .await?;
                        rows.into_iter()
                            .map(|(agent, status)| {
                                Ok((AgentId(agent), serde_json::from_str(&status)?))
                            })
                            .collect()
                    })
                }
            }

            impl Sessions for $store {
                fn create_session<'a>(
                    &'a self,
                    token_hash: &'a str,
                    agent: &'a AgentId,
                    now: Millis,
                ) -> StoreFuture<'a, ()> {
                    Box::pin(async move {
                        sqlx::query(
                            "INSERT INTO sessions (token_hash, agent, created_at, last_seen)
                             VALUES ($1, $2, $3, $3)",
                        )
                        .bind(token_hash)
                        .bind(agent.as_str())
                        .bind(now)
                        .execute(&self.$write)
                        .await?;
                        Ok(())
                    })
                }

                fn session_agent<'a>(
                    &'a self,
                    token_hash: &'a str,
                ) -> StoreFuture<'a, Option<AgentId>> {
                    Box::pin(async move {
                        let agent: Option<String> =
                            sqlx::query_scalar("SELECT agent FROM sessions WHERE token_hash = $1")
                                .bind(token_hash)
                                .fetch_optional(&self.$read)
                                .await?;
                        Ok(agent.map(AgentId))
                    })
                }

                fn create_sign_in<'a>(
                    &'a self,
                    token_hash: &'a str,
                    agent: &'a AgentId,
                    expires_at: Millis,
                    from_session: Option<&'a str>,
                ) -> StoreFuture<'a, ()> {
                    Box::pin(async move {
                        let mut tx = self.$write.begin().await?;
                        if let Some(session) = from_session {
                            sqlx::query("DELETE FROM sign_in_tokens WHERE session_hash = $1")
                                .bind(session)
                                .execute(&mut *tx)
                                .await?;
                        }
                        sqlx::query(
                            "INSERT INTO sign_in_tokens (token_hash, agent, expires_at, session_hash)
                             VALUES ($1, $2, $3, $4)",
                        )
                        .bind(token_hash)
                        .bind(agent.as_str())
                        .bind(expires_at)
                        .bind(from_session)
                        .execute(&mut *tx)
                        .await?;
                        tx.commit().await?;
                        Ok(())
                    })
                }

                fn take_sign_in<'a>(
                    &'a self,
                    token_hash: &'a str,
                    now: Millis,
                ) -> StoreFuture<'a, Option<SignIn>> {
                    Box::pin(async move {
                        let taken: Option<(String, i64, Option<String>)> = sqlx::query_as(
                            "DELETE FROM sign_in_tokens WHERE token_hash = $1
                             RETURNING agent, expires_at, session_hash",
                        )
                        .bind(token_hash)
                        .fetch_optional(&self.$write)
                        .await?;
                        sqlx::query("DELETE FROM sign_in_tokens WHERE expires_at <= $1")
                            .bind(now)
                            .execute(&self.$write)
                            .await?;
                        Ok(taken
                            .filter(|(_, expires_at, _)| *expires_at > now)
                            .map(|(agent, _, from_session)| SignIn {
                                agent: AgentId(agent),
                                from_session,
                            }))
                    })
                }

                fn move_session<'a>(
                    &'a self,
                    from_hash: &'a str,
                    to_hash: &'a str,
                    now: Millis,
                ) -> StoreFuture<'a, bool> {
                    Box::pin(async move {
                        let mut tx = self.$write.begin().await?;
                        let moved = sqlx::query(
                            "INSERT INTO sessions (token_hash, agent, created_at, last_seen)
                             SELECT $1, agent, created_at, $2 FROM sessions WHERE token_hash = $3",
                        )
                        .bind(to_hash)
                        .bind(now)
                        .bind(from_hash)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                            == 1;
                        sqlx::query("DELETE FROM sign_in_tokens WHERE session_hash = $1")
                            .bind(from_hash)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                            .bind(from_hash)
                            .execute(&mut *tx)
                            .await?;
                        tx.commit().await?;
                        Ok(moved)
                    })
                }

                fn delete_session<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, ()> {
                    Box::pin(async move {
                        let mut tx = self.$write.begin().await?;
                        sqlx::query("DELETE FROM sign_in_tokens WHERE session_hash = $1")
                            .bind(token_hash)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                            .bind(token_hash)
                            .execute(&mut *tx)
                            .await?;
                        tx.commit().await?;
                        Ok(())
                    })
                }

                fn touch_sessions<'a>(
                    &'a self,
                    token_hashes: &'a [String],
                    now: Millis,
                ) -> StoreFuture<'a, ()> {
                    Box::pin(async move {
                        // One statement per 500 sessions, not one per session: a node with
                        // thousands of desktops open marks them in a few round trips.
                        let mut tx = self.$write.begin().await?;
                        for batch in token_hashes.chunks(500) {
                            let mut update = sqlx::QueryBuilder::new(
                                "UPDATE sessions SET last_seen = ",
                            );
                            update.push_bind(now).push(" WHERE token_hash IN (");
                            let mut list = update.separated(", ");
                            for hash in batch {
                                list.push_bind(hash);
                            }
                            update.push(")");
                            update.build().execute(&mut *tx).await?;
                        }
                        tx.commit().await?;
                        Ok(())
                    })
                }

                fn expire_sessions<'a>(
                    &'a self,
                    idle_before: Millis,
                    opened_before: Millis,
                ) -> StoreFuture<'a, Vec<String>> {
                    Box::pin(async move {
                        let mut tx = self.$write.begin().await?;
                        let ended: Vec<String> = sqlx::query_scalar(
                            "DELETE FROM sessions
                             WHERE CASE WHEN last_seen > created_at THEN last_seen
                                        ELSE created_at END < $1
                                OR created_at < $2
                             RETURNING token_hash",
                        )
                        .bind(idle_before)
                        .bind(opened_before)
                        .fetch_all(&mut *tx)
                        .await?;
                        if !ended.is_empty() {
                            sqlx::query(
                                "DELETE FROM sign_in_tokens WHERE session_hash IS NOT NULL
                                 AND session_hash NOT IN (SELECT token_hash FROM sessions)",
                            )
                            .execute(&mut *tx)
                            .await?;
                        }
                        tx.commit().await?;
                        Ok(ended)
                    })
                }

                fn secret<'a>(&'a self, name: &'a str, fresh: &'a str) -> StoreFuture<'a, String> {
                    Box::pin(async move {
                        sqlx::query(
                            "INSERT INTO secrets (name, value) VALUES ($1, $2)
                             ON CONFLICT (name) DO NOTHING",
                        )
                        .bind(name)
                        .bind(fresh)
                        .execute(&self.$write)
                        .await?;
                        Ok(sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1")
                            .bind(name)
                            .fetch_one(&self.$write)
                            .await?)
                    })
                }

                fn expire_contact_tokens<'a>(
                    &'a self,
                    now: Millis,
                    closed_before: Millis,
                ) -> StoreFuture<'a, u64> {
                    Box::pin(async move {
                        let mut tx = self.$write.begin().await?;
                        // The closing itself writes no time here: this round notes it.
                        sqlx::query(
                            "UPDATE contact_tokens SET closed_at = $1
                             WHERE closed_at IS NULL AND interaction IN
                                 (SELECT id FROM interactions WHERE closed = $2)",
                        )
                        .bind(now)
                        .bind(true)
                        .execute(&mut *tx)
                        .await?;
                        let revoked =
                            sqlx::query("DELETE FROM contact_tokens WHERE closed_at < $1")
                                .bind(closed_before)
                                .execute(&mut *tx)
                                .await?
                                .rows_affected();
                        tx.commit().await?;
                        Ok(revoked)
                    })
                }

                fn create_contact_token<'a>(
                    &'a self,
                    token_hash: &'a str,
                    interaction: &'a InteractionId,
                ) -> StoreFuture<'a, ()> {
                    Box::pin(async move {
                        sqlx::query(
                            "INSERT INTO contact_tokens (token_hash, interaction) VALUES ($1, $2)",
                        )
                        .bind(token_hash)
                        .bind(interaction.as_str())
                        .execute(&self.$write)
                        .await?;
                        Ok(())
                    })
                }

                fn contact_interaction<'a>(
                    &'a self,
                    token_hash: &'a str,
                ) -> StoreFuture<'a, Option<InteractionId>> {
                    Box::pin(async move {
                        let id: Option<String> = sqlx::query_scalar(
                            "SELECT interaction FROM contact_tokens WHERE token_hash = $1",
                        )
                        .bind(token_hash)
                        .fetch_optional(&self.$read)
                        .await?;
                        Ok(id.map(InteractionId))
                    })
                }

                fn create_contact_handle<'a>(
                    &'a self,
                    handle_hash: &'a str,
                    interaction: &'a InteractionId,
                ) -> StoreFuture<'a, ()> {
                    Box::pin(async move {
                        sqlx::query(
                            "INSERT INTO contact_handles (handle_hash, interaction) VALUES ($1, $2)",
                        )
                        .bind(handle_hash)
                        .bind(interaction.as_str())
                        .execute(&self.$write)
                        .await?;
                        Ok(())
                    })
                }

                fn use_contact_handle<'a>(
                    &'a self,
                    handle_hash: &'a str,
                    token_hash: &'a str,
                    max_uses: u32,
                ) -> StoreFuture<'a, Option<InteractionId>> {
                    Box::pin(async move {
                        let mut tx = self.$write.begin().await?;
                        let found: Option<(String, bool)> = sqlx::query_as(
                            "SELECT h.interaction, i.closed FROM contact_handles h
                             JOIN interactions i ON i.id = h.interaction
                             WHERE h.handle_hash = $1",
                        )
                        .bind(handle_hash)
                        .fetch_optional(&mut *tx)
                        .await?;
                        let Some((interaction, closed)) = found else {
                            return Ok(None);
                        };
                        if closed {
                            sqlx::query("DELETE FROM contact_handles WHERE handle_hash = $1")
                                .bind(handle_hash)
                                .execute(&mut *tx)
                                .await?;
                            tx.commit().await?;
                            return Ok(None);
                        }
                        // Counted in the same statement that checks the bound: two exchanges
                        // at once cannot both pass the last use.
                        let counted = sqlx::query(
                            "UPDATE contact_handles SET uses = uses + 1
                             WHERE handle_hash = $1 AND uses < $2",
                        )
                        .bind(handle_hash)
                        .bind(i64::from(max_uses))
                        .execute(&mut *tx)
                        .await?;
                        if counted.rows_affected() == 0 {
                            return Ok(None);
                        }
                        sqlx::query(
                            "INSERT INTO contact_tokens (token_hash, interaction, handle_hash)
                             VALUES ($1, $2, $3)",
                        )
                        .bind(token_hash)
                        .bind(&interaction)
                        .bind(handle_hash)
                        .execute(&mut *tx)
                        .await?;
                        tx.commit().await?;
                        Ok(Some(InteractionId(interaction)))
                    })
                }

                fn revoke_contact_handle<'a>(
                    &'a self,
                    handle_hash: &'a str,
                ) -> StoreFuture<'a, ()> {
                    Box::pin(async move {
                        let mut tx = self.$write.begin().await?;
                        // The handle first: an exchange under way holds its row until it has
                        // stored its token, so the tokens deleted next include that one.
                        sqlx::query("DELETE FROM contact_handles WHERE handle_hash = $1")
                            .bind(handle_hash)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("DELETE FROM contact_tokens WHERE handle_hash = $1")
                            .bind(handle_hash)
                            .execute(&mut *tx)
                            .await?;
                        tx.commit().await?;
                        Ok(())
                    })
                }
            }

            impl History for $store {
                fn history_of_agent<'a>(
                    &'a self,
                    agent: &'a AgentId,
                ) -> StoreFuture<'a, Vec<HistoryEntry>> {
                    Box::pin(async move {
                        let rows: Vec<HistoryRow> = sqlx::query_as(
                            "SELECT i.id, i.contact_name, i.subject, i.started_at, i.closed
                             FROM interactions i JOIN interaction_agents a ON a.interaction = i.id
                             WHERE a.agent = $1 ORDER BY i.started_at DESC LIMIT $2",
                        )
                        .bind(agent.as_str())
                        .bind(HISTORY_LIMIT)
                        .fetch_all(&self.$read)
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
                        .fetch_optional(&self.$read)
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
                            "SELECT i.id, i.contact_name, i.subject, i.started_at, i.closed
                             FROM interactions i
                             JOIN interactions me ON me.id = $1 AND me.contact_key IS NOT NULL
                               AND i.contact_key = me.contact_key
                             WHERE i.id <> me.id AND i.started_at < me.started_at
                               AND (NOT i.closed OR i.started_at >= $2)
                             ORDER BY i.started_at DESC LIMIT $3",
                        )
                        .bind(interaction.as_str())
                        .bind(since)
                        .bind(HISTORY_LIMIT)
                        .fetch_all(&self.$read)
                        .await?;
                        Ok(rows.into_iter().map(history_of).collect())
                    })
                }
            }

            impl FileRecords for $store {
                fn file<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<StoredFile>> {
                    Box::pin(async move {
                        let row: Option<FileRow> = sqlx::query_as(
                            "SELECT interaction, id, name, mime, size, seq FROM files WHERE id = $1",
                        )
                        .bind(id)
                        .fetch_optional(&self.$read)
                        .await?;
                        Ok(row.map(file_of))
                    })
                }

                fn files_in<'a>(
                    &'a self,
                    interaction: &'a InteractionId,
                ) -> StoreFuture<'a, (u64, u64)> {
                    Box::pin(async move {
                        let (count, bytes): (i64, i64) = sqlx::query_as(
                            "SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT)
                             FROM files WHERE interaction = $1",
                        )
                        .bind(interaction.as_str())
                        .fetch_one(&self.$read)
                        .await?;
                        Ok((count.max(0) as u64, bytes.max(0) as u64))
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
                        .fetch_optional(&self.$read)
                        .await?;
                        Ok(found.is_some())
                    })
                }
            }

            impl DomainFeed for $store {
                fn domain_after(
                    &self,
                    position: i64,
                    limit: u32,
                ) -> StoreFuture<'_, Vec<FeedEntry>> {
                    Box::pin(async move {
                        let rows: Vec<FeedRow> = sqlx::query_as(
                            "SELECT position, interaction, seq, at, body FROM domain_events
                             WHERE position > $1 ORDER BY position LIMIT $2",
                        )
                        .bind(position)
                        .bind(i64::from(limit))
                        .fetch_all(&self.$read)
                        .await?;
                        rows.into_iter().map(feed_of).collect()
                    })
                }

                fn cursor<'a>(&'a self, consumer: &'a str) -> StoreFuture<'a, i64> {
                    Box::pin(async move {
                        let position: Option<i64> =
                            sqlx::query_scalar("SELECT position FROM cursors WHERE consumer = $1")
                                .bind(consumer)
                                .fetch_optional(&self.$read)
                                .await?;
                        Ok(position.unwrap_or(0))
                    })
                }

                fn save_cursor<'a>(
                    &'a self,
                    consumer: &'a str,
                    position: i64,
                ) -> StoreFuture<'a, ()> {
                    Box::pin(async move {
                        sqlx::query(
                            "INSERT INTO cursors (consumer, position) VALUES ($1, $2)
                             ON CONFLICT (consumer) DO UPDATE SET position = excluded.position",
                        )
                        .bind(consumer)
                        .bind(position)
                        .execute(&self.$write)
                        .await?;
                        Ok(())
                    })
                }
            }
        };
    };
}

/// Binds a statement's values for `$db` (each adapter's query type differs).
macro_rules! bind_statement {
    ($statement:expr) => {{
        let statement: $crate::store::rows::Statement = $statement;
        statement
            .args
            .into_iter()
            .fold(sqlx::query(statement.sql), |q, arg| match arg {
                $crate::store::rows::Arg::Text(v) => q.bind(v),
                $crate::store::rows::Arg::MaybeText(v) => q.bind(v),
                $crate::store::rows::Arg::Int(v) => q.bind(v),
                $crate::store::rows::Arg::Bool(v) => q.bind(v),
            })
    }};
}

pub(super) use bind_statement;
pub(super) use sql_ports;
