//! What a connection reads (`older`, `earlier`, `history`), answered on the connection's own
//! task straight from the store, after one access check with the hub: paging through a long
//! history never holds up the hub's commands, and a connection's reads wait only for each other.
//!
//! Every answer that can be large is capped in bytes as well as in count: a page holds the
//! latest events that fit in [`PAGE_BYTES`], and says where it starts so the client asks on.

use crate::engine::Actor;
use crate::hub::{Access, HubHandle};
use crate::now_ms;
use crate::store::{Store, StoreError};
use parley_protocol::{
    AgentId, ClientMsg, ErrorCode, Event, HistoryScope, InteractionId, Millis, PastChat, Seq,
    ServerMsg,
};

/// The most of one `older` or `earlier` answer, in bytes of its events' JSON: a few screenfuls,
/// far under a connection's outbox.
pub const PAGE_BYTES: usize = 256 * 1024;

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
}

impl Reads {
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

    async fn access(&self, actor: &Actor, interaction: &InteractionId) -> Access {
        self.hub.access(actor.clone(), interaction.clone()).await
    }

    /// Older events of an interaction the actor may read, for scrolling up.
    async fn older(
        &self,
        actor: &Actor,
        interaction: &InteractionId,
        before: Seq,
        limit: u32,
    ) -> Result<ServerMsg, ServerMsg> {
        let Access::Reads(until) = self.access(actor, interaction).await else {
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
            .filter(|e| crate::hub::may_see(actor, e) && crate::engine::rights::within(until, e))
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
        match self.access(&actor, interaction).await {
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

/// The latest events (in order) whose JSON fits in [`PAGE_BYTES`], and whether any were left
/// out. The newest always goes, however large: a page is never empty when there is something.
fn latest_that_fit(mut events: Vec<Event>) -> (Vec<Event>, bool) {
    let mut bytes = 0;
    let mut keep = 0;
    for event in events.iter().rev() {
        bytes += serde_json::to_string(event).map_or(0, |s| s.len());
        if keep > 0 && bytes > PAGE_BYTES {
            break;
        }
        keep += 1;
    }
    let cut = keep < events.len();
    let events = events.split_off(events.len() - keep);
    (events, cut)
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

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::{Audience, EventKind, Party};

    fn message(seq: Seq, bytes: usize) -> Event {
        Event {
            seq,
            at: 0,
            audience: Audience::Everyone,
            kind: EventKind::Message {
                from: Party::Contact { name: "M".into() },
                text: "x".repeat(bytes),
                client_id: None,
                consultation: None,
            },
        }
    }

    #[test]
    fn a_page_holds_the_latest_events_that_fit_and_never_nothing() {
        let events: Vec<Event> = (1..=100).map(|s| message(s, 8 * 1024)).collect();
        let (page, cut) = latest_that_fit(events);
        assert!(cut);
        let bytes: usize = page
            .iter()
            .map(|e| serde_json::to_string(e).expect("json").len())
            .sum();
        assert!(bytes <= PAGE_BYTES, "{bytes}");
        assert_eq!(page.last().map(|e| e.seq), Some(100), "the latest");
        assert_eq!(page.len(), 31, "8 KiB messages: 31 fit in 256 KiB");
        let (small, cut) = latest_that_fit((1..=5).map(|s| message(s, 10)).collect());
        assert_eq!((small.len(), cut), (5, false));
        let (huge, cut) = latest_that_fit(vec![message(1, 10), message(2, PAGE_BYTES * 2)]);
        assert_eq!(huge.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2]);
        assert!(cut);
    }
}
