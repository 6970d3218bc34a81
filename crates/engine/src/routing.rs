//! Who is offered what: queued chats to the longest-idle Ready agent with room and the right
//! skill, and consultation/transfer/conference requests to an agent or to the agents of a group,
//! skill or queue, one after the other until one accepts.

use super::ix::{Consultation, Interaction, Request};
use super::{
    act, refuse, refuse_for, Actor, ContactInfo, Effect, Engine, InteractionRecord, Offer, Outcome,
    Purpose, Refusal,
};
use crate::DomainEvent;
use parley_protocol::{
    AgentId, AgentStatus, Audience, DeclineReason, ErrorCode, EventKind, InteractionId,
    InteractionState, Invitation, InvitationId, InvitationKind, LeaveReason, Millis, Notice,
    QueueId, Reason, RequestKind, ServerMsg, Target, MAX_MESSAGE_CHARS,
};
use std::collections::{BTreeMap, BTreeSet};

impl Engine {
    pub(super) fn start_chat(
        &mut self,
        id: InteractionId,
        contact: ContactInfo,
        queue: Option<QueueId>,
        text: Option<String>,
        case_data: BTreeMap<String, String>,
        now: Millis,
    ) -> Outcome {
        if self.interactions.contains_key(&id) {
            return refuse(ErrorCode::Invalid, "interaction already exists");
        }
        let queue = queue.unwrap_or_else(|| self.default_queue.clone());
        if !self.queue_skills.contains_key(&queue) {
            return refuse(ErrorCode::NotFound, "no such queue");
        }
        let record = InteractionRecord {
            id: id.clone(),
            contact,
            queue,
            started_at: now,
            closed: false,
        };
        let mut ix = Interaction::new(record.clone());
        ix.contact_gone_since = Some(now);
        let contact_party = ix.contact_party();
        let mut out = vec![Effect::Save(record)];
        ix.push(
            &mut out,
            now,
            Audience::Everyone,
            EventKind::Joined {
                party: contact_party.clone(),
            },
        );
        let queue = ix.record.queue.clone();
        ix.milestone(&mut out, now, DomainEvent::ChatStarted { queue });
        for (key, value) in case_data {
            ix.push(
                &mut out,
                now,
                Audience::Agents,
                EventKind::CaseData {
                    key,
                    value: Some(value),
                },
            );
        }
        let bot = self.bot.as_ref().filter(|b| b.serves(&ix.record.queue));
        if bot.is_none() {
            let notice = Notice::Queued;
            ix.push(
                &mut out,
                now,
                Audience::Everyone,
                EventKind::System { notice },
            );
        }
        if let Some(text) = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
            let text: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
            let kind = EventKind::Message {
                from: contact_party,
                text,
                client_id: None,
                consultation: None,
            };
            ix.push(&mut out, now, Audience::Everyone, kind);
        }
        match bot {
            // The bot greets first; the chat joins the queue when the bot hands it over.
            Some(bot) => {
                let (from, content) = (bot.party(), bot.greeting());
                ix.push(
                    &mut out,
                    now,
                    Audience::Everyone,
                    EventKind::Rich { from, content },
                );
            }
            None => self.queue.push(id.clone()),
        }
        self.interactions.insert(id, ix);
        Ok(out)
    }

    pub(super) fn agent_disconnected(&mut self, agent: AgentId, now: Millis) -> Vec<Effect> {
        let state = self.agent_mut(&agent);
        state.connected = false;
        let offers = std::mem::take(&mut state.offers);
        let mut out = Vec::new();
        // Offers to an agent who is gone are answered for it: a request moves on, a chat requeues.
        for id in offers {
            if let Some(offer) = self.remove_offer(&id, &mut out) {
                self.declined(offer, id, DeclineReason::TimedOut, now, &mut out);
            }
        }
        out
    }

    /// The agent's own open offer, taken out.
    fn take_offer(
        &mut self,
        agent: &AgentId,
        invitation: &InvitationId,
        out: &mut Vec<Effect>,
    ) -> Result<Offer, Refusal> {
        let own = self
            .invitations
            .get(invitation)
            .is_some_and(|o| &o.agent == agent);
        match own.then(|| self.remove_offer(invitation, out)).flatten() {
            Some(offer) => Ok(offer),
            None => Err(Refusal::new(
                ErrorCode::NotFound,
                "this invitation is no longer open",
            )),
        }
    }

    pub(super) fn accept(&mut self, agent: AgentId, a: act::Accept, now: Millis) -> Outcome {
        let act::Accept { invitation } = a;
        let mut out = Vec::new();
        let offer = self.take_offer(&agent, &invitation, &mut out)?;
        match offer.purpose {
            Purpose::Route => {
                self.join(&offer.interaction, &agent, now, &mut out);
                if let Some(ix) = self.interactions.get(&offer.interaction) {
                    let accepted = DomainEvent::Accepted {
                        agent: agent.clone(),
                    };
                    ix.milestone(&mut out, now, accepted);
                }
            }
            Purpose::Request => {
                let request = self
                    .interactions
                    .get_mut(&offer.interaction)
                    .and_then(|ix| ix.request.take());
                if let Some(request) = request {
                    self.carry_out(&offer.interaction, request, agent.clone(), now, &mut out);
                }
            }
        }
        // The offer goes after the chat has opened: the desktop builds the chat from the frames
        // that open it first, and the preview's removal does not delay it.
        out.push(Effect::Send {
            to: Actor::Agent(agent),
            msg: ServerMsg::InvitationGone { invitation },
        });
        Ok(out)
    }

    /// An accepted request: start the consultation, hand the chat over, or add the target.
    fn carry_out(
        &mut self,
        interaction: &InteractionId,
        request: Request,
        target: AgentId,
        now: Millis,
        out: &mut Vec<Effect>,
    ) {
        match request.kind {
            RequestKind::Consultation => {
                self.start_consultation(interaction, &request.initiator, &target, now, out)
            }
            RequestKind::Transfer => {
                self.transfer(interaction, &request.initiator, &target, now, out)
            }
            RequestKind::Conference => {
                self.end_consultations_between(interaction, &request.initiator, &target, now, out);
                self.join(interaction, &target, now, out);
                if let Some(ix) = self.interactions.get(interaction) {
                    let conferenced = DomainEvent::Conferenced {
                        agent: target,
                        by: request.initiator,
                    };
                    ix.milestone(out, now, conferenced);
                }
            }
        }
    }

    /// The agent becomes a connected party and receives the whole transcript.
    pub(super) fn join(
        &mut self,
        interaction: &InteractionId,
        agent: &AgentId,
        now: Millis,
        out: &mut Vec<Effect>,
    ) {
        let party = self.agent_party(agent);
        let Some(ix) = self.interactions.get_mut(interaction) else {
            return;
        };
        ix.state = InteractionState::Active;
        let mut summary = ix.summary_for(agent, &self.profiles);
        summary.role = parley_protocol::Role::Party;
        out.push(Effect::Open {
            agent: agent.clone(),
            summary,
        });
        ix.push(out, now, Audience::Everyone, EventKind::Joined { party });
        self.agent_mut(agent).chats.insert(interaction.clone());
    }

    fn start_consultation(
        &mut self,
        interaction: &InteractionId,
        initiator: &AgentId,
        target: &AgentId,
        now: Millis,
        out: &mut Vec<Effect>,
    ) {
        let (from, to) = (self.agent_party(initiator), self.agent_party(target));
        let Some(ix) = self.interactions.get_mut(interaction) else {
            return;
        };
        let id = format!("{}/c{}", interaction, ix.consultations.len() + 1);
        let mut summary = ix.summary_for(target, &self.profiles);
        summary.role = parley_protocol::Role::Consultant;
        // Open comes first: the transcript it sends is read after this batch is stored, start included.
        out.push(Effect::Open {
            agent: target.clone(),
            summary,
        });
        let audience = Audience::Private {
            agents: vec![initiator.clone(), target.clone()],
        };
        ix.push(
            out,
            now,
            audience,
            EventKind::ConsultationStarted {
                consultation: id,
                initiator: from,
                target: to,
            },
        );
        self.agent_mut(target).chats.insert(interaction.clone());
    }

    /// Ends the active consultations of `agent` (as initiator or target), or only the one with `other`.
    pub(super) fn end_consultations_of(
        &mut self,
        interaction: &InteractionId,
        agent: &AgentId,
        other: Option<&AgentId>,
        by: Option<&AgentId>,
        now: Millis,
        out: &mut Vec<Effect>,
    ) {
        let by = by.map(|a| self.agent_party(a));
        let Some(ix) = self.interactions.get_mut(interaction) else {
            return;
        };
        let ending: Vec<Consultation> = ix
            .consultations
            .iter()
            .filter(|c| c.active && (&c.initiator == agent || &c.target == agent))
            .filter(|c| other.is_none_or(|o| &c.initiator == o || &c.target == o))
            .cloned()
            .collect();
        for c in ending {
            ix.end_consultation(out, now, &c.id, by.clone());
        }
    }

    fn end_consultations_between(
        &mut self,
        interaction: &InteractionId,
        a: &AgentId,
        b: &AgentId,
        now: Millis,
        out: &mut Vec<Effect>,
    ) {
        self.end_consultations_of(interaction, a, Some(b), None, now, out);
    }

    /// The target becomes owner; the initiator leaves and its window closes.
    pub(super) fn transfer(
        &mut self,
        interaction: &InteractionId,
        from: &AgentId,
        to: &AgentId,
        now: Millis,
        out: &mut Vec<Effect>,
    ) {
        self.end_consultations_of(interaction, from, None, None, now, out);
        let joined = self
            .interactions
            .get(interaction)
            .is_some_and(|ix| ix.agents.contains(to));
        if !joined {
            self.join(interaction, to, now, out);
        }
        let (new_owner, leaver) = (self.agent_party(to), self.agent_party(from));
        let Some(ix) = self.interactions.get_mut(interaction) else {
            return;
        };
        ix.push(
            out,
            now,
            Audience::Agents,
            EventKind::OwnerChanged { owner: new_owner },
        );
        ix.push(
            out,
            now,
            Audience::Everyone,
            EventKind::Left {
                party: leaver,
                reason: Some(LeaveReason::Transferred),
            },
        );
        let transferred = DomainEvent::Transferred {
            from: from.clone(),
            to: to.clone(),
        };
        ix.milestone(out, now, transferred);
        let state = self.agent_mut(from);
        state.chats.remove(interaction);
        state.idle_since = now;
        out.push(Effect::Send {
            to: Actor::Agent(from.clone()),
            msg: ServerMsg::Closed {
                interaction: interaction.clone(),
            },
        });
    }

    pub(super) fn reject(&mut self, agent: AgentId, a: act::Reject, now: Millis) -> Outcome {
        let act::Reject { invitation } = a;
        let mut out = Vec::new();
        match self.take_offer(&agent, &invitation, &mut out) {
            Ok(offer) => {
                self.declined(offer, invitation, DeclineReason::Rejected, now, &mut out);
                Ok(out)
            }
            Err(e) => Err(e),
        }
    }

    /// A reject or a time-out. A routed chat goes back to the queue (not to this agent for a
    /// while); a request moves on to the next agent of its target, or tells its initiator.
    fn declined(
        &mut self,
        offer: Offer,
        invitation: InvitationId,
        reason: DeclineReason,
        now: Millis,
        out: &mut Vec<Effect>,
    ) {
        out.push(Effect::Send {
            to: Actor::Agent(offer.agent.clone()),
            msg: ServerMsg::InvitationGone { invitation },
        });
        match offer.purpose {
            Purpose::Route => {
                if let Some(ix) = self.interactions.get_mut(&offer.interaction) {
                    ix.rejected.insert(offer.agent.clone(), now);
                }
                self.requeue(&offer.interaction);
            }
            Purpose::Request => {
                let Some(ix) = self.interactions.get_mut(&offer.interaction) else {
                    return;
                };
                let Some(request) = ix.request.as_mut() else {
                    return;
                };
                request.tried.insert(offer.agent.clone());
                request.invitation = None;
                let single = matches!(request.target, Target::Agent(_));
                let reason = if single {
                    reason
                } else {
                    DeclineReason::NobodyAvailable
                };
                if single || !self.offer_request(&offer.interaction, now, out) {
                    self.give_up_request(&offer.interaction, reason, now, out);
                }
            }
        }
    }

    /// Drops the interaction's request and tells its initiator why.
    fn give_up_request(
        &mut self,
        interaction: &InteractionId,
        reason: DeclineReason,
        now: Millis,
        out: &mut Vec<Effect>,
    ) {
        let Some(ix) = self.interactions.get(interaction) else {
            return;
        };
        let Some(request) = ix.request.clone() else {
            return;
        };
        let target = self.target_name(&request.target);
        let Some(ix) = self.interactions.get_mut(interaction) else {
            return;
        };
        ix.request = None;
        if ix.state == InteractionState::Ended {
            return;
        }
        let audience = Audience::Private {
            agents: vec![request.initiator],
        };
        ix.push(
            out,
            now,
            audience,
            EventKind::Declined {
                request: request.kind,
                target,
                reason,
            },
        );
    }

    fn requeue(&mut self, interaction: &InteractionId) {
        if let Some(ix) = self.interactions.get_mut(interaction) {
            if ix.state == InteractionState::Offered {
                ix.state = InteractionState::Queued;
                // Back at its place by arrival, ahead of chats that came later.
                let at = self.queue.partition_point(|q| q < interaction);
                self.queue.insert(at, interaction.clone());
            }
        }
    }

    /// Withdraws every open offer for an interaction (it ended).
    pub(super) fn withdraw_offers(&mut self, interaction: &InteractionId, out: &mut Vec<Effect>) {
        let ids: Vec<InvitationId> = self
            .invitations
            .iter()
            .filter(|(_, o)| &o.interaction == interaction)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            if let Some(offer) = self.remove_offer(&id, out) {
                out.push(Effect::Send {
                    to: Actor::Agent(offer.agent),
                    msg: ServerMsg::InvitationGone { invitation: id },
                });
            }
        }
        if let Some(ix) = self.interactions.get_mut(interaction) {
            ix.request = None;
        }
        self.queue.retain(|q| q != interaction);
    }

    pub(super) fn expire_offers(&mut self, now: Millis, out: &mut Vec<Effect>) {
        let mut expired: Vec<_> = self
            .invitations
            .iter()
            .filter(|(_, o)| o.expires_at <= now)
            .map(|(id, o)| (id.clone(), o.agent.clone()))
            .collect();
        expired.sort();
        for (id, agent) in expired {
            if let Ok(offer) = self.take_offer(&agent, &id, out) {
                self.declined(offer, id, DeclineReason::TimedOut, now, out);
            }
        }
    }

    pub(super) fn invite(&mut self, agent: AgentId, a: act::Invite, now: Millis) -> Outcome {
        let act::Invite {
            interaction,
            request: kind,
            target,
        } = a;
        let Some(ix) = self.interactions.get(&interaction) else {
            return refuse(ErrorCode::NotFound, "no such interaction");
        };
        if !ix.agents.contains(&agent) {
            return refuse(
                ErrorCode::Forbidden,
                "you are not connected to this interaction",
            );
        }
        if ix.state != InteractionState::Active {
            return refuse_for(ErrorCode::Invalid, Reason::NotActive);
        }
        if ix.request.is_some() {
            return refuse_for(ErrorCode::Invalid, Reason::RequestWaiting);
        }
        if let Target::Agent(t) = &target {
            if t == &agent {
                return refuse_for(ErrorCode::Invalid, Reason::InviteSelf);
            }
            if ix.agents.contains(t) {
                return refuse_for(ErrorCode::Invalid, Reason::AlreadyParty);
            }
            let consulted = ix
                .consultations
                .iter()
                .any(|c| c.active && c.initiator == agent && &c.target == t);
            // A transfer to an active consultation target needs no second invitation.
            if consulted && kind == RequestKind::Transfer {
                let mut out = Vec::new();
                self.transfer(&interaction, &agent, t, now, &mut out);
                return Ok(out);
            }
            if ix.consulting(t).is_some() && kind == RequestKind::Consultation {
                return refuse_for(ErrorCode::Invalid, Reason::AlreadyConsulting);
            }
        }
        if !self.target_exists(&target) {
            return refuse_for(ErrorCode::NotFound, Reason::UnknownTarget);
        }
        let request = Request {
            kind,
            initiator: agent,
            target,
            tried: BTreeSet::new(),
            invitation: None,
        };
        if let Some(ix) = self.interactions.get_mut(&interaction) {
            ix.request = Some(request);
        }
        let mut out = Vec::new();
        if !self.offer_request(&interaction, now, &mut out) {
            if let Some(ix) = self.interactions.get_mut(&interaction) {
                ix.request = None;
            }
            return refuse_for(ErrorCode::Invalid, Reason::NobodyAvailable);
        }
        Ok(out)
    }

    fn target_exists(&self, target: &Target) -> bool {
        match target {
            Target::Agent(a) => self.profiles.contains_key(a),
            Target::Group(g) => self.groups.contains_key(g),
            Target::Skill(s) => {
                self.settings.skills.iter().any(|n| &n.id == s)
                    || self.profiles.values().any(|p| p.skills.contains(s))
            }
            Target::Queue(q) => self.queue_skills.contains_key(q),
        }
    }

    fn target_name(&self, target: &Target) -> String {
        let named = |list: &[parley_protocol::Named], id: &str| {
            list.iter()
                .find(|n| n.id == id)
                .map_or_else(|| id.to_owned(), |n| n.name.clone())
        };
        match target {
            Target::Agent(a) => self.agent_name(a).unwrap_or(a.as_str()).to_owned(),
            Target::Group(g) => named(&self.settings.groups, g),
            Target::Skill(s) => named(&self.settings.skills, s),
            Target::Queue(q) => named(&self.settings.queues, q.as_str()),
        }
    }

    /// Offers the interaction's request to the next candidate; false when there is none.
    fn offer_request(
        &mut self,
        interaction: &InteractionId,
        now: Millis,
        out: &mut Vec<Effect>,
    ) -> bool {
        let Some(ix) = self.interactions.get(interaction) else {
            return false;
        };
        let Some(request) = &ix.request else {
            return false;
        };
        let Some(agent) = self.request_candidate(ix, request) else {
            return false;
        };
        let from = self
            .agent_name(&request.initiator)
            .unwrap_or(request.initiator.as_str())
            .to_owned();
        let kind = InvitationKind::Request {
            request: request.kind,
            from,
        };
        let id = self.offer(&agent, interaction, Purpose::Request, kind, now, out);
        if let Some(request) = self
            .interactions
            .get_mut(interaction)
            .and_then(|ix| ix.request.as_mut())
        {
            request.invitation = Some(id);
        }
        true
    }

    fn request_candidate(&self, ix: &Interaction, request: &Request) -> Option<AgentId> {
        let excluded = |a: &AgentId| {
            a == &request.initiator
                || ix.agents.contains(a)
                || request.tried.contains(a)
                || (request.kind == RequestKind::Consultation && ix.consulting(a).is_some())
        };
        let has_room = |a: &AgentId| {
            let Some(state) = self.agents.get(a) else {
                return false;
            };
            // A consultation target already on this chat keeps its slot for a conference or transfer.
            let already_here = state.chats.contains(&ix.record.id);
            state.connected && (already_here || self.has_room(a))
        };
        let members: Vec<&AgentId> = match &request.target {
            // A named agent is asked whatever its status; groups ask only the Ready ones.
            Target::Agent(a) => return (!excluded(a) && has_room(a)).then(|| a.clone()),
            Target::Group(g) => self
                .groups
                .get(g)
                .map(|m| m.iter().collect())
                .unwrap_or_default(),
            Target::Skill(s) => self
                .profiles
                .iter()
                .filter(|(_, p)| p.skills.contains(s))
                .map(|(id, _)| id)
                .collect(),
            Target::Queue(q) => {
                let skill = self.queue_skills.get(q).cloned().flatten();
                self.profiles
                    .iter()
                    .filter(|(_, p)| skill.as_ref().is_none_or(|s| p.skills.contains(s)))
                    .map(|(id, _)| id)
                    .collect()
            }
        };
        members
            .into_iter()
            .filter(|a| !excluded(a) && has_room(a))
            .filter(|a| {
                self.agents
                    .get(*a)
                    .is_some_and(|s| s.status == AgentStatus::Ready)
            })
            .min_by_key(|a| {
                (
                    self.agents.get(*a).map_or(0, |s| s.idle_since),
                    (*a).clone(),
                )
            })
            .cloned()
    }

    /// Records an offer and sends the Interaction Preview.
    fn offer(
        &mut self,
        agent: &AgentId,
        interaction: &InteractionId,
        purpose: Purpose,
        kind: InvitationKind,
        now: Millis,
        out: &mut Vec<Effect>,
    ) -> InvitationId {
        // A restored offer keeps its id, which another epoch drew: never reuse one.
        let id = loop {
            let id = InvitationId(format!(
                "inv-{}-{}",
                self.invitation_epoch, self.next_invitation
            ));
            self.next_invitation += 1;
            if !self.invitations.contains_key(&id) {
                break id;
            }
        };
        let offer = Offer {
            agent: agent.clone(),
            interaction: interaction.clone(),
            expires_at: now + self.timers.offer_timeout,
            purpose,
        };
        self.agent_mut(agent).offers.insert(id.clone());
        if let Some(ix) = self.interactions.get(interaction) {
            let invitation = Invitation {
                id: id.clone(),
                kind,
                interaction: ix.summary_for(agent, &self.profiles),
                expires_at: offer.expires_at,
            };
            out.push(Effect::Send {
                to: Actor::Agent(agent.clone()),
                msg: ServerMsg::Invitation { invitation },
            });
        }
        out.push(self.offer_saved(&id, &offer));
        self.invitations.insert(id.clone(), offer);
        id
    }

    pub(super) fn invitation(&self, id: &InvitationId, offer: &Offer) -> Option<Invitation> {
        let ix = self.interactions.get(&offer.interaction)?;
        let kind = match (offer.purpose, &ix.request) {
            (Purpose::Request, Some(r)) => InvitationKind::Request {
                request: r.kind,
                from: self
                    .agent_name(&r.initiator)
                    .unwrap_or(r.initiator.as_str())
                    .to_owned(),
            },
            _ => InvitationKind::NewChat,
        };
        Some(Invitation {
            id: id.clone(),
            kind,
            interaction: ix.summary_for(&offer.agent, &self.profiles),
            expires_at: offer.expires_at,
        })
    }

    /// Offers queued chats, oldest first, each to the longest-idle Ready agent with room, and
    /// tells waiting contacts their place in the queue.
    pub(super) fn route(&mut self, now: Millis, out: &mut Vec<Effect>) {
        let mut still_queued = Vec::new();
        // With nobody free there is nothing to try; a long queue then costs one pass, not one per agent.
        let anyone_free = self
            .agents
            .iter()
            .any(|(id, a)| a.connected && a.status == AgentStatus::Ready && self.has_room(id));
        for id in std::mem::take(&mut self.queue) {
            let picked = if anyone_free {
                self.pick_agent(&id, now)
            } else {
                None
            };
            match picked {
                Some(agent) => {
                    if let Some(ix) = self.interactions.get_mut(&id) {
                        ix.state = InteractionState::Offered;
                    }
                    self.offer(
                        &agent,
                        &id,
                        Purpose::Route,
                        InvitationKind::NewChat,
                        now,
                        out,
                    );
                }
                None => still_queued.push(id),
            }
        }
        for (at, id) in still_queued.iter().enumerate() {
            let position = at as u32 + 1;
            if let Some(ix) = self.interactions.get_mut(id) {
                if ix.position_sent != position && ix.contact_present {
                    ix.position_sent = position;
                    out.push(Effect::Send {
                        to: Actor::Contact(id.clone()),
                        msg: ServerMsg::QueuePosition {
                            interaction: id.clone(),
                            position,
                        },
                    });
                }
            }
        }
        self.queue = still_queued;
    }

    fn pick_agent(&self, interaction: &InteractionId, now: Millis) -> Option<AgentId> {
        let ix = self.interactions.get(interaction)?;
        let skill = self.queue_skills.get(&ix.record.queue).cloned().flatten();
        self.agents
            .iter()
            .filter(|(_, a)| a.connected && a.status == AgentStatus::Ready)
            .filter(|(id, _)| self.has_room(id))
            .filter(|(id, _)| {
                self.profiles
                    .get(*id)
                    .is_some_and(|p| skill.as_ref().is_none_or(|s| p.skills.contains(s)))
            })
            .filter(|(id, _)| {
                ix.rejected
                    .get(*id)
                    .is_none_or(|&at| now - at >= self.timers.reject_cooldown)
            })
            .min_by(|(ida, a), (idb, b)| a.idle_since.cmp(&b.idle_since).then(ida.cmp(idb)))
            .map(|(id, _)| id.clone())
    }
}
