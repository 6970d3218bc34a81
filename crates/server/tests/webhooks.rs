//! Webhooks as a receiver sees them: each chat milestone once taken, in order, signed, tried
//! again under the same id after a refusal, and none lost across a kill -9 of the server.

mod common;

use axum::http::{HeaderMap, StatusCode};
use common::*;
use parley_protocol::act;
use parley_protocol::{ClientMsg, ServerMsg};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "a-webhook-secret-of-32-characters!";

/// One request as the receiver got it, and what it answered.
#[derive(Clone, Debug)]
struct Got {
    id: String,
    kind: String,
    signature: String,
    body: String,
    taken: bool,
}

/// A receiver that refuses the next `refuse` requests (503), or every request while `down`.
#[derive(Default)]
struct Receiver {
    got: Vec<Got>,
    refuse: usize,
    down: bool,
}

async fn receiver(state: Receiver) -> (SocketAddr, Arc<Mutex<Receiver>>) {
    let state = Arc::new(Mutex::new(state));
    let shared = state.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let state = shared.clone();
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                let mut r = state.lock().expect("receiver");
                let refused = r.down || r.refuse > 0;
                r.refuse = r.refuse.saturating_sub(1);
                r.got.push(Got {
                    id: header("parley-webhook-id"),
                    kind: header("parley-event"),
                    signature: header("parley-signature"),
                    body,
                    taken: !refused,
                });
                if refused {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, state)
}

fn hook(addr: SocketAddr) -> parley_server::config::WebhookConfig {
    parley_server::config::WebhookConfig {
        name: "crm".into(),
        url: format!("http://{addr}/hook"),
        secret: SECRET.into(),
        events: Vec::new(),
    }
}

/// Waits until the receiver has taken `kinds` (in this order, each once), within `wait`.
async fn until_taken(state: &Mutex<Receiver>, kinds: &[&str], wait: Duration) -> Vec<Got> {
    let started = Instant::now();
    loop {
        let taken: Vec<Got> = {
            let r = state.lock().expect("receiver");
            r.got.iter().filter(|g| g.taken).cloned().collect()
        };
        let seen: Vec<&str> = taken.iter().map(|g| g.kind.as_str()).collect();
        if seen == kinds {
            return taken;
        }
        assert!(
            started.elapsed() < wait && seen.len() <= kinds.len(),
            "taken {seen:?}, expected {kinds:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The signature is the receiver's secret over `<t>.<body>`, made within the last minute.
fn assert_signed(got: &Got) {
    let (t, v1) = got
        .signature
        .strip_prefix("t=")
        .and_then(|s| s.split_once(",v1="))
        .expect("t=…,v1=…");
    let secs: i64 = t.parse().expect("seconds");
    assert_eq!(
        got.signature,
        parley_server::webhooks::sign(SECRET, secs, &got.body),
        "signed over the time and the body"
    );
    assert_eq!(v1.len(), 64);
    let now = parley_server::now_ms() / 1000;
    assert!((now - 60..=now).contains(&secs), "a fresh timestamp");
}

#[tokio::test]
async fn each_milestone_is_delivered_in_order_signed_and_retried_under_its_id() {
    let (hook_addr, state) = receiver(Receiver {
        refuse: 2,
        ..Receiver::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.webhooks = vec![hook(hook_addr)]
    })
    .await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, _) = start_chat(addr, "Ana Pop", "Hello").await;
    accept_next(&mut kate, &ix).await;
    kate.send(&ClientMsg::from(act::End {
        interaction: ix.clone(),
    }))
    .await;
    kate.send(&ClientMsg::from(act::Done {
        interaction: ix.clone(),
        disposition: Some("Resolved".into()),
        note: Some("refund sent".into()),
    }))
    .await;
    kate.expect(|m| matches!(m, ServerMsg::Closed { .. })).await;

    let kinds = ["chat.started", "chat.accepted", "chat.ended", "chat.done"];
    // The first two tries of the first event are refused: 1 s and 2 s of back-off.
    let taken = until_taken(&state, &kinds, Duration::from_secs(20)).await;
    let all = state.lock().expect("receiver").got.clone();
    assert_eq!(all.len(), 6, "two refusals, then each event once");
    assert!(all[..3]
        .iter()
        .all(|g| g.id == all[0].id && g.body == all[0].body));
    let mut ids: Vec<&str> = taken.iter().map(|g| g.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 4, "an id per event");
    for got in &all {
        assert_signed(got);
    }
    let done: Value = serde_json::from_str(&taken[3].body).expect("JSON");
    assert_eq!(done["type"], "chat.done");
    assert_eq!(done["interaction"], ix.0.as_str());
    assert_eq!(done["data"]["done"]["disposition"], "Resolved");
    assert_eq!(done["data"]["done"]["note"], "refund sent");
    assert_eq!(done["data"]["done"]["agent"], "kate");
    assert_eq!(
        done["transcript"],
        format!("/api/v1/chats/{}/transcript", ix.0)
    );
    assert_eq!(done["id"], taken[3].id.as_str());
}

#[tokio::test]
async fn no_event_is_lost_when_the_server_is_killed_before_the_receiver_took_it() {
    let (hook_addr, state) = receiver(Receiver {
        down: true,
        ..Receiver::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    let extra = format!(
        "[[webhooks]]\nname = \"crm\"\nurl = \"http://{hook_addr}/hook\"\nsecret = \"{SECRET}\"\n\
         events = [\"chat.started\", \"chat.accepted\"]\n"
    );
    let config = demo_config_with(dir.path(), "parley.toml", &extra);
    let db = dir.path().join("p.db");
    let (mut server, addr) = launch_server_with(&config, &db).await;
    let (ix, _) = start_chat(addr, "Ana Pop", "Hello").await;
    // The receiver is down: the event is tried and refused, then the server dies.
    let started = Instant::now();
    while state.lock().expect("receiver").got.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(10), "never tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first_try = state.lock().expect("receiver").got[0].clone();
    server.start_kill().expect("SIGKILL");
    let _ = server.wait().await;

    state.lock().expect("receiver").down = false;
    let (_server, addr) = launch_server_with(&config, &db).await;
    let mut kate = ready_agent(addr, "kate").await;
    accept_next(&mut kate, &ix).await;
    kate.send(&ClientMsg::from(act::End {
        interaction: ix.clone(),
    }))
    .await;
    let taken = until_taken(
        &state,
        &["chat.started", "chat.accepted"],
        Duration::from_secs(20),
    )
    .await;
    // The event refused before the kill came again, the same; only the filtered kinds came.
    assert_eq!(taken[0].id, first_try.id);
    assert_eq!(taken[0].body, first_try.body);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let kinds: Vec<String> = state
        .lock()
        .expect("receiver")
        .got
        .iter()
        .filter(|g| g.taken)
        .map(|g| g.kind.clone())
        .collect();
    assert_eq!(
        kinds,
        ["chat.started", "chat.accepted"],
        "chat.ended is not wanted"
    );
}
