//! A list of earlier chats (My History, a contact's history).

use leptos::prelude::*;
use parley_protocol::HistoryEntry;

/// The entries once loaded ("Loading…" before), newest first.
pub fn history_list(
    entries: Option<Vec<HistoryEntry>>,
    empty: &'static str,
    entry_testid: &'static str,
    with_contact: bool,
) -> AnyView {
    match entries {
        None => view! { <p class="pl-muted">"Loading…"</p> }.into_any(),
        Some(entries) if entries.is_empty() => view! { <p class="pl-muted">{empty}</p> }.into_any(),
        Some(entries) => view! {
            <ul>
                {entries.into_iter().map(|e| view! {
                    <li data-testid=entry_testid data-id=e.id.to_string()>
                        <time>{super::transcript::day_and_time(e.started_at)}</time>
                        " " {with_contact.then(|| view! { <strong>{e.contact}</strong> " " })}
                        {e.subject.unwrap_or_else(|| "Chat".into())}
                        {(!e.closed).then_some(" (open)")}
                    </li>
                }).collect::<Vec<_>>()}
            </ul>
        }
        .into_any(),
    }
}
