//! The server's configuration: one TOML file (see `config/demo.toml`).

use parley_protocol::{AgentId, AgentSettings, QueueId, StandardResponse};
use serde::Deserialize;
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

/// The whole configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub routing: RoutingConfig,
    #[serde(default)]
    pub chat: ChatConfig,
    pub agents: Vec<AgentConfig>,
    pub queues: Vec<QueueConfig>,
    #[serde(default)]
    pub groups: Vec<GroupConfig>,
    #[serde(default)]
    pub skills: Vec<SkillConfig>,
    #[serde(default)]
    pub dispositions: Vec<String>,
    #[serde(default)]
    pub disposition_required: bool,
    #[serde(default)]
    pub not_ready_reasons: Vec<String>,
    #[serde(default)]
    pub responses: Vec<ResponseConfig>,
    /// The demo bot, when configured.
    #[serde(default)]
    pub bot: Option<BotConfig>,
}

/// A rule-based bot that takes chats for some queues first and hands them over to the queue when
/// the contact asks for a person.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotConfig {
    /// The name the contact and agents see.
    pub name: String,
    /// Chats for these queues start with the bot.
    pub queues: Vec<QueueId>,
    /// The bot's first message.
    pub greeting: parley_protocol::Rich,
    /// Words in a message that hand the chat over to an agent.
    #[serde(default = "default_handover")]
    pub handover: Vec<String>,
    /// Keyword rules, first match wins.
    #[serde(default)]
    pub rules: Vec<BotRule>,
    /// The answer when no rule matches (default: the greeting again).
    #[serde(default)]
    pub fallback: Option<parley_protocol::Rich>,
}

fn default_handover() -> Vec<String> {
    vec!["agent".into()]
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotRule {
    pub keywords: Vec<String>,
    pub reply: parley_protocol::Rich,
}

/// Network and file locations.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Where to listen unless `--addr` or `PARLEY_ADDR` says otherwise.
    pub addr: String,
    /// SQLite database file unless `--db` says otherwise.
    pub db: PathBuf,
    /// Origins allowed to open the WebSocket besides the server's own (e.g. a CRM portal).
    pub allowed_origins: Vec<String>,
    /// The built desktop (trunk's `dist/`), served at `/`.
    pub desktop_dir: PathBuf,
    /// The built widget, served at `/chat/`.
    pub widget_dir: PathBuf,
    /// Frames one connection may send in a burst...
    pub frame_burst: u32,
    /// ...and per second after it; more get a `rate_limited` error.
    pub frames_per_second: u32,
    /// Where files sent in chats are kept (default: `files` beside the database). Never served
    /// as a directory: only through `/api/files/{id}` to parties of the chat.
    pub files_dir: Option<PathBuf>,
    /// The largest file that may be sent, in bytes.
    pub max_file_bytes: usize,
}

impl ServerConfig {
    /// The directory of chat files.
    pub fn files_dir(&self) -> PathBuf {
        self.files_dir.clone().unwrap_or_else(|| {
            self.db
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join("files")
        })
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:8080".into(),
            db: "data/parley.db".into(),
            allowed_origins: Vec::new(),
            desktop_dir: "dist".into(),
            widget_dir: "crates/widget/dist".into(),
            frame_burst: 40,
            frames_per_second: 20,
            files_dir: None,
            max_file_bytes: 10 * 1024 * 1024,
        }
    }
}

/// Routing timers.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    /// The queue a chat joins when the widget names none.
    pub default_queue: Option<QueueId>,
    /// How long an offer waits for Accept before it counts as rejected.
    pub offer_timeout_secs: u32,
    /// After rejecting a chat, an agent is not offered the same chat again for this long.
    pub reject_cooldown_secs: u32,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            default_queue: None,
            offer_timeout_secs: 30,
            reject_cooldown_secs: 60,
        }
    }
}

/// Chat timers and switches. A time of 0 turns its timer off.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChatConfig {
    /// The pending-response indicator turns yellow after this long without an answer...
    pub pending_warn_secs: u32,
    /// ...and red after this long.
    pub pending_late_secs: u32,
    /// With nobody writing for this long, the chat gets an inactivity warning...
    pub inactivity_warn_secs: u32,
    /// ...and after this long it ends.
    pub inactivity_timeout_secs: u32,
    /// A contact whose connection is gone this long has left the chat.
    pub contact_grace_secs: u32,
    /// This long after the contact left, the chat closes for every agent (0: agents close it).
    pub auto_close_secs: u32,
    /// Agents see what the contact is typing before it is sent.
    pub typing_preview: bool,
    /// Case data keys agents may edit.
    pub editable_case_data: Vec<String>,
    /// Asynchronous chat: the chat stays open after the last agent leaves, and that agent can
    /// rejoin until it marks the chat done.
    pub async_chat: bool,
    /// How far back a contact's earlier chats are shown above the current one, in days.
    pub history_days: u32,
}

