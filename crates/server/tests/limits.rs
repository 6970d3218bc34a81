//! The limits that keep one client from hurting the others (docs/security.md): each refuses
//! what it should, the client hears why, and others are unaffected.

mod common;

use common::*;
use parley_protocol::{ClientMsg, ServerMsg};
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;

/// Asserts the socket is still served: a status change is answered.
async fn still_served(agent: &mut Client) {
    agent
        .send(&ClientMsg::from(parley_protocol::act::SetStatus {
            status: parley_protocol::AgentStatus::Ready,
        }))
        .await;
    agent
        .expect(|m| matches!(m, ServerMsg::Presence { .. } | ServerMsg::Status { .. }))
        .await;
}

/// A login from `address` (named by the trusted proxy in front, 127.0.0.1): status and the
/// `Retry-After` header.
async fn login_from(
    addr: SocketAddr,
    address: &str,
    user: &str,
    password: &str,
) -> (u16, Option<String>) {
    let body = json!({"username": user, "password": password}).to_string();
    let reply = request(
        addr,
        "POST",
        "/api/login",
        &[
            ("Content-Type", "application/json"),
            ("X-Forwarded-For", address),
        ],
        body.as_bytes(),
    )
    .await;
    let retry = reply
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .map(|(_, v)| v.clone());
    (reply.status, retry)
}

#[tokio::test]
async fn password_guessing_waits_longer_and_longer_without_locking_the_agent_out_elsewhere() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let attacker = "203.0.113.9";
    for n in 0..parley_server::throttle::FREE_PER_USER {
        let (status, _) = login_from(addr, attacker, "kate", "guess").await;
        assert_eq!(status, 401, "guess {n}");
    }
    let (status, retry) = login_from(addr, attacker, "kate", "guess").await;
    assert_eq!(status, 429);
    assert_eq!(retry.as_deref(), Some("1"));
    // Even the right password waits, from that address.
    let (status, _) = login_from(addr, attacker, "kate", "kate-demo").await;
    assert_eq!(status, 429);
    // Kate, from her own address, signs in.
    let (status, _) = login_from(addr, "198.51.100.4", "kate", "kate-demo").await;
    assert_eq!(status, 200);
    // After the wait, one more wrong guess doubles it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _) = login_from(addr, attacker, "kate", "guess").await;
    assert_eq!(status, 401);
    let (status, retry) = login_from(addr, attacker, "kate", "guess").await;
    assert_eq!((status, retry.as_deref()), (429, Some("2")));
}

#[tokio::test]
async fn a_forwarded_address_is_believed_only_from_a_trusted_proxy() {
    let dir = tempfile::tempdir().expect("tmp");
    // No proxy is trusted: every request counts as 127.0.0.1's, whatever it claims.
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.trusted_proxies.clear();
    })
    .await;
    for n in 0..parley_server::throttle::FREE_PER_USER {
        let claimed = format!("203.0.113.{n}");
        let (status, _) = login_from(addr, &claimed, "kate", "guess").await;
        assert_eq!(status, 401);
    }
    let (status, _) = login_from(addr, "198.51.100.4", "kate", "guess").await;
    assert_eq!(status, 429, "a made-up X-Forwarded-For escapes nothing");
}

#[tokio::test]
async fn chats_started_from_one_address_are_limited_and_others_still_start() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.trusted_proxies = vec!["127.0.0.0/8".into()];
        c.server.chats_per_minute = 3;
    })
    .await;
    let start = |from: &'static str| async move {
        let body = json!({"name": "Flood", "text": "hi"}).to_string();
        request(
            addr,
            "POST",
            "/api/chats",
            &[
                ("Content-Type", "application/json"),
                ("X-Forwarded-For", from),
            ],
            body.as_bytes(),
        )
        .await
    };
    for _ in 0..3 {
        assert_eq!(start("203.0.113.9").await.status, 200);
    }
    let refused = start("203.0.113.9").await;
    assert_eq!(refused.status, 429);
    assert!(refused
        .headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("retry-after") && v.parse::<u64>().is_ok()));
    assert!(String::from_utf8_lossy(&refused.body).contains("too many chats"));
    assert_eq!(start("198.51.100.4").await.status, 200, "another visitor");
}

