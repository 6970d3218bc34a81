//! The Parley chat backend.
//!
//! - [`config`]: the TOML configuration (agents, queues, dispositions, limits).
//! - [`engine`]: the `parley-engine` crate, re-exported: routing and the interaction state
//!   machine. Pure: no I/O, no clock, no randomness (its dependencies are the protocol and serde).
//! - [`store`]: the [`store::Store`] trait and its SQLite implementation (append-only event log).
//! - [`auth`]: password hashing and opaque session tokens.
//! - [`access`]: who may read what, a read model the writer keeps for reads off the writer.
//! - [`hub`]: the single task that owns the engine, persists its effects and fans events out.
//! - [`cluster`]: what several nodes share: the writer's lease on PostgreSQL.
//! - [`edge`]: the ports between the writer and the connections (`Bus`, `Presence`, `Lease`)
//!   and this process's connections, their in-memory adapter.
//! - [`outbox`]: each connection's bounded queue of frames, encoded once per message.
//! - [`reads`]: `older`, `earlier` and `history`, answered at the edge from the store.
//! - [`gateway`]: WebSocket connections: origin check, framing, hello, parsing at the edge.
//! - [`http`]: the router: login, starting a chat, the socket, and the two browser apps.
//! - [`api`]: `/api/v1`, what other servers ask with an API key, and its OpenAPI document.
//! - [`webhooks`]: chats' domain events POSTed to receivers, from the store's feed.
//! - [`identity`]: verified contacts, from identities their sites sign.
//!
//! Every state change goes `gateway → hub → engine → store → connections`, in that order: an
//! event reaches a client only after it is stored.

pub mod access;
pub mod alias;
pub mod api;
pub mod audit;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod edge;
pub mod expiry;
pub use parley_engine as engine;
pub mod files;
pub mod gateway;
pub mod http;
pub mod hub;
pub mod identity;
pub mod net;
pub mod outbox;
pub mod reads;
pub mod retention;
pub mod spelling;
pub mod store;
pub mod throttle;
pub mod webhooks;

use std::time::{SystemTime, UNIX_EPOCH};

/// The wall clock in protocol milliseconds; the engine never reads it itself.
pub fn now_ms() -> parley_protocol::Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Opens the store, restores the hub and binds the listener: everything but serving.
pub async fn start(
    config: config::Config,
) -> Result<(tokio::net::TcpListener, axum::Router), Box<dyn std::error::Error + Send + Sync>> {
    let store = store::SqliteStore::open(&config.server.db).await?;
    start_with(config, store).await
}

/// [`start`] on a store of the caller's (tests use one that fails on demand).
pub async fn start_with<S: store::Store + Clone>(
    config: config::Config,
    store: S,
) -> Result<(tokio::net::TcpListener, axum::Router), Box<dyn std::error::Error + Send + Sync>> {
    let config = std::sync::Arc::new(config);
    let hub = hub::start(config.clone(), store.clone()).await?;
    listen(config, hub, std::sync::Arc::new(store), None).await
}

/// Starts this process as one node of the cluster its configuration's `[cluster]` names.
pub async fn start_node(
    config: config::Config,
    cluster: &config::ClusterConfig,
) -> Result<
    (tokio::net::TcpListener, axum::Router, cluster::node::Node),
    Box<dyn std::error::Error + Send + Sync>,
> {
    let config = std::sync::Arc::new(config);
    let node = cluster::node::start(config.clone(), cluster).await?;
    let (listener, app) = listen(
        config,
        node.hub.clone(),
        node.store.clone(),
        Some(node.tally.clone()),
    )
    .await?;
    Ok((listener, app, node))
}

/// The agents whose password is the demo's (`<id>-demo`, published in the README).
pub fn demo_passwords(config: &config::Config) -> Vec<String> {
    config
        .agents
        .iter()
        .filter(|a| auth::verify_password(&format!("{}-demo", a.id.as_str()), &a.password_hash))
        .map(|a| a.id.as_str().to_owned())
        .collect()
}

/// Refuses an address other machines can reach while agents have the demo's passwords.
fn no_demo_passwords_on(ip: std::net::IpAddr, config: &config::Config) -> Result<(), String> {
    if ip.is_loopback() {
        return Ok(());
    }
    let demo = demo_passwords(config);
    if demo.is_empty() {
        return Ok(());
    }
    Err(format!(
        "refusing to listen on {ip}, reachable from other machines, while agents {} have the \
         demo's published passwords: give them their own (parley-server hash-password), or \
         listen on 127.0.0.1",
        demo.join(", ")
    ))
}

/// Binds the listener and builds the router for a node with this writer handle and store, and
/// its cluster's tally of the shared limits.
async fn listen(
    config: std::sync::Arc<config::Config>,
    hub: hub::HubHandle,
    store: std::sync::Arc<dyn store::Store>,
    tally: Option<std::sync::Arc<dyn throttle::Tally>>,
) -> Result<(tokio::net::TcpListener, axum::Router), Box<dyn std::error::Error + Send + Sync>> {
    // Checked before binding when the address says where (nothing listens even for a moment),
    // and after it when a name had to be resolved.
    if let Ok(addr) = config.server.addr.parse::<std::net::SocketAddr>() {
        no_demo_passwords_on(addr.ip(), &config)?;
    }
    let listener = tokio::net::TcpListener::bind(&config.server.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.server.addr))?;
    no_demo_passwords_on(listener.local_addr()?.ip(), &config)?;
    expiry::start(store.clone(), hub.clone(), &config.server);
    let files = files::FileDir::new(config.server.files_dir());
    retention::start(store.clone(), files.clone(), config.server.retention_days);
    let identity = identity::Verifier::new(&config.identity)?;
    let aliases = alias::Aliases::load(&*store).await?;
    let app = http::router(std::sync::Arc::new(http::AppState {
        aliases,
        spelling: spelling::Spelling::new(&config.spelling),
        api_keys: api::keys::ApiKeys::new(&config.api_keys),
        identity,
        guards: http::Guards::new(
            &config.server,
            listener.local_addr()?.ip().is_loopback(),
            tally,
        )?,
        config,
        hub,
        store,
        files,
    }));
    Ok((listener, app))
}
