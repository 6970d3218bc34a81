//! A connection's outbox: the frames waiting to be written to its socket, bounded in count and
//! in bytes. A client that does not keep up is not queued for without limit: the first frame
//! that does not fit marks the outbox overflowed, the connection's tasks see it, and the socket
//! is closed with 1013 (try again later). The apps reconnect with back-off and resume by `seq`,
//! so a slow network loses nothing and a reader that never reads costs at most the cap.
//!
//! Frames are encoded once per message and protocol version ([`Frames`]) and shared by every
//! outbox they go to.

use axum::extract::ws::Utf8Bytes;
use parley_protocol::{InteractionId, Seq, ServerMsg, PROTOCOL_VERSION};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::{mpsc, watch};

/// How much one connection may have waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub frames: usize,
    pub bytes: usize,
}

impl Default for Limits {
    /// 1 MiB: a few screenfuls of history pages, far more than a live chat has in flight.
    fn default() -> Self {
        Self {
            frames: 4096,
            bytes: 1 << 20,
        }
    }
}

/// The first frame that did not fit: the connection is being closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the connection's outbox is full")]
pub struct Overflow;

struct Shared {
    limits: Limits,
    /// Bytes of the frames waiting.
    queued: AtomicUsize,
    /// The most that ever waited (tests and metrics).
    peak: AtomicUsize,
    /// The protocol version the client said hello with.
    version: AtomicU32,
    overflowed: AtomicBool,
    signal: watch::Sender<bool>,
    /// While a connection resumes: what the writer delivered meanwhile, with the event each
    /// frame carries, if one (see [`Outbox::hold`]).
    held: Mutex<Option<Hold>>,
}

/// A frame delivered while the connection resumed, with the event it carries, if one.
type Held = (Option<(InteractionId, Seq)>, Utf8Bytes);

/// What waits while one or more resumes are read (a connection's hello, a chat just given to
/// its agent): the frames, and the last event each resume sent per interaction.
#[derive(Default)]
struct Hold {
    depth: usize,
    frames: Vec<Held>,
    /// The bytes of `frames`.
    bytes: usize,
    sent: HashMap<InteractionId, Seq>,
}

/// The sending side, held by the hub (cheap to clone).
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Utf8Bytes>,
    shared: Arc<Shared>,
}

/// The writing side, held by the connection's writer task.
pub struct Pending {
    rx: mpsc::Receiver<Utf8Bytes>,
    shared: Arc<Shared>,
    closing: watch::Receiver<bool>,
}

/// An empty outbox with these limits.
pub fn channel(limits: Limits) -> (Outbox, Pending) {
    let (tx, rx) = mpsc::channel(limits.frames.max(1));
    let shared = Arc::new(Shared {
        limits,
        queued: AtomicUsize::new(0),
        peak: AtomicUsize::new(0),
        version: AtomicU32::new(PROTOCOL_VERSION),
        overflowed: AtomicBool::new(false),
        signal: watch::Sender::new(false),
        held: Mutex::new(None),
    });
    (
        Outbox {
            tx,
            shared: shared.clone(),
        },
        Pending {
            rx,
            closing: shared.signal.subscribe(),
            shared,
        },
    )
}

impl Outbox {
    /// Encodes the message for this connection's protocol version and queues it.
    pub fn send(&self, msg: ServerMsg) -> Result<(), Overflow> {
        self.deliver(None, Frames::new(&msg).for_version(self.version()))
    }

    /// Queues a frame encoded once for many connections.
    pub fn send_frames(&self, frames: &Frames<'_>) -> Result<(), Overflow> {
        self.deliver(None, frames.for_version(self.version()))
    }

    /// Queues the frame of one event of an interaction (held frames are told apart by it).
    pub fn send_event(
        &self,
        frames: &Frames<'_>,
        interaction: &InteractionId,
        seq: Seq,
    ) -> Result<(), Overflow> {
        let event = Some((interaction.clone(), seq));
        self.deliver(event, frames.for_version(self.version()))
    }

    /// From now on, what is delivered waits, while a resume is read and sent with
    /// [`Outbox::send_now`]; [`Outbox::release`] then queues it after the resume. Nothing
    /// committed meanwhile is missed, and nothing is sent twice. Holds nest: what waits goes
    /// when the last of them is released.
    pub fn hold(&self) {
        lock(&self.shared.held)
            .get_or_insert_with(Hold::default)
            .depth += 1;
    }

    /// Queues a frame of the resume itself, ahead of what is held.
    pub fn send_now(&self, msg: ServerMsg) -> Result<(), Overflow> {
        self.push(Frames::new(&msg).for_version(self.version()))
    }

