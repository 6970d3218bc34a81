//! The login form.

use leptos::prelude::*;
use parley_client::flow::Show;
use parley_client::i18n::t;
use serde::Serialize;

#[derive(Serialize)]
struct LoginRequest {
    username: String,
    password: String,
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
            match crate::session::exchange(&token).await {
                Ok(t) => on_login(t),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    }
    let framed = crate::session::framed();
    let popup = move |_| match open_popup(on_login, error) {
        Ok(()) => error.set(None),
        Err(e) => error.set(Some(e)),
    };
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
            error.set(Some(t("login.missing")));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = parley_client::http::post_json_parsed("/api/login", &req).await;
            match answer.map(|a| a.text("token")) {
                Ok(Some(token)) => on_login(token),
                Ok(None) => error.set(Some(t("app.bad_answer"))),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <main>
            <form class="pl-login" on:submit=submit>
                <h1 class="pl-login__title" translate="no">"Parley"</h1>
                <label>{t("login.username")}
                    <input data-testid="login-username" autocomplete="username" autofocus
                        prop:value=username on:input=move |ev| username.set(event_target_value(&ev)) />
                </label>
                <label>{t("login.password")}
                    <input data-testid="login-password" type="password" autocomplete="current-password"
                        prop:value=password on:input=move |ev| password.set(event_target_value(&ev)) />
                </label>
                <Show when=move || error.get().is_some()>
                    <p class="pl-login__error" role="alert" data-testid="login-error">{move || error.get()}</p>
                </Show>
                <button data-testid="login-submit" type="submit" disabled=busy>{t("login.submit")}</button>
                <Show when=move || framed>
                    <button data-testid="login-popup" type="button" class="pl-login__popup"
                        title=t("login.popup_title") on:click=popup>{t("login.popup")}</button>
                </Show>
                <super::main_bar::LanguagePicker />
            </form>
        </main>
    }
}

/// Opens the sign-in pop-up on Parley's own origin and waits for the one-time token it hands
/// back: only from that window, only from this origin.
fn open_popup(
    on_login: impl Fn(String) + Copy + 'static,
    error: RwSignal<Option<String>>,
) -> Result<(), String> {
    let blocked = || t("login.blocked");
    let window = web_sys::window().ok_or_else(blocked)?;
    let popup = window
        .open_with_url_and_target_and_features(
            crate::session::POPUP_PATH,
            "parley-sign-in",
            "popup,width=480,height=640",
        )
        .ok()
        .flatten()
        .ok_or_else(blocked)?;
    let own = window.location().origin().unwrap_or_default();
    let listener = StoredValue::new_local(None::<WindowListenerHandle>);
    let handle = window_event_listener(leptos::ev::message, move |event| {
        let from_popup = event
            .source()
            .is_some_and(|s| web_sys::js_sys::Object::is(&s, &popup));
        if !from_popup || event.origin() != own {
            return;
        }
        let Some(token) = crate::session::handed_token(&event.data()) else {
            return;
        };
        listener.update_value(|l| {
            if let Some(l) = l.take() {
                l.remove();
            }
        });
        leptos::task::spawn_local(async move {
            match crate::session::exchange(&token).await {
                Ok(t) => on_login(t),
                Err(e) => error.set(Some(e)),
            }
        });
    });
    listener.set_value(Some(handle));
    Ok(())
}
