//! How the widget was opened: as a page of its own at `/chat/`, or inside a website through
//! `embed.js`, which passes the queue in the query (`?embedded=1&queue=billing`) and the
//! visitor's journey in the fragment (`#journey=<JSON>`).
//!
//! The address never carries a chat's session: anyone can put anything into a link, and a
//! session taken from one would put the visitor into someone else's chat. A framed widget gets
//! the chat's handle from the host page by `postMessage` instead, and exchanges it with the
//! server for a token of its own.

use parley_protocol::VISIT_KEY;
use std::collections::BTreeMap;

/// What the page's address says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Embed {
    /// Inside a website's iframe.
    pub embedded: bool,
    /// The origin of the page that frames the widget, as `embed.js` gives it: messages (the
    /// session above all) are posted to exactly this origin, so the browser delivers them only
    /// if the frame's parent really is that page.
    pub host: Option<String>,
    pub queue: Option<String>,
    /// The journey as `embed.js` recorded it (JSON); the server checks it and keeps only
    /// well-formed web pages.
    pub journey: Option<String>,
    /// The visitor's identity as the site signed it (`data-identity`, a JWT): the server
    /// checks the signature, so a link cannot forge one.
    pub identity: Option<String>,
}

impl Embed {
    /// Reads `location.search` and `location.hash`.
    pub fn from_location(search: &str, hash: &str) -> Self {
        let query = pairs(search.strip_prefix('?').unwrap_or(search));
        let fragment = pairs(hash.strip_prefix('#').unwrap_or(hash));
        let get = |list: &[(String, String)], key: &str| {
            list.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
        };
        Self {
            embedded: get(&query, "embedded").as_deref() == Some("1"),
            host: get(&query, "host").filter(|h| is_origin(h)),
            queue: get(&query, "queue")
                .map(|q| q.trim().to_owned())
                .filter(|q| !q.is_empty() && q.len() <= 100),
            journey: get(&fragment, "journey").filter(|j| !j.is_empty()),
            identity: get(&fragment, "identity").filter(|t| !t.is_empty() && t.len() <= 4096),
        }
    }

    /// Case data for the new chat: the journey, when there is one.
    pub fn case_data(&self) -> BTreeMap<String, String> {
        self.journey
            .iter()
            .map(|j| (VISIT_KEY.to_owned(), j.clone()))
            .collect()
    }
}

/// `http(s)://host[:port]`, nothing after it.
fn is_origin(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && r.len() <= 253
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
    })
}

fn pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// `application/x-www-form-urlencoded` and `encodeURIComponent` decoding; bad escapes are kept
/// as they are, bad UTF-8 is replaced.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embed_address_gives_the_queue_and_the_journey() {
        let journey =
            r#"[{"title":"Pricing & plans","url":"https://shop.example/pricing","at":5}]"#;
        let hash = format!(
            "#journey={}",
            journey
                .replace('%', "%25")
                .replace('&', "%26")
                .replace(' ', "%20")
        );
        let e = Embed::from_location(
            "?embedded=1&queue=billing",
            &format!("{hash}&session=%7B%22token%22%3A%22t%22%7D"),
        );
        // A session in the address is ignored: `Embed` has no place for one.
        assert_eq!(
            e,
            Embed::from_location("?embedded=1&queue=billing", &hash),
            "a session in the address changes nothing"
        );
        assert!(e.embedded);
        assert_eq!(e.queue.as_deref(), Some("billing"));
        assert_eq!(e.host, None, "no host given: nothing is posted to anyone");
        let framed =
            |host: &str| Embed::from_location(&format!("?embedded=1&host={host}"), "").host;
        assert_eq!(
            framed("https%3A%2F%2Fshop.example.com").as_deref(),
            Some("https://shop.example.com")
        );
        assert_eq!(
            framed("http%3A%2F%2F127.0.0.2%3A8081").as_deref(),
            Some("http://127.0.0.2:8081")
        );
        for wrong in [
            "*",
            "https%3A%2F%2Fshop.example.com%2Fpage",
            "javascript%3Aalert(1)",
            "",
        ] {
            assert_eq!(framed(wrong), None, "{wrong}");
        }
        assert_eq!(e.identity, None);
        // The site's signed identity travels in the fragment too; the server checks it.
        let signed = Embed::from_location("", "#journey=%5B%5D&identity=eyJh.eyJz.c2ln");
        assert_eq!(signed.identity.as_deref(), Some("eyJh.eyJz.c2ln"));
        let huge = format!("#identity={}", "x".repeat(5000));
        assert_eq!(Embed::from_location("", &huge).identity, None);
        // Passed on as recorded: the server is where it is checked.
        assert_eq!(e.journey.as_deref(), Some(journey));
        assert_eq!(
            e.case_data().get(VISIT_KEY).map(String::as_str),
            Some(journey)
        );

        // The full page: nothing of the kind.
        let page = Embed::from_location("", "");
        assert_eq!(page, Embed::default());
        assert!(page.case_data().is_empty());
        // Junk is not trusted: a bad escape stays as it is, `embedded` is only `1`, and a
        // journey that is not JSON is passed on for the server to drop.
        let junk = Embed::from_location("?queue=%zz&embedded=yes", "#journey=%5Bnot json");
        assert_eq!(junk.queue.as_deref(), Some("%zz"));
        assert!(!junk.embedded);
        assert_eq!(junk.journey.as_deref(), Some("[not json"));
        assert_eq!(Embed::from_location("", "#journey=").journey, None);
        assert_eq!(decode("a+b%20c%"), "a b c%");
        assert_eq!(decode("%E2%82%AC%4"), "€%4");
    }
}
