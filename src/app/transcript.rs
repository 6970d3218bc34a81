//! The transcript of one chat: messages colour-coded by party, system lines, times, the
//! "not read yet" mark on the agent's messages, and http(s) addresses as real links. Contact
//! text is only ever rendered as text.
//!
//! Long transcripts are windowed: only the lines near the viewport are in the DOM, between two
//! spacers whose heights come from the measured average line height. While the agent is at the
//! bottom, new lines keep it there. For printing, every loaded line is put in.

use crate::state::Line;
use leptos::html;
use leptos::prelude::*;
use parley_client::flow::Show;
use parley_client::i18n::{plural, t, tf};
use parley_client::lines::Mark;
use std::sync::Arc;
use wasm_bindgen::{closure::Closure, JsCast};

pub use parley_client::time::{clock, day_and_time, day_label};

/// Lines rendered beyond the viewport on each side.
const OVERSCAN: usize = 30;
/// Lines rendered above the viewport while following the newest lines: there is nothing below
/// to scroll to, and opening a long chat should build little more than one screenful.
const OVERSCAN_AT_BOTTOM: usize = 5;
/// Closer than this to the top, older lines are asked for.
const TOP_PX: f64 = 200.0;
/// The first guess of a line's height, before any is measured.
const GUESS_PX: f64 = 24.0;

thread_local! {
    /// The last measured viewport and line height (px): the next transcript opened starts from
    /// them instead of a guess, and builds the lines that fit at once.
    static LAST_MEASURED: std::cell::Cell<(f64, f64)> = const { std::cell::Cell::new((600.0, GUESS_PX)) };
}

/// Which lines to render for a scroll position: `[start, end)`.
pub fn window(
    len: usize,
    scroll_top: f64,
    viewport: f64,
    line_px: f64,
    at_bottom: bool,
) -> (usize, usize) {
    let line_px = line_px.max(1.0);
    let visible = (viewport / line_px).ceil() as usize + 1;
    if at_bottom {
        return (len.saturating_sub(visible + OVERSCAN_AT_BOTTOM), len);
    }
    let span = visible + 2 * OVERSCAN;
    if len <= span {
        return (0, len);
    }
    let first = (scroll_top / line_px) as usize;
    let start = first.saturating_sub(OVERSCAN).min(len.saturating_sub(span));
    (start, (start + span).min(len))
}

