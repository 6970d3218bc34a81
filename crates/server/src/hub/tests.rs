//! The hub's writer over channels (no sockets): commands that wait together are committed in
//! one transaction and answered in order; a failed group answers every command and keeps
//! nothing, so each retry is stored once.

use super::*;
use crate::edge::{Bus, Delivery, Edges, Lease};
use crate::engine::Actor;
use crate::outbox::{self, Pending};
use crate::store::faults::Faulty;
use crate::store::{EventLog, Sessions, SqliteStore};
use parley_protocol::act;
use parley_protocol::{AgentId, ClientMsg, EventKind, Request, ServerMsg};

/// A hub with the demo configuration on this store, and a chat started in it: its id and the
/// contact's token.
pub(crate) async fn hub_with_a_chat<S: Store + Clone>(
    store: S,
) -> (HubHandle, InteractionId, String) {
    hub_with_ports(store, Ports::default()).await
}

async fn hub_with_ports<S: Store + Clone>(
    store: S,
    ports: Ports,
) -> (HubHandle, InteractionId, String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/demo.toml");
    let mut config = crate::config::load(&path).expect("demo config");
    // The contact writes faster than anyone types while queued: these tests are about commits.
    config.chat.queued_message_gap_ms = 0;
    let hub = start_with(Arc::new(config), store, ports)
        .await
        .expect("hub");
    let chat = NewChat {
        contact: ContactInfo {
            name: "Mark Avram".into(),
            email: None,
            subject: None,
            verified: false,
        },
        queue: None,
        text: None,
        case_data: BTreeMap::new(),
    };
    let (ix, token) = hub.start_chat(chat).await.expect("chat");
    (hub, ix, token)
}

/// A hub on a new database, a chat, and its contact connected as connection 1.
async fn contact_connected(
    dir: &std::path::Path,
) -> (
    HubHandle,
    Faulty<SqliteStore>,
    Actor,
    InteractionId,
    Pending,
) {
    let store = Faulty::new(SqliteStore::open(&dir.join("p.db")).await.expect("store"));
    let (hub, ix, token) = hub_with_a_chat(store.clone()).await;
    let (outbox, pending) = outbox::channel(outbox::Limits::default());
    let actor = hello(&hub, store.clone(), &outbox, token).await;
    (hub, store, actor, ix, pending)
}

/// What a connection reads with, on this hub and store.
fn reads<S: Store + Clone>(hub: &HubHandle, store: S) -> crate::reads::Reads {
    crate::reads::Reads {
        hub: hub.clone(),
        store: Arc::new(store),
        history_days: 30,
        contacts_only: false,
        aliases: crate::alias::Aliases::new(b"test"),
    }
}

/// Connection 1 says hello with this token, the way the edge does it.
async fn hello<S: Store + Clone>(
    hub: &HubHandle,
    store: S,
    outbox: &Outbox,
    token: String,
) -> Actor {
    reads(hub, store)
        .hello(1, outbox, Some(token), vec![], None)
        .await
        .expect("hello")
}

/// The next frame of a connection, parsed.
async fn next_frame(pending: &mut Pending) -> ServerMsg {
    let frame = tokio::time::timeout(Duration::from_secs(10), pending.next())
        .await
        .expect("a frame in time")
        .expect("the outbox is open");
    ServerMsg::parse(frame.as_str()).expect("a frame")
}

fn send(ix: &InteractionId, client_id: &str) -> ClientMsg {
    ClientMsg::from(act::Send {
        interaction: ix.clone(),
        client_id: client_id.into(),
        text: format!("message {client_id}"),
        consultation: None,
    })
}

/// The answers (acks and errors) to the next `n` commands, by request id.
async fn answers(pending: &mut Pending, n: usize) -> Vec<(u64, Result<Seq, ErrorCode>)> {
    let mut out = Vec::new();
    while out.len() < n {
        let frame = tokio::time::timeout(Duration::from_secs(10), pending.next())
            .await
            .expect("an answer in time")
            .expect("the outbox is open");
        match ServerMsg::parse(frame.as_str()).expect("a frame") {
            ServerMsg::Ack {
                req: Some(req),
                seq,
                ..
            } => out.push((req, Ok(seq))),
            ServerMsg::Error {
                req: Some(req),
                code,
                ..
            } => out.push((req, Err(code))),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn commands_waiting_together_are_committed_once_and_answered_in_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let (hub, store, actor, ix, mut pending) = contact_connected(dir.path()).await;
    let before = store.commits();
    // Fifty messages reach the inbox before the hub runs again (this runtime has one thread).
    for n in 0..50u64 {
        let request = Request {
            msg: send(&ix, &format!("c{n}")),
            req: Some(n),
        };
        hub.command(1, actor.clone(), request).expect("room");
    }
    let got = answers(&mut pending, 50).await;
    assert_eq!(store.commits() - before, 1, "one transaction for the group");
    let reqs: Vec<u64> = got.iter().map(|(req, _)| *req).collect();
    assert_eq!(reqs, (0..50).collect::<Vec<_>>(), "answered in order");
    let seqs: Vec<Seq> = got
        .iter()
        .map(|(_, seq)| *seq.as_ref().expect("acked"))
        .collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let stored = store.inner.events_after(&ix, 0).await.expect("events");
    let messages = stored
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Message { .. }))
        .count();
    assert_eq!(messages, 50);
}

