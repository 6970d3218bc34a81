//! The views. [`App`] shows the login or the desktop; [`Desktop`] opens the one socket and feeds
//! every frame into the reducer through the [`Desk`]; the components below select the parts of
//! [`DesktopState`] they show from it, and change the state only through it.

mod alerts;
pub mod attachments;
pub mod batch;
pub mod chat;
pub mod composer;
mod desk;
mod history;
pub mod interaction_bar;
mod keys;
mod login;
pub mod main_bar;
mod parties;
mod preview;
mod side_panel;
mod team;
pub mod transcript;
pub mod warm;

pub use composer::Composer;
pub use desk::{use_desk, Desk, Part};

use crate::state::DesktopState;
use leptos::prelude::*;
use parley_client::flow::Show;
use parley_client::i18n::{t, tf};
use parley_client::{socket, SocketEvent};
use parley_protocol::{InteractionId, ServerMsg};

/// The whole app: login first, then the desktop.
#[component]
pub fn App() -> impl IntoView {
    let token = RwSignal::new(crate::session::load());
    let sign_in = move |t: String| {
        crate::session::save(&t);
        token.set(Some(t));
    };
    // Inside a CRM page's frame: that page's requests and events, signed in or not.
    let bridge = crate::host::start();
    if let Some(bridge) = bridge {
        bridge.on_sign_in(sign_in);
        provide_context(bridge);
    }
    let logout = move |reason: SignedOut| {
        crate::session::clear();
        token.set(None);
        if let Some(bridge) = bridge {
            bridge.signed_out(reason);
        }
    };
    // The sign-in pop-up of a framed desktop hands the session over instead of keeping it.
    let popup = crate::session::popup_opener().is_some();
    let handed = RwSignal::new(None::<String>);
    let on_login = move |session: String| {
        if !popup {
            return sign_in(session);
        }
        leptos::task::spawn_local(async move {
            let sent = match crate::session::popup_opener() {
                Some(opener) => crate::session::hand_to_opener(opener, session).await,
                None => Err(t("app.opener_gone")),
            };
            handed.set(Some(match sent {
                Ok(()) => t("app.handed"),
                Err(e) => tf("app.not_handed", &[("why", &e)]),
            }));
        });
    };
    move || match (token.get(), handed.get()) {
        (_, Some(said)) => {
            view! { <p class="pl-login" role="status" data-testid="popup-done">{said}</p> }
                .into_any()
        }
        (None, None) => view! { <login::Login on_login=on_login /> }.into_any(),
        (Some(t), None) => view! { <Desktop token=t on_logout=logout /> }.into_any(),
    }
}

/// Why the desktop signed out, as a host page hears it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignedOut {
    /// The agent logged out.
    Logout,
    /// The server no longer takes the session (expired, ended elsewhere, revoked).
    Expired,
}

impl SignedOut {
    pub fn as_str(self) -> &'static str {
        match self {
            SignedOut::Logout => "logout",
            SignedOut::Expired => "expired",
        }
    }
}

