//! The transcript of one chat: messages colour-coded by party, system lines, times.
//! Contact text is only ever rendered as text.

use crate::state::Line;
use leptos::prelude::*;

/// Formats an event time in the browser's time zone, like "1:50:43 PM".
pub fn clock(at: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%-I:%M:%S %p")
                .to_string()
        })
        .unwrap_or_default()
}

/// The lines of a transcript, plus the agent's messages still on their way.
#[component]
pub fn Transcript(
    /// The lines to show, oldest first.
    #[prop(into)]
    lines: Signal<Vec<Line>>,
    /// Messages typed but not yet stored by the server.
    #[prop(into)]
    unsent: Signal<Vec<String>>,
) -> impl IntoView {
    let pending = move || unsent.get().into_iter().enumerate().collect::<Vec<_>>();
    view! {
        <ol class="pl-transcript" data-testid="transcript" aria-live="polite">
            <For each=move || lines.get() key=Line::seq let:line>
                {render(line)}
            </For>
            <For each=pending key=|(i, t)| (*i, t.clone()) let:item>
                <li class="pl-line pl-line--mine pl-line--unsent" data-testid="message-unsent">
                    <span class="pl-line__text">{item.1}</span>
                    <span class="pl-line__time">"sending…"</span>
                </li>
            </For>
        </ol>
    }
}

fn render(line: Line) -> impl IntoView {
    match line {
        Line::System { seq, at, text } => view! {
            <li class="pl-line pl-line--system" data-testid="system-message" data-id=seq>
                <span class="pl-line__text">{text}</span>
                <time class="pl-line__time">{clock(at)}</time>
            </li>
        }
        .into_any(),
        Line::Message {
            seq,
            at,
            from,
            text,
            mine,
            contact,
        } => {
            let class = if mine {
                "pl-line pl-line--mine"
            } else if contact {
                "pl-line pl-line--contact"
            } else {
                "pl-line pl-line--agent"
            };
            let sender = from.clone();
            view! {
                <li class=class data-testid="message" data-id=seq data-from=sender>
                    <span class="pl-line__from">{from}</span>
                    <span class="pl-line__text">{text}</span>
                    <time class="pl-line__time">{clock(at)}</time>
                </li>
            }
            .into_any()
        }
    }
}