#[tokio::test]
async fn a_group_whose_commit_failed_answers_every_command_and_each_retry_lands_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let (hub, store, actor, ix, mut pending) = contact_connected(dir.path()).await;
    let command = |n: u64| Request {
        msg: send(&ix, &format!("c{n}")),
        req: Some(n),
    };
    store.fail_next_commit();
    for n in 0..10 {
        hub.command(1, actor.clone(), command(n)).expect("room");
    }
    let failed = answers(&mut pending, 10).await;
    assert!(
        failed
            .iter()
            .all(|(_, answer)| *answer == Err(ErrorCode::Internal)),
        "{failed:?}"
    );
    for n in 0..10 {
        hub.command(1, actor.clone(), command(100 + n))
            .expect("room");
    }
    let _ = answers(&mut pending, 10).await;
    // The failed ones, sent again with their ids, are stored now, once each.
    for n in 0..10 {
        let again = Request {
            msg: send(&ix, &format!("c{n}")),
            req: Some(200 + n),
        };
        hub.command(1, actor.clone(), again).expect("room");
    }
    let acked = answers(&mut pending, 10).await;
    assert!(acked.iter().all(|(_, a)| a.is_ok()), "{acked:?}");
    let stored = store.inner.events_after(&ix, 0).await.expect("events");
    for n in 0..10 {
        let id = format!("c{n}");
        let copies = stored
            .iter()
            .filter(
                |e| matches!(&e.kind, EventKind::Message { client_id: Some(c), .. } if *c == id),
            )
            .count();
        assert_eq!(copies, 1, "{id}");
    }
}

/// A lease another writer holds.
struct Lost;

impl Lease for Lost {
    fn held(&self) -> bool {
        false
    }
}

#[tokio::test]
async fn a_writer_without_the_lease_takes_no_command() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Faulty::new(
        SqliteStore::open(&dir.path().join("p.db"))
            .await
            .expect("store"),
    );
    let ports = Ports {
        lease: Arc::new(Lost),
        ..Ports::default()
    };
    let (hub, ix, token) = hub_with_ports(store.clone(), ports).await;
    let (outbox, mut pending) = outbox::channel(outbox::Limits::default());
    let actor = hello(&hub, store.clone(), &outbox, token).await;
    let before = store.commits();
    let request = Request {
        msg: send(&ix, "c1"),
        req: Some(1),
    };
    hub.command(1, actor, request).expect("room");
    assert_eq!(
        answers(&mut pending, 1).await,
        vec![(1, Err(ErrorCode::Busy))]
    );
    assert_eq!(store.commits(), before, "nothing written");
}

