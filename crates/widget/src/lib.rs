//! The contact's web-chat: a pre-chat form, then the chat.
//!
//! - [`state`]: [`state::WidgetState`] and its reducer (pure, tested natively).
//! - [`Widget`]: the views; they read the state and send what it produces.

pub mod embed;
pub mod state;

use leptos::prelude::*;
use parley_client::flow::Show;
use parley_client::i18n::{t, tf};
use parley_client::json::{self, Js};
use parley_client::lines::Line;
use parley_client::rich::linked_text;
use parley_client::{socket, Socket, SocketEvent};
use parley_protocol::act;
use parley_protocol::{ClientMsg, InteractionId, ServerMsg};
use serde::Serialize;
use state::{Session, WidgetState};

const STORAGE_KEY: &str = "parley.chat";

/// The session this page's own storage holds. Never one from the address: a link can carry
/// anything (see [`embed`]).
fn load_session() -> Option<Session> {
    let stored =
        parley_client::storage(false).and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())?;
    session_of(&json::parse(&stored)?)
}

/// The host page, when this page is framed by one and was opened by `embed.js`.
fn host() -> Option<(web_sys::Window, String)> {
    let own = window();
    let parent = own.parent().ok().flatten()?;
    let (parent_value, own_value): (&wasm_bindgen::JsValue, &wasm_bindgen::JsValue) =
        (parent.as_ref(), own.as_ref());
    let framed = parent_value != own_value;
    let embed = embed_options();
    // Posted to the page's exact origin, never `*`: the browser drops a message when the
    // parent is not that page.
    let origin = embed.host.filter(|_| framed && embed.embedded)?;
    Some((parent, origin))
}

/// A session from JSON holding its `interaction`, `token` and (when there is one) `handle`: the
/// stored one, or the server's answer to a new or resumed chat.
fn session_of(value: &Js) -> Option<Session> {
    Some(Session {
        interaction: InteractionId(value.text("interaction")?),
        token: value.text("token")?,
        handle: value.text("handle"),
    })
}

fn save_session(session: Option<&Session>) {
    if let Some(storage) = parley_client::storage(false) {
        let _ = match session.and_then(|s| serde_json::to_string(s).ok()) {
            Some(json) => storage.set_item(STORAGE_KEY, &json),
            None => storage.remove_item(STORAGE_KEY),
        };
    }
    // Embedded, the host page keeps the chat's handle too: the iframe's storage may be refused
    // or partitioned away by the browser. Never the token: every script of that site could
    // read it there.
    tell_host_handle(session.and_then(|s| s.handle.as_deref()));
}

/// Tells the host page the handle to keep (`None`: forget it).
fn tell_host_handle(handle: Option<&str>) {
    if let Some((parent, origin)) = host() {
        let msg = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&msg, &"type".into(), &"parley:handle".into());
        let value = handle.map_or(wasm_bindgen::JsValue::NULL, Into::into);
        let _ = js_sys::Reflect::set(&msg, &"handle".into(), &value);
        let _ = parent.post_message(&msg, &origin);
    }
}

#[derive(Serialize)]
struct HandleRequest {
    handle: String,
}

/// Exchanges the host page's handle for a session of this frame's own; a handle the server
/// refuses (the chat is over, or it was released) is forgotten by the host page too.
async fn resume_from_host(handle: String) -> Option<Session> {
    let req = HandleRequest { handle };
    match parley_client::http::post_json_refusable("/api/chats/resume", &req).await {
        Ok(Ok(answer)) => Some(Session {
            handle: Some(req.handle),
            ..session_of(&answer)?
        }),
        Ok(Err(_)) => {
            tell_host_handle(None);
            None
        }
        // No answer: the host page keeps the handle for the next time.
        Err(_) => None,
    }
}

