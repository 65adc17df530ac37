//! Programs in memory: the storage the deterministic simulation runs the engine over. The same
//! conformance tests run against it and against PostgreSQL, so what the simulation shows of the
//! engine holds for the server as deployed.

use crate::audit::{AuditFilter, AuditLine};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use roadbook_model::{Id, Kind};
use roadbook_protocol::{ArchivedDocument, Change, Conflict, ItemState, MutationResult};
use serde_json::Value;
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::{
    AuditEvent, Authored, NewChange, NewProgram, ProgramRow, ProgramTx, Published, Recorded,
    Storage, StorageError, StorageResult, StoredItem, Write,
};

#[derive(Debug, Clone)]
struct ProgramState {
    row: ProgramRow,
    items: BTreeMap<Id, StoredItem>,
    /// The log, in version order (versions above the floor).
    changes: Vec<(Change, String)>,
    clients: BTreeMap<Id, u64>,
    mutations: BTreeMap<(Id, u64), Recorded>,
    conflicts: BTreeMap<Id, (Conflict, u64, Option<u64>)>,
    /// The shared archive, in the order it was shared (position = index + 1).
    documents: Vec<ArchivedDocument>,
}

#[derive(Debug)]
pub struct MemoryStorage {
    programs: std::sync::Mutex<BTreeMap<Id, Arc<Mutex<ProgramState>>>>,
    audit: Arc<std::sync::Mutex<Vec<AuditEvent>>>,
    /// Commits still to fail, as a crash before the commit would: nothing of them is kept.
    failing_commits: Arc<AtomicU32>,
    usage: std::sync::Mutex<BTreeMap<Id, (roadbook_model::UsageKind, String)>>,
    history: std::sync::Mutex<Id>,
    /// Which program each item id belongs to (ids are unique across programs).
    ids: Arc<std::sync::Mutex<BTreeMap<Id, Id>>>,
}

impl Default for MemoryStorage {
    fn default() -> Self {
        MemoryStorage {
            programs: std::sync::Mutex::default(),
            audit: Arc::default(),
            failing_commits: Arc::default(),
            usage: std::sync::Mutex::default(),
            history: std::sync::Mutex::new(Id::new()),
            ids: Arc::default(),
        }
    }
}

/// Everything a [`MemoryStorage`] holds of its programs at one moment, as a backup would.
#[derive(Debug, Clone)]
pub struct MemoryBackup {
    programs: BTreeMap<Id, ProgramState>,
    ids: BTreeMap<Id, Id>,
}

impl MemoryStorage {
    pub fn new() -> MemoryStorage {
        MemoryStorage::default()
    }

    /// A copy of every program as it is now (waits for writes in progress).
    pub async fn backup(&self) -> MemoryBackup {
        let locks: Vec<(Id, Arc<Mutex<ProgramState>>)> = {
            let programs = self.programs.lock().unwrap_or_else(|e| e.into_inner());
            programs.iter().map(|(id, l)| (*id, l.clone())).collect()
        };
        let mut programs = BTreeMap::new();
        for (id, lock) in locks {
            programs.insert(id, lock.lock().await.clone());
        }
        let ids = self.ids.lock().unwrap_or_else(|e| e.into_inner()).clone();
        MemoryBackup { programs, ids }
    }

    /// Puts a backup back, as an operator restoring the database would, and starts a new
    /// history (every program's fork at its restored head). Returns the new history id.
    pub async fn restore(&self, backup: MemoryBackup) -> Id {
        let mut restored = backup.programs;
        for state in restored.values_mut() {
            state.row.fork = state.row.head;
        }
        {
            // Programs published after the backup are not in it: the restored database does
            // not have them.
            let mut programs = self.programs.lock().unwrap_or_else(|e| e.into_inner());
            programs.clear();
            for (id, state) in restored {
                programs.insert(id, Arc::new(Mutex::new(state)));
            }
        }
        *self.ids.lock().unwrap_or_else(|e| e.into_inner()) = backup.ids;
        let fresh = Id::new();
        *self.history.lock().unwrap_or_else(|e| e.into_inner()) = fresh;
        fresh
    }

