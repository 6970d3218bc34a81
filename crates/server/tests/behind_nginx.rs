//! Two nodes behind nginx, as `cargo xtask cluster` and `docs/deploy.md` run them: every client
//! knows one address. A chat runs through it, the writer node is killed, and the clients
//! reconnect to the same address, reach the node that lives, and resume without a loss.

mod common;
#[path = "cluster/harness.rs"]
mod harness;

use common::*;
use harness::*;
use parley_protocol::act;
use parley_protocol::{ClientMsg, Resume, ServerMsg, PROTOCOL_VERSION};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

/// nginx in front of `nodes`, on a free port; stopped when dropped.
struct Nginx {
    addr: SocketAddr,
    child: std::process::Child,
}

impl Nginx {
    fn start(dir: &Path, nodes: &[SocketAddr]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let upstreams: String = nodes
            .iter()
            .map(|n| format!("    server {n} max_fails=1 fail_timeout=2s;\n"))
            .collect();
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        // The configuration `cargo xtask cluster` runs.
        let template = demo_config_path().with_file_name("nginx-cluster.conf");
        let conf = std::fs::read_to_string(template)
            .expect("config/nginx-cluster.conf")
            .replace("@USER@", if root { "user root;\n" } else { "" })
            .replace("@FILES@", "1024")
            .replace("@CONNECTIONS@", "256")
            .replace("@DIR@", &dir.to_string_lossy())
            .replace("@UPSTREAMS@", &upstreams)
            .replace("@PORT@", &port.to_string());
        let path = dir.join("nginx.conf");
        std::fs::write(&path, conf).expect("nginx.conf");
        let program = if Path::new("/usr/sbin/nginx").exists() {
            "/usr/sbin/nginx"
        } else {
            "nginx"
        };
        let child = std::process::Command::new(program)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&path)
            .args(["-g", "daemon off;"])
            // Its workers would hold the test's output open after it.
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nginx starts (cargo xtask test installs it)");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let started = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "nginx listens");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { addr, child }
    }
}

impl Drop for Nginx {
    /// SIGTERM: the master stops its workers too (SIGKILL would leave them running).
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// Connects through the balancer until a node welcomes the client (one may be gone, or waiting
/// for a new writer), as the apps reconnect.
async fn reconnect(addr: SocketAddr, token: &str, resume: Vec<Resume>) -> Client {
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < TAKE_OVER, "no node welcomed the client");
        let mut c = Client::connect(addr).await;
        c.send(&ClientMsg::Hello {
            v: PROTOCOL_VERSION,
            token: Some(token.into()),
            resume: resume.clone(),
            client: None,
        })
        .await;
        loop {
            match c.next_or_closed(Duration::from_secs(15)).await {
                Ok(ServerMsg::Welcome { .. }) => return c,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn through_nginx_a_chat_outlives_its_writer_node() {
    let cluster = Cluster::new("nginx").await;
    let mut a = cluster.node("node-a").await;
    let mut b = cluster.node("node-b").await;
    let nginx = Nginx::start(cluster.dir.path(), &[a.addr, b.addr]);
    let (ix, token) = first_chat(nginx.addr, "Ana Pop").await;
    let mut contact = Client::hello(nginx.addr, &token, vec![]).await;
    let kate_token = login(nginx.addr, "kate").await;
    let mut kate = ready_agent_with(nginx.addr, &kate_token).await;
    let invitation = next_invitation(&mut kate).await;
    kate.send(&ClientMsg::from(act::Accept {
        invitation: invitation.id,
    }))
    .await;
    for n in 0..3 {
        let msg = send(&ix, &format!("b{n}"), &format!("before {n}"), None);
        contact.send(&msg).await;
    }
    kate.expect_event(&ix, |k| message_text(k) == Some("before 2"))
        .await;

    let dead = if cluster.writer().await == a.name {
        &mut a
    } else {
        &mut b
    };
    dead.child.start_kill().expect("killed");
    let _ = dead.child.wait().await;

    let mut contact_events = contact.events(&ix);
    let mut kate_events = kate.events(&ix);
    drop((contact, kate));
    let mut contact = reconnect(nginx.addr, &token, resume_after(&ix, &contact_events)).await;
    let mut kate = reconnect(nginx.addr, &kate_token, resume_after(&ix, &kate_events)).await;
    for n in 0..3 {
        let msg = send(&ix, &format!("a{n}"), &format!("after {n}"), None);
        contact.send(&msg).await;
    }
    kate.expect_event(&ix, |k| message_text(k) == Some("after 2"))
        .await;
    kate.send(&send(&ix, "k1", "still here", None)).await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some("still here"))
        .await;
    contact_events.extend(contact.events(&ix));
    kate_events.extend(kate.events(&ix));
    assert_contiguous(&contact_events, "the contact");
    assert_contiguous(&kate_events, "kate");
    let kate_texts: Vec<String> = texts(&kate_events)
        .into_iter()
        .filter(|t| t.starts_with("before") || t.starts_with("after"))
        .collect();
    let expected: Vec<String> = (0..3)
        .map(|n| format!("before {n}"))
        .chain((0..3).map(|n| format!("after {n}")))
        .collect();
    assert_eq!(kate_texts, expected, "every message once, in order");
}
