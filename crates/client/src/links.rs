//! Splits message text into plain text and addresses people can follow: web addresses (only
//! `http://` and `https://`), e-mail addresses and phone numbers. Each link shows the real
//! address as written; everything else stays text.

/// A piece of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    /// An http(s) address, exactly as written (it is both the link target and its text).
    Link(String),
    /// An e-mail address, as written (the link is `mailto:` it).
    Email(String),
    /// A phone number, as written (the link is `tel:` its digits, with a leading `+`).
    Phone(String),
}

impl Segment {
    /// Where the link goes, for the pieces that are links.
    pub fn href(&self) -> Option<String> {
        match self {
            Segment::Text(_) => None,
            Segment::Link(url) => Some(url.clone()),
            Segment::Email(address) => Some(["mailto:", address].concat()),
            Segment::Phone(number) => Some(
                number
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .fold(String::from("tel:"), |mut tel, c| {
                        tel.push(c);
                        tel
                    }),
            ),
        }
    }
}

/// Characters never part of an address as people paste them.
const STOP: &[char] = &['"', '<', '>', '`', '\''];

/// Characters that end a sentence rather than an address when they come last.
const TRAILING: &[char] = &['.', ',', ';', ':', '!', '?', ')', ']', '}', '\'', '"', '>'];

/// The text split into plain runs and http(s) links.
pub fn segments(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    // Plain runs are searched for e-mail addresses and phone numbers as they are closed.
    let close = |plain: &mut String, out: &mut Vec<Segment>| {
        if !plain.is_empty() {
            others(&std::mem::take(plain), out);
        }
    };
    while let Some(at) = find_scheme(rest) {
        plain.push_str(&rest[..at]);
        let candidate = &rest[at..];
        let end = candidate
            .find(|c: char| c.is_whitespace() || STOP.contains(&c))
            .unwrap_or(candidate.len());
        let url = candidate[..end].trim_end_matches(TRAILING);
        // `find_scheme` matches in any case: so must the length of what it found.
        let scheme_len = if url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        {
            8
        } else {
            7
        };
        if url.len() > scheme_len && is_web_address(url) {
            close(&mut plain, &mut out);
            out.push(Segment::Link(url.to_owned()));
            rest = &candidate[url.len()..];
        } else {
            plain.push_str(&candidate[..scheme_len.min(candidate.len())]);
            rest = &candidate[scheme_len.min(candidate.len())..];
        }
    }
    plain.push_str(rest);
    close(&mut plain, &mut out);
    out
}

// E-mail addresses and phone numbers are read as bytes: every character either can hold is
// ASCII, so each cut falls between characters, and the scanner stays small (the same in
// `char`s with `str` patterns and Unicode classes cost the widget 1.8 KB brotli more).

/// Bytes of an e-mail address's local part, as people write them.
fn local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// Bytes of a domain name (letters, digits, hyphens and dots).
fn domain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.')
}

/// A domain of at least two labels, each of letters, digits and inner hyphens, the last of
/// two letters or more.
fn is_domain(domain: &[u8]) -> bool {
    let mut labels = 0;
    let mut top_level = false;
    for label in domain.split(|&b| b == b'.') {
        match (label.first(), label.last()) {
            (Some(b'-'), _) | (_, Some(b'-')) | (None, _) => return false,
            _ if label.len() > 63 => return false,
            _ => {}
        }
        labels += 1;
        top_level = label.len() >= 2 && label.iter().all(u8::is_ascii_alphabetic);
    }
    labels >= 2 && top_level
}

/// The e-mail address around the `@` at `at`: its start and end.
fn email_at(text: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut start = at;
    while start > 0 && local_byte(text[start - 1]) {
        start -= 1;
    }
    let mut end = at + 1;
    while end < text.len() && domain_byte(text[end]) {
        end += 1;
    }
    // A sentence's full stop or a dash after the address is not part of it.
    while end > at + 1 && matches!(text[end - 1], b'.' | b'-') {
        end -= 1;
    }
    let local = &text[start..at];
    let ok = matches!((local.first(), local.last()), (Some(&f), Some(&l)) if f != b'.' && l != b'.')
        && !local.windows(2).any(|w| w == b"..");
    (ok && is_domain(&text[at + 1..end])).then_some((start, end))
}

