//! What both SQL adapters share: the rows a batch writes (one statement list, the same SQL on
//! SQLite and PostgreSQL, bound by each adapter), and how stored rows read back.

use super::{StoreError, Write};
use crate::engine::{ContactInfo, InteractionRecord};
use parley_protocol::{Event, EventKind, InteractionId, Party, QueueId, Seq};

/// One value bound to a statement.
#[derive(Debug)]
pub(super) enum Arg {
    Text(String),
    MaybeText(Option<String>),
    Int(i64),
    Bool(bool),
}

/// One statement of a batch, with its values in placeholder order (`$1`, `$2`, …).
#[derive(Debug)]
pub(super) struct Statement {
    pub sql: &'static str,
    pub args: Vec<Arg>,
}

fn text(s: impl Into<String>) -> Arg {
    Arg::Text(s.into())
}

/// The statements that store one write.
pub(super) fn statements(write: Write) -> Result<Vec<Statement>, StoreError> {
    use Arg::{Bool, Int, MaybeText};
    let statement = |sql, args| Statement { sql, args };
    Ok(match write {
        Write::Interaction(r) => {
            // Only a verified e-mail links the contact's chats.
            let key = r
                .contact
                .email
                .as_ref()
                .filter(|_| r.contact.verified)
                .map(|e| e.to_lowercase());
            // A closed chat has no offer out (a row left by a failed commit goes with it), and
            // no host page may bring it back.
            let closed = r.closed.then(|| {
                [
                    "DELETE FROM open_offers WHERE interaction = $1",
                    "DELETE FROM contact_handles WHERE interaction = $1",
                ]
                .map(|sql| statement(sql, vec![text(r.id.0.clone())]))
            });
            let mut rows = vec![statement(
                "INSERT INTO interactions (id, contact_name, contact_email, contact_key, subject, queue, started_at, closed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (id) DO UPDATE SET closed = excluded.closed",
                vec![
                    text(r.id.0),
                    text(r.contact.name),
                    MaybeText(r.contact.email),
                    MaybeText(key),
                    MaybeText(r.contact.subject),
                    text(r.queue.0),
                    Int(r.started_at),
                    Bool(r.closed),
                ],
            )];
            rows.extend(closed.into_iter().flatten());
            rows
        }
        Write::File {
            interaction,
            file,
            seq,
            at,
        } => vec![statement(
            "INSERT INTO files (id, interaction, name, mime, size, uploaded_at, seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                text(file.id),
                text(interaction.0),
                text(file.name),
                text(file.mime),
                Int(file.size.min(i64::MAX as u64) as i64),
                Int(at),
                Int(seq.min(i64::MAX as u64) as i64),
            ],
        )],
        Write::Request { key, at } => vec![statement(
            "INSERT INTO requests (actor, client, req, at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (actor, client, req) DO NOTHING",
            vec![
                text(key.actor),
                text(key.client),
                Int(key.req.min(i64::MAX as u64) as i64),
                Int(at),
            ],
        )],
        Write::ForgetRequests { before } => vec![statement(
            "DELETE FROM requests WHERE at < $1",
            vec![Int(before)],
        )],
        Write::Offer {
            interaction,
            offer: Some(offer),
        } => vec![statement(
            "INSERT INTO open_offers (interaction, offer) VALUES ($1, $2)
             ON CONFLICT (interaction) DO UPDATE SET offer = excluded.offer",
            vec![text(interaction.0), text(serde_json::to_string(&offer)?)],
        )],
        Write::Offer {
            interaction,
            offer: None,
        } => vec![statement(
            "DELETE FROM open_offers WHERE interaction = $1",
            vec![text(interaction.0)],
        )],
        Write::AgentStatus { agent, status } => vec![statement(
            "INSERT INTO agent_status (agent, status) VALUES ($1, $2)
             ON CONFLICT (agent) DO UPDATE SET status = excluded.status",
            vec![text(agent.0), text(serde_json::to_string(&status)?)],
        )],
        Write::ContactToken {
            token_hash,
            interaction,
        } => vec![statement(
            "INSERT INTO contact_tokens (token_hash, interaction) VALUES ($1, $2)",
            vec![text(token_hash), text(interaction.0)],
        )],
        Write::Milestone(m) => vec![statement(
            "INSERT INTO domain_events (interaction, seq, at, body) VALUES ($1, $2, $3, $4)",
            vec![
                text(m.interaction.0),
                Int(m.seq.min(i64::MAX as u64) as i64),
                Int(m.at),
                text(serde_json::to_string(&m.event)?),
            ],
        )],
        Write::Event(interaction, event) => {
            let mut out = Vec::with_capacity(2);
            let (client_id, sender) = match &event.kind {
                EventKind::Message {
                    client_id: Some(id),
                    from,
                    ..
                } => (Some(id.clone()), Some(from.sender_key())),
                _ => (None, None),
            };
            if let EventKind::Joined {
                party: Party::Agent { id, .. },
            } = &event.kind
            {
                out.push(statement(
                    "INSERT INTO interaction_agents (interaction, agent) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                    vec![text(interaction.as_str()), text(id.as_str())],
                ));
            }
            out.push(statement(
                "INSERT INTO events (interaction, seq, at, audience, client_id, body, sender)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                vec![
                    text(interaction.0),
                    Int(event.seq.min(i64::MAX as u64) as i64),
                    Int(event.at),
                    text(serde_json::to_string(&event.audience)?),
                    MaybeText(client_id),
                    text(serde_json::to_string(&event.kind)?),
                    MaybeText(sender),
                ],
            ));
            out
        }
    })
}

