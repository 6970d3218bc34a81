//! The desktop's state and the pure reducer that applies server frames to it.
//!
//! Every rule of what the agent sees lives here, with native tests; the views only read this
//! state and call the methods that produce frames to send.
//!
//! - [`chat`]: one chat and the rules that concern only it (unread, flashing, typing, read marks).
//! - this module: the whole desktop — link, status, offers, chats, drafts, the composer's
//!   helpers (standard responses, pushed URLs), zoom and alert preferences.

mod chat;
mod consult;
pub mod host;
pub mod keys;
mod parties;
mod requests;
mod team;

pub use chat::{journey, shown_case_data, Chat, Flash, Typing};
pub use parties::{party_key, Consult, Parties, PartyEntry, PartyStatus};
pub use team::{action_label, TcEntry, TcKind, TeamCommunicator};

use parley_client::i18n::{refusal, t, tf};
pub use parley_client::lines::Line;
use parley_client::lowercase;
pub use parley_client::Outbox;
use parley_protocol::act;
use parley_protocol::{
    AgentId, AgentPresence, AgentSettings, AgentStatus, ClientMsg, ErrorCode, EventKind,
    HistoryEntry, HistoryScope, Identity, InteractionId, Invitation, InvitationId, Party,
    PendingLevel, RequestKind, Resume, ServerMsg, StandardResponse, Target,
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

/// Standard responses whose name, category or keyword contains the query, by category.
pub fn find_responses<'a>(
    responses: &'a [StandardResponse],
    query: &str,
) -> Vec<&'a StandardResponse> {
    let q = lowercase(query.trim());
    let mut found: Vec<&StandardResponse> = responses
        .iter()
        .filter(|r| {
            q.is_empty()
                || lowercase(&r.name).contains(&q)
                || lowercase(&r.category).contains(&q)
                || r.keyword
                    .as_ref()
                    .is_some_and(|k| lowercase(k).contains(&q))
        })
        .collect();
    parley_client::order::sort_by(&mut found, |a, b| {
        (&a.category, &a.name).cmp(&(&b.category, &b.name))
    });
    found
}

/// Earlier pushed addresses (most recent first) that start with (or contain) what is typed.
pub fn url_suggestions<'a>(pushed: &'a [String], typed: &str) -> Vec<&'a str> {
    let typed = lowercase(typed.trim());
    pushed
        .iter()
        .filter(|u| lowercase(u).contains(&typed))
        .map(String::as_str)
        .collect()
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
    /// Whether the desktop's window has the focus (a chat is only "looked at" then).
    pub focused: bool,
    /// Transcript text size, in percent.
    pub zoom: u16,
    pub alerts: Alerts,
    /// Addresses pushed to contacts, most recent first, for the Push URL suggestions.
    pub pushed_urls: Vec<String>,
    /// Errors kept for the agent to read later (rejected transfers).
    pub my_messages: Vec<String>,
    /// Every agent's status and load, for the Team Communicator.
    pub presence: Vec<AgentPresence>,
    /// Targets of earlier requests, most recent first.
    pub recent: Vec<Target>,
    /// The Team Communicator, while open.
    pub tc: Option<TeamCommunicator>,
    /// My History: chats this agent took part in as a party (never as a consultant), once asked.
    pub my_history: Option<Vec<HistoryEntry>>,
    /// How many frames the server refused (wrapping): a control showing confirmed state, like the
    /// status, shows it again after each, instead of the choice that was refused.
    pub refusals: u32,
    /// The chat of the offer this desktop accepted last, until the server opens it: it then
    /// comes to the front. Chats opened any other way (a reconnect, an Accept in another window)
    /// never move the view.
    accepting: Option<InteractionId>,
    /// The commands sent, to put each refusal on its own chat.
    pub requests: requests::Requests,
    /// The chat whose message box takes the focus when its window opens: the one this desktop
    /// just accepted, until the agent picks another.
    pub focus: Option<InteractionId>,
    /// The server has sent everything a welcome brings (the join ends with the presence list):
    /// until then the desktop shows a state that is still filling in.
    pub synced: bool,
    /// The agent's desktop in use (a `client` id): when it is another one, this desktop shows
    /// that Parley is open in another window, and offers "Use it here".
    pub desktop: Option<String>,
    /// The offers this desktop rejected lately (at most [`REJECTED`]), so a host hears which
    /// offers went because the agent said no.
    pub rejected: Vec<InvitationId>,
    /// What screen readers are told of the chats: a contact's message in a chat not on screen,
    /// a reply falling late in any (its colour says it only to the eye); numbered so the same
    /// words said twice are said again.
    pub announcement: (u32, String),
    /// Drafts and notes kept over a reload (a change of language), by chat, given back to each
    /// chat as it opens again.
    pub kept: Vec<Kept>,
}

