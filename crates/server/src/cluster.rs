//! What several nodes share besides the database's rows: the writer's lease (a PostgreSQL
//! row, [`lease`]). The bus between the writer and the edges and presence across nodes (Redis)
//! come next; the one-process adapters of the same ports are in `edge.rs`.

pub mod lease;

pub use lease::{PgLease, Timing};
