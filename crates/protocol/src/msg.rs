//! The two message enums and their parsing.
//!
//! Client → server (`ClientMsg`), one example per message:
//!
//! ```json
//! {"hello":{"v":3,"token":"3f1c…","resume":[{"interaction":"ix-1","after":4}]}}
//! {"set_status":{"status":{"not_ready":{"reason":"Lunch"}}}}
//! {"accept":{"invitation":"inv-1"}}
//! {"reject":{"invitation":"inv-1"}}
//! {"req":12,"send":{"interaction":"ix-1","client_id":"c-7","text":"Hello"}}
//! {"send":{"interaction":"ix-1","client_id":"c-8","text":"Can you check?","consultation":"ix-1/c1"}}
//! {"typing":{"interaction":"ix-1","typing":true,"preview":"the visa end"}}
//! {"read":{"interaction":"ix-1","up_to":9}}
//! {"end":{"interaction":"ix-1"}}
//! {"done":{"interaction":"ix-1","disposition":"Resolved","note":"Card replaced"}}
//! {"invite":{"interaction":"ix-1","request":"consultation","target":{"agent":"john"}}}
//! {"invite":{"interaction":"ix-1","request":"transfer","target":{"group":"tier2"}}}
//! {"end_consultation":{"interaction":"ix-1","consultation":"ix-1/c1"}}
//! {"remove":{"interaction":"ix-1","agent":"john"}}
//! {"set_case_data":{"interaction":"ix-1","key":"Order number","value":"A-1234"}}
//! {"rejoin":{"interaction":"ix-1"}}
//! {"older":{"interaction":"ix-1","before":4801,"limit":200}}
//! {"earlier":{"interaction":"ix-1","before":1700000000000}}
//! {"history":{"scope":{"contact":{"interaction":"ix-1"}}}}
//! {"use_here":{}}
//! ```
//!
//! Server → client (`ServerMsg`):
//!
//! ```json
//! {"welcome":{"v":3,"me":{"agent":{"id":"kate","name":"Kate Lewis","nickname":"Kate","status":{"not_ready":{"reason":null}}}},"settings":{"dispositions":["Resolved"],"disposition_required":false,"not_ready_reasons":["Lunch"]}}}
//! {"status":{"status":"ready"}}
//! {"invitation":{"invitation":{"id":"inv-1","kind":"new_chat","interaction":{"id":"ix-1","contact":"Mark Avram","queue":"general","state":"offered","started_at":1700000000000},"expires_at":1700000020000}}}
//! {"invitation":{"invitation":{"id":"inv-2","kind":{"request":{"request":"consultation","from":"Kate Lewis"}},"interaction":{"id":"ix-1","contact":"Mark Avram","queue":"general","state":"active","started_at":1700000000000},"expires_at":1700000020000}}}
//! {"invitation_gone":{"invitation":"inv-1"}}
//! {"opened":{"interaction":{"id":"ix-1","contact":"Mark Avram","queue":"general","state":"active","started_at":1700000000000,"pending":"warn","role":"party","agents":[{"agent":{"id":"kate","name":"Kate"}}]}}}
//! {"events":{"interaction":"ix-1","events":[{"seq":5,"at":1700000001000,"audience":"everyone","kind":{"message":{"from":{"contact":{"name":"Mark Avram"}},"text":"Hi"}}}]}}
//! {"events":{"interaction":"ix-1","events":[{"seq":6,"at":1700000002000,"audience":{"private":{"agents":["kate","john"]}},"kind":{"consultation_started":{"consultation":"ix-1/c1","initiator":{"agent":{"id":"kate","name":"Kate"}},"target":{"agent":{"id":"john","name":"John"}}}}}]}}
//! {"ack":{"interaction":"ix-1","client_id":"c-7","seq":6,"req":12}}
//! {"closed":{"interaction":"ix-1"}}
//! {"error":{"code":"bad_frame","message":"expected value at line 1 column 1"}}
//! {"error":{"code":"invalid","message":"the chat has ended","req":13}}
//! {"events":{"interaction":"ix-1","events":[{"seq":2,"at":1700000000000,"audience":"everyone","kind":{"system":{"notice":"queued"}}}]}}
//! {"presence":{"agents":[{"id":"john","name":"John Davis","online":true,"status":"ready","load":1,"capacity":3}]}}
//! {"typing":{"interaction":"ix-1","party":{"contact":{"name":"Mark Avram"}},"typing":true,"preview":"the visa end"}}
//! {"queue_position":{"interaction":"ix-1","position":2}}
//! {"pending":{"interaction":"ix-1","level":"late"}}
//! {"older":{"interaction":"ix-1","events":[],"from":1}}
//! {"earlier":{"interaction":"ix-1","chat":{"id":"ix-0","started_at":1690000000000,"events":[]}}}
//! {"earlier":{"interaction":"ix-1","chat":null}}
//! {"history":{"scope":"mine","entries":[{"id":"ix-0","contact":"Mark Avram","started_at":1690000000000,"closed":true}]}}
//! {"active_desktop":{"client":"d-5f2a"}}
//! ```
//!
//! Rules of the conversation:
//! - The first frame is `hello`; anything else before it gets `unauthorized`.
//! - An agent's `welcome` is followed by its chats, its offers, and last the presence list: the
//!   presence list ends what the server sends on joining.
//! - An agent uses one desktop at a time: `welcome`'s `desktop` and `active_desktop` name the
//!   one in use (the `client` of its `hello`); `use_here` makes the sender's the one.
//! - Every event carries an `audience`. A contact only ever receives `everyone` events; an agent
//!   receives `private` events only when named in them. This holds for live frames and resumes.
//! - On opening a chat an agent receives its latest events only ([`OPEN_WINDOW`]); older ones
//!   come with `older` as the agent scrolls up. A resume always sends everything missed.
//! - `send` is answered by `ack` with the event's `seq`; a client re-sends unacknowledged messages
//!   with the same `client_id` after a reconnect and the server stores each at most once. A
//!   `client_id` is unique per sender: two parties using the same one send two messages.
//! - An agent reads a chat while it takes part in it. Once its right ends (deleted from a
//!   conference, transferred away, its own End, a consultation that ended) it receives nothing
//!   newer on any path, and keeps what it saw until its `done`. `rejoin` is for an agent that left
//!   by its own End, with asynchronous chat on.
//! - `earlier` and a contact's `history` hold only finished chats of the same contact that
//!   started before this one, within the history limit.
//! - Refusals come back as `error` with a [`ErrorCode`]; the connection stays open.
//! - A client may put a request id (`"req"`, a whole number) next to the message type; the `ack`
//!   or `error` that answers the frame carries it, so a refusal lands on the command that caused
//!   it. Answers to reads (`older`, `history`, `earlier`) name what they answer instead.
//! - A client whose `hello` names itself (`client`: a random id of this instance of the app, the
//!   same on every connection it makes) makes each of its request ids name one command for good:
//!   a command sent again with the same `req` (after a reconnect that lost its answer, say) acts
//!   once, and its answers (`ack`, `error`) are sent again, for ten minutes (the last 100,000
//!   requests of the whole server at most) and across a change of writer. `send` is stored once
//!   by its `client_id` in any case.
//! - System notices are typed (`{"system":{"notice":...}}`) and each app words them; chats
//!   stored before protocol 3 hold `{"notice":{"text":...}}`, shown as written. A client of
//!   protocol 2 receives typed notices as text.

