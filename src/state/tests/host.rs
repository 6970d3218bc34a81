//! The host API's rules: scopes, what each request does, and the events a change makes.

use super::*;
use crate::state::host::{
    granted, locale_of, record_of, scope_of, theme_of, verdict, Hooks, HostEvent, HostView,
    Intercepted,
};
use serde_json::{json, Value};

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn names(events: &[HostEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.name).collect()
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
    let one = s
        .host_request("interactions.get", &json!({ "interaction": "ix-1" }), &all)
        .reply
        .expect("details");
    assert_eq!(one["state"], "active");
    assert_eq!(one["parties"][0]["name"], "Mark Avram");
    assert_eq!(one["parties"][0]["status"], "connected");
    let none = s.host_request("interactions.get", &json!({ "interaction": "ix-9" }), &all);
    assert_eq!(none.reply.map_err(|e| e.code), Err("not_found"));

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
    assert_eq!(
        names(&s.host_events(&before, false)),
        ["signedIn", "status"]
    );

    let before = s.host_view();
    s.apply(offer_of("inv-1", "ix-1"));
    let events = s.host_events(&before, false);
    assert_eq!(names(&events), ["offered", "screenPop"]);
    assert_eq!(events[0].data["interaction"]["id"], "ix-1");
    assert_eq!(events[0].position, json!({ "invitation": "inv-1" }));
    assert_eq!(events[1].data["reason"], "offered");

    let before = s.host_view();
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-1"),
    });
    s.apply(ServerMsg::InvitationGone {
        invitation: "inv-1".into(),
    });
    let events = s.host_events(&before, false);
    assert_eq!(
        names(&events),
        ["offerGone", "accepted", "screenPop", "focusChanged"]
    );
    assert_eq!(
        events[1].position,
        json!({ "interaction": "ix-1", "seq": 0 })
    );
    assert_eq!(events[2].data["reason"], "accepted");
    // Nothing changed: nothing to tell.
    assert!(s.host_events(&s.host_view(), false).is_empty());
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
    assert_eq!(names(&s.host_events(&before, false)), ["ended"]);
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
    let events = s.host_events(&before, false);
    assert_eq!(names(&events)[..2], ["done", "closed"]);
    assert_eq!(
        events[0].data,
        json!({ "interaction": "ix-1", "disposition": "Resolved", "note": "Refund sent" })
    );
}

#[test]
fn a_chat_transferred_away_is_closed_for_the_host_never_ended_or_done() {
    let mut s = with_chat();
    // The transfer took effect: Kate left, and the chat goes in a later burst of frames.
    let before = s.host_view();
    s.apply(events(
        "ix-1",
        vec![event(
            3,
            EventKind::Left {
                party: Party::Agent {
                    id: "kate".into(),
                    name: "Kate".into(),
                },
                reason: None,
            },
        )],
    ));
    assert!(s.chats[0].ended(), "the desktop shows it over");
    assert_eq!(names(&s.host_events(&before, false)), Vec::<&str>::new());
    let before = s.host_view();
    s.apply(ServerMsg::Closed {
        interaction: "ix-1".into(),
    });
    // Closed, and nothing on screen any more: never `ended` or `done`.
    assert_eq!(
        names(&s.host_events(&before, false)),
        ["closed", "focusChanged"]
    );
}

#[test]
fn a_host_that_gives_back_its_cursor_hears_what_it_missed_and_nothing_twice() {
    let mut s = with_chat();
    let heard = s.host_view();
    let cursor = heard.cursor();
    // While the host's page reloads: an offer comes and goes, another stays, and the contact
    // writes twice.
    s.apply(offer_of("inv-2", "ix-2"));
    s.apply(ServerMsg::InvitationGone {
        invitation: "inv-2".into(),
    });
    s.apply(offer_of("inv-3", "ix-3"));
    s.apply(events(
        "ix-1",
        vec![contact_says(5, "Still there?"), contact_says(6, "Hello?")],
    ));
    let back = HostView::from_cursor(&cursor).expect("our cursor");
    assert_eq!(back, heard);
    let missed = s.host_events(&back, true);
    assert_eq!(
        names(&missed),
        ["offered", "screenPop", "message", "message"]
    );
    assert_eq!(missed[0].data["invitation"], "inv-3");
    assert_eq!(missed[2].data["text"], "Still there?");
    assert_eq!(missed[2].data["from"], "contact");
    assert_eq!(
        missed[3].position,
        json!({ "interaction": "ix-1", "seq": 6 })
    );
    // The offer that came and went while the page was away is not news any more.
    assert!(!missed.iter().any(|e| e.data["invitation"] == "inv-2"));
    // From the cursor after those, there is nothing to hear again.
    let now = HostView::from_cursor(&s.host_view().cursor()).expect("cursor");
    assert!(s.host_events(&now, true).is_empty());
    // A cursor that is not ours, or too long, starts from nothing.
    assert_eq!(HostView::from_cursor("{not json"), None);
    assert_eq!(HostView::from_cursor(&"x".repeat(70_000)), None);
}

