//! The security headers: the Content-Security-Policy of the two apps, and the headers every
//! answer carries.
//!
//! Scripts come only from the server (`'self'`) and WebAssembly may be compiled
//! (`'wasm-unsafe-eval'`): no inline script, handler or `eval`, so text that reaches a page
//! (a contact's message, a file name) can never run there. The build moves trunk's inline start
//! script into a file (`xtask/src/web.rs`). Styles too come only from files; the apps set single
//! properties through the CSSOM, which the policy allows. Images may come from any https
//! address: the bot's cards and markdown name them (no contact's message shows an image but
//! the files sent through Parley). Frames: only the configured embedders.

use axum::http::{header, HeaderName, HeaderValue};
use tower_http::set_header::SetResponseHeaderLayer;

/// The fixed part of the apps' policy: everything but `frame-ancestors`.
const APP_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data: blob: https:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'";

/// Powerful features neither app uses, refused to them and to anything they frame.
const PERMISSIONS: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()";

/// The Content-Security-Policy of an app page. `frame_ancestors`: the origins that may frame it
/// (`'self'` always may), or `None` for any site.
pub fn app<'a>(
    frame_ancestors: Option<impl Iterator<Item = &'a str>>,
) -> SetResponseHeaderLayer<HeaderValue> {
    let policy = match frame_ancestors {
        Some(origins) => {
            let list: Vec<&str> = std::iter::once("'self'").chain(origins).collect();
            format!("{APP_POLICY}; frame-ancestors {}", list.join(" "))
        }
        None => APP_POLICY.to_owned(),
    };
    // The origins were checked at start (`config`); a value that still cannot be a header
    // falls back to the strictest framing rather than none.
    let value = HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; frame-ancestors 'self'"));
    SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, value)
}

/// The layers setting them.
type Everywhere = tower::ServiceBuilder<
    tower::layer::util::Stack<
        SetResponseHeaderLayer<HeaderValue>,
        tower::layer::util::Stack<
            SetResponseHeaderLayer<HeaderValue>,
            tower::layer::util::Stack<
                SetResponseHeaderLayer<HeaderValue>,
                tower::layer::util::Identity,
            >,
        >,
    >,
>;

/// The headers on every answer, unless a route set its own.
pub fn everywhere() -> Everywhere {
    let keep = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    tower::ServiceBuilder::new()
        .layer(keep(header::REFERRER_POLICY, "no-referrer"))
        .layer(keep(
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS,
        ))
        .layer(keep(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
}
