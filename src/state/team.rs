//! The Team Communicator: finding an internal target (agent, group, skill, queue) for a
//! consultation, transfer or conference, with live presence, recent targets first and the
//! chat's active consultations as the default for transfer and conference.

use super::DesktopState;
use parley_client::i18n::{t, tf};
use parley_client::lowercase;
use parley_protocol::act;
use parley_protocol::{AgentStatus, ClientMsg, InteractionId, RequestKind, Target};

/// What kind of target an entry is (`data-kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TcKind {
    Agent,
    Group,
    Skill,
    Queue,
}

impl TcKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TcKind::Agent => "agent",
            TcKind::Group => "group",
            TcKind::Skill => "skill",
            TcKind::Queue => "queue",
        }
    }

    fn of(target: &Target) -> Self {
        match target {
            Target::Agent(_) => TcKind::Agent,
            Target::Group(_) => TcKind::Group,
            Target::Skill(_) => TcKind::Skill,
            Target::Queue(_) => TcKind::Queue,
        }
    }
}

/// One target in the Team Communicator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcEntry {
    pub target: Target,
    pub kind: TcKind,
    pub name: String,
    /// Status and load of an agent; the kind of the others.
    pub detail: String,
    /// The actions its Action menu offers.
    pub actions: Vec<RequestKind>,
    /// Listed under Active Consultations.
    pub active_consultation: bool,
}

impl TcEntry {
    /// The id shown in `data-id`.
    pub fn id(&self) -> &str {
        match &self.target {
            Target::Agent(a) => a.as_str(),
            Target::Group(g) | Target::Skill(g) => g,
            Target::Queue(q) => q.as_str(),
        }
    }

    /// What Enter does: the action of the button that opened the communicator, if offered.
    pub fn default_action(&self, mode: RequestKind) -> Option<RequestKind> {
        if self.actions.contains(&mode) {
            Some(mode)
        } else {
            self.actions.first().copied()
        }
    }
}

/// The label of an action in the Action menu (and of the communicator opened for it).
pub fn action_label(request: RequestKind) -> String {
    t(match request {
        RequestKind::Consultation => "team.consult",
        RequestKind::Transfer => "team.transfer",
        RequestKind::Conference => "team.conference",
    })
}

/// The open Team Communicator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamCommunicator {
    /// The chat it acts on.
    pub interaction: InteractionId,
    /// The button that opened it.
    pub mode: RequestKind,
    pub query: String,
    /// The highlighted entry, for the keyboard.
    pub cursor: usize,
}

/// How many recent targets are remembered.
const RECENT: usize = 8;

/// An agent's status as the desktop says it ("Not Ready – Lunch"), the reason as `label` calls
/// it.
pub fn status_text(status: &AgentStatus, label: impl Fn(&str) -> String) -> String {
    match status {
        AgentStatus::Ready => t("status.ready"),
        AgentStatus::NotReady { reason: Some(r) } => {
            tf("status.not_ready_for", &[("reason", &label(r))])
        }
        AgentStatus::NotReady { reason: None } => t("status.not_ready"),
        AgentStatus::AfterCallWork => t("status.after_call_work"),
    }
}

impl DesktopState {
    /// Opens the Team Communicator for a chat, from the button for `mode`.
    pub fn open_tc(&mut self, interaction: &InteractionId, mode: RequestKind) {
        if self.chat(interaction).is_some_and(|c| !c.ended()) {
            self.tc = Some(TeamCommunicator {
                interaction: interaction.clone(),
                mode,
                query: String::new(),
                cursor: 0,
            });
        }
    }

    pub fn close_tc(&mut self) {
        self.tc = None;
    }

    /// The search text changed.
    pub fn tc_search(&mut self, query: &str) {
        if let Some(tc) = &mut self.tc {
            tc.query = query.to_owned();
            tc.cursor = 0;
        }
    }

    /// Moves the highlight up or down, staying on the list.
    pub fn tc_move(&mut self, delta: i32) {
        let len = self.tc_entries().len();
        if let Some(tc) = &mut self.tc {
            let last = len.saturating_sub(1) as i64;
            tc.cursor = (tc.cursor as i64 + i64::from(delta)).clamp(0, last) as usize;
        }
    }

