//! Short names for the bindings between a browser app's WebAssembly module and its JavaScript
//! glue.
//!
//! wasm-bindgen names every import after the JavaScript function it calls plus a hash of 16 hex
//! digits (`__wbg_appendChild_…`), and the closures it exports after a hash too. Each name is
//! written twice, in the module's import or export section and in the glue, and hashes do not
//! compress: the desktop's 200 imports cost about 5 KB brotli for their names alone. Renaming
//! them `a`, `b`, … in both files, consistently, is what a JavaScript minifier does to the glue's
//! own variables. Measured on the desktop at protocol 9: 265,271 bytes brotli for the module and
//! the glue before, 260,300 after.
//!
//! Only wasm-bindgen's own names are renamed (those starting `__wbg_`, `__wbindgen_`,
//! `__externref_` or `wasm_bindgen__`): they are unique tokens of the glue, so replacing them as
//! whole identifiers there cannot touch anything else. A short name is never one the glue
//! already uses (its own variables included) or a word JavaScript reserves, and the renaming
//! runs before esbuild, which then minifies the glue as usual. The module is read and written
//! by hand: its sections are length-prefixed, and only the names in two of them change.

use std::path::{Path, PathBuf};

/// Renames the bindings of the app in `dist` (its `*_bg.wasm` and the glue beside it). A module
/// renamed already has no long names left, so a second run changes nothing; the glue is written
/// before the module, so a run interrupted between the two is finished by the next.
pub fn shorten(dist: &Path) -> Result<(), String> {
    let Some(wasm_path) = find_module(dist)? else {
        return Ok(());
    };
    let glue_path = glue_of(&wasm_path)?;
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let (wasm, glue) = (read(&wasm_path)?, read(&glue_path)?);
    let glue = String::from_utf8(glue).map_err(|e| format!("{}: {e}", glue_path.display()))?;
    let names = Names::of(&wasm, &glue).map_err(|e| format!("{}: {e}", wasm_path.display()))?;
    if names.renamed.is_empty() {
        return Ok(());
    }
    let module = names
        .rewrite(&wasm)
        .map_err(|e| format!("{}: {e}", wasm_path.display()))?;
    // Each file is replaced whole (written beside it, then renamed over it): a run stopped
    // halfway leaves the old file or the new one, never half of one.
    let write = |p: &Path, bytes: &[u8]| {
        let part = p.with_extension("part");
        std::fs::write(&part, bytes)
            .and_then(|()| std::fs::rename(&part, p))
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    write(&glue_path, names.rename_in_glue(&glue).as_bytes())?;
    write(&wasm_path, &module)?;
    println!(
        "xtask: {} bindings of {} renamed",
        names.renamed.len(),
        wasm_path.display()
    );
    Ok(())
}

/// The app's module: the one `*_bg.wasm` of the build.
fn find_module(dist: &Path) -> Result<Option<PathBuf>, String> {
    let entries = std::fs::read_dir(dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    let mut modules = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with("_bg.wasm"));
    match (modules.next(), modules.next()) {
        (Some(_), Some(_)) => Err(format!("{}: more than one module", dist.display())),
        (module, _) => Ok(module),
    }
}

/// The glue beside a module: `name_bg.wasm` → `name.js`.
fn glue_of(module: &Path) -> Result<PathBuf, String> {
    let name = module.to_string_lossy();
    let stem = name
        .strip_suffix("_bg.wasm")
        .ok_or_else(|| format!("{name}: not a wasm-bindgen module"))?;
    Ok(PathBuf::from(format!("{stem}.js")))
}

/// Whether wasm-bindgen made a name, so that it may be renamed.
fn generated(name: &str) -> bool {
    ["__wbg_", "__wbindgen_", "__externref_", "wasm_bindgen__"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// The `n`th short name: `a`…`z`, `A`…`Z`, then two letters, and so on.
fn short_name(mut n: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut name = String::new();
    loop {
        name.push(char::from(LETTERS[n % LETTERS.len()]));
        n /= LETTERS.len();
        if n == 0 {
            return name;
        }
        n -= 1;
    }
}

/// Words JavaScript reserves that a short name could spell (the glue declares some bindings
/// as functions of their own name, so a short name must be a valid function name).
const RESERVED: &[&str] = &["do", "if", "in", "for", "let", "new", "try", "var", "NaN"];

/// Whether a character belongs in an identifier of the glue (wasm-bindgen's names are ASCII).
fn ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// The identifiers of a script: maximal runs of [`ident`] characters.
fn tokens(script: &str) -> impl Iterator<Item = &str> {
    script.split(|c| !ident(c)).filter(|t| !t.is_empty())
}

/// The module's import and export names, and what each generated one becomes.
struct Names {
    /// Generated name → short name, in the order the module names them.
    renamed: Vec<(String, String)>,
}

/// Section ids of the binary format.
const IMPORTS: u8 = 2;
const EXPORTS: u8 = 7;

impl Names {
    /// The new names for a module's generated names; none of them is a name the module or the
    /// glue already uses (the glue's own variables and parameters included) or a reserved word.
    fn of(wasm: &[u8], glue: &str) -> Result<Self, String> {
        let mut all = Vec::new();
        for section in sections(wasm)? {
            match section.id {
                IMPORTS | EXPORTS => all.extend(
                    entries(section.id, section.body)?
                        .into_iter()
                        .map(|e| e.name),
                ),
                _ => {}
            }
        }
        let taken: std::collections::HashSet<&str> = tokens(glue)
            .chain(all.iter().map(String::as_str))
            .chain(RESERVED.iter().copied())
            .collect();
        let mut renamed: Vec<(String, String)> = Vec::new();
        let mut next = 0;
        for name in all.iter().filter(|n| generated(n)) {
            if renamed.iter().any(|(from, _)| from == name) {
                continue;
            }
            // A short name never stands for two things.
            let short = loop {
                let candidate = short_name(next);
                next += 1;
                if !taken.contains(candidate.as_str()) {
                    break candidate;
                }
            };
            renamed.push((name.clone(), short));
        }
        Ok(Self { renamed })
    }

    fn new_name<'a>(&'a self, name: &'a str) -> &'a str {
        self.renamed
            .iter()
            .find(|(from, _)| from == name)
            .map_or(name, |(_, to)| to)
    }

    /// The module with its import and export sections renamed; every other byte as it was.
    fn rewrite(&self, wasm: &[u8]) -> Result<Vec<u8>, String> {
        let sections = sections(wasm)?;
        let mut out = wasm[..8].to_vec();
        for section in sections {
            let body = match section.id {
                IMPORTS | EXPORTS => {
                    let entries = entries(section.id, section.body)?;
                    let mut body = leb(entries.len() as u64);
                    for entry in entries {
                        if let Some(module) = &entry.module {
                            body.extend(name_bytes(module));
                        }
                        body.extend(name_bytes(self.new_name(&entry.name)));
                        body.extend(entry.desc);
                    }
                    body
                }
                _ => section.body.to_vec(),
            };
            out.push(section.id);
            out.extend(leb(body.len() as u64));
            out.extend(body);
        }
        Ok(out)
    }

    /// The glue with every renamed name replaced where it stands as a whole identifier.
    fn rename_in_glue(&self, glue: &str) -> String {
        let mut out = String::with_capacity(glue.len());
        let mut rest = glue;
        while let Some(start) = rest.find(ident) {
            out.push_str(&rest[..start]);
            let token = &rest[start..];
            let end = token.find(|c| !ident(c)).unwrap_or(token.len());
            out.push_str(self.new_name(&token[..end]));
            rest = &token[end..];
        }
        out.push_str(rest);
        out
    }
}

/// One section of a module.
struct Section<'a> {
    id: u8,
    body: &'a [u8],
}

/// One import or export: its names (an export has no module), and the bytes after them as
/// they were.
struct Entry {
    module: Option<String>,
    name: String,
    desc: Vec<u8>,
}

/// A cursor over a module's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.bytes.get(self.at).ok_or("the module ends early")?;
        self.at += 1;
        Ok(b)
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        let slice = self
            .bytes
            .get(self.at..self.at.saturating_add(n))
            .ok_or("the module ends early")?;
        self.at += n;
        Ok(slice)
    }

    /// An unsigned or signed LEB128 number; only its extent matters here, and its value when
    /// it is unsigned.
    fn leb(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            if shift < 64 {
                value |= u64::from(b & 0x7f) << shift;
            }
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a number runs on".into())
    }

    fn name(&mut self) -> Result<String, String> {
        let len = usize::try_from(self.leb()?).map_err(|_| "a name is too long")?;
        String::from_utf8(self.bytes(len)?.to_vec()).map_err(|_| "a name is not UTF-8".into())
    }

    /// A value type: a one-byte type, or a reference to a heap type. Types this reader does
    /// not know are refused rather than guessed: the module then keeps its names.
    fn value_type(&mut self) -> Result<(), String> {
        match self.byte()? {
            0x63 | 0x64 => self.leb().map(|_| ()),
            0x6a..=0x7f => Ok(()),
            other => Err(format!("unknown value type {other:#x}")),
        }
    }

    /// Limits of a table or memory: flags, a minimum, a maximum if flagged, a page size if
    /// flagged.
    fn limits(&mut self) -> Result<(), String> {
        let flags = self.byte()?;
        self.leb()?;
        if flags & 1 != 0 {
            self.leb()?;
        }
        if flags & 8 != 0 {
            self.leb()?;
        }
        Ok(())
    }
}