    /// Every mutation the program applied, rejected or held, by (client, sequence number).
    pub async fn recorded(&self, program: Id) -> Vec<(Id, u64, Recorded)> {
        match self.program_lock(program) {
            Some(lock) => lock
                .lock()
                .await
                .mutations
                .iter()
                .map(|((client, seq), r)| (*client, *seq, r.clone()))
                .collect(),
            None => Vec::new(),
        }
    }

    /// Every audit event written so far, in the order written (restores leave it whole, as
    /// the audit of a server outlives its database's restores in this simulation).
    pub fn audit_events(&self) -> Vec<AuditEvent> {
        self.audit.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Every conflict the program ever had, open or resolved.
    pub async fn all_conflicts(&self, program: Id) -> Vec<Conflict> {
        match self.program_lock(program) {
            Some(lock) => lock
                .lock()
                .await
                .conflicts
                .values()
                .map(|(c, _, _)| c.clone())
                .collect(),
            None => Vec::new(),
        }
    }

    /// The next `n` commits fail (the server "crashes" before they are durable).
    pub fn fail_next_commits(&self, n: u32) {
        self.failing_commits.store(n, Ordering::SeqCst);
    }

    fn program_lock(&self, id: Id) -> Option<Arc<Mutex<ProgramState>>> {
        let programs = self.programs.lock().unwrap_or_else(|e| e.into_inner());
        programs.get(&id).cloned()
    }
}

#[async_trait]
impl Storage for MemoryStorage {
    async fn ping(&self) -> StorageResult<()> {
        Ok(())
    }

    async fn history(&self) -> StorageResult<Id> {
        Ok(*self.history.lock().unwrap_or_else(|e| e.into_inner()))
    }

    async fn ids_elsewhere(&self, program: Id, ids: &[Id]) -> StorageResult<Vec<Id>> {
        let known = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        Ok(ids
            .iter()
            .filter(|id| known.get(id).is_some_and(|p| *p != program))
            .copied()
            .collect())
    }

    async fn item_anywhere(&self, id: Id) -> StorageResult<Option<(Id, Kind)>> {
        let program = {
            let known = self.ids.lock().unwrap_or_else(|e| e.into_inner());
            known.get(&id).copied()
        };
        let Some(program) = program else {
            return Ok(None);
        };
        let Some(lock) = self.program_lock(program) else {
            return Ok(None);
        };
        let state = lock.lock().await;
        Ok(state
            .items
            .get(&id)
            .filter(|i| !i.deleted())
            .map(|i| (program, i.kind)))
    }

    async fn programs_naming(&self, program: Id) -> StorageResult<Vec<Id>> {
        let locks: Vec<(Id, Arc<Mutex<ProgramState>>)> = {
            let programs = self.programs.lock().unwrap_or_else(|e| e.into_inner());
            programs.iter().map(|(id, l)| (*id, l.clone())).collect()
        };
        let target = program.to_string();
        let mut out = Vec::new();
        for (id, lock) in locks {
            let state = lock.lock().await;
            let names = state.items.values().any(|i| {
                i.kind == Kind::Dependency
                    && !i.deleted()
                    && i.fields
                        .get("other_item")
                        .and_then(|o| o.get("program_id"))
                        .and_then(Value::as_str)
                        == Some(target.as_str())
            });
            if names {
                out.push(id);
            }
        }
        Ok(out)
    }

    async fn programs(&self) -> StorageResult<Vec<ProgramRow>> {
        let locks: Vec<_> = {
            let programs = self.programs.lock().unwrap_or_else(|e| e.into_inner());
            programs.values().cloned().collect()
        };
        let mut out = Vec::new();
        for lock in locks {
            out.push(lock.lock().await.row.clone());
        }
        Ok(out)
    }

    async fn program(&self, id: Id) -> StorageResult<Option<ProgramRow>> {
        match self.program_lock(id) {
            Some(lock) => Ok(Some(lock.lock().await.row.clone())),
            None => Ok(None),
        }
    }

