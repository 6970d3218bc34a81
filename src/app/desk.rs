//! The desk: the desktop's one [`DesktopState`], the socket, and the views' window on the state.
//!
//! The state is not a signal views subscribe to: every update would wake every view of the
//! desktop, and an agent with a long chat open would pay for the main bar, the tabs and every
//! panel on each message. A view asks for the part it shows with [`Desk::select`]; after each
//! update the desk computes every selected part again and only the parts that changed wake
//! their views. Changes go through [`Desk::update`] (or [`Desk::act`]), never around it.

use super::attachments::Attachments;
use crate::state::{Chat, DesktopState};
use leptos::prelude::*;
use parley_client::Socket;
use parley_protocol::{ClientMsg, InteractionId};
use std::any::Any;
use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;

/// Write access to the desktop: the state and the socket, handed out through context.
#[derive(Clone, Copy)]
pub struct Desk {
    state: StoredValue<DesktopState>,
    selectors: StoredValue<Rc<RefCell<Selectors>>, LocalStorage>,
    socket: StoredValue<Option<Socket>, LocalStorage>,
    /// Sees every frame before it goes, and may hold it (a CRM host's interceptor).
    gate: StoredValue<Option<Gate>, LocalStorage>,
    /// Files attached to chats and not sent yet.
    pub attachments: Attachments,
}

/// Takes a frame about to be sent (`true`): it goes later through [`Desk::send_past_gate`], or
/// not at all.
pub type Gate = Rc<dyn Fn(&ClientMsg) -> bool>;

/// Computes one selected part again, and tells its views when it changed.
type Refresh = Rc<dyn Fn(&DesktopState)>;

/// A selected part's value, of whatever type it was selected as.
type AnyPart = Arc<dyn PartValue>;

/// Picks a part from the state.
type Pick = Box<dyn Fn(&DesktopState) -> AnyPart>;

/// What the desk needs of a part's value: comparing it, without knowing its type.
trait PartValue: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    /// Whether `other` is a value of the same type, and equal.
    fn same(&self, other: &dyn Any) -> bool;
}

impl<T: PartialEq + Send + Sync + 'static> PartValue for T {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same(&self, other: &dyn Any) -> bool {
        other.downcast_ref::<T>() == Some(self)
    }
}

/// What runs after each update: one entry per selected part, by the number it was given.
#[derive(Default)]
struct Selectors {
    next: u64,
    list: Vec<(u64, Refresh)>,
}

impl Desk {
    /// A desk with no socket (frames are dropped), for mounting components on their own.
    pub fn detached(state: DesktopState) -> Self {
        Self {
            state: StoredValue::new(state),
            selectors: StoredValue::new_local(Rc::default()),
            socket: StoredValue::new_local(None),
            gate: StoredValue::new_local(None),
            attachments: Attachments::new(),
        }
    }

    /// Sends every frame through `socket` from now on (`None`: drops them again).
    pub fn connect(&self, socket: Option<Socket>) {
        self.socket.set_value(socket);
    }

    /// Lets `gate` see every frame before it goes (`None`: no gate).
    pub fn set_gate(&self, gate: Option<Gate>) {
        self.gate.set_value(gate);
    }

    /// Sends a frame to the server, unless the gate holds it.
    pub fn send(&self, msg: &ClientMsg) {
        let gate = self.gate.try_with_value(Option::clone).flatten();
        if gate.is_some_and(|held| held(msg)) {
            return;
        }
        self.send_past_gate(msg);
    }

    /// Sends a frame to the server; an action goes with a request id that its refusal names.
    pub fn send_past_gate(&self, msg: &ClientMsg) {
        // Frames from work that outlived the desktop (an upload, after logging out) are dropped.
        let Some(req) = self.state.try_update_value(|s| s.requests.track(msg)) else {
            return;
        };
        self.socket.try_with_value(|s| {
            if let Some(s) = s {
                s.send(msg, req)
            }
        });
    }

    /// Reads the state without subscribing to anything: for event handlers and the socket.
    pub fn with<R>(&self, f: impl FnOnce(&DesktopState) -> R) -> R {
        self.state.with_value(f)
    }

    /// Changes the state, then wakes the views whose part of it changed.
    /// Work that outlived the desktop changes nothing.
    pub fn update(&self, f: impl FnOnce(&mut DesktopState)) {
        self.state.update_value(f);
        self.publish();
    }

    /// Lets the reducer produce a frame, and sends it if it did.
    pub fn act(&self, f: impl FnOnce(&mut DesktopState) -> Option<ClientMsg>) {
        let mut msg = None;
        self.update(|s| msg = f(s));
        if let Some(msg) = msg {
            self.send(&msg);
        }
    }

    /// Sends what the state answers without changing it: nothing re-renders.
    pub fn request(&self, f: impl FnOnce(&DesktopState) -> Option<ClientMsg>) {
        if let Some(msg) = self.state.try_with_value(f).flatten() {
            self.send(&msg);
        }
    }

