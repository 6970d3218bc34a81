//! The main bar: who is logged in, the status control, the connection indicator, log out.

use super::use_desk;
use leptos::prelude::*;
use parley_client::flow::Show;
use parley_client::i18n::{t, tf};
use parley_protocol::act;
use parley_protocol::{AgentStatus, ClientMsg};

const READY: &str = "ready";
const NOT_READY: &str = "not_ready";
const ACW: &str = "acw";
const REASON: &str = "reason:";

fn status_value(status: &AgentStatus) -> String {
    match status {
        AgentStatus::Ready => READY.into(),
        AgentStatus::NotReady { reason: None } => NOT_READY.into(),
        AgentStatus::NotReady { reason: Some(r) } => format!("{REASON}{r}"),
        AgentStatus::AfterCallWork => ACW.into(),
    }
}

fn status_from(value: &str) -> AgentStatus {
    match value {
        READY => AgentStatus::Ready,
        ACW => AgentStatus::AfterCallWork,
        v => AgentStatus::NotReady {
            reason: v.strip_prefix(REASON).map(str::to_owned),
        },
    }
}

/// The top bar of the desktop.
#[component]
pub fn MainBar(
    /// Logs the agent out.
    on_logout: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let desk = use_desk();
    let name = desk.select(|s| s.me.as_ref().map(|m| m.name.clone()).unwrap_or_default());
    let link = desk.select(|s| s.link);
    // Each reason's code and what the agent's language calls it.
    let reasons = desk.select(|s| s.labelled(&s.settings.not_ready_reasons));
    // With the refusals: a refused choice does not stay in the select.
    let status = desk.select(|s| (status_value(&s.status), s.refusals));
    let on_status = move |ev| {
        desk.send(&ClientMsg::from(act::SetStatus {
            status: status_from(&event_target_value(&ev)),
        }))
    };
    let (show_messages, show_settings) = (RwSignal::new(false), RwSignal::new(false));
    let show_history = RwSignal::new(false);
    let toggle_history = move |_| {
        if !show_history.get_untracked() {
            desk.send(&ClientMsg::History {
                scope: parley_protocol::HistoryScope::Mine,
            });
        }
        show_history.update(|v| *v = !*v);
    };
    let my_history = desk.select(|s| s.my_history.clone());
    let my_messages = desk.select(|s| s.my_messages.clone());
    let alerts = desk.select(|s| s.alerts);
    let notice = desk.select(|s| s.notice.clone());
    let set_alert = move |f: fn(&mut crate::state::Alerts, bool)| {
        move |ev| {
            let on = event_target_checked(&ev);
            desk.update(|s| f(&mut s.alerts, on))
        }
    };
    // In a narrow window (a CRM's side panel) the less used controls fold behind a menu button.
    let folded_open = RwSignal::new(false);
    view! {
        <header class="pl-main-bar" class:pl-main-bar--open=move || folded_open.get()>
            <h1 class="pl-main-bar__brand" translate="no">"Parley"</h1>
            <span class="pl-main-bar__agent" data-testid="agent-name" translate="no">{move || name.get()}</span>
            <select class="pl-main-bar__status" data-testid="status-select" aria-label=t("bar.status")
                prop:value=move || status.get().0 on:change=on_status>
                <option value=READY>{t("status.ready")}</option>
                <option value=NOT_READY>{t("status.not_ready")}</option>
                {move || reasons.get().into_iter().map(|reason| view! {
                    <option value=format!("{REASON}{}", reason.0)>{tf("status.not_ready_for", &[("reason", &reason.1)])}</option>
                }).collect_view()}
                <option value=ACW>{t("status.after_call_work")}</option>
            </select>
            <span class="pl-main-bar__link" data-testid="connection-state" data-state=move || link.get().as_str()
                title=move || match link.get() {
                    crate::state::Link::Online => t("bar.online"),
                    crate::state::Link::Connecting => t("bar.connecting"),
                    crate::state::Link::Offline => t("bar.offline"),
                }>
                "●"
            </span>
            <button class="pl-icon-button pl-main-bar__menu" data-testid="main-menu" title=t("bar.menu")
                aria-controls="pl-main-more" aria-expanded=move || folded_open.get().to_string()
                on:click=move |_| folded_open.update(|o| *o = !*o)>{super::icon("menu")}</button>
            <div class="pl-main-bar__more" id="pl-main-more">
            <button class="pl-main-bar__messages" data-testid="my-messages" title=t("bar.messages_title")
                on:click=move |_| show_messages.update(|v| *v = !*v)>
                {move || tf("bar.messages", &[("n", &my_messages.with(Vec::len).to_string())])}
            </button>
            <button class="pl-main-bar__messages" data-testid="my-history" title=t("bar.history_title") on:click=toggle_history>{t("bar.history")}</button>
            <span class="pl-main-bar__zoom">
                <button class="pl-icon-button" data-testid="zoom-out" translate="no" title=t("bar.smaller") on:click=move |_| desk.update(|s| s.zoom_by(-1))>"A-"</button>
                <button class="pl-icon-button" data-testid="zoom-in" translate="no" title=t("bar.larger") on:click=move |_| desk.update(|s| s.zoom_by(1))>"A+"</button>
            </span>
            <button class="pl-icon-button" data-testid="settings-button" title=t("bar.settings") on:click=move |_| show_settings.update(|v| *v = !*v)>{super::icon("settings")}</button>
            <button class="pl-main-bar__logout" data-testid="logout" on:click=move |_| on_logout()>{t("bar.logout")}</button>
            </div>
        <Show when=move || show_messages.get()>
            <ul class="pl-popover pl-my-messages" data-testid="my-messages-list">
                {move || my_messages.with(|m| m.iter().rev().map(|m| view! { <li>{m.clone()}</li> }).collect::<Vec<_>>())}
            </ul>
        </Show>
        <Show when=move || show_history.get()>
            <div class="pl-popover pl-my-history" data-testid="my-history-list">
                {move || super::history::history_list(my_history.get(), t("bar.no_history"), "my-history-entry", true)}
            </div>
        </Show>
        <Show when=move || show_settings.get()>
            <div class="pl-popover pl-settings" data-testid="settings">
                <LanguagePicker />
                <label><input type="checkbox" data-testid="alert-notifications" prop:checked=move || alerts.get().notifications
                    on:change=set_alert(|a, on| a.notifications = on) />
                    " "{t("settings.notifications")}</label>
                <label><input type="checkbox" data-testid="alert-sound" prop:checked=move || alerts.get().sound
                    on:change=set_alert(|a, on| a.sound = on) />
                    " "{t("settings.sound")}</label>
                <label><input type="checkbox" data-testid="alert-tone" prop:checked=move || alerts.get().tone
                    on:change=set_alert(|a, on| a.tone = on) />
                    " "{t("settings.tone")}</label>
            </div>
        </Show>
        </header>
        <Show when=move || notice.with(Option::is_some)>
            <p class="pl-notice" role="status" data-testid="desktop-notice">{move || notice.get()}</p>
        </Show>
    }
}

