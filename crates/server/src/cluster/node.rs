//! One node of a cluster: PostgreSQL for everything stored, Redis between the nodes.
//!
//! Every node is an edge: it holds its own sockets, serves HTTP, reads from PostgreSQL and
//! delivers what the bus brings to its connections. One node at a time also writes: when its
//! lease ticker takes the writer's lease, it restores the open chats from PostgreSQL (a page at
//! a time), starts the hub, takes the writer's inbox in Redis, and tells every node's clients to
//! join it afresh (close 1012: they reconnect and resume by `seq`); when it loses the lease, the
//! hub stops. The hub's commits are fenced by the lease's epoch.

use super::{bus, link, PgLease, RedisBus, Timing};
use crate::config::{ClusterConfig, Config};
use crate::edge::{Bus, Delivery, Edges, LocalPresence, Ports};
use crate::hub::{self, HubHandle, HubMsg};
use crate::store::{Fence, PgStore, Store};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// A running node: its handle for the HTTP and socket layers, and its store.
pub struct Node {
    pub hub: HubHandle,
    /// The unfenced store: logins, reads, files (never the engine's writes).
    pub store: Arc<dyn Store>,
    /// The counts of the limits every node shares.
    pub tally: Arc<dyn crate::throttle::Tally>,
    lease: PgLease,
}

impl Node {
    /// Hands the writer's lease back at once (a graceful stop): another node takes it at its
    /// next tick instead of after the lease runs out.
    pub async fn stop(&self) {
        if let Err(e) = self.lease.release().await {
            tracing::warn!("handing the writer's lease back: {e}");
        }
        self.hub.edges().close_all(crate::outbox::SERVICE_RESTART);
        crate::gateway::drained(std::time::Duration::from_secs(3)).await;
    }
}

/// Why a node could not start.
pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// Starts this node: connects to PostgreSQL and Redis, subscribes to the bus, starts its link
/// to the writer and its lease ticker.
pub async fn start(config: Arc<Config>, cluster: &ClusterConfig) -> Result<Node, StartError> {
    let ns = cluster.namespace.as_str();
    let store = PgStore::open(&cluster.database_url, cluster.connections).await?;
    let fence = Fence::default();
    let writer_store = store.clone().fenced(fence.clone());
    let edges = Edges::default();
    edges
        .rights()
        .know_agents(config.agents.iter().map(|a| a.id.clone()));
    bus::subscribe(&cluster.redis_url, ns, edges.clone()).await?;
    let publisher: Arc<dyn Bus> = Arc::new(RedisBus::start(&cluster.redis_url, ns).await?);
    let (local, local_rx) = watch::channel(None);
    let inbox = link::start(
        &cluster.redis_url,
        ns,
        &cluster.node,
        edges.clone(),
        local_rx,
    )
    .await?;
    let tally = Arc::new(super::tally::RedisTally::connect(&cluster.redis_url, ns).await?);
    let hub = HubHandle::new(inbox.clone(), edges.clone()).announcing_on(publisher.clone());
    let beating =
        redis::aio::ConnectionManager::new(redis::Client::open(cluster.redis_url.as_str())?)
            .await?;
    tokio::spawn(super::presence::beat(
        beating,
        ns.to_owned(),
        cluster.node.clone(),
        edges.clone(),
    ));
    // Whoever writes now tells this node who may read what.
    let _ = inbox.send(HubMsg::Resync).await;
    let lease = PgLease::new(
        store.pool().clone(),
        &cluster.node,
        Timing::default(),
        fence,
    );
    let writer = Writer {
        config,
        store: writer_store,
        edges,
        bus: publisher,
        lease: lease.clone(),
        local,
        redis_url: cluster.redis_url.clone(),
        namespace: ns.to_owned(),
    };
    tokio::spawn(writer.live());
    tokio::spawn(lease.clone().run());
    Ok(Node {
        hub,
        store: Arc::new(store),
        tally,
        lease,
    })
}

/// What this node needs to become the writer.
struct Writer {
    config: Arc<Config>,
    store: PgStore,
    edges: Edges,
    bus: Arc<dyn Bus>,
    lease: PgLease,
    local: watch::Sender<Option<mpsc::Sender<HubMsg>>>,
    redis_url: String,
    namespace: String,
}

/// The hub this node runs while it writes, for one epoch of the lease.
struct Running {
    epoch: i64,
    hub: mpsc::Sender<HubMsg>,
    /// The task taking the writer's inbox.
    serving: tokio::task::JoinHandle<()>,
}

impl Writer {
    /// Starts the hub whenever this node takes the lease and stops it when it loses it. A hub
    /// belongs to one epoch: if the lease was lost and taken again (another node may have
    /// written meanwhile), the hub starts afresh from the database.
    async fn live(self) {
        let mut epochs = self.lease.watch();
        let mut running: Option<Running> = None;
        loop {
            let epoch = *epochs.borrow_and_update();
            if running.as_ref().is_some_and(|r| r.epoch != epoch) {
                if let Some(old) = running.take() {
                    self.local.send_replace(None);
                    old.serving.abort();
                    let _ = old.hub.send(HubMsg::Stop).await;
                    tracing::warn!("this node stopped writing (epoch {})", old.epoch);
                }
            }
            if epoch != 0 && running.is_none() {
                running = self.take_over(epoch).await;
            }
            if epochs.changed().await.is_err() {
                break;
            }
        }
    }

    /// Restores the engine from PostgreSQL and starts the hub and the writer's inbox.
    async fn take_over(&self, epoch: i64) -> Option<Running> {
        let started = std::time::Instant::now();
        let ports = Ports {
            edges: self.edges.clone(),
            bus: self.bus.clone(),
            presence: Arc::new(LocalPresence::default()),
            lease: Arc::new(self.lease.clone()),
        };
        let hub = match hub::start_with(self.config.clone(), self.store.clone(), ports).await {
            Ok(hub) => hub.inbox(),
            Err(e) => {
                tracing::error!("taking over as the writer: {e}");
                let _ = self.lease.release().await;
                return None;
            }
        };
        let (url, ns) = (self.redis_url.clone(), self.namespace.clone());
        let serving = {
            let hub = hub.clone();
            tokio::spawn(async move {
                // Redis may go away and come back: the inbox is served again while this
                // node writes, remembering which node holds which connection.
                let mut holders = super::presence::Holders::default();
                while !hub.is_closed() {
                    if let Err(e) = link::serve(&url, &ns, hub.clone(), &mut holders).await {
                        tracing::error!("the writer's inbox: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    }
                }
            })
        };
        self.local.send_replace(Some(hub.clone()));
        // The clients of every node join this writer afresh: it knows none of them yet (but
        // those whose joins waited for it in its inbox).
        self.bus.publish(Delivery::Restart { epoch });
        tracing::info!(
            "writing from epoch {epoch}, restored in {} ms",
            started.elapsed().as_millis()
        );
        Some(Running {
            epoch,
            hub,
            serving,
        })
    }
}
