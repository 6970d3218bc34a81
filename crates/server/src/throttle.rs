//! Slowing down password guessing: a growing wait after failed logins, kept per (user, address)
//! and per address.
//!
//! A user's own failures from one address lock that pair only, so a brute force from one
//! address cannot lock the real agent out from another; many failures from one address, for
//! any users, lock that address. A success clears the pair. The wait doubles with each failure
//! past the free ones, up to [`MAX_WAIT_MS`]. Memory is bounded: at most [`MAX_ENTRIES`] are
//! kept, the quiet ones forgotten first; an address that finds the table full is not tracked
//! (the bounded number of password checks at once still holds it back).

use parley_protocol::Millis;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

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
