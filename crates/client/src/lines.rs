//! A transcript turned into display lines, the same way in the desktop and the widget.

use crate::i18n::{plural, t, tf};
use parley_protocol::{
    DeclineReason, EndReason, Event, EventKind, FileRef, LeaveReason, Notice, Party, RequestKind,
    Rich, Transcript,
};

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
    /// A file or image sent by a party.
    File {
        seq: u64,
        at: i64,
        from: String,
        file: FileRef,
        mine: bool,
        contact: bool,
    },
    /// A bot's rich message.
    Rich {
        seq: u64,
        at: i64,
        from: String,
        content: Rich,
    },
    /// A mark between lines, where earlier chats are shown above the current one.
    Divider { key: u64, mark: Mark },
    /// A line of an earlier chat of the same contact, shown above the current one.
    Past { key: u64, line: Box<Line> },
}

/// The marks of a transcript with history above it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mark {
    /// The first line of a day (shown as "Yesterday", "November 29").
    Day { at: i64 },
    /// Where the current chat starts.
    CurrentChat,
    /// Nothing earlier can be shown: history reaches this many days back.
    HistoryLimit { days: u32 },
}

/// Keys of the current chat's lines start here; history and marks take the keys below, so that
/// lines put in front always have smaller keys.
pub const CURRENT_KEYS: u64 = 1 << 48;

impl Line {
    /// The text the line shows (a mark has none).
    pub fn text(&self) -> &str {
        match self {
            Line::Message { text, .. } | Line::System { text, .. } => text,
            Line::File { file, .. } => &file.name,
            Line::Rich { .. } => "",
            Line::Past { line, .. } => line.text(),
            Line::Divider { .. } => "",
        }
    }

    /// The event's sequence number (0 for a mark; the earlier chat's for a past line).
    pub fn seq(&self) -> u64 {
        match self {
            Line::Message { seq, .. }
            | Line::System { seq, .. }
            | Line::File { seq, .. }
            | Line::Rich { seq, .. } => *seq,
            Line::Past { line, .. } => line.seq(),
            Line::Divider { .. } => 0,
        }
    }

    /// A stable key for lists, increasing from the top of the transcript to the bottom.
    pub fn key(&self) -> u64 {
        match self {
            Line::Message { seq, .. }
            | Line::System { seq, .. }
            | Line::File { seq, .. }
            | Line::Rich { seq, .. } => CURRENT_KEYS + seq,
            Line::Past { key, .. } | Line::Divider { key, .. } => *key,
        }
    }
}

/// The lines of a transcript; `is_me` tells which party is the viewer. Done records are not shown.
pub fn lines(transcript: &Transcript, is_me: impl Fn(&Party) -> bool) -> Vec<Line> {
    transcript
        .events()
        .iter()
        .filter_map(|e| line(e, &is_me))
        .collect()
}

/// The line one event shows as, if any.
pub fn line(e: &Event, is_me: impl Fn(&Party) -> bool) -> Option<Line> {
    let (seq, at) = (e.seq, e.at);
    let system = |text: String| Some(Line::System { seq, at, text });
    match &e.kind {
        // Consultation messages belong to the consultation panel, not the contact transcript.
        EventKind::Message {
            consultation: Some(_),
            ..
        } => None,
        EventKind::Message { from, text, .. } => Some(Line::Message {
            seq,
            at,
            from: from.name().to_owned(),
            text: text.clone(),
            mine: is_me(from),
            contact: matches!(from, Party::Contact { .. }),
        }),
        EventKind::File { from, file } => Some(Line::File {
            seq,
            at,
            from: from.name().to_owned(),
            file: file.clone(),
            mine: is_me(from),
            contact: matches!(from, Party::Contact { .. }),
        }),
        EventKind::Rich { from, content } => Some(Line::Rich {
            seq,
            at,
            from: from.name().to_owned(),
            content: content.clone(),
        }),
        EventKind::Joined { party } => system(tf("line.joined", &[("name", party.name())])),
        EventKind::Left { party, reason } => {
            let key = match reason {
                Some(LeaveReason::Removed) => "line.removed",
                Some(LeaveReason::Disconnected) => "line.disconnected",
                _ => "line.left",
            };
            system(tf(key, &[("name", party.name())]))
        }
        EventKind::Notice { text } => system(text.clone()),
        EventKind::System { notice } => system(notice_text(notice)),
        EventKind::Ended { reason } => system(t(match reason {
            EndReason::ContactEnded => "end.contact",
            EndReason::ContactDisconnected => "end.disconnected",
            EndReason::Inactivity => "end.inactivity",
            EndReason::AgentEnded => "end.agent",
        })),
        EventKind::Declined {
            request,
            target,
            reason,
        } => {
            let request = request_name(*request);
            let key = match reason {
                DeclineReason::Rejected => "declined.rejected",
                DeclineReason::TimedOut => "declined.timed_out",
                DeclineReason::NobodyAvailable => "declined.nobody",
            };
            let target = target.to_string();
            system(tf(key, &[("target", &target), ("request", &request)]))
        }
        EventKind::OwnerChanged { owner } => system(tf("line.owner", &[("name", owner.name())])),
        EventKind::Done { .. }
        | EventKind::ConsultationStarted { .. }
        | EventKind::ConsultationEnded { .. }
        | EventKind::Read { .. }
        | EventKind::CaseData { .. } => None,
    }
}

/// What a request is called in the reader's language ("transfer").
pub fn request_name(request: RequestKind) -> String {
    t(match request {
        RequestKind::Consultation => "request.consultation",
        RequestKind::Transfer => "request.transfer",
        RequestKind::Conference => "request.conference",
    })
}

/// A typed system notice in the reader's language.
fn notice_text(notice: &Notice) -> String {
    let key = match notice {
        Notice::Queued => "notice.queued",
        Notice::InactivityWarning => "notice.inactivity_warning",
        Notice::InactivityTimeout => "notice.inactivity_timeout",
        Notice::AutoClose { secs } => {
            return plural("notice.auto_close", i64::from(*secs));
        }
    };
    t(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::Audience;

    #[test]
    fn events_become_lines_from_the_viewers_side() {
        crate::i18n::install_english("");
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
                    consultation: None,
                },
            ),
            ev(
                3,
                EventKind::Message {
                    from: mark.clone(),
                    text: "<b>Hello</b>".into(),
                    client_id: None,
                    consultation: None,
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
            ev(
                6,
                EventKind::Message {
                    from: kate.clone(),
                    text: "private".into(),
                    client_id: None,
                    consultation: Some("c1".into()),
                },
            ),
            ev(
                7,
                EventKind::Declined {
                    request: parley_protocol::RequestKind::Transfer,
                    target: "John Davis".into(),
                    reason: DeclineReason::Rejected,
                },
            ),
        ]);
        let as_contact = lines(&t, |p| matches!(p, Party::Contact { .. }));
        assert_eq!(as_contact.len(), 5, "{as_contact:?}");
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
        assert_eq!(
            as_contact[4],
            Line::System {
                seq: 7,
                at: 0,
                text: "John Davis rejected the transfer".into()
            }
        );
        let as_kate = lines(&t, |p| p == &kate);
        assert!(matches!(&as_kate[1], Line::Message { mine: true, .. }));
    }
}