/// An event row: `seq, at, audience, body`.
pub(super) type EventRow = (i64, i64, String, String);

pub(super) fn event_of((seq, at, audience, body): EventRow) -> Result<Event, StoreError> {
    Ok(Event {
        seq: seq.max(0) as Seq,
        at,
        audience: serde_json::from_str(&audience)?,
        kind: serde_json::from_str(&body)?,
    })
}

/// An interaction row: `id, contact_name, contact_email, subject, queue, started_at, closed,
/// contact_key IS NOT NULL` (the e-mail was verified).
pub(super) type RecordRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    bool,
    bool,
);

pub(super) fn record_of(
    (id, name, email, subject, queue, started_at, closed, verified): RecordRow,
) -> InteractionRecord {
    InteractionRecord {
        id: InteractionId(id),
        contact: ContactInfo {
            name,
            email,
            subject,
            verified,
        },
        queue: QueueId(queue),
        started_at,
        closed,
    }
}

/// A history row: `id, contact_name, subject, started_at, closed`.
pub(super) type HistoryRow = (String, String, Option<String>, i64, bool);

pub(super) fn history_of(
    (id, contact, subject, started_at, closed): HistoryRow,
) -> parley_protocol::HistoryEntry {
    parley_protocol::HistoryEntry {
        id: InteractionId(id),
        contact,
        subject,
        started_at,
        closed,
    }
}

/// A file row: `interaction, id, name, mime, size, seq`.
pub(super) type FileRow = (String, String, String, String, i64, Option<i64>);

pub(super) fn file_of((interaction, id, name, mime, size, seq): FileRow) -> super::StoredFile {
    super::StoredFile {
        interaction: InteractionId(interaction),
        file: parley_protocol::FileRef {
            id,
            name,
            mime,
            size: size.max(0) as u64,
        },
        seq: seq.map(|s| s.max(0) as Seq),
    }
}

/// A domain event row: `position, interaction, seq, at, body`.
pub(super) type FeedRow = (i64, String, i64, i64, String);

pub(super) fn feed_of(
    (position, interaction, seq, at, body): FeedRow,
) -> Result<super::FeedEntry, StoreError> {
    Ok(super::FeedEntry {
        position,
        milestone: crate::engine::Milestone {
            interaction: InteractionId(interaction),
            seq: seq.max(0) as Seq,
            at,
            event: serde_json::from_str(&body)?,
        },
    })
}
