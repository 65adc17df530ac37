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
    /// When the person made it, by their clock (RFC 3339), where the server says.
    #[serde(default)]
    pub made_at: Option<String>,
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
    /// Changes this replica could not take, set aside with the reason.
    pub set_aside: usize,
}

/// Where and how far a program syncs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncState {
    pub server: Option<String>,
    /// The server change-log position this replica has applied up to.
    pub cursor: u64,
    pub synced_at: Option<String>,
    /// The server history the cursor and versions belong to (none: not said yet).
    pub history: Option<Id>,
    /// What the person may do on the program, as the server last said (`viewer`, `editor`,
    /// `lead`, `admin`).
    pub role: Option<String>,
    /// A publish sent to this server whose answer has not come back.
    pub publishing: Option<String>,
}

/// A change from the server this replica could not apply, kept with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetAside {
    pub id: i64,
    pub program_id: Id,
    pub item_kind: Kind,
    pub item_id: Id,
    /// The change's position in the server's log.
    pub version: u64,
    pub reason: String,
    pub set_aside_at: String,
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

/// Keeps a change this replica cannot apply, with the reason.
pub(crate) fn set_aside(
    tx: &Tx<'_>,
    program: Id,
    kind: Kind,
    item: Id,
    version: u64,
    change: &Value,
    reason: &str,
) -> Result<()> {
    tx.tx
        .execute(
            "INSERT INTO set_aside (program_id, item_kind, item_id, version, change, reason, set_aside_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                program.to_string(),
                kind.as_str(),
                item.to_string(),
                i64::try_from(version).unwrap_or(i64::MAX),
                change.to_string(),
                reason,
                tx.now
            ],
        )
        .map_err(|e| tx.sql(e))?;
    Ok(())
}

/// The fields this replica has changed and not pushed yet, per item.
pub(crate) fn pending_fields(tx: &Tx<'_>, program: Id) -> Result<BTreeMap<Id, BTreeSet<String>>> {
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
                // A change this replica cannot take is set aside and the rest goes on: one
                // change (an item id another program of this database holds, a body this build
                // cannot read) never stops the sync for good.
                let mut counted = applied.clone();
                let refused = crate::sync::savepoint(tx, |tx| {
                    apply_one(tx, program, change, pending, &mut counted)
                })?;
                match refused {
                    None => applied = counted,
                    Some(why) => {
                        let body = serde_json::to_value(change)
                            .map_err(|e| StoreError::BadStoredItem(e.to_string()))?;
                        set_aside(tx, program, change.kind, change.item_id, change.version, &body, &why)?;
                        applied.set_aside += 1;
                    }
                }
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
            .prepare_cached(
                "SELECT server, cursor, synced_at, history, role, publishing FROM sync_state WHERE program_id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![program.to_string()], |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                })
                .optional()
            })
            .map_err(|e| self.sql(e))?;
        let Some((server, cursor, synced_at, history, role, publishing)) = row else {
            return Ok(SyncState::default());
        };
        Ok(SyncState {
            server,
            cursor: cursor.max(0) as u64,
            synced_at,
            history: history.as_deref().map(crate::parse_id).transpose()?,
            role,
            publishing,
        })
    }

    /// The changes from the server this replica set aside, oldest first.
    pub fn set_aside(&self, program: Id) -> Result<Vec<SetAside>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, item_kind, item_id, version, reason, set_aside_at FROM set_aside
                 WHERE program_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![program.to_string()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, item, version, reason, at) = row.map_err(|e| self.sql(e))?;
            out.push(SetAside {
                id,
                program_id: program,
                item_kind: crate::parse_kind(&kind)?,
                item_id: crate::parse_id(&item)?,
                version: version.max(0) as u64,
                reason,
                set_aside_at: at,
            });
        }
        Ok(out)
    }

    /// Tries a set-aside change again (after an upgrade, or once the clash in this database
    /// is gone): applied, it leaves the list; refused again, it stays with the new reason.
    /// Whether it applied.
    pub fn retry_set_aside(&mut self, id: i64) -> Result<bool> {
        self.write(|tx| {
            let row: Option<(String, String)> = {
                use rusqlite::OptionalExtension;
                tx.tx
                    .query_row(
                        "SELECT program_id, change FROM set_aside WHERE id = ?1",
                        params![id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(|e| tx.sql(e))?
            };
            let (program, change) = row.ok_or(StoreError::NoSuchSetAside { id })?;
            let program = crate::parse_id(&program)?;
            let change: RemoteChange = parse_body(&change)?;
            let pending = pending_fields(tx, program)?;
            let none = BTreeSet::new();
            let pending = pending.get(&change.item_id).unwrap_or(&none);
            let mut applied = RemoteApplied::default();
            match crate::sync::savepoint(tx, |tx| {
                apply_one(tx, program, &change, pending, &mut applied)
            })? {
                None => {
                    tx.tx
                        .execute("DELETE FROM set_aside WHERE id = ?1", params![id])
                        .map_err(|e| tx.sql(e))?;
                    Ok(true)
                }
                Some(why) => {
                    tx.tx
                        .execute(
                            "UPDATE set_aside SET reason = ?2 WHERE id = ?1",
                            params![id, why],
                        )
                        .map_err(|e| tx.sql(e))?;
                    Ok(false)
                }
            }
        })
    }

    /// Drops a set-aside change for good: the person has chosen to.
    pub fn discard_set_aside(&mut self, id: i64) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .tx
                .execute("DELETE FROM set_aside WHERE id = ?1", params![id])
                .map_err(|e| tx.sql(e))?;
            if n == 0 {
                return Err(StoreError::NoSuchSetAside { id });
            }
            Ok(())
        })
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
            let revision = tx.history_made(
                &row,
                id,
                &field,
                Some(&recorded),
                Some(&value),
                &change.author,
                &change.at,
                change.made_at.as_deref(),
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
        let revision = tx.history_made(
            &row,
            id,
            field,
            None,
            Some(value),
            &change.author,
            &change.at,
            change.made_at.as_deref(),
        )?;
        row.revisions.insert(field.clone(), revision);
        row.versions.insert(field.clone(), change.version);
    }
    row.versions.insert(POSITION.to_owned(), change.version);
    if deleted {
        let revision = tx.history_made(
            &row,
            id,
            DELETED,
            Some(&json!(false)),
            Some(&json!(true)),
            &change.author,
            &change.at,
            change.made_at.as_deref(),
        )?;
        row.revisions.insert(DELETED.to_owned(), revision);
        row.versions.insert(DELETED.to_owned(), change.version);
    }
    tx.insert_item(id, &row)?;
    applied.items += 1;
    applied.fields_written += fields.len();
    Ok(())
}
