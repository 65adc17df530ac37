//! The lead's handbook on disk: one SQLite file per machine holding any number of programs.
//!
//! Every change runs in one transaction that writes the item, a history row per changed field
//! and an outbox entry for the sync, so a crash leaves either all of them or none.

mod by_kind;
mod documents;
mod error;
mod files;
mod history;
mod open;
mod write;

use std::path::{Path, PathBuf};

use roadbook_model::{Entity, Handbook, Id, Kind, Program};
use rusqlite::{Connection, OptionalExtension, params};

pub use documents::IssuedDocument;
pub use error::{Result, StoreError};
pub use files::write_atomically;
pub use history::{HistoryEntry, HistoryQuery, OutboxEntry, OutboxField};
pub use open::SCHEMA_VERSION;
pub use write::POSITION;

/// An open Roadbook database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    client_id: Id,
    read_only: bool,
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

/// What a save did.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "saved", rename_all = "snake_case")]
pub enum Saved {
    Created,
    Updated { fields: Vec<String> },
    Unchanged,
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

    pub fn programs(&self) -> Result<Vec<ProgramSummary>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT p.id, i.body, (SELECT count(*) FROM items c WHERE c.program_id = p.id AND c.deleted = 0)
                 FROM programs p JOIN items i ON i.id = p.id ORDER BY p.created_at, p.id",
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
        let programs = self.programs()?;
        match programs.as_slice() {
            [] => Err(StoreError::NoProgram),
            [only] => Ok(only.id),
            many => Err(StoreError::WhichProgram { count: many.len() }),
        }
    }

    /// The whole handbook of one program, lists in the order their items were added.
    pub fn load(&self, program: Id) -> Result<Handbook> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT kind, body FROM items WHERE program_id = ?1 AND deleted = 0 ORDER BY position")
            .map_err(|e| self.sql(e))?;
        let mut rows = stmt
            .query(params![program.to_string()])
            .map_err(|e| self.sql(e))?;
        let mut handbook: Option<Handbook> = None;
        while let Some(row) = rows.next().map_err(|e| self.sql(e))? {
            let kind_text = row
                .get_ref(0)
                .map_err(|e| self.sql(e))?
                .as_str()
                .map_err(|e| self.sql(e.into()))?;
            let body = row
                .get_ref(1)
                .map_err(|e| self.sql(e))?
                .as_str()
                .map_err(|e| self.sql(e.into()))?;
            let kind = parse_kind(kind_text)?;
            match (&mut handbook, kind) {
                (None, Kind::Program) => handbook = Some(Handbook::empty(parse_body(body)?)),
                (None, _) => {
                    return Err(StoreError::BadStoredItem(format!(
                        "program {program} has items before its record"
                    )));
                }
                (Some(h), kind) => h
                    .push_json(kind, body)
                    .map_err(|e| StoreError::BadStoredItem(e.to_string()))?,
            }
        }
        handbook.ok_or(StoreError::NotFound {
            kind: Some(Kind::Program),
            id: program,
        })
    }

    /// Where an item lives and what it is; deleted items are not found.
    pub fn locate(&self, id: Id) -> Result<Located> {
        self.conn
            .query_row(
                "SELECT program_id, kind FROM items WHERE id = ?1 AND deleted = 0",
                params![id.to_string()],
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
        let row = self
            .conn
            .query_row(
                "SELECT program_id, kind, body FROM items WHERE id = ?1 AND deleted = 0",
                params![id.to_string()],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        let Some((program, kind, body)) = row else {
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
        Ok((parse_id(&program)?, parse_body(&body)?))
    }
}

fn parse_id(text: &str) -> Result<Id> {
    text.parse()
        .map_err(|e: roadbook_model::BadId| StoreError::BadStoredItem(e.to_string()))
}

fn parse_kind(text: &str) -> Result<Kind> {
    text.parse()
        .map_err(|e: roadbook_model::UnknownWord| StoreError::BadStoredItem(e.to_string()))
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|e| StoreError::BadStoredItem(e.to_string()))
}
