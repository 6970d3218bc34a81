//! What a connection reads, on the connection's own task straight from the store, so that no
//! read ever holds up the hub's commands: its `hello` (the token, then what it missed), and
//! `older`, `earlier` and `history` after an access check in the writer's read model of rights
//! (`access.rs`), and the window of a chat given to its agent.
//!
//! A `hello` is resumed without stopping the hub: the outbox holds what is delivered from the
//! moment the hub registers the connection, the missed events are read and sent, then the held
//! frames follow, less the events the resume already sent.
//!
//! Every answer that can be large is capped in bytes as well as in count: a page holds the
//! latest events that fit in [`PAGE_BYTES`], and says where it starts so the client asks on.

use crate::auth::token_hash;
use crate::engine::rights::within;
use crate::engine::Actor;
use crate::hub::{may_see, Access, AgentJoined, ConnId, HubHandle, Joined, NotJoined};
use crate::now_ms;
use crate::outbox::{Outbox, Window};
use crate::store::{Store, StoreError};
use parley_protocol::{
    AgentId, ClientMsg, ErrorCode, Event, EventKind, HistoryScope, Identity, InteractionId, Millis,
    Party, PastChat, Resume, Seq, ServerMsg, OPEN_WINDOW, PROTOCOL_VERSION,
};
use std::collections::HashMap;

mod page;

use page::latest_that_fit;
pub use page::PAGE_BYTES;

/// The most events an `older` page holds, whatever the client asks for.
const OLDER_LIMIT: u32 = 1000;

/// At most this many events of an earlier chat are read (its latest ones).
const EARLIER_EVENTS: u32 = 1000;

/// What a connection needs to answer its reads.
#[derive(Clone)]
pub struct Reads {
    pub hub: HubHandle,
    pub store: std::sync::Arc<dyn Store>,
    /// How far back a contact's history reaches (`chat.history_days`).
    pub history_days: u32,
    /// The socket came through the widget's host: an agent's `hello` is refused there.
    pub contacts_only: bool,
    /// What contacts call agents (a contact's frames never carry a login id).
    pub aliases: crate::alias::Aliases,
}

impl Reads {
    /// Authenticates a `hello`, registers the connection with the hub and sends what the client
    /// missed, then what was delivered meanwhile. The actor, or `None` after an error frame.
    pub async fn hello(
        &self,
        conn: ConnId,
        outbox: &Outbox,
        token: Option<String>,
        resume: Vec<Resume>,
        client: Option<String>,
    ) -> Option<Actor> {
        let refuse = |code, message: &str| {
            let _ = outbox.send(ServerMsg::error(code, message));
            None
        };
        let Some(token) = token else {
            return refuse(ErrorCode::Unauthorized, "log in first");
        };
        let expired = "your session has expired; log in again";
        let actor = match authenticate(&*self.store, &token).await {
            Ok(Some(Actor::Agent(_))) if self.contacts_only => {
                return refuse(
                    ErrorCode::Forbidden,
                    "agents sign in at the desktop's address, not the widget's",
                )
            }
            Ok(Some(actor)) => actor,
            Ok(None) => return refuse(ErrorCode::Unauthorized, expired),
            Err(e) => {
                tracing::error!("hello: {e}");
                return refuse(
                    ErrorCode::Internal,
                    "the server could not check your session",
                );
            }
        };
        if matches!(actor, Actor::Contact(_)) {
            // Before anything is sent to it, the welcome included.
            outbox.set_contact(self.aliases.clone());
        }
        outbox.hold();
        let joined = match self
            .hub
            .join(conn, actor.clone(), client, outbox.clone())
            .await
        {
            Ok(joined) => joined,
            Err(not) => {
                let _ = outbox.release(&HashMap::new());
                if not == NotJoined::NoWriter {
                    // Not the client's fault: it reconnects with back-off and resumes.
                    outbox.close(crate::outbox::SERVICE_RESTART);
                    return None;
                }
                return refuse(ErrorCode::Unauthorized, expired);
            }
        };
        let after: HashMap<_, _> = resume
            .into_iter()
            .map(|r| (r.interaction, r.after))
            .collect();
        let since = |id: &InteractionId| after.get(id).copied().unwrap_or(0);
        let mut sent = HashMap::new();
        match joined {
            Joined::Agent(agent) => {
                let AgentJoined {
                    me,
                    settings,
                    chats,
                    invitations,
                    presence,
                    desktop,
                } = *agent;
                let _ = outbox.send_now(ServerMsg::Welcome {
                    v: PROTOCOL_VERSION,
                    me,
                    settings: Some(settings),
                    desktop,
                });
                for (summary, until) in chats {
                    let id = summary.id.clone();
                    let _ = outbox.send_now(ServerMsg::Opened {
                        interaction: summary,
                    });
                    self.send_missed(outbox, &actor, &id, since(&id), until, &mut sent)
                        .await;
                }
                for invitation in invitations {
                    let _ = outbox.send_now(ServerMsg::Invitation { invitation });
                }
                let _ = outbox.send_now(ServerMsg::Presence { agents: presence });
            }
            Joined::Contact { interaction } => {
                let me = Identity::Contact {
                    interaction: interaction.clone(),
                    name: contact_name(&*self.store, &interaction).await,
                };
                let _ = outbox.send_now(ServerMsg::Welcome {
                    v: PROTOCOL_VERSION,
                    me,
                    settings: None,
                    desktop: None,
                });
                let from = since(&interaction);
                self.send_missed(outbox, &actor, &interaction, from, None, &mut sent)
                    .await;
            }
        }
        let _ = outbox.release(&sent);
        Some(actor)
    }

