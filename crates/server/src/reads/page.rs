//! A page of events capped in bytes as well as in count.

use parley_protocol::{Event, EventKind};

/// The most of one `older` or `earlier` answer, in bytes of its events' JSON: a few screenfuls,
/// far under a connection's outbox.
pub const PAGE_BYTES: usize = 256 * 1024;

/// The latest events (in order) whose JSON fits in [`PAGE_BYTES`], and whether any were left
/// out. The newest always goes, however large: a page is never empty when there is something.
pub(super) fn latest_that_fit(mut events: Vec<Event>) -> (Vec<Event>, bool) {
    // Most pages are far under the cap: when even a generous bound of their size fits, no
    // event is encoded here (the outbox encodes the page once anyway).
    if events.iter().map(size_bound).sum::<usize>() <= PAGE_BYTES {
        return (events, false);
    }
    let mut bytes = 0;
    let mut keep = 0;
    for event in events.iter().rev() {
        bytes += serde_json::to_string(event).map_or(0, |s| s.len());
        if keep > 0 && bytes > PAGE_BYTES {
            break;
        }
        keep += 1;
    }
    let cut = keep < events.len();
    let events = events.split_off(events.len() - keep);
    (events, cut)
}

/// At least the size of an event's JSON: a message is its text and its sender's name (each
/// byte at most six escaped) and fields that never pass 512 bytes (a client id is at most 64);
/// anything else is measured.
fn size_bound(event: &Event) -> usize {
    match &event.kind {
        EventKind::Message {
            text,
            from,
            consultation: None,
            ..
        } => 512 + 6 * (text.len() + from.name().len()),
        EventKind::Notice { text } => 512 + 6 * text.len(),
        _ => serde_json::to_string(event).map_or(0, |s| s.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::{Audience, Party, Seq};

    fn message(seq: Seq, bytes: usize) -> Event {
        Event {
            seq,
            at: 0,
            audience: Audience::Everyone,
            kind: EventKind::Message {
                from: Party::Contact { name: "M".into() },
                text: "x".repeat(bytes),
                client_id: None,
                consultation: None,
            },
        }
    }

    #[test]
    fn the_size_bound_of_a_message_is_never_under_its_json() {
        for text in [
            "",
            "plain",
            "\u{1}\u{2}\"quotes\" and \\",
            "\u{1F600} émoji",
            &"\u{7}".repeat(1000),
        ] {
            let mut event = message(7, 0);
            if let EventKind::Message { text: t, from, .. } = &mut event.kind {
                *t = text.to_owned();
                *from = Party::Contact {
                    name: "\u{1}".repeat(600),
                };
            }
            let exact = serde_json::to_string(&event).expect("json").len();
            assert!(size_bound(&event) >= exact, "{text:?}: {exact}");
        }
    }

    #[test]
    fn a_page_holds_the_latest_events_that_fit_and_never_nothing() {
        let events: Vec<Event> = (1..=100).map(|s| message(s, 8 * 1024)).collect();
        let (page, cut) = latest_that_fit(events);
        assert!(cut);
        let bytes: usize = page
            .iter()
            .map(|e| serde_json::to_string(e).expect("json").len())
            .sum();
        assert!(bytes <= PAGE_BYTES, "{bytes}");
        assert_eq!(page.last().map(|e| e.seq), Some(100), "the latest");
        assert_eq!(page.len(), 31, "8 KiB messages: 31 fit in 256 KiB");
        let (small, cut) = latest_that_fit((1..=5).map(|s| message(s, 10)).collect());
        assert_eq!((small.len(), cut), (5, false));
        let (huge, cut) = latest_that_fit(vec![message(1, 10), message(2, PAGE_BYTES * 2)]);
        assert_eq!(huge.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2]);
        assert!(cut);
    }
}
