//! The keyboard: the shortcuts (which key is what: `state::keys`) carried out on the page, the
//! sheet that lists them (`?`), and the live region that tells screen readers of chats not on
//! screen. A shortcut does what its control does, by that control: one that is not there (no
//! offer to accept, a chat not ended yet) does nothing, so the rules stay the views' and the
//! reducer's.

use super::use_desk;
use crate::state::keys::{command, Command, Press, SHORTCUTS};
use leptos::prelude::*;
use parley_client::flow::Show;
use parley_client::i18n::t;
use wasm_bindgen::JsCast;

/// The control a command stands for, by `data-testid`, and whether it is pressed (or focused).
fn control(command: Command) -> Option<(&'static str, bool)> {
    Some(match command {
        Command::Accept => ("preview-accept", true),
        Command::Reject => ("preview-reject", true),
        Command::End => ("chat-end", true),
        Command::Done => ("chat-done", true),
        Command::Consult => ("chat-consult", true),
        Command::Transfer => ("chat-transfer", true),
        Command::Conference => ("chat-conference", true),
        Command::Responses => ("responses-button", true),
        Command::Message => ("composer-input", false),
        Command::Next | Command::Previous | Command::Help => return None,
    })
}

/// The first element with this `data-testid`.
fn by_test_id(id: &str) -> Option<web_sys::HtmlElement> {
    document()
        .query_selector(&format!("[data-testid={id}]"))
        .ok()
        .flatten()?
        .dyn_into()
        .ok()
}

/// Focuses the element with this `data-testid` once the page has drawn what changed.
pub(super) fn focus_soon(id: &'static str) {
    super::chat::after_paint(move || {
        if let Some(el) = by_test_id(id) {
            let _ = el.focus();
        }
    });
}

/// Whether the focus is in a field that takes text (or a list that takes letters).
fn typing() -> bool {
    document().active_element().is_some_and(|el| {
        matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
            || el
                .dyn_ref::<web_sys::HtmlElement>()
                .is_some_and(|h| h.is_content_editable())
    })
}

/// The shortcuts, their sheet and the live region; lives as long as the signed-in desktop.
#[component]
pub fn Keys() -> impl IntoView {
    let desk = use_desk();
    let sheet = RwSignal::new(false);
    // Where the focus was before the sheet opened, to give it back.
    let before = StoredValue::new_local(None::<web_sys::HtmlElement>);
    let close = move || {
        sheet.set(false);
        if let Some(el) = before.try_update_value(Option::take).flatten() {
            let _ = el.focus();
        }
    };
    let listener = window_event_listener(leptos::ev::keydown, move |ev| {
        let press = Press {
            key: &ev.key(),
            code: &ev.code(),
            alt: ev.alt_key(),
            shift: ev.shift_key(),
            ctrl: ev.ctrl_key(),
            meta: ev.meta_key(),
            typing: typing(),
        };
        let Some(command) = command(&press) else {
            if ev.key() == "Escape" && sheet.get_untracked() {
                close();
            }
            return;
        };
        // Nothing acts behind the sheet but closing it, nor on a desktop another window uses.
        let behind = sheet.get_untracked() && command != Command::Help;
        if behind || desk.with(|s| s.elsewhere()) {
            return;
        }
        ev.prevent_default();
        match (command, control(command)) {
            (Command::Help, _) if sheet.get_untracked() => close(),
            (Command::Help, _) => {
                before.set_value(
                    document()
                        .active_element()
                        .and_then(|el| el.dyn_into().ok()),
                );
                sheet.set(true);
                focus_soon("shortcuts-close");
            }
            (Command::Next | Command::Previous, _) => {
                let steps = if command == Command::Next { 1 } else { -1 };
                desk.update(|s| s.select_by(steps));
                focus_soon("composer-input");
            }
            (_, Some((id, press))) => {
                let Some(el) = by_test_id(id) else {
                    return;
                };
                if press {
                    el.click();
                } else {
                    let _ = el.focus();
                }
                if command == Command::Responses {
                    focus_soon("responses-search");
                }
            }
            (_, None) => {}
        }
    });
    on_cleanup(move || listener.remove());

    let announcement = desk.select(|s| s.announcement.clone());
    view! {
        // A new node per announcement: the same words twice are said twice.
        <div class="pl-sr-only" aria-live="polite" data-testid="desk-announcement">
            {move || {
                let (n, text) = announcement.get();
                view! { <p data-n=n>{text}</p> }
            }}
        </div>
        <Show when=move || sheet.get()>
            <div class="pl-popover pl-keys" role="dialog" aria-modal="true" aria-labelledby="pl-keys-title"
                data-testid="shortcuts">
                <h2 id="pl-keys-title">{t("keys.title")}</h2>
                <dl>
                    {SHORTCUTS.iter().map(|&(_, key, what)| {
                        let keys = if key == "?" { key.to_owned() } else { ["Alt+Shift+", key].concat() };
                        view! { <dt><kbd translate="no">{keys}</kbd></dt><dd>{t(what)}</dd> }
                    }).collect::<Vec<_>>()}
                </dl>
                <button class="pl-button" data-testid="shortcuts-close" on:click=move |_| close()>{t("keys.close")}</button>
            </div>
        </Show>
    }
}
