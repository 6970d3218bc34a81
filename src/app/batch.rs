//! Collects frames that arrive in a burst and hands them over together, once per animation
//! frame (or after a short delay when the page is hidden and frames do not run).

use parley_protocol::ServerMsg;
use std::cell::RefCell;
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
    apply: Box<dyn Fn(Vec<ServerMsg>)>,
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
                apply: Box::new(apply),
            }),
        }
    }

    /// Queues a frame; the first of a burst schedules the flush.
    pub fn push(&self, msg: ServerMsg) {
        self.inner.queue.borrow_mut().push(msg);
        if self.inner.scheduled.replace(true) {
            return;
        }
        let (a, b) = (self.clone(), self.clone());
        leptos::prelude::request_animation_frame(move || a.flush());
        leptos::prelude::set_timeout(move || b.flush(), FALLBACK);
    }

    /// Applies everything queued now.
    pub fn flush(&self) {
        self.inner.scheduled.replace(false);
        let burst = std::mem::take(&mut *self.inner.queue.borrow_mut());
        if !burst.is_empty() {
            (self.inner.apply)(burst);
        }
    }
}
