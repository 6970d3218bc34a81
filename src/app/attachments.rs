//! Files the agent attached (from the computer or by drag-and-drop) and has not sent yet, per
//! chat: each can be deleted, or all at once, before Send files uploads them. Also Save all and
//! Print for the files and transcript already in a chat.
//!
//! Browser `File` objects cannot live in the reducer's state (they are not plain data), so the
//! staging area lives here, beside the views that use it. The desk forgets a chat's files when
//! the chat leaves the desktop.

use super::{use_desk, Desk};
use crate::state::Line;
use leptos::prelude::*;
use parley_client::flow::Show;
use parley_client::i18n::t;
use parley_protocol::InteractionId;

/// One attached file, as the list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staged {
    pub key: u32,
    pub name: String,
    pub size: u64,
}

/// The staging areas of every chat; cheap to copy, provided by the desktop.
#[derive(Clone, Copy)]
pub struct Attachments {
    files: StoredValue<Vec<(InteractionId, u32, web_sys::File)>, LocalStorage>,
    shown: RwSignal<Vec<(InteractionId, Staged)>>,
    next: StoredValue<u32>,
}

impl Attachments {
    pub fn new() -> Self {
        Self {
            files: StoredValue::new_local(Vec::new()),
            shown: RwSignal::new(Vec::new()),
            next: StoredValue::new(1),
        }
    }

    fn sync(&self) {
        let shown = self.files.with_value(|f| {
            f.iter()
                .map(|(ix, key, file)| {
                    let staged = Staged {
                        key: *key,
                        name: file.name(),
                        size: file.size() as u64,
                    };
                    (ix.clone(), staged)
                })
                .collect()
        });
        self.shown.set(shown);
    }

    /// Adds files to a chat's staging area.
    pub fn add(&self, interaction: &InteractionId, files: web_sys::FileList) {
        for i in 0..files.length() {
            if let Some(file) = files.get(i) {
                let key = self.next.get_value();
                self.next.set_value(key + 1);
                self.files
                    .update_value(|f| f.push((interaction.clone(), key, file)));
            }
        }
        self.sync();
    }

    /// Deletes one attached file (`None`: all of them).
    pub fn delete(&self, interaction: &InteractionId, key: Option<u32>) {
        self.files.update_value(|f| {
            f.retain(|(ix, k, _)| ix != interaction || key.is_some_and(|key| *k != key))
        });
        self.sync();
    }

    /// Forgets the files of chats that left the desktop (`on_desk` says which are still on it):
    /// nothing can send them any more, and the browser would keep them until a reload.
    pub fn forget_gone(&self, on_desk: impl Fn(&InteractionId) -> bool) {
        let gone = self
            .files
            .try_with_value(|f| f.iter().any(|(ix, _, _)| !on_desk(ix)))
            .unwrap_or(false);
        if gone {
            self.files
                .update_value(|f| f.retain(|(ix, _, _)| on_desk(ix)));
            self.sync();
        }
    }

    /// Whether files wait to be sent in a chat that `open` says can still send them.
    pub fn waiting(&self, open: impl Fn(&InteractionId) -> bool) -> bool {
        self.files
            .with_value(|f| f.iter().any(|(ix, _, _)| open(ix)))
    }

    pub fn shown(&self, interaction: &InteractionId) -> Vec<Staged> {
        self.shown.with(|s| {
            s.iter()
                .filter(|(ix, _)| ix == interaction)
                .map(|(_, staged)| staged.clone())
                .collect()
        })
    }

    /// Uploads every attached file into the chat; a refusal shows at the top of the window.
    pub fn send(&self, desk: Desk, interaction: &InteractionId) {
        let mut files = Vec::new();
        self.files.update_value(|f| {
            let (these, others): (Vec<_>, Vec<_>) = std::mem::take(f)
                .into_iter()
                .partition(|(ix, _, _)| ix == interaction);
            files = these;
            *f = others;
        });
        self.sync();
        for (_, _, file) in files {
            let interaction = interaction.clone();
            leptos::task::spawn_local(async move {
                if let Err(e) = parley_client::http::upload_file(&interaction, &file, None).await {
                    desk.update(|s| s.refused(&interaction, e));
                }
            });
        }
    }
}

impl Default for Attachments {
    fn default() -> Self {
        Self::new()
    }
}

/// The staging area under the composer, and Save all / Print.
#[component]
pub fn AttachmentTools(
    /// The chat.
    id: InteractionId,
) -> impl IntoView {
    let desk = use_desk();
    let attachments = desk.attachments;
    let key = StoredValue::new(id);
    let staged = move || key.with_value(|id| attachments.shown(id));
    let has_files = desk.chat_part(key, |c| c.files > 0);
    let file_lines = move || {
        desk.with(|s| {
            key.with_value(|id| {
                s.chat(id)
                    .map(|c| {
                        c.lines
                            .iter()
                            .filter_map(|l| match l {
                                Line::File { file, .. } => Some(file.clone()),
                                _ => None,
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            })
        })
    };
    // Save all: one download per file of the chat.
    let save_all = move |_| {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        for file in file_lines() {
            if let Ok(a) = doc.create_element("a") {
                let _ = a.set_attribute("href", &file.url());
                let _ = a.set_attribute("download", &file.name);
                if let Ok(a) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(a) {
                    a.click();
                }
            }
        }
    };
    let print = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <div class="pl-attachments">
            <Show when=move || !staged().is_empty()>
                <ul class="pl-attachments__list" aria-label=t("files.to_send")>
                    {parley_client::flow::keyed(staged, |s| s.key, move |item| view! {
                        <li data-testid="attachment">
                            {item.name.clone()} " "
                            <span class="pl-file__size">{super::transcript::human_size(item.size)}</span>
                            <button class="pl-icon-button" data-testid="attachment-delete" title=t("files.delete")
                                on:click=move |_| key.with_value(|id| attachments.delete(id, Some(item.key)))>"✕"</button>
                        </li>
                    })}
                </ul>
                <button class="pl-button" data-testid="attachments-delete-all"
                    on:click=move |_| key.with_value(|id| attachments.delete(id, None))>{t("files.delete_all")}</button>
                <button class="pl-button pl-button--primary" data-testid="attachments-send"
                    on:click=move |_| key.with_value(|id| attachments.send(desk, id))>{t("files.send")}</button>
            </Show>
            <Show when=move || has_files.get()>
                <button class="pl-button" data-testid="files-save-all" on:click=save_all>{t("files.save_all")}</button>
            </Show>
            <button class="pl-button" data-testid="chat-print" on:click=print>{t("files.print")}</button>
        </div>
    }
}
