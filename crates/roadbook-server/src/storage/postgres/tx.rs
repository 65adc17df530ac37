//! A program's write transaction: writes kept and sent in bulk at the commit, items and
//! conflicts read ahead for a push, the log appended.

use super::*;

/// A transaction on one pooled connection. Dropped without a commit, the connection leaves the
/// pool and closes, so PostgreSQL rolls the transaction back and nobody reuses it half-done.
///
/// Writes are kept here and sent in bulk (one statement per table) when the transaction
/// commits, or before a query that reads across them: a push of a thousand changes is a handful
/// of statements instead of thousands of round trips. Items read or written are kept too, so
/// the references a change checks are read once per push.
pub(super) struct PgTx {
    client: Option<Object>,
    program: Id,
    head: u64,
    /// The publishing client and the head after its publish.
    published: Option<(Id, u64)>,
    /// Items this transaction adds to the program, whose ids it registers.
    new_ids: BTreeSet<Id>,
    /// Who wrote each version the items read here were last written at (filled at the first
    /// question, for every item read by then: one round trip for a batch).
    writers: HashMap<u64, Option<Write>>,
    /// The open conflicts of the items a push changes, read ahead and kept as they change.
    conflicts_of: HashMap<Id, Vec<Conflict>>,
    committed: bool,
    pub(super) commit_delay: Option<Duration>,
    /// Items read or written in this transaction (none: not in the program).
    items: HashMap<Id, Option<StoredItem>>,
    /// Items written and not sent yet.
    dirty: BTreeMap<Id, StoredItem>,
    /// Log entries not sent yet, with their versions.
    changes: Vec<(u64, NewChange)>,
    /// Mutation results not sent yet.
    records: Vec<(Id, MutationResult)>,
    /// Results already in the database, read ahead for a push (none: there is none).
    recorded: HashMap<(Id, u64), Option<Recorded>>,
    recorded_ids: HashMap<Id, Option<Recorded>>,
    /// Each client's last sequence number, and the clients whose number changed.
    seqs: HashMap<Id, u64>,
    seqs_changed: BTreeSet<Id>,
    audits: Vec<AuditEvent>,
}

impl Drop for PgTx {
    fn drop(&mut self) {
        if !self.committed
            && let Some(client) = self.client.take()
        {
            drop(Object::take(client));
        }
    }
}

impl PgTx {
    /// `BEGIN`, and with `lock`, the program's row lock (which also reads its head).
    pub(super) async fn begin(
        client: Object,
        program: Id,
        lock: Option<()>,
    ) -> StorageResult<PgTx> {
        let mut tx = PgTx {
            client: Some(client),
            program,
            head: 0,
            published: None,
            new_ids: BTreeSet::new(),
            writers: HashMap::new(),
            conflicts_of: HashMap::new(),
            committed: false,
            commit_delay: None,
            items: HashMap::new(),
            dirty: BTreeMap::new(),
            changes: Vec::new(),
            records: Vec::new(),
            recorded: HashMap::new(),
            recorded_ids: HashMap::new(),
            seqs: HashMap::new(),
            seqs_changed: BTreeSet::new(),
            audits: Vec::new(),
        };
        tx.db()?.batch_execute("BEGIN").await.map_err(unavailable)?;
        if lock.is_some() {
            let row = tx
                .db()?
                .query_opt(
                    "SELECT head, published_client, published_head FROM programs WHERE id = $1 FOR UPDATE",
                    &[&uuid(program)],
                )
                .await
                .map_err(unavailable)?
                .ok_or(StorageError::NotFound)?;
            tx.head = version(get(&row, "head")?);
            let published: Option<Uuid> = get(&row, "published_client")?;
            tx.published = published.map(|c| (id(c), 0));
            if let Some((_, head)) = tx.published.as_mut() {
                *head = version(get(&row, "published_head")?);
            }
        }
        Ok(tx)
    }

    pub(super) fn db(&self) -> StorageResult<&Object> {
        self.client
            .as_ref()
            .ok_or_else(|| StorageError::Unavailable("the transaction has ended".into()))
    }

