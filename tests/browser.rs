//! Desktop components in a real browser (wasm-bindgen-test, headless Chromium): each test mounts
//! a component into a fresh element and checks the DOM it produces.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use parley_desktop::app::chat::ChatArea;
use parley_desktop::app::interaction_bar::InteractionBar;
use parley_desktop::app::transcript::Transcript;
use parley_desktop::app::{Composer, Desk};
use parley_desktop::state::{DesktopState, Line, Outbox};
use parley_protocol::act::{self, Action};
use parley_protocol::{
    AgentStatus, Audience, ErrorCode, Event, EventKind, Identity, InteractionState,
    InteractionSummary, Party, PendingLevel, ServerMsg,
};
use std::sync::Arc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_root() -> web_sys::HtmlElement {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("document");
    let el: web_sys::HtmlElement = document
        .create_element("div")
        .expect("div")
        .unchecked_into();
    el.set_attribute(
        "style",
        "height: 400px; display: flex; flex-direction: column",
    )
    .expect("style");
    document
        .body()
        .expect("body")
        .append_child(&el)
        .expect("append");
    el
}

/// Transcripts scroll as in the app (these tests load no style sheet otherwise); remove the
/// returned style element at the end of the test.
fn scrolling_transcripts() -> web_sys::Element {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("document");
    let style = document.create_element("style").expect("style");
    style.set_text_content(Some(
        ".pl-transcript { flex: 1; min-height: 0; overflow: auto; }",
    ));
    document
        .head()
        .expect("head")
        .append_child(&style)
        .expect("append");
    style
}

async fn tick() {
    leptos::task::tick().await;
}

fn all(root: &web_sys::HtmlElement, selector: &str) -> Vec<web_sys::Element> {
    let list = root.query_selector_all(selector).expect("selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into().ok())
        .collect()
}

fn one(root: &web_sys::HtmlElement, selector: &str) -> web_sys::Element {
    root.query_selector(selector)
        .expect("selector")
        .unwrap_or_else(|| panic!("no {selector}"))
}

fn message(seq: u64, from: &str, text: &str, contact: bool) -> Line {
    Line::Message {
        seq,
        at: 1_700_000_000_000,
        from: from.into(),
        text: text.into(),
        mine: !contact,
        contact,
    }
}

/// Mounts what `view` builds into `root`, with `desk` as the desk around it.
fn mount_on<V: IntoView + 'static>(
    root: &web_sys::HtmlElement,
    desk: Desk,
    view: impl FnOnce() -> V + 'static,
) -> leptos::mount::UnmountHandle<impl leptos::tachys::view::Mountable> {
    leptos::mount::mount_to(root.clone(), move || {
        provide_context(desk);
        view()
    })
}

/// Mounts a transcript of `n` of the agent's messages ("message 1" to "message n") into `root`.
fn mount_transcript(
    root: &web_sys::HtmlElement,
    n: u64,
) -> leptos::mount::UnmountHandle<impl leptos::tachys::view::Mountable> {
    let lines: Vec<Line> = (1..=n)
        .map(|i| message(i, "Mark Avram", &format!("message {i}"), true))
        .collect();
    leptos::mount::mount_to(root.clone(), move || {
        let none: Vec<String> = Vec::new();
        view! { <Transcript lines=Signal::derive(move || Arc::new(lines.clone())) unsent=none /> }
    })
}

#[wasm_bindgen_test]
async fn the_transcript_renders_messages_and_system_lines_and_follows_updates() {
    let root = fresh_root();
    let lines = RwSignal::new(vec![
        Line::System {
            seq: 1,
            at: 1_700_000_000_000,
            text: "New party 'Mark Avram' has joined the session".into(),
        },
        message(
            2,
            "Mark Avram",
            "<img src=x onerror=alert(1)> my card is refused",
            true,
        ),
    ]);
    let unsent = RwSignal::new(vec!["Which card?".to_owned()]);
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        let shared = Signal::derive(move || Arc::new(lines.get()));
        view! { <Transcript lines=shared unsent=unsent /> }
    });
    tick().await;

    let system = all(&root, "[data-testid=system-message]");
    assert_eq!(system.len(), 1);
    assert!(system[0]
        .text_content()
        .unwrap_or_default()
        .contains("has joined the session"));
    let messages = all(&root, "[data-testid=message]");
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].get_attribute("data-from").as_deref(),
        Some("Mark Avram")
    );
    assert_eq!(messages[0].get_attribute("data-id").as_deref(), Some("2"));
    assert!(messages[0].class_list().contains("pl-line--contact"));
    assert!(all(&root, "img").is_empty(), "contact text is never HTML");
    assert!(messages[0]
        .text_content()
        .unwrap_or_default()
        .contains("<img src=x onerror=alert(1)>"));
    assert_eq!(all(&root, "[data-testid=message-unsent]").len(), 1);

    lines.update(|l| l.push(message(3, "Kate", "Which card?", false)));
    unsent.set(Vec::new());
    tick().await;
    let messages = all(&root, "[data-testid=message]");
    assert_eq!(messages.len(), 2);
    assert!(messages[1].class_list().contains("pl-line--mine"));
    assert!(all(&root, "[data-testid=message-unsent]").is_empty());
}

