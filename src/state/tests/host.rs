//! The host API's rules: scopes, what each request does, and the events a change makes.

use super::*;
use crate::state::host::{granted, scope_of};
use serde_json::{json, Value};

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn offer_of(id: &str, ix: &str) -> ServerMsg {
    ServerMsg::Invitation {
        invitation: Invitation {
            id: id.into(),
            kind: InvitationKind::NewChat,
            interaction: summary(ix),
            expires_at: 9,
        },
    }
}

#[test]
fn a_family_scope_grants_its_methods_and_nothing_else() {
    let agent = scopes(&["agent.*", "chat.insert"]);
    assert!(granted(&agent, "agent.read") && granted(&agent, "agent.control"));
    assert!(granted(&agent, "chat.insert"));
    assert!(!granted(&agent, "chat.send"));
    assert!(!granted(&scopes(&["agent.*"]), "agentx.read"));
    assert!(granted(&[], ""), "hello needs no scope");
    assert_eq!(scope_of("chat.send"), Some("chat.send"));
    assert_eq!(scope_of("admin.shutdown"), None);
}

#[test]
fn a_request_outside_the_scopes_is_refused_and_changes_nothing() {
    let mut s = with_chat();
    let params = json!({ "interaction": "ix-1", "text": "Hi" });
    let handled = s.host_request("chat.send", &params, &scopes(&["chat.insert"]));
    assert_eq!(handled.reply.map_err(|e| e.code), Err("forbidden"));
    assert!(handled.send.is_empty());
    let handled = s.host_request("nope", &Value::Null, &scopes(&["agent.*"]));
    assert_eq!(handled.reply.map_err(|e| e.code), Err("unknown_method"));
    // Signed out, only the state and hello answer.
    let mut out = DesktopState::new(Outbox::new("t"));
    let all = scopes(&["agent.*", "interaction.*"]);
    let state = out.host_request("agent.getState", &Value::Null, &all).reply;
    assert_eq!(state.map(|v| v["signedIn"].clone()), Ok(json!(false)));
    let list = out
        .host_request("interactions.list", &Value::Null, &all)
        .reply;
    assert_eq!(list.map_err(|e| e.code), Err("signed_out"));
}

#[test]
fn the_host_reads_the_agent_and_its_chats_and_drives_them() {
    let mut s = with_chat();
    let all = scopes(&["agent.*", "interaction.*", "chat.*"]);
    let state = s
        .host_request("agent.getState", &Value::Null, &all)
        .reply
        .expect("state");
    assert_eq!(state["agent"], "kate");
    assert_eq!(state["status"], "ready");
    assert_eq!(state["load"], 1);
    let list = s
        .host_request("interactions.list", &Value::Null, &all)
        .reply
        .expect("list");
    assert_eq!(list[0]["id"], "ix-1");
    assert_eq!(list[0]["contact"], "Mark Avram");

    // Text inserted goes into the composer; the agent still sends it.
    let insert = json!({ "interaction": "ix-1", "text": "Your order ships today" });
    let handled = s.host_request("chat.insertText", &insert, &all);
    assert!(handled.reply.is_ok() && handled.send.is_empty());
    assert_eq!(
        s.chat(&"ix-1".into()).map(|c| c.draft.as_str()),
        Some("Your order ships today")
    );
    // With chat.send, the host sends itself.
    let handled = s.host_request(
        "chat.send",
        &json!({ "interaction": "ix-1", "text": "Hi" }),
        &all,
    );
    assert!(matches!(handled.send.as_slice(), [ClientMsg::Act(Action::Send(a))] if a.text == "Hi"));
    let missing = s.host_request(
        "chat.insertText",
        &json!({ "interaction": "ix-9", "text": "x" }),
        &all,
    );
    assert_eq!(missing.reply.map_err(|e| e.code), Err("not_found"));
    let bad = s.host_request("chat.insertText", &json!({ "interaction": "ix-1" }), &all);
    assert_eq!(bad.reply.map_err(|e| e.code), Err("invalid"));

    // Status, and an offer accepted by its chat's id.
    let away = json!({ "status": { "not_ready": { "reason": "Lunch" } } });
    let handled = s.host_request("agent.setStatus", &away, &all);
    assert!(matches!(
        handled.send.as_slice(),
        [ClientMsg::Act(Action::SetStatus(_))]
    ));
    let wrong = s.host_request("agent.setStatus", &json!({ "status": "asleep" }), &all);
    assert_eq!(wrong.reply.map_err(|e| e.code), Err("invalid"));
    s.apply(offer_of("inv-2", "ix-2"));
    let handled = s.host_request(
        "interactions.accept",
        &json!({ "interaction": "ix-2" }),
        &all,
    );
    assert_eq!(
        handled.send,
        vec![ClientMsg::from(act::Accept {
            invitation: "inv-2".into()
        })]
    );
    let none = s.host_request(
        "interactions.reject",
        &json!({ "interaction": "ix-7" }),
        &all,
    );
    assert_eq!(none.reply.map_err(|e| e.code), Err("not_found"));
}

