//! Webhooks: every domain event of a chat (started, accepted, transferred, conferenced, ended,
//! done) POSTed to each configured receiver that wants it, at least once and in commit order.
//!
//! The store's domain feed is the outbox: the engine makes each domain event with the chat
//! events that caused it, in the same transaction, and each receiver has a cursor in the store
//! (`webhook:<name>`), saved after each event it took. A restart, or a writer taking over, goes
//! on from the first event not taken; one delivered just before a crash comes again, under the
//! same `Parley-Webhook-Id`. A receiver added later first gets every earlier event. Only the
//! writer sends: the sender lives and dies with the hub.
//!
//! Each request is signed with the receiver's secret: `Parley-Signature: t=<unix seconds>,
//! v1=<hex HMAC-SHA256 of "<t>.<body>">`, so a receiver can refuse a forged body and an old
//! timestamp (a replay). A refusal (anything but 2xx) or no answer within 10 s is tried again
//! after 1 s, 2 s, 4 s… up to 5 minutes between tries, for as long as it takes; later events
//! wait for it, so the order holds.

use crate::config::WebhookConfig;
use crate::engine::DomainEvent;
use crate::store::{DomainFeed, FeedEntry};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use std::time::Duration;

/// The event types, as receivers name them.
pub const EVENTS: [&str; 6] = [
    "chat.started",
    "chat.accepted",
    "chat.transferred",
    "chat.conferenced",
    "chat.ended",
    "chat.done",
];

/// How often a receiver with nothing to send looks for new events.
const POLL: Duration = Duration::from_millis(250);
/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The longest wait between two tries of one event.
const MOST_BACKOFF: Duration = Duration::from_secs(300);
/// Events read from the feed at a time.
const PAGE: u32 = 100;

/// The senders of one hub: they stop when it is dropped.
pub struct Senders(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Senders {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Starts one sender per receiver.
pub fn start<S: DomainFeed + Clone + 'static>(hooks: &[WebhookConfig], store: S) -> Senders {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build();
    let client = match client {
        Ok(client) => client,
        Err(e) => {
            tracing::error!("webhooks cannot start: {e}");
            return Senders(Vec::new());
        }
    };
    Senders(
        hooks
            .iter()
            .map(|hook| {
                let (hook, store, client) = (hook.clone(), store.clone(), client.clone());
                tokio::spawn(async move { send_all(hook, store, client).await })
            })
            .collect(),
    )
}

/// The type of a domain event, as receivers see it.
pub fn event_type(event: &DomainEvent) -> &'static str {
    match event {
        DomainEvent::ChatStarted { .. } => "chat.started",
        DomainEvent::Accepted { .. } => "chat.accepted",
        DomainEvent::Transferred { .. } => "chat.transferred",
        DomainEvent::Conferenced { .. } => "chat.conferenced",
        DomainEvent::Ended { .. } => "chat.ended",
        DomainEvent::Done { .. } => "chat.done",
    }
}

/// What a receiver gets.
#[derive(Serialize)]
struct Body<'a> {
    /// The same for every try of this event to this receiver.
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    /// When it happened, in milliseconds since 1970.
    at: i64,
    interaction: &'a str,
    /// The chat event that made it.
    seq: u64,
    /// The event's own fields (agent, queue, disposition, note…).
    data: &'a DomainEvent,
    /// The chat's transcript, on the Parley server (`/api/v1`, with a key).
    transcript: String,
}