impl Default for ChatConfig {
    fn default() -> Self {
        Self {
            pending_warn_secs: 30,
            pending_late_secs: 60,
            inactivity_warn_secs: 240,
            inactivity_timeout_secs: 300,
            contact_grace_secs: 30,
            auto_close_secs: 0,
            typing_preview: true,
            editable_case_data: Vec::new(),
            async_chat: false,
            history_days: 180,
        }
    }
}

/// One agent account.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    pub id: AgentId,
    /// Full name, shown to other agents.
    pub name: String,
    /// Shown to contacts instead of the name; defaults to the name.
    pub nickname: Option<String>,
    /// Argon2 PHC string (`parley-server hash-password` makes one).
    pub password_hash: String,
    /// Maximum concurrent chats.
    #[serde(default = "default_capacity")]
    pub capacity: u32,
    #[serde(default)]
    pub skills: Vec<String>,
}

fn default_capacity() -> u32 {
    3
}

/// An interaction queue.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    pub id: QueueId,
    pub name: String,
    /// Only agents with this skill get this queue's chats.
    pub skill: Option<String>,
}

/// An agent group.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    pub id: String,
    pub name: String,
    pub agents: Vec<AgentId>,
}

/// A skill that agents and queues name.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillConfig {
    pub id: String,
    pub name: String,
}

/// A standard response.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseConfig {
    pub name: String,
    pub category: String,
    /// Typing this keyword in the composer inserts the response.
    pub keyword: Option<String>,
    pub text: String,
    /// A file that goes with the response (path relative to the configuration file); agents
    /// can attach it to a chat from the responses library.
    #[serde(default)]
    pub attachment: Option<PathBuf>,
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
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
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.queues.is_empty() {
            return invalid("at least one [[queues]] entry is needed".into());
        }
        if let Some(q) = &self.routing.default_queue {
            if !self.queues.iter().any(|x| &x.id == q) {
                return invalid(format!(
                    "routing.default_queue {q:?} is not a configured queue"
                ));
            }
        }
        let mut ids = std::collections::HashSet::new();
        for a in &self.agents {
            if !ids.insert(&a.id) {
                return invalid(format!("agent {:?} is configured twice", a.id.as_str()));
            }
            if a.capacity == 0 {
                return invalid(format!("agent {:?} has capacity 0", a.id.as_str()));
            }
        }
        if let Some(r) = self
            .responses
            .iter()
            .find(|r| r.attachment.as_ref().is_some_and(|a| !a.is_file()))
        {
            return invalid(format!(
                "the attachment of response {:?} is not a file",
                r.name
            ));
        }
        if let Some(bot) = &self.bot {
            if self.agents.iter().any(|a| a.id.as_str() == "bot") {
                return invalid("the agent id \"bot\" is the bot's; choose another".into());
            }
            if let Some(q) = bot
                .queues
                .iter()
                .find(|q| !self.queues.iter().any(|x| &x.id == *q))
            {
                return invalid(format!("bot.queues names unknown queue {:?}", q.as_str()));
            }
        }
        for g in &self.groups {
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

    /// The queue chats join when none is named.
    pub fn default_queue(&self) -> QueueId {
        self.routing
            .default_queue
            .clone()
            .unwrap_or_else(|| self.queues[0].id.clone())
    }

    /// The lists the desktop shows in its controls.
    pub fn agent_settings(&self) -> AgentSettings {
        AgentSettings {
            dispositions: self.dispositions.clone(),
            disposition_required: self.disposition_required,
            not_ready_reasons: self.not_ready_reasons.clone(),
            editable_case_data: self.chat.editable_case_data.clone(),
            responses: self
                .responses
                .iter()
                .map(|r| StandardResponse {
                    name: r.name.clone(),
                    category: r.category.clone(),
                    keyword: r.keyword.clone(),
                    text: r.text.clone(),
                    attachment: r
                        .attachment
                        .as_ref()
                        .and_then(|a| a.file_name())
                        .map(|n| n.to_string_lossy().into_owned()),
                })
                .collect(),
            pending_secs: (self.chat.pending_warn_secs, self.chat.pending_late_secs),
            history_days: self.chat.history_days,
            ..AgentSettings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_configuration_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/demo.toml");
        let config = Config::load(&path).expect("demo config");
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
            config.check().err().map(|e| e.to_string())
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
    }
}
