//! The frames the browser apps read, decoded by hand from a JSON value.
//!
//! The apps must stay small, and the decoders serde derives for the frames are the largest code
//! they would carry (a visitor per type, each reading maps, sequences and field names several
//! ways). This reader walks a JSON value instead (the browser's own `JSON.parse` in the apps)
//! and builds the same [`ServerMsg`] values. The widget reads only what a contact may receive —
//! `welcome`, `events`, `ack`, `closed`, `error`, `typing`, `queue_position`, `older` — and
//! refuses every other frame like a malformed one, so it holds no decoder for agent settings,
//! presence, offers or histories; the desktop reads every frame ([`ServerMsg::read_agent`]).
//!
//! It follows serde's reading of the same types (the tests hold the two together, variant by
//! variant): fields it does not know are skipped, an `Option` may be missing or `null`, an enum
//! is `"variant"` without fields and `{"variant":{...}}` with them.
//!
//! A value that is not what it should be does not stop the reading: the reader notes the first
//! such problem, puts a placeholder in its place and goes on; the frame is refused at the end
//! when anything was noted. Without a return at every field the code stays a third of the size.

use crate::domain::{
    AgentPresence, AgentStatus, Audience, DeclineReason, EndReason, Event, EventKind, FileRef,
    HistoryEntry, Identity, InteractionState, InteractionSummary, Invitation, InvitationKind,
    LeaveReason, Named, Notice, Party, PastChat, PendingLevel, RequestKind, Rich, RichCard,
    RichItem, Role,
};
use crate::ids::{AgentId, InteractionId, InvitationId, QueueId};
use crate::msg::{
    AgentSettings, ErrorCode, HistoryScope, Label, ParseError, ServerMsg, StandardResponse,
};
use crate::MAX_FRAME_BYTES;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// A parsed JSON value as the contact's reader walks it: serde_json's [`Value`] (natively, in
/// tests) or, in the widget, what the browser's own `JSON.parse` made (no JSON parser in the
/// widget's code at all).
pub trait Json: Sized + Clone {
    /// JSON `null`, also what a missing field reads as.
    fn null() -> Self;
    fn is_null(&self) -> bool;
    fn string(&self) -> Option<String>;
    fn boolean(&self) -> Option<bool>;
    /// A whole number from 0 up.
    fn unsigned(&self) -> Option<u64>;
    /// A whole number.
    fn signed(&self) -> Option<i64>;
    /// The elements, when this is a list.
    fn items(&self) -> Option<Vec<Self>>;
    /// Whether this is an object (of fields).
    fn is_object(&self) -> bool;
    /// A field of an object; [`Json::null`] when it has none of that name.
    fn field(&self, key: &str) -> Self;
    /// The key and value of an object with exactly one field.
    fn only_field(&self) -> Option<(String, Self)>;
    /// The keys and values of an object.
    fn entries(&self) -> Option<Vec<(String, Self)>>;
    /// What kind of value this is, for problems: "a string", "nothing", ….
    fn kind(&self) -> &'static str;
}

impl Json for &Value {
    fn null() -> Self {
        &NULL
    }
    fn is_null(&self) -> bool {
        Value::is_null(self)
    }
    fn string(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
    fn unsigned(&self) -> Option<u64> {
        self.as_u64()
    }
    fn signed(&self) -> Option<i64> {
        self.as_i64()
    }
    fn items(&self) -> Option<Vec<Self>> {
        self.as_array().map(|a| a.iter().collect())
    }
    fn is_object(&self) -> bool {
        Value::is_object(self)
    }
    fn field(&self, key: &str) -> Self {
        self.get(key).unwrap_or(&NULL)
    }
    fn only_field(&self) -> Option<(String, Self)> {
        match self {
            Value::Object(map) if map.len() == 1 => map.iter().next().map(|(k, v)| (k.clone(), v)),
            _ => None,
        }
    }
    fn entries(&self) -> Option<Vec<(String, Self)>> {
        self.as_object()
            .map(|map| map.iter().map(|(k, v)| (k.clone(), v)).collect())
    }
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            Value::Object(_) => "an object",
        }
    }
}

