//! What the host system (a CRM, through `/api/v1`) asks of the writer: the live chats, the
//! agents' states, and case data on a chat. Serializable, so a node that is not the writer
//! forwards the call through `cluster::link` like any other.

use super::Hub;
use crate::engine::{Command, OpenChat};
use crate::now_ms;
use crate::store::Store;
use parley_protocol::{AgentPresence, ErrorCode, InteractionId};
use serde::{Deserialize, Serialize};

/// The most live chats one call lists.
pub const MAX_PAGE: usize = 200;

/// A host system's call to the writer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostCall {
    /// At most `limit` (up to [`MAX_PAGE`]) live chats after `after`, in start order.
    OpenChats {
        after: Option<InteractionId>,
        limit: usize,
    },
    /// Every agent: online, status, load and capacity.
    Agents,
    /// Sets (or, with `None`, removes) a case data value of a live chat.
    CaseData {
        interaction: InteractionId,
        key: String,
        value: Option<String>,
    },
}

/// The writer's answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostAnswer {
    Chats(Vec<OpenChat>),
    Agents(Vec<AgentPresence>),
    Done,
    Refused { code: ErrorCode, reason: String },
}

impl<S: Store> Hub<S> {
    pub(super) async fn host_call(&mut self, call: HostCall) -> HostAnswer {
        match call {
            HostCall::OpenChats { after, limit } => {
                HostAnswer::Chats(self.engine.open_chats(after.as_ref(), limit.min(MAX_PAGE)))
            }
            HostCall::Agents => HostAnswer::Agents(self.engine.presence()),
            HostCall::CaseData {
                interaction,
                key,
                value,
            } => {
                let command = Command::HostCaseData {
                    interaction,
                    key,
                    value,
                };
                let effects = match self.engine.handle(command, now_ms()) {
                    Ok(effects) => effects,
                    Err(refusal) => {
                        return HostAnswer::Refused {
                            code: refusal.code,
                            reason: refusal.reason,
                        }
                    }
                };
                if self.apply_with(None, effects, Vec::new()).await {
                    HostAnswer::Done
                } else {
                    HostAnswer::Refused {
                        code: ErrorCode::Internal,
                        reason: "the server could not store this; try again".into(),
                    }
                }
            }
        }
    }
}
