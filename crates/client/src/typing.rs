//! When to tell the other side that someone is typing: at once when typing starts, then at
//! most every [`EVERY_MS`] while the text changes (with the text so far, for the agent's
//! preview), and once when the input is emptied or the message is sent. The input calls
//! [`TypingNotice::input`] on every change and once more [`EVERY_MS`] later, so the last text
//! always goes out.

/// The least time between two typing notices while typing goes on.
pub const EVERY_MS: i64 = 400;

/// The typing state of one input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypingNotice {
    typing: bool,
    last_sent: i64,
    /// The text of the last notice, so an unchanged input sends nothing.
    last_text: String,
}

impl TypingNotice {
    /// The input now holds `text` at `now` (ms): `Some((typing, preview))` when a notice is due.
    pub fn input(&mut self, text: &str, now: i64) -> Option<(bool, Option<String>)> {
        let typing = !text.trim().is_empty();
        let changed = text != self.last_text;
        if typing != self.typing || (typing && changed && now - self.last_sent >= EVERY_MS) {
            self.typing = typing;
            self.last_sent = now;
            self.last_text = text.to_owned();
            return Some((typing, typing.then(|| text.to_owned())));
        }
        None
    }

    /// The message went out: typing stopped (no notice needed, the message says it all).
    pub fn sent(&mut self) {
        self.typing = false;
        self.last_text.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_start_at_once_then_come_at_most_every_interval_and_stop_when_emptied() {
        let mut t = TypingNotice::default();
        assert_eq!(t.input("h", 1_000), Some((true, Some("h".into()))));
        assert_eq!(t.input("he", 1_100), None);
        assert_eq!(t.input("hel", 1_400), Some((true, Some("hel".into()))));
        assert_eq!(
            t.input("hel", 1_600),
            None,
            "the later check sends nothing new"
        );
        assert_eq!(t.input("hell", 1_700), None);
        assert_eq!(
            t.input("hell", 1_850),
            Some((true, Some("hell".into()))),
            "the later check sends the last text"
        );
        assert_eq!(t.input("", 1_450), Some((false, None)));
        assert_eq!(t.input("", 2_000), None);
        assert_eq!(t.input("  ", 2_100), None, "blank is not typing");
        assert_eq!(t.input("x", 2_150), Some((true, Some("x".into()))));
        t.sent();
        assert_eq!(
            t.input("y", 2_200),
            Some((true, Some("y".into()))),
            "a new message starts afresh"
        );
    }
}