#[test]
fn message_text_needs_its_scope_and_a_rejection_is_named() {
    let mut s = with_chat();
    let before = s.host_view();
    s.apply(events("ix-1", vec![contact_says(5, "My card number is")]));
    let quiet = s.host_events(&before, false);
    assert_eq!(names(&quiet), ["message"]);
    assert_eq!(quiet[0].data.get("text"), None, "metadata only");
    assert_eq!(quiet[0].data["seq"], 5);

    s.apply(offer_of("inv-4", "ix-4"));
    let before = s.host_view();
    let reject = s.answer(&"inv-4".into(), false);
    assert!(reject.is_some());
    s.apply(ServerMsg::InvitationGone {
        invitation: "inv-4".into(),
    });
    let events = s.host_events(&before, false);
    assert_eq!(names(&events), ["rejected", "offerGone"]);
    assert_eq!(events[0].data["interaction"], "ix-4");
    // An offer that timed out is only gone.
    s.apply(offer_of("inv-5", "ix-5"));
    let before = s.host_view();
    s.apply(ServerMsg::InvitationGone {
        invitation: "inv-5".into(),
    });
    assert_eq!(names(&s.host_events(&before, false)), ["offerGone"]);
    // Losing the connection, and having it back, are events while signed in.
    let before = s.host_view();
    s.disconnected();
    assert_eq!(names(&s.host_events(&before, false)), ["connectionLost"]);
}

#[test]
fn a_host_registers_its_hooks_within_its_scopes_and_with_valid_terms() {
    let read = scopes(&["interaction.read"]);
    let both = scopes(&["interaction.read", "interaction.intercept"]);
    let search = json!({ "contactSearch": true });
    assert!(Hooks::register(&search, &read).is_ok_and(|h| h.contact_search));
    let refused = Hooks::register(&search, &scopes(&["agent.*"]));
    assert_eq!(refused.map_err(|e| e.code), Err("forbidden"));
    let done = json!({ "interceptors": [{ "action": "markDone", "onTimeout": "refuse", "timeoutMs": 5 }] });
    assert_eq!(
        Hooks::register(&done, &read).map_err(|e| e.code),
        Err("forbidden")
    );
    let hooks = Hooks::register(&done, &both).expect("hooks");
    assert_eq!(hooks.interceptors[0].action, Intercepted::MarkDone);
    assert_eq!(hooks.interceptors[0].timeout_ms, 100, "at least 100 ms");
    assert!(!hooks.interceptors[0].proceed_on_timeout);
    for bad in [
        json!({ "interceptors": [{ "action": "logout", "onTimeout": "refuse" }] }),
        json!({ "interceptors": [{ "action": "markDone" }] }),
    ] {
        assert_eq!(
            Hooks::register(&bad, &both).map_err(|e| e.code),
            Err("invalid")
        );
    }
}

