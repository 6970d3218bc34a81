//! Splits message text into plain text and web addresses. Only `http://` and `https://`
//! addresses become links, always shown as the real address; everything else stays text.

/// A piece of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    /// An http(s) address, exactly as written (it is both the link target and its text).
    Link(String),
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
            if !plain.is_empty() {
                out.push(Segment::Text(std::mem::take(&mut plain)));
            }
            out.push(Segment::Link(url.to_owned()));
            rest = &candidate[url.len()..];
        } else {
            plain.push_str(&candidate[..scheme_len.min(candidate.len())]);
            rest = &candidate[scheme_len.min(candidate.len())..];
        }
    }
    plain.push_str(rest);
    if !plain.is_empty() {
        out.push(Segment::Text(plain));
    }
    out
}

fn find_scheme(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    match (lower.find("http://"), lower.find("https://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether a pushed address is acceptable: http(s) with a host.
pub fn is_web_address(url: &str) -> bool {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let host = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    host.is_some_and(|h| {
        let host = h.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !url.contains(char::is_whitespace)
    })
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
    fn pushed_addresses_must_be_web_addresses() {
        assert!(is_web_address("https://example.com/help"));
        assert!(is_web_address(" http://a.b "));
        assert!(!is_web_address("javascript:alert(1)"));
        assert!(!is_web_address("https://"));
        assert!(!is_web_address("https://a b.com"));
        assert!(!is_web_address("example.com"));
    }
}
