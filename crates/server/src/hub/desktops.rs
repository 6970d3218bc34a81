//! One desktop in use per agent. Each desktop names itself in its `hello` (`client`); the first
//! one an agent opens is in use, a second one (another tab, a CRM's frame) shows that Parley is
//! open in another window until the agent chooses it ("Use it here"). When the desktop in use
//! goes, nothing moves: the next desktop of the agent to connect is in use (a reloaded tab or
//! frame comes back in use even when its old connection closed first), and one already open
//! waits for the agent's "Use it here".
//!
//! The writer keeps this in memory: after a failover the desktops join the new writer again and
//! the first to join is in use.

use super::ConnId;
use parley_protocol::AgentId;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Desktops {
    /// The desktop in use, by agent.
    active: HashMap<AgentId, String>,
    /// Each agent connection that named its desktop: the agent and the desktop.
    conns: HashMap<ConnId, (AgentId, String)>,
}

impl Desktops {
    /// The agent's desktop in use.
    pub fn active(&self, agent: &AgentId) -> Option<&str> {
        self.active.get(agent).map(String::as_str)
    }

    /// A connection of `agent`'s desktop `client` joined: it is in use if no other connection
    /// holds the desktop in use. The desktop in use, when that changed.
    pub fn joined(&mut self, conn: ConnId, agent: &AgentId, client: &str) -> Option<String> {
        self.conns.insert(conn, (agent.clone(), client.to_owned()));
        if self.held(agent) {
            return None;
        }
        self.take(agent, client)
    }

    /// The connection `conn` of a desktop said "Use it here": `(agent, desktop)` to tell every
    /// desktop of the agent (unchanged too: the one that asked waits for the answer).
    pub fn use_here(&mut self, conn: ConnId) -> Option<(AgentId, String)> {
        let (agent, client) = self.conns.get(&conn)?.clone();
        self.active.insert(agent.clone(), client.clone());
        Some((agent, client))
    }

    /// A connection went.
    pub fn gone(&mut self, conn: ConnId) {
        self.conns.remove(&conn);
    }

    /// Whether a connection holds the agent's desktop in use.
    fn held(&self, agent: &AgentId) -> bool {
        let Some(active) = self.active.get(agent) else {
            return false;
        };
        self.conns
            .values()
            .any(|(a, client)| a == agent && client == active)
    }

    fn take(&mut self, agent: &AgentId, client: &str) -> Option<String> {
        let before = self.active.insert(agent.clone(), client.to_owned());
        (before.as_deref() != Some(client)).then(|| client.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_desktop_is_in_use_a_second_waits_until_chosen_and_a_reload_comes_back_in_use() {
        let kate = AgentId("kate".into());
        let mut d = Desktops::default();
        assert_eq!(d.joined(1, &kate, "tab"), Some("tab".into()));
        assert_eq!(d.joined(2, &kate, "frame"), None, "the tab is in use");
        assert_eq!(d.active(&kate), Some("tab"));
        // The tab reconnects: still in use.
        assert_eq!(d.joined(3, &kate, "tab"), None);
        d.gone(1);
        assert_eq!(
            d.joined(7, &kate, "frame"),
            None,
            "its other connection holds it"
        );
        d.gone(7);
        // "Use it here" in the frame.
        assert_eq!(d.use_here(2), Some((kate.clone(), "frame".into())));
        assert_eq!(d.active(&kate), Some("frame"));
        // The frame reloads: its old connection goes first, the tab stays waiting, and the
        // reloaded frame is in use again.
        d.gone(2);
        assert_eq!(d.active(&kate), Some("frame"));
        assert_eq!(d.joined(4, &kate, "frame-2"), Some("frame-2".into()));
        // Others' desktops are their own.
        let john = AgentId("john".into());
        assert_eq!(d.joined(5, &john, "j"), Some("j".into()));
        d.gone(5);
        assert_eq!(d.joined(6, &john, "j2"), Some("j2".into()));
        assert_eq!(d.use_here(99), None, "an unknown connection");
    }
}
