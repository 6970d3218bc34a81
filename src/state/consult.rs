//! What the agent does with the parties of a chat: talk in a consultation, end it, close it,
//! and delete a party from a conference.

use super::Consult;
use super::DesktopState;
use parley_protocol::act;
use parley_protocol::{AgentId, ClientMsg, InteractionId};

impl DesktopState {
    /// A consultation of a chat.
    pub fn consult(&self, interaction: &InteractionId, consultation: &str) -> Option<&Consult> {
        self.chat(interaction)?
            .parties
            .consults
            .iter()
            .find(|c| c.id == consultation)
    }

    /// The text typed in a consultation's composer.
    pub fn consult_draft(&self, interaction: &InteractionId, consultation: &str) -> String {
        self.chat(interaction)
            .and_then(|c| c.consult_drafts.get(consultation).cloned())
            .unwrap_or_default()
    }

    /// The agent typed in a consultation's composer at `now` (ms): the draft changes, and a
    /// typing notice for the other agent is returned when one is due.
    pub fn consult_typed(
        &mut self,
        interaction: &InteractionId,
        consultation: &str,
        text: &str,
        now: i64,
    ) -> Option<ClientMsg> {
        let chat = self.chat_mut(interaction)?;
        chat.consult_drafts
            .insert(consultation.to_owned(), text.to_owned());
        chat.parties
            .consult_mut(consultation)
            .filter(|c| c.active)?;
        let (typing, _) = chat.consult_typing.input(text, now)?;
        Some(ClientMsg::from(act::Typing {
            interaction: interaction.clone(),
            typing,
            preview: None,
            consultation: Some(consultation.to_owned()),
        }))
    }

    /// Sends the consultation's draft to the other agent; the contact never receives it.
    pub fn consult_send(
        &mut self,
        interaction: &InteractionId,
        consultation: &str,
    ) -> Option<ClientMsg> {
        let chat = self.chat_mut(interaction)?;
        chat.parties
            .consult_mut(consultation)
            .filter(|c| c.active)?;
        let text = chat.consult_drafts.remove(consultation).unwrap_or_default();
        chat.consult_typing.sent();
        let msg = self.outbox.push_to(interaction, Some(consultation), &text);
        if msg.is_none() {
            // Nothing but blanks: keep what was typed.
            if let Some(chat) = self.chat_mut(interaction) {
                chat.consult_drafts.insert(consultation.to_owned(), text);
            }
        }
        msg
    }

    /// Ends an active consultation (either agent may).
    pub fn end_consultation(
        &self,
        interaction: &InteractionId,
        consultation: &str,
    ) -> Option<ClientMsg> {
        self.consult(interaction, consultation)
            .is_some_and(|c| c.active)
            .then(|| {
                ClientMsg::from(act::EndConsultation {
                    interaction: interaction.clone(),
                    consultation: consultation.to_owned(),
                })
            })
    }

    /// Done on an ended consultation: the initiator closes the panel; the consultant marks the
    /// chat done, which closes its window.
    pub fn consult_done(
        &mut self,
        interaction: &InteractionId,
        consultation: &str,
    ) -> Option<ClientMsg> {
        let chat = self.chat_mut(interaction)?;
        let consult = chat
            .parties
            .consult_mut(consultation)
            .filter(|c| !c.active)?;
        if consult.mine {
            consult.dismissed = true;
            return None;
        }
        self.done(interaction)
    }

    /// Delete From Conference: another connected agent leaves the chat.
    pub fn remove_party(&self, interaction: &InteractionId, agent: &AgentId) -> Option<ClientMsg> {
        let chat = self.chat(interaction)?;
        let me = self.me.as_ref().map(|m| &m.id);
        (Some(agent) != me && !chat.ended() && chat.parties.connected(agent)).then(|| {
            ClientMsg::from(act::Remove {
                interaction: interaction.clone(),
                agent: agent.clone(),
            })
        })
    }

    /// The agent's consultation messages not yet stored by the server (shown greyed).
    pub fn consult_unsent(&self, interaction: &InteractionId, consultation: &str) -> Vec<String> {
        self.unsent_in(interaction, Some(consultation))
            .into_iter()
            .map(str::to_owned)
            .collect()
    }
}
