//! JSON requests to the server's HTTP API, with its `{"error": "..."}` bodies turned into text.

use gloo_net::http::Request;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct ApiError {
    error: String,
}

/// POSTs `body` as JSON to `path` and reads the JSON answer; the error is a sentence for the user.
pub async fn post_json<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, String> {
    let request = Request::post(path)
        .json(body)
        .map_err(|e| format!("could not send the request: {e}"))?;
    let response = request
        .send()
        .await
        .map_err(|_| "the server cannot be reached; check your connection".to_owned())?;
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|e| format!("unexpected answer from the server: {e}"));
    }
    Err(error_of(response).await)
}

/// The sentence for a refused request.
async fn error_of(response: gloo_net::http::Response) -> String {
    match response.json::<ApiError>().await {
        Ok(e) => e.error,
        Err(_) => format!("the server answered {}", response.status()),
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
    let mut request = Request::post(&path);
    let mime = file.type_();
    if !mime.is_empty() {
        request = request.header("Content-Type", &mime);
    }
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let request = request
        .body(wasm_bindgen::JsValue::from(file.clone()))
        .map_err(|e| format!("could not send {name}: {e}"))?;
    done(request.send().await)
        .await
        .map_err(|e| format!("{name}: {e}"))
}

/// Whether a request without an answer body went through; the error is a sentence for the user.
async fn done(sent: Result<gloo_net::http::Response, gloo_net::Error>) -> Result<(), String> {
    let response =
        sent.map_err(|_| "the server cannot be reached; check your connection".to_owned())?;
    if response.ok() {
        Ok(())
    } else {
        Err(error_of(response).await)
    }
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
    done(Request::post(&path).send().await).await
}

/// Fetches a chat file with the contact's token and gives a `blob:` address for it (an `<img>`
/// cannot send the token itself).
pub async fn file_blob_url(path: &str, token: &str) -> Result<String, String> {
    let response = Request::get(path)
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await
        .map_err(|_| "the server cannot be reached".to_owned())?;
    if !response.ok() {
        return Err(error_of(response).await);
    }
    let bytes = response
        .binary()
        .await
        .map_err(|e| format!("could not read the file: {e}"))?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts)
        .map_err(|_| "could not read the file".to_owned())?;
    web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| "could not show the file".into())
}
