//! The writer's lease on PostgreSQL: one holder at a time, taken over only once expired, and a
//! writer that lost it cannot commit.

mod common;

use parley_protocol::InteractionId;
use parley_server::cluster::{PgLease, Timing};
use parley_server::edge::Lease;
use parley_server::engine::{ContactInfo, InteractionRecord};
use parley_server::store::{EventLog, Fence, PgStore, StoreError, Write};
use std::time::Duration;

const SHORT: Timing = Timing {
    ttl: Duration::from_millis(600),
    renew: Duration::from_millis(200),
};

async fn two_nodes() -> (PgStore, PgLease, PgLease, Fence) {
    let url = common::postgres_database("lease").await;
    let store = PgStore::open(&url, 4).await.expect("opens");
    let fence = Fence::default();
    let a = PgLease::new(store.pool().clone(), "node-a", SHORT, fence.clone());
    let b = PgLease::new(store.pool().clone(), "node-b", SHORT, Fence::default());
    (store, a, b, fence)
}

fn chat(id: &str) -> Write {
    Write::Interaction(InteractionRecord {
        id: InteractionId(id.into()),
        contact: ContactInfo {
            name: "Mark".into(),
            email: None,
            subject: None,
            verified: false,
        },
        queue: "general".into(),
        started_at: 1,
        closed: false,
    })
}

#[tokio::test]
async fn one_node_holds_the_lease_and_another_takes_it_only_once_it_expired() {
    let (_store, a, b, _) = two_nodes().await;
    assert_eq!(a.tick().await.expect("a"), 1, "a takes it first");
    assert!(a.held());
    assert_eq!(b.tick().await.expect("b"), 0, "b waits");
    assert_eq!(a.tick().await.expect("a renews"), 1, "the same epoch");
    assert_eq!(b.tick().await.expect("b"), 0, "renewed: b still waits");
    // a stops renewing (its process died).
    tokio::time::sleep(SHORT.ttl + Duration::from_millis(100)).await;
    assert!(!a.held(), "a counts itself out once its lease ran out");
    assert_eq!(
        b.tick().await.expect("b"),
        2,
        "b takes over, with the next epoch"
    );
    assert_eq!(a.tick().await.expect("a"), 0, "a does not get it back");
}

#[tokio::test]
async fn a_writer_that_lost_the_lease_cannot_commit() {
    let (store, a, b, fence) = two_nodes().await;
    let writer = store.clone().fenced(fence);
    assert!(
        matches!(
            writer.commit(vec![chat("ix-0")]).await,
            Err(StoreError::Fenced)
        ),
        "nothing is written before the lease is held"
    );
    a.tick().await.expect("a");
    writer.commit(vec![chat("ix-1")]).await.expect("a writes");
    tokio::time::sleep(SHORT.ttl + Duration::from_millis(100)).await;
    assert_eq!(b.tick().await.expect("b"), 2);
    // a has not noticed yet: its fence still says epoch 1.
    let late = writer.commit(vec![chat("ix-2")]).await;
    assert!(matches!(late, Err(StoreError::Fenced)), "{late:?}");
    let ids = |id: &str| InteractionId(id.into());
    assert!(store
        .interaction(&ids("ix-1"))
        .await
        .expect("read")
        .is_some());
    assert!(
        store
            .interaction(&ids("ix-2"))
            .await
            .expect("read")
            .is_none(),
        "nothing written"
    );
}

#[tokio::test]
async fn a_lease_handed_back_is_taken_at_the_next_tick() {
    let (_store, a, b, fence) = two_nodes().await;
    let mut changes = a.watch();
    a.tick().await.expect("a");
    assert_eq!(*changes.borrow_and_update(), 1);
    assert_eq!(fence.epoch(), 1, "the store's fence follows the lease");
    a.release().await.expect("handed back");
    assert_eq!(*changes.borrow_and_update(), 0, "told");
    assert_eq!(fence.epoch(), 0);
    assert_eq!(b.tick().await.expect("b"), 2, "no wait for the expiry");
}
