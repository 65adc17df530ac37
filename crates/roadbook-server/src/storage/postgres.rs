//! Programs on PostgreSQL: the storage the server runs with (tokio-postgres, pooled by
//! deadpool).
//!
//! A program's writes are serialized by a row lock on its `programs` row, taken when the
//! transaction opens and held until it commits; the head (the last log position) is written in
//! the same transaction. So log positions commit in the order they were handed out, and a pull
//! of "changes after my cursor" never skips one that commits later. Each commit notifies the
//! `roadbook_changes` channel, which every server process listens on.

use crate::audit::{AuditFilter, AuditLine};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use roadbook_model::{Id, Kind};
use roadbook_protocol::{ArchivedDocument, Change, Conflict, ItemState, MutationResult, Origin};
use serde_json::{Map, Value};
use tokio_postgres::types::ToSql;
use tokio_postgres::{AsyncMessage, Row};
use uuid::Uuid;

use super::{
    AuditEvent, Authored, NewChange, NewProgram, Page, Prefetch, ProgramRow, ProgramTx, Published,
    Recorded, Storage, StorageError, StorageResult, StoredItem, Write,
};
use crate::live::Live;

/// The channel every commit notifies with `program:head`.
pub const CHANNEL: &str = "roadbook_changes";

/// The schema, in order; each runs once, in a transaction, recorded in `schema_migrations`
/// (one whose first line is [`OUTSIDE_A_TRANSACTION`] runs statement by statement instead:
/// an index built `CONCURRENTLY` on a table in use). Released migrations are never edited:
/// add a file.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "sync", include_str!("../../migrations/0001_sync.sql")),
    (
        2,
        "documents",
        include_str!("../../migrations/0002_documents.sql"),
    ),
    (
        3,
        "access",
        include_str!("../../migrations/0003_access.sql"),
    ),
    (
        4,
        "operations",
        include_str!("../../migrations/0004_operations.sql"),
    ),
    (
        5,
        "histories",
        include_str!("../../migrations/0005_histories.sql"),
    ),
    (
        6,
        "audit chain",
        include_str!("../../migrations/0006_audit_chain.sql"),
    ),
    (
        7,
        "identity",
        include_str!("../../migrations/0007_identity.sql"),
    ),
    (
        8,
        "audit indexes",
        include_str!("../../migrations/0008_audit_indexes.sql"),
    ),
    (
        9,
        "privileges",
        include_str!("../../migrations/0009_privileges.sql"),
    ),
    (
        10,
        "made at",
        include_str!("../../migrations/0010_made_at.sql"),
    ),
];

/// The first line of a migration that runs outside a transaction: `CREATE INDEX CONCURRENTLY`
/// cannot run in one, and is how an index on a table in use is built without stopping its
/// writes.
const OUTSIDE_A_TRANSACTION: &str = "-- roadbook: outside a transaction";

/// Whether a server process brings the schema up to date itself when it connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrations {
    /// Run what the database lacks first (one process at a time): a single-role setup.
    AtStart,
    /// Leave them to `roadbook-server migrate` (the deployment's job, as the owning role) and
    /// refuse to serve a schema older than this build needs.
    Separately,
}

#[derive(Clone)]
pub struct PgStorage {
    pool: Pool,
    connection: super::tls::Connection,
    /// Tests only: each commit waits up to this long first (a slow disk, a busy database), to
    /// show that log positions still commit in order.
    commit_delay: Option<Duration>,
}

impl std::fmt::Debug for PgStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStorage").finish_non_exhaustive()
    }
}

/// A failed statement as the engine needs it: the database refusing the data (a value it
/// cannot store, a constraint: SQLSTATE classes 22 and 23, and 54 for a value too large) is the
/// request's fault and changes nothing when tried again; anything else is the database being
/// unavailable.
pub(crate) fn unavailable(err: impl std::error::Error + 'static) -> StorageError {
    let refused = (&err as &dyn std::error::Error)
        .downcast_ref::<tokio_postgres::Error>()
        .and_then(tokio_postgres::Error::code)
        .is_some_and(|code| {
            let class = &code.code()[..2];
            matches!(class, "22" | "23" | "54")
        });
    if refused {
        StorageError::Refused(describe(&err))
    } else {
        StorageError::Unavailable(describe(&err))
    }
}

