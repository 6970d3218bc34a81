//! `POST /api/files` (send a file into a chat) and `GET /api/files/{id}` (fetch one), for the
//! parties of the chat only.
//!
//! Upload: the raw bytes as the body, `?interaction=…&name=…`, the declared type in
//! `Content-Type`, and the sender's token (`Authorization: Bearer`, or the agent's session
//! cookie). The content is checked ([`crate::files::check`]), stored under a generated name,
//! and the chat gets a `file` event. Answer: `201 {"file": {...}, "seq": N}`.

use super::{api_error, api_error_for, AppState};
use crate::engine::rights::read_limit;
use crate::engine::Actor;
use crate::files::{check_scan, clean_name, FileDir, Receive, Refusal};
use crate::hub::Access;
use crate::store::StoredFile;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use parley_protocol::{AgentId, ErrorCode, FileRef, InteractionId, Reason};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Deserialize)]
pub(super) struct UploadQuery {
    interaction: InteractionId,
    #[serde(default)]
    name: String,
}

/// The refusal of an agent's token on the widget's host.
const AGENTS_ELSEWHERE: &str = "agents use the desktop's address, not the widget's";

fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Forbidden | ErrorCode::Unauthorized => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::Internal => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

pub(super) async fn upload(
    State(state): State<Arc<AppState>>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    // Who sends it is known before a byte of the body is read.
    let Some(token) = super::caller_token(&state, &headers) else {
        return api_error(StatusCode::UNAUTHORIZED, "log in or start a chat first");
    };
    let actor = match state
        .hub
        .authorize(&*state.store, token, q.interaction.clone())
        .await
    {
        None => return api_error(StatusCode::UNAUTHORIZED, "log in or start a chat first"),
        Some((Actor::Agent(_), _)) if super::widget_side(&state, &headers) => {
            return api_error(StatusCode::FORBIDDEN, AGENTS_ELSEWHERE)
        }
        Some((actor, access)) if access.acts() => actor,
        Some(_) => return api_error(StatusCode::FORBIDDEN, "you are not in this interaction"),
    };
    if let Err(refused) = within_quotas(&state, &actor, &q.interaction).await {
        return refused;
    }
    if let Err(refused) = room_on_disk(&state).await {
        return refused;
    }
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = body.into_data_stream();
    send_file(&state, actor, q.interaction, &q.name, declared, body).await
}

/// Enough free disk for the largest file with `min_free_disk_bytes` to spare, checked before
/// the body is read: a full disk would stop the database too.
async fn room_on_disk(state: &AppState) -> Result<(), Response> {
    let server = &state.config.server;
    if server.min_free_disk_bytes == 0 {
        return Ok(());
    }
    let dir = state.files.dir().to_owned();
    let free = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        fs4::available_space(&dir)
    })
    .await;
    let needed = server
        .min_free_disk_bytes
        .saturating_add(server.max_file_bytes as u64);
    match free {
        Ok(Ok(free)) if free >= needed => Ok(()),
        Ok(Ok(free)) => {
            tracing::warn!(
                free,
                needed,
                "uploads refused: the files' disk is nearly full"
            );
            Err(api_error(
                StatusCode::INSUFFICIENT_STORAGE,
                "the server is short of disk space for files; try again later",
            ))
        }
        Ok(Err(e)) => {
            tracing::error!("free space of {}: {e}", state.files.dir().display());
            Err(api_error(StatusCode::SERVICE_UNAVAILABLE, "try again"))
        }
        Err(_) => Err(api_error(StatusCode::SERVICE_UNAVAILABLE, "try again")),
    }
}