    /// Sends the stored events of a chat the actor missed, noting the last one sent.
    async fn send_missed(
        &self,
        outbox: &Outbox,
        actor: &Actor,
        interaction: &InteractionId,
        after: Seq,
        until: Option<Seq>,
        sent: &mut HashMap<InteractionId, Seq>,
    ) {
        let Some(frame) = transcript(&*self.store, actor, interaction, after, until).await else {
            return;
        };
        if let ServerMsg::Events { events, .. } = &frame {
            if let Some(last) = events.last() {
                sent.insert(interaction.clone(), last.seq);
            }
        }
        let _ = outbox.send_now(frame);
    }

    /// Reads the window of a chat just given to this connection's agent and puts it in its
    /// place, after the chat's `opened` frame.
    pub async fn window(&self, outbox: &Outbox, actor: &Actor, window: Window) {
        let read = transcript(&*self.store, actor, &window.interaction, 0, window.until).await;
        let _ = outbox.fill(window, read);
    }

    /// The answer to a read; `None` when the message is not a read.
    pub async fn answer(&self, actor: &Actor, msg: &ClientMsg) -> Option<ServerMsg> {
        let agent = match actor {
            Actor::Agent(agent) => Some(agent),
            Actor::Contact(_) => None,
        };
        let answer = match (msg, agent) {
            (
                ClientMsg::Older {
                    interaction,
                    before,
                    limit,
                },
                _,
            ) => self.older(actor, interaction, *before, *limit).await,
            (
                ClientMsg::Earlier {
                    interaction,
                    before,
                },
                Some(agent),
            ) => self.earlier(agent, interaction, *before).await,
            (ClientMsg::History { scope }, Some(agent)) => self.history(agent, scope).await,
            (ClientMsg::Earlier { .. } | ClientMsg::History { .. }, None) => Err(forbidden()),
            _ => return None,
        };
        Some(answer.unwrap_or_else(|refusal| refusal))
    }

    fn access(&self, actor: &Actor, interaction: &InteractionId) -> Access {
        self.hub.access(actor, interaction)
    }

    /// Older events of an interaction the actor may read, for scrolling up.
    async fn older(
        &self,
        actor: &Actor,
        interaction: &InteractionId,
        before: Seq,
        limit: u32,
    ) -> Result<ServerMsg, ServerMsg> {
        let Access::Reads(until) = self.access(actor, interaction) else {
            return Err(not_in_it());
        };
        let limit = limit.clamp(1, OLDER_LIMIT);
        let before = until.map_or(before, |u| before.min(u.saturating_add(1)));
        let events = self
            .store
            .events_before(interaction, before, limit)
            .await
            .map_err(|e| failed("older", interaction, e, "could not load older messages"))?;
        let short = events.len() < limit as usize;
        let (events, cut) = latest_that_fit(events);
        // The start is reached when fewer came than were asked for and none were left out.
        let from = match events.first() {
            Some(first) if cut || !short => first.seq,
            _ => 1,
        };
        let events = events
            .into_iter()
            .filter(|e| may_see(actor, e) && within(until, e))
            .collect();
        Ok(ServerMsg::Older {
            interaction: interaction.clone(),
            events,
            from,
        })
    }

    /// The contact's chat before `before`, within the history limit, for above the current
    /// one: only what everyone saw, its latest events that fit in a page.
    async fn earlier(
        &self,
        agent: &AgentId,
        interaction: &InteractionId,
        before: Millis,
    ) -> Result<ServerMsg, ServerMsg> {
        self.takes_part(agent, interaction).await?;
        let failure = |e| failed("earlier", interaction, e, "could not load earlier chats");
        let found = self
            .store
            .earlier_of_contact(interaction, before, self.since())
            .await
            .map_err(failure)?;
        let chat = match found {
            None => None,
            Some((id, started_at)) => {
                let beside = Some(format!("beside {interaction}"));
                crate::audit::note(
                    &*self.store,
                    &id,
                    format!("agent:{}", agent.as_str()),
                    "read",
                    beside,
                )
                .await
                .map_err(failure)?;
                let events = self
                    .store
                    .events_before(&id, Seq::MAX, EARLIER_EVENTS)
                    .await
                    .map_err(failure)?
                    .into_iter()
                    .filter(|e| e.audience == parley_protocol::Audience::Everyone)
                    .collect();
                Some(PastChat {
                    id,
                    started_at,
                    events: latest_that_fit(events).0,
                })
            }
        };
        Ok(ServerMsg::Earlier {
            interaction: interaction.clone(),
            chat,
        })
    }

