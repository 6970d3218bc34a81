//! The main bar: who is logged in, the status control, the connection indicator, log out.

use super::use_desk;
use leptos::prelude::*;
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
    let reasons = desk.select(|s| s.settings.not_ready_reasons.clone());
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
    view! {
        <header class="pl-main-bar">
            <h1 class="pl-main-bar__brand">"Parley"</h1>
            <span class="pl-main-bar__agent" data-testid="agent-name">{move || name.get()}</span>
            <select class="pl-main-bar__status" data-testid="status-select" aria-label="Status"
                prop:value=move || status.get().0 on:change=on_status>
                <option value=READY>"Ready"</option>
                <option value=NOT_READY>"Not Ready"</option>
                <For each=move || reasons.get() key=|r| r.clone() let:reason>
                    <option value=format!("{REASON}{reason}")>{format!("Not Ready – {reason}")}</option>
                </For>
                <option value=ACW>"After-call work"</option>
            </select>
            <span class="pl-main-bar__link" data-testid="connection-state" data-state=move || link.get().as_str()
                title=move || match link.get() {
                    crate::state::Link::Online => "Connected",
                    crate::state::Link::Connecting => "Connecting…",
                    crate::state::Link::Offline => "Disconnected: reconnecting…",
                }>
                "●"
            </span>
            <button class="pl-main-bar__messages" data-testid="my-messages" title="My Messages"
                on:click=move |_| show_messages.update(|v| *v = !*v)>
                {move || format!("My Messages ({})", my_messages.with(Vec::len))}
            </button>
            <button class="pl-main-bar__messages" data-testid="my-history" title="Chats you handled" on:click=toggle_history>"My History"</button>
            <span class="pl-main-bar__zoom">
                <button class="pl-icon-button" data-testid="zoom-out" title="Smaller text" on:click=move |_| desk.update(|s| s.zoom_by(-1))>"A-"</button>
                <button class="pl-icon-button" data-testid="zoom-in" title="Larger text" on:click=move |_| desk.update(|s| s.zoom_by(1))>"A+"</button>
            </span>
            <button class="pl-icon-button" data-testid="settings-button" title="Alerts" on:click=move |_| show_settings.update(|v| *v = !*v)>"⚙"</button>
            <button class="pl-main-bar__logout" data-testid="logout" on:click=move |_| on_logout()>"Log out"</button>
        </header>
        <Show when=move || show_messages.get()>
            <ul class="pl-popover pl-my-messages" data-testid="my-messages-list">
                {move || my_messages.with(|m| m.iter().rev().map(|m| view! { <li>{m.clone()}</li> }).collect::<Vec<_>>())}
            </ul>
        </Show>
        <Show when=move || show_history.get()>
            <div class="pl-popover pl-my-history" data-testid="my-history-list">
                {move || super::history::history_list(my_history.get(), "No chats yet.", "my-history-entry", true)}
            </div>
        </Show>
        <Show when=move || show_settings.get()>
            <div class="pl-popover pl-settings" data-testid="settings">
                <label><input type="checkbox" data-testid="alert-notifications" prop:checked=move || alerts.get().notifications
                    on:change=set_alert(|a, on| a.notifications = on) />
                    " Desktop notifications"</label>
                <label><input type="checkbox" data-testid="alert-sound" prop:checked=move || alerts.get().sound
                    on:change=set_alert(|a, on| a.sound = on) />
                    " Sound"</label>
                <label><input type="checkbox" data-testid="alert-tone" prop:checked=move || alerts.get().tone
                    on:change=set_alert(|a, on| a.tone = on) />
                    " Accessibility: rising tone for pending responses"</label>
            </div>
        </Show>
        <Show when=move || notice.with(Option::is_some)>
            <p class="pl-notice" role="status" data-testid="desktop-notice">{move || notice.get()}</p>
        </Show>
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
