//! Who Parley is on the web: the `Host` it answers to, the origins whose pages may act on it,
//! and its session cookie.
//!
//! - With `server.public_origin` set, requests must name its host (or a loopback name, for
//!   the machine itself and a proxy on it); without it, a server listening on loopback answers
//!   only to loopback names. Either way a web page on a domain that an attacker points at
//!   Parley's address (DNS rebinding) is refused. Probes and `/api/v1` are not checked.
//! - A page's `Origin` must be Parley's own (scheme included when the public origin is set) or
//!   one of `allowed_origins`.
//! - With an https public origin the cookie is `__Host-parley_session`, `Secure`.
//! - With `server.widget_host` set, requests naming that host are the widget's side: the
//!   contact's web chat lives there, on an origin of its own, and nothing of the desktop
//!   (docs/decisions/0010-widget-on-its-own-origin.md).

use axum::http::{header, HeaderMap};

/// The session cookie's name on plain http, and its `__Host-` name on https.
pub const SESSION_COOKIE: &str = "parley_session";
const SECURE_COOKIE: &str = "__Host-parley_session";

/// Parley's own place on the web.
#[derive(Clone, Debug)]
pub struct Own {
    /// The public origin, `scheme://host[:port]`.
    public: Option<String>,
    /// The `Host` it is reached by (the public origin without its scheme).
    authority: Option<String>,
    /// Whether the server listens on loopback only.
    loopback: bool,
    /// The widget's host name, lower case, without a port.
    widget: Option<String>,
}

impl Own {
    pub fn new(public_origin: Option<&str>, widget_host: Option<&str>, loopback: bool) -> Self {
        let public = public_origin.map(normal_origin);
        let authority = public
            .as_deref()
            .map(|o| o.split_once("://").map_or(o, |(_, rest)| rest).to_owned());
        Self {
            public,
            authority,
            loopback,
            widget: widget_host.map(str::to_ascii_lowercase),
        }
    }

    /// Whether a request naming this `Host` is for the widget's side.
    pub fn is_widget(&self, host: Option<&str>) -> bool {
        let (Some(widget), Some(host)) = (&self.widget, host) else {
            return false;
        };
        host_name(&host.to_ascii_lowercase()) == widget
    }

    /// The widget's origin, as reached through a request naming `host` (its port carries
    /// over: on one machine the two sides share the listener); `None` without a widget host.
    pub fn widget_origin(&self, host: Option<&str>) -> Option<String> {
        let widget = self.widget.as_deref()?;
        let scheme = if self.secure() { "https" } else { "http" };
        let host = host.unwrap_or_default();
        let port = match host.strip_prefix('[') {
            Some(v6) => v6.split_once("]:").map(|(_, port)| port),
            None => host.rsplit_once(':').map(|(_, port)| port),
        };
        Some(normal_origin(&match port {
            Some(port) => format!("{scheme}://{widget}:{port}"),
            None => format!("{scheme}://{widget}"),
        }))
    }

    /// Whether a request naming this `Host` is for Parley.
    pub fn host_allowed(&self, host: Option<&str>) -> bool {
        let Some(host) = host.map(str::to_ascii_lowercase) else {
            return false;
        };
        if is_loopback_host(&host) || self.is_widget(Some(&host)) {
            return true;
        }
        match &self.authority {
            Some(own) => {
                let scheme_default = if self.secure() { ":443" } else { ":80" };
                host.strip_suffix(scheme_default).unwrap_or(&host) == own
            }
            None => !self.loopback,
        }
    }

    /// Whether a browser page of the request's `Origin` may act: Parley's own, or one from
    /// `allowed`. Clients that send no `Origin` are not browsers and are let through.
    pub fn origin_allowed(&self, headers: &HeaderMap, allowed: &[String]) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        let normal = normal_origin(origin);
        // The widget's pages act on the widget's host only: never on the desktop's, where the
        // agent's cookie is (a widget on a sibling name of one site gets it sent along).
        if self.widget_origin(Some(host)).as_deref() == Some(normal.as_str()) {
            return self.is_widget(Some(host));
        }
        if allowed.iter().any(|a| a == origin) || self.public.as_deref() == Some(normal.as_str()) {
            return true;
        }
        let authority = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        // The page came from where the request goes; with a public origin, only the machine
        // itself may use another scheme.
        authority == Some(host) && (self.public.is_none() || is_loopback_host(host))
    }

    fn secure(&self) -> bool {
        self.public
            .as_deref()
            .is_some_and(|o| o.starts_with("https://"))
    }

    /// The session the request's cookie holds: under its `__Host-` name only, when that is
    /// the one in use (a sibling site could set the plain one); never on the widget's side.
    pub fn session_in(&self, headers: &HeaderMap) -> Option<String> {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        if self.is_widget(host) {
            return None;
        }
        super::cookie(headers, self.cookie_name())
    }

    /// The `Set-Cookie` value holding a new session.
    pub fn session_cookie(&self, token: &str) -> String {
        self.set_cookie(token, "")
    }

    /// The `Set-Cookie` value removing the session.
    pub fn cleared_cookie(&self) -> String {
        self.set_cookie("", "; Max-Age=0")
    }

    fn cookie_name(&self) -> &'static str {
        if self.secure() {
            SECURE_COOKIE
        } else {
            SESSION_COOKIE
        }
    }

    fn set_cookie(&self, value: &str, tail: &str) -> String {
        let secure = if self.secure() { "; Secure" } else { "" };
        let name = self.cookie_name();
        format!("{name}={value}; Path=/{secure}; HttpOnly; SameSite=Strict{tail}")
    }
}