    pub(super) async fn exec(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StorageResult<u64> {
        let db = self.db()?;
        let statement = db.prepare_cached(sql).await.map_err(unavailable)?;
        db.execute(&statement, params).await.map_err(unavailable)
    }

    pub(super) async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StorageResult<Vec<Row>> {
        let db = self.db()?;
        let statement = db.prepare_cached(sql).await.map_err(unavailable)?;
        db.query(&statement, params).await.map_err(unavailable)
    }

    pub(super) async fn one(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StorageResult<Option<Row>> {
        let db = self.db()?;
        let statement = db.prepare_cached(sql).await.map_err(unavailable)?;
        db.query_opt(&statement, params).await.map_err(unavailable)
    }

    /// Runs statements together on this connection (tokio-postgres pipelines them): one round
    /// trip for all, in the order given.
    async fn run_all(&self, statements: Vec<Statement>) -> StorageResult<()> {
        let db = self.db()?;
        let runs = statements.iter().map(|statement| async move {
            let prepared = db.prepare_cached(statement.sql).await?;
            let params: Vec<&(dyn ToSql + Sync)> = statement
                .params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            db.execute(&prepared, &params).await
        });
        futures_util::future::try_join_all(runs)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    /// The statements that send every write kept so far, one per table.
    fn pending(&mut self) -> StorageResult<Vec<Statement>> {
        let program = uuid(self.program);
        let mut out = Vec::new();
        if !self.changes.is_empty() {
            let changes = std::mem::take(&mut self.changes);
            out.push(Statement::new(
                "INSERT INTO changes (program_id, version, kind, item_id, fields, author_subject, author_name, at, client_id, client_seq, made_at)
                 SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::uuid[], $5::jsonb[], $6::text[], $7::text[], $8::text[], $9::uuid[], $10::bigint[], $11::text[])",
                vec![
                    Box::new(program),
                    Box::new(changes.iter().map(|(v, _)| signed(*v)).collect::<Vec<i64>>()),
                    Box::new(changes.iter().map(|(_, c)| c.kind.as_str().to_owned()).collect::<Vec<String>>()),
                    Box::new(changes.iter().map(|(_, c)| uuid(c.item_id)).collect::<Vec<Uuid>>()),
                    Box::new(changes.iter().map(|(_, c)| Value::Object(c.fields.clone())).collect::<Vec<Value>>()),
                    Box::new(changes.iter().map(|(_, c)| c.author.subject.clone()).collect::<Vec<String>>()),
                    Box::new(changes.iter().map(|(_, c)| c.author.name.clone()).collect::<Vec<String>>()),
                    Box::new(changes.iter().map(|(_, c)| c.at.clone()).collect::<Vec<String>>()),
                    Box::new(changes.iter().map(|(_, c)| c.origin.map(|o| uuid(o.client_id))).collect::<Vec<Option<Uuid>>>()),
                    Box::new(changes.iter().map(|(_, c)| c.origin.map(|o| signed(o.seq))).collect::<Vec<Option<i64>>>()),
                    Box::new(changes.iter().map(|(_, c)| c.made_at.clone()).collect::<Vec<Option<String>>>()),
                ],
            ));
        }
        if !self.new_ids.is_empty() {
            // A plain insert: an id another program took meanwhile fails the commit (the
            // engine checked before, inside this program's lock, but not inside the other's).
            let new_ids = std::mem::take(&mut self.new_ids);
            out.push(Statement::new(
                "INSERT INTO item_ids (id, program_id) SELECT unnest($2::uuid[]), $1",
                vec![
                    Box::new(program),
                    Box::new(new_ids.iter().map(|id| uuid(*id)).collect::<Vec<Uuid>>()),
                ],
            ));
        }
        if !self.dirty.is_empty() {
            let dirty = std::mem::take(&mut self.dirty);
            let versions = dirty
                .values()
                .map(|i| serde_json::to_value(&i.versions).map_err(corrupt))
                .collect::<StorageResult<Vec<Value>>>()?;
            out.push(Statement::new(
                "INSERT INTO items (program_id, id, kind, fields, versions, deleted)
                 SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[], $6::bool[])
                 ON CONFLICT (program_id, id) DO UPDATE SET fields = excluded.fields, versions = excluded.versions, deleted = excluded.deleted",
                vec![
                    Box::new(program),
                    Box::new(dirty.keys().map(|id| uuid(*id)).collect::<Vec<Uuid>>()),
                    Box::new(dirty.values().map(|i| i.kind.as_str().to_owned()).collect::<Vec<String>>()),
                    Box::new(dirty.values().map(|i| Value::Object(i.fields.clone())).collect::<Vec<Value>>()),
                    Box::new(versions),
                    Box::new(dirty.values().map(StoredItem::deleted).collect::<Vec<bool>>()),
                ],
            ));
        }
        if !self.records.is_empty() {
            let records = std::mem::take(&mut self.records);
            let results = records
                .iter()
                .map(|(_, r)| serde_json::to_value(r).map_err(corrupt))
                .collect::<StorageResult<Vec<Value>>>()?;
            out.push(Statement::new(
                "INSERT INTO mutations (program_id, client_id, seq, mutation_id, result)
                 SELECT $1, * FROM unnest($2::uuid[], $3::bigint[], $4::uuid[], $5::jsonb[])",
                vec![
                    Box::new(program),
                    Box::new(records.iter().map(|(c, _)| uuid(*c)).collect::<Vec<Uuid>>()),
                    Box::new(
                        records
                            .iter()
                            .map(|(_, r)| signed(r.seq))
                            .collect::<Vec<i64>>(),
                    ),
                    Box::new(
                        records
                            .iter()
                            .map(|(_, r)| uuid(r.mutation_id))
                            .collect::<Vec<Uuid>>(),
                    ),
                    Box::new(results),
                ],
            ));
        }
        for client in std::mem::take(&mut self.seqs_changed) {
            let last = signed(self.seqs.get(&client).copied().unwrap_or(0));
            out.push(Statement::new(
                "INSERT INTO clients (program_id, client_id, last_seq) VALUES ($1, $2, $3)
                 ON CONFLICT (program_id, client_id) DO UPDATE SET last_seq = greatest(clients.last_seq, excluded.last_seq)",
                vec![Box::new(program), Box::new(uuid(client)), Box::new(last)],
            ));
        }
        if !self.audits.is_empty() {
            let audits = std::mem::take(&mut self.audits);
            out.push(Statement::new(
                "INSERT INTO audit (at, subject, program_id, action, detail)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::jsonb[])",
                vec![
                    Box::new(audits.iter().map(|a| a.at.clone()).collect::<Vec<String>>()),
                    Box::new(
                        audits
                            .iter()
                            .map(|a| a.subject.clone())
                            .collect::<Vec<String>>(),
                    ),
                    Box::new(
                        audits
                            .iter()
                            .map(|a| a.program.map(uuid))
                            .collect::<Vec<Option<Uuid>>>(),
                    ),
                    Box::new(
                        audits
                            .iter()
                            .map(|a| a.action.clone())
                            .collect::<Vec<String>>(),
                    ),
                    Box::new(
                        audits
                            .iter()
                            .map(|a| a.detail.clone())
                            .collect::<Vec<Value>>(),
                    ),
                ],
            ));
        }
        Ok(out)
    }

    /// Sends every write kept so far.
    async fn flush(&mut self) -> StorageResult<()> {
        let statements = self.pending()?;
        if statements.is_empty() {
            return Ok(());
        }
        self.run_all(statements).await
    }
}

/// A statement with its parameters, to run with others in one round trip.
struct Statement {
    sql: &'static str,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Statement {
    pub(super) fn new(sql: &'static str, params: Vec<Box<dyn ToSql + Sync + Send>>) -> Statement {
        Statement { sql, params }
    }
}

#[async_trait]
impl ProgramTx for PgTx {
    fn head(&self) -> u64 {
        self.head
    }

