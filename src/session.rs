//! The agent's session token, kept in this tab's `sessionStorage` so two tabs can hold two agents.

const KEY: &str = "parley.session";

/// The stored token, if any.
pub fn load() -> Option<String> {
    parley_client::storage(true)?
        .get_item(KEY)
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

/// Remembers the token for this tab.
pub fn save(token: &str) {
    if let Some(s) = parley_client::storage(true) {
        let _ = s.set_item(KEY, token);
    }
}

/// Forgets the token.
pub fn clear() {
    if let Some(s) = parley_client::storage(true) {
        let _ = s.remove_item(KEY);
    }
}

/// The one-time sign-in token a host system put in the address (`#sign_in=<token>`, from
/// `POST /api/v1/agents/{id}/sign-in`): in the fragment, it never reaches a server log.
pub fn sign_in_token(hash: &str) -> Option<String> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix("sign_in="))
        .filter(|t| {
            !t.is_empty()
                && t.len() <= 200
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sign_in_token_is_read_from_the_fragment_only_when_well_formed() {
        use super::sign_in_token;
        assert_eq!(
            sign_in_token("#sign_in=abc-DEF_12"),
            Some("abc-DEF_12".into())
        );
        assert_eq!(sign_in_token("#x=1&sign_in=t0k"), Some("t0k".into()));
        assert_eq!(sign_in_token(""), None);
        assert_eq!(sign_in_token("#sign_in="), None);
        assert_eq!(sign_in_token("#sign_in=%3Cscript%3E"), None);
        assert_eq!(
            sign_in_token(&format!("#sign_in={}", "a".repeat(201))),
            None
        );
    }
}