static NULL: Value = Value::Null;

impl ServerMsg {
    /// Parses one frame from the server as a contact's widget reads it: only the frames a
    /// contact may receive (a `welcome` comes without agent settings).
    pub fn parse_contact(frame: &str) -> Result<Self, ParseError> {
        Self::read_contact(&value_of(frame)?)
    }

    /// Reads one parsed frame from the server as a contact's widget reads it (see
    /// [`ServerMsg::parse_contact`]).
    pub fn read_contact<J: Json>(value: J) -> Result<Self, ParseError> {
        read(&value, |at, kind, f| contact_msg(at, kind, f))
    }

    /// Parses one frame from the server as the agent desktop reads it: every frame.
    pub fn parse_agent(frame: &str) -> Result<Self, ParseError> {
        Self::read_agent(&value_of(frame)?)
    }

    /// Reads one parsed frame from the server as the agent desktop reads it (see
    /// [`ServerMsg::parse_agent`]).
    pub fn read_agent<J: Json>(value: J) -> Result<Self, ParseError> {
        read(&value, agent_msg)
    }
}

/// A frame's text as serde_json's value, within the size limit.
fn value_of(frame: &str) -> Result<Value, ParseError> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(ParseError::TooLarge(frame.len()));
    }
    serde_json::from_str(frame).map_err(|e| ParseError::BadFrame(e.to_string()))
}

/// Reads a frame: its type and fields, given to `msg`; the first problem refuses it.
fn read<J: Json>(
    value: &J,
    msg: impl FnOnce(&At, &str, &Fields<J>) -> Option<ServerMsg>,
) -> Result<ServerMsg, ParseError> {
    let problem = Problem::default();
    let at = At::top(&problem);
    let msg = tagged(&at, value).and_then(|(kind, body)| {
        let f = Fields::of(&at, body, &kind);
        msg(&at, &kind, &f)
    });
    match (problem.0.into_inner(), msg) {
        (None, Some(msg)) => Ok(msg),
        (why, _) => Err(ParseError::BadFrame(why.unwrap_or_default())),
    }
}

/// The frames only agents receive, and the agent's `welcome`; the rest as a contact reads them.
fn agent_msg<J: Json>(at: &At, kind: &str, f: &Fields<J>) -> Option<ServerMsg> {
    Some(match kind {
        "welcome" => ServerMsg::Welcome {
            v: f.get("v"),
            me: f.get("me"),
            settings: f.get("settings"),
            desktop: f.get("desktop"),
        },
        "status" => ServerMsg::Status {
            status: f.get("status"),
        },
        "invitation" => ServerMsg::Invitation {
            invitation: f.get("invitation"),
        },
        "invitation_gone" => ServerMsg::InvitationGone {
            invitation: f.get("invitation"),
        },
        "opened" => ServerMsg::Opened {
            interaction: f.get("interaction"),
        },
        "presence" => ServerMsg::Presence {
            agents: f.get("agents"),
        },
        "pending" => ServerMsg::Pending {
            interaction: f.get("interaction"),
            level: f.get("level"),
        },
        "history" => ServerMsg::History {
            scope: f.get("scope"),
            entries: f.get("entries"),
        },
        "earlier" => ServerMsg::Earlier {
            interaction: f.get("interaction"),
            chat: f.get("chat"),
        },
        "active_desktop" => ServerMsg::ActiveDesktop {
            client: f.get("client"),
        },
        _ => return contact_msg(at, kind, f),
    })
}