#[test]
fn an_interceptor_holds_mark_done_and_transfers_only_and_its_verdict_decides() {
    let mut s = with_chat();
    let both = scopes(&["interaction.read", "interaction.intercept"]);
    let hooks = Hooks::register(
        &json!({ "interceptors": [
            { "action": "markDone", "onTimeout": "refuse", "timeoutMs": 2000 },
            { "action": "transfer", "onTimeout": "proceed" },
        ] }),
        &both,
    )
    .expect("hooks");
    let done = ClientMsg::from(act::Done {
        interaction: "ix-1".into(),
        disposition: Some("Resolved".into()),
        note: None,
    });
    let (mark_done, asked) = hooks.intercepts(&done, &s).expect("held");
    assert_eq!(asked["action"], "markDone");
    assert_eq!(asked["disposition"], "Resolved");
    let transfer = ClientMsg::from(act::Invite {
        interaction: "ix-1".into(),
        request: RequestKind::Transfer,
        target: Target::Queue("tier2".into()),
    });
    let (to_tier2, asked) = hooks.intercepts(&transfer, &s).expect("held");
    assert_eq!(asked["target"], json!({ "queue": "tier2" }));
    let consult = ClientMsg::from(act::Invite {
        interaction: "ix-1".into(),
        request: RequestKind::Consultation,
        target: Target::Queue("tier2".into()),
    });
    assert!(hooks.intercepts(&consult, &s).is_none(), "not intercepted");
    assert!(hooks
        .intercepts(
            &ClientMsg::from(act::End {
                interaction: "ix-1".into()
            }),
            &s
        )
        .is_none());

    // Refused, with the host's reason; refused without an answer in time (as declared).
    let no = json!({ "allow": false, "message": "Link a case first" });
    assert_eq!(
        verdict(mark_done, Some(&no), done.clone()),
        Err("Link a case first".into())
    );
    assert!(verdict(mark_done, None, done.clone()).is_err());
    assert!(verdict(mark_done, Some(&json!({ "allow": "yes" })), done.clone()).is_err());
    // Allowed, with case data added first; a transfer goes ahead without an answer.
    let yes = json!({ "allow": true, "caseData": { "case": "C-1042" } });
    let frames = verdict(mark_done, Some(&yes), done.clone()).expect("allowed");
    assert_eq!(
        frames,
        vec![
            ClientMsg::from(act::SetCaseData {
                interaction: "ix-1".into(),
                key: "case".into(),
                value: Some("C-1042".into()),
            }),
            done.clone()
        ]
    );
    // A value that is not text would remove the key: it is left out.
    let number = json!({ "allow": true, "caseData": { "case": 1042 } });
    assert_eq!(
        verdict(mark_done, Some(&number), done.clone()),
        Ok(vec![done])
    );
    assert_eq!(
        verdict(to_tier2, None, transfer.clone()),
        Ok(vec![transfer])
    );
    s.host_refused(Some(&"ix-1".into()), "Link a case first".into());
    assert_eq!(
        s.chat(&"ix-1".into()).and_then(|c| c.error.clone()),
        Some("Link a case first".into())
    );
}

#[test]
fn a_record_is_shown_only_with_a_web_address_and_a_theme_only_with_plain_values() {
    let mut s = with_chat();
    let good =
        json!({ "record": { "label": "Mark Avram (Gold)", "url": "https://crm.example/c/1" } });
    s.host_record(&"ix-1".into(), &good);
    assert_eq!(
        s.chat(&"ix-1".into())
            .and_then(|c| c.record.as_ref())
            .map(|r| r.url.as_str()),
        Some("https://crm.example/c/1")
    );
    for bad in [
        json!({ "record": { "label": "x", "url": "javascript:alert(1)" } }),
        json!({ "record": { "label": "", "url": "https://crm.example" } }),
        json!({ "record": null }),
        json!({ "error": "none" }),
    ] {
        assert_eq!(record_of(&bad), None, "{bad}");
    }
    s.host_record(&"ix-1".into(), &json!({ "record": null }));
    assert!(s.chat(&"ix-1".into()).is_some_and(|c| c.record.is_none()));

    let theme = json!({ "properties": { "--pl-accent": "#0a6", "--pl-bg": "rgb(1 2 3)" } });
    assert_eq!(theme_of(&theme).map(|t| t.len()), Ok(2));
    for bad in [
        json!({ "properties": { "color": "red" } }),
        json!({ "properties": { "--pl-bg": "url(https://evil.example/x)" } }),
        json!({ "properties": { "--pl-bg": "red; background: blue" } }),
        json!({ "properties": "dark" }),
    ] {
        assert_eq!(theme_of(&bad).map_err(|e| e.code), Err("invalid"), "{bad}");
    }
    assert_eq!(locale_of(&json!({ "locale": "en-GB" })), Ok("en"));
    assert_eq!(
        locale_of(&json!({ "locale": "tlh" })).map_err(|e| e.code),
        Err("unsupported_locale")
    );
}
