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

/// What the HTTP API refuses a contact is said in the widget's words: every status it answers
/// and every reason an upload is refused for, never the general sentence.
#[test]
fn every_refusal_a_contact_can_meet_has_its_sentence() {
    use parley_client::i18n::{refusal, t};
    use parley_protocol::Reason;
    parley_client::i18n::install_english(include_str!("../i18n/en.txt"));
    let general = t("refusal.general");
    assert_eq!(
        parley_client::catalogues::unsaid_statuses(),
        Vec::<u16>::new()
    );
    assert_eq!(
        refusal("http_401", None),
        "This chat session has ended: start a new chat."
    );
    let uploads = [
        Reason::FileEmpty,
        Reason::FileTooLarge,
        Reason::FileType,
        Reason::FileMislabelled,
        Reason::FileMarkup,
    ];
    for reason in uploads {
        let said = refusal("http_415", Some(reason.key()));
        assert!(
            said != general && said != refusal("http_415", None),
            "{reason:?}"
        );
    }
}