/// The lines of a transcript, plus the agent's messages still on their way.
#[component]
pub fn Transcript(
    /// The lines to show, oldest first (shared, not copied, on every update).
    #[prop(into)]
    lines: Signal<Arc<Vec<Line>>>,
    /// Messages typed but not yet stored by the server.
    #[prop(into)]
    unsent: Signal<Vec<String>>,
    /// The contact has read everything up to this sequence number.
    #[prop(into, optional)]
    read_up_to: MaybeProp<u64>,
    /// Text size in percent.
    #[prop(into, optional)]
    zoom: MaybeProp<u16>,
    /// Called when the agent scrolls up near the top (or asks), to load older lines.
    #[prop(optional, into)]
    on_top: Option<Callback<()>>,
    /// Whether older lines exist that are not loaded yet.
    #[prop(into, optional)]
    has_older: MaybeProp<bool>,
) -> impl IntoView {
    let list = NodeRef::<html::Div>::new();
    let scroll_top = RwSignal::new(0.0_f64);
    let (last_viewport, last_line_px) = LAST_MEASURED.with(std::cell::Cell::get);
    let viewport = RwSignal::new(last_viewport);
    let line_px = RwSignal::new(last_line_px);
    let at_bottom = RwSignal::new(true);
    // Printing (the Print button or the browser's own) prints every loaded line, not the window.
    let printing = RwSignal::new(false);
    let before_print = window_event_listener(leptos::ev::beforeprint, move |_| printing.set(true));
    let after_print = window_event_listener(leptos::ev::afterprint, move |_| printing.set(false));
    on_cleanup(move || {
        before_print.remove();
        after_print.remove();
    });
    let range = Memo::new(move |_| {
        if printing.get() {
            return (0, lines.with(|l| l.len()));
        }
        lines.with(|l| {
            window(
                l.len(),
                scroll_top.get(),
                viewport.get(),
                line_px.get(),
                at_bottom.get(),
            )
        })
    });
    let shown = move || {
        let (start, end) = range.get();
        lines.with(|l| l[start.min(l.len())..end.min(l.len())].to_vec())
    };
    // Whole pixels: formatting floats would add kilobytes to the download for nothing visible.
    let top_px = move || {
        format!(
            "{}px",
            (range.get().0 as f64 * line_px.get()).round() as i64
        )
    };
    let bottom_px = move || {
        let below = lines.with(|l| l.len()).saturating_sub(range.get().1);
        format!("{}px", (below as f64 * line_px.get()).round() as i64)
    };

    // Measure after each render: the average height of the lines in the DOM drives the spacers.
    let measure = move || {
        let Some(el) = list.get_untracked() else {
            return;
        };
        let (start, end) = range.get_untracked();
        let rendered = (end - start + unsent.with_untracked(Vec::len)) as f64;
        if let Some(inner) = el.query_selector(".pl-transcript__lines").ok().flatten() {
            let h = f64::from(inner.client_height());
            // Only a real change moves the spacers: re-measuring the same height costs nothing.
            if rendered > 0.0 && h > 0.0 && ((h / rendered) - line_px.get_untracked()).abs() > 0.5 {
                line_px.set(h / rendered);
            }
        }
        let height = f64::from(el.client_height().max(1));
        if height != viewport.get_untracked() {
            viewport.set(height);
        }
        // A hidden transcript measures nothing worth keeping, and none is taller than the window.
        if height > 1.0 {
            let window_px = web_sys::window()
                .and_then(|w| w.inner_height().ok())
                .and_then(|h| h.as_f64())
                .unwrap_or(height);
            LAST_MEASURED.with(|m| m.set((height.min(window_px), line_px.get_untracked())));
        }
    };
    // While following the newest lines, the view is kept at the bottom; tells whether it was.
    let stick_to_bottom = move || {
        let following = list.get_untracked().filter(|_| at_bottom.get_untracked());
        if let Some(el) = &following {
            el.set_scroll_top(el.scroll_height());
        }
        following.is_some()
    };
    // A transcript whose size changes (the window, the zoom, panels built around it after it)
    // keeps following the newest lines, and measures its viewport again.
    let resizes = StoredValue::new_local(None::<(web_sys::ResizeObserver, Closure<dyn FnMut()>)>);
    Effect::new(move |_| {
        let Some(el) = list.get() else {
            return;
        };
        if resizes.with_value(Option::is_some) {
            return;
        }
        let follow = Closure::<dyn FnMut()>::new(move || {
            stick_to_bottom();
            measure();
        });
        if let Ok(observer) = web_sys::ResizeObserver::new(follow.as_ref().unchecked_ref()) {
            observer.observe(&el);
            resizes.set_value(Some((observer, follow)));
        }
    });
    on_cleanup(move || {
        resizes.with_value(|r| {
            if let Some((observer, _)) = r {
                observer.disconnect();
            }
        })
    });
    let on_scroll = move |_| {
        let Some(el) = list.get_untracked() else {
            return;
        };
        let top = f64::from(el.scroll_top());
        let at_end = top + f64::from(el.client_height()) >= f64::from(el.scroll_height()) - 4.0;
        // Following the newest lines stops only when the view moved up: content growing under
        // a view that has not caught up yet must not stop it.
        if at_end {
            at_bottom.set(true);
        } else if top < scroll_top.get_untracked() {
            at_bottom.set(false);
        }
        scroll_top.set(top);
    };
    // Only the agent's own scrolling up near the top asks for older lines: layout changes move
    // the view too, and must not load anything.
    let on_wheel = move |ev: leptos::ev::WheelEvent| {
        if ev.delta_y() < 0.0 && scroll_top.get_untracked() < TOP_PX {
            if let Some(cb) = on_top {
                cb.run(());
            }
        }
    };
    // New lines while at the bottom: stay at the bottom. Older lines put in front: keep the
    // lines in view where they are.
    Effect::new(move |previous: Option<(usize, u64)>| {
        let (len, first) = lines.with(|l| (l.len(), l.first().map_or(0, Line::key)));
        let _ = unsent.with(|u| u.len());
        let prepended = previous
            .filter(|(_, f)| first < *f)
            .map(|(before, _)| len.saturating_sub(before));
        // After the new lines are laid out, not before: scrolling earlier would land short.
        request_animation_frame(move || {
            // The chat may have been closed before this frame.
            if at_bottom.is_disposed() {
                return;
            }
            if !stick_to_bottom() {
                if let (Some(el), Some(added)) = (list.get_untracked(), prepended) {
                    let top = f64::from(el.scroll_top()) + added as f64 * line_px.get_untracked();
                    el.set_scroll_top(top as i32);
                    scroll_top.set(top);
                }
            }
            measure();
        });
        (len, first)
    });

    let read = Some(Callback::new(move |seq: u64| {
        read_up_to.get().is_some_and(|r| seq <= r)
    }));
    view! {
        <div class="pl-transcript" data-testid="transcript" node_ref=list on:scroll=on_scroll on:wheel=on_wheel aria-live="polite"
            style=("--pl-zoom", move || { let z = zoom.get().unwrap_or(100); format!("{}.{:02}", z / 100, z % 100) })>
            <Show when=move || on_top.is_some() && has_older.get().unwrap_or(false)>
                <button class="pl-transcript__older" data-testid="load-older"
                    on:click=move |_| if let Some(cb) = on_top { cb.run(()) }>{t("transcript.earlier")}</button>
            </Show>
            <div class="pl-transcript__spacer" style:height=top_px></div>
            <ol class="pl-transcript__lines">
                {parley_client::flow::keyed(shown, Line::key, move |line| render(line, read))}
                <UnsentLines texts=unsent />
            </ol>
            <div class="pl-transcript__spacer" style:height=bottom_px></div>
        </div>
    }
}

