//! The HTTP surface: login, starting a chat, the WebSocket upgrade (with its origin check), and
//! the two browser apps as static files.

use crate::config::Config;
use crate::engine::ContactInfo;
use crate::gateway;
use crate::hub::{HubHandle, NewChat, StartError};
use crate::store::Store;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use parley_protocol::visit::{journey_value, parse_journey};
use parley_protocol::{InteractionId, QueueId, Reason, LANGUAGE_KEY, MAX_MESSAGE_CHARS, VISIT_KEY};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceBuilder;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

mod files;
mod handles;
mod login;
pub mod origin;
mod policy;
mod spelling;

pub use origin::SESSION_COOKIE;

/// What every handler shares.
pub struct AppState {
    pub config: Arc<Config>,
    pub hub: HubHandle,
    /// Every query goes through the store's ports: any adapter serves.
    pub store: Arc<dyn Store>,
    pub files: crate::files::FileDir,
    /// Who may call `/api/v1`.
    pub api_keys: crate::api::keys::ApiKeys,
    /// Checks the identities sites sign for their visitors.
    pub identity: crate::identity::Verifier,
    /// The limits that keep one client from hurting the others.
    pub guards: Guards,
    /// What contacts call agents.
    pub aliases: crate::alias::Aliases,
    /// The spelling check of agents' messages.
    pub spelling: crate::spelling::Spelling,
}

/// The limits on what one client may ask of the server over HTTP.
pub struct Guards {
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The wait after failed logins, chats started per address, files sent per sender.
    pub throttle: crate::throttle::Throttle,
    /// Password checks at once.
    pub password_checks: tokio::sync::Semaphore,
    /// Parley's own host, origin and cookie.
    pub own: origin::Own,
    /// Frames per agent or contact, whatever socket they come on (per node: decision 0011).
    pub frames: crate::gateway::Budgets,
}

impl Guards {
    /// The guards of a server with these settings, listening on loopback only or not, counting
    /// the rare limits in `shared` when it is one node of a cluster.
    pub fn new(
        server: &crate::config::ServerConfig,
        loopback: bool,
        shared: Option<Arc<dyn crate::throttle::Tally>>,
    ) -> Result<Self, String> {
        Ok(Self {
            trusted_proxies: crate::config::trusted_proxies(server)?,
            throttle: crate::throttle::Throttle::new(
                server.chats_per_minute,
                server.uploads_per_minute,
                shared,
            )?,
            password_checks: tokio::sync::Semaphore::new(server.password_checks),
            own: origin::Own::new(
                server.public_origin.as_deref(),
                server.widget_host.as_deref(),
                loopback,
            ),
            frames: crate::gateway::Budgets::default(),
        })
    }
}

/// Whether the request came to the widget's host (see [`origin`]).
pub(crate) fn widget_side(state: &AppState, headers: &HeaderMap) -> bool {
    state
        .guards
        .own
        .is_widget(headers.get(header::HOST).and_then(|h| h.to_str().ok()))
}

/// The caller's token: a bearer token, or the session cookie.
pub(crate) fn caller_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    bearer(headers).or_else(|| state.guards.own.session_in(headers))
}

/// The connection a request came on (absent only where a router is called without one).
pub(crate) type Peer = Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>;

/// The address of the client of a request: its peer's, or behind a trusted proxy the one the
/// proxy names.
pub(crate) fn client_ip(state: &AppState, headers: &HeaderMap, peer: &Peer) -> std::net::IpAddr {
    let peer = peer
        .as_ref()
        .map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |p| p.0 .0.ip());
    crate::net::client_ip(peer, headers, &state.guards.trusted_proxies)
}

/// A wait as `Retry-After` says it: whole seconds, rounded up, at least one. Every 429 of the
/// server (logins, chat starts, uploads, API keys) rounds the same way.
pub(crate) fn retry_after_secs(wait_ms: i64) -> u64 {
    u64::try_from(wait_ms.max(1).saturating_add(999) / 1000).unwrap_or(1)
}

/// 429 with `Retry-After` in whole seconds.
pub(crate) fn too_many(wait_ms: i64, message: &str) -> Response {
    let secs = retry_after_secs(wait_ms);
    let mut refused = api_error(StatusCode::TOO_MANY_REQUESTS, message);
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        refused.headers_mut().insert(header::RETRY_AFTER, v);
    }
    refused
}

