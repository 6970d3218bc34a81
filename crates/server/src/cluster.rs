//! Several nodes: the writer's lease (a PostgreSQL row, [`lease`]), the bus from the writer to
//! every node's connections (Redis pub/sub, [`bus`]), every node's link to the writer (a Redis
//! list, [`link`]), which nodes are alive ([`presence`]), and a node's life ([`node`]). The one-process adapters of the same ports
//! are in `edge.rs`.

pub mod bus;
pub mod lease;
pub mod link;
pub mod node;
pub mod presence;

pub use bus::RedisBus;
pub use lease::{PgLease, Timing};