#[tokio::test]
async fn a_socket_that_never_says_hello_is_closed_and_others_carry_on() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.hello_timeout_secs = 1;
    })
    .await;
    let mut silent = Client::connect(addr).await;
    let token = login(addr, "kate").await;
    let mut kate = Client::hello(addr, &token, vec![]).await;
    assert_eq!(
        silent.closed_with().await,
        Some(parley_server::gateway::POLICY),
        "closed for saying nothing"
    );
    // Kate, who said hello, is still served after the time-out.
    tokio::time::sleep(Duration::from_millis(300)).await;
    still_served(&mut kate).await;
}

#[tokio::test]
async fn connections_over_the_cap_of_one_address_are_closed_at_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.max_connections_per_address = 3;
        // A trusted proxy (the demo trusts 127.0.0.1) has no per-address cap.
        c.server.trusted_proxies.clear();
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(Client::connect(addr).await);
    }
    // A fourth is closed before any answer.
    let (status, _) = http(addr, "GET", "/healthz", &[], None).await;
    assert_eq!(status, 0, "no answer over the cap");
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, body) = http(addr, "GET", "/healthz", &[], None).await;
    assert_eq!(
        (status, body.as_str()),
        (200, "ok"),
        "a place was given back"
    );
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.header_read_timeout_secs = 1;
    })
    .await;
    let mut slow = tokio::net::TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
    assert!(
        read.is_ok(),
        "the server closed the connection within the time-out"
    );
    let (status, _) = http(addr, "GET", "/healthz", &[], None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn logging_out_closes_the_sessions_sockets_at_once_and_no_others() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let token = login(addr, "kate").await;
    let other = login(addr, "kate").await;
    let mut first = Client::hello(addr, &token, vec![]).await;
    let mut second = Client::hello(addr, &token, vec![]).await;
    let mut elsewhere = Client::hello(addr, &other, vec![]).await;
    assert_eq!(logout(addr, &token).await, 204);
    for socket in [&mut first, &mut second] {
        assert_eq!(
            socket.closed_with().await,
            Some(parley_server::gateway::SESSION_ENDED)
        );
    }
    assert!(!admitted(addr, &token).await);
    // Kate's other session is still served.
    still_served(&mut elsewhere).await;
}

#[tokio::test]
async fn pages_of_other_origins_cannot_log_in_start_chats_or_upload() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let login = json!({"username": "kate", "password": "kate-demo"}).to_string();
    let chat = json!({"name": "Mark", "text": "hi"}).to_string();
    let own = format!("http://{addr}");
    for (path, body) in [
        ("/api/login", login.as_str()),
        ("/api/chats", chat.as_str()),
        ("/api/files?interaction=ix-1&name=a.png", ""),
    ] {
        let from = |origin: &str| {
            let headers = [("Content-Type", "application/json"), ("Origin", origin)];
            let body = body.as_bytes().to_vec();
            let headers: Vec<(String, String)> = headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            async move {
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                request(addr, "POST", path, &headers, &body).await.status
            }
        };
        assert_eq!(from("http://evil.example").await, 403, "{path}");
        assert_ne!(from(&own).await, 403, "{path} from Parley's own page");
    }
}

#[tokio::test]
async fn the_demo_passwords_never_listen_beyond_this_machine() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut config = parley_server::config::load(&demo_config_path()).expect("demo configuration");
    config.server.db = dir.path().join("p.db");
    config.server.addr = "0.0.0.0:0".into();
    let refused = parley_server::start(config.clone())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        refused.contains("demo's published passwords") && refused.contains("john"),
        "{refused}"
    );
    assert_eq!(parley_server::demo_passwords(&config).len(), 3);
    for agent in &mut config.agents {
        agent.password_hash = parley_server::auth::hash_password("a-real-secret").expect("hash");
    }
    assert!(parley_server::demo_passwords(&config).is_empty());
}

#[tokio::test]
async fn a_socket_that_answers_no_pings_is_closed_as_dead() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.ping_secs = 1;
    })
    .await;
    let mut silent = Client::hello(addr, &login(addr, "kate").await, vec![]).await;
    let mut live = Client::hello(addr, &login(addr, "john").await, vec![]).await;
    // John's client reads (and so answers the pings) for four seconds; Kate's reads nothing.
    let until = std::time::Instant::now() + Duration::from_secs(4);
    while std::time::Instant::now() < until {
        live.try_next(Duration::from_millis(200)).await;
    }
    assert_eq!(silent.closed_with().await, None, "closed without a word");
    still_served(&mut live).await;
}

