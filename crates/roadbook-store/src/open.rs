use std::collections::BTreeMap;
use std::path::Path;

use roadbook_model::{Id, OrderKey};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use rusqlite_migration::{HookError, HookResult, M, Migrations};
use serde_json::{Map, Value, json};

use crate::outbox::{FieldChange, Operation};

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
        M::up_with_hook(include_str!("migrations/004_sync_ready.sql"), key_lists),
        M::up(include_str!("migrations/005_sync_results.sql")),
        M::up(include_str!("migrations/006_shared_documents.sql")),
        M::up(include_str!("migrations/007_usage.sql")),
        M::up(include_str!("migrations/008_sync_intent.sql")),
        M::up(include_str!("migrations/009_made_at.sql")),
        M::up(include_str!("migrations/010_baselines.sql")),
        M::up(include_str!("migrations/011_links.sql")),
    ])
}

/// The schema version this build writes (SQLite's `user_version`).
pub const SCHEMA_VERSION: i64 = 11;

/// The data half of migration 004: order keys per list from the old order, and the old outbox's
/// rows as typed operations.
fn key_lists(tx: &Transaction) -> HookResult {
    let bad = |what: String| HookError::Hook(what);
    // 1. Each list (program, kind) keeps the order it had, by the old number, then by id.
    let items: Vec<(String, String, String)> = tx
        .prepare(
            "SELECT program_id, kind, id FROM items ORDER BY program_id, kind, CAST(position AS REAL), id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    let mut list: Option<(String, String)> = None;
    let mut last: Option<OrderKey> = None;
    for (program, kind, id) in items {
        let this = Some((program, kind));
        if this != list {
            list = this;
            last = None;
        }
        let key = OrderKey::after(last.as_ref());
        keys.insert(id, key.to_string());
        last = Some(key);
    }
    {
        let mut update = tx.prepare("UPDATE items SET position = ?2 WHERE id = ?1")?;
        for (id, key) in &keys {
            update.execute(params![id, key])?;
        }
    }

    // 2. The old outbox, entry by entry, as typed operations with this client's sequence
    //    numbers per program. Base versions were local counters and nothing was synced: 0.
    let old: Vec<(String, String, String, String, String, String, String)> = tx
        .prepare(
            "SELECT program_id, op, item_kind, item_id, fields, author, created_at FROM outbox ORDER BY seq",
        )?
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut sequences: BTreeMap<String, i64> = BTreeMap::new();
    {
        let mut insert = tx.prepare(
            "INSERT INTO outbox_typed (program_id, client_seq, mutation_id, item_kind, item_id, operation, author, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (program, op, kind, item, fields, author, at) in old {
            let fields: Map<String, Value> = serde_json::from_str(&fields)
                .map_err(|e| bad(format!("outbox entry of {item}: {e}")))?;
            let key = keys
                .get(&item)
                .cloned()
                .unwrap_or_else(|| OrderKey::first().to_string());
            let value_of = |field: &str, entry: &Value| -> Value {
                if field == crate::POSITION {
                    json!(key)
                } else {
                    entry.get("value").cloned().unwrap_or(Value::Null)
                }
            };
            let operation = match op.as_str() {
                "create" => {
                    let mut all: Map<String, Value> = fields
                        .iter()
                        .map(|(f, e)| (f.clone(), value_of(f, e)))
                        .collect();
                    all.insert(crate::POSITION.to_owned(), json!(key));
                    Operation::Create { fields: all }
                }
                "update" => Operation::Update {
                    fields: fields
                        .iter()
                        .map(|(f, e)| {
                            let change = FieldChange {
                                value: value_of(f, e),
                                base_version: 0,
                                set: None,
                                kept: false,
                            };
                            (f.clone(), change)
                        })
                        .collect(),
                },
                _ => {
                    let versions: String = tx.query_row(
                        "SELECT versions FROM items WHERE id = ?1",
                        params![item],
                        |r| r.get(0),
                    )?;
                    Operation::Delete {
                        base_versions: serde_json::from_str(&versions)
                            .map_err(|e| bad(format!("versions of {item}: {e}")))?,
                    }
                }
            };
            let seq = sequences.entry(program.clone()).or_insert(0);
            *seq += 1;
            let operation = serde_json::to_string(&operation).map_err(|e| bad(e.to_string()))?;
            insert.execute(params![
                program,
                *seq,
                Id::new().to_string(),
                kind,
                item,
                operation,
                author,
                at
            ])?;
        }
    }
    for (program, last) in &sequences {
        tx.execute(
            "INSERT INTO client_sequences (program_id, last_seq) VALUES (?1, ?2)",
            params![program, last],
        )?;
    }
    tx.execute_batch(
        "DROP TABLE outbox;
         ALTER TABLE outbox_typed RENAME TO outbox;
         CREATE INDEX outbox_of_item ON outbox (item_id);",
    )?;
    Ok(())
}

/// What ties a database to its file: on Unix the device and inode, which a copy or a restored
/// backup does not share with the original. `None` where the platform gives nothing stable.
fn file_identity(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path)
            .ok()
            .map(|m| format!("{}:{}", m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

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

        let client_id = if read_only {
            conn.query_row("SELECT value FROM meta WHERE key = 'client_id'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()
            .map_err(sql)?
            .map(|text| parse_client_id(path, &text))
            .transpose()?
            .unwrap_or_default()
        } else {
            client_identity(&mut conn, path)?
        };
        Ok(Store {
            conn,
            path: path.to_owned(),
            client_id,
            read_only,
            pinned: None,
        })
    }

    /// `PRAGMA integrity_check`, for tests and a future `roadbook check`.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| classify(&self.path, e))
    }
}

fn parse_client_id(path: &Path, text: &str) -> Result<Id> {
    text.parse().map_err(|_| StoreError::Corrupt {
        path: path.to_owned(),
        detail: format!("client id '{text}' is not an id"),
    })
}

/// This database's client id for the sync, made when the database is. A file that is not the
/// one the id was made for (a copy, or a backup restored) takes a fresh id, and its pending
/// changes are numbered afresh under it: two files must never push different changes under one
/// id and sequence number, which the server would take for replays and skip.
fn client_identity(conn: &mut Connection, path: &Path) -> Result<Id> {
    let sql = |e| classify(path, e);
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sql)?;
    let read = |key: &str| -> Result<Option<String>> {
        tx.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(sql)
    };
    let existing = read("client_id")?
        .map(|t| parse_client_id(path, &t))
        .transpose()?;
    let bound = read("client_file")?;
    let here = file_identity(path);
    let id = match (existing, bound) {
        (Some(id), Some(bound)) if Some(&bound) == here.as_ref() => return Ok(id),
        (Some(id), None) => id,
        (None, _) => Id::new(),
        (Some(_), Some(_)) => {
            // A copy: a new identity, and sequence numbers that start again under it.
            renumber_outbox(&tx).map_err(sql)?;
            Id::new()
        }
    };
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('client_id', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![id.to_string()],
    )
    .map_err(sql)?;
    if let Some(here) = here {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('client_file', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![here],
        )
        .map_err(sql)?;
    }
    tx.commit().map_err(sql)?;
    Ok(id)
}

