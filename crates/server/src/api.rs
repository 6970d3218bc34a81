//! `/api/v1`: what another server (a CRM, a web site's back end) asks of Parley with an API key:
//! start a chat for a contact, set its case data, read its transcript, list the live chats and
//! the agents' states, and get an agent a one-time sign-in token. Every route is registered
//! through its OpenAPI description, so the document (`/api/v1/openapi.json`, committed as
//! `docs/openapi.json`) cannot leave one out.
//!
//! - [`keys`]: the configured keys, their scopes and rates.

use crate::engine::OpenChat;
use crate::http::{api_error, bearer, AppState, StartChatRequest};
use crate::hub::host::{HostAnswer, HostCall, MAX_PAGE};
use crate::now_ms;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keys::{Refused, Scope};
use parley_protocol::{AgentId, ErrorCode, Event, InteractionId, Seq};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod keys;

/// How long a sign-in token from [`sign_in_token`] may be used.
pub const SIGN_IN_TTL_MS: i64 = 60_000;

/// The most transcript events one call returns.
pub const TRANSCRIPT_PAGE: usize = 500;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Parley API",
        version = "1",
        description = "What another server asks of Parley with an API key \
            (`Authorization: Bearer <key>`). Each key has scopes (`chats.write`, `chats.read`, \
            `agents.read`, `agents.sign_in`) and a rate; a call beyond the rate gets 429 with \
            `Retry-After`."
    ),
    modifiers(&BearerKey),
    tags(
        (name = "chats", description = "Chats and their transcripts"),
        (name = "agents", description = "Agents' states and sign-in")
    )
)]
struct ApiDoc;

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "api_key",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The `/api/v1` routes and their OpenAPI document, as served and committed (pretty JSON,
/// ending in a newline).
pub fn routes() -> (axum::Router<Arc<AppState>>, String) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(start_chat, list_chats))
        .routes(routes!(transcript))
        .routes(routes!(set_case_data))
        .routes(routes!(list_agents))
        .routes(routes!(sign_in_token))
        .split_for_parts();
    let mut json = doc.to_pretty_json().unwrap_or_default();
    json.push('\n');
    (router, json)
}

/// An error as every `/api/v1` route answers it.
#[derive(Serialize, ToSchema)]
struct ApiErrorBody {
    error: String,
}

/// The key's name when it may use `scope` now, or the answer that refuses it.
fn allow(state: &AppState, headers: &HeaderMap, scope: Scope) -> Result<String, Box<Response>> {
    let presented = bearer(headers);
    let refused = match state.api_keys.allow(presented.as_deref(), scope) {
        Ok(name) => return Ok(name.to_owned()),
        Err(Refused::Unknown) => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            Json(ApiErrorBody {
                error: "an API key is needed: Authorization: Bearer <key>".into(),
            }),
        )
            .into_response(),
        Err(Refused::Scope(scope)) => api_error(
            StatusCode::FORBIDDEN,
            format!("this key lacks the scope {}", scope.as_str()),
        ),
        Err(Refused::TooMany { retry_after_secs }) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after_secs.to_string())],
            Json(ApiErrorBody {
                error: "too many requests with this key; try again later".into(),
            }),
        )
            .into_response(),
    };
    Err(Box::new(refused))
}

/// What the writer answered, or 503 when none did.
async fn ask(state: &AppState, call: HostCall) -> Result<HostAnswer, Response> {
    match state.hub.host(call).await {
        Some(HostAnswer::Refused { code, reason }) => {
            let status = match code {
                ErrorCode::NotFound => StatusCode::NOT_FOUND,
                ErrorCode::Internal | ErrorCode::Busy => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_REQUEST,
            };
            Err(api_error(status, reason))
        }
        Some(answer) => Ok(answer),
        None => Err(api_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "no writer answered; try again",
        )),
    }
}

/// A new chat's session: what the contact's widget is opened with.
#[derive(Serialize, ToSchema)]
struct ChatSession {
    interaction: String,
    /// The contact's token: hand it to the widget only, never to anyone else.
    token: String,
    /// What the contact's web page may keep instead (`data-handle` on `embed.js`): the widget
    /// exchanges it for a token of its own, and it stops working when the chat is over.
    handle: Option<String>,
}

