//! Every local write: one immediate transaction that reads and checks what it is about to
//! change, then writes the item, a history row per changed field and the outbox entry the sync
//! pushes later. Two writers never both act on what they read before the other wrote.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use roadbook_model::{
    Entity, Handbook, Id, Invalid, Kind, OrderKey, Problem, Problems, Program, for_kind,
    merge_sets, to_fields,
};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::classify;
use crate::outbox::{FieldChange, Operation};
use crate::{Result, Saved, Store, StoreError, parse_body, parse_id, parse_kind};

/// The pseudo-field a move changes: an item's order key travels in history and the outbox like
/// any other field, so the sync carries a lead's ordering to the team.
pub const POSITION: &str = "position";
/// The pseudo-field a delete changes (a tombstone flag).
pub const DELETED: &str = "deleted";
/// The id is the item's identity, not one of its fields: it never changes and has no history.
const IDENTITY: &str = "id";

/// Server version or local revision of each field of one item.
pub type FieldNumbers = BTreeMap<String, u64>;

/// One field a person changed: the new value and the revision of the field they saw (from
/// [`Store::load_with_revisions`] or [`Store::get_revised`]; 0 for a field that did not exist).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FieldEdit {
    pub value: Value,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seen: u64,
}

/// The fields of one edit, by name.
pub type Edits = BTreeMap<String, FieldEdit>;

/// A field changed by someone else since the person saw it, which they changed too.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Clash {
    pub field: String,
    /// The value the person wanted to write.
    pub yours: Value,
    /// The value the field holds now.
    pub theirs: Value,
    /// Its revision now: send it as `seen` to keep your value after all.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub revision: u64,
    /// Who made the change the person did not see, and when.
    pub author: String,
    pub changed_at: String,
}

/// The edits that turn `before` into `after` (two copies of one item): each field that
/// differs, with the revision the person saw for it in `seen`.
pub fn edits_between<E: Entity>(before: &E, after: &E, seen: &FieldNumbers) -> Result<Edits> {
    let old = to_fields(before).map_err(|e| StoreError::BadStoredItem(e.to_string()))?;
    let new = to_fields(after).map_err(|e| StoreError::BadStoredItem(e.to_string()))?;
    Ok(new
        .into_iter()
        .filter(|(field, value)| field != IDENTITY && old.get(field) != Some(value))
        .map(|(field, value)| {
            let seen = seen.get(&field).copied().unwrap_or(0);
            (field, FieldEdit { value, seen })
        })
        .collect())
}

/// The time written into history and the outbox: UTC with milliseconds, fixed width, so text
/// order is time order in SQL.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn problem(path: impl Into<String>, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(Invalid::from(Problem {
        path: path.into(),
        message: message.into(),
    }))
}

/// An item as stored.
#[derive(Debug, Clone)]
pub(crate) struct ItemRow {
    pub program: Id,
    pub kind: Kind,
    pub position: OrderKey,
    pub body: Map<String, Value>,
    pub versions: FieldNumbers,
    pub revisions: FieldNumbers,
    pub deleted: bool,
}

/// JSON text of a stored value (never fails for maps of JSON values and numbers; the error path
/// exists for the type's sake).
pub(super) fn text<T: Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

pub(crate) fn parse_key(text: &str) -> Result<OrderKey> {
    text.parse()
        .map_err(|e: roadbook_model::BadOrderKey| StoreError::BadStoredItem(e.to_string()))
}

/// Reads a stored body as `E` for checks. Fields this build does not know are ignored here (and
/// kept in the stored body); a field of the wrong type is a problem at its path.
pub(super) fn typed<E: Entity>(body: &Map<String, Value>) -> Result<E> {
    serde_path_to_error::deserialize(Value::Object(body.clone())).map_err(|err| {
        let path = err.path().to_string();
        problem(
            format!("{}.{path}", E::KIND.noun()),
            err.into_inner().to_string(),
        )
    })
}

/// The body with its id, whatever the stored body says (the id is the row's, not a field).
pub(crate) fn with_id(body: &Map<String, Value>, id: Id) -> Map<String, Value> {
    let mut body = body.clone();
    body.insert(IDENTITY.to_owned(), json!(id));
    body
}

