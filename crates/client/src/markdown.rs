//! The markdown a bot may send, parsed into blocks of plain text runs for the views to render
//! as DOM nodes: headings, paragraphs, bullet and numbered lists, bold, links and images.
//! Nothing is ever HTML: tags in the text stay text, and only http(s) addresses become links or
//! images.

use crate::links::is_web_address;

/// A run of text inside a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Bold(String),
    /// `[text](url)` with an http(s) address.
    Link {
        text: String,
        url: String,
    },
    /// `![alt](url)` with an http(s) address.
    Image {
        alt: String,
        url: String,
    },
}

/// A block of the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// `#` to `######`: the level and the text.
    Heading(u8, Vec<Inline>),
    Paragraph(Vec<Inline>),
    /// `- item` / `* item` lines.
    Bullets(Vec<Vec<Inline>>),
    /// `1. item` lines.
    Numbered(Vec<Vec<Inline>>),
}

/// Parses the supported subset of markdown.
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut paragraph: Vec<String> = Vec::new();
    let flush = |paragraph: &mut Vec<String>, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph(inline(&paragraph.join(" "))));
            paragraph.clear();
        }
    };
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            flush(&mut paragraph, &mut blocks);
            continue;
        }
        let hashes = trimmed.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) && trimmed[hashes..].starts_with(' ') {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::Heading(
                hashes as u8,
                inline(trimmed[hashes..].trim()),
            ));
        } else if let Some(item) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
        {
            flush(&mut paragraph, &mut blocks);
            match blocks.last_mut() {
                Some(Block::Bullets(items)) => items.push(inline(item)),
                _ => blocks.push(Block::Bullets(vec![inline(item)])),
            }
        } else if let Some(item) = numbered(trimmed) {
            flush(&mut paragraph, &mut blocks);
            match blocks.last_mut() {
                Some(Block::Numbered(items)) => items.push(inline(item)),
                _ => blocks.push(Block::Numbered(vec![inline(item)])),
            }
        } else {
            paragraph.push(trimmed.to_owned());
        }
    }
    flush(&mut paragraph, &mut blocks);
    blocks
}

/// The item of a `1. item` line.
fn numbered(line: &str) -> Option<&str> {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    (digits > 0)
        .then(|| line[digits..].strip_prefix(". "))
        .flatten()
}

/// Bold, links and images inside a line; everything else is text.
fn inline(text: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    let push_plain = |plain: &mut String, out: &mut Vec<Inline>| {
        if !plain.is_empty() {
            out.push(Inline::Text(std::mem::take(plain)));
        }
    };
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("**") {
            let opens = !after.starts_with(char::is_whitespace);
            let closing = after.find("**").filter(|e| *e > 0 && opens);
            if let Some(end) = closing.filter(|e| !after[..*e].ends_with(char::is_whitespace)) {
                push_plain(&mut plain, &mut out);
                out.push(Inline::Bold(after[..end].to_owned()));
                rest = &after[end + 2..];
                continue;
            }
        }
        let image = rest.starts_with("![");
        if image || c == '[' {
            let start = if image { 2 } else { 1 };
            if let Some((label, url, used)) = link_at(&rest[start..]) {
                if is_web_address(&url) {
                    push_plain(&mut plain, &mut out);
                    out.push(if image {
                        Inline::Image { alt: label, url }
                    } else {
                        Inline::Link { text: label, url }
                    });
                    rest = &rest[start + used..];
                    continue;
                }
            }
        }
        plain.push(c);
        rest = &rest[c.len_utf8()..];
    }
    push_plain(&mut plain, &mut out);
    out
}

/// `label](url)` at the start: the label, the address and how many bytes were read.
fn link_at(s: &str) -> Option<(String, String, usize)> {
    let close = s.find("](")?;
    let label = &s[..close];
    if label.contains('[') || label.contains(']') {
        return None;
    }
    let after = &s[close + 2..];
    let end = after.find(')')?;
    let url = after[..end].trim();
    Some((label.to_owned(), url.to_owned(), close + 2 + end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn headings_paragraphs_and_lists() {
        let doc = parse("## Opening hours\nWe are open\nevery day.\n\n- **Mon–Fri** 8–20\n- Sat 9–13\n\n1. Call\n2. Chat");
        assert_eq!(
            doc,
            [
                Block::Heading(2, vec![t("Opening hours")]),
                Block::Paragraph(vec![t("We are open every day.")]),
                Block::Bullets(vec![
                    vec![Inline::Bold("Mon–Fri".into()), t(" 8–20")],
                    vec![t("Sat 9–13")],
                ]),
                Block::Numbered(vec![vec![t("Call")], vec![t("Chat")]]),
            ]
        );
    }

    #[test]
    fn links_and_images_only_for_web_addresses_and_html_stays_text() {
        assert_eq!(
            inline("See [our site](https://shop.example/help) ![logo](https://shop.example/l.png)"),
            [
                t("See "),
                Inline::Link {
                    text: "our site".into(),
                    url: "https://shop.example/help".into()
                },
                t(" "),
                Inline::Image {
                    alt: "logo".into(),
                    url: "https://shop.example/l.png".into()
                },
            ]
        );
        assert_eq!(
            inline("[click](javascript:alert(1)) <b>hi</b>"),
            [t("[click](javascript:alert(1)) <b>hi</b>")]
        );
        assert_eq!(inline("2 ** 3 ** 4 ****"), [t("2 ** 3 ** 4 ****")]);
        assert_eq!(inline("**bold"), [t("**bold")]);
        assert_eq!(parse("#NoSpace"), [Block::Paragraph(vec![t("#NoSpace")])]);
        assert_eq!(parse(""), []);
    }
}
