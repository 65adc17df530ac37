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
    (1, "sync", include_str!("../../../migrations/0001_sync.sql")),
    (
        2,
        "documents",
        include_str!("../../../migrations/0002_documents.sql"),
    ),
    (
        3,
        "access",
        include_str!("../../../migrations/0003_access.sql"),
    ),
    (
        4,
        "operations",
        include_str!("../../../migrations/0004_operations.sql"),
    ),
    (
        5,
        "histories",
        include_str!("../../../migrations/0005_histories.sql"),
    ),
    (
        6,
        "audit chain",
        include_str!("../../../migrations/0006_audit_chain.sql"),
    ),
    (
        7,
        "identity",
        include_str!("../../../migrations/0007_identity.sql"),
    ),
    (
        8,
        "audit indexes",
        include_str!("../../../migrations/0008_audit_indexes.sql"),
    ),
    (
        9,
        "privileges",
        include_str!("../../../migrations/0009_privileges.sql"),
    ),
    (
        10,
        "made at",
        include_str!("../../../migrations/0010_made_at.sql"),
    ),
    (
        11,
        "links index",
        include_str!("../../../migrations/0011_links_index.sql"),
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

mod rows;
mod storage;
mod tx;

use rows::*;
pub(crate) use rows::{corrupt, get, id, unavailable, uuid};
use tx::*;

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
