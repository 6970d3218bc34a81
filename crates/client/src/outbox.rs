//! Chat messages sent but not yet acknowledged by the server.
//!
//! Each gets a client id of its own; after a reconnect every pending one is sent again with the
//! same id, and the server stores it at most once. In the apps the ids are 128 random bits:
//! every party of a chat sees the others' ids, and an id that can be guessed invites a party to
//! send first under it.

use parley_protocol::act;
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
        ClientMsg::from(act::Send {
            interaction: self.interaction.clone(),
            client_id: self.client_id.clone(),
            text: self.text.clone(),
            consultation: self.consultation.clone(),
        })
    }
}

/// Where client ids come from.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ids {
    /// `prefix-1`, `prefix-2`, …: predictable, for tests and work that sends nothing.
    Counted { prefix: String, next: u64 },
    /// 128 random bits from the browser's `crypto.getRandomValues` each.
    Random,
}

/// Pending messages in the order they were typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outbox {
    ids: Ids,
    /// This instance of the app, as its `hello` names it: the prefix, or 128 random bits.
    instance: String,
    pending: Vec<Pending>,
}

impl Outbox {
    /// An empty outbox whose client ids are `prefix-1`, `prefix-2`, …
    pub fn new(prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        Self {
            instance: prefix.clone(),
            ids: Ids::Counted { prefix, next: 1 },
            pending: Vec::new(),
        }
    }

    /// An empty outbox whose client ids nobody can guess (browser only).
    pub fn random() -> Self {
        Self {
            ids: Ids::Random,
            instance: crate::random_id(),
            pending: Vec::new(),
        }
    }

    /// This instance of the app, for `hello`'s `client`: with it, the server acts on each
    /// request id once.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    fn next_id(&mut self) -> String {
        match &mut self.ids {
            Ids::Counted { prefix, next } => {
                *next += 1;
                format!("{prefix}-{}", *next - 1)
            }
            Ids::Random => crate::random_id(),
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
            client_id: self.next_id(),
            text: text.to_owned(),
        };
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
    use parley_protocol::act::Action;

    #[test]
    fn pending_messages_are_resent_until_acknowledged() {
        let ix = InteractionId::from("ix-1");
        let mut outbox = Outbox::new("p");
        assert_eq!(outbox.push(&ix, "   "), None);
        let first = outbox.push(&ix, " hello ");
        assert_eq!(
            first,
            Some(ClientMsg::from(act::Send {
                interaction: ix.clone(),
                client_id: "p-1".into(),
                text: "hello".into(),
                consultation: None,
            }))
        );
        let consult = outbox.push_to(&ix, Some("ix-1/c1"), "psst");
        assert!(
            matches!(consult, Some(ClientMsg::Act(Action::Send(act::Send { consultation: Some(c), .. }))) if c == "ix-1/c1")
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
