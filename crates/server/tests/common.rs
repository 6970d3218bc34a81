//! Helpers for the server integration tests: a real server on 127.0.0.1:0 with a temporary
//! SQLite file, a tiny HTTP client and WebSocket clients acting as contacts and agents.
#![allow(dead_code)]

use futures::{SinkExt, StreamExt};
use parley_protocol::act;
use parley_protocol::{ClientMsg, InteractionId, Resume, ServerMsg, PROTOCOL_VERSION};
use parley_server::config::Config;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

pub const WAIT: Duration = Duration::from_secs(10);

pub fn demo_config_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/demo.toml")
}

/// Starts a server in this process; it lives as long as the test's runtime.
pub async fn spawn_server(db: &Path, tweak: impl FnOnce(&mut Config)) -> SocketAddr {
    let mut config = parley_server::config::load(&demo_config_path()).expect("demo config");
    config.server.addr = "127.0.0.1:0".into();
    config.server.db = db.to_owned();
    tweak(&mut config);
    let server = config.server.clone();
    let (listener, app) = parley_server::start(config).await.expect("server starts");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        parley_server::net::serve(listener, app, &server, std::future::pending()).await
    });
    addr
}

/// Where the head of a response ends (the blank line), if it has arrived.
fn head_end(raw: &[u8]) -> Option<usize> {
    raw.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Whether a response is complete without waiting for the server to close: a 101's head, or a
/// head plus `Content-Length` bytes.
fn complete(raw: &[u8]) -> bool {
    let Some(end) = head_end(raw) else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]);
    if head.starts_with("HTTP/1.1 101") {
        return true;
    }
    let length = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())
            .flatten()
    });
    length.is_some_and(|n| raw.len() - end - 4 >= n)
}

/// A response: status, headers (names lower-case) and body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A minimal HTTP/1.1 request with a raw body.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("connection"))
    {
        req.push_str("Connection: close\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    // A refused upload may be answered before it is all sent: a failed write is not an error.
    let _ = stream.write_all(&bytes).await;
    let mut raw = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            raw.extend_from_slice(&buf[..n]);
            if n == 0 || complete(&raw) {
                break;
            }
        }
    };
    tokio::time::timeout(WAIT, read)
        .await
        .expect("response in time");
    let end = head_end(&raw).unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: raw.get(end + 4..).unwrap_or_default().to_vec(),
    }
}

/// A minimal HTTP/1.1 request with an optional JSON body; returns status and body.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, String) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut all = headers.to_vec();
    if !body.is_empty() {
        all.push(("Content-Type", "application/json"));
    }
    let reply = request(addr, method, path, &all, body.as_bytes()).await;
    (
        reply.status,
        String::from_utf8_lossy(&reply.body).into_owned(),
    )
}