/// The whole router.
pub fn router(state: Arc<AppState>) -> Router {
    let server = &state.config.server;
    let desktop = ServeDir::new(&server.desktop_dir)
        .fallback(ServeFile::new(server.desktop_dir.join("index.html")));
    let widget = ServeDir::new(&server.widget_dir)
        .fallback(ServeFile::new(server.widget_dir.join("index.html")));
    // Only the configured CRM pages may frame the desktop; the widget, when sites are listed,
    // only theirs (with none listed, any site may embed it).
    let embedders = state.config.embed.hosts.iter().map(|h| h.origin.as_str());
    let desktop = ServiceBuilder::new()
        .layer(policy::app(Some(embedders)))
        .service(desktop);
    let widget_embedders = &state.config.widget.allowed_embedders;
    let widget = ServiceBuilder::new()
        .layer(policy::app(
            (!widget_embedders.is_empty()).then(|| widget_embedders.iter().map(String::as_str)),
        ))
        .service(widget);
    let api = Router::new()
        .route("/api/login", post(login::login))
        .route("/api/logout", post(login::logout))
        .route("/api/login/token", post(login::login_with_token))
        .route("/api/login/handoff", post(login::handoff))
        .route("/api/chats", post(start_chat))
        .route("/api/chats/resume", post(handles::resume))
        .route("/api/chats/release", post(handles::release))
        .route("/api/spelling", post(spelling::check))
        // The process lives.
        .route("/healthz", get(|| async { "ok" }))
        // It can serve: a load balancer takes a node that is not ready out.
        .route("/readyz", get(ready))
        .route("/api/health", get(ready))
        .layer(DefaultBodyLimit::max(16 * 1024))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            same_origin_writes,
        ));
    let uploads = Router::new()
        .route("/api/files", post(files::upload))
        .route("/api/files/response", post(files::from_response))
        .route("/api/files/{id}", get(files::download))
        // The limit is checked again with a clear message; this stops far larger bodies early.
        .layer(DefaultBodyLimit::max(server.max_file_bytes + 1024))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            same_origin_writes,
        ));
    let (v1, doc) = crate::api::routes();
    let doc = Arc::new(doc);
    let v1 = v1
        .route(
            "/api/v1/openapi.json",
            get(move || async move {
                ([(header::CONTENT_TYPE, "application/json")], (*doc).clone())
            }),
        )
        .layer(DefaultBodyLimit::max(16 * 1024));
    // The host API module is loaded by CRM pages of other origins, as a module script: CORS.
    let sdk = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
        .service(ServeDir::new(&server.embed_dir));
    api.merge(uploads)
        .merge(v1)
        .route("/api/embed", get(embed_hosts))
        .nest_service("/embed/", sdk)
        .route("/ws", get(socket))
        .route("/chat", get(|| async { Redirect::permanent("/chat/") }))
        .nest_service("/chat/", widget)
        .fallback_service(desktop)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            own_host,
        ))
        .layer(policy::everywhere())
        .with_state(state)
}

/// Requests must name Parley's host (see [`origin`]): probes and `/api/v1`, which other
/// machines call by whatever name they know, are not checked. With a widget host, that host
/// serves the widget and the contact's routes only, and the widget's pages on the desktop's
/// host send the browser there.
async fn own_host(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    let probe = matches!(path, "/healthz" | "/readyz" | "/api/health");
    let exempt = probe || path == "/api/v1" || path.starts_with("/api/v1/");
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    let own = &state.guards.own;
    let widget_page = path == "/chat" || path.starts_with("/chat/");
    if own.is_widget(host) {
        let contacts = matches!(
            path,
            "/api/chats" | "/api/chats/resume" | "/api/chats/release" | "/api/files" | "/ws"
        ) || (path.starts_with("/api/files/") && path != "/api/files/response");
        if !(widget_page || contacts || probe) {
            return api_error(
                StatusCode::NOT_FOUND,
                "this address serves the contact's chat only",
            );
        }
        return next.run(request).await;
    }
    if let Some(widget) = own.widget_origin(host).filter(|_| widget_page) {
        let rest = request.uri().path_and_query().map_or(path, |p| p.as_str());
        // Temporary: browsers would keep a permanent one after the setting changed.
        return Redirect::temporary(&format!("{widget}{rest}")).into_response();
    }
    if !exempt && !state.guards.own.host_allowed(host) {
        return api_error(
            StatusCode::MISDIRECTED_REQUEST,
            "this server does not answer to that name",
        );
    }
    next.run(request).await
}

#[derive(Serialize)]
struct EmbedHosts<'a> {
    hosts: &'a [crate::config::EmbedHost],
}

/// The origins that may frame the desktop and their scopes: the desktop answers a host's
/// requests only from these (the same list the `frame-ancestors` header names).
async fn embed_hosts(State(state): State<Arc<AppState>>) -> Response {
    Json(EmbedHosts {
        hosts: &state.config.embed.hosts,
    })
    .into_response()
}

