//! What happens inside an interaction: messages (main chat and consultations), typing, read
//! receipts, End, Mark Done, Delete From Conference, case data, and the contact's connection.

use super::{act, refuse, refuse_for, Actor, Effect, Engine, Outcome, Refusal};
use parley_protocol::{
    AgentId, Audience, EndReason, ErrorCode, EventKind, InteractionId, InteractionState,
    LeaveReason, Millis, Notice, Party, Reason, ServerMsg, MAX_MESSAGE_CHARS,
};

/// The longest case data value and typing preview, in characters.
const MAX_VALUE_CHARS: usize = 1000;
const MAX_KEY_CHARS: usize = 100;
const MAX_PREVIEW_CHARS: usize = 200;

/// The longest client message id, in bytes.
const MAX_CLIENT_ID: usize = 64;

impl Engine {
    /// Who `actor` is in the main chat: a connected agent party or the present contact.
    fn party_of(&self, actor: &Actor, interaction: &InteractionId) -> Result<Party, Refusal> {
        let Some(ix) = self.interactions.get(interaction) else {
            return Err(Refusal::new(ErrorCode::NotFound, "no such interaction"));
        };
        match actor {
            Actor::Agent(agent) if ix.agents.contains(agent) => Ok(self.agent_party(agent)),
            Actor::Contact(id) if id == interaction && ix.contact_present => Ok(ix.contact_party()),
            _ => Err(Refusal::new(
                ErrorCode::Forbidden,
                "you are not connected to this interaction",
            )),
        }
    }

    /// The two agents of an active consultation, if `agent` is one of them.
    fn consultation_pair(
        &self,
        agent: &Actor,
        interaction: &InteractionId,
        consultation: &str,
    ) -> Result<Vec<AgentId>, Refusal> {
        let Some(ix) = self.interactions.get(interaction) else {
            return Err(Refusal::new(ErrorCode::NotFound, "no such interaction"));
        };
        let Some(c) = ix.consultations.iter().find(|c| c.id == consultation) else {
            return Err(Refusal::new(ErrorCode::NotFound, "no such consultation"));
        };
        match agent {
            Actor::Agent(a) if a == &c.initiator || a == &c.target => {}
            _ => {
                return Err(Refusal::new(
                    ErrorCode::Forbidden,
                    "you are not in this consultation",
                ))
            }
        }
        if !c.active {
            return Err(Refusal::new(
                ErrorCode::Invalid,
                "the consultation has ended",
            ));
        }
        Ok(vec![c.initiator.clone(), c.target.clone()])
    }

    pub(super) fn send(&mut self, from: Actor, a: act::Send, now: Millis) -> Outcome {
        let act::Send {
            interaction,
            client_id,
            text,
            consultation,
        } = a;
        let text = text.trim();
        if text.is_empty() {
            return refuse_for(ErrorCode::Invalid, Reason::EmptyMessage);
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return refuse_for(ErrorCode::Invalid, Reason::MessageTooLong);
        }
        if client_id.is_empty() || client_id.len() > MAX_CLIENT_ID {
            return refuse(ErrorCode::Invalid, "client_id must be 1 to 64 bytes");
        }
        let (party, audience) = match &consultation {
            None => match self.party_of(&from, &interaction) {
                Ok(p) => (p, Audience::Everyone),
                Err(e) => return Err(e),
            },
            Some(c) => match self.consultation_pair(&from, &interaction, c) {
                Ok(pair) => match &from {
                    Actor::Agent(a) => (self.agent_party(a), Audience::Private { agents: pair }),
                    Actor::Contact(_) => {
                        return refuse(ErrorCode::Forbidden, "you are not in this consultation")
                    }
                },
                Err(e) => return Err(e),
            },
        };
        let Some(ix) = self.interactions.get_mut(&interaction) else {
            return Ok(Vec::new());
        };
        let ack = |seq| {
            Effect::Reply(ServerMsg::Ack {
                interaction: interaction.clone(),
                client_id: client_id.clone(),
                seq,
                req: None,
            })
        };
        if let Some(&seq) = ix.client_ids.get(&(party.sender_key(), client_id.clone())) {
            return Ok(vec![ack(seq)]);
        }
        if ix.state == InteractionState::Ended {
            return refuse_for(ErrorCode::Invalid, Reason::ChatEnded);
        }
        // Nobody reads a queued chat yet: its contact writes no faster than a person types.
        let gap = self.timers.queued_gap;
        let queued = ix.state == InteractionState::Queued && !ix.with_bot;
        if gap > 0 && queued && matches!(from, Actor::Contact(_)) {
            let burst = super::ix::QUEUED_BURST;
            let window = gap * burst as Millis;
            // A clock that stepped back counts as time gone by.
            if ix.queued_sends.len() >= burst
                && ix
                    .queued_sends
                    .front()
                    .is_some_and(|first| (0..window).contains(&(now - first)))
            {
                return refuse(
                    ErrorCode::RateLimited,
                    "you are writing faster than anyone types; an agent will be with you soon",
                );
            }
            if ix.queued_sends.len() >= burst {
                ix.queued_sends.pop_front();
            }
            ix.queued_sends.push_back(now);
        }
        let mut out = Vec::new();
        let was = ix.pending;
        let to_bot = ix.with_bot && consultation.is_none() && matches!(from, Actor::Contact(_));
        let kind = EventKind::Message {
            from: party,
            text: text.to_owned(),
            client_id: Some(client_id.clone()),
            consultation,
        };
        let seq = ix.push(&mut out, now, audience, kind);
        if ix.pending != was {
            out.extend(pending_changed(ix));
        }
        out.push(ack(seq));
        if to_bot {
            self.bot_turn(&interaction, text, now, &mut out);
        }
        Ok(out)
    }