/// The widget: the form until a chat starts, then the chat (which survives a reload).
#[component]
pub fn Widget() -> impl IntoView {
    let session = RwSignal::new(load_session());
    if let Some((parent, origin)) = host() {
        // Escape closes the chat in the host page (embed.js listens for this).
        let escape = window_event_listener(leptos::ev::keydown, |ev| {
            if ev.key() == "Escape" {
                if let Some((parent, origin)) = host() {
                    let close = wasm_bindgen::JsValue::from_str("parley:close");
                    let _ = parent.post_message(&close, &origin);
                }
            }
        });
        // The host page hands over the chat's handle it keeps, answering `parley:ready`; only
        // the frame's own parent is heard, and only while no chat is open here.
        let handed = window_event_listener(leptos::ev::message, move |ev| {
            let from_host = match (ev.source(), host()) {
                (Some(source), Some((parent, origin))) => {
                    ev.origin() == origin
                        && wasm_bindgen::JsValue::from(source)
                            == wasm_bindgen::JsValue::from(parent)
                }
                _ => false,
            };
            if !from_host || session.with_untracked(Option::is_some) {
                return;
            }
            let data = Js::from(ev.data());
            if data.text("type").as_deref() != Some("parley:handle") {
                return;
            }
            if let Some(handle) = data.text("handle").filter(|h| h.len() <= 256) {
                leptos::task::spawn_local(async move {
                    if let Some(s) = resume_from_host(handle).await {
                        if session.with_untracked(Option::is_none) {
                            save_session(Some(&s));
                            session.set(Some(s));
                        }
                    }
                });
            }
        });
        on_cleanup(move || {
            escape.remove();
            handed.remove();
        });
        let _ = parent.post_message(&wasm_bindgen::JsValue::from_str("parley:ready"), &origin);
    }
    move || {
        match session.get() {
        None => view! {
            <PreChat on_start=move |s: Session| {
                save_session(Some(&s));
                session.set(Some(s));
            } />
        }
        .into_any(),
        Some(s) => view! {
            <Chat session=s on_new=move || {
                // The chat is behind the contact: its handle is no use to anyone any more.
                if let Some(handle) = session.with_untracked(|s| s.as_ref().and_then(|s| s.handle.clone())) {
                    leptos::task::spawn_local(async move {
                        let _ = parley_client::http::post_json_refusable("/api/chats/release", &HandleRequest { handle }).await;
                    });
                }
                save_session(None);
                session.set(None);
            } />
        }
        .into_any(),
    }
    }
}

#[derive(Serialize)]
struct StartRequest {
    name: String,
    email: String,
    subject: String,
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue: Option<String>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    case_data: std::collections::BTreeMap<String, String>,
    /// The site's signed identity of the visitor, when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<String>,
    /// The language the widget speaks to the contact (the pseudo-language's is English).
    language: &'static str,
}

/// How this page was opened (on its own, or embedded in a website by `embed.js`).
fn embed_options() -> embed::Embed {
    let location = window().location();
    embed::Embed::from_location(
        &location.search().unwrap_or_default(),
        &location.hash().unwrap_or_default(),
    )
}

