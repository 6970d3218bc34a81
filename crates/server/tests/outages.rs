//! A cluster's shared services failing under running nodes: Redis restarted, PostgreSQL out of
//! reach for a few seconds. Each test runs its own Redis, or reaches PostgreSQL through a proxy
//! it can cut, so the other tests' services are not touched. After each: every acknowledged
//! message reaches the agent once, in order, each client's `seq` has no gap, and the agent who
//! was Ready still is.

mod common;
#[path = "cluster/harness.rs"]
mod harness;

use common::*;
use harness::*;
use parley_protocol::act;
use parley_protocol::{ClientMsg, ErrorCode, Event, InteractionId, ServerMsg};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A Redis server of the test's own, on a port it keeps across restarts.
struct OwnRedis {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut redis = Self {
            port,
            dir: tempfile::tempdir().expect("tmp"),
            child: None,
        };
        redis.restart().await;
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts it (again) and waits until it accepts connections.
    async fn restart(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(self.dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts (cargo xtask test installs it)");
        self.child = Some(child);
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "Redis starts");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends it a signal (`STOP` hangs it, `CONT` wakes it).
    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id();
        let sent = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .expect("kill runs");
        assert!(sent.success());
    }

    /// `kill -9`: everything it held (the writer's inbox, subscriptions) is gone.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A TCP proxy the test can cut: while cut, it drops every connection it carries and every new
/// one, as a network partition or a restarting database would.
struct Proxy {
    addr: SocketAddr,
    cut: watch::Sender<bool>,
}

impl Proxy {
    async fn to(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (cut, is_cut) = watch::channel(false);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut is_cut = is_cut.clone();
                if *is_cut.borrow() {
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = is_cut.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Self { addr, cut }
    }

    fn cut(&self, cut: bool) {
        self.cut.send_replace(cut);
    }
}

/// What became of a message sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    /// Acknowledged: stored.
    Stored,
    /// Refused with this error: not stored.
    Refused(ErrorCode),
    /// The socket closed (with this code) before an answer: stored or not, it is sent again.
    Closed(Option<u16>),
}

/// A contact on one node and Kate on the other, in a chat with three messages from the contact.
struct Chat {
    ix: InteractionId,
    contact_token: String,
    kate_token: String,
    contact: Client,
    kate: Client,
    /// Every event each has received, over all its connections.
    contact_events: Vec<Event>,
    kate_events: Vec<Event>,
}

impl Chat {
    async fn start(contact_node: &Node, kate_node: &Node) -> Self {
        let (ix, contact_token) = first_chat(contact_node.addr, "Ana Pop").await;
        let contact = Client::hello(contact_node.addr, &contact_token, vec![]).await;
        let kate_token = login(kate_node.addr, "kate").await;
        let mut kate = ready_agent_with(kate_node.addr, &kate_token).await;
        let invitation = next_invitation(&mut kate).await;
        kate.send(&ClientMsg::from(act::Accept {
            invitation: invitation.id,
        }))
        .await;
        let mut chat = Self {
            ix,
            contact_token,
            kate_token,
            contact,
            kate,
            contact_events: Vec::new(),
            kate_events: Vec::new(),
        };
        for n in 0..3 {
            let msg = send(&chat.ix, &format!("b{n}"), &format!("before {n}"), None);
            chat.contact.send(&msg).await;
        }
        let ix = chat.ix.clone();
        chat.kate
            .expect_event(&ix, |k| message_text(k) == Some("before 2"))
            .await;
        chat
    }

    /// Sends a message from the contact and reads until the server answers it.
    async fn contact_sends(&mut self, id: &str, text: &str) -> Answer {
        self.contact.send(&send(&self.ix, id, text, None)).await;
        loop {
            match self.contact.next_or_closed(Duration::from_secs(15)).await {
                Ok(ServerMsg::Ack { client_id, .. }) if client_id == id => return Answer::Stored,
                Ok(ServerMsg::Error { code, .. }) => return Answer::Refused(code),
                Ok(_) => {}
                Err(code) => return Answer::Closed(code),
            }
        }
    }

