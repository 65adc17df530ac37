//! Where the server keeps programs: PostgreSQL in production, memory in the deterministic
//! simulation. The engine ([`crate::engine`]) holds the sync's rules and calls this trait; the
//! same conformance tests run against both implementations.

pub mod memory;
pub mod postgres;
pub mod tls;

use crate::audit::{AuditFilter, AuditLine};
use std::collections::BTreeMap;

use async_trait::async_trait;
use roadbook_model::{Id, Kind};
use roadbook_protocol::{ArchivedDocument, Change, Conflict, ItemState, MutationResult, Origin};
use serde_json::{Map, Value};

/// Who made a change: the token's subject (for audit) and the name shown in history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub subject: String,
    pub name: String,
}

/// An item as stored: every field, `position` and `deleted` among them, and the version
/// where each was last written.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredItem {
    pub kind: Kind,
    pub id: Id,
    pub fields: Map<String, Value>,
    pub versions: BTreeMap<String, u64>,
}

impl StoredItem {
    pub fn deleted(&self) -> bool {
        self.fields
            .get("deleted")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    pub fn state(&self) -> ItemState {
        ItemState {
            kind: self.kind,
            id: self.id,
            fields: self.fields.clone(),
            versions: self.versions.clone(),
        }
    }
}

/// A change to append to the log; the storage gives it the next version.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChange {
    pub kind: Kind,
    pub item_id: Id,
    pub author: Author,
    pub at: String,
    /// When the person made it, by their clock (protocol 3), never later than `at`.
    pub made_at: Option<String>,
    pub fields: Map<String, Value>,
    pub origin: Option<Origin>,
}

/// Who made a change, when the server applied it, and when the person made it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Authored {
    pub author: String,
    pub at: String,
    pub made_at: Option<String>,
}

impl Authored {
    /// One side of a conflict: this change's value, by whom and when.
    pub fn side(self, value: Value) -> roadbook_protocol::Side {
        roadbook_protocol::Side {
            value,
            author: self.author,
            at: self.at,
            made_at: self.made_at,
        }
    }
}

impl NewChange {
    pub fn at_version(&self, version: u64) -> Change {
        Change {
            version,
            kind: self.kind,
            item_id: self.item_id,
            author: self.author.name.clone(),
            at: self.at.clone(),
            made_at: self.made_at.clone(),
            fields: self.fields.clone(),
            origin: self.origin,
        }
    }
}

/// A mutation's first result, kept so a replay gets it again.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub mutation_id: Id,
    pub result: MutationResult,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramRow {
    pub id: Id,
    pub name: String,
    pub head: u64,
    pub floor: u64,
    /// The position of the last document in the program's shared archive.
    pub documents: u64,
    /// The log position where the server's current history began for this program (0: the
    /// program was published in it).
    pub fork: u64,
    /// Who published it and what that snapshot held: the client, the log's head after it, and
    /// the last of the client's sequence numbers it held (none for programs published before
    /// the server kept them).
    pub published: Option<Published>,
}

/// What a publish wrote, kept to answer it again when its answer was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    pub client: Id,
    pub head: u64,
    pub seq: u64,
}

/// One change of the log, as far as telling whose it was goes: the replica that made it (the
/// publishing replica for a published item), the person, and which fields it wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub version: u64,
    pub client: Option<Id>,
    pub subject: String,
    pub fields: Vec<String>,
}

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub at: String,
    pub subject: String,
    pub program: Option<Id>,
    pub action: String,
    pub detail: Value,
}

/// What one push of a batch will ask the storage about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefetch {
    pub client: Id,
    pub seqs: Vec<u64>,
    pub mutations: Vec<Id>,
}

/// One page of a pull.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub row: ProgramRow,
    pub changes: Vec<Change>,
    pub conflicts: Vec<Conflict>,
}

