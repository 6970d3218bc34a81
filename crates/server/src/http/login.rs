//! Agent sign-in: a password, a one-time token, the hand-off that carries a sign-in from one
//! window of the desktop to another, and logging out.
//!
//! A framed desktop cannot count on storage (browsers block or partition it in third-party
//! frames), so it keeps its session in memory and leans on two hand-offs, both one-time tokens
//! minted from a session (`POST /api/login/handoff`):
//! - a pop-up on Parley's own origin, where password managers and single sign-on work, signs in
//!   and hands the frame a token by `postMessage`;
//! - the framed desktop leaves its host page a fresh token every few minutes, which a reloaded
//!   frame uses to sign in again without a prompt.
//!
//! Using such a token ends the session that minted it (the session moves to the new window),
//! and logging out of that session revokes the token.

use super::{api_error, api_error_for, AppState};
use crate::auth::{hash_password, new_token, token_hash, verify_password};
use crate::now_ms;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use parley_protocol::{AgentId, Reason};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, LazyLock};

/// How long a hand-off token may be used: a framed desktop mints a new one well before.
pub const HANDOFF_TTL_MS: i64 = 5 * 60_000;

#[derive(Deserialize)]
pub(super) struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct LoginResponse {
    token: String,
    agent: AgentId,
    name: String,
}

pub(super) async fn login(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    peer: super::Peer,
    body: Result<Json<LoginRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(req)) = body else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "send JSON with username and password",
        );
    };
    let ip = super::client_ip(&state, &headers, &peer);
    // The key of the growing wait: what was typed, bounded.
    let user: String = req.username.trim().chars().take(100).collect();
    let guards = &state.guards;
    let waiting = |wait| {
        tracing::warn!(address = %ip, user, "login refused: waiting after failures");
        super::too_many(wait, "too many failed logins; wait a little and try again")
    };
    let key = crate::net::subnet(ip);
    if let Err(wait) = guards.throttle.login_wait(&user, key).await {
        return waiting(wait);
    }
    // Each check takes about 19 MiB: only so many at once.
    let Ok(Ok(permit)) = tokio::time::timeout(CHECK_WAIT, guards.password_checks.acquire()).await
    else {
        tracing::warn!(address = %ip, user, "login refused: too many password checks at once");
        return api_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is busy; try again in a moment",
        );
    };
    // Again: guesses sent together all passed the first check while they queued.
    if let Err(wait) = guards.throttle.login_wait(&user, key).await {
        return waiting(wait);
    }
    let agent = state
        .config
        .agents
        .iter()
        .find(|a| a.id.as_str() == user)
        .cloned();
    // Verify against a real hash even for unknown users so timing does not reveal who exists.
    let phc = agent
        .as_ref()
        .map_or_else(|| DUMMY_HASH.clone(), |a| a.password_hash.clone());
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    // The check is done: what follows (counting, the session) waits on no password check.
    drop(permit);
    let Some(agent) = agent.filter(|_| ok) else {
        guards.throttle.login_failed(&user, key).await;
        tracing::warn!(address = %ip, user, "login refused: wrong username or password");
        return api_error_for(
            StatusCode::UNAUTHORIZED,
            Reason::WrongCredentials.text().into(),
            Some(Reason::WrongCredentials),
        );
    };
    guards.throttle.login_succeeded(&user, key).await;
    open_session(&state, agent).await
}

/// How long a login waits for a free password check.
const CHECK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Deserialize)]
pub(super) struct TokenLogin {
    token: String,
}

