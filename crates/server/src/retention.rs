//! Chats are kept no longer than they are needed, and a contact's are erased on request.
//!
//! - Retention: every hour each node forgets the closed chats whose last event is more than
//!   `server.retention_days` old (0 keeps them for ever): transcript, contact details, files
//!   (rows and bytes), tokens, everything that names them. Forgetting one chat twice is
//!   harmless, so nodes need not agree on who does it.
//! - Erasure: `parley-server erase --email …` forgets every closed chat of that contact (by the
//!   verified or the typed address) and says what it removed; open chats are left, named, to
//!   be erased once they close.

use crate::files::FileDir;
use crate::store::{Forgotten, Store, StoreError};
use parley_protocol::{InteractionId, Millis};
use std::sync::Arc;
use std::time::Duration;

/// Chats forgotten per transaction: a long backlog goes in short steps.
const BATCH: u32 = 200;

/// Forgets the chats, rows then files (a file whose row is gone can no longer be fetched,
/// so a crash in between leaves bytes nobody reaches, never a row without its file).
pub async fn forget(
    store: &dyn Store,
    files: &FileDir,
    chats: &[InteractionId],
) -> Result<Forgotten, StoreError> {
    let forgotten = store.forget(chats).await?;
    for id in &forgotten.files {
        files.remove(id).await;
    }
    Ok(forgotten)
}

/// Forgets every closed chat whose last event is before `before`.
pub async fn sweep(
    store: &dyn Store,
    files: &FileDir,
    before: Millis,
) -> Result<Forgotten, StoreError> {
    let mut all = Forgotten::default();
    loop {
        let chats = store.closed_before(before, BATCH).await?;
        if chats.is_empty() {
            return Ok(all);
        }
        let done = forget(store, files, &chats).await?;
        all.chats += done.chats;
        all.events += done.events;
        all.tokens += done.tokens;
        all.files.extend(done.files);
        if done.chats == 0 {
            // Nothing went (another node was quicker): the next hour looks again.
            return Ok(all);
        }
    }
}

/// Starts this node's hourly retention round; nothing when `days` is 0.
pub fn start(store: Arc<dyn Store>, files: FileDir, days: u32) {
    if days == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let before = crate::now_ms() - i64::from(days) * 86_400_000;
            match sweep(&*store, &files, before).await {
                Ok(done) if done.chats > 0 => tracing::info!(
                    chats = done.chats,
                    events = done.events,
                    files = done.files.len(),
                    "chats past their keeping time forgotten"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!("retention: {e}"),
            }
        }
    });
}

/// What an erasure did.
#[derive(Debug, Default)]
pub struct Erasure {
    pub forgotten: Forgotten,
    /// Chats of the contact still open: they are erased once closed, by asking again.
    pub still_open: Vec<InteractionId>,
}

/// Erases every closed chat of the contact with this e-mail address.
pub async fn erase_contact(
    store: &dyn Store,
    files: &FileDir,
    email: &str,
) -> Result<Erasure, StoreError> {
    let (closed, open): (Vec<_>, Vec<_>) = store
        .chats_of_contact(email)
        .await?
        .into_iter()
        .partition(|(_, closed)| *closed);
    let closed: Vec<InteractionId> = closed.into_iter().map(|(id, _)| id).collect();
    Ok(Erasure {
        forgotten: forget(store, files, &closed).await?,
        still_open: open.into_iter().map(|(id, _)| id).collect(),
    })
}