#[wasm_bindgen_test]
async fn only_web_addresses_become_links_and_read_marks_follow_the_receipt() {
    let root = fresh_root();
    let lines = RwSignal::new(vec![
        message(
            1,
            "Mark Avram",
            "see https://example.com/help or javascript:alert(1)",
            true,
        ),
        message(2, "Kate", "sent", false),
    ]);
    let read = RwSignal::new(0_u64);
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        let none: Vec<String> = Vec::new();
        let shared = Signal::derive(move || Arc::new(lines.get()));
        view! { <Transcript lines=shared unsent=none read_up_to=read /> }
    });
    tick().await;
    let links = all(&root, "a");
    assert_eq!(links.len(), 1);
    assert_eq!(
        links[0].get_attribute("href").as_deref(),
        Some("https://example.com/help")
    );
    assert_eq!(
        links[0].text_content().as_deref(),
        Some("https://example.com/help"),
        "the real address is the text"
    );
    assert_eq!(
        links[0].get_attribute("rel").as_deref(),
        Some("noopener noreferrer")
    );
    assert_eq!(links[0].get_attribute("target").as_deref(), Some("_blank"));
    let mine = || one(&root, "[data-testid=message][data-id='2']");
    assert_eq!(mine().get_attribute("data-read").as_deref(), Some("false"));
    assert!(mine()
        .query_selector(".pl-line__unread")
        .expect("q")
        .is_some());
    read.set(2);
    tick().await;
    assert_eq!(mine().get_attribute("data-read").as_deref(), Some("true"));
    assert!(mine()
        .query_selector(".pl-line__unread")
        .expect("q")
        .is_none());
    assert_eq!(
        one(&root, "[data-id='1']").get_attribute("data-read"),
        None,
        "contact messages carry no read mark"
    );
}

#[wasm_bindgen_test]
async fn a_five_thousand_line_transcript_keeps_only_the_lines_near_the_viewport_in_the_dom() {
    let root = fresh_root();
    let lines = RwSignal::new(
        (1..=5000)
            .map(|i| message(i, "Mark Avram", &format!("message {i}"), true))
            .collect::<Vec<_>>(),
    );
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        let none: Vec<String> = Vec::new();
        let shared = Signal::derive(move || Arc::new(lines.get()));
        view! { <Transcript lines=shared unsent=none /> }
    });
    tick().await;
    let rendered = all(&root, "[data-testid=message]");
    assert!(rendered.len() < 200, "{} lines in the DOM", rendered.len());
    let last = rendered.last().and_then(|e| e.get_attribute("data-id"));
    assert_eq!(last.as_deref(), Some("5000"), "the newest line is shown");
    lines.update(|l| l.push(message(5001, "Mark Avram", "one more", true)));
    tick().await;
    let last = all(&root, "[data-testid=message]")
        .last()
        .and_then(|e| e.get_attribute("data-id"));
    assert_eq!(last.as_deref(), Some("5001"));
}

#[wasm_bindgen_test]
async fn the_composer_sends_on_enter_keeps_shift_enter_and_ignores_blank_text() {
    let root = fresh_root();
    let value = RwSignal::new(String::new());
    let sent = RwSignal::new(Vec::<String>::new());
    let on_send = move |()| {
        sent.update(|s| s.push(value.get_untracked()));
        value.set(String::new());
    };
    let _handle = leptos::mount::mount_to(
        root.clone(),
        move || view! { <Composer value=value on_input=move |t: String| value.set(t) on_send /> },
    );
    tick().await;
    let input: web_sys::HtmlTextAreaElement =
        one(&root, "[data-testid=composer-input]").unchecked_into();
    let press = |key: &str, shift: bool| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(key);
        init.set_shift_key(shift);
        init.set_bubbles(true);
        init.set_cancelable(true);
        let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
            .expect("event");
        input.dispatch_event(&ev).expect("dispatch")
    };
    let type_text = |text: &str| {
        input.set_value(text);
        input
            .dispatch_event(&web_sys::Event::new("input").expect("event"))
            .expect("dispatch");
    };

    type_text("   ");
    press("Enter", false);
    tick().await;
    assert!(sent.get_untracked().is_empty(), "blank text is not sent");

    type_text("line one");
    assert_eq!(
        value.get_untracked(),
        "line one",
        "typing reaches the draft"
    );
    let not_cancelled = press("Enter", true);
    assert!(
        not_cancelled,
        "Shift+Enter is left to the textarea (new line)"
    );
    tick().await;
    assert!(sent.get_untracked().is_empty());

    let cancelled = !press("Enter", false);
    tick().await;
    assert!(cancelled, "Enter does not also insert a new line");
    assert_eq!(sent.get_untracked(), vec!["line one".to_owned()]);
    assert_eq!(input.value(), "", "the input shows the emptied draft");
    assert_eq!(input.get_attribute("spellcheck").as_deref(), Some("true"));

    type_text("by click");
    let button: web_sys::HtmlElement = one(&root, "[data-testid=composer-send]").unchecked_into();
    button.click();
    tick().await;
    assert_eq!(sent.get_untracked().len(), 2);
}

