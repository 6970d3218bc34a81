//! PostgreSQL and Redis for the cluster: installed from Debian's packages when missing (their
//! system services are never started), run from data folders of their own under
//! `target/services/` on free loopback ports, and stopped when [`Services`] is dropped, or by a
//! watchdog when this process dies without dropping it.

use crate::{cmd, root, run};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a service is given to accept connections.
const START_WAIT: Duration = Duration::from_secs(60);

/// Running PostgreSQL and Redis, and where to reach them.
pub struct Services {
    /// `postgres://…` of a superuser (tests create a database each).
    pub postgres_url: String,
    /// `redis://…`.
    pub redis_url: String,
    pg_ctl: PathBuf,
    pg_data: PathBuf,
    redis: Child,
    watchdog: Option<Child>,
    dir: PathBuf,
    /// Thrown away when stopped (tests); otherwise kept for the next start.
    scratch: bool,
}

/// Whether this process runs as root (PostgreSQL refuses to: it then runs as `postgres`).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The directory of PostgreSQL's programs (`initdb`, `pg_ctl`), the newest installed.
fn pg_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs PostgreSQL, Redis and nginx from Debian's packages when missing, without starting
/// their system services.
pub fn ensure() -> Result<(), String> {
    let missing: Vec<&str> = [
        ("postgresql", pg_bin().is_some()),
        ("redis-server", have("redis-server")),
        (
            "nginx",
            have("nginx") || Path::new("/usr/sbin/nginx").exists(),
        ),
    ]
    .into_iter()
    .filter(|(_, there)| !there)
    .map(|(package, _)| package)
    .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        return Err(format!(
            "the cluster needs {}: run `sudo apt-get install {}`",
            missing.join(", "),
            missing.join(" ")
        ));
    }
    println!("xtask: installing {} from apt", missing.join(", "));
    // Debian starts a package's service on installation unless policy-rc.d refuses (101).
    let policy = Path::new("/usr/sbin/policy-rc.d");
    let ours = !policy.exists();
    if ours {
        std::fs::write(policy, "#!/bin/sh\nexit 101\n")
            .and_then(|_| set_mode(policy, 0o755))
            .map_err(|e| format!("policy-rc.d: {e}"))?;
    }
    let installed = run(cmd("apt-get").arg("update")).and_then(|_| {
        run(cmd("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"))
    });
    if ours {
        let _ = std::fs::remove_file(policy);
    }
    installed
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// A free port on the loopback address.
pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Waits until something accepts connections on the port.
fn wait_for(name: &str, port: u16) -> Result<(), String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if started.elapsed() > START_WAIT {
            return Err(format!(
                "{name} did not accept connections on {addr} in time"
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// A command run as `postgres` when this process is root.
fn as_pg(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Starts PostgreSQL and Redis in `target/services/<name>/`; `scratch`: data thrown away after
/// (tests), so PostgreSQL does not sync it to disk.
pub fn start(name: &str, scratch: bool) -> Result<Services, String> {
    ensure()?;
    let bin = pg_bin().ok_or("PostgreSQL is not installed")?;
    let dir = root().join("target/services").join(name);
    let pg_data = dir.join("pg");
    // Kept data is used again at the next start.
    let kept = !scratch && pg_data.join("PG_VERSION").exists();
    if !kept {
        let _ = std::fs::remove_dir_all(&dir);
    }
    std::fs::create_dir_all(&pg_data).map_err(|e| format!("{}: {e}", pg_data.display()))?;
    if is_root() {
        run(Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir))?;
    }
    set_mode(&pg_data, 0o700).map_err(|e| format!("{}: {e}", pg_data.display()))?;
    if kept {
        // One left running by an earlier run that could not stop it is stopped first.
        let _ = as_pg(&bin.join("pg_ctl"))
            .arg("-D")
            .arg(&pg_data)
            .args(["-m", "fast", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    } else {
        run(as_pg(&bin.join("initdb"))
            .args([
                "-U",
                "parley",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&pg_data)
            .stdout(Stdio::null()))?;
    }
    let pg_port = free_port()?;
    let mut options =
        format!("-p {pg_port} -c listen_addresses=127.0.0.1 -c max_connections=200 -k ");
    options.push_str(&pg_data.to_string_lossy());
    if scratch {
        options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
    }
    let pg_ctl = bin.join("pg_ctl");
    run(as_pg(&pg_ctl)
        .arg("-D")
        .arg(&pg_data)
        .args(["-o", &options, "-l"])
        .arg(pg_data.join("log"))
        .args(["-w", "start"])
        .stdout(Stdio::null()))?;
    let redis_port = free_port()?;
    let redis_dir = dir.join("redis");
    std::fs::create_dir_all(&redis_dir).map_err(|e| format!("{}: {e}", redis_dir.display()))?;
    let redis = Command::new("redis-server")
        .args(["--port", &redis_port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--dir"])
        .arg(&redis_dir)
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start redis-server: {e}"))?;
    let mut services = Services {
        postgres_url: format!("postgres://parley@127.0.0.1:{pg_port}/postgres"),
        redis_url: format!("redis://127.0.0.1:{redis_port}/"),
        pg_ctl,
        pg_data,
        redis,
        watchdog: None,
        dir,
        scratch,
    };
    wait_for("PostgreSQL", pg_port)?;
    wait_for("Redis", redis_port)?;
    services.watchdog = Some(services.watchdog()?);
    Ok(services)
}

impl Services {
    /// A shell that stops both services once this process is gone, however it ended. It runs
    /// in a session of its own, so the Ctrl-C that stops this process does not stop it too.
    fn watchdog(&self) -> Result<Child, String> {
        let stop_pg = format!(
            "{} -D '{}' -m immediate stop",
            self.pg_ctl.display(),
            self.pg_data.display()
        );
        let stop_pg = if is_root() {
            format!("runuser -u postgres -- {stop_pg}")
        } else {
            stop_pg
        };
        let script = format!(
            "while kill -0 {me} 2>/dev/null; do sleep 2; done; {stop_pg} >/dev/null 2>&1; \
             kill {redis} 2>/dev/null",
            me = std::process::id(),
            redis = self.redis.id(),
        );
        Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the services' watchdog: {e}"))
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        let _ = as_pg(&self.pg_ctl)
            .arg("-D")
            .arg(&self.pg_data)
            .args(["-m", "fast", "stop"])
            .stdout(Stdio::null())
            .status();
        let _ = self.redis.kill();
        let _ = self.redis.wait();
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        if self.scratch {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