    async fn prefetch(&mut self, pushes: &[Prefetch], items: &[Id]) -> StorageResult<()> {
        let program = uuid(self.program);
        let (mut clients, mut seqs, mut ids, mut everyone) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for push in pushes {
            everyone.push(uuid(push.client));
            for seq in &push.seqs {
                clients.push(uuid(push.client));
                seqs.push(signed(*seq));
                self.recorded.entry((push.client, *seq)).or_insert(None);
            }
            for mutation in &push.mutations {
                ids.push(uuid(*mutation));
                self.recorded_ids.entry(*mutation).or_insert(None);
            }
        }
        let wanted: Vec<Uuid> = items.iter().map(|i| uuid(*i)).collect();
        let wanted_text: Vec<String> = items.iter().map(Id::to_string).collect();
        let db = self.db()?;
        // Five reads, one round trip.
        let open = async {
            let s = db
                .prepare_cached(
                    "SELECT body, made_at FROM conflicts WHERE program_id = $1 AND resolved_version IS NULL AND body->>'item_id' = ANY($2)",
                )
                .await?;
            db.query(&s, &[&program, &wanted_text]).await
        };
        let ((by_seq, by_id, last, found), open) = futures_util::future::join(futures_util::future::join4(
            async {
                let s = db
                    .prepare_cached(
                        "SELECT m.client_id, m.seq, m.mutation_id, m.result FROM mutations m
                         JOIN unnest($2::uuid[], $3::bigint[]) AS w(client_id, seq) USING (client_id, seq)
                         WHERE m.program_id = $1",
                    )
                    .await?;
                db.query(&s, &[&program, &clients, &seqs]).await
            },
            async {
                let s = db
                    .prepare_cached(
                        "SELECT DISTINCT ON (mutation_id) mutation_id, result FROM mutations WHERE program_id = $1 AND mutation_id = ANY($2)",
                    )
                    .await?;
                db.query(&s, &[&program, &ids]).await
            },
            async {
                let s = db
                    .prepare_cached("SELECT client_id, last_seq FROM clients WHERE program_id = $1 AND client_id = ANY($2)")
                    .await?;
                db.query(&s, &[&program, &everyone]).await
            },
            async {
                let s = db
                    .prepare_cached("SELECT id, kind, fields, versions FROM items WHERE program_id = $1 AND id = ANY($2)")
                    .await?;
                db.query(&s, &[&program, &wanted]).await
            },
        ), open)
        .await;
        for item in items {
            self.conflicts_of.entry(*item).or_default();
        }
        for row in &open.map_err(unavailable)? {
            let conflict = conflict_of(row)?;
            self.conflicts_of
                .entry(conflict.item_id)
                .or_default()
                .push(conflict);
        }
        for row in &by_seq.map_err(unavailable)? {
            let client = id(get(row, "client_id")?);
            let seq = version(get(row, "seq")?);
            self.recorded.insert((client, seq), Some(recorded_of(row)?));
        }
        for row in &by_id.map_err(unavailable)? {
            let recorded = recorded_of(row)?;
            self.recorded_ids
                .insert(recorded.mutation_id, Some(recorded));
        }
        for push in pushes {
            self.seqs.entry(push.client).or_insert(0);
        }
        for row in &last.map_err(unavailable)? {
            self.seqs
                .insert(id(get(row, "client_id")?), version(get(row, "last_seq")?));
        }
        for item in items {
            self.items.entry(*item).or_insert(None);
        }
        for row in &found.map_err(unavailable)? {
            let item = item_of(row)?;
            self.items.insert(item.id, Some(item));
        }
        Ok(())
    }

