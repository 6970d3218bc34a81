//! The Chat Interaction window of the selected chat: toolbar, transcript, typing notice,
//! message area and side panel.

use super::composer::{Composer, ComposerTools};
use super::interaction_bar::pending_name;
use super::parties::{ConsultPanels, PartyList};
use super::side_panel::SidePanel;
use super::transcript::Transcript;
use super::use_desk;
use crate::state::Chat;
use leptos::prelude::*;
use parley_protocol::act;
use parley_protocol::{ClientMsg, InteractionId, RequestKind};
use std::time::Duration;

/// The selected chat, or a hint when there is none.
#[component]
pub fn ChatArea() -> impl IntoView {
    let selected = use_desk().select(|s| s.selected.clone());
    move || {
        match selected.get() {
        Some(id) => view! { <ChatWindow id /> }.into_any(),
        None => view! { <p class="pl-empty">"No open chats. Set your status to Ready to receive chats."</p> }.into_any(),
    }
    }
}

/// The Chat Interaction window.
#[component]
pub(super) fn ChatWindow(
    /// The chat shown.
    id: InteractionId,
) -> impl IntoView {
    let desk = use_desk();
    let key = StoredValue::new(id.clone());
    let pending = desk.chat_part(key, |c| pending_name(c.summary.pending).to_owned());
    let contact = desk.chat_part(key, |c| c.summary.contact.clone());
    let draft = desk.chat_part(key, |c| c.draft.clone());
    let ended = desk.chat_part(key, Chat::ended);
    let consultant = desk.chat_part(key, Chat::is_consultant);
    let has_older = desk.chat_part(key, Chat::can_load_more);
    let ended = move || ended.get();
    let consultant = move || consultant.get();
    let notice = desk.chat_part(key, |c| c.notice.clone());
    let error = desk.chat_part(key, |c| c.error.clone());
    let typing = desk.chat_part(key, |c| c.typing.clone());
    let team =
        move |mode: RequestKind| move |_| desk.update(|s| key.with_value(|id| s.open_tc(id, mode)));
    // The transcript follows the lines' version and reads the lines themselves only then: a
    // selected copy would be a second handle on them, and every new line would copy them all.
    let lines_version = desk.chat_part(key, |c| c.lines_version);
    let transcript_lines = Signal::derive(move || {
        lines_version.track();
        desk.with(|s| key.with_value(|id| s.chat(id).map(|c| c.lines.clone()).unwrap_or_default()))
    });
    let unsent = desk.select(move |s| {
        key.with_value(|id| {
            s.unsent(id)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
    });
    let read_up_to = desk.chat_part(key, |c| c.read_up_to);
    let zoom = desk.select(|s| s.zoom);
    let dispositions = desk.select(|s| s.settings.dispositions.clone());
    let collapsed = RwSignal::new(false);
    let load_older = Callback::new(move |()| desk.act(|s| s.older(&key.get_value())));

    let end = move |_| {
        desk.send(&ClientMsg::from(act::End {
            interaction: key.get_value(),
        }))
    };
    let done = move |_| desk.act(|s| s.done(&key.get_value()));
    let pick = move |ev| {
        let code = event_target_value(&ev);
        desk.update(|s| s.set_disposition(&key.get_value(), &code));
    };
    let on_input = move |text: String| {
        let now = parley_client::time::now_ms();
        desk.act(|s| s.typed(&key.get_value(), &text, now));
    };
    let on_send = move |()| desk.act(|s| s.send_draft(&key.get_value()));
    // The window of a chat this desktop just accepted opens with its message box focused.
    let focused = desk.with(|s| s.focus.as_ref() == Some(&id));

    view! {
        <section class="pl-chat" class:pl-chat--collapsed=collapsed data-testid="chat" data-id=id.to_string()
            on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
            on:drop=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                let files = ev.data_transfer().and_then(|d| d.files());
                if let Some(files) = files.filter(|_| !ended() && !consultant()) {
                    desk.attachments.add(&key.get_value(), files);
                }
            }>
            <header class="pl-chat__toolbar">
                <span class="pl-pending" data-testid="pending-indicator" data-pending=move || pending.get()
                    title="Pending response"></span>
                <h2 class="pl-chat__title">{move || contact.get()}</h2>
                <Show when=move || consultant()>
                    <span class="pl-chat__role" data-testid="chat-role">"Consultation — read only"</span>
                </Show>
                <Show when=move || !ended() && !consultant()>
                    <button class="pl-button" data-testid="chat-end" on:click=end>"End"</button>
                    <button class="pl-button" data-testid="chat-transfer" title="Instant Chat Transfer" on:click=team(RequestKind::Transfer)>"Transfer"</button>
                    <button class="pl-button" data-testid="chat-conference" title="Instant Chat Conference" on:click=team(RequestKind::Conference)>"Conference"</button>
                    <button class="pl-button" data-testid="chat-consult" title="Start Consultation" on:click=team(RequestKind::Consultation)>"Consult"</button>
                </Show>
                <Show when=move || ended() && !consultant()>
                    <select data-testid="disposition-select" aria-label="Disposition" on:change=pick>
                        <option value="">"Disposition…"</option>
                        <For each=move || dispositions.get() key=|d| d.clone() let:code>
                            <option value=code.clone()>{code.clone()}</option>
                        </For>
                    </select>
                    <button class="pl-button pl-button--primary" data-testid="chat-done" on:click=done>"Mark Done"</button>
                </Show>
                <button class="pl-icon-button" data-testid="chat-collapse" title="Collapse or expand the interaction view"
                    aria-pressed=move || collapsed.get().to_string() on:click=move |_| collapsed.update(|c| *c = !*c)>
                    {move || if collapsed.get() { "▸" } else { "▾" }}
                </button>
            </header>
            <Show when=move || error.with(Option::is_some)>
                <p class="pl-chat__error" role="alert" data-testid="chat-error">{move || error.get()}</p>
            </Show>
            <Show when=move || notice.with(Option::is_some)>
                <p class="pl-chat__notice" role="status" data-testid="chat-notice">{move || notice.get()}</p>
            </Show>
            <PartyList id=key.get_value() />
            <div class="pl-chat__body">
                <div class="pl-chat__main">
                    <Transcript lines=transcript_lines unsent read_up_to zoom on_top=load_older has_older />
                    <Show when=move || typing.with(Option::is_some)>
                        <p class="pl-typing" data-testid="typing">
                            {move || format!("{} is typing", contact.get())}
                            {move || typing.get().and_then(|t| t.preview).map(|p| view! {
                                <span class="pl-typing__preview" data-testid="typing-preview">{format!(": \u{201c}{p}\u{201d}")}</span>
                            })}
                        </p>
                    </Show>
                    <Show when=move || !ended() && !consultant()>
                        <Composer value=draft on_input on_send focused />
                        <AfterPaint>
                            <ComposerTools id=key.get_value() />
                            <super::attachments::AttachmentTools id=key.get_value() />
                        </AfterPaint>
                    </Show>
                    <AfterPaint>
                        <ConsultPanels id=key.get_value() />
                    </AfterPaint>
                </div>
                <Show when=move || !collapsed.get()>
                    <AfterPaint>
                        <SidePanel id=key.get_value() />
                    </AfterPaint>
                </Show>
            </div>
        </section>
    }
}

/// Runs `f` once the page has been painted: the animation frame comes before the paint, a task
/// queued from it runs after. Calls made in turn run in turn.
pub(super) fn after_paint(f: impl FnOnce() + 'static) {
    request_animation_frame(move || set_timeout(f, Duration::ZERO));
}

/// Builds its children once what surrounds it has been painted: a chat shows its transcript and
/// message box first, and its tool rows and panels a frame later, instead of all of it at once.
#[component]
fn AfterPaint(children: ChildrenFn) -> impl IntoView {
    let painted = RwSignal::new(false);
    after_paint(move || painted.set(true));
    move || painted.get().then(|| children())
}
