//! A connection's outbox: the frames waiting to be written to its socket, bounded in count and
//! in bytes. A client that does not keep up is not queued for without limit: the first frame
//! that does not fit marks the outbox overflowed, the connection's tasks see it, and the socket
//! is closed with 1013 (try again later). The apps reconnect with back-off and resume by `seq`,
//! so a slow network loses nothing and a reader that never reads costs at most the cap.
//!
//! Frames are encoded once per message and protocol version ([`Frames`]) and shared by every
//! outbox they go to.
//!
//! A hold keeps what is delivered while something is read from the store for the connection
//! (its resume at `hello`, the window of a chat just given to its agent), so that what is read
//! and what is delivered meanwhile reach the client once each and in order.

use axum::extract::ws::Utf8Bytes;
use parley_protocol::{InteractionId, Seq, ServerMsg, PROTOCOL_VERSION};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::{mpsc, watch, Notify};

/// The most chat windows a connection may have waiting to be read. An agent accepting a whole
/// queue at once is given one chat per slot of its capacity (the load benchmark's agents take
/// 101 in a burst), and each waiting window's `opened` frame counts against the byte cap too.
pub const WINDOWS: usize = 1024;

/// The close code for a client that did not keep up: it may reconnect (and resume) later.
pub const TRY_AGAIN_LATER: u16 = 1013;

/// The close code for a client whose node stops or lost what it had to deliver: it reconnects
/// (through the load balancer, to any node) and resumes.
pub const SERVICE_RESTART: u16 = 1012;

/// The close code of a socket that broke a rule it was told (it said no `hello` in time): the
/// apps do not reconnect after it.
pub const POLICY: u16 = 1008;

/// The close code of a socket whose agent session ended (logged out, or moved to another
/// window); reconnecting, it is asked to log in.
pub const SESSION_ENDED: u16 = 4401;

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
    /// Set when a contact said hello: how its frames name agents.
    contact: OnceLock<crate::alias::Aliases>,
    overflowed: AtomicBool,
    /// The close code the socket is closed with, once closing (see [`Outbox::close`]).
    close_code: AtomicU16,
    signal: watch::Sender<bool>,
    /// What is held while something is read for the connection, and the last event of each
    /// interaction queued.
    state: Mutex<State>,
    /// Chat windows the connection's task has yet to read, and its wake-up.
    windows: Mutex<VecDeque<Window>>,
    window_due: Notify,
}

/// What waits in a hold, in the order it goes.
enum Held {
    /// A frame delivered meanwhile, with the event it carries, if one.
    Frame(Option<(InteractionId, Seq)>, Utf8Bytes),
    /// The place of a chat's window, still being read.
    Window(u64),
    /// That window, read (nothing when the chat could not be read).
    Read(Option<Utf8Bytes>),
}

#[derive(Default)]
struct State {
    /// While something is read for the connection: what the writer delivered meanwhile
    /// (see [`Outbox::hold`]).
    hold: Option<Hold>,
    /// The last event of each interaction queued for the socket, by a delivery or a read. A
    /// delivery of an event at or before it is one the client has, and is dropped: a read may
    /// see an event between its commit and its delivery, and end its hold before the delivery
    /// comes (events of an interaction are delivered in `seq` order).
    sent: HashMap<InteractionId, Seq>,
}

/// What waits while one or more reads are sent (a connection's resume, the window of a chat
/// just given to its agent).
#[derive(Default)]
struct Hold {
    depth: usize,
    frames: Vec<Held>,
    /// The bytes of `frames`.
    bytes: usize,
    /// The number of the next window's place.
    next_window: u64,
}