    /// Both connect again (to the same nodes) and resume after the last event each holds;
    /// Kate's welcome says whether she is still Ready.
    async fn reconnect(&mut self, contact_node: &Node, kate_node: &Node) {
        let ix = self.ix.clone();
        self.contact_events.extend(self.contact.events(&ix));
        self.kate_events.extend(self.kate.events(&ix));
        self.contact = Client::hello(
            contact_node.addr,
            &self.contact_token,
            resume_after(&ix, &self.contact_events),
        )
        .await;
        self.kate = Client::hello(
            kate_node.addr,
            &self.kate_token,
            resume_after(&ix, &self.kate_events),
        )
        .await;
        let status = self.kate.seen.iter().find_map(|m| match m {
            ServerMsg::Welcome {
                me: parley_protocol::Identity::Agent { status, .. },
                ..
            } => Some(status.clone()),
            _ => None,
        });
        assert_eq!(
            status,
            Some(parley_protocol::AgentStatus::Ready),
            "Kate is still Ready"
        );
    }

    /// Sends more, sees Kate get all of it and the contact her answer; then checks what each
    /// received over all their connections.
    async fn finish(mut self, expected: &[String]) {
        let ix = self.ix.clone();
        for n in 0..3 {
            let msg = send(&ix, &format!("a{n}"), &format!("after {n}"), None);
            self.contact.send(&msg).await;
        }
        self.kate
            .expect_event(&ix, |k| message_text(k) == Some("after 2"))
            .await;
        self.kate.send(&send(&ix, "k1", "still here", None)).await;
        self.contact
            .expect_event(&ix, |k| message_text(k) == Some("still here"))
            .await;
        self.contact_events.extend(self.contact.events(&ix));
        self.kate_events.extend(self.kate.events(&ix));
        assert_contiguous(&self.kate_events, "kate");
        assert_contiguous(&self.contact_events, "the contact");
        let kate_texts: Vec<String> = texts(&self.kate_events)
            .into_iter()
            .filter(|t| {
                ["before", "during", "after"]
                    .iter()
                    .any(|p| t.starts_with(p))
            })
            .collect();
        let mut all: Vec<String> = (0..3).map(|n| format!("before {n}")).collect();
        all.extend_from_slice(expected);
        all.extend((0..3).map(|n| format!("after {n}")));
        assert_eq!(kate_texts, all, "every message once, in order");
    }
}

#[tokio::test]
async fn redis_restarted_under_running_nodes_loses_nothing() {
    let mut redis = OwnRedis::start().await;
    let mut cluster = Cluster::new("redis_restart").await;
    cluster.redis_url = redis.url();
    let a = cluster.node("node-a").await;
    let b = cluster.node("node-b").await;
    let mut chat = Chat::start(&a, &b).await;
    let writer = cluster.writer().await;

    redis.kill();
    // Sent while Redis is down (and back a second later): refused, or stored, or unanswered
    // as the socket closes; never acknowledged and then lost.
    let (during, ()) = tokio::join!(chat.contact_sends("d0", "during 0"), async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        redis.restart().await;
    });
    // Every node subscribes again and sends its clients to resume: what was published while
    // it was away is gone.
    let contact_closed = match during {
        Answer::Closed(code) => code,
        _ => chat.contact.closed_with().await,
    };
    assert_eq!(
        contact_closed,
        Some(1012),
        "the contact resumes ({during:?})"
    );
    assert_eq!(chat.kate.closed_with().await, Some(1012));
    until_ready(&a).await;
    until_ready(&b).await;
    assert_eq!(cluster.writer().await, writer, "the lease did not move");
    chat.reconnect(&a, &b).await;
    // What was not acknowledged is sent again, as the apps do; stored once either way.
    if during != Answer::Stored {
        assert_eq!(chat.contact_sends("d0", "during 0").await, Answer::Stored);
    }
    chat.finish(&["during 0".to_owned()]).await;
}

/// A login's status, and how long its answer took.
async fn timed_login(node: &Node, user: &str, password: &str) -> (u16, Duration) {
    let started = Instant::now();
    let body = serde_json::json!({"username": user, "password": password});
    let (status, _) = post(node.addr, "/api/login", body).await;
    (status, started.elapsed())
}

