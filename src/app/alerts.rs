//! Calling for attention when the window is not focused: the page title flashes, a desktop
//! notification and a sound come with each new offer, and with the accessibility option a tone
//! rises as a pending response nears red. Each can be switched off in the main bar.

use crate::state::DesktopState;
use leptos::prelude::*;
use parley_protocol::PendingLevel;
use std::time::Duration;

const TITLE: &str = "Parley";

/// Starts watching the state; lives as long as the calling component.
pub fn watch(state: RwSignal<DesktopState>) {
    let window_focus = move |focused: bool| state.update(|s| s.set_focused(focused));
    let on_focus = window_event_listener(leptos::ev::focus, move |_| window_focus(true));
    let on_blur = window_event_listener(leptos::ev::blur, move |_| window_focus(false));
    on_cleanup(move || {
        on_focus.remove();
        on_blur.remove();
    });

    // The title flashes while something needs attention and the window is elsewhere.
    let blink = RwSignal::new(false);
    let timer = set_interval_with_handle(
        move || blink.update(|b| *b = !*b),
        Duration::from_millis(900),
    );
    on_cleanup(move || {
        if let Ok(t) = timer {
            t.clear();
        }
    });
    let calling = Memo::new(move |_| state.with(|s| !s.focused && s.needs_attention()));
    // The title is only touched when it changes.
    Effect::new(move |_| {
        let title = if calling.get() && blink.get() {
            format!("● New activity — {TITLE}")
        } else {
            TITLE.to_owned()
        };
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(&title);
        }
    });

    // A notification and a sound for each new offer while the window is elsewhere.
    Effect::new(move |seen: Option<usize>| {
        let (count, focused, alerts, from) = state.with(|s| {
            let from = s
                .invitations
                .last()
                .map(|i| i.interaction.contact.clone())
                .unwrap_or_default();
            (s.invitations.len(), s.focused, s.alerts, from)
        });
        if count > seen.unwrap_or(count) && !focused {
            if alerts.notifications {
                notify(&format!("New chat request: {from}"));
            }
            if alerts.sound {
                tone(660.0, 0.15);
            }
        }
        count
    });

    // The accessibility tone: higher as the most urgent pending response gets closer to red.
    Effect::new(move |last: Option<PendingLevel>| {
        let (level, tone_on) = state.with(|s| {
            let level = s
                .chats
                .iter()
                .map(|c| c.summary.pending)
                .max_by_key(|l| *l as u8)
                .unwrap_or_default();
            (level, s.alerts.tone)
        });
        if tone_on && Some(level) != last {
            match level {
                PendingLevel::Warn => tone(523.0, 0.2),
                PendingLevel::Late => tone(784.0, 0.3),
                PendingLevel::Ok => {}
            }
        }
        level
    });
}

fn notify(body: &str) {
    if web_sys::Notification::permission() != web_sys::NotificationPermission::Granted {
        let _ = web_sys::Notification::request_permission();
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(body);
    let _ = web_sys::Notification::new_with_options(TITLE, &options);
}

/// A short sine tone through Web Audio.
fn tone(hz: f32, seconds: f64) {
    let Ok(ctx) = web_sys::AudioContext::new() else {
        return;
    };
    let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
        return;
    };
    osc.frequency().set_value(hz);
    gain.gain().set_value(0.08);
    let _ = osc
        .connect_with_audio_node(&gain)
        .and_then(|_| gain.connect_with_audio_node(&ctx.destination()));
    let now = ctx.current_time();
    let _ = osc.start().and_then(|_| osc.stop_with_when(now + seconds));
}
