//! `cargo xtask test`: formatting, lints on both targets, native unit and integration tests
//! (with PostgreSQL and Redis for the cluster's),
//! browser component tests (wasm-bindgen-test in headless Chromium) and the Playwright
//! end-to-end suite, then one line: `N passed, N failed`.

use crate::{cmd, root, services, tools, web};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Counts across every step.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    broken: Vec<String>,
}

/// Test counts found in a runner's output: cargo/libtest and wasm-bindgen-test-runner print
/// `test result: ok. 3 passed; 0 failed; …`, node's TAP reporter prints `# pass 3` / `# fail 0`.
fn counts(line: &str) -> (u64, u64) {
    let number_before = |word: &str| -> u64 {
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ';' || c == '.')
            .filter(|w| !w.is_empty())
            .collect();
        words
            .windows(2)
            .find(|w| w[1] == word)
            .and_then(|w| w[0].parse().ok())
            .unwrap_or(0)
    };
    let number_after = |prefix: &str| {
        line.strip_prefix(prefix)
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    };
    if line.starts_with("test result:") {
        (number_before("passed"), number_before("failed"))
    } else {
        (number_after("# pass "), number_after("# fail "))
    }
}

impl Tally {
    /// A step that passes or fails as a whole.
    fn check(&mut self, name: &str, c: &mut Command) {
        println!("\n== {name}");
        match c.status() {
            Ok(s) if s.success() => self.passed += 1,
            _ => {
                self.failed += 1;
                self.broken.push(name.to_owned());
            }
        }
    }

    /// A step whose output reports test counts; its output is shown as it comes.
    fn tests(&mut self, name: &str, c: &mut Command) {
        println!("\n== {name}");
        let child = c.stdout(Stdio::piped()).spawn();
        let Ok(mut child) = child else {
            self.failed += 1;
            self.broken.push(format!("{name} (could not start)"));
            return;
        };
        let (mut passed, mut failed) = (0, 0);
        if let Some(out) = child.stdout.take() {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                println!("{line}");
                let (p, f) = counts(line.trim());
                passed += p;
                failed += f;
            }
        }
        let ok = child.wait().is_ok_and(|s| s.success());
        if !ok && failed == 0 {
            failed = 1;
        }
        if failed > 0 {
            self.broken.push(name.to_owned());
        }
        self.passed += passed;
        self.failed += failed;
    }

    fn fail(&mut self, name: &str, why: &str) {
        println!("\n== {name}\nxtask: {why}");
        self.failed += 1;
        self.broken.push(name.to_owned());
    }
}

const WASM_CRATES: [&str; 8] = [
    "-p",
    "parley-protocol",
    "-p",
    "parley-client",
    "-p",
    "parley-desktop",
    "-p",
    "parley-widget",
];

pub fn test() -> Result<(), String> {
    let mut t = Tally::default();
    tools::ensure()?;
    t.check(
        "rustfmt",
        cmd("cargo").args(["fmt", "--all", "--", "--check"]),
    );
    t.check(
        "clippy (native)",
        cmd("cargo").args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    );
    t.check(
        "clippy (wasm32)",
        cmd("cargo")
            .args([
                "clippy",
                "--target",
                "wasm32-unknown-unknown",
                "--all-targets",
            ])
            .args(WASM_CRATES)
            .args(["--", "-D", "warnings"]),
    );
    // The cluster tests run on real PostgreSQL and Redis, started here and stopped after; where
    // they cannot start, the run fails and says why.
    // The rolling-upgrade test runs a node of the previous release beside one of this release.
    let previous = crate::previous::server().unwrap_or_else(|e| {
        t.fail("the previous release's server", &e);
        std::path::PathBuf::new()
    });
    match services::start("test", true) {
        Ok(services) => t.tests(
            "native unit and server integration tests",
            cmd("cargo")
                .args(["test", "--workspace"])
                .env("PARLEY_TEST_POSTGRES", &services.postgres_url)
                .env("PARLEY_TEST_REDIS", &services.redis_url)
                .env("PARLEY_PREVIOUS_SERVER", &previous),
        ),
        Err(e) => t.fail(
            "native unit and server integration tests",
            &format!("PostgreSQL and Redis did not start: {e}"),
        ),
    }

    match tools::ensure_browser() {
        Ok(()) => {
            // chromedriver leaves its ~100 MB browser profile behind in the temporary folder
            // on every run: give it one of its own and remove it afterwards.
            let scratch = root().join("target/tmp/browser-tests");
            let _ = std::fs::remove_dir_all(&scratch);
            let _ = std::fs::create_dir_all(&scratch);
            t.tests(
                "browser component tests (headless Chromium)",
                cmd("cargo")
                    .args([
                        "test",
                        "--target",
                        "wasm32-unknown-unknown",
                        "-p",
                        "parley-desktop",
                        "--test",
                        "browser",
                        "--test",
                        "stopped",
                    ])
                    .env(
                        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                        "wasm-bindgen-test-runner",
                    )
                    .env("TMPDIR", &scratch),
            );
            let _ = std::fs::remove_dir_all(&scratch);
        }
        Err(e) => t.fail("browser component tests", &e),
    }

    match web::build_all() {
        Ok(()) => {
            let artifacts = root().join("target/e2e-artifacts");
            let _ = std::fs::create_dir_all(&artifacts);
            t.tests(
                "end to end (Playwright, headless Chromium)",
                cmd("node")
                    .args([
                        "--test",
                        "--test-reporter=tap",
                        "--test-concurrency=1",
                        "e2e/",
                    ])
                    .env(
                        "PARLEY_SERVER_BIN",
                        root().join("target/debug/parley-server"),
                    )
                    .env("PARLEY_ARTIFACTS", &artifacts),
            );
        }
        Err(e) => t.fail(
            "end to end",
            &format!("the browser apps did not build: {e}"),
        ),
    }

    println!();
    if !t.broken.is_empty() {
        println!("failing steps: {}", t.broken.join(", "));
    }
    println!("{} passed, {} failed", t.passed, t.failed);
    if t.failed == 0 {
        Ok(())
    } else {
        Err("some checks failed".into())
    }
}

#[cfg(test)]
mod tests {
    use super::counts;

    #[test]
    fn runner_summaries_are_counted() {
        assert_eq!(counts("test result: ok. 21 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 2.59s"), (21, 0));
        assert_eq!(
            counts("test result: FAILED. 4 passed; 1 failed; 0 ignored"),
            (4, 1)
        );
        assert_eq!(counts("# pass 6"), (6, 0));
        assert_eq!(counts("# fail 2"), (0, 2));
        assert_eq!(counts("ok 1 - a test that passed"), (0, 0));
    }
}
