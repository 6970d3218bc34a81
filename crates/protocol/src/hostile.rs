//! Text that breaks code which slices strings by byte offset, for property tests (feature
//! `proptest`, native dev-dependencies only: the browser apps never build it).
//!
//! Plain `any::<String>()` almost never produces the characters that matter here, so the
//! strategies mix arbitrary characters with the ones people and keyboards really type: every
//! Unicode whitespace (a French keyboard puts U+00A0 before `!`), combining marks, emoji joined
//! with ZWJ, bidi controls, and the ASCII that the parsers look for (`#`, `**`, `[`, `](`,
//! `http://`).

use proptest::prelude::*;

/// Every character `char::is_whitespace` accepts, most of them wider than one byte.
pub const WHITESPACE: &[&str] = &[
    "\t", "\n", "\u{b}", "\u{c}", "\r", " ", "\u{85}", "\u{a0}", "\u{1680}", "\u{2000}",
    "\u{2001}", "\u{2002}", "\u{2003}", "\u{2004}", "\u{2005}", "\u{2006}", "\u{2007}", "\u{2008}",
    "\u{2009}", "\u{200a}", "\u{2028}", "\u{2029}", "\u{202f}", "\u{205f}", "\u{3000}",
];

/// Combining marks, ZWJ emoji, flags, bidi controls and other multi-byte pieces.
pub const WIDE: &[&str] = &[
    "e\u{301}",
    "\u{301}",
    "\u{20dd}",
    "\u{200d}",
    "👩\u{200d}💻",
    "👨\u{200d}👩\u{200d}👧",
    "🇫🇷",
    "\u{200e}",
    "\u{200f}",
    "\u{202a}",
    "\u{202b}",
    "\u{202c}",
    "\u{202d}",
    "\u{202e}",
    "\u{2066}",
    "\u{2067}",
    "\u{2068}",
    "\u{2069}",
    "\u{feff}",
    "\u{fffd}",
    "é",
    "ß",
    "ﬁ",
    "İ",
    "日本",
    "𝔘",
    "\u{0}",
];

/// The ASCII the desktop's and widget's parsers react to.
pub const SYNTAX: &[&str] = &[
    "#",
    "#hi",
    "##",
    "**",
    "*",
    "- ",
    "* ",
    "1. ",
    "[",
    "]",
    "](",
    "(",
    ")",
    "![",
    "!",
    "?",
    ":",
    ";",
    ".",
    ",",
    "\"",
    "'",
    "<",
    ">",
    "`",
    "/",
    "http://",
    "https://",
    "HTTPS://",
    "http://x.org",
    "https://a.b/c?d",
    "{",
    "}",
    "\\",
    "\\u",
    "\"seq\"",
    "0",
    "-1",
    "1e999",
];

/// One piece of hostile text.
pub fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(WHITESPACE).prop_map(str::to_owned),
        3 => prop::sample::select(WIDE).prop_map(str::to_owned),
        3 => prop::sample::select(SYNTAX).prop_map(str::to_owned),
        2 => "[a-z]{1,6}",
        2 => any::<char>().prop_map(String::from),
    ]
}

/// Text of up to `max` pieces.
pub fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..=max).prop_map(|p| p.concat())
}

/// How many cases a property test runs. A failure prints its smallest input, which then becomes
/// a plain test beside the property: nothing is written into the source tree.
pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}