/// The pre-chat form: name, e-mail, subject and the first message.
#[component]
fn PreChat(
    /// Receives the new chat's session.
    on_start: impl Fn(Session) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let (name, email, subject, text) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let embed = embed_options();
        let req = StartRequest {
            name: name.get_untracked(),
            email: email.get_untracked(),
            subject: subject.get_untracked(),
            text: text.get_untracked(),
            case_data: embed.case_data(),
            queue: embed.queue,
            identity: embed.identity,
            language: parley_client::i18n::language_code(),
        };
        if req.name.trim().is_empty() {
            error.set(Some(t("form.name_missing")));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = parley_client::http::post_json_parsed("/api/chats", &req).await;
            match answer.map(|a| session_of(&a)) {
                Ok(Some(session)) => on_start(session),
                Ok(None) => error.set(Some(t("form.bad_answer"))),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let field = |label: String, id: &'static str, value: RwSignal<String>, kind: &'static str| {
        view! {
            <label>{label}
                <input data-testid=id type=kind prop:value=value on:input=move |ev| value.set(event_target_value(&ev)) />
            </label>
        }
    };
    view! {
        <main class="pl-widget">
            <header class="pl-widget__header"><h1 class="pl-widget__title">{t("widget.title")}</h1></header>
            <form class="pl-form" on:submit=submit>
                {field(t("form.name"), "widget-name", name, "text")}
                {field(t("form.email"), "widget-email", email, "email")}
                {field(t("form.subject"), "widget-subject", subject, "text")}
                <label>{t("form.message")}
                    <textarea data-testid="widget-first-message" rows="3" prop:value=text
                        on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                </label>
                <Show when=move || error.get().is_some()>
                    <p class="pl-form__error" role="alert" data-testid="widget-error">{move || error.get()}</p>
                </Show>
                <button type="submit" data-testid="widget-start" disabled=busy>{t("form.start")}</button>
            </form>
        </main>
    }
}

/// The chat itself.
#[component]
fn Chat(
    /// The contact's chat session.
    session: Session,
    /// Called when the contact wants a new chat after this one ended.
    on_new: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    // Files are fetched and sent with the contact's token.
    provide_context(FileToken(session.token.clone()));
    let state = RwSignal::new(WidgetState::new(
        session.clone(),
        parley_client::Outbox::random(),
    ));
    let socket_slot: StoredValue<Option<Socket>, LocalStorage> = StoredValue::new_local(None);
    let send =
        move |msg: &ClientMsg| socket_slot.with_value(|s| s.iter().for_each(|s| s.send(msg, None)));
    // The contact has read what a visible page shows.
    let report_read = move || {
        if let Some(receipt) = state
            .try_update(|s| s.read_receipt(page_visible()))
            .flatten()
        {
            send(&receipt);
        }
    };
    let on_visible = window_event_listener(leptos::ev::visibilitychange, move |_| report_read());
    on_cleanup(move || on_visible.remove());
    let socket = socket::open(
        socket::default_url(),
        |frame| json::parse(frame).and_then(|v| ServerMsg::read_contact(v).ok()),
        move || state.with_untracked(WidgetState::hello),
        move |event| match event {
            SocketEvent::Msg(msg) => {
                let resend = state.try_update(|s| s.apply(*msg)).unwrap_or_default();
                resend.iter().for_each(send);
                if state.try_update(WidgetState::take_retry_due) == Some(true) {
                    set_timeout(
                        move || {
                            let again = state.try_update(WidgetState::retry_held_back);
                            again.unwrap_or_default().iter().for_each(send);
                        },
                        std::time::Duration::from_secs(3),
                    );
                }
                report_read();
            }
            SocketEvent::Closed { .. } => state.update(WidgetState::disconnected),
            SocketEvent::Refused => state.update(WidgetState::connection_refused),
            SocketEvent::Connecting | SocketEvent::Open => {}
        },
    );
    socket_slot.set_value(Some(socket));
    on_cleanup(move || socket_slot.set_value(None));
    if state.with_untracked(|s| s.forgotten) {
        on_new();
    }
    Effect::new(move |_| {
        if state.with(|s| s.forgotten) {
            on_new();
        }
    });

    let input = RwSignal::new(String::new());
    let submit = move || {
        let text = input.get_untracked();
        let mut msg = None;
        state.update(|s| msg = s.send(&text));
        if let Some(m) = msg {
            send(&m);
            input.set(String::new());
        }
    };
    // A quick reply or list item picked in a bot's message: sent as the contact's message.
    let pick = Callback::new(move |text: String| {
        let mut msg = None;
        state.update(|s| msg = s.send(&text));
        if let Some(m) = msg {
            send(&m);
        }
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        }
    };
    let ended = move || state.with(|s| s.ended());
    let file_error = RwSignal::new(None::<String>);
    let ids = StoredValue::new((session.interaction.clone(), session.token.clone()));
    let notify_typing = move || {
        let now = parley_client::time::now_ms();
        let text = input.get_untracked();
        if let Some(notice) = state.try_update(|s| s.input(&text, now)).flatten() {
            send(&notice);
        }
    };
    let on_input = move |ev| {
        input.set(event_target_value(&ev));
        notify_typing();
        // Once more a little later, so the agent's preview ends on the last text typed.
        set_timeout(
            notify_typing,
            std::time::Duration::from_millis(parley_client::typing::EVERY_MS as u64 + 50),
        );
    };
    view! {
        <main class="pl-widget">
            <header class="pl-widget__header"><h1 class="pl-widget__title">{t("widget.title")}</h1>
                <Show when=move || !ended()>
                    <button data-testid="widget-end" on:click=move |_| send(&ClientMsg::from(act::End { interaction: state.with_untracked(|s| s.session.interaction.clone()) }))>{t("chat.end")}</button>
                </Show>
            </header>
            <ol class="pl-widget__transcript" data-testid="widget-transcript" aria-live="polite">
                <Show when=move || state.with(WidgetState::has_older)>
                    <li><button class="pl-widget__older" data-testid="widget-older" on:click=move |_| {
                        let mut msg = None;
                        state.update(|s| msg = s.older());
                        if let Some(msg) = msg { send(&msg) }
                    }>{t("chat.older")}</button></li>
                </Show>
                {parley_client::flow::keyed(move || state.with(WidgetState::lines), Line::seq, move |line| render(line, pick))}
                {parley_client::flow::keyed(move || state.with(|s| s.unsent()), |(id, _)| id.clone(), |item| view! {
                    <li class="pl-bubble pl-bubble--mine" data-testid="widget-unsent"><span class="pl-bubble__text" translate="no">{linked_text(item.1)}</span></li>
                })}
                        </ol>
            <Show when=move || state.with(|s| s.agent_typing.is_some())>
                <p class="pl-system" data-testid="widget-typing" aria-live="polite">
                    {move || state.with(|s| s.agent_typing.clone().map(|n| tf("chat.typing", &[("name", &n)])).unwrap_or_default())}
                </p>
            </Show>
            <Show when=move || state.with(|s| s.refused)>
                <p class="pl-form__error" role="alert" data-testid="widget-refused">{t("chat.refused")}</p>
            </Show>
            <Show when=move || state.with(|s| s.outdated)>
                <p class="pl-form__error" role="alert" data-testid="widget-outdated">{t("chat.updated")}</p>
            </Show>
            <Show when=move || !ended()
                fallback=move || view! {
                    <div class="pl-widget__ended" data-testid="widget-ended">{t("chat.ended")}" "
                        <button on:click=move |_| on_new() data-testid="widget-new">{t("chat.new")}</button>
                    </div>
                }>
                <div class="pl-widget__composer">
                    <textarea class="pl-widget__input" data-testid="widget-input" rows="2" aria-label=t("chat.input") placeholder=t("chat.placeholder")
                        prop:value=input on:input=on_input on:keydown=on_key></textarea>
                    <label class="pl-widget__attach" title=t("chat.attach")>"📎"
                        <input type="file" data-testid="widget-attach" aria-label=t("chat.attach")
                            on:change=move |ev| {
                                let el: web_sys::HtmlInputElement = event_target(&ev);
                                let file = el.files().and_then(|f| f.get(0));
                                el.set_value("");
                                let Some(file) = file else { return };
                                let (ix, token) = ids.get_value();
                                leptos::task::spawn_local(async move {
                                    let result = parley_client::http::upload_file(&ix, &file, Some(&token)).await;
                                    file_error.set(result.err());
                                });
                            } />
                    </label>
                    <button class="pl-widget__send" data-testid="widget-send" on:click=move |_| submit()>{t("chat.send")}</button>
                </div>
                <Show when=move || file_error.get().is_some()>
                    <p class="pl-form__error" role="alert" data-testid="widget-file-error">{move || file_error.get()}</p>
                </Show>
            </Show>
        </main>
    }
}

fn page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}

fn render(line: Line, pick: Callback<String>) -> impl IntoView {
    match line {
        Line::System { seq, text, .. } => {
            view! { <li class="pl-system" data-testid="widget-system" data-id=seq>{text}</li> }
                .into_any()
        }
        Line::Message {
            seq,
            from,
            text,
            mine,
            ..
        } => bubble(seq, from, mine, linked_text(text)),
        Line::File {
            seq,
            from,
            file,
            mine,
            ..
        } => bubble(seq, from, mine, view! { <WidgetFile file /> }.into_any()),
        Line::Rich {
            seq, from, content, ..
        } => bubble(
            seq,
            from,
            false,
            parley_client::rich::rich_view(content, Some(pick)),
        ),
        // The contact's transcript has no history above it.
        Line::Divider { .. } | Line::Past { .. } => ().into_any(),
    }
}

/// A message or file from a party, as a speech bubble.
fn bubble(seq: u64, from: String, mine: bool, body: AnyView) -> AnyView {
    let sender = from.clone();
    view! {
        <li class="pl-bubble" class:pl-bubble--mine=mine data-testid="widget-message" data-id=seq data-from=sender>
            <span class="pl-bubble__from" dir="auto" translate="no">{from}</span>
            <span class="pl-bubble__text" dir="auto" translate="no">{body}</span>
        </li>
    }
    .into_any()
}

/// The contact's token, for fetching and sending files.
#[derive(Clone)]
struct FileToken(String);

/// A file in the contact's transcript: an image shown once fetched with the token (an `<img>`
/// cannot send it), anything else as a link that fetches it the same way.
#[component]
fn WidgetFile(file: parley_protocol::FileRef) -> impl IntoView {
    let token = use_context::<FileToken>().map(|t| t.0).unwrap_or_default();
    let src = RwSignal::new(None::<String>);
    let failed = RwSignal::new(false);
    let path = file.url();
    leptos::task::spawn_local(async move {
        match parley_client::http::file_blob_url(&path, &token).await {
            Ok(url) => src.set(Some(url)),
            Err(_) => failed.set(true),
        }
    });
    let name = file.name.clone();
    let image = file.is_image();
    view! {
        <span class="pl-file" data-testid="widget-file" translate="no">
            {move || match (src.get(), failed.get()) {
                (_, true) => view! {
                    <span title=t("file.broken") data-testid="file-broken">{format!("▨ {name}")}</span>
                }.into_any(),
                (Some(url), _) if image => {
                    let name = name.clone();
                    view! { <img class="pl-file__thumb" src=url alt=name.clone() on:error=move |_| failed.set(true) /> }.into_any()
                }
                (Some(url), _) => view! { <a href=url download=name.clone()>{format!("📄 {name}")}</a> }.into_any(),
                (None, _) => view! { <span>{format!("{name}…")}</span> }.into_any(),
            }}
        </span>
    }
}
