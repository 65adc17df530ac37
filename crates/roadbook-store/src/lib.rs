//! The lead's handbook on disk: one SQLite file per machine holding any number of programs.
//!
//! Every change runs in one transaction that reads and checks what it changes, then writes the
//! item, a history row per changed field and an outbox entry for the sync, so a crash leaves
//! either all of them or none. Edits are field changes with the revision the person saw, never
//! whole-item saves; changes pulled from the server are applied through [`Store::apply_remote`].

mod as_of;
mod baselines;
mod by_kind;
mod documents;
mod error;
mod files;
mod history;
mod links;
mod open;
mod outbox;
mod portfolio;
mod remote;
mod sync;
mod usage;
#[cfg(feature = "work-count")]
pub mod work;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use roadbook_model::{Entity, Handbook, Id, Kind, Program};
use rusqlite::{Connection, OptionalExtension, params};

pub use baselines::{Baseline, moment};
pub use documents::IssuedDocument;
pub use error::{Result, StoreError};
pub use files::write_atomically;
pub use history::{HistoryEntry, HistoryQuery};
pub use open::SCHEMA_VERSION;
pub use outbox::{FieldChange, Operation, OutboxEntry};
pub use remote::{RemoteApplied, RemoteChange, SetAside, SyncState};
pub use sync::{
    NOT_PERMITTED, PublishSnapshot, Rebootstrapped, RejectedChange, ServerItem, Settlement,
    StoredConflict,
};
pub use usage::QueuedUsage;
pub use write::{Clash, DELETED, Edits, FieldEdit, FieldNumbers, POSITION, edits_between};

/// The author history records when nobody is named (no name given, none signed in, no OS
/// user). Documents leave out "Prepared by" rather than print it.
pub const NO_AUTHOR: &str = "unknown";

/// An open Roadbook database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    client_id: Id,
    read_only: bool,
    /// When set, every change is recorded as made at this moment (see [`Store::pin_clock`]).
    pinned: Option<chrono::DateTime<chrono::Utc>>,
}

/// One line of `roadbook programs`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProgramSummary {
    pub id: Id,
    pub name: String,
    pub items: u64,
}

/// Where an item lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    pub program_id: Id,
    pub kind: Kind,
}

/// What a write did.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "saved", rename_all = "snake_case")]
pub enum Saved {
    Created,
    /// The fields written and their new revisions (what the person has now seen, for an undo).
    Updated {
        fields: Vec<String>,
        #[cfg_attr(feature = "ts", ts(type = "Record<string, number>"))]
        revisions: FieldNumbers,
    },
    Unchanged,
}

/// A program's handbook with the revision of every field of every item, read together, so an
/// edit made from it names exactly the revisions its values came from.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Loaded {
    pub handbook: Handbook,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, Record<string, number>>"))]
    pub revisions: BTreeMap<Id, FieldNumbers>,
}

