//! Changes pulled from the server: applied in one transaction that writes the items and their
//! history with the remote author and the server's time, records how far this replica has
//! pulled, and writes no outbox row (they are the server's already).

use std::collections::{BTreeMap, BTreeSet};

use roadbook_model::{Entity, Id, Kind, OrderKey, for_kind};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::outbox::Operation;
use crate::write::{DELETED, FieldNumbers, ItemRow, POSITION, Tx, parse_key, with_id};
use crate::{Result, Store, StoreError, parse_body};

/// One change from the server's change log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteChange {
    pub kind: Kind,
    pub item_id: Id,
    /// The change's position in the program's change log: the new server version of every
    /// field it writes.
    pub version: u64,
    /// Who made the change (the server stamps it from the caller's sign-in).
    pub author: String,
    /// When the server applied it (RFC 3339, UTC).
    pub at: String,
    /// The fields written, with `position` (the order key) and `deleted` (a tombstone) among
    /// them when they changed. A change to an item this database does not have yet carries
    /// every field.
    pub fields: Map<String, Value>,
}

/// What applying a pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RemoteApplied {
    /// Items created, changed or deleted here.
    pub items: usize,
    /// Fields whose remote value is now shown.
    pub fields_written: usize,
    /// Fields left at this replica's own pending value: the local edit is pushed after the
    /// remote one, so the server sees it later in its order (and a guarded field becomes a
    /// conflict there).
    pub kept_local: usize,
}

/// Where and how far a program syncs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncState {
    pub server: Option<String>,
    /// The server change-log position this replica has applied up to.
    pub cursor: u64,
    pub synced_at: Option<String>,
}

fn remote_error(change: &RemoteChange, why: impl std::fmt::Display) -> StoreError {
    StoreError::BadRemote(format!("{} {}: {why}", change.kind.noun(), change.item_id))
}

