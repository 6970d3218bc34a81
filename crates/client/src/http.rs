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
    match response.json::<ApiError>().await {
        Ok(e) => Err(e.error),
        Err(_) => Err(format!("the server answered {}", response.status())),
    }
}