impl Store {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This database's identity in the sync (the client id of its outbox entries).
    pub fn client_id(&self) -> Id {
        self.client_id
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn sql(&self, err: rusqlite::Error) -> StoreError {
        error::classify(&self.path, err)
    }

    /// The newest history entry's number (0 when there is none): it grows with every change
    /// written, here, by the command line or pulled from the team, so a reader that looked
    /// before can tell nothing changed since without reading the programs.
    pub fn last_change(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT coalesce(max(id), 0) FROM history", [], |r| r.get(0))
            .map_err(|e| self.sql(e))
    }

    /// A number that moves whenever another connection commits to this database (the command
    /// line, a second window) and never for this connection's own writes: a window polls it to
    /// know its screens show what another process has since changed (SQLite's `data_version`).
    pub fn data_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.sql(e))
    }

    pub fn programs(&self) -> Result<Vec<ProgramSummary>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT p.id, i.body, (SELECT count(*) FROM items c WHERE c.program_id = p.id AND c.deleted = 0)
                 FROM programs p JOIN items i ON i.id = p.id AND i.kind = 'program' ORDER BY p.created_at, p.id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, body, items) = row.map_err(|e| self.sql(e))?;
            let program: Program = parse_body(&body)?;
            out.push(ProgramSummary {
                id: parse_id(&id)?,
                name: program.name,
                items: items.max(0) as u64,
            });
        }
        Ok(out)
    }

    /// The program to work on: the one given, or the only one there is.
    pub fn resolve_program(&self, given: Option<Id>) -> Result<Id> {
        if let Some(id) = given {
            let located = self.locate(id)?;
            if located.kind != Kind::Program {
                return Err(StoreError::WrongKind {
                    id,
                    expected: "program",
                    actual: located.kind.noun(),
                });
            }
            return Ok(id);
        }
        // Which programs there are, not their sizes: a command on a large program must not
        // count or scan its items to find it. CROSS JOIN keeps SQLite's loop on the few
        // programs, each looked up by id (a plain JOIN let it scan the items instead).
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT p.id FROM programs p CROSS JOIN items i ON i.id = p.id AND i.kind = 'program'
                 ORDER BY p.created_at, p.id",
            )
            .map_err(|e| self.sql(e))?;
        let ids = stmt
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(|e| self.sql(e))?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| self.sql(e))?;
        match ids.as_slice() {
            [] => Err(StoreError::NoProgram),
            [only] => parse_id(only),
            many => Err(StoreError::WhichProgram { count: many.len() }),
        }
    }

    /// The whole handbook of one program, each list in its order.
    pub fn load(&self, program: Id) -> Result<Handbook> {
        Ok(self.read_program(program, false)?.handbook)
    }

    /// The handbook and the revision of each field, for a window that edits it.
    pub fn load_with_revisions(&self, program: Id) -> Result<Loaded> {
        self.read_program(program, true)
    }

    fn read_program(&self, program: Id, with_revisions: bool) -> Result<Loaded> {
        // One read transaction, so the handbook and its revisions are one moment. The program
        // record is found by its kind; the lists come in index order (kind, position, id), each
        // list in its own order, without a sort.
        let tx = self.conn.unchecked_transaction().map_err(|e| self.sql(e))?;
        let record: Option<(String, String)> = tx
            .query_row(
                "SELECT body, revisions FROM items WHERE id = ?1 AND program_id = ?1 AND kind = 'program' AND deleted = 0",
                params![program.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        let Some((body, program_revisions)) = record else {
            return Err(StoreError::NotFound {
                kind: Some(Kind::Program),
                id: program,
            });
        };
        let mut handbook = Handbook::empty(parse_body(&body)?);
        let mut revisions = BTreeMap::new();
        if with_revisions {
            revisions.insert(program, parse_body(&program_revisions)?);
        }
        let sql = if with_revisions {
            "SELECT id, kind, body, revisions FROM items
             WHERE program_id = ?1 AND kind <> 'program' AND deleted = 0 ORDER BY kind, position, id"
        } else {
            "SELECT id, kind, body FROM items
             WHERE program_id = ?1 AND kind <> 'program' AND deleted = 0 ORDER BY kind, position, id"
        };
        let mut stmt = tx.prepare_cached(sql).map_err(|e| self.sql(e))?;
        let mut rows = stmt
            .query(params![program.to_string()])
            .map_err(|e| self.sql(e))?;
        while let Some(row) = rows.next().map_err(|e| self.sql(e))? {
            let text = |n: usize| -> Result<&str> {
                row.get_ref(n)
                    .map_err(|e| self.sql(e))?
                    .as_str()
                    .map_err(|e| self.sql(e.into()))
            };
            let kind = parse_kind(text(1)?)?;
            handbook.push_json(kind, text(2)?).map_err(|e| {
                StoreError::BadStoredItem(format!(
                    "{} {}: {e}",
                    kind.noun(),
                    text(0).unwrap_or_default()
                ))
            })?;
            if with_revisions {
                revisions.insert(parse_id(text(0)?)?, parse_body(text(3)?)?);
            }
        }
        Ok(Loaded {
            handbook,
            revisions,
        })
    }

    /// Where an item lives and what it is; deleted items are not found.
    pub fn locate(&self, id: Id) -> Result<Located> {
        self.located(id, false)
    }

    /// Where a deleted item was: what an undo of its delete needs to know before it brings it back.
    pub fn locate_deleted(&self, id: Id) -> Result<Located> {
        self.located(id, true)
    }

    fn located(&self, id: Id, deleted: bool) -> Result<Located> {
        self.conn
            .query_row(
                "SELECT program_id, kind FROM items WHERE id = ?1 AND deleted = ?2",
                params![id.to_string(), deleted],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .ok_or(StoreError::NotFound { kind: None, id })
            .and_then(|(program, kind)| {
                Ok(Located {
                    program_id: parse_id(&program)?,
                    kind: parse_kind(&kind)?,
                })
            })
    }

    /// One item and the program it belongs to.
    pub fn get<E: Entity>(&self, id: Id) -> Result<(Id, E)> {
        self.get_revised(id)
            .map(|(program, item, _)| (program, item))
    }

    /// One item, the program it belongs to and the revision of each of its fields, read
    /// together: what an edit of it names as seen.
    pub fn get_revised<E: Entity>(&self, id: Id) -> Result<(Id, E, FieldNumbers)> {
        let row = self
            .conn
            .query_row(
                "SELECT program_id, kind, body, revisions FROM items WHERE id = ?1 AND deleted = 0",
                params![id.to_string()],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        let Some((program, kind, body, revisions)) = row else {
            return Err(StoreError::NotFound {
                kind: Some(E::KIND),
                id,
            });
        };
        let kind = parse_kind(&kind)?;
        if kind != E::KIND {
            return Err(StoreError::WrongKind {
                id,
                expected: E::KIND.noun(),
                actual: kind.noun(),
            });
        }
        Ok((
            parse_id(&program)?,
            parse_body(&body)?,
            parse_body(&revisions)?,
        ))
    }

    /// The server version of each field of an item (what its next edit names as base).
    pub fn field_versions(&self, id: Id) -> Result<FieldNumbers> {
        self.numbers(id, "versions")
    }

    /// The local revision of each field of an item.
    pub fn field_revisions(&self, id: Id) -> Result<FieldNumbers> {
        self.numbers(id, "revisions")
    }

    fn numbers(&self, id: Id, column: &str) -> Result<FieldNumbers> {
        let text: String = self
            .conn
            .query_row(
                &format!("SELECT {column} FROM items WHERE id = ?1"),
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .ok_or(StoreError::NotFound { kind: None, id })?;
        parse_body(&text)
    }

    /// The raw stored fields of an item (deleted or not), unknown ones included.
    pub fn stored_fields(&self, id: Id) -> Result<serde_json::Map<String, serde_json::Value>> {
        let text: String = self
            .conn
            .query_row(
                "SELECT body FROM items WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .ok_or(StoreError::NotFound { kind: None, id })?;
        parse_body(&text)
    }
}

pub(crate) fn parse_id(text: &str) -> Result<Id> {
    text.parse()
        .map_err(|e: roadbook_model::BadId| StoreError::BadStoredItem(e.to_string()))
}

pub(crate) fn parse_kind(text: &str) -> Result<Kind> {
    text.parse()
        .map_err(|e: roadbook_model::UnknownWord| StoreError::BadStoredItem(e.to_string()))
}

pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|e| StoreError::BadStoredItem(e.to_string()))
}
