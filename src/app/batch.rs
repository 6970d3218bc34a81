//! Collects frames that arrive in a burst and hands them over together, once per animation
//! frame (or after a short delay when the page is hidden and frames do not run). A frame that
//! arrives when nothing was applied for a frame's time is applied at once: a single message
//! shows without waiting for the next frame.
//!
//! An `opened` frame waits for the frame behind it (the server sends the chat's latest events
//! right after it), so a chat is built once, with its transcript, instead of empty and then again.

use parley_protocol::{InteractionId, ServerMsg};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

/// A queue of frames waiting for the next flush.
#[derive(Clone)]
pub struct Inbox {
    inner: Rc<Inner>,
}

struct Inner {
    queue: RefCell<Vec<ServerMsg>>,
    scheduled: RefCell<bool>,
    /// The chat whose `opened` frame is queued, waiting for its events.
    holding: RefCell<Option<InteractionId>>,
    /// When the last burst was applied (ms).
    last_flush: Cell<i64>,
    apply: Box<dyn Fn(Vec<ServerMsg>)>,
}

/// About one animation frame, in ms.
const FRAME_MS: i64 = 16;

fn now_ms() -> i64 {
    parley_client::time::now_ms()
}

/// Hidden pages get no animation frames; this bounds the wait there.
const FALLBACK: Duration = Duration::from_millis(100);

impl Inbox {
    /// `apply` receives each burst, in arrival order.
    pub fn new(apply: impl Fn(Vec<ServerMsg>) + 'static) -> Self {
        Self {
            inner: Rc::new(Inner {
                queue: RefCell::new(Vec::new()),
                scheduled: RefCell::new(false),
                holding: RefCell::new(None),
                last_flush: Cell::new(0),
                apply: Box::new(apply),
            }),
        }
    }

    /// Queues a frame; the first of a burst schedules the flush, or applies it at once when the
    /// page has been idle for a frame.
    pub fn push(&self, msg: ServerMsg) {
        let opened = match &msg {
            ServerMsg::Opened { interaction } => Some(interaction.id.clone()),
            _ => None,
        };
        let completes = matches!(&msg, ServerMsg::Events { interaction, .. }
            if self.inner.holding.borrow().as_ref() == Some(interaction));
        self.inner.queue.borrow_mut().push(msg);
        if let Some(id) = opened {
            // Held until its events arrive, or the fallback delay when they do not.
            *self.inner.holding.borrow_mut() = Some(id);
            let me = self.clone();
            leptos::prelude::set_timeout(move || me.flush(), FALLBACK);
            return;
        }
        if completes {
            self.flush();
            return;
        }
        if self.inner.holding.borrow().is_some() {
            return;
        }
        if self.inner.scheduled.replace(true) {
            return;
        }
        if now_ms() - self.inner.last_flush.get() > FRAME_MS {
            self.flush();
            return;
        }
        let (a, b) = (self.clone(), self.clone());
        leptos::prelude::request_animation_frame(move || a.flush_unless_holding());
        leptos::prelude::set_timeout(move || b.flush(), FALLBACK);
    }

    /// The animation frame's flush leaves a held `opened` (and what came before it) to the frame
    /// that completes it.
    fn flush_unless_holding(&self) {
        if self.inner.holding.borrow().is_none() {
            self.flush();
        }
    }

    /// Applies everything queued now.
    pub fn flush(&self) {
        self.inner.scheduled.replace(false);
        self.inner.holding.borrow_mut().take();
        self.inner.last_flush.set(now_ms());
        let burst = std::mem::take(&mut *self.inner.queue.borrow_mut());
        if !burst.is_empty() {
            (self.inner.apply)(burst);
        }
    }
}
