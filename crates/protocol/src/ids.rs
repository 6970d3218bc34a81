//! Identifiers. Each is a distinct newtype so an agent id can never be passed where an
//! interaction id is expected; on the wire each is a plain JSON string.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    };
}

string_id!(
    /// An interaction (one chat with a contact), e.g. `"ix-01J9..."`.
    InteractionId
);
string_id!(
    /// An agent's login name, e.g. `"kate"`.
    AgentId
);
string_id!(
    /// An invitation (offer) to an agent, e.g. `"inv-12"`.
    InvitationId
);
string_id!(
    /// A routing queue, e.g. `"general"`.
    QueueId
);

/// A per-interaction event sequence number, starting at 1.
pub type Seq = u64;

/// Milliseconds since the Unix epoch (UTC).
pub type Millis = i64;