    /// Ends the hold: queues what was delivered meanwhile, in order, except the events the
    /// resume already sent (`sent`: the last seq sent of each interaction).
    pub fn release(&self, sent: &HashMap<InteractionId, Seq>) -> Result<(), Overflow> {
        // Flushed under the lock: a delivery meanwhile waits, and cannot overtake what was held.
        let mut held = lock(&self.shared.held);
        let Some(hold) = held.as_mut() else {
            return Ok(());
        };
        for (ix, seq) in sent {
            let last = hold.sent.entry(ix.clone()).or_default();
            *last = (*last).max(*seq);
        }
        hold.depth = hold.depth.saturating_sub(1);
        if hold.depth > 0 {
            return Ok(());
        }
        let Hold { frames, sent, .. } = held.take().unwrap_or_default();
        for (event, frame) in frames {
            let already = event
                .as_ref()
                .is_some_and(|(ix, seq)| sent.get(ix).is_some_and(|last| seq <= last));
            if !already {
                self.push(frame)?;
            }
        }
        Ok(())
    }

    fn deliver(
        &self,
        event: Option<(InteractionId, Seq)>,
        frame: Utf8Bytes,
    ) -> Result<(), Overflow> {
        {
            let mut held = lock(&self.shared.held);
            if let Some(hold) = held.as_mut() {
                // Held frames count against the cap like queued ones.
                if hold.bytes + frame.len() > self.shared.limits.bytes {
                    drop(held);
                    self.overflow();
                    return Err(Overflow);
                }
                hold.bytes += frame.len();
                hold.frames.push((event, frame));
                return Ok(());
            }
        }
        self.push(frame)
    }

    fn push(&self, frame: Utf8Bytes) -> Result<(), Overflow> {
        let shared = &self.shared;
        if shared.overflowed.load(Ordering::Acquire) {
            return Err(Overflow);
        }
        let len = frame.len();
        let before = shared.queued.fetch_add(len, Ordering::AcqRel);
        // A frame larger than the cap still goes when nothing waits before it: a long
        // transcript must not close its connection on every reconnect.
        let fits = before == 0 || before + len <= shared.limits.bytes;
        if !fits || self.tx.try_send(frame).is_err() {
            shared.queued.fetch_sub(len, Ordering::AcqRel);
            self.overflow();
            return Err(Overflow);
        }
        shared.peak.fetch_max(before + len, Ordering::AcqRel);
        Ok(())
    }

    fn overflow(&self) {
        if !self.shared.overflowed.swap(true, Ordering::AcqRel) {
            self.shared.signal.send_replace(true);
        }
    }

    /// Remembers the version the client said hello with.
    pub fn set_version(&self, v: u32) {
        self.shared.version.store(v, Ordering::Release);
    }

    pub fn version(&self) -> u32 {
        self.shared.version.load(Ordering::Acquire)
    }

    /// Whether a frame did not fit and the connection is closing.
    pub fn overflowed(&self) -> bool {
        self.shared.overflowed.load(Ordering::Acquire)
    }

    /// The most bytes that ever waited at once.
    pub fn peak_bytes(&self) -> usize {
        self.shared.peak.load(Ordering::Acquire)
    }

    /// Resolves when the outbox overflows (for the connection's reader loop).
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.shared.signal.subscribe()
    }
}

impl Pending {
    /// The next frame to write; `None` once the outbox overflowed (the socket must then be
    /// closed with 1013) or every sender is gone.
    pub async fn next(&mut self) -> Option<Utf8Bytes> {
        if *self.closing.borrow_and_update() {
            return None;
        }
        tokio::select! {
            biased;
            _ = self.closing.changed() => None,
            frame = self.rx.recv() => {
                let frame = frame?;
                self.shared.queued.fetch_sub(frame.len(), Ordering::AcqRel);
                Some(frame)
            }
        }
    }

    /// Whether the outbox overflowed.
    pub fn overflowed(&self) -> bool {
        self.shared.overflowed.load(Ordering::Acquire)
    }

    /// Resolves when the outbox overflows: a write in progress gives way to the close.
    pub async fn closed(&self) {
        let mut closing = self.shared.signal.subscribe();
        let _ = closing.wait_for(|overflowed| *overflowed).await;
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One message's frame text, encoded at most once per protocol version.
pub struct Frames<'a> {
    msg: &'a ServerMsg,
    current: OnceLock<Utf8Bytes>,
    previous: OnceLock<Utf8Bytes>,
}

impl<'a> Frames<'a> {
    pub fn new(msg: &'a ServerMsg) -> Self {
        Self {
            msg,
            current: OnceLock::new(),
            previous: OnceLock::new(),
        }
    }

    /// The frame as a client of protocol `v` reads it.
    pub fn for_version(&self, v: u32) -> Utf8Bytes {
        if v >= PROTOCOL_VERSION {
            let encode = || Utf8Bytes::from(self.msg.to_frame());
            self.current.get_or_init(encode).clone()
        } else {
            // Only an older client's frame needs the message rewritten, so only it is copied.
            let encode = || Utf8Bytes::from(self.msg.clone().for_version(v).to_frame());
            self.previous.get_or_init(encode).clone()
        }
    }
}

#[cfg(test)]
mod tests {
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
}
