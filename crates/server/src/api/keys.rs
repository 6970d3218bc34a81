//! API keys: who calls `/api/v1`, what each key may do, and how often.
//!
//! The configuration holds the SHA-256 of each key, never the key: a key is 32 random bytes, so
//! a plain hash is as strong as a slow one, and checking it costs nothing per request. A name may
//! have two keys at once, so a caller can switch to a new key before the old one is removed.

use crate::config::ApiKeyConfig;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};
use std::num::NonZeroU32;

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Start chats and set their case data.
    ChatsWrite,
    /// List live chats and read transcripts.
    ChatsRead,
    /// Read agents' states.
    AgentsRead,
    /// Get a one-time sign-in token for an agent.
    AgentsSignIn,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::ChatsWrite,
        Scope::ChatsRead,
        Scope::AgentsRead,
        Scope::AgentsSignIn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ChatsWrite => "chats.write",
            Scope::ChatsRead => "chats.read",
            Scope::AgentsRead => "agents.read",
            Scope::AgentsSignIn => "agents.sign_in",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

struct Key {
    name: String,
    hashes: Vec<String>,
    scopes: Vec<Scope>,
    limiter: DefaultDirectRateLimiter,
}

/// Why a call was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// No key, or one that is not configured.
    Unknown,
    /// The key lacks the scope.
    Scope(Scope),
    /// The key's rate is spent; try again after this many seconds.
    TooMany { retry_after_secs: u64 },
}

/// The configured keys.
pub struct ApiKeys(Vec<Key>);

impl ApiKeys {
    /// From a configuration the server has checked ([`check`]).
    pub fn new(keys: &[ApiKeyConfig]) -> Self {
        Self(
            keys.iter()
                .map(|k| {
                    let per_minute =
                        NonZeroU32::new(k.requests_per_minute).unwrap_or(NonZeroU32::MIN);
                    let burst =
                        NonZeroU32::new(k.requests_per_minute / 10).unwrap_or(NonZeroU32::MIN);
                    Key {
                        name: k.name.clone(),
                        hashes: k
                            .key_hashes
                            .iter()
                            .map(|h| h.to_ascii_lowercase())
                            .collect(),
                        scopes: k.scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
                        limiter: RateLimiter::direct(
                            Quota::per_minute(per_minute).allow_burst(burst),
                        ),
                    }
                })
                .collect(),
        )
    }

    /// The name of the key presented, if it may use `scope` now.
    pub fn allow(&self, presented: Option<&str>, scope: Scope) -> Result<&str, Refused> {
        let hash = hex::encode(Sha256::digest(
            presented.ok_or(Refused::Unknown)?.as_bytes(),
        ));
        let key = self
            .0
            .iter()
            .find(|k| k.hashes.contains(&hash))
            .ok_or(Refused::Unknown)?;
        if !key.scopes.contains(&scope) {
            return Err(Refused::Scope(scope));
        }
        key.limiter.check().map_err(|not_until| Refused::TooMany {
            retry_after_secs: crate::http::retry_after_secs(crate::throttle::limiter_wait_ms(
                &not_until,
            )),
        })?;
        Ok(&key.name)
    }
}

/// A new key and the hash the configuration keeps of it.
pub fn new_key() -> (String, String) {
    let key = format!("pk_{}", crate::auth::new_token());
    let hash = hex::encode(Sha256::digest(key.as_bytes()));
    (key, hash)
}

/// Why the `[[api_keys]]` of a configuration cannot be used, if they cannot.
pub fn check(keys: &[ApiKeyConfig]) -> Result<(), String> {
    let mut names = std::collections::HashSet::new();
    for k in keys {
        if k.name.trim().is_empty() || !names.insert(k.name.as_str()) {
            return Err(format!("api_keys: {:?} is empty or used twice", k.name));
        }
        if k.key_hashes.is_empty() || k.key_hashes.len() > 2 {
            return Err(format!(
                "api_keys {:?}: one or two key_hashes (two while a key is replaced)",
                k.name
            ));
        }
        if let Some(h) = k
            .key_hashes
            .iter()
            .find(|h| h.len() != 64 || !h.chars().all(|c| c.is_ascii_hexdigit()))
        {
            return Err(format!(
                "api_keys {:?}: {h:?} is not a SHA-256 in hex (parley-server api-key makes one)",
                k.name
            ));
        }
        if let Some(s) = k.scopes.iter().find(|s| Scope::parse(s).is_none()) {
            let known: Vec<_> = Scope::ALL.iter().map(|s| s.as_str()).collect();
            return Err(format!(
                "api_keys {:?}: unknown scope {s:?} (known: {})",
                k.name,
                known.join(", ")
            ));
        }
        if k.requests_per_minute == 0 {
            return Err(format!("api_keys {:?}: requests_per_minute is 0", k.name));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(name: &str, hashes: Vec<String>, scopes: &[&str], rate: u32) -> ApiKeyConfig {
        ApiKeyConfig {
            name: name.into(),
            key_hashes: hashes,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            requests_per_minute: rate,
        }
    }

    #[test]
    fn a_key_is_known_by_its_hash_and_limited_to_its_scopes() {
        let (old, old_hash) = new_key();
        let (new, new_hash) = new_key();
        let keys = ApiKeys::new(&[config(
            "crm",
            vec![old_hash, new_hash.to_uppercase()],
            &["chats.read"],
            600,
        )]);
        // Both keys of a rotation work.
        assert_eq!(keys.allow(Some(&old), Scope::ChatsRead), Ok("crm"));
        assert_eq!(keys.allow(Some(&new), Scope::ChatsRead), Ok("crm"));
        assert_eq!(
            keys.allow(Some(&new), Scope::ChatsWrite),
            Err(Refused::Scope(Scope::ChatsWrite))
        );
        assert_eq!(
            keys.allow(Some("pk_guess"), Scope::ChatsRead),
            Err(Refused::Unknown)
        );
        assert_eq!(keys.allow(None, Scope::ChatsRead), Err(Refused::Unknown));
    }

    #[test]
    fn a_key_past_its_burst_is_told_when_to_come_back() {
        let (key, hash) = new_key();
        // 60 a minute, in bursts of 6.
        let keys = ApiKeys::new(&[config("crm", vec![hash], &["agents.read"], 60)]);
        for _ in 0..6 {
            assert!(keys.allow(Some(&key), Scope::AgentsRead).is_ok());
        }
        assert!(matches!(
            keys.allow(Some(&key), Scope::AgentsRead),
            Err(Refused::TooMany {
                retry_after_secs: 1..=2
            })
        ));
    }

    #[test]
    fn bad_key_settings_are_refused_with_a_reason() {
        let (_, hash) = new_key();
        let ok = config("crm", vec![hash.clone()], &["chats.read"], 10);
        assert_eq!(check(std::slice::from_ref(&ok)), Ok(()));
        let twice = check(&[ok.clone(), ok.clone()]).expect_err("a name twice");
        assert!(twice.contains("used twice"), "{twice}");
        let three = config("crm", vec![hash.clone(); 3], &[], 10);
        assert!(check(&[three]).is_err());
        let plain = config("crm", vec!["secret".into()], &[], 10);
        assert!(check(&[plain]).expect_err("not a hash").contains("SHA-256"));
        let scope = config("crm", vec![hash], &["chats.delete"], 10);
        assert!(check(&[scope]).expect_err("scope").contains("chats.delete"));
    }
}
