//! The message area: a multi-line input (Enter sends, Shift+Enter starts a new line, the
//! browser's spell check on) and its tools: emoji, the standard responses library and Push URL.

use super::use_desk;
use crate::state::{find_responses, url_suggestions};
use leptos::prelude::*;
use parley_client::flow::Show;
use parley_client::i18n::t;
use parley_protocol::InteractionId;

/// The input. It shows `value`, reports typing through `on_input` and asks to send with Enter
/// or the Send button, never for blank text.
#[component]
pub fn Composer(
    /// The text in the input (the chat's draft).
    #[prop(into)]
    value: Signal<String>,
    /// The agent changed the text.
    #[prop(into)]
    on_input: Callback<String>,
    /// Send what is in the input.
    #[prop(into)]
    on_send: Callback<()>,
    /// `data-testid` of the input and of the Send button.
    #[prop(default = ("composer-input", "composer-send"))]
    test_ids: (&'static str, &'static str),
    /// The catalogue key of what the empty input says.
    #[prop(default = "composer.placeholder")]
    placeholder: &'static str,
    /// The input takes the focus once mounted (the chat this desktop just accepted).
    #[prop(optional)]
    focused: bool,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Textarea>::new();
    if focused {
        // Mounted by the next frame: the element is there to take the focus.
        request_animation_frame(move || {
            if let Some(el) = input.try_get_untracked().flatten() {
                let _ = el.focus();
            }
        });
    }
    let send = move || {
        if !value.get_untracked().trim().is_empty() {
            on_send.run(());
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
            <textarea node_ref=input class="pl-composer__input" data-testid=test_ids.0 spellcheck="true" rows="3"
                aria-label=t("composer.message") placeholder=t(placeholder)
                prop:value=value on:input=move |ev| on_input.run(event_target_value(&ev)) on:keydown=on_key></textarea>
            <button class="pl-button pl-button--primary" data-testid=test_ids.1 on:click=move |_| send()>{t("composer.send")}</button>
        </div>
    }
}

const EMOJI: &[&str] = &[
    "🙂", "😀", "😉", "😊", "🙁", "😢", "😮", "👍", "👎", "👋", "🙏", "🎉", "❤️", "✅", "❌", "⏳",
    "📎", "💳", "📦", "🚚",
];

/// Which tool panel is open under the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tool {
    Emoji,
    Responses,
    PushUrl,
}

