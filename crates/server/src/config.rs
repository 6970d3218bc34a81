//! The server's configuration: one TOML file (see `config/demo.toml`), read and checked here;
//! its shape is the engine's ([`parley_engine::config`]).

pub use parley_engine::config::*;
use std::path::{Path, PathBuf};

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

/// Reads and checks a configuration file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.into(),
        source,
    })?;
    let mut config: Config = toml::from_str(&text).map_err(|source| ConfigError::Parse {
        path: path.into(),
        source,
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    for r in &mut config.responses {
        if let Some(a) = &mut r.attachment {
            *a = dir.join(&*a);
        }
    }
    check(&config)?;
    Ok(config)
}

fn check(config: &Config) -> Result<(), ConfigError> {
    let invalid = |m: String| Err(ConfigError::Invalid(m));
    if config.queues.is_empty() {
        return invalid("at least one [[queues]] entry is needed".into());
    }
    if let Some(q) = &config.routing.default_queue {
        if !config.queues.iter().any(|x| &x.id == q) {
            return invalid(format!(
                "routing.default_queue {q:?} is not a configured queue"
            ));
        }
    }
    let mut ids = std::collections::HashSet::new();
    for a in &config.agents {
        if !ids.insert(&a.id) {
            return invalid(format!("agent {:?} is configured twice", a.id.as_str()));
        }
        if a.capacity == 0 {
            return invalid(format!("agent {:?} has capacity 0", a.id.as_str()));
        }
    }
    if let Some(r) = config
        .responses
        .iter()
        .find(|r| r.attachment.as_ref().is_some_and(|a| !a.is_file()))
    {
        return invalid(format!(
            "the attachment of response {:?} is not a file",
            r.name
        ));
    }
    if let Some(bot) = &config.bot {
        if config.agents.iter().any(|a| a.id.as_str() == "bot") {
            return invalid("the agent id \"bot\" is the bot's; choose another".into());
        }
        if let Some(q) = bot
            .queues
            .iter()
            .find(|q| !config.queues.iter().any(|x| &x.id == *q))
        {
            return invalid(format!("bot.queues names unknown queue {:?}", q.as_str()));
        }
    }
    crate::api::keys::check(&config.api_keys).map_err(ConfigError::Invalid)?;
    crate::webhooks::check(&config.webhooks).map_err(ConfigError::Invalid)?;
    crate::identity::Verifier::new(&config.identity).map_err(ConfigError::Invalid)?;
    for origin in config
        .embed
        .hosts
        .iter()
        .map(|h| &h.origin)
        .chain(&config.widget.allowed_embedders)
        .chain(&config.server.public_origin)
    {
        if !is_origin(origin) {
            return invalid(format!(
                "{origin:?} is not an origin: write scheme://host[:port], as browsers send it"
            ));
        }
    }
    trusted_proxies(&config.server).map_err(ConfigError::Invalid)?;
    let server = &config.server;
    for (name, value) in [
        (
            "header_read_timeout_secs",
            server.header_read_timeout_secs as usize,
        ),
        ("max_connections", server.max_connections),
        (
            "max_connections_per_address",
            server.max_connections_per_address,
        ),
        ("hello_timeout_secs", server.hello_timeout_secs as usize),
        ("ping_secs", server.ping_secs as usize),
        ("password_checks", server.password_checks),
        ("chats_per_minute", server.chats_per_minute as usize),
        ("session_idle_secs", server.session_idle_secs as usize),
        ("session_max_secs", server.session_max_secs as usize),
        ("max_files_per_chat", server.max_files_per_chat as usize),
        (
            "max_chat_file_bytes",
            server.max_chat_file_bytes.min(usize::MAX as u64) as usize,
        ),
        ("uploads_per_minute", server.uploads_per_minute as usize),
    ] {
        if value == 0 {
            return invalid(format!("server.{name} is 0: nothing could get through"));
        }
    }
    for g in &config.groups {
        if let Some(a) = g.agents.iter().find(|a| !ids.contains(a)) {
            return invalid(format!(
                "group {:?} names unknown agent {:?}",
                g.id,
                a.as_str()
            ));
        }
    }
    Ok(())
}

/// `server.trusted_proxies` read: addresses (a single host) or networks.
pub fn trusted_proxies(server: &ServerConfig) -> Result<Vec<ipnet::IpNet>, String> {
    server
        .trusted_proxies
        .iter()
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    format!(
                        "server.trusted_proxies: {p:?} is not an address or a network (10.0.0.0/8)"
                    )
                })
        })
        .collect()
}