/// Signs in with a one-time token (from a host system through `/api/v1`, or a hand-off): the
/// token is used up, a session it was minted from ends, and the answer is a login's.
pub(super) async fn login_with_token(
    State(state): State<Arc<AppState>>,
    body: Result<Json<TokenLogin>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(TokenLogin { token })) = body else {
        return api_error(StatusCode::BAD_REQUEST, "send JSON with the sign-in token");
    };
    let unavailable = |e: crate::store::StoreError| {
        tracing::error!("sign-in token: {e}");
        api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not log you in; try again",
        )
    };
    let taken = match state
        .store
        .take_sign_in(&token_hash(&token), now_ms())
        .await
    {
        Ok(taken) => taken,
        Err(e) => return unavailable(e),
    };
    let Some(taken) = taken else {
        return api_error_for(
            StatusCode::UNAUTHORIZED,
            Reason::SignInUsed.text().into(),
            Some(Reason::SignInUsed),
        );
    };
    let used_up = || {
        api_error_for(
            StatusCode::UNAUTHORIZED,
            Reason::SignInUsed.text().into(),
            Some(Reason::SignInUsed),
        )
    };
    let agent = state.config.agents.iter().find(|a| a.id == taken.agent);
    let Some(agent) = agent.cloned() else {
        return used_up();
    };
    let Some(from) = &taken.from_session else {
        return open_session(&state, agent).await;
    };
    // A hand-off moves the session, login time and all: it never outlives its first login.
    let token = new_token();
    match state
        .store
        .move_session(from, &token_hash(&token), now_ms())
        .await
    {
        Ok(true) => {}
        // The session ended (logout, expiry) after the link was made.
        Ok(false) => return used_up(),
        Err(e) => return unavailable(e),
    }
    state.hub.end_session(from);
    signed_in(&state, token, agent)
}

/// A hand-off token.
#[derive(Serialize)]
struct Handoff {
    /// Used once, at `POST /api/login/token`, before `expires_at`.
    token: String,
    /// Milliseconds since 1970.
    expires_at: i64,
}

/// A one-time token minted from the caller's session (bearer or cookie), replacing the one it
/// minted before. Using it moves the session to whoever uses it.
pub(super) async fn handoff(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let Some(session) = super::caller_token(&state, &headers) else {
        return api_error(StatusCode::UNAUTHORIZED, "log in first");
    };
    let session = token_hash(&session);
    let agent = match state.store.session_agent(&session).await {
        Ok(Some(agent)) => agent,
        Ok(None) => {
            return api_error(
                StatusCode::UNAUTHORIZED,
                "your session has expired; log in again",
            )
        }
        Err(e) => {
            tracing::error!("hand-off: {e}");
            return api_error(StatusCode::SERVICE_UNAVAILABLE, "not now; try again");
        }
    };
    let token = new_token();
    let expires_at = now_ms() + HANDOFF_TTL_MS;
    if let Err(e) = state
        .store
        .create_sign_in(&token_hash(&token), &agent, expires_at, Some(&session))
        .await
    {
        tracing::error!("hand-off: {e}");
        return api_error(StatusCode::SERVICE_UNAVAILABLE, "not now; try again");
    }
    (StatusCode::CREATED, Json(Handoff { token, expires_at })).into_response()
}

/// A new session for the agent: the cookie and the login answer.
async fn open_session(state: &AppState, agent: crate::config::AgentConfig) -> Response {
    let token = new_token();
    if let Err(e) = state
        .store
        .create_session(&token_hash(&token), &agent.id, now_ms())
        .await
    {
        tracing::error!("login: {e}");
        return api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not log you in; try again",
        );
    }
    signed_in(state, token, agent)
}

/// The answer to a sign-in: the session's cookie and token.
fn signed_in(state: &AppState, token: String, agent: crate::config::AgentConfig) -> Response {
    let cookie = state.guards.own.session_cookie(&token);
    (
        [(header::SET_COOKIE, cookie)],
        Json(LoginResponse {
            token,
            agent: agent.id,
            name: agent.name,
        }),
    )
        .into_response()
}

/// A real Argon2 hash of a random string, so unknown usernames cost the same time as known ones.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password(&new_token()).unwrap_or_default());

/// Ends the session, and revokes the hand-off token it minted.
pub(super) async fn logout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(token) = super::caller_token(&state, &headers) {
        let session = token_hash(&token);
        let _ = state.store.delete_session(&session).await;
        // The sockets of that session close now, not at their next reconnect.
        state.hub.end_session(&session);
    }
    let clear = state.guards.own.cleared_cookie();
    ([(header::SET_COOKIE, clear)], StatusCode::NO_CONTENT).into_response()
}