#[tokio::test]
async fn guesses_sent_all_at_once_do_not_slip_past_the_wait() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let guesses = (0..24).map(|_| login_from(addr, "203.0.113.9", "kate", "guess"));
    let answers = futures::future::join_all(guesses).await;
    let checked = answers.iter().filter(|(status, _)| *status == 401).count();
    let waited = answers.iter().filter(|(status, _)| *status == 429).count();
    // The free guesses, and at most one more per password check running when they ran out.
    let most = parley_server::throttle::FREE_PER_USER as usize + 4;
    assert!(checked <= most, "{checked} passwords checked of 24");
    assert_eq!(checked + waited, 24);
}

#[tokio::test]
async fn a_session_ends_when_idle_and_at_its_limit_closing_its_sockets() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.session_idle_secs = 2;
        c.server.session_max_secs = 6;
    })
    .await;
    let idle = login(addr, "john").await;
    let kept = login(addr, "kate").await;
    let mut open = Client::hello(addr, &kept, vec![]).await;
    // John's session has no desktop open: it ends once idle. Kate's has one: it lives on.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(!admitted(addr, &idle).await, "ended when idle");
    assert!(admitted(addr, &kept).await, "in use: not idle");
    // At its limit it ends even in use, and its sockets close.
    assert_eq!(
        open.closed_with().await,
        Some(parley_server::gateway::SESSION_ENDED)
    );
    assert!(!admitted(addr, &kept).await);
}

#[tokio::test]
async fn a_handed_off_session_keeps_its_login_time_and_a_dead_one_hands_off_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        // Rounds every second; the socket kept open below keeps idleness out of it.
        c.server.session_idle_secs = 4;
        c.server.session_max_secs = 3;
    })
    .await;
    let handoff = |session: String| async move {
        let auth = format!("Bearer {session}");
        let (status, body) = http(
            addr,
            "POST",
            "/api/login/handoff",
            &[("Authorization", &auth)],
            None,
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let body: serde_json::Value = serde_json::from_str(&body).expect("json");
        body["token"].as_str().expect("token").to_owned()
    };
    let first = login(addr, "kate").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Half-way through the session, it moves to a new window.
    let (status, moved) = post(
        addr,
        "/api/login/token",
        json!({ "token": handoff(first).await }),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    let moved = moved["token"].as_str().expect("session").to_owned();
    let _desktop = Client::hello(addr, &moved, vec![]).await;
    // It ends at the first login's limit, not three seconds after the move.
    let mut ended_after = None;
    for tenth in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if !admitted(addr, &moved).await {
            ended_after = Some(tenth);
            break;
        }
    }
    let ended_after = ended_after.expect("the moved session ended");
    assert!(
        ended_after < 25,
        "ended {ended_after} tenths after the move's 1.5 s"
    );

    // A link made by a session that then logged out signs nobody in.
    let session = login(addr, "john").await;
    let link = handoff(session.clone()).await;
    assert_eq!(logout(addr, &session).await, 204);
    let (status, _) = post(addr, "/api/login/token", json!({ "token": link })).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_page_on_a_rebound_domain_is_refused_and_probes_still_answer() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let login = json!({"username": "kate", "password": "kate-demo"}).to_string();
    let as_host = |host: &'static str, path: &'static str| {
        let login = login.clone();
        async move {
            request(
                addr,
                "POST",
                path,
                &[("Host", host), ("Content-Type", "application/json")],
                login.as_bytes(),
            )
            .await
            .status
        }
    };
    // evil.example resolving to 127.0.0.1: the browser sends its name.
    assert_eq!(as_host("evil.example:8080", "/api/login").await, 421);
    assert_eq!(as_host("[::1]:8080", "/api/login").await, 200);
    let probe = request(addr, "GET", "/healthz", &[("Host", "10.1.2.3:8080")], b"").await;
    assert_eq!(probe.status, 200, "probes use whatever name they have");
}

#[tokio::test]
async fn behind_an_https_public_origin_the_cookie_is_secure_and_host_only() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.public_origin = Some("https://chat.example.com".into());
    })
    .await;
    let body = json!({"username": "kate", "password": "kate-demo"}).to_string();
    let reply = request(
        addr,
        "POST",
        "/api/login",
        &[
            ("Host", "chat.example.com"),
            ("Origin", "https://chat.example.com"),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
    .await;
    assert_eq!(reply.status, 200);
    let cookie = reply
        .headers
        .iter()
        .find(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    assert!(
        cookie.starts_with("__Host-parley_session=") && cookie.contains("Secure"),
        "{cookie}"
    );
    let other = request(addr, "GET", "/", &[("Host", "parley.other.example")], b"").await;
    assert_eq!(other.status, 421);
}

#[tokio::test]
async fn an_upload_is_refused_before_its_body_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    // Ten MiB announced, none sent, a token nobody holds: the answer comes at once.
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /api/files?interaction=ix-1&name=a.png HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer forged\r\nContent-Type: image/png\r\n\
         Content-Length: 10485760\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.expect("write");
    let mut answer = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(3), tcp.read(&mut answer))
        .await
        .expect("answered without waiting for the body")
        .expect("read");
    assert!(
        String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 401"),
        "{}",
        String::from_utf8_lossy(&answer[..n])
    );
}

