//! The views. [`App`] shows the login or the desktop; [`Desktop`] opens the one socket and feeds
//! every frame into the reducer; the components below only read [`DesktopState`].

mod alerts;
pub mod attachments;
pub mod batch;
pub mod chat;
pub mod composer;
mod history;
pub mod interaction_bar;
mod login;
mod main_bar;
mod parties;
mod preview;
mod side_panel;
mod team;
pub mod transcript;
pub mod warm;

pub use composer::Composer;

use crate::state::DesktopState;
use leptos::prelude::*;
use parley_client::{socket, Socket, SocketEvent};
use parley_protocol::{ClientMsg, ServerMsg};

/// Write access to the desktop: the state and the socket, handed out through context.
#[derive(Clone, Copy)]
pub struct Desk {
    pub state: RwSignal<DesktopState>,
    socket: StoredValue<Option<Socket>, LocalStorage>,
    /// Files attached to chats and not sent yet.
    pub attachments: attachments::Attachments,
}

impl Desk {
    /// A desk with no socket (frames are dropped), for mounting components on their own.
    pub fn detached(state: RwSignal<DesktopState>) -> Self {
        Self {
            state,
            socket: StoredValue::new_local(None),
            attachments: attachments::Attachments::new(),
        }
    }

    /// Sends a frame to the server.
    pub fn send(&self, msg: &ClientMsg) {
        self.socket.with_value(|s| {
            if let Some(s) = s {
                s.send(msg)
            }
        });
    }

    /// Lets the reducer produce a frame, and sends it if it did.
    pub fn act(&self, f: impl FnOnce(&mut DesktopState) -> Option<ClientMsg>) {
        let mut msg = None;
        self.state.update(|s| msg = f(s));
        if let Some(msg) = msg {
            self.send(&msg);
        }
    }

    /// Sends what the state answers without changing it: nothing re-renders.
    pub fn request(&self, f: impl FnOnce(&DesktopState) -> Option<ClientMsg>) {
        if let Some(msg) = self.state.with_untracked(f) {
            self.send(&msg);
        }
    }
}

/// The desk of the surrounding [`Desktop`].
pub fn use_desk() -> Desk {
    expect_context::<Desk>()
}

/// The whole app: login first, then the desktop.
#[component]
pub fn App() -> impl IntoView {
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

fn client_prefix() -> String {
    format!("d{}", js_sys_now())
}

fn js_sys_now() -> u64 {
    chrono::Utc::now().timestamp_millis().max(0) as u64
}

/// The agent desktop for a logged-in agent.
#[component]
pub fn Desktop(
    /// The session token from the login.
    token: String,
    /// Called when the server no longer accepts the session, or the agent logs out.
    on_logout: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let desk = Desk {
        state: RwSignal::new(DesktopState::new(&client_prefix())),
        socket: StoredValue::new_local(None),
        attachments: attachments::Attachments::new(),
    };
    provide_context(desk);
    let state = desk.state;
    let hello_token = token.clone();
    // The first welcome (a reconnection welcomes again) warms up for the first chat.
    let warmed = std::cell::Cell::new(false);
    let inbox = batch::Inbox::new(move |burst: Vec<ServerMsg>| {
        let welcome = burst.iter().any(|m| matches!(m, ServerMsg::Welcome { .. }));
        // One update for the whole burst: the views re-render once per animation frame.
        state.update(|s| burst.into_iter().for_each(|m| s.apply(m)));
        if welcome {
            for m in state.with_untracked(DesktopState::after_welcome) {
                desk.send(&m);
            }
            if !warmed.replace(true) {
                warm::schedule();
            }
        }
        if state.with_untracked(|s| s.logged_out) {
            on_logout();
        }
    });
    let socket = socket::open(
        socket::default_url(),
        |frame| ServerMsg::parse(frame).ok(),
        move || state.with_untracked(|s| s.hello(Some(hello_token.clone()))),
        move |event| match event {
            SocketEvent::Msg(msg) => inbox.push(*msg),
            SocketEvent::Closed { .. } => {
                inbox.flush();
                state.update(DesktopState::disconnected)
            }
            SocketEvent::Connecting | SocketEvent::Open => {}
        },
    );
    alerts::watch(state);
    desk.socket.set_value(Some(socket));
    on_cleanup(move || desk.socket.set_value(None));
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
