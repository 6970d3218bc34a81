//! The host API's rules, for a CRM page that frames the desktop (`embed/parley-desktop.js`):
//! which scope each request needs, what it does to the desktop, and which events a change of the
//! desktop's state makes. The browser's side of it (postMessage, origins) is `crate::host`.

use super::{Chat, DesktopState};
use parley_client::i18n::t;
use parley_protocol::{
    act, AgentId, AgentStatus, ClientMsg, Event, EventKind, InteractionId, InteractionState,
    InteractionSummary, Invitation, InvitationId, Party, QueueId, RequestKind, Seq, Target,
};
use serde::Serialize;
use serde_json::{json, Value};

/// A refused request, as the host sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostError {
    pub code: &'static str,
    pub message: String,
}

impl HostError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// What answering one request gives: the reply, and the frames to send to the server.
pub struct Handled {
    pub reply: Result<Value, HostError>,
    pub send: Vec<ClientMsg>,
}

impl Handled {
    fn reply(reply: Result<Value, HostError>) -> Self {
        Self {
            reply,
            send: Vec::new(),
        }
    }
}

/// The scope a method needs (`None`: an unknown method). `hello` needs none.
pub fn scope_of(method: &str) -> Option<&'static str> {
    Some(match method {
        "hello" => "",
        "agent.getState" => "agent.read",
        "agent.setStatus" => "agent.control",
        "interactions.list" | "interactions.offers" | "interactions.get" => "interaction.read",
        "interactions.accept"
        | "interactions.reject"
        | "interactions.end"
        | "interactions.markDone"
        | "interactions.setCaseData"
        | "interactions.focus" => "interaction.control",
        "collaboration.consult"
        | "collaboration.transfer"
        | "collaboration.conference"
        | "collaboration.endConsultation"
        | "collaboration.remove" => "collaboration.request",
        "chat.insertText" => "chat.insert",
        "chat.send" => "chat.send",
        // Handled by the bridge: what the host answers for, and how it dresses the desktop.
        "host.register" => "",
        "ui.setTheme" | "ui.setLocale" => "ui.control",
        _ => return None,
    })
}

/// Whether a page with `scopes` may call `method`: an unknown method, or one outside the
/// scopes, is refused with its typed error.
pub fn allowed(method: &str, scopes: &[String]) -> Result<(), HostError> {
    let Some(needed) = scope_of(method) else {
        return Err(HostError::new(
            "unknown_method",
            format!("no method {method}"),
        ));
    };
    if granted(scopes, needed) {
        Ok(())
    } else {
        Err(HostError::new(
            "forbidden",
            format!("{method} needs the scope {needed}, which this page does not have"),
        ))
    }
}

/// Whether `scopes` (`agent.read`, or a whole family: `agent.*`) grant `needed`.
pub fn granted(scopes: &[String], needed: &str) -> bool {
    needed.is_empty()
        || scopes.iter().any(|s| {
            s == needed
                || s.strip_suffix(".*").is_some_and(|family| {
                    needed
                        .strip_prefix(family)
                        .is_some_and(|r| r.starts_with('.'))
                })
        })
}

fn interaction(ix: &InteractionSummary) -> Value {
    let state = match ix.state {
        InteractionState::Queued => "queued",
        InteractionState::Offered => "offered",
        InteractionState::Active => "active",
        InteractionState::Ended => "ended",
    };
    json!({
        "id": ix.id.as_str(),
        "contact": ix.contact,
        "email": ix.email,
        "verified": ix.verified,
        "subject": ix.subject,
        "queue": ix.queue.as_str(),
        "state": state,
        "caseData": ix.case_data,
    })
}

/// One open chat in full: the summary, the pages the contact visited, and who takes part.
fn details(c: &Chat) -> Value {
    let mut out = interaction(&c.summary);
    out["visit"] = c
        .visit_data()
        .and_then(parley_client::json::value)
        .unwrap_or(Value::Null);
    out["parties"] = c
        .parties
        .list
        .iter()
        .map(|p| {
            json!({
                "name": p.party.name(),
                "agent": p.agent().map(AgentId::as_str),
                "status": p.status.as_str(),
            })
        })
        .collect();
    out
}

