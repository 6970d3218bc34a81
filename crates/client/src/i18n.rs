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

/// The text of `key`, or `fallback` (English, in the code) while an app has no catalogue of
/// its own for it; values put in either way.
pub fn tf_or(key: &str, fallback: &str, values: &[(&str, &str)]) -> String {
    fill(lookup(key).unwrap_or_else(|| fallback.to_owned()), values)
}

/// Text shared code shows in both apps: the catalogue's (the `catalogue` feature: an app that
/// has one), else the English written beside the key. The desktop's texts are not in
/// catalogues yet, and without the feature it carries none of the lookup code (800 bytes).
pub fn say(key: &str, english: &str, values: &[(&str, &str)]) -> String {
    #[cfg(feature = "catalogue")]
    return tf_or(key, english, values);
    #[cfg(not(feature = "catalogue"))]
    {
        let _ = key;
        fill(english.to_owned(), values)
    }
}

/// [`say`] for a count: `english` is the text for this `n`, already written.
pub fn say_count(key: &str, n: i64, english: &str) -> String {
    #[cfg(feature = "catalogue")]
    return plural_or(key, n, english);
    #[cfg(not(feature = "catalogue"))]
    {
        let _ = (key, n);
        english.to_owned()
    }
}

/// The form of `key` for the count `n` (as `{n}`), as the language in use says it.
pub fn plural(key: &str, n: i64) -> String {
    plural_or(key, n, key)
}

/// [`plural`], or `fallback` (with `{n}`) while an app has no catalogue of its own for it.
pub fn plural_or(key: &str, n: i64, fallback: &str) -> String {
    let form = |category: &str| lookup(&[key, ".", category].concat());
    let text = form(&plural_category(n))
        .or_else(|| form("other"))
        .unwrap_or_else(|| fallback.to_owned());
    fill(text, &[("n", &n.to_string())])
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

/// What is wrong with `language`'s catalogue beside English's: keys missing or unknown, a
/// count without exactly the forms its language has, values (`{name}`) not the same.
/// Empty when nothing is. For the apps' catalogue tests.
#[cfg(not(target_arch = "wasm32"))]
pub fn problems(english: &str, language: &str, catalogue: &str) -> Vec<String> {
    let values = |t: &str| -> std::collections::BTreeSet<String> {
        t.split('{')
            .skip(1)
            .filter_map(|v| v.split_once('}'))
            .map(|(v, _)| v.to_owned())
            .collect()
    };
    // Counts are compared by their key without the form.
    let base = |key: &str| -> (String, Option<String>) {
        match key.rsplit_once('.') {
            Some((b, form)) if plural_forms("ar").contains(&form) => {
                (b.to_owned(), Some(form.to_owned()))
            }
            _ => (key.to_owned(), None),
        }
    };
    use std::collections::BTreeMap;
    let (english, theirs) = (parse(english), parse(catalogue));
    let group = |texts: &Texts| {
        let mut by: BTreeMap<String, (Vec<String>, std::collections::BTreeSet<String>)> =
            BTreeMap::new();
        for (key, text) in texts {
            let (b, form) = base(key);
            let entry = by.entry(b).or_default();
            entry.0.extend(form);
            entry.1.extend(values(text));
        }
        by
    };
    let (ours, theirs) = (group(&english), group(&theirs));
    let mut problems = Vec::new();
    for (key, (forms, vals)) in &ours {
        let Some((their_forms, their_vals)) = theirs.get(key) else {
            problems.push(format!("{language}: {key} is missing"));
            continue;
        };
        if !forms.is_empty() {
            let mut want: Vec<&str> = plural_forms(language).to_vec();
            want.sort_unstable();
            let mut have: Vec<&str> = their_forms.iter().map(String::as_str).collect();
            have.sort_unstable();
            if want != have {
                problems.push(format!(
                    "{language}: {key} has the forms {have:?}, not {want:?}"
                ));
            }
        }
        // A form may leave the count out ("two seconds"), never name another value.
        if !their_vals.is_subset(vals) || (forms.is_empty() && their_vals != vals) {
            problems.push(format!(
                "{language}: {key} has the values {their_vals:?}, not {vals:?}"
            ));
        }
    }
    for key in theirs.keys().filter(|k| !ours.contains_key(*k)) {
        problems.push(format!("{language}: {key} is not in English's catalogue"));
    }
    problems
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
        assert_eq!(plural_or("missing", 3, "in {n} seconds"), "in 3 seconds");
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn a_catalogue_missing_a_key_a_form_or_a_value_is_found_out() {
        let english = "a = A {name}\nn.one = {n} second\nn.other = {n} seconds\n";
        assert!(problems(
            english,
            "de",
            "a = B {name}\nn.one = {n} s\nn.other = {n} s\n"
        )
        .is_empty());
        let found = problems(
            english,
            "fr",
            "a = B {nom}\nn.one = x\nn.other = {n} s\nz = ?\n",
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("a has the values"));
        assert!(
            found[1].contains("n has the forms"),
            "French has `many` too"
        );
        assert!(found[2].contains("z is not in English"));
        assert_eq!(
            problems(english, "de", "a = B {name}\n"),
            ["de: n is missing"]
        );
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
