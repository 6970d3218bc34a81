//! The server over real sockets: HTTP login and chat start, WebSocket contacts and agents.

mod common;

use common::*;
use parley_protocol::act;
use parley_protocol::{
    AgentStatus, ClientMsg, ErrorCode, EventKind, LeaveReason, Notice, Party, ServerMsg,
    MAX_FRAME_BYTES, PROTOCOL_VERSION,
};
use serde_json::{json, Value};

#[tokio::test]
async fn one_chat_from_widget_to_agent_and_back_then_end_and_done() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;

    let (ix, contact_token) = start_chat(addr, "Mark Avram", "Hello, my card is refused").await;
    let mut contact = Client::hello(addr, &contact_token, vec![]).await;
    contact
        .expect_event(&ix, |k| {
            matches!(
                k,
                EventKind::System {
                    notice: Notice::Queued
                }
            )
        })
        .await;

    let mut kate = ready_agent(addr, "kate").await;
    let invitation = next_invitation(&mut kate).await;
    assert_eq!(invitation.interaction.id, ix);
    assert_eq!(invitation.interaction.contact, "Mark Avram");
    kate.send(&ClientMsg::from(act::Accept {
        invitation: invitation.id,
    }))
    .await;
    kate.expect(|m| matches!(m, ServerMsg::Opened { interaction } if interaction.id == ix))
        .await;
    kate.expect_event(&ix, |k| {
        message_text(k) == Some("Hello, my card is refused")
    })
    .await;
    contact
        .expect_event(
            &ix,
            |k| matches!(k, EventKind::Joined { party } if party.name() == "Kate"),
        )
        .await;

    kate.send(&ClientMsg::from(act::Send {
        interaction: ix.clone(),
        client_id: "k1".into(),
        text: "Which card do you use?".into(),
        consultation: None,
    }))
    .await;
    let ack = kate.expect(|m| matches!(m, ServerMsg::Ack { .. })).await;
    contact
        .expect_event(&ix, |k| message_text(k) == Some("Which card do you use?"))
        .await;
    contact
        .send(&ClientMsg::from(act::Send {
            interaction: ix.clone(),
            client_id: "c1".into(),
            text: "Visa".into(),
            consultation: None,
        }))
        .await;
    kate.expect_event(&ix, |k| message_text(k) == Some("Visa"))
        .await;

    // A retried send is acknowledged with the same sequence number and stored once.
    kate.send(&ClientMsg::from(act::Send {
        interaction: ix.clone(),
        client_id: "k1".into(),
        text: "Which card do you use?".into(),
        consultation: None,
    }))
    .await;
    assert_eq!(
        kate.expect(|m| matches!(m, ServerMsg::Ack { .. })).await,
        ack
    );

    kate.send(&ClientMsg::from(act::End {
        interaction: ix.clone(),
    }))
    .await;
    contact
        .expect_event(&ix, |k| matches!(k, EventKind::Ended { .. }))
        .await;
    kate.send(&ClientMsg::from(act::Done {
        interaction: ix.clone(),
        disposition: Some("Resolved".into()),
        note: None,
    }))
    .await;
    kate.expect(|m| matches!(m, ServerMsg::Closed { interaction } if interaction == &ix))
        .await;

    let seqs: Vec<u64> = kate.events(&ix).iter().map(|e| e.seq).collect();
    let mut unique = seqs.clone();
    unique.dedup();
    assert!(
        unique.windows(2).all(|w| w[0] < w[1]),
        "events arrive in order: {seqs:?}"
    );
    assert_eq!(
        kate.events(&ix)
            .iter()
            .filter(|e| message_text(&e.kind) == Some("Which card do you use?"))
            .count(),
        1
    );
    assert!(
        contact
            .events(&ix)
            .iter()
            .all(|e| !matches!(e.kind, EventKind::Done { .. })),
        "the contact never sees the agents-only Done record"
    );
}