/// Checks a body reads as its kind (unknown fields allowed), so a pull can never leave a
/// replica that no longer loads.
fn readable<E: Entity>(body: &Map<String, Value>) -> std::result::Result<(), String> {
    serde_json::from_value::<E>(Value::Object(body.clone()))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The fields this replica has changed and not pushed yet, per item.
fn pending_fields(tx: &Tx<'_>, program: Id) -> Result<BTreeMap<Id, BTreeSet<String>>> {
    let mut stmt = tx
        .tx
        .prepare_cached("SELECT item_id, operation FROM outbox WHERE program_id = ?1")
        .map_err(|e| tx.sql(e))?;
    let rows = stmt
        .query_map(params![program.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .map_err(|e| tx.sql(e))?;
    let mut out: BTreeMap<Id, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        let (item, operation) = row.map_err(|e| tx.sql(e))?;
        let operation: Operation = parse_body(&operation)?;
        out.entry(crate::parse_id(&item)?)
            .or_default()
            .extend(operation.fields().into_iter().map(str::to_owned));
    }
    Ok(out)
}

impl Store {
    /// Applies changes pulled from the server, in log order, and records `cursor` as how far
    /// this replica has pulled. One transaction: after a crash either all of it is applied and
    /// recorded, or none. A field this replica has changed and not pushed keeps its local value
    /// (the history still shows the remote change); everything else takes the server's value
    /// and version. A change this build cannot read is refused and nothing is written.
    pub fn apply_remote(
        &mut self,
        program: Id,
        changes: &[RemoteChange],
        cursor: u64,
    ) -> Result<RemoteApplied> {
        self.write(|tx| {
            tx.tx
                .execute(
                    "INSERT INTO programs (id, created_at) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
                    params![program.to_string(), tx.now],
                )
                .map_err(|e| tx.sql(e))?;
            let pending = pending_fields(tx, program)?;
            let mut applied = RemoteApplied::default();
            for change in changes {
                let none = BTreeSet::new();
                let pending = pending.get(&change.item_id).unwrap_or(&none);
                apply_one(tx, program, change, pending, &mut applied)?;
            }
            tx.tx
                .execute(
                    "INSERT INTO sync_state (program_id, cursor, synced_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (program_id) DO UPDATE SET cursor = max(cursor, ?2), synced_at = ?3",
                    params![program.to_string(), i64::try_from(cursor).unwrap_or(i64::MAX), tx.now],
                )
                .map_err(|e| tx.sql(e))?;
            Ok(applied)
        })
    }

    /// Where the program syncs and how far it has pulled (all empty before its first sync).
    pub fn sync_state(&self, program: Id) -> Result<SyncState> {
        use rusqlite::OptionalExtension;
        let row = self
            .conn
            .query_row(
                "SELECT server, cursor, synced_at FROM sync_state WHERE program_id = ?1",
                params![program.to_string()],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        Ok(row
            .map(|(server, cursor, synced_at)| SyncState {
                server,
                cursor: cursor.max(0) as u64,
                synced_at,
            })
            .unwrap_or_default())
    }
}

fn apply_one(
    tx: &Tx<'_>,
    program: Id,
    change: &RemoteChange,
    pending: &BTreeSet<String>,
    applied: &mut RemoteApplied,
) -> Result<()> {
    let id = change.item_id;
    let mut fields = change.fields.clone();
    fields.remove("id");
    let Some(row) = tx.item(id)? else {
        return create_remote(tx, program, change, fields, applied);
    };
    if row.kind != change.kind || row.program != program {
        return Err(remote_error(
            change,
            format!(
                "this database has it as a {} of another program or kind",
                row.kind.noun()
            ),
        ));
    }
    // The item as the server has it now must read as its kind, whether or not a pending local
    // edit hides a field here: that value is shown as soon as the edit is settled.
    let mut server_view = row.body.clone();
    for (field, value) in &fields {
        match field.as_str() {
            POSITION => {
                value
                    .as_str()
                    .ok_or_else(|| remote_error(change, "its position is not text"))?
                    .parse::<OrderKey>()
                    .map_err(|e| remote_error(change, e))?;
            }
            DELETED if !value.is_boolean() => {
                return Err(remote_error(
                    change,
                    "its deleted flag is not true or false",
                ));
            }
            DELETED => {}
            other => {
                server_view.insert(other.to_owned(), value.clone());
            }
        }
    }
    for_kind!(change.kind, readable(&with_id(&server_view, id))).map_err(|why| {
        remote_error(
            change,
            format!("this version of Roadbook cannot read it ({why}): upgrade Roadbook"),
        )
    })?;
    let mut next = row.clone();
    let mut touched = false;
    for (field, value) in fields {
        let version = next.versions.entry(field.clone()).or_insert(0);
        // A change older than the value here (a push's answer brought a newer one first): its
        // history is kept, the newer value stays.
        let older = change.version < *version;
        *version = (*version).max(change.version);
        // What this replica last recorded for the field: its history, else what it holds.
        let recorded = match row.revisions.get(&field) {
            Some(revision) => tx.revision(*revision)?.and_then(|(v, _, _)| v),
            None => None,
        };
        let current = match field.as_str() {
            POSITION => json!(row.position.as_str()),
            DELETED => json!(row.deleted),
            other => row.body.get(other).cloned().unwrap_or(Value::Null),
        };
        let recorded = recorded.unwrap_or_else(|| current.clone());
        if recorded != value {
            let revision = tx.history(
                &row,
                id,
                &field,
                Some(&recorded),
                Some(&value),
                &change.author,
                &change.at,
            )?;
            next.revisions.insert(field.clone(), revision);
            touched = true;
        }
        if pending.contains(&field) {
            applied.kept_local += 1;
            continue;
        }
        if value == current || older {
            continue;
        }
        // Checked above: a key and a flag.
        match field.as_str() {
            POSITION => next.position = parse_key(value.as_str().unwrap_or_default())?,
            DELETED => next.deleted = value.as_bool().unwrap_or(next.deleted),
            other => {
                next.body.insert(other.to_owned(), value);
            }
        }
        applied.fields_written += 1;
        touched = true;
    }
    tx.update_item(id, &next)?;
    if touched {
        applied.items += 1;
    }
    Ok(())
}

/// An item this replica does not have: the change carries all of it.
fn create_remote(
    tx: &Tx<'_>,
    program: Id,
    change: &RemoteChange,
    mut fields: Map<String, Value>,
    applied: &mut RemoteApplied,
) -> Result<()> {
    let id = change.item_id;
    let position = match fields.remove(POSITION) {
        Some(Value::String(key)) => parse_key(&key).map_err(|e| remote_error(change, e))?,
        Some(_) => return Err(remote_error(change, "its position is not text")),
        None => tx.key_at_end(program, change.kind)?,
    };
    let deleted = match fields.remove(DELETED) {
        None => false,
        Some(value) => value
            .as_bool()
            .ok_or_else(|| remote_error(change, "its deleted flag is not true or false"))?,
    };
    let body = with_id(&fields, id);
    for_kind!(change.kind, readable(&body)).map_err(|why| {
        remote_error(
            change,
            format!(
                "the server sent an item this database does not have, and not all of it ({why})"
            ),
        )
    })?;
    let mut row = ItemRow {
        program,
        kind: change.kind,
        position,
        body,
        versions: FieldNumbers::new(),
        revisions: FieldNumbers::new(),
        deleted,
    };
    for (field, value) in &fields {
        let revision = tx.history(
            &row,
            id,
            field,
            None,
            Some(value),
            &change.author,
            &change.at,
        )?;
        row.revisions.insert(field.clone(), revision);
        row.versions.insert(field.clone(), change.version);
    }
    row.versions.insert(POSITION.to_owned(), change.version);
    if deleted {
        let revision = tx.history(
            &row,
            id,
            DELETED,
            Some(&json!(false)),
            Some(&json!(true)),
            &change.author,
            &change.at,
        )?;
        row.revisions.insert(DELETED.to_owned(), revision);
        row.versions.insert(DELETED.to_owned(), change.version);
    }
    tx.insert_item(id, &row)?;
    applied.items += 1;
    applied.fields_written += fields.len();
    Ok(())
}