    /// The targets shown: active consultations first, then recent targets, then agents, groups,
    /// skills and queues by name; all filtered by the search text.
    pub fn tc_entries(&self) -> Vec<TcEntry> {
        let Some(tc) = &self.tc else {
            return Vec::new();
        };
        let Some(chat) = self.chat(&tc.interaction) else {
            return Vec::new();
        };
        let query = lowercase(tc.query.trim());
        let matches = |name: &str, id: &str| {
            query.is_empty() || lowercase(name).contains(&query) || lowercase(id).contains(&query)
        };
        let me = self.me.as_ref().map(|m| &m.id);
        let presence = |id: &parley_protocol::AgentId| self.presence.iter().find(|p| &p.id == id);
        let agent_detail = |id: &parley_protocol::AgentId| match presence(id) {
            Some(p) if p.online => tf(
                "team.agent_detail",
                &[
                    ("status", &status_text(&p.status, |code| self.label(code))),
                    ("load", &p.load.to_string()),
                    ("capacity", &p.capacity.to_string()),
                ],
            ),
            _ => t("team.offline"),
        };

        let mut active: Vec<TcEntry> = chat
            .parties
            .my_active()
            .filter_map(|c| {
                let id = c.with_id()?;
                let name = presence(id).map_or(c.with.name(), |p| p.name.as_str());
                matches(name, id.as_str()).then(|| TcEntry {
                    target: Target::Agent(id.clone()),
                    kind: TcKind::Agent,
                    name: name.to_owned(),
                    detail: agent_detail(id),
                    actions: vec![RequestKind::Transfer, RequestKind::Conference],
                    active_consultation: true,
                })
            })
            .collect();

        let consulted = |id: &parley_protocol::AgentId| {
            chat.parties
                .consults
                .iter()
                .any(|c| c.active && c.with_id() == Some(id))
        };
        let mut others: Vec<TcEntry> = Vec::new();
        for p in &self.presence {
            if Some(&p.id) == me || chat.parties.connected(&p.id) || consulted(&p.id) {
                continue;
            }
            if matches(&p.name, p.id.as_str()) {
                others.push(TcEntry {
                    target: Target::Agent(p.id.clone()),
                    kind: TcKind::Agent,
                    name: p.name.clone(),
                    detail: agent_detail(&p.id),
                    actions: vec![tc.mode],
                    active_consultation: false,
                });
            }
        }
        let named = [
            (&self.settings.groups, "team.group"),
            (&self.settings.skills, "team.skill"),
            (&self.settings.queues, "team.queue"),
        ];
        for (i, (list, detail)) in named.into_iter().enumerate() {
            for n in list.iter().filter(|n| matches(&n.name, &n.id)) {
                let target = match i {
                    0 => Target::Group(n.id.clone()),
                    1 => Target::Skill(n.id.clone()),
                    _ => Target::Queue(n.id.as_str().into()),
                };
                others.push(TcEntry {
                    kind: TcKind::of(&target),
                    target,
                    name: n.name.clone(),
                    detail: t(detail),
                    actions: vec![tc.mode],
                    active_consultation: false,
                });
            }
        }
        let recency = |t: &Target| {
            self.recent
                .iter()
                .position(|r| r == t)
                .unwrap_or(usize::MAX)
        };
        parley_client::order::sort_by(&mut others, |a, b| {
            (recency(&a.target), a.kind, lowercase(&a.name)).cmp(&(
                recency(&b.target),
                b.kind,
                lowercase(&b.name),
            ))
        });
        active.extend(others);
        active
    }

    /// The agent chose an action for an entry: the request goes out and the communicator closes.
    pub fn tc_act(&mut self, entry: usize, request: RequestKind) -> Option<ClientMsg> {
        let target = self
            .tc_entries()
            .into_iter()
            .nth(entry)
            .filter(|e| e.actions.contains(&request))?
            .target;
        let tc = self.tc.take()?;
        self.recent.retain(|r| r != &target);
        self.recent.insert(0, target.clone());
        self.recent.truncate(RECENT);
        if let Some(chat) = self.chat_mut(&tc.interaction) {
            chat.error = None;
            chat.notice = None;
        }
        Some(ClientMsg::from(act::Invite {
            interaction: tc.interaction,
            request,
            target,
        }))
    }

    /// Enter: the highlighted entry's default action.
    pub fn tc_choose(&mut self) -> Option<ClientMsg> {
        let tc = self.tc.as_ref()?;
        let (cursor, mode) = (tc.cursor, tc.mode);
        let action = self.tc_entries().get(cursor)?.default_action(mode)?;
        self.tc_act(cursor, action)
    }
}