#[tokio::test]
async fn a_rejected_chat_goes_back_to_the_queue_and_to_the_next_agent() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;
    let mut john = ready_agent(addr, "john").await;
    let (ix, _) = start_chat(addr, "Avril", "hi").await;
    let first = next_invitation(&mut kate).await;
    kate.send(&ClientMsg::from(act::Reject {
        invitation: first.id.clone(),
    }))
    .await;
    kate.expect(
        |m| matches!(m, ServerMsg::InvitationGone { invitation } if invitation == &first.id),
    )
    .await;
    let second = next_invitation(&mut john).await;
    assert_eq!(second.interaction.id, ix);
    // Kate can no longer accept the offer she rejected.
    kate.send(&ClientMsg::from(act::Accept {
        invitation: first.id,
    }))
    .await;
    kate.expect(|m| {
        matches!(
            m,
            ServerMsg::Error {
                code: ErrorCode::NotFound,
                ..
            }
        )
    })
    .await;
}

#[tokio::test]
async fn malformed_unknown_and_oversized_frames_get_typed_errors_and_the_connection_stays() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let mut c = Client::connect(addr).await;
    let code = |m: ServerMsg| match m {
        ServerMsg::Error { code, .. } => code,
        other => panic!("expected an error, got {other:?}"),
    };
    c.send_raw("{not json").await;
    assert_eq!(code(c.next().await), ErrorCode::BadFrame);
    c.send_raw(r#"{"self_destruct":{}}"#).await;
    assert_eq!(code(c.next().await), ErrorCode::UnknownType);
    // A frame over the limit is refused at the transport, as its header arrives: that socket
    // closes with 1009, the others carry on.
    let mut big = Client::connect(addr).await;
    big.send_raw(&format!(
        r#"{{"send":{{"text":"{}"}}}}"#,
        "x".repeat(MAX_FRAME_BYTES)
    ))
    .await;
    assert_eq!(
        big.closed_with().await,
        Some(parley_server::gateway::TOO_BIG)
    );
    // A text frame that is not UTF-8 (final, text, masked with zeros, two bytes): 1007.
    let mut garbled = Client::connect(addr).await;
    garbled
        .send_bytes_raw(&[0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe])
        .await;
    assert_eq!(
        garbled.closed_with().await,
        Some(parley_server::gateway::NOT_UTF8)
    );
    c.send(&ClientMsg::from(act::SetStatus {
        status: AgentStatus::Ready,
    }))
    .await;
    assert_eq!(code(c.next().await), ErrorCode::Unauthorized);
    c.send(&ClientMsg::Hello {
        v: 99,
        token: None,
        resume: vec![],
        client: None,
    })
    .await;
    assert_eq!(code(c.next().await), ErrorCode::UnsupportedVersion);
    c.send(&ClientMsg::Hello {
        v: parley_protocol::PROTOCOL_VERSION,
        token: Some("forged".into()),
        resume: vec![],
        client: None,
    })
    .await;
    assert_eq!(code(c.next().await), ErrorCode::Unauthorized);
    let token = login(addr, "john").await;
    c.send(&ClientMsg::Hello {
        v: parley_protocol::PROTOCOL_VERSION,
        token: Some(token),
        resume: vec![],
        client: None,
    })
    .await;
    assert!(
        matches!(c.next().await, ServerMsg::Welcome { .. }),
        "still usable after the errors"
    );
}

