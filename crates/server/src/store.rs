//! Durable state: interactions, their append-only event logs, and session tokens.
//!
//! One port per concern ([`EventLog`], [`Sessions`], [`History`], [`FileRecords`], [`DomainFeed`]; together
//! [`Store`]), usable as `dyn`: the hub and the HTTP handlers go through them, and any adapter
//! passes the same contract suite (`tests/store_contract.rs`). [`SqliteStore`] is the default
//! adapter. A batch of writes from one engine command is stored in one transaction before any of
//! it is delivered, so an acknowledged message survives a crash. `(interaction, seq)` is the
//! primary key of an event and `(interaction, sender, client_id)` is unique: the database itself
//! refuses a duplicate.

use crate::engine::{InteractionRecord, Milestone};
use parley_protocol::{AgentId, Event, FileRef, HistoryEntry, InteractionId, Millis, Seq};
use std::future::Future;
use std::pin::Pin;

pub mod copy;
pub mod faults;
mod postgres;
mod records;
mod rows;
mod schema;
mod sql;
mod sqlite;
#[cfg(test)]
mod tests;

pub use postgres::{Fence, PgStore};
pub use sqlite::SqliteStore;

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored event is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("{0}")]
    Format(String),
    /// A fenced store's node no longer holds the writer's lease: nothing was written.
    #[error("this node no longer holds the writer's lease")]
    Fenced,
}

/// One write of a batch.
#[derive(Clone, Debug)]
pub enum Write {
    Interaction(InteractionRecord),
    Event(InteractionId, Event),
    /// A domain event made by an event of the same batch.
    Milestone(Milestone),
    /// The contact token of a chat started in the same batch (by the hash of the token).
    ContactToken {
        token_hash: String,
        interaction: InteractionId,
    },
    /// An agent's status, replacing the one stored.
    AgentStatus {
        agent: AgentId,
        status: parley_protocol::AgentStatus,
    },
    /// An interaction's open offer, replacing the one stored (`None`: it has none).
    Offer {
        interaction: InteractionId,
        offer: Option<crate::engine::PendingOffer>,
    },
    /// A command acted on, by the request that carried it ([`RequestKey`]).
    Request {
        key: RequestKey,
        at: Millis,
    },
    /// Requests acted on before `before` are forgotten.
    ForgetRequests {
        before: Millis,
    },
    /// A file sent into a chat (its bytes are already in the files directory), with the `seq`
    /// of the event of the same batch that shows it.
    File {
        interaction: InteractionId,
        file: FileRef,
        seq: Seq,
        at: Millis,
    },
}

/// One request of one client instance of one actor: `actor` is [`crate::engine::Actor`]'s key
/// (`agent:kate`, `contact:ix-1`), `client` the instance its `hello` named, `req` its request id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestKey {
    pub actor: String,
    pub client: String,
    pub req: u64,
}

/// A file as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    pub interaction: InteractionId,
    pub file: FileRef,
    /// The event that put it into its chat (`None`: it never got in; only rows written before
    /// version 3 can lack it).
    pub seq: Option<Seq>,
}

/// What a store's methods return: a future that is `Send`, boxed so that the traits below can be
/// used as `dyn` (one process holds one store; the HTTP handlers and the hub share it).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The interactions' append-only event logs.
pub trait EventLog: Send + Sync {
    /// Stores every write or none.
    fn commit(&self, batch: Vec<Write>) -> StoreFuture<'_, ()>;
    /// Events of an interaction after `after`, in order.
    fn events_after<'a>(
        &'a self,
        interaction: &'a InteractionId,
        after: Seq,
    ) -> StoreFuture<'a, Vec<Event>>;
    /// At most `limit` events before `before`, in order (the latest of them).
    fn events_before<'a>(
        &'a self,
        interaction: &'a InteractionId,
        before: Seq,
        limit: u32,
    ) -> StoreFuture<'a, Vec<Event>>;
    /// One interaction's record and all its events, as stored (`None`: never stored).
    fn interaction<'a>(
        &'a self,
        id: &'a InteractionId,
    ) -> StoreFuture<'a, Option<(InteractionRecord, Vec<Event>)>>;
    /// Every agent's stored status.
    fn agent_statuses(&self) -> StoreFuture<'_, Vec<(AgentId, parley_protocol::AgentStatus)>>;
    /// Every interaction's stored open offer, by interaction id. A row this build cannot read
    /// is left out (and logged): its chat is routed afresh.
    fn open_offers(&self) -> StoreFuture<'_, Vec<(InteractionId, crate::engine::PendingOffer)>>;
    /// The requests acted on since `since`, oldest first.
    fn requests_since(&self, since: Millis) -> StoreFuture<'_, Vec<(RequestKey, Millis)>>;
    /// At most `limit` interactions not yet closed whose ids come after `after`, in id order,
    /// with their events: what a restarted engine restores, a page at a time.
    fn open_interactions<'a>(
        &'a self,
        after: Option<&'a InteractionId>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<(InteractionRecord, Vec<Event>)>>;
}

