//! The interaction bar: one tab per open chat with the contact's name, the time since the chat
//! started, the pending-response colour and the unread count. A tab flashes for the seed's
//! reasons; hovering shows the contact's latest message and stops the flashing.

use super::use_desk;
use crate::state::Chat;
use leptos::prelude::*;
use parley_client::flow::Show;
use parley_protocol::{InteractionId, PendingLevel};
use std::time::Duration;

/// `m:ss` or `h:mm:ss` since `since`.
pub fn elapsed(since: i64, now: i64) -> String {
    let s = ((now - since).max(0) / 1000) as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// The value of `data-pending`.
pub fn pending_name(level: PendingLevel) -> &'static str {
    match level {
        PendingLevel::Ok => "ok",
        PendingLevel::Warn => "warn",
        PendingLevel::Late => "late",
    }
}

/// A clock that ticks every second while the component lives.
pub fn use_clock() -> ReadSignal<i64> {
    let now = RwSignal::new(parley_client::time::now_ms());
    let timer = set_interval_with_handle(
        move || now.set(parley_client::time::now_ms()),
        Duration::from_secs(1),
    );
    on_cleanup(move || {
        if let Ok(t) = timer {
            t.clear();
        }
    });
    now.read_only()
}

/// All open chats as tabs.
#[component]
pub fn InteractionBar() -> impl IntoView {
    let ids = use_desk().select(|s| {
        s.chats
            .iter()
            .map(|c| c.summary.id.clone())
            .collect::<Vec<_>>()
    });
    let now = use_clock();
    view! {
        <nav class="pl-interaction-bar" aria-label=parley_client::i18n::t("bar.chats")>
            {parley_client::flow::keyed(move || ids.get(), |id| id.clone(), move |id| view! { <Tab id now /> })}
        </nav>
    }
}

/// One chat's tab.
#[component]
fn Tab(
    /// The chat.
    id: InteractionId,
    /// The clock for the elapsed time.
    now: ReadSignal<i64>,
) -> impl IntoView {
    let desk = use_desk();
    let key = StoredValue::new(id.clone());
    let selected = desk.select(move |s| key.with_value(|id| s.selected.as_ref() == Some(id)));
    let flashing = desk.chat_part(key, |c| c.flash.is_some());
    let unread = desk.chat_part(key, |c| c.unread);
    let started = desk.chat_part(key, |c| c.summary.started_at);
    let pending = desk.chat_part(key, |c| pending_name(c.summary.pending).to_owned());
    let contact = desk.chat_part(key, |c| c.summary.contact.clone());
    // The preview is in the title only while the pointer is on the tab, read from the chat
    // then and whenever its lines change: keeping it there would cost every message a change
    // to the page, and every update a search back through the chat, for a tooltip nobody sees.
    let lines_version = desk.chat_part(key, |c| c.lines_version);
    let preview = move || {
        lines_version.track();
        desk.with(|s| {
            key.with_value(|id| {
                s.chat(id)
                    .and_then(Chat::last_contact_message)
                    .map(str::to_owned)
            })
        })
    };
    let hovered = RwSignal::new(false);
    view! {
        <button class="pl-interaction-tab" class:pl-interaction-tab--selected=move || selected.get() class:pl-interaction-tab--flash=move || flashing.get()
            data-testid="interaction-tab" data-id=id.to_string()
            data-pending=move || pending.get()
            title=move || hovered.get().then(preview).flatten()
            on:mouseenter=move |_| {
                hovered.set(true);
                desk.update(|s| key.with_value(|id| s.hover(id)))
            }
            on:mouseleave=move |_| hovered.set(false)
            on:click=move |_| desk.update(|s| key.with_value(|id| s.select(id)))>
            <span class="pl-interaction-tab__dot" aria-hidden="true"></span>
            <span class="pl-interaction-tab__name" translate="no">{move || contact.get()}</span>
            <span class="pl-interaction-tab__time">{move || elapsed(started.get(), now.get())}</span>
            <Show when=move || { unread.get() > 0 }>
                <span class="pl-interaction-tab__unread" data-testid="interaction-tab-unread">{move || unread.get()}</span>
            </Show>
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_time_reads_like_a_clock() {
        assert_eq!(elapsed(0, 0), "00:00");
        assert_eq!(elapsed(0, 192_000), "03:12");
        assert_eq!(elapsed(0, 3_723_000), "1:02:03");
        assert_eq!(elapsed(5_000, 0), "00:00", "never negative");
    }
}