use crate::act::{self, Action};
use crate::domain::{
    AgentPresence, AgentStatus, Event, EventKind, HistoryEntry, Identity, InteractionSummary,
    Invitation, Named, Party, PastChat, PendingLevel,
};
use crate::ids::{AgentId, InteractionId, InvitationId, Millis, Seq};
use crate::MAX_FRAME_BYTES;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a reconnecting client left off in one interaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    pub interaction: InteractionId,
    /// The last sequence number the client has; the server sends everything after it.
    pub after: Seq,
}

/// Which history list to read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryScope {
    /// Interactions this agent engaged in with a contact (consultations excluded).
    Mine,
    /// Earlier interactions of the contact of this interaction.
    Contact { interaction: InteractionId },
}

/// Every frame a client may send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientMsg {
    /// First frame of every connection: protocol version, credentials, and where to resume.
    Hello {
        v: u32,
        /// Agent session token or contact token; may be omitted when the session cookie is sent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        resume: Vec<Resume>,
        /// This instance of the app (1 to 64 bytes, random), the same on each of its
        /// connections: with it, a request id acts once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
    /// Events before `before` (the earliest the client holds), at most `limit`, for scrolling up.
    Older {
        interaction: InteractionId,
        before: Seq,
        limit: u32,
    },
    /// Agent only: read My History or a contact's history.
    History { scope: HistoryScope },
    /// The contact's chat that started before `before` (ms), to show above this one.
    Earlier {
        interaction: InteractionId,
        before: Millis,
    },
    /// Agent only: this desktop (the `client` of its `hello`) becomes the agent's desktop in
    /// use; the others show that Parley is open in another window.
    UseHere {},
    /// An action for the engine, under its own name (`{"send":{...}}`); see [`crate::act`].
    #[serde(untagged)]
    Act(Action),
}