/// The agent's messages the server has not stored yet, greyed, in the order typed. Numbered:
/// the same text sent twice is two lines.
#[component]
pub fn UnsentLines(
    /// Their texts.
    #[prop(into)]
    texts: Signal<Vec<String>>,
) -> impl IntoView {
    let numbered = move || texts.get().into_iter().enumerate().collect::<Vec<_>>();
    view! {
        {parley_client::flow::keyed(numbered, |(i, t)| (*i, t.clone()), |item| view! {
            <li class="pl-line pl-line--mine pl-line--unsent" data-testid="message-unsent">
                <span class="pl-line__text" translate="no">{item.1}</span>
                <span class="pl-line__time">{t("transcript.sending")}</span>
            </li>
        })}
    }
}

/// Whether the contact has read the message with this seq; `None`: every line counts as read
/// (earlier chats, consultations). One type for every caller, so the line views are built by
/// one copy of their code (a closure type per caller made a copy each).
pub type ReadMarks = Option<Callback<u64, bool>>;

/// One line: a system line, a message with its sender, time and read mark, a line of an earlier
/// chat, or a mark (day, current chat, history limit).
pub fn render(line: Line, read: ReadMarks) -> impl IntoView {
    render_line(line, read, false)
}

fn render_line(line: Line, read: ReadMarks, past: bool) -> AnyView {
    match line {
        Line::Divider { mark, .. } => {
            let (testid, text) = match mark {
                // A day is a date, as the browser's locale writes it.
                Mark::Day { at } => {
                    let day = day_label(at, parley_client::time::now_ms());
                    return view! { <li class="pl-divider" data-testid="day-separator"><time>{day}</time></li> }
                        .into_any();
                }
                Mark::CurrentChat => ("current-chat-marker", t("transcript.current_chat")),
                Mark::HistoryLimit { days } => (
                    "history-limit-notice",
                    plural("transcript.history_limit", i64::from(days)),
                ),
            };
            view! { <li class="pl-divider" data-testid=testid><span>{text}</span></li> }.into_any()
        }
        // Earlier chats show no "not read yet" marks.
        Line::Past { line, .. } => render_line(*line, None, true),
        Line::System { seq, at, text } => view! {
            <li class="pl-line pl-line--system" class:pl-line--past=past data-testid="system-message" data-id=seq>
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
        } => party_line(seq, at, from, mine, contact, past, parley_client::rich::linked_text(text), read),
        Line::File {
            seq,
            at,
            from,
            file,
            mine,
            contact,
        } => party_line(seq, at, from, mine, contact, past, file_view(file).into_any(), read),
        // A bot's message: view only on the desktop.
        Line::Rich {
            seq,
            at,
            from,
            content,
        } => party_line(seq, at, from, false, false, past, parley_client::rich::rich_view(content, None), read),
    }
}