/// The agent desktop for a logged-in agent.
#[component]
pub fn Desktop(
    /// The session token from the login.
    token: String,
    /// Called when the server no longer accepts the session, or the agent logs out.
    on_logout: impl Fn(SignedOut) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let desk = Desk::detached(DesktopState::new(crate::state::Outbox::random()));
    desk.update(|s| s.kept = kept_over_reload());
    provide_context(desk);
    let hello_token = token.clone();
    // The first welcome (a reconnection welcomes again) warms up for the first chat.
    let warmed = std::cell::Cell::new(false);
    let inbox = batch::Inbox::new(move |burst: Vec<ServerMsg>| {
        let welcome = burst.iter().any(|m| matches!(m, ServerMsg::Welcome { .. }));
        // One update for the whole burst: the views re-render once per animation frame.
        desk.update(|s| burst.into_iter().for_each(|m| s.apply(m)));
        if welcome {
            for m in desk.with(DesktopState::after_welcome) {
                desk.send(&m);
            }
            if !warmed.replace(true) {
                warm::schedule();
            }
        }
        if desk.with(|s| s.logged_out) {
            on_logout(SignedOut::Expired);
        }
    });
    let socket = socket::open(
        socket::default_url(),
        parley_client::json::agent_frame,
        move || desk.with(|s| s.hello(Some(hello_token.clone()))),
        move |event| match event {
            SocketEvent::Msg(msg) => inbox.push(*msg),
            SocketEvent::Closed { .. } => {
                inbox.flush();
                desk.update(DesktopState::disconnected)
            }
            SocketEvent::Refused => {
                inbox.flush();
                desk.update(DesktopState::connection_refused)
            }
            SocketEvent::Connecting | SocketEvent::Open => {}
        },
    );
    alerts::watch(desk);
    if let Some(bridge) = use_context::<crate::host::Bridge>() {
        bridge.attach(desk, token.clone());
    }
    desk.connect(Some(socket));
    on_cleanup(move || desk.connect(None));
    let logout_token = token;
    let log_out = move || {
        let token = logout_token.clone();
        leptos::task::spawn_local(async move {
            let _ = parley_client::http::post_with_token("/api/logout", &token).await;
        });
        on_logout(SignedOut::Logout);
    };

    let elsewhere = desk.select(DesktopState::elsewhere);
    let use_here = move |_| desk.send(&parley_protocol::ClientMsg::UseHere {});

    view! {
        <Show when=move || elsewhere.get()>
            <div class="pl-elsewhere" role="alertdialog" aria-modal="true" aria-labelledby="pl-elsewhere-title"
                data-testid="elsewhere">
                <p id="pl-elsewhere-title">{t("app.elsewhere")}</p>
                <button class="pl-button" data-testid="use-here" autofocus on:click=use_here>{t("app.use_here")}</button>
            </div>
        </Show>
        <main class="pl-desktop" inert=move || elsewhere.get()>
            <main_bar::MainBar on_logout=log_out />
            <preview::Previews />
            <interaction_bar::InteractionBar />
            <team::TeamCommunicator />
            <chat::ChatArea />
            <keys::Keys />
        </main>
    }
}

/// An icon of the page's sprite (`index.html`: attach, link, document, emoji, responses,
/// settings, menu), hidden from screen readers: its control says what it does in words.
pub(crate) fn icon(name: &'static str) -> impl IntoView {
    view! { <svg class="pl-icon" data-icon=name aria-hidden="true"><use href=["#pl-i-", name].concat() /></svg> }
}

/// Where drafts and notes wait over a reload (`sessionStorage`: this tab only).
const KEPT_KEY: &str = "parley.kept";

/// Whether files attached in a chat wait to be sent or removed: a browser `File` is not data a
/// tab can keep over a reload, so the language stays until they are gone. Files of a chat that
/// ended or left the desktop can no longer be sent, and hold nothing up.
pub(crate) fn files_waiting(desk: Option<Desk>) -> bool {
    desk.is_some_and(|desk| {
        let can_send = |ix: &InteractionId| desk.with(|s| s.chat(ix).is_some_and(|c| !c.ended()));
        desk.attachments.waiting(can_send)
    })
}

/// Changes the language: keeps the drafts and notes of the open chats for the reload, then
/// reloads in it. While files wait to be sent (see [`files_waiting`]) it does not, tells the
/// agent why, and answers `false`.
pub(crate) fn switch_language(desk: Option<Desk>, language: &str) -> bool {
    if files_waiting(desk) {
        if let Some(desk) = desk {
            desk.update(|s| s.notice = Some(t("settings.files_waiting")));
        }
        return false;
    }
    if let (Some(desk), Some(storage)) = (desk, parley_client::storage(true)) {
        let kept: Vec<serde_json::Value> = desk
            .with(DesktopState::to_keep)
            .into_iter()
            .map(|k| serde_json::json!([k.interaction.as_str(), k.draft, k.note]))
            .collect();
        let _ = storage.set_item(KEPT_KEY, &serde_json::Value::Array(kept).to_string());
    }
    parley_client::i18n::switch_to(language);
    true
}

/// The drafts and notes a reload kept, once.
fn kept_over_reload() -> Vec<crate::state::Kept> {
    let Some(storage) = parley_client::storage(true) else {
        return Vec::new();
    };
    let text = storage.get_item(KEPT_KEY).ok().flatten();
    let _ = storage.remove_item(KEPT_KEY);
    let list = text.as_deref().and_then(parley_client::json::value);
    let text_at = |v: &serde_json::Value, i: usize| v.get(i)?.as_str().map(str::to_owned);
    let kept = list
        .as_ref()
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten();
    kept.filter_map(|k| {
        Some(crate::state::Kept {
            interaction: parley_protocol::InteractionId(text_at(k, 0)?),
            draft: text_at(k, 1)?,
            note: text_at(k, 2)?,
        })
    })
    .collect()
}