/// A JSON error body: `{"error": "...", "reason": "..."}`, the reason where the status says too
/// little (see [`Reason`]).
#[derive(Serialize)]
struct ApiError {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

pub(crate) fn api_error(status: StatusCode, message: impl Into<String>) -> Response {
    api_error_for(status, message.into(), None)
}

/// [`api_error`] with the reason the apps say in the reader's language.
pub(crate) fn api_error_for(status: StatusCode, message: String, why: Option<Reason>) -> Response {
    (
        status,
        Json(ApiError {
            error: message,
            reason: why.map(Reason::key),
        }),
    )
        .into_response()
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_owned)
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A new chat, as the pre-chat form (or a host system) fills it in.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct StartChatRequest {
    name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    queue: Option<QueueId>,
    /// Attached data from the host page (e.g. the visitor's journey): at most 50 keys of 100
    /// characters, values of 1000.
    #[serde(default)]
    case_data: BTreeMap<String, String>,
    /// The visitor's identity as the site signed it (a JWT): its e-mail replaces the one typed,
    /// and links the contact's chats. One that does not verify refuses the chat.
    #[serde(default)]
    identity: Option<String>,
    /// The contact's language, as their widget speaks it (`de`: two or three lowercase
    /// letters): kept with the chat as case data (`Language`), for the agent to see and the
    /// spelling check to use.
    #[serde(default)]
    language: Option<String>,
}

/// A chat just started: what the contact's widget needs.
#[derive(Serialize)]
pub(crate) struct Started {
    pub interaction: InteractionId,
    /// The contact's token: the widget's, never its host page's.
    pub token: String,
    /// What the host page keeps to bring the chat back after a reload (see [`handles`]);
    /// `None` when the store could not keep one.
    pub handle: Option<String>,
}

fn optional(field: Option<String>, what: &str, max: usize) -> Result<Option<String>, String> {
    let field = field.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    match field {
        Some(s) if s.chars().count() > max => {
            Err(format!("{what} is longer than {max} characters"))
        }
        other => Ok(other),
    }
}

fn contact_from(req: &StartChatRequest) -> Result<ContactInfo, String> {
    let name = req.name.trim().to_owned();
    if name.is_empty() {
        return Err("enter your name".into());
    }
    if name.chars().count() > 100 {
        return Err("name is longer than 100 characters".into());
    }
    let email = optional(req.email.clone(), "e-mail", 200)?;
    if email.as_ref().is_some_and(|e| !e.contains('@')) {
        return Err("e-mail address is not valid".into());
    }
    let subject = optional(req.subject.clone(), "subject", 200)?;
    let shown = |s: String| crate::engine::marks::shown(&s).into_owned();
    Ok(ContactInfo {
        name: shown(name),
        email: email.map(shown),
        subject: subject.map(shown),
        verified: false,
    })
}

async fn start_chat(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    peer: Peer,
    body: Result<Json<StartChatRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let ip = client_ip(&state, &headers, &peer);
    if let Err(wait) = state
        .guards
        .throttle
        .chat_start(crate::net::subnet(ip))
        .await
    {
        tracing::info!(address = %ip, "chat start refused: over the rate");
        return too_many(
            wait,
            "too many chats started from here; try again in a minute",
        );
    }
    let Ok(Json(req)) = body else {
        return api_error(StatusCode::BAD_REQUEST, "send JSON with at least a name");
    };
    match start(&state, req).await {
        Ok(started) => Json(started).into_response(),
        Err(refused) => refused,
    }
}

/// Checks a new chat and starts it: its id, the contact's token and the host page's handle, or
/// the answer refusing it.
pub(crate) async fn start(state: &AppState, req: StartChatRequest) -> Result<Started, Response> {
    let bad = |e: String| api_error(StatusCode::BAD_REQUEST, e);
    let mut contact = contact_from(&req).map_err(bad)?;
    if let Some(token) = req.identity.as_deref() {
        let identity = state.identity.verify(token).map_err(|e| {
            tracing::info!("an identity was refused: {e}");
            bad(e)
        })?;
        contact.email = Some(crate::engine::marks::shown(&identity.email).into_owned());
        contact.verified = true;
    }
    let text = optional(req.text, "message", MAX_MESSAGE_CHARS).map_err(bad)?;
    let mut case_data = req.case_data;
    // The visitor's journey is checked and rewritten here: only well-formed web pages reach agents.
    if let Some(raw) = case_data.remove(VISIT_KEY) {
        if let Some(visits) = parse_journey(&raw) {
            case_data.insert(VISIT_KEY.to_owned(), journey_value(&visits));
        }
    }
    if case_data.len() > 50
        || case_data
            .iter()
            .any(|(k, v)| k.chars().count() > 100 || (k != VISIT_KEY && v.chars().count() > 1000))
    {
        return Err(bad(
            "case data: at most 50 keys of 100 characters, values of 1000".into(),
        ));
    }
    let mut case_data: BTreeMap<String, String> = case_data
        .into_iter()
        .map(|(k, v)| {
            let shown = |s: &str| crate::engine::marks::shown(s).into_owned();
            (shown(&k), shown(&v))
        })
        .collect();
    if let Some(language) = req.language {
        if !parley_protocol::is_language_code(&language) {
            return Err(bad(
                "language is two or three lowercase letters (`de`)".into()
            ));
        }
        case_data.insert(LANGUAGE_KEY.to_owned(), language);
    }
    let chat = NewChat {
        contact,
        queue: req.queue,
        text,
        case_data,
    };
    match state.hub.start_chat(chat).await {
        Ok((interaction, token)) => Ok(Started {
            handle: handles::mint(state, &interaction).await,
            interaction,
            token,
        }),
        Err(StartError::Refused(m)) => Err(bad(m)),
        Err(e) => {
            tracing::error!("start chat: {e}");
            Err(api_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "chat is not available right now; try again",
            ))
        }
    }
}

