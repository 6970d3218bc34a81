//! Files sent in chats: what may be uploaded (an allowlist decided by the content's magic bytes,
//! never by the declared type), and where the bytes live (a directory outside the web root,
//! under generated names).

use std::path::{Path, PathBuf};

/// A type of file the server accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
}

impl Kind {
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Gif => "image/gif",
            Kind::Webp => "image/webp",
            Kind::Pdf => "application/pdf",
        }
    }

    /// File name extensions that agree with the type.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Png => &["png"],
            Kind::Jpeg => &["jpg", "jpeg", "jpe"],
            Kind::Gif => &["gif"],
            Kind::Webp => &["webp"],
            Kind::Pdf => &["pdf"],
        }
    }
}

/// The type the content's first bytes say, if it is one the server accepts.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if starts(b"\xff\xd8\xff") {
        Some(Kind::Jpeg)
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some(Kind::Gif)
    } else if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(Kind::Webp)
    } else if starts(b"%PDF-") {
        Some(Kind::Pdf)
    } else {
        None
    }
}

/// Markup a browser could run if it ever sniffed the file as a page: a file that carries any
/// is a polyglot and is refused whatever its first bytes say.
const ACTIVE_MARKUP: &[&[u8]] = &[
    b"<script",
    b"<html",
    b"<!doctype",
    b"<svg",
    b"<iframe",
    b"<object",
    b"<embed",
    b"<?php",
    b"javascript:",
];

fn has_active_markup(bytes: &[u8]) -> bool {
    ACTIVE_MARKUP
        .iter()
        .any(|m| bytes.windows(m.len()).any(|w| w.eq_ignore_ascii_case(m)))
}

/// Why an upload is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {0} bytes")]
    TooLarge(usize),
    #[error("this type of file is not accepted (images: PNG, JPEG, GIF, WebP; documents: PDF)")]
    NotAllowed,
    #[error("the file's name or declared type does not match its content ({0})")]
    Mislabelled(&'static str),
    #[error("the file carries web page markup and is refused")]
    Polyglot,
}

/// Checks an upload: size, type from the content, agreement with the declared type and name,
/// and no embedded markup. Returns the type.
pub fn check(
    bytes: &[u8],
    declared: Option<&str>,
    name: &str,
    max: usize,
) -> Result<Kind, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    if bytes.len() > max {
        return Err(Refusal::TooLarge(max));
    }
    let kind = sniff(bytes).ok_or(Refusal::NotAllowed)?;
    let declared = declared
        .map(|d| {
            d.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|d| !d.is_empty() && d != "application/octet-stream");
    if let Some(d) = declared {
        let same = d == kind.mime() || (kind == Kind::Jpeg && d == "image/jpg");
        if !same {
            return Err(Refusal::Mislabelled(kind.mime()));
        }
    }
    if let Some((_, ext)) = name.rsplit_once('.') {
        if !kind
            .extensions()
            .contains(&ext.to_ascii_lowercase().as_str())
        {
            return Err(Refusal::Mislabelled(kind.mime()));
        }
    }
    if has_active_markup(bytes) {
        return Err(Refusal::Polyglot);
    }
    Ok(kind)
}

/// A file name safe to show and to put in a `Content-Disposition` header: no path, no control
/// or quote characters, at most 120 characters, reordering and invisible ones written out
/// ([`crate::engine::marks`]).
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\'))
        .take(120)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        "file".into()
    } else {
        crate::engine::marks::shown(&cleaned).into_owned()
    }
}

/// The directory files are kept in.
#[derive(Clone, Debug)]
pub struct FileDir {
    dir: PathBuf,
}

impl FileDir {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// A new random id: 128 bits, hex. It is the only name the file has on disk.
    pub fn new_id() -> String {
        let bytes: [u8; 16] = rand::random();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn path(&self, id: &str) -> Option<PathBuf> {
        let valid = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| self.dir.join(id))
    }