/// Starts a chat for a contact, as the pre-chat form does; the answer is the contact's widget
/// session, so the host site can open the widget on it.
#[utoipa::path(
    post,
    path = "/api/v1/chats",
    tag = "chats",
    request_body = StartChatRequest,
    responses(
        (status = 201, description = "Started", body = ChatSession),
        (status = 400, description = "Not a valid chat", body = ApiErrorBody),
        (status = 401, description = "No key, or an unknown one", body = ApiErrorBody),
        (status = 403, description = "The key lacks chats.write", body = ApiErrorBody),
        (status = 429, description = "Over the key's rate", body = ApiErrorBody),
        (status = 503, description = "Not now; try again", body = ApiErrorBody)
    ),
    security(("api_key" = ["chats.write"]))
)]
async fn start_chat(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<StartChatRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let caller = match allow(&state, &headers, Scope::ChatsWrite) {
        Ok(caller) => caller,
        Err(refused) => return *refused,
    };
    let Ok(Json(req)) = body else {
        return api_error(StatusCode::BAD_REQUEST, "send JSON with at least a name");
    };
    match crate::http::start(&state, req).await {
        Ok(started) => {
            tracing::info!(interaction = %started.interaction, caller, "chat started through the API");
            (
                StatusCode::CREATED,
                Json(ChatSession {
                    interaction: started.interaction.0,
                    token: started.token,
                    handle: started.handle,
                }),
            )
                .into_response()
        }
        Err(refused) => refused,
    }
}

/// A page of a list: `after` is where the next page starts.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    /// The last id of the page before.
    after: Option<String>,
    /// At most this many (1 to 200, 50 by default).
    limit: Option<usize>,
}

/// A contact as the pre-chat form gave it.
#[derive(Serialize, ToSchema)]
struct Contact {
    name: String,
    email: Option<String>,
    subject: Option<String>,
}

/// A live chat.
#[derive(Serialize, ToSchema)]
struct Chat {
    id: String,
    contact: Contact,
    queue: String,
    /// Milliseconds since 1970.
    started_at: i64,
    /// `queued`, `offered`, `active` or `ended`.
    state: String,
    /// Connected agents, the owner first.
    agents: Vec<String>,
    case_data: BTreeMap<String, String>,
}

