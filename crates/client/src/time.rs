//! Times as the reader's locale writes them, through the browser's `Intl`: the locale's clock
//! (12- or 24-hour), its month names and its words for "today" and "yesterday"; and the local
//! day of a time, for the transcript's day separators.
//!
//! The browser knows every locale's rules, so none of them is in the download (the hand-made
//! English formatting and chrono, which it replaced, were). Natively (the reducers' tests) there
//! is no browser: the clock is the system's, days are UTC days and times read like ISO 8601.

use std::cell::RefCell;

/// A day, in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// Offsets are looked up once per quarter of an hour: every time zone's changes fall on one.
const OFFSET_SPAN_MS: i64 = 15 * 60 * 1000;

thread_local! {
    /// The locale times are written in (a BCP 47 tag; empty: the browser's own), and its
    /// formatters once made.
    static LOCALE: RefCell<(String, Option<Formats>)> = const { RefCell::new((String::new(), None)) };
    /// The quarter hour last converted and the browser's offset from UTC in it (ms): asking
    /// the browser for every line of a long transcript is most of what its days cost.
    static OFFSET: std::cell::Cell<Option<(i64, i64)>> = const { std::cell::Cell::new(None) };
}

/// Writes times in `tag` from now on (the app's language when it is not the browser's; empty:
/// the browser's own locale, so `en-GB` keeps its 24-hour clock).
pub fn set_locale(tag: &str) {
    LOCALE.with(|l| *l.borrow_mut() = (tag.to_owned(), None));
}

/// The locale times are written in.
pub fn locale() -> String {
    LOCALE.with(|l| l.borrow().0.clone())
}

/// The wall clock, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    return js_sys::Date::now() as i64;
    #[cfg(not(target_arch = "wasm32"))]
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The browser's offset from UTC at `at`, in ms (east positive).
fn offset_ms(at: i64) -> i64 {
    let span = at.div_euclid(OFFSET_SPAN_MS);
    OFFSET.with(|cell| match cell.get() {
        Some((s, offset)) if s == span => offset,
        _ => {
            #[cfg(target_arch = "wasm32")]
            let offset =
                -(js_sys::Date::new(&(at as f64).into()).get_timezone_offset() as i64) * 60_000;
            #[cfg(not(target_arch = "wasm32"))]
            let offset = 0;
            cell.set(Some((span, offset)));
            offset
        }
    })
}

/// The day `at` falls on in the browser's time zone, counted from 1 January 1970.
pub fn local_day(at: i64) -> i64 {
    (at + offset_ms(at)).div_euclid(DAY_MS)
}

/// An event's time, like "1:50:43 PM" or "13:50:43".
pub fn clock(at: i64) -> String {
    format(at, Kind::Clock)
}

/// A day and time, like "November 29, 1:50 PM" or "29. November um 13:50".
pub fn day_and_time(at: i64) -> String {
    format(at, Kind::DayAndTime)
}

/// A day as a separator shows it: "Today", "Yesterday", "November 29" (with the year when not
/// this year's), in the locale's words.
pub fn day_label(at: i64, now: i64) -> String {
    let ago = local_day(now) - local_day(at);
    let label = match ago {
        0 | 1 => format(-ago, Kind::DaysAgo),
        _ if year(at) == year(now) => format(at, Kind::Day),
        _ => format(at, Kind::DayOfYear),
    };
    // "today" begins a line: capitalised where the script has capitals a byte can say.
    let mut chars = label.chars();
    match chars.next() {
        Some(first) if first.is_ascii_lowercase() => {
            first.to_ascii_uppercase().to_string() + chars.as_str()
        }
        _ => label,
    }
}

/// The year `at` falls in, near enough for "is it this year" (a day's error at the turn of a
/// year only ever adds the year to a date).
fn year(at: i64) -> i64 {
    (local_day(at) * 4 + 2) / 1461
}

#[derive(Clone, Copy)]
enum Kind {
    Clock,
    DayAndTime,
    Day,
    DayOfYear,
    /// Days before today (0 or 1), said relatively.
    DaysAgo,
}

