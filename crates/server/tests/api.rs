//! `/api/v1` as another server calls it: keys and their scopes, rates, chats started for a
//! contact, case data set by the host, transcripts, agents' states, one-time sign-in tokens, and
//! the OpenAPI document that describes every route.

mod common;

use common::*;
use parley_protocol::act;
use parley_protocol::{ClientMsg, EventKind, ServerMsg};
use parley_server::api::keys::new_key;
use parley_server::config::ApiKeyConfig;
use serde_json::{json, Value};
use std::net::SocketAddr;

struct Keys {
    /// Every scope.
    all: String,
    /// Only `chats.read`.
    reader: String,
    /// `agents.read`, ten requests a minute (a burst of one).
    slow: String,
}

async fn server(db: &std::path::Path) -> (SocketAddr, Keys) {
    let (all, all_hash) = new_key();
    let (reader, reader_hash) = new_key();
    let (slow, slow_hash) = new_key();
    let key = |name: &str, hash: String, scopes: &[&str], rate: u32| ApiKeyConfig {
        name: name.into(),
        key_hashes: vec![hash],
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        requests_per_minute: rate,
    };
    let addr = spawn_server(db, |c| {
        c.api_keys = vec![
            key(
                "crm",
                all_hash,
                &["chats.write", "chats.read", "agents.read", "agents.sign_in"],
                600,
            ),
            key("reports", reader_hash, &["chats.read"], 600),
            key("slow", slow_hash, &["agents.read"], 10),
        ];
    })
    .await;
    (addr, Keys { all, reader, slow })
}

