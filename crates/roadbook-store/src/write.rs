//! Every write: one immediate transaction that changes the item and records, per field, a
//! history row and the outbox entry the sync pushes later.

use std::collections::HashSet;

use roadbook_model::{Entity, Handbook, Id, Invalid, Kind, Problem, Problems, Program, to_fields};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use serde_json::{Map, Value, json};

use crate::{Result, Saved, Store, StoreError, parse_id, parse_kind};

/// The time written into history and the outbox: UTC with milliseconds, fixed width, so text
/// order is time order in SQL.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn fields_of<E: Entity>(item: &E) -> Result<Map<String, Value>> {
    to_fields(item).map_err(|e| StoreError::BadStoredItem(e.to_string()))
}

/// The id is the item's identity, not one of its fields: it never changes and has no history.
const IDENTITY: &str = "id";

/// One field of an outbox entry: the new value and the version it was edited from (the sync's
/// base version; 0 for a field that did not exist).
fn outbox_field(value: Value, base_version: u64) -> Value {
    json!({ "value": value, "base_version": base_version })
}

/// Bumps `field`'s version and returns the version it had: the edit's base version.
fn bump(versions: &mut Map<String, Value>, field: &str) -> u64 {
    let base = versions.get(field).and_then(Value::as_u64).unwrap_or(0);
    versions.insert(field.to_owned(), json!(base + 1));
    base
}

struct Writer<'t> {
    tx: &'t Transaction<'t>,
    program: Id,
    author: &'t str,
    now: String,
}

impl Writer<'_> {
    fn create(
        &self,
        kind: Kind,
        id: Id,
        position: i64,
        fields: &Map<String, Value>,
    ) -> rusqlite::Result<()> {
        let versions: Map<String, Value> = fields
            .keys()
            .filter(|f| *f != IDENTITY)
            .map(|f| (f.clone(), json!(1)))
            .collect();
        self.tx
            .prepare_cached(
                "INSERT INTO items (id, program_id, kind, position, body, versions, deleted, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
            )?
            .execute(params![
                id.to_string(),
                self.program.to_string(),
                kind.as_str(),
                position,
                Value::Object(fields.clone()).to_string(),
                Value::Object(versions).to_string(),
                self.now
            ])?;
        let mut outbox = Map::new();
        for (field, value) in fields.iter().filter(|(f, _)| *f != IDENTITY) {
            self.history(kind, id, field, None, Some(value))?;
            outbox.insert(field.clone(), outbox_field(value.clone(), 0));
        }
        self.outbox("create", kind, id, outbox)
    }

    /// Writes the fields that differ and returns their names.
    fn update(
        &self,
        kind: Kind,
        id: Id,
        old: &Map<String, Value>,
        versions: &mut Map<String, Value>,
        new: &Map<String, Value>,
    ) -> rusqlite::Result<Vec<String>> {
        let mut changed = Vec::new();
        let mut outbox = Map::new();
        let names: Vec<&String> = new
            .keys()
            .chain(old.keys().filter(|k| !new.contains_key(*k)))
            .collect();
        for field in names.into_iter().filter(|f| *f != IDENTITY) {
            let (before, after) = (old.get(field), new.get(field));
            if before == after {
                continue;
            }
            let base = bump(versions, field);
            self.history(kind, id, field, before, after)?;
            outbox.insert(
                field.clone(),
                outbox_field(after.cloned().unwrap_or(Value::Null), base),
            );
            changed.push(field.clone());
        }
        if changed.is_empty() {
            return Ok(changed);
        }
        self.tx
            .prepare_cached(
                "UPDATE items SET body = ?2, versions = ?3, updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![
                id.to_string(),
                Value::Object(new.clone()).to_string(),
                Value::Object(versions.clone()).to_string(),
                self.now
            ])?;
        self.outbox("update", kind, id, outbox)?;
        Ok(changed)
    }

    fn history(
        &self,
        kind: Kind,
        id: Id,
        field: &str,
        old: Option<&Value>,
        new: Option<&Value>,
    ) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO history (program_id, item_kind, item_id, field, old_value, new_value, author, changed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                self.program.to_string(),
                kind.as_str(),
                id.to_string(),
                field,
                old.map(Value::to_string),
                new.map(Value::to_string),
                self.author,
                self.now
            ])?;
        Ok(())
    }

    fn outbox(
        &self,
        op: &str,
        kind: Kind,
        id: Id,
        fields: Map<String, Value>,
    ) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO outbox (program_id, op, item_kind, item_id, fields, author, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                self.program.to_string(),
                op,
                kind.as_str(),
                id.to_string(),
                Value::Object(fields).to_string(),
                self.author,
                self.now
            ])?;
        Ok(())
    }
}