    /// The bot answers a contact's message, or hands the chat over to its queue.
    fn bot_turn(
        &mut self,
        interaction: &InteractionId,
        text: &str,
        now: Millis,
        out: &mut Vec<Effect>,
    ) {
        let Some(bot) = &self.bot else {
            return;
        };
        let Some(ix) = self.interactions.get_mut(interaction) else {
            return;
        };
        match bot.answer(text) {
            super::bot::Answer::Say(content) => {
                let from = bot.party();
                ix.push(
                    out,
                    now,
                    Audience::Everyone,
                    EventKind::Rich { from, content },
                );
            }
            super::bot::Answer::HandOver => {
                let notice = Notice::Queued;
                ix.push(out, now, Audience::Everyone, EventKind::System { notice });
                self.queue.push(interaction.clone());
            }
        }
    }

    /// A file from a party of the chat, for everyone in it.
    pub(super) fn post_file(
        &mut self,
        from: Actor,
        interaction: InteractionId,
        file: parley_protocol::FileRef,
        now: Millis,
    ) -> Outcome {
        let party = self.party_of(&from, &interaction)?;
        let Some(ix) = self.interactions.get_mut(&interaction) else {
            return refuse(ErrorCode::NotFound, "no such interaction");
        };
        if ix.state == InteractionState::Ended {
            return refuse_for(ErrorCode::Invalid, Reason::ChatEnded);
        }
        let (max_files, max_bytes) = self.file_quota;
        if ix.files.0 >= max_files || ix.files.1.saturating_add(file.size) > max_bytes {
            return refuse_for(ErrorCode::TooLarge, Reason::FilesFull);
        }
        let mut out = Vec::new();
        let was = ix.pending;
        ix.push(
            &mut out,
            now,
            Audience::Everyone,
            EventKind::File { from: party, file },
        );
        if ix.pending != was {
            out.extend(pending_changed(ix));
        }
        Ok(out)
    }

    pub(super) fn typing(&mut self, from: Actor, a: act::Typing) -> Outcome {
        let act::Typing {
            interaction,
            typing,
            preview,
            consultation,
        } = a;
        let (party, to) = match &consultation {
            Some(c) => match self.consultation_pair(&from, &interaction, c) {
                Ok(pair) => {
                    let Actor::Agent(me) = &from else {
                        return Ok(Vec::new());
                    };
                    let others = pair
                        .into_iter()
                        .filter(|a| a != me)
                        .map(Actor::Agent)
                        .collect();
                    (self.agent_party(me), others)
                }
                Err(e) => return Err(e),
            },
            None => match self.party_of(&from, &interaction) {
                Ok(p) => {
                    let Some(ix) = self.interactions.get(&interaction) else {
                        return Ok(Vec::new());
                    };
                    let mut to: Vec<Actor> = ix
                        .agent_recipients(&Audience::Agents)
                        .into_iter()
                        .map(Actor::Agent)
                        .filter(|a| a != &from)
                        .collect();
                    if matches!(from, Actor::Agent(_)) {
                        to.push(Actor::Contact(interaction.clone()));
                    }
                    (p, to)
                }
                Err(e) => return Err(e),
            },
        };
        // Only agents ever see what the contact is typing, and only where configured.
        let preview = match (&from, typing, self.timers.typing_preview) {
            (Actor::Contact(_), true, true) => {
                preview.map(|p| p.chars().take(MAX_PREVIEW_CHARS).collect::<String>())
            }
            _ => None,
        };
        Ok(to
            .into_iter()
            .map(|to| {
                let preview = if matches!(to, Actor::Agent(_)) {
                    preview.clone()
                } else {
                    None
                };
                let msg = ServerMsg::Typing {
                    interaction: interaction.clone(),
                    party: party.clone(),
                    typing,
                    preview,
                    consultation: consultation.clone(),
                };
                Effect::Send { to, msg }
            })
            .collect())
    }