fn summary(id: &str, contact: &str) -> InteractionSummary {
    InteractionSummary {
        id: id.into(),
        contact: contact.into(),
        email: None,
        verified: false,
        subject: None,
        queue: "general".into(),
        state: InteractionState::Active,
        started_at: parley_client::time::now_ms() - 192_000,
        case_data: Default::default(),
        pending: PendingLevel::Ok,
        role: Default::default(),
        agents: Vec::new(),
    }
}

fn contact_says(id: &str, seq: u64, text: &str) -> ServerMsg {
    let kind = EventKind::Message {
        from: Party::Contact {
            name: "Avril Mai".into(),
        },
        text: text.into(),
        client_id: None,
        consultation: None,
    };
    ServerMsg::Events {
        interaction: id.into(),
        events: vec![Event {
            seq,
            at: 0,
            audience: Audience::Everyone,
            kind,
        }],
    }
}

/// A desk with Kate logged in and two chats, the first one selected.
fn desk_with_two_chats() -> Desk {
    let mut s = DesktopState::new(Outbox::new("t"));
    s.apply(ServerMsg::Welcome {
        v: 1,
        me: Identity::Agent {
            id: "kate".into(),
            name: "Kate Lewis".into(),
            nickname: "Kate".into(),
            status: AgentStatus::Ready,
        },
        settings: None,
        desktop: None,
    });
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-1", "Mark Avram"),
    });
    s.apply(ServerMsg::Opened {
        interaction: summary("ix-2", "Avril Mai"),
    });
    Desk::detached(s)
}

#[wasm_bindgen_test]
async fn a_transcript_closed_before_its_next_frame_leaves_nothing_behind_to_fail() {
    let errors = StoredValue::new(0);
    let listener =
        window_event_listener(leptos::ev::error, move |_| errors.update_value(|n| *n += 1));
    let root = fresh_root();
    let lines = RwSignal::new(vec![message(1, "Mark Avram", "hello", true)]);
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let none: Vec<String> = Vec::new();
        view! { <Transcript lines=Signal::derive(move || Arc::new(lines.get())) unsent=none /> }
    });
    tick().await;
    // A new line asks for the next frame to keep the view at the bottom; the chat is closed
    // before that frame comes.
    lines.update(|l| l.push(message(2, "Mark Avram", "are you there?", true)));
    tick().await;
    drop(handle);
    sleep(100).await;
    listener.remove();
    root.remove();
    assert_eq!(errors.get_value(), 0, "nothing ran on what was closed");
}

#[wasm_bindgen_test]
fn work_that_outlives_the_desktop_changes_nothing_and_fails_nothing() {
    let owner = Owner::new();
    let desk = owner.with(desk_with_two_chats);
    // The desktop goes (the agent logged out) while an upload is still on its way.
    owner.cleanup();
    desk.update(|s| s.zoom_by(1));
    desk.act(|s| s.send_draft(&"ix-1".into()));
    desk.request(|s| Some(s.hello(None)));
    assert_eq!(desk.selected_parts(), 0);
}

#[wasm_bindgen_test]
async fn an_update_wakes_only_the_views_whose_part_of_the_state_changed() {
    let root = fresh_root();
    let desk = desk_with_two_chats();
    let (zooms, names) = (StoredValue::new(0), StoredValue::new(0));
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let zoom = desk.select(|s| s.zoom);
        let name = desk.select(|s| s.me.as_ref().map(|m| m.name.clone()));
        view! {
            <p id="zoom">{move || { zooms.update_value(|n| *n += 1); zoom.get() }}</p>
            <p id="name">{move || { names.update_value(|n| *n += 1); name.get() }}</p>
        }
    });
    tick().await;
    assert_eq!((zooms.get_value(), names.get_value()), (1, 1));
    assert_eq!(desk.selected_parts(), 2);

    desk.update(|s| s.zoom_by(1));
    tick().await;
    assert_eq!(one(&root, "#zoom").text_content().as_deref(), Some("110"));
    assert_eq!(
        (zooms.get_value(), names.get_value()),
        (2, 1),
        "the name did not change: its view is not run again"
    );

    desk.update(|s| s.apply(contact_says("ix-2", 1, "hello?")));
    tick().await;
    assert_eq!(
        (zooms.get_value(), names.get_value()),
        (2, 1),
        "a message changes neither"
    );

    drop(handle);
    assert_eq!(desk.selected_parts(), 0, "the views' parts go with them");
    desk.update(|s| s.zoom_by(1));
    root.remove();
}

