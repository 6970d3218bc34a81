//! The widget's catalogues: every key in every language with the forms and values English has,
//! and every key the code asks for in them.
#![cfg(not(target_arch = "wasm32"))]

use parley_client::i18n::{parse, problems, LANGUAGES};
use std::path::Path;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_language_has_every_text_english_has() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("i18n");
    let english = read(&dir.join("en.txt"));
    let mut found = Vec::new();
    for language in &LANGUAGES[1..] {
        found.extend(problems(
            &english,
            language,
            &read(&dir.join(format!("{language}.txt"))),
        ));
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
    // Each catalogue is in the languages the widget speaks; none other lies beside them.
    let files = std::fs::read_dir(&dir).expect("i18n").count();
    assert_eq!(files, LANGUAGES.len());
}

/// The keys the code names literally (`t("…")`, `tf(`, `tf_or(`, `plural(`, `plural_or(`,
/// the key on the same line or the next).
fn keys_named_in(source: &str) -> Vec<String> {
    let mut keys = Vec::new();
    // `("key", "English")` pairs choose a key with its English beside it.
    for call in [
        "t(",
        "tf(",
        "tf_or(",
        "say(",
        "say_count(",
        "plural(",
        "plural_or(",
        "(",
    ] {
        for (i, _) in source.match_indices(call) {
            let before = source[..i].chars().next_back();
            if call != "(" && before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = source[i + call.len()..].trim_start();
            let Some(key) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) else {
                continue;
            };
            let pair = rest[key.len() + 2..].trim_start().starts_with(',');
            let key_like = key.contains('.')
                && key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_');
            if call != "(" || (pair && key_like) {
                keys.push(key.to_owned());
            }
        }
    }
    keys
}

#[test]
fn every_key_the_code_names_is_in_the_catalogue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let english = parse(&read(&root.join("i18n/en.txt")));
    let sources = [
        "src/lib.rs",
        "src/state.rs",
        "src/embed.rs",
        "../client/src/lines.rs",
        "../client/src/rich.rs",
    ];
    let mut missing = Vec::new();
    let mut named = 0;
    for file in sources {
        for key in keys_named_in(&read(&root.join(file))) {
            named += 1;
            let known = english
                .iter()
                .any(|(k, _)| *k == key || *k == format!("{key}.other"));
            if !known {
                missing.push(format!("{file}: {key}"));
            }
        }
    }
    assert!(named > 40, "the scan finds the keys ({named})");
    assert!(
        missing.is_empty(),
        "not in i18n/en.txt:\n{}",
        missing.join("\n")
    );
}
