use std::path::PathBuf;

use roadbook_model::{Id, Invalid, Kind};

/// What can go wrong in the store. Callers match on these; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{path} is not a Roadbook database (it is not an SQLite file): choose another file with --db"
    )]
    NotADatabase { path: PathBuf },
    #[error(
        "{path} is an SQLite database of another application, not a Roadbook one: choose another file with --db"
    )]
    ForeignDatabase { path: PathBuf },
    #[error(
        "{path} was written by a newer Roadbook (schema version {found}; this build knows up to {supported}): upgrade Roadbook to open it"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{path} is read-only: make it writable (chmod u+w) or work on a copy")]
    ReadOnly { path: PathBuf },
    #[error(
        "you may only view this program on {server} (your role there is {role}): nothing was changed; ask one of its leads for the editor role"
    )]
    ViewOnly { server: String, role: String },
    #[error("{path} is busy: another Roadbook is writing to it; try again in a moment")]
    Busy { path: PathBuf },
    #[error("{path} is damaged ({detail}): restore it from a backup or an export")]
    Corrupt { path: PathBuf, detail: String },
    #[error("no {} with id {id} in this database", kind.map_or("item", |k| k.noun()))]
    NotFound { kind: Option<Kind>, id: Id },
    #[error(
        "'{name}' did not exist yet at {at} (its history here starts at {first}): choose a later moment"
    )]
    NotYet {
        name: String,
        at: String,
        first: String,
    },
    #[error("{id} is a {actual}, not a {expected}")]
    WrongKind {
        id: Id,
        expected: &'static str,
        actual: &'static str,
    },
    #[error(
        "the program '{name}' ({id}) is already in this database: import into another database, or export it again from there"
    )]
    ProgramExists { id: Id, name: String },
    #[error(
        "{count} programs are in this database: say which with --program ID (see `roadbook programs`)"
    )]
    WhichProgram { count: usize },
    #[error(
        "there is no program in this database yet: run `roadbook init --sample` or `roadbook import FILE`"
    )]
    NoProgram,
    #[error("cannot delete {kind} '{label}': {by} still refer to it; change or delete those first")]
    StillReferenced {
        kind: &'static str,
        label: String,
        by: String,
    },
    /// A baseline's name or moment refused: the message says which and what to do.
    #[error("{0}")]
    BaselineName(String),
    /// A portfolio's chosen programs refused: the message says why and what to do.
    #[error("{0}")]
    PortfolioChoice(String),
    #[error(
        "no baseline named '{given}' for this program: use one of {known} (roadbook baseline list)"
    )]
    NoBaseline { given: String, known: String },
    #[error(
        "this program has no baseline yet: set one with `roadbook baseline set NAME` (the plan as it stands), or issue a readout (each is one)"
    )]
    NoBaselineYet,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("a {kind} with id {id} is already in this database")]
    Exists { kind: &'static str, id: Id },
    #[error(
        "{kind} '{label}' was changed while you were editing it ({}): nothing was saved; choose whose value to keep and save again",
        describe(clashes)
    )]
    Stale {
        kind: &'static str,
        label: String,
        clashes: Vec<crate::Clash>,
    },
    #[error("{action} is not possible: {why}")]
    Unsupported {
        action: &'static str,
        why: &'static str,
    },
    #[error("database error on {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("there is no refused change {id}: see `roadbook rejected` for the ones there are")]
    NoSuchRejected { id: i64 },
    #[error(
        "there is no set-aside change {id}: see `roadbook rejected` for the changes from the server this database could not apply"
    )]
    NoSuchSetAside { id: i64 },
    #[error("there is no open conflict {id}: see `roadbook conflicts` for the ones there are")]
    NoSuchConflict { id: Id },
    #[error(
        "the server sent a change this database cannot apply ({0}); nothing from it was applied"
    )]
    BadRemote(String),
    #[error(
        "a stored item could not be read ({0}): the database was changed outside Roadbook; restore it from a backup or an export"
    )]
    BadStoredItem(String),
}

/// "status_id set to "Decided" by bob at 2026-03-02T10:00:00.000Z", one clause per clash.
fn describe(clashes: &[crate::Clash]) -> String {
    clashes
        .iter()
        .map(|c| {
            format!(
                "{} set to {} by {} at {}",
                c.field, c.theirs, c.author, c.changed_at
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Turns SQLite's error codes into the cases a person can act on.
pub(crate) fn classify(path: &std::path::Path, err: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    let path = path.to_owned();
    match err.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { path },
        Some(ErrorCode::ReadOnly) | Some(ErrorCode::CannotOpen) if is_read_only(&path) => {
            StoreError::ReadOnly { path }
        }
        Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { path },
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
            StoreError::Busy { path }
        }
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path,
            detail: err.to_string(),
        },
        _ => StoreError::Sqlite { path, source: err },
    }
}

pub(crate) fn is_read_only(path: &std::path::Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.permissions().readonly())
        .unwrap_or(false)
}
