//! The desktop's catalogues: every key in every language with the forms and values English has,
//! and every key the code names in them.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

/// The Rust files under `dir`.
fn sources(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

#[test]
fn every_language_has_every_text_and_every_key_the_code_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    files.push(root.join("crates/client/src/lines.rs"));
    files.push(root.join("crates/client/src/rich.rs"));
    files.push(root.join("crates/client/src/http.rs"));
    let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (named, problems) = parley_client::catalogues::check(&root.join("i18n"), &files);
    assert!(named > 150, "the scan finds the keys ({named})");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Refusals come as a code and, where it says too little, a reason: the desktop says each in
/// its own words, never the general sentence.
#[test]
fn every_refusal_the_server_can_send_has_its_sentence() {
    use parley_client::i18n::{refusal, t};
    use parley_protocol::{ErrorCode, Reason};
    parley_client::i18n::install_english(include_str!("../i18n/en.txt"));
    let general = t("refusal.general");
    for code in ErrorCode::ALL {
        let said = refusal(code.as_str(), None);
        assert_ne!(said, general, "{code:?}");
        for reason in Reason::ALL {
            let because = refusal(code.as_str(), Some(reason.key()));
            assert!(because != said && because != general, "{reason:?}");
        }
    }
    // What the HTTP API answers with.
    assert_eq!(
        parley_client::catalogues::unsaid_statuses(),
        Vec::<u16>::new()
    );
    assert_eq!(refusal("http_418", Some("no_such_reason")), general);
}
