//! Interaction Previews: one toast per open offer, with Accept and Reject.

use super::use_desk;
use leptos::prelude::*;
use parley_client::i18n::{t, tf};
use parley_protocol::{Invitation, InvitationKind};

/// Every open offer, and the newest said to screen readers once, without taking the focus
/// (the previews themselves are not a live region: their countdowns would be read out every
/// half second).
#[component]
pub fn Previews() -> impl IntoView {
    let invitations = use_desk().select(|s| s.invitations.clone());
    let announced = move || {
        invitations.with(|list| {
            list.last().map(|i| {
                format!(
                    "{}: {}, {}",
                    kind_of(i),
                    i.interaction.contact,
                    i.interaction.queue
                )
            })
        })
    };
    view! {
        <p class="pl-sr-only" aria-live="assertive" data-testid="offer-announcement">{announced}</p>
        <div class="pl-previews">
            {parley_client::flow::keyed(move || invitations.get(), |i| i.id.clone(), |invitation| view! { <Preview invitation /> })}
        </div>
    }
}

/// What kind of offer it is, as the preview's heading says.
fn kind_of(invitation: &Invitation) -> String {
    match &invitation.kind {
        InvitationKind::NewChat => t("preview.new_chat"),
        InvitationKind::Request { request, .. } => tf(
            "preview.request",
            &[("request", &parley_client::lines::request_name(*request))],
        ),
    }
}

/// One offer.
#[component]
fn Preview(
    /// The offer shown.
    invitation: Invitation,
) -> impl IntoView {
    let desk = use_desk();
    let id = invitation.id.clone();
    let answer = move |accept: bool| {
        let id = id.clone();
        move |_| desk.act(|s| s.answer(&id, accept))
    };
    let kind = kind_of(&invitation);
    let from = match &invitation.kind {
        InvitationKind::NewChat => None,
        InvitationKind::Request { from, .. } => Some(from.clone()),
    };
    let expires_at = invitation.expires_at;
    let now = RwSignal::new(parley_client::time::now_ms());
    let tick = set_interval_with_handle(
        move || now.set(parley_client::time::now_ms()),
        std::time::Duration::from_millis(500),
    );
    on_cleanup(move || {
        if let Ok(t) = tick {
            t.clear();
        }
    });
    let seconds_left = move || ((expires_at - now.get()).max(0) + 999) / 1000;
    let ix = invitation.interaction;
    view! {
        <section class="pl-preview" data-testid="preview" data-id=invitation.id.to_string() role="alertdialog" aria-label=t("preview.title")>
            <header class="pl-preview__kind" data-testid="preview-kind">{kind}</header>
            <p class="pl-preview__from" data-testid="preview-from" translate="no">{from.unwrap_or_else(|| ix.contact.clone())}</p>
            <dl class="pl-preview__data">
                <dt>{t("preview.contact")}</dt><dd data-testid="preview-contact" translate="no">{ix.contact.clone()}</dd>
                <dt>{t("preview.queue")}</dt><dd translate="no">{ix.queue.to_string()}</dd>
                {crate::state::shown_case_data(&ix.case_data).into_iter().map(|(k, v)| view! { <dt translate="no">{k}</dt><dd translate="no">{v}</dd> }).collect::<Vec<_>>()}
                {ix.subject.map(|s| view! { <dt>{t("preview.subject")}</dt><dd translate="no">{s}</dd> })}
                {ix.email.map(|e| view! {
                    <dt>{t("preview.email")}</dt>
                    <dd><span translate="no">{e}</span>{(!ix.verified).then(|| view! {
                        <span class="pl-unverified" data-testid="preview-unverified">" "{t("preview.unverified")}</span>
                    })}</dd>
                })}
            </dl>
            <p class="pl-preview__countdown" data-testid="preview-countdown">{move || format!("0:{:02}", seconds_left())}</p>
            <div class="pl-preview__actions">
                <button class="pl-button pl-button--primary" data-testid="preview-accept" on:click=answer(true)>{t("preview.accept")}</button>
                <button class="pl-button" data-testid="preview-reject" on:click=answer(false)>{t("preview.reject")}</button>
            </div>
        </section>
    }
}