/// A parsed frame: the message and the request id the client put next to it, which the server
/// echoes in the `ack` or `error` that answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub msg: ClientMsg,
    pub req: Option<u64>,
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
    /// Case data keys agents may edit.
    #[serde(default)]
    pub editable_case_data: Vec<String>,
    /// Agent groups, skills and queues for the Team Communicator.
    #[serde(default)]
    pub groups: Vec<Named>,
    #[serde(default)]
    pub skills: Vec<Named>,
    #[serde(default)]
    pub queues: Vec<Named>,
    /// The standard responses library.
    #[serde(default)]
    pub responses: Vec<StandardResponse>,
    /// Pending-response thresholds in seconds (warning, urgent), for the desktop's indicator.
    #[serde(default)]
    pub pending_secs: (u32, u32),
    /// How far back earlier chats of a contact are shown, in days.
    #[serde(default)]
    pub history_days: u32,
    /// Sending a message with words the server's spelling check does not know asks the agent
    /// first (`POST /api/spelling`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spell_check: bool,
    /// What dispositions and Not Ready reasons are called in other languages than their code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
}

/// What a code (a disposition, a Not Ready reason) is called in a language.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub language: String,
    pub code: String,
    pub text: String,
}

impl AgentSettings {
    /// What `code` is called in `language`: its label there, else the code itself.
    pub fn label<'a>(&'a self, language: &str, code: &'a str) -> &'a str {
        self.labels
            .iter()
            .find(|l| l.language == language && l.code == code)
            .map_or(code, |l| l.text.as_str())
    }
}

/// A prepared answer an agent can insert, found by name or category, or by typing `#keyword`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandardResponse {
    pub name: String,
    pub category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<String>,
    pub text: String,
    /// The name of a file that goes with the response (attached from the library).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<String>,
    /// The text in other languages (`de` → text), for chats in them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub texts: BTreeMap<String, String>,
}

impl StandardResponse {
    /// The text for a chat in `language`: its own there, else the default.
    pub fn text_in(&self, language: &str) -> &str {
        self.texts.get(language).unwrap_or(&self.text)
    }
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
    /// Too many frames in a short time; slow down.
    RateLimited,
    /// The server failed; the command may be retried.
    Internal,
    /// The server has too much to do right now; the command was not taken and may be retried.
    Busy,
}

/// What was refused, where the code alone says too little to the person who tried: the apps
/// say it in the reader's language (`refusal.<key>` in their catalogues), the `message` beside
/// it says it in English for logs and API clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    ChatEnded,
    NotActive,
    EmptyMessage,
    MessageTooLong,
    ValueTooLong,
    NobodyAvailable,
    AlreadyParty,
    AlreadyInChat,
    InviteSelf,
    UnknownTarget,
    NotInConference,
    UseEnd,
    EndFirst,
    DispositionFirst,
    NotEditable,
    FilesFull,
    RequestWaiting,
    AlreadyConsulting,
    ConsultingInstead,
    TakenOut,
    WrongCredentials,
    SignInUsed,
    FileEmpty,
    FileTooLarge,
    FileType,
    FileMislabelled,
    FileMarkup,
}