/// What the agent wrote in a chat and not sent yet: kept over a reload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    pub interaction: InteractionId,
    pub draft: String,
    pub note: String,
}

/// The longest note kept with Mark Done, in characters.
pub const MAX_NOTE: usize = 4000;

/// How many rejected offers are remembered.
const REJECTED: usize = 20;

/// How the desktop calls for attention when its window is not focused; each can be switched off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alerts {
    pub notifications: bool,
    pub sound: bool,
    /// The accessibility option: a rising tone as a pending response approaches red.
    pub tone: bool,
}

impl Default for Alerts {
    fn default() -> Self {
        Self {
            notifications: true,
            sound: true,
            tone: false,
        }
    }
}

/// Zoom bounds and step, in percent.
const ZOOM: (u16, u16, u16) = (70, 200, 10);

/// How many pushed addresses are remembered.
const URL_HISTORY: usize = 20;

impl DesktopState {
    /// A fresh state whose messages take their ids from `outbox`.
    pub fn new(outbox: Outbox) -> Self {
        Self {
            link: Link::Connecting,
            me: None,
            status: AgentStatus::NotReady { reason: None },
            settings: AgentSettings::default(),
            invitations: Vec::new(),
            chats: Vec::new(),
            selected: None,
            outbox,
            notice: None,
            logged_out: false,
            focused: true,
            zoom: 100,
            alerts: Alerts::default(),
            pushed_urls: Vec::new(),
            my_messages: Vec::new(),
            presence: Vec::new(),
            recent: Vec::new(),
            tc: None,
            my_history: None,
            refusals: 0,
            accepting: None,
            requests: Default::default(),
            focus: None,
            synced: false,
            desktop: None,
            rejected: Vec::new(),
            announcement: (0, String::new()),
            kept: Vec::new(),
        }
    }

    /// What a reload would lose: each chat's draft and note, where there is one.
    pub fn to_keep(&self) -> Vec<Kept> {
        let written = |c: &&Chat| !c.draft.is_empty() || !c.note.is_empty();
        let kept = self.chats.iter().filter(written).map(|c| Kept {
            interaction: c.summary.id.clone(),
            draft: c.draft.clone(),
            note: c.note.clone(),
        });
        kept.collect()
    }

    /// Tells screen readers `text` (a polite live region), without moving the focus.
    fn say(&mut self, text: String) {
        self.announcement = (self.announcement.0.wrapping_add(1), text);
    }

    /// Whether another desktop of the agent is the one in use.
    pub fn elsewhere(&self) -> bool {
        self.desktop
            .as_deref()
            .is_some_and(|d| d != self.outbox.instance())
    }

