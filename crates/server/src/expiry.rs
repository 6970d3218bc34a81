//! Agent sessions end by themselves: after `session_idle_secs` with no desktop of theirs open,
//! and `session_max_secs` after their login whatever happens.
//!
//! Every node, every so often, marks the sessions of its open sockets as in use, then ends the
//! ones past either limit; ending one closes its sockets on every node (4401), as a logout
//! does. A session therefore ends within one round (at most 30 s) of its limit.

use crate::hub::HubHandle;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// How often a node looks: a quarter of the idle limit, between one and thirty seconds.
fn every(idle_secs: u32) -> Duration {
    Duration::from_secs(u64::from(idle_secs / 4).clamp(1, 30))
}

/// Starts this node's round of session expiry; it runs as long as the process.
pub fn start(store: Arc<dyn Store>, hub: HubHandle, idle_secs: u32, max_secs: u32) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every(idle_secs));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = round(&*store, &hub, idle_secs, max_secs).await {
                tracing::warn!("session expiry: {e}");
            }
        }
    });
}

/// One round: the sessions in use here are touched, the ones past a limit ended.
async fn round(
    store: &dyn Store,
    hub: &HubHandle,
    idle_secs: u32,
    max_secs: u32,
) -> Result<(), crate::store::StoreError> {
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
    Ok(())
}
