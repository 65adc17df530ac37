//! What the app counts when the person chooses to share usage counts with their team's server
//! (off unless they turn it on): the kind of thing that happened and the day, never what it was
//! about. A closed list, so no event can carry a title, a name or any other program text.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageKind {
    /// A document was generated (any kind, any program).
    DocumentGenerated,
    /// A sync with the server moved changes.
    SyncRun,
    /// A review's outcome was recorded.
    ReviewRecorded,
    /// The person signed in.
    SignIn,
}

impl UsageKind {
    pub const ALL: [UsageKind; 4] = [
        UsageKind::DocumentGenerated,
        UsageKind::SyncRun,
        UsageKind::ReviewRecorded,
        UsageKind::SignIn,
    ];

    /// The name in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            UsageKind::DocumentGenerated => "document_generated",
            UsageKind::SyncRun => "sync_run",
            UsageKind::ReviewRecorded => "review_recorded",
            UsageKind::SignIn => "sign_in",
        }
    }

    pub fn parse(text: &str) -> Option<UsageKind> {
        UsageKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// For a person reading the counts.
    pub fn label(self) -> &'static str {
        match self {
            UsageKind::DocumentGenerated => "Documents generated",
            UsageKind::SyncRun => "Syncs that moved changes",
            UsageKind::ReviewRecorded => "Review outcomes recorded",
            UsageKind::SignIn => "Sign-ins",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_wire_and_read_back() {
        for kind in UsageKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.as_str())
            );
            assert_eq!(UsageKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(UsageKind::parse("Decision title"), None);
    }
}