fn contact_msg<J: Json>(at: &At, kind: &str, f: &Fields<J>) -> Option<ServerMsg> {
    Some(match kind {
        "welcome" => ServerMsg::Welcome {
            v: f.get("v"),
            me: f.get("me"),
            settings: None,
            desktop: None,
        },
        "events" => ServerMsg::Events {
            interaction: f.get("interaction"),
            events: f.get("events"),
        },
        "ack" => ServerMsg::Ack {
            interaction: f.get("interaction"),
            client_id: f.get("client_id"),
            seq: f.get("seq"),
            req: f.get("req"),
        },
        "older" => ServerMsg::Older {
            interaction: f.get("interaction"),
            events: f.get("events"),
            from: f.get("from"),
        },
        "closed" => ServerMsg::Closed {
            interaction: f.get("interaction"),
        },
        "error" => ServerMsg::Error {
            code: f.get("code"),
            message: f.get("message"),
            reason: f.get("reason"),
            req: f.get("req"),
        },
        "typing" => ServerMsg::Typing {
            interaction: f.get("interaction"),
            party: f.get("party"),
            typing: f.get("typing"),
            preview: f.get("preview"),
            consultation: f.get("consultation"),
        },
        "queue_position" => ServerMsg::QueuePosition {
            interaction: f.get("interaction"),
            position: f.get("position"),
        },
        other => {
            at.fail(format!("`{other}` is not a frame this app reads"));
            return None;
        }
    })
}

/// The first problem met while reading a frame.
#[derive(Default)]
struct Problem(RefCell<Option<String>>);

/// Where a value is read: the field of a struct or variant, for the problem's message.
struct At<'a> {
    problem: &'a Problem,
    of: &'a str,
    key: &'a str,
}

impl<'a> At<'a> {
    fn top(problem: &'a Problem) -> Self {
        Self {
            problem,
            of: "",
            key: "",
        }
    }

    /// Notes a problem here (only the first one of a frame is kept).
    #[cold]
    #[inline(never)]
    fn fail(&self, why: String) {
        let mut first = self.problem.0.borrow_mut();
        if first.is_none() {
            *first = Some(match self.of {
                "" => why,
                of => format!("`{of}.{}`: {why}", self.key),
            });
        }
    }

    /// Notes that the value found is not the kind expected.
    #[cold]
    #[inline(never)]
    fn expected(&self, what: &str, found: &'static str) {
        self.fail(format!("expected {what}, found {found}"));
    }
}

/// An enum's value: its variant name and, for a variant with fields, what it holds.
fn tagged<J: Json>(at: &At, value: &J) -> Option<(String, J)> {
    if let Some(name) = value.string() {
        return Some((name, J::null()));
    }
    let tagged = value.only_field();
    if tagged.is_none() {
        at.fail("expected a variant name or an object with one key".into());
    }
    tagged
}

/// The fields of a struct, or of an enum variant with fields.
struct Fields<'a, J> {
    /// The object, or null when the value was not one.
    value: J,
    /// The struct's or variant's name, for problems.
    of: &'a str,
    problem: &'a Problem,
}

impl<'a, J: Json> Fields<'a, J> {
    fn of(at: &At<'a>, value: J, of: &'a str) -> Self {
        let value = if value.is_object() {
            value
        } else {
            at.fail(format!("`{of}`: expected an object of fields"));
            J::null()
        };
        Self {
            value,
            of,
            problem: at.problem,
        }
    }

    /// A field; a missing one reads as `null` (which only an `Option` accepts).
    fn get<T: FromJson>(&self, key: &'a str) -> T {
        let at = At {
            problem: self.problem,
            of: self.of,
            key,
        };
        T::read(&at, &self.value.field(key))
    }

    /// A field that defaults when missing (serde's `#[serde(default)]`).
    fn get_or_default<T: FromJson + Default>(&self, key: &'a str) -> T {
        if self.value.field(key).is_null() {
            T::default()
        } else {
            self.get(key)
        }
    }
}

/// A type the reader builds from a JSON value: the value, or a placeholder with the problem
/// noted.
trait FromJson: Sized {
    fn read<J: Json>(at: &At, value: &J) -> Self;
}

/// Reads a scalar with `get`, or notes that the value is not `what` and gives `placeholder`.
fn scalar<J: Json, T>(
    at: &At,
    value: &J,
    get: impl FnOnce(&J) -> Option<T>,
    what: &str,
    placeholder: T,
) -> T {
    get(value).unwrap_or_else(|| {
        at.expected(what, value.kind());
        placeholder
    })
}

impl FromJson for String {
    fn read<J: Json>(at: &At, value: &J) -> Self {
        scalar(at, value, J::string, "a string", String::new())
    }
}

