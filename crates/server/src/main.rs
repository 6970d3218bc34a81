//! `parley-server`: runs the chat backend, or hashes a password for the configuration.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// mimalloc gives back memory that glibc's per-thread arenas keep: with 5,000 idle chats the
/// server held 104 KB per connection on glibc, 25 on mimalloc (`docs/decisions/0007`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "parley-server", about = "The Parley chat backend")]
struct Cli {
    /// Configuration file (TOML).
    #[arg(long, default_value = "config/demo.toml")]
    config: PathBuf,
    /// SQLite database file (overrides `server.db`).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Listen address (overrides `server.addr`).
    #[arg(long, env = "PARLEY_ADDR")]
    addr: Option<String>,
    /// Serve Prometheus metrics at `/metrics` on this address: a listener of its own, never the
    /// public one.
    #[arg(long, env = "PARLEY_METRICS_ADDR")]
    metrics_addr: Option<std::net::SocketAddr>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Reads a password from standard input (its first line) and prints its Argon2 hash, for
    /// an agent's `password_hash`. Not an argument: those show in `ps` and shell histories.
    HashPassword,
    /// Makes a new API key: prints the key (give it to the caller) and its hash (put it in
    /// `[[api_keys]] key_hashes`).
    ApiKey,
    /// Copies the SQLite database (`--db`, or `server.db`) into an empty PostgreSQL database,
    /// to move a single server to a cluster. Files stay in `server.files_dir`.
    MigrateToPostgres {
        /// The PostgreSQL database, `postgres://…`.
        #[arg(long)]
        to: String,
    },
    /// Erases a contact's data on request: every closed chat of that e-mail address (verified
    /// or typed), with its transcript, files and tokens, from the configured store (SQLite,
    /// or the cluster's PostgreSQL); says what it removed and which chats are still open.
    Erase {
        /// The contact's e-mail address.
        #[arg(long)]
        email: String,
    },
    /// Prints a chat's audit log: who opened, transferred, read or exported it, and when.
    Audit {
        /// The chat's id.
        #[arg(long)]
        chat: String,
    },
}

#[tokio::main]
async fn main() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // One JSON object per line for log collectors (`PARLEY_LOG=json`), text otherwise.
    if std::env::var("PARLEY_LOG").is_ok_and(|f| f == "json") {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("parley-server: {e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if let Some(Cmd::HashPassword) = cli.command {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| format!("reading the password from standard input: {e}"))?;
        let password = line.trim_end_matches(['\r', '\n']);
        if password.is_empty() {
            return Err("give the password on standard input: \
                        echo 'secret' | parley-server hash-password"
                .into());
        }
        println!(
            "{}",
            parley_server::auth::hash_password(password).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    if let Some(Cmd::ApiKey) = cli.command {
        let (key, hash) = parley_server::api::keys::new_key();
        println!("key:  {key}\nhash: {hash}");
        return Ok(());
    }
    let mut config = parley_server::config::load(&cli.config)?;
    if let Some(db) = cli.db {
        config.server.db = db;
    }
    if let Some(Cmd::MigrateToPostgres { to }) = &cli.command {
        use parley_server::store::{copy, PgStore, SqliteStore};
        let from = SqliteStore::open(&config.server.db).await?;
        let into = PgStore::open(to, 4).await?;
        let copied = copy::sqlite_to_postgres(&from, &into).await?;
        println!(
            "copied {} chats, {} events and {} other rows from {} into PostgreSQL",
            copied.interactions,
            copied.events,
            copied.other_rows,
            config.server.db.display()
        );
        return Ok(());
    }
    if let Some(Cmd::Erase { email }) = &cli.command {
        return erase(&config, email).await;
    }
    if let Some(Cmd::Audit { chat }) = &cli.command {
        return audit(&config, chat).await;
    }
    if let Some(addr) = cli.addr {
        config.server.addr = addr;
    }
    if let Some(addr) = cli.metrics_addr {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .with_http_listener(addr)
            .install()
            .map_err(|e| format!("metrics on {addr}: {e}"))?;
    }
    let server = config.server.clone();
    let (listener, app, node) = match config.cluster.clone() {
        Some(cluster) => {
            let (listener, app, node) = parley_server::start_node(config, &cluster).await?;
            println!("parley-server: node {} of the cluster", cluster.node);
            (listener, app, Some(node))
        }
        None => {
            let (listener, app) = parley_server::start(config).await?;
            (listener, app, None)
        }
    };
    let addr = listener.local_addr()?;
    println!(
        "parley-server listening on http://{addr}/ (desktop) and http://{addr}/chat/ (widget)"
    );
    let stop = async move {
        stop_asked().await;
        // A node hands the writer's lease back and tells its clients to reconnect elsewhere.
        if let Some(node) = &node {
            node.stop().await;
        }
    };
    parley_server::net::serve(listener, app, &server, stop).await;
    Ok(())
}

/// Ctrl-C, or SIGTERM: what service managers and orchestrators send to stop a process. Every
/// event is committed before it is delivered, so stopping between two commands loses nothing.
async fn stop_asked() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("stopping");
}

/// `erase`: forgets a contact's closed chats and reports.
async fn erase(
    config: &parley_server::config::Config,
    email: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if !email.contains('@') {
        return Err(format!("{email:?} is not an e-mail address").into());
    }
    let store = open_store(config).await?;
    let files = parley_server::files::FileDir::new(config.server.files_dir());
    let done = parley_server::retention::erase_contact(&*store, &files, email).await?;
    let f = &done.forgotten;
    println!(
        "erased {} chats of {email}: {} events, {} files, {} contact tokens",
        f.chats,
        f.events,
        f.files.len(),
        f.tokens
    );
    if !done.still_open.is_empty() {
        let open: Vec<&str> = done.still_open.iter().map(|id| id.as_str()).collect();
        println!(
            "still open, not erased: {} (erase again once they close)",
            open.join(", ")
        );
    }
    Ok(())
}

/// The configured store, for a command run beside the server: the cluster's PostgreSQL, or
/// the SQLite database.
async fn open_store(
    config: &parley_server::config::Config,
) -> Result<Box<dyn parley_server::store::Store>, Box<dyn std::error::Error + Send + Sync>> {
    use parley_server::store::{PgStore, SqliteStore};
    Ok(match &config.cluster {
        Some(cluster) => Box::new(PgStore::open(&cluster.database_url, 2).await?),
        None => Box::new(SqliteStore::open(&config.server.db).await?),
    })
}

/// `audit`: a chat's trail, one line per act.
async fn audit(
    config: &parley_server::config::Config,
    chat: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let store = open_store(config).await?;
    let chat = parley_protocol::InteractionId(chat.to_owned());
    let lines = parley_server::audit::trail(&*store, &chat).await?;
    if lines.is_empty() {
        return Err(format!("nothing is known of chat {chat} (never stored, or forgotten)").into());
    }
    for line in lines {
        let at = chrono::DateTime::from_timestamp_millis(line.at).map_or_else(
            || line.at.to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
        );
        let detail = line.detail.map(|d| format!("  {d}")).unwrap_or_default();
        println!("{at}  {}  {}{detail}", line.actor, line.action);
    }
    Ok(())
}
