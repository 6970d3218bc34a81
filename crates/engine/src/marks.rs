//! Characters that change how text is ordered or hide in it, made visible in what names a
//! thing: a contact's name, subject, e-mail address and case data (the server's intake and
//! [`crate::Engine`]'s case data writes), a file's name (the server's upload).
//!
//! A browser shows `invoice\u{202E}fdp.exe` as `invoiceexe.pdf`: the right-to-left override
//! turns the rest around. Names reach agents in many places (the offer,
//! tabs, the side panel, history, the API), so they are rewritten once, where they come in: each such character becomes `[U+202E]`, which reads as what it is everywhere.
//!
//! Messages are not rewritten: right-to-left writing needs its marks there, and the apps
//! isolate each message and name (`dir="auto"`) so nothing in one reorders another.
//! Zero-width joiners and non-joiners stay too: emoji sequences and Persian or Indic names
//! need them, and they neither reorder nor hide whole words.

use std::borrow::Cow;

/// Whether a character reorders text or is invisible on its own.
fn hidden(c: char) -> bool {
    matches!(c,
        // Marks and embeddings, overrides, isolates, and their ends.
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        // Zero-width space, word joiner, invisible operators, byte-order mark, Mongolian vowel
        // separator, combining grapheme joiner, soft hyphen.
        | '\u{200B}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}' | '\u{034F}' | '\u{00AD}'
        // Tag characters: invisible letters.
        | '\u{E0000}'..='\u{E007F}'
        // Variation selectors (but the emoji one, U+FE0F, which emoji need), deprecated
        // format characters, interlinear annotation marks, Hangul fillers (blank letters).
        | '\u{FE00}'..='\u{FE0E}' | '\u{E0100}'..='\u{E01EF}' | '\u{206A}'..='\u{206F}'
        | '\u{FFF9}'..='\u{FFFB}' | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}'
    )
}

/// The text with each hidden or reordering character written out as `[U+XXXX]`.
pub fn shown(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&format!("[U+{:04X}]", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn reordering_and_invisible_characters_are_written_out() {
        assert_eq!(shown("invoice\u{202E}fdp.exe"), "invoice[U+202E]fdp.exe");
        assert_eq!(shown("Ma\u{200B}rk\u{2067}"), "Ma[U+200B]rk[U+2067]");
        assert_eq!(shown("a\u{E0041}"), "a[U+E0041]");
        assert_eq!(shown("\u{3164}"), "[U+3164]");
        assert_eq!(shown("A\u{FE00}"), "A[U+FE00]");
        // Plain text, right-to-left names and joiners are left as they are.
        for kept in [
            "Mark Avram",
            "سارا احمدی",
            "می\u{200C}خواهم",
            "👩\u{200D}💻",
            "❤\u{FE0F}",
        ] {
            assert!(
                matches!(shown(kept), std::borrow::Cow::Borrowed(_)),
                "{kept}"
            );
        }
    }
}
