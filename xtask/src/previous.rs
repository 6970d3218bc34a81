//! The previous release's server, for the rolling-upgrade test (`tests/rolling_upgrade.rs`):
//! its source is taken from the git history, built once in a folder of its own, and the binary
//! kept under `target/previous/` by commit, so later runs skip the build (about 3 minutes).

use crate::{cmd, root, run};
use std::path::PathBuf;
use std::process::Stdio;

/// The release before this one: move it forward when a release is cut. Its protocol (3) and its
/// Redis keys (no wire version) are the ones this release must live beside during an upgrade.
const PREVIOUS_RELEASE: &str = "4f84e47da61f1cae96f3c8d0b8f8d2e0716e5825";

/// The previous release's `parley-server`, built when missing, with that release's demo
/// configuration beside it (`<binary>.toml`): a release refuses settings it does not know.
pub fn server() -> Result<PathBuf, String> {
    let dir = root().join("target/previous");
    let binary = dir.join(format!("parley-server-{}", &PREVIOUS_RELEASE[..12]));
    let config = dir.join(format!("parley-server-{}.toml", &PREVIOUS_RELEASE[..12]));
    if binary.is_file() && config.is_file() {
        return Ok(binary);
    }
    let known = cmd("git")
        .args(["cat-file", "-e", &format!("{PREVIOUS_RELEASE}^{{commit}}")])
        .status()
        .is_ok_and(|s| s.success());
    if !known {
        return Err(format!(
            "the previous release ({PREVIOUS_RELEASE}) is not in this clone's history; \
             the upgrade test needs it (a full clone, or `git fetch --unshallow`)"
        ));
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let demo = cmd("git")
        .args(["show", &format!("{PREVIOUS_RELEASE}:config/demo.toml")])
        .output()
        .map_err(|e| format!("git show: {e}"))?;
    if !demo.status.success() {
        return Err("the previous release's demo configuration could not be read".into());
    }
    std::fs::write(&config, &demo.stdout).map_err(|e| format!("{}: {e}", config.display()))?;
    if binary.is_file() {
        return Ok(binary);
    }
    println!(
        "building the previous release's server ({}) for the upgrade test",
        &PREVIOUS_RELEASE[..12]
    );
    let src = dir.join("src");
    let build = dir.join("build");
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(&src).map_err(|e| format!("{}: {e}", src.display()))?;
    let mut archive = cmd("git")
        .args(["archive", "--format=tar", PREVIOUS_RELEASE])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("git archive: {e}"))?;
    let tar = archive.stdout.take().ok_or("git archive has no output")?;
    run(cmd("tar").arg("-x").arg("-C").arg(&src).stdin(tar))?;
    if !archive.wait().is_ok_and(|s| s.success()) {
        return Err("git archive of the previous release failed".into());
    }
    run(cmd("cargo")
        .current_dir(&src)
        .args(["build", "-p", "parley-server", "--target-dir"])
        .arg(&build))?;
    std::fs::copy(build.join("debug/parley-server"), &binary)
        .map_err(|e| format!("keeping the previous release's server: {e}"))?;
    // Its build folder is a second copy of every dependency: only the binary is kept.
    let _ = std::fs::remove_dir_all(&build);
    let _ = std::fs::remove_dir_all(&src);
    Ok(binary)
}
