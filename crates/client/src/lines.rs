//! A transcript turned into display lines, the same way in the desktop and the widget.

use parley_protocol::{EndReason, EventKind, Party, Transcript};

/// A line of the transcript as a view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// A chat message; `mine` when the viewer sent it, `contact` when the contact did.
    Message {
        seq: u64,
        at: i64,
        from: String,
        text: String,
        mine: bool,
        contact: bool,
    },
    /// A system line (joins, leaves, notices, the end).
    System { seq: u64, at: i64, text: String },
}

impl Line {
    /// The event's sequence number: a stable key for lists.
    pub fn seq(&self) -> u64 {
        match self {
            Line::Message { seq, .. } | Line::System { seq, .. } => *seq,
        }
    }
}

/// The lines of a transcript; `is_me` tells which party is the viewer. Done records are not shown.
pub fn lines(transcript: &Transcript, is_me: impl Fn(&Party) -> bool) -> Vec<Line> {
    transcript
        .events()
        .iter()
        .filter_map(|e| {
            let (seq, at) = (e.seq, e.at);
            let system = |text: String| Some(Line::System { seq, at, text });
            match &e.kind {
                EventKind::Message { from, text, .. } => Some(Line::Message {
                    seq,
                    at,
                    from: from.name().to_owned(),
                    text: text.clone(),
                    mine: is_me(from),
                    contact: matches!(from, Party::Contact { .. }),
                }),
                EventKind::Joined { party } => system(format!(
                    "New party '{}' has joined the session",
                    party.name()
                )),
                EventKind::Left { party } => {
                    system(format!("Party '{}' has left the session", party.name()))
                }
                EventKind::Notice { text } => system(text.clone()),
                EventKind::Ended {
                    reason: EndReason::ContactEnded,
                } => system("The contact ended the chat".into()),
                EventKind::Ended {
                    reason: EndReason::AgentEnded,
                } => system("The chat was ended".into()),
                EventKind::Done { .. } => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::{Audience, Event};

    #[test]
    fn events_become_lines_from_the_viewers_side() {
        let mut t = Transcript::default();
        let kate = Party::Agent {
            id: "kate".into(),
            name: "Kate".into(),
        };
        let mark = Party::Contact {
            name: "Mark".into(),
        };
        let ev = |seq, kind| Event {
            seq,
            at: 0,
            audience: Audience::Everyone,
            kind,
        };
        t.merge([
            ev(
                1,
                EventKind::Joined {
                    party: kate.clone(),
                },
            ),
            ev(
                2,
                EventKind::Message {
                    from: kate.clone(),
                    text: "Hi".into(),
                    client_id: None,
                },
            ),
            ev(
                3,
                EventKind::Message {
                    from: mark.clone(),
                    text: "<b>Hello</b>".into(),
                    client_id: None,
                },
            ),
            ev(
                4,
                EventKind::Done {
                    agent: "kate".into(),
                    disposition: None,
                    note: None,
                },
            ),
            ev(
                5,
                EventKind::Ended {
                    reason: EndReason::ContactEnded,
                },
            ),
        ]);
        let as_contact = lines(&t, |p| matches!(p, Party::Contact { .. }));
        assert_eq!(as_contact.len(), 4);
        assert_eq!(
            as_contact[0],
            Line::System {
                seq: 1,
                at: 0,
                text: "New party 'Kate' has joined the session".into()
            }
        );
        assert!(matches!(
            &as_contact[1],
            Line::Message {
                mine: false,
                contact: false,
                ..
            }
        ));
        assert!(
            matches!(&as_contact[2], Line::Message { mine: true, contact: true, text, .. } if text == "<b>Hello</b>")
        );
        assert_eq!(as_contact[3].seq(), 5);
        let as_kate = lines(&t, |p| p == &kate);
        assert!(matches!(&as_kate[1], Line::Message { mine: true, .. }));
    }
}