/// A line sent by a party: sender, what was sent, time and (for the agent's own) the read mark.
#[allow(clippy::too_many_arguments)]
fn party_line(
    seq: u64,
    at: i64,
    from: String,
    mine: bool,
    contact: bool,
    past: bool,
    body: AnyView,
    read: ReadMarks,
) -> AnyView {
    let read = move |seq: u64| read.is_none_or(|marks| marks.run(seq));
    let class = if mine {
        "pl-line pl-line--mine"
    } else if contact {
        "pl-line pl-line--contact"
    } else {
        "pl-line pl-line--agent"
    };
    let class = if past {
        format!("{class} pl-line--past")
    } else {
        class.to_owned()
    };
    let sender = from.clone();
    // Only the agent's own lines follow the read receipts: the others are built without any
    // reactive part, which is most of what opening a long chat costs.
    let read_mark = mine.then_some(move || read(seq).to_string());
    let unread_mark = mine.then(|| {
        view! {
            <Show when=move || !read(seq)>
                <span class="pl-line__unread" title=t("transcript.unread_title") aria-label=t("transcript.unread")>" ◌"</span>
            </Show>
        }
    });
    view! {
        <li class=class data-testid="message" data-id=seq data-from=sender data-read=read_mark>
            <span class="pl-line__from" dir="auto" translate="no">{from}</span>
            <span class="pl-line__text" dir="auto" translate="no">{body}</span>
            <time class="pl-line__time">{clock(at)}{unread_mark}</time>
        </li>
    }
    .into_any()
}

/// A file in the transcript: a thumbnail for an image (a "broken file" mark when it cannot be
/// decoded), a type icon otherwise; either opens or saves the file.
pub fn file_view(file: parley_protocol::FileRef) -> impl IntoView {
    let url = file.url();
    let size = human_size(file.size);
    if file.is_image() {
        let broken = RwSignal::new(false);
        let name = file.name.clone();
        view! {
            <span class="pl-file" data-testid="file" data-kind="image">
                <Show when=move || broken.get()
                    fallback={
                        let (url, name) = (url.clone(), name.clone());
                        move || view! {
                            <a href=url.clone() target="_blank" rel="noopener noreferrer" title=name.clone()>
                                <img class="pl-file__thumb" src=url.clone() alt=name.clone() loading="lazy"
                                    on:error=move |_| broken.set(true) />
                            </a>
                        }
                    }>
                    <span class="pl-file__broken" data-testid="file-broken" title=t("transcript.broken_image")>"▨"</span>
                </Show>
                <a class="pl-file__save" href=file.url() download=file.name.clone() data-testid="file-save"
                    title=t("transcript.save")>{file.name.clone()}</a>
                <span class="pl-file__size">{size}</span>
            </span>
        }
        .into_any()
    } else {
        view! {
            <span class="pl-file" data-testid="file" data-kind="document">
                <span class="pl-file__icon">{super::icon("document")}</span>
                <a class="pl-file__save" href=url download=file.name.clone() data-testid="file-save" title=t("transcript.save")>{file.name.clone()}</a>
                <span class="pl-file__size">{size}</span>
            </span>
        }
        .into_any()
    }
}

/// "12 KB", "3.4 MB".
pub fn human_size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => tf("files.bytes", &[("n", &b.to_string())]),
        b if b < 1024 * 1024 => tf("files.kb", &[("n", &b.div_ceil(1024).to_string())]),
        b => {
            let tenths = b * 10 / (1024 * 1024);
            tf(
                "files.mb",
                &[("n", &format!("{}.{}", tenths / 10, tenths % 10))],
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{human_size, window};

    #[test]
    fn sizes_read_as_people_write_them() {
        crate::english();
        assert_eq!(human_size(80), "80 B");
        assert_eq!(human_size(1536), "2 KB");
        assert_eq!(human_size(3 * 1_048_576 + 400_000), "3.3 MB");
    }

    #[test]
    fn the_window_follows_the_scroll_position_and_sticks_to_the_bottom() {
        // Short transcripts render whole.
        assert_eq!(window(30, 0.0, 600.0, 24.0, true), (0, 30));
        assert_eq!(window(50, 0.0, 600.0, 24.0, false), (0, 50));
        // At the bottom of 5,000 lines: the last viewport plus a little above it.
        let (start, end) = window(5000, 0.0, 600.0, 24.0, true);
        assert_eq!(end, 5000);
        assert!((26..=40).contains(&(end - start)), "{start}..{end}");
        // Scrolled to line 1,000.
        let (start, end) = window(5000, 24_000.0, 600.0, 24.0, false);
        assert!(start <= 1000 && end >= 1026, "{start}..{end}");
        assert!(end - start < 120);
        // Scrolled past the end (stale position): clamped.
        let (start, end) = window(100, 1e9, 600.0, 24.0, false);
        assert!(start <= end && end <= 100);
    }
}
