//! The rare limits: the growing wait after failed logins, chats started per address and files
//! sent per sender. Alone, a process counts them itself ([`Logins`], `governor`'s keyed
//! limiters); in a cluster every node counts them in one place (a [`Tally`], Redis), so a client
//! spreading its requests over the nodes gets the budget it would get from one (decision record
//! 0011). When the tally fails (an error, or no answer in its time), this node counts alone
//! for [`ALONE_FOR_MS`], as a single server does: N budgets for N nodes, never none, and one
//! slow call per while rather than one per request. Each such fall-back is logged and counted
//! in `parley_limits_unshared_total`.
//!
//! The login wait is kept per (user, address) and per address. A user's own failures from one
//! address lock that pair only, so a brute force from one address cannot lock the real agent out
//! from another; many failures from one address, for any users, lock that address. A success
//! clears the pair. The wait doubles with each failure past the free ones, up to
//! [`MAX_WAIT_MS`]. Memory is bounded: at most [`MAX_ENTRIES`] are kept, the quiet ones
//! forgotten first; an address that finds the table full is not tracked (the bounded number of
//! password checks at once still holds it back).

use futures::future::BoxFuture;
use parley_protocol::Millis;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

/// Failures of one user from one address before the waiting starts.
pub const FREE_PER_USER: u32 = 5;
/// Failures from one address, for any users, before the waiting starts.
pub const FREE_PER_ADDRESS: u32 = 30;
/// The longest wait.
pub const MAX_WAIT_MS: Millis = 15 * 60_000;
/// The most (user, address) and address entries kept.
pub const MAX_ENTRIES: usize = 100_000;
/// An entry with no failure for this long is forgotten (its wait is over by then).
const FORGET_MS: Millis = MAX_WAIT_MS + 60_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Pair(String, IpAddr),
    Address(IpAddr),
}

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: Millis,
    until: Millis,
}

/// The failed logins of the last while.
#[derive(Debug, Default)]
pub struct Logins {
    entries: Mutex<HashMap<Key, Failures>>,
}

/// How long after `count` failures the next try must wait, `free` of them costing nothing.
fn wait_ms(count: u32, free: u32) -> Millis {
    match count.checked_sub(free) {
        None => 0,
        Some(over) => 1000_i64
            .saturating_mul(1_i64 << over.min(30))
            .min(MAX_WAIT_MS),
    }
}

impl Logins {
    /// `Err(ms)`: `user` may not try from `ip` for this long yet.
    pub fn check(&self, user: &str, ip: IpAddr, now: Millis) -> Result<(), Millis> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let left = [Key::Pair(user.to_owned(), ip), Key::Address(ip)]
            .iter()
            .filter_map(|k| entries.get(k))
            .map(|f| f.until - now)
            .max()
            .unwrap_or(0);
        if left > 0 {
            Err(left)
        } else {
            Ok(())
        }
    }

    /// A wrong password (or an unknown user) from `ip`.
    pub fn failed(&self, user: &str, ip: IpAddr, now: Millis) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() + 2 > MAX_ENTRIES {
            entries.retain(|_, f| now - f.last < FORGET_MS);
        }
        for (key, free) in [
            (Key::Pair(user.to_owned(), ip), FREE_PER_USER),
            (Key::Address(ip), FREE_PER_ADDRESS),
        ] {
            if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
                continue;
            }
            let f = entries.entry(key).or_insert(Failures {
                count: 0,
                last: now,
                until: now,
            });
            if now - f.last >= FORGET_MS {
                f.count = 0;
            }
            f.count = f.count.saturating_add(1);
            f.last = now;
            f.until = now + wait_ms(f.count, free);
        }
    }

    /// The right password: the pair starts afresh (the address keeps its count).
    pub fn succeeded(&self, user: &str, ip: IpAddr) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(&Key::Pair(user.to_owned(), ip));
    }

    /// Entries kept now.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Counts every node of a cluster shares (the port; Redis is its adapter in `cluster::tally`).