    async fn item(&mut self, item: Id) -> StorageResult<Option<StoredItem>> {
        if let Some(known) = self.items.get(&item) {
            return Ok(known.clone());
        }
        let program = uuid(self.program);
        let row = self
            .one(
                "SELECT id, kind, fields, versions FROM items WHERE program_id = $1 AND id = $2",
                &[&program, &uuid(item)],
            )
            .await?;
        let found = row.as_ref().map(item_of).transpose()?;
        self.items.insert(item, found.clone());
        Ok(found)
    }

    async fn names(&mut self, kind: Kind, except: Id) -> StorageResult<Vec<String>> {
        self.flush().await?;
        let program = uuid(self.program);
        let rows = self
            .query(
                "SELECT fields->>'name' AS name FROM items WHERE program_id = $1 AND kind = $2 AND NOT deleted AND id <> $3",
                &[&program, &kind.as_str(), &uuid(except)],
            )
            .await?;
        rows.iter()
            .map(|r| get::<Option<String>>(r, "name").map(Option::unwrap_or_default))
            .collect()
    }

    async fn mentions(&mut self, item: Id) -> StorageResult<Vec<StoredItem>> {
        self.flush().await?;
        let program = uuid(self.program);
        let rows = self
            .query(
                "SELECT id, kind, fields, versions FROM items
                 WHERE program_id = $1 AND NOT deleted AND id <> $2 AND strpos(fields::text, $3) > 0",
                &[&program, &uuid(item), &item.to_string()],
            )
            .await?;
        rows.iter().map(item_of).collect()
    }

