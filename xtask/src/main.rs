//! `cargo xtask`: set-up, build and test orchestration for Parley, in plain Rust (std only).
//!
//! - `cargo xtask run [--addr ADDR]`: install what is missing, build both browser apps (release),
//!   start the server with the demo configuration, and the sample CRM beside it.
//! - `cargo xtask test`: every check and every test tier, ending with `N passed, N failed`.
//! - `cargo xtask build`: only the browser apps and the release server.
//! - `cargo xtask cluster`: PostgreSQL, Redis, two nodes and nginx in front, until Ctrl-C.
//! - `cargo xtask services`: PostgreSQL and Redis as the tests start them, and the previous
//!   release's server, for running the cluster's tests by hand.
//! - `cargo xtask bench`: the load benchmark (figures, not pass/fail); `bench server`: the
//!   server half only; `bench --cluster`: two nodes, the writer killed during the run.
//! - `cargo xtask chaos`: the abuse suite against a release server with the default limits, one
//!   line per attack (figures, not pass/fail).
//!
//! Modules: [`tools`] installs and finds the external tools; [`services`] installs and runs
//! PostgreSQL and Redis; [`previous`] builds the previous release's server for the upgrade test;
//! [`web`] builds the browser apps with trunk, skipping builds that are up to date; [`suite`]
//! runs the test tiers and counts results.

mod bench;
mod bindings;
mod cluster;
mod previous;
mod services;
mod suite;
mod tools;
mod web;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A command run from the workspace root with the project's tool PATH.
pub fn cmd(program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root()).env("PATH", tools::path());
    c
}

/// Runs a command to completion; an error says what failed.
pub fn run(c: &mut Command) -> Result<(), String> {
    let status = c
        .status()
        .map_err(|e| format!("cannot start {:?}: {e}", c.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{:?} failed ({status})", c.get_program()))
    }
}

const DEMO_LOGINS: &str = "kate / kate-demo, john / john-demo, avril / avril-demo";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run_demo(&args[1..]),
        Some("test") => suite::test(),
        Some("build") => tools::ensure()
            .and_then(|_| web::build_all())
            .and_then(|_| build_server()),
        Some("services") => services_by_hand(),
        Some("cluster") => cluster::cluster(2),
        Some("bench") if args.get(1).is_some_and(|a| a == "server") => bench::server_bench(),
        Some("bench") if args.get(1).is_some_and(|a| a == "--cluster") => bench::cluster_bench(),
        Some("bench") => bench::bench(),
        Some("chaos") => bench::chaos(),
        _ => {
            eprintln!(
                "usage: cargo xtask <run [--addr ADDR] | test | build | cluster | services | bench [server | --cluster] | chaos>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// PostgreSQL and Redis as `cargo xtask test` starts them, for running the cluster's tests by
/// hand, until Ctrl-C.
fn services_by_hand() -> Result<(), String> {
    let previous = previous::server()?;
    let services = services::start("by-hand", true)?;
    println!("PARLEY_TEST_POSTGRES={}", services.postgres_url);
    println!("PARLEY_TEST_REDIS={}", services.redis_url);
    println!("PARLEY_PREVIOUS_SERVER={}", previous.display());
    println!("(running until Ctrl-C)");
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

fn build_server() -> Result<(), String> {
    run(cmd("cargo").args(["build", "--release", "-p", "parley-server"]))
}

fn run_demo(args: &[String]) -> Result<(), String> {
    let addr = match args {
        [flag, addr] if flag == "--addr" => addr.clone(),
        [] => std::env::var("PARLEY_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into()),
        _ => return Err("usage: cargo xtask run [--addr ADDR]".into()),
    };
    tools::ensure()?;
    web::build_all()?;
    build_server()?;
    // The sample CRM, on an origin of its own: the demo configuration lets it frame the desktop.
    let crm = cmd("node")
        .args(["examples/crm/serve.mjs", "--addr", CRM_ADDR])
        .args(["--parley", &format!("http://{addr}")])
        .stdout(std::process::Stdio::null())
        .spawn();
    println!("\nParley is starting on http://{addr}/");
    println!("  agent desktop: http://{addr}/");
    let port = addr.rsplit_once(':').map_or("8080", |(_, port)| port);
    println!("  contact widget: http://localhost:{port}/chat/");
    match &crm {
        Ok(_) => println!("  sample CRM with the desktop in its side panel: http://{CRM_ADDR}/"),
        Err(e) => println!("  (the sample CRM did not start: {e})"),
    }
    println!("  demo logins: {DEMO_LOGINS}");
    println!("  data: data/parley.db (Ctrl-C stops the server)\n");
    let served = run(cmd(&root()
        .join("target/release/parley-server")
        .to_string_lossy())
    .args(["--config", "config/demo.toml", "--addr", &addr]));
    if let Ok(mut crm) = crm {
        let _ = crm.kill();
        let _ = crm.wait();
    }
    served
}

/// Where `cargo xtask run` serves the sample CRM (`config/demo.toml` lets this origin frame the
/// desktop).
const CRM_ADDR: &str = "127.0.0.2:8081";
