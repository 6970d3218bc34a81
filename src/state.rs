//! The desktop's state and the pure reducer that applies server frames to it.
//!
//! Every rule of what the agent sees lives here, with native tests; the views only read this
//! state and call the methods that produce frames to send.

pub use parley_client::lines::Line;
use parley_client::Outbox;
use parley_protocol::{
    AgentId, AgentSettings, AgentStatus, ClientMsg, ErrorCode, EventKind, Identity, InteractionId,
    InteractionSummary, Invitation, InvitationId, Party, Resume, ServerMsg, Transcript,
};

/// The state of the link to the server, for the connection indicator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Link {
    #[default]
    Connecting,
    /// Connected and welcomed.
    Online,
    /// Lost; reconnecting.
    Offline,
}

impl Link {
    /// The value of `data-state` on the indicator.
    pub fn as_str(self) -> &'static str {
        match self {
            Link::Connecting => "connecting",
            Link::Online => "online",
            Link::Offline => "offline",
        }
    }
}

/// The logged-in agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Me {
    pub id: AgentId,
    pub name: String,
    pub nickname: String,
}

/// One chat on the desktop.
#[derive(Clone, Debug, PartialEq)]
pub struct Chat {
    pub summary: InteractionSummary,
    pub transcript: Transcript,
    /// The disposition code chosen for Mark Done.
    pub disposition: Option<String>,
    /// This agent left the chat (End in a conference, or deleted from it): its part is over.
    pub left: bool,
    /// The last refusal from the server for this chat, shown above the transcript.
    pub error: Option<String>,
}

impl Chat {
    /// Whether this agent's part is over: Mark Done is offered, the composer is closed.
    pub fn ended(&self) -> bool {
        self.left || self.transcript.is_ended()
    }
}

/// Everything the desktop shows.
#[derive(Clone, Debug, PartialEq)]
pub struct DesktopState {
    pub link: Link,
    pub me: Option<Me>,
    pub status: AgentStatus,
    pub settings: AgentSettings,
    /// Open offers, oldest first.
    pub invitations: Vec<Invitation>,
    /// Open chats in the order they were accepted.
    pub chats: Vec<Chat>,
    pub selected: Option<InteractionId>,
    /// Messages typed but not yet stored by the server.
    pub outbox: Outbox,
    /// A system message for the agent (connection lost / restored, refusals).
    pub notice: Option<String>,
    /// The session was refused: the app must show the login again.
    pub logged_out: bool,
}

impl DesktopState {
    /// A fresh state; `client_prefix` makes this page's message ids unique.
    pub fn new(client_prefix: &str) -> Self {
        Self {
            link: Link::Connecting,
            me: None,
            status: AgentStatus::NotReady { reason: None },
            settings: AgentSettings::default(),
            invitations: Vec::new(),
            chats: Vec::new(),
            selected: None,
            outbox: Outbox::new(client_prefix),
            notice: None,
            logged_out: false,
        }
    }

    /// The chat with this id.
    pub fn chat(&self, id: &InteractionId) -> Option<&Chat> {
        self.chats.iter().find(|c| &c.summary.id == id)
    }

    fn chat_mut(&mut self, id: &InteractionId) -> Option<&mut Chat> {
        self.chats.iter_mut().find(|c| &c.summary.id == id)
    }

    /// The chat shown in the main area.
    pub fn selected_chat(&self) -> Option<&Chat> {
        self.selected.as_ref().and_then(|id| self.chat(id))
    }

    /// Applies one frame from the server.
    pub fn apply(&mut self, msg: ServerMsg) {
        match msg {
            ServerMsg::Welcome { me, settings, .. } => {
                if let Identity::Agent {
                    id,
                    name,
                    nickname,
                    status,
                } = me
                {
                    self.me = Some(Me { id, name, nickname });
                    self.status = status;
                }
                self.settings = settings.unwrap_or_default();
                if self.link == Link::Offline {
                    self.notice = Some("Connection restored.".into());
                }
                self.link = Link::Online;
                // Offers are sent again after a welcome; the old list may hold expired ones.
                self.invitations.clear();
            }
            ServerMsg::Status { status } => self.status = status,
            ServerMsg::Invitation { invitation } => {
                self.invitations.retain(|i| i.id != invitation.id);
                self.invitations.push(invitation);
            }
            ServerMsg::InvitationGone { invitation } => {
                self.invitations.retain(|i| i.id != invitation)
            }
            ServerMsg::Opened { interaction } => match self.chat_mut(&interaction.id) {
                Some(chat) => chat.summary = interaction,
                None => {
                    if self.selected.is_none() {
                        self.selected = Some(interaction.id.clone());
                    }
                    self.chats.push(Chat {
                        summary: interaction,
                        transcript: Transcript::default(),
                        disposition: None,
                        left: false,
                        error: None,
                    });
                }
            },
            ServerMsg::Events {
                interaction,
                events,
            } => {
                let me = self.me.as_ref().map(|m| m.id.clone());
                let ended = match self.chat_mut(&interaction) {
                    Some(chat) => {
                        chat.left |= events.iter().any(|e| {
                            matches!(&e.kind, EventKind::Left { party: Party::Agent { id, .. }, .. } if Some(id) == me.as_ref())
                        });
                        chat.transcript.merge(events);
                        chat.ended()
                    }
                    None => false,
                };
                if ended {
                    self.outbox.drop_interaction(&interaction);
                }
            }
            ServerMsg::Ack { client_id, .. } => self.outbox.ack(&client_id),
            ServerMsg::Closed { interaction } => {
                self.chats.retain(|c| c.summary.id != interaction);
                self.outbox.drop_interaction(&interaction);
                if self.selected.as_ref() == Some(&interaction) {
                    self.selected = self.chats.first().map(|c| c.summary.id.clone());
                }
            }
            ServerMsg::Pending { interaction, level } => {
                if let Some(chat) = self.chat_mut(&interaction) {
                    chat.summary.pending = level;
                }
            }
            // Not shown by the desktop yet (Team Communicator, typing notice, history views); the
            // queue position is for contacts only.
            ServerMsg::Presence { .. }
            | ServerMsg::Typing { .. }
            | ServerMsg::History { .. }
            | ServerMsg::QueuePosition { .. } => {}
            ServerMsg::Error { code, message } => {
                if code == ErrorCode::Unauthorized {
                    self.logged_out = true;
                }
                match self.selected.clone().and_then(|id| self.chat_mut(&id)) {
                    Some(chat)
                        if matches!(
                            code,
                            ErrorCode::Invalid | ErrorCode::Forbidden | ErrorCode::NotFound
                        ) =>
                    {
                        chat.error = Some(message)
                    }
                    _ => self.notice = Some(message),
                }
            }
        }
    }