    pub(super) fn read(&mut self, a: act::Read, now: Millis) -> Outcome {
        let act::Read { interaction, up_to } = a;
        let Some(ix) = self.interactions.get_mut(&interaction) else {
            return refuse(ErrorCode::NotFound, "no such interaction");
        };
        if up_to >= ix.next_seq {
            return refuse(ErrorCode::Invalid, "cannot read ahead of the transcript");
        }
        let mut out = Vec::new();
        if up_to > ix.last_read && ix.contact_present {
            ix.push(&mut out, now, Audience::Agents, EventKind::Read { up_to });
        }
        Ok(out)
    }

    pub(super) fn contact_link(
        &mut self,
        interaction: &InteractionId,
        online: bool,
        now: Millis,
    ) -> Vec<Effect> {
        if let Some(ix) = self.interactions.get_mut(interaction) {
            ix.contact_online = online;
            ix.contact_gone_since = if online { None } else { Some(now) };
        }
        Vec::new()
    }

    pub(super) fn end(&mut self, by: Actor, a: act::End, now: Millis) -> Outcome {
        let act::End { interaction } = a;
        if let Actor::Agent(agent) = &by {
            let consultant = self
                .interactions
                .get(&interaction)
                .is_some_and(|ix| !ix.agents.contains(agent) && ix.consulting(agent).is_some());
            if consultant {
                return refuse_for(ErrorCode::Invalid, Reason::ConsultingInstead);
            }
        }
        let party = self.party_of(&by, &interaction)?;
        if self
            .interactions
            .get(&interaction)
            .is_some_and(|ix| ix.state == InteractionState::Ended)
        {
            return refuse_for(ErrorCode::Invalid, Reason::ChatEnded);
        }
        let mut out = Vec::new();
        match by {
            Actor::Agent(agent) => {
                self.end_consultations_of(&interaction, &agent, None, Some(&agent), now, &mut out);
                let (others, contact_here) = self
                    .interactions
                    .get(&interaction)
                    .map_or((false, false), |ix| {
                        (ix.agents.len() > 1, ix.contact_present)
                    });
                // In a conference, End leaves: the chat goes on with the others. With asynchronous
                // chat the last agent leaves too: the chat stays open until that agent marks it done.
                if others || (self.timers.async_chat && contact_here) {
                    self.leave(
                        &interaction,
                        &agent,
                        party,
                        LeaveReason::Ended,
                        now,
                        &mut out,
                    );
                } else {
                    self.end_for_everyone(&interaction, EndReason::AgentEnded, now, &mut out);
                }
            }
            Actor::Contact(_) => {
                let auto_close = self.timers.auto_close;
                if let Some(ix) = self.interactions.get_mut(&interaction) {
                    debug_assert_eq!(party, ix.contact_party());
                    ix.contact_leaves(&mut out, now, None, auto_close);
                }
                self.end_for_everyone(&interaction, EndReason::ContactEnded, now, &mut out);
            }
        }
        Ok(out)
    }

    /// An agent leaves a chat that goes on; ownership passes on when the owner leaves.
    fn leave(
        &mut self,
        interaction: &InteractionId,
        agent: &AgentId,
        party: Party,
        reason: LeaveReason,
        now: Millis,
        out: &mut Vec<Effect>,
    ) {
        let Some(ix) = self.interactions.get_mut(interaction) else {
            return;
        };
        let was_owner = ix.owner() == Some(agent);
        ix.push(
            out,
            now,
            Audience::Everyone,
            EventKind::Left {
                party,
                reason: Some(reason),
            },
        );
        let new_owner = ix.owner().cloned();
        if let (true, Some(owner)) = (was_owner, new_owner) {
            let owner = self.agent_party(&owner);
            if let Some(ix) = self.interactions.get_mut(interaction) {
                ix.push(
                    out,
                    now,
                    Audience::Agents,
                    EventKind::OwnerChanged { owner },
                );
            }
        }
    }

