//! A server that is a new history (restored from a backup, or made anew): the program taken
//! afresh, what waits kept and renumbered, and what the server lost of this replica's own sent
//! again.

use super::*;

impl Store {
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

/// Brings a refused new item back and queues its create again, with its fields as refused.
pub(super) fn recreate(
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
            .insert(DELETED.to_owned(), tx.lift_tombstone(&before, id, author)?);
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
