//! Changes the server refused, kept for the person with its reason: listed, sent again,
//! discarded (the team's values back), or all that waits refused at once when the person may no
//! longer change the program.

use super::*;

impl Store {
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
                            .insert(DELETED.to_owned(), tx.lift_tombstone(&row, change.item_id, &author)?);
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
}

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
