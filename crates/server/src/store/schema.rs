//! The SQLite schema: `sqlx` migrations (`migrations/sqlite/`), and the adoption of databases
//! written before migrations existed.
//!
//! A database made by an older Parley has no `_sqlx_migrations` table; its event format is in
//! `PRAGMA user_version`. Format 3 is what the first migration creates, and that migration is a
//! no-op on it, so running it adopts the database. Format 2 is brought to 3 here first, in one
//! transaction. Anything else is refused before anything is written: its events would read back
//! as corrupt one by one, in the middle of chats.

use super::StoreError;
use parley_protocol::EventKind;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{Row, SqlitePool};

static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

/// The event format of databases from before migrations that the first migration adopts.
const ADOPTED_FORMAT: i64 = 3;

/// Brings the database up to this build's schema, refusing one it cannot read.
pub(super) async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    adopt_legacy(pool).await?;
    MIGRATOR.run(pool).await.map_err(|e| match e {
        MigrateError::VersionMissing(v) => StoreError::Format(format!(
            "the database was written by a newer Parley (it has migration {v}, this one knows \
             up to {}): run that version, or point `server.db` at a new file",
            latest()
        )),
        other => StoreError::Format(format!("migrating the database failed: {other}")),
    })
}

/// The newest migration this build knows.
pub(super) fn latest() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

async fn adopt_legacy(pool: &SqlitePool) -> Result<(), StoreError> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name IN ('_sqlx_migrations', 'events')",
    )
    .fetch_all(pool)
    .await?;
    if tables.iter().any(|t| t == "_sqlx_migrations") || !tables.iter().any(|t| t == "events") {
        return Ok(());
    }
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(pool)
        .await?;
    match version {
        ADOPTED_FORMAT => Ok(()),
        2 => format_2_to_3(pool).await,
        _ => {
            let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
                .fetch_one(pool)
                .await?;
            if version == 0 && events == 0 {
                return Ok(());
            }
            let by = if version > ADOPTED_FORMAT {
                "a newer"
            } else {
                "an older"
            };
            Err(StoreError::Format(format!(
                "the database was written by {by} Parley (event format {}, this one reads 2 \
                 and 3): move it aside or point `server.db` at a new file",
                version.max(1)
            )))
        }
    }
}

/// Format 2 to 3, in one transaction: the sender column, filled in from each stored message,
/// the unique index on `(interaction, client_id)` dropped (the migration makes the one that
/// includes the sender), and each file's event looked up once, into `files.seq`.
async fn format_2_to_3(pool: &SqlitePool) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    for (table, column) in [("events", "sender TEXT"), ("files", "seq INTEGER")] {
        let name = column.split(' ').next().unwrap_or(column);
        let columns: Vec<String> =
            sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(&mut *tx)
                .await?;
        if !columns.iter().any(|c| c == name) {
            sqlx::raw_sql(&format!("ALTER TABLE {table} ADD COLUMN {column}"))
                .execute(&mut *tx)
                .await?;
        }
    }
    sqlx::raw_sql(
        "UPDATE files SET seq = (SELECT e.seq FROM events e WHERE e.interaction = files.interaction
         AND json_extract(e.body, '$.file.file.id') = files.id) WHERE seq IS NULL",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::raw_sql("DROP INDEX IF EXISTS events_client_id")
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query(
        "SELECT interaction, seq, body FROM events WHERE client_id IS NOT NULL AND sender IS NULL",
    )
    .fetch_all(&mut *tx)
    .await?;
    for row in rows {
        let kind: EventKind = serde_json::from_str(&row.try_get::<String, _>("body")?)?;
        let EventKind::Message { from, .. } = kind else {
            continue;
        };
        sqlx::query("UPDATE events SET sender = ? WHERE interaction = ? AND seq = ?")
            .bind(from.sender_key())
            .bind(row.try_get::<String, _>("interaction")?)
            .bind(row.try_get::<i64, _>("seq")?)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::raw_sql(&format!("PRAGMA user_version = {ADOPTED_FORMAT}"))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