/// An error with its causes (tokio-postgres says only "db error" at the top; the server's
/// message is in the source).
fn describe(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}

/// Why a connection could not be made, with what to check when it is the certificate.
fn connect_error(err: &dyn std::error::Error) -> String {
    let text = describe(err);
    if text.contains("invalid peer certificate") || text.contains("certificate") {
        format!(
            "the database's certificate was refused ({text}): check sslrootcert (the CA that signed it) and, with sslmode=verify-full, that the certificate names the host in the URL"
        )
    } else if text.contains("server does not support TLS") {
        format!("{text}: the URL's sslmode asks for TLS, which this database does not offer")
    } else {
        text
    }
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(what.to_string())
}

pub(crate) fn uuid(id: Id) -> Uuid {
    id.as_uuid()
}

pub(crate) fn id(uuid: Uuid) -> Id {
    Id::from(uuid)
}

fn version(n: i64) -> u64 {
    n.max(0) as u64
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    column: &str,
) -> StorageResult<T> {
    row.try_get(column).map_err(corrupt)
}

fn kind(text: &str) -> StorageResult<Kind> {
    text.parse().map_err(corrupt)
}

fn object(value: Value) -> StorageResult<Map<String, Value>> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(corrupt(format!("expected an object, found {other}"))),
    }
}

fn item_of(row: &Row) -> StorageResult<StoredItem> {
    Ok(StoredItem {
        kind: kind(get(row, "kind")?)?,
        id: id(get(row, "id")?),
        fields: object(get(row, "fields")?)?,
        versions: serde_json::from_value(get(row, "versions")?).map_err(corrupt)?,
    })
}

fn change_of(row: &Row) -> StorageResult<Change> {
    let client: Option<Uuid> = get(row, "client_id")?;
    let seq: Option<i64> = get(row, "client_seq")?;
    Ok(Change {
        version: version(get(row, "version")?),
        kind: kind(get(row, "kind")?)?,
        item_id: id(get(row, "item_id")?),
        author: get(row, "author_name")?,
        at: get(row, "at")?,
        made_at: get(row, "made_at")?,
        fields: object(get(row, "fields")?)?,
        origin: client.zip(seq).map(|(client, seq)| Origin {
            client_id: id(client),
            seq: version(seq),
        }),
    })
}

/// A conflict as its row holds it: the body without the sides' times of making, which are in
/// the `made_at` column (the previous release reads the body strictly).
fn conflict_row(conflict: &Conflict) -> StorageResult<(Value, Option<Value>)> {
    let mut body = conflict.clone();
    let made = (conflict.theirs.made_at.is_some() || conflict.mine.made_at.is_some()).then(
        || serde_json::json!({"theirs": conflict.theirs.made_at, "mine": conflict.mine.made_at}),
    );
    body.theirs.made_at = None;
    body.mine.made_at = None;
    Ok((serde_json::to_value(body).map_err(corrupt)?, made))
}

/// A conflict from the `body` and `made_at` columns of its row.
fn conflict_of(row: &Row) -> StorageResult<Conflict> {
    let mut conflict: Conflict = serde_json::from_value(get(row, "body")?).map_err(corrupt)?;
    if let Some(made) = get::<Option<Value>>(row, "made_at")? {
        let at = |side: &str| made.get(side).and_then(Value::as_str).map(str::to_owned);
        conflict.theirs.made_at = at("theirs");
        conflict.mine.made_at = at("mine");
    }
    Ok(conflict)
}

/// The columns [`program_row`] reads.
const PROGRAM_COLUMNS: &str =
    "id, name, head, floor, documents_head, fork, published_client, published_head, published_seq";