fn problem(path: impl Into<String>, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(Invalid::from(Problem {
        path: path.into(),
        message: message.into(),
    }))
}

impl Store {
    fn writable(&self) -> Result<()> {
        if self.read_only {
            Err(StoreError::ReadOnly {
                path: self.path.clone(),
            })
        } else {
            Ok(())
        }
    }

    fn begin(&mut self) -> Result<Transaction<'_>> {
        let path = self.path.clone();
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| crate::error::classify(&path, e))
    }

    /// Adds a whole program: validated first, then written in one transaction, or not at all.
    pub fn import(&mut self, handbook: &Handbook, author: &str) -> Result<()> {
        self.writable()?;
        handbook.validate()?;
        let path = self.path.clone();
        let sql = |e| crate::error::classify(&path, e);
        let program = handbook.program.id;
        let tx = self.begin()?;
        if tx
            .query_row(
                "SELECT 1 FROM programs WHERE id = ?1",
                params![program.to_string()],
                |_| Ok(()),
            )
            .optional()
            .map_err(sql)?
            .is_some()
        {
            return Err(StoreError::ProgramExists {
                id: program,
                name: handbook.program.name.clone(),
            });
        }
        let writer = Writer {
            tx: &tx,
            program,
            author,
            now: now(),
        };
        tx.execute(
            "INSERT INTO programs (id, created_at) VALUES (?1, ?2)",
            params![program.to_string(), writer.now],
        )
        .map_err(sql)?;
        {
            let mut taken = tx
                .prepare_cached("SELECT 1 FROM items WHERE id = ?1")
                .map_err(sql)?;
            for (position, (path, item)) in handbook.entities().into_iter().enumerate() {
                if taken.exists(params![item.id().to_string()]).map_err(sql)? {
                    return Err(problem(
                        format!("{path}.id"),
                        format!(
                            "{} is already used by an item of another program in this database",
                            item.id()
                        ),
                    ));
                }
                let fields = item
                    .to_fields()
                    .map_err(|e| StoreError::BadStoredItem(e.to_string()))?;
                writer
                    .create(item.kind(), item.id(), position as i64, &fields)
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// Creates the item, or writes the fields that changed. Checks the item and its references
    /// first; on any problem nothing is written.
    pub fn save<E: Entity>(&mut self, program: Id, item: &E, author: &str) -> Result<Saved> {
        self.writable()?;
        let mut problems = Problems::with_prefix(E::KIND.noun());
        item.check(&mut problems);
        problems.into_result()?;
        let new = fields_of(item)?;
        let path = self.path.clone();
        let sql = |e| crate::error::classify(&path, e);
        let id = item.id();

        let tx = self.begin()?;
        check_references(&tx, program, item).map_err(|e| match e {
            Checked::Sql(e) => sql(e),
            Checked::Store(e) => e,
        })?;
        if matches!(E::KIND, Kind::Status | Kind::Owner) {
            let name = new.get("name").and_then(Value::as_str).unwrap_or_default();
            check_unique_name(&tx, program, E::KIND, id, name).map_err(|e| match e {
                Checked::Sql(e) => sql(e),
                Checked::Store(e) => e,
            })?;
        }
        let current = tx
            .query_row(
                "SELECT program_id, kind, body, versions, deleted FROM items WHERE id = ?1",
                params![id.to_string()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                },
            )
            .optional()
            .map_err(sql)?;
        let writer = Writer {
            tx: &tx,
            program,
            author,
            now: now(),
        };
        let saved = match current {
            None => {
                if E::KIND == Kind::Program {
                    return Err(StoreError::Unsupported {
                        action: "creating a program this way",
                        why: "a new program comes from `roadbook init` or `roadbook import`",
                    });
                }
                let known = tx
                    .query_row(
                        "SELECT 1 FROM programs WHERE id = ?1",
                        params![program.to_string()],
                        |_| Ok(()),
                    )
                    .optional()
                    .map_err(sql)?;
                if known.is_none() {
                    return Err(StoreError::NotFound {
                        kind: Some(Kind::Program),
                        id: program,
                    });
                }
                let position: i64 = tx
                    .query_row(
                        "SELECT CAST(coalesce(max(position), 0) AS INTEGER) + 1 FROM items WHERE program_id = ?1",
                        params![program.to_string()],
                        |r| r.get(0),
                    )
                    .map_err(sql)?;
                writer.create(E::KIND, id, position, &new).map_err(sql)?;
                Saved::Created
            }
            Some((_, _, _, _, deleted)) if deleted != 0 => {
                return Err(StoreError::NotFound {
                    kind: Some(E::KIND),
                    id,
                });
            }
            Some((owner, kind, body, versions, _)) => {
                let kind = parse_kind(&kind)?;
                if kind != E::KIND {
                    return Err(StoreError::WrongKind {
                        id,
                        expected: E::KIND.noun(),
                        actual: kind.noun(),
                    });
                }
                if parse_id(&owner)? != program {
                    return Err(StoreError::NotFound {
                        kind: Some(E::KIND),
                        id,
                    });
                }
                let old: Map<String, Value> = crate::parse_body(&body)?;
                let mut versions: Map<String, Value> = crate::parse_body(&versions)?;
                let fields = writer
                    .update(kind, id, &old, &mut versions, &new)
                    .map_err(sql)?;
                if fields.is_empty() {
                    Saved::Unchanged
                } else {
                    Saved::Updated { fields }
                }
            }
        };
        drop(writer);
        tx.commit().map_err(sql)?;
        Ok(saved)
    }

    /// Deletes an item (a tombstone: history and sync keep it). Refused while other items
    /// still point at it, so a handbook never holds a dangling reference.
    pub fn delete(&mut self, id: Id, author: &str) -> Result<()> {
        self.writable()?;
        let located = self.locate(id)?;
        if located.kind == Kind::Program {
            return Err(StoreError::Unsupported {
                action: "deleting a whole program",
                why: "it is not built yet",
            });
        }
        let path = self.path.clone();
        let sql = |e| crate::error::classify(&path, e);
        let tx = self.begin()?;
        let (label, referrers) = {
            // Only bodies that mention the id can point at it; the model says which really do.
            let mut stmt = tx
                .prepare_cached(
                    "SELECT kind, body, id FROM items WHERE program_id = ?1 AND deleted = 0 AND (id = ?2 OR instr(body, ?2) > 0)",
                )
                .map_err(sql)?;
            let rows = stmt
                .query_map(
                    params![located.program_id.to_string(), id.to_string()],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    },
                )
                .map_err(sql)?;
            let mut scratch = Handbook::empty(Program::new("scratch"));
            let mut label = String::new();
            for row in rows {
                let (kind, body, item) = row.map_err(sql)?;
                let kind = parse_kind(&kind)?;
                scratch
                    .push_json(kind, &body)
                    .map_err(|e| StoreError::BadStoredItem(e.to_string()))?;
                if parse_id(&item)? == id {
                    label = scratch
                        .entities()
                        .last()
                        .map(|(_, e)| e.label().to_owned())
                        .unwrap_or_default();
                }
            }
            let referrers: Vec<String> = scratch
                .entities()
                .into_iter()
                .skip(1)
                .filter(|(_, e)| e.id() != id && e.references().iter().any(|r| r.id == id))
                .map(|(_, e)| format!("{} '{}'", e.kind().noun(), e.label()))
                .collect();
            (label, referrers)
        };
        if !referrers.is_empty() {
            return Err(StoreError::StillReferenced {
                kind: located.kind.noun(),
                label,
                by: referrers.join(", "),
            });
        }
        let writer = Writer {
            tx: &tx,
            program: located.program_id,
            author,
            now: now(),
        };
        tx.execute(
            "UPDATE items SET deleted = 1, updated_at = ?2 WHERE id = ?1",
            params![id.to_string(), writer.now],
        )
        .map_err(sql)?;
        writer
            .history(
                located.kind,
                id,
                "deleted",
                Some(&json!(false)),
                Some(&json!(true)),
            )
            .map_err(sql)?;
        writer
            .outbox("delete", located.kind, id, Map::new())
            .map_err(sql)?;
        drop(writer);
        tx.commit().map_err(sql)
    }
}

/// The field a move changes. Order is stored in the `position` column (a number; SQLite keeps a
/// fractional one as REAL), but it travels in history and the outbox like any other field, so
/// sync carries a lead's ordering to the team.
pub const POSITION: &str = "position";

impl Store {
    /// Moves an item within its list: just before `before` (another item of the same kind in
    /// the same program), or to the end when `before` is none. One history row and one outbox
    /// entry for the moved item; nothing else changes unless the gap between two neighbours has
    /// run out of precision, when the list is renumbered (outbox entries, no history: nobody
    /// changed those items' order).
    pub fn move_item(&mut self, id: Id, before: Option<Id>, author: &str) -> Result<Saved> {
        self.writable()?;
        let located = self.locate(id)?;
        if located.kind == Kind::Program {
            return Err(StoreError::Unsupported {
                action: "moving a program",
                why: "a program is not part of a list",
            });
        }
        if before == Some(id) {
            return Ok(Saved::Unchanged);
        }
        let path = self.path.clone();
        let sql = |e| crate::error::classify(&path, e);
        let tx = self.begin()?;
        let mut list: Vec<(Id, f64, String)> = {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT id, position, versions FROM items
                     WHERE program_id = ?1 AND kind = ?2 AND deleted = 0 ORDER BY position",
                )
                .map_err(sql)?;
            let rows = stmt
                .query_map(
                    params![located.program_id.to_string(), located.kind.as_str()],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, f64>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    },
                )
                .map_err(sql)?;
            let mut list = Vec::new();
            for row in rows {
                let (item, position, versions) = row.map_err(sql)?;
                list.push((parse_id(&item)?, position, versions));
            }
            list
        };
        let Some(from) = list.iter().position(|(item, _, _)| *item == id) else {
            return Err(StoreError::NotFound {
                kind: Some(located.kind),
                id,
            });
        };
        let moving = list.remove(from);
        let to = match before {
            None => list.len(),
            Some(before) => list
                .iter()
                .position(|(item, _, _)| *item == before)
                .ok_or_else(|| {
                    problem(
                        "before",
                        format!(
                            "{before} is not a {} of this program: an item moves only among its own kind",
                            located.kind.noun()
                        ),
                    )
                })?,
        };
        if to == from {
            return Ok(Saved::Unchanged);
        }
        let previous = to.checked_sub(1).and_then(|n| list.get(n)).map(|x| x.1);
        let next = list.get(to).map(|x| x.1);
        let between = match (previous, next) {
            (Some(a), Some(b)) => Some((a + b) / 2.0).filter(|m| a < *m && *m < b),
            (None, Some(b)) => Some(b - 1.0),
            (Some(a), None) => Some(a + 1.0),
            (None, None) => Some(moving.1),
        };
        let writer = Writer {
            tx: &tx,
            program: located.program_id,
            author,
            now: now(),
        };
        let old_position = moving.1;
        list.insert(to, moving);
        let renumbered: Vec<(usize, f64)> = match between {
            Some(position) => vec![(to, position)],
            // Out of precision between two neighbours: space the whole list out again from
            // where it starts, keeping its place among the program's other items.
            None => {
                let start = list
                    .first()
                    .map(|x| x.1.min(old_position))
                    .unwrap_or(0.0)
                    .floor();
                (0..list.len()).map(|n| (n, start + n as f64)).collect()
            }
        };
        for (n, position) in renumbered {
            let Some((item, old, versions)) = list.get(n) else {
                continue;
            };
            if *old == position && n != to {
                continue;
            }
            let mut versions: Map<String, Value> = crate::parse_body(versions)?;
            let base = bump(&mut versions, POSITION);
            tx.prepare_cached(
                "UPDATE items SET position = ?2, versions = ?3, updated_at = ?4 WHERE id = ?1",
            )
            .map_err(sql)?
            .execute(params![
                item.to_string(),
                position,
                Value::Object(versions).to_string(),
                writer.now
            ])
            .map_err(sql)?;
            if n == to {
                writer
                    .history(
                        located.kind,
                        *item,
                        POSITION,
                        Some(&json!(old_position)),
                        Some(&json!(position)),
                    )
                    .map_err(sql)?;
            }
            let mut fields = Map::new();
            fields.insert(POSITION.to_owned(), outbox_field(json!(position), base));
            writer
                .outbox("update", located.kind, *item, fields)
                .map_err(sql)?;
        }
        drop(writer);
        tx.commit().map_err(sql)?;
        Ok(Saved::Updated {
            fields: vec![POSITION.to_owned()],
        })
    }
}

