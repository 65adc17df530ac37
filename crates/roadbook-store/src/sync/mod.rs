//! The store's half of the sync: what a program sends when it is published, what a join or a
//! reset brings in, what each push result does to the local copy, and the conflicts and
//! refused changes the server hands back for a person to settle.

use std::collections::{BTreeMap, BTreeSet};

use roadbook_model::{Id, Kind, OrderKey, for_kind};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::outbox::Operation;
use crate::write::{
    DELETED, Edits, FieldEdit, FieldNumbers, ItemRow, POSITION, Tx, parse_key, with_id,
};
use crate::{Result, Store, StoreError, parse_body, parse_id, parse_kind};

/// An item as the server holds it: every field (`position` and `deleted` among them) and the
/// server version of each.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerItem {
    pub kind: Kind,
    pub id: Id,
    pub fields: Map<String, Value>,
    pub versions: FieldNumbers,
}

/// What a program sends when it is published: every live item with all its fields and its
/// position, and the last of this client's sequence numbers the snapshot already holds.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishSnapshot {
    pub items: Vec<(Kind, Id, Map<String, Value>)>,
    pub through_seq: u64,
}

/// A conflict the server holds open, as it sent it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredConflict {
    pub id: Id,
    pub kind: Kind,
    pub item_id: Id,
    pub field: String,
    /// The conflict as the sync protocol spells it (both values, authors and times).
    pub body: Value,
}

/// A local change the server refused, kept for the person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RejectedChange {
    pub id: i64,
    pub program_id: Id,
    pub mutation_id: Id,
    pub item_kind: Kind,
    pub item_id: Id,
    pub operation: Operation,
    pub code: String,
    pub reason: String,
    pub author: String,
    pub made_at: String,
    pub rejected_at: String,
}

/// The server's answer to one pushed change, as the store needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    /// The change's sequence number.
    pub seq: u64,
    /// The item as the server has it after the change; none when the server has no such item.
    pub server: Option<ServerItem>,
    /// `(code, reason)` when the server refused the change.
    pub rejected: Option<(String, String)>,
    /// Conflicts the change opened; the server's value stands in them.
    pub conflicts: Vec<StoredConflict>,
    /// Whom a history row credits where the server's value replaces the local one.
    pub author: String,
    /// The log position the change was written at (0: it wrote nothing, or was refused).
    pub version: u64,
}

pub(super) fn pseudo_value(row: &ItemRow, field: &str) -> Value {
    match field {
        POSITION => json!(row.position.as_str()),
        DELETED => json!(row.deleted),
        other => row.body.get(other).cloned().unwrap_or(Value::Null),
    }
}

/// Sets one field of `row` to `value` (a body field, the order key or the tombstone flag).
fn set_field(row: &mut ItemRow, field: &str, value: &Value) -> Result<()> {
    match field {
        POSITION => {
            row.position = parse_key(value.as_str().unwrap_or_default())?;
        }
        DELETED => row.deleted = value.as_bool().unwrap_or(row.deleted),
        other => {
            row.body.insert(other.to_owned(), value.clone());
        }
    }
    Ok(())
}

fn bad(what: String) -> StoreError {
    StoreError::BadRemote(what)
}

/// Fields of an item that pending outbox entries other than `except` still change.
fn pending_of(tx: &Tx<'_>, item: Id, except: i64) -> Result<BTreeSet<String>> {
    let mut stmt = tx
        .tx
        .prepare_cached("SELECT operation FROM outbox WHERE item_id = ?1 AND seq <> ?2")
        .map_err(|e| tx.sql(e))?;
    let rows = stmt
        .query_map(params![item.to_string(), except], |r| r.get::<_, String>(0))
        .map_err(|e| tx.sql(e))?;
    let mut out = BTreeSet::new();
    for row in rows {
        let op: Operation = parse_body(&row.map_err(|e| tx.sql(e))?)?;
        out.extend(op.fields().into_iter().map(str::to_owned));
    }
    Ok(out)
}

