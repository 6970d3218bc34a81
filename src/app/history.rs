//! A list of earlier chats (My History, a contact's history).

use leptos::prelude::*;
use parley_client::i18n::t;
use parley_protocol::HistoryEntry;

/// The entries once loaded (a loading line before), newest first.
pub fn history_list(
    entries: Option<Vec<HistoryEntry>>,
    empty: String,
    entry_testid: &'static str,
    with_contact: bool,
) -> AnyView {
    match entries {
        None => view! { <p class="pl-muted">{t("history.loading")}</p> }.into_any(),
        Some(entries) if entries.is_empty() => view! { <p class="pl-muted">{empty}</p> }.into_any(),
        Some(entries) => view! {
            <ul>
                {entries.into_iter().map(|e| view! {
                    <li data-testid=entry_testid data-id=e.id.to_string()>
                        <time>{super::transcript::day_and_time(e.started_at)}</time>
                        " " {with_contact.then(|| view! { <strong translate="no">{e.contact}</strong> " " })}
                        {match e.subject { Some(s) => view! { <span translate="no">{s}</span> }.into_any(), None => t("history.chat").into_any() }}
                        {(!e.closed).then(|| [" ", &t("history.open")].concat())}
                    </li>
                }).collect::<Vec<_>>()}
            </ul>
        }
        .into_any(),
    }
}