impl From<OpenChat> for Chat {
    fn from(c: OpenChat) -> Self {
        Chat {
            id: c.id.0,
            contact: Contact {
                name: c.contact.name,
                email: c.contact.email,
                subject: c.contact.subject,
            },
            queue: c.queue.0,
            started_at: c.started_at,
            state: serde_json::to_value(c.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            agents: c.agents.into_iter().map(|a| a.0).collect(),
            case_data: c.case_data,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct Chats {
    chats: Vec<Chat>,
    /// Where the next page starts (`after`), when there may be one.
    next_after: Option<String>,
}

/// The live chats (not yet done by every agent), oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/chats",
    tag = "chats",
    params(Page),
    responses(
        (status = 200, description = "A page of live chats", body = Chats),
        (status = 401, description = "No key, or an unknown one", body = ApiErrorBody),
        (status = 403, description = "The key lacks chats.read", body = ApiErrorBody),
        (status = 429, description = "Over the key's rate", body = ApiErrorBody),
        (status = 503, description = "Not now; try again", body = ApiErrorBody)
    ),
    security(("api_key" = ["chats.read"]))
)]
async fn list_chats(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(page): Query<Page>,
) -> Response {
    if let Err(refused) = allow(&state, &headers, Scope::ChatsRead) {
        return *refused;
    }
    let limit = page.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let call = HostCall::OpenChats {
        after: page.after.map(InteractionId),
        limit,
    };
    match ask(&state, call).await {
        Ok(HostAnswer::Chats(chats)) => {
            let next_after = (chats.len() == limit)
                .then(|| chats.last().map(|c| c.id.0.clone()))
                .flatten();
            let chats = chats.into_iter().map(Chat::from).collect();
            Json(Chats { chats, next_after }).into_response()
        }
        Ok(_) => api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "an answer of another kind",
        ),
        Err(refused) => refused,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct After {
    /// The events after this sequence number (0: from the start).
    after: Option<Seq>,
}

/// A chat's record and a page of its events.
#[derive(Serialize, ToSchema)]
struct Transcript {
    id: String,
    contact: Contact,
    queue: String,
    started_at: i64,
    /// Every agent has marked it done.
    closed: bool,
    /// The events as the WebSocket protocol carries them, each with its audience (consultation
    /// messages are marked private to their two agents).
    #[schema(value_type = Vec<Object>)]
    events: Vec<Event>,
    /// Where the next page starts (`after`), when there is one.
    next_after: Option<Seq>,
}

/// A chat's transcript, live or finished: every event, including what only agents saw.
#[utoipa::path(
    get,
    path = "/api/v1/chats/{id}/transcript",
    tag = "chats",
    params(("id" = String, Path, description = "The chat's id"), After),
    responses(
        (status = 200, description = "The record and up to 500 events", body = Transcript),
        (status = 401, description = "No key, or an unknown one", body = ApiErrorBody),
        (status = 403, description = "The key lacks chats.read", body = ApiErrorBody),
        (status = 404, description = "No such chat", body = ApiErrorBody),
        (status = 429, description = "Over the key's rate", body = ApiErrorBody)
    ),
    security(("api_key" = ["chats.read"]))
)]
async fn transcript(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(after): Query<After>,
) -> Response {
    let key = match allow(&state, &headers, Scope::ChatsRead) {
        Ok(key) => key,
        Err(refused) => return *refused,
    };
    let id = InteractionId(id);
    let unavailable = |e: crate::store::StoreError| {
        tracing::error!("transcript of {id}: {e}");
        api_error(StatusCode::SERVICE_UNAVAILABLE, "not now; try again")
    };
    let (record, events) = match state.store.interaction(&id).await {
        Ok(Some(found)) => found,
        Ok(None) => return api_error(StatusCode::NOT_FOUND, "no such chat"),
        Err(e) => return unavailable(e),
    };
    let after = after.after.unwrap_or(0);
    let detail = Some(format!("events after {after}"));
    if let Err(e) =
        crate::audit::note(&*state.store, &id, format!("api:{key}"), "exported", detail).await
    {
        return unavailable(e);
    }
    let mut events: Vec<Event> = events.into_iter().filter(|e| e.seq > after).collect();
    let next_after = (events.len() > TRANSCRIPT_PAGE).then(|| events[TRANSCRIPT_PAGE - 1].seq);
    events.truncate(TRANSCRIPT_PAGE);
    Json(Transcript {
        id: record.id.0,
        contact: Contact {
            name: record.contact.name,
            email: record.contact.email,
            subject: record.contact.subject,
        },
        queue: record.queue.0,
        started_at: record.started_at,
        closed: record.closed,
        events,
        next_after,
    })
    .into_response()
}

/// One case data value.
#[derive(Deserialize, ToSchema)]
struct CaseDataValue {
    /// 1 to 100 characters.
    key: String,
    /// Up to 1000 characters; `null` (or empty) removes the key.
    value: Option<String>,
}

/// Sets a case data value of a live chat; its agents see the change at once.
#[utoipa::path(
    put,
    path = "/api/v1/chats/{id}/case-data",
    tag = "chats",
    params(("id" = String, Path, description = "The chat's id")),
    request_body = CaseDataValue,
    responses(
        (status = 204, description = "Set"),
        (status = 400, description = "Not a valid value, or the chat has ended", body = ApiErrorBody),
        (status = 401, description = "No key, or an unknown one", body = ApiErrorBody),
        (status = 403, description = "The key lacks chats.write", body = ApiErrorBody),
        (status = 404, description = "No such live chat", body = ApiErrorBody),
        (status = 429, description = "Over the key's rate", body = ApiErrorBody),
        (status = 503, description = "Not now; try again", body = ApiErrorBody)
    ),
    security(("api_key" = ["chats.write"]))
)]
async fn set_case_data(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<CaseDataValue>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Err(refused) = allow(&state, &headers, Scope::ChatsWrite) {
        return *refused;
    }
    let Ok(Json(CaseDataValue { key, value })) = body else {
        return api_error(StatusCode::BAD_REQUEST, "send JSON with a key and a value");
    };
    let call = HostCall::CaseData {
        interaction: InteractionId(id),
        key,
        value,
    };
    match ask(&state, call).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(refused) => refused,
    }
}

