//! The configuration file's shape (see `config/demo.toml`): agents, queues, groups, skills,
//! routing and chat timers, dispositions, standard responses, the bot, and the server section.
//!
//! Plain data, so the engine can take it as it is; reading the file and checking it against the
//! file system is the server's (`parley_server::config::load`). The engine ignores `server`.

use parley_protocol::{AgentId, AgentSettings, Label, QueueId, StandardResponse};
use serde::Deserialize;
use std::path::PathBuf;

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
    /// Run as one node of a cluster (PostgreSQL and Redis) instead of alone on SQLite.
    #[serde(default)]
    pub cluster: Option<ClusterConfig>,
    /// The pages that may frame the agent desktop (a CRM's side panel).
    #[serde(default)]
    pub embed: EmbedConfig,
    /// The contact widget on other sites.
    #[serde(default)]
    pub widget: WidgetConfig,
    /// The keys other servers call `/api/v1` with.
    #[serde(default)]
    pub api_keys: Vec<ApiKeyConfig>,
    /// Where chats' domain events are POSTed.
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
    /// The keys sites sign their visitors' identities with (verified contacts).
    #[serde(default)]
    pub identity: IdentityConfig,
    #[serde(default)]
    pub spelling: SpellingConfig,
    /// What dispositions and Not Ready reasons are called in each language (`[labels.de]`
    /// `Lunch = "Mittagspause"`); a code without a label shows as written.
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

/// The spelling confirmation: before an agent's message with words the check does not know
/// goes, the desktop asks. The check runs on the server with Hunspell dictionaries (Debian's
/// `hunspell-*` packages), in the chat's language; a language without one is not checked.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpellingConfig {
    /// Whether agents are asked at all.
    pub confirm: bool,
    /// Where the dictionaries are (`<language>_<REGION>.aff` and `.dic`, or `<language>.aff`).
    pub dictionaries: std::path::PathBuf,
    /// Words every language knows here: product names, the brand.
    pub words: Vec<String>,
}

impl Default for SpellingConfig {
    fn default() -> Self {
        Self {
            confirm: false,
            dictionaries: "/usr/share/hunspell".into(),
            words: Vec::new(),
        }
    }
}

/// Verified contacts: a site signs its visitor's identity as a JWT (HS256 with a shared
/// secret, or ES256 with its key pair) and gives it to the widget.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityConfig {
    /// What the tokens' `aud` must be.
    pub audience: String,
    /// The HS256 secret, at least 32 characters.
    pub hs256_secret: Option<String>,
    /// The ES256 public key (PEM).
    pub es256_public_key: Option<String>,
    /// How far the sites' clocks may be off, in seconds.
    pub leeway_secs: u64,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            audience: "parley".into(),
            hs256_secret: None,
            es256_public_key: None,
            leeway_secs: 60,
        }
    }
}

/// A receiver of domain events.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Names its cursor in the store: renaming a receiver starts it again from the first event.
    pub name: String,
    /// `http(s)://…`, where each event is POSTed.
    pub url: String,
    /// Signs each request (HMAC-SHA256), at least 32 characters.
    pub secret: String,
    /// The events it receives (`chat.started`, `chat.accepted`, `chat.transferred`,
    /// `chat.conferenced`, `chat.ended`, `chat.done`); all when empty.
    #[serde(default)]
    pub events: Vec<String>,
}

/// The pages that may frame the agent desktop.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbedConfig {
    pub hosts: Vec<EmbedHost>,
}

/// One page origin that may frame the desktop, and the host API scopes it may use.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmbedHost {
    /// Exactly `scheme://host[:port]`, as the browser sends it in `Origin`.
    pub origin: String,
    /// Host API scopes (`agent.*`, `interaction.read`, `chat.send`…).
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// The contact widget on other sites.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WidgetConfig {
    /// The origins of the sites that may frame the widget (`scheme://host[:port]`).
    pub allowed_embedders: Vec<String>,
}

/// A named API key (or two, while one replaces the other) and what it may do.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    /// Who calls with it, for logs and limits.
    pub name: String,
    /// The SHA-256 of each key, in hex (`parley-server api-key` makes a key and its hash).
    pub key_hashes: Vec<String>,
    /// What it may do: `chats.write`, `chats.read`, `agents.read`, `agents.sign_in`.
    pub scopes: Vec<String>,
    /// Requests per minute, in bursts of up to a tenth of it.
    #[serde(default = "default_requests_per_minute")]
    pub requests_per_minute: u32,
}

fn default_requests_per_minute() -> u32 {
    600
}

/// One node of a cluster: every node of it has the same configuration but `node`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// `postgres://…`: what every node stores and reads.
    pub database_url: String,
    /// `redis://…`: the bus to every node and the writer's inbox.
    pub redis_url: String,
    /// This node's name, unique in the cluster.
    pub node: String,
    /// What Redis keys and channels start with, so several clusters may share one Redis.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// The most PostgreSQL connections this node opens.
    #[serde(default = "default_connections")]
    pub connections: u32,
}

fn default_namespace() -> String {
    "parley".into()
}