#[tokio::test]
async fn a_contact_cannot_act_as_an_agent_or_on_another_chat() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let (ix_a, token_a) = start_chat(addr, "A", "hi").await;
    let (ix_b, _) = start_chat(addr, "B", "hi").await;
    let mut a = Client::hello(addr, &token_a, vec![]).await;
    a.send(&ClientMsg::from(act::SetStatus {
        status: AgentStatus::Ready,
    }))
    .await;
    a.expect(|m| {
        matches!(
            m,
            ServerMsg::Error {
                code: ErrorCode::Forbidden,
                ..
            }
        )
    })
    .await;
    a.send(&ClientMsg::from(act::Send {
        interaction: ix_b.clone(),
        client_id: "x".into(),
        text: "spy".into(),
        consultation: None,
    }))
    .await;
    a.expect(|m| {
        matches!(
            m,
            ServerMsg::Error {
                code: ErrorCode::Forbidden,
                ..
            }
        )
    })
    .await;
    // Resuming someone else's chat yields nothing of it.
    let mut resumed = Client::hello(
        addr,
        &token_a,
        vec![parley_protocol::Resume {
            interaction: ix_b.clone(),
            after: 0,
        }],
    )
    .await;
    // Frames are ordered: once this error is back, everything the hello produced has arrived.
    resumed.send_raw("{}").await;
    resumed
        .expect(|m| {
            matches!(
                m,
                ServerMsg::Error {
                    code: ErrorCode::BadFrame,
                    ..
                }
            )
        })
        .await;
    assert!(
        resumed
            .events(&ix_a)
            .iter()
            .any(|e| message_text(&e.kind) == Some("hi")),
        "its own chat is resumed"
    );
    assert!(resumed.events(&ix_b).is_empty());
}

#[tokio::test]
async fn login_and_chat_start_refuse_bad_input_with_clear_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let (status, body) = post(
        addr,
        "/api/login",
        json!({"username": "kate", "password": "wrong"}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("wrong username or password"))
    );
    let (status, _) = post(
        addr,
        "/api/login",
        json!({"username": "nobody", "password": "x"}),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = http(
        addr,
        "POST",
        "/api/login",
        &[("Content-Type", "application/json")],
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(addr, "/api/chats", json!({"name": "  "})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("enter your name"))
    );
    let (status, _) = post(addr, "/api/chats", json!({"name": "M", "queue": "nope"})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_socket_refuses_foreign_origins_with_403() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.allowed_origins = vec!["https://crm.example.com".into()]
    })
    .await;
    let upgrade = |origin: &'static str| {
        [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Origin", origin),
        ]
    };
    let (status, _) = http(addr, "GET", "/ws", &upgrade("http://evil.example"), None).await;
    assert_eq!(status, 403);
    let (status, _) = http(
        addr,
        "GET",
        "/ws",
        &upgrade("https://crm.example.com"),
        None,
    )
    .await;
    assert_eq!(status, 101);
}

#[tokio::test]
async fn the_session_cookie_authenticates_a_hello_without_token() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let token = login(addr, "kate").await;
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "ws://{addr}/ws"
        ))
        .expect("request");
    request.headers_mut().insert(
        "Cookie",
        format!("parley_session={token}").parse().expect("header"),
    );
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    let (mut tx, mut rx) = futures::StreamExt::split(ws);
    futures::SinkExt::send(
        &mut tx,
        tokio_tungstenite::tungstenite::Message::Text(
            ClientMsg::Hello {
                v: parley_protocol::PROTOCOL_VERSION,
                token: None,
                resume: vec![],
                client: None,
            }
            .to_frame()
            .into(),
        ),
    )
    .await
    .expect("send");
    let frame = futures::StreamExt::next(&mut rx)
        .await
        .expect("frame")
        .expect("ok");
    let msg = ServerMsg::parse(frame.to_text().expect("text")).expect("parses");
    assert!(
        matches!(
            msg,
            ServerMsg::Welcome {
                me: parley_protocol::Identity::Agent { .. },
                ..
            }
        ),
        "{msg:?}"
    );
}

