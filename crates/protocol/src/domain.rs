//! Domain types shared by the server and both browser apps.

use crate::ids::{AgentId, InteractionId, InvitationId, Millis, QueueId, Seq};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who takes part in an interaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

    /// Who sent a message, as the key its `client_id` is unique under: the contact, one agent,
    /// or the system. Ids are the sender's own, and every party of a chat sees the others' ids,
    /// so one sender can never answer for another's retry.
    pub fn sender_key(&self) -> String {
        match self {
            Party::Contact { .. } => "contact".to_owned(),
            Party::Agent { id, .. } => format!("agent:{id}"),
            Party::System => "system".to_owned(),
        }
    }
}

/// An agent's availability on the chat channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    /// The contact and every agent of the interaction (parties and consultants).
    Everyone,
    /// Agents of the interaction only, never the contact.
    Agents,
    /// Only these agents (a consultation's two agents, or the initiator of a declined request).
    Private { agents: Vec<AgentId> },
}

impl Audience {
    /// Whether the contact of the interaction may receive an event with this audience.
    pub fn includes_contact(&self) -> bool {
        matches!(self, Audience::Everyone)
    }

    /// Whether this agent (a party or consultant of the interaction) may receive it.
    pub fn includes_agent(&self, agent: &AgentId) -> bool {
        match self {
            Audience::Everyone | Audience::Agents => true,
            Audience::Private { agents } => agents.contains(agent),
        }
    }
}

/// Why an interaction ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The contact ended the chat from the widget.
    ContactEnded,
    /// The last agent clicked End.
    AgentEnded,
    /// The contact's connection was gone longer than the grace period.
    ContactDisconnected,
    /// Nobody wrote anything for the configured inactivity time-out.
    Inactivity,
}

/// Why an agent left an interaction that goes on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// The agent clicked End while others stayed.
    Ended,
    /// The agent transferred the chat.
    Transferred,
    /// Another agent deleted this one from the conference.
    Removed,
    /// The contact closed the chat or lost the connection.
    Disconnected,
}

/// What an agent asks another internal target to do with an interaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Consultation,
    Transfer,
    Conference,
}

impl RequestKind {
    /// The noun used in messages ("consultation", "transfer", "conference").
    pub fn noun(self) -> &'static str {
        match self {
            RequestKind::Consultation => "consultation",
            RequestKind::Transfer => "transfer",
            RequestKind::Conference => "conference",
        }
    }
}

/// Why a consultation, transfer or conference request did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineReason {
    /// The target clicked Reject.
    Rejected,
    /// The target let the offer time out.
    TimedOut,
    /// Every available agent of the group, skill or queue declined, or none was available.
    NobodyAvailable,
}

/// How quickly the agents owe the contact an answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingLevel {
    /// Nothing unanswered, or under the warning threshold.
    #[default]
    Ok,
    /// Past the warning threshold.
    Warn,
    /// Past the urgent threshold.
    Late,
}

/// What happened, as stored in an interaction's event log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A party joined the chat session.
    Joined { party: Party },
    /// A party left the chat session, which goes on.
    Left {
        party: Party,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<LeaveReason>,
    },
    /// A chat message; in a consultation when `consultation` is set (private to its two agents).
    Message {
        from: Party,
        text: String,
        /// The sender's own id for the message, unique per sender and interaction so a retry is
        /// stored once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consultation: Option<String>,
    },
    /// A system notice as text: what servers before protocol 3 stored (still shown as written).
    Notice { text: String },
    /// A system notice as a fact; each app says it in words ([`Notice::text`] in English).
    System { notice: Notice },
    /// The chat ended; no more messages.
    Ended { reason: EndReason },
    /// An agent marked its part of the interaction done (agents only).
    Done {
        agent: AgentId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disposition: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A consultation between two agents began (private to them).
    ConsultationStarted {
        consultation: String,
        initiator: Party,
        target: Party,
    },
    /// A consultation ended; `by` is the agent who ended it, none when the chat's end ended it.
    ConsultationEnded {
        consultation: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Party>,
    },
    /// A consultation, transfer or conference request did not happen (private to its initiator).
    Declined {
        request: RequestKind,
        target: String,
        reason: DeclineReason,
    },
    /// The agent who owns the interaction changed (agents only).
    OwnerChanged { owner: Party },
    /// The contact has read everything up to this sequence number (agents only).
    Read { up_to: Seq },
    /// A case data value was attached or changed (agents only); `None` removes the key.
    CaseData {
        key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    /// A file or image sent in the chat (uploaded over HTTP first).
    File { from: Party, file: FileRef },
    /// A bot's rich message (agents see it as the contact did, view only).
    Rich { from: Party, content: Rich },
}

/// What the system tells the parties of a chat. Control state is read from these, never from
/// the words an app shows for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// The chat waits for an agent (also when a bot hands it over).
    Queued,
    /// Nobody wrote for a while: the chat times out soon.
    InactivityWarning,
    /// Nobody wrote for the time-out: the chat ended.
    InactivityTimeout,
    /// The contact left: the chat closes by itself in `secs` seconds (agents only).
    AutoClose { secs: u32 },
}