#[tokio::test]
async fn a_chat_holds_so_many_files_and_a_sender_sends_so_many_a_minute() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.max_files_per_chat = 2;
        c.server.uploads_per_minute = 3;
    })
    .await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, _contact, token) = chat_with(addr, &mut kate, "Mark Avram").await;
    for n in 0..2 {
        let sent = upload(addr, &token, &ix, "a.png", "image/png", PNG).await;
        assert_eq!(sent.status, 201, "file {n}");
    }
    let third = upload(addr, &token, &ix, "a.png", "image/png", PNG).await;
    assert_eq!(third.status, 413);
    assert!(String::from_utf8_lossy(&third.body).contains("holds all the files"));
    // The refused third counted against the rate: the fourth try is over it.
    let fourth = upload(addr, &token, &ix, "a.png", "image/png", PNG).await;
    assert_eq!(fourth.status, 429);
}

#[tokio::test]
async fn sockets_of_one_token_share_one_frame_budget() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.frame_burst = 5;
        c.server.frames_per_second = 1;
    })
    .await;
    let token = login(addr, "kate").await;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        sockets.push(Client::hello(addr, &token, vec![]).await);
    }
    // Three frames on each socket, each within a socket's own burst: together, over it.
    for socket in &mut sockets {
        for _ in 0..3 {
            socket.send_raw("{not json").await;
        }
    }
    let mut limited = 0;
    for socket in &mut sockets {
        for _ in 0..3 {
            if let ServerMsg::Error { code, .. } = socket
                .expect(|m| matches!(m, ServerMsg::Error { .. }))
                .await
            {
                limited += usize::from(code == parley_protocol::ErrorCode::RateLimited);
            }
        }
    }
    assert!(
        limited >= 3,
        "{limited} of 9 frames were over the shared budget"
    );
    // Another agent's budget is her own.
    let mut john = Client::hello(addr, &login(addr, "john").await, vec![]).await;
    john.send_raw("{not json").await;
    let answer = john.expect(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(
        matches!(
            answer,
            ServerMsg::Error {
                code: parley_protocol::ErrorCode::BadFrame,
                ..
            }
        ),
        "{answer:?}"
    );
}

