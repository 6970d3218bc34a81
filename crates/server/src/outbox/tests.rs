//! The outbox's bounds, order and holds.

use super::*;
use parley_protocol::ErrorCode;

fn frame_of(bytes: usize) -> ServerMsg {
    // `{"error":{"code":"invalid","message":"…"}}` is 41 bytes around the message.
    ServerMsg::error(ErrorCode::Invalid, "x".repeat(bytes - 41))
}

#[tokio::test]
async fn a_reader_that_never_reads_costs_at_most_the_cap_then_the_outbox_closes() {
    let limits = Limits {
        frames: 10_000,
        bytes: 64 * 1024,
    };
    let (outbox, mut pending) = channel(limits);
    assert_eq!(outbox.send(frame_of(100)).map(|_| ()), Ok(()));
    assert_eq!(Frames::new(&frame_of(100)).for_version(3).len(), 100);
    let mut closing = outbox.closing();
    let sent = (0..10_000)
        .take_while(|_| outbox.send(frame_of(1000)).is_ok())
        .count();
    assert_eq!(
        sent, 65,
        "64 KiB holds 65 frames of 1000 bytes after the first"
    );
    assert!(
        outbox.peak_bytes() <= limits.bytes,
        "{}",
        outbox.peak_bytes()
    );
    assert!(outbox.overflowed());
    assert_eq!(outbox.send(frame_of(100)), Err(Overflow), "nothing after");
    closing.changed().await.expect("told");
    assert!(*closing.borrow());
    assert_eq!(pending.next().await, None, "the writer stops at once");
    assert!(pending.overflowed());
}

#[tokio::test]
async fn frames_go_in_order_and_free_their_bytes_as_they_are_written() {
    let (outbox, mut pending) = channel(Limits {
        frames: 4,
        bytes: 1000,
    });
    for n in [200, 300, 400] {
        outbox.send(frame_of(n)).expect("fits");
    }
    assert_eq!(pending.next().await.map(|f| f.len()), Some(200));
    outbox.send(frame_of(200)).expect("room again");
    let lens: Vec<usize> = [(); 3]
        .iter()
        .filter_map(|_| pending.rx.try_recv().ok().map(|f| f.len()))
        .collect();
    assert_eq!(lens, vec![300, 400, 200]);
    // Counted in frames as well as bytes.
    let (small, _pending) = channel(Limits {
        frames: 2,
        bytes: 1 << 20,
    });
    small.send(frame_of(50)).expect("one");
    small.send(frame_of(50)).expect("two");
    assert_eq!(small.send(frame_of(50)), Err(Overflow));
}

#[tokio::test]
async fn a_frame_larger_than_the_cap_goes_when_nothing_waits_before_it() {
    let (outbox, mut pending) = channel(Limits {
        frames: 8,
        bytes: 1000,
    });
    outbox.send(frame_of(5000)).expect("alone, it goes");
    assert_eq!(
        outbox.send(frame_of(100)),
        Err(Overflow),
        "but nothing after it"
    );
    assert_eq!(pending.next().await, None);
}

#[tokio::test]
async fn what_arrives_during_a_resume_follows_it_without_what_it_already_sent() {
    let (outbox, mut pending) = channel(Limits::default());
    let ix = InteractionId("ix-1".into());
    outbox.hold();
    let event = |n: usize| frame_of(100 + n);
    // Delivered while the resume is read: event 4 (the resume has it) and event 5.
    outbox
        .send_event(&Frames::new(&event(4)), &ix, 4)
        .expect("held");
    outbox
        .send_event(&Frames::new(&event(5)), &ix, 5)
        .expect("held");
    outbox.send(event(6)).expect("held");
    // The resume itself goes first.
    outbox.send_now(event(0)).expect("resume");
    outbox
        .release(&HashMap::from([(ix.clone(), 4)]))
        .expect("released");
    let mut lens = Vec::new();
    while let Ok(frame) = pending.rx.try_recv() {
        lens.push(frame.len());
    }
    assert_eq!(
        lens,
        vec![100, 105, 106],
        "resume, then 5, then the rest; 4 once"
    );
    // After the release, frames go straight through.
    outbox.send(event(7)).expect("sent");
    assert_eq!(pending.next().await.map(|f| f.len()), Some(107));
}

#[tokio::test]
async fn nested_holds_release_what_waited_when_the_last_ends() {
    let (outbox, mut pending) = channel(Limits::default());
    let (a, b) = (InteractionId("ix-a".into()), InteractionId("ix-b".into()));
    outbox.hold();
    outbox.hold();
    outbox
        .send_event(&Frames::new(&frame_of(101)), &a, 1)
        .expect("held");
    outbox
        .send_event(&Frames::new(&frame_of(102)), &b, 1)
        .expect("held");
    outbox
        .release(&HashMap::from([(a.clone(), 1)]))
        .expect("one ends");
    assert!(pending.rx.try_recv().is_err(), "still held by the other");
    outbox
        .release(&HashMap::from([(b.clone(), 0)]))
        .expect("both end");
    let mut lens = Vec::new();
    while let Ok(frame) = pending.rx.try_recv() {
        lens.push(frame.len());
    }
    assert_eq!(
        lens,
        vec![102],
        "a's event was sent by its resume; b's was not"
    );
}

