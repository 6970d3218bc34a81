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
        },
        App {
            dir: w,
            inputs: shared.into_iter().chain(widget).collect(),
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
            continue;
        }
        run(cmd("trunk")
            .current_dir(&app.dir)
            .args(["build", "--release"])
            .env("TRUNK_SKIP_VERSION_CHECK", "true"))?;
    }
    Ok(())
}