fn offer(i: &Invitation) -> Value {
    json!({
        "invitation": i.id.as_str(),
        "interaction": interaction(&i.interaction),
        "expiresAt": i.expires_at,
    })
}

/// `{"agent": id}`, `{"group": id}`, `{"skill": id}` or `{"queue": id}`.
fn target_param(params: &Value) -> Result<Target, HostError> {
    let target = &params["target"];
    let of = |kind: &str| target.get(kind).and_then(Value::as_str).map(str::to_owned);
    if let Some(id) = of("agent") {
        Ok(Target::Agent(AgentId(id)))
    } else if let Some(id) = of("group") {
        Ok(Target::Group(id))
    } else if let Some(id) = of("skill") {
        Ok(Target::Skill(id))
    } else if let Some(id) = of("queue") {
        Ok(Target::Queue(QueueId(id)))
    } else {
        Err(HostError::new(
            "invalid",
            "`target` is {\"agent\"|\"group\"|\"skill\"|\"queue\": id}",
        ))
    }
}

fn text_param(params: &Value, name: &str) -> Result<String, HostError> {
    params
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| HostError::new("invalid", format!("`{name}` (a string) is missing")))
}

/// What the host has been told; comparing two tells what changed. The host keeps the last one
/// it heard (the cursor of its events) and gives it back after a reload of its page or of the
/// frame, so it hears exactly what it missed.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HostView {
    offers: Vec<(InvitationId, InteractionId)>,
    chats: Vec<ChatView>,
    status: Option<AgentStatus>,
    selected: Option<InteractionId>,
    offline: bool,
}

/// One open chat as the host knows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
struct ChatView {
    id: InteractionId,
    ended: bool,
    /// The last event the host heard of (messages are told one by one).
    seq: Seq,
    /// The disposition and note chosen so far, for the `done` event.
    disposition: Option<String>,
    note: String,
}

/// The longest cursor a host may give back.
pub const MAX_CURSOR: usize = 256 * 1024;

impl HostView {
    /// The view a cursor from the host stands for; `None` when it is not one of ours.
    pub fn from_cursor(cursor: &str) -> Option<Self> {
        if cursor.len() > MAX_CURSOR {
            return None;
        }
        let view = parley_client::json::value(cursor)?;
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let chat = |c: &Value| {
            Some(ChatView {
                id: InteractionId(text(&c["id"])?),
                ended: c["ended"].as_bool()?,
                seq: c["seq"].as_u64()?,
                disposition: optional(&c["disposition"], text)?,
                note: text(&c["note"])?,
            })
        };
        Some(Self {
            offers: list(&view["offers"], |o| {
                Some((InvitationId(text(&o[0])?), InteractionId(text(&o[1])?)))
            })?,
            chats: list(&view["chats"], chat)?,
            status: optional(&view["status"], |s| AgentStatus::read(s))?,
            selected: optional(&view["selected"], |s| text(s).map(InteractionId))?,
            offline: optional(&view["offline"], Value::as_bool)?.unwrap_or(false),
        })
    }

    /// Whether the host was told the agent is signed in.
    pub fn signed_in(&self) -> bool {
        self.status.is_some()
    }