/// Keys are this module's; the adapter puts them under the cluster's namespace.
pub trait Tally: Send + Sync {
    /// One more on `key`, which is forgotten `forget_ms` after its last addition: the count.
    fn add(&self, key: String, forget_ms: Millis) -> BoxFuture<'_, Result<u64, String>>;
    /// One more on `key` in its window of `window_ms` (from its first hit): the count in the
    /// window and the milliseconds left of it.
    fn hit(&self, key: String, window_ms: Millis) -> BoxFuture<'_, Result<(u64, Millis), String>>;
    /// How much longer the longest held of `keys` is held (0: none is).
    fn held(&self, keys: Vec<String>) -> BoxFuture<'_, Result<Millis, String>>;
    /// Holds `key` for `ms`.
    fn hold(&self, key: String, ms: Millis) -> BoxFuture<'_, Result<(), String>>;
    /// Forgets `keys`.
    fn forget(&self, keys: Vec<String>) -> BoxFuture<'_, Result<(), String>>;
}

/// How long a node counts alone after its tally failed.
pub const ALONE_FOR_MS: Millis = 5_000;

/// The window of the shared rates: their budget is per minute.
const MINUTE_MS: Millis = 60_000;

/// What a tally's key counts: failures of a (user, address) pair or of an address, and the
/// wait they bought; chats per address; files per sender. The address is bracketed so no user
/// name can make two keys meet.
fn failures(user: Option<&str>, ip: IpAddr) -> String {
    match user {
        Some(user) => format!("login:pair:[{ip}]{user}"),
        None => format!("login:addr:[{ip}]"),
    }
}

fn waiting(user: Option<&str>, ip: IpAddr) -> String {
    format!("wait:{}", failures(user, ip))
}

/// How long a `governor` refusal lasts, in milliseconds.
pub fn limiter_wait_ms(not_until: &governor::NotUntil<governor::clock::QuantaInstant>) -> Millis {
    let wait = not_until.wait_time_from(governor::clock::Clock::now(
        &governor::clock::DefaultClock::default(),
    ));
    i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)
}

/// The rare limits of one server, counted here or in the cluster's tally.
pub struct Throttle {
    logins: Logins,
    chat_starts: governor::DefaultKeyedRateLimiter<IpAddr>,
    uploads: governor::DefaultKeyedRateLimiter<String>,
    chats_per_minute: u64,
    uploads_per_minute: u64,
    shared: Option<Arc<dyn Tally>>,
    /// Until when this node counts alone, its tally having failed.
    alone_until: AtomicI64,
    /// When the keyed limiters last forgot the keys whose budget is whole again.
    swept: AtomicI64,
}

impl Throttle {
    /// Chats per address and files per sender a minute; `shared`: the cluster's tally.
    pub fn new(
        chats_per_minute: u32,
        uploads_per_minute: u32,
        shared: Option<Arc<dyn Tally>>,
    ) -> Result<Self, String> {
        let per_minute = |n, setting: &str| {
            std::num::NonZeroU32::new(n)
                .map(governor::Quota::per_minute)
                .ok_or(format!("server.{setting} is 0"))
        };
        Ok(Self {
            logins: Logins::default(),
            chat_starts: governor::RateLimiter::keyed(per_minute(
                chats_per_minute,
                "chats_per_minute",
            )?),
            uploads: governor::RateLimiter::keyed(per_minute(
                uploads_per_minute,
                "uploads_per_minute",
            )?),
            chats_per_minute: chats_per_minute.into(),
            uploads_per_minute: uploads_per_minute.into(),
            shared,
            alone_until: AtomicI64::new(0),
            swept: AtomicI64::new(0),
        })
    }

    /// The cluster's tally, unless there is none or it failed a moment ago.
    fn tally(&self) -> Option<&Arc<dyn Tally>> {
        let alone = crate::now_ms() < self.alone_until.load(Ordering::Relaxed);
        self.shared.as_ref().filter(|_| !alone)
    }

    /// The tally's answer; its failure makes this node count alone for a while.
    fn answered<T>(&self, answer: Result<T, String>, limit: &str) -> Option<T> {
        answer
            .map_err(|e| {
                tracing::warn!(
                    limit,
                    "the shared limits failed; this node counts alone for a while: {e}"
                );
                metrics::counter!("parley_limits_unshared_total").increment(1);
                self.alone_until
                    .store(crate::now_ms() + ALONE_FOR_MS, Ordering::Relaxed);
            })
            .ok()
    }