    /// The socket dropped.
    pub fn disconnected(&mut self) {
        if self.link == Link::Online {
            self.notice = Some("Connection to the server lost. Reconnecting…".into());
        }
        self.link = Link::Offline;
    }

    /// The `hello` for the next connection: the token and where each open chat left off.
    pub fn hello(&self, token: Option<String>) -> ClientMsg {
        let resume = self
            .chats
            .iter()
            .map(|c| Resume {
                interaction: c.summary.id.clone(),
                after: c.transcript.last_seq(),
            })
            .collect();
        ClientMsg::Hello {
            v: parley_protocol::PROTOCOL_VERSION,
            token,
            resume,
        }
    }

    /// Frames to send after a welcome: messages the server has not acknowledged yet.
    pub fn after_welcome(&self) -> Vec<ClientMsg> {
        self.outbox.resend()
    }

    /// The agent sends `text` in a chat: the frame to send, if there is anything to send.
    pub fn send(&mut self, interaction: &InteractionId, text: &str) -> Option<ClientMsg> {
        let chat = self.chat_mut(interaction)?;
        if chat.ended() {
            return None;
        }
        chat.error = None;
        self.outbox.push(interaction, text)
    }

    /// Mark Done for a chat, if it may be marked done now.
    pub fn done(&mut self, interaction: &InteractionId) -> Option<ClientMsg> {
        let required = self.settings.disposition_required;
        let chat = self.chat_mut(interaction)?;
        if !chat.ended() {
            return None;
        }
        if required && chat.disposition.is_none() {
            chat.error = Some("Choose a disposition code before marking this chat done.".into());
            return None;
        }
        Some(ClientMsg::Done {
            interaction: interaction.clone(),
            disposition: chat.disposition.clone(),
            note: None,
        })
    }

    /// The agent chose a disposition code ("" clears it).
    pub fn set_disposition(&mut self, interaction: &InteractionId, code: &str) {
        let known = self.settings.dispositions.iter().any(|d| d == code);
        if let Some(chat) = self.chat_mut(interaction) {
            chat.disposition = known.then(|| code.to_owned());
            chat.error = None;
        }
    }

    /// Answers an offer; the preview closes when the server confirms.
    pub fn answer(&self, invitation: &InvitationId, accept: bool) -> Option<ClientMsg> {
        self.invitations
            .iter()
            .any(|i| &i.id == invitation)
            .then(|| {
                let invitation = invitation.clone();
                if accept {
                    ClientMsg::Accept { invitation }
                } else {
                    ClientMsg::Reject { invitation }
                }
            })
    }

    /// The agent picked a chat in the interaction bar.
    pub fn select(&mut self, interaction: &InteractionId) {
        if self.chat(interaction).is_some() {
            self.selected = Some(interaction.clone());
        }
    }

    /// Whether a message the agent sent is still waiting for the server.
    pub fn is_pending(&self, client_id: &str) -> bool {
        self.outbox
            .pending()
            .iter()
            .any(|p| p.client_id == client_id)
    }

    /// The agent's own messages not yet in the transcript, for a chat (shown greyed).
    pub fn unsent(&self, interaction: &InteractionId) -> Vec<&str> {
        let Some(chat) = self.chat(interaction) else {
            return Vec::new();
        };
        self.outbox
            .pending()
            .iter()
            .filter(|p| {
                &p.interaction == interaction && !chat.transcript.has_client_id(&p.client_id)
            })
            .map(|p| p.text.as_str())
            .collect()
    }
}

/// The transcript lines of a chat as this agent sees them.
pub fn lines(chat: &Chat, me: Option<&AgentId>) -> Vec<Line> {
    parley_client::lines::lines(
        &chat.transcript,
        |p| matches!(p, parley_protocol::Party::Agent { id, .. } if Some(id) == me),
    )
}

#[cfg(test)]
#[path = "state/tests.rs"]
mod tests;