    /// Ends the chat: consultations first, then the end, then offers for it are withdrawn.
    pub(super) fn end_for_everyone(
        &mut self,
        interaction: &InteractionId,
        reason: EndReason,
        now: Millis,
        out: &mut Vec<Effect>,
    ) {
        if let Some(ix) = self.interactions.get_mut(interaction) {
            ix.end_all(out, now, reason);
        }
        self.withdraw_offers(interaction, out);
        self.close_if_finished(interaction, out);
    }

    pub(super) fn done(&mut self, agent: AgentId, a: act::Done, now: Millis) -> Outcome {
        let act::Done {
            interaction,
            disposition,
            note,
        } = a;
        let Some(ix) = self.interactions.get(&interaction) else {
            return refuse(ErrorCode::NotFound, "no such interaction");
        };
        if !ix.pending_done.contains(&agent) {
            return refuse(
                ErrorCode::Forbidden,
                "you are not a party of this interaction",
            );
        }
        if !ix.part_over(&agent) {
            return refuse_for(ErrorCode::Invalid, Reason::EndFirst);
        }
        if disposition
            .as_ref()
            .is_some_and(|d| !self.settings.dispositions.contains(d))
        {
            return refuse(ErrorCode::Invalid, "unknown disposition code");
        }
        if self.settings.disposition_required
            && disposition.is_none()
            && ix.ever_party.contains(&agent)
        {
            return refuse_for(ErrorCode::Invalid, Reason::DispositionFirst);
        }
        let note = note
            .map(|n| n.trim().chars().take(MAX_MESSAGE_CHARS).collect::<String>())
            .filter(|n| !n.is_empty());
        let mut out = Vec::new();
        self.finish(&interaction, &agent, disposition, note, now, &mut out);
        Ok(out)
    }

    /// Records an agent's Done and closes its view; the interaction closes when nobody is left.
    pub(super) fn finish(
        &mut self,
        interaction: &InteractionId,
        agent: &AgentId,
        disposition: Option<String>,
        note: Option<String>,
        now: Millis,
        out: &mut Vec<Effect>,
    ) {
        let Some(ix) = self.interactions.get_mut(interaction) else {
            return;
        };
        let kind = EventKind::Done {
            agent: agent.clone(),
            disposition: disposition.clone(),
            note: note.clone(),
        };
        ix.push(
            out,
            now,
            Audience::Private {
                agents: vec![agent.clone()],
            },
            kind,
        );
        let done = crate::DomainEvent::Done {
            agent: agent.clone(),
            disposition,
            note,
        };
        ix.milestone(out, now, done);
        let state = self.agent_mut(agent);
        state.chats.remove(interaction);
        state.idle_since = now;
        out.push(Effect::Send {
            to: Actor::Agent(agent.clone()),
            msg: ServerMsg::Closed {
                interaction: interaction.clone(),
            },
        });
        // An open chat that no agent is connected to or owes a Done any more is over.
        let orphaned = self.interactions.get(interaction).is_some_and(|ix| {
            ix.state != InteractionState::Ended
                && ix.state != InteractionState::Queued
                && ix.agents.is_empty()
                && ix.pending_done.is_empty()
        });
        if orphaned {
            self.end_for_everyone(interaction, EndReason::AgentEnded, now, out);
        }
        self.close_if_finished(interaction, out);
    }

    /// Asynchronous chat: an agent who left rejoins before marking the chat done.
    pub(super) fn rejoin(&mut self, agent: AgentId, a: act::Rejoin, now: Millis) -> Outcome {
        let act::Rejoin { interaction } = a;
        let Some(ix) = self.interactions.get(&interaction) else {
            return refuse(ErrorCode::NotFound, "no such interaction");
        };
        if !ix.pending_done.contains(&agent) || !ix.ever_party.contains(&agent) {
            return refuse(
                ErrorCode::Forbidden,
                "you are not a party of this interaction",
            );
        }
        if ix.agents.contains(&agent) {
            return refuse_for(ErrorCode::Invalid, Reason::AlreadyInChat);
        }
        // Only an agent that left by its own End may come back, and only with asynchronous
        // chat: one deleted from a conference or transferred away lost the right.
        if !self.timers.async_chat {
            return refuse(ErrorCode::Forbidden, "asynchronous chat is off");
        }
        if !ix.rights.get(&agent).is_some_and(|r| r.left_by_own_end) {
            return refuse_for(ErrorCode::Forbidden, Reason::TakenOut);
        }
        if ix.state == InteractionState::Ended {
            return refuse_for(ErrorCode::Invalid, Reason::ChatEnded);
        }
        let mut out = Vec::new();
        self.join(&interaction, &agent, now, &mut out);
        Ok(out)
    }

