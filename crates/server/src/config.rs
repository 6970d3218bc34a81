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
    if let Some(host) = &server.widget_host {
        let public_host = server
            .public_origin
            .as_deref()
            .and_then(|o| o.split_once("://"))
            .map(|(_, rest)| rest.split(':').next().unwrap_or(rest).to_ascii_lowercase());
        let name = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
        if host.is_empty() || !host.chars().all(name) {
            return invalid(format!(
                "server.widget_host {host:?} is not a host name: write it without scheme or port"
            ));
        }
        let listen_host = server
            .addr
            .rsplit_once(':')
            .map(|(h, _)| h.trim_matches(['[', ']']).to_ascii_lowercase());
        if listen_host.as_deref() == Some(host.to_ascii_lowercase().as_str()) {
            return invalid(format!(
                "server.widget_host {host:?} is the name of server.addr: the desktop would answer to none"
            ));
        }
        if public_host.as_deref() == Some(host.to_ascii_lowercase().as_str()) {
            return invalid(format!(
                "server.widget_host {host:?} is the public origin's host: the widget needs a name of its own"
            ));
        }
    }
    limits(config).map_err(ConfigError::Invalid)?;
    names(config).map_err(ConfigError::Invalid)?;
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

/// The largest file the server takes: uploads are held in memory while they are checked.
const MAX_FILE_BYTES_CEILING: usize = 1 << 30;

/// Limits and rates: none may be 0 (nothing could get through), and the ones that bound one
/// another must agree.
fn limits(config: &Config) -> Result<(), String> {
    let server = &config.server;
    let as_count = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    for (name, value) in [
        (
            "server.header_read_timeout_secs",
            server.header_read_timeout_secs.into(),
        ),
        ("server.max_connections", server.max_connections as u64),
        (
            "server.max_connections_per_address",
            server.max_connections_per_address as u64,
        ),
        (
            "server.hello_timeout_secs",
            server.hello_timeout_secs.into(),
        ),
        ("server.ping_secs", server.ping_secs.into()),
        ("server.password_checks", server.password_checks as u64),
        ("server.chats_per_minute", server.chats_per_minute.into()),
        ("server.session_idle_secs", server.session_idle_secs.into()),
        ("server.session_max_secs", server.session_max_secs.into()),
        (
            "server.max_files_per_chat",
            server.max_files_per_chat.into(),
        ),
        ("server.max_chat_file_bytes", server.max_chat_file_bytes),
        (
            "server.uploads_per_minute",
            server.uploads_per_minute.into(),
        ),
        ("server.frame_burst", server.frame_burst.into()),
        ("server.frames_per_second", server.frames_per_second.into()),
        ("server.max_file_bytes", server.max_file_bytes as u64),
        ("server.outbox_bytes", server.outbox_bytes as u64),
        ("server.commit_group", server.commit_group as u64),
        (
            "routing.offer_timeout_secs",
            config.routing.offer_timeout_secs.into(),
        ),
    ]
    .map(|(name, value): (&str, u64)| (name, as_count(value)))
    {
        if value == 0 {
            return Err(format!("{name} is 0: nothing could get through"));
        }
    }
    if server.max_connections_per_address > server.max_connections {
        return Err(format!(
            "server.max_connections_per_address ({}) is over server.max_connections ({})",
            server.max_connections_per_address, server.max_connections
        ));
    }
    if server.max_file_bytes > MAX_FILE_BYTES_CEILING {
        return Err(format!(
            "server.max_file_bytes ({}) is over 1 GiB: uploads are held in memory while checked",
            server.max_file_bytes
        ));
    }
    if server.max_file_bytes as u64 > server.max_chat_file_bytes {
        return Err(format!(
            "server.max_file_bytes ({}) is over server.max_chat_file_bytes ({}): no such file could be sent",
            server.max_file_bytes, server.max_chat_file_bytes
        ));
    }
    let chat = &config.chat;
    if chat.inactivity_timeout_secs > 0 && chat.inactivity_warn_secs >= chat.inactivity_timeout_secs
    {
        return Err(format!(
            "chat.inactivity_warn_secs ({}) must come before chat.inactivity_timeout_secs ({})",
            chat.inactivity_warn_secs, chat.inactivity_timeout_secs
        ));
    }
    if let Some(a) = config.agents.iter().find(|a| a.capacity > MAX_CAPACITY) {
        return Err(format!(
            "agent {:?} has capacity {}: at most {MAX_CAPACITY} chats at once",
            a.id.as_str(),
            a.capacity
        ));
    }
    if let Some(cluster) = &config.cluster {
        if cluster.connections == 0 {
            return Err("cluster.connections is 0: the node could not reach its database".into());
        }
        if cluster.node.trim().is_empty() {
            return Err("cluster.node is empty: every node needs a name of its own".into());
        }
    }
    Ok(())
}

/// Chats one agent may hold at once.
const MAX_CAPACITY: u32 = 100;

