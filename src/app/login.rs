//! The login form.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Deserialize)]
struct LoginResponse {
    token: String,
}

#[derive(Serialize)]
struct TokenLogin {
    token: String,
}

/// Username and password; calls `on_login` with the session token.
#[component]
pub fn Login(
    /// Receives the session token after a successful login.
    on_login: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // A host system that signed the agent in itself opens the desktop with a one-time token:
    // no second password. It leaves the address at once, used or not.
    let location = web_sys::window().map(|w| w.location());
    let from_host = location
        .as_ref()
        .and_then(|l| l.hash().ok())
        .and_then(|hash| crate::session::sign_in_token(&hash));
    if let (Some(token), Some(location)) = (from_host, location) {
        let _ = location.set_hash("");
        busy.set(true);
        leptos::task::spawn_local(async move {
            let req = TokenLogin { token };
            match parley_client::http::post_json::<_, LoginResponse>("/api/login/token", &req).await
            {
                Ok(r) => on_login(r.token),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    }
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let req = LoginRequest {
            username: username.get_untracked(),
            password: password.get_untracked(),
        };
        if req.username.trim().is_empty() || req.password.is_empty() {
            error.set(Some("Enter your username and password.".into()));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match parley_client::http::post_json::<_, LoginResponse>("/api/login", &req).await {
                Ok(r) => on_login(r.token),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="pl-login" on:submit=submit>
            <h1 class="pl-login__title">"Parley"</h1>
            <label>"Username"
                <input data-testid="login-username" autocomplete="username" autofocus
                    prop:value=username on:input=move |ev| username.set(event_target_value(&ev)) />
            </label>
            <label>"Password"
                <input data-testid="login-password" type="password" autocomplete="current-password"
                    prop:value=password on:input=move |ev| password.set(event_target_value(&ev)) />
            </label>
            <Show when=move || error.get().is_some()>
                <p class="pl-login__error" role="alert" data-testid="login-error">{move || error.get()}</p>
            </Show>
            <button data-testid="login-submit" type="submit" disabled=busy>"Log in"</button>
        </form>
    }
}