impl Notice {
    /// The notice in English, as the apps show it and as clients before protocol 3 receive it.
    pub fn text(&self) -> String {
        match self {
            Notice::Queued => "Agent will be with you shortly".into(),
            Notice::InactivityWarning => {
                "The chat session will time out soon due to inactivity".into()
            }
            Notice::InactivityTimeout => "The chat session timed out due to inactivity".into(),
            Notice::AutoClose { secs } => {
                format!("The contact has left: this chat closes automatically in {secs} seconds")
            }
        }
    }
}

impl Party {
    /// Calls the agent (if it is one) by `alias` of its id.
    pub fn alias_agent(&mut self, alias: impl Fn(&AgentId) -> AgentId) {
        if let Party::Agent { id, .. } = self {
            *id = alias(id);
        }
    }
}

impl EventKind {
    /// Calls every agent the event names by `alias` of its id.
    pub fn alias_agents(&mut self, alias: impl Fn(&AgentId) -> AgentId) {
        match self {
            EventKind::Joined { party }
            | EventKind::Left { party, .. }
            | EventKind::Message { from: party, .. }
            | EventKind::OwnerChanged { owner: party }
            | EventKind::File { from: party, .. }
            | EventKind::Rich { from: party, .. } => party.alias_agent(alias),
            EventKind::ConsultationStarted {
                initiator, target, ..
            } => {
                initiator.alias_agent(&alias);
                target.alias_agent(alias);
            }
            EventKind::ConsultationEnded { by: Some(by), .. } => by.alias_agent(alias),
            EventKind::Done { agent, .. } => *agent = alias(agent),
            _ => {}
        }
    }
}

/// The templates a bot can send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rich {
    /// A question with answers to tap; the contact's answer follows as its message.
    QuickReplies { text: String, replies: Vec<String> },
    /// Items under a title; a selection list lets the contact pick one (sent as its message).
    List {
        title: String,
        items: Vec<RichItem>,
        #[serde(default)]
        selectable: bool,
    },
    /// Cards shown one at a time, paged through.
    Carousel { cards: Vec<RichCard> },
    /// Markdown: headings, bold, lists, links and images (never HTML).
    Markdown { text: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RichItem {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RichCard {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// An http(s) image address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

impl Rich {
    /// The text a transcript line shows for it (and what a reader without templates sees).
    pub fn summary(&self) -> String {
        match self {
            Rich::QuickReplies { text, replies } => format!("{text} [{}]", replies.join(" | ")),
            Rich::List { title, items, .. } => format!(
                "{title}: {}",
                items
                    .iter()
                    .map(|i| i.title.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Rich::Carousel { cards } => cards
                .iter()
                .map(|c| c.title.as_str())
                .collect::<Vec<_>>()
                .join(" | "),
            Rich::Markdown { text } => text.clone(),
        }
    }
}

/// A file stored by the server, as a transcript refers to it. Fetched from `/api/files/{id}`
/// by parties of the interaction only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub id: String,
    pub name: String,
    /// The type found from the file's content, not the one it was sent with.
    pub mime: String,
    pub size: u64,
}

impl FileRef {
    /// Whether the transcript shows it as an image (thumbnail).
    pub fn is_image(&self) -> bool {
        self.mime.starts_with("image/")
    }

    /// Where to fetch it.
    pub fn url(&self) -> String {
        format!("/api/files/{}", self.id)
    }
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
    /// The e-mail was vouched for by the contact's site (a signed identity), not typed: only
    /// then are the contact's earlier chats linked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verified: bool,
    /// The subject from the pre-chat form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub queue: QueueId,
    pub state: InteractionState,
    /// When the contact started the chat.
    pub started_at: Millis,
    /// Attached key/values at the time of the summary.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub case_data: BTreeMap<String, String>,
    /// How urgently the contact waits for an answer.
    #[serde(default)]
    pub pending: PendingLevel,
    /// How the receiving agent takes part (party or consultant).
    #[serde(default)]
    pub role: Role,
    /// The agents connected as parties when the summary was made, named as in the events: a
    /// long chat's party list is complete even when their joins are older than the events sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<Party>,
}

/// What an invitation asks of the agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationKind {
    /// A new chat routed from a queue.
    NewChat,
    /// Another agent asks for a consultation, a transfer or a conference.
    Request { request: RequestKind, from: String },
}

/// An internal target in the Team Communicator.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Agent(AgentId),
    Group(String),
    Skill(String),
    Queue(QueueId),
}

/// How an agent takes part in an interaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A connected party: owner or conferenced agent.
    #[default]
    Party,
    /// The target of a consultation: sees the contact transcript, chats privately with the initiator.
    Consultant,
}

/// An agent as the Team Communicator shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentPresence {
    pub id: AgentId,
    pub name: String,
    /// Whether the agent has a desktop open.
    pub online: bool,
    pub status: AgentStatus,
    /// Open chats (including offers) against `capacity`.
    pub load: u32,
    pub capacity: u32,
}

/// A named group, skill or queue for the Team Communicator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// One past or current interaction in My History or Contact History.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub id: InteractionId,
    pub contact: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub started_at: Millis,
    /// Whether every agent has marked it done.
    pub closed: bool,
}

/// An offer shown in the Interaction Preview.
/// An earlier chat of the same contact, as shown above the current one: what everyone saw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastChat {
    pub id: InteractionId,
    pub started_at: Millis,
    pub events: Vec<Event>,
}

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
#[serde(rename_all = "snake_case")]
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