#[cfg(target_arch = "wasm32")]
mod intl {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = Intl)]
        pub type DateTimeFormat;
        #[wasm_bindgen(constructor, js_namespace = Intl)]
        pub fn new(locale: &JsValue, options: &JsValue) -> DateTimeFormat;
        #[wasm_bindgen(method)]
        pub fn format(this: &DateTimeFormat, at: f64) -> String;

        #[wasm_bindgen(js_namespace = Intl)]
        pub type RelativeTimeFormat;
        #[wasm_bindgen(constructor, js_namespace = Intl)]
        pub fn new(locale: &JsValue, options: &JsValue) -> RelativeTimeFormat;
        #[wasm_bindgen(method, js_name = format)]
        pub fn format_days(this: &RelativeTimeFormat, n: f64, unit: &str) -> String;
    }

    /// An options object from its JSON.
    pub fn options(json: &str) -> JsValue {
        js_sys::JSON::parse(json).unwrap_or(JsValue::UNDEFINED)
    }
}

/// The formatters of one locale, made the first time each is needed.
#[derive(Default)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Formats {
    #[cfg(target_arch = "wasm32")]
    made: Vec<(u8, JsFormat)>,
}

#[cfg(target_arch = "wasm32")]
enum JsFormat {
    Date(intl::DateTimeFormat),
    Relative(intl::RelativeTimeFormat),
}

#[cfg(target_arch = "wasm32")]
fn format(at: i64, kind: Kind) -> String {
    LOCALE.with(|l| {
        let (tag, formats) = &mut *l.borrow_mut();
        let tag = match tag.as_str() {
            "" => wasm_bindgen::JsValue::UNDEFINED,
            tag => tag.into(),
        };
        let tag = &tag;
        let made = &mut formats.get_or_insert_with(Formats::default).made;
        let index = match made.iter().position(|(k, _)| *k == kind as u8) {
            Some(i) => i,
            None => {
                let date =
                    |json| JsFormat::Date(intl::DateTimeFormat::new(tag, &intl::options(json)));
                let format = match kind {
                    Kind::Clock => {
                        date(r#"{"hour":"numeric","minute":"2-digit","second":"2-digit"}"#)
                    }
                    Kind::DayAndTime => date(
                        r#"{"month":"long","day":"numeric","hour":"numeric","minute":"2-digit"}"#,
                    ),
                    Kind::Day => date(r#"{"month":"long","day":"numeric"}"#),
                    Kind::DayOfYear => date(r#"{"year":"numeric","month":"long","day":"numeric"}"#),
                    Kind::DaysAgo => JsFormat::Relative(intl::RelativeTimeFormat::new(
                        tag,
                        &intl::options(r#"{"numeric":"auto"}"#),
                    )),
                };
                made.push((kind as u8, format));
                made.len() - 1
            }
        };
        match &made[index].1 {
            JsFormat::Date(f) => f.format(at as f64),
            JsFormat::Relative(f) => f.format_days(at as f64, "day"),
        }
    })
}

#[cfg(not(target_arch = "wasm32"))]
fn format(at: i64, kind: Kind) -> String {
    let (day, ms) = (at.div_euclid(DAY_MS), at.rem_euclid(DAY_MS) / 1000);
    let (h, m, s) = (ms / 3600, ms / 60 % 60, ms % 60);
    match kind {
        Kind::Clock => format!("{h:02}:{m:02}:{s:02}"),
        Kind::DayAndTime => format!("day {day} {h:02}:{m:02}"),
        Kind::Day | Kind::DayOfYear => format!("day {day}"),
        Kind::DaysAgo if at == 0 => "today".into(),
        Kind::DaysAgo => "yesterday".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_counted_in_the_readers_zone_and_labelled_relatively_when_near() {
        let now = 1_700_000_000_000;
        assert_eq!(local_day(now), now / DAY_MS);
        assert_eq!(day_label(now, now), "Today");
        assert_eq!(day_label(now - DAY_MS, now), "Yesterday");
        assert_eq!(
            day_label(now - 5 * DAY_MS, now),
            format!("Day {}", now / DAY_MS - 5)
        );
        assert_eq!(year(0), 0);
        assert_eq!(year(365 * DAY_MS - 1), 0);
        assert_eq!(year(366 * DAY_MS), 1);
        // 2024 is a leap year: its 31 December is still 2024.
        let last_of_2024 = 20_088 * DAY_MS;
        assert_eq!(year(last_of_2024), 54);
        assert_eq!(year(last_of_2024 + DAY_MS), 55);
    }
}
