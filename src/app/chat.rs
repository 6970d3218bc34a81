//! The Chat Interaction window of the selected chat: toolbar, transcript, typing notice,
//! message area and side panel.

use super::composer::{Composer, ComposerTools};
use super::interaction_bar::pending_name;
use super::parties::{ConsultPanels, PartyList};
use super::side_panel::{open_tab, SidePanel, Tab};
use super::transcript::Transcript;
use super::use_desk;
use crate::state::Chat;
use leptos::prelude::*;
use parley_client::flow::Show;
use parley_client::i18n::{t, tf};
use parley_protocol::act;
use parley_protocol::contact::Json;
use parley_protocol::{ClientMsg, InteractionId, RequestKind};
use std::time::Duration;

/// The widest window (CSS px) the desktop lays out for a narrow panel (`parley.css` agrees).
const NARROW_PX: f64 = 720.0;

/// The selected chat, or a hint when there is none.
#[component]
pub fn ChatArea() -> impl IntoView {
    let selected = use_desk().select(|s| s.selected.clone());
    move || match selected.get() {
        Some(id) => view! { <ChatWindow id /> }.into_any(),
        None => view! { <p class="pl-empty">{t("ix.none")}</p> }.into_any(),
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
    let dispositions = desk.select(|s| s.labelled(&s.settings.dispositions));
    // In a narrow window (a CRM's side panel) the side panel starts folded away, a drawer the
    // toolbar's last button opens under the chat; wide, it stands beside the transcript.
    let narrow = web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w <= NARROW_PX);
    let collapsed = RwSignal::new(narrow);
    let side_tab = RwSignal::new(Tab::CaseData);
    // The count of the contact's other chats beside the contact's status opens their list.
    desk.request(|s| s.contact_history(&id, false));
    let open_history = Callback::new(move |()| {
        collapsed.set(false);
        open_tab(side_tab, Tab::History, &key.get_value());
    });
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
    let spell_check = desk.with(|s| s.settings.spell_check);
    let spelling = desk.chat_part(key, |c| c.spelling.clone());
    let on_send = move |()| {
        if !spell_check {
            return desk.act(|s| s.send_draft(&key.get_value()));
        }
        let id = key.get_value();
        let (text, language) = desk.with(|s| {
            let text = s.chat(&id).map(|c| c.draft.clone()).unwrap_or_default();
            (text, s.chat_language(&id))
        });
        let body = serde_json::json!({ "text": text, "language": language });
        leptos::task::spawn_local(async move {
            // A check that fails (the server busy, the network gone) lets the message go:
            // nothing the agent wrote waits on it.
            let unknown = parley_client::http::post_parsed("/api/spelling", body.to_string())
                .await
                .ok()
                .and_then(|answer| answer.field("unknown").items())
                .map(|words| words.iter().filter_map(Json::string).collect())
                .unwrap_or_default();
            desk.act(|s| s.spelling_checked(&id, &text, unknown));
            super::keys::focus_soon("spelling-yes");
        });
    };
    let answer_spelling = move |send: bool| {
        desk.act(|s| s.spelling_answered(&key.get_value(), send));
        super::keys::focus_soon("composer-input");
    };
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
                    title=t("ix.pending")></span>
                <h2 class="pl-chat__title" translate="no">{move || contact.get()}</h2>
                <Show when=move || consultant()>
                    <span class="pl-chat__role" data-testid="chat-role">{t("ix.consultant")}</span>
                </Show>
                <Show when=move || !ended() && !consultant()>
                    <button class="pl-button" data-testid="chat-end" on:click=end>{t("ix.end")}</button>
                    <button class="pl-button" data-testid="chat-transfer" title=t("team.transfer") on:click=team(RequestKind::Transfer)>{t("ix.transfer")}</button>
                    <button class="pl-button" data-testid="chat-conference" title=t("team.conference") on:click=team(RequestKind::Conference)>{t("ix.conference")}</button>
                    <button class="pl-button" data-testid="chat-consult" title=t("team.consult") on:click=team(RequestKind::Consultation)>{t("ix.consult")}</button>
                </Show>
                <Show when=move || ended() && !consultant()>
                    <select data-testid="disposition-select" aria-label=t("ix.disposition") on:change=pick>
                        <option value="">{t("ix.choose_disposition")}</option>
                        {move || dispositions.get().into_iter().map(|code| view! {
                            <option value=code.0 translate="no">{code.1}</option>
                        }).collect_view()}
                    </select>
                    <button class="pl-button pl-button--primary" data-testid="chat-done" on:click=done>{t("ix.done")}</button>
                </Show>
                <button class="pl-icon-button" data-testid="chat-collapse" title=t("ix.collapse")
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
            <PartyList id=key.get_value() open_history />
            <div class="pl-chat__body">
                <div class="pl-chat__main">
                    <Transcript lines=transcript_lines unsent read_up_to zoom on_top=load_older has_older />
                    <Show when=move || typing.with(Option::is_some)>
                        <p class="pl-typing" data-testid="typing">
                            {move || tf("ix.typing", &[("name", &contact.get())])}
                            {move || typing.get().and_then(|t| t.preview).map(|p| view! {
                                <span class="pl-typing__preview" data-testid="typing-preview">{format!(": \u{201c}{p}\u{201d}")}</span>
                            })}
                        </p>
                    </Show>
                    <Show when=move || spelling.with(Option::is_some)>
                        <div class="pl-spelling" role="alertdialog" aria-labelledby="pl-spelling-ask"
                            aria-describedby="pl-spelling-words" data-testid="spelling-confirm"
                            on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { answer_spelling(false) }>
                            <p id="pl-spelling-ask">{t("ix.spelling")}</p>
                            <p id="pl-spelling-words" class="pl-spelling__words" data-testid="spelling-words" translate="no">
                                {move || spelling.get().unwrap_or_default().join(", ")}
                            </p>
                            <button class="pl-button pl-button--primary" data-testid="spelling-yes" on:click=move |_| answer_spelling(true)>{t("ix.spelling_yes")}</button>
                            <button class="pl-button" data-testid="spelling-no" on:click=move |_| answer_spelling(false)>{t("ix.spelling_no")}</button>
                        </div>
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
                        <SidePanel id=key.get_value() tab=side_tab />
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
