//! Calling for attention when the window is not focused: the page title flashes, a desktop
//! notification and a sound come with each new offer, and with the accessibility option a tone
//! rises as a pending response nears red. Each can be switched off in the main bar.

use super::Desk;
use leptos::prelude::*;
use parley_protocol::PendingLevel;
use std::time::Duration;

const TITLE: &str = "Parley";

/// Starts watching the state; lives as long as the calling component.
pub fn watch(desk: Desk) {
    let window_focus = move |focused: bool| desk.update(|s| s.set_focused(focused));
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
    let calling = desk.select(|s| !s.focused && s.needs_attention());
    // The title is only touched when it changes.
    Effect::new(move |_| {
        let title = if calling.get() && blink.get() {
            parley_client::i18n::tf("alerts.activity", &[("app", TITLE)])
        } else {
            TITLE.to_owned()
        };
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(&title);
        }
    });

    // A notification and a sound for each new offer while the window is elsewhere.
    let offers = desk.select(|s| {
        let from = s
            .invitations
            .last()
            .map(|i| i.interaction.contact.clone())
            .unwrap_or_default();
        // A desktop not in use stays quiet, as if it were looked at.
        (
            s.invitations.len(),
            s.focused || s.elsewhere(),
            s.alerts,
            from,
        )
    });
    Effect::new(move |seen: Option<usize>| {
        let (count, focused, alerts, from) = offers.get();
        if count > seen.unwrap_or(count) && !focused {
            if alerts.notifications {
                notify(&parley_client::i18n::tf("alerts.offer", &[("name", &from)]));
            }
            if alerts.sound {
                tone(660.0, 0.15);
            }
        }
        count
    });

    // The accessibility tone: while a response is pending past the warning stage, a pulse every
    // two seconds whose pitch rises with each pulse, and a high pulse once it is red.
    let urgent = desk.select(|s| {
        if s.elsewhere() {
            return PendingLevel::default();
        }
        s.chats
            .iter()
            .map(|c| c.summary.pending)
            .max_by_key(|l| *l as u8)
            .unwrap_or_default()
    });
    let pulses = RwSignal::new(0_u32);
    let pulse = set_interval_with_handle(
        move || {
            let on = desk.with(|s| s.alerts.tone);
            match urgent.get_untracked() {
                PendingLevel::Ok => pulses.set(0),
                _ if !on => {}
                PendingLevel::Warn => {
                    let n = pulses.get_untracked();
                    tone(rising_pitch(n), 0.12);
                    pulses.set(n + 1);
                }
                PendingLevel::Late => tone(RED_PITCH, 0.2),
            }
        },
        Duration::from_secs(2),
    );
    on_cleanup(move || {
        if let Ok(t) = pulse {
            t.clear();
        }
    });
}

/// The pitch of the red pulse, and where the warning pulses climb towards.
const RED_PITCH: f32 = 880.0;

/// The n-th warning pulse: from 440 Hz up towards the red pitch.
fn rising_pitch(n: u32) -> f32 {
    (440.0 + 30.0 * n as f32).min(RED_PITCH - 30.0)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_pulses_rise_and_stay_below_red() {
        assert_eq!(rising_pitch(0), 440.0);
        assert!(rising_pitch(5) > rising_pitch(4));
        assert!(rising_pitch(1000) < RED_PITCH);
    }
}