impl Reason {
    /// Every reason, for the apps' catalogue tests.
    pub const ALL: [Reason; 27] = [
        Reason::ChatEnded,
        Reason::NotActive,
        Reason::EmptyMessage,
        Reason::MessageTooLong,
        Reason::ValueTooLong,
        Reason::NobodyAvailable,
        Reason::AlreadyParty,
        Reason::AlreadyInChat,
        Reason::InviteSelf,
        Reason::UnknownTarget,
        Reason::NotInConference,
        Reason::UseEnd,
        Reason::EndFirst,
        Reason::DispositionFirst,
        Reason::NotEditable,
        Reason::FilesFull,
        Reason::RequestWaiting,
        Reason::AlreadyConsulting,
        Reason::ConsultingInstead,
        Reason::TakenOut,
        Reason::WrongCredentials,
        Reason::SignInUsed,
        Reason::FileEmpty,
        Reason::FileTooLarge,
        Reason::FileType,
        Reason::FileMislabelled,
        Reason::FileMarkup,
    ];

    /// The reason a key names; `None` for a key this release does not know (one from a newer
    /// node, say).
    pub fn from_key(key: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.key() == key)
    }

    /// Its key on the wire and in the catalogues.
    pub fn key(self) -> &'static str {
        match self {
            Reason::ChatEnded => "chat_ended",
            Reason::NotActive => "not_active",
            Reason::EmptyMessage => "empty_message",
            Reason::MessageTooLong => "message_too_long",
            Reason::ValueTooLong => "value_too_long",
            Reason::NobodyAvailable => "nobody_available",
            Reason::AlreadyParty => "already_party",
            Reason::AlreadyInChat => "already_in_chat",
            Reason::InviteSelf => "invite_self",
            Reason::UnknownTarget => "unknown_target",
            Reason::NotInConference => "not_in_conference",
            Reason::UseEnd => "use_end",
            Reason::EndFirst => "end_first",
            Reason::DispositionFirst => "disposition_first",
            Reason::NotEditable => "not_editable",
            Reason::FilesFull => "files_full",
            Reason::TakenOut => "taken_out",
            Reason::ConsultingInstead => "consulting_instead",
            Reason::AlreadyConsulting => "already_consulting",
            Reason::RequestWaiting => "request_waiting",
            Reason::WrongCredentials => "wrong_credentials",
            Reason::SignInUsed => "sign_in_used",
            Reason::FileEmpty => "file_empty",
            Reason::FileTooLarge => "file_too_large",
            Reason::FileType => "file_type",
            Reason::FileMislabelled => "file_mislabelled",
            Reason::FileMarkup => "file_markup",
        }
    }

    /// It in English (the files' reasons say more in `message`).
    pub fn text(self) -> &'static str {
        match self {
            Reason::ChatEnded => "the chat has ended",
            Reason::NotActive => "the chat is not active",
            Reason::EmptyMessage => "empty message",
            Reason::MessageTooLong => "message is too long",
            Reason::ValueTooLong => "the value is too long",
            Reason::NobodyAvailable => "nobody in this target is available now",
            Reason::AlreadyParty => "this agent is already in the chat",
            Reason::AlreadyInChat => "you are already in this chat",
            Reason::InviteSelf => "you cannot invite yourself",
            Reason::UnknownTarget => "no such agent, group, skill or queue",
            Reason::NotInConference => "this agent is not in the conference",
            Reason::UseEnd => "use End to leave the chat yourself",
            Reason::EndFirst => "end the chat before marking it done",
            Reason::DispositionFirst => "choose a disposition code first",
            Reason::NotEditable => "this case data key is not editable",
            Reason::FilesFull => "this chat holds all the files it may",
            Reason::TakenOut => "you were taken out of this chat and cannot rejoin it",
            Reason::ConsultingInstead => {
                "you are consulting on this chat: end the consultation instead"
            }
            Reason::AlreadyConsulting => "this agent is already consulting on this chat",
            Reason::RequestWaiting => "another request for this chat is waiting for an answer",
            Reason::WrongCredentials => "wrong username or password",
            Reason::SignInUsed => "this sign-in link has been used or has expired",
            Reason::FileEmpty => "the file is empty",
            Reason::FileTooLarge => "the file is too large",
            Reason::FileType => "this type of file is not accepted",
            Reason::FileMislabelled => {
                "the file's name or declared type does not match its content"
            }
            Reason::FileMarkup => "the file carries web page markup and is refused",
        }
    }
}