#[tokio::test]
async fn a_chat_given_to_an_agent_opens_then_its_window_is_read_off_the_writer() {
    let dir = tempfile::tempdir().expect("tmp");
    let (hub, store, contact, ix, _contact_frames) = contact_connected(dir.path()).await;
    let kate = AgentId("kate".into());
    let token = crate::auth::new_token();
    let hash = crate::auth::token_hash(&token);
    store
        .create_session(&hash, &kate, 0)
        .await
        .expect("session");
    let (outbox, mut pending) = outbox::channel(outbox::Limits::default());
    let agent = reads(&hub, store.clone())
        .hello(2, &outbox, Some(token), vec![], None)
        .await
        .expect("kate's hello");
    assert_eq!(hub.access(&agent, &ix), Access::None, "not hers yet");
    let ready = ClientMsg::from(act::SetStatus {
        status: parley_protocol::AgentStatus::Ready,
    });
    hub.command(
        2,
        agent.clone(),
        Request {
            msg: ready,
            req: None,
        },
    )
    .expect("room");
    let invitation = loop {
        if let ServerMsg::Invitation { invitation } = next_frame(&mut pending).await {
            break invitation.id;
        }
    };
    // She accepts, and the contact writes before her window is read.
    let accept = ClientMsg::from(act::Accept { invitation });
    hub.command(
        2,
        agent.clone(),
        Request {
            msg: accept,
            req: None,
        },
    )
    .expect("room");
    let request = Request {
        msg: send(&ix, "c1"),
        req: None,
    };
    hub.command(1, contact, request).expect("room");
    let window = tokio::time::timeout(Duration::from_secs(10), outbox.next_window())
        .await
        .expect("a window to read");
    assert_eq!(window.interaction, ix);
    assert_eq!(
        hub.access(&agent, &ix),
        Access::Reads(None),
        "hers before she hears"
    );
    // Wait until the contact's message is committed and held behind the window.
    while store
        .inner
        .events_after(&ix, 0)
        .await
        .expect("events")
        .iter()
        .all(|e| !matches!(&e.kind, EventKind::Message { client_id: Some(c), .. } if c == "c1"))
    {
        tokio::task::yield_now().await;
    }
    reads(&hub, store.clone())
        .window(&outbox, &agent, window)
        .await;
    let mut frames = Vec::new();
    while let Ok(Some(frame)) =
        tokio::time::timeout(Duration::from_millis(200), pending.next()).await
    {
        frames.push(ServerMsg::parse(frame.as_str()).expect("a frame"));
    }
    let opened = frames
        .iter()
        .position(|f| matches!(f, ServerMsg::Opened { interaction } if interaction.id == ix))
        .expect("opened");
    let of_the_chat: Vec<(usize, &Vec<parley_protocol::Event>)> = frames
        .iter()
        .enumerate()
        .filter_map(|(n, f)| match f {
            ServerMsg::Events {
                interaction,
                events,
            } if *interaction == ix => Some((n, events)),
            _ => None,
        })
        .collect();
    assert_eq!(
        of_the_chat.first().map(|(n, _)| *n),
        Some(opened + 1),
        "the window next"
    );
    let c1 = of_the_chat
        .iter()
        .flat_map(|(_, events)| events.iter())
        .filter(|e| matches!(&e.kind, EventKind::Message { client_id: Some(c), .. } if c == "c1"))
        .count();
    assert_eq!(
        c1, 1,
        "the message the window read is not sent again: {frames:?}"
    );
}

#[tokio::test]
async fn a_hello_with_no_writer_to_join_is_sent_to_reconnect_not_to_log_in() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = SqliteStore::open(&dir.path().join("p.db"))
        .await
        .expect("store");
    let (hub, _ix, token) = hub_with_a_chat(store.clone()).await;
    // The writer stops (this node lost the lease).
    hub.inbox().send(HubMsg::Stop).await.expect("stopping");
    let (outbox, _pending) = outbox::channel(outbox::Limits::default());
    let actor = reads(&hub, store)
        .hello(5, &outbox, Some(token), vec![], None)
        .await;
    assert_eq!(actor, None);
    assert_eq!(outbox.close_code(), Some(crate::outbox::SERVICE_RESTART));
    assert!(!hub.edges().is_open(5), "not left registered");
}

#[tokio::test]
async fn a_join_given_up_is_followed_by_its_gone_for_a_writer_that_takes_it_late() {
    let (tx, mut writer) = mpsc::channel(8);
    let edges = Edges::default();
    let handle = HubHandle::new(tx, edges.clone());
    // A writer newer than the one that will answer has already taken over.
    edges.publish(Delivery::Restart { epoch: 2 });
    let contact = Actor::Contact(InteractionId("ix-1".into()));
    let (outbox, _pending) = outbox::channel(outbox::Limits::default());
    let joining = tokio::spawn(async move { handle.join(7, contact, None, outbox).await });
    let Some(HubMsg::Join { reply, .. }) = writer.recv().await else {
        panic!("the join goes to the writer");
    };
    let joined = Joined::Contact {
        interaction: InteractionId("ix-1".into()),
    };
    let _ = reply.send(Some(Registered { epoch: 1, joined }));
    assert!(matches!(
        joining.await.expect("joined"),
        Err(NotJoined::NoWriter)
    ));
    assert!(!edges.is_open(7));
    // Whichever writer registered it hears that it is gone, after the join.
    assert!(matches!(
        writer.recv().await,
        Some(HubMsg::Gone { conn: 7 })
    ));
}