async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let auth = key.map(|k| format!("Bearer {k}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    let (status, text) = http(addr, method, path, &headers, body.as_ref()).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn keys_are_checked_for_their_scopes_and_their_rate() {
    let dir = tempfile::tempdir().expect("tmp");
    let (addr, keys) = server(&dir.path().join("p.db")).await;
    let (status, _) = call(addr, "GET", "/api/v1/chats", None, None).await;
    assert_eq!(status, 401);
    let (status, _) = call(addr, "GET", "/api/v1/chats", Some("pk_guessed"), None).await;
    assert_eq!(status, 401);
    let (status, body) = call(addr, "GET", "/api/v1/chats", Some(&keys.reader), None).await;
    assert_eq!(status, 200, "{body}");
    let start = json!({"name": "Ana Pop"});
    let (status, body) = call(
        addr,
        "POST",
        "/api/v1/chats",
        Some(&keys.reader),
        Some(start),
    )
    .await;
    assert_eq!(status, 403);
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.contains("chats.write")));
    // A key past its rate is told to wait; another key is not slowed by it.
    let (first, _) = call(addr, "GET", "/api/v1/agents", Some(&keys.slow), None).await;
    let (second, _) = call(addr, "GET", "/api/v1/agents", Some(&keys.slow), None).await;
    assert_eq!((first, second), (200, 429));
    let (status, _) = call(addr, "GET", "/api/v1/agents", Some(&keys.all), None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_host_starts_a_chat_sets_its_case_data_and_reads_its_transcript() {
    let dir = tempfile::tempdir().expect("tmp");
    let (addr, keys) = server(&dir.path().join("p.db")).await;
    let mut kate = ready_agent(addr, "kate").await;
    let start = json!({
        "name": "Ana Pop",
        "email": "ana@example.com",
        "text": "Where is my order?",
        "case_data": {"Order number": "A-17"}
    });
    let (status, session) = call(addr, "POST", "/api/v1/chats", Some(&keys.all), Some(start)).await;
    assert_eq!(status, 201, "{session}");
    let ix = parley_protocol::InteractionId(session["interaction"].as_str().expect("id").into());
    // The session opens the contact's side, as the widget would.
    let token = session["token"].as_str().expect("token");
    let mut contact = Client::hello(addr, token, vec![]).await;
    let invitation = next_invitation(&mut kate).await;
    kate.send(&ClientMsg::from(act::Accept {
        invitation: invitation.id,
    }))
    .await;
    kate.expect_event(&ix, |k| message_text(k) == Some("Where is my order?"))
        .await;

    // It is listed among the live chats, with its agent.
    let (status, list) = call(addr, "GET", "/api/v1/chats", Some(&keys.reader), None).await;
    assert_eq!(status, 200);
    let chat = &list["chats"][0];
    assert_eq!(chat["id"], ix.0.as_str());
    assert_eq!(chat["state"], "active");
    assert_eq!(chat["agents"], json!(["kate"]));
    assert_eq!(chat["case_data"]["Order number"], "A-17");

    // Case data from the host reaches the agent at once.
    let value = json!({"key": "CRM case", "value": "CASE-4411"});
    let path = format!("/api/v1/chats/{}/case-data", ix.0);
    let (status, body) = call(addr, "PUT", &path, Some(&keys.all), Some(value)).await;
    assert_eq!(status, 204, "{body}");
    kate.expect_event(&ix, |k| {
        matches!(k, EventKind::CaseData { key, value: Some(v) } if key == "CRM case" && v == "CASE-4411")
    })
    .await;
    let unknown = "/api/v1/chats/ix-nope/case-data";
    let value = json!({"key": "CRM case", "value": "x"});
    let (status, _) = call(addr, "PUT", unknown, Some(&keys.all), Some(value)).await;
    assert_eq!(status, 404);
    let long = json!({"key": "k", "value": "x".repeat(1001)});
    let (status, _) = call(addr, "PUT", &path, Some(&keys.all), Some(long)).await;
    assert_eq!(status, 400);

    contact
        .send(&ClientMsg::from(act::Send {
            interaction: ix.clone(),
            client_id: "c1".into(),
            text: "It is A-17".into(),
            consultation: None,
        }))
        .await;
    kate.expect_event(&ix, |k| message_text(k) == Some("It is A-17"))
        .await;

    // The transcript holds every event, in order, and pages after a seq.
    let path = format!("/api/v1/chats/{}/transcript", ix.0);
    let (status, transcript) = call(addr, "GET", &path, Some(&keys.reader), None).await;
    assert_eq!(status, 200);
    assert_eq!(transcript["contact"]["email"], "ana@example.com");
    let events = transcript["events"].as_array().expect("events");
    let seqs: Vec<u64> = events.iter().filter_map(|e| e["seq"].as_u64()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    let text = transcript["events"].to_string();
    assert!(
        text.contains("It is A-17") && text.contains("CASE-4411"),
        "{text}"
    );
    let after = format!("{path}?after={}", seqs[seqs.len() - 2]);
    let (_, last) = call(addr, "GET", &after, Some(&keys.reader), None).await;
    assert_eq!(last["events"].as_array().map(Vec::len), Some(1));
    let (status, _) = call(
        addr,
        "GET",
        "/api/v1/chats/ix-nope/transcript",
        Some(&keys.reader),
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn agents_states_and_a_one_time_sign_in() {
    let dir = tempfile::tempdir().expect("tmp");
    let (addr, keys) = server(&dir.path().join("p.db")).await;
    let _kate = ready_agent(addr, "kate").await;
    let (status, body) = call(addr, "GET", "/api/v1/agents", Some(&keys.all), None).await;
    assert_eq!(status, 200);
    let kate = body["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["id"] == "kate"))
        .expect("kate");
    assert_eq!(
        (&kate["online"], &kate["status"]),
        (&json!(true), &json!("ready"))
    );
    assert_eq!(kate["capacity"], 3);

    // A host that signed John in itself gets him a token; it signs him in once.
    let (status, body) = call(
        addr,
        "POST",
        "/api/v1/agents/john/sign-in",
        Some(&keys.all),
        None,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().expect("token").to_owned();
    let (status, login) = post(addr, "/api/login/token", json!({"token": token})).await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(login["agent"], "john");
    let john = Client::hello(addr, login["token"].as_str().expect("session"), vec![]).await;
    assert!(john
        .seen
        .iter()
        .any(|m| matches!(m, ServerMsg::Welcome { .. })));
    let (status, _) = post(addr, "/api/login/token", json!({"token": token})).await;
    assert_eq!(status, 401, "used once");
    let (status, _) = post(addr, "/api/login/token", json!({"token": "made-up"})).await;
    assert_eq!(status, 401);
    let (status, _) = call(
        addr,
        "POST",
        "/api/v1/agents/nobody/sign-in",
        Some(&keys.all),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        addr,
        "POST",
        "/api/v1/agents/john/sign-in",
        Some(&keys.reader),
        None,
    )
    .await;
    assert_eq!(status, 403);
}

/// The committed document (`docs/openapi.json`) is the one the code makes; run with
/// `PARLEY_WRITE_OPENAPI=1` to write it after changing a route.
#[tokio::test]
async fn the_committed_openapi_document_is_the_served_one_and_names_every_route() {
    let dir = tempfile::tempdir().expect("tmp");
    let (addr, keys) = server(&dir.path().join("p.db")).await;
    let (status, served) = http(addr, "GET", "/api/v1/openapi.json", &[], None).await;
    assert_eq!(status, 200);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var_os("PARLEY_WRITE_OPENAPI").is_some() {
        std::fs::write(&path, &served).expect("write docs/openapi.json");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == served,
        "docs/openapi.json is not what the code makes: run \
         PARLEY_WRITE_OPENAPI=1 cargo test -p parley-server --test api"
    );
    // Every documented operation is a route (none answers 404 or 405 for its method), and
    // every route answers with the key the document asks for.
    let doc: Value = serde_json::from_str(&served).expect("JSON");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("operations") {
            operations += 1;
            let concrete = path.replace("{id}", "kate");
            let (status, _) = call(
                addr,
                &method.to_uppercase(),
                &concrete,
                Some(&keys.all),
                Some(json!({})),
            )
            .await;
            assert!(
                ![404, 405].contains(&status) || op.to_string().contains("\"404\""),
                "{method} {path}: {status}"
            );
            assert!(op["security"].is_array(), "{method} {path} names its key");
        }
    }
    assert_eq!(
        operations, 6,
        "start, list, transcript, case data, agents, sign-in"
    );
}

#[tokio::test]
async fn the_apps_run_under_a_strict_policy_and_only_listed_pages_frame_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.embed.hosts = vec![parley_server::config::EmbedHost {
            origin: "http://127.0.0.2:8081".into(),
            scopes: vec!["agent.*".into()],
        }];
        c.widget.allowed_embedders = vec!["https://shop.example.com".into()];
        c.server.embed_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../embed");
    })
    .await;
    // The host API module loads into pages of any origin, as a module script does: with CORS.
    let head = head_of(addr, "/embed/parley-desktop.js").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("access-control-allow-origin: *"), "{head}");
    let policy = |head: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix("content-security-policy: "))
            .map(str::to_owned)
    };
    // The framing part of the apps' policy.
    let csp = |head: &str| {
        policy(head)?
            .split("; ")
            .find(|d| d.starts_with("frame-ancestors"))
            .map(str::to_owned)
    };
    let widget = format!("localhost:{}", addr.port());
    for (host, path) in [
        (addr.to_string(), "/"),
        (addr.to_string(), "/some/desktop/route"),
        (widget.clone(), "/chat/"),
    ] {
        let head = head_at(addr, &host, path).await;
        // Scripts only from the server: no inline code, no eval but WebAssembly's.
        let policy = policy(&head).unwrap_or_default();
        assert!(
            policy.starts_with("default-src 'self'; script-src 'self' 'wasm-unsafe-eval';"),
            "{path}: {head}"
        );
        assert!(!policy.contains("unsafe-inline"), "{path}: {head}");
        assert!(
            head.contains("referrer-policy: no-referrer"),
            "{path}: {head}"
        );
        assert!(
            head.contains("permissions-policy: camera=(), microphone=()"),
            "{path}: {head}"
        );
    }
    // An API answer carries the headers every answer does.
    let head = head_of(addr, "/api/embed").await;
    assert!(head.contains("referrer-policy: no-referrer"), "{head}");
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
    for path in ["/", "/some/desktop/route"] {
        let head = head_of(addr, path).await;
        assert_eq!(
            csp(&head).as_deref(),
            Some("frame-ancestors 'self' http://127.0.0.2:8081"),
            "{path}: {head}"
        );
    }
    let head = head_at(addr, &widget, "/chat/").await;
    assert_eq!(
        csp(&head).as_deref(),
        Some("frame-ancestors 'self' https://shop.example.com")
    );

    // The origins and their scopes, for the desktop to answer only them.
    let (status, body) = call(addr, "GET", "/api/embed", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"hosts": [{"origin": "http://127.0.0.2:8081", "scopes": ["agent.*"]}]})
    );

    // Without a list, any site may embed the widget, and no other page may frame the desktop.
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| c.embed.hosts.clear()).await;
    assert_eq!(
        csp(&head_of(addr, "/").await).as_deref(),
        Some("frame-ancestors 'self'")
    );
    let head = head_at(addr, &format!("localhost:{}", addr.port()), "/chat/").await;
    assert_eq!(csp(&head), None);
    assert!(policy(&head).is_some_and(|p| p.contains("script-src 'self' 'wasm-unsafe-eval'")));
}

/// The status line and headers of a GET, lower-cased.
async fn head_of(addr: SocketAddr, path: &str) -> String {
    head_at(addr, &addr.to_string(), path).await
}

/// [`head_of`] naming another host.
async fn head_at(addr: SocketAddr, host: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw).to_lowercase();
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}
