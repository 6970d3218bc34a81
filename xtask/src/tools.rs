//! The external tools Parley builds and tests with, installed at pinned versions when missing:
//! the wasm32 target, trunk, wasm-bindgen-cli (matching the `wasm-bindgen` crate), the npm
//! packages (wasm-opt from binaryen, playwright-core) and, for tests, Chromium and chromedriver.

use crate::{cmd, root, run};
use std::process::Command;

const TRUNK: &str = "0.21.14";
const WASM_BINDGEN: &str = "0.2.130";

/// PATH with the project's npm tools and cargo's bin directory first.
pub fn path() -> String {
    let mut parts = vec![root()
        .join("node_modules/.bin")
        .to_string_lossy()
        .into_owned()];
    if let Some(home) = std::env::var_os("CARGO_HOME").or_else(|| {
        std::env::var_os("HOME").map(|h| format!("{}/.cargo", h.to_string_lossy()).into())
    }) {
        parts.push(format!("{}/bin", home.to_string_lossy()));
    }
    parts.push(std::env::var("PATH").unwrap_or_default());
    parts.join(":")
}

/// The first line a tool prints for `--version`, if it runs.
fn version(program: &str) -> Option<String> {
    let out = Command::new(program)
        .arg("--version")
        .env("PATH", path())
        .output()
        .ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    })
}

/// Installs whatever the build needs and is missing.
pub fn ensure() -> Result<(), String> {
    let targets = cmd("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup: {e}"))?;
    if !String::from_utf8_lossy(&targets.stdout).contains("wasm32-unknown-unknown") {
        run(cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    if version("trunk").as_deref() != Some(&format!("trunk {TRUNK}")) {
        println!("xtask: installing trunk {TRUNK} (takes a while, once)");
        run(cmd("cargo").args(["install", "trunk", "--version", TRUNK, "--locked"]))?;
    }
    if version("wasm-bindgen").as_deref() != Some(&format!("wasm-bindgen {WASM_BINDGEN}")) {
        println!("xtask: installing wasm-bindgen-cli {WASM_BINDGEN}");
        // Not --locked: that lock file names a crate version the registry no longer has.
        run(cmd("cargo").args(["install", "wasm-bindgen-cli", "--version", WASM_BINDGEN]))?;
    }
    ensure_dictionaries();
    ensure_npm()
}

/// The Hunspell dictionaries the spelling check reads (`[spelling]` in the configuration).
const DICTIONARIES: [(&str, &str); 4] = [
    ("en_US", "hunspell-en-us"),
    ("de_DE", "hunspell-de-de"),
    ("fr_FR", "hunspell-fr"),
    ("ar", "hunspell-ar"),
];

/// Debian's Hunspell dictionaries of the languages Parley speaks, when root; otherwise a
/// warning: a language without its dictionary is not checked.
fn ensure_dictionaries() {
    let dir = std::path::Path::new("/usr/share/hunspell");
    let missing: Vec<&str> = DICTIONARIES
        .iter()
        .filter(|(file, _)| !dir.join(format!("{file}.dic")).is_file())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return;
    }
    if !is_root() {
        println!(
            "xtask: the spelling check lacks dictionaries: run `sudo apt-get install {}`",
            missing.join(" ")
        );
        return;
    }
    println!("xtask: installing {} from apt", missing.join(" "));
    let install = || {
        run(cmd("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"))
    };
    let installed = install().or_else(|_| {
        run(cmd("apt-get").arg("update"))?;
        install()
    });
    if let Err(e) = installed {
        println!("xtask: the dictionaries could not be installed ({e}); the spelling check skips those languages");
    }
}

/// Whether this runs as root (and may install Debian packages).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `npm ci` when node_modules is missing or older than the lock file.
fn ensure_npm() -> Result<(), String> {
    let lock = root().join("package-lock.json");
    let marker = root().join("node_modules/.package-lock.json");
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&marker).is_none() || modified(&marker) < modified(&lock) {
        run(cmd("npm").args(["ci", "--no-audit", "--no-fund"]))?;
    }
    Ok(())
}

/// Chromium and chromedriver for the browser tiers: from Debian's packages when root.
pub fn ensure_browser() -> Result<(), String> {
    if version("chromium").is_some() && version("chromedriver").is_some() {
        return Ok(());
    }
    if !is_root() {
        return Err("the browser tests need Chromium and chromedriver: run `sudo apt-get install chromium chromium-driver`".into());
    }
    println!("xtask: installing chromium and chromium-driver from apt");
    run(cmd("apt-get").arg("update"))?;
    run(cmd("apt-get")
        .args([
            "install",
            "-y",
            "--no-install-recommends",
            "chromium",
            "chromium-driver",
        ])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}