/// An origin as browsers send it: lower case, without the scheme's default port or a slash.
fn normal_origin(origin: &str) -> String {
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    let default = if origin.starts_with("https://") {
        ":443"
    } else {
        ":80"
    };
    origin.strip_suffix(default).unwrap_or(&origin).to_owned()
}

/// A `Host` without its port.
fn host_name(host: &str) -> &str {
    match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    }
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = host_name(host);
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).expect("header"));
        }
        h.insert(header::HOST, HeaderValue::from_str(host).expect("header"));
        h
    }

    #[test]
    fn only_the_own_origin_and_configured_ones_may_act() {
        let own = Own::new(None, None, true);
        let allowed = vec!["https://crm.example.com".to_owned()];
        let ok = |o, h, a: &[String]| own.origin_allowed(&headers(o, h), a);
        assert!(ok(Some("http://127.0.0.1:8080"), "127.0.0.1:8080", &[]));
        assert!(ok(
            Some("https://crm.example.com"),
            "127.0.0.1:8080",
            &allowed
        ));
        assert!(!ok(Some("http://evil.example"), "127.0.0.1:8080", &allowed));
        assert!(!ok(Some("http://127.0.0.1:8081"), "127.0.0.1:8080", &[]));
        assert!(ok(None, "127.0.0.1:8080", &[]));

        // With a public origin, its scheme counts; however it was written.
        let public = Own::new(Some("https://Chat.Example.com:443/"), None, false);
        let ok = |o, h| public.origin_allowed(&headers(o, h), &[]);
        assert!(ok(Some("https://chat.example.com"), "chat.example.com"));
        assert!(!ok(Some("http://chat.example.com"), "chat.example.com"));
        assert!(public.host_allowed(Some("chat.example.com")));
    }

    #[test]
    fn a_loopback_server_answers_to_loopback_names_and_a_public_one_to_its_own() {
        let local = Own::new(None, None, true);
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "[::1]:8080",
            "127.0.0.2",
            "LOCALHOST",
        ] {
            assert!(local.host_allowed(Some(host)), "{host}");
        }
        for host in ["evil.example:8080", "evil.example", "10.0.0.1:8080"] {
            assert!(!local.host_allowed(Some(host)), "{host}: DNS rebinding");
        }
        assert!(!local.host_allowed(None));
        assert!(Own::new(None, None, false).host_allowed(Some("anything.example")));

        let public = Own::new(Some("https://Chat.Example.com"), None, false);
        assert!(public.host_allowed(Some("chat.example.com")));
        assert!(public.host_allowed(Some("chat.example.com:443")));
        assert!(
            public.host_allowed(Some("127.0.0.1:8080")),
            "the machine itself"
        );
        assert!(!public.host_allowed(Some("chat.example.com:8443")));
        assert!(!public.host_allowed(Some("evil.example")));
    }

    #[test]
    fn the_widgets_host_is_a_side_of_its_own_with_its_own_origin() {
        let local = Own::new(None, Some("LocalHost"), true);
        assert!(local.is_widget(Some("localhost:8080")));
        assert!(!local.is_widget(Some("127.0.0.1:8080")));
        assert_eq!(
            local.widget_origin(Some("127.0.0.1:8080")).as_deref(),
            Some("http://localhost:8080")
        );
        let ok = |o, h| local.origin_allowed(&headers(Some(o), h), &[]);
        assert!(ok("http://localhost:8080", "localhost:8080"));
        assert!(!ok("http://localhost:8081", "localhost:8080"));

        let public = Own::new(
            Some("https://desk.example.com"),
            Some("chat.example.com"),
            false,
        );
        assert!(public.host_allowed(Some("chat.example.com")));
        assert!(public.is_widget(Some("chat.example.com:443")));
        assert!(!public.is_widget(Some("desk.example.com")));
        assert_eq!(
            public.widget_origin(Some("desk.example.com")).as_deref(),
            Some("https://chat.example.com")
        );
        let ok = |o, h| public.origin_allowed(&headers(Some(o), h), &[]);
        assert!(ok("https://chat.example.com", "chat.example.com"));
        assert!(!ok("http://chat.example.com", "chat.example.com"));
        // A widget page on a sibling name gets the agent's cookie sent to the desktop's host:
        // its requests there are refused, even when listed.
        assert!(!ok("https://chat.example.com", "desk.example.com"));
        let listed = ["https://chat.example.com".to_owned()];
        assert!(!public.origin_allowed(
            &headers(Some("https://chat.example.com"), "desk.example.com"),
            &listed
        ));
        assert!(ok("https://desk.example.com", "desk.example.com"));
        assert!(Own::new(None, None, true)
            .widget_origin(Some("x"))
            .is_none());
    }

    #[test]
    fn an_https_public_origin_gets_a_secure_host_only_cookie() {
        let secure = Own::new(Some("https://chat.example.com"), None, false);
        let set = secure.session_cookie("t");
        assert!(
            set.starts_with("__Host-parley_session=t;") && set.contains("; Secure"),
            "{set}"
        );
        assert!(set.contains("Path=/") && !set.contains("Domain"));
        assert!(secure
            .cleared_cookie()
            .starts_with("__Host-parley_session=;"));
        let plain = Own::new(None, None, true).session_cookie("t");
        assert!(plain.starts_with("parley_session=t;") && !plain.contains("Secure"));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("parley_session=planted; __Host-parley_session=s"),
        );
        assert_eq!(secure.session_in(&h).as_deref(), Some("s"));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("parley_session=planted"),
        );
        assert_eq!(
            secure.session_in(&h),
            None,
            "a plain cookie is not taken on https"
        );
        assert_eq!(
            Own::new(None, None, true).session_in(&h).as_deref(),
            Some("planted")
        );
    }
}