    /// `Err(ms)`: `user` may not try from `ip` for this long yet.
    pub async fn login_wait(&self, user: &str, ip: IpAddr) -> Result<(), Millis> {
        if let Some(tally) = self.tally() {
            let keys = vec![waiting(Some(user), ip), waiting(None, ip)];
            if let Some(left) = self.answered(tally.held(keys).await, "logins") {
                return if left > 0 { Err(left) } else { Ok(()) };
            }
        }
        self.logins.check(user, ip, crate::now_ms())
    }

    /// A wrong password (or an unknown user) from `ip`. Counted here too, so a node that has to
    /// count alone starts from what it saw.
    pub async fn login_failed(&self, user: &str, ip: IpAddr) {
        self.logins.failed(user, ip, crate::now_ms());
        let Some(tally) = self.tally().cloned() else {
            return;
        };
        let user = user.to_owned();
        // A task of its own: a request dropped half-way (the client gone) still counts whole.
        let counted = tokio::spawn(async move {
            for (who, free) in [
                (Some(user.as_str()), FREE_PER_USER),
                (None, FREE_PER_ADDRESS),
            ] {
                let count = tally.add(failures(who, ip), FORGET_MS).await?;
                let wait = wait_ms(u32::try_from(count).unwrap_or(u32::MAX), free);
                if wait > 0 {
                    tally.hold(waiting(who, ip), wait).await?;
                }
            }
            Ok(())
        });
        let answer = counted.await.unwrap_or_else(|e| Err(e.to_string()));
        self.answered(answer, "logins");
    }

    /// The right password: the pair starts afresh (the address keeps its count).
    pub async fn login_succeeded(&self, user: &str, ip: IpAddr) {
        self.logins.succeeded(user, ip);
        if let Some(tally) = self.tally() {
            let keys = vec![failures(Some(user), ip), waiting(Some(user), ip)];
            self.answered(tally.forget(keys).await, "logins");
        }
    }

    /// `Err(ms)`: the network `subnet` has started its chats for this minute.
    pub async fn chat_start(&self, subnet: IpAddr) -> Result<(), Millis> {
        self.forget_idle();
        let local = || self.chat_starts.check_key(&subnet);
        self.rate(
            local,
            format!("chats:[{subnet}]"),
            self.chats_per_minute,
            "chat starts",
        )
        .await
    }

    /// `Err(ms)`: `sender` (an agent or a contact, by a key of the caller's) has sent its files
    /// for this minute.
    pub async fn upload(&self, sender: &str) -> Result<(), Millis> {
        self.forget_idle();
        let local = || self.uploads.check_key(&sender.to_owned());
        self.rate(
            local,
            format!("files:{sender}"),
            self.uploads_per_minute,
            "uploads",
        )
        .await
    }

    async fn rate(
        &self,
        local: impl FnOnce() -> Result<(), governor::NotUntil<governor::clock::QuantaInstant>>,
        key: String,
        per_minute: u64,
        limit: &str,
    ) -> Result<(), Millis> {
        if let Some(tally) = self.tally() {
            if let Some((count, left)) = self.answered(tally.hit(key, MINUTE_MS).await, limit) {
                return if count > per_minute {
                    Err(left.max(1))
                } else {
                    Ok(())
                };
            }
        }
        local().map_err(|n| limiter_wait_ms(&n))
    }

