//! A store adapter for tests and failure drills: it wraps another and fails commits or stalls
//! reads on demand (`tests/commits.rs`, the hub's writer tests).

use super::{
    AuditEntry, DomainFeed, EventLog, FeedEntry, FileRecords, Forgotten, History, Records,
    RequestKey, Sessions, SignIn, StoreError, StoreFuture, StoredFile, Write,
};
use crate::engine::InteractionRecord;
use parley_protocol::{AgentId, Event, HistoryEntry, InteractionId, Millis, Seq};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use tokio::sync::watch;

/// Another store, whose next commits of writes fail on demand without writing anything, and
/// whose reads of events wait while they are stalled. It counts the commits that wrote.
#[derive(Clone)]
pub struct Faulty<S> {
    pub inner: S,
    fail: Arc<AtomicU32>,
    commits: Arc<AtomicU32>,
    stalled: Arc<watch::Sender<bool>>,
}

impl<S> Faulty<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            fail: Arc::default(),
            commits: Arc::default(),
            stalled: Arc::new(watch::Sender::new(false)),
        }
    }

    /// The next commit of writes fails (one more per call).
    pub fn fail_next_commit(&self) {
        self.fail.fetch_add(1, Ordering::SeqCst);
    }

    /// Holds every read of events (`events_after`, `events_before`) until called again with
    /// `false`.
    pub fn stall_reads(&self, stalled: bool) {
        self.stalled.send_replace(stalled);
    }

    /// How many commits with writes were tried.
    pub fn commits(&self) -> u32 {
        self.commits.load(Ordering::SeqCst)
    }
}

impl<S: EventLog> EventLog for Faulty<S> {
    fn commit(&self, batch: Vec<Write>) -> StoreFuture<'_, ()> {
        // Commands that write nothing (a tick, a status change) commit an empty batch.
        if !batch.is_empty() {
            self.commits.fetch_add(1, Ordering::SeqCst);
        }
        let failing = !batch.is_empty()
            && self
                .fail
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        if failing {
            return Box::pin(async { Err(StoreError::Format("the disk is full".into())) });
        }
        EventLog::commit(&self.inner, batch)
    }
    fn events_after<'a>(
        &'a self,
        ix: &'a InteractionId,
        after: Seq,
    ) -> StoreFuture<'a, Vec<Event>> {
        let mut stalled = self.stalled.subscribe();
        Box::pin(async move {
            let _ = stalled.wait_for(|s| !*s).await;
            EventLog::events_after(&self.inner, ix, after).await
        })
    }
    fn events_before<'a>(
        &'a self,
        ix: &'a InteractionId,
        before: Seq,
        limit: u32,
    ) -> StoreFuture<'a, Vec<Event>> {
        let mut stalled = self.stalled.subscribe();
        Box::pin(async move {
            let _ = stalled.wait_for(|s| !*s).await;
            EventLog::events_before(&self.inner, ix, before, limit).await
        })
    }
    fn interaction<'a>(
        &'a self,
        id: &'a InteractionId,
    ) -> StoreFuture<'a, Option<(InteractionRecord, Vec<Event>)>> {
        EventLog::interaction(&self.inner, id)
    }
    fn open_interactions<'a>(
        &'a self,
        after: Option<&'a InteractionId>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<(InteractionRecord, Vec<Event>)>> {
        EventLog::open_interactions(&self.inner, after, limit)
    }
    fn agent_statuses(&self) -> StoreFuture<'_, Vec<(AgentId, parley_protocol::AgentStatus)>> {
        EventLog::agent_statuses(&self.inner)
    }
    fn open_offers(&self) -> StoreFuture<'_, Vec<(InteractionId, crate::engine::PendingOffer)>> {
        EventLog::open_offers(&self.inner)
    }
    fn requests_since(&self, since: Millis) -> StoreFuture<'_, Vec<(RequestKey, Millis)>> {
        EventLog::requests_since(&self.inner, since)
    }
}

