//! The rare limits' counts in Redis, shared by every node of the cluster (the adapter of
//! [`crate::throttle::Tally`]; decision record 0011).
//!
//! Keys live under `<namespace>:limits:`, outside the nodes' wire version (a count means the
//! same to every release), and each expires with its window or its wait. Every call gets
//! [`ANSWER_WITHIN`]; a call that fails or takes longer makes the node count alone for a few
//! seconds (`throttle::ALONE_FOR_MS`), so a hung Redis costs one request that long per while.
//! Needs Redis 7 (`PEXPIRE … NX/GT`).

use crate::throttle::Tally;
use futures::future::BoxFuture;
use parley_protocol::Millis;
use redis::aio::ConnectionManager;
use std::time::Duration;

/// The longest a limit waits for Redis.
pub const ANSWER_WITHIN: Duration = Duration::from_millis(300);

/// A cluster's counts, in its Redis.
pub struct RedisTally {
    redis: ConnectionManager,
    prefix: String,
}

impl RedisTally {
    /// Connects to the Redis at `url` for the cluster named `namespace`.
    pub async fn connect(url: &str, namespace: &str) -> Result<Self, redis::RedisError> {
        let redis = ConnectionManager::new(redis::Client::open(url)?).await?;
        Ok(Self {
            redis,
            prefix: format!("{namespace}:limits:"),
        })
    }

    /// One call: its keys under the prefix, and an answer in time or an error.
    fn call<T: Send + 'static>(
        &self,
        keys: Vec<String>,
        run: impl Fn(ConnectionManager, Vec<String>) -> BoxFuture<'static, redis::RedisResult<T>>
            + Send
            + Sync
            + 'static,
    ) -> BoxFuture<'static, Result<T, String>> {
        let keys: Vec<String> = keys.iter().map(|k| format!("{}{k}", self.prefix)).collect();
        let redis = self.redis.clone();
        Box::pin(async move {
            let answer = async {
                match run(redis.clone(), keys.clone()).await {
                    // A connection Redis dropped (it restarted) is made again by the manager:
                    // one more try on it, within the same time.
                    Err(e) if e.is_io_error() || e.is_connection_dropped() => {
                        run(redis, keys).await
                    }
                    answer => answer,
                }
            };
            match tokio::time::timeout(ANSWER_WITHIN, answer).await {
                Ok(answer) => answer.map_err(|e| e.to_string()),
                Err(_) => Err(format!("no answer from Redis in {ANSWER_WITHIN:?}")),
            }
        })
    }
}

/// Milliseconds as Redis takes them: at least one.
fn ms(ms: Millis) -> u64 {
    u64::try_from(ms.max(1)).unwrap_or(1)
}

impl Tally for RedisTally {
    fn add(&self, key: String, forget_ms: Millis) -> BoxFuture<'_, Result<u64, String>> {
        self.call(vec![key], move |mut redis, keys| {
            Box::pin(async move {
                let (count,): (u64,) = redis::pipe()
                    .atomic()
                    .incr(&keys[0], 1)
                    .pexpire(&keys[0], ms(forget_ms) as i64)
                    .ignore()
                    .query_async(&mut redis)
                    .await?;
                Ok(count)
            })
        })
    }

    fn hit(&self, key: String, window_ms: Millis) -> BoxFuture<'_, Result<(u64, Millis), String>> {
        self.call(vec![key], move |mut redis, keys| {
            Box::pin(async move {
                // The window's expiry is set once, by its first hit (`NX`): a key can never be
                // left counting without one.
                let (count, left): (u64, Millis) = redis::pipe()
                    .atomic()
                    .incr(&keys[0], 1)
                    .cmd("PEXPIRE")
                    .arg(&keys[0])
                    .arg(ms(window_ms))
                    .arg("NX")
                    .ignore()
                    .pttl(&keys[0])
                    .query_async(&mut redis)
                    .await?;
                Ok((count, left))
            })
        })
    }

    fn held(&self, keys: Vec<String>) -> BoxFuture<'_, Result<Millis, String>> {
        self.call(keys, |mut redis, keys| {
            Box::pin(async move {
                let mut pipe = redis::pipe();
                for key in &keys {
                    pipe.pttl(key);
                }
                // `PTTL` answers -2 for a missing key, -1 for one without expiry (this adapter
                // writes none): neither holds anything.
                let left: Vec<Millis> = pipe.query_async(&mut redis).await?;
                Ok(left.into_iter().max().unwrap_or(0).max(0))
            })
        })
    }

    fn hold(&self, key: String, for_ms: Millis) -> BoxFuture<'_, Result<(), String>> {
        self.call(vec![key], move |mut redis, keys| {
            Box::pin(async move {
                // Only ever lengthened: two nodes' holds arriving out of order keep the longer.
                redis::pipe()
                    .atomic()
                    .cmd("SET")
                    .arg(&keys[0])
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(ms(for_ms))
                    .ignore()
                    .cmd("PEXPIRE")
                    .arg(&keys[0])
                    .arg(ms(for_ms))
                    .arg("GT")
                    .ignore()
                    .query_async::<()>(&mut redis)
                    .await
            })
        })
    }

    fn forget(&self, keys: Vec<String>) -> BoxFuture<'_, Result<(), String>> {
        self.call(keys, |mut redis, keys| {
            Box::pin(async move {
                redis::cmd("DEL")
                    .arg(&keys)
                    .query_async::<()>(&mut redis)
                    .await
            })
        })
    }
}