#[tokio::test]
async fn the_widget_lives_on_its_own_host_which_serves_nothing_of_the_desktop() {
    let dir = tempfile::tempdir().expect("tmp");
    // The demo configuration names `localhost` as the widget's host.
    let pages = dir.path().join("widget");
    std::fs::create_dir_all(&pages).expect("dir");
    std::fs::write(pages.join("index.html"), "<title>Chat with us</title>").expect("page");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        assert_eq!(c.server.widget_host.as_deref(), Some("localhost"));
        c.server.widget_dir = pages.clone();
    })
    .await;
    let widget = format!("localhost:{}", addr.port());
    let widget_origin = format!("http://{widget}");
    let on_widget =
        |method: &'static str, path: &'static str, extra: Vec<(&'static str, String)>| {
            let widget = widget.clone();
            async move {
                let mut headers: Vec<(&str, &str)> = vec![("Host", widget.as_str())];
                headers.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
                request(addr, method, path, &headers, b"").await
            }
        };

    // The desktop's host sends browsers to the widget's, query and all.
    let moved = request(addr, "GET", "/chat/?queue=billing", &[], b"").await;
    assert_eq!(moved.status, 307);
    assert_eq!(
        moved.header("location"),
        Some(format!("{widget_origin}/chat/?queue=billing").as_str())
    );
    // The widget's host serves the widget, and nothing of the desktop or the API.
    let page = on_widget("GET", "/chat/", vec![]).await;
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("Chat with us"));
    for path in [
        "/",
        "/api/login",
        "/api/v1/agents",
        "/api/embed",
        "/embed/parley-desktop.js",
    ] {
        let method = if path == "/api/login" { "POST" } else { "GET" };
        let refused = request(addr, method, path, &[("Host", widget.as_str())], b"").await;
        assert_eq!(refused.status, 404, "{path} on the widget's host");
    }

    // A contact starts a chat from the widget's origin; a page of the desktop's may not there.
    let form = json!({"name": "Mark Avram", "text": "Hello"}).to_string();
    let start = |origin: String| {
        let (widget, form) = (widget.clone(), form.clone());
        async move {
            let headers = [
                ("Host", widget.as_str()),
                ("Origin", origin.as_str()),
                ("Content-Type", "application/json"),
            ];
            request(addr, "POST", "/api/chats", &headers, form.as_bytes()).await
        }
    };
    assert_eq!(start(format!("http://{addr}")).await.status, 403);
    let started = start(widget_origin.clone()).await;
    assert_eq!(started.status, 200);
    let body: serde_json::Value = serde_json::from_slice(&started.body).expect("json");
    let contact_token = body["token"].as_str().expect("token").to_owned();

    // Its socket takes the contact; an agent's token, or the agent's cookie, gets nothing there.
    let url = format!("ws://{widget}/ws");
    let hello = |token: Option<String>| ClientMsg::Hello {
        v: parley_protocol::PROTOCOL_VERSION,
        token,
        resume: vec![],
        client: None,
    };
    let answer = |mut c: Client| async move {
        c.expect(|m| matches!(m, ServerMsg::Welcome { .. } | ServerMsg::Error { .. }))
            .await
    };
    let mut contact = Client::connect_to(&url).await;
    contact.send(&hello(Some(contact_token))).await;
    assert!(matches!(answer(contact).await, ServerMsg::Welcome { .. }));
    let agent_token = login(addr, "kate").await;
    let mut agent = Client::connect_to(&url).await;
    agent.send(&hello(Some(agent_token.clone()))).await;
    assert!(
        matches!(
            answer(agent).await,
            ServerMsg::Error {
                code: parley_protocol::ErrorCode::Forbidden,
                ..
            }
        ),
        "an agent's hello on the widget's host"
    );
    let cookie = format!("{}={agent_token}", parley_server::http::SESSION_COOKIE);
    let refused = on_widget(
        "POST",
        "/api/files?interaction=x&name=a.png",
        vec![("Cookie", cookie.clone())],
    )
    .await;
    assert_eq!(
        refused.status, 401,
        "the agent's cookie is not read on the widget's host"
    );
    let bearer = format!("Bearer {agent_token}");
    let refused = on_widget(
        "POST",
        "/api/files?interaction=x&name=a.png",
        vec![("Authorization", bearer)],
    )
    .await;
    assert_eq!(refused.status, 403, "nor an agent's token");

    // A widget page never acts on the desktop's host, where the agent's cookie goes along when
    // the two are names of one site: no write, no socket.
    let host = addr.to_string();
    let from_widget = [
        ("Origin", widget_origin.as_str()),
        ("Cookie", cookie.as_str()),
    ];
    let logout = request(addr, "POST", "/api/logout", &from_widget, b"").await;
    assert_eq!(logout.status, 403);
    let upgrade = [
        ("Host", host.as_str()),
        ("Origin", widget_origin.as_str()),
        ("Cookie", cookie.as_str()),
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    assert_eq!(request(addr, "GET", "/ws", &upgrade, b"").await.status, 403);
    // The desktop's host still takes the agent.
    assert!(admitted(addr, &agent_token).await);
}

#[tokio::test]
async fn uploads_are_refused_while_the_disk_is_nearly_full_and_nothing_is_read() {
    let dir = tempfile::tempdir().expect("tmp");
    // More free space than any disk has: the disk counts as nearly full.
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.min_free_disk_bytes = u64::MAX / 4;
    })
    .await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, _contact, token) = chat_with(addr, &mut kate, "Mark Avram").await;
    let refused = upload(addr, &token, &ix, "a.png", "image/png", PNG).await;
    assert_eq!(refused.status, 507);
    assert!(String::from_utf8_lossy(&refused.body).contains("short of disk space"));
    let files = dir.path().join("files");
    let stored = std::fs::read_dir(&files).map_or(0, |d| d.count());
    assert_eq!(stored, 0, "nothing was written");

    // With room, the same upload goes through.
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.min_free_disk_bytes = 1;
    })
    .await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, _contact, token) = chat_with(addr, &mut kate, "Mark Avram").await;
    assert_eq!(
        upload(addr, &token, &ix, "a.png", "image/png", PNG)
            .await
            .status,
        201
    );
}