fn sections(wasm: &[u8]) -> Result<Vec<Section<'_>>, String> {
    if wasm.get(..8) != Some(b"\0asm\x01\0\0\0") {
        return Err("not a WebAssembly module".into());
    }
    let mut r = Reader::new(&wasm[8..]);
    let mut out = Vec::new();
    while !r.done() {
        let id = r.byte()?;
        let len = usize::try_from(r.leb()?).map_err(|_| "a section is too long")?;
        out.push(Section {
            id,
            body: r.bytes(len)?,
        });
    }
    Ok(out)
}

/// The entries of an import or export section (`id`): an import names its module and its
/// field, then what it is; an export names itself, then its kind and index.
fn entries(id: u8, body: &[u8]) -> Result<Vec<Entry>, String> {
    let mut r = Reader::new(body);
    let count = r.leb()?;
    let mut out = Vec::new();
    for _ in 0..count {
        let module = if id == IMPORTS { Some(r.name()?) } else { None };
        let name = r.name()?;
        let start = r.at;
        match (id, r.byte()?) {
            (IMPORTS, 0x00) | (EXPORTS, _) => drop(r.leb()?),
            (_, 0x01) => {
                r.value_type()?;
                r.limits()?;
            }
            (_, 0x02) => r.limits()?,
            (_, 0x03) => {
                r.value_type()?;
                r.byte()?;
            }
            (_, 0x04) => {
                r.byte()?;
                r.leb()?;
            }
            (_, other) => return Err(format!("unknown import kind {other:#x}")),
        }
        let desc = body[start..r.at].to_vec();
        out.push(Entry { module, name, desc });
    }
    if !r.done() {
        return Err(format!("section {id} runs on"));
    }
    Ok(out)
}

