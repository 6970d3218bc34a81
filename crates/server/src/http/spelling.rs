//! `POST /api/spelling {text, language}`: the words of an agent's message the check does not
//! know (`crate::spelling`), before the desktop sends it. Agents only: a contact's message is
//! never checked.

use super::{api_error, AppState};
use crate::engine::Actor;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use parley_protocol::MAX_MESSAGE_CHARS;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Deserialize)]
pub(super) struct Check {
    text: String,
    /// The chat's language (`de`): the contact's, else the agent's.
    language: String,
}

#[derive(Serialize)]
struct Checked {
    /// The language checked; `None`: there is no dictionary for it, nothing was checked.
    language: Option<String>,
    /// The words it does not know, in the order written, each once.
    unknown: Vec<String>,
}

pub(super) async fn check(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<Check>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if !state.config.spelling.confirm {
        return api_error(StatusCode::NOT_FOUND, "the spelling check is off here");
    }
    let Some(token) = super::caller_token(&state, &headers) else {
        return api_error(StatusCode::UNAUTHORIZED, "log in first");
    };
    match crate::reads::authenticate(&*state.store, &token).await {
        Ok(Some(Actor::Agent(_))) => {}
        Ok(_) => return api_error(StatusCode::UNAUTHORIZED, "log in first"),
        Err(e) => {
            tracing::error!("spelling: the session could not be read: {e}");
            return api_error(StatusCode::SERVICE_UNAVAILABLE, "try again in a moment");
        }
    }
    let Ok(Json(check)) = body else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "send JSON with `text` and `language`",
        );
    };
    if check.text.chars().count() > MAX_MESSAGE_CHARS {
        return api_error(
            StatusCode::BAD_REQUEST,
            format!("text is longer than {MAX_MESSAGE_CHARS} characters"),
        );
    }
    let unknown = state.spelling.unknown(&check.language, &check.text).await;
    Json(Checked {
        language: unknown.is_some().then_some(check.language),
        unknown: unknown.unwrap_or_default(),
    })
    .into_response()
}
