//! Connections: one joining (registered, with what the engine holds for it; the edge sends
//! what it missed), and one going.

use super::{AgentJoined, ConnId, Hub, Issuer, Joined};
use crate::edge::Delivery;
use crate::engine::{Actor, Command};
use crate::store::Store;
use parley_protocol::Identity;

impl<S: Store> Hub<S> {
    /// Registers a connection whose actor the edge has authenticated, and tells the edge what
    /// the engine holds for it. Registering and reading the engine happen in one step of the
    /// hub, so every event committed after it reaches the connection (held until its resume is
    /// sent). `None`: the agent is not in the configuration (any more).
    pub(super) async fn join(
        &mut self,
        conn: ConnId,
        actor: Actor,
        client: Option<String>,
    ) -> Option<Joined> {
        let joined = match &actor {
            Actor::Agent(agent) => {
                if !self.engine.knows_agent(agent) {
                    return None;
                }
                let me = Identity::Agent {
                    id: agent.clone(),
                    name: self
                        .config
                        .agents
                        .iter()
                        .find(|a| &a.id == agent)
                        .map_or_else(String::new, |a| a.name.clone()),
                    nickname: self.engine.nickname(agent).unwrap_or_default().to_owned(),
                    status: self.engine.status(agent),
                };
                let chats = self
                    .engine
                    .agent_interactions(agent)
                    .into_iter()
                    .map(|summary| {
                        let until = self.read_limit(&actor, &summary.id);
                        (summary, until)
                    })
                    .collect();
                Joined::Agent(Box::new(AgentJoined {
                    me,
                    settings: self.engine.settings().clone(),
                    chats,
                    invitations: self.engine.agent_invitations(agent),
                    presence: self.engine.presence(),
                    desktop: None,
                }))
            }
            Actor::Contact(interaction) => Joined::Contact {
                interaction: interaction.clone(),
            },
        };
        self.conns.insert(conn, actor.clone());
        let mut joined = joined;
        if let (Actor::Agent(agent), Some(client), Joined::Agent(j)) =
            (&actor, &client, &mut joined)
        {
            if let Some(active) = self.desktops.joined(conn, agent, client) {
                self.tell_desktop(agent, active);
            }
            j.desktop = self.desktops.active(agent).map(str::to_owned);
        }
        if let Some(client) = client {
            self.clients.insert(conn, client);
        }
        // Everything this connection's node was given for it before this point is older than
        // what `joined` holds: the mark tells the edge to drop it.
        self.bus.publish(Delivery::Mark { conn });
        // The actor's first connection: the engine hears that it is online (for a contact, back
        // online: its grace period stops).
        if self.presence.connected(&actor) {
            let connected = match &actor {
                Actor::Agent(agent) => Command::AgentConnected(agent.clone()),
                Actor::Contact(interaction) => Command::ContactConnected(interaction.clone()),
            };
            self.run(Some(Issuer { conn, req: None }), connected).await;
        }
        Some(joined)
    }

    pub(super) async fn gone(&mut self, conn: ConnId) {
        self.clients.remove(&conn);
        self.desktops.gone(conn);
        let Some(actor) = self.conns.remove(&conn) else {
            return;
        };
        if self.presence.disconnected(&actor) {
            let command = match actor {
                Actor::Agent(agent) => Command::AgentDisconnected(agent),
                Actor::Contact(interaction) => Command::ContactDisconnected(interaction),
            };
            self.run(None, command).await;
        }
    }

    /// Tells every connection of the agent which of its desktops is in use.
    pub(super) fn tell_desktop(&self, agent: &parley_protocol::AgentId, client: String) {
        self.bus.publish(Delivery::Actors {
            to: vec![Actor::Agent(agent.clone())],
            msg: parley_protocol::ServerMsg::ActiveDesktop { client },
        });
    }

    /// "Use it here" from a connection: its desktop is the agent's desktop in use.
    pub(super) fn use_here(&mut self, conn: ConnId) -> Option<parley_protocol::ServerMsg> {
        match self.desktops.use_here(conn) {
            Some((agent, client)) => {
                self.tell_desktop(&agent, client);
                None
            }
            None => Some(parley_protocol::ServerMsg::error(
                parley_protocol::ErrorCode::Invalid,
                "only an agent desktop that named itself in its hello can be used here",
            )),
        }
    }
}
