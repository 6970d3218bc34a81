//! `cargo xtask cluster`: a cluster on this machine, as an operator would run one: PostgreSQL and
//! Redis (kept on disk under `target/services/cluster/`), two Parley nodes, and nginx in front
//! proxying HTTP and WebSockets to both, with enough file descriptors for 10,000 sockets.
//! Everything stops on Ctrl-C (or with this process).

use crate::services::{self, free_port, Services};
use crate::{cmd, root, run};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// How many sockets nginx is set up for (each client is two: to nginx, and on to a node).
const SOCKETS: u32 = 10_000;

/// Children stopped when dropped.
struct Running(Vec<Child>);

impl Drop for Running {
    /// SIGTERM, as an operator stops them: nodes hand the lease back, and nginx's master stops
    /// its workers (SIGKILL would leave them holding the port).
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
        }
        for child in &mut self.0 {
            let _ = child.wait();
        }
    }
}

pub fn cluster(nodes: usize) -> Result<(), String> {
    crate::tools::ensure()?;
    crate::web::build_all()?;
    run(cmd("cargo").args(["build", "--release", "-p", "parley-server"]))?;
    let services = services::start("cluster", false)?;
    let dir = root().join("target/services/cluster");
    let mut running = Running(Vec::new());
    let mut ports = Vec::new();
    for n in 1..=nodes.max(1) {
        let port = free_port()?;
        let config = node_config(&dir, &services, &format!("node-{n}"))?;
        let child = cmd(&root()
            .join("target/release/parley-server")
            .to_string_lossy())
        .arg("--config")
        .arg(&config)
        // Every node keeps files beside this path: one folder, as a shared mount would be.
        .arg("--db")
        .arg(dir.join("shared.db"))
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start node {n}: {e}"))?;
        running.0.push(child);
        ports.push(port);
    }
    let public = free_port()?;
    let conf = nginx_config(&dir, public, &ports)?;
    let nginx = Command::new(nginx_program())
        .args(["-p"])
        .arg(&dir)
        .arg("-c")
        .arg(&conf)
        .args(["-g", "daemon off;"])
        .spawn()
        .map_err(|e| format!("cannot start nginx: {e}"))?;
    running.0.push(nginx);
    // However this process ends (Ctrl-C included), the nodes and nginx end with it.
    let pids: Vec<String> = running.0.iter().map(|c| c.id().to_string()).collect();
    let script = format!(
        "while kill -0 {} 2>/dev/null; do sleep 1; done; kill {} 2>/dev/null",
        std::process::id(),
        pids.join(" ")
    );
    let watchdog = Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the cluster's watchdog: {e}"))?;
    drop(watchdog);
    println!(
        "\nA Parley cluster of {} nodes is running behind nginx:",
        ports.len()
    );
    println!("  agent desktop:  http://127.0.0.1:{public}/");
    println!("  contact widget: http://localhost:{public}/chat/");
    println!("  nodes: {}", describe(&ports));
    println!("  PostgreSQL: {}", services.postgres_url);
    println!("  Redis: {}", services.redis_url);
    println!("  demo logins: {}", crate::DEMO_LOGINS);
    println!("Kill a node (kill -9 its pid) and the other one takes over; Ctrl-C stops it all.\n");
    // The nodes and nginx run until one of them ends or this process is stopped.
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
        for child in &mut running.0 {
            if let Ok(Some(status)) = child.try_wait() {
                println!("xtask: a process of the cluster ended ({status}); the others go on");
            }
        }
        running.0.retain_mut(|c| matches!(c.try_wait(), Ok(None)));
        if running.0.is_empty() {
            return Err("every process of the cluster has ended".into());
        }
    }
}

fn describe(ports: &[u16]) -> String {
    ports
        .iter()
        .enumerate()
        .map(|(n, p)| format!("node-{} on 127.0.0.1:{p}", n + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

fn nginx_program() -> &'static str {
    if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    }
}

/// The demo configuration with this node's `[cluster]` section.
fn node_config(dir: &Path, services: &Services, node: &str) -> Result<PathBuf, String> {
    let demo = root().join("config/demo.toml");
    let text = std::fs::read_to_string(&demo).map_err(|e| format!("{}: {e}", demo.display()))?;
    // Paths in the demo configuration are relative to its folder or to the repository.
    let config_dir = root().join("config");
    let text = text
        .replace(
            "attachment = \"",
            &format!("attachment = \"{}/", config_dir.display()),
        )
        .replace(
            "desktop_dir = \"",
            &format!("desktop_dir = \"{}/", root().display()),
        )
        .replace(
            "widget_dir = \"",
            &format!("widget_dir = \"{}/", root().display()),
        );
    let text = format!(
        "{text}\n[cluster]\ndatabase_url = \"{}\"\nredis_url = \"{}\"\nnode = \"{node}\"\n",
        services.postgres_url, services.redis_url
    );
    let path = dir.join(format!("{node}.toml"));
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// nginx in front of the nodes (`config/nginx-cluster.conf`).
fn nginx_config(dir: &Path, public: u16, nodes: &[u16]) -> Result<PathBuf, String> {
    let tmp = dir.join("nginx-tmp");
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let upstreams: String = nodes
        .iter()
        .map(|p| format!("    server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;\n"))
        .collect();
    let user = if crate::services::is_root() {
        "user root;\n"
    } else {
        ""
    };
    let template = root().join("config/nginx-cluster.conf");
    let conf = std::fs::read_to_string(&template)
        .map_err(|e| format!("{}: {e}", template.display()))?
        .replace("@USER@", user)
        .replace("@FILES@", &(SOCKETS * 3).to_string())
        .replace("@CONNECTIONS@", &(SOCKETS * 2).to_string())
        .replace("@DIR@", &tmp.to_string_lossy())
        .replace("@UPSTREAMS@", &upstreams)
        .replace("@PORT@", &public.to_string());
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}