/// The phone number starting at `start` (a digit, `+` or `(`): its end. Seven to fifteen digits
/// (E.164's most) separated by single spaces, hyphens, dots, slashes or parentheses; a date
/// (4-2-2, 2-2-4, 1-1-4 digits) or a plain run of under ten digits is no number.
fn phone_at(text: &[u8], start: usize) -> Option<usize> {
    let mut end = start + usize::from(text[start] == b'+');
    let mut last = b'+';
    while let Some(&c) = text.get(end) {
        let part = c.is_ascii_digit() || matches!(c, b' ' | b'-' | b'.' | b'(' | b')' | b'/');
        if !part || (c == b' ' && last == b' ') {
            break;
        }
        end += 1;
        last = c;
    }
    while end > start && !(text[end - 1].is_ascii_digit() || text[end - 1] == b')') {
        end -= 1;
    }
    if text
        .get(end)
        .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'@')
    {
        return None;
    }
    let (mut digits, mut run, mut groups, mut shape, mut open) = (0, 0, 0, [0; 3], 0i32);
    for &c in text[start..end].iter().chain([b' '].iter()) {
        if c.is_ascii_digit() {
            digits += 1;
            run += 1;
            continue;
        }
        if run > 0 {
            if let Some(slot) = shape.get_mut(groups) {
                *slot = run;
            }
            groups += 1;
            run = 0;
        }
        open += i32::from(c == b'(') - i32::from(c == b')');
    }
    let date = groups == 3 && matches!(shape, [4, 2, 2] | [2, 2, 4] | [1 | 2, 1 | 2, 4]);
    let plausible = (7..=15).contains(&digits)
        && !date
        && (text[start] == b'+' || groups > 1 || digits >= 10)
        && open == 0;
    plausible.then_some(end)
}

/// Splits a run of plain text into text, e-mail addresses and phone numbers.
fn others(text: &str, out: &mut Vec<Segment>) {
    let bytes = text.as_bytes();
    let mut plain_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let prev = i.checked_sub(1).map(|p| bytes[p]);
        let found = match c {
            b'@' => email_at(bytes, i)
                .filter(|&(s, _)| s >= plain_from)
                .map(|(s, e)| (s, e, Segment::Email(text[s..e].to_owned()))),
            b'0'..=b'9' | b'+' | b'('
                if !prev.is_some_and(|p| {
                    p.is_ascii_alphanumeric()
                        || matches!(p, b'+' | b'-' | b'.' | b'/' | b'@' | b'_')
                }) =>
            {
                phone_at(bytes, i).map(|e| (i, e, Segment::Phone(text[i..e].to_owned())))
            }
            _ => None,
        };
        match found {
            Some((s, e, segment)) => {
                if s > plain_from {
                    out.push(Segment::Text(text[plain_from..s].to_owned()));
                }
                out.push(segment);
                plain_from = e;
                i = e;
            }
            None => i += 1,
        }
    }
    if plain_from < text.len() {
        out.push(Segment::Text(text[plain_from..].to_owned()));
    }
}

/// Where the first `http://` or `https://` (in any case) starts.
fn find_scheme(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len()).find(|&i| {
        let rest = &bytes[i..];
        let starts = |prefix: &[u8]| {
            rest.get(..prefix.len())
                .is_some_and(|r| r.eq_ignore_ascii_case(prefix))
        };
        starts(b"http://") || starts(b"https://")
    })
}

