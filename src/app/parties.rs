//! The party list of a chat (status and Action menu per party) and its consultation panels.

use super::composer::Composer;
use super::transcript::{render, UnsentLines};
use super::use_desk;
use crate::state::{Chat, Consult, PartyEntry, PartyStatus};
use leptos::prelude::*;
use parley_client::flow::Show;
use parley_client::i18n::{plural, t, tf};
use parley_protocol::InteractionId;

/// The parties of a chat with their status; another agent has an Action menu.
#[component]
pub fn PartyList(
    /// The chat.
    id: InteractionId,
    /// Opens the contact's history in the side panel.
    open_history: Callback<()>,
) -> impl IntoView {
    let desk = use_desk();
    let key = StoredValue::new(id);
    let parties = desk.chat_part(key, |c| c.parties.list.clone());
    let others = desk.chat_part(key, Chat::other_chats);
    view! {
        <ul class="pl-parties" aria-label=t("parties.list")>
            {parley_client::flow::keyed(move || parties.get(), |p| (p.key(), p.status.as_str()), move |entry| {
                let contact = matches!(entry.party, parley_protocol::Party::Contact { .. });
                view! {
                    <Party entry chat=key.get_value()>
                        {move || (contact && others.get() > 0).then(|| other_chats(others.get(), open_history))}
                    </Party>
                }
            })}
        </ul>
    }
}

/// The number of the contact's other chats, in progress or recent, as a button to their list.
fn other_chats(n: usize, open_history: Callback<()>) -> impl IntoView {
    let label = plural("parties.other_chats", i64::try_from(n).unwrap_or(i64::MAX));
    view! {
        <button class="pl-party__chats" data-testid="contact-chats" title=label.clone() aria-label=label
            on:click=move |_| open_history.run(())>{n}</button>
    }
}

#[component]
fn Party(
    entry: PartyEntry,
    chat: InteractionId,
    /// Shown after the party's status.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let desk = use_desk();
    let chat = StoredValue::new(chat);
    let open = RwSignal::new(false);
    let me = desk.with(|s| s.me.as_ref().map(|m| m.id.clone()));
    let agent = entry.agent().cloned().filter(|a| Some(a) != me.as_ref());
    let is_me = entry.agent().is_some() && agent.is_none();
    let name = if is_me {
        tf("parties.you", &[("name", entry.party.name())])
    } else {
        entry.party.name().to_owned()
    };
    let status = entry.status;
    let agent = StoredValue::new(agent);
    // The consultation this party is in with the viewer, to end from the menu.
    let consultation = desk.select(move |s| {
        chat.with_value(|c| {
            agent.with_value(|agent| {
                s.chat(c).and_then(|c| {
                    c.parties
                        .consults
                        .iter()
                        .find(|x| x.active && x.with_id() == agent.as_ref())
                        .map(|x| x.id.clone())
                })
            })
        })
    });
    let can_delete = desk.select(move |s| {
        agent.with_value(|agent| {
            agent
                .as_ref()
                .is_some_and(|a| chat.with_value(|c| s.remove_party(c, a).is_some()))
        })
    });
    let can_delete = move || can_delete.get();
    let delete = move |_| {
        open.set(false);
        if let Some(a) = agent.get_value() {
            desk.request(|s| chat.with_value(|c| s.remove_party(c, &a)));
        }
    };
    let end_consultation = move |_| {
        open.set(false);
        if let Some(id) = consultation.get_untracked() {
            desk.act(|s| chat.with_value(|c| s.end_consultation(c, &id)));
        }
    };
    let has_menu =
        move || status != PartyStatus::Left && (consultation.with(Option::is_some) || can_delete());
    view! {
        <li class="pl-party" data-testid="party" data-id=entry.key() data-status=status.as_str()>
            <span class="pl-party__dot" aria-hidden="true"></span>
            <span class="pl-party__name" translate="no">{name}</span>
            <span class="pl-party__status">{t(status.label())}</span>
            {children.map(|c| c())}
            <Show when=has_menu>
                <button class="pl-icon-button" data-testid="party-menu" aria-haspopup="menu" title=t("parties.action")
                    aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>"▾"</button>
            </Show>
            <Show when=move || open.get()>
                <ul class="pl-menu" role="menu">
                    <Show when=can_delete>
                        <li role="none"><button role="menuitem" data-testid="party-delete-from-conference" on:click=delete>{t("parties.delete")}</button></li>
                    </Show>
                    <Show when=move || consultation.with(Option::is_some)>
                        <li role="none"><button role="menuitem" data-testid="party-end-consultation" on:click=end_consultation>{t("parties.end_consultation")}</button></li>
                    </Show>
                </ul>
            </Show>
        </li>
    }
}