/// An agent's state.
#[derive(Serialize, ToSchema)]
struct Agent {
    id: String,
    name: String,
    /// A desktop of the agent is open.
    online: bool,
    /// `"ready"`, or `{"not_ready": {"reason": …}}`.
    #[schema(value_type = Object)]
    status: parley_protocol::AgentStatus,
    /// Open chats and offers.
    load: u32,
    capacity: u32,
}

#[derive(Serialize, ToSchema)]
struct Agents {
    agents: Vec<Agent>,
}

/// Every agent's state.
#[utoipa::path(
    get,
    path = "/api/v1/agents",
    tag = "agents",
    responses(
        (status = 200, description = "Every configured agent", body = Agents),
        (status = 401, description = "No key, or an unknown one", body = ApiErrorBody),
        (status = 403, description = "The key lacks agents.read", body = ApiErrorBody),
        (status = 429, description = "Over the key's rate", body = ApiErrorBody),
        (status = 503, description = "Not now; try again", body = ApiErrorBody)
    ),
    security(("api_key" = ["agents.read"]))
)]
async fn list_agents(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Err(refused) = allow(&state, &headers, Scope::AgentsRead) {
        return *refused;
    }
    match ask(&state, HostCall::Agents).await {
        Ok(HostAnswer::Agents(agents)) => Json(Agents {
            agents: agents
                .into_iter()
                .map(|a| Agent {
                    id: a.id.0,
                    name: a.name,
                    online: a.online,
                    status: a.status,
                    load: a.load,
                    capacity: a.capacity,
                })
                .collect(),
        })
        .into_response(),
        Ok(_) => api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "an answer of another kind",
        ),
        Err(refused) => refused,
    }
}

/// A one-time sign-in token.
#[derive(Serialize, ToSchema)]
struct SignInToken {
    /// Used once, at `POST /api/login/token`, before `expires_at`.
    token: String,
    /// Milliseconds since 1970.
    expires_at: i64,
}

/// A one-time token that signs the agent in to the desktop without a password, for a host that
/// has signed the agent in itself. It works once, within a minute.
#[utoipa::path(
    post,
    path = "/api/v1/agents/{id}/sign-in",
    tag = "agents",
    params(("id" = String, Path, description = "The agent's id")),
    responses(
        (status = 201, description = "A token for the agent", body = SignInToken),
        (status = 401, description = "No key, or an unknown one", body = ApiErrorBody),
        (status = 403, description = "The key lacks agents.sign_in", body = ApiErrorBody),
        (status = 404, description = "No such agent", body = ApiErrorBody),
        (status = 429, description = "Over the key's rate", body = ApiErrorBody),
        (status = 503, description = "Not now; try again", body = ApiErrorBody)
    ),
    security(("api_key" = ["agents.sign_in"]))
)]
async fn sign_in_token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let caller = match allow(&state, &headers, Scope::AgentsSignIn) {
        Ok(caller) => caller,
        Err(refused) => return *refused,
    };
    let agent = AgentId(id);
    if !state.config.agents.iter().any(|a| a.id == agent) {
        return api_error(StatusCode::NOT_FOUND, "no such agent");
    }
    let token = crate::auth::new_token();
    let expires_at = now_ms() + SIGN_IN_TTL_MS;
    let hash = crate::auth::token_hash(&token);
    if let Err(e) = state
        .store
        .create_sign_in(&hash, &agent, expires_at, None)
        .await
    {
        tracing::error!("sign-in token: {e}");
        return api_error(StatusCode::SERVICE_UNAVAILABLE, "not now; try again");
    }
    tracing::info!(agent = agent.as_str(), caller, "sign-in token made");
    (StatusCode::CREATED, Json(SignInToken { token, expires_at })).into_response()
}