    async fn create_program(&self, program: NewProgram, audit: AuditEvent) -> StorageResult<u64> {
        let mut programs = self.programs.lock().unwrap_or_else(|e| e.into_inner());
        if programs.contains_key(&program.id) {
            return Err(StorageError::Exists);
        }
        let head = program.changes.len() as u64;
        {
            let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
            if program
                .items
                .iter()
                .any(|i| ids.get(&i.id).is_some_and(|p| *p != program.id))
            {
                return Err(StorageError::Refused(
                    "an item id is used by another program".into(),
                ));
            }
            for item in &program.items {
                ids.insert(item.id, program.id);
            }
        }
        let state = ProgramState {
            row: ProgramRow {
                id: program.id,
                name: program.name,
                head,
                floor: 0,
                documents: 0,
                fork: 0,
                published: Some(Published {
                    client: program.client,
                    head,
                    seq: program.last_seq,
                }),
            },
            items: program.items.into_iter().map(|i| (i.id, i)).collect(),
            changes: program
                .changes
                .iter()
                .enumerate()
                .map(|(n, c)| (c.at_version(n as u64 + 1), c.author.subject.clone()))
                .collect(),
            clients: BTreeMap::from([(program.client, program.last_seq)]),
            mutations: BTreeMap::new(),
            conflicts: BTreeMap::new(),
            documents: Vec::new(),
        };
        programs.insert(program.id, Arc::new(Mutex::new(state)));
        self.audit
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(audit);
        Ok(head)
    }

    async fn begin(&self, program: Id) -> StorageResult<Box<dyn ProgramTx>> {
        let lock = self.program_lock(program).ok_or(StorageError::NotFound)?;
        let guard = lock.lock_owned().await;
        let work = guard.clone();
        Ok(Box::new(MemoryTx {
            guard,
            work,
            audit: Vec::new(),
            failing: self.failing_commits.clone(),
            audit_log: self.audit.clone(),
            ids: self.ids.clone(),
            new_ids: Vec::new(),
        }))
    }

    async fn changes_after(
        &self,
        program: Id,
        after: u64,
        limit: usize,
    ) -> StorageResult<Vec<Change>> {
        let lock = self.program_lock(program).ok_or(StorageError::NotFound)?;
        let state = lock.lock().await;
        Ok(state
            .changes
            .iter()
            .filter(|(c, _)| c.version > after)
            .take(limit)
            .map(|(c, _)| c.clone())
            .collect())
    }

    async fn snapshot(&self, program: Id) -> StorageResult<(Vec<ItemState>, u64)> {
        let lock = self.program_lock(program).ok_or(StorageError::NotFound)?;
        let state = lock.lock().await;
        Ok((
            state.items.values().map(StoredItem::state).collect(),
            state.row.head,
        ))
    }

    async fn open_conflicts(&self, program: Id) -> StorageResult<Vec<Conflict>> {
        let lock = self.program_lock(program).ok_or(StorageError::NotFound)?;
        let state = lock.lock().await;
        Ok(state
            .conflicts
            .values()
            .filter(|(_, _, resolved)| resolved.is_none())
            .map(|(c, _, _)| c.clone())
            .collect())
    }

    async fn register_client(&self, program: Id, client: Id, last_seq: u64) -> StorageResult<()> {
        let lock = self.program_lock(program).ok_or(StorageError::NotFound)?;
        lock.lock().await.clients.entry(client).or_insert(last_seq);
        Ok(())
    }

    async fn compact(&self, program: Id, through: u64) -> StorageResult<()> {
        let lock = self.program_lock(program).ok_or(StorageError::NotFound)?;
        let mut state = lock.lock().await;
        state.changes.retain(|(c, _)| c.version > through);
        state.row.floor = state.row.floor.max(through);
        Ok(())
    }

    async fn share_document(
        &self,
        program: Id,
        document: &ArchivedDocument,
        audit: AuditEvent,
    ) -> StorageResult<Option<u64>> {
        let lock = self.program_lock(program).ok_or(StorageError::NotFound)?;
        let mut state = lock.lock().await;
        if state.documents.iter().any(|d| d.id == document.id) {
            return Ok(None);
        }
        state.documents.push(document.clone());
        state.row.documents = state.documents.len() as u64;
        self.audit
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(audit);
        Ok(Some(state.row.documents))
    }

    async fn documents_after(
        &self,
        program: Id,
        after: u64,
        limit: usize,
    ) -> StorageResult<Vec<(u64, ArchivedDocument)>> {
        let lock = self.program_lock(program).ok_or(StorageError::NotFound)?;
        let state = lock.lock().await;
        Ok(state
            .documents
            .iter()
            .enumerate()
            .map(|(n, d)| (n as u64 + 1, d.clone()))
            .filter(|(position, _)| *position > after)
            .take(limit)
            .collect())
    }

