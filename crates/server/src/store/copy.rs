//! Moving a single-node installation to a cluster: every row of a SQLite database copied into an
//! empty PostgreSQL database, in one transaction (all of it or nothing). Files stay where they
//! are: point every node's `server.files_dir` at that folder (or a copy of it).

use super::{PgStore, SqliteStore, StoreError};
use futures::TryStreamExt;
use sqlx::{Postgres, Transaction};

/// How many rows of each table were copied.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub interactions: u64,
    pub events: u64,
    pub other_rows: u64,
}

/// Copies the SQLite database at `from` into the (empty) PostgreSQL database at `to`.
pub async fn sqlite_to_postgres(from: &SqliteStore, to: &PgStore) -> Result<Copied, StoreError> {
    let already: i64 = sqlx::query_scalar("SELECT count(*) FROM interactions")
        .fetch_one(to.pool())
        .await?;
    if already > 0 {
        return Err(StoreError::Format(format!(
            "the PostgreSQL database already has {already} chats: copy into an empty one"
        )));
    }
    let source = from.reader();
    let mut tx = to.pool().begin().await?;
    let mut copied = Copied::default();

    let mut rows = sqlx::query_as::<_, (String, String, Option<String>, Option<String>, Option<String>, String, i64, bool)>(
        "SELECT id, contact_name, contact_email, contact_key, subject, queue, started_at, closed FROM interactions",
    )
    .fetch(source);
    while let Some((id, name, email, key, subject, queue, started_at, closed)) =
        rows.try_next().await?
    {
        sqlx::query(
            "INSERT INTO interactions (id, contact_name, contact_email, contact_key, subject, queue, started_at, closed)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(name)
        .bind(email)
        .bind(key)
        .bind(subject)
        .bind(queue)
        .bind(started_at)
        .bind(closed)
        .execute(&mut *tx)
        .await?;
        copied.interactions += 1;
    }
    drop(rows);

    let mut rows = sqlx::query_as::<_, (String, i64, i64, String, Option<String>, String, Option<String>)>(
        "SELECT interaction, seq, at, audience, client_id, body, sender FROM events ORDER BY interaction, seq",
    )
    .fetch(source);
    while let Some((interaction, seq, at, audience, client_id, body, sender)) =
        rows.try_next().await?
    {
        sqlx::query(
            "INSERT INTO events (interaction, seq, at, audience, client_id, body, sender)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(interaction)
        .bind(seq)
        .bind(at)
        .bind(audience)
        .bind(client_id)
        .bind(body)
        .bind(sender)
        .execute(&mut *tx)
        .await?;
        copied.events += 1;
    }
    drop(rows);

    copied.other_rows += pairs(
        source,
        &mut tx,
        "interaction_agents",
        "interaction",
        "agent",
    )
    .await?;
    let mut rows = sqlx::query_as::<_, (String, String, Option<String>, Option<i64>)>(
        "SELECT token_hash, interaction, handle_hash, closed_at FROM contact_tokens",
    )
    .fetch(source);
    while let Some((token_hash, interaction, handle_hash, closed_at)) = rows.try_next().await? {
        sqlx::query(
            "INSERT INTO contact_tokens (token_hash, interaction, handle_hash, closed_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(interaction)
        .bind(handle_hash)
        .bind(closed_at)
        .execute(&mut *tx)
        .await?;
        copied.other_rows += 1;
    }
    drop(rows);
    let mut rows = sqlx::query_as::<_, (String, String, i64)>(
        "SELECT handle_hash, interaction, uses FROM contact_handles",
    )
    .fetch(source);
    while let Some((handle_hash, interaction, uses)) = rows.try_next().await? {
        sqlx::query(
            "INSERT INTO contact_handles (handle_hash, interaction, uses) VALUES ($1, $2, $3)",
        )
        .bind(handle_hash)
        .bind(interaction)
        .bind(uses)
        .execute(&mut *tx)
        .await?;
        copied.other_rows += 1;
    }
    drop(rows);
    copied.other_rows += pairs(source, &mut tx, "agent_status", "agent", "status").await?;
    // A node started on the new database already made its own key: the copied one wins, so
    // the aliases of the copied chats stay what their contacts saw.
    let mut rows =
        sqlx::query_as::<_, (String, String)>("SELECT name, value FROM secrets").fetch(source);
    while let Some((name, value)) = rows.try_next().await? {
        sqlx::query(
            "INSERT INTO secrets (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&mut *tx)
        .await?;
        copied.other_rows += 1;
    }
    drop(rows);
    let mut rows = sqlx::query_as::<_, (String, i64, String, String, Option<String>)>(
        "SELECT interaction, at, actor, action, detail FROM audit",
    )
    .fetch(source);
    while let Some((interaction, at, actor, action, detail)) = rows.try_next().await? {
        sqlx::query(
            "INSERT INTO audit (interaction, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(interaction)
        .bind(at)
        .bind(actor)
        .bind(action)
        .bind(detail)
        .execute(&mut *tx)
        .await?;
        copied.other_rows += 1;
    }
    drop(rows);
    copied.other_rows += pairs(source, &mut tx, "open_offers", "interaction", "offer").await?;

    let mut rows = sqlx::query_as::<_, (String, String, i64, i64)>(
        "SELECT token_hash, agent, created_at, last_seen FROM sessions",
    )
    .fetch(source);
    while let Some((token_hash, agent, created_at, last_seen)) = rows.try_next().await? {
        sqlx::query(
            "INSERT INTO sessions (token_hash, agent, created_at, last_seen) VALUES ($1, $2, $3, $4)",
        )
            .bind(token_hash)
            .bind(agent)
            .bind(created_at)
            .bind(last_seen)
            .execute(&mut *tx)
            .await?;
        copied.other_rows += 1;
    }
    drop(rows);

    let mut rows = sqlx::query_as::<_, (String, String, String, String, i64, i64, Option<i64>)>(
        "SELECT id, interaction, name, mime, size, uploaded_at, seq FROM files",
    )
    .fetch(source);
    while let Some((id, interaction, name, mime, size, uploaded_at, seq)) = rows.try_next().await? {
        sqlx::query(
            "INSERT INTO files (id, interaction, name, mime, size, uploaded_at, seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(interaction)
        .bind(name)
        .bind(mime)
        .bind(size)
        .bind(uploaded_at)
        .bind(seq)
        .execute(&mut *tx)
        .await?;
        copied.other_rows += 1;
    }
    drop(rows);

    // Domain events keep their positions (consumers' cursors point at them), and the sequence
    // goes on after the last.
    let mut rows = sqlx::query_as::<_, (i64, String, i64, i64, String)>(
        "SELECT position, interaction, seq, at, body FROM domain_events ORDER BY position",
    )
    .fetch(source);
    while let Some((position, interaction, seq, at, body)) = rows.try_next().await? {
        sqlx::query(
            "INSERT INTO domain_events (position, interaction, seq, at, body) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(position)
        .bind(interaction)
        .bind(seq)
        .bind(at)
        .bind(body)
        .execute(&mut *tx)
        .await?;
        copied.other_rows += 1;
    }
    drop(rows);
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('domain_events', 'position'),
                       GREATEST((SELECT max(position) FROM domain_events), 1))",
    )
    .execute(&mut *tx)
    .await?;
    let mut rows =
        sqlx::query_as::<_, (String, i64)>("SELECT consumer, position FROM cursors").fetch(source);
    while let Some((consumer, position)) = rows.try_next().await? {
        sqlx::query("INSERT INTO cursors (consumer, position) VALUES ($1, $2)")
            .bind(consumer)
            .bind(position)
            .execute(&mut *tx)
            .await?;
        copied.other_rows += 1;
    }
    drop(rows);
    tx.commit().await?;
    Ok(copied)
}

/// Copies a table of two text columns.
async fn pairs(
    source: &sqlx::SqlitePool,
    tx: &mut Transaction<'_, Postgres>,
    table: &str,
    a: &str,
    b: &str,
) -> Result<u64, StoreError> {
    let select = format!("SELECT {a}, {b} FROM {table}");
    let insert = format!("INSERT INTO {table} ({a}, {b}) VALUES ($1, $2)");
    let mut rows = sqlx::query_as::<_, (String, String)>(&select).fetch(source);
    let mut n = 0;
    while let Some((x, y)) = rows.try_next().await? {
        sqlx::query(&insert)
            .bind(x)
            .bind(y)
            .execute(&mut **tx)
            .await?;
        n += 1;
    }
    Ok(n)
}
