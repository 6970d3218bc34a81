//! What a party asks the engine to do: one payload type per action, shared by the wire
//! ([`crate::ClientMsg::Act`]) and the engine's command, so each action is spelled once.
//!
//! The frame of an action is its payload under the action's name:
//! `{"send":{"interaction":"ix-1","client_id":"c-7","text":"Hello"}}`. Who may do it (an agent,
//! the chat's contact) is the engine's rule, not the wire's.

use crate::domain::{AgentStatus, RequestKind, Target};
use crate::ids::{AgentId, InteractionId, InvitationId, Seq};
use serde::{Deserialize, Serialize};

/// Agent only: change chat-channel status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetStatus {
    pub status: AgentStatus,
}

/// Agent only: accept an invitation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accept {
    pub invitation: InvitationId,
}

/// Agent only: reject an invitation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reject {
    pub invitation: InvitationId,
}

/// Send a chat message; into a consultation when `consultation` is set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Send {
    pub interaction: InteractionId,
    /// Unique per interaction for this sender; a retry with the same id is stored once.
    pub client_id: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consultation: Option<String>,
}

/// Typing started or stopped; the contact's widget may include what is typed so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typing {
    pub interaction: InteractionId,
    pub typing: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consultation: Option<String>,
}

/// Contact only: everything up to `up_to` has been read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Read {
    pub interaction: InteractionId,
    pub up_to: Seq,
}

/// End the chat (an agent's End, or the contact's End Chat).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct End {
    pub interaction: InteractionId,
}

/// Agent only: mark this agent's part of an interaction done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    pub interaction: InteractionId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Agent only: ask a target for a consultation, a transfer or a conference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub interaction: InteractionId,
    pub request: RequestKind,
    pub target: Target,
}

/// Agent only: end a consultation (either of its two agents).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndConsultation {
    pub interaction: InteractionId,
    pub consultation: String,
}

/// Agent only: Delete From Conference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remove {
    pub interaction: InteractionId,
    pub agent: AgentId,
}

/// Agent only: attach or change a case data value (`null` removes it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetCaseData {
    pub interaction: InteractionId,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Agent only, with asynchronous chat: rejoin a chat this agent left and has not marked done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejoin {
    pub interaction: InteractionId,
}

macro_rules! actions {
    ($($name:ident = $wire:literal,)*) => {
        /// Every action, by name: the engine's input from a party.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Action {
            $($name($name),)*
        }

        /// The wire names of the actions.
        pub(crate) const NAMES: &[&str] = &[$($wire,)*];

        $(
            impl From<$name> for Action {
                fn from(a: $name) -> Self {
                    Action::$name(a)
                }
            }

            impl From<$name> for crate::ClientMsg {
                fn from(a: $name) -> Self {
                    crate::ClientMsg::Act(Action::$name(a))
                }
            }
        )*
    };
}

actions! {
    SetStatus = "set_status",
    Accept = "accept",
    Reject = "reject",
    Send = "send",
    Typing = "typing",
    Read = "read",
    End = "end",
    Done = "done",
    Invite = "invite",
    EndConsultation = "end_consultation",
    Remove = "remove",
    SetCaseData = "set_case_data",
    Rejoin = "rejoin",
}

impl Action {
    /// The chat the action is about (none for status and offers).
    pub fn interaction(&self) -> Option<&InteractionId> {
        match self {
            Action::SetStatus(_) | Action::Accept(_) | Action::Reject(_) => None,
            Action::Send(a) => Some(&a.interaction),
            Action::Typing(a) => Some(&a.interaction),
            Action::Read(a) => Some(&a.interaction),
            Action::End(a) => Some(&a.interaction),
            Action::Done(a) => Some(&a.interaction),
            Action::Invite(a) => Some(&a.interaction),
            Action::EndConsultation(a) => Some(&a.interaction),
            Action::Remove(a) => Some(&a.interaction),
            Action::SetCaseData(a) => Some(&a.interaction),
            Action::Rejoin(a) => Some(&a.interaction),
        }
    }
}
