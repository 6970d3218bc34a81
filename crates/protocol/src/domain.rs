//! Domain types shared by the server and both browser apps.

use crate::ids::{AgentId, InteractionId, InvitationId, Millis, QueueId, Seq};
use serde::{Deserialize, Serialize};

/// Who takes part in an interaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Party {
    /// The customer on the web-chat widget.
    Contact { name: String },
    /// An agent; `name` is what this event's audience sees (the nickname for contacts).
    Agent { id: AgentId, name: String },
    /// The chat system itself (notices, time-outs).
    System,
}

impl Party {
    /// The display name of the party.
    pub fn name(&self) -> &str {
        match self {
            Party::Contact { name } | Party::Agent { name, .. } => name,
            Party::System => "Chat System",
        }
    }
}

/// An agent's availability on the chat channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AgentStatus {
    /// Offers may be routed to the agent.
    Ready,
    /// No offers; `reason` is one of the configured reason codes.
    NotReady { reason: Option<String> },
    /// Wrapping up after a chat; no offers.
    AfterCallWork,
}

/// Who may receive an event. Decided by the engine, enforced by the gateway, stored with the event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The contact and every agent party.
    Everyone,
    /// Agent parties only, never the contact.
    Agents,
}

impl Audience {
    /// Whether the contact of the interaction may receive an event with this audience.
    pub fn includes_contact(&self) -> bool {
        matches!(self, Audience::Everyone)
    }
}

/// Why an interaction ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The contact ended the chat from the widget.
    ContactEnded,
    /// An agent clicked End.
    AgentEnded,
}

/// What happened, as stored in an interaction's event log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// A party joined the chat session.
    Joined { party: Party },
    /// A party left the chat session.
    Left { party: Party },
    /// A chat message.
    Message {
        from: Party,
        text: String,
        /// The sender's own id for the message, kept unique per interaction so a retry is stored once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    /// A system notice shown in the transcript.
    Notice { text: String },
    /// The chat ended; no more messages.
    Ended { reason: EndReason },
    /// An agent marked the interaction done (agents only).
    Done {
        agent: AgentId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disposition: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

/// One entry of an interaction's event log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Per-interaction sequence number, assigned by the server; gap-free and increasing.
    pub seq: Seq,
    /// When the server accepted the event.
    pub at: Millis,
    /// Who may receive it.
    pub audience: Audience,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Where an interaction is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionState {
    /// Waiting in a queue for an agent.
    Queued,
    /// Offered to an agent who has not answered yet.
    Offered,
    /// At least one agent is connected.
    Active,
    /// The chat is over; agents still have to mark it done.
    Ended,
}

/// What an agent's desktop needs to show an interaction before its transcript arrives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionSummary {
    pub id: InteractionId,
    /// The contact's display name.
    pub contact: String,
    /// The contact's e-mail address, when given in the pre-chat form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The subject from the pre-chat form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub queue: QueueId,
    pub state: InteractionState,
    /// When the contact started the chat.
    pub started_at: Millis,
}

/// What an invitation asks of the agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationKind {
    /// A new chat routed from a queue.
    NewChat,
}

/// An offer shown in the Interaction Preview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: InvitationId,
    pub kind: InvitationKind,
    pub interaction: InteractionSummary,
    /// After this instant the offer counts as rejected.
    pub expires_at: Millis,
}

/// Who the connection belongs to, as confirmed by the server in `welcome`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Identity {
    /// A logged-in agent.
    Agent {
        id: AgentId,
        name: String,
        /// What contacts see as the agent's name.
        nickname: String,
        status: AgentStatus,
    },
    /// The contact of one interaction.
    Contact {
        interaction: InteractionId,
        name: String,
    },
}