    async fn writer(&mut self, at: u64) -> StorageResult<Option<Write>> {
        let published = self.published;
        let whose = move |version: u64, origin: Option<Id>| {
            origin.or_else(|| {
                published
                    .filter(|(_, head)| version <= *head)
                    .map(|(c, _)| c)
            })
        };
        // Written by this transaction and not sent yet: newer than anything in the database.
        if let Some((_, change)) = self.changes.iter().find(|(v, _)| *v == at) {
            return Ok(Some(Write {
                version: at,
                client: whose(at, change.origin.map(|o| o.client_id)),
                subject: change.author.subject.clone(),
                fields: change.fields.keys().cloned().collect(),
            }));
        }
        if let Some(known) = self.writers.get(&at) {
            return Ok(known.clone());
        }
        // Every version the items read so far were last written at, and this one: a batch
        // asks about many, so one round trip answers them all.
        let mut versions: BTreeSet<i64> = self
            .items
            .values()
            .flatten()
            .flat_map(|i| i.versions.values().copied())
            .filter(|v| !self.writers.contains_key(v))
            .map(signed)
            .collect();
        versions.insert(signed(at));
        let versions: Vec<i64> = versions.into_iter().collect();
        let program = uuid(self.program);
        let rows = self
            .query(
                "SELECT version, client_id, author_subject, ARRAY(SELECT jsonb_object_keys(fields)) AS fields
                 FROM changes WHERE program_id = $1 AND version = ANY($2)",
                &[&program, &versions],
            )
            .await?;
        for v in &versions {
            self.writers.insert(version(*v), None);
        }
        for row in &rows {
            let v = version(get(row, "version")?);
            let client: Option<Uuid> = get(row, "client_id")?;
            self.writers.insert(
                v,
                Some(Write {
                    version: v,
                    client: whose(v, client.map(id)),
                    subject: get(row, "author_subject")?,
                    fields: get(row, "fields")?,
                }),
            );
        }
        Ok(self.writers.get(&at).cloned().flatten())
    }

    async fn id_elsewhere(&mut self, item: Id) -> StorageResult<bool> {
        let row = self
            .one(
                "SELECT 1 FROM item_ids WHERE id = $1 AND program_id <> $2",
                &[&uuid(item), &uuid(self.program)],
            )
            .await?;
        Ok(row.is_some())
    }

    async fn open_conflicts_of(&mut self, item: Id) -> StorageResult<Vec<Conflict>> {
        if let Some(known) = self.conflicts_of.get(&item) {
            return Ok(known.clone());
        }
        let program = uuid(self.program);
        let rows = self
            .query(
                "SELECT body, made_at FROM conflicts WHERE program_id = $1 AND resolved_version IS NULL AND body->>'item_id' = $2
                 ORDER BY opened_version, id",
                &[&program, &item.to_string()],
            )
            .await?;
        let found: Vec<Conflict> = rows.iter().map(conflict_of).collect::<StorageResult<_>>()?;
        self.conflicts_of.insert(item, found.clone());
        Ok(found)
    }