/// A used sign-in token: whom it signs in, and the session it was minted from (if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignIn {
    pub agent: AgentId,
    pub from_session: Option<String>,
}

/// Agent sessions and contact tokens, kept by the hash of the token.
pub trait Sessions: Send + Sync {
    /// Remembers an agent session under the hash of its token.
    fn create_session<'a>(
        &'a self,
        token_hash: &'a str,
        agent: &'a AgentId,
        now: Millis,
    ) -> StoreFuture<'a, ()>;
    /// The agent of a session token hash.
    fn session_agent<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, Option<AgentId>>;
    /// Forgets a session, and the sign-in tokens minted from it.
    fn delete_session<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, ()>;
    /// Moves a session to a new token (a hand-off): the new session keeps the old one's login
    /// time, so the move never extends `session_max_secs`, and the old one and its sign-in
    /// tokens are gone. `false`, and nothing made, when the old session has already ended.
    fn move_session<'a>(
        &'a self,
        from_hash: &'a str,
        to_hash: &'a str,
        now: Millis,
    ) -> StoreFuture<'a, bool>;
    /// Remembers a one-time sign-in token (by its hash) for the agent, good until `expires_at`.
    /// A token minted from a session replaces the one that session minted before.
    fn create_sign_in<'a>(
        &'a self,
        token_hash: &'a str,
        agent: &'a AgentId,
        expires_at: Millis,
        from_session: Option<&'a str>,
    ) -> StoreFuture<'a, ()>;
    /// Uses a sign-in token up: its agent and the session it was minted from, unless it is
    /// unknown or has expired. It is gone afterwards either way, and so are the tokens that
    /// expired.
    fn take_sign_in<'a>(
        &'a self,
        token_hash: &'a str,
        now: Millis,
    ) -> StoreFuture<'a, Option<SignIn>>;
    /// Notes that these sessions are in use at `now`: their idle time starts again.
    fn touch_sessions<'a>(&'a self, token_hashes: &'a [String], now: Millis)
        -> StoreFuture<'a, ()>;
    /// Ends the sessions last in use before `idle_before` or opened before `opened_before`
    /// (and the sign-in tokens minted from them); the hashes of those it ended.
    fn expire_sessions<'a>(
        &'a self,
        idle_before: Millis,
        opened_before: Millis,
    ) -> StoreFuture<'a, Vec<String>>;
    /// The secret called `name`: the stored one, or `fresh`, stored, when there is none yet
    /// (every node of a cluster gets the first node's).
    fn secret<'a>(&'a self, name: &'a str, fresh: &'a str) -> StoreFuture<'a, String>;
    /// Revokes the contact tokens of chats closed before `closed_before`: a token's chat
    /// counts as closed from the first call at or after its closing (`now`). How many it revoked.
    fn expire_contact_tokens<'a>(
        &'a self,
        now: Millis,
        closed_before: Millis,
    ) -> StoreFuture<'a, u64>;
    /// Remembers the contact token of a new interaction.
    fn create_contact_token<'a>(
        &'a self,
        token_hash: &'a str,
        interaction: &'a InteractionId,
    ) -> StoreFuture<'a, ()>;
    /// The interaction of a contact token hash.
    fn contact_interaction<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> StoreFuture<'a, Option<InteractionId>>;
    /// Remembers the handle (by its hash) a contact's host page keeps for the chat.
    fn create_contact_handle<'a>(
        &'a self,
        handle_hash: &'a str,
        interaction: &'a InteractionId,
    ) -> StoreFuture<'a, ()>;
    /// Exchanges a handle for the contact token `token_hash` of its chat, remembered as minted
    /// with it: the chat, unless the handle is unknown, has been used `max_uses` times, or its
    /// chat is closed (the handle is forgotten then).
    fn use_contact_handle<'a>(
        &'a self,
        handle_hash: &'a str,
        token_hash: &'a str,
        max_uses: u32,
    ) -> StoreFuture<'a, Option<InteractionId>>;
    /// Forgets a handle and the contact tokens minted with it.
    fn revoke_contact_handle<'a>(&'a self, handle_hash: &'a str) -> StoreFuture<'a, ()>;
}

