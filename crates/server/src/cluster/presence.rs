//! Which nodes are alive, so that the connections of a node that died count no more.
//!
//! Every node sets `{namespace}:w3:alive:{node}` in Redis every [`BEAT`], to expire after
//! [`ALIVE_FOR`]. The writer remembers which node each connection it registered through the
//! link is on ([`Holders`]); once a node's key has been missing for another [`ALIVE_FOR`]
//! (a restarted Redis has no keys until the next beats), its connections are gone: an
//! agent connected only there goes offline, a contact only there starts its grace period, and
//! the same agent connected through another node stays online (the writer counts connections,
//! not nodes).
//!
//! A node that was cut off longer than that (Redis away, its own process stalled) may have
//! been given up by the writer: when its heartbeat is written again, it closes its sockets
//! with 1012 and its clients join afresh.

use crate::edge::Edges;
use crate::hub::ConnId;
use crate::outbox::SERVICE_RESTART;
use redis::AsyncCommands;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// How often each node says it is alive.
pub const BEAT: Duration = Duration::from_secs(1);

/// How long a heartbeat lasts, and how long the writer then finds it missing before the node
/// counts as gone: 3 to 7 s after a node's death.
pub const ALIVE_FOR: Duration = Duration::from_secs(3);

fn key(namespace: &str, node: &str) -> String {
    super::key(namespace, &format!("alive:{node}"))
}

/// This node's heartbeat, for as long as the node runs.
pub(crate) async fn beat(
    mut redis: redis::aio::ConnectionManager,
    namespace: String,
    node: String,
    edges: Edges,
) {
    let key = key(&namespace, &node);
    let mut every = tokio::time::interval(BEAT);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = Instant::now();
    let mut lapsed = false;
    loop {
        every.tick().await;
        // A tick that comes late (a stalled process) counts as a lapse as much as a failed write.
        lapsed |= last.elapsed() > ALIVE_FOR;
        let written: Result<(), _> = redis
            .set_options(
                &key,
                1,
                redis::SetOptions::default()
                    .with_expiration(redis::SetExpiry::PX(ALIVE_FOR.as_millis() as u64)),
            )
            .await;
        match written {
            Ok(()) => {
                if lapsed {
                    tracing::warn!("this node's heartbeat lapsed; its connections join afresh");
                    edges.close_all(SERVICE_RESTART);
                    lapsed = false;
                }
                last = Instant::now();
            }
            Err(e) => tracing::warn!("heartbeat: {e}"),
        }
    }
}

/// The writer's record of which node holds each connection registered through the link.
#[derive(Default)]
pub(crate) struct Holders {
    of: HashMap<ConnId, String>,
    on: HashMap<String, HashSet<ConnId>>,
    /// Since when each node's heartbeat has been found missing.
    missing: HashMap<String, Instant>,
    checked: Option<Instant>,
}

impl Holders {
    pub fn joined(&mut self, node: &str, conn: ConnId) {
        self.gone(conn);
        self.of.insert(conn, node.to_owned());
        self.on.entry(node.to_owned()).or_default().insert(conn);
    }

    pub fn gone(&mut self, conn: ConnId) {
        if let Some(node) = self.of.remove(&conn) {
            if let Some(conns) = self.on.get_mut(&node) {
                conns.remove(&conn);
                if conns.is_empty() {
                    self.on.remove(&node);
                    self.missing.remove(&node);
                }
            }
        }
    }

    /// The connections of nodes whose heartbeat has been missing for [`ALIVE_FOR`] (checked at
    /// most once a [`BEAT`]); they are forgotten here.
    pub async fn of_dead_nodes(
        &mut self,
        redis: &mut redis::aio::ConnectionManager,
        namespace: &str,
    ) -> Vec<ConnId> {
        if self.on.is_empty() || self.checked.is_some_and(|at| at.elapsed() < BEAT) {
            return Vec::new();
        }
        self.checked = Some(Instant::now());
        let nodes: Vec<String> = self.on.keys().cloned().collect();
        let keys: Vec<String> = nodes.iter().map(|n| key(namespace, n)).collect();
        // `MGET` answers one value per key, in order; Redis away tells nothing.
        let Ok(alive): Result<Vec<Option<u8>>, _> = redis.mget(&keys).await else {
            return Vec::new();
        };
        let now = Instant::now();
        let mut dead = Vec::new();
        for (node, alive) in nodes.iter().zip(alive) {
            if alive.is_some() {
                self.missing.remove(node);
                continue;
            }
            let since = *self.missing.entry(node.clone()).or_insert(now);
            if now.duration_since(since) >= ALIVE_FOR {
                tracing::warn!("node {node} stopped beating: its connections are gone");
                self.missing.remove(node);
                dead.extend(self.on.remove(node).unwrap_or_default());
            }
        }
        for conn in &dead {
            self.of.remove(conn);
        }
        dead
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_is_held_by_the_node_it_last_joined_through() {
        let mut h = Holders::default();
        h.joined("a", 1);
        h.joined("a", 2);
        h.joined("b", 1);
        assert_eq!(h.on["a"], HashSet::from([2]));
        assert_eq!(h.on["b"], HashSet::from([1]));
        h.gone(2);
        assert!(
            !h.on.contains_key("a"),
            "a node with none left is not asked about"
        );
        assert_eq!(h.of.len(), 1);
    }
}