async fn handoff(addr: std::net::SocketAddr, session: &str) -> (u16, Value) {
    let auth = format!("Bearer {session}");
    let (status, body) = http(
        addr,
        "POST",
        "/api/login/handoff",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_handed_off_sign_in_moves_the_session_once_and_logout_revokes_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    // A pop-up signs in with the password and hands the sign-in to the framed desktop.
    let popup = login(addr, "kate").await;
    let (status, body) = handoff(addr, &popup).await;
    assert_eq!(status, 201, "{body}");
    let first = body["token"].as_str().expect("token").to_owned();
    assert!(body["expires_at"].as_i64().expect("expiry") > 0);
    // Minting again replaces the earlier token: one outstanding per session.
    let (_, body) = handoff(addr, &popup).await;
    let handed = body["token"].as_str().expect("token").to_owned();
    let (status, _) = post(addr, "/api/login/token", json!({ "token": first })).await;
    assert_eq!(status, 401, "the replaced token is dead");
    let (status, frame) = post(addr, "/api/login/token", json!({ "token": handed })).await;
    assert_eq!(
        (status, frame["agent"].as_str()),
        (200, Some("kate")),
        "{frame}"
    );
    let frame = frame["token"].as_str().expect("session").to_owned();
    assert!(admitted(addr, &frame).await);
    assert!(!admitted(addr, &popup).await, "the session moved");
    let (status, _) = post(addr, "/api/login/token", json!({ "token": handed })).await;
    assert_eq!(status, 401, "used once");

    // The framed desktop leaves its host a token to sign in again after a reload...
    let (_, body) = handoff(addr, &frame).await;
    let resume = body["token"].as_str().expect("token").to_owned();
    let (status, reloaded) = post(addr, "/api/login/token", json!({ "token": resume })).await;
    assert_eq!(status, 200, "{reloaded}");
    let reloaded = reloaded["token"].as_str().expect("session").to_owned();
    assert!(admitted(addr, &reloaded).await);
    assert!(!admitted(addr, &frame).await);
    // ...and logging out revokes the one it left last.
    let (_, body) = handoff(addr, &reloaded).await;
    let resume = body["token"].as_str().expect("token").to_owned();
    let auth = format!("Bearer {reloaded}");
    let (status, _) = http(
        addr,
        "POST",
        "/api/logout",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = post(addr, "/api/login/token", json!({ "token": resume })).await;
    assert_eq!(status, 401, "revoked by the logout");
    // No session, no hand-off.
    assert_eq!(handoff(addr, &reloaded).await.0, 401);
    assert_eq!(handoff(addr, "made-up").await.0, 401);
    let (status, _) = http(addr, "POST", "/api/login/handoff", &[], None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_agent_opens_a_long_chat_on_its_latest_events_and_scrolls_back_for_the_rest() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.frames_per_second = 10_000;
        c.server.frame_burst = 10_000;
        // A long chat written at once, while it waits in the queue.
        c.chat.queued_message_gap_ms = 0;
    })
    .await;
    let (ix, contact_token) = start_chat(addr, "Mark Avram", "first").await;
    let mut contact = Client::hello(addr, &contact_token, vec![]).await;
    for i in 0..300 {
        contact
            .send(&ClientMsg::from(act::Send {
                interaction: ix.clone(),
                client_id: format!("c{i}"),
                text: format!("m{i}"),
                consultation: None,
            }))
            .await;
    }
    contact
        .expect(|m| matches!(m, ServerMsg::Ack { client_id, .. } if client_id == "c299"))
        .await;

    let mut kate = ready_agent(addr, "kate").await;
    let invitation = next_invitation(&mut kate).await;
    kate.send(&ClientMsg::from(act::Accept {
        invitation: invitation.id,
    }))
    .await;
    let ServerMsg::Events { events, .. } =
        kate.expect(|m| matches!(m, ServerMsg::Events { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(
        events.len(),
        parley_protocol::OPEN_WINDOW as usize,
        "only the latest events on opening"
    );
    let first = events[0].seq;
    assert!(first > 1);
    kate.send(&ClientMsg::Older {
        interaction: ix.clone(),
        before: first,
        limit: 500,
    })
    .await;
    let ServerMsg::Older {
        events: older,
        from,
        ..
    } = kate.expect(|m| matches!(m, ServerMsg::Older { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(from, 1, "the start is reached");
    assert_eq!(older.first().map(|e| e.seq), Some(1));
    assert_eq!(
        older.last().map(|e| e.seq),
        Some(first - 1),
        "nothing missing, nothing twice"
    );

    // Only parties may scroll back.
    let john_token = login(addr, "john").await;
    let mut john = Client::hello(addr, &john_token, vec![]).await;
    john.send(&ClientMsg::Older {
        interaction: ix.clone(),
        before: 100,
        limit: 10,
    })
    .await;
    john.expect(|m| {
        matches!(
            m,
            ServerMsg::Error {
                code: ErrorCode::Forbidden,
                ..
            }
        )
    })
    .await;
}

#[tokio::test]
async fn earlier_chats_of_the_contact_come_one_at_a_time_within_the_history_limit() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;

    // A first chat, finished, with a private consultation-free exchange and an agents-only notice.
    let (first, mut contact, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    kate.send(&ClientMsg::from(act::Send {
        interaction: first.clone(),
        client_id: "k1".into(),
        text: "Your card is unblocked".into(),
        consultation: None,
    }))
    .await;
    contact
        .expect_event(&first, |k| {
            message_text(k) == Some("Your card is unblocked")
        })
        .await;
    kate.send(&ClientMsg::from(act::End {
        interaction: first.clone(),
    }))
    .await;
    kate.send(&ClientMsg::from(act::Done {
        interaction: first.clone(),
        disposition: Some("Resolved".into()),
        note: None,
    }))
    .await;
    kate.expect(|m| matches!(m, ServerMsg::Closed { interaction } if interaction == &first))
        .await;
    contact.close().await;

    // The same contact (same e-mail) comes back.
    let (second, _contact, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    let ServerMsg::Opened { interaction: now } = kate
        .seen
        .iter()
        .rev()
        .find(|m| matches!(m, ServerMsg::Opened { interaction } if interaction.id == second))
        .cloned()
        .expect("opened")
    else {
        unreachable!()
    };
    kate.send(&ClientMsg::Earlier {
        interaction: second.clone(),
        before: now.started_at,
    })
    .await;
    let ServerMsg::Earlier {
        chat: Some(past), ..
    } = kate
        .expect(|m| matches!(m, ServerMsg::Earlier { .. }))
        .await
    else {
        panic!("expected the first chat");
    };
    assert_eq!(past.id, first);
    assert!(past
        .events
        .iter()
        .any(|e| message_text(&e.kind) == Some("Your card is unblocked")));
    assert!(
        past.events
            .iter()
            .all(|e| e.audience == parley_protocol::Audience::Everyone),
        "only what everyone saw"
    );

    // Nothing before the first chat.
    kate.send(&ClientMsg::Earlier {
        interaction: second.clone(),
        before: past.started_at,
    })
    .await;
    kate.expect(|m| matches!(m, ServerMsg::Earlier { chat: None, .. }))
        .await;

    // Only agents in the chat may ask; contacts may not at all.
    let john_token = login(addr, "john").await;
    let mut john = Client::hello(addr, &john_token, vec![]).await;
    john.send(&ClientMsg::Earlier {
        interaction: second.clone(),
        before: i64::MAX,
    })
    .await;
    john.expect_error(ErrorCode::Forbidden).await;
}

#[tokio::test]
async fn earlier_chats_older_than_the_history_limit_are_not_shown() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| c.chat.history_days = 0).await;
    let mut kate = ready_agent(addr, "kate").await;
    let (first, _contact, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    kate.send(&ClientMsg::from(act::End {
        interaction: first.clone(),
    }))
    .await;
    let (second, _c2, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    kate.send(&ClientMsg::Earlier {
        interaction: second,
        before: i64::MAX,
    })
    .await;
    kate.expect(|m| matches!(m, ServerMsg::Earlier { chat: None, .. }))
        .await;
}

/// A contact whose connection is open stays in the chat however long it lasts; only once the
/// connection is gone for the grace period does the contact leave.
#[tokio::test]
async fn a_connected_contact_stays_past_the_grace_period_and_leaves_only_once_gone() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| c.chat.contact_grace_secs = 1).await;
    let mut agent = ready_agent(addr, "john").await;
    let (ix, mut contact, _) = chat_with(addr, &mut agent, "Connie").await;

    // Well past the grace period, connected all along: still a party.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    contact
        .send(&ClientMsg::from(act::Send {
            interaction: ix.clone(),
            client_id: "c1".into(),
            text: "still here".into(),
            consultation: None,
        }))
        .await;
    let answer = contact
        .expect(|m| matches!(m, ServerMsg::Ack { .. } | ServerMsg::Error { .. }))
        .await;
    assert!(matches!(answer, ServerMsg::Ack { .. }), "{answer:?}");
    agent
        .expect_event(&ix, |k| message_text(k) == Some("still here"))
        .await;

    // Gone: after the grace period the contact leaves, disconnected.
    contact.close().await;
    agent
        .expect_event(&ix, |k| {
            matches!(
                k,
                EventKind::Left {
                    party: Party::Contact { .. },
                    reason: Some(LeaveReason::Disconnected)
                }
            )
        })
        .await;
}

#[tokio::test]
async fn a_contact_cannot_take_an_agents_message_id() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("p.db");
    let addr = spawn_server(&db, |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, mut contact, _) = chat_with(addr, &mut kate, "Mark Avram").await;
    let send = |client_id: &str, text: &str| {
        ClientMsg::from(act::Send {
            interaction: ix.clone(),
            client_id: client_id.into(),
            text: text.into(),
            consultation: None,
        })
    };

    // The contact sends first under the id the agent will use next.
    contact.send(&send("d1-7", "I was here first")).await;
    let contact_seq = ack_of(&mut contact, "d1-7").await;
    kate.send(&send("d1-7", "Your card is unblocked")).await;
    let kate_seq = ack_of(&mut kate, "d1-7").await;
    assert_ne!(kate_seq, contact_seq, "each message has its own seq");

    // Both are stored and delivered to both sides.
    contact
        .expect_event(&ix, |k| message_text(k) == Some("Your card is unblocked"))
        .await;
    // (Stored before Kate sent, so it reached her before her own ack.)
    assert!(kate
        .events(&ix)
        .iter()
        .any(|e| message_text(&e.kind) == Some("I was here first")));

    // A retry by the same sender is still stored once, and acknowledged with the first seq.
    kate.send(&send("d1-7", "Your card is unblocked")).await;
    assert_eq!(ack_of(&mut kate, "d1-7").await, kate_seq);
    let mut resumed = Client::hello(addr, &login(addr, "kate").await, vec![]).await;
    resumed
        .expect(|m| matches!(m, ServerMsg::Events { interaction, .. } if interaction == &ix))
        .await;
    let texts: Vec<String> = resumed
        .events(&ix)
        .iter()
        .filter_map(|e| message_text(&e.kind).map(str::to_owned))
        .collect();
    assert_eq!(
        texts
            .iter()
            .filter(|t| *t == "Your card is unblocked")
            .count(),
        1,
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t == "I was here first"), "{texts:?}");
}

/// The first offer a fresh server makes.
async fn first_offer_id(db: &std::path::Path) -> String {
    let addr = spawn_server(db, |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;
    start_chat(addr, "Mark Avram", "Hello").await;
    next_invitation(&mut kate).await.id.to_string()
}

#[tokio::test]
async fn offers_made_after_a_restart_never_reuse_an_earlier_offers_id() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("p.db");
    let before = first_offer_id(&db).await;
    let after = first_offer_id(&dir.path().join("q.db")).await;
    assert_ne!(before, after, "a held accept could name the new offer");
}

#[tokio::test]
async fn the_previous_protocol_version_is_still_spoken_and_others_are_told_to_reload() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let token = login(addr, "kate").await;
    for v in [
        parley_protocol::OLDEST_PROTOCOL_VERSION,
        parley_protocol::PROTOCOL_VERSION,
    ] {
        let mut c = Client::connect(addr).await;
        c.send(&ClientMsg::Hello {
            v,
            token: Some(token.clone()),
            resume: vec![],
            client: None,
        })
        .await;
        c.expect(|m| matches!(m, ServerMsg::Welcome { .. })).await;
    }
    for v in [
        0,
        parley_protocol::OLDEST_PROTOCOL_VERSION - 1,
        parley_protocol::PROTOCOL_VERSION + 1,
    ] {
        let mut c = Client::connect(addr).await;
        c.send(&ClientMsg::Hello {
            v,
            token: Some(token.clone()),
            resume: vec![],
            client: None,
        })
        .await;
        let refused = c.expect_error(ErrorCode::UnsupportedVersion).await;
        assert!(
            matches!(&refused, ServerMsg::Error { message, .. } if message == parley_protocol::UPDATED_NOTICE),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn a_commands_request_id_comes_back_with_its_ack_or_its_refusal() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let (ix, _) = start_chat(addr, "Mark Avram", "Hello").await;
    let mut kate = ready_agent(addr, "kate").await;
    let invitation = next_invitation(&mut kate).await;
    kate.send_raw(
        &ClientMsg::from(act::Accept {
            invitation: invitation.id,
        })
        .to_frame_with(40),
    )
    .await;
    kate.expect(|m| matches!(m, ServerMsg::Opened { .. })).await;
    let send = ClientMsg::from(act::Send {
        interaction: ix.clone(),
        client_id: "k-1".into(),
        text: "Hello Mark".into(),
        consultation: None,
    });
    kate.send_raw(&send.to_frame_with(41)).await;
    let ack = kate.expect(|m| matches!(m, ServerMsg::Ack { .. })).await;
    assert!(
        matches!(ack, ServerMsg::Ack { req: Some(41), .. }),
        "{ack:?}"
    );

    // Refusals name the command refused: the engine's, the hub's reads, the gateway's.
    let refusals = [
        (
            42,
            ClientMsg::from(act::End {
                interaction: "ix-nowhere".into(),
            }),
            ErrorCode::NotFound,
        ),
        (
            43,
            ClientMsg::from(act::SetStatus {
                status: AgentStatus::NotReady {
                    reason: Some("Holiday in space".into()),
                },
            }),
            ErrorCode::Invalid,
        ),
        (
            44,
            ClientMsg::from(act::Read {
                interaction: ix.clone(),
                up_to: 1,
            }),
            ErrorCode::Forbidden,
        ),
        (
            45,
            ClientMsg::Older {
                interaction: "ix-nowhere".into(),
                before: 5,
                limit: 10,
            },
            ErrorCode::Forbidden,
        ),
        (
            46,
            ClientMsg::Hello {
                v: PROTOCOL_VERSION,
                token: None,
                resume: vec![],
                client: None,
            },
            ErrorCode::Invalid,
        ),
    ];
    for (req, msg, code) in refusals {
        kate.send_raw(&msg.to_frame_with(req)).await;
        let refused = kate.expect_error(code).await;
        assert!(
            matches!(refused, ServerMsg::Error { req: Some(r), .. } if r == req),
            "{req}: {refused:?}"
        );
    }
}

#[tokio::test]
async fn a_client_of_the_previous_protocol_reads_system_notices_as_text() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let (ix, token) = start_chat(addr, "Mark Avram", "Hello").await;
    let mut old = Client::connect(addr).await;
    old.send(&ClientMsg::Hello {
        v: parley_protocol::OLDEST_PROTOCOL_VERSION,
        token: Some(token.clone()),
        resume: vec![],
        client: None,
    })
    .await;
    old.expect_event(
        &ix,
        |k| matches!(k, EventKind::Notice { text } if text == "Agent will be with you shortly"),
    )
    .await;
    let mut new = Client::hello(addr, &token, vec![]).await;
    new.expect_event(&ix, |k| {
        matches!(
            k,
            EventKind::System {
                notice: Notice::Queued
            }
        )
    })
    .await;
    assert!(
        !old.events(&ix)
            .iter()
            .any(|e| matches!(e.kind, EventKind::System { .. })),
        "no typed notice reaches the old client"
    );
}

#[tokio::test]
async fn a_contact_opening_a_long_chat_gets_its_latest_window_then_pages_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.frame_burst = 1000;
        c.server.frames_per_second = 1000;
        // A long chat written at once, while it waits in the queue.
        c.chat.queued_message_gap_ms = 0;
    })
    .await;
    let (ix, token) = start_chat(addr, "Mark Avram", "Hello").await;
    let mut writer = Client::hello(addr, &token, vec![]).await;
    for n in 0..150 {
        writer
            .send(&ClientMsg::from(act::Send {
                interaction: ix.clone(),
                client_id: format!("m-{n}"),
                text: format!("line {n}"),
                consultation: None,
            }))
            .await;
        ack_of(&mut writer, &format!("m-{n}")).await;
    }
    // The contact opens the chat again in a new page: the latest window only.
    let mut reader = Client::hello(addr, &token, vec![]).await;
    let window = match reader
        .expect(|m| matches!(m, ServerMsg::Events { interaction, .. } if *interaction == ix))
        .await
    {
        ServerMsg::Events { events, .. } => events,
        _ => unreachable!(),
    };
    assert!(
        window.len() <= parley_protocol::OPEN_WINDOW as usize,
        "{}",
        window.len()
    );
    assert_eq!(
        window.last().and_then(|e| message_text(&e.kind)),
        Some("line 149")
    );
    // Paging back reaches the start: every event once.
    let mut seen: Vec<u64> = window.iter().map(|e| e.seq).collect();
    let mut before = seen[0];
    loop {
        reader
            .send(&ClientMsg::Older {
                interaction: ix.clone(),
                before,
                limit: parley_protocol::OPEN_WINDOW,
            })
            .await;
        let (events, from) = match reader
            .expect(|m| matches!(m, ServerMsg::Older { .. }))
            .await
        {
            ServerMsg::Older { events, from, .. } => (events, from),
            _ => unreachable!(),
        };
        let mut page: Vec<u64> = events.iter().map(|e| e.seq).collect();
        page.extend(seen);
        seen = page;
        if from <= 1 {
            break;
        }
        before = from;
    }
    assert_eq!(seen.first(), Some(&1));
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
}

#[tokio::test]
async fn an_agent_uses_one_desktop_at_a_time_and_moves_it_with_use_here() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let token = login(addr, "kate").await;
    let in_use = |c: &Client| {
        c.seen.iter().rev().find_map(|m| match m {
            ServerMsg::Welcome { desktop, .. } => desktop.clone(),
            ServerMsg::ActiveDesktop { client } => Some(client.clone()),
            _ => None,
        })
    };
    let mut tab = Client::hello_as(addr, &token, vec![], Some("tab")).await;
    assert_eq!(in_use(&tab).as_deref(), Some("tab"));
    // A second desktop (a CRM's frame) opens: the tab stays in use.
    let mut frame = Client::hello_as(addr, &token, vec![], Some("frame")).await;
    assert_eq!(in_use(&frame).as_deref(), Some("tab"));
    // "Use it here" in the frame: both hear that the frame is in use.
    frame.send(&ClientMsg::UseHere {}).await;
    for c in [&mut tab, &mut frame] {
        c.expect(|m| matches!(m, ServerMsg::ActiveDesktop { client } if client == "frame"))
            .await;
    }
    // The frame reloads: its old connection goes first, the tab keeps waiting, and the frame's
    // new desktop is in use when it connects.
    drop(frame);
    let reloaded = Client::hello_as(addr, &token, vec![], Some("frame-2")).await;
    assert_eq!(in_use(&reloaded).as_deref(), Some("frame-2"));
    tab.expect(|m| matches!(m, ServerMsg::ActiveDesktop { client } if client == "frame-2"))
        .await;
    // A contact has no desktop to move.
    let (_, contact_token) = start_chat(addr, "Ana", "Hi").await;
    let mut contact = Client::hello(addr, &contact_token, vec![]).await;
    contact.send(&ClientMsg::UseHere {}).await;
    contact.expect_error(ErrorCode::Invalid).await;
}