/// A new program, written whole or not at all.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProgram {
    pub id: Id,
    pub name: String,
    pub created_by: Author,
    pub at: String,
    /// Every item with the version of its change (1, 2, 3, ...).
    pub items: Vec<StoredItem>,
    pub changes: Vec<NewChange>,
    /// The publishing client and the last sequence number its snapshot holds.
    pub client: Id,
    pub last_seq: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no such program")]
    NotFound,
    #[error("the program is on the server already")]
    Exists,
    /// The database cannot be reached or failed mid-way; nothing of the transaction is kept.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    /// The database refused what it was asked to store (a value it cannot hold, a constraint):
    /// the request, not the database, is at fault, and trying it again changes nothing.
    #[error("the database refused the data: {0}")]
    Refused(String),
}

pub type StorageResult<T> = Result<T, StorageError>;

#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// Whether the database answers (`/readyz`).
    async fn ping(&self) -> StorageResult<()>;
    /// The server's current history: a database restored from a backup, recovered to a point
    /// in time or made anew begins a new one (PostgreSQL tells by the database's fingerprint,
    /// and `deploy/backup.sh` says so after a restore).
    async fn history(&self) -> StorageResult<Id>;
    /// Which of `ids` name items of a program other than `program`.
    async fn ids_elsewhere(&self, program: Id, ids: &[Id]) -> StorageResult<Vec<Id>>;
    /// The program and kind of the live item `id`, whichever program holds it.
    async fn item_anywhere(&self, id: Id) -> StorageResult<Option<(Id, Kind)>>;
    /// The programs with a live dependency naming an item of `program`.
    async fn programs_naming(&self, program: Id) -> StorageResult<Vec<Id>>;
    /// The connection pool as it stands (none: no pool, as in memory).
    fn pool_use(&self) -> Option<crate::metrics::PoolUse> {
        None
    }
    async fn programs(&self) -> StorageResult<Vec<ProgramRow>>;
    async fn program(&self, id: Id) -> StorageResult<Option<ProgramRow>>;
    /// Writes a new program with its items, log, publishing client and audit line.
    async fn create_program(&self, program: NewProgram, audit: AuditEvent) -> StorageResult<u64>;
    /// Opens the program's write transaction: one writer per program at a time, so log
    /// positions commit in order.
    async fn begin(&self, program: Id) -> StorageResult<Box<dyn ProgramTx>>;
    /// Changes after `after`, at most `limit`, in order.
    async fn changes_after(
        &self,
        program: Id,
        after: u64,
        limit: usize,
    ) -> StorageResult<Vec<Change>>;
    /// Every item (tombstones included) and the head they are as of.
    async fn snapshot(&self, program: Id) -> StorageResult<(Vec<ItemState>, u64)>;
    async fn open_conflicts(&self, program: Id) -> StorageResult<Vec<Conflict>>;
    /// What a pull needs at once: the program (none: no such program), the changes after
    /// `after` (at most `limit`) and the open conflicts.
    async fn page(&self, program: Id, after: u64, limit: usize) -> StorageResult<Option<Page>> {
        let Some(row) = self.program(program).await? else {
            return Ok(None);
        };
        let changes = self.changes_after(program, after, limit).await?;
        let conflicts = self.open_conflicts(program).await?;
        Ok(Some(Page {
            row,
            changes,
            conflicts,
        }))
    }
    /// Records a client that joined, with the last sequence number it has used (kept if the
    /// client is known already).
    async fn register_client(&self, program: Id, client: Id, last_seq: u64) -> StorageResult<()>;
    /// Drops the log at and below `through` (the program's items stay): pulls from before it
    /// get the whole program.
    async fn compact(&self, program: Id, through: u64) -> StorageResult<()>;
    /// The audit events `filter` picks, oldest first.
    async fn audit(&self, filter: &AuditFilter) -> StorageResult<Vec<AuditLine>>;
    /// Stores usage counts once each (by id); how many were new.
    async fn record_usage(
        &self,
        events: &[roadbook_protocol::UsageEvent],
        received_at: &str,
    ) -> StorageResult<usize>;
    /// Counts by day and kind, from `since` (`YYYY-MM-DD`) on.
    async fn usage_counts(
        &self,
        since: Option<&str>,
    ) -> StorageResult<Vec<roadbook_protocol::UsageCount>>;
    /// Adds a document to the program's shared archive with its audit line, once: a document
    /// already there stays as it is. Its position when it was new.
    async fn share_document(
        &self,
        program: Id,
        document: &ArchivedDocument,
        audit: AuditEvent,
    ) -> StorageResult<Option<u64>>;
    /// The archive after position `after`, at most `limit`, each with its position.
    async fn documents_after(
        &self,
        program: Id,
        after: u64,
        limit: usize,
    ) -> StorageResult<Vec<(u64, ArchivedDocument)>>;
}

