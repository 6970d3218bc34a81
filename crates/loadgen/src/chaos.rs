//! `--chaos`: the abuse suite. One unrelated chat (a probe: an agent and a contact, the contact
//! sending every 50 ms) runs throughout; each attack then runs alone for a few seconds, and one
//! line reports it: what the attack achieved, the probe's send→ack p99 and losses during it,
//! and the server's RSS growth. Attacks come from this machine, one address, as one abuser's
//! would; between two, the server gets time to drop what the last one left.

use crate::session::{self, Ws};
use crate::{http, rss_kb};
use futures::{SinkExt, StreamExt};
use parley_protocol::{act, AgentStatus, ClientMsg, InteractionId, ServerMsg};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// The probe's messages: when each was sent, and its send→ack time once acknowledged.
type Log = Arc<Mutex<Vec<(Instant, Option<Duration>)>>>;

/// Runs every attack against `addr`; `password` is the bench agents'.
pub async fn run(addr: SocketAddr, password: &str, pid: Option<u32>) -> Result<(), String> {
    let (ix, log) = probe(addr, password).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let attacks: [(&str, Attack); 6] = [
        ("no-hello", no_hello),
        ("login-brute-force", brute_force),
        ("frame-flood", frame_flood),
        ("upload-flood", upload_flood),
        ("slow-readers", slow_readers),
        ("chat-creation-flood", chat_flood),
    ];
    for (name, attack) in attacks {
        let rss = pid.and_then(rss_kb).unwrap_or(0);
        let from = Instant::now();
        let figures = attack(addr, password.to_owned(), ix.clone()).await;
        let to = Instant::now();
        // Acknowledgements of what was sent during the attack may still be on their way.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let growth_mb = pid
            .and_then(rss_kb)
            .map_or(0.0, |now| (now as f64 - rss as f64) / 1024.0);
        let (sent, lost, p99) = window(&log, from, to);
        println!(
            "chaos: attack={name} {figures} probe_sent={sent} probe_lost={lost} probe_p99_ms={p99:.1} rss_growth_mb={growth_mb:.1}"
        );
        // A socket that never says hello is dropped after hello_timeout_secs (5).
        tokio::time::sleep(Duration::from_secs(6)).await;
    }
    Ok(())
}

type Attack = fn(
    SocketAddr,
    String,
    InteractionId,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>>;

/// Sent, unacknowledged and the p99 (ms) of the probe's messages sent between `from` and `to`.
fn window(log: &Log, from: Instant, to: Instant) -> (usize, usize, f64) {
    let log = log.lock().unwrap_or_else(|p| p.into_inner());
    let mut acked: Vec<Duration> = Vec::new();
    let mut sent = 0;
    for (_, ack) in log.iter().filter(|(at, _)| *at >= from && *at <= to) {
        sent += 1;
        acked.extend(ack);
    }
    acked.sort();
    let p99 = acked
        .get((acked.len() * 99 / 100).min(acked.len().saturating_sub(1)))
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    (sent, sent - acked.len(), p99)
}

/// The unrelated chat: bench-1 takes a chat whose contact then writes every 50 ms.
async fn probe(addr: SocketAddr, password: &str) -> Result<(InteractionId, Log), String> {
    let token = http::login(addr, "bench-1", password).await?;
    let mut agent = session::connect(addr, &token, vec![]).await?;
    send(
        &mut agent,
        &ClientMsg::from(act::SetStatus {
            status: AgentStatus::Ready,
        }),
    )
    .await;
    let (ix, contact_token) = http::start_chat(addr, "Probe").await?;
    let mut contact = session::connect(addr, &contact_token, vec![]).await?;
    loop {
        match next(&mut agent).await {
            Some(ServerMsg::Invitation { invitation }) => {
                send(
                    &mut agent,
                    &ClientMsg::from(act::Accept {
                        invitation: invitation.id,
                    }),
                )
                .await;
            }
            Some(ServerMsg::Opened { .. }) => break,
            Some(_) => {}
            None => return Err("the probe's agent lost its socket".into()),
        }
    }
    // The agent's frames are read and dropped: a desktop that keeps up.
    tokio::spawn(async move { while next(&mut agent).await.is_some() {} });
    let log: Log = Arc::default();
    let record = log.clone();
    let chat = ix.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        let mut waiting: HashMap<String, (usize, Instant)> = HashMap::new();
        let mut n = 0u64;
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    n += 1;
                    let id = format!("p{n}");
                    let msg = ClientMsg::from(act::Send {
                        interaction: chat.clone(),
                        client_id: id.clone(),
                        text: format!("probe {n}"),
                        consultation: None,
                    });
                    let at = Instant::now();
                    {
                        let mut log = record.lock().unwrap_or_else(|p| p.into_inner());
                        waiting.insert(id, (log.len(), at));
                        log.push((at, None));
                    }
                    if contact.send(Message::Text(msg.to_frame_with(n).into())).await.is_err() {
                        return;
                    }
                }
                frame = next(&mut contact) => match frame {
                    Some(ServerMsg::Ack { client_id, .. }) => {
                        if let Some((i, at)) = waiting.remove(&client_id) {
                            let mut log = record.lock().unwrap_or_else(|p| p.into_inner());
                            if let Some(entry) = log.get_mut(i) {
                                entry.1 = Some(at.elapsed());
                            }
                        }
                    }
                    Some(_) => {}
                    None => return,
                },
            }
        }
    });
    Ok((ix, log))
}

