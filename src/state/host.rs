//! The host API's rules, for a CRM page that frames the desktop (`embed/parley-desktop.js`):
//! which scope each request needs, what it does to the desktop, and which events a change of the
//! desktop's state makes. The browser's side of it (postMessage, origins) is `crate::host`.

use super::DesktopState;
use parley_protocol::{
    act, AgentId, AgentStatus, ClientMsg, InteractionId, InteractionState, InteractionSummary,
    Invitation, InvitationId, QueueId, RequestKind, Target,
};
use serde_json::{json, Value};

/// A refused request, as the host sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostError {
    pub code: &'static str,
    pub message: String,
}

impl HostError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
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
        "interactions.list" | "interactions.offers" => "interaction.read",
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
        _ => return None,
    })
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

/// What the host is told about; comparing two tells what changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HostView {
    offers: Vec<InvitationId>,
    /// Each open chat: ended, and the disposition and note the agent chose so far.
    chats: Vec<(InteractionId, bool, Option<String>, String)>,
    status: Option<AgentStatus>,
}

impl DesktopState {
    /// Carries out a host's request, whose origin has `scopes`.
    pub fn host_request(&mut self, method: &str, params: &Value, scopes: &[String]) -> Handled {
        let Some(needed) = scope_of(method) else {
            return Handled::reply(Err(HostError::new(
                "unknown_method",
                format!("no method {method}"),
            )));
        };
        if !granted(scopes, needed) {
            return Handled::reply(Err(HostError::new(
                "forbidden",
                format!("{method} needs the scope {needed}, which this page does not have"),
            )));
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
            })),
            "agent.setStatus" => {
                let status = params
                    .get("status")
                    .cloned()
                    .and_then(|s| serde_json::from_value::<AgentStatus>(s).ok());
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
            offers: self.invitations.iter().map(|i| i.id.clone()).collect(),
            chats: self
                .chats
                .iter()
                .map(|c| {
                    let ended = c.ended();
                    (
                        c.summary.id.clone(),
                        ended,
                        c.disposition.clone(),
                        c.note.clone(),
                    )
                })
                .collect(),
            status: self.me.as_ref().map(|_| self.status.clone()),
        }
    }

    /// The events that tell the host how the desktop changed since `before`, in order.
    pub fn host_events(&self, before: &HostView) -> Vec<(&'static str, Value)> {
        let mut out = Vec::new();
        for i in &self.invitations {
            if !before.offers.contains(&i.id) {
                out.push(("offered", offer(i)));
            }
        }
        for id in &before.offers {
            if !self.invitations.iter().any(|i| &i.id == id) {
                out.push(("offerGone", json!({ "invitation": id.as_str() })));
            }
        }
        for c in &self.chats {
            let was = before.chats.iter().find(|(id, ..)| id == &c.summary.id);
            if was.is_none() {
                out.push((
                    "accepted",
                    json!({ "interaction": interaction(&c.summary) }),
                ));
            }
            if c.ended() && !was.is_some_and(|(_, ended, ..)| *ended) {
                out.push(("ended", json!({ "interaction": c.summary.id.as_str() })));
            }
        }
        for (id, ended, disposition, note) in &before.chats {
            if !self.chats.iter().any(|c| &c.summary.id == id) {
                // An ended chat leaves when the agent marks it done: with what they chose.
                if *ended {
                    let note = Some(note.trim()).filter(|n| !n.is_empty());
                    out.push((
                        "done",
                        json!({ "interaction": id.as_str(), "disposition": disposition, "note": note }),
                    ));
                }
                out.push(("closed", json!({ "interaction": id.as_str() })));
            }
        }
        if let (None, Some(me)) = (&before.status, &self.me) {
            out.push((
                "signedIn",
                json!({ "agent": me.id.as_str(), "name": me.name }),
            ));
        }
        let status = self.me.as_ref().map(|_| &self.status);
        if let (Some(status), true) = (status, status != before.status.as_ref()) {
            out.push(("status", json!({ "status": status })));
        }
        out
    }
}
