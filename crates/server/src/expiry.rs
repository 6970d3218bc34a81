//! Agent sessions and contact tokens end by themselves. A session ends after
//! `session_idle_secs` with no desktop of theirs open, and `session_max_secs` after its login
//! whatever happens; a contact's token `contact_read_secs` after its chat closed (it wrote
//! nothing since the chat ended: the engine refuses that).
//!
//! Every node, every so often, marks the sessions of its open sockets as in use, then ends the
//! ones past either limit; ending one closes its sockets on every node (4401), as a logout
//! does. A session therefore ends within one round (at most 30 s) of its limit, and a contact
//! token within two.

use crate::engine::config::ServerConfig;
use crate::hub::HubHandle;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// How often a node looks: a quarter of the idle limit, between one and thirty seconds.
fn every(idle_secs: u32) -> Duration {
    Duration::from_secs(u64::from(idle_secs / 4).clamp(1, 30))
}

/// The limits a round applies.
#[derive(Clone, Copy)]
struct Limits {
    idle_secs: u32,
    max_secs: u32,
    contact_read_secs: u32,
}

/// Starts this node's round of expiry; it runs as long as the process.
pub fn start(store: Arc<dyn Store>, hub: HubHandle, server: &ServerConfig) {
    let limits = Limits {
        idle_secs: server.session_idle_secs,
        max_secs: server.session_max_secs,
        contact_read_secs: server.contact_read_secs,
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every(limits.idle_secs.min(limits.contact_read_secs)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = round(&*store, &hub, limits).await {
                tracing::warn!("expiry: {e}");
            }
        }
    });
}

/// One round: the sessions in use here are touched, the ones past a limit ended, and the
/// contact tokens past their reading time revoked.
async fn round(
    store: &dyn Store,
    hub: &HubHandle,
    limits: Limits,
) -> Result<(), crate::store::StoreError> {
    let Limits {
        idle_secs,
        max_secs,
        contact_read_secs,
    } = limits;
    let now = crate::now_ms();
    let in_use = hub.edges().sessions();
    if !in_use.is_empty() {
        store.touch_sessions(&in_use, now).await?;
    }
    let ended = store
        .expire_sessions(
            now - i64::from(idle_secs) * 1000,
            now - i64::from(max_secs) * 1000,
        )
        .await?;
    for session in &ended {
        hub.end_session(session);
    }
    if !ended.is_empty() {
        tracing::info!(sessions = ended.len(), "agent sessions expired");
    }
    let revoked = store
        .expire_contact_tokens(now, now - i64::from(contact_read_secs) * 1000)
        .await?;
    if revoked > 0 {
        tracing::info!(
            tokens = revoked,
            "contact tokens revoked after their chats closed"
        );
    }
    Ok(())
}