    /// Whether the agent is looking at this chat now.
    fn looking_at(&self, id: &InteractionId) -> bool {
        self.focused && self.selected.as_ref() == Some(id)
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
            ServerMsg::Welcome {
                me,
                settings,
                desktop,
                ..
            } => {
                self.desktop = desktop;
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
                    self.notice = Some(t("desk.restored"));
                }
                self.link = Link::Online;
                self.synced = false;
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
            ServerMsg::Opened { interaction } => {
                let accepted = self.accepting.take_if(|a| *a == interaction.id);
                match self.chat_mut(&interaction.id) {
                    Some(chat) => chat.set_summary(interaction),
                    None => {
                        if self.selected.is_none() {
                            self.selected = Some(interaction.id.clone());
                        }
                        let mut chat = Chat::new(interaction);
                        let at = self
                            .kept
                            .iter()
                            .position(|k| k.interaction == chat.summary.id);
                        if let Some(kept) = at.map(|at| self.kept.remove(at)) {
                            (chat.draft, chat.note) = (kept.draft, kept.note);
                        }
                        self.chats.push(chat);
                    }
                }
                if let Some(id) = accepted {
                    self.select(&id);
                    self.focus = Some(id);
                }
            }
            ServerMsg::Events {
                interaction,
                events,
            } => {
                let me = self.me.as_ref().map(|m| m.id.clone());
                let looking = self.looking_at(&interaction);
                let last = self
                    .chat(&interaction)
                    .map_or(0, |c| c.transcript.last_seq());
                // A declined request is a system message at the top of the window; a rejected
                // transfer is an error there and in My Messages.
                for e in events.iter().filter(|e| e.seq > last) {
                    let EventKind::Declined { request, .. } = &e.kind else {
                        continue;
                    };
                    let Some(text) =
                        parley_client::lines::line(e, |_| false).map(|l| l.text().to_owned())
                    else {
                        continue;
                    };
                    if *request == RequestKind::Transfer {
                        self.my_messages.push(text.clone());
                    }
                    if let Some(chat) = self.chat_mut(&interaction) {
                        match request {
                            RequestKind::Transfer => chat.error = Some(text),
                            _ => chat.notice = Some(text),
                        }
                    }
                }
                // A contact's message in a chat not on screen is said; a chat's first events
                // (its history, on opening or after a reload) are not news.
                let elsewhere = last > 0
                    && self.selected.as_ref() != Some(&interaction)
                    && events.iter().any(|e| {
                        e.seq > last
                            && matches!(
                                e.kind,
                                EventKind::Message {
                                    from: Party::Contact { .. },
                                    consultation: None,
                                    ..
                                }
                            )
                    });
                let ended = match self.chat_mut(&interaction) {
                    Some(chat) => {
                        chat.absorb(events, me.as_ref(), looking);
                        chat.ended()
                    }
                    None => false,
                };
                if let Some(chat) = self.chat(&interaction).filter(|_| elsewhere) {
                    let said = tf("say.message", &[("name", &chat.summary.contact)]);
                    self.say(said);
                }
                if ended {
                    self.outbox.drop_interaction(&interaction);
                }
            }
            ServerMsg::Ack { client_id, .. } => self.outbox.ack(&client_id),
            ServerMsg::Closed { interaction } => {
                if self
                    .tc
                    .as_ref()
                    .is_some_and(|t| t.interaction == interaction)
                {
                    self.tc = None;
                }
                self.chats.retain(|c| c.summary.id != interaction);
                self.outbox.drop_interaction(&interaction);
                // The chat on screen went (done, transferred): the next one comes on screen
                // with its message box focused, so a keyboard is never left on nothing.
                if self.selected.as_ref() == Some(&interaction) {
                    self.selected = self.chats.first().map(|c| c.summary.id.clone());
                    self.focus = self.selected.clone();
                }
            }
            ServerMsg::Pending { interaction, level } => {
                let looking = self.looking_at(&interaction);
                let rising = self
                    .chat_mut(&interaction)
                    .is_some_and(|chat| chat.set_pending(level, looking));
                if let Some(chat) = self.chat(&interaction).filter(|_| rising) {
                    let key = match level {
                        PendingLevel::Late => "say.late",
                        _ => "say.warn",
                    };
                    let said = tf(key, &[("name", &chat.summary.contact)]);
                    self.say(said);
                }
            }
            ServerMsg::Typing {
                interaction,
                party: Party::Contact { .. },
                typing,
                preview,
                consultation: None,
            } => {
                if let Some(chat) = self.chat_mut(&interaction) {
                    chat.typing = typing.then_some(Typing { preview });
                }
            }
            ServerMsg::Older {
                interaction,
                events,
                from,
            } => {
                let me = self.me.as_ref().map(|m| m.id.clone());
                if let Some(chat) = self.chat_mut(&interaction) {
                    chat.absorb(events, me.as_ref(), true);
                    chat.loaded_from = from;
                    chat.older_pending = false;
                }
            }
            ServerMsg::Earlier { interaction, chat } => {
                let me = self.me.as_ref().map(|m| m.id.clone());
                let days = self.settings.history_days;
                if let Some(c) = self.chat_mut(&interaction) {
                    c.add_past(chat, me.as_ref(), days);
                }
            }
            ServerMsg::History {
                scope: HistoryScope::Contact { interaction },
                entries,
            } => {
                if let Some(chat) = self.chat_mut(&interaction) {
                    chat.history = Some(entries);
                }
            }
            ServerMsg::Typing {
                interaction,
                typing,
                consultation: Some(id),
                ..
            } => {
                if let Some(c) = self
                    .chat_mut(&interaction)
                    .and_then(|c| c.parties.consult_mut(&id))
                {
                    c.typing = typing && c.active;
                }
            }
            ServerMsg::ActiveDesktop { client } => self.desktop = Some(client),
            ServerMsg::Presence { agents } => {
                self.presence = agents;
                self.synced = true;
            }
            ServerMsg::History {
                scope: HistoryScope::Mine,
                entries,
            } => self.my_history = Some(entries),
            // Other agents' typing in the main chat is not shown; the queue position is for
            // contacts only.
            ServerMsg::Typing { .. } | ServerMsg::QueuePosition { .. } => {}
            ServerMsg::Error {
                code, reason, req, ..
            } => {
                self.refusals = self.refusals.wrapping_add(1);
                if code == ErrorCode::Unauthorized {
                    self.logged_out = true;
                }
                // Said in the agent's language; the server's `message` is English, for logs.
                let message = refusal(code.as_str(), reason.as_deref());
                // A refusal of a command about a chat shows in that chat; any other in the bar.
                let about = self.requests.about(req).flatten().cloned();
                match about.and_then(|id| self.chat_mut(&id)) {
                    Some(chat) => chat.error = Some(message),
                    None => self.notice = Some(message),
                }
            }
        }
    }

    /// The socket dropped.
    pub fn disconnected(&mut self) {
        if self.link == Link::Online {
            self.notice = Some(t("desk.lost"));
        }
        self.link = Link::Offline;
    }

    /// The server closed the socket for a breach of its rules and it will not reconnect.
    pub fn connection_refused(&mut self) {
        self.link = Link::Offline;
        self.notice = Some(t("desk.refused"));
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
            client: Some(self.outbox.instance().to_owned()),
        }
    }

    /// Frames to send after a welcome: messages the server has not acknowledged yet.
    pub fn after_welcome(&self) -> Vec<ClientMsg> {
        self.outbox.resend()
    }

    /// The agent sends `text` in a chat: the frame to send, if there is anything to send.
    pub fn send(&mut self, interaction: &InteractionId, text: &str) -> Option<ClientMsg> {
        let chat = self.chat_mut(interaction)?;
        // A consultant reads the chat; it talks only to the initiator.
        if chat.ended() || chat.is_consultant() {
            return None;
        }
        chat.error = None;
        self.outbox.push(interaction, text)
    }

    /// Mark Done for a chat, if it may be marked done now. A consultant needs no disposition.
    pub fn done(&mut self, interaction: &InteractionId) -> Option<ClientMsg> {
        let required = self.settings.disposition_required;
        let chat = self.chat_mut(interaction)?;
        if !chat.ended() {
            return None;
        }
        let required = required && !chat.is_consultant();
        if required && chat.disposition.is_none() {
            chat.error = Some(t("ix.disposition_needed"));
            return None;
        }
        let note = chat.note.trim();
        Some(ClientMsg::from(act::Done {
            interaction: interaction.clone(),
            disposition: chat.disposition.clone(),
            note: (!note.is_empty()).then(|| note.to_owned()),
        }))
    }

    /// Something the agent did in a chat was refused (shown at the top of its window).
    pub fn refused(&mut self, interaction: &InteractionId, message: String) {
        if let Some(chat) = self.chat_mut(interaction) {
            chat.error = Some(message);
        }
    }

    /// The agent chose a disposition code ("" clears it).
    pub fn set_disposition(&mut self, interaction: &InteractionId, code: &str) {
        let known = self.settings.dispositions.iter().any(|d| d == code);
        if let Some(chat) = self.chat_mut(interaction) {
            chat.disposition = known.then(|| code.to_owned());
            chat.error = None;
        }
    }

    /// Answers an offer; the preview closes when the server confirms. The chat of an accepted
    /// offer comes to the front when it opens.
    pub fn answer(&mut self, invitation: &InvitationId, accept: bool) -> Option<ClientMsg> {
        let offer = self.invitations.iter().find(|i| &i.id == invitation)?;
        let invitation = invitation.clone();
        if !accept {
            self.rejected.insert(0, invitation.clone());
            self.rejected.truncate(REJECTED);
            return Some(ClientMsg::from(act::Reject { invitation }));
        }
        self.accepting = Some(offer.interaction.id.clone());
        Some(ClientMsg::from(act::Accept { invitation }))
    }

    /// The agent picked a chat in the interaction bar.
    pub fn select(&mut self, interaction: &InteractionId) {
        if let Some(chat) = self.chat_mut(interaction) {
            chat.seen();
            self.selected = Some(interaction.clone());
        }
        if self.focus.as_ref().is_some_and(|id| id != interaction) {
            self.focus = None;
        }
    }

    /// The chat `steps` after the one on screen in the interaction bar (before it when
    /// negative, round at the ends) comes on screen with its message box focused.
    pub fn select_by(&mut self, steps: isize) {
        let count = self.chats.len() as isize;
        if count == 0 {
            return;
        }
        let at = self
            .selected
            .as_ref()
            .and_then(|id| self.chats.iter().position(|c| &c.summary.id == id))
            // With none on screen, the first chat is the next one and the last the previous.
            .map_or(if steps > 0 { -1 } else { 0 }, |i| i as isize);
        let id = self.chats[(at + steps).rem_euclid(count) as usize]
            .summary
            .id
            .clone();
        self.select(&id);
        self.focus = Some(id);
    }

    /// Asks for the contact's earlier chats (in progress, or closed within the history limit):
    /// when the agent opens the history (`asked`), and as the chat's window opens, to count
    /// them beside the contact's status, if the contact's site vouched for them (only such
    /// contacts have chats linked to this one).
    pub fn contact_history(&self, interaction: &InteractionId, asked: bool) -> Option<ClientMsg> {
        self.chat(interaction)
            .filter(|c| asked || c.summary.verified)
            .map(|_| ClientMsg::History {
                scope: HistoryScope::Contact {
                    interaction: interaction.clone(),
                },
            })
    }

    /// The agent scrolled to the top of a chat: ask for older events, or once the chat is whole,
    /// for the contact's chat before it; one request at a time.
    pub fn older(&mut self, interaction: &InteractionId) -> Option<ClientMsg> {
        let chat = self.chat_mut(interaction)?;
        if chat.older_pending || chat.past_pending {
            return None;
        }
        if chat.has_older() {
            chat.older_pending = true;
            return Some(ClientMsg::Older {
                interaction: interaction.clone(),
                before: chat.earliest(),
                limit: parley_protocol::OPEN_WINDOW,
            });
        }
        if chat.past_done {
            return None;
        }
        chat.past_pending = true;
        Some(ClientMsg::Earlier {
            interaction: interaction.clone(),
            before: chat
                .past
                .first()
                .map_or(chat.summary.started_at, |p| p.started_at),
        })
    }

    /// The desktop's window gained or lost the focus.
    pub fn set_focused(&mut self, focused: bool) {
        self.focused = focused;
        if let Some(id) = self.selected.clone().filter(|_| focused) {
            self.select(&id);
        }
    }

    /// The pointer rests on a chat's tab: the preview shows and the flashing stops.
    pub fn hover(&mut self, interaction: &InteractionId) {
        if let Some(chat) = self.chat_mut(interaction) {
            chat.flash = None;
        }
    }

    /// Whether anything calls for the agent's attention (for the page title and notifications).
    pub fn needs_attention(&self) -> bool {
        // A desktop not in use leaves calling to the one that is.
        !self.elsewhere()
            && (!self.invitations.is_empty() || self.chats.iter().any(|c| c.flash.is_some()))
    }

    /// The composer's text changed. A word `#keyword` followed by a space becomes that
    /// standard response.
    pub fn set_draft(&mut self, interaction: &InteractionId, text: &str) {
        let expanded = self.expand_keyword(interaction, text);
        if let Some(chat) = self.chat_mut(interaction) {
            chat.draft = expanded.unwrap_or_else(|| text.to_owned());
        }
    }

    fn expand_keyword(&self, interaction: &InteractionId, text: &str) -> Option<String> {
        let body = text.strip_suffix(' ')?;
        // The word starts after the last whitespace, which may be wider than one byte (a
        // no-break space before `!` on French keyboards).
        let start = body
            .char_indices()
            .rfind(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8());
        let keyword = body[start..].strip_prefix('#')?;
        let response = self
            .settings
            .responses
            .iter()
            .find(|r| r.keyword.as_deref() == Some(keyword))?;
        let language = self.chat_language(interaction);
        Some(format!(
            "{}{} ",
            &body[..start],
            response.text_in(&language)
        ))
    }

    /// Inserts the standard response named `name`, in the chat's language.
    pub fn insert_response(&mut self, interaction: &InteractionId, name: &str) {
        let language = self.chat_language(interaction);
        let text = self
            .settings
            .responses
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.text_in(&language).to_owned());
        if let Some(text) = text {
            self.insert(interaction, &text);
        }
    }

    /// What a disposition or Not Ready reason is called in the agent's language.
    pub fn label(&self, code: &str) -> String {
        let language = parley_client::i18n::language_code();
        self.settings.label(language, code).to_owned()
    }

    /// Codes (dispositions, Not Ready reasons) each with what the agent's language calls it.
    pub fn labelled(&self, codes: &[String]) -> Vec<(String, String)> {
        codes.iter().map(|c| (c.clone(), self.label(c))).collect()
    }

    /// The agent typed in the composer at `now` (ms): the draft changes, and a typing notice
    /// for the contact is returned when one is due.
    pub fn typed(
        &mut self,
        interaction: &InteractionId,
        text: &str,
        now: i64,
    ) -> Option<ClientMsg> {
        self.set_draft(interaction, text);
        let chat = self.chat_mut(interaction)?;
        if chat.ended() {
            return None;
        }
        let draft = chat.draft.clone();
        let (typing, _) = chat.typing_notice.input(&draft, now)?;
        // The contact never sees what an agent types before it is sent.
        Some(ClientMsg::from(act::Typing {
            interaction: interaction.clone(),
            typing,
            preview: None,
            consultation: None,
        }))
    }

    /// Sends the chat's draft; the draft is emptied when something was sent.
    pub fn send_draft(&mut self, interaction: &InteractionId) -> Option<ClientMsg> {
        let draft = self.chat(interaction)?.draft.clone();
        let msg = self.send(interaction, &draft)?;
        if let Some(chat) = self.chat_mut(interaction) {
            chat.draft.clear();
            chat.typing_notice.sent();
        }
        Some(msg)
    }

    /// The chat's language: the contact's (their widget's), else the agent's own.
    pub fn chat_language(&self, interaction: &InteractionId) -> String {
        self.chat(interaction)
            .and_then(|c| c.summary.case_data.get(parley_protocol::LANGUAGE_KEY))
            .map_or(parley_client::i18n::language_code(), String::as_str)
            .to_owned()
    }

    /// The spelling check of `checked` found the words `unknown`: with none the draft goes,
    /// else the agent is asked. Only while the draft is still what was checked: text typed
    /// during the check, or a second Enter after the message went, sends nothing unchecked.
    pub fn spelling_checked(
        &mut self,
        interaction: &InteractionId,
        checked: &str,
        unknown: Vec<String>,
    ) -> Option<ClientMsg> {
        let chat = self.chat_mut(interaction)?;
        if chat.draft != checked || chat.spelling.is_some() {
            return None;
        }
        if unknown.is_empty() {
            return self.send_draft(interaction);
        }
        chat.spelling = Some(unknown);
        None
    }

    /// The agent's answer to "Send with possible spelling mistakes?": yes sends the draft, no
    /// keeps it to correct.
    pub fn spelling_answered(
        &mut self,
        interaction: &InteractionId,
        send: bool,
    ) -> Option<ClientMsg> {
        self.chat_mut(interaction)?.spelling.take()?;
        send.then(|| self.send_draft(interaction)).flatten()
    }

    /// Adds text (an emoji, a standard response) at the end of the chat's draft.
    pub fn insert(&mut self, interaction: &InteractionId, text: &str) {
        if let Some(chat) = self.chat_mut(interaction) {
            if !chat.draft.is_empty()
                && !chat.draft.ends_with(char::is_whitespace)
                && text.chars().count() > 2
            {
                chat.draft.push(' ');
            }
            chat.draft.push_str(text);
        }
    }

    /// Pushes an address to the contact: "Please navigate to the link: <url>", in the agent's
    /// language.
    pub fn push_url(
        &mut self,
        interaction: &InteractionId,
        url: &str,
    ) -> Result<ClientMsg, String> {
        let url = url.trim();
        if !parley_client::links::is_web_address(url) {
            return Err(t("composer.bad_url"));
        }
        let msg = self
            .send(interaction, &tf("composer.push_text", &[("url", url)]))
            .ok_or_else(|| t("ix.over"))?;
        self.pushed_urls.retain(|u| u != url);
        self.pushed_urls.insert(0, url.to_owned());
        self.pushed_urls.truncate(URL_HISTORY);
        Ok(msg)
    }

    /// The agent typed a note for Mark Done.
    pub fn set_note(&mut self, interaction: &InteractionId, note: &str) {
        if let Some(chat) = self.chat_mut(interaction) {
            chat.note = note.chars().take(MAX_NOTE).collect();
        }
    }

    /// Changes a case data value, if the key is editable.
    pub fn edit_case_data(
        &self,
        interaction: &InteractionId,
        key: &str,
        value: &str,
    ) -> Option<ClientMsg> {
        self.settings
            .editable_case_data
            .iter()
            .any(|k| k == key)
            .then(|| {
                ClientMsg::from(act::SetCaseData {
                    interaction: interaction.clone(),
                    key: key.to_owned(),
                    value: Some(value.trim().to_owned()).filter(|v| !v.is_empty()),
                })
            })
    }

    /// Text size of the transcript, one step up or down.
    pub fn zoom_by(&mut self, steps: i16) {
        let (min, max, step) = ZOOM;
        let next = i32::from(self.zoom) + i32::from(steps) * i32::from(step);
        self.zoom = next.clamp(i32::from(min), i32::from(max)) as u16;
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
        self.unsent_in(interaction, None)
    }

    /// The agent's messages of a chat not yet stored by the server: those to the contact
    /// (`None`) or those of one consultation.
    pub fn unsent_in(&self, interaction: &InteractionId, consultation: Option<&str>) -> Vec<&str> {
        let Some(chat) = self.chat(interaction) else {
            return Vec::new();
        };
        self.outbox
            .pending()
            .iter()
            .filter(|p| {
                &p.interaction == interaction
                    && p.consultation.as_deref() == consultation
                    && !chat.transcript.has_client_id(&p.client_id)
            })
            .map(|p| p.text.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests;