    async fn record_usage(
        &self,
        events: &[roadbook_protocol::UsageEvent],
        _received_at: &str,
    ) -> StorageResult<usize> {
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        Ok(events
            .iter()
            .filter(|e| usage.insert(e.id, (e.kind, e.day.clone())).is_none())
            .count())
    }

    async fn usage_counts(
        &self,
        since: Option<&str>,
    ) -> StorageResult<Vec<roadbook_protocol::UsageCount>> {
        let usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        let mut counts: BTreeMap<(String, roadbook_model::UsageKind), u64> = BTreeMap::new();
        for (kind, day) in usage.values() {
            if since.is_none_or(|s| day.as_str() >= s) {
                *counts.entry((day.clone(), *kind)).or_default() += 1;
            }
        }
        Ok(counts
            .into_iter()
            .map(|((day, kind), count)| roadbook_protocol::UsageCount { day, kind, count })
            .collect())
    }

    /// The events this store wrote (the in-memory directory keeps its own apart).
    async fn audit(&self, filter: &AuditFilter) -> StorageResult<Vec<AuditLine>> {
        let audit = self.audit.lock().unwrap_or_else(|e| e.into_inner());
        Ok(audit
            .iter()
            .enumerate()
            .map(|(n, a)| AuditLine {
                id: n as u64 + 1,
                at: a.at.clone(),
                subject: a.subject.clone(),
                program: a.program,
                program_name: None,
                action: a.action.clone(),
                break_glass: false,
                detail: a.detail.clone(),
            })
            .filter(|line| filter.matches(line))
            .take(filter.limit)
            .collect())
    }
}

struct MemoryTx {
    guard: OwnedMutexGuard<ProgramState>,
    work: ProgramState,
    /// Audit lines of this transaction, kept only if it commits.
    audit: Vec<AuditEvent>,
    failing: Arc<AtomicU32>,
    audit_log: Arc<std::sync::Mutex<Vec<AuditEvent>>>,
    ids: Arc<std::sync::Mutex<BTreeMap<Id, Id>>>,
    /// Item ids this transaction gave the program, registered when it commits.
    new_ids: Vec<Id>,
}

fn mentions(value: &Value, id: &str) -> bool {
    match value {
        Value::String(s) => s == id,
        Value::Array(items) => items.iter().any(|v| mentions(v, id)),
        Value::Object(map) => map.values().any(|v| mentions(v, id)),
        _ => false,
    }
}

#[async_trait]
impl ProgramTx for MemoryTx {
    fn head(&self) -> u64 {
        self.work.row.head
    }

    async fn item(&mut self, id: Id) -> StorageResult<Option<StoredItem>> {
        Ok(self.work.items.get(&id).cloned())
    }

