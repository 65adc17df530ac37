use std::path::Path;

use roadbook_model::Id;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};

use crate::error::{StoreError, classify, is_read_only};
use crate::{Result, Store};

/// `PRAGMA application_id` of a Roadbook database ('RBK1').
const APPLICATION_ID: i64 = 0x5242_4B31;

/// The migrations, embedded in the binary and applied in order when a database opens.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("migrations/001_handbook.sql")),
        M::up(include_str!("migrations/002_documents.sql")),
        M::up(include_str!("migrations/003_item_order.sql")),
    ])
}

/// The schema version this build writes (SQLite's `user_version`).
pub const SCHEMA_VERSION: i64 = 3;

impl Store {
    /// Opens the database at `path`, creating it if it does not exist, and brings its schema up
    /// to date. A file whose permissions say read-only is opened read-only: reading works,
    /// writing is refused with a clear error, even for root, who could write it anyway.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref();
        let read_only = path.exists() && is_read_only(path);
        let flags = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI
        };
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
        let sql = |e| classify(path, e);

        // Read the header before anything writes: a file that is not SQLite fails here and is
        // left untouched.
        let application_id: i64 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(sql)?;
        let user_version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)?;
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(sql)?;
        if application_id != APPLICATION_ID && (application_id != 0 || tables > 0) {
            return Err(StoreError::ForeignDatabase {
                path: path.to_owned(),
            });
        }
        if user_version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: path.to_owned(),
                found: user_version,
                supported: SCHEMA_VERSION,
            });
        }

        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(sql)?;
        if read_only {
            if user_version < SCHEMA_VERSION {
                return Err(StoreError::ReadOnly {
                    path: path.to_owned(),
                });
            }
        } else {
            // WAL: readers never block the writer, and a commit is one append.
            conn.pragma_update(None, "journal_mode", "wal")
                .map_err(sql)?;
            // FULL: a commit reported to the lead survives a power cut, not only a crash.
            conn.pragma_update(None, "synchronous", "full")
                .map_err(sql)?;
            migrations().to_latest(&mut conn).map_err(|e| match e {
                rusqlite_migration::Error::RusqliteError { err, .. } => classify(path, err),
                other => StoreError::Corrupt {
                    path: path.to_owned(),
                    detail: other.to_string(),
                },
            })?;
        }

        let existing: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'client_id'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql)?;
        let client_id = match existing {
            Some(text) => text.parse().map_err(|_| StoreError::Corrupt {
                path: path.to_owned(),
                detail: format!("client id '{text}' is not an id"),
            })?,
            None if read_only => Id::new(),
            None => {
                let id = Id::new();
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('client_id', ?1)",
                    params![id.to_string()],
                )
                .map_err(sql)?;
                id
            }
        };
        Ok(Store {
            conn,
            path: path.to_owned(),
            client_id,
            read_only,
        })
    }

    /// `PRAGMA integrity_check`, for tests and a future `roadbook check`.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| classify(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }

    #[test]
    fn schema_version_matches_the_migration_count() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations().to_latest(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, super::SCHEMA_VERSION);
    }

    #[test]
    fn the_order_migration_keeps_every_item_of_an_older_database() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations().to_version(&mut conn, 2).unwrap();
        conn.execute_batch(
            "INSERT INTO programs (id, created_at) VALUES ('p', 't');
             INSERT INTO items (id, program_id, kind, position, body, versions, deleted, updated_at)
             VALUES ('a', 'p', 'decision', 7, '{\"title\":\"Okta\"}', '{\"title\":1}', 1, 't');",
        )
        .unwrap();
        super::migrations().to_latest(&mut conn).unwrap();
        let row: (String, f64, String, String, i64) = conn
            .query_row(
                "SELECT kind, position, body, versions, deleted FROM items WHERE id = 'a'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!(
            row,
            (
                "decision".to_owned(),
                7.0,
                r#"{"title":"Okta"}"#.to_owned(),
                r#"{"title":1}"#.to_owned(),
                1
            )
        );
        conn.execute("UPDATE items SET position = 6.5 WHERE id = 'a'", [])
            .unwrap();
    }
}