/// Makes the local item show the server's value of each field in `fields` that no pending
/// change still holds, with the server's version; a history row for each value that changes.
fn reconcile(
    tx: &Tx<'_>,
    server: &ServerItem,
    fields: &[String],
    pending: &BTreeSet<String>,
    author: &str,
) -> Result<()> {
    let Some(row) = tx.item(server.id)? else {
        return Ok(());
    };
    let mut next = row.clone();
    for field in fields.iter().filter(|f| !pending.contains(*f)) {
        let version = server.versions.get(field).copied().unwrap_or(0);
        let entry = next.versions.entry(field.clone()).or_insert(0);
        if version < *entry {
            // This replica has a newer server value already: an older answer never wins.
            continue;
        }
        *entry = version;
        let Some(value) = server.fields.get(field) else {
            continue;
        };
        let current = pseudo_value(&row, field);
        if &current != value {
            set_field(&mut next, field, value)?;
            let revision = tx.history(
                &row,
                server.id,
                field,
                Some(&current),
                Some(value),
                author,
                &tx.now,
            )?;
            next.revisions.insert(field.clone(), revision);
        }
    }
    tx.update_item(server.id, &next)
}

/// Records which fields of `server` hold this replica's change written at `version`.
fn note_own(
    tx: &Tx<'_>,
    program: Id,
    server: &ServerItem,
    fields: &[String],
    version: u64,
) -> Result<()> {
    let mut stmt = tx
        .tx
        .prepare_cached(
            "INSERT INTO own_writes (item_id, field, program_id, version) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (item_id, field) DO UPDATE SET version = max(version, excluded.version)",
        )
        .map_err(|e| tx.sql(e))?;
    for field in fields {
        if server.versions.get(field) == Some(&version) {
            stmt.execute(params![
                server.id.to_string(),
                field,
                program.to_string(),
                i64::try_from(version).unwrap_or(i64::MAX)
            ])
            .map_err(|e| tx.sql(e))?;
        }
    }
    Ok(())
}

fn store_conflicts(tx: &Tx<'_>, program: Id, conflicts: &[StoredConflict]) -> Result<()> {
    let mut stmt = tx
        .tx
        .prepare_cached(
            "INSERT INTO conflicts (id, program_id, item_kind, item_id, field, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body",
        )
        .map_err(|e| tx.sql(e))?;
    for c in conflicts {
        stmt.execute(params![
            c.id.to_string(),
            program.to_string(),
            c.kind.as_str(),
            c.item_id.to_string(),
            c.field,
            c.body.to_string()
        ])
        .map_err(|e| tx.sql(e))?;
    }
    Ok(())
}

