//! The PostgreSQL adapter, for a cluster of nodes: every port on one database, the same
//! contract as SQLite (`tests/store_contract.rs`) and the same queries (`sql.rs`).
//!
//! A store opened with a [`Fence`] commits only while its node holds the writer's lease: the
//! commit reads the lease row `FOR SHARE` in the same transaction, so a node taking the lease
//! over waits for it, and a writer whose lease expired (or was taken) gets
//! [`StoreError::Fenced`] and nothing is written.

use super::rows::statements;
use super::sql::{bind_statement, sql_ports};
use super::{StoreError, Write};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// This build's migrations. A database that has newer ones as well (a node of the next release
/// has migrated it during a rolling upgrade) is used as it is: every PostgreSQL migration only
/// adds tables or columns with defaults, so the previous release still reads and writes it.
fn migrator() -> Migrator {
    let mut migrator = sqlx::migrate!("migrations/postgres");
    migrator.set_ignore_missing(true);
    migrator
}

/// The epoch of the writer's lease this node holds (0: none), shared by the lease and the store.
#[derive(Clone, Debug, Default)]
pub struct Fence(Arc<AtomicI64>);

impl Fence {
    pub fn epoch(&self) -> i64 {
        self.0.load(Ordering::Acquire)
    }

    pub fn set(&self, epoch: i64) {
        self.0.store(epoch, Ordering::Release);
    }
}

/// The PostgreSQL store (cheap to clone: one pool).
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    fence: Option<Fence>,
}

impl PgStore {
    /// Connects (at most `connections` at once) and brings the schema up to this build's.
    pub async fn open(url: &str, connections: u32) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(connections.max(2))
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_with(options)
            .await?;
        migrator()
            .run(&pool)
            .await
            .map_err(|e| StoreError::Format(format!("migrating the database failed: {e}")))?;
        Ok(Self { pool, fence: None })
    }

    /// The connection pool (the lease shares it).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// This store, committing only while the fence's epoch is the lease's.
    pub fn fenced(self, fence: Fence) -> Self {
        Self {
            fence: Some(fence),
            ..self
        }
    }

    async fn commit_batch(&self, batch: Vec<Write>) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        if let Some(fence) = &self.fence {
            let held: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM writer_lease WHERE epoch = $1 AND expires_at > now() FOR SHARE",
            )
            .bind(fence.epoch())
            .fetch_optional(&mut *tx)
            .await?;
            if held.is_none() {
                return Err(StoreError::Fenced);
            }
        }
        for write in batch {
            for statement in statements(write)? {
                bind_statement!(statement).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

sql_ports!(PgStore, read: pool, write: pool);
super::records::records_port!(PgStore, read: pool, write: pool);
