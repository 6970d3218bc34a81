//! The reader's language: which one, and its texts.
//!
//! Each app keeps one catalogue per language (`i18n/<language>.txt`: `key = text` lines, `#`
//! comments), fetched at start, only the one in use. A text names its values in braces
//! (`{name} is typing…`); a count picks its form with the browser's `Intl.PluralRules` among
//! `key.zero`, `.one`, `.two`, `.few`, `.many` and `.other`. The language is the reader's own
//! choice (kept in this browser), else the first of the browser's languages Parley speaks, else
//! English; `en-XA` is the pseudo-language the build makes from English (every text bracketed
//! and accented), for finding text that does not come from a catalogue.

use std::sync::RwLock;

/// A catalogue's texts, by key. A list searched in order: a few hundred keys, looked up as
/// views are built, cost less this way than a map's code costs the download.
pub type Texts = Vec<(String, String)>;

/// The languages Parley speaks, English first.
pub const LANGUAGES: [&str; 4] = ["en", "de", "fr", "ar"];
/// The pseudo-language.
pub const PSEUDO: &str = "en-XA";
/// Where the reader's own choice of language is kept (`localStorage`).
pub const CHOICE_KEY: &str = "parley.lang";

struct Catalogue {
    language: &'static str,
    texts: Texts,
}

/// The catalogue in use: one per page, read by every view.
static IN_USE: RwLock<Catalogue> = RwLock::new(Catalogue {
    language: "en",
    texts: Vec::new(),
});

/// The language for a reader who wants these, in order (BCP 47 tags).
pub fn choose<S: AsRef<str>>(wanted: &[S]) -> &'static str {
    for tag in wanted {
        let tag = tag.as_ref();
        if tag.eq_ignore_ascii_case(PSEUDO) {
            return PSEUDO;
        }
        // Every language here has a two-letter code: the tag's first two letters, alone.
        let (primary, rest) = tag.as_bytes().split_at(tag.len().min(2));
        if rest.first().is_none_or(|&b| b == b'-' || b == b'_') {
            if let Some(l) = LANGUAGES
                .iter()
                .find(|l| primary.eq_ignore_ascii_case(l.as_bytes()))
            {
                return l;
            }
        }
    }
    LANGUAGES[0]
}

/// A catalogue's texts. Lines starting with `#` and lines without `=` are comments or blank.
pub fn parse(catalogue: &str) -> Texts {
    let mut texts = Texts::new();
    for line in catalogue.lines() {
        if let Some((key, text)) = line.split_once('=').filter(|_| !line.starts_with('#')) {
            texts.push((key.trim().to_owned(), text.trim().to_owned()));
        }
    }
    texts
}

/// Uses these texts, of `language`, from now on.
pub fn install(language: &'static str, texts: Texts) {
    if let Ok(mut in_use) = IN_USE.write() {
        *in_use = Catalogue { language, texts };
    }
}

/// The language in use.
pub fn language() -> &'static str {
    IN_USE.read().map_or(LANGUAGES[0], |c| c.language)
}

/// The language in use as a language code (`de`); the pseudo-language's is English's.
pub fn language_code() -> &'static str {
    language().get(..2).unwrap_or(LANGUAGES[0])
}

/// Whether the language in use is written right to left.
pub fn right_to_left() -> bool {
    language() == "ar"
}

/// The text of `key`; the key itself when the catalogue lacks it (the catalogue tests keep
/// every key in every catalogue).
pub fn t(key: &str) -> String {
    lookup(key).unwrap_or_else(|| key.to_owned())
}

/// The text of `key` with its values put in (`{name}` by `("name", value)`).
pub fn tf(key: &str, values: &[(&str, &str)]) -> String {
    fill(t(key), values)
}

/// The sentence for a refusal: its reason's (`refusal.<reason>`, see `parley_protocol::Reason`)
/// where the catalogue has it, else its kind's (`refusal.<kind>`: an error code's name, or
/// `http_<status>`), else the general one.
pub fn refusal(kind: &str, reason: Option<&str>) -> String {
    let of = |k: &str| lookup(&["refusal.", k].concat());
    reason
        .and_then(of)
        .or_else(|| of(kind))
        .unwrap_or_else(|| t("refusal.general"))
}

/// The form of `key` for the count `n` (as `{n}`), as the language in use says it.
pub fn plural(key: &str, n: i64) -> String {
    let form = |category: &str| lookup(&[key, ".", category].concat());
    let text = form(&plural_category(n))
        .or_else(|| form("other"))
        .unwrap_or_else(|| key.to_owned());
    fill(text, &[("n", &n.to_string())])
}

/// The English catalogue of the code both apps share (`i18n/en.txt` beside this crate); the
/// build appends each language's to each app's own.
pub const SHARED_ENGLISH: &str = include_str!("../i18n/en.txt");

/// For the reducers' tests: English from now on, the app's texts (`app`, its `en.txt`) and the
/// shared ones, as the build puts them together.
pub fn install_english(app: &str) {
    install(LANGUAGES[0], parse(&[app, "\n", SHARED_ENGLISH].concat()));
}

fn lookup(key: &str) -> Option<String> {
    let in_use = IN_USE.read().ok()?;
    in_use
        .texts
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, t)| t.clone())
}