impl<S: Sessions> Sessions for Faulty<S> {
    fn create_session<'a>(
        &'a self,
        h: &'a str,
        a: &'a AgentId,
        now: Millis,
    ) -> StoreFuture<'a, ()> {
        Sessions::create_session(&self.inner, h, a, now)
    }
    fn session_agent<'a>(&'a self, h: &'a str) -> StoreFuture<'a, Option<AgentId>> {
        Sessions::session_agent(&self.inner, h)
    }
    fn move_session<'a>(&'a self, f: &'a str, t: &'a str, now: Millis) -> StoreFuture<'a, bool> {
        Sessions::move_session(&self.inner, f, t, now)
    }
    fn delete_session<'a>(&'a self, h: &'a str) -> StoreFuture<'a, ()> {
        Sessions::delete_session(&self.inner, h)
    }
    fn touch_sessions<'a>(&'a self, h: &'a [String], now: Millis) -> StoreFuture<'a, ()> {
        Sessions::touch_sessions(&self.inner, h, now)
    }
    fn expire_sessions<'a>(&'a self, idle: Millis, opened: Millis) -> StoreFuture<'a, Vec<String>> {
        Sessions::expire_sessions(&self.inner, idle, opened)
    }
    fn secret<'a>(&'a self, name: &'a str, fresh: &'a str) -> StoreFuture<'a, String> {
        Sessions::secret(&self.inner, name, fresh)
    }
    fn expire_contact_tokens<'a>(&'a self, now: Millis, before: Millis) -> StoreFuture<'a, u64> {
        Sessions::expire_contact_tokens(&self.inner, now, before)
    }
    fn create_contact_token<'a>(
        &'a self,
        h: &'a str,
        ix: &'a InteractionId,
    ) -> StoreFuture<'a, ()> {
        Sessions::create_contact_token(&self.inner, h, ix)
    }
    fn contact_interaction<'a>(&'a self, h: &'a str) -> StoreFuture<'a, Option<InteractionId>> {
        Sessions::contact_interaction(&self.inner, h)
    }
    fn create_contact_handle<'a>(
        &'a self,
        h: &'a str,
        ix: &'a InteractionId,
    ) -> StoreFuture<'a, ()> {
        Sessions::create_contact_handle(&self.inner, h, ix)
    }
    fn use_contact_handle<'a>(
        &'a self,
        h: &'a str,
        t: &'a str,
        max_uses: u32,
    ) -> StoreFuture<'a, Option<InteractionId>> {
        Sessions::use_contact_handle(&self.inner, h, t, max_uses)
    }
    fn revoke_contact_handle<'a>(&'a self, h: &'a str) -> StoreFuture<'a, ()> {
        Sessions::revoke_contact_handle(&self.inner, h)
    }
    fn create_sign_in<'a>(
        &'a self,
        h: &'a str,
        a: &'a AgentId,
        expires_at: Millis,
        from: Option<&'a str>,
    ) -> StoreFuture<'a, ()> {
        Sessions::create_sign_in(&self.inner, h, a, expires_at, from)
    }
    fn take_sign_in<'a>(&'a self, h: &'a str, now: Millis) -> StoreFuture<'a, Option<SignIn>> {
        Sessions::take_sign_in(&self.inner, h, now)
    }
}

impl<S: History> History for Faulty<S> {
    fn history_of_agent<'a>(&'a self, a: &'a AgentId) -> StoreFuture<'a, Vec<HistoryEntry>> {
        History::history_of_agent(&self.inner, a)
    }
    fn earlier_of_contact<'a>(
        &'a self,
        ix: &'a InteractionId,
        before: Millis,
        since: Millis,
    ) -> StoreFuture<'a, Option<(InteractionId, Millis)>> {
        History::earlier_of_contact(&self.inner, ix, before, since)
    }
    fn history_of_contact<'a>(
        &'a self,
        ix: &'a InteractionId,
        since: Millis,
    ) -> StoreFuture<'a, Vec<HistoryEntry>> {
        History::history_of_contact(&self.inner, ix, since)
    }
}

impl<S: FileRecords> FileRecords for Faulty<S> {
    fn file<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<StoredFile>> {
        FileRecords::file(&self.inner, id)
    }
    fn files_in<'a>(&'a self, ix: &'a InteractionId) -> StoreFuture<'a, (u64, u64)> {
        FileRecords::files_in(&self.inner, ix)
    }
    fn was_party<'a>(&'a self, a: &'a AgentId, ix: &'a InteractionId) -> StoreFuture<'a, bool> {
        FileRecords::was_party(&self.inner, a, ix)
    }
}

impl<S: Records> Records for Faulty<S> {
    fn audit<'a>(&'a self, entry: &'a AuditEntry) -> StoreFuture<'a, ()> {
        Records::audit(&self.inner, entry)
    }
    fn audit_of<'a>(&'a self, ix: &'a InteractionId) -> StoreFuture<'a, Vec<AuditEntry>> {
        Records::audit_of(&self.inner, ix)
    }
    fn milestones_of<'a>(&'a self, ix: &'a InteractionId) -> StoreFuture<'a, Vec<FeedEntry>> {
        Records::milestones_of(&self.inner, ix)
    }
    fn closed_before<'a>(&'a self, b: Millis, l: u32) -> StoreFuture<'a, Vec<InteractionId>> {
        Records::closed_before(&self.inner, b, l)
    }
    fn chats_of_contact<'a>(
        &'a self,
        email: &'a str,
    ) -> StoreFuture<'a, Vec<(InteractionId, bool)>> {
        Records::chats_of_contact(&self.inner, email)
    }
    fn forget<'a>(&'a self, chats: &'a [InteractionId]) -> StoreFuture<'a, Forgotten> {
        Records::forget(&self.inner, chats)
    }
}

impl<S: DomainFeed> DomainFeed for Faulty<S> {
    fn domain_after(&self, position: i64, limit: u32) -> StoreFuture<'_, Vec<FeedEntry>> {
        DomainFeed::domain_after(&self.inner, position, limit)
    }
    fn cursor<'a>(&'a self, consumer: &'a str) -> StoreFuture<'a, i64> {
        DomainFeed::cursor(&self.inner, consumer)
    }
    fn save_cursor<'a>(&'a self, consumer: &'a str, position: i64) -> StoreFuture<'a, ()> {
        DomainFeed::save_cursor(&self.inner, consumer, position)
    }
}