impl Store {
    /// The last of this client's sequence numbers used in `program`, plus one: where its next
    /// change will be numbered.
    pub fn next_seq(&self, program: Id) -> Result<u64> {
        let last: Option<i64> = self
            .conn
            .query_row(
                "SELECT last_seq FROM client_sequences WHERE program_id = ?1",
                params![program.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        Ok(last.unwrap_or(0).max(0) as u64 + 1)
    }

    /// Every live item of a program with all its fields and position, read at one moment with
    /// the last sequence number that moment holds: what `publish` sends.
    pub fn publish_snapshot(&self, program: Id) -> Result<PublishSnapshot> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.sql(e))?;
        let through: Option<i64> = tx
            .query_row(
                "SELECT last_seq FROM client_sequences WHERE program_id = ?1",
                params![program.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        let mut stmt = tx
            .prepare(
                "SELECT kind, id, body, position FROM items WHERE program_id = ?1 AND deleted = 0
                 ORDER BY kind, position, id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![program.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut items = Vec::new();
        for row in rows {
            let (kind, id, body, position) = row.map_err(|e| self.sql(e))?;
            let mut fields: Map<String, Value> = parse_body(&body)?;
            fields.remove("id");
            fields.insert(POSITION.to_owned(), json!(position));
            items.push((parse_kind(&kind)?, parse_id(&id)?, fields));
        }
        if items.is_empty() {
            return Err(StoreError::NotFound {
                kind: Some(Kind::Program),
                id: program,
            });
        }
        Ok(PublishSnapshot {
            items,
            through_seq: through.unwrap_or(0).max(0) as u64,
        })
    }

    /// Records that the server took the program: where it syncs, how far its log is, each
    /// item's version, and that the changes up to `through_seq` are in the server's copy (their
    /// outbox entries go). Changes made after the snapshot stay in the outbox to be pushed.
    pub fn mark_published(
        &mut self,
        program: Id,
        server: &str,
        cursor: u64,
        versions: &BTreeMap<Id, u64>,
        through_seq: u64,
    ) -> Result<()> {
        self.write(|tx| {
            tx.tx
                .execute(
                    "DELETE FROM outbox WHERE program_id = ?1 AND client_seq <= ?2",
                    params![
                        program.to_string(),
                        i64::try_from(through_seq).unwrap_or(i64::MAX)
                    ],
                )
                .map_err(|e| tx.sql(e))?;
            for (id, version) in versions {
                let Some(mut row) = tx.item(*id)? else {
                    continue;
                };
                let fields: Vec<String> = row
                    .body
                    .keys()
                    .filter(|k| *k != "id")
                    .cloned()
                    .chain([POSITION.to_owned()])
                    .collect();
                for field in fields {
                    row.versions.insert(field, *version);
                }
                tx.update_item(*id, &row)?;
            }
            set_state(tx, program, Some(server), Some(cursor))
        })
    }

    /// Remembers the server a program syncs with.
    pub fn set_server(&mut self, program: Id, server: &str) -> Result<()> {
        self.write(|tx| set_state(tx, program, Some(server), None))
    }

    /// Takes the program as the server has it (a join, or a cursor the server could no longer
    /// serve): every item with its server versions, the log position, the open conflicts. A
    /// field this replica has changed and not pushed keeps its local value. One transaction.
    pub fn apply_snapshot(
        &mut self,
        program: Id,
        server: &str,
        items: &[ServerItem],
        cursor: u64,
        conflicts: &[StoredConflict],
        author: &str,
    ) -> Result<()> {
        self.write(|tx| {
            tx.tx
                .execute(
                    "INSERT INTO programs (id, created_at) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
                    params![program.to_string(), tx.now],
                )
                .map_err(|e| tx.sql(e))?;
            for item in items {
                take_server_item(tx, program, item, author)?;
            }
            replace_conflicts_in(tx, program, conflicts)?;
            set_state(tx, program, Some(server), Some(cursor))
        })
    }

    /// Remembers the server history this program's cursor and versions belong to.
    pub fn set_history(&mut self, program: Id, history: Id) -> Result<()> {
        self.write(|tx| {
            tx.tx
                .execute(
                    "UPDATE sync_state SET history = ?2 WHERE program_id = ?1",
                    params![program.to_string(), history.to_string()],
                )
                .map_err(|e| tx.sql(e))?;
            Ok(())
        })
    }

    /// Remembers what the person may do on the program, as the server last said.
    pub fn set_role(&mut self, program: Id, role: &str) -> Result<()> {
        self.write(|tx| {
            tx.tx
                .execute(
                    "UPDATE sync_state SET role = ?2 WHERE program_id = ?1 AND role IS NOT ?2",
                    params![program.to_string(), role],
                )
                .map_err(|e| tx.sql(e))?;
            Ok(())
        })
    }

    /// Notes a publish to `server` whose answer has not come back yet (none: it came).
    pub fn set_publishing(&mut self, program: Id, server: Option<&str>) -> Result<()> {
        self.write(|tx| {
            tx.tx
                .execute(
                    "INSERT INTO sync_state (program_id, publishing) VALUES (?1, ?2)
                     ON CONFLICT (program_id) DO UPDATE SET publishing = ?2",
                    params![program.to_string(), server],
                )
                .map_err(|e| tx.sql(e))?;
            Ok(())
        })
    }

    /// What the server answered for each pushed change: the entry leaves the outbox, the fields
    /// it changed take the server's values and versions (unless a later local change still holds
    /// them), a refused change is kept for the person, and the conflicts it opened are recorded.
    /// One transaction; an entry already settled is skipped.
    pub fn settle(&mut self, program: Id, settlements: &[Settlement]) -> Result<()> {
        self.write(|tx| {
            for s in settlements {
                let row: Option<(i64, String, String, String, String, String, String)> = tx
                    .tx
                    .query_row(
                        "SELECT seq, mutation_id, item_kind, item_id, operation, author, created_at FROM outbox
                         WHERE program_id = ?1 AND client_seq = ?2",
                        params![program.to_string(), i64::try_from(s.seq).unwrap_or(i64::MAX)],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
                    )
                    .optional()
                    .map_err(|e| tx.sql(e))?;
                let Some((local, mutation, kind, item, operation, author, made_at)) = row else {
                    continue;
                };
                let item_id = parse_id(&item)?;
                let op: Operation = parse_body(&operation)?;
                tx.tx
                    .execute("DELETE FROM outbox WHERE seq = ?1", params![local])
                    .map_err(|e| tx.sql(e))?;
                if let Some((code, reason)) = &s.rejected {
                    tx.tx
                        .execute(
                            "INSERT INTO rejected (program_id, mutation_id, item_kind, item_id, operation, code, reason, author, made_at, rejected_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                            params![program.to_string(), mutation, kind, item, operation, code, reason, author, made_at, tx.now],
                        )
                        .map_err(|e| tx.sql(e))?;
                }
                let pending = pending_of(tx, item_id, local)?;
                let fields: Vec<String> = op.fields().into_iter().map(str::to_owned).collect();
                if let Some(server) = s.server.as_ref().filter(|_| s.version > 0) {
                    // The server holds this replica's own value now: what to send again if it
                    // ever loses it.
                    note_own(tx, program, server, &fields, s.version)?;
                }
                match &s.server {
                    Some(server) => reconcile(tx, server, &fields, &pending, &s.author)?,
                    // The server has no such item: a refused create. It goes here too (a
                    // tombstone, nothing to push), and stays in the refused list to retry.
                    None if matches!(op, Operation::Create { .. }) && !pending.contains(DELETED) => {
                        if let Some(row) = tx.item(item_id)?.filter(|r| !r.deleted) {
                            let mut next = row.clone();
                            next.deleted = true;
                            let revision = tx.history(&row, item_id, DELETED, Some(&json!(false)), Some(&json!(true)), &s.author, &tx.now)?;
                            next.revisions.insert(DELETED.to_owned(), revision);
                            tx.update_item(item_id, &next)?;
                        }
                    }
                    None => {}
                }
                store_conflicts(tx, program, &s.conflicts)?;
            }
            Ok(())
        })
    }

    /// Replaces the program's open conflicts with the server's list (each pull brings it).
    pub fn replace_conflicts(&mut self, program: Id, conflicts: &[StoredConflict]) -> Result<()> {
        self.write(|tx| replace_conflicts_in(tx, program, conflicts))
    }

    /// The conflicts the server holds open for a program, as of the last sync.
    pub fn conflicts(&self, program: Id) -> Result<Vec<StoredConflict>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, item_kind, item_id, field, body FROM conflicts WHERE program_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![program.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, item, field, body) = row.map_err(|e| self.sql(e))?;
            out.push(StoredConflict {
                id: parse_id(&id)?,
                kind: parse_kind(&kind)?,
                item_id: parse_id(&item)?,
                field,
                body: parse_body(&body)?,
            });
        }
        Ok(out)
    }

    /// Queues a person's answer to an open conflict; the next push carries it, and the server's
    /// change comes back with the next pull.
    pub fn enqueue_resolve(&mut self, conflict: Id, choice: Value, author: &str) -> Result<()> {
        self.write(|tx| {
            let found: Option<(String, String, String)> = tx
                .tx
                .query_row(
                    "SELECT program_id, item_kind, item_id FROM conflicts WHERE id = ?1",
                    params![conflict.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(|e| tx.sql(e))?;
            let (program, kind, item) = found.ok_or(StoreError::NoSuchConflict { id: conflict })?;
            let item_id = parse_id(&item)?;
            let row = match tx.item(item_id)? {
                Some(row) => row,
                None => ItemRow {
                    program: parse_id(&program)?,
                    kind: parse_kind(&kind)?,
                    position: OrderKey::first(),
                    body: Map::new(),
                    versions: FieldNumbers::new(),
                    revisions: FieldNumbers::new(),
                    deleted: true,
                },
            };
            tx.outbox(
                &row,
                item_id,
                &Operation::Resolve { conflict, choice },
                author,
            )
        })
    }

    /// Takes a fresh client id and numbers the pending changes afresh under it: what the server
    /// asks for when it has seen this id's sequence numbers with other changes (a database
    /// restored from a backup, or copied, that kept its file).
    pub fn reset_client(&mut self) -> Result<Id> {
        let id = Id::new();
        self.write(|tx| {
            crate::open::renumber_outbox(&tx.tx).map_err(|e| tx.sql(e))?;
            tx.tx
                .execute(
                    "UPDATE meta SET value = ?1 WHERE key = 'client_id'",
                    params![id.to_string()],
                )
                .map_err(|e| tx.sql(e))?;
            Ok(())
        })?;
        self.client_id = id;
        Ok(id)
    }

    /// An item with every field as stored here, `position` and `deleted` among them, and the
    /// server version of each: what a test compares with the server's copy.
    pub fn item_state(&self, id: Id) -> Result<Option<ServerItem>> {
        let row: Option<(String, String, String, String, i64)> = self
            .conn
            .query_row(
                "SELECT kind, body, position, versions, deleted FROM items WHERE id = ?1",
                params![id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        row.map(|(kind, body, position, versions, deleted)| {
            let mut fields: Map<String, Value> = parse_body(&body)?;
            fields.remove("id");
            fields.insert(POSITION.to_owned(), json!(position));
            fields.insert(DELETED.to_owned(), json!(deleted != 0));
            Ok(ServerItem {
                kind: parse_kind(&kind)?,
                id,
                fields,
                versions: parse_body(&versions)?,
            })
        })
        .transpose()
    }
}

/// One item of a server snapshot into this replica: new items written whole, known ones
/// reconciled field by field (what waits to be pushed keeps its value). An item this replica
/// cannot take (it holds that id in another program, or cannot read the body) is set aside with
/// the reason, and the rest goes on.
pub(super) fn take_server_item(
    tx: &Tx<'_>,
    program: Id,
    item: &ServerItem,
    author: &str,
) -> Result<()> {
    let refused = savepoint(tx, |tx| {
        let fields: Vec<String> = item.fields.keys().filter(|k| *k != "id").cloned().collect();
        match tx.item(item.id)? {
            Some(row) if row.program != program || row.kind != item.kind => Err(bad(format!(
                "{} {} is a {} of another program in this database",
                item.kind.noun(),
                item.id,
                row.kind.noun()
            ))),
            Some(_) => {
                let pending = pending_of(tx, item.id, -1)?;
                reconcile(tx, item, &fields, &pending, author)
            }
            None => insert_server_item(tx, program, item),
        }
    })?;
    if let Some(why) = refused {
        let version = item.versions.values().copied().max().unwrap_or(0);
        let change = json!({
            "kind": item.kind, "item_id": item.id, "version": version,
            "author": author, "at": tx.now, "fields": item.fields,
        });
        crate::remote::set_aside(tx, program, item.kind, item.id, version, &change, &why)?;
    }
    Ok(())
}

/// Runs `work` in a savepoint: kept when it succeeds; undone when what the server sent cannot
/// be taken (`BadRemote`), whose reason is returned so the caller sets it aside. Any other
/// failure fails the whole transaction.
pub(crate) fn savepoint(
    tx: &Tx<'_>,
    work: impl FnOnce(&Tx<'_>) -> Result<()>,
) -> Result<Option<String>> {
    let run = |sql: &str| tx.tx.execute_batch(sql).map_err(|e| tx.sql(e));
    run("SAVEPOINT remote_change")?;
    match work(tx) {
        Ok(()) => {
            run("RELEASE remote_change")?;
            Ok(None)
        }
        Err(StoreError::BadRemote(why)) => {
            run("ROLLBACK TO remote_change")?;
            run("RELEASE remote_change")?;
            Ok(Some(why))
        }
        Err(other) => Err(other),
    }
}

/// The code of a change refused with its whole push because the person may not change the
/// program: the server never looked at it, so its values are still the person's here.
pub const NOT_PERMITTED: &str = "not_permitted";

pub(super) fn replace_conflicts_in(
    tx: &Tx<'_>,
    program: Id,
    conflicts: &[StoredConflict],
) -> Result<()> {
    tx.tx
        .execute(
            "DELETE FROM conflicts WHERE program_id = ?1",
            params![program.to_string()],
        )
        .map_err(|e| tx.sql(e))?;
    store_conflicts(tx, program, conflicts)
}

pub(super) fn set_state(
    tx: &Tx<'_>,
    program: Id,
    server: Option<&str>,
    cursor: Option<u64>,
) -> Result<()> {
    tx.tx
        .execute(
            "INSERT INTO sync_state (program_id, server, cursor, synced_at) VALUES (?1, ?2, coalesce(?3, 0), ?4)
             ON CONFLICT (program_id) DO UPDATE SET server = coalesce(?2, server), cursor = coalesce(?3, cursor),
                 synced_at = CASE WHEN ?3 IS NULL THEN synced_at ELSE ?4 END",
            params![
                program.to_string(),
                server,
                cursor.map(|c| i64::try_from(c).unwrap_or(i64::MAX)),
                tx.now
            ],
        )
        .map_err(|e| tx.sql(e))?;
    Ok(())
}

fn readable<E: roadbook_model::Entity>(
    body: &Map<String, Value>,
) -> std::result::Result<(), String> {
    serde_json::from_value::<E>(Value::Object(body.clone()))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// An item of the server's this replica does not have: written with the server's versions and
/// no outbox entry. No history rows: the item's past is the server's, and this replica's
/// history starts when it joined (a join of 10,000 items would otherwise write 80,000 rows
/// that all say the same).
fn insert_server_item(tx: &Tx<'_>, program: Id, item: &ServerItem) -> Result<()> {
    let mut fields = item.fields.clone();
    fields.remove("id");
    let position = match fields.remove(POSITION) {
        Some(Value::String(key)) => parse_key(&key)?,
        _ => tx.key_at_end(program, item.kind)?,
    };
    let deleted = fields
        .remove(DELETED)
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let body = with_id(&fields, item.id);
    for_kind!(item.kind, readable(&body)).map_err(|why| {
        bad(format!(
            "{} {}: this version of Roadbook cannot read it ({why}): upgrade Roadbook",
            item.kind.noun(),
            item.id
        ))
    })?;
    let row = ItemRow {
        program,
        kind: item.kind,
        position,
        body,
        versions: item.versions.clone(),
        revisions: FieldNumbers::new(),
        deleted,
    };
    tx.insert_item(item.id, &row)
}

mod refused;
mod restore;

pub use restore::Rebootstrapped;
use restore::*;