/// The names of `E`'s fields, as a stored body of it has them.
fn field_names<E: Entity>(body: &Map<String, Value>, id: Id) -> Result<Vec<String>> {
    let item: E = typed(&with_id(body, id))?;
    Ok(to_fields(&item)
        .map_err(|e| StoreError::BadStoredItem(e.to_string()))?
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k != IDENTITY)
        .collect())
}

impl Store {
    pub(crate) fn writable(&self) -> Result<()> {
        if self.read_only {
            Err(StoreError::ReadOnly {
                path: self.path.clone(),
            })
        } else {
            Ok(())
        }
    }

    /// Runs `work` in one immediate transaction: committed if it returns Ok, rolled back (nothing
    /// written) otherwise.
    pub(crate) fn write<T>(&mut self, work: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.writable()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| classify(&self.path, e))?;
        let tx = Tx {
            tx,
            path: &self.path,
            now: self.pinned.map_or_else(now, |at| {
                at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            }),
        };
        let out = work(&tx)?;
        tx.tx.commit().map_err(|e| classify(&self.path, e))?;
        Ok(out)
    }

    /// Adds a whole program: validated first, then written in one transaction, or not at all.
    pub fn import(&mut self, handbook: &Handbook, author: &str) -> Result<()> {
        handbook.validate()?;
        let program = handbook.program.id;
        self.write(|tx| {
            if tx.program_exists(program)? {
                return Err(StoreError::ProgramExists {
                    id: program,
                    name: handbook.program.name.clone(),
                });
            }
            tx.tx
                .execute(
                    "INSERT INTO programs (id, created_at) VALUES (?1, ?2)",
                    params![program.to_string(), tx.now],
                )
                .map_err(|e| tx.sql(e))?;
            let mut last: HashMap<Kind, OrderKey> = HashMap::new();
            // The handbook's own items, for a dependency that names one as another program's.
            let own: HashMap<Id, Kind> = handbook
                .entities()
                .iter()
                .map(|(_, e)| (e.id(), e.kind()))
                .collect();
            for (path, item) in handbook.entities() {
                // An item of another program a dependency names: checked when that program is
                // here (a teammate's naming of one not here is kept as it was made).
                if let Some(on) = item.other_item() {
                    let found = match own.get(&on.item_id) {
                        Some(kind) => Some((program, *kind)),
                        None => live_anywhere(tx, on.item_id)?,
                    };
                    if on.program_id == program || found.is_some() {
                        roadbook_model::check_other_item(program, on, found)?;
                    }
                }
                let taken = tx
                    .tx
                    .prepare_cached("SELECT 1 FROM items WHERE id = ?1")
                    .and_then(|mut s| s.exists(params![item.id().to_string()]))
                    .map_err(|e| tx.sql(e))?;
                if taken {
                    return Err(problem(
                        format!("{path}.id"),
                        format!(
                            "{} is already used by an item of another program in this database",
                            item.id()
                        ),
                    ));
                }
                let key = OrderKey::after(last.get(&item.kind()));
                last.insert(item.kind(), key.clone());
                let fields = item
                    .to_fields()
                    .map_err(|e| StoreError::BadStoredItem(e.to_string()))?;
                let mut problems = Problems::with_prefix(path.clone());
                problems.nul_characters(&Value::Object(fields.clone()));
                problems.into_result()?;
                tx.create(program, item.kind(), item.id(), key, fields, author)?;
            }
            Ok(())
        })
    }

    /// Adds a new item at the end of its list. Checks the item and its references first; on
    /// any problem nothing is written.
    pub fn create<E: Entity>(&mut self, program: Id, item: &E, author: &str) -> Result<Saved> {
        if E::KIND == Kind::Program {
            return Err(StoreError::Unsupported {
                action: "creating a program this way",
                why: "a new program comes from `roadbook init` or `roadbook import`",
            });
        }
        let fields = to_fields(item).map_err(|e| StoreError::BadStoredItem(e.to_string()))?;
        let id = item.id();
        self.write(|tx| {
            if !tx.program_exists(program)? {
                return Err(StoreError::NotFound {
                    kind: Some(Kind::Program),
                    id: program,
                });
            }
            tx.may_change(program)?;
            if tx.item(id)?.is_some() {
                return Err(StoreError::Exists {
                    kind: E::KIND.noun(),
                    id,
                });
            }
            check::<E>(tx, program, &fields, None, id)?;
            let position = tx.key_at_end(program, E::KIND)?;
            tx.create(program, E::KIND, id, position, fields, author)?;
            Ok(Saved::Created)
        })
    }

    /// Writes the fields a person changed, and only those. Each field carries the revision the
    /// person saw; a field changed meanwhile by someone else (another window, the CLI, a
    /// teammate through the sync) to a value other than the one they saw is a clash: nothing is
    /// written and [`StoreError::Stale`] names each clash, so the person chooses. Set-valued
    /// fields are merged instead (both people's additions and removals stand).
    pub fn edit(
        &mut self,
        program: Id,
        kind: Kind,
        id: Id,
        edits: &Edits,
        author: &str,
    ) -> Result<Saved> {
        self.write(|tx| {
            let row = tx.live_item(Some(program), id, Some(kind))?;
            tx.may_change(program)?;
            let known = for_kind!(kind, field_names(&row.body, id))?;
            let mut problems = Problems::with_prefix(kind.noun());
            for field in edits.keys() {
                if field == POSITION {
                    problems.at(
                        field,
                        "a place in the list changes with a move, not an edit",
                    );
                } else if field == IDENTITY || field == DELETED || !known.contains(field) {
                    problems.at(field, format!("a {} has no such field", kind.noun()));
                }
            }
            problems.into_result()?;

            let mut clashes = Vec::new();
            let mut writes: Vec<(&String, Value)> = Vec::new();
            for (field, edit) in edits {
                let current = row.body.get(field).cloned().unwrap_or(Value::Null);
                let revision = row.revisions.get(field).copied().unwrap_or(0);
                let mut value = edit.value.clone();
                if edit.seen != revision {
                    let seen_value = match edit.seen {
                        0 => Some(Value::Null),
                        seen => tx.revision(seen)?.map(|(v, _, _)| v.unwrap_or(Value::Null)),
                    };
                    if seen_value.as_ref() != Some(&current) && value != current {
                        if kind.set_fields().contains(&field.as_str()) {
                            let base = seen_value.unwrap_or(Value::Array(Vec::new()));
                            value = merge_sets(&base, &value, &current);
                        } else {
                            let (_, by, at) = tx.revision(revision)?.unwrap_or_default();
                            clashes.push(Clash {
                                field: field.clone(),
                                yours: value,
                                theirs: current,
                                revision,
                                author: by,
                                changed_at: at,
                            });
                            continue;
                        }
                    }
                }
                if value != current || !row.body.contains_key(field) {
                    writes.push((field, value));
                }
            }
            if !clashes.is_empty() {
                return Err(StoreError::Stale {
                    kind: kind.noun(),
                    label: label_of(&row.body),
                    clashes,
                });
            }
            if writes.is_empty() {
                return Ok(Saved::Unchanged);
            }

            let mut next = row.clone();
            for (field, value) in &writes {
                next.body.insert((*field).clone(), value.clone());
            }
            for_kind!(kind, check(tx, program, &next.body, Some(&row.body), id))?;
            let mut outbox = BTreeMap::new();
            for (field, value) in writes {
                let revision = tx.history(
                    &row,
                    id,
                    field,
                    row.body.get(field),
                    Some(&value),
                    author,
                    &tx.now,
                )?;
                next.revisions.insert(field.clone(), revision);
                let set = if kind.set_fields().contains(&field.as_str()) {
                    roadbook_model::SetDelta::between(
                        row.body.get(field).unwrap_or(&Value::Null),
                        &value,
                    )
                } else {
                    None
                };
                outbox.insert(
                    field.clone(),
                    FieldChange {
                        value,
                        base_version: row.versions.get(field).copied().unwrap_or(0),
                        set,
                        kept: false,
                    },
                );
            }
            // Fields that belong together (a decision's status, outcome, rationale, decided by
            // and on) go out whole when one of them changed: the ones left as they were, with
            // the versions seen, so the server can tell a teammate's change to any of them and
            // hold the whole decision in one conflict with this person's full version.
            let guarded = kind.guarded_fields();
            if outbox.keys().any(|f| guarded.contains(&f.as_str())) {
                for field in guarded {
                    if !outbox.contains_key(*field) {
                        outbox.insert(
                            (*field).to_owned(),
                            FieldChange {
                                value: next.body.get(*field).cloned().unwrap_or(Value::Null),
                                base_version: row.versions.get(*field).copied().unwrap_or(0),
                                set: None,
                                kept: true,
                            },
                        );
                    }
                }
            }
            tx.update_item(id, &next)?;
            let fields: Vec<String> = outbox
                .iter()
                .filter(|(_, c)| !c.kept)
                .map(|(f, _)| f.clone())
                .collect();
            let revisions = fields
                .iter()
                .filter_map(|f| next.revisions.get(f).map(|r| (f.clone(), *r)))
                .collect();
            tx.outbox(&next, id, &Operation::Update { fields: outbox }, author)?;
            Ok(Saved::Updated { fields, revisions })
        })
    }

    /// Deletes an item (a tombstone: history and sync keep it). Refused while other items
    /// still point at it, so a handbook never holds a dangling reference. The check and the
    /// write are one transaction: two deletes at once write one tombstone.
    pub fn delete(&mut self, id: Id, author: &str) -> Result<()> {
        self.write(|tx| {
            let row = tx.live_item(None, id, None)?;
            tx.may_change(row.program)?;
            if row.kind == Kind::Program {
                return Err(StoreError::Unsupported {
                    action: "deleting a whole program",
                    why: "it is not built yet",
                });
            }
            let referrers = referrers(tx, row.program, id)?;
            if !referrers.is_empty() {
                return Err(StoreError::StillReferenced {
                    kind: row.kind.noun(),
                    label: label_of(&row.body),
                    by: referrers.join(", "),
                });
            }
            let mut next = row.clone();
            next.deleted = true;
            let revision = tx.history(
                &row,
                id,
                DELETED,
                Some(&json!(false)),
                Some(&json!(true)),
                author,
                &tx.now,
            )?;
            next.revisions.insert(DELETED.to_owned(), revision);
            tx.update_item(id, &next)?;
            tx.outbox(
                &next,
                id,
                &Operation::Delete {
                    base_versions: row.versions.clone(),
                },
                author,
            )
        })
    }

    /// Brings back a deleted item (an undo of the delete): the same id, fields and place in its
    /// list, so history and references read on as if it had never gone. Checked like a new item
    /// (something it refers to may have gone since); on any problem nothing is written. The
    /// outbox carries it as a create with every field, which the server applies to its tombstone.
    pub fn restore(&mut self, id: Id, author: &str) -> Result<()> {
        self.write(|tx| {
            let row = match tx.item(id)? {
                Some(row) if row.deleted => row,
                Some(row) => {
                    return Err(StoreError::Unsupported {
                        action: "bringing back an item that is not deleted",
                        why: match row.kind {
                            Kind::Program => "a program is never deleted",
                            _ => "it is still in its list",
                        },
                    });
                }
                None => return Err(StoreError::NotFound { kind: None, id }),
            };
            tx.may_change(row.program)?;
            let mut body = row.body.clone();
            body.remove(IDENTITY);
            // The same item back: a rule it broke before it went does not keep it away.
            for_kind!(row.kind, check(tx, row.program, &body, Some(&body), id))?;
            let mut next = row.clone();
            next.deleted = false;
            next.revisions
                .insert(DELETED.to_owned(), tx.lift_tombstone(&row, id, author)?);
            tx.update_item(id, &next)?;
            body.insert(POSITION.to_owned(), json!(row.position.as_str()));
            tx.outbox(&next, id, &Operation::Create { fields: body }, author)
        })
    }

    /// Moves an item within its list: just before `before` (another item of the same kind in
    /// the same program), or to the end when `before` is none. The moved item gets an order key
    /// between its new neighbours' and nothing else changes (one history row, one outbox entry),
    /// unless the neighbours share a key (two people moved items into one gap at once), when
    /// the items sharing it after the gap get keys of their own first, in the same order.
    pub fn move_item(&mut self, id: Id, before: Option<Id>, author: &str) -> Result<Saved> {
        self.write(|tx| {
            let row = tx.live_item(None, id, None)?;
            tx.may_change(row.program)?;
            if row.kind == Kind::Program {
                return Err(StoreError::Unsupported {
                    action: "moving a program",
                    why: "a program is not part of a list",
                });
            }
            if before == Some(id) {
                return Ok(Saved::Unchanged);
            }
            // The new neighbours, read through the index: the item to stand before (or none:
            // the end) and the one that will precede the moved item.
            let mut next = match before {
                None => None,
                Some(before) => match tx.item(before)? {
                    Some(b) if !b.deleted && b.program == row.program && b.kind == row.kind => {
                        Some((before, b.position))
                    }
                    _ => {
                        return Err(problem(
                            "before",
                            format!(
                                "{before} is not a {} of this program: an item moves only among its own kind",
                                row.kind.noun()
                            ),
                        ));
                    }
                },
            };
            let at = next.as_ref().map(|(i, k)| (k, *i));
            let previous = tx.previous(row.program, row.kind, at, Some(id))?;
            // Already there: the item that precedes the place is the item itself.
            let here = tx.previous(row.program, row.kind, at, None)?;
            if here.as_ref().is_some_and(|(i, _)| *i == id) {
                return Ok(Saved::Unchanged);
            }
            if let (Some((p_id, p_key)), Some((n_id, n_key))) = (&previous, &next)
                && p_key == n_key
                && !(*p_id < id && id < *n_id)
            {
                // The neighbours share a key and this id does not fall between theirs: give
                // the run of items with that key, from the next one on, keys of their own.
                let mut run = vec![*n_id];
                let mut bound = None;
                let mut cursor = (n_key.clone(), *n_id);
                while let Some((item, key)) = tx.next(row.program, row.kind, (&cursor.0, cursor.1), id)? {
                    if key != *n_key {
                        bound = Some(key);
                        break;
                    }
                    run.push(item);
                    cursor = (key, item);
                }
                let mut low = n_key.clone();
                for (n, item) in run.iter().enumerate() {
                    let key = OrderKey::between(Some(&low), bound.as_ref()).ok_or_else(|| {
                        StoreError::BadStoredItem(format!(
                            "the list of {} is out of order around {item}",
                            row.kind.collection()
                        ))
                    })?;
                    let mut other = tx.live_item(None, *item, None)?;
                    other.position = key.clone();
                    tx.update_item(*item, &other)?;
                    let change = position_change(&other);
                    tx.outbox(&other, *item, &change, author)?;
                    if n == 0 {
                        next = Some((*item, key.clone()));
                    }
                    low = key;
                }
            }
            let key = match (&previous, &next) {
                (Some((p_id, p_key)), Some((n_id, n_key))) if p_key == n_key && *p_id < id && id < *n_id => {
                    p_key.clone()
                }
                (p, n) => OrderKey::between(p.as_ref().map(|x| &x.1), n.as_ref().map(|x| &x.1))
                    .ok_or_else(|| {
                        StoreError::BadStoredItem(format!(
                            "the list of {} is out of order around {id}",
                            row.kind.collection()
                        ))
                    })?,
            };
            let mut moved = row.clone();
            moved.position = key;
            let revision = tx.history(
                &row,
                id,
                POSITION,
                Some(&json!(row.position.as_str())),
                Some(&json!(moved.position.as_str())),
                author,
                &tx.now,
            )?;
            moved.revisions.insert(POSITION.to_owned(), revision);
            tx.update_item(id, &moved)?;
            tx.outbox(&moved, id, &position_change(&moved), author)?;
            Ok(Saved::Updated {
                fields: vec![POSITION.to_owned()],
                revisions: BTreeMap::from([(POSITION.to_owned(), revision)]),
            })
        })
    }
}

fn position_change(row: &ItemRow) -> Operation {
    Operation::Update {
        fields: BTreeMap::from([(
            POSITION.to_owned(),
            FieldChange {
                value: json!(row.position.as_str()),
                base_version: row.versions.get(POSITION).copied().unwrap_or(0),
                set: None,
                kept: false,
            },
        )]),
    }
}

/// What a person calls an item in a message: its title, name, statement or text.
pub(crate) fn label_of(body: &Map<String, Value>) -> String {
    roadbook_model::label_in(|f| body.get(f))
        .unwrap_or_default()
        .to_owned()
}

mod checks;
mod tx;

use checks::*;
pub(crate) use tx::Tx;
