//! The audit log: who opened, read, transferred or exported which chat, kept with the chat (in
//! the same store, forgotten with it by retention and erasure).
//!
//! Opening (accepting), transferring, conferencing and marking done are already committed with
//! the chat as domain events; the log adds what no event records: an agent reading a chat they
//! are not in (a contact's earlier chat, a past chat's file) and a host exporting a transcript
//! through the API. [`trail`] puts both together in time order. A read whose line cannot be
//! written is refused: nothing is read unrecorded.

use crate::engine::DomainEvent;
use crate::store::{AuditEntry, Store, StoreError};
use parley_protocol::{InteractionId, Millis};

/// Writes one line.
pub async fn note(
    store: &dyn Store,
    interaction: &InteractionId,
    actor: String,
    action: &str,
    detail: Option<String>,
) -> Result<(), StoreError> {
    store
        .audit(&AuditEntry {
            interaction: interaction.clone(),
            at: crate::now_ms(),
            actor,
            action: action.into(),
            detail,
        })
        .await
}

/// One line of a chat's trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub at: Millis,
    pub actor: String,
    pub action: String,
    pub detail: Option<String>,
}

/// Everything the store knows of who did what with a chat, oldest first.
pub async fn trail(
    store: &dyn Store,
    interaction: &InteractionId,
) -> Result<Vec<Line>, StoreError> {
    let agent = |id: &parley_protocol::AgentId| format!("agent:{}", id.as_str());
    let mut lines: Vec<Line> = store
        .milestones_of(interaction)
        .await?
        .into_iter()
        .map(|entry| {
            let m = entry.milestone;
            let (actor, action, detail) = match m.event {
                DomainEvent::ChatStarted { queue } => (
                    "contact".into(),
                    "started",
                    Some(format!("in queue {}", queue.as_str())),
                ),
                DomainEvent::Accepted { agent: a } => (agent(&a), "opened", None),
                DomainEvent::Transferred { from, to } => (
                    agent(&from),
                    "transferred",
                    Some(format!("to {}", agent(&to))),
                ),
                DomainEvent::Conferenced { agent: a, by } => (
                    agent(&by),
                    "conferenced",
                    Some(format!("with {}", agent(&a))),
                ),
                DomainEvent::Ended { reason } => (
                    "chat".into(),
                    "ended",
                    Some(format!("{reason:?}").to_lowercase()),
                ),
                DomainEvent::Done {
                    agent: a,
                    disposition,
                    ..
                } => (agent(&a), "done", disposition),
            };
            Line {
                at: m.at,
                actor,
                action: action.into(),
                detail,
            }
        })
        .collect();
    lines.extend(
        store
            .audit_of(interaction)
            .await?
            .into_iter()
            .map(|e| Line {
                at: e.at,
                actor: e.actor,
                action: e.action,
                detail: e.detail,
            }),
    );
    // Stable: lines of one instant keep the order they were committed in.
    lines.sort_by_key(|l| l.at);
    Ok(lines)
}