fn leb(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

fn name_bytes(name: &str) -> Vec<u8> {
    let mut out = leb(name.len() as u64);
    out.extend(name.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::{entries, leb, name_bytes, sections, short_name, Names};

    /// A module with a type section, two imports (a function and a memory), a function
    /// section and two exports, as bytes.
    fn module(import: &str, export: &str) -> Vec<u8> {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        let mut section = |id: u8, body: Vec<u8>| {
            wasm.push(id);
            wasm.extend(leb(body.len() as u64));
            wasm.extend(body);
        };
        section(1, vec![1, 0x60, 0, 0]);
        let mut body = vec![2];
        body.extend(name_bytes("./app_bg.js"));
        body.extend(name_bytes(import));
        body.extend([0x00, 0x00]);
        body.extend(name_bytes("env"));
        body.extend(name_bytes("memory"));
        body.extend([0x02, 0x01, 0x11, 0x80, 0x02]);
        section(2, body);
        section(3, vec![1, 0]);
        let mut body = vec![2];
        body.extend(name_bytes(export));
        body.extend([0x00, 0x01]);
        body.extend(name_bytes("main"));
        body.extend([0x00, 0x01]);
        section(7, body);
        wasm
    }

    #[test]
    fn generated_names_become_short_in_the_module_and_the_glue_alike() {
        let long = "__wbg_appendChild_0123456789abcdef";
        let closure = "wasm_bindgen__convert__closures_____invoke__h0123456789abcdef";
        let wasm = module(long, closure);
        let names = Names::of(&wasm, "").unwrap();
        let out = names.rewrite(&wasm).unwrap();
        assert_eq!(out, module("a", "b"));
        let glue = format!("{{{long}:function(e){{}}}};c.{closure}(1);c.main();x.{long}_2");
        assert_eq!(
            names.rename_in_glue(&glue),
            format!("{{a:function(e){{}}}};c.b(1);c.main();x.{long}_2")
        );
        // Renamed already: nothing left to rename.
        assert!(Names::of(&out, "").unwrap().renamed.is_empty());
    }

    #[test]
    fn a_short_name_the_glue_already_uses_is_not_given() {
        let wasm = module("__wbg_x_0123456789abcdef", "__wbindgen_start");
        let glue = "function f(a, b) { return a + b; } const d = 1;";
        let names = Names::of(&wasm, glue).unwrap();
        let new: Vec<&str> = names.renamed.iter().map(|(_, to)| to.as_str()).collect();
        assert_eq!(new, ["c", "e"]);
    }

    #[test]
    fn the_other_sections_and_the_entries_kinds_are_kept() {
        let wasm = module("__wbg_x_0123456789abcdef", "__wbindgen_start");
        let out = Names::of(&wasm, "").unwrap().rewrite(&wasm).unwrap();
        let (before, after) = (sections(&wasm).unwrap(), sections(&out).unwrap());
        assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(b.id, a.id);
            if b.id != 2 && b.id != 7 {
                assert_eq!(b.body, a.body);
            }
        }
        let imports = entries(2, after[1].body).unwrap();
        assert_eq!(imports[1].name, "memory");
        assert_eq!(imports[1].desc, [0x02, 0x01, 0x11, 0x80, 0x02]);
        assert_eq!(entries(7, after[3].body).unwrap()[1].name, "main");
    }

    #[test]
    fn short_names_count_on_past_one_letter_without_repeating() {
        let names: Vec<String> = (0..52 * 53).map(short_name).collect();
        assert_eq!((names[0].as_str(), names[51].as_str()), ("a", "Z"));
        assert_eq!(names[52], "aa");
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
    }

    #[test]
    fn a_broken_module_is_refused_not_misread() {
        let wasm = module("__wbg_x_0123456789abcdef", "main");
        assert!(Names::of(&wasm[..wasm.len() - 3], "").is_err());
        assert!(Names::of(b"not wasm", "").is_err());
    }
}