#[wasm_bindgen_test]
async fn a_refused_status_does_not_stay_in_the_status_select() {
    use parley_desktop::app::main_bar::MainBar;
    let root = fresh_root();
    let desk = desk_with_two_chats();
    let _handle = mount_on(&root, desk, || view! { <MainBar on_logout=|| {} /> });
    tick().await;
    let select: web_sys::HtmlSelectElement =
        one(&root, "[data-testid=status-select]").unchecked_into();
    assert_eq!(select.value(), "ready");
    select.set_value("acw");
    select
        .dispatch_event(&web_sys::Event::new("change").expect("event"))
        .expect("change");
    tick().await;
    assert_eq!(
        select.value(),
        "acw",
        "the choice shows while it is asked for"
    );
    // The select's value once the server answered with `msg`.
    let answered = |msg: ServerMsg| {
        desk.update(|s| s.apply(msg));
        let select = select.clone();
        async move {
            tick().await;
            select.value()
        }
    };
    let refused = ServerMsg::error(ErrorCode::Invalid, "not now");
    assert_eq!(
        answered(refused).await,
        "ready",
        "refused: the confirmed status again"
    );
    let confirmed = ServerMsg::Status {
        status: AgentStatus::AfterCallWork,
    };
    assert_eq!(answered(confirmed).await, "acw", "confirmed");
    root.remove();
}

#[wasm_bindgen_test]
async fn the_interaction_bar_shows_elapsed_time_pending_colour_unread_count_and_flashing() {
    let root = fresh_root();
    let desk = desk_with_two_chats();
    let _handle = mount_on(&root, desk, || view! { <InteractionBar /> });
    tick().await;
    let tab = |id: &str| {
        one(
            &root,
            &format!("[data-testid=interaction-tab][data-id='{id}']"),
        )
    };
    assert_eq!(all(&root, "[data-testid=interaction-tab]").len(), 2);
    assert!(tab("ix-2")
        .text_content()
        .unwrap_or_default()
        .contains("Avril Mai"));
    assert!(
        tab("ix-2")
            .text_content()
            .unwrap_or_default()
            .contains("03:1"),
        "elapsed time"
    );
    assert_eq!(
        tab("ix-2").get_attribute("data-pending").as_deref(),
        Some("ok")
    );
    assert!(all(&root, "[data-testid=interaction-tab-unread]").is_empty());

    desk.update(|s| {
        s.apply(contact_says("ix-2", 1, "hello?"));
        s.apply(contact_says("ix-2", 2, "anyone?"));
        s.apply(ServerMsg::Pending {
            interaction: "ix-2".into(),
            level: PendingLevel::Late,
        });
    });
    tick().await;
    assert_eq!(
        tab("ix-2").get_attribute("data-pending").as_deref(),
        Some("late")
    );
    assert_eq!(
        one(&root, "[data-testid=interaction-tab-unread]")
            .text_content()
            .as_deref(),
        Some("2")
    );
    assert!(tab("ix-2")
        .class_list()
        .contains("pl-interaction-tab--flash"));
    assert_eq!(tab("ix-2").get_attribute("title"), None);

    tab("ix-2")
        .dispatch_event(&web_sys::Event::new("mouseenter").expect("event"))
        .expect("hover");
    tick().await;
    assert_eq!(
        tab("ix-2").get_attribute("title").as_deref(),
        Some("anyone?"),
        "hover shows the latest contact message"
    );
    assert!(
        !tab("ix-2")
            .class_list()
            .contains("pl-interaction-tab--flash"),
        "hovering stops the flashing"
    );
    tab("ix-2").unchecked_ref::<web_sys::HtmlElement>().click();
    tick().await;
    assert!(
        all(&root, "[data-testid=interaction-tab-unread]").is_empty(),
        "looking at the chat reads it"
    );
    assert!(tab("ix-2")
        .class_list()
        .contains("pl-interaction-tab--selected"));

    desk.update(|s| s.apply(contact_says("ix-2", 3, "still there?")));
    tick().await;
    assert_eq!(
        tab("ix-2").get_attribute("title").as_deref(),
        Some("still there?"),
        "the preview follows the chat while hovered"
    );
    tab("ix-2")
        .dispatch_event(&web_sys::Event::new("mouseleave").expect("event"))
        .expect("leave");
    tick().await;
    assert_eq!(tab("ix-2").get_attribute("title"), None);
}

#[wasm_bindgen_test]
async fn the_pending_response_indicator_takes_the_servers_level() {
    let root = fresh_root();
    let desk = desk_with_two_chats();
    let _handle = mount_on(&root, desk, || view! { <ChatArea /> });
    tick().await;
    let level = || one(&root, "[data-testid=pending-indicator]").get_attribute("data-pending");
    assert_eq!(level().as_deref(), Some("ok"));
    desk.update(|s| {
        s.apply(ServerMsg::Pending {
            interaction: "ix-1".into(),
            level: PendingLevel::Warn,
        })
    });
    tick().await;
    assert_eq!(level().as_deref(), Some("warn"));
    desk.update(|s| {
        s.apply(ServerMsg::Pending {
            interaction: "ix-1".into(),
            level: PendingLevel::Late,
        })
    });
    tick().await;
    assert_eq!(level().as_deref(), Some("late"));
}