    pub(super) fn end_consultation(
        &mut self,
        agent: AgentId,
        a: act::EndConsultation,
        now: Millis,
    ) -> Outcome {
        let act::EndConsultation {
            interaction,
            consultation,
        } = a;
        self.consultation_pair(&Actor::Agent(agent.clone()), &interaction, &consultation)?;
        let party = self.agent_party(&agent);
        let mut out = Vec::new();
        if let Some(ix) = self.interactions.get_mut(&interaction) {
            ix.end_consultation(&mut out, now, &consultation, Some(party));
        }
        Ok(out)
    }

    pub(super) fn remove(&mut self, agent: AgentId, a: act::Remove, now: Millis) -> Outcome {
        let act::Remove {
            interaction,
            agent: target,
        } = a;
        self.party_of(&Actor::Agent(agent.clone()), &interaction)?;
        if target == agent {
            return refuse_for(ErrorCode::Invalid, Reason::UseEnd);
        }
        let party = match self.party_of(&Actor::Agent(target.clone()), &interaction) {
            Ok(p) => p,
            Err(_) => return refuse_for(ErrorCode::NotFound, Reason::NotInConference),
        };
        if self
            .interactions
            .get(&interaction)
            .is_some_and(|ix| ix.state == InteractionState::Ended)
        {
            return refuse_for(ErrorCode::Invalid, Reason::ChatEnded);
        }
        let mut out = Vec::new();
        self.end_consultations_of(&interaction, &target, None, Some(&agent), now, &mut out);
        self.leave(
            &interaction,
            &target,
            party,
            LeaveReason::Removed,
            now,
            &mut out,
        );
        Ok(out)
    }

    pub(super) fn set_case_data(
        &mut self,
        agent: AgentId,
        a: act::SetCaseData,
        now: Millis,
    ) -> Outcome {
        let act::SetCaseData {
            interaction,
            key,
            value,
        } = a;
        self.party_of(&Actor::Agent(agent), &interaction)?;
        if !self.settings.editable_case_data.contains(&key) {
            return refuse_for(ErrorCode::Forbidden, Reason::NotEditable);
        }
        self.write_case_data(interaction, key, value, now)
    }

    /// The host system (a CRM, through the server's API) sets a case data value of a live chat:
    /// any key, since the host owns its data; the agents see it like an agent's change.
    pub(super) fn host_case_data(
        &mut self,
        interaction: InteractionId,
        key: String,
        value: Option<String>,
        now: Millis,
    ) -> Outcome {
        let key = key.trim().to_owned();
        if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
            return refuse(ErrorCode::Invalid, "a case data key is 1 to 100 characters");
        }
        match self.interactions.get(&interaction) {
            None => return refuse(ErrorCode::NotFound, "no such live chat"),
            Some(ix) if ix.state == InteractionState::Ended => {
                return refuse_for(ErrorCode::Invalid, Reason::ChatEnded)
            }
            Some(_) => {}
        }
        self.write_case_data(interaction, key, value, now)
    }

    fn write_case_data(
        &mut self,
        interaction: InteractionId,
        key: String,
        value: Option<String>,
        now: Millis,
    ) -> Outcome {
        let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let (key, value) = (
            crate::marks::shown(&key).into_owned(),
            value.map(|v| crate::marks::shown(&v).into_owned()),
        );
        if value
            .as_ref()
            .is_some_and(|v| v.chars().count() > MAX_VALUE_CHARS)
        {
            return refuse_for(ErrorCode::Invalid, Reason::ValueTooLong);
        }
        let mut out = Vec::new();
        if let Some(ix) = self.interactions.get_mut(&interaction) {
            if ix.case_data.get(&key) != value.as_ref() {
                ix.push(
                    &mut out,
                    now,
                    Audience::Agents,
                    EventKind::CaseData { key, value },
                );
            }
        }
        Ok(out)
    }
}

/// Tells the agents of a chat its new pending-response level.
fn pending_changed(ix: &super::ix::Interaction) -> Vec<Effect> {
    let msg = ServerMsg::Pending {
        interaction: ix.record.id.clone(),
        level: ix.pending,
    };
    ix.agents
        .iter()
        .map(|a| Effect::Send {
            to: Actor::Agent(a.clone()),
            msg: msg.clone(),
        })
        .collect()
}
