//! What a website keeps of a contact's chat: a handle, not the contact's token.
//!
//! A widget framed by a website cannot count on its own storage (browsers block or partition
//! it in third-party frames), so the page that frames it keeps what brings the chat back after
//! a reload. Anything in that page's storage can be read by every script the site runs, so it
//! keeps an opaque handle: the widget (on Parley's origin) exchanges it here for a contact
//! token of its own, held in the frame's memory. The server forgets the handle when the chat is
//! over, when the contact starts another chat (`release`), or after [`MAX_HANDLE_USES`]
//! exchanges; releasing it also revokes the tokens it was exchanged for.

use super::{api_error, AppState};
use crate::auth::{new_token, token_hash};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use parley_protocol::InteractionId;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How many times one handle may be exchanged: a visitor opening the chat on every page of a
/// long visit stays far below it; the contact tokens a handle can mint stay bounded.
pub const MAX_HANDLE_USES: u32 = 200;

/// A new handle for the chat, or `None` when the store could not keep it (the chat then works
/// as with storage turned off: it lasts as long as the page).
pub(crate) async fn mint(state: &AppState, interaction: &InteractionId) -> Option<String> {
    let handle = new_token();
    match state
        .store
        .create_contact_handle(&token_hash(&handle), interaction)
        .await
    {
        Ok(()) => Some(handle),
        Err(e) => {
            tracing::warn!(interaction = %interaction, "a chat's handle was not kept: {e}");
            None
        }
    }
}

#[derive(Deserialize)]
pub(super) struct HandleRequest {
    handle: String,
}

#[derive(Serialize)]
struct Resumed {
    interaction: InteractionId,
    token: String,
}

/// `POST /api/chats/resume {handle}`: a new contact token for the handle's chat.
pub(super) async fn resume(
    State(state): State<Arc<AppState>>,
    body: Result<Json<HandleRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(req)) = body else {
        return api_error(StatusCode::BAD_REQUEST, "send JSON with the chat's handle");
    };
    let token = new_token();
    match state
        .store
        .use_contact_handle(
            &token_hash(&req.handle),
            &token_hash(&token),
            MAX_HANDLE_USES,
        )
        .await
    {
        Ok(Some(interaction)) => Json(Resumed { interaction, token }).into_response(),
        Ok(None) => api_error(
            StatusCode::NOT_FOUND,
            "this chat is over or cannot be resumed here any more; start a new one",
        ),
        Err(e) => {
            tracing::error!("resume a chat: {e}");
            api_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "chat is not available right now; try again",
            )
        }
    }
}

/// `POST /api/chats/release {handle}`: forgets the handle and the tokens exchanged for it. An
/// unknown handle is released already.
pub(super) async fn release(
    State(state): State<Arc<AppState>>,
    body: Result<Json<HandleRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(req)) = body else {
        return api_error(StatusCode::BAD_REQUEST, "send JSON with the chat's handle");
    };
    match state
        .store
        .revoke_contact_handle(&token_hash(&req.handle))
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            tracing::error!("release a chat's handle: {e}");
            api_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "chat is not available right now; try again",
            )
        }
    }
}