    /// The keyed limiters keep every key they saw: past 100,000, the ones whose budget is
    /// whole again go, at most once a minute (it is a scan of them all).
    fn forget_idle(&self) {
        let now = crate::now_ms();
        let last = self.swept.load(Ordering::Relaxed);
        if (self.chat_starts.len() > 100_000 || self.uploads.len() > 100_000)
            && now - last >= MINUTE_MS
            && self
                .swept
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.chat_starts.retain_recent();
            self.uploads.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn the_wait_grows_per_user_and_address_and_spares_other_addresses() {
        let logins = Logins::default();
        let (attacker, agent) = (ip("203.0.113.9"), ip("198.51.100.4"));
        let mut now = 0;
        for _ in 0..FREE_PER_USER {
            assert_eq!(logins.check("kate", attacker, now), Ok(()));
            logins.failed("kate", attacker, now);
        }
        assert_eq!(logins.check("kate", attacker, now), Err(1000));
        now += 1000;
        assert_eq!(logins.check("kate", attacker, now), Ok(()));
        logins.failed("kate", attacker, now);
        assert_eq!(logins.check("kate", attacker, now), Err(2000), "it doubles");
        // Kate herself, from her own address, is not locked out.
        assert_eq!(logins.check("kate", agent, now), Ok(()));
        logins.succeeded("kate", agent);
        // Another user from the attacking address is not locked yet: the address has some
        // failures to spare.
        assert_eq!(logins.check("john", attacker, now), Ok(()));
    }

    #[test]
    fn many_users_from_one_address_lock_the_address_and_a_success_clears_the_pair() {
        let logins = Logins::default();
        let a = ip("203.0.113.9");
        for n in 0..FREE_PER_ADDRESS {
            logins.failed(&format!("user{n}"), a, 0);
        }
        assert_eq!(logins.check("someone-new", a, 0), Err(1000));
        assert_eq!(logins.check("someone-new", ip("203.0.113.10"), 0), Ok(()));

        let b = ip("198.51.100.4");
        for _ in 0..FREE_PER_USER {
            logins.failed("kate", b, 0);
        }
        assert!(logins.check("kate", b, 0).is_err());
        logins.succeeded("kate", b);
        assert_eq!(logins.check("kate", b, 0), Ok(()));
    }

    #[test]
    fn the_wait_is_capped_and_old_failures_are_forgotten() {
        assert_eq!(wait_ms(FREE_PER_USER + 40, FREE_PER_USER), MAX_WAIT_MS);
        let logins = Logins::default();
        let a = ip("203.0.113.9");
        for _ in 0..FREE_PER_USER + 20 {
            logins.failed("kate", a, 0);
        }
        assert_eq!(logins.check("kate", a, 0), Err(MAX_WAIT_MS));
        let later = FORGET_MS;
        logins.failed("kate", a, later);
        assert_eq!(
            logins.check("kate", a, later),
            Ok(()),
            "counting starts again"
        );
    }

    /// A tally whose store is away.
    struct Away;

    impl Tally for Away {
        fn add(&self, _: String, _: Millis) -> BoxFuture<'_, Result<u64, String>> {
            Box::pin(async { Err("connection refused".into()) })
        }
        fn hit(&self, _: String, _: Millis) -> BoxFuture<'_, Result<(u64, Millis), String>> {
            Box::pin(async { Err("connection refused".into()) })
        }
        fn held(&self, _: Vec<String>) -> BoxFuture<'_, Result<Millis, String>> {
            Box::pin(async { Err("connection refused".into()) })
        }
        fn hold(&self, _: String, _: Millis) -> BoxFuture<'_, Result<(), String>> {
            Box::pin(async { Err("connection refused".into()) })
        }
        fn forget(&self, _: Vec<String>) -> BoxFuture<'_, Result<(), String>> {
            Box::pin(async { Err("connection refused".into()) })
        }
    }

    #[tokio::test]
    async fn a_node_whose_tally_fails_counts_alone_for_a_while() {
        let node = Throttle::new(1, 1, Some(Arc::new(Away))).expect("throttle");
        let a = ip("203.0.113.9");
        for _ in 0..FREE_PER_USER {
            assert_eq!(node.login_wait("kate", a).await, Ok(()));
            node.login_failed("kate", a).await;
        }
        assert_eq!(node.login_wait("kate", a).await, Err(1000), "as alone");
        node.login_succeeded("kate", a).await;
        assert_eq!(node.login_wait("kate", a).await, Ok(()));
        assert_eq!(node.chat_start(a).await, Ok(()));
        assert!(node.chat_start(a).await.is_err());
        assert_eq!(node.upload("agent:kate").await, Ok(()));
        assert!(node.upload("agent:kate").await.is_err());
        assert!(
            node.tally().is_none(),
            "the tally is left alone for a while"
        );
    }

    #[test]
    fn the_table_is_bounded() {
        let logins = Logins::default();
        for n in 0..(MAX_ENTRIES as u32 / 2 + 10) {
            let bytes = n.to_be_bytes();
            let a = IpAddr::from([10, bytes[1], bytes[2], bytes[3]]);
            logins.failed("kate", a, 0);
        }
        assert!(logins.len() <= MAX_ENTRIES);
    }
}
