//! Requests to the server's HTTP API with the browser's `fetch`, its refusals turned into a
//! sentence for the user in their language ([`crate::i18n::refusal`]).

use crate::i18n::{refusal, t};
use crate::json::{self, Js};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

/// The sentence for a server that did not answer.
fn unreachable<E>(_: E) -> String {
    t("http.unreachable")
}

/// One request: `method` to `path` with these headers and body. An answer of any status is
/// `Ok`; no answer at all is the sentence for an unreachable server.
async fn fetch(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&JsValue>,
) -> Result<Response, String> {
    let init = RequestInit::new();
    init.set_method(method);
    let map = Headers::new().map_err(unreachable)?;
    for (name, value) in headers {
        map.set(name, value).map_err(|_| t("http.not_sent"))?;
    }
    init.set_headers(&map);
    if let Some(body) = body {
        init.set_body(body);
    }
    let window = web_sys::window().ok_or_else(|| t("http.unreachable"))?;
    let answer = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(unreachable)?;
    answer.dyn_into().map_err(unreachable)
}

/// The body of an answer as text.
async fn text(response: &Response) -> Option<String> {
    JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()
}

/// GETs `path` as text; `None` unless it is answered with success.
pub async fn get_text(path: &str) -> Option<String> {
    let response = fetch("GET", path, &[], None).await.ok()?;
    if !response.ok() {
        return None;
    }
    text(&response).await
}

/// GETs `path` and reads the JSON answer (see [`crate::json`]); the error is a sentence for
/// the user.
pub async fn get_json(path: &str) -> Result<Js, String> {
    let response = fetch("GET", path, &[], None).await?;
    if !response.ok() {
        return Err(error_of(&response).await);
    }
    parsed(&text(&response).await.unwrap_or_default())
}

/// The answer read by the browser: the apps carry no typed JSON readers for what they only read
/// (each `Deserialize` the desktop read its answers with cost it kilobytes).
fn parsed(answer: &str) -> Result<Js, String> {
    json::parse(answer).ok_or_else(|| t("http.not_json"))
}

/// POSTs `body` as JSON to `path` and reads the JSON answer (see [`crate::json`]); the error is
/// a sentence for the user.
pub async fn post_json_parsed<B: Serialize>(path: &str, body: &B) -> Result<Js, String> {
    post_parsed(path, to_json(body)?).await
}

/// [`post_json_parsed`] with the body already JSON text. The requests' futures are built once,
/// whatever each caller sends: a copy of them per body type cost the desktop about 1 KB brotli.
pub async fn post_parsed(path: &str, json: String) -> Result<Js, String> {
    let response = post_json_response(path, json).await?;
    if !response.ok() {
        return Err(error_of(&response).await);
    }
    parsed(&text(&response).await.unwrap_or_default())
}

/// Like [`post_json_parsed`], with the server's refusal of the request itself (400, 403, 404
/// or 410: asking again changes nothing) told apart as `Ok(Err(sentence))` from no usable
/// answer (a 408 or 429 from a proxy on the way is worth asking again).
pub async fn post_json_refusable<B: Serialize>(
    path: &str,
    body: &B,
) -> Result<Result<Js, String>, String> {
    let response = post_json_response(path, to_json(body)?).await?;
    if matches!(response.status(), 400 | 403 | 404 | 410) {
        return Ok(Err(error_of(&response).await));
    }
    if !response.ok() {
        return Err(error_of(&response).await);
    }
    let answer = text(&response).await.unwrap_or_default();
    json::parse(&answer)
        .map(Ok)
        .ok_or_else(|| t("http.not_json"))
}

fn to_json<B: Serialize>(body: &B) -> Result<String, String> {
    serde_json::to_string(body).map_err(|_| t("http.not_sent"))
}

/// POSTs JSON text to `path`; the answer of any status.
async fn post_json_response(path: &str, json: String) -> Result<Response, String> {
    fetch(
        "POST",
        path,
        &[("Content-Type", "application/json")],
        Some(&JsValue::from_str(&json)),
    )
    .await
}

/// POSTs nothing to `path` as the holder of `token` (a `Bearer` token), answer unread.
pub async fn post_with_token(path: &str, token: &str) -> Result<(), String> {
    let auth = format!("Bearer {token}");
    done(fetch("POST", path, &[("Authorization", &auth)], None).await).await
}

/// POSTs nothing to `path` as the holder of `token` and reads the JSON answer.
pub async fn post_with_token_for(path: &str, token: &str) -> Result<Js, String> {
    let auth = format!("Bearer {token}");
    let response = fetch("POST", path, &[("Authorization", &auth)], None).await?;
    if !response.ok() {
        return Err(error_of(&response).await);
    }
    parsed(&text(&response).await.unwrap_or_default())
}

/// The sentence for a refused request: the `reason` of its `{"error": …, "reason": …}` body
/// where the apps know it, else its status's.
async fn error_of(response: &Response) -> String {
    let body = text(response).await.unwrap_or_default();
    let reason = json::parse(&body).and_then(|answer| answer.text("reason"));
    refusal(
        &["http_", &response.status().to_string()].concat(),
        reason.as_deref(),
    )
}

/// Whether a request without an answer body went through; the error is a sentence for the user.
async fn done(sent: Result<Response, String>) -> Result<(), String> {
    let response = sent?;
    if response.ok() {
        Ok(())
    } else {
        Err(error_of(&response).await)
    }
}

/// Sends a file from the computer into a chat (`POST /api/files`). Agents are known by their
/// session cookie; a contact passes its token.
pub async fn upload_file(
    interaction: &parley_protocol::InteractionId,
    file: &web_sys::File,
    token: Option<&str>,
) -> Result<(), String> {
    let name = file.name();
    let path = format!(
        "/api/files?interaction={}&name={}",
        js_sys::encode_uri_component(interaction.as_str()),
        js_sys::encode_uri_component(&name)
    );
    let mime = file.type_();
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = [("Content-Type", mime.as_str())]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .chain(auth.as_deref().map(|a| ("Authorization", a)))
        .collect();
    done(fetch("POST", &path, &headers, Some(&JsValue::from(file.clone()))).await)
        .await
        .map_err(|e| format!("{name}: {e}"))
}

/// Attaches the file of a standard response to a chat (agents only; the session cookie says who).
pub async fn attach_response(
    interaction: &parley_protocol::InteractionId,
    response: &str,
) -> Result<(), String> {
    let path = format!(
        "/api/files/response?interaction={}&response={}",
        js_sys::encode_uri_component(interaction.as_str()),
        js_sys::encode_uri_component(response)
    );
    done(fetch("POST", &path, &[], None).await).await
}

/// Fetches a chat file with the contact's token and gives a `blob:` address for it (an `<img>`
/// cannot send the token itself).
pub async fn file_blob_url(path: &str, token: &str) -> Result<String, String> {
    let auth = format!("Bearer {token}");
    let response = fetch("GET", path, &[("Authorization", &auth)], None)
        .await
        .map_err(unreachable)?;
    if !response.ok() {
        return Err(error_of(&response).await);
    }
    let read = |_| t("http.unreadable");
    let blob = JsFuture::from(response.blob().map_err(read)?)
        .await
        .map_err(read)?;
    let blob: web_sys::Blob = blob.dyn_into().map_err(read)?;
    web_sys::Url::create_object_url_with_blob(&blob).map_err(read)
}
