//! The [`Records`](super::Records) port on SQL: finding chats past their keeping time or of one
//! contact, and forgetting chats with every row that names them.

/// Implements [`Records`](super::Records) for `$store`, reading through `self.$read` and
/// deleting through `self.$write`.
macro_rules! records_port {
    ($store:ty, read: $read:ident, write: $write:ident) => {
        const _: () = {
            use $crate::store::rows::{feed_of, FeedRow};
            use $crate::store::{AuditEntry, FeedEntry, Forgotten, Records, StoreFuture};
            use parley_protocol::{InteractionId, Millis};

            impl Records for $store {
                fn audit<'a>(&'a self, entry: &'a AuditEntry) -> StoreFuture<'a, ()> {
                    Box::pin(async move {
                        sqlx::query(
                            "INSERT INTO audit (interaction, at, actor, action, detail)
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(entry.interaction.as_str())
                        .bind(entry.at)
                        .bind(&entry.actor)
                        .bind(&entry.action)
                        .bind(&entry.detail)
                        .execute(&self.$write)
                        .await?;
                        Ok(())
                    })
                }

                fn audit_of<'a>(
                    &'a self,
                    interaction: &'a InteractionId,
                ) -> StoreFuture<'a, Vec<AuditEntry>> {
                    Box::pin(async move {
                        let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
                            "SELECT at, actor, action, detail FROM audit
                             WHERE interaction = $1 ORDER BY at",
                        )
                        .bind(interaction.as_str())
                        .fetch_all(&self.$read)
                        .await?;
                        Ok(rows
                            .into_iter()
                            .map(|(at, actor, action, detail)| AuditEntry {
                                interaction: interaction.clone(),
                                at,
                                actor,
                                action,
                                detail,
                            })
                            .collect())
                    })
                }

                fn milestones_of<'a>(
                    &'a self,
                    interaction: &'a InteractionId,
                ) -> StoreFuture<'a, Vec<FeedEntry>> {
                    Box::pin(async move {
                        let rows: Vec<FeedRow> = sqlx::query_as(
                            "SELECT position, interaction, seq, at, body FROM domain_events
                             WHERE interaction = $1 ORDER BY position",
                        )
                        .bind(interaction.as_str())
                        .fetch_all(&self.$read)
                        .await?;
                        rows.into_iter().map(feed_of).collect()
                    })
                }

                fn closed_before<'a>(
                    &'a self,
                    before: Millis,
                    limit: u32,
                ) -> StoreFuture<'a, Vec<InteractionId>> {
                    Box::pin(async move {
                        let ids: Vec<String> = sqlx::query_scalar(
                            "SELECT i.id FROM interactions i WHERE i.closed = $1
                             AND COALESCE((SELECT MAX(e.at) FROM events e WHERE e.interaction = i.id),
                                          i.started_at) < $2
                             LIMIT $3",
                        )
                        .bind(true)
                        .bind(before)
                        .bind(i64::from(limit))
                        .fetch_all(&self.$read)
                        .await?;
                        Ok(ids.into_iter().map(InteractionId).collect())
                    })
                }

                fn chats_of_contact<'a>(
                    &'a self,
                    email: &'a str,
                ) -> StoreFuture<'a, Vec<(InteractionId, bool)>> {
                    Box::pin(async move {
                        // Stored as it came in: marks written out, any case. SQLite's LOWER
                        // knows ASCII only, so the addresses are compared here (erasure is
                        // rare; the scan is of chats with an address).
                        let email = $crate::engine::marks::shown(email.trim()).to_lowercase();
                        let rows: Vec<(String, bool, Option<String>, Option<String>)> =
                            sqlx::query_as(
                                "SELECT id, closed, contact_key, contact_email FROM interactions
                                 WHERE contact_key = $1 OR contact_email IS NOT NULL
                                 ORDER BY started_at",
                            )
                            .bind(&email)
                            .fetch_all(&self.$read)
                            .await?;
                        Ok(rows
                            .into_iter()
                            .filter(|(_, _, key, typed)| {
                                key.as_deref() == Some(email.as_str())
                                    || typed.as_ref().is_some_and(|t| t.to_lowercase() == email)
                            })
                            .map(|(id, closed, _, _)| (InteractionId(id), closed))
                            .collect())
                    })
                }

                fn forget<'a>(
                    &'a self,
                    chats: &'a [InteractionId],
                ) -> StoreFuture<'a, Forgotten> {
                    Box::pin(async move {
                        let mut forgotten = Forgotten::default();
                        let mut tx = self.$write.begin().await?;
                        for id in chats {
                            let id = id.as_str();
                            let files: Vec<String> =
                                sqlx::query_scalar("DELETE FROM files WHERE interaction = $1 RETURNING id")
                                    .bind(id)
                                    .fetch_all(&mut *tx)
                                    .await?;
                            forgotten.files.extend(files);
                            forgotten.events += sqlx::query("DELETE FROM events WHERE interaction = $1")
                                    .bind(id)
                                    .execute(&mut *tx)
                                    .await?
                                    .rows_affected();
                            forgotten.tokens += sqlx::query("DELETE FROM contact_tokens WHERE interaction = $1")
                                    .bind(id)
                                    .execute(&mut *tx)
                                    .await?
                                    .rows_affected();
                            for table in [
                                "DELETE FROM contact_handles WHERE interaction = $1",
                                "DELETE FROM interaction_agents WHERE interaction = $1",
                                "DELETE FROM open_offers WHERE interaction = $1",
                                "DELETE FROM domain_events WHERE interaction = $1",
                                "DELETE FROM audit WHERE interaction = $1",
                            ] {
                                sqlx::query(table).bind(id).execute(&mut *tx).await?;
                            }
                            forgotten.chats += sqlx::query("DELETE FROM interactions WHERE id = $1")
                                .bind(id)
                                .execute(&mut *tx)
                                .await?
                                .rows_affected();
                        }
                        tx.commit().await?;
                        Ok(forgotten)
                    })
                }
            }
        };
    };
}

pub(super) use records_port;
