//! The two message enums and their parsing.
//!
//! Client → server (`ClientMsg`), one example per message:
//!
//! ```json
//! {"type":"hello","v":1,"token":"3f1c…","resume":[{"interaction":"ix-1","after":4}]}
//! {"type":"set_status","status":{"state":"ready"}}
//! {"type":"accept","invitation":"inv-1"}
//! {"type":"reject","invitation":"inv-1"}
//! {"type":"send","interaction":"ix-1","client_id":"c-7","text":"Hello"}
//! {"type":"end","interaction":"ix-1"}
//! {"type":"done","interaction":"ix-1","disposition":"Resolved","note":"Card replaced"}
//! ```
//!
//! Server → client (`ServerMsg`):
//!
//! ```json
//! {"type":"welcome","v":1,"me":{"role":"agent","id":"kate","name":"Kate Lewis","nickname":"Kate","status":{"state":"not_ready","reason":null}},"settings":{"dispositions":["Resolved"],"disposition_required":false,"not_ready_reasons":["Lunch"]}}
//! {"type":"status","status":{"state":"ready"}}
//! {"type":"invitation","invitation":{"id":"inv-1","kind":"new_chat","interaction":{"id":"ix-1","contact":"Mark Avram","queue":"general","state":"offered","started_at":1700000000000},"expires_at":1700000020000}}
//! {"type":"invitation_gone","invitation":"inv-1"}
//! {"type":"opened","interaction":{"id":"ix-1","contact":"Mark Avram","queue":"general","state":"active","started_at":1700000000000}}
//! {"type":"events","interaction":"ix-1","events":[{"seq":5,"at":1700000001000,"audience":"everyone","kind":"message","from":{"kind":"contact","name":"Mark Avram"},"text":"Hi"}]}
//! {"type":"ack","interaction":"ix-1","client_id":"c-7","seq":6}
//! {"type":"closed","interaction":"ix-1"}
//! {"type":"error","code":"bad_frame","message":"expected value at line 1 column 1"}
//! ```

use crate::domain::{AgentStatus, Event, Identity, InteractionSummary, Invitation};
use crate::ids::{InteractionId, InvitationId, Seq};
use crate::MAX_FRAME_BYTES;
use serde::{Deserialize, Serialize};

/// Where a reconnecting client left off in one interaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    pub interaction: InteractionId,
    /// The last sequence number the client has; the server sends everything after it.
    pub after: Seq,
}

/// Every frame a client may send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// First frame of every connection: protocol version, credentials, and where to resume.
    Hello {
        v: u32,
        /// Agent session token or contact token; may be omitted when the session cookie is sent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        resume: Vec<Resume>,
    },
    /// Agent only: change chat-channel status.
    SetStatus { status: AgentStatus },
    /// Agent only: accept an invitation.
    Accept { invitation: InvitationId },
    /// Agent only: reject an invitation.
    Reject { invitation: InvitationId },
    /// Send a chat message.
    Send {
        interaction: InteractionId,
        /// Unique per interaction for this sender; a retry with the same id is stored once.
        client_id: String,
        text: String,
    },
    /// End the chat (an agent's End, or the contact's End Chat).
    End { interaction: InteractionId },
    /// Agent only: mark an ended interaction done.
    Done {
        interaction: InteractionId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disposition: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

/// The per-agent lists the desktop offers in its controls.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSettings {
    /// Disposition codes offered before Mark Done.
    pub dispositions: Vec<String>,
    /// Whether Mark Done requires a disposition code.
    pub disposition_required: bool,
    /// Reason codes for Not Ready.
    pub not_ready_reasons: Vec<String>,
}

/// Machine-readable error codes of the `error` frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, or a known type with missing or malformed fields.
    BadFrame,
    /// A `type` this server does not know.
    UnknownType,
    /// Frame longer than [`MAX_FRAME_BYTES`].
    TooLarge,
    /// A `hello` with a protocol version this server does not speak.
    UnsupportedVersion,
    /// No or wrong credentials, or a command before `hello`.
    Unauthorized,
    /// The command is not allowed for this connection.
    Forbidden,
    /// The interaction or invitation does not exist (any more).
    NotFound,
    /// The command does not fit the current state (e.g. sending into an ended chat).
    Invalid,
    /// The server failed; the command may be retried.
    Internal,
}

/// Every frame the server sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// Answer to a good `hello`.
    Welcome {
        v: u32,
        me: Identity,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settings: Option<AgentSettings>,
    },
    /// The agent's status changed.
    Status { status: AgentStatus },
    /// An offer for the Interaction Preview.
    Invitation { invitation: Invitation },
    /// An offer is no longer open (accepted, rejected, timed out or withdrawn).
    InvitationGone { invitation: InvitationId },
    /// The agent is now a party of this interaction; its events follow.
    Opened { interaction: InteractionSummary },
    /// Events of one interaction, in sequence order.
    Events {
        interaction: InteractionId,
        events: Vec<Event>,
    },
    /// A `send` was stored as event `seq`.
    Ack {
        interaction: InteractionId,
        client_id: String,
        seq: Seq,
    },
    /// The interaction is finished for this agent; remove it from the desktop.
    Closed { interaction: InteractionId },
    /// Something the client sent was refused; the connection stays open.
    Error { code: ErrorCode, message: String },
}

impl ServerMsg {
    /// Shorthand for an `error` frame.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMsg::Error {
            code,
            message: message.into(),
        }
    }
}

/// Why a frame could not be read as a message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("frame of {0} bytes is over the {MAX_FRAME_BYTES}-byte limit")]
    TooLarge(usize),
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    #[error("malformed frame: {0}")]
    BadFrame(String),
}

impl ParseError {
    /// The error frame that answers this parse failure.
    pub fn to_server_msg(&self) -> ServerMsg {
        let code = match self {
            ParseError::TooLarge(_) => ErrorCode::TooLarge,
            ParseError::UnknownType(_) => ErrorCode::UnknownType,
            ParseError::BadFrame(_) => ErrorCode::BadFrame,
        };
        ServerMsg::error(code, self.to_string())
    }
}

const CLIENT_TYPES: &[&str] = &[
    "hello",
    "set_status",
    "accept",
    "reject",
    "send",
    "end",
    "done",
];

impl ClientMsg {
    /// Parses one text frame, telling apart oversize, unknown-type and malformed frames.
    pub fn parse(frame: &str) -> Result<Self, ParseError> {
        if frame.len() > MAX_FRAME_BYTES {
            return Err(ParseError::TooLarge(frame.len()));
        }
        let value: serde_json::Value =
            serde_json::from_str(frame).map_err(|e| ParseError::BadFrame(e.to_string()))?;
        match value.get("type").and_then(|t| t.as_str()) {
            Some(t) if !CLIENT_TYPES.contains(&t) => {
                return Err(ParseError::UnknownType(t.to_owned()))
            }
            None => return Err(ParseError::BadFrame("missing string field \"type\"".into())),
            Some(_) => {}
        }
        serde_json::from_value(value).map_err(|e| ParseError::BadFrame(e.to_string()))
    }

    /// The frame text of this message.
    pub fn to_frame(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl ServerMsg {
    /// Parses one frame from the server.
    pub fn parse(frame: &str) -> Result<Self, ParseError> {
        serde_json::from_str(frame).map_err(|e| ParseError::BadFrame(e.to_string()))
    }

    /// The frame text of this message.
    pub fn to_frame(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
