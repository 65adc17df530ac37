//! The storage's reads and writes outside a program's write transaction: programs, the log and
//! the snapshot for pulls and joins, the shared archive, the audit trail, usage counts.

use super::*;

#[async_trait]
impl Storage for PgStorage {
    fn pool_use(&self) -> Option<crate::metrics::PoolUse> {
        let status = self.pool.status();
        Some(crate::metrics::PoolUse {
            in_use: status.size.saturating_sub(status.available),
            idle: status.available,
            waiting: status.waiting,
            max: status.max_size,
        })
    }

    async fn ping(&self) -> StorageResult<()> {
        self.client()
            .await?
            .execute("SELECT 1", &[])
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn programs(&self) -> StorageResult<Vec<ProgramRow>> {
        let rows = self
            .client()
            .await?
            .query(
                &format!("SELECT {PROGRAM_COLUMNS} FROM programs ORDER BY created_at, id"),
                &[],
            )
            .await
            .map_err(unavailable)?;
        rows.iter().map(program_row).collect()
    }

    async fn program(&self, program: Id) -> StorageResult<Option<ProgramRow>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!("SELECT {PROGRAM_COLUMNS} FROM programs WHERE id = $1"),
                &[&uuid(program)],
            )
            .await
            .map_err(unavailable)?;
        row.as_ref().map(program_row).transpose()
    }

    async fn history(&self) -> StorageResult<Id> {
        // One process at a time, so processes starting together begin one history, not two.
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        tx.execute("SELECT pg_advisory_xact_lock(7261647)", &[])
            .await
            .map_err(unavailable)?;
        let now = tx
            .query_one(
                "SELECT database_oid, system_identifier, timeline FROM roadbook_fingerprint()",
                &[],
            )
            .await
            .map_err(unavailable)?;
        let last = tx
            .query_opt(
                "SELECT id, database_oid, system_identifier, timeline FROM server_history ORDER BY n DESC LIMIT 1",
                &[],
            )
            .await
            .map_err(unavailable)?;
        let same = |column: &str| -> StorageResult<bool> {
            let Some(last) = &last else {
                return Ok(false);
            };
            Ok(match column {
                "system_identifier" => {
                    get::<Option<String>>(last, column)? == get::<Option<String>>(&now, column)?
                }
                _ => get::<Option<i64>>(last, column)? == get::<Option<i64>>(&now, column)?,
            })
        };
        let current = match &last {
            Some(row)
                if same("database_oid")? && same("system_identifier")? && same("timeline")? =>
            {
                id(get(row, "id")?)
            }
            _ => {
                let why = match &last {
                    None => "the first history of this database",
                    Some(_) => {
                        "this database is not the one the last history was written in (restored, recovered or made anew)"
                    }
                };
                let row = tx
                    .query_one("SELECT roadbook_new_history($1) AS id", &[&why])
                    .await
                    .map_err(unavailable)?;
                let fresh = id(get(&row, "id")?);
                tracing::warn!(history = %fresh, reason = why, "began a new history: clients take their programs afresh");
                fresh
            }
        };
        tx.commit().await.map_err(unavailable)?;
        Ok(current)
    }

    async fn ids_elsewhere(&self, program: Id, ids: &[Id]) -> StorageResult<Vec<Id>> {
        let wanted: Vec<Uuid> = ids.iter().map(|i| uuid(*i)).collect();
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id FROM item_ids WHERE id = ANY($1) AND program_id <> $2",
                &[&wanted, &uuid(program)],
            )
            .await
            .map_err(unavailable)?;
        rows.iter().map(|r| Ok(id(get(r, "id")?))).collect()
    }

    async fn item_anywhere(&self, item: Id) -> StorageResult<Option<(Id, Kind)>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT i.program_id, i.kind FROM item_ids x
                 JOIN items i ON i.program_id = x.program_id AND i.id = x.id
                 WHERE x.id = $1 AND NOT i.deleted",
                &[&uuid(item)],
            )
            .await
            .map_err(unavailable)?;
        row.map(|r| {
            let kind: String = get(&r, "kind")?;
            let kind = kind
                .parse::<Kind>()
                .map_err(|e| StorageError::Corrupt(e.to_string()))?;
            Ok((id(get(&r, "program_id")?), kind))
        })
        .transpose()
    }

    async fn programs_naming(&self, program: Id) -> StorageResult<Vec<Id>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT DISTINCT program_id FROM items
                 WHERE kind = 'dependency' AND NOT deleted
                 AND fields->'other_item'->>'program_id' = $1",
                &[&program.to_string()],
            )
            .await
            .map_err(unavailable)?;
        rows.iter().map(|r| Ok(id(get(r, "program_id")?))).collect()
    }

    async fn create_program(&self, program: NewProgram, audit: AuditEvent) -> StorageResult<u64> {
        let mut tx = PgTx::begin(self.client().await?, program.id, None).await?;
        let head = program.changes.len() as u64;
        let created = tx
            .exec(
                "INSERT INTO programs (id, name, head, created_by, created_at, published_client, published_head, published_seq)
                 VALUES ($1, $2, 0, $3, $4, $5, $6, $7)
                 ON CONFLICT (id) DO NOTHING",
                &[
                    &uuid(program.id),
                    &program.name,
                    &program.created_by.subject,
                    &program.at,
                    &uuid(program.client),
                    &signed(head),
                    &signed(program.last_seq),
                ],
            )
            .await?;
        if created == 0 {
            return Err(StorageError::Exists);
        }
        for item in &program.items {
            tx.put_item(item).await?;
        }
        for change in program.changes {
            tx.append(change).await?;
        }
        tx.exec(
            "INSERT INTO clients (program_id, client_id, last_seq) VALUES ($1, $2, $3)",
            &[
                &uuid(program.id),
                &uuid(program.client),
                &signed(program.last_seq),
            ],
        )
        .await?;
        tx.audit(audit).await?;
        let written = Box::new(tx).commit().await?;
        debug_assert_eq!(written, head);
        Ok(written)
    }

    async fn begin(&self, program: Id) -> StorageResult<Box<dyn ProgramTx>> {
        let client = self.client().await?;
        let mut tx = PgTx::begin(client, program, Some(())).await?;
        tx.commit_delay = self.commit_delay;
        Ok(Box::new(tx))
    }

    async fn changes_after(
        &self,
        program: Id,
        after: u64,
        limit: usize,
    ) -> StorageResult<Vec<Change>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT version, kind, item_id, fields, author_name, at, made_at, client_id, client_seq FROM changes
                 WHERE program_id = $1 AND version > $2 ORDER BY version LIMIT $3",
                &[&uuid(program), &signed(after), &i64::try_from(limit).unwrap_or(i64::MAX)],
            )
            .await
            .map_err(unavailable)?;
        rows.iter().map(change_of).collect()
    }

    async fn snapshot(&self, program: Id) -> StorageResult<(Vec<ItemState>, u64)> {
        // One repeatable-read transaction: the items and the head are one moment.
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(unavailable)?;
        let head = tx
            .query_opt("SELECT head FROM programs WHERE id = $1", &[&uuid(program)])
            .await
            .map_err(unavailable)?
            .ok_or(StorageError::NotFound)?;
        let head = version(get(&head, "head")?);
        let rows = tx
            .query(
                "SELECT id, kind, fields, versions FROM items WHERE program_id = $1 ORDER BY kind, id",
                &[&uuid(program)],
            )
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        let items = rows
            .iter()
            .map(|r| item_of(r).map(|i| i.state()))
            .collect::<StorageResult<Vec<_>>>()?;
        Ok((items, head))
    }

    async fn open_conflicts(&self, program: Id) -> StorageResult<Vec<Conflict>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT body, made_at FROM conflicts WHERE program_id = $1 AND resolved_version IS NULL ORDER BY opened_version, id",
                &[&uuid(program)],
            )
            .await
            .map_err(unavailable)?;
        rows.iter().map(conflict_of).collect()
    }

    async fn page(&self, program: Id, after: u64, limit: usize) -> StorageResult<Option<Page>> {
        // Three statements on one connection, sent together (tokio-postgres pipelines them):
        // one round trip, and one pooled connection, per pull.
        let db = self.client().await?;
        let id = uuid(program);
        let (after, limit) = (signed(after), i64::try_from(limit).unwrap_or(i64::MAX));
        let (row, changes, conflicts) = futures_util::future::join3(
            async {
                let statement = db
                    .prepare_cached(&format!("SELECT {PROGRAM_COLUMNS} FROM programs WHERE id = $1"))
                    .await?;
                db.query_opt(&statement, &[&id]).await
            },
            async {
                let statement = db
                    .prepare_cached(
                        "SELECT version, kind, item_id, fields, author_name, at, made_at, client_id, client_seq FROM changes
                         WHERE program_id = $1 AND version > $2 ORDER BY version LIMIT $3",
                    )
                    .await?;
                db.query(&statement, &[&id, &after, &limit]).await
            },
            async {
                let statement = db
                    .prepare_cached(
                        "SELECT body, made_at FROM conflicts WHERE program_id = $1 AND resolved_version IS NULL ORDER BY opened_version, id",
                    )
                    .await?;
                db.query(&statement, &[&id]).await
            },
        )
        .await;
        let Some(row) = row.map_err(unavailable)? else {
            return Ok(None);
        };
        Ok(Some(Page {
            row: program_row(&row)?,
            changes: changes
                .map_err(unavailable)?
                .iter()
                .map(change_of)
                .collect::<StorageResult<_>>()?,
            conflicts: conflicts
                .map_err(unavailable)?
                .iter()
                .map(conflict_of)
                .collect::<StorageResult<_>>()?,
        }))
    }

    async fn register_client(&self, program: Id, client: Id, last_seq: u64) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO clients (program_id, client_id, last_seq) VALUES ($1, $2, $3)
                 ON CONFLICT (program_id, client_id) DO NOTHING",
                &[&uuid(program), &uuid(client), &signed(last_seq)],
            )
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn compact(&self, program: Id, through: u64) -> StorageResult<()> {
        let tx = PgTx::begin(self.client().await?, program, Some(())).await?;
        tx.exec(
            "UPDATE programs SET floor = greatest(floor, $2) WHERE id = $1",
            &[&uuid(program), &signed(through)],
        )
        .await?;
        tx.exec(
            "DELETE FROM changes WHERE program_id = $1 AND version <= $2",
            &[&uuid(program), &signed(through)],
        )
        .await?;
        Box::new(tx).commit().await.map(|_| ())
    }

    async fn share_document(
        &self,
        program: Id,
        document: &ArchivedDocument,
        audit: AuditEvent,
    ) -> StorageResult<Option<u64>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        // The program row's lock first: sharers of one program take turns, so positions commit
        // in the order they are handed out, and a document shared twice at once is stored once.
        let Some(row) = tx
            .query_opt(
                "UPDATE programs SET documents_head = documents_head + 1 WHERE id = $1 RETURNING documents_head",
                &[&uuid(program)],
            )
            .await
            .map_err(unavailable)?
        else {
            return Err(StorageError::NotFound);
        };
        let position: i64 = get(&row, "documents_head")?;
        let known = tx
            .query_opt(
                "SELECT 1 FROM documents WHERE program_id = $1 AND id = $2",
                &[&uuid(program), &uuid(document.id)],
            )
            .await
            .map_err(unavailable)?;
        if known.is_some() {
            // Dropped without a commit: the position goes back unused.
            return Ok(None);
        }
        let body = serde_json::to_string(document).map_err(corrupt)?;
        let shared_by = document.shared_by.clone().unwrap_or_default();
        tx.execute(
            "INSERT INTO documents (program_id, position, id, body, shared_by, shared_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&uuid(program), &position, &uuid(document.id), &body, &shared_by, &audit.at],
        )
        .await
        .map_err(unavailable)?;
        tx.execute(
            "INSERT INTO audit (at, subject, program_id, action, detail) VALUES ($1, $2, $3, $4, $5)",
            &[&audit.at, &audit.subject, &audit.program.map(uuid), &audit.action, &audit.detail],
        )
        .await
        .map_err(unavailable)?;
        // Wakes the long polls of every server process once the document is committed.
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&CHANNEL, &format!("{program}:d:{position}")],
        )
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Some(version(position)))
    }

    async fn documents_after(
        &self,
        program: Id,
        after: u64,
        limit: usize,
    ) -> StorageResult<Vec<(u64, ArchivedDocument)>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT position, body FROM documents WHERE program_id = $1 AND position > $2 ORDER BY position LIMIT $3",
                &[&uuid(program), &signed(after), &signed(limit as u64)],
            )
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|r| {
                let body: String = get(r, "body")?;
                Ok((
                    version(get(r, "position")?),
                    serde_json::from_str(&body).map_err(corrupt)?,
                ))
            })
            .collect()
    }

    async fn record_usage(
        &self,
        events: &[roadbook_protocol::UsageEvent],
        received_at: &str,
    ) -> StorageResult<usize> {
        let ids: Vec<Uuid> = events.iter().map(|e| uuid(e.id)).collect();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        let days: Vec<&str> = events.iter().map(|e| e.day.as_str()).collect();
        let stored = self
            .client()
            .await?
            .execute(
                "INSERT INTO usage_events (id, kind, day, received_at)
                 SELECT id, kind, day::date, $4 FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, kind, day)
                 ON CONFLICT (id) DO NOTHING",
                &[&ids, &kinds, &days, &received_at],
            )
            .await
            .map_err(unavailable)?;
        Ok(usize::try_from(stored).unwrap_or(usize::MAX))
    }

    async fn usage_counts(
        &self,
        since: Option<&str>,
    ) -> StorageResult<Vec<roadbook_protocol::UsageCount>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT day::text AS day, kind, count(*) AS count FROM usage_events
                  WHERE $1::text IS NULL OR day >= $1::date
                  GROUP BY day, kind ORDER BY day, kind",
                &[&since],
            )
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|r| {
                let kind: String = get(r, "kind")?;
                Ok(roadbook_protocol::UsageCount {
                    day: get(r, "day")?,
                    kind: roadbook_model::UsageKind::parse(&kind)
                        .ok_or_else(|| corrupt(format!("usage kind '{kind}'")))?,
                    count: version(get(r, "count")?),
                })
            })
            .collect()
    }

    async fn audit(&self, filter: &AuditFilter) -> StorageResult<Vec<AuditLine>> {
        let limit = i64::try_from(filter.limit.min(crate::audit::MAX_EVENTS)).unwrap_or(0);
        let rows = self
            .client()
            .await?
            .query(
                "SELECT a.id, a.at, a.subject, a.program_id, p.name AS program_name, a.action,
                        a.break_glass, a.detail
                   FROM audit a LEFT JOIN programs p ON p.id = a.program_id
                  WHERE ($1::uuid IS NULL OR a.program_id = $1)
                    AND ($2::text IS NULL OR a.subject = $2)
                    AND ($3::text IS NULL OR a.action = $3 OR a.detail->>'op' = $3)
                    AND ($4::text IS NULL OR a.at >= $4)
                    AND ($5::text IS NULL OR a.at < $5)
                    AND a.id > $6
                  ORDER BY a.id
                  LIMIT $7",
                &[
                    &filter.program.map(uuid),
                    &filter.subject,
                    &filter.kind,
                    &filter.since,
                    &filter.until,
                    &signed(filter.after),
                    &limit,
                ],
            )
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|r| {
                Ok(AuditLine {
                    id: version(get(r, "id")?),
                    at: get(r, "at")?,
                    subject: get(r, "subject")?,
                    program: get::<Option<Uuid>>(r, "program_id")?.map(id),
                    program_name: get(r, "program_name")?,
                    action: get(r, "action")?,
                    break_glass: get(r, "break_glass")?,
                    detail: get(r, "detail")?,
                })
            })
            .collect()
    }
}
