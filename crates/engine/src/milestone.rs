//! Domain events: what happened to a chat as a business fact (started, accepted, transferred,
//! conferenced, ended, done), for consumers outside the chat itself (webhooks, the CRM API,
//! metrics). The engine derives each from the events it appends, in the same command, so the
//! store commits it with them: a consumer reading them with a stored cursor sees exactly the
//! committed chats, across restarts, with no second source of truth.

use parley_protocol::{AgentId, EndReason, InteractionId, Millis, QueueId, Seq};
use serde::{Deserialize, Serialize};

/// A domain event of one interaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainEvent {
    /// A contact started the chat in this queue.
    ChatStarted { queue: QueueId },
    /// An agent accepted the chat from its queue.
    Accepted { agent: AgentId },
    /// The chat moved from one agent to another.
    Transferred { from: AgentId, to: AgentId },
    /// An agent joined the chat as a further party.
    Conferenced { agent: AgentId, by: AgentId },
    /// The chat ended for everyone.
    Ended { reason: EndReason },
    /// An agent marked its part done.
    Done {
        agent: AgentId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disposition: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

/// A domain event as the engine hands it to the store: which chat, the event of its log that
/// made it (`seq`), and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Milestone {
    pub interaction: InteractionId,
    pub seq: Seq,
    pub at: Millis,
    pub event: DomainEvent,
}
