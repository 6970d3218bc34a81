//! The simulated clients: agents that go Ready, accept every offer and answer every message;
//! contacts that start a chat and send at a steady rate; readers that page through history.
//! Each text carries its send time, so the receiver measures latency.

use crate::session::{self, Session};
use crate::stats::Stats;
use crate::{http, Args};
use futures::{SinkExt, StreamExt};
use parley_protocol::act;
use parley_protocol::{AgentStatus, ClientMsg, Event, EventKind, Party, Seq, ServerMsg};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

fn parse(frame: Message) -> Option<ServerMsg> {
    match frame {
        Message::Text(t) => ServerMsg::parse(t.as_str()).ok(),
        _ => None,
    }
}

/// The body of a measured message: `<tag> <id> t=<send time in µs>`.
fn body(tag: &str, id: &str) -> String {
    format!("{tag} {id} t={}", now_us())
}

/// The id and latency of a measured message, if it is one.
fn measure(text: &str) -> Option<(String, u64)> {
    let mut words = text.split(' ');
    let (_tag, id, t) = (
        words.next()?,
        words.next()?,
        words.next()?.strip_prefix("t=")?.parse::<u128>().ok()?,
    );
    Some((id.to_owned(), now_us().saturating_sub(t) as u64))
}

/// The measured messages among `events` from the other side (a contact's, for an agent):
/// their ids, sequence numbers and latencies.
fn measured(events: Vec<Event>, from_contact: bool) -> Vec<(String, Seq, u64)> {
    events
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Message { from, text, .. }
                if matches!(from, Party::Contact { .. }) == from_contact =>
            {
                measure(&text).map(|(id, latency)| (id, e.seq, latency))
            }
            _ => None,
        })
        .collect()
}

pub async fn run_agent(
    args: Args,
    index: usize,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
) -> Result<(), String> {
    let token = http::login(args.agent_addr(), &format!("bench-{index}"), &args.password).await?;
    let mut session = Session::open(args.agent_addrs(), token, stats.clone()).await?;
    session
        .send(&ClientMsg::from(act::SetStatus {
            status: AgentStatus::Ready,
        }))
        .await;
    // After a reconnect the agent says nothing: its status and chats are the server's to keep.
    let mut replies = 0u64;
    loop {
        let Some(msg) = session.next().await else {
            session.reconnect().await?;
            continue;
        };
        match msg {
            ServerMsg::Invitation { invitation } => {
                session
                    .send(&ClientMsg::from(act::Accept {
                        invitation: invitation.id,
                    }))
                    .await
            }
            ServerMsg::Events {
                interaction,
                events,
            } => {
                for (id, seq, latency) in measured(events, true) {
                    stats.received(&id, seq, &interaction, latency);
                    if !stop.load(Ordering::Relaxed) {
                        replies += 1;
                        let id = format!("a{index}-{replies}");
                        stats.sent(&id);
                        let msg = ClientMsg::from(act::Send {
                            interaction: interaction.clone(),
                            client_id: id.clone(),
                            text: body("agent", &id),
                            consultation: None,
                        });
                        session.send_message(id, msg).await;
                    }
                }
            }
            ServerMsg::Ack { client_id, .. } => stats.acked(&client_id),
            _ => {}
        }
    }
}