pub async fn post(addr: SocketAddr, path: &str, body: Value) -> (u16, Value) {
    let (status, body) = http(addr, "POST", path, &[], Some(&body)).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

pub async fn login(addr: SocketAddr, user: &str) -> String {
    let (status, body) = post(
        addr,
        "/api/login",
        json!({"username": user, "password": format!("{user}-demo")}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().expect("token").to_owned()
}

/// The demo configuration's secret for visitors' identities.
pub const DEMO_IDENTITY_SECRET: &str = "demo-identity-secret-for-this-machine-only";

/// An identity the contact's site signed with the demo secret, good for `secs` from now.
pub fn identity(email: &str, secs: i64) -> String {
    let claims = json!({
        "sub": email, "email": email, "aud": "parley",
        "exp": parley_server::now_ms() / 1000 + secs,
    });
    let key = jsonwebtoken::EncodingKey::from_secret(DEMO_IDENTITY_SECRET.as_bytes()).expect("key");
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).expect("signed")
}

/// Starts a chat as a contact whose site vouched for its e-mail (`<name>@example.com`);
/// returns the interaction and the contact token.
pub async fn start_chat(addr: SocketAddr, name: &str, text: &str) -> (InteractionId, String) {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    let (status, body) = post(
        addr,
        "/api/chats",
        json!({"name": name, "text": text, "identity": identity(&email, 300)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (
        InteractionId(body["interaction"].as_str().expect("id").into()),
        body["token"].as_str().expect("token").into(),
    )
}

/// Logs the session of `token` out; the answer's status.
pub async fn logout(addr: SocketAddr, token: &str) -> u16 {
    let auth = format!("Bearer {token}");
    http(
        addr,
        "POST",
        "/api/logout",
        &[("Authorization", &auth)],
        None,
    )
    .await
    .0
}

/// Whether the server takes `token` (an agent's session or a contact's token) at `hello`.
pub async fn admitted(addr: SocketAddr, token: &str) -> bool {
    let mut c = Client::connect(addr).await;
    c.send(&ClientMsg::Hello {
        v: PROTOCOL_VERSION,
        token: Some(token.into()),
        resume: vec![],
        client: None,
    })
    .await;
    let answer = c
        .expect(|m| matches!(m, ServerMsg::Welcome { .. } | ServerMsg::Error { .. }))
        .await;
    matches!(answer, ServerMsg::Welcome { .. })
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// A WebSocket client that keeps every frame it received.
pub struct Client {
    ws: Ws,
    pub seen: Vec<ServerMsg>,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Self {
        Self::connect_to(&format!("ws://{addr}/ws")).await
    }

    /// Connects to a socket address written out (another host name, say).
    pub async fn connect_to(url: &str) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connect");
        Self {
            ws,
            seen: Vec::new(),
        }
    }

    /// Connects and says hello with this token; waits for the welcome.
    pub async fn hello(addr: SocketAddr, token: &str, resume: Vec<Resume>) -> Self {
        Self::hello_as(addr, token, resume, None).await
    }

    /// [`Client::hello`] as an app of the release before protocol 4 says it.
    pub async fn hello_v3(addr: SocketAddr, token: &str, resume: Vec<Resume>) -> Self {
        let mut c = Self::connect(addr).await;
        c.send(&ClientMsg::Hello {
            v: 3,
            token: Some(token.into()),
            resume,
            client: None,
        })
        .await;
        c.expect(|m| matches!(m, ServerMsg::Welcome { .. })).await;
        c
    }

    /// [`Client::hello`] naming the client instance (`client`), which makes request ids act once.
    pub async fn hello_as(
        addr: SocketAddr,
        token: &str,
        resume: Vec<Resume>,
        client: Option<&str>,
    ) -> Self {
        let mut c = Self::connect(addr).await;
        c.send(&ClientMsg::Hello {
            v: PROTOCOL_VERSION,
            token: Some(token.into()),
            resume,
            client: client.map(str::to_owned),
        })
        .await;
        c.expect(|m| matches!(m, ServerMsg::Welcome { .. })).await;
        c
    }

    pub async fn send(&mut self, msg: &ClientMsg) {
        self.send_raw(&msg.to_frame()).await;
    }

    pub async fn send_raw(&mut self, frame: &str) {
        self.ws
            .send(Message::Text(frame.into()))
            .await
            .expect("ws send");
    }

    /// Writes bytes onto the connection under the WebSocket library, as a client that does not
    /// keep the protocol's rules would.
    pub async fn send_bytes_raw(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt;
        match self.ws.get_mut() {
            tokio_tungstenite::MaybeTlsStream::Plain(tcp) => {
                tcp.write_all(bytes).await.expect("raw write")
            }
            _ => panic!("a plain connection"),
        }
    }

    /// The next frame from the server.
    pub async fn next(&mut self) -> ServerMsg {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame in time")
                .expect("open")
                .expect("frame");
            if let Message::Text(t) = frame {
                let msg = ServerMsg::parse(t.as_str()).expect("server frame parses");
                self.seen.push(msg.clone());
                return msg;
            }
        }
    }

    /// The next frame if one arrives within `wait`.
    pub async fn try_next(&mut self, wait: Duration) -> Option<ServerMsg> {
        loop {
            let frame = tokio::time::timeout(wait, self.ws.next())
                .await
                .ok()??
                .ok()?;
            if let Message::Text(t) = frame {
                let msg = ServerMsg::parse(t.as_str()).ok()?;
                self.seen.push(msg.clone());
                return Some(msg);
            }
        }
    }

    /// The next message within `wait`, or how the socket closed (`Err(None)`: no close frame,
    /// or nothing came in time).
    pub async fn next_or_closed(&mut self, wait: Duration) -> Result<ServerMsg, Option<u16>> {
        loop {
            match tokio::time::timeout(wait, self.ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    if let Ok(msg) = ServerMsg::parse(t.as_str()) {
                        self.seen.push(msg.clone());
                        return Ok(msg);
                    }
                }
                Ok(Some(Ok(Message::Close(frame)))) => return Err(frame.map(|f| u16::from(f.code))),
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_)) | None) | Err(_) => return Err(None),
            }
        }
    }

    /// Reads frames until one matches.
    pub async fn expect(&mut self, pred: impl Fn(&ServerMsg) -> bool) -> ServerMsg {
        loop {
            let m = self.next().await;
            if pred(&m) {
                return m;
            }
        }
    }

    /// Reads frames until one event in `interaction` satisfies the predicate; returns its seq.
    /// Waits for an error frame with this code.
    pub async fn expect_error(&mut self, code: parley_protocol::ErrorCode) -> ServerMsg {
        self.expect(|m| matches!(m, ServerMsg::Error { code: c, .. } if *c == code))
            .await
    }

    pub async fn expect_event(
        &mut self,
        interaction: &InteractionId,
        pred: impl Fn(&parley_protocol::EventKind) -> bool,
    ) -> u64 {
        loop {
            if let ServerMsg::Events {
                interaction: i,
                events,
            } = self.next().await
            {
                if &i == interaction {
                    if let Some(e) = events.iter().find(|e| pred(&e.kind)) {
                        return e.seq;
                    }
                }
            }
        }
    }

    /// Every event seen so far, for one interaction, in arrival order.
    pub fn events(&self, interaction: &InteractionId) -> Vec<parley_protocol::Event> {
        self.seen
            .iter()
            .filter_map(|m| match m {
                ServerMsg::Events {
                    interaction: i,
                    events,
                } if i == interaction => Some(events.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Reads until the server closes the socket; the close code, if it sent one.
    pub async fn closed_with(&mut self) -> Option<u16> {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("closed in time");
            match frame {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// Starts the `parley-server` binary on the demo configuration and a free port (killed when
/// dropped); the process and its address.
pub async fn launch_server(db: &Path) -> (tokio::process::Child, SocketAddr) {
    launch_server_with(&demo_config_path(), db).await
}

/// The demo configuration with more sections after it, written into `dir` as `file`.
pub fn demo_config_with(dir: &Path, file: &str, extra: &str) -> PathBuf {
    config_with(&demo_config_path(), dir, file, extra)
}

/// A configuration (`base`: the demo's, or a previous release's) with more sections after it,
/// written into `dir` as `file`; its attachments are the demo's.
pub fn config_with(base: &Path, dir: &Path, file: &str, extra: &str) -> PathBuf {
    let demo = demo_config_path();
    let config_dir = demo.parent().expect("config dir");
    let text = std::fs::read_to_string(base).expect("base config");
    // Attachments are relative to the configuration's own folder.
    let text = text.replace(
        "attachment = \"",
        &format!("attachment = \"{}/", config_dir.display()),
    );
    let path = dir.join(file);
    std::fs::write(&path, format!("{text}\n{extra}\n")).expect("config");
    path
}

/// [`launch_server`] with this configuration file.
pub async fn launch_server_with(config: &Path, db: &Path) -> (tokio::process::Child, SocketAddr) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_parley-server"))
        .arg("--config")
        .arg(config)
        .arg("--db")
        .arg(db)
        .arg("--addr")
        .arg("127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .expect("announces in time")
        .expect("reads")
        .expect("a line");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("address in the banner");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr.parse().expect("socket address"))
}

/// Logs an agent in, says hello and goes Ready.
pub async fn ready_agent(addr: SocketAddr, user: &str) -> Client {
    let token = login(addr, user).await;
    ready_agent_with(addr, &token).await
}

/// An agent logged in with `token`, connected and Ready.
pub async fn ready_agent_with(addr: SocketAddr, token: &str) -> Client {
    let mut agent = Client::hello(addr, token, vec![]).await;
    agent
        .send(&ClientMsg::from(act::SetStatus {
            status: parley_protocol::AgentStatus::Ready,
        }))
        .await;
    agent
        .expect(|m| {
            matches!(
                m,
                ServerMsg::Status {
                    status: parley_protocol::AgentStatus::Ready
                }
            )
        })
        .await;
    agent
}

/// Waits for the next offer and returns it.
pub async fn next_invitation(agent: &mut Client) -> parley_protocol::Invitation {
    match agent
        .expect(|m| matches!(m, ServerMsg::Invitation { .. }))
        .await
    {
        ServerMsg::Invitation { invitation } => invitation,
        _ => unreachable!(),
    }
}

/// A contact's chat accepted by `agent`: returns the interaction, the contact client and its token.
pub async fn chat_with(
    addr: SocketAddr,
    agent: &mut Client,
    contact: &str,
) -> (InteractionId, Client, String) {
    let (ix, token) = start_chat(addr, contact, "Hello").await;
    let contact = Client::hello(addr, &token, vec![]).await;
    accept_next(agent, &ix).await;
    (ix, contact, token)
}

/// The agent accepts its next offer, which is of `ix`, and waits until the chat opens.
pub async fn accept_next(agent: &mut Client, ix: &InteractionId) {
    let invitation = next_invitation(agent).await;
    assert_eq!(&invitation.interaction.id, ix, "the offer is of this chat");
    agent
        .send(&ClientMsg::from(act::Accept {
            invitation: invitation.id,
        }))
        .await;
    agent
        .expect(|m| matches!(m, ServerMsg::Opened { interaction } if &interaction.id == ix))
        .await;
}

/// The agent ends the chat; it waits until the chat has ended (and waits for wrap-up).
pub async fn end_chat(agent: &mut Client, ix: &InteractionId) {
    agent
        .send(&ClientMsg::from(act::End {
            interaction: ix.clone(),
        }))
        .await;
    agent
        .expect_event(ix, |k| {
            matches!(k, parley_protocol::EventKind::Ended { .. })
        })
        .await;
}

/// The agent ends the chat and marks it done ("Resolved"); it waits until the chat closes.
pub async fn finish(agent: &mut Client, ix: &InteractionId) {
    end_chat(agent, ix).await;
    agent
        .send(&ClientMsg::from(act::Done {
            interaction: ix.clone(),
            disposition: Some("Resolved".into()),
            note: None,
        }))
        .await;
    agent
        .expect(|m| matches!(m, ServerMsg::Closed { interaction } if interaction == ix))
        .await;
}

pub fn message_text(kind: &parley_protocol::EventKind) -> Option<&str> {
    match kind {
        parley_protocol::EventKind::Message { text, .. } => Some(text),
        _ => None,
    }
}

/// The smallest PNG the server's content check accepts.
pub const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

pub fn upload_path(ix: &InteractionId, name: &str) -> String {
    format!("/api/files?interaction={}&name={name}", ix.as_str())
}

/// Uploads a file into a chat with a bearer token.
pub async fn upload(
    addr: SocketAddr,
    token: &str,
    ix: &InteractionId,
    name: &str,
    mime: &str,
    body: &[u8],
) -> Reply {
    let auth = format!("Bearer {token}");
    request(
        addr,
        "POST",
        &upload_path(ix, name),
        &[("Authorization", &auth), ("Content-Type", mime)],
        body,
    )
    .await
}

/// The seq of the ack for `client_id`, waiting for it.
pub async fn ack_of(client: &mut Client, client_id: &str) -> u64 {
    match client
        .expect(|m| matches!(m, ServerMsg::Ack { client_id: c, .. } if c == client_id))
        .await
    {
        ServerMsg::Ack { seq, .. } => seq,
        _ => unreachable!(),
    }
}

/// A new, empty PostgreSQL database on the server `cargo xtask test` starts (its address in
/// `PARLEY_TEST_POSTGRES`). Without one the test fails and says so: the cluster's tests never
/// fall back to SQLite or to memory.
pub async fn postgres_database(name: &str) -> String {
    use sqlx::{Connection, Executor};
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let admin = std::env::var("PARLEY_TEST_POSTGRES").expect(
        "PARLEY_TEST_POSTGRES is not set: the PostgreSQL tests run under `cargo xtask test`, \
         which starts PostgreSQL and Redis",
    );
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let db = format!("{name}_{}_{n}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("the test PostgreSQL answers");
    conn.execute(format!("CREATE DATABASE {db}").as_str())
        .await
        .expect("a new database");
    let (server, _) = admin.rsplit_once('/').expect("a database URL");
    format!("{server}/{db}")
}

/// Reads until a consultation of `ix` starts; its id.
pub async fn consultation_id(agent: &mut Client, ix: &InteractionId) -> String {
    let mut found = None;
    while found.is_none() {
        if let ServerMsg::Events {
            interaction,
            events,
        } = agent.next().await
        {
            if &interaction == ix {
                found = events.iter().find_map(|e| match &e.kind {
                    parley_protocol::EventKind::ConsultationStarted { consultation, .. } => {
                        Some(consultation.clone())
                    }
                    _ => None,
                });
            }
        }
    }
    found.unwrap_or_default()
}
