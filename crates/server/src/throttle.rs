//! The rare limits: the growing wait after failed logins, chats started per address and files
//! sent per sender. Alone, a process counts them itself ([`Logins`], `governor`'s keyed
//! limiters); in a cluster every node counts them in one place (a [`Tally`], Redis), so a client
//! spreading its requests over the nodes gets the budget it would get from one (decision record
//! 0011). A tally that does not answer lets the request through, logged and counted in
//! `parley_limits_unchecked_total`: a limit that cannot be checked must not take logins and
//! chats down with it.
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

/// A tally's answer, or what to do without one: let the request through, and say so.
fn or_open<T: Default>(answer: Result<T, String>, limit: &str) -> T {
    answer.unwrap_or_else(|e| {
        tracing::warn!(
            limit,
            "the shared limits did not answer, so this request was not limited: {e}"
        );
        metrics::counter!("parley_limits_unchecked_total").increment(1);
        T::default()
    })
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
            swept: AtomicI64::new(0),
        })
    }

    /// `Err(ms)`: `user` may not try from `ip` for this long yet.
    pub async fn login_wait(&self, user: &str, ip: IpAddr) -> Result<(), Millis> {
        let Some(tally) = &self.shared else {
            return self.logins.check(user, ip, crate::now_ms());
        };
        let keys = vec![waiting(Some(user), ip), waiting(None, ip)];
        match or_open(tally.held(keys).await, "logins") {
            0 => Ok(()),
            left => Err(left),
        }
    }

    /// A wrong password (or an unknown user) from `ip`.
    pub async fn login_failed(&self, user: &str, ip: IpAddr) {
        let Some(tally) = &self.shared else {
            return self.logins.failed(user, ip, crate::now_ms());
        };
        for (who, free) in [(Some(user), FREE_PER_USER), (None, FREE_PER_ADDRESS)] {
            let count = or_open(tally.add(failures(who, ip), FORGET_MS).await, "logins");
            let wait = wait_ms(u32::try_from(count).unwrap_or(u32::MAX), free);
            if wait > 0 {
                or_open(tally.hold(waiting(who, ip), wait).await, "logins");
            }
        }
    }

    /// The right password: the pair starts afresh (the address keeps its count).
    pub async fn login_succeeded(&self, user: &str, ip: IpAddr) {
        let Some(tally) = &self.shared else {
            return self.logins.succeeded(user, ip);
        };
        let keys = vec![failures(Some(user), ip), waiting(Some(user), ip)];
        or_open(tally.forget(keys).await, "logins");
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
        let Some(tally) = &self.shared else {
            return local().map_err(|n| limiter_wait_ms(&n));
        };
        match or_open(tally.hit(key, MINUTE_MS).await, limit) {
            (count, left) if count > per_minute => Err(left.max(1)),
            _ => Ok(()),
        }
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

    /// A tally in memory, as Redis keeps one: counts and holds with their expiry.
    #[derive(Default)]
    struct Memory(Mutex<HashMap<String, (u64, Millis)>>);

    impl Memory {
        fn live(&self, key: &str) -> Option<(u64, Millis)> {
            let now = crate::now_ms();
            let map = self.0.lock().expect("lock");
            map.get(key).copied().filter(|&(_, until)| until > now)
        }
    }

    impl Tally for Memory {
        fn add(&self, key: String, forget_ms: Millis) -> BoxFuture<'_, Result<u64, String>> {
            let count = self.live(&key).map_or(0, |(c, _)| c) + 1;
            let until = crate::now_ms() + forget_ms;
            self.0.lock().expect("lock").insert(key, (count, until));
            Box::pin(async move { Ok(count) })
        }
        fn hit(
            &self,
            key: String,
            window_ms: Millis,
        ) -> BoxFuture<'_, Result<(u64, Millis), String>> {
            let (count, until) = self.live(&key).unwrap_or((0, crate::now_ms() + window_ms));
            self.0.lock().expect("lock").insert(key, (count + 1, until));
            let left = until - crate::now_ms();
            Box::pin(async move { Ok((count + 1, left)) })
        }
        fn held(&self, keys: Vec<String>) -> BoxFuture<'_, Result<Millis, String>> {
            let now = crate::now_ms();
            let left = keys
                .iter()
                .filter_map(|k| self.live(k))
                .map(|(_, until)| until - now)
                .max()
                .unwrap_or(0);
            Box::pin(async move { Ok(left) })
        }
        fn hold(&self, key: String, ms: Millis) -> BoxFuture<'_, Result<(), String>> {
            let until = crate::now_ms() + ms;
            self.0.lock().expect("lock").insert(key, (1, until));
            Box::pin(async { Ok(()) })
        }
        fn forget(&self, keys: Vec<String>) -> BoxFuture<'_, Result<(), String>> {
            let mut map = self.0.lock().expect("lock");
            for k in keys {
                map.remove(&k);
            }
            Box::pin(async { Ok(()) })
        }
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
    async fn two_servers_on_one_tally_give_a_guesser_one_budget() {
        let tally: Arc<dyn Tally> = Arc::new(Memory::default());
        let nodes = [
            Throttle::new(2, 3, Some(tally.clone())).expect("throttle"),
            Throttle::new(2, 3, Some(tally)).expect("throttle"),
        ];
        let (attacker, agent) = (ip("203.0.113.9"), ip("198.51.100.4"));
        for n in 0..FREE_PER_USER as usize {
            let node = &nodes[n % 2];
            assert_eq!(node.login_wait("kate", attacker).await, Ok(()));
            node.login_failed("kate", attacker).await;
        }
        for node in &nodes {
            let wait = node.login_wait("kate", attacker).await.expect_err("waits");
            assert!((900..=1000).contains(&wait), "{wait}");
            assert_eq!(
                node.login_wait("kate", agent).await,
                Ok(()),
                "Kate is not locked out"
            );
        }
        nodes[1].login_succeeded("kate", attacker).await;
        assert_eq!(nodes[0].login_wait("kate", attacker).await, Ok(()));

        // Rates: the minute's budget is one for both.
        assert_eq!(nodes[0].chat_start(attacker).await, Ok(()));
        assert_eq!(nodes[1].chat_start(attacker).await, Ok(()));
        let wait = nodes[0].chat_start(attacker).await.expect_err("over");
        assert!((1..=MINUTE_MS).contains(&wait), "{wait}");
        assert_eq!(nodes[1].chat_start(agent).await, Ok(()), "per address");
        for n in 0..3 {
            assert_eq!(nodes[n % 2].upload("contact:c1").await, Ok(()));
        }
        assert!(nodes[1].upload("contact:c1").await.is_err());
        assert_eq!(nodes[0].upload("contact:c2").await, Ok(()));
    }

    #[tokio::test]
    async fn a_tally_that_does_not_answer_lets_requests_through() {
        let node = Throttle::new(1, 1, Some(Arc::new(Away))).expect("throttle");
        let a = ip("203.0.113.9");
        for _ in 0..FREE_PER_USER + 3 {
            assert_eq!(node.login_wait("kate", a).await, Ok(()));
            node.login_failed("kate", a).await;
        }
        node.login_succeeded("kate", a).await;
        for _ in 0..3 {
            assert_eq!(node.chat_start(a).await, Ok(()));
            assert_eq!(node.upload("agent:kate").await, Ok(()));
        }
        // Alone, the same settings hold.
        let alone = Throttle::new(1, 1, None).expect("throttle");
        assert_eq!(alone.chat_start(a).await, Ok(()));
        assert!(alone.chat_start(a).await.is_err());
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