impl ErrorCode {
    /// Every code, for the apps' catalogue tests.
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::BadFrame,
        ErrorCode::UnknownType,
        ErrorCode::TooLarge,
        ErrorCode::UnsupportedVersion,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Invalid,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::Busy,
    ];

    /// Its name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadFrame => "bad_frame",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Invalid => "invalid",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
            ErrorCode::Busy => "busy",
        }
    }
}

/// Every frame the server sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerMsg {
    /// Answer to a good `hello`.
    Welcome {
        v: u32,
        me: Identity,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settings: Option<AgentSettings>,
        /// Agents: the desktop in use (the `client` of its `hello`); one that is not this
        /// connection's shows that Parley is open in another window.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        desktop: Option<String>,
    },
    /// Agents: another desktop of the agent is in use now (or this one, again).
    ActiveDesktop { client: String },
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
    /// A `send` was stored as event `seq`; `req` is the send's request id.
    Ack {
        interaction: InteractionId,
        client_id: String,
        seq: Seq,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<u64>,
    },
    /// The interaction is finished for this agent; remove it from the desktop.
    Closed { interaction: InteractionId },
    /// Something the client sent was refused; the connection stays open. `req` is the refused
    /// frame's request id, when it had one.
    Error {
        code: ErrorCode,
        message: String,
        /// What was refused, where the code says too little ([`Reason::key`]); an app that
        /// does not know the key says the code's sentence.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<u64>,
    },
    /// Every agent's presence, for the Team Communicator (sent on change).
    Presence { agents: Vec<AgentPresence> },
    /// Someone in the interaction started or stopped typing (never stored).
    Typing {
        interaction: InteractionId,
        party: Party,
        typing: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        preview: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consultation: Option<String>,
    },
    /// Contact only: the chat's place in the queue (1 = next).
    QueuePosition {
        interaction: InteractionId,
        position: u32,
    },
    /// The pending-response level of a chat changed.
    Pending {
        interaction: InteractionId,
        level: PendingLevel,
    },
    /// An answer to `older`: the events the client may see with `from <= seq < before`;
    /// `from` is 1 when the start of the interaction is reached.
    Older {
        interaction: InteractionId,
        events: Vec<Event>,
        from: Seq,
    },
    /// An answer to `history`.
    History {
        scope: HistoryScope,
        entries: Vec<HistoryEntry>,
    },
    /// Answers `earlier`: the chat, or `null` when there is none within the history limit.
    Earlier {
        interaction: InteractionId,
        chat: Option<PastChat>,
    },
}

impl ServerMsg {
    /// Shorthand for an `error` frame.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMsg::Error {
            code,
            message: message.into(),
            reason: None,
            req: None,
        }
    }

    /// An `error` frame with its reason, in English in `message`.
    pub fn refused(code: ErrorCode, reason: Reason) -> Self {
        ServerMsg::Error {
            code,
            message: reason.text().to_owned(),
            reason: Some(reason.key().to_owned()),
            req: None,
        }
    }

    /// This reply, naming the request it answers (`ack` and `error`; others name their subject).
    pub fn answering(mut self, request: Option<u64>) -> Self {
        if let ServerMsg::Ack { req, .. } | ServerMsg::Error { req, .. } = &mut self {
            *req = request;
        }
        self
    }

    /// This message as a client of protocol `v` can read it: before protocol 3, system notices
    /// were text, so typed ones are sent in English words, and there was no `busy` (it reads as
    /// `internal`, which also means "retry").
    pub fn for_version(mut self, v: u32) -> Self {
        if v >= 3 {
            return self;
        }
        if let ServerMsg::Error { code, .. } = &mut self {
            if *code == ErrorCode::Busy {
                *code = ErrorCode::Internal;
            }
        }
        let events = match &mut self {
            ServerMsg::Events { events, .. } | ServerMsg::Older { events, .. } => events,
            ServerMsg::Earlier {
                chat: Some(chat), ..
            } => &mut chat.events,
            _ => return self,
        };
        for event in events {
            if let EventKind::System { notice } = &event.kind {
                event.kind = EventKind::Notice {
                    text: notice.text(),
                };
            }
        }
        self
    }
}