    /// The cursor the host keeps.
    pub fn cursor(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A field a cursor may leave out (`Some(None)`); `None` when it holds something else.
fn optional<T>(v: &Value, read: impl Fn(&Value) -> Option<T>) -> Option<Option<T>> {
    match v {
        Value::Null => Some(None),
        v => read(v).map(Some),
    }
}

/// A list a cursor may leave out (empty); `None` when it or one of its items is not one.
fn list<T>(v: &Value, read: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    match v {
        Value::Null => Some(Vec::new()),
        v => v.as_array()?.iter().map(read).collect(),
    }
}

/// One event for the host: its name, its data, and where it stands in the server's order (the
/// interaction and the `seq` of its last event, or the offer).
#[derive(Clone, Debug, PartialEq)]
pub struct HostEvent {
    pub name: &'static str,
    pub data: Value,
    pub position: Value,
}

impl HostEvent {
    fn new(name: &'static str, data: Value, position: Value) -> Self {
        Self {
            name,
            data,
            position,
        }
    }
}

impl DesktopState {
    /// Carries out a host's request, whose origin has `scopes`.
    pub fn host_request(&mut self, method: &str, params: &Value, scopes: &[String]) -> Handled {
        if let Err(e) = allowed(method, scopes) {
            return Handled::reply(Err(e));
        }
        if method != "hello" && method != "agent.getState" && self.me.is_none() {
            return Handled::reply(Err(HostError::new(
                "signed_out",
                "the agent is not signed in",
            )));
        }
        let interaction_id = || text_param(params, "interaction").map(InteractionId);
        let result = match method {
            "hello" => Ok(json!({ "version": 1, "scopes": scopes })),
            "agent.getState" => Ok(json!({
                "signedIn": self.me.is_some(),
                "agent": self.me.as_ref().map(|m| m.id.as_str()),
                "name": self.me.as_ref().map(|m| m.name.as_str()),
                "status": self.me.as_ref().map(|_| &self.status),
                "reasons": self.settings.not_ready_reasons,
                "load": self.chats.len() + self.invitations.len(),
                "capacity": self.me.as_ref().and_then(|me| {
                    self.presence.iter().find(|p| p.id == me.id).map(|p| p.capacity)
                }),
            })),
            "agent.setStatus" => {
                let status = params.get("status").and_then(AgentStatus::read);
                return match status {
                    Some(status) => Handled {
                        reply: Ok(Value::Null),
                        send: vec![ClientMsg::from(act::SetStatus { status })],
                    },
                    None => Handled::reply(Err(HostError::new(
                        "invalid",
                        "`status` is \"ready\" or {\"not_ready\": {\"reason\": …}}",
                    ))),
                };
            }
            "interactions.list" => Ok(Value::Array(
                self.chats.iter().map(|c| interaction(&c.summary)).collect(),
            )),
            "interactions.offers" => Ok(Value::Array(self.invitations.iter().map(offer).collect())),
            "interactions.get" => match interaction_id() {
                Ok(id) => self
                    .chat(&id)
                    .map(details)
                    .ok_or_else(|| HostError::new("not_found", "no such open chat")),
                Err(e) => Err(e),
            },
            "interactions.accept" | "interactions.reject" => {
                let id = match interaction_id() {
                    Ok(id) => id,
                    Err(e) => return Handled::reply(Err(e)),
                };
                let invitation = self
                    .invitations
                    .iter()
                    .find(|i| i.interaction.id == id)
                    .map(|i| i.id.clone());
                let answered =
                    invitation.and_then(|inv| self.answer(&inv, method == "interactions.accept"));
                return match answered {
                    Some(msg) => Handled {
                        reply: Ok(Value::Null),
                        send: vec![msg],
                    },
                    None => Handled::reply(Err(HostError::new(
                        "not_found",
                        "no open offer of this interaction",
                    ))),
                };
            }
            "interactions.end"
            | "interactions.markDone"
            | "interactions.setCaseData"
            | "interactions.focus"
            | "collaboration.consult"
            | "collaboration.transfer"
            | "collaboration.conference"
            | "collaboration.endConsultation"
            | "collaboration.remove" => {
                let id = match interaction_id() {
                    Ok(id) if self.chat(&id).is_some() => id,
                    Ok(_) => {
                        return Handled::reply(Err(HostError::new(
                            "not_found",
                            "no such open chat",
                        )))
                    }
                    Err(e) => return Handled::reply(Err(e)),
                };
                return match self.host_chat_action(method, id, params) {
                    Ok(send) => Handled {
                        reply: Ok(Value::Null),
                        send,
                    },
                    Err(e) => Handled::reply(Err(e)),
                };
            }
            "chat.insertText" | "chat.send" => {
                let (id, text) = match (interaction_id(), text_param(params, "text")) {
                    (Ok(id), Ok(text)) => (id, text),
                    (Err(e), _) | (_, Err(e)) => return Handled::reply(Err(e)),
                };
                if self.chat(&id).is_none() {
                    return Handled::reply(Err(HostError::new("not_found", "no such open chat")));
                }
                if method == "chat.insertText" {
                    // The agent reads it in the composer and sends it, or not.
                    self.insert(&id, &text);
                    Ok(Value::Null)
                } else {
                    return match self.send(&id, &text) {
                        Some(msg) => Handled {
                            reply: Ok(Value::Null),
                            send: vec![msg],
                        },
                        None => Handled::reply(Err(HostError::new(
                            "invalid",
                            "this chat takes no message now",
                        ))),
                    };
                }
            }
            _ => Err(HostError::new(
                "unknown_method",
                format!("no method {method}"),
            )),
        };
        Handled::reply(result)
    }

    /// An action on one open chat, as the agent's own controls would take it.
    fn host_chat_action(
        &mut self,
        method: &str,
        interaction: InteractionId,
        params: &Value,
    ) -> Result<Vec<ClientMsg>, HostError> {
        let optional = |name: &str| params.get(name).and_then(Value::as_str).map(str::to_owned);
        let msg = match method {
            "interactions.end" => ClientMsg::from(act::End { interaction }),
            "interactions.markDone" => {
                let chat = self.chat(&interaction).filter(|c| c.ended());
                if chat.is_none() {
                    return Err(HostError::new(
                        "invalid",
                        "end the chat before marking it done",
                    ));
                }
                ClientMsg::from(act::Done {
                    interaction,
                    disposition: optional("disposition"),
                    note: optional("note").filter(|n| !n.trim().is_empty()),
                })
            }
            "interactions.setCaseData" => ClientMsg::from(act::SetCaseData {
                interaction,
                key: text_param(params, "key")?,
                value: optional("value"),
            }),
            "interactions.focus" => {
                self.select(&interaction);
                return Ok(Vec::new());
            }
            "collaboration.endConsultation" => {
                let id = optional("consultation").or_else(|| {
                    let chat = self.chat(&interaction)?;
                    let mut active = chat.parties.consults.iter().filter(|c| c.active);
                    match (active.next(), active.next()) {
                        (Some(only), None) => Some(only.id.clone()),
                        _ => None,
                    }
                });
                return id
                    .and_then(|id| self.end_consultation(&interaction, &id))
                    .map(|msg| vec![msg])
                    .ok_or_else(|| HostError::new("not_found", "no such active consultation"));
            }
            "collaboration.remove" => ClientMsg::from(act::Remove {
                interaction,
                agent: AgentId(text_param(params, "agent")?),
            }),
            _ => {
                let request = match method {
                    "collaboration.consult" => RequestKind::Consultation,
                    "collaboration.transfer" => RequestKind::Transfer,
                    _ => RequestKind::Conference,
                };
                ClientMsg::from(act::Invite {
                    interaction,
                    request,
                    target: target_param(params)?,
                })
            }
        };
        Ok(vec![msg])
    }

    /// What the host is told about, now.
    pub fn host_view(&self) -> HostView {
        HostView {
            offers: self
                .invitations
                .iter()
                .map(|i| (i.id.clone(), i.interaction.id.clone()))
                .collect(),
            chats: self
                .chats
                .iter()
                .map(|c| ChatView {
                    id: c.summary.id.clone(),
                    // The chat's own end: an agent who left it (a transfer, a conference left)
                    // or whose consultation is over saw it go, not end; the host hears it
                    // closed, never ended and done (its CRM would close a case handed over).
                    ended: c.transcript.is_ended(),
                    seq: c.transcript.last_seq(),
                    disposition: c.disposition.clone(),
                    note: c.note.clone(),
                })
                .collect(),
            status: self.me.as_ref().map(|_| self.status.clone()),
            selected: self.selected.clone(),
            offline: self.link != super::Link::Online,
        }
    }

    /// The events that tell a host which knew `before` how the desktop changed since, in order;
    /// a message's text only when `text` (the `chat.read` scope).
    pub fn host_events(&self, before: &HostView, text: bool) -> Vec<HostEvent> {
        let mut out = Vec::new();
        let at = |c: &Chat| json!({ "interaction": c.summary.id.as_str(), "seq": c.transcript.last_seq() });
        let now = self.host_view();
        if let (None, Some(me)) = (&before.status, &self.me) {
            out.push(HostEvent::new(
                "signedIn",
                json!({ "agent": me.id.as_str(), "name": me.name }),
                json!({}),
            ));
        }
        // The connection matters to a host only while the agent is signed in.
        let was_in = before.signed_in();
        if was_in && before.offline && !now.offline {
            out.push(HostEvent::new("connectionBack", json!({}), json!({})));
        }
        for i in &self.invitations {
            if !before.offers.iter().any(|(id, _)| id == &i.id) {
                let position = json!({ "invitation": i.id.as_str() });
                out.push(HostEvent::new("offered", offer(i), position.clone()));
                out.push(HostEvent::new(
                    "screenPop",
                    json!({ "reason": "offered", "interaction": interaction(&i.interaction) }),
                    position,
                ));
            }
        }
        for (id, ix) in &before.offers {
            if !self.invitations.iter().any(|i| &i.id == id) {
                let data = json!({ "invitation": id.as_str(), "interaction": ix.as_str() });
                let position = json!({ "invitation": id.as_str() });
                if self.rejected.contains(id) {
                    out.push(HostEvent::new("rejected", data.clone(), position.clone()));
                }
                out.push(HostEvent::new("offerGone", data, position));
            }
        }
        for c in &self.chats {
            let was = before.chats.iter().find(|v| v.id == c.summary.id);
            if was.is_none() {
                let data = json!({ "interaction": interaction(&c.summary) });
                out.push(HostEvent::new("accepted", data.clone(), at(c)));
                let mut pop = data;
                pop["reason"] = json!("accepted");
                out.push(HostEvent::new("screenPop", pop, at(c)));
            }
            let after = was.map_or(0, |v| v.seq);
            for e in c.transcript.events().iter().filter(|e| e.seq > after) {
                if let Some(m) = message(c, e, text) {
                    let position = json!({ "interaction": c.summary.id.as_str(), "seq": e.seq });
                    out.push(HostEvent::new("message", m, position));
                }
            }
            if c.transcript.is_ended() && !was.is_some_and(|v| v.ended) {
                out.push(HostEvent::new(
                    "ended",
                    json!({ "interaction": c.summary.id.as_str() }),
                    at(c),
                ));
            }
        }
        for v in &before.chats {
            if !self.chats.iter().any(|c| c.summary.id == v.id) {
                let position = json!({ "interaction": v.id.as_str(), "seq": v.seq });
                // An ended chat leaves when the agent marks it done: with what they chose.
                if v.ended {
                    let note = Some(v.note.trim()).filter(|n| !n.is_empty());
                    out.push(HostEvent::new(
                        "done",
                        json!({ "interaction": v.id.as_str(), "disposition": v.disposition, "note": note }),
                        position.clone(),
                    ));
                }
                out.push(HostEvent::new(
                    "closed",
                    json!({ "interaction": v.id.as_str() }),
                    position,
                ));
            }
        }
        if now.status.is_some() && now.status != before.status {
            out.push(HostEvent::new(
                "status",
                json!({ "status": now.status }),
                json!({}),
            ));
        }
        if now.selected != before.selected {
            out.push(HostEvent::new(
                "focusChanged",
                json!({ "interaction": now.selected.as_ref().map(InteractionId::as_str) }),
                json!({}),
            ));
        }
        if was_in && now.offline && !before.offline {
            out.push(HostEvent::new("connectionLost", json!({}), json!({})));
        }
        out
    }
}

/// A message event's data: who sent it and when; the text only when `text`.
fn message(chat: &Chat, e: &Event, text: bool) -> Option<Value> {
    let EventKind::Message {
        from,
        text: said,
        consultation,
        ..
    } = &e.kind
    else {
        return None;
    };
    let (from, agent) = match from {
        Party::Contact { .. } => ("contact", None),
        Party::Agent { id, .. } => ("agent", Some(id.as_str())),
        Party::System => ("system", None),
    };
    let mut data = json!({
        "interaction": chat.summary.id.as_str(),
        "seq": e.seq,
        "at": e.at,
        "from": from,
        "agent": agent,
        "consultation": consultation,
    });
    if text {
        data["text"] = json!(said);
    }
    Some(data)
}

/// An action the host may veto or amend before it happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intercepted {
    MarkDone,
    Transfer,
}

impl Intercepted {
    fn name(self) -> &'static str {
        match self {
            Intercepted::MarkDone => "markDone",
            Intercepted::Transfer => "transfer",
        }
    }
}

