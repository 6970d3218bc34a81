//! Chat messages sent but not yet acknowledged by the server.
//!
//! Each gets a client id unique within this page's life; after a reconnect every pending one is
//! sent again with the same id, and the server stores it at most once.

use parley_protocol::{ClientMsg, InteractionId};

/// One message waiting for its `ack`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub interaction: InteractionId,
    /// The consultation it goes to, if not the main chat.
    pub consultation: Option<String>,
    pub client_id: String,
    pub text: String,
}

impl Pending {
    /// The `send` frame for this message.
    pub fn to_msg(&self) -> ClientMsg {
        ClientMsg::Send {
            interaction: self.interaction.clone(),
            client_id: self.client_id.clone(),
            text: self.text.clone(),
            consultation: self.consultation.clone(),
        }
    }
}

/// Pending messages in the order they were typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outbox {
    /// Makes client ids unique across page loads (e.g. the page's start time).
    prefix: String,
    next: u64,
    pending: Vec<Pending>,
}

impl Outbox {
    /// An empty outbox whose client ids start with `prefix`.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            next: 1,
            pending: Vec::new(),
        }
    }

    /// Queues a message for the main chat; returns the frame to send now, or `None` for blank text.
    pub fn push(&mut self, interaction: &InteractionId, text: &str) -> Option<ClientMsg> {
        self.push_to(interaction, None, text)
    }

    /// Queues a message for the main chat or a consultation.
    pub fn push_to(
        &mut self,
        interaction: &InteractionId,
        consultation: Option<&str>,
        text: &str,
    ) -> Option<ClientMsg> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let pending = Pending {
            interaction: interaction.clone(),
            consultation: consultation.map(str::to_owned),
            client_id: format!("{}-{}", self.prefix, self.next),
            text: text.to_owned(),
        };
        self.next += 1;
        let msg = pending.to_msg();
        self.pending.push(pending);
        Some(msg)
    }

    /// The server stored this message.
    pub fn ack(&mut self, client_id: &str) {
        self.pending.retain(|p| p.client_id != client_id);
    }

    /// Forgets every pending message of an interaction (it ended or closed).
    pub fn drop_interaction(&mut self, interaction: &InteractionId) {
        self.pending.retain(|p| &p.interaction != interaction);
    }

    /// Messages still waiting, oldest first.
    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }

    /// The frames to send again after a reconnect.
    pub fn resend(&self) -> Vec<ClientMsg> {
        self.pending.iter().map(Pending::to_msg).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_messages_are_resent_until_acknowledged() {
        let ix = InteractionId::from("ix-1");
        let mut outbox = Outbox::new("p");
        assert_eq!(outbox.push(&ix, "   "), None);
        let first = outbox.push(&ix, " hello ");
        assert_eq!(
            first,
            Some(ClientMsg::Send {
                interaction: ix.clone(),
                client_id: "p-1".into(),
                text: "hello".into(),
                consultation: None,
            })
        );
        let consult = outbox.push_to(&ix, Some("ix-1/c1"), "psst");
        assert!(
            matches!(consult, Some(ClientMsg::Send { consultation: Some(c), .. }) if c == "ix-1/c1")
        );
        outbox.ack("p-2");
        outbox.push(&ix, "second");
        assert_eq!(outbox.resend().len(), 2);
        outbox.ack("p-1");
        assert_eq!(
            outbox
                .pending()
                .iter()
                .map(|p| p.text.as_str())
                .collect::<Vec<_>>(),
            ["second"]
        );
        outbox.drop_interaction(&ix);
        assert!(outbox.resend().is_empty());
    }
}