    async fn update_conflict(&mut self, conflict: &Conflict) -> StorageResult<()> {
        if let Some(known) = self.conflicts_of.get_mut(&conflict.item_id) {
            for c in known.iter_mut().filter(|c| c.id == conflict.id) {
                *c = conflict.clone();
            }
        }
        let program = uuid(self.program);
        let (body, made) = conflict_row(conflict)?;
        self.exec(
            "UPDATE conflicts SET body = $3, made_at = $4 WHERE program_id = $1 AND id = $2",
            &[&program, &uuid(conflict.id), &body, &made],
        )
        .await
        .map(|_| ())
    }

    async fn value_at(&mut self, item: Id, field: &str, at: u64) -> StorageResult<Option<Value>> {
        // Changes kept here are newer than any in the database: the latest of them at or
        // before `at` is the answer, if there is one.
        if let Some(value) = self
            .changes
            .iter()
            .rev()
            .filter(|(v, c)| *v <= at && c.item_id == item)
            .find_map(|(_, c)| c.fields.get(field).cloned())
        {
            return Ok(Some(value));
        }
        let program = uuid(self.program);
        let row = self
            .one(
                "SELECT fields -> $3 AS value FROM changes
                 WHERE program_id = $1 AND item_id = $2 AND version <= $4 AND fields ? $3
                 ORDER BY version DESC LIMIT 1",
                &[&program, &uuid(item), &field, &signed(at)],
            )
            .await?;
        row.map(|r| get::<Value>(&r, "value")).transpose()
    }

    async fn change_author(&mut self, at: u64) -> StorageResult<Option<Authored>> {
        if let Some((_, change)) = self.changes.iter().find(|(v, _)| *v == at) {
            return Ok(Some(Authored {
                author: change.author.name.clone(),
                at: change.at.clone(),
                made_at: change.made_at.clone(),
            }));
        }
        let program = uuid(self.program);
        let row = self
            .one(
                "SELECT author_name, at, made_at FROM changes WHERE program_id = $1 AND version = $2",
                &[&program, &signed(at)],
            )
            .await?;
        row.map(|r| {
            Ok(Authored {
                author: get(&r, "author_name")?,
                at: get(&r, "at")?,
                made_at: get(&r, "made_at")?,
            })
        })
        .transpose()
    }

    async fn recorded(&mut self, client: Id, seq: u64) -> StorageResult<Option<Recorded>> {
        if let Some((_, result)) = self
            .records
            .iter()
            .find(|(c, r)| *c == client && r.seq == seq)
        {
            return Ok(Some(Recorded {
                mutation_id: result.mutation_id,
                result: result.clone(),
            }));
        }
        if let Some(known) = self.recorded.get(&(client, seq)) {
            return Ok(known.clone());
        }
        let program = uuid(self.program);
        let row = self
            .one(
                "SELECT mutation_id, result FROM mutations WHERE program_id = $1 AND client_id = $2 AND seq = $3",
                &[&program, &uuid(client), &signed(seq)],
            )
            .await?;
        row.as_ref().map(recorded_of).transpose()
    }

    async fn recorded_by_id(&mut self, mutation: Id) -> StorageResult<Option<Recorded>> {
        if let Some((_, result)) = self.records.iter().find(|(_, r)| r.mutation_id == mutation) {
            return Ok(Some(Recorded {
                mutation_id: mutation,
                result: result.clone(),
            }));
        }
        if let Some(known) = self.recorded_ids.get(&mutation) {
            return Ok(known.clone());
        }
        let program = uuid(self.program);
        let row = self
            .one(
                "SELECT mutation_id, result FROM mutations WHERE program_id = $1 AND mutation_id = $2 LIMIT 1",
                &[&program, &uuid(mutation)],
            )
            .await?;
        row.as_ref().map(recorded_of).transpose()
    }

    async fn last_seq(&mut self, client: Id) -> StorageResult<u64> {
        if let Some(last) = self.seqs.get(&client) {
            return Ok(*last);
        }
        let program = uuid(self.program);
        let row = self
            .one(
                "SELECT last_seq FROM clients WHERE program_id = $1 AND client_id = $2",
                &[&program, &uuid(client)],
            )
            .await?;
        let last = row
            .map(|r| get::<i64>(&r, "last_seq").map(version))
            .transpose()?
            .unwrap_or(0);
        self.seqs.insert(client, last);
        Ok(last)
    }