async fn send(ws: &mut Ws, msg: &ClientMsg) {
    let _ = ws.send(Message::Text(msg.to_frame().into())).await;
}

async fn next(ws: &mut Ws) -> Option<ServerMsg> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(text)) => {
                if let Ok(msg) = ServerMsg::parse(&text) {
                    return Some(msg);
                }
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// 2,000 sockets that never say hello: how many the server let open, and how many it still
/// held after 6 s.
fn no_hello(
    addr: SocketAddr,
    _: String,
    _: InteractionId,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>> {
    Box::pin(async move {
        let opening = (0..2000).map(|_| async move {
            tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
                .await
                .ok()
                .map(|(ws, _)| ws)
        });
        let mut open: Vec<Ws> = futures::future::join_all(opening)
            .await
            .into_iter()
            .flatten()
            .collect();
        let opened = open.len();
        tokio::time::sleep(Duration::from_secs(6)).await;
        let mut held = 0;
        for ws in &mut open {
            // A socket the server closed reads its close (or an error) at once.
            if tokio::time::timeout(Duration::from_millis(5), ws.next())
                .await
                .is_err()
            {
                held += 1;
            }
        }
        format!("sockets=2000 opened={opened} held_after_6s={held}")
    })
}

/// The status of one raw HTTP request.
async fn status(addr: SocketAddr, method: &str, path: &str, headers: &str, body: &[u8]) -> u16 {
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return 0;
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n{headers}\r\n",
        body.len()
    );
    if stream.write_all(head.as_bytes()).await.is_err() {
        return 0;
    }
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    String::from_utf8_lossy(&raw)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The header of a JSON body.
const JSON: &str = "Content-Type: application/json\r\n";

/// One POST sent `times` times, at most `at_once` at a time: how often each status answered.
async fn post_burst(
    addr: SocketAddr,
    path: &str,
    headers: &str,
    body: &[u8],
    (times, at_once): (usize, usize),
) -> String {
    let answers = futures::stream::iter(0..times)
        .map(|_| status(addr, "POST", path, headers, body))
        .buffer_unordered(at_once)
        .collect::<Vec<_>>()
        .await;
    tally(answers)
}

/// Counts of each status among the answers.
fn tally(statuses: Vec<u16>) -> String {
    let mut counts: std::collections::BTreeMap<u16, usize> = Default::default();
    for s in statuses {
        *counts.entry(s).or_default() += 1;
    }
    counts
        .iter()
        .map(|(s, n)| format!("http_{s}={n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// 300 wrong passwords for bench-2, twenty at a time.
fn brute_force(
    addr: SocketAddr,
    _: String,
    _: InteractionId,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>> {
    Box::pin(async move {
        let body = br#"{"username":"bench-2","password":"wrong"}"#;
        let tally = post_burst(addr, "/api/login", JSON, body, (300, 20)).await;
        format!("tries=300 {tally}")
    })
}

/// Ten sockets of one agent send 10,000 frames a second between them for 5 s.
fn frame_flood(
    addr: SocketAddr,
    password: String,
    _: InteractionId,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>> {
    Box::pin(async move {
        let Ok(token) = http::login(addr, "bench-3", &password).await else {
            return "login=failed".into();
        };
        let sockets = (0..10).map(|_| {
            let token = token.clone();
            async move {
                let Ok(mut ws) = session::connect(addr, &token, vec![]).await else {
                    return 0u64;
                };
                let mut sent = 0;
                let until = Instant::now() + Duration::from_secs(5);
                let mut tick = tokio::time::interval(Duration::from_millis(10));
                while Instant::now() < until {
                    tick.tick().await;
                    for _ in 0..10 {
                        if ws
                            .send(Message::Text("{\"nothing\":{}}".into()))
                            .await
                            .is_err()
                        {
                            return sent;
                        }
                        sent += 1;
                    }
                }
                sent
            }
        });
        let sent: u64 = futures::future::join_all(sockets).await.into_iter().sum();
        format!("sockets=10 frames_sent={sent}")
    })
}

/// One contact uploads a small image 300 times, twenty at a time.
fn upload_flood(
    addr: SocketAddr,
    _: String,
    _: InteractionId,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>> {
    Box::pin(async move {
        let Ok((ix, token)) = http::start_chat(addr, "Uploader").await else {
            return "chat=refused".into();
        };
        let png: &[u8] =
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
        let path = format!("/api/files?interaction={}&name=a.png", ix.as_str());
        let headers = format!("Authorization: Bearer {token}\r\nContent-Type: image/png\r\n");
        let tally = post_burst(addr, &path, &headers, png, (300, 20)).await;
        format!("uploads=300 {tally}")
    })
}

/// Twenty sockets of the probe's agent page its chat's history as fast as they can for 5 s
/// and never read an answer.
fn slow_readers(
    addr: SocketAddr,
    password: String,
    ix: InteractionId,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>> {
    Box::pin(async move {
        let Ok(token) = http::login(addr, "bench-1", &password).await else {
            return "login=failed".into();
        };
        let older = ClientMsg::Older {
            interaction: ix,
            before: u64::MAX,
            limit: 200,
        }
        .to_frame();
        let readers = (0..20).map(|_| {
            let (token, older) = (token.clone(), older.clone());
            async move {
                let Ok(mut ws) = session::connect(addr, &token, vec![]).await else {
                    return 0u64;
                };
                let mut sent = 0;
                let until = Instant::now() + Duration::from_secs(5);
                while Instant::now() < until {
                    let send = ws.send(Message::Text(older.clone().into()));
                    match tokio::time::timeout(Duration::from_millis(100), send).await {
                        Ok(Ok(())) => sent += 1,
                        Ok(Err(_)) => return sent,
                        // The socket's buffers are full: this reader is stuck, as a slow one is.
                        Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                    }
                }
                sent
            }
        });
        let sent: u64 = futures::future::join_all(readers).await.into_iter().sum();
        format!("readers=20 requests_sent={sent}")
    })
}

/// 2,000 chats started from this address, fifty at a time.
fn chat_flood(
    addr: SocketAddr,
    _: String,
    _: InteractionId,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>> {
    Box::pin(async move {
        let body = br#"{"name":"Flood","text":"hi"}"#;
        let tally = post_burst(addr, "/api/chats", JSON, body, (2000, 50)).await;
        format!("chats=2000 {tally}")
    })
}