/// Whether a pushed address is acceptable: http(s) with a host.
pub fn is_web_address(url: &str) -> bool {
    let url = url.trim();
    let bytes = url.as_bytes();
    let starts = |prefix: &[u8]| {
        bytes
            .get(..prefix.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(prefix))
    };
    let scheme = if starts(b"https://") {
        8
    } else if starts(b"http://") {
        7
    } else {
        return false;
    };
    let host = bytes[scheme..]
        .split(|&b| matches!(b, b'/' | b'?' | b'#'))
        .next();
    host.is_some_and(|h| !h.is_empty()) && !url.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(s: &str) -> Segment {
        Segment::Link(s.into())
    }
    fn text(s: &str) -> Segment {
        Segment::Text(s.into())
    }

    #[test]
    fn only_http_and_https_addresses_become_links_with_their_real_text() {
        assert_eq!(
            segments("see https://example.com/a?b=1."),
            vec![text("see "), link("https://example.com/a?b=1"), text(".")]
        );
        assert_eq!(
            segments("(http://x.org) and HTTPS://Y.org/p"),
            vec![
                text("("),
                link("http://x.org"),
                text(") and "),
                link("HTTPS://Y.org/p")
            ]
        );
        assert_eq!(
            segments("javascript:alert(1) ftp://x data:text/html,<b>"),
            vec![text("javascript:alert(1) ftp://x data:text/html,<b>")]
        );
        assert_eq!(
            segments("just http:// nothing"),
            vec![text("just http:// nothing")]
        );
        assert_eq!(segments("HTTPS:// Http://"), vec![text("HTTPS:// Http://")]);
        assert_eq!(
            segments("http://#x"),
            vec![text("http://#x")],
            "no host, no link"
        );
        assert_eq!(segments(""), Vec::<Segment>::new());
        assert_eq!(
            segments("<a href=\"https://evil.example\">bank</a>"),
            vec![
                text("<a href=\""),
                link("https://evil.example"),
                text("\">bank</a>")
            ]
        );
    }

    #[test]
    fn e_mail_addresses_and_phone_numbers_become_links_showing_what_was_written() {
        let email = |s: &str| Segment::Email(s.into());
        let phone = |s: &str| Segment::Phone(s.into());
        assert_eq!(
            segments("write to Ana.Pop+orders@mail.example.com."),
            vec![
                text("write to "),
                email("Ana.Pop+orders@mail.example.com"),
                text(".")
            ]
        );
        assert_eq!(
            segments("call +44 20 7946 0958 or (555) 123-4567, not 2026-11-30"),
            vec![
                text("call "),
                phone("+44 20 7946 0958"),
                text(" or "),
                phone("(555) 123-4567"),
                text(", not 2026-11-30")
            ]
        );
        assert_eq!(
            phone("+44 20 7946 0958").href().as_deref(),
            Some("tel:+442079460958")
        );
        assert_eq!(email("a@b.io").href().as_deref(), Some("mailto:a@b.io"));
        // Not addresses or numbers: no domain, a bare user, order numbers, times, amounts,
        // versions, dates, digits inside words or links.
        for plain in [
            "me@localhost",
            "@kate",
            "a@b.c",
            "order 123456",
            "at 10:30",
            "costs 1,299.00",
            "v1.2.3",
            "30.11.2026",
            "11/30/2026",
            "abc5551234567",
            "user@@example.com",
        ] {
            assert!(
                segments(plain)
                    .iter()
                    .all(|s| matches!(s, Segment::Text(_))),
                "{plain}: {:?}",
                segments(plain)
            );
        }
        assert_eq!(segments("5551234567"), vec![phone("5551234567")]);
        assert_eq!(
            segments("see https://x.org/a@b.com?tel=5551234567"),
            vec![text("see "), link("https://x.org/a@b.com?tel=5551234567")]
        );
    }

    #[test]
    fn pushed_addresses_must_be_web_addresses() {
        assert!(is_web_address("https://example.com/help"));
        assert!(is_web_address(" http://a.b "));
        assert!(!is_web_address("javascript:alert(1)"));
        assert!(!is_web_address("https://"));
        assert!(!is_web_address("https://a b.com"));
        assert!(!is_web_address("example.com"));
    }
}
