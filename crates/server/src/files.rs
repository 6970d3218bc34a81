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

/// The first bytes kept for [`sniff`]: the longest magic it reads is 12 bytes.
const HEAD: usize = 16;

/// What an upload's content says, gathered as its bytes go by (never all of them in memory):
/// its first bytes, its size, and whether web page markup appears anywhere, across the
/// boundaries between chunks too.
#[derive(Debug, Default)]
pub struct Scan {
    head: Vec<u8>,
    size: usize,
    /// The last bytes seen, as long as the longest marker less one: a marker split between
    /// two chunks is found with them.
    tail: Vec<u8>,
    markup: bool,
}

impl Scan {
    /// The next bytes of the content.
    pub fn feed(&mut self, chunk: &[u8]) {
        let room = HEAD.saturating_sub(self.head.len());
        self.head.extend_from_slice(&chunk[..room.min(chunk.len())]);
        self.size = self.size.saturating_add(chunk.len());
        if self.markup {
            return;
        }
        let keep = ACTIVE_MARKUP.iter().map(|m| m.len()).max().unwrap_or(1) - 1;
        let mut window = std::mem::take(&mut self.tail);
        window.extend_from_slice(chunk);
        self.markup = has_active_markup(&window);
        self.tail = window[window.len().saturating_sub(keep)..].to_vec();
    }

    pub fn size(&self) -> usize {
        self.size
    }
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

impl Refusal {
    /// What the apps say of it in the reader's language.
    pub fn reason(&self) -> parley_protocol::Reason {
        use parley_protocol::Reason;
        match self {
            Refusal::Empty => Reason::FileEmpty,
            Refusal::TooLarge(_) => Reason::FileTooLarge,
            Refusal::NotAllowed => Reason::FileType,
            Refusal::Mislabelled(_) => Reason::FileMislabelled,
            Refusal::Polyglot => Reason::FileMarkup,
        }
    }
}

/// Checks an upload held whole: see [`check_scan`].
pub fn check(
    bytes: &[u8],
    declared: Option<&str>,
    name: &str,
    max: usize,
) -> Result<Kind, Refusal> {
    let mut scan = Scan::default();
    scan.feed(bytes);
    check_scan(&scan, declared, name, max)
}

/// Checks an upload: size, type from the content, agreement with the declared type and name,
/// and no embedded markup. Returns the type.
pub fn check_scan(
    scan: &Scan,
    declared: Option<&str>,
    name: &str,
    max: usize,
) -> Result<Kind, Refusal> {
    if scan.size == 0 {
        return Err(Refusal::Empty);
    }
    if scan.size > max {
        return Err(Refusal::TooLarge(max));
    }
    let kind = sniff(&scan.head).ok_or(Refusal::NotAllowed)?;
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
    if scan.markup {
        return Err(Refusal::Polyglot);
    }
    Ok(kind)
}

/// See [`FileDir::leftover`].
pub struct Leftover(Option<(PathBuf, PathBuf)>);

impl Leftover {
    /// The file is in its chat: it stays.
    pub fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for Leftover {
    fn drop(&mut self) {
        if let Some((part, kept)) = self.0.take() {
            let _ = std::fs::remove_file(part);
            let _ = std::fs::remove_file(kept);
        }
    }
}

/// Why an upload's bytes could not be received.
#[derive(Debug, thiserror::Error)]
pub enum Receive {
    #[error("the file is larger than {0} bytes")]
    TooLarge(usize),
    /// The client's body broke off (or was refused by the transport).
    #[error("the upload broke off: {0}")]
    Broken(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
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

    /// Writes an upload's bytes to a part file as they arrive, scanning them, up to `max`
    /// bytes; synced to disk. [`FileDir::keep`] gives it its name; on any error it is gone.
    pub async fn receive<B: AsRef<[u8]>, E: std::fmt::Display>(
        &self,
        id: &str,
        mut body: impl futures::Stream<Item = Result<B, E>> + Unpin,
        max: usize,
    ) -> Result<Scan, Receive> {
        use futures::StreamExt;
        use tokio::io::AsyncWriteExt;
        let part = self
            .part(id)
            .ok_or(std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        tokio::fs::create_dir_all(&self.dir).await?;
        let mut file = tokio::fs::File::create(&part).await?;
        let mut scan = Scan::default();
        let written: Result<(), Receive> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| Receive::Broken(e.to_string()))?;
                let chunk = chunk.as_ref();
                scan.feed(chunk);
                if scan.size > max {
                    return Err(Receive::TooLarge(max));
                }
                file.write_all(chunk).await?;
            }
            file.sync_all().await?;
            Ok(())
        }
        .await;
        drop(file);
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(e);
        }
        Ok(scan)
    }