/// A program's write transaction. Dropped without [`ProgramTx::commit`], nothing is kept.
#[async_trait]
pub trait ProgramTx: Send {
    /// The last log position before this transaction's changes.
    fn head(&self) -> u64;
    /// Reads ahead what a batch of pushes asks about: the results recorded for their clients'
    /// sequence numbers and their mutation ids, the clients' last numbers, and the items they
    /// change. A storage that answers fast anyway does nothing.
    async fn prefetch(&mut self, _pushes: &[Prefetch], _items: &[Id]) -> StorageResult<()> {
        Ok(())
    }
    async fn item(&mut self, id: Id) -> StorageResult<Option<StoredItem>>;
    /// The names of the live items of `kind` other than `except` (statuses and owners).
    async fn names(&mut self, kind: Kind, except: Id) -> StorageResult<Vec<String>>;
    /// Live items whose fields mention `id` (the engine checks which really refer to it).
    async fn mentions(&mut self, id: Id) -> StorageResult<Vec<StoredItem>>;
    /// Who made the change at `version` (none: the log no longer holds it).
    async fn writer(&mut self, version: u64) -> StorageResult<Option<Write>>;
    /// Whether an item of another program has this id.
    async fn id_elsewhere(&mut self, id: Id) -> StorageResult<bool>;
    /// The open conflicts on `item`.
    async fn open_conflicts_of(&mut self, item: Id) -> StorageResult<Vec<Conflict>>;
    /// Writes an open conflict again (a later change of the same person's to the same field:
    /// their side is now that value).
    async fn update_conflict(&mut self, conflict: &Conflict) -> StorageResult<()>;
    /// The value a field had at `version`: the latest change to it at or before then.
    async fn value_at(
        &mut self,
        item: Id,
        field: &str,
        version: u64,
    ) -> StorageResult<Option<Value>>;
    /// Who made the change at `version`, and when.
    async fn change_author(&mut self, version: u64) -> StorageResult<Option<Authored>>;
    async fn recorded(&mut self, client: Id, seq: u64) -> StorageResult<Option<Recorded>>;
    async fn recorded_by_id(&mut self, mutation: Id) -> StorageResult<Option<Recorded>>;
    /// The last sequence number the client has pushed (0 for a client never seen).
    async fn last_seq(&mut self, client: Id) -> StorageResult<u64>;
    async fn record(&mut self, client: Id, result: &MutationResult) -> StorageResult<()>;
    async fn put_item(&mut self, item: &StoredItem) -> StorageResult<()>;
    /// Appends to the log and returns the change's version.
    async fn append(&mut self, change: NewChange) -> StorageResult<u64>;
    /// A conflict and whether it is still open.
    async fn conflict(&mut self, id: Id) -> StorageResult<Option<(Conflict, bool)>>;
    async fn open_conflict(&mut self, conflict: &Conflict, version: u64) -> StorageResult<()>;
    async fn close_conflict(&mut self, id: Id, version: u64) -> StorageResult<()>;
    async fn audit(&mut self, event: AuditEvent) -> StorageResult<()>;
    /// Makes everything durable at once and returns the new head.
    async fn commit(self: Box<Self>) -> StorageResult<u64>;
}
