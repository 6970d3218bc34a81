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
    ];
    let desktop = [
        r.join("src"),
        r.join("style"),
        r.join("index.html"),
        r.join("Trunk.toml"),
    ];
    let w = r.join("crates/widget");
    let widget = [
        w.join("src"),
        w.join("style"),
        w.join("index.html"),
        w.join("embed.js"),
        w.join("Trunk.toml"),
        w.join("Cargo.toml"),
    ];
    vec![
        App {
            dir: r.clone(),
            inputs: shared.iter().cloned().chain(desktop).collect(),
            public_url: "/",
        },
        App {
            dir: w,
            inputs: shared.into_iter().chain(widget).collect(),
            public_url: "/chat/",
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
    }
    Ok(())
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
    use super::split_inline_scripts;

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
