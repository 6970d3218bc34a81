//! Several nodes: the writer's lease (a PostgreSQL row, [`lease`]), the bus from the writer to
//! every node's connections (Redis pub/sub, [`bus`]), every node's link to the writer (a Redis
//! list, [`link`]), which nodes are alive ([`presence`]), the counts of the limits every node
//! shares ([`tally`]) and a node's life ([`node`]). The one-process adapters of the same ports
//! are in `edge.rs`.

pub mod bus;
pub mod lease;
pub mod link;
pub mod node;
pub mod presence;
pub mod tally;

pub use bus::RedisBus;

/// The version of what nodes say to each other through Redis (deliveries, the writer's inbox,
/// answers, heartbeats). Every Redis key and channel of a cluster holds it, so nodes of two
/// versions never read each other's messages: during a rolling upgrade that changes it, a node
/// whose writer speaks another version is not ready (no writer answers it) and the load
/// balancer leaves it out, until a node of its version writes. Version 2: a new writer's
/// `restart` names its epoch, answers to joins name the epoch of the writer that registered
/// them, joins name the client instance. (Version 1 had no number in its keys.) Version 3: host
/// systems' calls (`/api/v1`) travel to the writer and back.
pub const WIRE: u32 = 3;

/// A Redis key or channel of the cluster `namespace`, in this version of the nodes' messages.
pub fn key(namespace: &str, name: &str) -> String {
    format!("{namespace}:w{WIRE}:{name}")
}
pub use lease::{PgLease, Timing};
