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
