//! The widget's catalogues: every key in every language with the forms and values English has,
//! and every key the code names in them.
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

#[test]
fn every_language_has_every_text_and_every_key_the_code_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = [
        "src/lib.rs",
        "src/state.rs",
        "src/embed.rs",
        "../client/src/lines.rs",
        "../client/src/rich.rs",
        "../client/src/http.rs",
    ]
    .map(|f| root.join(f));
    let sources: Vec<&Path> = sources.iter().map(|p| p.as_path()).collect();
    let (named, problems) = parley_client::catalogues::check(&root.join("i18n"), &sources);
    assert!(named > 40, "the scan finds the keys ({named})");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