/// Waits `ms` of browser time.
async fn sleep(ms: u64) {
    let (done, wait) = futures::channel::oneshot::channel::<()>();
    set_timeout(
        move || {
            let _ = done.send(());
        },
        std::time::Duration::from_millis(ms),
    );
    wait.await.expect("timer fires");
}

#[wasm_bindgen_test]
async fn an_opened_chat_is_applied_together_with_its_events() {
    use parley_desktop::app::batch::Inbox;
    use std::cell::RefCell;
    use std::rc::Rc;

    let bursts = Rc::new(RefCell::new(Vec::<Vec<ServerMsg>>::new()));
    let seen = bursts.clone();
    let inbox = Inbox::new(move |burst| seen.borrow_mut().push(burst));
    // Idle page: a single frame is applied at once.
    inbox.push(contact_says("ix-0", 9, "still there?"));
    assert_eq!(bursts.borrow().len(), 1);

    // `opened` waits; so does what arrives before its events; its events complete the burst.
    sleep(40).await;
    inbox.push(ServerMsg::Opened {
        interaction: summary("ix-1", "Avril Mai"),
    });
    inbox.push(contact_says("ix-2", 4, "another chat"));
    sleep(20).await;
    assert_eq!(
        bursts.borrow().len(),
        1,
        "nothing applied before the events"
    );
    inbox.push(contact_says("ix-1", 1, "hello"));
    assert_eq!(bursts.borrow().len(), 2);
    assert_eq!(bursts.borrow()[1].len(), 3);
    assert!(matches!(bursts.borrow()[1][0], ServerMsg::Opened { .. }));

    // An `opened` whose events never come is applied after a short delay anyway.
    sleep(40).await;
    inbox.push(ServerMsg::Opened {
        interaction: summary("ix-3", "Mark Avram"),
    });
    sleep(250).await;
    let applied: Vec<usize> = bursts.borrow().iter().map(Vec::len).collect();
    assert_eq!(applied.iter().sum::<usize>(), 5, "{applied:?}");
    assert!(matches!(
        bursts.borrow().last().and_then(|b| b.last()),
        Some(ServerMsg::Opened { .. })
    ));
}

#[wasm_bindgen_test]
async fn a_transcript_opened_after_another_builds_the_lines_that_fit_at_once() {
    let style = scrolling_transcripts();
    // The first one starts from a guess and settles once measured (after a frame).
    let first_root = fresh_root();
    let _first = mount_transcript(&first_root, 5000);
    sleep(100).await;
    let settled = all(&first_root, "[data-testid=message]").len();
    first_root.remove();

    // The next one, the same size, starts from that measure: nothing to correct afterwards.
    let root = fresh_root();
    let _second = mount_transcript(&root, 5000);
    tick().await;
    let built = all(&root, "[data-testid=message]").len();
    sleep(100).await;
    assert_eq!(built, settled, "built {built} lines, {settled} fit");
    assert_eq!(all(&root, "[data-testid=message]").len(), settled);
    assert!(settled < 37, "{settled} lines for a 400 px transcript");
    style.remove();
}

#[wasm_bindgen_test]
async fn printing_puts_every_loaded_line_of_a_long_transcript_in_the_page() {
    let root = fresh_root();
    let _handle = mount_transcript(&root, 3000);
    tick().await;
    let windowed = all(&root, "[data-testid=message]").len();
    assert!(windowed < 200, "{windowed}");
    let window = web_sys::window().expect("window");
    let fire = |name: &str| {
        let event = web_sys::Event::new(name).expect("event");
        window.dispatch_event(&event).expect("dispatched");
    };
    fire("beforeprint");
    tick().await;
    let printed = all(&root, "[data-testid=message]");
    assert_eq!(printed.len(), 3000);
    assert_eq!(printed[0].get_attribute("data-id").as_deref(), Some("1"));
    fire("afterprint");
    tick().await;
    assert!(all(&root, "[data-testid=message]").len() < 200);
}

