//! The keyboard shortcuts: which key does what, for every agent who works without the mouse.
//!
//! Every shortcut but the sheet's `?` is Alt+Shift and a letter or an arrow: single letters and
//! Shift+letters are screen readers' browse keys, Ctrl+Alt is AltGr on European keyboards (it
//! types `@` on a German one), and Chromium keeps Alt+Shift+A, I and T for itself. A shortcut
//! never types: the app takes the key. `?` opens the sheet only outside a text field, so it
//! types a `?` in the message box. Inside a CRM page's frame the keys reach the desktop only
//! while the frame has the focus, so the page's own shortcuts are untouched.

/// What a shortcut does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Accept the oldest offer.
    Accept,
    /// Reject the oldest offer.
    Reject,
    /// End the chat on screen.
    End,
    /// Mark the chat on screen done.
    Done,
    /// The next chat in the interaction bar.
    Next,
    /// The previous chat.
    Previous,
    /// The Team Communicator, for a consultation, a transfer or a conference.
    Consult,
    Transfer,
    Conference,
    /// The message box of the chat on screen.
    Message,
    /// The standard responses.
    Responses,
    /// The sheet of shortcuts.
    Help,
}

/// The shortcuts, in the sheet's order: the command, its key after Alt+Shift (`?` alone for
/// the sheet), and the catalogue key of what it does.
pub const SHORTCUTS: [(Command, &str, &str); 12] = [
    (Command::Accept, "Y", "keys.accept"),
    (Command::Reject, "N", "keys.reject"),
    (Command::Message, "M", "keys.message"),
    (Command::Responses, "R", "keys.responses"),
    (Command::Next, "↓", "keys.next"),
    (Command::Previous, "↑", "keys.previous"),
    (Command::Consult, "C", "keys.consult"),
    (Command::Transfer, "X", "keys.transfer"),
    (Command::Conference, "F", "keys.conference"),
    (Command::End, "E", "keys.end"),
    (Command::Done, "D", "keys.done"),
    (Command::Help, "?", "keys.help"),
];

/// A key pressed, as the browser tells it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Press<'a> {
    /// `KeyboardEvent.key`: what the key types in the layout in use (`"y"`, `"Y"`, `"?"`).
    pub key: &'a str,
    /// `KeyboardEvent.code`: where the key is (`"KeyY"`), for Alt+letters that type something
    /// else (macOS's Option).
    pub code: &'a str,
    pub alt: bool,
    pub shift: bool,
    pub ctrl: bool,
    pub meta: bool,
    /// The focus is in a field that takes text.
    pub typing: bool,
}

/// The command a key press is, if any.
pub fn command(press: &Press) -> Option<Command> {
    if press.ctrl || press.meta {
        return None;
    }
    if !press.alt {
        let sheet = press.key == "?" && !press.typing;
        return sheet.then_some(Command::Help);
    }
    if !press.shift {
        return None;
    }
    // The letter the key shows, else (Option on macOS types `Á`) the one where it is.
    let letter = match press.key.as_bytes() {
        [b] if b.is_ascii_alphabetic() => b.to_ascii_uppercase() as char,
        _ => press
            .code
            .strip_prefix("Key")
            .and_then(|l| l.chars().next())
            .unwrap_or_default(),
    };
    let label = match press.key {
        "ArrowDown" => "↓",
        "ArrowUp" => "↑",
        _ => &letter.to_string(),
    };
    SHORTCUTS
        .iter()
        .find(|(command, key, _)| *key == label && *command != Command::Help)
        .map(|(command, _, _)| *command)
}