fn program_row(row: &Row) -> StorageResult<ProgramRow> {
    let published: Option<Uuid> = get(row, "published_client")?;
    Ok(ProgramRow {
        id: id(get(row, "id")?),
        name: get(row, "name")?,
        head: version(get(row, "head")?),
        floor: version(get(row, "floor")?),
        documents: version(get(row, "documents_head")?),
        fork: version(get(row, "fork")?),
        published: published
            .map(|client| {
                Ok::<_, StorageError>(Published {
                    client: id(client),
                    head: version(get(row, "published_head")?),
                    seq: version(get(row, "published_seq")?),
                })
            })
            .transpose()?,
    })
}

fn recorded_of(row: &Row) -> StorageResult<Recorded> {
    Ok(Recorded {
        mutation_id: id(get(row, "mutation_id")?),
        result: serde_json::from_value(get(row, "result")?).map_err(corrupt)?,
    })
}

impl PgStorage {
    /// Connects, and brings the schema up to date (the migrations are in the binary).
    pub async fn connect(url: &str, max_connections: u32) -> Result<PgStorage, String> {
        PgStorage::open(url, max_connections, Migrations::AtStart).await
    }

    /// Connects over TLS as the URL's `sslmode` says, and runs the migrations or checks the
    /// schema is new enough, as `migrations` says.
    pub async fn open(
        url: &str,
        max_connections: u32,
        migrations: Migrations,
    ) -> Result<PgStorage, String> {
        let connection = super::tls::connection(url)?;
        let manager = Manager::from_config(
            connection.config.clone(),
            connection.tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(usize::try_from(max_connections).unwrap_or(16))
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(10)))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| e.to_string())?;
        let storage = PgStorage {
            pool,
            connection,
            commit_delay: None,
        };
        match migrations {
            Migrations::AtStart => storage.migrate().await?,
            Migrations::Separately => storage.check_schema().await?,
        }
        Ok(storage)
    }

    /// The schema is one this build can serve: every migration it knows has run (a newer one
    /// is fine, as migrations only add).
    async fn check_schema(&self) -> Result<(), String> {
        let client = self.client().await.map_err(|e| connect_error(&e))?;
        let row = client
            .query_opt("SELECT max(version) AS v FROM schema_migrations", &[])
            .await
            .map_err(|e| {
                format!(
                    "the database has no schema yet ({}): run roadbook-server migrate (the deployment's migration job) first",
                    describe(&e)
                )
            })?;
        let at: i64 = row
            .as_ref()
            .and_then(|r| r.try_get::<_, Option<i64>>("v").ok().flatten())
            .unwrap_or(0);
        let needed = MIGRATIONS.iter().map(|(n, _, _)| *n).max().unwrap_or(0);
        if at < needed {
            return Err(format!(
                "the database's schema is at migration {at} and this server needs {needed}: run roadbook-server migrate (the deployment's migration job) first"
            ));
        }
        Ok(())
    }

    /// Every audit event as the chain check reads it, and each chain's recorded end.
    pub async fn audit_links(
        &self,
    ) -> Result<
        (
            Vec<crate::audit_chain::Linked>,
            BTreeMap<String, (u64, String)>,
        ),
        String,
    > {
        let client = self.client().await.map_err(|e| e.to_string())?;
        let rows = client
            .query(
                "SELECT id, at, subject, program_id::text AS program, action, detail::text AS detail, break_glass, prev_hash, hash
                 FROM audit ORDER BY id",
                &[],
            )
            .await
            .map_err(|e| describe(&e))?;
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            events.push(crate::audit_chain::Linked {
                id: version(get(row, "id").map_err(|e| e.to_string())?),
                at: get(row, "at").map_err(|e| e.to_string())?,
                subject: get(row, "subject").map_err(|e| e.to_string())?,
                program: get(row, "program").map_err(|e| e.to_string())?,
                action: get(row, "action").map_err(|e| e.to_string())?,
                detail: get(row, "detail").map_err(|e| e.to_string())?,
                break_glass: get(row, "break_glass").map_err(|e| e.to_string())?,
                prev_hash: get(row, "prev_hash").map_err(|e| e.to_string())?,
                hash: get(row, "hash").map_err(|e| e.to_string())?,
            });
        }
        let ends = client
            .query("SELECT chain, last_id, last_hash FROM audit_chains", &[])
            .await
            .map_err(|e| describe(&e))?
            .iter()
            .map(|r| {
                Ok((
                    get::<String>(r, "chain")?,
                    (version(get(r, "last_id")?), get::<String>(r, "last_hash")?),
                ))
            })
            .collect::<StorageResult<_>>()
            .map_err(|e| e.to_string())?;
        Ok((events, ends))
    }

    /// Lets `role` (the serving role) do what serving needs and no more: read and write the
    /// program tables, only read and add to the audit trail (never change, delete or empty it,
    /// nor touch its chains), read the schema's version. Run by `roadbook-server migrate` as
    /// the owning role, after the migrations; running it again changes nothing.
    pub async fn grant_serving(&self, role: &str) -> Result<(), String> {
        if role.is_empty()
            || !role
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "'{role}' is not a role name: letters, digits, - and _ only"
            ));
        }
        let role = format!("\"{role}\"");
        let client = self.client().await.map_err(|e| connect_error(&e))?;
        let full = [
            "programs",
            "items",
            "changes",
            "clients",
            "mutations",
            "conflicts",
            "documents",
            "roster",
            "grants",
            "people",
            "usage_events",
            "item_ids",
            "email_subjects",
            "break_glass_uses",
        ];
        let mut sql = vec![
            format!("GRANT USAGE ON SCHEMA public TO {role}"),
            format!("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"),
            format!("GRANT SELECT ON schema_migrations, server_history TO {role}"),
            // Inserted with the event's own fields only: the id, link and hash are the
            // sequence's and the chaining function's to set.
            format!("GRANT SELECT ON audit TO {role}"),
            format!(
                "GRANT INSERT (at, subject, program_id, action, detail, break_glass) ON audit TO {role}"
            ),
            // Read, to check the chains' ends; only the chaining function writes them.
            format!("GRANT SELECT ON audit_chains TO {role}"),
            format!("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"),
            format!(
                "GRANT EXECUTE ON FUNCTION roadbook_new_history(text), roadbook_fingerprint() TO {role}"
            ),
        ];
        for table in full {
            sql.push(format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}"
            ));
        }
        client.batch_execute(&sql.join(";\n")).await.map_err(|e| {
            format!(
                "the serving role was not granted its rights: {}",
                describe(&e)
            )
        })
    }

    pub(crate) async fn client(&self) -> StorageResult<Object> {
        self.pool.get().await.map_err(unavailable)
    }

    /// Runs the migrations this database lacks, one server process at a time (an advisory
    /// lock: several processes start together behind a load balancer).
    async fn migrate(&self) -> Result<(), String> {
        let mut client = self.client().await.map_err(|e| connect_error(&e))?;
        client
            .batch_execute(
                // A migration waits for no lock long (writers keep going; it is tried again
                // at the next start) and runs no statement for ever.
                "SET lock_timeout = '10s'; SET statement_timeout = '15min';
                 SELECT pg_advisory_lock(7261646);
                 CREATE TABLE IF NOT EXISTS schema_migrations (
                     version bigint PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());",
            )
            .await
            .map_err(|e| describe(&e))?;
        let result = async {
            for (number, name, sql) in MIGRATIONS {
                let done = client
                    .query_opt(
                        "SELECT 1 FROM schema_migrations WHERE version = $1",
                        &[number],
                    )
                    .await?
                    .is_some();
                if done {
                    continue;
                }
                if sql.starts_with(OUTSIDE_A_TRANSACTION) {
                    // A concurrent build that failed half-way (a timeout, a kill) leaves an
                    // invalid index that `IF NOT EXISTS` would take as done: drop it first.
                    let invalid = client
                        .query(
                            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE NOT i.indisvalid",
                            &[],
                        )
                        .await?;
                    for row in invalid {
                        let index: String = row.try_get(0)?;
                        if sql.contains(&index) {
                            client
                                .batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {index}"))
                                .await?;
                        }
                    }
                    // One statement a message: PostgreSQL runs several sent together as one
                    // transaction, where CONCURRENTLY is refused. (Such a file holds plain
                    // statements, no function bodies.)
                    let plain: String = sql
                        .lines()
                        .map(|l| l.split("--").next().unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join("\n");
                    for statement in plain.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                        client.batch_execute(statement).await?;
                    }
                    client
                        .execute(
                            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                            &[number, name],
                        )
                        .await?;
                    continue;
                }
                let tx = client.transaction().await?;
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    &[number, name],
                )
                .await?;
                tx.commit().await?;
            }
            Ok::<(), tokio_postgres::Error>(())
        }
        .await;
        let _ = client
            .batch_execute("SELECT pg_advisory_unlock(7261646)")
            .await;
        result.map_err(|e| {
            format!(
                "the schema could not be brought up to date: {}",
                describe(&e)
            )
        })
    }

    /// Listens for every server process's commits and passes the heads to `live`, for as long
    /// as the server runs; a lost connection is made again.
    pub async fn listen(self, live: Arc<Live>) {
        loop {
            match self
                .connection
                .config
                .connect(self.connection.tls.clone())
                .await
            {
                Ok((client, mut connection)) => {
                    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                    // The connection yields notifications as it is polled.
                    let pump = tokio::spawn(async move {
                        let mut messages =
                            futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                        use futures_util::StreamExt;
                        while let Some(message) = messages.next().await {
                            match message {
                                Ok(AsyncMessage::Notification(note)) => {
                                    if tx.send(note.payload().to_owned()).is_err() {
                                        break;
                                    }
                                }
                                Ok(_) => {}
                                Err(_) => break,
                            }
                        }
                    });
                    if client
                        .batch_execute(&format!("LISTEN {CHANNEL}"))
                        .await
                        .is_ok()
                    {
                        // Notifications missed while not listening may have said the history
                        // changed: read it again at the next request.
                        live.set_history(None);
                        while let Some(payload) = rx.recv().await {
                            // "PROGRAM:HEAD" for the change log, "PROGRAM:d:POSITION" for
                            // the shared archive, "history:ID" for a new history.
                            if payload.starts_with("history:") {
                                // Any role that can connect can NOTIFY: the payload only says
                                // to look; the history is read again from its table.
                                tracing::warn!(
                                    "the database may have begun a new history: reading it again"
                                );
                                live.set_history(None);
                                continue;
                            }
                            let mut parts = payload.splitn(2, ':');
                            let program = parts.next().and_then(|p| p.parse::<Id>().ok());
                            let rest = parts.next().unwrap_or_default();
                            match (program, rest.strip_prefix("d:")) {
                                (Some(program), Some(position)) => {
                                    if let Ok(position) = position.parse::<u64>() {
                                        live.publish_documents(program, position);
                                    }
                                }
                                (Some(program), None) => {
                                    if let Ok(head) = rest.parse::<u64>() {
                                        live.publish(program, head);
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    pump.abort();
                    tracing::warn!("lost the change notifications; listening again");
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen for changes; trying again");
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Tests only: delays each program commit by up to `most` (see `commit_delay`).
    pub fn with_commit_delay(mut self, most: Duration) -> PgStorage {
        self.commit_delay = Some(most);
        self
    }
}

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

/// A transaction on one pooled connection. Dropped without a commit, the connection leaves the
/// pool and closes, so PostgreSQL rolls the transaction back and nobody reuses it half-done.
///
/// Writes are kept here and sent in bulk (one statement per table) when the transaction
/// commits, or before a query that reads across them: a push of a thousand changes is a handful
/// of statements instead of thousands of round trips. Items read or written are kept too, so
/// the references a change checks are read once per push.
struct PgTx {
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
    commit_delay: Option<Duration>,
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
    async fn begin(client: Object, program: Id, lock: Option<()>) -> StorageResult<PgTx> {
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

    fn db(&self) -> StorageResult<&Object> {
        self.client
            .as_ref()
            .ok_or_else(|| StorageError::Unavailable("the transaction has ended".into()))
    }

    async fn exec(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StorageResult<u64> {
        let db = self.db()?;
        let statement = db.prepare_cached(sql).await.map_err(unavailable)?;
        db.execute(&statement, params).await.map_err(unavailable)
    }

    async fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StorageResult<Vec<Row>> {
        let db = self.db()?;
        let statement = db.prepare_cached(sql).await.map_err(unavailable)?;
        db.query(&statement, params).await.map_err(unavailable)
    }

    async fn one(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StorageResult<Option<Row>> {
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
    fn new(sql: &'static str, params: Vec<Box<dyn ToSql + Sync + Send>>) -> Statement {
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

#[cfg(test)]
mod tests {
    use super::{MIGRATIONS, OUTSIDE_A_TRANSACTION};

    /// Rollback posture: the previous release runs on this release's schema (the rollout test
    /// runs it), so a migration only adds. Each statement of every migration is checked for
    /// what would break a release that does not know about it.
    #[test]
    fn migrations_only_add() {
        let forbidden = [
            "DROP TABLE",
            "DROP COLUMN",
            "DROP VIEW",
            "RENAME",
            "ALTER COLUMN",
            "TRUNCATE",
            "DELETE FROM",
            "UPDATE ",
        ];
        for (number, name, sql) in MIGRATIONS {
            let text: String = sql
                .lines()
                .map(|l| l.split("--").next().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" ");
            // A function's body ($$ ... $$) runs when it is called, not when it is made: what
            // it does is its own matter, and its semicolons are not the migration's.
            let text: String = text
                .split("$$")
                .enumerate()
                .filter(|(n, _)| n % 2 == 0)
                .map(|(_, part)| part)
                .collect::<Vec<_>>()
                .join(" ");
            for statement in text.split(';') {
                let statement = statement.split_whitespace().collect::<Vec<_>>().join(" ");
                let upper = statement.to_uppercase();
                // Within a table change, what it may do: add columns (with a default when they
                // must be set) and constraints the existing rows meet.
                if upper.starts_with("ALTER TABLE") || upper.starts_with("DROP") {
                    for word in forbidden {
                        assert!(
                            !upper.contains(word),
                            "migration {number} ({name}) is not additive: {statement}"
                        );
                    }
                    if upper.contains("ADD COLUMN") && upper.contains("NOT NULL") {
                        assert!(
                            upper.contains("DEFAULT"),
                            "migration {number} ({name}) adds a NOT NULL column without a default: {statement}"
                        );
                    }
                }
                for word in ["TRUNCATE ", "DELETE FROM", "UPDATE "] {
                    assert!(
                        !upper.starts_with(word),
                        "migration {number} ({name}) rewrites rows: {statement}"
                    );
                }
            }
        }
        assert!(MIGRATIONS.len() >= 5);
    }

    /// An index on a table an earlier migration made (one in use, maybe large) is built
    /// `CONCURRENTLY`, outside a transaction: a plain build blocks the table's writes for as
    /// long as it takes.
    #[test]
    fn indexes_on_tables_in_use_do_not_block_their_writes() {
        let mut made: Vec<String> = Vec::new();
        for (number, name, sql) in MIGRATIONS {
            let text: String = sql
                .lines()
                .map(|l| l.split("--").next().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            let mut here: Vec<String> = Vec::new();
            for statement in text.split(';') {
                let words: Vec<&str> = statement.split_whitespace().collect();
                if let ["create", "table", rest @ ..] = words.as_slice() {
                    let table = rest
                        .iter()
                        .find(|w| !matches!(**w, "if" | "not" | "exists"))
                        .map(|w| w.trim_end_matches('('));
                    here.extend(table.map(str::to_owned));
                }
                let Some(on) = words.iter().position(|w| *w == "on") else {
                    continue;
                };
                if !words.starts_with(&["create", "index"])
                    && !words.starts_with(&["create", "unique", "index"])
                {
                    continue;
                }
                let table = words.get(on + 1).copied().unwrap_or_default();
                if here.iter().any(|t| t == table) || !made.iter().any(|t| t == table) {
                    continue;
                }
                assert!(
                    words.contains(&"concurrently") && sql.starts_with(OUTSIDE_A_TRANSACTION),
                    "migration {number} ({name}) builds an index on {table}, a table in use, in a way that blocks its writes: {}",
                    words.join(" ")
                );
            }
            made.extend(here);
        }
        assert!(made.iter().any(|t| t == "audit"), "{made:?}");
    }
}