/// The widget reads its frames from the browser's `JSON.parse` (no JSON parser of its own): each
/// frame reads exactly as through serde_json's value — the same message, or the same refusal.
#[wasm_bindgen_test]
fn frames_read_through_the_browsers_json_parse_as_through_serde_json() {
    let event = |kind: &str| {
        format!(
            r#"{{"events":{{"interaction":"ix-1","events":[{{"seq":7,"at":1700000000000,"audience":"everyone","kind":{kind}}}]}}}}"#
        )
    };
    let mut frames: Vec<String> = [
        r#"{"welcome":{"v":1,"me":{"contact":{"interaction":"ix-1","name":"Mark"}}}}"#,
        r#"{"welcome":{"v":1,"me":{"agent":{"id":"kate","name":"Kate Lewis","nickname":"Kate","status":{"not_ready":{"reason":null}}}}}}"#,
        r#"{"ack":{"interaction":"ix-1","client_id":"c-7","seq":6}}"#,
        r#"{"closed":{"interaction":"ix-1","later":[1,{"x":null}]}}"#,
        r#"{"error":{"code":"unauthorized","message":"who are you?"}}"#,
        r#"{"typing":{"interaction":"ix-1","party":{"agent":{"id":"kate","name":"Kate"}},"typing":true,"preview":null}}"#,
        r#"{"queue_position":{"interaction":"ix-1","position":2}}"#,
        // Refused, with the same reason.
        r#"{"presence":{"agents":[]}}"#,
        r#"{"ack":{"interaction":"ix-1","seq":6}}"#,
        r#"{"queue_position":{"interaction":"ix-1","position":-2}}"#,
        r#"{"queue_position":{"interaction":"ix-1","position":2.5}}"#,
        r#"{"closed":"ix-1"}"#,
        r#"{"ack":{},"closed":{}}"#,
        r#"[]"#,
    ]
    .map(String::from)
    .to_vec();
    frames.extend(
        [
            r#"{"message":{"from":{"contact":{"name":"Mark"}},"text":"Hi ✓ \"there\"\n","client_id":"c-1"}}"#,
            r#"{"left":{"party":{"agent":{"id":"john","name":"John"}},"reason":"transferred"}}"#,
            r#"{"ended":{"reason":"inactivity"}}"#,
            r#"{"notice":{"text":"Waiting for an agent"}}"#,
            r#"{"file":{"from":"system","file":{"id":"f-1","name":"a.png","mime":"image/png","size":12}}}"#,
            r#"{"rich":{"from":"system","content":{"list":{"title":"Plans","items":[{"title":"Basic"},{"title":"Plus","subtitle":"more"}]}}}}"#,
            r#"{"rich":{"from":"system","content":{"carousel":{"cards":[{"title":"A","text":"t","image":"https://example.com/a.png"}]}}}}"#,
            r#"{"rich":{"from":"system","content":{"quick_replies":{"text":"Which?","replies":["Visa","Amex"]}}}}"#,
            r#"{"consultation_ended":{"consultation":"ix-1/c1","by":null}}"#,
            r#"{"shout":{"text":"hi"}}"#,
            r#"{"message":{"from":{"contact":{}},"text":"hi"}}"#,
            r#""message""#,
        ]
        .map(event),
    );
    let mut read = 0;
    for frame in &frames {
        let through_js = parley_client::json::parse(frame).map(ServerMsg::read_contact);
        let through_serde = ServerMsg::parse_contact(frame);
        read += usize::from(through_serde.is_ok());
        assert_eq!(through_js, Some(through_serde), "{frame}");
    }
    assert_eq!(read, 16, "frames that read");
    assert!(parley_client::json::parse("not json").is_none());
}

#[wasm_bindgen_test]
async fn a_transcript_following_the_newest_lines_keeps_following_them_when_it_shrinks() {
    let style = scrolling_transcripts();
    let root = fresh_root();
    let _handle = mount_transcript(&root, 300);
    sleep(100).await;
    let transcript = one(&root, "[data-testid=transcript]");
    let gap = |t: &web_sys::Element| t.scroll_height() - t.scroll_top() - t.client_height();
    assert!(
        gap(&transcript) <= 4,
        "at the bottom after opening: {}",
        gap(&transcript)
    );

    // Something is built under it (a tool row, a panel in a narrow window): it loses 150 px.
    root.set_attribute(
        "style",
        "height: 250px; display: flex; flex-direction: column",
    )
    .expect("style");
    sleep(100).await;
    assert!(transcript.client_height() < 300, "it shrank");
    assert!(
        gap(&transcript) <= 4,
        "{} px of newer lines hidden below the view",
        gap(&transcript)
    );
    let last = all(&root, "[data-testid=message]")
        .last()
        .and_then(|e| e.get_attribute("data-id"));
    assert_eq!(last.as_deref(), Some("300"));
    root.remove();
    style.remove();
}

#[wasm_bindgen_test]
async fn a_chat_shows_its_transcript_at_once_and_its_tool_rows_and_side_panel_after_a_paint() {
    let root = fresh_root();
    let desk = desk_with_two_chats();
    desk.update(|s| s.apply(contact_says("ix-1", 2, "my card is refused")));
    let _handle = mount_on(&root, desk, || view! { <ChatArea /> });
    tick().await;
    assert_eq!(
        all(&root, "[data-testid=message]").len(),
        1,
        "the transcript is built at once"
    );
    assert_eq!(all(&root, "[data-testid=composer-input]").len(), 1);
    assert!(
        all(&root, ".pl-side").is_empty() && all(&root, ".pl-tools").is_empty(),
        "the panels wait for the first paint"
    );
    sleep(100).await;
    assert_eq!(all(&root, ".pl-side").len(), 1, "the side panel follows");
    assert_eq!(all(&root, ".pl-tools").len(), 1, "the tool rows follow");
    root.remove();
}

