//! The agent's session token, kept in this tab's `sessionStorage` so two tabs can hold two agents,
//! and the ways a sign-in travels between windows of the desktop.
//!
//! In a frame the token stays in memory only: browsers block a third-party frame's storage
//! (Safari, Firefox, Chromium with third-party cookies blocked) or partition and wipe it, so
//! nothing there can be counted on. A framed desktop signs in again after a reload with the
//! one-time token it left its host page (`crate::host`), and signs in first either in the frame
//! or through a pop-up on Parley's own origin ([`popup_opener`]).

use serde::Serialize;
use web_sys::js_sys;

const KEY: &str = "parley.session";

/// The address of the sign-in pop-up a framed desktop opens.
pub const POPUP_PATH: &str = "/#sign_in_popup";

/// Whether the desktop runs inside another page's frame.
pub fn framed() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    window
        .parent()
        .ok()
        .flatten()
        .is_some_and(|parent| !js_sys::Object::is(&parent, &window))
}

/// The framed desktop that opened this window to sign in, when this is that pop-up.
pub fn popup_opener() -> Option<web_sys::Window> {
    let window = web_sys::window()?;
    let asked = window.location().hash().ok()? == POPUP_PATH[1..];
    let opener = window.opener().ok()?;
    (asked && !opener.is_null() && !opener.is_undefined())
        .then(|| wasm_bindgen::JsCast::unchecked_into(opener))
}

/// The stored token, if any.
pub fn load() -> Option<String> {
    if framed() || popup_opener().is_some() {
        return None;
    }
    parley_client::storage(true)?
        .get_item(KEY)
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

/// Remembers the token for this tab (not in a frame: see above).
pub fn save(token: &str) {
    if framed() {
        return;
    }
    if let Some(s) = parley_client::storage(true) {
        let _ = s.set_item(KEY, token);
    }
}

/// Forgets the token.
pub fn clear() {
    if let Some(s) = parley_client::storage(true) {
        let _ = s.remove_item(KEY);
    }
}

#[derive(Serialize)]
struct TokenLogin<'a> {
    token: &'a str,
}

/// Signs in with a one-time token: the new session's token.
pub async fn exchange(one_time: &str) -> Result<String, String> {
    let req = TokenLogin { token: one_time };
    let answer = parley_client::http::post_json_parsed("/api/login/token", &req).await?;
    answer
        .text("token")
        .ok_or_else(|| parley_client::i18n::t("app.bad_answer"))
}

/// A one-time token minted from a session, which moves the session to whoever uses it.
#[derive(Clone, Debug)]
pub struct Handoff {
    pub token: String,
    pub expires_at: i64,
}

/// Mints a [`Handoff`] from the session `token`.
pub async fn handoff(token: &str) -> Result<Handoff, String> {
    use parley_protocol::contact::Json;
    let answer = parley_client::http::post_with_token_for("/api/login/handoff", token).await?;
    match (answer.text("token"), answer.field("expires_at").signed()) {
        (Some(token), Some(expires_at)) => Ok(Handoff { token, expires_at }),
        _ => Err(parley_client::i18n::t("app.bad_answer")),
    }
}

/// The one-time token in a sign-in pop-up's message, if it is one.
pub fn handed_token(data: &wasm_bindgen::JsValue) -> Option<String> {
    use parley_protocol::contact::Json;
    let message = parley_client::json::Js::from(data.clone());
    (message.field("parley").unsigned() == Some(1)
        && message.text("kind").as_deref() == Some("signIn"))
    .then(|| message.text("token"))
    .flatten()
    .filter(|t| !t.is_empty() && t.len() <= 200)
}

/// In the sign-in pop-up: hands the framed desktop that opened it a one-time token minted from
/// the session just opened (which moves to the frame), then closes.
pub async fn hand_to_opener(opener: web_sys::Window, session: String) -> Result<(), String> {
    let handed = handoff(&session).await?;
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .ok_or("no origin")?;
    let message = serde_json::json!({ "parley": 1, "kind": "signIn", "token": handed.token });
    let value = js_sys::JSON::parse(&message.to_string()).map_err(|_| "no message")?;
    opener
        .post_message(&value, &origin)
        .map_err(|_| "the desktop that opened this window is gone".to_owned())?;
    if let Some(w) = web_sys::window() {
        let _ = w.close();
    }
    Ok(())
}

/// The one-time sign-in token a host system put in the address (`#sign_in=<token>`, from
/// `POST /api/v1/agents/{id}/sign-in`): in the fragment, it never reaches a server log.
pub fn sign_in_token(hash: &str) -> Option<String> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix("sign_in="))
        .filter(|t| {
            !t.is_empty()
                && t.len() <= 200
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sign_in_token_is_read_from_the_fragment_only_when_well_formed() {
        use super::sign_in_token;
        assert_eq!(
            sign_in_token("#sign_in=abc-DEF_12"),
            Some("abc-DEF_12".into())
        );
        assert_eq!(sign_in_token("#x=1&sign_in=t0k"), Some("t0k".into()));
        assert_eq!(sign_in_token(""), None);
        assert_eq!(sign_in_token("#sign_in="), None);
        assert_eq!(sign_in_token("#sign_in=%3Cscript%3E"), None);
        assert_eq!(
            sign_in_token(&format!("#sign_in={}", "a".repeat(201))),
            None
        );
    }
}
