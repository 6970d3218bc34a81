//! A bot's rich message as both apps show it: quick replies, lists, selection lists, a carousel
//! paged one card at a time, and markdown (as DOM nodes, never HTML). On the agent's desktop it is
//! view only; in the contact's widget, replies and selectable items are buttons that answer.

use crate::links::{segments, Segment};
use crate::markdown::{parse, Block, Inline};
use leptos::prelude::*;
use parley_protocol::Rich;

/// Message text: plain runs as text; http(s) addresses, e-mail addresses and phone numbers as
/// links that show what was written. Nothing a party sends is ever rendered as HTML.
pub fn linked_text(text: String) -> AnyView {
    let parts = segments(&text);
    if let [Segment::Text(_)] | [] = parts.as_slice() {
        // Most messages hold no address: one text node, nothing else to build.
        return text.into_any();
    }
    parts
        .into_iter()
        .map(|s| match (s.href(), s) {
            (Some(href), Segment::Link(shown) | Segment::Email(shown) | Segment::Phone(shown)) => {
                let web = href.starts_with("http");
                let title = shown.clone();
                view! {
                    <a href=href title=title target=web.then_some("_blank") rel="noopener noreferrer">{shown}</a>
                }
                .into_any()
            }
            (_, Segment::Text(t) | Segment::Link(t) | Segment::Email(t) | Segment::Phone(t)) => {
                t.into_any()
            }
        })
        .collect::<Vec<_>>()
        .into_any()
}

/// The view of a rich message; `on_pick` (the widget) makes replies and selectable items
/// buttons that send their text.
pub fn rich_view(content: Rich, on_pick: Option<Callback<String>>) -> AnyView {
    let choice = move |text: String, testid: &'static str| match on_pick {
        Some(cb) => {
            let label = text.clone();
            view! { <button class="pl-rich__choice" data-testid=testid on:click=move |_| cb.run(text.clone())>{label}</button> }
                .into_any()
        }
        None => view! { <span class="pl-rich__choice" data-testid=testid>{text}</span> }.into_any(),
    };
    match content {
        Rich::QuickReplies { text, replies } => view! {
            <div class="pl-rich" data-testid="rich" data-template="quick_replies">
                <p class="pl-rich__text">{text}</p>
                <div class="pl-rich__choices">
                    {replies.into_iter().map(|r| choice(r, "rich-reply")).collect::<Vec<_>>()}
                </div>
            </div>
        }
        .into_any(),
        Rich::List {
            title,
            items,
            selectable,
        } => view! {
            <div class="pl-rich" data-testid="rich" data-template=if selectable { "selection_list" } else { "list" }>
                <p class="pl-rich__title">{title}</p>
                <ul class="pl-rich__list">
                    {items.into_iter().map(|i| view! {
                        <li>
                            {if selectable { choice(i.title.clone(), "rich-item") } else { view! { <span data-testid="rich-item">{i.title.clone()}</span> }.into_any() }}
                            {i.subtitle.map(|s| view! { <small class="pl-rich__subtitle">{s}</small> })}
                        </li>
                    }).collect::<Vec<_>>()}
                </ul>
            </div>
        }
        .into_any(),
        Rich::Carousel { cards } => {
            let count = cards.len();
            let page = RwSignal::new(0usize);
            let cards = StoredValue::new(cards);
            let card = move || {
                cards.with_value(|c| c.get(page.get()).cloned()).map(|c| {
                    let image = c.image.filter(|u| crate::links::is_web_address(u));
                    view! {
                        <div class="pl-rich__card" data-testid="rich-card">
                            {image.map(|u| view! { <img class="pl-rich__image" src=u alt="" loading="lazy" /> })}
                            <strong>{c.title}</strong>
                            {c.text.map(|t| view! { <p>{t}</p> })}
                        </div>
                    }
                })
            };
            let at_start = move || page.get() == 0;
            let at_end = move || page.get() + 1 >= count;
            view! {
                <div class="pl-rich" data-testid="rich" data-template="carousel">
                    {card}
                    <div class="pl-rich__pager">
                        <button data-testid="rich-previous" aria-label=crate::i18n::t("card.previous") prop:disabled=at_start
                            on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>"‹"</button>
                        <span data-testid="rich-page">{move || format!("{} / {count}", page.get() + 1)}</span>
                        <button data-testid="rich-next" aria-label=crate::i18n::t("card.next") prop:disabled=at_end
                            on:click=move |_| page.update(|p| *p = (*p + 1).min(count.saturating_sub(1)))>"›"</button>
                    </div>
                </div>
            }
            .into_any()
        }
        Rich::Markdown { text } => view! {
            <div class="pl-rich pl-markdown" data-testid="rich" data-template="markdown">
                {parse(&text).into_iter().map(block).collect::<Vec<_>>()}
            </div>
        }
        .into_any(),
    }
}

fn block(b: Block) -> AnyView {
    let runs = |runs: Vec<Inline>| runs.into_iter().map(inline).collect::<Vec<_>>();
    match b {
        Block::Heading(1, r) => view! { <h3>{runs(r)}</h3> }.into_any(),
        Block::Heading(2, r) => view! { <h4>{runs(r)}</h4> }.into_any(),
        Block::Heading(_, r) => view! { <h5>{runs(r)}</h5> }.into_any(),
        Block::Paragraph(r) => view! { <p>{runs(r)}</p> }.into_any(),
        Block::Bullets(items) => view! { <ul>{items.into_iter().map(|i| view! { <li>{runs(i)}</li> }).collect::<Vec<_>>()}</ul> }.into_any(),
        Block::Numbered(items) => view! { <ol>{items.into_iter().map(|i| view! { <li>{runs(i)}</li> }).collect::<Vec<_>>()}</ol> }.into_any(),
    }
}

fn inline(i: Inline) -> AnyView {
    match i {
        Inline::Text(t) => t.into_any(),
        Inline::Bold(t) => view! { <strong>{t}</strong> }.into_any(),
        Inline::Link { text, url } => {
            view! { <a href=url target="_blank" rel="noopener noreferrer">{text}</a> }.into_any()
        }
        Inline::Image { alt, url } => {
            view! { <img class="pl-rich__image" src=url alt=alt loading="lazy" /> }.into_any()
        }
    }
}
