//! The bus on real Redis: what the writer publishes reaches the connections of every node, and
//! a node that may have missed something makes its clients resume.

use parley_protocol::{AgentId, ErrorCode, ServerMsg};
use parley_server::cluster::bus::{channel, subscribe, BusMsg};
use parley_server::cluster::RedisBus;
use parley_server::edge::{Bus, Delivery, Edges};
use parley_server::engine::Actor;
use parley_server::outbox::{self, Limits, Outbox, Pending, SERVICE_RESTART};
use std::time::Duration;

fn redis_url() -> String {
    std::env::var("PARLEY_TEST_REDIS").expect(
        "PARLEY_TEST_REDIS is not set: the Redis tests run under `cargo xtask test`, \
         which starts PostgreSQL and Redis",
    )
}

/// One test at a time: one of them drops every subscriber Redis has.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A node of the cluster named `ns`: its connections, subscribed to the bus.
async fn node(ns: &str) -> (Edges, tokio::task::JoinHandle<()>) {
    let edges = Edges::default();
    let task = subscribe(&redis_url(), ns, edges.clone())
        .await
        .expect("subscribed");
    (edges, task)
}

fn connect(edges: &Edges, conn: u64, actor: &Actor) -> (Outbox, Pending) {
    let (outbox, pending) = outbox::channel(Limits::default());
    edges.register(conn, actor.clone(), outbox.clone());
    (outbox, pending)
}

async fn next(pending: &mut Pending) -> Option<ServerMsg> {
    let frame = tokio::time::timeout(Duration::from_secs(5), pending.next())
        .await
        .ok()??;
    ServerMsg::parse(frame.as_str()).ok()
}

/// The code a connection is closed with, within 10 s.
async fn closed(outbox: &Outbox) -> u16 {
    let closed = async {
        loop {
            if let Some(code) = outbox.close_code() {
                return code;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), closed)
        .await
        .expect("closed in time")
}

async fn nothing(pending: &mut Pending) -> bool {
    tokio::time::timeout(Duration::from_millis(300), pending.next())
        .await
        .is_err()
}

#[tokio::test]
async fn what_the_writer_publishes_reaches_every_node_in_order() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let (a, _ta) = node("in-order").await;
    let (b, _tb) = node("in-order").await;
    let kate = Actor::Agent(AgentId("kate".into()));
    let (_ka, mut on_a) = connect(&a, 1_001, &kate);
    let (_kb, mut on_b) = connect(&b, 2_001, &kate);
    let bus = RedisBus::start(&redis_url(), "in-order")
        .await
        .expect("bus");
    for n in 0..20 {
        let msg = ServerMsg::error(ErrorCode::Invalid, format!("message {n}"));
        bus.publish(Delivery::Actors {
            to: vec![kate.clone()],
            msg,
        });
    }
    for pending in [&mut on_a, &mut on_b] {
        for n in 0..20 {
            let Some(ServerMsg::Error { message, .. }) = next(pending).await else {
                panic!("message {n} did not come");
            };
            assert_eq!(message, format!("message {n}"));
        }
    }
    // An answer goes to its one connection, on whichever node holds it.
    bus.publish(Delivery::Conn {
        conn: 2_001,
        msg: ServerMsg::error(ErrorCode::Invalid, "yours"),
    });
    assert!(
        matches!(next(&mut on_b).await, Some(ServerMsg::Error { message, .. }) if message == "yours")
    );
    assert!(nothing(&mut on_a).await, "not the other node's");
}

#[tokio::test]
async fn deliveries_lost_before_redis_make_every_node_close_its_connections() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let (a, _ta) = node("lost").await;
    let kate = Actor::Agent(AgentId("kate".into()));
    let (outbox, _pending) = connect(&a, 3_001, &kate);
    let client = redis::Client::open(redis_url()).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let lost = serde_json::to_vec(&BusMsg::Lost).expect("encodes");
    redis::cmd("PUBLISH")
        .arg(channel("lost"))
        .arg(lost)
        .query_async::<()>(&mut conn)
        .await
        .expect("published");
    assert_eq!(closed(&outbox).await, SERVICE_RESTART);
}

#[tokio::test]
async fn a_node_whose_subscription_dropped_makes_its_clients_resume() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let (a, _ta) = node("dropped").await;
    let kate = Actor::Agent(AgentId("kate".into()));
    let (outbox, _pending) = connect(&a, 4_001, &kate);
    let client = redis::Client::open(redis_url()).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    // Redis drops every subscriber (as a restart would).
    redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async::<i64>(&mut conn)
        .await
        .expect("killed");
    assert_eq!(
        closed(&outbox).await,
        SERVICE_RESTART,
        "once subscribed again"
    );
    // And it delivers again.
    let (_o2, mut pending) = connect(&a, 4_002, &kate);
    let bus = RedisBus::start(&redis_url(), "dropped").await.expect("bus");
    bus.publish(Delivery::Actors {
        to: vec![kate],
        msg: ServerMsg::error(ErrorCode::Invalid, "again"),
    });
    assert!(next(&mut pending).await.is_some());
}