    /// The part of the state `f` picks, as a [`Part`] that changes only when that part does.
    /// It lives as long as the calling component.
    pub fn select<T>(&self, f: impl Fn(&DesktopState) -> T + 'static) -> Part<T>
    where
        T: PartialEq + Send + Sync + 'static,
    {
        let (value, changed) = self.add_part(Box::new(move |s| Arc::new(f(s))));
        Part {
            value,
            changed,
            kind: PhantomData,
        }
    }

    /// A part of one chat, picked by `f`; the default while the chat is not there (a window
    /// may outlive its chat by one update).
    pub fn chat_part<T>(&self, chat: StoredValue<InteractionId>, f: fn(&Chat) -> T) -> Part<T>
    where
        T: Default + PartialEq + Send + Sync + 'static,
    {
        self.select(move |s| chat.with_value(|id| s.chat(id).map(f).unwrap_or_default()))
    }

    /// Keeps a part up to date: after each update, `pick` picks it again, and the views are
    /// told when it changed. Nothing here depends on the part's type: it is built once.
    fn add_part(&self, pick: Pick) -> (StoredValue<AnyPart>, Trigger) {
        let initial = self.with(&pick);
        let value = StoredValue::new(initial.clone());
        let changed = Trigger::new();
        // What the views read, kept here too: comparing needs no lookup of the stored value.
        let current = RefCell::new(initial);
        let refresh: Refresh = Rc::new(move |s: &DesktopState| {
            let new = pick(s);
            if new.same(current.borrow().as_any()) {
                return;
            }
            *current.borrow_mut() = new.clone();
            // A view disposed in the same update may have dropped its part already.
            if value.try_set_value(new).is_none() {
                changed.notify();
            }
        });
        let id = self.selectors.with_value(|all| {
            let mut all = all.borrow_mut();
            all.next += 1;
            let id = all.next;
            all.list.push((id, refresh));
            id
        });
        let selectors = self.selectors;
        // The desk may be gone first, when the whole desktop goes.
        on_cleanup(move || {
            selectors.try_with_value(|all| all.borrow_mut().list.retain(|(i, _)| *i != id));
        });
        (value, changed)
    }

    /// How many parts the living views have selected: it falls again as views go.
    pub fn selected_parts(&self) -> usize {
        self.selectors
            .try_with_value(|s| s.borrow().list.len())
            .unwrap_or_default()
    }

    /// Computes every selected part again; those that changed wake their views (later, in the
    /// views' own tasks: nothing here re-enters the state).
    fn publish(&self) {
        // Files attached to a chat that left the desktop can no longer be sent.
        self.attachments.forget_gone(|ix| {
            self.state
                .try_with_value(|s| s.chat(ix).is_some())
                .unwrap_or(false)
        });
        let refresh: Vec<_> = self
            .selectors
            .try_with_value(|s| s.borrow().list.iter().map(|(_, f)| f.clone()).collect())
            .unwrap_or_default();
        self.state
            .try_with_value(|s| refresh.iter().for_each(|f| f(s)));
    }
}

/// A part of the state a view selected: reading it subscribes to its changes only.
pub struct Part<T> {
    /// Always a `T`. Stored without its type, so that the storage's code is built once, not
    /// once for each type of part.
    value: StoredValue<AnyPart>,
    changed: Trigger,
    kind: PhantomData<fn() -> T>,
}

impl<T> Clone for Part<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Part<T> {}

impl<T: Send + Sync + 'static> Part<T> {
    /// Reads the part and subscribes to its changes.
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        self.read(true, f)
    }

    fn read<R>(&self, track: bool, f: impl FnOnce(&T) -> R) -> R {
        match current(self.value, track.then_some(self.changed))
            .as_any()
            .downcast_ref::<T>()
        {
            Some(v) => f(v),
            None => unreachable!("a part holds the type it was selected as"),
        }
    }

    /// Subscribes to the part's changes without reading it.
    pub fn track(&self) {
        self.changed.track();
    }
}

impl<T: Clone + Send + Sync + 'static> Part<T> {
    /// A copy of the part, subscribing to its changes.
    pub fn get(&self) -> T {
        self.with(T::clone)
    }

    /// A copy of the part, without subscribing.
    pub fn get_untracked(&self) -> T {
        self.read(false, T::clone)
    }
}

impl<T: Clone + Send + Sync + 'static> From<Part<T>> for Signal<T> {
    fn from(part: Part<T>) -> Self {
        Signal::derive(move || part.get())
    }
}

impl<T: Clone + Send + Sync + 'static> From<Part<T>> for MaybeProp<T> {
    fn from(part: Part<T>) -> Self {
        Signal::<T>::from(part).into()
    }
}

/// A part's value, subscribing to `changed` if given: one function for every type of part.
#[inline(never)]
fn current(value: StoredValue<AnyPart>, changed: Option<Trigger>) -> AnyPart {
    if let Some(changed) = changed {
        changed.track();
    }
    value.get_value()
}

/// The desk of the surrounding desktop.
pub fn use_desk() -> Desk {
    expect_context::<Desk>()
}