/// One reader: a second connection of an agent that pages back through its chats, `older` and
/// `earlier` in turn, at `--read-rate` from the moment the run starts.
pub async fn run_reader(
    args: Args,
    index: usize,
    stats: Arc<Stats>,
    go: Arc<tokio::sync::Notify>,
    stop: Arc<AtomicBool>,
) -> Result<(), String> {
    let agent = format!("bench-{}", 1 + index % args.agents.max(1));
    let token = http::login(args.agent_addr(), &agent, &args.password).await?;
    let started = go.notified();
    let ws = session::connect(args.agent_addr(), &token, vec![]).await?;
    let (mut tx, mut rx) = ws.split();
    let chats = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = chats.clone();
    let counted = stats.clone();
    tokio::spawn(async move {
        while let Some(Ok(frame)) = rx.next().await {
            match parse(frame) {
                Some(ServerMsg::Opened { interaction }) => {
                    if let Ok(mut chats) = seen.lock() {
                        chats.push(interaction.id);
                    }
                }
                Some(ServerMsg::Older { .. } | ServerMsg::Earlier { .. }) => counted.read(),
                _ => {}
            }
        }
    });
    started.await;
    let mut tick =
        tokio::time::interval(Duration::from_secs_f64(1.0 / args.read_rate.max(1) as f64));
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let chat = chats
            .lock()
            .ok()
            .and_then(|c| (!c.is_empty()).then(|| c[n % c.len()].clone()));
        let Some(interaction) = chat else { continue };
        let read = if n.is_multiple_of(2) {
            ClientMsg::Older {
                interaction,
                before: u64::MAX,
                limit: 100,
            }
        } else {
            ClientMsg::Earlier {
                interaction,
                before: i64::MAX,
            }
        };
        n += 1;
        tx.send(Message::Text(read.to_frame().into()))
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// What a contact counts of a message from the server.
fn contact_saw(stats: &Stats, msg: ServerMsg) {
    match msg {
        ServerMsg::Events {
            interaction,
            events,
        } => {
            for (id, seq, latency) in measured(events, false) {
                stats.received(&id, seq, &interaction, latency);
            }
        }
        ServerMsg::Ack { client_id, .. } => stats.acked(&client_id),
        _ => {}
    }
}

/// One contact: starts a chat, waits for an agent, then sends every `every` until told to stop.
pub async fn run_contact(
    args: Args,
    index: usize,
    every: Duration,
    stats: Arc<Stats>,
    start: Arc<Semaphore>,
    go: Arc<tokio::sync::Notify>,
    stop: Arc<AtomicBool>,
) -> Result<(), String> {
    let (ix, token) = {
        let _permit = start.acquire().await.map_err(|e| e.to_string())?;
        http::start_chat(args.addr, &format!("Contact {index}")).await?
    };
    let mut session = Session::open(args.contact_addrs(), token, stats.clone()).await?;
    // Wait for the agent to join.
    loop {
        match session.next().await {
            Some(ServerMsg::Events { events, .. })
                if events.iter().any(|e| {
                    matches!(
                        &e.kind,
                        EventKind::Joined {
                            party: Party::Agent { .. }
                        }
                    )
                }) =>
            {
                break
            }
            Some(_) => {}
            None => session.reconnect().await?,
        }
    }
    let started = go.notified();
    tokio::pin!(started);
    started.as_mut().enable();
    stats.connected();
    started.await;
    // Spread the contacts over the interval so the load is even.
    tokio::time::sleep(every.mul_f64((index % 1000) as f64 / 1000.0)).await;
    let mut tick = tokio::time::interval(every);
    let mut k = 0u64;
    loop {
        // `Some`: what the socket gave; `None`: time to send.
        let step = tokio::select! {
            msg = session.next() => Some(msg),
            _ = tick.tick() => None,
        };
        match step {
            Some(Some(msg)) => contact_saw(&stats, msg),
            Some(None) => session.reconnect().await?,
            None => {
                // Checked after the wait: a message sent after the stop (up to one interval
                // later) could be acknowledged just before the count and delivered just after
                // it, and count as lost.
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                k += 1;
                let id = format!("c{index}-{k}");
                stats.sent(&id);
                let msg = ClientMsg::from(act::Send {
                    interaction: ix.clone(),
                    client_id: id.clone(),
                    text: body("contact", &id),
                    consultation: None,
                });
                session.send_message(id, msg).await;
            }
        }
    }
    // Keep reading the last replies while the run drains.
    let drain = async {
        loop {
            match session.next().await {
                Some(msg) => contact_saw(&stats, msg),
                None => {
                    if session.reconnect().await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(3), drain).await;
    Ok(())
}
