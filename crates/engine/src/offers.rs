//! Open offers as the store keeps them, so that a restart or a writer taking over goes on with
//! the same offer to the same agent, ending at the same time.
//!
//! An interaction has at most one offer out at a time: a queued chat offered to one agent, or its
//! consultation/transfer/conference request offered to one target. Every change to it is an
//! [`Effect::SaveOffer`], committed with the command's other writes; the request an offer carries
//! is saved with it, since no event records a request until it is answered.

use super::ix::Request;
use super::{Effect, Engine, Offer, Purpose};
use parley_protocol::{
    AgentId, InteractionId, InteractionState, InvitationId, Millis, RequestKind, Target,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// An interaction's open offer, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOffer {
    pub invitation: InvitationId,
    pub agent: AgentId,
    pub expires_at: Millis,
    /// `None`: the chat itself, routed from its queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<PendingRequest>,
}

/// The request an offer carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRequest {
    pub kind: RequestKind,
    pub initiator: AgentId,
    pub target: Target,
    /// Agents offered it before, who will not be offered it again.
    #[serde(default)]
    pub tried: Vec<AgentId>,
}

impl Engine {
    /// The effect that stores the offer just made.
    pub(super) fn offer_saved(&self, id: &InvitationId, offer: &Offer) -> Effect {
        let request = match offer.purpose {
            Purpose::Route => None,
            Purpose::Request => self
                .interactions
                .get(&offer.interaction)
                .and_then(|ix| ix.request.as_ref())
                .map(|r| PendingRequest {
                    kind: r.kind,
                    initiator: r.initiator.clone(),
                    target: r.target.clone(),
                    tried: r.tried.iter().cloned().collect(),
                }),
        };
        Effect::SaveOffer {
            interaction: offer.interaction.clone(),
            offer: Some(PendingOffer {
                invitation: id.clone(),
                agent: offer.agent.clone(),
                expires_at: offer.expires_at,
                request,
            }),
        }
    }

    /// Takes an offer out (accepted, declined, timed out or withdrawn), and out of the store.
    pub(super) fn remove_offer(
        &mut self,
        id: &InvitationId,
        out: &mut Vec<Effect>,
    ) -> Option<Offer> {
        let offer = self.invitations.remove(id)?;
        self.agent_mut(&offer.agent).offers.remove(id);
        out.push(Effect::SaveOffer {
            interaction: offer.interaction.clone(),
            offer: None,
        });
        Some(offer)
    }

    /// Puts back a stored offer, after the interactions are restored: the agent is offered the
    /// same chat (or request) under the same id until the same time, and is shown it when it
    /// connects. An offer that no longer fits what the events say (the chat was answered, ended,
    /// or already has a request; the agent left the configuration) is dropped: routing starts
    /// afresh for that chat.
    pub fn restore_offer(&mut self, interaction: &InteractionId, stored: PendingOffer) -> bool {
        if !self.knows_agent(&stored.agent) || self.invitations.contains_key(&stored.invitation) {
            return false;
        }
        #[cfg(test)]
        let mirror = stored.clone();
        let Some(ix) = self.interactions.get_mut(interaction) else {
            return false;
        };
        let purpose = match stored.request {
            None => {
                let queued = self.queue.iter().position(|q| q == interaction);
                let (InteractionState::Queued, Some(at)) = (ix.state, queued) else {
                    return false;
                };
                self.queue.remove(at);
                ix.state = InteractionState::Offered;
                Purpose::Route
            }
            Some(request) => {
                if ix.request.is_some() || ix.state == InteractionState::Ended {
                    return false;
                }
                ix.request = Some(Request {
                    kind: request.kind,
                    initiator: request.initiator,
                    target: request.target,
                    tried: request.tried.into_iter().collect::<BTreeSet<_>>(),
                    invitation: Some(stored.invitation.clone()),
                });
                Purpose::Request
            }
        };
        #[cfg(test)]
        self.stored_offers.insert(interaction.clone(), mirror);
        self.agent_mut(&stored.agent)
            .offers
            .insert(stored.invitation.clone());
        self.invitations.insert(
            stored.invitation,
            Offer {
                agent: stored.agent,
                interaction: interaction.clone(),
                expires_at: stored.expires_at,
                purpose,
            },
        );
        true
    }
}
