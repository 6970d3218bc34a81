//! Everything that happens because time passed: offers time out, the pending-response level
//! rises, an idle chat is warned then ended, a contact whose connection is gone past the grace
//! period leaves, and a chat closes by itself some time after the contact left.

use super::{Actor, Effect, Engine};
use parley_protocol::{
    AgentId, Audience, EndReason, EventKind, InteractionId, InteractionState, Millis, Notice,
    PendingLevel, ServerMsg,
};

impl Engine {
    pub(super) fn tick(&mut self, now: Millis) -> Vec<Effect> {
        let mut out = Vec::new();
        self.expire_offers(now, &mut out);
        let ids: Vec<InteractionId> = self.interactions.keys().cloned().collect();
        for id in ids {
            self.pending_level(&id, now, &mut out);
            self.inactivity(&id, now, &mut out);
            self.contact_gone(&id, now, &mut out);
            self.auto_close(&id, now, &mut out);
        }
        out
    }

    fn pending_level(&mut self, id: &InteractionId, now: Millis, out: &mut Vec<Effect>) {
        let (warn, late) = (self.timers.pending_warn, self.timers.pending_late);
        let Some(ix) = self.interactions.get_mut(id) else {
            return;
        };
        let level = match ix.awaiting_since {
            Some(since) if late > 0 && now - since >= late => PendingLevel::Late,
            Some(since) if warn > 0 && now - since >= warn => PendingLevel::Warn,
            _ => PendingLevel::Ok,
        };
        if level != ix.pending && ix.state == InteractionState::Active {
            ix.pending = level;
            let msg = ServerMsg::Pending {
                interaction: id.clone(),
                level,
            };
            out.extend(ix.agents.iter().map(|a| Effect::Send {
                to: Actor::Agent(a.clone()),
                msg: msg.clone(),
            }));
        }
    }

    fn inactivity(&mut self, id: &InteractionId, now: Millis, out: &mut Vec<Effect>) {
        let (warn, timeout) = (self.timers.inactivity_warn, self.timers.inactivity_timeout);
        let Some(ix) = self.interactions.get_mut(id) else {
            return;
        };
        if timeout == 0 || ix.state != InteractionState::Active {
            return;
        }
        let idle = now - ix.last_activity;
        if idle >= timeout {
            ix.push(
                out,
                now,
                Audience::Everyone,
                EventKind::System {
                    notice: Notice::InactivityTimeout,
                },
            );
            self.end_for_everyone(id, EndReason::Inactivity, now, out);
        } else if warn > 0 && idle >= warn && !ix.inactivity_warned {
            ix.inactivity_warned = true;
            ix.push(
                out,
                now,
                Audience::Everyone,
                EventKind::System {
                    notice: Notice::InactivityWarning,
                },
            );
        }
    }

    fn contact_gone(&mut self, id: &InteractionId, now: Millis, out: &mut Vec<Effect>) {
        let grace = self.timers.contact_grace;
        let Some(ix) = self.interactions.get_mut(id) else {
            return;
        };
        if ix.contact_online || !ix.contact_present || grace == 0 {
            return;
        }
        // After a restart nobody is connected yet: the grace period starts now.
        let since = *ix.contact_gone_since.get_or_insert(now);
        if now - since < grace {
            return;
        }
        let reason = Some(parley_protocol::LeaveReason::Disconnected);
        ix.contact_leaves(out, now, reason, self.timers.auto_close);
        if ix.state != InteractionState::Ended {
            self.end_for_everyone(id, EndReason::ContactDisconnected, now, out);
        }
    }

    fn auto_close(&mut self, id: &InteractionId, now: Millis, out: &mut Vec<Effect>) {
        let delay = self.timers.auto_close;
        let Some(ix) = self.interactions.get(id) else {
            return;
        };
        let due = ix.contact_left_at.is_some_and(|at| now - at >= delay);
        if delay == 0 || !due || ix.state != InteractionState::Ended {
            return;
        }
        // A closed chat takes no more dispositions or notes: every remaining agent is done.
        let mut agents: Vec<AgentId> = ix.pending_done.iter().cloned().collect();
        agents.sort();
        for agent in agents {
            self.finish(id, &agent, None, None, now, out);
        }
    }
}