#[test]
fn a_message_is_encoded_once_per_version() {
    let msg = frame_of(100);
    let frames = Frames::new(&msg);
    let a = frames.for_version(PROTOCOL_VERSION);
    let b = frames.for_version(PROTOCOL_VERSION);
    assert_eq!(
        a.as_str().as_ptr(),
        b.as_str().as_ptr(),
        "the same bytes, shared"
    );
    assert_eq!(
        frames.for_version(PROTOCOL_VERSION - 1),
        a,
        "same text here"
    );
}

/// Every frame waiting in the outbox, by length.
fn waiting(pending: &mut Pending) -> Vec<usize> {
    let mut lens = Vec::new();
    while let Ok(frame) = pending.rx.try_recv() {
        lens.push(frame.len());
    }
    lens
}

#[tokio::test]
async fn a_chat_window_goes_after_its_opened_frame_and_before_what_came_later() {
    let (outbox, mut pending) = channel(Limits::default());
    let ix = InteractionId("ix-1".into());
    // A hello is resuming when the agent is given the chat.
    outbox.hold();
    outbox
        .send_event(
            &Frames::new(&frame_of(100)),
            &InteractionId("ix-0".into()),
            3,
        )
        .expect("held");
    outbox
        .open(&Frames::new(&frame_of(101)), ix.clone(), None)
        .expect("opened");
    // Committed while the window is read: 5 (the window has it) and 6.
    for seq in [5, 6] {
        let frame = frame_of(100 + seq as usize);
        outbox
            .send_event(&Frames::new(&frame), &ix, seq)
            .expect("held");
    }
    outbox.send_now(frame_of(90)).expect("the welcome");
    outbox.release(&HashMap::new()).expect("the hello ends");
    assert_eq!(waiting(&mut pending), vec![90], "only the welcome so far");
    let window = outbox.next_window().await;
    assert_eq!(
        (window.interaction.clone(), window.until),
        (ix.clone(), None)
    );
    let read = ServerMsg::Events {
        interaction: ix.clone(),
        events: vec![parley_protocol::Event {
            seq: 5,
            at: 0,
            audience: parley_protocol::Audience::Everyone,
            kind: parley_protocol::EventKind::Notice { text: "5".into() },
        }],
    };
    let window_len = Frames::new(&read).for_version(PROTOCOL_VERSION).len();
    outbox.fill(window, Some(read)).expect("filled");
    assert_eq!(
        waiting(&mut pending),
        vec![100, 101, window_len, 106],
        "what came before, opened, its window, then 6 (5 once)"
    );
}

#[tokio::test]
async fn windows_keep_their_order_whichever_is_read_first() {
    let (outbox, mut pending) = channel(Limits::default());
    let (a, b) = (InteractionId("ix-a".into()), InteractionId("ix-b".into()));
    outbox
        .open(&Frames::new(&frame_of(101)), a, None)
        .expect("a");
    outbox
        .open(&Frames::new(&frame_of(102)), b, None)
        .expect("b");
    let first = outbox.next_window().await;
    let second = outbox.next_window().await;
    assert_eq!(
        waiting(&mut pending),
        Vec::<usize>::new(),
        "a's window first"
    );
    outbox
        .fill(second, Some(frame_of(202)))
        .expect("b's read first");
    assert_eq!(waiting(&mut pending), Vec::<usize>::new(), "still a's");
    outbox.fill(first, None).expect("a could not be read");
    assert_eq!(waiting(&mut pending), vec![101, 102, 202]);
    outbox.send(frame_of(103)).expect("straight through after");
    assert_eq!(waiting(&mut pending), vec![103]);
}

#[tokio::test]
async fn a_connection_given_too_many_chats_at_once_is_closed() {
    let (outbox, _pending) = channel(Limits::default());
    for n in 0..WINDOWS {
        let ix = InteractionId(format!("ix-{n}"));
        outbox
            .open(&Frames::new(&frame_of(100)), ix, None)
            .expect("room");
    }
    let ix = InteractionId("ix-more".into());
    assert_eq!(
        outbox.open(&Frames::new(&frame_of(100)), ix, None),
        Err(Overflow)
    );
    assert!(outbox.overflowed());
}

#[tokio::test]
async fn what_was_held_before_the_writers_mark_is_dropped() {
    let (outbox, mut pending) = channel(Limits::default());
    outbox.hold();
    // Delivered by the bus before the writer registered the connection: older than its welcome.
    outbox.send(frame_of(101)).expect("held");
    outbox.mark();
    outbox.send(frame_of(102)).expect("held");
    outbox.send_now(frame_of(90)).expect("the welcome");
    outbox.release(&HashMap::new()).expect("released");
    assert_eq!(waiting(&mut pending), vec![90, 102]);
}

#[tokio::test]
async fn an_event_a_resume_read_before_its_delivery_is_not_sent_again() {
    let (outbox, mut pending) = channel(Limits::default());
    let ix = InteractionId("ix-1".into());
    // Event 5 is committed; the resume reads it and ends its hold before the writer has
    // delivered it.
    outbox.hold();
    outbox.send_now(frame_of(90)).expect("the resume, up to 5");
    outbox
        .release(&HashMap::from([(ix.clone(), 5)]))
        .expect("released");
    outbox
        .send_event(&Frames::new(&frame_of(105)), &ix, 5)
        .expect("dropped, not refused");
    outbox
        .send_event(&Frames::new(&frame_of(106)), &ix, 6)
        .expect("sent");
    assert_eq!(waiting(&mut pending), vec![90, 106], "5 once");
}