    async fn names(&mut self, kind: Kind, except: Id) -> StorageResult<Vec<String>> {
        Ok(self
            .work
            .items
            .values()
            .filter(|i| i.kind == kind && i.id != except && !i.deleted())
            .filter_map(|i| {
                i.fields
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect())
    }

    async fn mentions(&mut self, id: Id) -> StorageResult<Vec<StoredItem>> {
        let text = id.to_string();
        Ok(self
            .work
            .items
            .values()
            .filter(|i| !i.deleted() && i.id != id && i.fields.values().any(|v| mentions(v, &text)))
            .cloned()
            .collect())
    }

    async fn writer(&mut self, version: u64) -> StorageResult<Option<Write>> {
        let published = self.work.row.published;
        Ok(self
            .work
            .changes
            .iter()
            .find(|(c, _)| c.version == version)
            .map(|(c, subject)| Write {
                version,
                client: c
                    .origin
                    .map(|o| o.client_id)
                    .or_else(|| published.filter(|p| version <= p.head).map(|p| p.client)),
                subject: subject.clone(),
                fields: c.fields.keys().cloned().collect(),
            }))
    }

    async fn id_elsewhere(&mut self, id: Id) -> StorageResult<bool> {
        let ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        Ok(ids.get(&id).is_some_and(|p| *p != self.work.row.id))
    }

    async fn open_conflicts_of(&mut self, item: Id) -> StorageResult<Vec<Conflict>> {
        Ok(self
            .work
            .conflicts
            .values()
            .filter(|(c, _, resolved)| c.item_id == item && resolved.is_none())
            .map(|(c, _, _)| c.clone())
            .collect())
    }

    async fn update_conflict(&mut self, conflict: &Conflict) -> StorageResult<()> {
        if let Some(entry) = self.work.conflicts.get_mut(&conflict.id) {
            entry.0 = conflict.clone();
        }
        Ok(())
    }

    async fn value_at(
        &mut self,
        item: Id,
        field: &str,
        version: u64,
    ) -> StorageResult<Option<Value>> {
        Ok(self
            .work
            .changes
            .iter()
            .rev()
            .filter(|(c, _)| c.item_id == item && c.version <= version)
            .find_map(|(c, _)| c.fields.get(field).cloned()))
    }

    async fn change_author(&mut self, version: u64) -> StorageResult<Option<Authored>> {
        Ok(self
            .work
            .changes
            .iter()
            .find(|(c, _)| c.version == version)
            .map(|(c, _)| Authored {
                author: c.author.clone(),
                at: c.at.clone(),
                made_at: c.made_at.clone(),
            }))
    }

    async fn recorded(&mut self, client: Id, seq: u64) -> StorageResult<Option<Recorded>> {
        Ok(self.work.mutations.get(&(client, seq)).cloned())
    }

    async fn recorded_by_id(&mut self, mutation: Id) -> StorageResult<Option<Recorded>> {
        Ok(self
            .work
            .mutations
            .values()
            .find(|r| r.mutation_id == mutation)
            .cloned())
    }

    async fn last_seq(&mut self, client: Id) -> StorageResult<u64> {
        Ok(self.work.clients.get(&client).copied().unwrap_or(0))
    }

    async fn record(&mut self, client: Id, result: &MutationResult) -> StorageResult<()> {
        self.work.mutations.insert(
            (client, result.seq),
            Recorded {
                mutation_id: result.mutation_id,
                result: result.clone(),
            },
        );
        let last = self.work.clients.entry(client).or_insert(0);
        *last = (*last).max(result.seq);
        Ok(())
    }

    async fn put_item(&mut self, item: &StoredItem) -> StorageResult<()> {
        if self.work.items.insert(item.id, item.clone()).is_none() {
            self.new_ids.push(item.id);
        }
        Ok(())
    }

    async fn append(&mut self, change: NewChange) -> StorageResult<u64> {
        let version = self.work.row.head + 1;
        self.work.row.head = version;
        let subject = change.author.subject.clone();
        self.work
            .changes
            .push((change.at_version(version), subject));
        Ok(version)
    }

    async fn conflict(&mut self, id: Id) -> StorageResult<Option<(Conflict, bool)>> {
        Ok(self
            .work
            .conflicts
            .get(&id)
            .map(|(c, _, resolved)| (c.clone(), resolved.is_none())))
    }

    async fn open_conflict(&mut self, conflict: &Conflict, version: u64) -> StorageResult<()> {
        self.work
            .conflicts
            .insert(conflict.id, (conflict.clone(), version, None));
        Ok(())
    }

    async fn close_conflict(&mut self, id: Id, version: u64) -> StorageResult<()> {
        if let Some(entry) = self.work.conflicts.get_mut(&id) {
            entry.2 = Some(version);
        }
        Ok(())
    }

    async fn audit(&mut self, event: AuditEvent) -> StorageResult<()> {
        self.audit.push(event);
        Ok(())
    }

    async fn commit(self: Box<Self>) -> StorageResult<u64> {
        let this = *self;
        if this
            .failing
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(StorageError::Unavailable(
                "the server stopped before the commit".into(),
            ));
        }
        let MemoryTx {
            mut guard,
            work,
            audit,
            audit_log,
            ids,
            new_ids,
            ..
        } = this;
        {
            let mut ids = ids.lock().unwrap_or_else(|e| e.into_inner());
            if new_ids
                .iter()
                .any(|id| ids.get(id).is_some_and(|p| *p != work.row.id))
            {
                return Err(StorageError::Refused(
                    "an item id is used by another program".into(),
                ));
            }
            for id in new_ids {
                ids.insert(id, work.row.id);
            }
        }
        let head = work.row.head;
        *guard = work;
        drop(guard);
        audit_log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(audit);
        Ok(head)
    }
}