/// The buttons and panels beside the input for one chat.
#[component]
pub fn ComposerTools(
    /// The chat they act on.
    id: InteractionId,
) -> impl IntoView {
    let desk = use_desk();
    let key = StoredValue::new(id);
    let open = RwSignal::new(None::<Tool>);
    let attachments = desk.attachments;
    let toggle = move |t: Tool| open.update(|o| *o = if *o == Some(t) { None } else { Some(t) });
    let insert = move |text: String| desk.update(|s| key.with_value(|id| s.insert(id, &text)));

    let query = RwSignal::new(String::new());
    let responses = desk.select(|s| s.settings.responses.clone());
    let found = move || {
        responses.with(|r| {
            find_responses(r, &query.get())
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        })
    };

    let url = RwSignal::new(String::new());
    let url_error = RwSignal::new(None::<String>);
    let pushed = desk.select(|s| s.pushed_urls.clone());
    let suggestions = move || {
        pushed.with(|p| {
            url_suggestions(p, &url.get())
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
    };
    let push = move || {
        let mut result = Err(String::new());
        desk.update(|s| result = key.with_value(|id| s.push_url(id, &url.get_untracked())));
        match result {
            Ok(msg) => {
                desk.send(&msg);
                url.set(String::new());
                url_error.set(None);
            }
            Err(e) => url_error.set(Some(e)),
        }
    };
    let check = move |_| {
        let address = url.get_untracked();
        if parley_client::links::is_web_address(&address) {
            if let Some(w) = web_sys::window() {
                let _ = w.open_with_url_and_target_and_features(
                    address.trim(),
                    "_blank",
                    "noopener,noreferrer",
                );
            }
        } else {
            url_error.set(Some(t("composer.bad_url")));
        }
    };

    view! {
        <div class="pl-tools">
            <div class="pl-tools__buttons">
                <button class="pl-icon-button" data-testid="emoji-button" title=t("composer.emoji") on:click=move |_| toggle(Tool::Emoji)>{super::icon("emoji")}</button>
                <button class="pl-icon-button" data-testid="responses-button" title=t("composer.responses") on:click=move |_| toggle(Tool::Responses)>{super::icon("responses")}</button>
                <button class="pl-icon-button" data-testid="push-url-button" title=t("composer.push_url") on:click=move |_| toggle(Tool::PushUrl)>{super::icon("link")}</button>
                <label class="pl-icon-button pl-attach" title=t("composer.attach_title")>
                    {super::icon("attach")}
                    <input type="file" multiple data-testid="attach-button" aria-label=t("composer.attach")
                        on:change=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            if let Some(files) = input.files() {
                                attachments.add(&key.get_value(), files);
                            }
                            input.set_value("");
                        } />
                </label>
            </div>
            <Show when=move || open.get() == Some(Tool::Emoji)>
                <div class="pl-emoji" role="listbox" aria-label=t("composer.emoji_list")>
                    {EMOJI.iter().map(|e| view! {
                        <button class="pl-emoji__item" data-testid="emoji" on:click=move |_| insert((*e).to_owned())>{*e}</button>
                    }).collect::<Vec<_>>()}
                </div>
            </Show>
            <Show when=move || open.get() == Some(Tool::Responses)>
                <div class="pl-responses">
                    <input data-testid="responses-search" placeholder=t("composer.search_responses") aria-label=t("composer.search_responses") prop:value=query
                        on:input=move |ev| query.set(event_target_value(&ev)) />
                    <ul class="pl-responses__list">
                        {parley_client::flow::keyed(found, |r| r.name.clone(), move |response| {
                                let chosen = response.name.clone();
                                let attach = response.attachment.clone().map(|file| {
                                    let name = response.name.clone();
                                    view! {
                                        <button class="pl-icon-button" data-testid="response-attach" translate="no" title=parley_client::i18n::tf("composer.attach_file", &[("file", &file)])
                                            on:click=move |_| {
                                                let (ix, name) = (key.get_value(), name.clone());
                                                leptos::task::spawn_local(async move {
                                                    if let Err(e) = parley_client::http::attach_response(&ix, &name).await {
                                                        desk.update(|s| s.refused(&ix, e));
                                                    }
                                                });
                                            }>{super::icon("attach")}" "{file.clone()}</button>
                                    }
                                });
                                view! {
                                    <li>
                                        <button class="pl-responses__item" data-testid="response-item" translate="no" title=response.text.clone()
                                            on:click=move |_| desk.update(|s| key.with_value(|id| s.insert_response(id, &chosen)))>
                                            <span class="pl-responses__category">{response.category.clone()}</span>
                                            " " {response.name.clone()}
                                            {response.keyword.clone().map(|k| view! { <span class="pl-responses__keyword">{format!(" #{k}")}</span> })}
                                        </button>
                                        {attach}
                                    </li>
                                }
                        })}
                    </ul>
                </div>
            </Show>
            <Show when=move || open.get() == Some(Tool::PushUrl)>
                <div class="pl-push-url">
                    <input data-testid="push-url-input" type="url" list="pl-push-url-history" placeholder=t("composer.url") aria-label=t("composer.url")
                        prop:value=url on:input=move |ev| url.set(event_target_value(&ev))
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Enter" { ev.prevent_default(); push() } />
                    <datalist id="pl-push-url-history">
                        {move || suggestions().into_iter().map(|u| view! { <option value=u></option> }).collect_view()}
                    </datalist>
                    <button class="pl-button" data-testid="push-url-check" on:click=check>{t("composer.check_url")}</button>
                    <button class="pl-button pl-button--primary" data-testid="push-url-send" on:click=move |_| push()>{t("composer.send")}</button>
                    <Show when=move || url_error.get().is_some()>
                        <p class="pl-push-url__error" role="alert">{move || url_error.get()}</p>
                    </Show>
                </div>
            </Show>
        </div>
    }
}