impl FromJson for bool {
    fn read<J: Json>(at: &At, value: &J) -> Self {
        scalar(at, value, J::boolean, "a boolean", false)
    }
}

impl FromJson for u64 {
    fn read<J: Json>(at: &At, value: &J) -> Self {
        scalar(at, value, J::unsigned, "a whole number", 0)
    }
}

impl FromJson for i64 {
    fn read<J: Json>(at: &At, value: &J) -> Self {
        scalar(at, value, J::signed, "a whole number", 0)
    }
}

impl FromJson for u32 {
    fn read<J: Json>(at: &At, value: &J) -> Self {
        let get = |v: &J| v.unsigned().and_then(|n| n.try_into().ok());
        scalar(at, value, get, "a whole number up to 4294967295", 0)
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn read<J: Json>(at: &At, value: &J) -> Self {
        (!value.is_null()).then(|| T::read(at, value))
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn read<J: Json>(at: &At, value: &J) -> Self {
        let items = scalar(at, value, J::items, "a list", Vec::new());
        items.iter().map(|v| T::read(at, v)).collect()
    }
}

impl FromJson for InteractionId {
    fn read<J: Json>(at: &At, value: &J) -> Self {
        Self(String::read(at, value))
    }
}

impl FromJson for AgentId {
    fn read<J: Json>(at: &At, value: &J) -> Self {
        Self(String::read(at, value))
    }
}

impl FromJson for InvitationId {
    fn read<J: Json>(at: &At, value: &J) -> Self {
        Self(String::read(at, value))
    }
}

impl FromJson for QueueId {
    fn read<J: Json>(at: &At, value: &J) -> Self {
        Self(String::read(at, value))
    }
}

impl FromJson for BTreeMap<String, String> {
    fn read<J: Json>(at: &At, value: &J) -> Self {
        let entries = scalar(at, value, J::entries, "an object", Vec::new());
        // Inserted one by one rather than collected: collecting sorts first, and that sort,
        // compiled for this type alone, cost the desktop about 1 KB (the later key wins either way).
        let mut map = BTreeMap::new();
        for (k, v) in entries {
            map.insert(k, String::read(at, &v));
        }
        map
    }
}

impl FromJson for (u32, u32) {
    fn read<J: Json>(at: &At, value: &J) -> Self {
        let items = scalar(at, value, J::items, "a list of two numbers", Vec::new());
        match items.as_slice() {
            [a, b] => (u32::read(at, a), u32::read(at, b)),
            _ => {
                at.fail("expected a list of two numbers".into());
                (0, 0)
            }
        }
    }
}

/// Reads an enum: each arm names a variant and builds it from the variant's fields (`f`, which
/// a variant without fields ignores); `placeholder` stands in for a value that is none of them.
macro_rules! read_enum {
    ($ty:ty, placeholder $placeholder:expr, |$f:ident| { $($name:literal => $build:expr,)* }) => {
        impl FromJson for $ty {
            fn read<J: Json>(at: &At, value: &J) -> Self {
                let Some((name, body)) = tagged(at, value) else {
                    return $placeholder;
                };
                #[allow(unused_variables)]
                let $f = || Fields::of(at, body, &name);
                match name.as_str() {
                    $($name => $build,)*
                    other => {
                        at.fail(format!("unknown variant `{other}`"));
                        $placeholder
                    }
                }
            }
        }
    };
}

read_enum!(Party, placeholder Party::System, |f| {
    "contact" => Party::Contact { name: f().get("name") },
    "agent" => {
        let f = f();
        Party::Agent { id: f.get("id"), name: f.get("name") }
    },
    "system" => Party::System,
});

read_enum!(AgentStatus, placeholder AgentStatus::Ready, |f| {
    "ready" => AgentStatus::Ready,
    "not_ready" => AgentStatus::NotReady { reason: f().get("reason") },
    "after_call_work" => AgentStatus::AfterCallWork,
});

impl AgentStatus {
    /// Reads a status as the wire writes it (`"ready"`, `{"not_ready": {"reason": …}}`);
    /// `None` when it is not one.
    pub fn read<J: Json>(value: J) -> Option<Self> {
        let problem = Problem::default();
        let status = <Self as FromJson>::read(&At::top(&problem), &value);
        problem.0.into_inner().is_none().then_some(status)
    }
}

read_enum!(Identity, placeholder Identity::Contact { interaction: InteractionId(String::new()), name: String::new() }, |f| {
    "agent" => {
        let f = f();
        Identity::Agent {
            id: f.get("id"),
            name: f.get("name"),
            nickname: f.get("nickname"),
            status: f.get("status"),
        }
    },
    "contact" => {
        let f = f();
        Identity::Contact { interaction: f.get("interaction"), name: f.get("name") }
    },
});

read_enum!(Audience, placeholder Audience::Agents, |f| {
    "everyone" => Audience::Everyone,
    "agents" => Audience::Agents,
    "private" => Audience::Private { agents: f().get("agents") },
});

read_enum!(EndReason, placeholder EndReason::AgentEnded, |f| {
    "contact_ended" => EndReason::ContactEnded,
    "agent_ended" => EndReason::AgentEnded,
    "contact_disconnected" => EndReason::ContactDisconnected,
    "inactivity" => EndReason::Inactivity,
});

read_enum!(LeaveReason, placeholder LeaveReason::Ended, |f| {
    "ended" => LeaveReason::Ended,
    "transferred" => LeaveReason::Transferred,
    "removed" => LeaveReason::Removed,
    "disconnected" => LeaveReason::Disconnected,
});

read_enum!(RequestKind, placeholder RequestKind::Consultation, |f| {
    "consultation" => RequestKind::Consultation,
    "transfer" => RequestKind::Transfer,
    "conference" => RequestKind::Conference,
});

read_enum!(DeclineReason, placeholder DeclineReason::Rejected, |f| {
    "rejected" => DeclineReason::Rejected,
    "timed_out" => DeclineReason::TimedOut,
    "nobody_available" => DeclineReason::NobodyAvailable,
});

read_enum!(ErrorCode, placeholder ErrorCode::Internal, |f| {
    "bad_frame" => ErrorCode::BadFrame,
    "unknown_type" => ErrorCode::UnknownType,
    "too_large" => ErrorCode::TooLarge,
    "unsupported_version" => ErrorCode::UnsupportedVersion,
    "unauthorized" => ErrorCode::Unauthorized,
    "forbidden" => ErrorCode::Forbidden,
    "not_found" => ErrorCode::NotFound,
    "invalid" => ErrorCode::Invalid,
    "rate_limited" => ErrorCode::RateLimited,
    "internal" => ErrorCode::Internal,
    "busy" => ErrorCode::Busy,
});

read_enum!(EventKind, placeholder EventKind::Read { up_to: 0 }, |f| {
    "joined" => EventKind::Joined { party: f().get("party") },
    "left" => {
        let f = f();
        EventKind::Left { party: f.get("party"), reason: f.get("reason") }
    },
    "message" => {
        let f = f();
        EventKind::Message {
            from: f.get("from"),
            text: f.get("text"),
            client_id: f.get("client_id"),
            consultation: f.get("consultation"),
        }
    },
    "notice" => EventKind::Notice { text: f().get("text") },
    "system" => EventKind::System { notice: f().get("notice") },
    "ended" => EventKind::Ended { reason: f().get("reason") },
    "done" => {
        let f = f();
        EventKind::Done {
            agent: f.get("agent"),
            disposition: f.get("disposition"),
            note: f.get("note"),
        }
    },
    "consultation_started" => {
        let f = f();
        EventKind::ConsultationStarted {
            consultation: f.get("consultation"),
            initiator: f.get("initiator"),
            target: f.get("target"),
        }
    },
    "consultation_ended" => {
        let f = f();
        EventKind::ConsultationEnded { consultation: f.get("consultation"), by: f.get("by") }
    },
    "declined" => {
        let f = f();
        EventKind::Declined {
            request: f.get("request"),
            target: f.get("target"),
            reason: f.get("reason"),
        }
    },
    "owner_changed" => EventKind::OwnerChanged { owner: f().get("owner") },
    "read" => EventKind::Read { up_to: f().get("up_to") },
    "case_data" => {
        let f = f();
        EventKind::CaseData { key: f.get("key"), value: f.get("value") }
    },
    "file" => {
        let f = f();
        EventKind::File { from: f.get("from"), file: f.get("file") }
    },
    "rich" => {
        let f = f();
        EventKind::Rich { from: f.get("from"), content: f.get("content") }
    },
});

read_enum!(InvitationKind, placeholder InvitationKind::NewChat, |f| {
    "new_chat" => InvitationKind::NewChat,
    "request" => {
        let f = f();
        InvitationKind::Request { request: f.get("request"), from: f.get("from") }
    },
});

read_enum!(InteractionState, placeholder InteractionState::Active, |f| {
    "queued" => InteractionState::Queued,
    "offered" => InteractionState::Offered,
    "active" => InteractionState::Active,
    "ended" => InteractionState::Ended,
});

read_enum!(PendingLevel, placeholder PendingLevel::Ok, |f| {
    "ok" => PendingLevel::Ok,
    "warn" => PendingLevel::Warn,
    "late" => PendingLevel::Late,
});

read_enum!(Role, placeholder Role::Party, |f| {
    "party" => Role::Party,
    "consultant" => Role::Consultant,
});

read_enum!(HistoryScope, placeholder HistoryScope::Mine, |f| {
    "mine" => HistoryScope::Mine,
    "contact" => HistoryScope::Contact { interaction: f().get("interaction") },
});

read_enum!(Notice, placeholder Notice::Queued, |f| {
    "queued" => Notice::Queued,
    "inactivity_warning" => Notice::InactivityWarning,
    "inactivity_timeout" => Notice::InactivityTimeout,
    "auto_close" => Notice::AutoClose { secs: f().get("secs") },
});

read_enum!(Rich, placeholder Rich::Markdown { text: String::new() }, |f| {
    "quick_replies" => {
        let f = f();
        Rich::QuickReplies { text: f.get("text"), replies: f.get("replies") }
    },
    "list" => {
        let f = f();
        Rich::List {
            title: f.get("title"),
            items: f.get("items"),
            selectable: f.get_or_default("selectable"),
        }
    },
    "carousel" => Rich::Carousel { cards: f().get("cards") },
    "markdown" => Rich::Markdown { text: f().get("text") },
});

/// Reads a struct, each field under its own name; those after `default` may be missing
/// (serde's `#[serde(default)]`).
macro_rules! read_struct {
    ($ty:ident as $of:literal { $($field:ident),* $(,)? } $(default { $($opt:ident),* })?) => {
        impl FromJson for $ty {
            fn read<J: Json>(at: &At, value: &J) -> Self {
                let f = Fields::of(at, value.clone(), $of);
                $ty {
                    $($field: f.get(stringify!($field)),)*
                    $($($opt: f.get_or_default(stringify!($opt)),)*)?
                }
            }
        }
    };
}

read_struct!(Event as "event" { seq, at, audience, kind });
read_struct!(Invitation as "invitation" { id, kind, interaction, expires_at });
read_struct!(AgentPresence as "agent" { id, name, online, status, load, capacity });
read_struct!(Named as "named" { id, name });
read_struct!(HistoryEntry as "entry" { id, contact, subject, started_at, closed });
read_struct!(PastChat as "chat" { id, started_at, events });
read_struct!(StandardResponse as "response" { name, category, keyword, text, attachment } default { texts });
read_struct!(Label as "label" { language, code, text });
read_struct!(InteractionSummary as "interaction" {
    id, contact, email, subject, queue, state, started_at
} default { verified, case_data, pending, role, agents });
read_struct!(AgentSettings as "settings" {
    dispositions, disposition_required, not_ready_reasons
} default { editable_case_data, groups, skills, queues, responses, pending_secs, history_days, spell_check, labels });
read_struct!(FileRef as "file" { id, name, mime, size });
read_struct!(RichItem as "item" { title, subtitle });
read_struct!(RichCard as "card" { title, text, image });
