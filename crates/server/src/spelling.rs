//! The spelling check behind the desktop's confirmation ("Send with possible spelling
//! mistakes?"). Browsers do not let a page ask their own spell checker, so the server checks,
//! with the Hunspell dictionaries of Debian's `hunspell-*` packages read by `spellbook`, in the
//! chat's language, plus the deployment's own words (product names). A language without a
//! dictionary is not checked. Each dictionary is read once, when first asked for, off the
//! async threads (German's takes about a second).

use parley_engine::config::SpellingConfig;
use spellbook::Dictionary;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// The most words of one message looked up; the rest are not.
const MAX_WORDS: usize = 500;
/// The most unknown words named back.
pub const MAX_UNKNOWN: usize = 20;

type Loaded = Arc<OnceCell<Option<Arc<Dictionary>>>>;

/// The dictionaries, read as they are asked for, and the deployment's words.
pub struct Spelling {
    dir: PathBuf,
    /// The deployment's words, lowercased.
    words: BTreeSet<String>,
    /// One cell per language code asked for (two or three letters: bounded), holding its
    /// dictionary or that it has none.
    loaded: Mutex<HashMap<String, Loaded>>,
}

impl Spelling {
    pub fn new(config: &SpellingConfig) -> Self {
        Self {
            dir: config.dictionaries.clone(),
            words: config.words.iter().map(|w| w.to_lowercase()).collect(),
            loaded: Mutex::default(),
        }
    }

    /// The words of `text` that `language`'s dictionary does not know, each once, at most
    /// [`MAX_UNKNOWN`]; `None` when there is no dictionary for `language`.
    pub async fn unknown(&self, language: &str, text: &str) -> Option<Vec<String>> {
        let dictionary = self.dictionary(language).await?;
        let mut unknown: Vec<String> = Vec::new();
        for word in words(text).take(MAX_WORDS) {
            let known = self.words.contains(&word.to_lowercase())
                || dictionary.check(word)
                || unknown.iter().any(|u| u == word);
            if !known {
                unknown.push(word.to_owned());
                if unknown.len() == MAX_UNKNOWN {
                    break;
                }
            }
        }
        Some(unknown)
    }

    /// `language`'s dictionary, read the first time it is asked for.
    async fn dictionary(&self, language: &str) -> Option<Arc<Dictionary>> {
        if !parley_protocol::is_language_code(language) {
            return None;
        }
        let cell = {
            let mut loaded = self.loaded.lock().ok()?;
            loaded.entry(language.to_owned()).or_default().clone()
        };
        let (dir, language) = (self.dir.clone(), language.to_owned());
        let load = || async move {
            // The folder is read, like the files, off the async threads, once per language.
            let read = move || -> Result<Option<Dictionary>, String> {
                let Some((aff, dic)) = files(&dir, &language) else {
                    return Ok(None);
                };
                let text = |p: &Path| {
                    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
                };
                Dictionary::new(&text(&aff)?, &text(&dic)?)
                    .map(Some)
                    .map_err(|e| format!("{}: {e}", aff.display()))
            };
            match tokio::task::spawn_blocking(read).await {
                Ok(Ok(dictionary)) => dictionary.map(Arc::new),
                Ok(Err(e)) => {
                    tracing::error!("the spelling dictionary could not be read: {e}");
                    None
                }
                Err(_) => None,
            }
        };
        cell.get_or_init(load).await.clone()
    }
}

/// The dictionary files of a language (`en`: `en_US.aff` and `.dic`, else `en.aff`, else the
/// first `en_*.aff`); `None` for anything but two or three lowercase letters, or no files.
fn files(dir: &Path, language: &str) -> Option<(PathBuf, PathBuf)> {
    if !parley_protocol::is_language_code(language) {
        return None;
    }
    let region = format!("{language}_{}", language.to_uppercase());
    let mut names = vec![region, language.to_owned()];
    if let Ok(entries) = std::fs::read_dir(dir) {
        let prefix = format!("{language}_");
        let mut others: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| n.strip_suffix(".aff").map(str::to_owned))
            .filter(|n| n.starts_with(&prefix))
            .collect();
        others.sort();
        names.extend(others);
    }
    names.into_iter().find_map(|name| {
        let (aff, dic) = (
            dir.join(format!("{name}.aff")),
            dir.join(format!("{name}.dic")),
        );
        (aff.is_file() && dic.is_file()).then_some((aff, dic))
    })
}

/// The words of a message worth checking: runs of letters (an apostrophe inside one belongs to
/// it: `don't`), leaving out what is not prose: web and e-mail addresses, `#keywords`, anything
/// with a digit, abbreviations in capitals, single letters.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
        .filter(|token| {
            !(token.contains("://")
                || token.contains('@')
                || token.starts_with('#')
                || token.starts_with("www.")
                || token.chars().any(|c| c.is_ascii_digit()))
        })
        .flat_map(|token| token.split(|c: char| !(c.is_alphabetic() || c == '\'' || c == '’')))
        .map(|word| word.trim_matches(|c| c == '\'' || c == '’'))
        .filter(|word| {
            let letters = word.chars().filter(|c| c.is_alphabetic()).count();
            let capitals = word.chars().all(|c| !c.is_lowercase());
            letters > 1 && !(capitals && letters <= 6 && word.chars().any(char::is_uppercase))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_prose_is_checked() {
        let found: Vec<&str> = words(
            "I don't recieve the e-mail at mark@example.com, see https://x.org/a #hi ORDER A-12 3rd ‘quoted’ l'été",
        )
        .collect();
        assert_eq!(
            found,
            ["don't", "recieve", "the", "e", "mail", "at", "see", "quoted", "l'été"]
                .into_iter()
                .filter(|w| w.chars().count() > 1)
                .collect::<Vec<_>>()
        );
    }

    /// Against Debian's English dictionary, which `cargo xtask` installs.
    #[tokio::test]
    async fn recieve_is_unknown_receive_known_and_the_deployments_words_too() {
        let spelling = Spelling::new(&SpellingConfig {
            confirm: true,
            words: vec!["Parley".into()],
            ..SpellingConfig::default()
        });
        assert_eq!(
            spelling
                .unknown("en", "I did receive it from Parley, thanks!")
                .await,
            Some(vec![]),
            "is hunspell-en-us installed?"
        );
        assert_eq!(
            spelling
                .unknown("en", "Recieve it? I did not recieve it")
                .await,
            Some(vec!["Recieve".to_owned(), "recieve".to_owned()])
        );
        assert_eq!(
            spelling.unknown("xx", "anything").await,
            None,
            "no dictionary"
        );
        let many = "zzq ".repeat(100);
        assert_eq!(
            spelling.unknown("en", &many).await.map(|u| u.len()),
            Some(1),
            "each word once"
        );
    }

    #[test]
    fn a_language_is_two_or_three_letters_with_files() {
        let dir = std::env::temp_dir().join(format!("parley-spelling-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder");
        for name in ["en_US.aff", "en_US.dic", "de_AT.aff", "de_AT.dic", "fr.aff"] {
            std::fs::write(dir.join(name), "").expect("a file");
        }
        assert_eq!(files(&dir, "en").map(|f| f.0), Some(dir.join("en_US.aff")));
        assert_eq!(files(&dir, "de").map(|f| f.0), Some(dir.join("de_AT.aff")));
        assert_eq!(files(&dir, "fr"), None, "no .dic beside the .aff");
        for bad in ["", "e", "EN", "../en", "en/x", "engl"] {
            assert_eq!(files(&dir, bad), None, "{bad:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