    /// Gives a received part file its name: on the disk (the file, then its name) before the
    /// upload is acknowledged. On failure the part is gone.
    pub async fn keep(&self, id: &str) -> std::io::Result<()> {
        let (Some(part), Some(path)) = (self.part(id), self.path(id)) else {
            return Err(std::io::ErrorKind::InvalidInput.into());
        };
        let kept = async {
            tokio::fs::rename(&part, &path).await?;
            tokio::fs::File::open(&self.dir).await?.sync_all().await
        }
        .await;
        if kept.is_err() {
            let _ = tokio::fs::remove_file(&part).await;
            let _ = tokio::fs::remove_file(&path).await;
        }
        kept
    }

    /// A guard over an upload's files: dropped before [`Leftover::keep`] (refused, failed, or
    /// its request dropped half-way because the client went or the server stops), it removes
    /// the part file and the kept file, so no bytes stay that no row names.
    pub fn leftover(&self, id: &str) -> Leftover {
        Leftover(self.part(id).zip(self.path(id)))
    }

    fn part(&self, id: &str) -> Option<PathBuf> {
        self.path(id).map(|p| p.with_extension("part"))
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
    fn a_scan_in_chunks_finds_what_the_whole_does() {
        let mut file = PNG.to_vec();
        file.extend_from_slice(b"....<ScRiPt>....");
        // Every split into two chunks, the marker and the magic cut anywhere.
        for at in 0..=file.len() {
            let mut scan = Scan::default();
            scan.feed(&file[..at]);
            scan.feed(&file[at..]);
            assert_eq!(scan.size(), file.len());
            assert_eq!(
                check_scan(&scan, None, "a.png", MAX),
                Err(Refusal::Polyglot),
                "split at {at}"
            );
        }
        let mut clean = Scan::default();
        for byte in PNG {
            clean.feed(std::slice::from_ref(byte));
        }
        assert_eq!(check_scan(&clean, None, "a.png", MAX), Ok(Kind::Png));
    }

    #[tokio::test]
    async fn an_upload_goes_to_disk_as_it_arrives_and_leaves_nothing_when_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let files = FileDir::new(dir.path().join("files"));
        let chunks = |parts: Vec<&'static [u8]>| {
            futures::stream::iter(parts.into_iter().map(Ok::<_, std::io::Error>))
        };
        let id = FileDir::new_id();
        let scan = files
            .receive(&id, chunks(vec![&PNG[..4], &PNG[4..]]), MAX)
            .await
            .expect("received");
        assert_eq!(scan.size(), PNG.len());
        files.keep(&id).await.expect("kept");
        assert_eq!(files.read(&id).await.expect("read"), PNG);

        let big = FileDir::new_id();
        let over = files
            .receive(&big, chunks(vec![PNG, &[0; 2048]]), MAX)
            .await;
        assert!(matches!(over, Err(Receive::TooLarge(MAX))));
        let broken = FileDir::new_id();
        let body = futures::stream::iter([Ok(PNG.to_vec()), Err(std::io::Error::other("reset"))]);
        assert!(matches!(
            files.receive(&broken, body, MAX).await,
            Err(Receive::Broken(_))
        ));
        let left: Vec<_> = std::fs::read_dir(files.dir())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(
            left,
            vec![std::ffi::OsString::from(&id)],
            "only the kept file"
        );

        // An upload whose request is dropped half-way, before or after its name: nothing stays.
        for named in [false, true] {
            let id = FileDir::new_id();
            let leftover = files.leftover(&id);
            files
                .receive(&id, chunks(vec![PNG]), MAX)
                .await
                .expect("received");
            if named {
                files.keep(&id).await.expect("kept");
            }
            drop(leftover);
            assert!(files.read(&id).await.is_err(), "named: {named}");
        }
        let id = FileDir::new_id();
        let leftover = files.leftover(&id);
        files
            .receive(&id, chunks(vec![PNG]), MAX)
            .await
            .expect("received");
        files.keep(&id).await.expect("kept");
        leftover.keep();
        assert_eq!(files.read(&id).await.expect("stays"), PNG);
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
