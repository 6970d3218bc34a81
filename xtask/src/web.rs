//! Release builds of the two browser apps with trunk, skipped when their output is newer than
//! every input.

use crate::{cmd, root, run};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// One trunk project.
struct App {
    /// The directory holding `Trunk.toml` and `index.html`.
    dir: PathBuf,
    /// Sources whose change means a rebuild.
    inputs: Vec<PathBuf>,
    /// Where the app is served (trunk's `public_url`).
    public_url: &'static str,
    /// The app's own catalogues (`<language>.txt`).
    catalogues: PathBuf,
}

fn apps() -> Vec<App> {
    let r = root();
    let shared = [
        r.join("Cargo.toml"),
        r.join("Cargo.lock"),
        r.join(".cargo/config.toml"),
        r.join("crates/protocol/src"),
        r.join("crates/client/src"),
        r.join("crates/client/stopped.js"),
        r.join("crates/client/i18n"),
    ];
    let desktop = [
        r.join("src"),
        r.join("style"),
        r.join("index.html"),
        r.join("Trunk.toml"),
        r.join("i18n"),
    ];
    let w = r.join("crates/widget");
    let widget = [
        w.join("src"),
        w.join("style"),
        w.join("index.html"),
        w.join("embed.js"),
        w.join("Trunk.toml"),
        w.join("Cargo.toml"),
        w.join("i18n"),
    ];
    vec![
        App {
            dir: r.clone(),
            inputs: shared.iter().cloned().chain(desktop).collect(),
            public_url: "/",
            catalogues: r.join("i18n"),
        },
        App {
            dir: w.clone(),
            inputs: shared.into_iter().chain(widget).collect(),
            public_url: "/chat/",
            catalogues: w.join("i18n"),
        },
    ]
}

/// The newest modification time under a path.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_dir() {
        std::fs::read_dir(path)
            .ok()?
            .filter_map(|e| e.ok())
            .filter_map(|e| newest(&e.path()))
            .max()
    } else {
        meta.modified().ok()
    }
}

/// Builds the desktop and the widget unless they are up to date.
pub fn build_all() -> Result<(), String> {
    for app in apps() {
        let built = std::fs::metadata(app.dir.join("dist/index.html"))
            .and_then(|m| m.modified())
            .ok();
        let changed = app.inputs.iter().filter_map(|p| newest(p)).max();
        if built.is_some() && built >= changed {
            println!("xtask: {} is up to date", app.dir.join("dist").display());
        } else {
            run(cmd("trunk")
                .current_dir(&app.dir)
                .args(["build", "--release"])
                .env("TRUNK_SKIP_VERSION_CHECK", "true"))?;
        }
        // Always: a build interrupted before this step is finished by the next run.
        externalise_scripts(&app.dir.join("dist"), app.public_url)?;
        write_catalogues(&app.catalogues, &app.dir.join("dist/i18n"))?;
        write_pseudo_catalogue(&app.dir.join("dist/i18n"))?;
        crate::bindings::shorten(&app.dir.join("dist"))?;
        minify_scripts(&app.dir.join("dist"))?;
    }
    Ok(())
}

