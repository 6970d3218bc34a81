//! The visitor's journey: the pages a contact viewed on the host website before the chat, as
//! the embed script records them. It travels as one case data value ([`VISIT_KEY`], JSON) and
//! the desktop shows it in the Visit panel.

use crate::ids::Millis;
use serde::{Deserialize, Serialize};

/// The case data key holding the journey.
pub const VISIT_KEY: &str = "Visitor journey";

/// At most this many pages are kept (the latest).
pub const MAX_VISITS: usize = 10;

/// One page view on the host website.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    pub title: String,
    pub url: String,
    /// When the page was viewed (ms since the epoch).
    pub at: Millis,
}

fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Reads a journey from untrusted JSON: anything malformed is dropped, fields are shortened, and
/// only http(s) addresses are kept. `None` when nothing usable remains.
pub fn parse_journey(json: &str) -> Option<Vec<Visit>> {
    read_journey(&serde_json::from_str(json).ok()?)
}

/// Reads a journey already parsed as JSON (as [`parse_journey`] does): the desktop parses with
/// the browser's own `JSON.parse` and carries no JSON text parser.
pub fn read_journey(json: &serde_json::Value) -> Option<Vec<Visit>> {
    let visit = |v: &serde_json::Value| {
        Some(Visit {
            title: v.get("title")?.as_str()?.to_owned(),
            url: v.get("url")?.as_str()?.to_owned(),
            at: v.get("at")?.as_i64()?,
        })
    };
    let visits: Vec<Visit> = json
        .as_array()?
        .iter()
        .filter_map(visit)
        .filter(|v| v.url.starts_with("http://") || v.url.starts_with("https://"))
        .map(|v| Visit {
            title: cut(v.title.trim(), 120),
            url: cut(&v.url, 300),
            at: v.at,
        })
        .collect();
    let skip = visits.len().saturating_sub(MAX_VISITS);
    let visits: Vec<Visit> = visits.into_iter().skip(skip).collect();
    (!visits.is_empty()).then_some(visits)
}

/// The case data value for a journey.
pub fn journey_value(visits: &[Visit]) -> String {
    serde_json::to_string(visits).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journey_keeps_only_well_formed_web_pages_and_the_latest_ten() {
        assert_eq!(parse_journey("not json"), None);
        assert_eq!(parse_journey("{}"), None);
        assert_eq!(parse_journey("[]"), None);
        let json = r#"[
            {"title":"Home","url":"https://shop.example/","at":1},
            {"title":"Bad","url":"javascript:alert(1)","at":2},
            {"title":42,"url":"https://shop.example/x","at":3},
            {"title":"  Pricing  ","url":"https://shop.example/pricing","at":4}
        ]"#;
        let visits = parse_journey(json).expect("two pages");
        assert_eq!(
            visits,
            [
                Visit {
                    title: "Home".into(),
                    url: "https://shop.example/".into(),
                    at: 1
                },
                Visit {
                    title: "Pricing".into(),
                    url: "https://shop.example/pricing".into(),
                    at: 4
                },
            ]
        );
        assert_eq!(parse_journey(&journey_value(&visits)), Some(visits));

        let many: Vec<Visit> = (0..25)
            .map(|i| Visit {
                title: "x".repeat(500),
                url: format!("https://shop.example/{i}"),
                at: i,
            })
            .collect();
        let kept = parse_journey(&journey_value(&many)).unwrap();
        assert_eq!(kept.len(), MAX_VISITS);
        assert_eq!(kept[0].at, 15, "the latest pages are kept");
        assert_eq!(kept[0].title.chars().count(), 120);
    }
}
