//! The Team Communicator popover: search, Active Consultations, and every agent, group, skill and
//! queue with its Action menu. Arrow keys move the highlight, Enter takes the action of the
//! button that opened it, Escape closes it.

use super::use_desk;
use crate::state::{action_label, TcEntry};
use leptos::prelude::*;
use parley_client::flow::Show;
use parley_client::i18n::t;
use parley_protocol::RequestKind;

fn action_test_id(request: RequestKind) -> &'static str {
    match request {
        RequestKind::Consultation => "tc-action-consult",
        RequestKind::Transfer => "tc-action-transfer",
        RequestKind::Conference => "tc-action-conference",
    }
}

/// The communicator, while it is open.
#[component]
pub fn TeamCommunicator() -> impl IntoView {
    let desk = use_desk();
    let open = desk.select(|s| s.tc.as_ref().map(|t| t.mode));
    let entries = desk.select(|s| s.tc_entries());
    let cursor = desk.select(|s| s.tc.as_ref().map_or(0, |t| t.cursor));
    let query = desk.select(|s| s.tc.as_ref().map(|t| t.query.clone()).unwrap_or_default());
    // The entry whose Action menu is open.
    let menu = RwSignal::new(None::<usize>);
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if open.get().is_some() {
            menu.set(None);
            if let Some(el) = input.get() {
                let _ = el.focus();
            }
        }
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" | "ArrowUp" => {
            ev.prevent_default();
            let delta = if ev.key() == "ArrowDown" { 1 } else { -1 };
            desk.update(|s| s.tc_move(delta));
        }
        "Enter" => {
            ev.prevent_default();
            desk.act(|s| s.tc_choose());
        }
        "Escape" => desk.update(|s| s.close_tc()),
        _ => {}
    };
    let title = move || open.get().map(action_label).unwrap_or_default();
    let row = move |(i, e): (usize, TcEntry)| {
        let actions = e.actions.clone();
        view! {
            <li class="pl-tc__result" class:pl-tc__result--current=move || cursor.get() == i
                data-testid="tc-result" data-kind=e.kind.as_str() data-id=e.id().to_owned()
                aria-current=move || (cursor.get() == i).to_string()>
                <span class="pl-tc__name" translate="no">{e.name.clone()}</span>
                <span class="pl-tc__detail">{e.detail.clone()}</span>
                <span class="pl-tc__actions">
                    <button class="pl-button" data-testid="tc-action-menu" aria-haspopup="menu"
                        aria-expanded=move || (menu.get() == Some(i)).to_string()
                        on:click=move |_| menu.update(|m| *m = if *m == Some(i) { None } else { Some(i) })>
                        {t("team.action")}" ▾"
                    </button>
                    <Show when=move || menu.get() == Some(i)>
                        <ul class="pl-menu" role="menu">
                            {actions.iter().map(|&a| view! {
                                <li role="none">
                                    <button role="menuitem" data-testid=action_test_id(a)
                                        on:click=move |_| desk.act(|s| s.tc_act(i, a))>{action_label(a)}</button>
                                </li>
                            }).collect::<Vec<_>>()}
                        </ul>
                    </Show>
                </span>
            </li>
        }
    };
    let section = move |active: bool| {
        entries
            .get()
            .into_iter()
            .enumerate()
            .filter(|(_, e)| e.active_consultation == active)
            .map(row)
            .collect::<Vec<_>>()
    };
    let has_active = move || entries.with(|e| e.iter().any(|e| e.active_consultation));
    view! {
        <Show when=move || open.get().is_some()>
            <div class="pl-popover pl-tc" data-testid="team-communicator" role="dialog" aria-label=title on:keydown=on_key>
                <header class="pl-tc__header">
                    <h2>{title}</h2>
                    <button class="pl-icon-button" data-testid="tc-close" title=t("team.close") on:click=move |_| desk.update(|s| s.close_tc())>"×"</button>
                </header>
                <input class="pl-tc__search" data-testid="tc-search" type="search" node_ref=input
                    placeholder=t("team.search") aria-label=t("team.search_label")
                    prop:value=move || query.get()
                    on:input=move |ev| desk.update(|s| s.tc_search(&event_target_value(&ev))) />
                <Show when=has_active>
                    <section data-testid="tc-active-consultations">
                        <h3>{t("team.active")}</h3>
                        <ul class="pl-tc__list">{move || section(true)}</ul>
                    </section>
                </Show>
                <ul class="pl-tc__list" aria-label=t("team.targets")>{move || section(false)}</ul>
                <Show when=move || entries.with(Vec::is_empty)>
                    <p class="pl-tc__empty">{t("team.none")}</p>
                </Show>
            </div>
        </Show>
    }
}