/// Requests that change something (logins, chats, uploads) from a browser page come from
/// Parley's own pages or the configured origins: a page elsewhere cannot make a signed-in
/// agent's browser act (its `Origin` gives it away; browsers send it on every such request).
/// Clients that are not browsers send none and pass; `/api/v1` (API keys) is not behind this.
async fn same_origin_writes(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let reads = matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let allowed = &state.config.server.allowed_origins;
    if !reads && !state.guards.own.origin_allowed(request.headers(), allowed) {
        return api_error(
            StatusCode::FORBIDDEN,
            "this page's origin may not send this request to Parley",
        );
    }
    next.run(request).await
}

async fn socket(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    slot: Option<axum::Extension<crate::net::ConnSlot>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !state
        .guards
        .own
        .origin_allowed(&headers, &state.config.server.allowed_origins)
    {
        return api_error(
            StatusCode::FORBIDDEN,
            "this origin may not open a Parley socket",
        );
    }
    let token = state.guards.own.session_in(&headers);
    let contacts_only = widget_side(&state, &headers);
    let server = &state.config.server;
    let edge = gateway::Edge {
        reads: crate::reads::Reads {
            hub: state.hub.clone(),
            store: state.store.clone(),
            history_days: state.config.chat.history_days,
            contacts_only,
            aliases: state.aliases.clone(),
        },
        limits: gateway::Limits {
            burst: server.frame_burst,
            per_second: server.frames_per_second,
        },
        outbox: crate::outbox::Limits {
            bytes: server.outbox_bytes,
            ..Default::default()
        },
        hello_timeout: std::time::Duration::from_secs(u64::from(server.hello_timeout_secs)),
        ping_every: std::time::Duration::from_secs(u64::from(server.ping_secs)),
        budgets: state.guards.frames.clone(),
    };
    upgrade
        // The protocol's limit at the transport too: a larger frame is refused as its header
        // arrives (1009), never buffered.
        .max_message_size(parley_protocol::MAX_FRAME_BYTES)
        .max_frame_size(parley_protocol::MAX_FRAME_BYTES)
        // Chat frames are small: tungstenite's 128 KiB default buffers would dominate memory at
        // thousands of connections.
        .read_buffer_size(8 * 1024)
        .write_buffer_size(8 * 1024)
        .on_upgrade(move |ws| async move {
            // The socket keeps its connection's place under the caps while it lives.
            let _slot = slot;
            let (writer, reader) = ws.split();
            gateway::serve(writer, reader, edge, token).await;
        })
}

/// Ready when the store answers and a writer (this process's, or the cluster's) answers within
/// two seconds; 503 with the reason otherwise.
async fn ready(State(state): State<Arc<AppState>>) -> (StatusCode, &'static str) {
    let wait = std::time::Duration::from_secs(2);
    let store = tokio::time::timeout(wait, state.store.session_agent("")).await;
    if !matches!(store, Ok(Ok(_))) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the database does not answer",
        );
    }
    if !state.hub.edges().subscribed() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the bus does not reach this node",
        );
    }
    if !state.hub.writer_answers(wait).await {
        return (StatusCode::SERVICE_UNAVAILABLE, "no writer answers");
    }
    (StatusCode::OK, "ok")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; parley_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "zzz"), None);
    }

    #[test]
    fn the_pre_chat_form_is_checked() {
        let req = |name: &str, email: Option<&str>| StartChatRequest {
            name: name.into(),
            email: email.map(Into::into),
            subject: None,
            text: None,
            queue: None,
            case_data: BTreeMap::new(),
            identity: None,
            language: None,
        };
        assert_eq!(
            contact_from(&req("  ", None)),
            Err("enter your name".into())
        );
        assert!(contact_from(&req("Mark", Some("not-an-email"))).is_err());
        let ok = contact_from(&req(" Mark ", Some(" "))).expect("valid");
        assert_eq!((ok.name.as_str(), ok.email), ("Mark", None));
        assert!(contact_from(&req(&"x".repeat(101), None)).is_err());
    }
}