/// Puts the values in, in one pass: a value is never read for braces (a contact may be
/// called `{name}`), and a brace without a value stays as written.
fn fill(text: String, values: &[(&str, &str)]) -> String {
    if values.is_empty() {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        rest = &rest[open..];
        let Some(close) = rest.find('}') else {
            break;
        };
        match values.iter().find(|(name, _)| *name == &rest[1..close]) {
            Some((_, value)) => out.push_str(value),
            None => out.push_str(&rest[..=close]),
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(target_arch = "wasm32")]
mod intl {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = Intl)]
        pub type PluralRules;
        #[wasm_bindgen(constructor, js_namespace = Intl)]
        pub fn new(locale: &str) -> PluralRules;
        #[wasm_bindgen(method)]
        pub fn select(this: &PluralRules, n: f64) -> String;
    }
}

#[cfg(target_arch = "wasm32")]
fn plural_category(n: i64) -> String {
    let language = match language() {
        PSEUDO => "en",
        l => l,
    };
    intl::PluralRules::new(language).select(n as f64)
}

/// Natively (the reducers' tests) English's rule.
#[cfg(not(target_arch = "wasm32"))]
fn plural_category(n: i64) -> String {
    if n == 1 { "one" } else { "other" }.into()
}

/// The languages this reader wants, in order: their own choice, then the browser's.
#[cfg(target_arch = "wasm32")]
fn wanted() -> Vec<String> {
    let choice = crate::storage(false).and_then(|s| s.get_item(CHOICE_KEY).ok().flatten());
    let browser = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"navigator".into()).ok())
        .and_then(|n| js_sys::Reflect::get(&n, &"languages".into()).ok())
        .map(|l| {
            js_sys::Array::from(&l)
                .iter()
                .filter_map(|v| v.as_string())
                .collect()
        })
        .unwrap_or_default();
    choice.into_iter().chain::<Vec<String>>(browser).collect()
}

/// Chooses the reader's language, fetches its catalogue from `dir` (`…/i18n/`, English's if
/// that fails), and marks the page with it (`lang`, `dir`); times follow.
#[cfg(target_arch = "wasm32")]
pub async fn start(dir: &str) {
    let wanted = wanted();
    let mut language = choose(&wanted);
    for tried in [language, LANGUAGES[0]] {
        if let Some(text) = crate::http::get_text(&[dir, tried, ".txt"].concat()).await {
            language = tried;
            install(language, parse(&text));
            break;
        }
    }
    // The browser's own locale when it is in this language (`en-GB` keeps its 24-hour clock).
    let own = wanted.first().is_some_and(|w| w.starts_with(language));
    crate::time::set_locale(if own { "" } else { language });
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("lang", language);
        let _ = root.set_attribute("dir", if right_to_left() { "rtl" } else { "ltr" });
    }
}

/// Keeps `language` as this reader's own choice (in this browser) and reloads the page in it:
/// every view reads its texts once, and the apps come back where they were after a reload.
#[cfg(target_arch = "wasm32")]
pub fn switch_to(language: &str) {
    if let Some(storage) = crate::storage(false) {
        let _ = storage.set_item(CHOICE_KEY, language);
    }
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// Natively there is no page to reload.
#[cfg(not(target_arch = "wasm32"))]
pub fn switch_to(_language: &str) {}

/// Natively there is no browser: English's texts stay as the tests install them.
#[cfg(not(target_arch = "wasm32"))]
pub async fn start(_dir: &str) {}

/// The forms of a count each language has (CLDR's plural categories for whole numbers).
pub fn plural_forms(language: &str) -> &'static [&'static str] {
    match language {
        "fr" => &["one", "many", "other"],
        "ar" => &["zero", "one", "two", "few", "many", "other"],
        _ => &["one", "other"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_language_wanted_that_parley_speaks_is_chosen() {
        assert_eq!(choose(&["de-DE", "en"]), "de");
        assert_eq!(choose(&["pt-BR", "FR-ca", "de"]), "fr");
        assert_eq!(choose(&["ar_EG"]), "ar");
        assert_eq!(choose(&["en-xa"]), PSEUDO);
        assert_eq!(choose(&["ja", "zh"]), "en");
        assert_eq!(choose::<&str>(&[]), "en");
    }

    #[test]
    fn values_are_put_in_once_and_never_read_for_braces() {
        assert_eq!(
            fill(
                "{name} asks {target}".into(),
                &[("name", "{target}"), ("target", "Kate")]
            ),
            "{target} asks Kate"
        );
        assert_eq!(fill("{unknown} {".into(), &[("n", "1")]), "{unknown} {");
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn a_count_takes_its_form_and_a_missing_key_shows_itself() {
        install_english("");
        let closes = |n| plural("notice.auto_close", n);
        assert!(closes(1).ends_with("in 1 second"), "{}", closes(1));
        assert!(closes(3).ends_with("in 3 seconds"), "{}", closes(3));
        assert_eq!(plural("no.such.count", 3), "no.such.count");
        assert_eq!(tf("no.such.text", &[("n", "1")]), "no.such.text");
    }

    #[test]
    fn catalogues_read_key_equals_text_lines() {
        let texts =
            parse("# a comment\n\nchat.typing = {name} is typing…\nbroken line\nx.one = one = 1\n");
        assert_eq!(
            texts,
            [
                ("chat.typing".to_owned(), "{name} is typing…".to_owned()),
                ("x.one".to_owned(), "one = 1".to_owned())
            ],
            "only the first `=` separates"
        );
    }
}