/// Names: no queue, skill or group twice, every skill named is configured, every password
/// hash can be checked.
fn names(config: &Config) -> Result<(), String> {
    fn twice<'a>(what: &str, ids: impl IntoIterator<Item = &'a str>) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        ids.into_iter()
            .find(|id| !seen.insert(*id))
            .map_or(Ok(()), |id| {
                Err(format!("{what} {id:?} is configured twice"))
            })
    }
    twice("queue", config.queues.iter().map(|q| q.id.as_str()))?;
    twice("skill", config.skills.iter().map(|s| s.id.as_str()))?;
    twice("group", config.groups.iter().map(|g| g.id.as_str()))?;
    let known = |skill: &str| config.skills.iter().any(|s| s.id == skill);
    for a in &config.agents {
        if let Some(skill) = a.skills.iter().find(|s| !known(s)) {
            return Err(format!(
                "agent {:?} has skill {skill:?}, which no [[skills]] entry names",
                a.id.as_str()
            ));
        }
        if argon2::PasswordHash::new(&a.password_hash).is_err() {
            return Err(format!(
                "agent {:?}: password_hash is not a password hash (make one with `parley-server hash-password`)",
                a.id.as_str()
            ));
        }
    }
    for q in &config.queues {
        if let Some(skill) = q.skill.as_deref().filter(|s| !known(s)) {
            return Err(format!(
                "queue {:?} needs skill {skill:?}, which no [[skills]] entry names",
                q.id.as_str()
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

    /// A real password hash (of "kate-demo").
    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$exN6Qo/Nq/0SpgBTvgZa8g$DtB581iDVgK+y7pmX48EL8Je8k7uTMAJZ/MPJGo+/1M";

    #[test]
    fn every_remaining_setting_is_checked_and_named() {
        let bad = |extra: &str, agent: &str| {
            let text = format!(
                "{extra}\n[[queues]]\nid = \"q\"\nname = \"Q\"\n[[agents]]\nid = \"a\"\nname = \"A\"\npassword_hash = \"{HASH}\"\n{agent}"
            );
            let config: Config = toml::from_str(&text).expect("parses");
            check(&config).err().map(|e| e.to_string())
        };
        let refused = |extra: &str, agent: &str, naming: &str| {
            let error = bad(extra, agent);
            assert!(
                error.as_deref().is_some_and(|e| e.contains(naming)),
                "{extra} {agent}: {error:?}"
            );
        };
        for zero in [
            "frame_burst",
            "frames_per_second",
            "max_file_bytes",
            "outbox_bytes",
            "commit_group",
        ] {
            refused(
                &format!("[server]\n{zero} = 0"),
                "",
                &format!("server.{zero} is 0"),
            );
        }
        refused(
            "[routing]\noffer_timeout_secs = 0",
            "",
            "routing.offer_timeout_secs",
        );
        refused(
            "[server]\nmax_connections = 10\nmax_connections_per_address = 11",
            "",
            "max_connections_per_address (11)",
        );
        refused("[server]\nmax_file_bytes = 2147483648", "", "over 1 GiB");
        refused(
            "[server]\nmax_file_bytes = 2000\nmax_chat_file_bytes = 1000",
            "",
            "no such file could be sent",
        );
        refused(
            "[chat]\ninactivity_warn_secs = 60\ninactivity_timeout_secs = 60",
            "",
            "chat.inactivity_warn_secs",
        );
        refused("", "capacity = 1000", "at most 100");
        refused(
            "[cluster]\ndatabase_url = \"postgres://x\"\nredis_url = \"redis://x\"\nnode = \"n\"\nconnections = 0",
            "",
            "cluster.connections",
        );
        // Names: skills must exist, ids are unique, hashes are hashes.
        refused("", "skills = [\"french\"]", "skill \"french\"");
        refused(
            "[[queues]]\nid = \"v\"\nname = \"V\"\nskill = \"vip\"",
            "",
            "skill \"vip\"",
        );
        refused(
            "[[queues]]\nid = \"q\"\nname = \"Again\"",
            "",
            "queue \"q\" is configured twice",
        );
        refused(
            "[[skills]]\nid = \"s\"\nname = \"S\"\n[[skills]]\nid = \"s\"\nname = \"T\"",
            "",
            "skill \"s\" is configured twice",
        );
        assert_eq!(
            bad(
                "[[skills]]\nid = \"french\"\nname = \"French\"",
                "skills = [\"french\"]"
            ),
            None
        );
        let plain = "[[agents]]\nid = \"b\"\nname = \"B\"\npassword_hash = \"b-demo\"";
        refused(
            plain,
            "",
            "agent \"b\": password_hash is not a password hash",
        );
    }

    #[test]
    fn bad_configurations_are_refused_with_a_reason() {
        let bad = |extra: &str| {
            let text = format!("{extra}\n[[queues]]\nid = \"q\"\nname = \"Q\"\n[[agents]]\nid = \"a\"\nname = \"A\"\npassword_hash = \"{HASH}\"\n");
            let config: Config = toml::from_str(&text).expect("parses");
            check(&config).err().map(|e| e.to_string())
        };
        assert_eq!(bad(""), None);
        assert!(bad("[routing]\ndefault_queue = \"nope\"").is_some_and(|e| e.contains("nope")));
        assert!(toml::from_str::<Config>("bogus = 1\nagents = []\nqueues = []").is_err());
        let bot = "[bot]\nname = \"B\"\ngreeting = { markdown = { text = \"Hi\" } }\n";
        assert_eq!(bad(&format!("{bot}queues = [\"q\"]")), None);
        assert!(bad(&format!("{bot}queues = [\"nope\"]")).is_some_and(|e| e.contains("nope")));
        let bot_agent =
            format!("[[agents]]\nid = \"bot\"\nname = \"B\"\npassword_hash = \"{HASH}\"");
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