/// Queries over finished and running chats: My History, a contact's earlier chats.
pub trait History: Send + Sync {
    /// My History: interactions the agent joined as a party (consultations are not joins), newest first.
    fn history_of_agent<'a>(&'a self, agent: &'a AgentId) -> StoreFuture<'a, Vec<HistoryEntry>>;
    /// The latest closed interaction of the same contact that started in `[since, before)` and
    /// before this one.
    fn earlier_of_contact<'a>(
        &'a self,
        interaction: &'a InteractionId,
        before: Millis,
        since: Millis,
    ) -> StoreFuture<'a, Option<(InteractionId, Millis)>>;
    /// The interactions of the same verified contact that started before this one: those in
    /// progress, and the closed ones that started since `since`, newest first. Never a later
    /// one: reading a chat tells nothing of what came after it.
    fn history_of_contact<'a>(
        &'a self,
        interaction: &'a InteractionId,
        since: Millis,
    ) -> StoreFuture<'a, Vec<HistoryEntry>>;
}

/// Files sent in chats (their bytes are in the files directory) and who may fetch them.
pub trait FileRecords: Send + Sync {
    /// A file, the interaction it was sent in and its event there.
    fn file<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<StoredFile>>;
    /// How many files were sent in the interaction, and their bytes.
    fn files_in<'a>(&'a self, interaction: &'a InteractionId) -> StoreFuture<'a, (u64, u64)>;
    /// Whether the agent ever joined the interaction as a party.
    fn was_party<'a>(
        &'a self,
        agent: &'a AgentId,
        interaction: &'a InteractionId,
    ) -> StoreFuture<'a, bool>;
}

/// A domain event as a consumer reads it: its place in commit order and the milestone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedEntry {
    pub position: i64,
    pub milestone: Milestone,
}

/// The domain events, in commit order, and each consumer's stored cursor: a consumer reads
/// after its cursor, acts, then saves the position it reached, so a restart resumes there.
pub trait DomainFeed: Send + Sync {
    /// At most `limit` domain events after `position`, in commit order.
    fn domain_after(&self, position: i64, limit: u32) -> StoreFuture<'_, Vec<FeedEntry>>;
    /// Where the consumer has read up to (0 before its first save).
    fn cursor<'a>(&'a self, consumer: &'a str) -> StoreFuture<'a, i64>;
    /// Remembers where the consumer has read up to.
    fn save_cursor<'a>(&'a self, consumer: &'a str, position: i64) -> StoreFuture<'a, ()>;
}

/// What forgetting chats removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub chats: u64,
    pub events: u64,
    /// The ids of the chats' files, whose bytes are to go from the files directory too.
    pub files: Vec<String>,
    /// Contact tokens of the chats.
    pub tokens: u64,
}

/// One line of a chat's audit log: who did what with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub interaction: InteractionId,
    pub at: Millis,
    /// `agent:<id>` or `api:<key name>`.
    pub actor: String,
    /// `read`, `read_file`, `exported`.
    pub action: String,
    pub detail: Option<String>,
}

/// Keeping chats no longer than they are needed, erasing a contact's on request, and the
/// audit log of who read or exported them.
pub trait Records: Send + Sync {
    /// Adds a line to a chat's audit log.
    fn audit<'a>(&'a self, entry: &'a AuditEntry) -> StoreFuture<'a, ()>;
    /// A chat's audit log, oldest first.
    fn audit_of<'a>(&'a self, interaction: &'a InteractionId) -> StoreFuture<'a, Vec<AuditEntry>>;
    /// A chat's domain events (accepted, transferred, …), oldest first.
    fn milestones_of<'a>(
        &'a self,
        interaction: &'a InteractionId,
    ) -> StoreFuture<'a, Vec<FeedEntry>>;
    /// At most `limit` closed chats whose last event is older than `before`.
    fn closed_before<'a>(
        &'a self,
        before: Millis,
        limit: u32,
    ) -> StoreFuture<'a, Vec<InteractionId>>;
    /// The chats of the contact with this e-mail address (verified or typed, any case), oldest
    /// first, each with whether it is closed.
    fn chats_of_contact<'a>(
        &'a self,
        email: &'a str,
    ) -> StoreFuture<'a, Vec<(InteractionId, bool)>>;
    /// Deletes the chats and every row that names them (events, files, tokens, handles,
    /// parties, offers, domain events, the audit log), in one transaction.
    fn forget<'a>(&'a self, chats: &'a [InteractionId]) -> StoreFuture<'a, Forgotten>;
}

/// Everything the server keeps: one port per concern, one adapter implements them all.
pub trait Store:
    EventLog + Sessions + History + FileRecords + DomainFeed + Records + 'static
{
}

impl<T: EventLog + Sessions + History + FileRecords + DomainFeed + Records + 'static> Store for T {}