/// Numbers every pending outbox entry afresh, 1, 2, 3, ... per program, for a new client id.
pub(crate) fn renumber_outbox(tx: &Transaction) -> rusqlite::Result<()> {
    tx.execute_batch(
        "DELETE FROM client_sequences;
         UPDATE outbox SET client_seq = -client_seq;",
    )?;
    let rows: Vec<(i64, String)> = tx
        .prepare("SELECT seq, program_id FROM outbox ORDER BY seq")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut next: BTreeMap<String, i64> = BTreeMap::new();
    for (seq, program) in rows {
        let n = next.entry(program.clone()).or_insert(0);
        *n += 1;
        tx.execute(
            "UPDATE outbox SET client_seq = ?2 WHERE seq = ?1",
            params![seq, *n],
        )?;
    }
    for (program, last) in next {
        tx.execute(
            "INSERT INTO client_sequences (program_id, last_seq) VALUES (?1, ?2)",
            params![program, last],
        )?;
    }
    Ok(())
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
    fn the_migrations_keep_every_item_of_an_older_database_and_key_its_lists() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations().to_version(&mut conn, 2).unwrap();
        conn.execute_batch(
            "INSERT INTO programs (id, created_at) VALUES ('p', 't');
             INSERT INTO items (id, program_id, kind, position, body, versions, deleted, updated_at)
             VALUES ('a', 'p', 'decision', 7, '{\"title\":\"Okta\"}', '{\"title\":1}', 1, 't'),
                    ('b', 'p', 'decision', 3, '{\"title\":\"Kanopy\"}', '{\"title\":2}', 0, 't');
             INSERT INTO history (program_id, item_kind, item_id, field, old_value, new_value, author, changed_at)
             VALUES ('p', 'decision', 'a', 'title', NULL, '\"Okta\"', 'lead', 't');",
        )
        .unwrap();
        super::migrations().to_version(&mut conn, 3).unwrap();
        let position: f64 = conn
            .query_row("SELECT position FROM items WHERE id = 'a'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(position, 7.0);
        super::migrations().to_latest(&mut conn).unwrap();
        let rows: Vec<(String, String, String, String, String, i64)> = conn
            .prepare("SELECT id, position, body, versions, revisions, deleted FROM items ORDER BY position")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let history_id: i64 = conn
            .query_row("SELECT id FROM history", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            rows,
            vec![
                (
                    "b".to_owned(),
                    "a0".to_owned(),
                    r#"{"title":"Kanopy"}"#.to_owned(),
                    r#"{"title":0,"position":0}"#.to_owned(),
                    "{}".to_owned(),
                    0
                ),
                (
                    "a".to_owned(),
                    "a1".to_owned(),
                    r#"{"title":"Okta"}"#.to_owned(),
                    r#"{"title":0,"position":0}"#.to_owned(),
                    format!(r#"{{"title":{history_id}}}"#),
                    1
                ),
            ]
        );
    }
}