    /// My History or a contact's history.
    async fn history(&self, agent: &AgentId, scope: &HistoryScope) -> Result<ServerMsg, ServerMsg> {
        let entries = match scope {
            HistoryScope::Mine => self.store.history_of_agent(agent).await,
            HistoryScope::Contact { interaction } => {
                self.takes_part(agent, interaction).await?;
                self.store
                    .history_of_contact(interaction, self.since())
                    .await
            }
        };
        let entries = entries.map_err(|e| {
            tracing::error!("history: {e}");
            ServerMsg::error(ErrorCode::Internal, "could not load the history")
        })?;
        Ok(ServerMsg::History {
            scope: scope.clone(),
            entries,
        })
    }

    async fn takes_part(
        &self,
        agent: &AgentId,
        interaction: &InteractionId,
    ) -> Result<(), ServerMsg> {
        let actor = Actor::Agent(agent.clone());
        match self.access(&actor, interaction) {
            Access::Reads(_) => Ok(()),
            Access::None => Err(not_in_it()),
        }
    }

    /// The oldest start a contact's history reaches back to.
    fn since(&self) -> Millis {
        let days = i64::from(self.history_days);
        now_ms().saturating_sub(days.saturating_mul(86_400_000))
    }
}

/// Who holds this token: an agent's session or a contact's chat.
pub async fn authenticate<S: Store + ?Sized>(
    store: &S,
    token: &str,
) -> Result<Option<Actor>, StoreError> {
    let hash = token_hash(token);
    if let Some(agent) = store.session_agent(&hash).await? {
        return Ok(Some(Actor::Agent(agent)));
    }
    Ok(store.contact_interaction(&hash).await?.map(Actor::Contact))
}

/// The stored events of a chat this actor may see after `after` (up to `until`). Opening a chat
/// (`after` 0) gives its latest window, to an agent or a contact alike; older ones come with
/// `older`.
pub async fn missed<S: Store + ?Sized>(
    store: &S,
    actor: &Actor,
    interaction: &InteractionId,
    after: Seq,
    until: Option<Seq>,
) -> Result<Vec<Event>, StoreError> {
    let events = match actor {
        _ if after == 0 => {
            let before = until.map_or(Seq::MAX, |u| u.saturating_add(1));
            store
                .events_before(interaction, before, OPEN_WINDOW)
                .await?
        }
        _ => store.events_after(interaction, after).await?,
    };
    Ok(events
        .into_iter()
        .filter(|e| may_see(actor, e) && within(until, e))
        .collect())
}

/// The frame with what [`missed`] reads (`None`: nothing to send), or the error frame when the
/// store could not be read.
pub async fn transcript<S: Store + ?Sized>(
    store: &S,
    actor: &Actor,
    interaction: &InteractionId,
    after: Seq,
    until: Option<Seq>,
) -> Option<ServerMsg> {
    match missed(store, actor, interaction, after, until).await {
        Ok(events) if events.is_empty() => None,
        Ok(events) => Some(ServerMsg::Events {
            interaction: interaction.clone(),
            events,
        }),
        Err(e) => {
            tracing::error!("transcript of {interaction}: {e}");
            Some(ServerMsg::error(
                ErrorCode::Internal,
                "could not load the transcript; reconnect to retry",
            ))
        }
    }
}

/// The contact's name from its join, which is always an interaction's first event: one row is
/// read, not the whole log.
async fn contact_name<S: Store + ?Sized>(store: &S, interaction: &InteractionId) -> String {
    let first = store
        .events_before(interaction, 2, 1)
        .await
        .unwrap_or_default();
    first
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Joined {
                party: p @ Party::Contact { .. },
            } => Some(p.name().to_owned()),
            _ => None,
        })
        .unwrap_or_default()
}

fn not_in_it() -> ServerMsg {
    ServerMsg::error(ErrorCode::Forbidden, "you are not in this interaction")
}

fn forbidden() -> ServerMsg {
    ServerMsg::error(ErrorCode::Forbidden, "only agents may do this")
}

fn failed(what: &str, interaction: &InteractionId, e: StoreError, say: &str) -> ServerMsg {
    tracing::error!("{what} {interaction}: {e}");
    ServerMsg::error(ErrorCode::Internal, say)
}
