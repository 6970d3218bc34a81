//! Connections: who a token is, the `hello` that registers a connection and sends what it
//! missed, and its going.

use super::{may_see, ConnId, Hub, Issuer, Outbox};
use crate::auth::token_hash;
use crate::engine::rights::within;
use crate::engine::{Actor, Command};
use crate::store::{Store, StoreError};
use parley_protocol::{
    ErrorCode, Event, Identity, InteractionId, Resume, Seq, ServerMsg, OPEN_WINDOW,
    PROTOCOL_VERSION,
};
use std::collections::HashMap;

impl<S: Store> Hub<S> {
    pub(super) async fn authenticate(&self, token: &str) -> Result<Option<Actor>, StoreError> {
        let hash = token_hash(token);
        if let Some(agent) = self.store.session_agent(&hash).await? {
            return Ok(self
                .engine
                .knows_agent(&agent)
                .then_some(Actor::Agent(agent)));
        }
        Ok(self
            .store
            .contact_interaction(&hash)
            .await?
            .map(Actor::Contact))
    }

    pub(super) async fn hello(
        &mut self,
        conn: ConnId,
        outbox: Outbox,
        token: Option<String>,
        resume: Vec<Resume>,
    ) -> Option<Actor> {
        let refuse = |outbox: &Outbox, code, message: &str| {
            let _ = outbox.send(ServerMsg::error(code, message));
            None
        };
        let Some(token) = token else {
            return refuse(&outbox, ErrorCode::Unauthorized, "log in first");
        };
        let actor = match self.authenticate(&token).await {
            Ok(Some(actor)) => actor,
            Ok(None) => {
                return refuse(
                    &outbox,
                    ErrorCode::Unauthorized,
                    "your session has expired; log in again",
                )
            }
            Err(e) => {
                tracing::error!("hello: {e}");
                return refuse(
                    &outbox,
                    ErrorCode::Internal,
                    "the server could not check your session",
                );
            }
        };
        let after: HashMap<_, _> = resume
            .into_iter()
            .map(|r| (r.interaction, r.after))
            .collect();
        let since = |id: &InteractionId| after.get(id).copied().unwrap_or(0);
        // The actor's first connection: the engine hears that it is online (for a contact, back
        // online: its grace period stops).
        let first = self.presence.connected(&actor);
        let connected = match &actor {
            Actor::Agent(agent) => {
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
                let _ = outbox.send(ServerMsg::Welcome {
                    v: PROTOCOL_VERSION,
                    me,
                    settings: Some(self.engine.settings().clone()),
                });
                for summary in self.engine.agent_interactions(agent) {
                    let id = summary.id.clone();
                    let _ = outbox.send(ServerMsg::Opened {
                        interaction: summary,
                    });
                    self.send_missed(&outbox, &actor, &id, since(&id)).await;
                }
                for invitation in self.engine.agent_invitations(agent) {
                    let _ = outbox.send(ServerMsg::Invitation { invitation });
                }
                let _ = outbox.send(ServerMsg::Presence {
                    agents: self.engine.presence(),
                });
                Command::AgentConnected(agent.clone())
            }
            Actor::Contact(interaction) => {
                let name = self.contact_name(interaction).await;
                let me = Identity::Contact {
                    interaction: interaction.clone(),
                    name,
                };
                let _ = outbox.send(ServerMsg::Welcome {
                    v: PROTOCOL_VERSION,
                    me,
                    settings: None,
                });
                self.send_missed(&outbox, &actor, interaction, since(interaction))
                    .await;
                Command::ContactConnected(interaction.clone())
            }
        };
        self.register(conn, actor.clone(), outbox);
        if first {
            self.run(Some(Issuer { conn, req: None }), connected).await;
        }
        Some(actor)
    }

    /// The contact's name from its join, which is always an interaction's first event: one row
    /// is read, not the whole log.
    pub(super) async fn contact_name(&self, interaction: &InteractionId) -> String {
        let events = self
            .store
            .events_before(interaction, 2, 1)
            .await
            .unwrap_or_default();
        events
            .iter()
            .find_map(|e| match &e.kind {
                parley_protocol::EventKind::Joined {
                    party: p @ parley_protocol::Party::Contact { .. },
                } => Some(p.name().to_owned()),
                _ => None,
            })
            .unwrap_or_default()
    }

    pub(super) fn register(&mut self, conn: ConnId, actor: Actor, outbox: Outbox) {
        self.edges.register(conn, actor, outbox);
    }

    /// Sends the stored events this actor may see after `after`.
    pub(super) async fn send_missed(
        &self,
        outbox: &Outbox,
        actor: &Actor,
        interaction: &InteractionId,
        after: Seq,
    ) {
        let until = self.read_limit(actor, interaction);
        // An agent opening a chat gets its latest events (that it may read); older ones come
        // with `older`.
        let loaded = match actor {
            Actor::Agent(_) if after == 0 => {
                let before = until.map_or(Seq::MAX, |u| u.saturating_add(1));
                self.store
                    .events_before(interaction, before, OPEN_WINDOW)
                    .await
            }
            _ => self.store.events_after(interaction, after).await,
        };
        match loaded {
            Ok(events) => {
                let events: Vec<Event> = events
                    .into_iter()
                    .filter(|e| may_see(actor, e) && within(until, e))
                    .collect();
                if !events.is_empty() {
                    let _ = outbox.send(ServerMsg::Events {
                        interaction: interaction.clone(),
                        events,
                    });
                }
            }
            Err(e) => {
                tracing::error!("resume {interaction}: {e}");
                let _ = outbox.send(ServerMsg::error(
                    ErrorCode::Internal,
                    "could not load the transcript; reconnect to retry",
                ));
            }
        }
    }

    pub(super) async fn gone(&mut self, conn: ConnId) {
        let Some(actor) = self.edges.unregister(conn) else {
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
}