impl ServerMsg {
    /// The message as a contact receives it: every agent it names is called by `alias` (of the
    /// chat and the agent) instead of its login id. Names stay (they are the nicknames
    /// contacts see).
    pub fn for_contact(mut self, alias: impl Fn(&InteractionId, &AgentId) -> AgentId) -> Self {
        let (interaction, events) = match &mut self {
            ServerMsg::Events {
                interaction,
                events,
            }
            | ServerMsg::Older {
                interaction,
                events,
                ..
            } => (interaction.clone(), events),
            ServerMsg::Earlier {
                chat: Some(chat), ..
            } => (chat.id.clone(), &mut chat.events),
            ServerMsg::Typing {
                interaction, party, ..
            } => {
                party.alias_agent(|id| alias(interaction, id));
                return self;
            }
            _ => return self,
        };
        for event in events {
            event.kind.alias_agents(|id| alias(&interaction, id));
        }
        self
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

/// The message types a client may send besides the actions ([`crate::act`]).
const CLIENT_TYPES: &[&str] = &["hello", "older", "history", "earlier", "use_here"];

const SHAPE: &str = "a frame is an object with one key, the message type (and `req`)";

impl ClientMsg {
    /// Parses one text frame, telling apart oversize, unknown-type and malformed frames.
    pub fn parse(frame: &str) -> Result<Self, ParseError> {
        Self::parse_request(frame).map(|r| r.msg)
    }

    /// Parses one text frame with its request id: an object whose keys are the message type,
    /// holding the message's fields, and optionally `req`, a number.
    pub fn parse_request(frame: &str) -> Result<Request, ParseError> {
        if frame.len() > MAX_FRAME_BYTES {
            return Err(ParseError::TooLarge(frame.len()));
        }
        let value: serde_json::Value =
            serde_json::from_str(frame).map_err(|e| ParseError::BadFrame(e.to_string()))?;
        let serde_json::Value::Object(mut map) = value else {
            return Err(ParseError::BadFrame(SHAPE.into()));
        };
        let req = match map.remove("req") {
            None => None,
            Some(n) => Some(
                n.as_u64()
                    .ok_or_else(|| ParseError::BadFrame("`req` must be a whole number".into()))?,
            ),
        };
        let kind = match map.len() {
            1 => map.keys().next().cloned(),
            _ => None,
        };
        match kind {
            Some(t) if !CLIENT_TYPES.contains(&t.as_str()) && !act::NAMES.contains(&t.as_str()) => {
                Err(ParseError::UnknownType(t))
            }
            None => Err(ParseError::BadFrame(SHAPE.into())),
            Some(_) => serde_json::from_value(serde_json::Value::Object(map))
                .map(|msg| Request { msg, req })
                .map_err(|e| ParseError::BadFrame(e.to_string())),
        }
    }

    /// The frame text of this message.
    pub fn to_frame(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The frame text of this message with request id `req`, which the reply will echo.
    pub fn to_frame_with(&self, req: u64) -> String {
        // `{"send":{...}}` becomes `{"req":7,"send":{...}}`: the message's own text, so the
        // browser apps need no second serializer for the envelope.
        let frame = self.to_frame();
        match frame.strip_prefix('{') {
            Some(rest) => format!("{{\"req\":{req},{rest}"),
            None => frame,
        }
    }
}

impl ServerMsg {
    /// Parses one frame from the server, straight from its text: the desktop reads every frame
    /// this way, and going through a JSON value first doubled the time a long chat's events took.
    pub fn parse(frame: &str) -> Result<Self, ParseError> {
        serde_json::from_str(frame).map_err(|e| ParseError::BadFrame(e.to_string()))
    }

    /// The frame text of this message.
    pub fn to_frame(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
