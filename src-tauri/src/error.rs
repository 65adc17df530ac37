//! One error shape over IPC: `{code, message}`. The UI matches on `code` and shows `message`,
//! which already says what to do.

use roadbook_core::CoreError;
use roadbook_report::ReportError;
use roadbook_store::{Clash, StoreError};
use serde::Serialize;

/// What went wrong, for the UI to match on: one word per case, the same in Rust and TypeScript
/// (generated), so a code the UI tests for is one the shell sends.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The database is busy with another write: try again.
    Busy,
    /// A document could not be made or checked.
    Document,
    /// What is being made exists already.
    Exists,
    /// Something this build did not expect; the message says what.
    Internal,
    /// What was sent is not something the model takes; `problems` says where.
    Invalid,
    /// A file or folder could not be read or written.
    Io,
    /// A document issued here and its data no longer give the same file.
    Mismatch,
    /// No program is open, or which one is not clear.
    NoProgram,
    /// The review named is not in the program.
    NoReview,
    /// The item or document named is not there.
    NotFound,
    /// The document is not in the shared archive.
    NotShared,
    /// A reminder could not be shown.
    Notification,
    /// A document would go out with a conflict open: the person is asked first.
    OpenConflicts,
    /// The document could not be printed.
    Print,
    /// The database or the program cannot be changed here.
    ReadOnly,
    /// The program's server is not one the person's sign-in may go to yet.
    ServerNotTrusted,
    /// Signing in did not finish.
    SignIn,
    /// The person is not signed in.
    SignInNeeded,
    /// Fields changed since the person opened them; `clashes` has both values.
    Stale,
    /// Other items still point at what is being deleted.
    StillReferenced,
    /// The database failed otherwise.
    Storage,
    /// Not something this build does.
    Unsupported,
    /// The program does not sync with a server yet.
    NotConnected,
    /// The server did not answer.
    Offline,
    /// The server refused what was sent; the message says why.
    Server,
    /// The server speaks a newer sync protocol than this build.
    UpgradeRequired,
    /// The person may not do this on the program.
    NotPermitted,
}

#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: ErrorCode,
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
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
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
                ErrorCode::SignInNeeded,
                "You are not signed in: sign in under Settings → Team to sync with your team.",
            ),
            CoreError::ServerNotTrusted(server) => CommandError::new(
                ErrorCode::ServerNotTrusted,
                format!(
                    "This program syncs with {server}, a server your sign-in has not been sent to, so nothing was sent. If it is your team’s server, confirm it on the Team sync screen; if you do not know it, leave it."
                ),
            ),
            CoreError::ServerOfAnotherSignIn { server, what } => CommandError::new(
                ErrorCode::ServerNotTrusted,
                format!(
                    "{server} takes sign-ins {what}, so your sign-in was not sent there. Sign in for it under Settings → Team."
                ),
            ),
            other => CommandError::new(ErrorCode::Invalid, other.to_string()),
        }
    }
}

impl From<StoreError> for CommandError {
    fn from(err: StoreError) -> Self {
        if let StoreError::Stale { clashes, .. } = &err {
            return CommandError {
                code: ErrorCode::Stale,
                message: err.to_string(),
                clashes: clashes.clone(),
                problems: Vec::new(),
            };
        }
        if let StoreError::Invalid(invalid) = &err {
            return CommandError {
                problems: invalid.0.iter().map(FieldProblem::of).collect(),
                ..CommandError::new(ErrorCode::Invalid, err.to_string())
            };
        }
        let code = match &err {
            StoreError::NotFound { .. } => ErrorCode::NotFound,
            StoreError::NotYet { .. } => ErrorCode::Invalid,
            StoreError::Invalid(_)
            | StoreError::WrongKind { .. }
            | StoreError::BaselineName(_)
            | StoreError::PortfolioChoice(_) => ErrorCode::Invalid,
            StoreError::StillReferenced { .. } => ErrorCode::StillReferenced,
            StoreError::ReadOnly { .. } | StoreError::ViewOnly { .. } => ErrorCode::ReadOnly,
            StoreError::Busy { .. } => ErrorCode::Busy,
            StoreError::NoProgram | StoreError::WhichProgram { .. } => ErrorCode::NoProgram,
            StoreError::ProgramExists { .. } | StoreError::Exists { .. } => ErrorCode::Exists,
            _ => ErrorCode::Storage,
        };
        CommandError::new(code, err.to_string())
    }
}

impl From<roadbook_core::sending::IssueError> for CommandError {
    fn from(err: roadbook_core::sending::IssueError) -> Self {
        use roadbook_core::sending::IssueError;
        match err {
            IssueError::OpenConflicts(open) => CommandError::new(
                ErrorCode::OpenConflicts,
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

impl From<roadbook_core::sending::RegenerateError> for CommandError {
    fn from(err: roadbook_core::sending::RegenerateError) -> Self {
        use roadbook_core::sending::RegenerateError;
        match err {
            RegenerateError::Mismatch { here, issued } => CommandError::new(
                ErrorCode::Mismatch,
                format!(
                    "Rendered here, this document is not the one issued (its fingerprint differs: {here}… here, {issued}… issued). Its data is intact; this Roadbook draws it differently: update Roadbook on both machines."
                ),
            ),
            RegenerateError::Report(err) => err.into(),
            RegenerateError::Store(err) => err.into(),
        }
    }
}

impl From<ReportError> for CommandError {
    fn from(err: ReportError) -> Self {
        match err {
            ReportError::Store(e) => e.into(),
            ReportError::NoReview => CommandError::new(ErrorCode::NoReview, err.to_string()),
            ReportError::Write(_) => CommandError::new(ErrorCode::Io, err.to_string()),
            other => CommandError::new(ErrorCode::Document, other.to_string()),
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
        assert_eq!(err.code, ErrorCode::Invalid);
        let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["title", "attendees", "evidence", ""]);
        assert!(err.clashes.is_empty());
    }
}
