//! Who may read what, as a read model: the writer publishes an interaction's readers after each
//! commit that names it (every node's edges keep them), and every read (`older`, `earlier`, history, file downloads) checks
//! here, on its own task, instead of asking the writer and waiting behind its commands.
//!
//! The model never runs behind what was delivered: the writer updates it after the commit and
//! before it delivers anything, so an agent that was just given a chat may page it at once, and
//! one whose right ended is refused before it hears so. The engine's tests check that an
//! interaction's readers change only with a command whose effects name it.

use crate::engine::rights::reaches;
use crate::engine::Actor;
use parley_protocol::{AgentId, InteractionId, Seq};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};

/// What an actor may do with an interaction now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// It takes no part in it (any more).
    None,
    /// It takes part and reads its events up to this one (`None`: all of them): an agent whose
    /// right ended keeps what it saw until its Mark Done.
    Reads(Option<Seq>),
}

impl Access {
    /// Whether it may read the event with this sequence number.
    pub fn reads(self, seq: Seq) -> bool {
        matches!(self, Access::Reads(until) if reaches(until, seq))
    }

    /// Whether it still has the right to act (send, post files): it reads without a limit.
    pub fn acts(self) -> bool {
        self == Access::Reads(None)
    }
}

/// The readers of every live interaction (cheap to clone: one shared map).
#[derive(Clone, Default)]
pub struct Rights {
    inner: Arc<RwLock<Model>>,
}

#[derive(Default)]
struct Model {
    /// The agents of the configuration: a session of anyone else reads nothing.
    agents: HashSet<AgentId>,
    /// Each live interaction's readers, with the last event each reads (`None`: all).
    readers: HashMap<InteractionId, Vec<(AgentId, Option<Seq>)>>,
}

impl Rights {
    /// A model for these agents, with no interaction yet.
    pub fn new(agents: impl IntoIterator<Item = AgentId>) -> Self {
        let rights = Self::default();
        rights.know_agents(agents);
        rights
    }

    /// The agents of the configuration (every node reads the same).
    pub fn know_agents(&self, agents: impl IntoIterator<Item = AgentId>) {
        let mut model = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        model.agents = agents.into_iter().collect();
    }

    /// What this actor may read of the interaction now; `None` when it is an agent the
    /// configuration does not know (any more). A contact reads its own chat, all of it.
    pub fn access(&self, actor: &Actor, interaction: &InteractionId) -> Option<Access> {
        let model = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let agent = match actor {
            Actor::Contact(own) => {
                return Some(if own == interaction {
                    Access::Reads(None)
                } else {
                    Access::None
                })
            }
            Actor::Agent(agent) if !model.agents.contains(agent) => return None,
            Actor::Agent(agent) => agent,
        };
        let found = model
            .readers
            .get(interaction)
            .and_then(|readers| readers.iter().find(|(reader, _)| reader == agent));
        Some(found.map_or(Access::None, |(_, until)| Access::Reads(*until)))
    }

    /// The interaction's readers now (none: it is over, or back out of the engine).
    pub fn set(&self, interaction: &InteractionId, readers: Vec<(AgentId, Option<Seq>)>) {
        let mut model = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if readers.is_empty() {
            model.readers.remove(interaction);
        } else {
            model.readers.insert(interaction.clone(), readers);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: &str) -> AgentId {
        AgentId(id.into())
    }

    fn ix(id: &str) -> InteractionId {
        InteractionId(id.into())
    }

    #[test]
    fn readers_are_what_the_writer_last_set() {
        let rights = Rights::new([agent("kate"), agent("john")]);
        let kate = Actor::Agent(agent("kate"));
        let john = Actor::Agent(agent("john"));
        assert_eq!(rights.access(&kate, &ix("a")), Some(Access::None));
        rights.set(
            &ix("a"),
            vec![(agent("kate"), None), (agent("john"), Some(6))],
        );
        assert_eq!(rights.access(&kate, &ix("a")), Some(Access::Reads(None)));
        assert_eq!(rights.access(&john, &ix("a")), Some(Access::Reads(Some(6))));
        assert_eq!(rights.access(&kate, &ix("b")), Some(Access::None));
        rights.set(&ix("a"), vec![(agent("kate"), None)]);
        assert_eq!(rights.access(&john, &ix("a")), Some(Access::None));
        rights.set(&ix("a"), Vec::new());
        assert_eq!(rights.access(&kate, &ix("a")), Some(Access::None));
    }

    #[test]
    fn a_contact_reads_its_own_chat_and_an_unknown_agent_nothing() {
        let rights = Rights::new([agent("kate")]);
        let contact = Actor::Contact(ix("a"));
        assert_eq!(rights.access(&contact, &ix("a")), Some(Access::Reads(None)));
        assert_eq!(rights.access(&contact, &ix("b")), Some(Access::None));
        rights.set(&ix("a"), vec![(agent("gone"), None)]);
        assert_eq!(rights.access(&Actor::Agent(agent("gone")), &ix("a")), None);
    }
}