/// The sender's upload rate and the chat's quota of files, checked before the body is read.
async fn within_quotas(
    state: &AppState,
    actor: &Actor,
    interaction: &InteractionId,
) -> Result<(), Response> {
    let who = match actor {
        Actor::Agent(a) => format!("agent:{}", a.as_str()),
        Actor::Contact(ix) => format!("contact:{}", ix.as_str()),
    };
    if let Err(wait) = state.guards.throttle.upload(&who).await {
        return Err(super::too_many(wait, "too many files sent; wait a little"));
    }
    let server = &state.config.server;
    match state.store.files_in(interaction).await {
        Ok((files, bytes))
            if files >= u64::from(server.max_files_per_chat)
                || bytes >= server.max_chat_file_bytes =>
        {
            Err(api_error_for(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "this chat holds all the files it may ({} files, {} MB in all)",
                    server.max_files_per_chat,
                    server.max_chat_file_bytes / (1024 * 1024)
                ),
                Some(Reason::FilesFull),
            ))
        }
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::error!("files of {interaction}: {e}");
            Err(api_error(StatusCode::SERVICE_UNAVAILABLE, "try again"))
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ResponseQuery {
    interaction: InteractionId,
    response: String,
}

/// `POST /api/files/response?interaction=…&response=…`: an agent attaches the file of a
/// standard response (checked like any upload).
pub(super) async fn from_response(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ResponseQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = super::caller_token(&state, &headers) else {
        return api_error(StatusCode::UNAUTHORIZED, "log in first");
    };
    let actor = match state
        .hub
        .authorize(&*state.store, token, q.interaction.clone())
        .await
    {
        Some((actor @ Actor::Agent(_), access)) if access.acts() => actor,
        None => return api_error(StatusCode::UNAUTHORIZED, "log in first"),
        Some(_) => return api_error(StatusCode::FORBIDDEN, "you are not in this interaction"),
    };
    if let Err(refused) = within_quotas(&state, &actor, &q.interaction).await {
        return refused;
    }
    if let Err(refused) = room_on_disk(&state).await {
        return refused;
    }
    let Some(path) = state
        .config
        .responses
        .iter()
        .find(|r| r.name == q.response)
        .and_then(|r| r.attachment.clone())
    else {
        return api_error(
            StatusCode::NOT_FOUND,
            "no such standard response with a file",
        );
    };
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => Bytes::from(b),
        Err(e) => {
            tracing::error!("response file {}: {e}", path.display());
            return api_error(StatusCode::SERVICE_UNAVAILABLE, "the file is not available");
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let body = futures::stream::iter([Ok::<_, std::convert::Infallible>(bytes)]);
    send_file(&state, actor, q.interaction, &name, None, body).await
}

/// Receives a file onto the disk as it arrives (never whole in memory), checks it, gives it
/// its name and puts it into the chat.
async fn send_file<B: AsRef<[u8]>, E: std::fmt::Display>(
    state: &AppState,
    actor: Actor,
    interaction: InteractionId,
    name: &str,
    declared: Option<String>,
    body: impl futures::Stream<Item = Result<B, E>> + Unpin,
) -> Response {
    let name = clean_name(name);
    let max = state.config.server.max_file_bytes;
    let id = FileDir::new_id();
    // Whatever ends this request before the file is in its chat, its bytes go.
    let leftover = state.files.leftover(&id);
    let stored_nothing = || {
        api_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the file could not be stored",
        )
    };
    let scan = match state.files.receive(&id, body, max).await {
        Ok(scan) => scan,
        Err(Receive::TooLarge(_)) => {
            let refusal = Refusal::TooLarge(max);
            return api_error_for(
                StatusCode::PAYLOAD_TOO_LARGE,
                refusal.to_string(),
                Some(refusal.reason()),
            );
        }
        Err(Receive::Broken(e)) => {
            tracing::info!("an upload broke off: {e}");
            return api_error(
                StatusCode::BAD_REQUEST,
                "the upload broke off; send the file again",
            );
        }
        Err(Receive::Io(e)) => {
            tracing::error!("receiving a file in {}: {e}", state.files.dir().display());
            return stored_nothing();
        }
    };
    let kind = match check_scan(&scan, declared.as_deref(), &name, max) {
        Ok(kind) => kind,
        Err(refusal) => {
            let status = match refusal {
                Refusal::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            };
            return api_error_for(status, refusal.to_string(), Some(refusal.reason()));
        }
    };
    if let Err(e) = state.files.keep(&id).await {
        tracing::error!("storing a file in {}: {e}", state.files.dir().display());
        return stored_nothing();
    }
    let file = FileRef {
        id,
        name,
        mime: kind.mime().to_owned(),
        size: scan.size() as u64,
    };
    match state.hub.post_file(actor, interaction, file.clone()).await {
        Ok(seq) => {
            leftover.keep();
            (
                StatusCode::CREATED,
                Json(serde_json::json!({ "file": file, "seq": seq })),
            )
                .into_response()
        }
        Err(refusal) => api_error_for(status_of(refusal.code), refusal.reason, refusal.why),
    }
}

/// What an agent that no longer takes part in a chat may read of it: nothing unless it was a
/// party, and then what it could read when its right ended.
async fn past_access(
    state: &AppState,
    agent: &AgentId,
    interaction: &InteractionId,
) -> Result<Access, crate::store::StoreError> {
    if !state.store.was_party(agent, interaction).await? {
        return Ok(Access::None);
    }
    let events = state.store.events_after(interaction, 0).await?;
    Ok(Access::Reads(read_limit(agent, &events)))
}

/// A `Content-Disposition` file name: printable ASCII only (the name itself is already clean).
fn header_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub(super) async fn download(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = super::caller_token(&state, &headers) else {
        return api_error(StatusCode::UNAUTHORIZED, "log in first");
    };
    let StoredFile {
        interaction,
        file,
        seq,
    } = match state.store.file(&id).await {
        Ok(Some(found)) => found,
        Ok(None) => return api_error(StatusCode::NOT_FOUND, "no such file"),
        Err(e) => {
            tracing::error!("file {id}: {e}");
            return api_error(StatusCode::SERVICE_UNAVAILABLE, "try again");
        }
    };
    let (access, past_reader) = match state
        .hub
        .authorize(&*state.store, token, interaction.clone())
        .await
    {
        None => return api_error(StatusCode::UNAUTHORIZED, "log in first"),
        Some((Actor::Agent(_), _)) if super::widget_side(&state, &headers) => {
            return api_error(StatusCode::FORBIDDEN, AGENTS_ELSEWHERE)
        }
        Some((_, access @ Access::Reads(_))) => (access, None),
        // An agent who took part earlier may still read the chat's files (history), up to
        // where its right to the chat ended.
        Some((Actor::Agent(agent), Access::None)) => (
            past_access(&state, &agent, &interaction)
                .await
                .unwrap_or(Access::None),
            Some(agent),
        ),
        Some((Actor::Contact(_), Access::None)) => (Access::None, None),
    };
    // A file is readable when the event that put it into the chat is.
    if !seq.is_some_and(|seq| access.reads(seq)) {
        return api_error(StatusCode::FORBIDDEN, "you are not in this interaction");
    }
    // Reading a chat one is no longer in is in its audit log.
    if let Some(agent) = past_reader {
        let actor = format!("agent:{}", agent.as_str());
        let detail = Some(format!("file {}", file.id));
        if let Err(e) =
            crate::audit::note(&*state.store, &interaction, actor, "read_file", detail).await
        {
            tracing::error!("audit of file {id}: {e}");
            return api_error(StatusCode::SERVICE_UNAVAILABLE, "try again");
        }
    }
    let bytes = match state.files.read(&file.id).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!("reading file {id}: {e}");
            return api_error(StatusCode::NOT_FOUND, "the file is gone");
        }
    };
    let disposition = if file.is_image() {
        "inline"
    } else {
        "attachment"
    };
    let disposition = format!("{disposition}; filename=\"{}\"", header_name(&file.name));
    let header_value =
        |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, header_value(&file.mime)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::CONTENT_DISPOSITION, header_value(&disposition)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
        ],
        bytes,
    )
        .into_response()
}
