//! Checks of the apps' catalogues, for their native tests: every key in every language with
//! the forms and values English has, and every key the code names in English's.

use crate::i18n::{parse, plural_forms, Texts, LANGUAGES};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// A language's catalogue as the build serves it: the app's (in `app`, an `i18n` folder)
/// followed by the shared one (this crate's `i18n`).
pub fn served(app: &Path, language: &str) -> Result<String, String> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("i18n");
    let file = format!("{language}.txt");
    Ok([read(&app.join(&file))?, read(&shared.join(&file))?].join("\n"))
}

/// Everything wrong with an app's catalogues (in `app`) and the code that reads them (the
/// Rust files `sources`), and how many keys the code names.
pub fn check(app: &Path, sources: &[&Path]) -> (usize, Vec<String>) {
    let mut found = Vec::new();
    let english = match served(app, LANGUAGES[0]) {
        Ok(english) => english,
        Err(e) => return (0, vec![e]),
    };
    for language in &LANGUAGES[1..] {
        match served(app, language) {
            Ok(theirs) => found.extend(problems(&english, language, &theirs)),
            Err(e) => found.push(e),
        }
    }
    // Each catalogue is in a language the app speaks; none other lies beside them.
    let files = std::fs::read_dir(app).map_or(0, |d| d.count());
    if files != LANGUAGES.len() {
        found.push(format!(
            "{}: {files} files, not one per language",
            app.display()
        ));
    }
    let english = parse(&english);
    let prefixes: BTreeSet<&str> = english
        .iter()
        .filter_map(|(k, _)| k.split('.').next())
        .collect();
    let mut named = 0;
    for file in sources {
        let source = match read(file) {
            Ok(source) => source,
            Err(e) => {
                found.push(e);
                continue;
            }
        };
        for key in keys_named_in(&source, &prefixes) {
            named += 1;
            let known = english
                .iter()
                .any(|(k, _)| *k == key || *k == format!("{key}.other"));
            if !known {
                found.push(format!("{}: {key} is not in en.txt", file.display()));
            }
        }
    }
    (named, found)
}

/// The HTTP statuses the server's API refuses a request with, each said by the apps as
/// `refusal.http_<status>`.
pub const REFUSED_STATUSES: [u16; 12] =
    [400, 401, 403, 404, 410, 413, 415, 421, 429, 500, 503, 507];

/// The statuses of [`REFUSED_STATUSES`] the catalogue in use says no better than its general
/// sentence (none, when every one has a sentence of its own).
pub fn unsaid_statuses() -> Vec<u16> {
    let general = crate::i18n::t("refusal.general");
    REFUSED_STATUSES
        .into_iter()
        .filter(|status| crate::i18n::refusal(&format!("http_{status}"), None) == general)
        .collect()
}

/// File names the code writes, which look like keys (`"card.png"`).
const FILE_ENDINGS: [&str; 8] = ["png", "jpg", "pdf", "txt", "json", "js", "css", "html"];

/// The string literals in `source` that look like keys: lowercase words joined by dots, the
/// first one a catalogue's (`"chat.send"`, not `"en.txt"` nor `"card.png"`).
fn keys_named_in(source: &str, prefixes: &BTreeSet<&str>) -> Vec<String> {
    source
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            let mut words = s.split('.');
            let first = words.next().unwrap_or_default();
            s.contains('.')
                && prefixes.contains(first)
                && !FILE_ENDINGS.contains(&s.rsplit('.').next().unwrap_or_default())
                && s.split('.').all(|w| {
                    !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                })
        })
        .map(str::to_owned)
        .collect()
}

/// What is wrong with `language`'s catalogue beside English's: keys missing or unknown, a
/// count without exactly the forms its language has, values (`{name}`) not the same.
/// Empty when nothing is. For the apps' catalogue tests.
pub fn problems(english: &str, language: &str, catalogue: &str) -> Vec<String> {
    let values = |t: &str| -> BTreeSet<String> {
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
    let (english, theirs) = (parse(english), parse(catalogue));
    let group = |texts: &Texts| {
        let mut by: BTreeMap<String, (Vec<String>, BTreeSet<String>)> = BTreeMap::new();
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
    fn keys_are_the_literals_shaped_like_the_catalogues_keys() {
        let prefixes = BTreeSet::from(["chat", "line"]);
        let source = r#"t("chat.send"); tf("line.joined", &[("name", n)]); "en.txt"; "chat.png"; "chat"; "chat.Send"; "x.y""#;
        assert_eq!(
            keys_named_in(source, &prefixes),
            ["chat.send", "line.joined"]
        );
    }
}