#[wasm_bindgen_test]
async fn the_warm_up_builds_a_whole_chat_window_off_the_page_and_leaves_nothing_behind() {
    use parley_desktop::app::warm::Sample;
    let sample = Sample::build().expect("the sample is built");
    let window = sample.element().clone();
    assert!(!window.is_connected(), "built off the page");
    assert_eq!(
        all(&window, "[data-testid=message]").len(),
        3,
        "the sample's lines"
    );
    assert_eq!(all(&window, "[data-testid=composer-input]").len(), 1);
    // Its panels are built after a paint, as in a real chat.
    for _ in 0..50 {
        if !all(&window, ".pl-side").is_empty() {
            break;
        }
        sleep(20).await;
    }
    assert_eq!(all(&window, ".pl-side").len(), 1, "the side panel follows");
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("document");
    assert!(
        document
            .query_selector("[data-testid=chat]")
            .expect("selector")
            .is_none(),
        "nothing of it in the page"
    );
    drop(sample);
    assert_eq!(window.child_element_count(), 0, "dropped with its window");
}

#[wasm_bindgen_test]
fn the_apps_message_ids_are_128_random_bits_each() {
    let ix: parley_protocol::InteractionId = "ix-1".into();
    let mut outbox = Outbox::random();
    let ids: Vec<String> = (0..50)
        .filter_map(|n| match outbox.push(&ix, &format!("message {n}")) {
            Some(parley_protocol::ClientMsg::Act(Action::Send(act::Send {
                client_id, ..
            }))) => Some(client_id),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 50);
    assert!(ids
        .iter()
        .all(|id| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit())));
    let distinct: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 50, "no id repeats");
    // A resend keeps each message's id: the server stores a retry once.
    let resent: Vec<String> = outbox
        .resend()
        .into_iter()
        .filter_map(|m| match m {
            parley_protocol::ClientMsg::Act(Action::Send(act::Send { client_id, .. })) => {
                Some(client_id)
            }
            _ => None,
        })
        .collect();
    assert_eq!(resent, ids);
}

#[wasm_bindgen_test]
async fn a_desktop_older_than_its_server_says_parley_was_updated() {
    use parley_desktop::app::main_bar::MainBar;
    parley_client::i18n::install_english(include_str!("../i18n/en.txt"));
    let root = fresh_root();
    let desk = desk_with_two_chats();
    let _handle = mount_on(&root, desk, || view! { <MainBar on_logout=|| {} /> });
    tick().await;
    // What the server answers a hello in a version it no longer speaks, said in the agent's
    // language rather than the server's English.
    desk.update(|s| {
        s.apply(ServerMsg::error(
            ErrorCode::UnsupportedVersion,
            parley_protocol::UPDATED_NOTICE,
        ))
    });
    tick().await;
    assert_eq!(
        one(&root, "[data-testid=desktop-notice]")
            .text_content()
            .as_deref(),
        Some("Parley was updated: reload the page.")
    );
    root.remove();
}

#[wasm_bindgen_test]
fn times_are_written_as_the_locale_writes_them() {
    use parley_client::time::{clock, day_and_time, day_label, local_day, set_locale, DAY_MS};
    // 15:43:51 UTC on 29 November 2026; the browser's zone moves the hour, not the shape.
    let at = 1_795_967_031_000;
    set_locale("de-DE");
    let german = clock(at);
    assert!(
        german.len() == 8 && !german.contains('M'),
        "a 24-hour clock: {german}"
    );
    assert!(
        day_and_time(at).contains("November"),
        "{}",
        day_and_time(at)
    );
    assert_eq!(day_label(at, at), "Heute");
    assert_eq!(day_label(at - DAY_MS, at), "Gestern");
    set_locale("en-US");
    let english = clock(at);
    assert!(
        english.ends_with(" PM") || english.ends_with(" AM"),
        "{english}"
    );
    assert_eq!(day_label(at, at), "Today");
    assert_eq!(day_label(at - DAY_MS, at), "Yesterday");
    let earlier = day_label(at - 5 * DAY_MS, at);
    assert!(earlier.starts_with("November 2"), "{earlier}");
    let last_year = day_label(at - 400 * DAY_MS, at);
    assert!(last_year.ends_with(", 2025"), "{last_year}");
    set_locale("ar");
    assert_eq!(day_label(at, at), "اليوم");
    // Days follow the browser's zone: the same as the Date object says.
    let date = js_sys::Date::new(&(at as f64).into());
    let offset = -(date.get_timezone_offset() as i64) * 60_000;
    assert_eq!(local_day(at), (at + offset).div_euclid(DAY_MS));
    set_locale("");
}

#[wasm_bindgen_test]
fn json_read_by_the_browser_is_the_tree_serde_json_reads() {
    use parley_client::json::value;
    let text = r#"{"a":[1,-2,3.5,true,null,"ü \"x\""],"b":{"c":{}},"big":9007199254740993}"#;
    let ours = value(text).expect("JSON");
    assert_eq!(
        ours["a"],
        serde_json::json!([1, -2, 3.5, true, null, "ü \"x\""])
    );
    assert_eq!(ours["b"], serde_json::json!({"c": {}}));
    // Beyond what a JavaScript number holds exactly, the number is the browser's double.
    assert_eq!(ours["big"].as_f64(), Some(9_007_199_254_740_992.0));
    assert_eq!(value("{not json"), None);
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(value(&deep(64)).is_some());
    assert_eq!(value(&deep(65)), None, "deeper than the app follows");
}

