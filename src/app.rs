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
use parley_client::{socket, SocketEvent};
use parley_protocol::ServerMsg;

/// The whole app: login first, then the desktop.
#[component]
pub fn App() -> impl IntoView {
    // Inside a CRM page's frame: that page's requests and events, signed in or not.
    if let Some(bridge) = crate::host::start() {
        provide_context(bridge);
    }
    let token = RwSignal::new(crate::session::load());
    let logout = move || {
        crate::session::clear();
        token.set(None);
    };
    move || match token.get() {
        None => view! {
            <login::Login on_login=move |t: String| {
                crate::session::save(&t);
                token.set(Some(t));
            } />
        }
        .into_any(),
        Some(t) => view! { <Desktop token=t on_logout=logout /> }.into_any(),
    }
}

/// The agent desktop for a logged-in agent.
#[component]
pub fn Desktop(
    /// The session token from the login.
    token: String,
    /// Called when the server no longer accepts the session, or the agent logs out.
    on_logout: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let desk = Desk::detached(DesktopState::new(crate::state::Outbox::random()));
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
            on_logout();
        }
    });
    let socket = socket::open(
        socket::default_url(),
        |frame| ServerMsg::parse(frame).ok(),
        move || desk.with(|s| s.hello(Some(hello_token.clone()))),
        move |event| match event {
            SocketEvent::Msg(msg) => inbox.push(*msg),
            SocketEvent::Closed { .. } => {
                inbox.flush();
                desk.update(DesktopState::disconnected)
            }
            SocketEvent::Connecting | SocketEvent::Open => {}
        },
    );
    alerts::watch(desk);
    if let Some(bridge) = use_context::<crate::host::Bridge>() {
        bridge.attach(desk);
    }
    desk.connect(Some(socket));
    on_cleanup(move || desk.connect(None));
    let logout_token = token;
    let log_out = move || {
        let token = logout_token.clone();
        leptos::task::spawn_local(async move {
            let _ = parley_client::http::post_with_token("/api/logout", &token).await;
        });
        on_logout();
    };

    view! {
        <div class="pl-desktop">
            <main_bar::MainBar on_logout=log_out />
            <preview::Previews />
            <interaction_bar::InteractionBar />
            <team::TeamCommunicator />
            <chat::ChatArea />
        </div>
    }
}
