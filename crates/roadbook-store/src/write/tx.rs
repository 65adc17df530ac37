//! A write transaction and the steps every write is made of: reading and writing an item's
//! row, its history and its outbox entry, and the neighbours an order key is made between.

use super::*;

/// A write transaction and what every write needs beside it.
pub(crate) struct Tx<'a> {
    pub tx: Transaction<'a>,
    pub(super) path: &'a Path,
    pub now: String,
}

impl Tx<'_> {
    pub fn sql(&self, err: rusqlite::Error) -> StoreError {
        classify(self.path, err)
    }

    pub fn item(&self, id: Id) -> Result<Option<ItemRow>> {
        let row = self
            .tx
            .prepare_cached(
                "SELECT program_id, kind, position, body, versions, revisions, deleted FROM items WHERE id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![id.to_string()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, i64>(6)?,
                    ))
                })
                .optional()
            })
            .map_err(|e| self.sql(e))?;
        let Some((program, kind, position, body, versions, revisions, deleted)) = row else {
            return Ok(None);
        };
        Ok(Some(ItemRow {
            program: parse_id(&program)?,
            kind: parse_kind(&kind)?,
            position: parse_key(&position)?,
            body: parse_body(&body)?,
            versions: parse_body(&versions)?,
            revisions: parse_body(&revisions)?,
            deleted: deleted != 0,
        }))
    }

    /// A live item of this program, or NotFound (a deleted item, or one of another program, is
    /// not there for this program).
    pub(super) fn live_item(
        &self,
        program: Option<Id>,
        id: Id,
        kind: Option<Kind>,
    ) -> Result<ItemRow> {
        match self.item(id)? {
            Some(row) if !row.deleted && program.is_none_or(|p| p == row.program) => {
                if let Some(expected) = kind.filter(|k| *k != row.kind) {
                    return Err(StoreError::WrongKind {
                        id,
                        expected: expected.noun(),
                        actual: row.kind.noun(),
                    });
                }
                Ok(row)
            }
            _ => Err(StoreError::NotFound { kind, id }),
        }
    }

    pub fn insert_item(&self, id: Id, row: &ItemRow) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO items (id, program_id, kind, position, body, versions, revisions, deleted, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    id.to_string(),
                    row.program.to_string(),
                    row.kind.as_str(),
                    row.position.as_str(),
                    text(&row.body)?,
                    text(&row.versions)?,
                    text(&row.revisions)?,
                    i64::from(row.deleted),
                    self.now
                ])
            })
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    pub fn update_item(&self, id: Id, row: &ItemRow) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE items SET position = ?2, body = ?3, versions = ?4, revisions = ?5, deleted = ?6, updated_at = ?7
                 WHERE id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    id.to_string(),
                    row.position.as_str(),
                    text(&row.body)?,
                    text(&row.versions)?,
                    text(&row.revisions)?,
                    i64::from(row.deleted),
                    self.now
                ])
            })
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// Writes one history row and returns its id: the field's new revision.
    #[allow(clippy::too_many_arguments)]
    pub fn history(
        &self,
        row: &ItemRow,
        id: Id,
        field: &str,
        old: Option<&Value>,
        new: Option<&Value>,
        author: &str,
        at: &str,
    ) -> Result<u64> {
        self.history_made(row, id, field, old, new, author, at, None)
    }

    /// [`Tx::history`] of a teammate's change, with when they made it (`made_at`) beside when
    /// it reached this database (`at`).
    #[allow(clippy::too_many_arguments)]
    pub fn history_made(
        &self,
        row: &ItemRow,
        id: Id,
        field: &str,
        old: Option<&Value>,
        new: Option<&Value>,
        author: &str,
        at: &str,
        made_at: Option<&str>,
    ) -> Result<u64> {
        self.tx
            .prepare_cached(
                "INSERT INTO history (program_id, item_kind, item_id, field, old_value, new_value, author, changed_at, made_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    row.program.to_string(),
                    row.kind.as_str(),
                    id.to_string(),
                    field,
                    old.map(Value::to_string),
                    new.map(Value::to_string),
                    author,
                    at,
                    made_at
                ])
            })
            .map_err(|e| self.sql(e))?;
        Ok(self.tx.last_insert_rowid().max(0) as u64)
    }

    /// The history row of an item brought back (its tombstone lifted); its revision.
    pub(crate) fn lift_tombstone(&self, row: &ItemRow, id: Id, author: &str) -> Result<u64> {
        self.history(
            row,
            id,
            DELETED,
            Some(&json!(true)),
            Some(&json!(false)),
            author,
            &self.now,
        )
    }

    /// The value a field's revision wrote (the history row it names), and who wrote it when.
    pub fn revision(&self, revision: u64) -> Result<Option<(Option<Value>, String, String)>> {
        let row = self
            .tx
            .prepare_cached("SELECT new_value, author, changed_at FROM history WHERE id = ?1")
            .and_then(|mut stmt| {
                stmt.query_row(params![i64::try_from(revision).unwrap_or(i64::MAX)], |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .optional()
            })
            .map_err(|e| self.sql(e))?;
        row.map(|(value, author, at)| {
            let value = value.as_deref().map(parse_body::<Value>).transpose()?;
            Ok((value, author, at))
        })
        .transpose()
    }

    /// Adds an outbox entry with this client's next sequence number in the program.
    pub fn outbox(&self, row: &ItemRow, id: Id, operation: &Operation, author: &str) -> Result<()> {
        let program = row.program.to_string();
        let seq: i64 = self
            .tx
            .prepare_cached(
                "INSERT INTO client_sequences (program_id, last_seq) VALUES (?1, 1)
                 ON CONFLICT (program_id) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq",
            )
            .and_then(|mut stmt| stmt.query_row(params![program], |r| r.get(0)))
            .map_err(|e| self.sql(e))?;
        let operation = serde_json::to_string(operation)
            .map_err(|e| StoreError::BadStoredItem(e.to_string()))?;
        self.tx
            .prepare_cached(
                "INSERT INTO outbox (program_id, client_seq, mutation_id, item_kind, item_id, operation, author, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    program,
                    seq,
                    Id::new().to_string(),
                    row.kind.as_str(),
                    id.to_string(),
                    operation,
                    author,
                    self.now
                ])
            })
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// The live item of a list just before `(key, id)` in order (or the last one, when `at` is
    /// none), leaving out `except`: one step of the index on (program, kind, position, id).
    pub(super) fn previous(
        &self,
        program: Id,
        kind: Kind,
        at: Option<(&OrderKey, Id)>,
        except: Option<Id>,
    ) -> Result<Option<(Id, OrderKey)>> {
        let except = except.map(|e| e.to_string()).unwrap_or_default();
        // Row values, so SQLite seeks the index instead of scanning the list.
        match at {
            Some((key, id)) => self.neighbour(
                "SELECT id, position FROM items
                 WHERE program_id = ?1 AND kind = ?2 AND (position, id) < (?3, ?4)
                   AND deleted = 0 AND id <> ?5
                 ORDER BY position DESC, id DESC LIMIT 1",
                params![
                    program.to_string(),
                    kind.as_str(),
                    key.as_str(),
                    id.to_string(),
                    except
                ],
            ),
            None => self.neighbour(
                "SELECT id, position FROM items
                 WHERE program_id = ?1 AND kind = ?2 AND deleted = 0 AND id <> ?3
                 ORDER BY position DESC, id DESC LIMIT 1",
                params![program.to_string(), kind.as_str(), except],
            ),
        }
    }

    /// The live item of a list just after `(key, id)` in order, leaving out `except`.
    pub(super) fn next(
        &self,
        program: Id,
        kind: Kind,
        (key, id): (&OrderKey, Id),
        except: Id,
    ) -> Result<Option<(Id, OrderKey)>> {
        self.neighbour(
            "SELECT id, position FROM items
             WHERE program_id = ?1 AND kind = ?2 AND (position, id) > (?3, ?4)
               AND deleted = 0 AND id <> ?5
             ORDER BY position, id LIMIT 1",
            params![
                program.to_string(),
                kind.as_str(),
                key.as_str(),
                id.to_string(),
                except.to_string()
            ],
        )
    }

    fn neighbour(&self, sql: &str, args: impl rusqlite::Params) -> Result<Option<(Id, OrderKey)>> {
        let row = self
            .tx
            .prepare_cached(sql)
            .and_then(|mut stmt| {
                stmt.query_row(args, |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .optional()
            })
            .map_err(|e| self.sql(e))?;
        row.map(|(id, key)| Ok((parse_id(&id)?, parse_key(&key)?)))
            .transpose()
    }

    /// A key after every item of the list, tombstones included (a deleted item restored later
    /// keeps a place of its own).
    pub fn key_at_end(&self, program: Id, kind: Kind) -> Result<OrderKey> {
        let last: Option<String> = self
            .tx
            .prepare_cached("SELECT max(position) FROM items WHERE program_id = ?1 AND kind = ?2")
            .and_then(|mut stmt| {
                stmt.query_row(params![program.to_string(), kind.as_str()], |r| r.get(0))
            })
            .map_err(|e| self.sql(e))?;
        let last = last.as_deref().map(parse_key).transpose()?;
        Ok(OrderKey::after(last.as_ref()))
    }

    /// Refuses a person's change to a program the server said they may only view: it could
    /// never be pushed, and would wait beside the team's changes for good.
    pub fn may_change(&self, program: Id) -> Result<()> {
        let said: Option<(Option<String>, Option<String>)> = self
            .tx
            .prepare_cached("SELECT server, role FROM sync_state WHERE program_id = ?1")
            .and_then(|mut stmt| {
                stmt.query_row(params![program.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(|e| self.sql(e))?;
        match said {
            Some((Some(server), Some(role)))
                if role.parse::<roadbook_model::Role>() == Ok(roadbook_model::Role::Viewer) =>
            {
                Err(StoreError::ViewOnly { server, role })
            }
            _ => Ok(()),
        }
    }

    pub(super) fn program_exists(&self, program: Id) -> Result<bool> {
        self.tx
            .prepare_cached("SELECT 1 FROM programs WHERE id = ?1")
            .and_then(|mut stmt| stmt.exists(params![program.to_string()]))
            .map_err(|e| self.sql(e))
    }

    /// Writes a new item with all its fields, a history row each and one create in the outbox.
    /// The stored body keeps the id (so it reads back as the item); history and the outbox
    /// carry the id beside the fields.
    pub(super) fn create(
        &self,
        program: Id,
        kind: Kind,
        id: Id,
        position: OrderKey,
        body: Map<String, Value>,
        author: &str,
    ) -> Result<()> {
        let mut fields = body.clone();
        fields.remove(IDENTITY);
        let mut row = ItemRow {
            program,
            kind,
            position,
            versions: fields
                .keys()
                .map(|f| (f.clone(), 0))
                .chain([(POSITION.to_owned(), 0)])
                .collect(),
            revisions: FieldNumbers::new(),
            body: Map::new(),
            deleted: false,
        };
        for (field, value) in &fields {
            let revision = self.history(&row, id, field, None, Some(value), author, &self.now)?;
            row.revisions.insert(field.clone(), revision);
        }
        let mut all = fields;
        all.insert(POSITION.to_owned(), json!(row.position.as_str()));
        row.body = body;
        row.body.insert(IDENTITY.to_owned(), json!(id));
        self.insert_item(id, &row)?;
        self.outbox(&row, id, &Operation::Create { fields: all }, author)
    }
}