fn default_connections() -> u32 {
    16
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
    /// The host API for pages that frame the desktop (`parley-desktop.js` and its types),
    /// served at `/embed/` to every origin.
    pub embed_dir: PathBuf,
    /// Frames one connection may send in a burst...
    pub frame_burst: u32,
    /// ...and per second after it; more get a `rate_limited` error.
    pub frames_per_second: u32,
    /// Where files sent in chats are kept (default: `files` beside the database). Never served
    /// as a directory: only through `/api/files/{id}` to parties of the chat.
    pub files_dir: Option<PathBuf>,
    /// The largest file that may be sent, in bytes.
    pub max_file_bytes: usize,
    /// Files one chat may hold, and their bytes in all.
    pub max_files_per_chat: u32,
    pub max_chat_file_bytes: u64,
    /// Files one agent or contact may send per minute.
    pub uploads_per_minute: u32,
    /// Uploads are refused (507) while the files directory's disk has less free space than
    /// this plus the largest file; 0 never refuses.
    pub min_free_disk_bytes: u64,
    /// What one connection may have waiting to be written, in bytes; a client that falls
    /// further behind is closed with 1013 and resumes when it reconnects.
    pub outbox_bytes: usize,
    /// The most commands committed in one transaction when they wait together (1: each alone).
    pub commit_group: usize,
    /// Where agents and contacts reach Parley, `scheme://host[:port]` (e.g.
    /// `https://desk.example.com`): requests naming another host are refused, pages must come
    /// from it, and on https the session cookie is `Secure`. Unset, a server on loopback
    /// answers to loopback names only.
    pub public_origin: Option<String>,
    /// The widget's own host name (e.g. `chat.example.com`, or `localhost` beside `127.0.0.1`
    /// on one machine), reached with the public origin's scheme and port: it serves the
    /// contact's chat and nothing of the desktop, so the browser keeps the agent's storage and
    /// cookie from the widget's pages. Unset, the widget is served at `/chat/` beside the
    /// desktop.
    pub widget_host: Option<String>,
    /// Proxies (addresses or networks such as `10.0.0.0/8`) whose `X-Forwarded-For` names the
    /// client; every per-address limit counts that address. Nobody's by default.
    pub trusted_proxies: Vec<String>,
    /// Seconds a client has to send a request's head.
    pub header_read_timeout_secs: u32,
    /// Open connections at most, WebSockets included...
    pub max_connections: usize,
    /// ...and from one address.
    pub max_connections_per_address: usize,
    /// Seconds a new socket has to say `hello` before it is closed.
    pub hello_timeout_secs: u32,
    /// Seconds between the server's pings; a socket silent for two and a half times as long
    /// (no pong either) is closed as dead.
    pub ping_secs: u32,
    /// Password checks at once (each Argon2 check takes about 19 MiB); a login that finds
    /// none free within a few seconds is asked to try again.
    pub password_checks: usize,
    /// Chats one address may start per minute (the widget's form, not `/api/v1`).
    pub chats_per_minute: u32,
    /// An agent session with no desktop open for this many seconds ends...
    pub session_idle_secs: u32,
    /// ...and any ends this many seconds after its login.
    pub session_max_secs: u32,
    /// A contact's token reads its chat for this many seconds after the chat closes (all its
    /// agents marked it done), then is revoked. It writes nothing once the chat has ended.
    pub contact_read_secs: u32,
    /// Closed chats are forgotten (transcript, contact details, files) this many days after
    /// their last event; 0 keeps them for ever.
    pub retention_days: u32,
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
            embed_dir: "embed".into(),
            frame_burst: 40,
            frames_per_second: 20,
            files_dir: None,
            max_file_bytes: 10 * 1024 * 1024,
            max_files_per_chat: 50,
            max_chat_file_bytes: 100 * 1024 * 1024,
            uploads_per_minute: 20,
            min_free_disk_bytes: 1024 * 1024 * 1024,
            outbox_bytes: 1024 * 1024,
            commit_group: 64,
            public_origin: None,
            widget_host: None,
            trusted_proxies: Vec::new(),
            header_read_timeout_secs: 10,
            max_connections: 20_000,
            max_connections_per_address: 200,
            hello_timeout_secs: 5,
            ping_secs: 30,
            password_checks: 4,
            chats_per_minute: 10,
            session_idle_secs: 3600,
            session_max_secs: 12 * 3600,
            contact_read_secs: 4 * 3600,
            retention_days: 365,
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
    /// While a chat waits in its queue, its contact's messages come at most three in any
    /// three times this many milliseconds, as fast as a person types (0: no limit).
    pub queued_message_gap_ms: u32,
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
            queued_message_gap_ms: 1000,
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
    /// The text in other languages (`texts = { de = "…" }`), for chats in them.
    #[serde(default)]
    pub texts: std::collections::BTreeMap<String, String>,
}

impl Config {
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
                    texts: r.texts.clone(),
                })
                .collect(),
            pending_secs: (self.chat.pending_warn_secs, self.chat.pending_late_secs),
            history_days: self.chat.history_days,
            spell_check: self.spelling.confirm,
            labels: self
                .labels
                .iter()
                .flat_map(|(language, codes)| {
                    codes.iter().map(|(code, text)| Label {
                        language: language.clone(),
                        code: code.clone(),
                        text: text.clone(),
                    })
                })
                .collect(),
            ..AgentSettings::default()
        }
    }
}