#[test]
fn each_change_the_host_is_told_about_is_one_event() {
    let mut s = DesktopState::new(Outbox::new("t"));
    let before = s.host_view();
    s.apply(welcome());
    let events: Vec<&str> = s.host_events(&before).iter().map(|(e, _)| *e).collect();
    assert_eq!(events, ["signedIn", "status"]);

    let before = s.host_view();
    s.apply(offer_of("inv-1", "ix-1"));
    let events = s.host_events(&before);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "offered");
    assert_eq!(events[0].1["interaction"]["id"], "ix-1");

    let before = s.host_view();
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-1"),
    });
    s.apply(ServerMsg::InvitationGone {
        invitation: "inv-1".into(),
    });
    let events: Vec<&str> = s.host_events(&before).iter().map(|(e, _)| *e).collect();
    assert_eq!(events, ["offerGone", "accepted"]);
    // Nothing changed: nothing to tell.
    assert!(s.host_events(&s.host_view()).is_empty());
}

#[test]
fn collaboration_and_the_chat_s_end_are_the_agent_s_own_actions() {
    let mut s = with_chat();
    let all = scopes(&["interaction.*", "collaboration.*"]);
    let ix1 = || json!({ "interaction": "ix-1", "target": { "group": "tier2" } });
    let sent = |h: crate::state::host::Handled| h.send;
    assert_eq!(
        sent(s.host_request("collaboration.consult", &ix1(), &all)),
        vec![ClientMsg::from(act::Invite {
            interaction: "ix-1".into(),
            request: RequestKind::Consultation,
            target: Target::Group("tier2".into()),
        })]
    );
    let to_queue = json!({ "interaction": "ix-1", "target": { "queue": "general" } });
    assert!(matches!(
        sent(s.host_request("collaboration.transfer", &to_queue, &all)).as_slice(),
        [ClientMsg::Act(Action::Invite(act::Invite {
            request: RequestKind::Transfer,
            target: Target::Queue(_),
            ..
        }))]
    ));
    let nobody = json!({ "interaction": "ix-1", "target": "john" });
    let refused = s
        .host_request("collaboration.conference", &nobody, &all)
        .reply;
    assert_eq!(refused.map_err(|e| e.code), Err("invalid"));
    let none = s.host_request(
        "collaboration.endConsultation",
        &json!({ "interaction": "ix-1" }),
        &all,
    );
    assert_eq!(
        none.reply.map_err(|e| e.code),
        Err("not_found"),
        "no consultation is active"
    );
    let outside = s.host_request("collaboration.consult", &ix1(), &scopes(&["interaction.*"]));
    assert_eq!(outside.reply.map_err(|e| e.code), Err("forbidden"));

    // Mark Done waits for the end, as the agent's button does.
    let done = json!({ "interaction": "ix-1", "disposition": "Resolved", "note": "ok" });
    let early = s.host_request("interactions.markDone", &done, &all).reply;
    assert_eq!(early.map_err(|e| e.code), Err("invalid"));
    assert_eq!(
        sent(s.host_request("interactions.end", &json!({ "interaction": "ix-1" }), &all)),
        vec![ClientMsg::from(act::End {
            interaction: "ix-1".into()
        })]
    );
    let before = s.host_view();
    s.apply(events(
        "ix-1",
        vec![event(
            3,
            EventKind::Ended {
                reason: EndReason::AgentEnded,
            },
        )],
    ));
    let ended: Vec<&str> = s.host_events(&before).iter().map(|(e, _)| *e).collect();
    assert_eq!(ended, ["ended"]);
    assert!(matches!(
        sent(s.host_request("interactions.markDone", &done, &all)).as_slice(),
        [ClientMsg::Act(Action::Done(d))] if d.disposition.as_deref() == Some("Resolved")
    ));
    s.set_disposition(&"ix-1".into(), "Resolved");
    s.set_note(&"ix-1".into(), "Refund sent ");
    let before = s.host_view();
    s.apply(ServerMsg::Closed {
        interaction: "ix-1".into(),
    });
    let events = s.host_events(&before);
    let names: Vec<&str> = events.iter().map(|(e, _)| *e).collect();
    assert_eq!(names, ["done", "closed"]);
    assert_eq!(
        events[0].1,
        json!({ "interaction": "ix-1", "disposition": "Resolved", "note": "Refund sent" })
    );
}