/// Minifies every script of the build with esbuild (npm): trunk minifies the page and the
/// style sheet but copies wasm-bindgen's JavaScript glue and our own scripts (`embed.js`, the
/// ones moved out of the page) as written. The desktop's glue: 8,243 bytes brotli as written,
/// 6,509 minified.
///
/// esbuild does not give a minified script back unchanged (it names the variables anew, and
/// the size moved by about 130 bytes from one run to the next), so each script is minified
/// once: the content hashes of the scripts it wrote are kept in `target/`, and a script with
/// one of them is skipped. The sizes the budget test sees do not depend on how often the
/// build ran.
fn minify_scripts(dist: &Path) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(dist) else {
        return Ok(());
    };
    let esbuild = root().join("node_modules/.bin/esbuild");
    let record = root().join("target/xtask").join(format!(
        "minified-{:016x}.txt",
        fnv1a(dist.to_string_lossy().as_bytes())
    ));
    let done = std::fs::read_to_string(&record).unwrap_or_default();
    let mut now_done = Vec::new();
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "js") {
            continue;
        }
        let script = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let hash = format!("{:016x}", fnv1a(&script));
        if done.lines().any(|line| line == hash) {
            now_done.push(hash);
            continue;
        }
        let output = cmd(&esbuild.to_string_lossy())
            .args(["--minify", "--log-level=warning", "--loader=js"])
            .stdin(std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?)
            .output()
            .map_err(|e| format!("esbuild: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "esbuild on {}: {}",
                path.display(),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        // Recorded before it is written: a run stopped between the two minifies it again.
        now_done.push(format!("{:016x}", fnv1a(&output.stdout)));
        let known: Vec<String> = done
            .lines()
            .map(str::to_owned)
            .chain(now_done.clone())
            .collect();
        write_lines(&record, &known)?;
        std::fs::write(&path, output.stdout).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    // Only the scripts of this build stay recorded.
    write_lines(&record, &now_done)
}

fn write_lines(path: &Path, lines: &[String]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, lines.join("\n")).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes each language's catalogue as the app fetches it: the app's own texts, then those of
/// the code both apps share (`crates/client/i18n`), one file per language.
fn write_catalogues(own: &Path, dist: &Path) -> Result<(), String> {
    let shared = root().join("crates/client/i18n");
    let read =
        |p: PathBuf| std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()));
    std::fs::create_dir_all(dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    let entries = std::fs::read_dir(own).map_err(|e| format!("{}: {e}", own.display()))?;
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name();
        let text = [read(entry.path())?, read(shared.join(&name))?].join("\n");
        let path = dist.join(&name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Writes the pseudo-language's catalogue (`en-XA.txt`) beside the English one, when the app
/// has catalogues: every text bracketed, accented and a third longer, its values (`{name}`)
/// kept, so an e2e test sees at once any text that did not come from a catalogue and any
/// layout that cannot take longer words.
fn write_pseudo_catalogue(dir: &Path) -> Result<(), String> {
    let english = dir.join("en.txt");
    let Ok(text) = std::fs::read_to_string(&english) else {
        return Ok(());
    };
    let path = dir.join("en-XA.txt");
    std::fs::write(&path, pseudo_catalogue(&text)).map_err(|e| format!("{}: {e}", path.display()))
}

/// The pseudo-language's catalogue made from English's.
fn pseudo_catalogue(english: &str) -> String {
    let mut out = String::new();
    for line in english.lines() {
        // The apps' own reading (`parley_client::i18n::parse`): the first `=`, both sides trimmed.
        let Some((key, text)) = line.split_once('=').filter(|_| !line.starts_with('#')) else {
            continue;
        };
        let (key, text) = (key.trim(), text.trim());
        let mut shown = String::from("[");
        let mut in_value = false;
        for c in text.chars() {
            in_value = (in_value || c == '{') && c != '}';
            shown.push(match c {
                _ if in_value || c == '}' => c,
                'a' => 'á',
                'e' => 'é',
                'i' => 'í',
                'o' => 'ó',
                'u' => 'ú',
                'A' => 'Á',
                'E' => 'É',
                'O' => 'Ó',
                'c' => 'ç',
                'n' => 'ñ',
                _ => c,
            });
        }
        let longer = text.chars().count().div_ceil(3);
        shown.extend(std::iter::repeat_n('·', longer));
        shown.push(']');
        out.push_str(&format!("{key} = {shown}\n"));
    }
    out
}

/// Moves every inline `<script>` of the built page (trunk's start script and the stopped page)
/// into a file of its own named by its content, so the apps run under a Content-Security-Policy
/// whose scripts come from the server only (`script-src 'self'`, no inline code).
fn externalise_scripts(dist: &Path, public_url: &str) -> Result<(), String> {
    let page = dist.join("index.html");
    let html = std::fs::read_to_string(&page).map_err(|e| format!("{}: {e}", page.display()))?;
    let (out, scripts) = split_inline_scripts(&html, public_url);
    if scripts.is_empty() {
        return Ok(());
    }
    for (name, body) in &scripts {
        let path = dist.join(name);
        std::fs::write(&path, body).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    std::fs::write(&page, out).map_err(|e| format!("{}: {e}", page.display()))?;
    println!(
        "xtask: {} inline script(s) of {} moved into files",
        scripts.len(),
        page.display()
    );
    Ok(())
}

/// The page with each inline script replaced by a `src` reference, and the files to write.
fn split_inline_scripts(html: &str, public_url: &str) -> (String, Vec<(String, String)>) {
    let mut out = String::with_capacity(html.len());
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let Some(open_end) = rest[start..].find('>').map(|i| start + i) else {
            break;
        };
        let Some(close) = rest[open_end..].find("</script>").map(|i| open_end + i) else {
            break;
        };
        let attrs = &rest[start + "<script".len()..open_end];
        let body = &rest[open_end + 1..close];
        out.push_str(&rest[..start]);
        if attrs.contains("src=") || body.trim().is_empty() {
            out.push_str(&rest[start..close]);
        } else {
            let name = format!("inline-{:016x}.js", fnv1a(body.as_bytes()));
            out.push_str(&format!("<script{attrs} src={public_url}{name}>"));
            scripts.push((name, body.to_owned()));
        }
        out.push_str("</script>");
        rest = &rest[close + "</script>".len()..];
    }
    out.push_str(rest);
    (out, scripts)
}

/// FNV-1a: a name that changes with the content, for caches; not a security measure.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::{pseudo_catalogue, split_inline_scripts};

    #[test]
    fn the_pseudo_language_brackets_and_lengthens_every_text_and_keeps_its_values() {
        let pseudo =
            pseudo_catalogue("# comment\nchat.typing = {name} is typing\nchat.send = Send\n");
        assert_eq!(
            pseudo,
            "chat.typing = [{name} ís typíñg······]\nchat.send = [Séñd··]\n"
        );
    }

    #[test]
    fn inline_scripts_become_files_and_referenced_ones_stay() {
        let page = "<head><script>a()</script><script type=module>import x from '/x.js';</script>\
                    <script src=/y.js></script></head>";
        let (out, files) = split_inline_scripts(page, "/chat/");
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].1, "a()");
        assert_eq!(files[1].1, "import x from '/x.js';");
        assert_eq!(
            out,
            format!(
                "<head><script src=/chat/{}></script><script type=module src=/chat/{}></script>\
                 <script src=/y.js></script></head>",
                files[0].0, files[1].0
            )
        );
        assert_ne!(files[0].0, files[1].0);
    }
}