/// A chat just given to this connection's agent: the connection's own task reads its latest
/// window ([`Outbox::next_window`]) and puts it in its place ([`Outbox::fill`]), right after
/// the chat's `opened` frame and before anything delivered after it.
#[derive(Debug)]
pub struct Window {
    place: u64,
    pub interaction: InteractionId,
    /// The last event the agent may read (`None`: all).
    pub until: Option<Seq>,
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
        contact: OnceLock::new(),
        overflowed: AtomicBool::new(false),
        close_code: AtomicU16::new(0),
        signal: watch::Sender::new(false),
        state: Mutex::new(State::default()),
        windows: Mutex::new(VecDeque::new()),
        window_due: Notify::new(),
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
        self.deliver(None, self.encode(&Frames::new(&msg)))
    }

    /// Queues a frame encoded once for many connections.
    pub fn send_frames(&self, frames: &Frames<'_>) -> Result<(), Overflow> {
        self.deliver(None, self.encode(frames))
    }

    /// Queues the frame of one event of an interaction (held frames are told apart by it).
    pub fn send_event(
        &self,
        frames: &Frames<'_>,
        interaction: &InteractionId,
        seq: Seq,
    ) -> Result<(), Overflow> {
        let event = Some((interaction.clone(), seq));
        self.deliver(event, self.encode(frames))
    }

    /// From now on, what is delivered waits, while a resume is read and sent with
    /// [`Outbox::send_now`]; [`Outbox::release`] then queues it after the resume. Nothing
    /// committed meanwhile is missed, and nothing is sent twice. Holds nest: what waits goes
    /// when the last of them is released.
    pub fn hold(&self) {
        lock(&self.shared.state)
            .hold
            .get_or_insert_with(Hold::default)
            .depth += 1;
    }

    /// A chat was given to this connection's agent: its `opened` frame is delivered like any
    /// other, then everything after it waits until the connection's task has read the chat's
    /// window and [`Outbox::fill`]ed it in. The writer never reads the store for it.
    pub fn open(
        &self,
        opened: &Frames<'_>,
        interaction: InteractionId,
        until: Option<Seq>,
    ) -> Result<(), Overflow> {
        let frame = self.encode(opened);
        let place = {
            let mut state = lock(&self.shared.state);
            let hold = state.hold.get_or_insert_with(Hold::default);
            hold.depth += 1;
            let waiting = lock(&self.shared.windows).len();
            if waiting >= WINDOWS || hold.bytes + frame.len() > self.shared.limits.bytes {
                drop(state);
                self.overflow();
                return Err(Overflow);
            }
            hold.bytes += frame.len();
            hold.frames.push(Held::Frame(None, frame));
            let place = hold.next_window;
            hold.next_window += 1;
            hold.frames.push(Held::Window(place));
            place
        };
        lock(&self.shared.windows).push_back(Window {
            place,
            interaction,
            until,
        });
        self.shared.window_due.notify_one();
        Ok(())
    }

    /// The next chat window to read for this connection (see [`Outbox::open`]).
    pub async fn next_window(&self) -> Window {
        loop {
            let due = self.shared.window_due.notified();
            if let Some(window) = lock(&self.shared.windows).pop_front() {
                return window;
            }
            due.await;
        }
    }

    /// Puts a chat's window, read, in its place (`None`: it could not be read), then ends the
    /// hold it took: what waited behind it follows, less the events the window holds.
    pub fn fill(&self, window: Window, read: Option<ServerMsg>) -> Result<(), Overflow> {
        let mut sent = HashMap::new();
        if let Some(ServerMsg::Events { events, .. }) = &read {
            if let Some(last) = events.last() {
                sent.insert(window.interaction.clone(), last.seq);
            }
        }
        let frame = read.map(|msg| self.encode(&Frames::new(&msg)));
        {
            let mut state = lock(&self.shared.state);
            let place = state.hold.as_mut().and_then(|hold| {
                hold.frames
                    .iter_mut()
                    .find(|h| matches!(h, Held::Window(p) if *p == window.place))
            });
            if let Some(place) = place {
                *place = Held::Read(frame);
            }
        }
        self.release(&sent)
    }

    /// The writer registered the connection: what is held from before this point is older
    /// than what the writer gave the connection (and its resume reads), so it goes.
    pub fn mark(&self) {
        if let Some(hold) = lock(&self.shared.state).hold.as_mut() {
            hold.frames.clear();
            hold.bytes = 0;
        }
    }

    /// Queues a frame of the resume itself, ahead of what is held.
    pub fn send_now(&self, msg: ServerMsg) -> Result<(), Overflow> {
        self.push(self.encode(&Frames::new(&msg)))
    }

    /// Ends the hold: queues what was delivered meanwhile, in order, except the events the
    /// read already sent (`sent`: the last seq sent of each interaction), which no later
    /// delivery sends again either.
    pub fn release(&self, sent: &HashMap<InteractionId, Seq>) -> Result<(), Overflow> {
        // Flushed under the lock: a delivery meanwhile waits, and cannot overtake what was held.
        let mut state = lock(&self.shared.state);
        for (ix, seq) in sent {
            let last = state.sent.entry(ix.clone()).or_default();
            *last = (*last).max(*seq);
        }
        let Some(hold) = state.hold.as_mut() else {
            return Ok(());
        };
        hold.depth = hold.depth.saturating_sub(1);
        if hold.depth > 0 {
            return Ok(());
        }
        let frames = state.hold.take().map(|h| h.frames).unwrap_or_default();
        for held in frames {
            match held {
                Held::Frame(event, frame) => {
                    if state.fresh(event) {
                        self.push(frame)?;
                    }
                }
                Held::Read(Some(frame)) => self.push(frame)?,
                Held::Read(None) | Held::Window(_) => {}
            }
        }
        Ok(())
    }

    fn deliver(
        &self,
        event: Option<(InteractionId, Seq)>,
        frame: Utf8Bytes,
    ) -> Result<(), Overflow> {
        let mut state = lock(&self.shared.state);
        if let Some(hold) = state.hold.as_mut() {
            // Held frames count against the cap like queued ones.
            if hold.bytes + frame.len() > self.shared.limits.bytes {
                drop(state);
                self.overflow();
                return Err(Overflow);
            }
            hold.bytes += frame.len();
            hold.frames.push(Held::Frame(event, frame));
            return Ok(());
        }
        if state.fresh(event) {
            self.push(frame)?;
        }
        Ok(())
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
        self.close(TRY_AGAIN_LATER);
    }

    /// Closes the connection with this code: nothing more is queued, the writer stops and
    /// sends the close frame. The first close wins.
    pub fn close(&self, code: u16) {
        if !self.shared.overflowed.swap(true, Ordering::AcqRel) {
            self.shared.close_code.store(code, Ordering::Release);
            self.shared.signal.send_replace(true);
        }
    }

    /// The connection is a contact's: from now on its frames call agents by their aliases.
    pub fn set_contact(&self, aliases: crate::alias::Aliases) {
        let _ = self.shared.contact.set(aliases);
    }

    /// A message's frame as this connection reads it: its version, and a contact's aliases.
    fn encode(&self, frames: &Frames<'_>) -> Utf8Bytes {
        match self.shared.contact.get() {
            Some(aliases) => frames.for_contact(self.version(), aliases),
            None => frames.for_version(self.version()),
        }
    }

    /// Remembers the version the client said hello with.
    pub fn set_version(&self, v: u32) {
        self.shared.version.store(v, Ordering::Release);
    }

    pub fn version(&self) -> u32 {
        self.shared.version.load(Ordering::Acquire)
    }

    /// The code the socket is closed with, once closing.
    pub fn close_code(&self) -> Option<u16> {
        self.shared.close_code()
    }

    /// Whether the connection is closing (a frame did not fit, or it was closed).
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
        self.close_code() == Some(TRY_AGAIN_LATER)
    }

    /// The code to close the socket with, once the outbox is closing.
    pub fn close_code(&self) -> Option<u16> {
        self.shared.close_code()
    }

    /// Resolves when the outbox overflows: a write in progress gives way to the close.
    pub async fn closed(&self) {
        let mut closing = self.shared.signal.subscribe();
        let _ = closing.wait_for(|overflowed| *overflowed).await;
    }
}

impl State {
    /// Whether a frame's event (if it carries one) is newer than what was queued of its
    /// interaction; it counts as queued from now on.
    fn fresh(&mut self, event: Option<(InteractionId, Seq)>) -> bool {
        let Some((ix, seq)) = event else {
            return true;
        };
        match self.sent.get_mut(&ix) {
            Some(last) if seq <= *last => false,
            Some(last) => {
                *last = seq;
                true
            }
            None => {
                self.sent.insert(ix, seq);
                true
            }
        }
    }
}

impl Shared {
    fn close_code(&self) -> Option<u16> {
        match self.close_code.load(Ordering::Acquire) {
            0 => None,
            code => Some(code),
        }
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

impl Frames<'_> {
    /// The frame as a contact of protocol `v` reads it, agents called by their aliases. Not
    /// kept: a chat has one contact, so no other connection would share it.
    pub fn for_contact(&self, v: u32, aliases: &crate::alias::Aliases) -> Utf8Bytes {
        let msg = self
            .msg
            .clone()
            .for_contact(|ix, agent| aliases.of(ix, agent));
        Utf8Bytes::from(msg.for_version(v).to_frame())
    }
}

#[cfg(test)]
mod tests;
