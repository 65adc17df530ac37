//! One error shape over IPC: `{code, message}`. The UI matches on `code` and shows `message`,
//! which already says what to do.

use roadbook_core::CoreError;
use roadbook_report::ReportError;
use roadbook_store::{Clash, StoreError};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
    /// For `stale`: each field changed meanwhile, with both values, so the editor can ask.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clashes: Vec<Clash>,
    /// For `invalid`: each problem with the field it belongs to, so a form shows it there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<FieldProblem>,
}

/// One problem of an item a person is saving, at its field (`title`, `attendees`); the field is
/// empty when the problem is the item's as a whole.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    /// A problem's path names the kind, then the field, then where inside it
    /// (`review.attendees[2].name`): the form wants the field.
    fn of(problem: &roadbook_model::Problem) -> Self {
        let field = problem
            .path
            .split_once('.')
            .map(|(_, rest)| rest)
            .unwrap_or_default()
            .split(['.', '['])
            .next()
            .unwrap_or_default();
        FieldProblem {
            field: field.to_owned(),
            message: problem.message.clone(),
        }
    }
}

impl CommandError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        CommandError {
            code,
            message: message.into(),
            clashes: Vec::new(),
            problems: Vec::new(),
        }
    }
}

/// The shared layer's errors (the settings file, the session, the sign-in): each says what to do.
impl From<CoreError> for CommandError {
    fn from(err: CoreError) -> Self {
        match err {
            CoreError::NoToken => CommandError::new(
                "sign_in_needed",
                "You are not signed in: sign in under Settings → Team to sync with your team.",
            ),
            CoreError::ServerNotTrusted(server) => CommandError::new(
                "server_not_trusted",
                format!(
                    "This program syncs with {server}, a server your sign-in has not been sent to, so nothing was sent. If it is your team’s server, confirm it on the Team sync screen; if you do not know it, leave it."
                ),
            ),
            CoreError::ServerOfAnotherSignIn { server, what } => CommandError::new(
                "server_not_trusted",
                format!(
                    "{server} takes sign-ins {what}, so your sign-in was not sent there. Sign in for it under Settings → Team."
                ),
            ),
            other => CommandError::new("invalid", other.to_string()),
        }
    }
}

impl From<StoreError> for CommandError {
    fn from(err: StoreError) -> Self {
        if let StoreError::Stale { clashes, .. } = &err {
            return CommandError {
                code: "stale",
                message: err.to_string(),
                clashes: clashes.clone(),
                problems: Vec::new(),
            };
        }
        if let StoreError::Invalid(invalid) = &err {
            return CommandError {
                problems: invalid.0.iter().map(FieldProblem::of).collect(),
                ..CommandError::new("invalid", err.to_string())
            };
        }
        let code = match &err {
            StoreError::NotFound { .. } => "not_found",
            StoreError::NotYet { .. } => "invalid",
            StoreError::Invalid(_) | StoreError::WrongKind { .. } => "invalid",
            StoreError::StillReferenced { .. } => "still_referenced",
            StoreError::ReadOnly { .. } | StoreError::ViewOnly { .. } => "read_only",
            StoreError::Busy { .. } => "busy",
            StoreError::NoProgram | StoreError::WhichProgram { .. } => "no_program",
            StoreError::ProgramExists { .. } | StoreError::Exists { .. } => "exists",
            _ => "storage",
        };
        CommandError::new(code, err.to_string())
    }
}

impl From<roadbook_core::sending::IssueError> for CommandError {
    fn from(err: roadbook_core::sending::IssueError) -> Self {
        use roadbook_core::sending::IssueError;
        match err {
            IssueError::OpenConflicts(open) => CommandError::new(
                "open_conflicts",
                format!(
                    "{} open ({}): a document would show one side of each. Settle them in Team sync first, or issue anyway; the archive records that it went out with them.",
                    if open.len() == 1 {
                        "A conflict is".to_owned()
                    } else {
                        format!("{} conflicts are", open.len())
                    },
                    open.join("; ")
                ),
            ),
            IssueError::Report(err) => err.into(),
            IssueError::Store(err) => err.into(),
        }
    }
}

impl From<ReportError> for CommandError {
    fn from(err: ReportError) -> Self {
        match err {
            ReportError::Store(e) => e.into(),
            ReportError::NoReview => CommandError::new("no_review", err.to_string()),
            ReportError::Write(_) => CommandError::new("io", err.to_string()),
            other => CommandError::new("document", other.to_string()),
        }
    }
}

pub type CommandResult<T> = Result<T, CommandError>;

#[cfg(test)]
mod tests {
    use super::*;
    use roadbook_model::{Invalid, Problem};

    #[test]
    fn an_invalid_item_names_the_field_of_each_problem() {
        let problem = |path: &str| Problem {
            path: path.into(),
            message: "is required".into(),
        };
        let err = CommandError::from(StoreError::Invalid(Invalid(vec![
            problem("decision.title"),
            problem("review.attendees[2].name"),
            problem("exit criterion.evidence"),
            problem(""),
        ])));
        assert_eq!(err.code, "invalid");
        let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["title", "attendees", "evidence", ""]);
        assert!(err.clashes.is_empty());
    }
}
