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

fn pseudo_value(row: &ItemRow, field: &str) -> Value {
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

    /// Takes the program afresh from a server whose history is not the one this replica synced
    /// in (its database was restored from a backup, or made anew): nothing this replica holds
    /// is lost. In one transaction:
    /// - this replica's own changes the server acknowledged after `fork` (where the new history
    ///   began) and no longer holds are queued again, before what waits to be pushed, each
    ///   based on what the two histories share;
    /// - what waits to be pushed keeps its values, and its base versions are moved back into
    ///   what the histories share (a version past the fork means something else now);
    /// - every other field takes the server's value and version, and items the server does not
    ///   have (made by others in the history that was lost) leave this replica until their
    ///   makers send them again;
    /// - the program's changes are numbered afresh from 1 under this replica's client id
    ///   (fresh: the caller took one before joining), the shared archive is read again from its
    ///   start and this replica's issued documents are offered to it again.
    #[allow(clippy::too_many_arguments)]
    pub fn rebootstrap(
        &mut self,
        program: Id,
        server: &str,
        items: &[ServerItem],
        cursor: u64,
        conflicts: &[StoredConflict],
        history: Id,
        fork: u64,
        author: &str,
    ) -> Result<Rebootstrapped> {
        self.write(|tx| {
            let mut done = Rebootstrapped::default();
            let on_server: BTreeMap<Id, &ServerItem> = items.iter().map(|i| (i.id, i)).collect();
            let before: Vec<i64> = outbox_rows(tx, program)?;
            let pending = crate::remote::pending_fields(tx, program)?;
            // 1. This replica's acknowledged changes the server lost, queued again.
            for (item, fields) in own_lost(tx, program, fork)? {
                let Some(row) = tx.item(item)? else { continue };
                let waiting = pending.get(&item);
                let fields: Vec<String> = fields
                    .into_iter()
                    .filter(|f| waiting.is_none_or(|w| !w.contains(f)))
                    .collect();
                if fields.is_empty() {
                    continue;
                }
                let based = |field: &str| {
                    on_server
                        .get(&item)
                        .and_then(|s| s.versions.get(field).copied())
                        .unwrap_or(0)
                        .min(fork)
                };
                let operation = match on_server.get(&item) {
                    None if row.deleted => continue,
                    None => {
                        let mut all = row.body.clone();
                        all.remove("id");
                        all.insert(POSITION.to_owned(), json!(row.position.as_str()));
                        Operation::Create { fields: all }
                    }
                    Some(_) if fields.iter().any(|f| f == DELETED) && row.deleted => {
                        Operation::Delete {
                            base_versions: row
                                .versions
                                .keys()
                                .map(|f| (f.clone(), based(f)))
                                .collect(),
                        }
                    }
                    Some(_) => Operation::Update {
                        fields: fields
                            .iter()
                            .filter(|f| f.as_str() != DELETED)
                            .map(|f| {
                                (
                                    f.clone(),
                                    crate::outbox::FieldChange {
                                        value: pseudo_value(&row, f),
                                        base_version: based(f),
                                        set: None,
                                        kept: false,
                                    },
                                )
                            })
                            .collect(),
                    },
                };
                if matches!(&operation, Operation::Update { fields } if fields.is_empty()) {
                    continue;
                }
                tx.outbox(&row, item, &operation, author)?;
                done.sent_again += 1;
            }
            // Items the server no longer has at all (made in the history that was lost) with
            // changes of this replica's waiting on them: made again first, as they stand here,
            // so what waits lands on them; a delete waiting for one is moot.
            for (item, ops) in waiting_ops(tx, program)? {
                if on_server.contains_key(&item)
                    || ops.iter().any(|(_, op)| matches!(op, Operation::Create { .. }))
                {
                    continue;
                }
                let Some(row) = tx.item(item)? else { continue };
                if row.deleted {
                    for (seq, op) in &ops {
                        if matches!(op, Operation::Delete { .. }) {
                            tx.tx
                                .execute("DELETE FROM outbox WHERE seq = ?1", params![seq])
                                .map_err(|e| tx.sql(e))?;
                        }
                    }
                    continue;
                }
                let mut all = row.body.clone();
                all.remove("id");
                all.insert(POSITION.to_owned(), json!(row.position.as_str()));
                tx.outbox(&row, item, &Operation::Create { fields: all }, author)?;
                done.sent_again += 1;
            }
            let before: Vec<i64> = {
                let still = outbox_rows(tx, program)?;
                before.into_iter().filter(|s| still.contains(s)).collect()
            };
            // What waited before goes after what is sent again, in its own order.
            if !before.is_empty() {
                let mut stmt = tx
                    .tx
                    .prepare_cached("UPDATE outbox SET seq = (SELECT max(seq) FROM outbox) + 1 WHERE seq = ?1")
                    .map_err(|e| tx.sql(e))?;
                for seq in &before {
                    stmt.execute(params![seq]).map_err(|e| tx.sql(e))?;
                }
            }
            // 2. Bases past the fork moved back into what the histories share.
            rebase_outbox(tx, program, fork)?;
            let pending = crate::remote::pending_fields(tx, program)?;
            // 3. The server's program over what is not waiting.
            // No version from the old history is trusted: every field takes the server's
            // value and version now (what waits keeps its value; its bases were moved above).
            tx.tx
                .execute(
                    "UPDATE items SET versions = (SELECT json_group_object(v.key, 0) FROM json_each(items.versions) v)
                     WHERE program_id = ?1",
                    params![program.to_string()],
                )
                .map_err(|e| tx.sql(e))?;
            for item in items {
                take_server_item(tx, program, item, author)?;
            }
            let local: Vec<(String, i64)> = tx
                .tx
                .prepare("SELECT id, deleted FROM items WHERE program_id = ?1 AND kind <> 'program'")
                .and_then(|mut stmt| {
                    stmt.query_map(params![program.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(|e| tx.sql(e))?;
            for (id, deleted) in local {
                let id = parse_id(&id)?;
                if deleted != 0 || on_server.contains_key(&id) || pending.contains_key(&id) {
                    continue;
                }
                if let Some(row) = tx.item(id)? {
                    let mut next = row.clone();
                    next.deleted = true;
                    let revision = tx.history(&row, id, DELETED, Some(&json!(false)), Some(&json!(true)), author, &tx.now)?;
                    next.revisions.insert(DELETED.to_owned(), revision);
                    tx.update_item(id, &next)?;
                    done.dropped += 1;
                }
            }
            // 4. Numbers afresh, the state of the new history.
            renumber_program(tx, program)?;
            tx.tx
                .execute(
                    "DELETE FROM own_writes WHERE program_id = ?1",
                    params![program.to_string()],
                )
                .map_err(|e| tx.sql(e))?;
            tx.tx
                .execute(
                    "UPDATE documents SET shared = 0 WHERE program_id = ?1 AND shared_by IS NULL",
                    params![program.to_string()],
                )
                .map_err(|e| tx.sql(e))?;
            replace_conflicts_in(tx, program, conflicts)?;
            set_state(tx, program, Some(server), Some(cursor))?;
            tx.tx
                .execute(
                    "UPDATE sync_state SET history = ?2, documents_cursor = 0 WHERE program_id = ?1",
                    params![program.to_string(), history.to_string()],
                )
                .map_err(|e| tx.sql(e))?;
            Ok(done)
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

    /// The program's refused changes, oldest first.
    pub fn rejected(&self, program: Id) -> Result<Vec<RejectedChange>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, program_id, mutation_id, item_kind, item_id, operation, code, reason, author, made_at, rejected_at
                 FROM rejected WHERE program_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![program.to_string()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, String>(10)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, program, mutation, kind, item, operation, code, reason, author, made_at, at) =
                row.map_err(|e| self.sql(e))?;
            out.push(RejectedChange {
                id,
                program_id: parse_id(&program)?,
                mutation_id: parse_id(&mutation)?,
                item_kind: parse_kind(&kind)?,
                item_id: parse_id(&item)?,
                operation: parse_body(&operation)?,
                code,
                reason,
                author,
                made_at,
                rejected_at: at,
            });
        }
        Ok(out)
    }

    fn rejected_one(&self, id: i64) -> Result<RejectedChange> {
        let program: Option<String> = self
            .conn
            .query_row(
                "SELECT program_id FROM rejected WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        let program = program.ok_or(StoreError::NoSuchRejected { id })?;
        self.rejected(parse_id(&program)?)?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(StoreError::NoSuchRejected { id })
    }

    /// Sends a refused change again, as the person's change now: its values are written here
    /// (over whatever the server's answer restored) and a new outbox entry carries them, based
    /// on the versions this replica has pulled. The refused entry goes only once the new one is
    /// written, so a crash between the two can repeat a retry but never lose it.
    pub fn retry_rejected(&mut self, id: i64, author: &str) -> Result<()> {
        let change = self.rejected_one(id)?;
        let program = change.program_id;
        if change.code == NOT_PERMITTED {
            // Its values are still here, as the person left them: the same change again.
            return self.write(|tx| {
                let row = tx.item(change.item_id)?.ok_or(StoreError::NotFound {
                    kind: Some(change.item_kind),
                    id: change.item_id,
                })?;
                tx.may_change(program)?;
                tx.outbox(&row, change.item_id, &change.operation, author)?;
                drop_rejected(tx, id)
            });
        }
        match &change.operation {
            Operation::Update { fields } => {
                let seen = self.field_revisions(change.item_id)?;
                // What the person changed; fields sent only to be compared (kept) are not edits,
                // and sending their old values again would undo a teammate's change.
                let edits: Edits = fields
                    .iter()
                    .filter(|(f, c)| f.as_str() != POSITION && !c.kept)
                    .map(|(f, c)| {
                        let seen = seen.get(f).copied().unwrap_or(0);
                        (
                            f.clone(),
                            FieldEdit {
                                value: c.value.clone(),
                                seen,
                            },
                        )
                    })
                    .collect();
                if !edits.is_empty() {
                    self.edit(program, change.item_kind, change.item_id, &edits, author)?;
                }
            }
            Operation::Delete { .. } => self.delete(change.item_id, author)?,
            Operation::Create { fields } => {
                let fields = fields.clone();
                self.write(|tx| {
                    recreate(
                        tx,
                        program,
                        change.item_kind,
                        change.item_id,
                        fields,
                        author,
                    )
                })?;
            }
            Operation::Resolve { conflict, choice } => {
                self.enqueue_resolve(*conflict, choice.clone(), author)?;
            }
        }
        self.discard_rejected(id)
    }

    /// Drops a refused change for good: the person has chosen to. A change the server never
    /// looked at (refused with the whole push: the person may not change the program) still
    /// shows here; it goes back to the team's values: an item made here leaves, a delete is
    /// undone, and changed fields are read from the server again at the next sync.
    pub fn discard_rejected(&mut self, id: i64) -> Result<()> {
        let change = self.rejected_one(id)?;
        let author = change.author.clone();
        self.write(|tx| {
            if change.code == NOT_PERMITTED
                && let Some(row) = tx.item(change.item_id)?
            {
                match &change.operation {
                    Operation::Create { .. } if !row.deleted => {
                        let mut next = row.clone();
                        next.deleted = true;
                        let revision = tx.history(&row, change.item_id, DELETED, Some(&json!(false)), Some(&json!(true)), &author, &tx.now)?;
                        next.revisions.insert(DELETED.to_owned(), revision);
                        tx.update_item(change.item_id, &next)?;
                    }
                    Operation::Delete { .. } if row.deleted => {
                        let mut next = row.clone();
                        next.deleted = false;
                        next.revisions
                            .insert(DELETED.to_owned(), tx.undeleted(&row, change.item_id, &author)?);
                        tx.update_item(change.item_id, &next)?;
                    }
                    Operation::Update { fields } => {
                        // Pull again from before the oldest version of those fields: the
                        // server's values come back over the person's.
                        let from = fields
                            .keys()
                            .map(|f| row.versions.get(f).copied().unwrap_or(0))
                            .min()
                            .unwrap_or(0)
                            .saturating_sub(1);
                        tx.tx
                            .execute(
                                "UPDATE sync_state SET cursor = min(cursor, ?2) WHERE program_id = ?1",
                                params![change.program_id.to_string(), i64::try_from(from).unwrap_or(0)],
                            )
                            .map_err(|e| tx.sql(e))?;
                        for field in fields.keys() {
                            // The pull writes the server's value back: this replica's record of
                            // the field is the person's value until then.
                            if let Some(version) = row.versions.get(field).copied() {
                                let mut next = tx.item(change.item_id)?.unwrap_or(row.clone());
                                next.versions.insert(field.clone(), version.saturating_sub(1));
                                tx.update_item(change.item_id, &next)?;
                            }
                        }
                    }
                    _ => {}
                }
            }
            drop_rejected(tx, id)
        })
    }

    /// Moves every change of the program still waiting into the refused list with the
    /// server's reason, its values kept here: the server refused the whole push (the person
    /// may not change the program any more), so they would otherwise wait for good. Each can
    /// be sent again (`retry_rejected`) or discarded, which brings the team's values back.
    pub fn refuse_waiting(&mut self, program: Id, reason: &str) -> Result<usize> {
        self.write(|tx| {
            let moved = tx
                .tx
                .execute(
                    "INSERT INTO rejected (program_id, mutation_id, item_kind, item_id, operation, code, reason, author, made_at, rejected_at)
                     SELECT program_id, mutation_id, item_kind, item_id, operation, ?2, ?3, author, created_at, ?4
                     FROM outbox WHERE program_id = ?1 ORDER BY seq",
                    params![program.to_string(), NOT_PERMITTED, reason, tx.now],
                )
                .map_err(|e| tx.sql(e))?;
            tx.tx
                .execute(
                    "DELETE FROM outbox WHERE program_id = ?1",
                    params![program.to_string()],
                )
                .map_err(|e| tx.sql(e))?;
            Ok(moved)
        })
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

/// What taking a program afresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rebootstrapped {
    /// This replica's own changes the server had lost, queued to be sent again.
    pub sent_again: usize,
    /// Items this replica had that the server does not (made by others in the lost history).
    pub dropped: usize,
}

/// The program's waiting changes by item: local order and operation.
fn waiting_ops(tx: &Tx<'_>, program: Id) -> Result<BTreeMap<Id, Vec<(i64, Operation)>>> {
    let rows: Vec<(i64, String, String)> = tx
        .tx
        .prepare_cached(
            "SELECT seq, item_id, operation FROM outbox WHERE program_id = ?1 ORDER BY seq",
        )
        .and_then(|mut stmt| {
            stmt.query_map(params![program.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(|e| tx.sql(e))?;
    let mut out: BTreeMap<Id, Vec<(i64, Operation)>> = BTreeMap::new();
    for (seq, item, operation) in rows {
        out.entry(parse_id(&item)?)
            .or_default()
            .push((seq, parse_body(&operation)?));
    }
    Ok(out)
}

/// The local order of the program's waiting changes.
fn outbox_rows(tx: &Tx<'_>, program: Id) -> Result<Vec<i64>> {
    tx.tx
        .prepare_cached("SELECT seq FROM outbox WHERE program_id = ?1 ORDER BY seq")
        .and_then(|mut stmt| {
            stmt.query_map(params![program.to_string()], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()
        })
        .map_err(|e| tx.sql(e))
}

/// This replica's acknowledged changes written after `fork` whose value it still holds (nobody
/// changed the field since, as far as it has pulled), per item.
fn own_lost(tx: &Tx<'_>, program: Id, fork: u64) -> Result<BTreeMap<Id, Vec<String>>> {
    let rows: Vec<(String, String, i64)> = tx
        .tx
        .prepare_cached(
            "SELECT o.item_id, o.field, o.version FROM own_writes o JOIN items i ON i.id = o.item_id
             WHERE o.program_id = ?1 AND o.version > ?2 AND json_extract(i.versions, '$.' || json_quote(o.field)) = o.version",
        )
        .and_then(|mut stmt| {
            stmt.query_map(
                params![program.to_string(), i64::try_from(fork).unwrap_or(i64::MAX)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(|e| tx.sql(e))?;
    let mut out: BTreeMap<Id, Vec<String>> = BTreeMap::new();
    for (item, field, _) in rows {
        out.entry(parse_id(&item)?).or_default().push(field);
    }
    Ok(out)
}

/// Moves every base version of the program's waiting changes back to at most `fork`.
fn rebase_outbox(tx: &Tx<'_>, program: Id, fork: u64) -> Result<()> {
    let rows: Vec<(i64, String)> = tx
        .tx
        .prepare_cached("SELECT seq, operation FROM outbox WHERE program_id = ?1")
        .and_then(|mut stmt| {
            stmt.query_map(params![program.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(|e| tx.sql(e))?;
    for (seq, text) in rows {
        let mut operation: Operation = parse_body(&text)?;
        match &mut operation {
            Operation::Update { fields } => {
                for change in fields.values_mut() {
                    change.base_version = change.base_version.min(fork);
                }
            }
            Operation::Delete { base_versions } => {
                for base in base_versions.values_mut() {
                    *base = (*base).min(fork);
                }
            }
            Operation::Create { .. } | Operation::Resolve { .. } => continue,
        }
        let text = serde_json::to_string(&operation)
            .map_err(|e| StoreError::BadStoredItem(e.to_string()))?;
        tx.tx
            .execute(
                "UPDATE outbox SET operation = ?2 WHERE seq = ?1",
                params![seq, text],
            )
            .map_err(|e| tx.sql(e))?;
    }
    Ok(())
}

/// Numbers the program's waiting changes 1, 2, 3, ... in their order, for a client id the
/// server has not seen with this program.
fn renumber_program(tx: &Tx<'_>, program: Id) -> Result<()> {
    let rows = outbox_rows(tx, program)?;
    tx.tx
        .execute(
            "UPDATE outbox SET client_seq = -client_seq WHERE program_id = ?1",
            params![program.to_string()],
        )
        .map_err(|e| tx.sql(e))?;
    for (n, seq) in rows.iter().enumerate() {
        tx.tx
            .execute(
                "UPDATE outbox SET client_seq = ?2 WHERE seq = ?1",
                params![seq, n as i64 + 1],
            )
            .map_err(|e| tx.sql(e))?;
    }
    tx.tx
        .execute(
            "INSERT INTO client_sequences (program_id, last_seq) VALUES (?1, ?2)
             ON CONFLICT (program_id) DO UPDATE SET last_seq = ?2",
            params![program.to_string(), rows.len() as i64],
        )
        .map_err(|e| tx.sql(e))?;
    Ok(())
}

/// One item of a server snapshot into this replica: new items written whole, known ones
/// reconciled field by field (what waits to be pushed keeps its value). An item this replica
/// cannot take (it holds that id in another program, or cannot read the body) is set aside with
/// the reason, and the rest goes on.
fn take_server_item(tx: &Tx<'_>, program: Id, item: &ServerItem, author: &str) -> Result<()> {
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

fn drop_rejected(tx: &Tx<'_>, id: i64) -> Result<()> {
    let n = tx
        .tx
        .execute("DELETE FROM rejected WHERE id = ?1", params![id])
        .map_err(|e| tx.sql(e))?;
    if n == 0 {
        return Err(StoreError::NoSuchRejected { id });
    }
    Ok(())
}

fn replace_conflicts_in(tx: &Tx<'_>, program: Id, conflicts: &[StoredConflict]) -> Result<()> {
    tx.tx
        .execute(
            "DELETE FROM conflicts WHERE program_id = ?1",
            params![program.to_string()],
        )
        .map_err(|e| tx.sql(e))?;
    store_conflicts(tx, program, conflicts)
}

fn set_state(tx: &Tx<'_>, program: Id, server: Option<&str>, cursor: Option<u64>) -> Result<()> {
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

/// Brings a refused new item back and queues its create again, with its fields as refused.
fn recreate(
    tx: &Tx<'_>,
    program: Id,
    kind: Kind,
    id: Id,
    mut fields: Map<String, Value>,
    author: &str,
) -> Result<()> {
    let key = match fields.get(POSITION).and_then(Value::as_str) {
        Some(key) => parse_key(key)?,
        None => tx.key_at_end(program, kind)?,
    };
    fields.remove(POSITION);
    fields.remove(DELETED);
    let mut row = match tx.item(id)? {
        Some(row) => row,
        None => ItemRow {
            program,
            kind,
            position: key.clone(),
            body: Map::new(),
            versions: FieldNumbers::new(),
            revisions: FieldNumbers::new(),
            deleted: true,
        },
    };
    let before = row.clone();
    row.position = key;
    row.deleted = false;
    row.body = with_id(&fields, id);
    if before.deleted {
        row.revisions
            .insert(DELETED.to_owned(), tx.undeleted(&before, id, author)?);
    }
    if tx.item(id)?.is_some() {
        tx.update_item(id, &row)?;
    } else {
        tx.insert_item(id, &row)?;
    }
    let mut all = fields;
    all.insert(POSITION.to_owned(), json!(row.position.as_str()));
    tx.outbox(&row, id, &Operation::Create { fields: all }, author)
}
