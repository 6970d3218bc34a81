//! What contacts call agents: an opaque alias per chat, never the login id.
//!
//! An agent's login id is half of what signs them in, and contacts are strangers. Every frame
//! a contact's socket receives names agents by `agent-` and 16 hex digits, a keyed hash
//! (HMAC-SHA-256) of the chat and the agent: stable within a chat (the widget tells agents
//! apart, and a reconnect reads the same names), different in every chat (nothing links one
//! agent across chats), and not computable from guessed login ids without the key. Agents
//! keep their nicknames: the name is what contacts are meant to see.
//!
//! The key is made once per database, at the first start, and read by every node of a
//! cluster from there (`Sessions::secret`), so all nodes give the same alias.

use hmac::{Hmac, Mac};
use parley_protocol::{AgentId, InteractionId};
use sha2::Sha256;
use std::sync::Arc;

/// The name of the key in the store's secrets.
pub const SECRET: &str = "agent_alias";

/// Makes aliases with one key.
#[derive(Clone)]
pub struct Aliases {
    key: Arc<[u8]>,
}

impl Aliases {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.into() }
    }

    /// The store's key, made by the first node that asks.
    pub async fn load(store: &dyn crate::store::Store) -> Result<Self, crate::store::StoreError> {
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        let key = store.secret(SECRET, &fresh).await?;
        Ok(Self::new(key.as_bytes()))
    }

    /// What the contact of `interaction` calls `agent`.
    pub fn of(&self, interaction: &InteractionId, agent: &AgentId) -> AgentId {
        // HMAC takes a key of any length: this never fails.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.key) else {
            return AgentId("agent".into());
        };
        mac.update(interaction.as_str().as_bytes());
        mac.update(&[0]);
        mac.update(agent.as_str().as_bytes());
        let digest = mac.finalize().into_bytes();
        AgentId(format!("agent-{}", hex::encode(&digest[..8])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_is_stable_in_a_chat_and_differs_across_chats_agents_and_keys() {
        let aliases = Aliases::new(b"key");
        let (kate, john) = (AgentId("kate".into()), AgentId("john".into()));
        let (one, two) = (InteractionId("ix-1".into()), InteractionId("ix-2".into()));
        let alias = aliases.of(&one, &kate);
        assert_eq!(alias, aliases.of(&one, &kate));
        assert!(alias.as_str().starts_with("agent-") && !alias.as_str().contains("kate"));
        assert_eq!(alias.as_str().len(), "agent-".len() + 16);
        assert_ne!(alias, aliases.of(&two, &kate));
        assert_ne!(alias, aliases.of(&one, &john));
        assert_ne!(alias, Aliases::new(b"other").of(&one, &kate));
    }
}
