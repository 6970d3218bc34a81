//! The bus from the writer to the edges of every node, on Redis pub/sub.
//!
//! The writer publishes each delivery once, serialized, in commit order (one publishing task,
//! pipelined); every node's subscriber hands what arrives to its own connections
//! ([`Edges`]), which encode each message once per protocol version.
//!
//! Pub/sub delivers at most once, so every way a delivery can be lost ends in clients that
//! resume by `seq` from the database:
//! - the writer's queue to Redis is full, or a publish fails: [`BusMsg::Lost`] is published
//!   as soon as Redis takes it (tried every half second after a failure), and every node
//!   closes its connections with 1012; until then the writer is not ready;
//! - a node's subscription drops (Redis restarted, the network): when it is subscribed again
//!   it closes its connections with 1012, since it cannot know what it missed; until then the
//!   node is not ready.
//!
//! So once every node is ready again after an outage, every connection that will be sent to
//! resume has been.
//!
//! The clients reconnect with back-off and resume, so nothing committed is lost and nothing is
//! shown twice (`seq`).

use crate::edge::{Bus, Delivery, Edges};
use crate::outbox::SERVICE_RESTART;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The channel every node of the cluster named `namespace` subscribes to (several clusters may
/// share one Redis).
pub fn channel(namespace: &str) -> String {
    super::key(namespace, "deliveries")
}

/// How many deliveries may wait for Redis; beyond it they are dropped and the nodes told.
const QUEUE: usize = 65_536;

/// How many deliveries one pipeline carries at most.
const BATCH: usize = 256;

/// How long a node waits before subscribing again after its subscription dropped.
const RESUBSCRIBE: Duration = Duration::from_millis(500);

/// What travels on the channel.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusMsg {
    Delivery(Box<Delivery>),
    /// Deliveries were dropped before they reached Redis: every node closes its connections.
    Lost,
}

/// The writer's side: publishes through a bounded queue, never waiting on Redis.
#[derive(Clone)]
pub struct RedisBus {
    queue: mpsc::Sender<Vec<u8>>,
    lost: Arc<AtomicBool>,
    /// A publish failed and `Lost` has not been published since.
    failing: Arc<AtomicBool>,
}

impl RedisBus {
    /// Connects to Redis and starts the publishing task.
    pub async fn start(url: &str, namespace: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let connection = redis::aio::ConnectionManager::new(client).await?;
        let (queue, rx) = mpsc::channel(QUEUE);
        let lost = Arc::new(AtomicBool::new(false));
        let failing = Arc::new(AtomicBool::new(false));
        tokio::spawn(publish(
            connection,
            channel(namespace),
            rx,
            lost.clone(),
            failing.clone(),
        ));
        Ok(Self {
            queue,
            lost,
            failing,
        })
    }
}

impl Bus for RedisBus {
    fn publish(&self, delivery: Delivery) {
        let encoded = match serde_json::to_vec(&BusMsg::Delivery(Box::new(delivery))) {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!("bus: a delivery did not serialize: {e}");
                self.lost.store(true, Ordering::Release);
                return;
            }
        };
        if self.queue.try_send(encoded).is_err() {
            self.lost.store(true, Ordering::Release);
        }
    }

    fn healthy(&self) -> bool {
        !self.failing.load(Ordering::Acquire)
    }
}

/// Publishes what the writer queued, in order, as many at a time as are waiting.
async fn publish(
    mut connection: redis::aio::ConnectionManager,
    channel: String,
    mut rx: mpsc::Receiver<Vec<u8>>,
    lost: Arc<AtomicBool>,
    failing: Arc<AtomicBool>,
) {
    let lost_msg = serde_json::to_vec(&BusMsg::Lost).unwrap_or_default();
    while let Some(first) = rx.recv().await {
        let mut pipe = redis::pipe();
        if lost.swap(false, Ordering::AcqRel) {
            pipe.publish(&channel, &lost_msg).ignore();
        }
        pipe.publish(&channel, first).ignore();
        let mut n = 1;
        while n < BATCH {
            match rx.try_recv() {
                Ok(next) => {
                    pipe.publish(&channel, next).ignore();
                    n += 1;
                }
                Err(_) => break,
            }
        }
        if let Err(e) = pipe.query_async::<()>(&mut connection).await {
            tracing::warn!("bus: publishing {n} deliveries failed: {e}");
            // The nodes hear of it as soon as Redis answers again, not at the next delivery.
            failing.store(true, Ordering::Release);
            lost.store(false, Ordering::Release);
            loop {
                tokio::time::sleep(RESUBSCRIBE).await;
                let told = redis::cmd("PUBLISH")
                    .arg(&channel)
                    .arg(&lost_msg)
                    .query_async::<()>(&mut connection)
                    .await;
                if told.is_ok() {
                    break;
                }
            }
            failing.store(false, Ordering::Release);
        }
    }
}

/// A subscription to `channel` again, once Redis answers (tried every [`RESUBSCRIBE`]).
pub(crate) async fn subscribe_again(client: &redis::Client, channel: &str) -> redis::aio::PubSub {
    loop {
        tokio::time::sleep(RESUBSCRIBE).await;
        let again = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        match again.await {
            Ok(pubsub) => return pubsub,
            Err(e) => tracing::warn!("bus: subscribing to {channel} again: {e}"),
        }
    }
}

/// A node's side: subscribes, then hands every delivery to this node's connections until the
/// returned task is aborted. Returns once the first subscription is in place, so a connection
/// accepted after it misses nothing published after it.
pub async fn subscribe(
    url: &str,
    namespace: &str,
    edges: Edges,
) -> Result<tokio::task::JoinHandle<()>, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let channel = channel(namespace);
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(&channel).await?;
    Ok(tokio::spawn(async move {
        loop {
            let mut messages = pubsub.into_on_message();
            while let Some(msg) = messages.next().await {
                match serde_json::from_slice::<BusMsg>(msg.get_payload_bytes()) {
                    Ok(BusMsg::Delivery(delivery)) => edges.publish(*delivery),
                    Ok(BusMsg::Lost) => {
                        tracing::warn!("bus: deliveries were lost; connections resume");
                        edges.close_all(SERVICE_RESTART);
                    }
                    Err(e) => tracing::error!("bus: an unreadable message: {e}"),
                }
            }
            tracing::warn!("bus: the subscription dropped; subscribing again");
            edges.set_unsubscribed(true);
            pubsub = subscribe_again(&client, &channel).await;
            // What was published while it was away is gone: every client here resumes.
            edges.close_all(SERVICE_RESTART);
            edges.set_unsubscribed(false);
        }
    }))
}