#[wasm_bindgen_test]
fn searches_fold_case_with_the_browsers_rules() {
    // The browser's `toLowerCase`, not Rust's tables: the same Unicode mapping.
    assert_eq!(parley_client::lowercase("Émile DAVIS"), "émile davis");
    assert_eq!(
        parley_client::lowercase("ΟΔΥΣΣΕΥΣ"),
        "ΟΔΥΣΣΕΥΣ".to_lowercase()
    );
}

#[wasm_bindgen_test]
async fn a_keyed_list_keeps_each_rows_element_by_key_through_reorders_and_removals() {
    let root = fresh_root();
    let items = RwSignal::new(vec![(1_u32, "one"), (2, "two"), (3, "three")]);
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <ul>
                {parley_client::flow::keyed(move || items.get(), |(k, _)| *k, |(_, text)| view! {
                    <li data-testid="row">{text}</li>
                })}
            </ul>
        }
    });
    tick().await;
    let texts = |root: &web_sys::HtmlElement| -> Vec<String> {
        all(root, "[data-testid=row]")
            .iter()
            .map(|e| e.text_content().unwrap_or_default())
            .collect()
    };
    assert_eq!(texts(&root), ["one", "two", "three"]);
    let before = all(&root, "[data-testid=row]");

    // Reordered, one removed, one added: the kept rows are the same elements, moved.
    items.set(vec![(3, "three"), (4, "four"), (1, "one")]);
    tick().await;
    assert_eq!(texts(&root), ["three", "four", "one"]);
    let after = all(&root, "[data-testid=row]");
    assert!(after[0].is_same_node(Some(&before[2])));
    assert!(after[2].is_same_node(Some(&before[0])));
    assert!(!after.iter().any(|e| e.is_same_node(Some(&before[1]))));

    // The same text under another key is another row, built anew.
    items.set(vec![(5, "three")]);
    tick().await;
    assert_eq!(texts(&root), ["three"]);
    assert!(!all(&root, "[data-testid=row]")[0].is_same_node(Some(&after[0])));
}

#[wasm_bindgen_test]
async fn show_builds_its_children_only_when_its_condition_changes() {
    use parley_client::flow::Show;
    let root = fresh_root();
    let count = RwSignal::new(1_u32);
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        let some = move || count.get() != 0;
        view! {
            <Show when=some fallback=|| view! { <p data-testid="none">"none"</p> }>
                <p data-testid="some">"some"</p>
            </Show>
        }
    });
    tick().await;
    let some = one(&root, "[data-testid=some]");
    assert!(all(&root, "[data-testid=none]").is_empty());

    // Still true: the children stay the same element.
    count.set(2);
    tick().await;
    assert!(one(&root, "[data-testid=some]").is_same_node(Some(&some)));

    count.set(0);
    tick().await;
    assert!(all(&root, "[data-testid=some]").is_empty());
    assert_eq!(
        one(&root, "[data-testid=none]").text_content().as_deref(),
        Some("none")
    );

    count.set(3);
    tick().await;
    assert!(!one(&root, "[data-testid=some]").is_same_node(Some(&some)));
    assert!(all(&root, "[data-testid=none]").is_empty());
}

#[wasm_bindgen_test]
fn files_attached_to_a_chat_that_leaves_the_desktop_are_forgotten() {
    let desk = desk_with_two_chats();
    let attach = |ix: &str, name: &str| {
        let parts = js_sys::Array::of1(&"bytes".into());
        let file = web_sys::File::new_with_str_sequence(&parts, name).expect("file");
        let drop = web_sys::DataTransfer::new().expect("data transfer");
        drop.items().add_with_file(&file).expect("add");
        desk.attachments
            .add(&ix.into(), drop.files().expect("files"));
    };
    attach("ix-1", "invoice.pdf");
    attach("ix-2", "photo.png");
    let names = |ix: &str| -> Vec<String> {
        desk.attachments
            .shown(&ix.into())
            .into_iter()
            .map(|s| s.name)
            .collect()
    };
    assert_eq!(names("ix-1"), ["invoice.pdf"]);

    // Any other update keeps them.
    desk.update(|s| s.zoom_by(1));
    assert_eq!(names("ix-1"), ["invoice.pdf"]);

    // The first chat is done and goes: its file goes with it, the other chat's stays.
    desk.update(|s| {
        s.apply(ServerMsg::Closed {
            interaction: "ix-1".into(),
        })
    });
    assert!(names("ix-1").is_empty());
    assert_eq!(names("ix-2"), ["photo.png"]);
    assert!(desk.attachments.waiting(|_| true));
}