async fn send_all<S: DomainFeed>(hook: WebhookConfig, store: S, client: reqwest::Client) {
    let consumer = format!("webhook:{}", hook.name);
    let mut cursor = loop {
        match store.cursor(&consumer).await {
            Ok(cursor) => break cursor,
            Err(e) => {
                tracing::warn!(webhook = hook.name, "reading its cursor: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    loop {
        let entries = match store.domain_after(cursor, PAGE).await {
            Ok(entries) => entries,
            Err(e) => {
                tracing::warn!(webhook = hook.name, "reading the domain events: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if entries.is_empty() {
            tokio::time::sleep(POLL).await;
            continue;
        }
        for entry in entries {
            let kind = event_type(&entry.milestone.event);
            if hook.events.is_empty() || hook.events.iter().any(|e| e == kind) {
                deliver(&client, &hook, &entry).await;
            }
            cursor = entry.position;
            // Not saved: the event comes again after a restart, under the same id.
            if let Err(e) = store.save_cursor(&consumer, cursor).await {
                tracing::warn!(webhook = hook.name, "saving its cursor: {e}");
            }
        }
    }
}

/// Sends one event until the receiver takes it.
async fn deliver(client: &reqwest::Client, hook: &WebhookConfig, entry: &FeedEntry) {
    let id = format!("{}-{}", hook.name, entry.position);
    let m = &entry.milestone;
    let kind = event_type(&m.event);
    let body = Body {
        id: &id,
        kind,
        at: m.at,
        interaction: m.interaction.as_str(),
        seq: m.seq,
        data: &m.event,
        transcript: format!("/api/v1/chats/{}/transcript", m.interaction.as_str()),
    };
    let body = match serde_json::to_string(&body) {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(webhook = hook.name, "event {id}: {e}");
            return;
        }
    };
    let mut wait = Duration::from_secs(1);
    let mut tries = 1u32;
    loop {
        let signature = sign(&hook.secret, crate::now_ms() / 1000, &body);
        let sent = client
            .post(&hook.url)
            .header("Content-Type", "application/json")
            .header("Parley-Webhook-Id", &id)
            .header("Parley-Event", kind)
            .header("Parley-Signature", signature)
            .body(body.clone())
            .send()
            .await;
        let why = match sent {
            Ok(answer) if answer.status().is_success() => {
                metrics::counter!("parley_webhooks_delivered_total").increment(1);
                return;
            }
            Ok(answer) => format!("answered {}", answer.status()),
            Err(e) => e.to_string(),
        };
        metrics::counter!("parley_webhooks_failed_total").increment(1);
        tracing::warn!(
            webhook = hook.name,
            "event {id} (try {tries}) not taken: {why}; again in {} s",
            wait.as_secs()
        );
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(MOST_BACKOFF);
        tries += 1;
    }
}

/// `t=<secs>,v1=<hex HMAC-SHA256(secret, "<secs>.<body>")>`.
pub fn sign(secret: &str, secs: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes a key of any length.
        Err(_) => return String::new(),
    };
    mac.update(format!("{secs}.{body}").as_bytes());
    format!("t={secs},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Why the `[[webhooks]]` of a configuration cannot be used, if they cannot.
pub fn check(hooks: &[WebhookConfig]) -> Result<(), String> {
    let mut names = std::collections::HashSet::new();
    for hook in hooks {
        if hook.name.trim().is_empty() || !names.insert(hook.name.as_str()) {
            return Err(format!("webhooks: {:?} is empty or used twice", hook.name));
        }
        let url = reqwest::Url::parse(&hook.url).map_err(|e| {
            format!(
                "webhooks {:?}: {:?} is not a URL ({e})",
                hook.name, hook.url
            )
        })?;
        if !["http", "https"].contains(&url.scheme()) {
            return Err(format!("webhooks {:?}: the URL is not http(s)", hook.name));
        }
        if hook.secret.chars().count() < 32 {
            return Err(format!(
                "webhooks {:?}: the secret needs at least 32 characters",
                hook.name
            ));
        }
        if let Some(e) = hook.events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
            return Err(format!(
                "webhooks {:?}: unknown event {e:?} (known: {})",
                hook.name,
                EVENTS.join(", ")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_the_time_and_the_body() {
        let a = sign("s".repeat(32).as_str(), 1_700_000_000, "{}");
        assert!(a.starts_with("t=1700000000,v1="), "{a}");
        assert_eq!(a.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(a, sign("s".repeat(32).as_str(), 1_700_000_001, "{}"));
        assert_ne!(a, sign("s".repeat(32).as_str(), 1_700_000_000, "{ }"));
        assert_ne!(a, sign("t".repeat(32).as_str(), 1_700_000_000, "{}"));
    }

    #[test]
    fn bad_webhook_settings_are_refused_with_a_reason() {
        let hook = |url: &str, secret: &str, events: &[&str]| WebhookConfig {
            name: "crm".into(),
            url: url.into(),
            secret: secret.into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
        };
        let secret = "x".repeat(32);
        assert_eq!(
            check(&[hook("https://crm.example.com/h", &secret, &[])]),
            Ok(())
        );
        let twice = hook("http://127.0.0.1:9/h", &secret, &["chat.done"]);
        assert!(check(&[twice.clone(), twice]).is_err());
        assert!(check(&[hook("ftp://x/h", &secret, &[])]).is_err());
        assert!(check(&[hook("not a url", &secret, &[])]).is_err());
        assert!(check(&[hook("https://x/h", "short", &[])]).is_err_and(|e| e.contains("32")));
        assert!(check(&[hook("https://x/h", &secret, &["chat.deleted"])])
            .is_err_and(|e| e.contains("chat.deleted")));
    }
}