    pub async fn save(&self, id: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(id).ok_or(std::io::ErrorKind::InvalidInput)?;
        tokio::fs::create_dir_all(&self.dir).await?;
        let tmp = path.with_extension("part");
        // On the disk before the upload is acknowledged: the file and then its name.
        let mut file = tokio::fs::File::create(&tmp).await?;
        tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&tmp, &path).await?;
        tokio::fs::File::open(&self.dir).await?.sync_all().await
    }

    pub async fn read(&self, id: &str) -> std::io::Result<Vec<u8>> {
        let path = self.path(id).ok_or(std::io::ErrorKind::NotFound)?;
        tokio::fs::read(path).await
    }

    pub async fn remove(&self, id: &str) {
        if let Some(path) = self.path(id) {
            let _ = tokio::fs::remove_file(path).await;
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const MAX: usize = 1024;

    #[test]
    fn the_content_decides_the_type_and_must_agree_with_the_label() {
        assert_eq!(check(PNG, Some("image/png"), "a.png", MAX), Ok(Kind::Png));
        assert_eq!(check(PNG, None, "screenshot", MAX), Ok(Kind::Png));
        assert_eq!(
            check(b"\xff\xd8\xff\xe0rest", Some("image/jpg"), "photo.JPG", MAX),
            Ok(Kind::Jpeg)
        );
        assert_eq!(
            check(
                b"%PDF-1.7 ...",
                Some("application/octet-stream"),
                "x.pdf",
                MAX
            ),
            Ok(Kind::Pdf)
        );
        assert_eq!(
            check(b"RIFF\0\0\0\0WEBPVP8 ", None, "a.webp", MAX),
            Ok(Kind::Webp)
        );
        // Not on the list, whatever it claims to be.
        assert_eq!(
            check(b"MZ\x90\0", Some("image/png"), "a.png", MAX),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            check(
                b"<svg onload=alert(1)>",
                Some("image/svg+xml"),
                "a.svg",
                MAX
            ),
            Err(Refusal::NotAllowed)
        );
        // Mislabelled: a PNG sent as a PDF, or named .html.
        assert_eq!(
            check(PNG, Some("application/pdf"), "a.png", MAX),
            Err(Refusal::Mislabelled("image/png"))
        );
        assert_eq!(
            check(PNG, Some("image/png"), "a.html", MAX),
            Err(Refusal::Mislabelled("image/png"))
        );
        // A polyglot: an image header with a page behind it.
        let mut gifar = b"GIF89a\x01\0\x01\0".to_vec();
        gifar.extend_from_slice(b"<SCRIPT>alert(1)</script>");
        assert_eq!(
            check(&gifar, Some("image/gif"), "a.gif", MAX),
            Err(Refusal::Polyglot)
        );
        let mut tail = PNG.to_vec();
        tail.extend_from_slice(b"<svg");
        assert_eq!(check(&tail, None, "a.png", MAX), Err(Refusal::Polyglot));
        // Size.
        assert_eq!(check(b"", None, "a.png", MAX), Err(Refusal::Empty));
        let big = [PNG, &vec![0u8; MAX][..]].concat();
        assert_eq!(check(&big, None, "a.png", MAX), Err(Refusal::TooLarge(MAX)));
    }

    #[test]
    fn names_lose_paths_and_header_breaking_characters() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\me\\card.png"), "card.png");
        assert_eq!(clean_name("a\"b\r\nc.png"), "abc.png");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name(""), "file");
        assert_eq!(clean_name(&"x".repeat(300)).len(), 120);
    }

    #[test]
    fn ids_are_the_only_names_on_disk() {
        let id = FileDir::new_id();
        assert_eq!(id.len(), 32);
        let dir = FileDir::new("/tmp/x");
        assert!(dir.path(&id).is_some());
        assert!(dir.path("../secret").is_none());
        assert!(dir.path(&"g".repeat(32)).is_none());
    }
}