enum Checked {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for Checked {
    fn from(e: rusqlite::Error) -> Self {
        Checked::Sql(e)
    }
}

fn check_references<E: Entity>(tx: &Transaction<'_>, program: Id, item: &E) -> Result<(), Checked> {
    let mut problems = Problems::with_prefix(E::KIND.noun());
    let mut stmt =
        tx.prepare_cached("SELECT kind, program_id FROM items WHERE id = ?1 AND deleted = 0")?;
    let mut seen = HashSet::new();
    for reference in item.references() {
        if !seen.insert((reference.field, reference.id)) {
            continue;
        }
        let found = stmt
            .query_row(params![reference.id.to_string()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .optional()?;
        match found {
            Some((kind, owner))
                if kind == reference.kind.as_str() && owner == program.to_string() => {}
            Some((kind, owner)) if owner == program.to_string() => problems.at(
                reference.field,
                format!(
                    "refers to {}, which is a {kind} where a {} is expected",
                    reference.id,
                    reference.kind.noun()
                ),
            ),
            _ => problems.at(
                reference.field,
                format!(
                    "refers to {} {}, which is not in this program",
                    reference.kind.noun(),
                    reference.id
                ),
            ),
        }
    }
    problems.into_result().map_err(|e| Checked::Store(e.into()))
}

fn check_unique_name(
    tx: &Transaction<'_>,
    program: Id,
    kind: Kind,
    id: Id,
    name: &str,
) -> Result<(), Checked> {
    let mut stmt = tx.prepare_cached(
        "SELECT json_extract(body, '$.name') FROM items WHERE program_id = ?1 AND kind = ?2 AND deleted = 0 AND id <> ?3",
    )?;
    let names = stmt.query_map(
        params![program.to_string(), kind.as_str(), id.to_string()],
        |r| r.get::<_, String>(0),
    )?;
    for other in names {
        if other?.trim().to_lowercase() == name.trim().to_lowercase() {
            return Err(Checked::Store(problem(
                format!("{}.name", kind.noun()),
                format!(
                    "'{name}' is already the name of another {}: names must differ",
                    kind.noun()
                ),
            )));
        }
    }
    Ok(())
}