    async fn record(&mut self, client: Id, result: &MutationResult) -> StorageResult<()> {
        let last = self.last_seq(client).await?;
        self.seqs.insert(client, last.max(result.seq));
        self.seqs_changed.insert(client);
        // Kept as protocol 2 reads it: the previous release answers a replay from this row with
        // a strict parser (a replay's conflicts then lack only when they were made).
        let mut kept = result.clone();
        if let roadbook_protocol::Outcome::Applied { conflicts, .. } = &mut kept.outcome {
            *conflicts = roadbook_protocol::Versioned::for_protocol(std::mem::take(conflicts), 2);
        }
        self.records.push((client, kept));
        Ok(())
    }

    async fn put_item(&mut self, item: &StoredItem) -> StorageResult<()> {
        if !matches!(self.items.get(&item.id), Some(Some(_))) {
            self.new_ids.insert(item.id);
        }
        self.items.insert(item.id, Some(item.clone()));
        self.dirty.insert(item.id, item.clone());
        Ok(())
    }

    async fn append(&mut self, change: NewChange) -> StorageResult<u64> {
        let version = self.head + 1;
        self.changes.push((version, change));
        self.head = version;
        Ok(version)
    }

    async fn conflict(&mut self, conflict: Id) -> StorageResult<Option<(Conflict, bool)>> {
        let program = uuid(self.program);
        let row = self
            .one(
                "SELECT body, made_at, resolved_version FROM conflicts WHERE program_id = $1 AND id = $2",
                &[&program, &uuid(conflict)],
            )
            .await?;
        row.map(|r| {
            let body = conflict_of(&r)?;
            let resolved: Option<i64> = get(&r, "resolved_version")?;
            Ok((body, resolved.is_none()))
        })
        .transpose()
    }

    async fn open_conflict(&mut self, conflict: &Conflict, at: u64) -> StorageResult<()> {
        if let Some(known) = self.conflicts_of.get_mut(&conflict.item_id) {
            known.push(conflict.clone());
        }
        let program = uuid(self.program);
        let (body, made) = conflict_row(conflict)?;
        self.exec(
            "INSERT INTO conflicts (id, program_id, body, opened_version, made_at) VALUES ($1, $2, $3, $4, $5)",
            &[&uuid(conflict.id), &program, &body, &signed(at), &made],
        )
        .await
        .map(|_| ())
    }

    async fn close_conflict(&mut self, conflict: Id, at: u64) -> StorageResult<()> {
        for known in self.conflicts_of.values_mut() {
            known.retain(|c| c.id != conflict);
        }
        let program = uuid(self.program);
        self.exec(
            "UPDATE conflicts SET resolved_version = $3 WHERE program_id = $1 AND id = $2",
            &[&program, &uuid(conflict), &signed(at)],
        )
        .await
        .map(|_| ())
    }

    async fn audit(&mut self, event: AuditEvent) -> StorageResult<()> {
        self.audits.push(event);
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> StorageResult<u64> {
        let program = uuid(self.program);
        let head = self.head;
        let mut statements = self.pending()?;
        statements.push(Statement::new(
            "UPDATE programs SET head = $2 WHERE id = $1",
            vec![Box::new(program), Box::new(signed(head))],
        ));
        // Delivered when the transaction commits, to every listening server process.
        statements.push(Statement::new(
            "SELECT pg_notify($1, $2)",
            vec![
                Box::new(CHANNEL.to_owned()),
                Box::new(format!("{}:{head}", self.program)),
            ],
        ));
        self.run_all(statements).await?;
        if let Some(most) = self.commit_delay {
            // A varying delay (from the clock's low bits): commits finish in a shuffled order
            // unless something keeps them in order.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let most = u32::try_from(most.as_millis()).unwrap_or(u32::MAX).max(1);
            tokio::time::sleep(Duration::from_millis(u64::from(nanos % most))).await;
        }
        self.db()?
            .batch_execute("COMMIT")
            .await
            .map_err(unavailable)?;
        self.committed = true;
        Ok(head)
    }
}
