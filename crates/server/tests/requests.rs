//! A client that names itself in `hello` makes each request id name one command: the same
//! request sent again (a retry after a lost answer) acts once and is answered as before, also
//! after the server is killed and started again on its database.

mod common;

use common::*;
use parley_protocol::act;
use parley_protocol::{AgentStatus, ClientMsg, ErrorCode, InvitationId, ServerMsg};
use std::collections::HashMap;
use std::time::Duration;

/// The requests refused before the refusal of `until` (the probe), by request id.
async fn refusals_until(client: &mut Client, until: u64) -> HashMap<u64, ErrorCode> {
    let mut found = HashMap::new();
    loop {
        if let ServerMsg::Error {
            code, req: Some(r), ..
        } = client.next().await
        {
            if r == until {
                return found;
            }
            found.insert(r, code);
        }
    }
}

fn accept(invitation: &InvitationId, req: u64) -> String {
    ClientMsg::from(act::Accept {
        invitation: invitation.clone(),
    })
    .to_frame_with(req)
}

/// A request that cannot act (an unknown chat): its refusal marks where the answers end.
fn probe(req: u64) -> String {
    ClientMsg::from(act::End {
        interaction: "ix-none".into(),
    })
    .to_frame_with(req)
}

#[tokio::test]
async fn a_request_sent_again_acts_once_even_after_a_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("parley.db");
    let (mut server, addr) = launch_server(&db).await;
    let token = login(addr, "kate").await;
    let mut kate = Client::hello_as(addr, &token, vec![], Some("tab-1")).await;
    kate.send(&ClientMsg::from(act::SetStatus {
        status: AgentStatus::Ready,
    }))
    .await;
    let (ix, _) = start_chat(addr, "Mark Avram", "hello").await;
    let invitation = next_invitation(&mut kate).await.id;
    kate.send_raw(&accept(&invitation, 5)).await;
    kate.expect(|m| matches!(m, ServerMsg::Opened { interaction } if interaction.id == ix))
        .await;

    // The same accept again acts once: no refusal. A new request for it is refused, as the
    // offer is taken: that is what acting twice would have answered.
    kate.send_raw(&accept(&invitation, 5)).await;
    kate.send_raw(&accept(&invitation, 6)).await;
    kate.send_raw(&probe(99)).await;
    let refused = refusals_until(&mut kate, 99).await;
    assert!(!refused.contains_key(&5), "acted once: {refused:?}");
    let first = refused.get(&6).copied();
    assert!(first.is_some(), "the offer was taken: {refused:?}");
    // A refused request sent again is refused again, the same way.
    kate.send_raw(&accept(&invitation, 6)).await;
    kate.send_raw(&probe(100)).await;
    assert_eq!(refusals_until(&mut kate, 100).await.get(&6).copied(), first);

    // Killed and started again on its database: the request is remembered.
    server.start_kill().expect("killed");
    let _ = server.wait().await;
    let (_server, addr) = launch_server(&db).await;
    let mut kate = Client::hello_as(addr, &token, vec![], Some("tab-1")).await;
    kate.send_raw(&accept(&invitation, 5)).await;
    kate.send_raw(&probe(102)).await;
    let refused = refusals_until(&mut kate, 102).await;
    assert!(!refused.contains_key(&5), "still once: {refused:?}");
    // Another instance of the app numbers its requests its own way.
    let mut other_tab = Client::hello_as(addr, &token, vec![], Some("tab-2")).await;
    other_tab.send_raw(&accept(&invitation, 5)).await;
    other_tab.send_raw(&probe(103)).await;
    assert!(refusals_until(&mut other_tab, 103).await.contains_key(&5));
}

#[tokio::test]
async fn a_hello_naming_a_client_out_of_bounds_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let token = login(addr, "kate").await;
    for client in [String::new(), "x".repeat(65)] {
        let mut c = Client::connect(addr).await;
        c.send(&ClientMsg::Hello {
            v: parley_protocol::PROTOCOL_VERSION,
            token: Some(token.clone()),
            resume: vec![],
            client: Some(client),
        })
        .await;
        c.expect_error(ErrorCode::BadFrame).await;
        assert!(
            c.try_next(Duration::from_millis(300)).await.is_none(),
            "no welcome"
        );
    }
}
