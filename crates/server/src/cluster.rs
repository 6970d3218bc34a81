//! What several nodes share besides the database's rows: the writer's lease (a PostgreSQL
//! row, [`lease`]) and the bus from the writer to every node's connections (Redis pub/sub,
//! [`bus`]). The one-process adapters of the same ports are in `edge.rs`.

pub mod bus;
pub mod lease;

pub use bus::RedisBus;
pub use lease::{PgLease, Timing};
