//! One error shape over IPC: `{code, message}`. The UI matches on `code` and shows `message`,
//! which already says what to do.

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
}

impl CommandError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        CommandError {
            code,
            message: message.into(),
            clashes: Vec::new(),
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
            };
        }
        let code = match &err {
            StoreError::NotFound { .. } => "not_found",
            StoreError::NotYet { .. } => "invalid",
            StoreError::Invalid(_) | StoreError::WrongKind { .. } => "invalid",
            StoreError::StillReferenced { .. } => "still_referenced",
            StoreError::ReadOnly { .. } => "read_only",
            StoreError::Busy { .. } => "busy",
            StoreError::NoProgram | StoreError::WhichProgram { .. } => "no_program",
            StoreError::ProgramExists { .. } | StoreError::Exists { .. } => "exists",
            _ => "storage",
        };
        CommandError::new(code, err.to_string())
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