#[tokio::test]
async fn logins_go_on_while_redis_hangs_or_is_gone_each_node_counting_alone() {
    let mut redis = OwnRedis::start().await;
    let mut cluster = Cluster::new("limits_without_redis").await;
    cluster.redis_url = redis.url();
    let a = cluster.node("node-a").await;
    let b = cluster.node("node-b").await;
    until_ready(&a).await;
    until_ready(&b).await;

    // Redis hangs: the node counts alone, answering in time, with the wait a single server has.
    redis.signal("STOP");
    for n in 0..parley_server::throttle::FREE_PER_USER {
        let (status, took) = timed_login(&a, "kate", "guess").await;
        assert_eq!(status, 401, "guess {n}");
        assert!(took < Duration::from_secs(2), "guess {n} took {took:?}");
    }
    let (status, _) = timed_login(&a, "kate", "guess").await;
    assert_eq!(status, 429, "the wait holds on the node alone");
    let (status, took) = timed_login(&a, "john", "john-demo").await;
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(2), "{took:?}");
    redis.signal("CONT");

    // Redis gone: the same.
    redis.kill();
    let (status, _) = timed_login(&b, "john", "john-demo").await;
    assert_eq!(status, 200);

    // Back: after a few seconds the nodes count together again.
    redis.restart().await;
    until_ready(&a).await;
    until_ready(&b).await;
    tokio::time::sleep(Duration::from_millis(
        parley_server::throttle::ALONE_FOR_MS as u64 + 1000,
    ))
    .await;
    let nodes = [&a, &b];
    for n in 0..parley_server::throttle::FREE_PER_USER as usize {
        let (status, _) = timed_login(nodes[n % 2], "avril", "guess").await;
        assert_eq!(status, 401, "guess {n}");
    }
    for node in nodes {
        let (status, _) = timed_login(node, "avril", "guess").await;
        assert_eq!(status, 429, "{}: one wait for both", node.name);
    }
}

#[tokio::test]
async fn postgres_out_of_reach_for_seconds_refuses_sends_and_loses_nothing() {
    let mut cluster = Cluster::new("pg_outage").await;
    let (_, rest) = cluster
        .database_url
        .split_once('@')
        .expect("postgres://user@host:port/db");
    let (host, db) = rest.split_once('/').expect("host:port/db");
    let proxy = Proxy::to(host.parse().expect("host:port")).await;
    cluster.nodes_database_url = cluster
        .database_url
        .replace(&format!("@{host}/{db}"), &format!("@{}/{db}", proxy.addr));
    let a = cluster.node("node-a").await;
    let b = cluster.node("node-b").await;
    let mut chat = Chat::start(&a, &b).await;

    proxy.cut(true);
    let cut = Instant::now();
    let mut answers = Vec::new();
    for n in 0..3 {
        let answer = chat
            .contact_sends(&format!("d{n}"), &format!("during {n}"))
            .await;
        answers.push(answer);
        if matches!(answer, Answer::Closed(_)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The first comes while the database is out of reach: it is refused with a typed error
    // (never acknowledged without being stored).
    assert!(
        matches!(
            answers[0],
            Answer::Refused(ErrorCode::Internal | ErrorCode::Busy)
        ),
        "a send with the database out of reach: {answers:?}"
    );
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(cut.elapsed())).await;
    proxy.cut(false);

    until_ready(&a).await;
    until_ready(&b).await;
    // The sockets may have lived through it or been sent to resume (if the lease ran out);
    // the apps reconnect either way, and resend what was not acknowledged.
    chat.reconnect(&a, &b).await;
    for n in 0..3 {
        if answers.get(n) != Some(&Answer::Stored) {
            let resent = chat
                .contact_sends(&format!("d{n}"), &format!("during {n}"))
                .await;
            assert_eq!(resent, Answer::Stored, "d{n} is stored once sent again");
        }
    }
    let during: Vec<String> = (0..3).map(|n| format!("during {n}")).collect();
    chat.finish(&during).await;
}
