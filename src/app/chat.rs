//! The interaction bar and the Chat Interaction window of the selected chat.

use super::transcript::Transcript;
use super::use_desk;
use crate::state::lines;
use leptos::prelude::*;
use parley_protocol::{ClientMsg, InteractionId};

/// One tab per open chat.
#[component]
pub fn InteractionBar() -> impl IntoView {
    let desk = use_desk();
    let state = desk.state;
    let tabs = move || {
        state.with(|s| {
            s.chats
                .iter()
                .map(|c| (c.summary.id.clone(), c.summary.contact.clone()))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <nav class="pl-interaction-bar" aria-label="Open chats">
            <For each=tabs key=|(id, _)| id.clone() let:tab>
                {
                    let (id, contact) = tab;
                    let selected = {
                        let id = id.clone();
                        move || state.with(|s| s.selected.as_ref() == Some(&id))
                    };
                    let pick = id.clone();
                    view! {
                        <button class="pl-interaction-tab" class:pl-interaction-tab--selected=selected
                            data-testid="interaction-tab" data-id=id.to_string()
                            on:click=move |_| state.update(|s| s.select(&pick))>
                            {contact}
                        </button>
                    }
                }
            </For>
        </nav>
    }
}

/// The selected chat, or a hint when there is none.
#[component]
pub fn ChatArea() -> impl IntoView {
    let state = use_desk().state;
    let selected = Memo::new(move |_| state.with(|s| s.selected.clone()));
    move || {
        match selected.get() {
        Some(id) => view! { <ChatWindow id /> }.into_any(),
        None => view! { <p class="pl-empty">"No open chats. Set your status to Ready to receive chats."</p> }.into_any(),
    }
    }
}

/// The Chat Interaction window: toolbar, transcript, composer.
#[component]
fn ChatWindow(
    /// The chat shown.
    id: InteractionId,
) -> impl IntoView {
    let desk = use_desk();
    let state = desk.state;
    let chat_id = StoredValue::new(id);
    let with_chat = move |f: &dyn Fn(&crate::state::Chat) -> bool| {
        state.with(|s| chat_id.with_value(|id| s.chat(id).is_some_and(f)))
    };
    let ended = move || with_chat(&|c| c.ended());
    let transcript_lines = Signal::derive(move || {
        state.with(|s| {
            chat_id.with_value(|id| {
                s.chat(id)
                    .map(|c| lines(c, s.me.as_ref().map(|m| &m.id)))
                    .unwrap_or_default()
            })
        })
    });
    let unsent = Signal::derive(move || {
        state.with(|s| {
            chat_id.with_value(|id| {
                s.unsent(id)
                    .into_iter()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
        })
    });
    let error =
        move || state.with(|s| chat_id.with_value(|id| s.chat(id).and_then(|c| c.error.clone())));
    let title = move || {
        state.with(|s| chat_id.with_value(|id| s.chat(id).map(|c| c.summary.contact.clone())))
    };
    let dispositions = move || state.with(|s| s.settings.dispositions.clone());
    let end = move |_| {
        desk.send(&ClientMsg::End {
            interaction: chat_id.get_value(),
        })
    };
    let done = move |_| desk.act(|s| s.done(&chat_id.get_value()));
    let pick = move |ev| {
        let code = event_target_value(&ev);
        state.update(|s| s.set_disposition(&chat_id.get_value(), &code));
    };
    view! {
        <section class="pl-chat" data-testid="chat" data-id=chat_id.get_value().to_string()>
            <header class="pl-chat__toolbar">
                <h2 class="pl-chat__title">{title}</h2>
                <Show when=move || !ended()>
                    <button class="pl-button" data-testid="chat-end" on:click=end>"End"</button>
                </Show>
                <Show when=ended>
                    <select data-testid="disposition-select" aria-label="Disposition" on:change=pick>
                        <option value="">"Disposition…"</option>
                        <For each=dispositions key=|d| d.clone() let:code>
                            <option value=code.clone()>{code.clone()}</option>
                        </For>
                    </select>
                    <button class="pl-button pl-button--primary" data-testid="chat-done" on:click=done>"Mark Done"</button>
                </Show>
            </header>
            <Show when=move || error().is_some()>
                <p class="pl-chat__error" role="alert" data-testid="chat-error">{error}</p>
            </Show>
            <Transcript lines=transcript_lines unsent />
            <Show when=move || !ended()>
                <Composer on_send=move |text: String| desk.act(|s| s.send(&chat_id.get_value(), &text)) />
            </Show>
        </section>
    }
}

/// A multi-line input: Enter sends, Shift+Enter starts a new line.
#[component]
pub fn Composer(
    /// Receives the text to send; the input is cleared.
    on_send: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let send = move || {
        let t = text.get_untracked();
        if !t.trim().is_empty() {
            on_send(t);
            text.set(String::new());
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    view! {
        <div class="pl-composer">
            <textarea class="pl-composer__input" data-testid="composer-input" spellcheck="true" rows="3"
                aria-label="Message" placeholder="Type your message…"
                prop:value=text on:input=move |ev| text.set(event_target_value(&ev)) on:keydown=on_key></textarea>
            <button class="pl-button pl-button--primary" data-testid="composer-send" on:click=move |_| send()>"Send"</button>
        </div>
    }
}
