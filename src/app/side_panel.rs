//! The side panel of a chat: case data (editable keys editable), contact information, the
//! contact's history, and the note sent with Mark Done.

use super::use_desk;
use leptos::prelude::*;
use parley_client::flow::Show;
use parley_client::i18n::t;
use parley_protocol::InteractionId;

/// The side panel's tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    CaseData,
    Visit,
    Contact,
    History,
    Note,
}

/// The panel beside (or, in a narrow window, under) the transcript.
#[component]
pub fn SidePanel(
    /// The chat it describes.
    id: InteractionId,
    /// The tab shown; the chat window opens the history from the contact's party too.
    tab: RwSignal<Tab>,
) -> impl IntoView {
    let desk = use_desk();
    let key = StoredValue::new(id);
    let pick = move |t: Tab| move |_| open_tab(tab, t, &key.get_value());
    // `label`: the tab's catalogue key.
    let tab_button = move |this: Tab, label: &'static str, testid: &'static str| {
        view! { <button class="pl-side__tab" class:pl-side__tab--active=move || tab.get() == this data-testid=testid on:click=pick(this)>{t(label)}</button> }
    };
    let case_data = desk.chat_part(key, |c| crate::state::shown_case_data(&c.summary.case_data));
    let editable_keys = desk.select(|s| s.settings.editable_case_data.clone());
    let editable = move |k: &str| editable_keys.with(|keys| keys.iter().any(|e| e == k));
    let save = move |k: String, v: String| {
        if let Some(msg) = desk.with(|s| key.with_value(|id| s.edit_case_data(id, &k, &v))) {
            desk.send(&msg);
        }
    };
    let missing_keys = move || {
        case_data.with(|present| {
            editable_keys.with(|keys| {
                keys.iter()
                    .filter(|k| !present.iter().any(|(p, _)| p == *k))
                    .cloned()
                    .collect::<Vec<_>>()
            })
        })
    };
    // Read by the Visit panel when it changed, not on every update.
    let visit_data = desk.chat_part(key, |c| c.visit_data().map(str::to_owned));
    let history = desk.chat_part(key, |c| c.history.clone());
    let contact = desk.chat_part(key, |c| c.summary.contact.clone());
    let email = desk.chat_part(key, |c| {
        c.summary.email.clone().unwrap_or_else(|| "—".into())
    });
    // A typed address is not the contact's proof of who they are: it links no earlier chats.
    let unverified = desk.chat_part(key, |c| c.summary.email.is_some() && !c.summary.verified);
    let subject = desk.chat_part(key, |c| {
        c.summary.subject.clone().unwrap_or_else(|| "—".into())
    });
    let queue = desk.chat_part(key, |c| c.summary.queue.to_string());
    let note = desk.chat_part(key, |c| c.note.clone());
    // The contact's record in the CRM that frames the desktop, once its search found one.
    let record = desk.chat_part(key, |c| c.record.clone());

    view! {
        <aside class="pl-side">
            {move || record.get().map(|r| view! {
                <a class="pl-side__record" data-testid="contact-record" href=r.url.clone()
                    title=r.url target="_blank" rel="noopener noreferrer">{r.label}</a>
            })}
            <nav class="pl-side__tabs">
                {tab_button(Tab::CaseData, "panel.case_data", "tab-case-data")}
                {tab_button(Tab::Visit, "panel.visit", "tab-visit")}
                {tab_button(Tab::Contact, "panel.contact", "tab-contact")}
                {tab_button(Tab::History, "panel.history", "tab-history")}
                {tab_button(Tab::Note, "panel.note", "tab-note")}
            </nav>
            <Show when=move || tab.get() == Tab::CaseData>
                <dl class="pl-case-data" data-testid="case-data">
                    {parley_client::flow::keyed(move || case_data.get(), |(k, v)| (k.clone(), v.clone()), move |(k, v)| {
                        let field = k.clone();
                        view! {
                            <dt translate="no">{k.clone()}</dt>
                            <dd translate="no">{if editable(&k) {
                                view! { <input data-testid="case-data-input" data-key=k.clone() value=v
                                    on:change=move |ev| save(field.clone(), event_target_value(&ev)) /> }.into_any()
                            } else {
                                view! { <span>{v}</span> }.into_any()
                            }}</dd>
                        }
                    })}
                    {parley_client::flow::keyed(missing_keys, |k| k.clone(), move |k| {
                        let field = k.clone();
                        view! {
                            <dt translate="no">{k.clone()}</dt>
                            <dd><input data-testid="case-data-input" data-key=k.clone() placeholder="—"
                                on:change=move |ev| save(field.clone(), event_target_value(&ev)) /></dd>
                        }
                    })}
                </dl>
            </Show>
            <Show when=move || tab.get() == Tab::Visit>
                <div class="pl-visit" data-testid="visit-panel">
                    {move || {
                        let pages = visit_data.with(|v| crate::state::journey(v.as_deref()));
                        if pages.is_empty() {
                            return view! { <p class="pl-muted">{t("panel.no_visit")}</p> }.into_any();
                        }
                        view! {
                            <ol class="pl-visit__pages">
                                {pages.into_iter().map(|v| view! {
                                    <li data-testid="visit-page">
                                        <span class="pl-visit__title" translate="no">{if v.title.is_empty() { v.url.clone() } else { v.title.clone() }}</span>
                                        <a href=v.url.clone() title=v.url.clone() translate="no" target="_blank" rel="noopener noreferrer">{v.url.clone()}</a>
                                        <time>{super::transcript::day_and_time(v.at)}</time>
                                    </li>
                                }).collect::<Vec<_>>()}
                            </ol>
                        }.into_any()
                    }}
                </div>
            </Show>
            <Show when=move || tab.get() == Tab::Contact>
                <dl class="pl-contact" data-testid="contact-info">
                    <dt>{t("panel.name")}</dt><dd translate="no">{move || contact.get()}</dd>
                    <dt>{t("preview.email")}</dt><dd><span translate="no">{move || email.get()}</span>{unverified_mark(unverified)}</dd>
                    <dt>{t("preview.subject")}</dt><dd translate="no">{move || subject.get()}</dd>
                    <dt>{t("preview.queue")}</dt><dd translate="no">{move || queue.get()}</dd>
                </dl>
            </Show>
            <Show when=move || tab.get() == Tab::History>
                <div class="pl-history" data-testid="contact-history">
                    {move || super::history::history_list(history.get(), t("panel.no_history"), "contact-history-entry", false)}
                </div>
            </Show>
            <Show when=move || tab.get() == Tab::Note>
                <textarea class="pl-note" data-testid="note-input" rows="6" placeholder=t("panel.note_placeholder") aria-label=t("panel.note")
                    prop:value=move || note.get()
                    on:input=move |ev| { let v = event_target_value(&ev); desk.update(|s| key.with_value(|id| s.set_note(id, &v))) }></textarea>
            </Show>
        </aside>
    }
}

/// Shows the tab `t`; the contact's history is asked for again each time it opens.
pub fn open_tab(tab: RwSignal<Tab>, t: Tab, id: &InteractionId) {
    tab.set(t);
    if t == Tab::History {
        use_desk().request(|s| s.contact_history(id, true));
    }
}

/// "(unverified)" after an e-mail address the contact typed, while it is one.
fn unverified_mark(unverified: super::desk::Part<bool>) -> impl IntoView {
    move || {
        unverified.get().then(|| {
            view! {
                <span class="pl-unverified" data-testid="contact-unverified"
                    title=t("panel.unverified_title")>" "{t("preview.unverified")}</span>
            }
        })
    }
}