/// `http(s)://host[:port]` and nothing more: what a browser sends in `Origin`.
fn is_origin(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    let (host, port) = match rest.rsplit_once(':') {
        // `[::1]` has colons of its own; its port comes after the bracket.
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (rest, None),
    };
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-[]:".contains(c))
        && port.is_none_or(|p| !p.is_empty() && p.parse::<u16>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::QueueId;

    #[test]
    fn the_demo_configuration_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/demo.toml");
        let config = load(&path).expect("demo config");
        assert_eq!(config.agents.len(), 3);
        assert_eq!(config.default_queue(), QueueId::from("general"));
        assert!(config
            .agents
            .iter()
            .all(|a| crate::auth::verify_password(&format!("{}-demo", a.id), &a.password_hash)));
    }

    #[test]
    fn bad_configurations_are_refused_with_a_reason() {
        let bad = |extra: &str| {
            let text = format!("{extra}\n[[queues]]\nid = \"q\"\nname = \"Q\"\n[[agents]]\nid = \"a\"\nname = \"A\"\npassword_hash = \"-\"\n");
            let config: Config = toml::from_str(&text).expect("parses");
            check(&config).err().map(|e| e.to_string())
        };
        assert_eq!(bad(""), None);
        assert!(bad("[routing]\ndefault_queue = \"nope\"").is_some_and(|e| e.contains("nope")));
        assert!(toml::from_str::<Config>("bogus = 1\nagents = []\nqueues = []").is_err());
        let bot = "[bot]\nname = \"B\"\ngreeting = { markdown = { text = \"Hi\" } }\n";
        assert_eq!(bad(&format!("{bot}queues = [\"q\"]")), None);
        assert!(bad(&format!("{bot}queues = [\"nope\"]")).is_some_and(|e| e.contains("nope")));
        let bot_agent = "[[agents]]\nid = \"bot\"\nname = \"B\"\npassword_hash = \"-\"";
        assert!(bad(&format!("{bot}queues = [\"q\"]\n{bot_agent}"))
            .is_some_and(|e| e.contains("bot's")));
        let server = |line: &str| format!("[server]\n{line}");
        assert_eq!(
            bad(&server("trusted_proxies = [\"10.0.0.0/8\", \"::1\"]")),
            None
        );
        assert!(bad(&server("trusted_proxies = [\"10.0.0.0/33\"]"))
            .is_some_and(|e| e.contains("server.trusted_proxies")));
        for zero in [
            "hello_timeout_secs",
            "max_connections_per_address",
            "chats_per_minute",
        ] {
            assert!(
                bad(&server(&format!("{zero} = 0"))).is_some_and(|e| e.contains(zero)),
                "{zero}"
            );
        }
        let embed = |origin: &str| format!("[[embed.hosts]]\norigin = \"{origin}\"\nscopes = []");
        assert_eq!(bad(&embed("https://crm.example.com")), None);
        assert_eq!(bad(&embed("http://127.0.0.2:8081")), None);
        for wrong in [
            "*",
            "https://crm.example.com/",
            "crm.example.com",
            "https://a b",
            "http://h:x",
        ] {
            assert!(
                bad(&embed(wrong)).is_some_and(|e| e.contains("not an origin")),
                "{wrong}"
            );
        }
        let widget = "[widget]\nallowed_embedders = [\"https://shop.example.com/page\"]";
        assert!(bad(widget).is_some());
        let key = "[[api_keys]]\nname = \"crm\"\nkey_hashes = [\"abc\"]\nscopes = []";
        assert!(bad(key).is_some_and(|e| e.contains("SHA-256")));
    }
}