/// One interceptor: how long the desktop waits for the host, and what it does then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interceptor {
    pub action: Intercepted,
    pub timeout_ms: u32,
    /// Without an answer in time: go ahead (`true`) or refuse.
    pub proceed_on_timeout: bool,
}

/// The longest an interceptor may make the agent wait.
pub const MAX_INTERCEPT_MS: u32 = 30_000;

/// What the host answers for (`host.register`): a search for the contact's record, and the
/// actions it intercepts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hooks {
    pub contact_search: bool,
    pub interceptors: Vec<Interceptor>,
}

impl Hooks {
    /// The hooks a `host.register` request asks for, within the page's scopes: a contact search
    /// needs `interaction.read`, an interceptor `interaction.intercept`.
    pub fn register(params: &Value, scopes: &[String]) -> Result<Self, HostError> {
        let contact_search = params["contactSearch"].as_bool().unwrap_or(false);
        if contact_search && !granted(scopes, "interaction.read") {
            return Err(HostError::new(
                "forbidden",
                "a contact search needs the scope interaction.read",
            ));
        }
        let list = params["interceptors"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        if !list.is_empty() && !granted(scopes, "interaction.intercept") {
            return Err(HostError::new(
                "forbidden",
                "interceptors need the scope interaction.intercept",
            ));
        }
        let mut interceptors = Vec::new();
        for i in list {
            let action = match i["action"].as_str() {
                Some("markDone") => Intercepted::MarkDone,
                Some("transfer") => Intercepted::Transfer,
                _ => {
                    return Err(HostError::new(
                        "invalid",
                        "an interceptor's `action` is \"markDone\" or \"transfer\"",
                    ))
                }
            };
            let proceed_on_timeout = match i["onTimeout"].as_str() {
                Some("proceed") => true,
                Some("refuse") => false,
                _ => {
                    return Err(HostError::new(
                        "invalid",
                        "an interceptor's `onTimeout` is \"proceed\" or \"refuse\"",
                    ))
                }
            };
            let timeout_ms = i["timeoutMs"]
                .as_u64()
                .unwrap_or(10_000)
                .clamp(100, u64::from(MAX_INTERCEPT_MS)) as u32;
            interceptors.retain(|x: &Interceptor| x.action != action);
            interceptors.push(Interceptor {
                action,
                timeout_ms,
                proceed_on_timeout,
            });
        }
        Ok(Self {
            contact_search,
            interceptors,
        })
    }

    /// The interceptor of a frame the desktop is about to send, and what the host is asked.
    pub fn intercepts(
        &self,
        msg: &ClientMsg,
        state: &DesktopState,
    ) -> Option<(Interceptor, Value)> {
        let ClientMsg::Act(action) = msg else {
            return None;
        };
        let (kind, params) = match action {
            act::Action::Done(d) => (
                Intercepted::MarkDone,
                json!({
                    "interaction": d.interaction.as_str(),
                    "disposition": d.disposition,
                    "note": d.note,
                }),
            ),
            act::Action::Invite(i) if i.request == RequestKind::Transfer => (
                Intercepted::Transfer,
                json!({ "interaction": i.interaction.as_str(), "target": target_value(&i.target) }),
            ),
            _ => return None,
        };
        let interceptor = *self.interceptors.iter().find(|i| i.action == kind)?;
        let mut params = params;
        params["action"] = json!(kind.name());
        if let Some(c) = action.interaction().and_then(|id| state.chat(id)) {
            params["caseData"] = json!(c.summary.case_data);
        }
        Some((interceptor, params))
    }
}

fn target_value(target: &Target) -> Value {
    match target {
        Target::Agent(id) => json!({ "agent": id.as_str() }),
        Target::Group(id) => json!({ "group": id }),
        Target::Skill(id) => json!({ "skill": id }),
        Target::Queue(id) => json!({ "queue": id.as_str() }),
    }
}

/// What the host's answer to an interception (`None`: none in time) means for the held frame:
/// the frames to send (the case data the host added, then the action), or the reason it may
/// not happen, for the agent to read.
pub fn verdict(
    interceptor: Interceptor,
    answer: Option<&Value>,
    held: ClientMsg,
) -> Result<Vec<ClientMsg>, String> {
    let Some(answer) = answer else {
        return if interceptor.proceed_on_timeout {
            Ok(vec![held])
        } else {
            Err(t("crm.no_answer"))
        };
    };
    if answer["allow"].as_bool() != Some(true) {
        let why = answer["message"]
            .as_str()
            .map(|m| m.chars().take(300).collect::<String>())
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| t("crm.refused"));
        return Err(why);
    }
    let mut out = Vec::new();
    let interaction = match &held {
        ClientMsg::Act(a) => a.interaction().cloned(),
        _ => None,
    };
    if let (Some(interaction), Some(data)) = (interaction, answer["caseData"].as_object()) {
        // Text values only: anything else would read as "remove the key".
        for (key, value) in data.iter().take(50) {
            if let Some(value) = value.as_str() {
                out.push(ClientMsg::from(act::SetCaseData {
                    interaction: interaction.clone(),
                    key: key.clone(),
                    value: Some(value.to_owned()),
                }));
            }
        }
    }
    out.push(held);
    Ok(out)
}