/// A language the desktop speaks (`parley_client::i18n::LANGUAGES`), named in itself.
fn own_name(code: &str) -> &str {
    match code {
        "en" => "English",
        "de" => "Deutsch",
        "fr" => "Français",
        "ar" => "العربية",
        other => other,
    }
}

/// The agent's choice of language (kept in this browser); choosing reloads the desktop in it.
#[component]
pub fn LanguagePicker() -> impl IntoView {
    let now = parley_client::i18n::language();
    // Signed in, the desktop keeps the chats' drafts and notes over the reload.
    let desk = use_context::<super::Desk>();
    let shown = RwSignal::new(now);
    view! {
        <label class="pl-language">{t("settings.language")}" "
            <select data-testid="language-select" translate="no"
                prop:value=move || shown.get()
                on:change=move |ev| if !super::switch_language(desk, &event_target_value(&ev)) {
                    // It stays: the select says so again.
                    shown.set(now);
                }>
                {parley_client::i18n::LANGUAGES.iter().map(|&code| view! { <option value=code lang=code selected=code == now>{own_name(code)}</option> }).collect::<Vec<_>>()}
            </select>
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_survives_the_select_value() {
        for status in [
            AgentStatus::Ready,
            AgentStatus::AfterCallWork,
            AgentStatus::NotReady { reason: None },
            AgentStatus::NotReady {
                reason: Some("Lunch".into()),
            },
        ] {
            assert_eq!(status_from(&status_value(&status)), status);
        }
    }
}
