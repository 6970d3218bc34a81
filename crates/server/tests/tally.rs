//! The shared limits' counts in a real Redis (`cargo xtask test` starts one): two nodes' throttles
//! on one tally give a client one budget, a success clears only its pair, and the counts expire.

use parley_server::cluster::tally::RedisTally;
use parley_server::throttle::{Tally, Throttle, FREE_PER_ADDRESS, FREE_PER_USER};
use std::net::IpAddr;
use std::sync::Arc;

async fn tally(name: &str) -> Arc<dyn Tally> {
    let url = std::env::var("PARLEY_TEST_REDIS")
        .expect("PARLEY_TEST_REDIS is not set: this test runs under `cargo xtask test`");
    let namespace = format!("{name}-{}", std::process::id());
    Arc::new(RedisTally::connect(&url, &namespace).await.expect("Redis"))
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

#[tokio::test]
async fn two_nodes_on_one_tally_give_a_client_one_budget() {
    let shared = tally("one_budget").await;
    let nodes = [
        Throttle::new(2, 3, Some(shared.clone())).expect("throttle"),
        Throttle::new(2, 3, Some(shared)).expect("throttle"),
    ];
    let (attacker, agent) = (ip("203.0.113.9"), ip("198.51.100.4"));
    for n in 0..FREE_PER_USER as usize {
        let node = &nodes[n % 2];
        assert_eq!(node.login_wait("kate", attacker).await, Ok(()), "guess {n}");
        node.login_failed("kate", attacker).await;
    }
    for node in &nodes {
        let wait = node.login_wait("kate", attacker).await.expect_err("waits");
        assert!((800..=1000).contains(&wait), "{wait}");
        assert_eq!(
            node.login_wait("kate", agent).await,
            Ok(()),
            "Kate is not locked out"
        );
    }
    // A later wait is never shortened by an earlier one arriving late.
    nodes[0].login_failed("kate", attacker).await;
    let wait = nodes[1]
        .login_wait("kate", attacker)
        .await
        .expect_err("waits");
    assert!((1800..=2000).contains(&wait), "it doubles: {wait}");
    nodes[1].login_succeeded("kate", attacker).await;
    assert_eq!(
        nodes[0].login_wait("kate", attacker).await,
        Ok(()),
        "the pair starts afresh"
    );

    // Many users from one address lock the address, on both nodes.
    let crowd = ip("203.0.113.50");
    for n in 0..FREE_PER_ADDRESS as usize {
        nodes[n % 2].login_failed(&format!("user{n}"), crowd).await;
    }
    assert!(nodes[0].login_wait("someone-new", crowd).await.is_err());
    assert!(nodes[1].login_wait("someone-new", crowd).await.is_err());

    // The per-minute rates: one budget for both nodes, per address and per sender.
    assert_eq!(nodes[0].chat_start(attacker).await, Ok(()));
    assert_eq!(nodes[1].chat_start(attacker).await, Ok(()));
    let wait = nodes[0].chat_start(attacker).await.expect_err("over");
    assert!((1..=60_000).contains(&wait), "{wait}");
    assert_eq!(nodes[1].chat_start(agent).await, Ok(()), "per address");
    for n in 0..3 {
        assert_eq!(nodes[n % 2].upload("contact:c1").await, Ok(()));
    }
    assert!(nodes[1].upload("contact:c1").await.is_err());
    assert_eq!(nodes[0].upload("contact:c2").await, Ok(()), "per sender");
}
