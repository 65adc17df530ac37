//! The one layer the command line and the desktop app both call: which database to open, who
//! the person is (the author in the history), and opening the store. Each front end stays a
//! thin parser over it, so the sync client and the sign-in session will be wired once, here.

use std::path::{Path, PathBuf};

use roadbook_store::{Store, StoreError};
use roadbook_sync::{Client, HttpTransport, Token};

/// The database file, when the person names none: `ROADBOOK_DB`, else the platform data dir.
pub const DB_ENV: &str = "ROADBOOK_DB";
/// The author recorded in history, when the person names none; else the OS user.
pub const AUTHOR_ENV: &str = "ROADBOOK_AUTHOR";
/// The bearer token for the server (automation and tests; a person signs in instead once
/// sign-in lands).
pub const TOKEN_ENV: &str = "ROADBOOK_TOKEN";

/// What a front end was told on its command line; anything not given comes from the
/// environment and the platform.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--db PATH`
    pub db: Option<PathBuf>,
    /// `--author NAME`
    pub author: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("no home directory to keep the database in: give one with --db PATH or ROADBOOK_DB")]
    NoHome,
    #[error("cannot create {path}: {source}; give another place with --db PATH")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no access token for the server: set ROADBOOK_TOKEN to an access token for it")]
    NoToken,
    #[error("{0}")]
    Server(String),
}

/// Who works on which database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub db: PathBuf,
    /// The name history records for this person's changes.
    pub author: String,
}

impl Session {
    /// Works out the database and the author: the command line first, then the environment,
    /// then the platform (data dir, OS user).
    pub fn resolve(options: Options) -> Result<Session, CoreError> {
        let env = |key: &str| std::env::var_os(key).filter(|v| !v.is_empty());
        let db = match options.db.or_else(|| env(DB_ENV).map(PathBuf::from)) {
            Some(path) => path,
            None => default_database()?,
        };
        let author = options
            .author
            .filter(|a| !a.trim().is_empty())
            .or_else(|| env(AUTHOR_ENV).and_then(|v| v.into_string().ok()))
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(os_user);
        Ok(Session { db, author })
    }

    /// Opens (or creates) the database, bringing its schema up to date.
    pub fn open(&self) -> Result<Store, StoreError> {
        Store::open(&self.db)
    }

    pub fn db(&self) -> &Path {
        &self.db
    }

    /// The access token the sync sends: `ROADBOOK_TOKEN` for now.
    pub fn token(&self) -> Result<Token, CoreError> {
        std::env::var(TOKEN_ENV)
            .ok()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .map(Token::new)
            .ok_or(CoreError::NoToken)
    }

    /// The sync client for `server`, with this person's token.
    pub fn client(&self, server: &str) -> Result<Client<HttpTransport>, CoreError> {
        let transport = HttpTransport::new(server, self.token()?).map_err(CoreError::Server)?;
        Ok(Client::new(transport))
    }
}

/// `~/.local/share/roadbook/roadbook.db` on Linux (the platform's data dir elsewhere), made if
/// missing.
pub fn default_database() -> Result<PathBuf, CoreError> {
    let dirs = directories::ProjectDirs::from("", "", "roadbook").ok_or(CoreError::NoHome)?;
    let dir = dirs.data_dir();
    std::fs::create_dir_all(dir).map_err(|source| CoreError::DataDir {
        path: dir.to_owned(),
        source,
    })?;
    Ok(dir.join("roadbook.db"))
}

/// The OS user's name, or "unknown" where the environment gives none.
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_command_line_wins_over_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let given = dir.path().join("given.db");
        let session = Session::resolve(Options {
            db: Some(given.clone()),
            author: Some("Priya".into()),
        })
        .unwrap();
        assert_eq!(session.db, given);
        assert_eq!(session.author, "Priya");
        // A blank author is no author: the next source is used, never an empty name.
        let blank = Session::resolve(Options {
            db: Some(given),
            author: Some("  ".into()),
        })
        .unwrap();
        assert!(!blank.author.trim().is_empty());
        let store = session.open().unwrap();
        assert_eq!(store.path(), session.db());
    }
}