/// The record a host's `contactSearch` answer names, if it is one: a label and an `http(s)`
/// address (anything else, `javascript:` above all, is not shown).
pub fn record_of(answer: &Value) -> Option<super::chat::Record> {
    let record = answer.get("record")?;
    let url = record["url"].as_str()?.trim();
    let label = record["label"].as_str()?.trim();
    let scheme_ok = url.split_once(':').is_some_and(|(scheme, _)| {
        scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")
    });
    (scheme_ok && !label.is_empty() && url.len() <= 2000).then(|| super::chat::Record {
        label: label.chars().take(100).collect(),
        url: url.to_owned(),
    })
}

/// The CSS custom properties a `ui.setTheme` request sets: names `--pl-…`, values without
/// anything that could end the declaration or load something.
pub fn theme_of(params: &Value) -> Result<Vec<(String, String)>, HostError> {
    let Some(map) = params["properties"].as_object() else {
        return Err(HostError::new(
            "invalid",
            "`properties` is an object of CSS custom properties",
        ));
    };
    let mut out = Vec::new();
    for (name, value) in map.iter().take(100) {
        let value = value.as_str().unwrap_or_default();
        let name_ok = name.starts_with("--pl-")
            && name.len() <= 64
            && name[2..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let value_ok = value.len() <= 200
            && !value.contains([';', '{', '}', '<', '>', '\\', '"', '\''])
            && !value.to_ascii_lowercase().contains("url(");
        if !name_ok || !value_ok {
            return Err(HostError::new(
                "invalid",
                format!("{name}: only --pl-… properties with plain values"),
            ));
        }
        out.push((name.clone(), value.to_owned()));
    }
    Ok(out)
}

/// The languages the desktop speaks.
pub const LOCALES: &[&str] = &parley_client::i18n::LANGUAGES;

/// The language a `ui.setLocale` request asks for, if the desktop speaks it.
pub fn locale_of(params: &Value) -> Result<&'static str, HostError> {
    let asked = params["locale"].as_str().unwrap_or_default();
    let base = asked.split(['-', '_']).next().unwrap_or_default();
    LOCALES
        .iter()
        .find(|l| l.eq_ignore_ascii_case(base))
        .copied()
        .ok_or_else(|| {
            HostError::new(
                "unsupported_locale",
                format!(
                    "the desktop does not speak {asked:?} yet (it speaks {})",
                    LOCALES.join(", ")
                ),
            )
        })
}

impl DesktopState {
    /// The host found the contact's record of a chat.
    pub fn host_record(&mut self, interaction: &InteractionId, answer: &Value) {
        let record = record_of(answer);
        if let Some(chat) = self.chat_mut(interaction) {
            chat.record = record;
        }
    }

    /// The host refused an action on a chat: the agent reads why.
    pub fn host_refused(&mut self, interaction: Option<&InteractionId>, why: String) {
        match interaction {
            Some(id) if self.chat(id).is_some() => self.refused(id, why),
            _ => self.notice = Some(why),
        }
    }

    /// What the desktop asks the host's contact search for a chat.
    pub fn contact_query(&self, interaction: &InteractionId) -> Option<Value> {
        let c = self.chat(interaction)?;
        Some(json!({
            "interaction": c.summary.id.as_str(),
            "name": c.summary.contact,
            "email": c.summary.email,
            "verified": c.summary.verified,
            "caseData": c.summary.case_data,
        }))
    }
}