/// The consultation panels of a chat: one per consultation not closed yet.
#[component]
pub fn ConsultPanels(
    /// The chat.
    id: InteractionId,
) -> impl IntoView {
    let key = StoredValue::new(id);
    let shown = use_desk().chat_part(key, |c| {
        c.parties
            .consults
            .iter()
            .filter(|c| !c.dismissed)
            .map(|c| c.id.clone())
            .collect::<Vec<_>>()
    });
    view! {
        {parley_client::flow::keyed(move || shown.get(), |c| c.clone(), move |consultation| view! {
            <ConsultPanel chat=key.get_value() consultation />
        })}
    }
}

#[component]
fn ConsultPanel(chat: InteractionId, consultation: String) -> impl IntoView {
    let desk = use_desk();
    let ids = StoredValue::new((chat, consultation.clone()));
    let flag = move |f: fn(&Consult) -> bool| {
        desk.select(move |s| ids.with_value(|(chat, c)| s.consult(chat, c).is_some_and(f)))
    };
    let lines = desk.select(move |s| {
        ids.with_value(|(chat, c)| {
            s.consult(chat, c)
                .map(|c| c.lines.clone())
                .unwrap_or_default()
        })
    });
    let unsent = desk.select(move |s| ids.with_value(|(chat, c)| s.consult_unsent(chat, c)));
    let active = flag(|c| c.active);
    let typing = flag(|c| c.typing);
    let active = move || active.get();
    let with = desk.select(move |s| {
        ids.with_value(|(chat, c)| {
            s.consult(chat, c)
                .map(|c| c.with.name().to_owned())
                .unwrap_or_default()
        })
    });
    let with = move || with.get();
    let draft = desk.select(move |s| ids.with_value(|(chat, c)| s.consult_draft(chat, c)));
    let on_input = move |text: String| {
        let now = parley_client::time::now_ms();
        desk.act(|s| ids.with_value(|(chat, c)| s.consult_typed(chat, c, &text, now)));
    };
    let on_send = move |()| desk.act(|s| ids.with_value(|(chat, c)| s.consult_send(chat, c)));
    // A consultant who just accepted writes here: the chat's own message box is not theirs.
    let focused = desk.with(|s| {
        ids.with_value(|(chat, _)| {
            s.focus.as_ref() == Some(chat) && s.chat(chat).is_some_and(|c| c.is_consultant())
        })
    });
    let end = move |_| desk.act(|s| ids.with_value(|(chat, c)| s.end_consultation(chat, c)));
    let done = move |_| desk.act(|s| ids.with_value(|(chat, c)| s.consult_done(chat, c)));
    view! {
        <section class="pl-consult" data-testid="consult-panel" data-id=consultation
            data-state=move || if active() { "active" } else { "ended" }>
            <header class="pl-consult__header">
                <h3>{move || tf("parties.consultation_with", &[("name", &with())])}</h3>
                <span class="pl-consult__private">{t("parties.private")}</span>
                <Show when=active>
                    <button class="pl-button" data-testid="consult-end" on:click=end>{t("parties.end_consultation")}</button>
                </Show>
                <Show when=move || !active()>
                    <button class="pl-button pl-button--primary" data-testid="consult-done" on:click=done>{t("parties.done")}</button>
                </Show>
            </header>
            <ol class="pl-consult__lines" data-testid="consult-transcript" aria-live="polite">
                {parley_client::flow::keyed(move || lines.get(), |l| l.seq(), |line| render(line, None))}
                <UnsentLines texts=unsent />
            </ol>
            <Show when=move || typing.get()>
                <p class="pl-typing" data-testid="consult-typing">{move || tf("ix.typing", &[("name", &with())])}</p>
            </Show>
            <Show when=active>
                <Composer value=draft on_input on_send focused test_ids=("consult-input", "consult-send")
                    placeholder="parties.consult_placeholder" />
            </Show>
        </section>
    }
}
