//! The SQLite adapter, Parley's default: the database file, and a batch's one transaction on
//! the writer connection. The ports' queries are shared with PostgreSQL (`sql.rs`).

use super::rows::statements;
use super::sql::{bind_statement, sql_ports};
use super::{schema, StoreError, Write};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::Path;

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

/// A batch in one transaction on the writer connection.
impl SqliteStore {
    /// The read pool (copying the database elsewhere reads through it).
    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.pool
    }

    async fn commit_batch(&self, batch: Vec<Write>) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer.begin().await?;
        for write in batch {
            for statement in statements(write)? {
                bind_statement!(statement).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

sql_ports!(SqliteStore, read: pool, write: writer);
super::records::records_port!(SqliteStore, read: pool, write: writer);
