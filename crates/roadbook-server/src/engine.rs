//! The sync's rules, over any [`Storage`]: what a push does to a program, what a pull answers,
//! who may do what. HTTP and token checks are in front of it ([`crate::http`], [`crate::auth`]).
//!
//! - A field's version is the log position where the server last wrote it.
//! - Ordinary fields: the last writer in the server's order wins; the overwritten value stays in
//!   the log, so every replica's history has both.
//! - Set fields (a decision's owners, linked risks, attendees, a review's decisions) merge: both
//!   people's additions stand.
//! - Guarded fields (a decision's status, outcome and rationale), any edit of a deleted item and
//!   a delete of an edited item become a conflict: the server's value stands until a lead
//!   resolves it with a mutation that syncs like any other.
//! - The server checks the merged item as the model would; a merge it would refuse becomes a
//!   conflict (or, when the change alone is refused, a rejection), never a replica that no
//!   longer loads.
//! - Each mutation is identified by (client, sequence): a replay gets its first result, a gap is
//!   refused, and a sequence number seen with another change means the database was copied.
//! - A change is concurrent with what the server holds only when the field's current value was
//!   written by someone else after the version the change was based on: a person's own earlier
//!   changes (from the same replica, or the same person's sign-in) are what their later ones
//!   were made on top of, so a person's sequence of edits never conflicts with itself.
//! - Every answer names the server's history; positions from another history (a restored
//!   database) are refused with `history_changed` instead of being read.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use roadbook_model::{
    Entity, Handbook, Id, Kind, OrderKey, Problems, Program, Reference, for_kind, merge_sets,
};
use roadbook_protocol::{
    ArchivedDocument, Choice, Conflict, DocumentsPage, Events, FieldChange, Item, Me, Mutation,
    MutationResult, Operation, Origin, Outcome, ProgramInfo, PublishRequest, PublishResponse, Pull,
    PushRequest, PushResponse, Role, Side, Snapshot, codes,
};
use serde_json::{Map, Value, json};

use crate::directory::{AccessFacts, Directory, MemoryDirectory};
use crate::live::Live;
use crate::storage::{
    AuditEvent, Author, Authored, NewChange, NewProgram, Prefetch, ProgramTx, Storage,
    StorageError, StoredItem, Write,
};

pub const POSITION: &str = "position";
pub const DELETED: &str = "deleted";

/// Who is calling, as their token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub author: Author,
    /// The token's email, which matches the person to the org roster and to grants.
    pub email: Option<String>,
    pub groups: Vec<String>,
    /// What the groups allow on every program; none: nothing. On one program, what the groups,
    /// the program's org unit and its grants allow (see [`Engine::entitled`]).
    pub role: Option<Role>,
    /// Break-glass use: the reason given (the role is admin for this request only).
    pub break_glass: Option<String>,
}

/// Why a request is refused as a whole (a refused mutation is a result, not an error).
#[derive(Debug, Clone, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Exists(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("a change is missing before {got}: push {expected} first")]
    SequenceGap { expected: u64, got: u64 },
    #[error(
        "this client's sequence number {seq} was used for another change: the database was copied or restored; take a fresh client id and push again"
    )]
    ClientReset { seq: u64 },
    /// The database failed; the detail is for the server's log, never for the caller.
    #[error("the server's database is unavailable; try again shortly")]
    Unavailable(String),
    #[error("too many {what} from you for now: try again in {wait_seconds} s")]
    TooMany {
        what: &'static str,
        wait_seconds: u64,
    },
    #[error(
        "the server's history is not the one this replica synced in (its database was restored from a backup or made anew): take the program afresh and send again what it lacks"
    )]
    HistoryChanged { current: Id },
    /// The database refused to store what was sent; the detail is for the server's log.
    #[error(
        "the server cannot store what was sent (a value its database does not hold): change it and send again"
    )]
    StoreRefused(String),
}

impl EngineError {
    /// The HTTP status that says this refusal.
    pub fn status(&self) -> u16 {
        match self {
            EngineError::Forbidden(_) => 403,
            EngineError::NotFound(_) => 404,
            EngineError::Exists(_)
            | EngineError::SequenceGap { .. }
            | EngineError::ClientReset { .. }
            | EngineError::HistoryChanged { .. } => 409,
            EngineError::Invalid(_) | EngineError::StoreRefused(_) => 422,
            EngineError::TooLarge(_) => 413,
            EngineError::TooMany { .. } => 429,
            EngineError::Unavailable(_) => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Forbidden(_) => codes::FORBIDDEN,
            EngineError::NotFound(_) => codes::NOT_FOUND,
            EngineError::Exists(_) => codes::EXISTS,
            EngineError::Invalid(_) => codes::BAD_REQUEST,
            EngineError::TooLarge(_) => codes::TOO_LARGE,
            EngineError::SequenceGap { .. } => codes::SEQUENCE_GAP,
            EngineError::ClientReset { .. } => codes::CLIENT_RESET,
            EngineError::Unavailable(_) => codes::UNAVAILABLE,
            EngineError::HistoryChanged { .. } => codes::HISTORY_CHANGED,
            EngineError::StoreRefused(_) => codes::BAD_REQUEST,
            EngineError::TooMany { .. } => codes::TOO_MANY,
        }
    }
}

impl From<StorageError> for EngineError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::NotFound => {
                EngineError::NotFound("no such program on this server".into())
            }
            StorageError::Exists => {
                EngineError::Exists("the program is on this server already: join it instead".into())
            }
            StorageError::Refused(detail) => EngineError::StoreRefused(detail),
            other => EngineError::Unavailable(other.to_string()),
        }
    }
}

type EngineResult<T> = Result<T, EngineError>;

/// The time the server stamps on changes: UTC, milliseconds, fixed width.
pub type Clock = Arc<dyn Fn() -> String + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

pub struct Engine {
    storage: Arc<dyn Storage>,
    live: Arc<Live>,
    clock: Clock,
    /// One pusher per program at a time in this process. The database's row lock orders
    /// pushes across processes; queuing here first keeps waiting pushes from holding database
    /// connections that pulls need meanwhile.
    writers: std::sync::Mutex<std::collections::HashMap<Id, Arc<Writer>>>,
    /// How long a long poll waits for a change.
    wait: Duration,
    /// Org roster, scoped programs, grants.
    directory: Arc<dyn Directory>,
    /// When each subject's use was last recorded (at most once a minute each).
    seen: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    metrics: Arc<crate::metrics::Metrics>,
    /// (email, subject) pairs found bound, and when: a yes is kept a minute (an operator's
    /// `unbind` in another process applies within it).
    holds: std::sync::Mutex<std::collections::HashMap<(String, String), std::time::Instant>>,
    /// How often each person may ask for what costs most or leaves a permanent trace.
    budget: crate::budget::Budget,
    /// How many long polls each subject holds open now.
    waiting: WaitCounts,
}

/// Long polls held open now, by subject.
type WaitCounts = Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>;

/// The most long polls one person holds open at once: one per program for each of a few apps
/// and terminals. Past it a poll is refused at once, so one token cannot hold the server's
/// connections and tasks.
pub const MOST_WAITING: usize = 32;

/// One long poll counted against its subject while it lives.
struct Waiting {
    subject: String,
    counts: WaitCounts,
}

impl Waiting {
    fn start(counts: &WaitCounts, subject: &str) -> Option<Waiting> {
        let mut held = counts.lock().unwrap_or_else(|e| e.into_inner());
        let count = held.entry(subject.to_owned()).or_insert(0);
        if *count >= MOST_WAITING {
            return None;
        }
        *count += 1;
        Some(Waiting {
            subject: subject.to_owned(),
            counts: counts.clone(),
        })
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut held = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = held.get_mut(&self.subject) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&self.subject);
            }
        }
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

fn require(caller: &Caller, at_least: Role, what: &str) -> EngineResult<()> {
    match caller.role {
        Some(role) if role >= at_least => Ok(()),
        Some(role) => Err(EngineError::Forbidden(format!(
            "{what} needs the {} role; {} has {}",
            at_least.as_str(),
            caller.author.name,
            role.as_str()
        ))),
        None => Err(EngineError::Forbidden(format!(
            "{what} needs a role on this server; {} has none: ask an admin to add you to a Roadbook group",
            caller.author.name
        ))),
    }
}

fn rejected(code: &str, reason: impl Into<String>) -> Outcome {
    Outcome::Rejected {
        code: code.to_owned(),
        reason: reason.into(),
    }
}

/// The pushes waiting for a program, and the turn to apply them.
#[derive(Default)]
struct Writer {
    queue: std::sync::Mutex<Vec<Job>>,
    turn: tokio::sync::Mutex<()>,
}

type Answer = tokio::sync::oneshot::Sender<EngineResult<PushResponse>>;

/// A push waiting its turn, and where its answer goes.
struct Job {
    caller: Caller,
    request: PushRequest,
    answer: Answer,
}

/// What applying one mutation produced, before it is recorded.
struct Applied {
    outcome: Outcome,
    item: Option<StoredItem>,
}

impl Engine {
    pub fn new(storage: Arc<dyn Storage>, live: Arc<Live>, clock: Clock) -> Engine {
        Engine {
            storage,
            live,
            clock,
            writers: std::sync::Mutex::new(std::collections::HashMap::new()),
            wait: Duration::from_secs(roadbook_protocol::EVENTS_WAIT_SECONDS),
            directory: Arc::new(MemoryDirectory::default()),
            seen: std::sync::Mutex::new(std::collections::HashMap::new()),
            metrics: Arc::new(crate::metrics::Metrics::new()),
            holds: std::sync::Mutex::new(std::collections::HashMap::new()),
            budget: crate::budget::Budget::default(),
            waiting: Arc::default(),
        }
    }

    /// Counts one `spend` of the caller's, or refuses with how long to wait.
    fn spend(&self, caller: &Caller, spend: crate::budget::Spend) -> EngineResult<()> {
        self.budget
            .take(&caller.author.subject, spend)
            .map_err(|wait| EngineError::TooMany {
                what: spend.what(),
                wait_seconds: wait.as_secs().max(1),
            })
    }

    /// Counts one `spend` of `subject`'s; whether it was within the allowance.
    pub fn allow(&self, subject: &str, spend: crate::budget::Spend) -> bool {
        self.budget.take(subject, spend).is_ok()
    }

    /// Whether `subject` holds `email` (binding it, when nobody does): an email joins the
    /// roster and grants to the first subject the issuer vouched it for, and to no other. A
    /// failure to tell counts as no (the caller keeps what their groups give).
    pub async fn holds_email(&self, email: &str, subject: &str) -> bool {
        let key = (email.to_lowercase(), subject.to_owned());
        if self
            .holds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .is_some_and(|at| at.elapsed() < Duration::from_secs(60))
        {
            return true;
        }
        match self.directory.bind(&key.0, subject, &self.now()).await {
            Ok(true) => {
                let mut holds = self.holds.lock().unwrap_or_else(|e| e.into_inner());
                if holds.len() > 100_000 {
                    holds.clear();
                }
                holds.insert(key, std::time::Instant::now());
                true
            }
            Ok(false) => {
                tracing::warn!(%subject, "a token carries an email another subject holds: it is not used");
                false
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not tell whose an email is: it is not used");
                false
            }
        }
    }

    /// The server's current history: read from the storage the first time (which begins one
    /// if the database is not the one its last history was written in), then as the storage's
    /// listener hears of a new one.
    pub async fn history(&self) -> EngineResult<Id> {
        if let Some(id) = self.live.history() {
            return Ok(id);
        }
        let id = self.storage.history().await?;
        self.live.set_history(Some(id));
        Ok(id)
    }

    /// The current history, refusing a request whose positions belong to another one.
    async fn same_history(&self, expected: Option<Id>) -> EngineResult<Id> {
        let current = self.history().await?;
        match expected {
            Some(expected) if expected != current => Err(EngineError::HistoryChanged { current }),
            _ => Ok(current),
        }
    }

    /// How many programs this process keeps state for between requests (pushes queued, long
    /// polls waiting): it must follow the programs in use, never the requests made.
    pub fn programs_tracked(&self) -> usize {
        self.writers.lock().unwrap_or_else(|e| e.into_inner()).len() + self.live.programs()
    }

    /// The time the server stamps now.
    pub fn now(&self) -> String {
        (self.clock)()
    }

    /// Records that the caller used the server (for the access review), at most once a
    /// minute per person. A failure is logged, never the request's.
    pub async fn seen(&self, caller: &Caller) {
        let due = {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            let due = seen
                .get(&caller.author.subject)
                .is_none_or(|at| at.elapsed() >= Duration::from_secs(60));
            if due {
                if seen.len() > 100_000 {
                    seen.clear();
                }
                seen.insert(caller.author.subject.clone(), std::time::Instant::now());
            }
            due
        };
        if !due {
            return;
        }
        let who = crate::directory::Seen {
            subject: caller.author.subject.clone(),
            name: caller.author.name.clone(),
            email: caller.email.clone(),
            groups: caller.groups.clone(),
            last_seen: self.now(),
        };
        if let Err(err) = self.directory.seen(who).await {
            tracing::warn!(error = %err, "could not record when a person last used the server");
        }
    }

    /// Access beyond groups from `directory` (PostgreSQL on a deployed server).
    pub fn with_directory(mut self, directory: Arc<dyn Directory>) -> Engine {
        self.directory = directory;
        self
    }

    pub fn directory(&self) -> &Arc<dyn Directory> {
        &self.directory
    }

    /// The caller as they stand on `program`: their role there from groups, the program's org
    /// unit and its grants, checked against `at_least`. A program they may not see at all is
    /// answered as if it did not exist.
    pub async fn entitled(
        &self,
        caller: &Caller,
        program: Id,
        at_least: Role,
        what: &str,
    ) -> EngineResult<Caller> {
        let facts = self
            .directory
            .facts(program, caller.email.as_deref())
            .await?;
        let role = facts.role(caller.role);
        if role.is_none() && facts.org_unit.is_some() {
            return Err(EngineError::NotFound(format!(
                "there is no program {program} on this server"
            )));
        }
        let on_program = Caller {
            role,
            ..caller.clone()
        };
        require(&on_program, at_least, what)?;
        Ok(on_program)
    }

    /// A shorter long poll, for tests.
    pub fn with_wait(mut self, wait: Duration) -> Engine {
        self.wait = wait;
        self
    }

    /// Usage counts from an app whose person shares them. Any signed-in caller may send them;
    /// they name no person and no program.
    pub async fn usage(
        &self,
        caller: &Caller,
        report: roadbook_protocol::UsageReport,
    ) -> EngineResult<roadbook_protocol::UsageAnswer> {
        // Only people with a role here; a token with none writes nothing.
        require(caller, Role::Viewer, "sending usage counts")?;
        self.spend(caller, crate::budget::Spend::Usage)?;
        if report.events.len() > roadbook_protocol::MAX_USAGE_EVENTS {
            return Err(EngineError::TooLarge(format!(
                "{} usage counts in one request; send at most {}",
                report.events.len(),
                roadbook_protocol::MAX_USAGE_EVENTS
            )));
        }
        let today = chrono::Utc::now().date_naive();
        for event in &report.events {
            let day = chrono::NaiveDate::parse_from_str(&event.day, "%Y-%m-%d").map_err(|_| {
                EngineError::Invalid(format!(
                    "usage day '{}' is not a date: write YYYY-MM-DD",
                    event.day
                ))
            })?;
            // A clock a day ahead is a time zone; more is a wrong clock.
            if day > today + chrono::Duration::days(1) {
                return Err(EngineError::Invalid(format!(
                    "usage day {} is in the future: check this machine's clock",
                    event.day
                )));
            }
        }
        let stored = self
            .storage
            .record_usage(&report.events, &self.now())
            .await?;
        Ok(roadbook_protocol::UsageAnswer { stored })
    }

    /// Usage counts by day and kind, for admins.
    pub async fn usage_counts(
        &self,
        caller: &Caller,
        since: Option<&str>,
    ) -> EngineResult<Vec<roadbook_protocol::UsageCount>> {
        if caller.role != Some(Role::Admin) {
            return Err(EngineError::Forbidden(
                "reading usage counts needs the admin role: ask the server's operators".into(),
            ));
        }
        Ok(self.storage.usage_counts(since).await?)
    }

    /// The audit trail, for admins only (a break-glass caller is an admin for the request,
    /// and that use is in the trail already).
    pub async fn audit(
        &self,
        caller: &Caller,
        filter: &crate::audit::AuditFilter,
    ) -> EngineResult<Vec<crate::audit::AuditLine>> {
        if caller.role != Some(Role::Admin) {
            return Err(EngineError::Forbidden(
                "reading the audit trail needs the admin role: ask the server's operators".into(),
            ));
        }
        Ok(self.storage.audit(filter).await?)
    }

    pub fn live(&self) -> &Arc<Live> {
        &self.live
    }

    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        &self.metrics
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    pub fn me(&self, caller: &Caller) -> Me {
        Me {
            subject: caller.author.subject.clone(),
            name: caller.author.name.clone(),
            groups: caller.groups.clone(),
            role: caller.role,
        }
    }

    /// The programs the caller may see, each with their role on it.
    pub async fn programs(&self, caller: &Caller) -> EngineResult<Vec<ProgramInfo>> {
        let scoped = self.directory.scoped().await?;
        let member_of = match &caller.email {
            Some(email) => self.directory.member_of(email).await?,
            None => None,
        };
        let email = caller.email.as_deref().map(str::to_lowercase);
        let grants: BTreeMap<Id, Role> = match &email {
            Some(email) => self
                .directory
                .grants(Some(email))
                .await?
                .into_iter()
                .map(|g| (g.program, g.role))
                .collect(),
            None => BTreeMap::new(),
        };
        if caller.role.is_none() && grants.is_empty() {
            require(caller, Role::Viewer, "listing programs")?;
        }
        Ok(self
            .storage
            .programs()
            .await?
            .into_iter()
            .filter_map(|p| {
                let facts = AccessFacts {
                    org_unit: scoped.get(&p.id).cloned(),
                    member_of: member_of.clone(),
                    grant: grants.get(&p.id).copied(),
                };
                facts.role(caller.role).map(|role| ProgramInfo {
                    id: p.id,
                    name: p.name,
                    role,
                    head: p.head,
                })
            })
            .collect())
    }

    /// A lead's local program becomes the server's: checked as a whole, then written with one
    /// log entry per item.
    pub async fn publish(
        &self,
        caller: &Caller,
        request: PublishRequest,
    ) -> EngineResult<PublishResponse> {
        require(caller, Role::Lead, "publishing a program")?;
        let history = self.history().await?;
        // Sent again by the client that published it (the first answer was lost): answered as
        // that publish was, whatever this copy holds now; the changes after it are pushed.
        if let Some(row) = self.storage.program(request.program).await? {
            return match row.published {
                Some(first) if first.client == request.client_id => {
                    // Each item at the position its publish wrote it (the log keeps them
                    // unless compacted; then the publish's head, which no later change is below).
                    let written: BTreeMap<Id, u64> = self
                        .storage
                        .changes_after(
                            request.program,
                            0,
                            usize::try_from(first.head).unwrap_or(usize::MAX),
                        )
                        .await?
                        .into_iter()
                        .filter(|c| c.version <= first.head)
                        .map(|c| (c.item_id, c.version))
                        .collect();
                    Ok(PublishResponse {
                        cursor: first.head,
                        versions: request
                            .items
                            .iter()
                            .filter(|i| written.contains_key(&i.id) || row.floor > 0)
                            .map(|i| (i.id, written.get(&i.id).copied().unwrap_or(first.head)))
                            .collect(),
                        history: Some(history),
                        through_seq: Some(first.seq),
                    })
                }
                _ => Err(EngineError::Exists(
                    "the program is on this server already: join it instead".into(),
                )),
            };
        }
        for item in &request.items {
            storable(&Value::Object(item.fields.clone())).map_err(|why| {
                EngineError::Invalid(format!("{} {}: {why}", item.kind.noun(), item.id))
            })?;
        }
        let mut ids: Vec<Id> = request.items.iter().map(|i| i.id).collect();
        ids.push(request.program);
        let taken = self.storage.ids_elsewhere(request.program, &ids).await?;
        if let Some(id) = taken.first() {
            return Err(EngineError::Invalid(format!(
                "{id} is the id of an item of another program on this server ({} such ids): an item's id names one item of one program, so this program cannot be published here as it is",
                taken.len()
            )));
        }
        let mut handbook: Option<Handbook> = None;
        let mut rest = Vec::new();
        for item in &request.items {
            if item.kind == Kind::Program {
                if item.id != request.program {
                    return Err(EngineError::Invalid(format!(
                        "the program record {} is not the program {} being published",
                        item.id, request.program
                    )));
                }
                let body = body_of(&item.fields, item.id);
                let program: Program = serde_json::from_value(Value::Object(body))
                    .map_err(|e| EngineError::Invalid(format!("program: {e}")))?;
                handbook = Some(Handbook::empty(program));
            } else {
                rest.push(item);
            }
        }
        let Some(mut handbook) = handbook else {
            return Err(EngineError::Invalid(
                "the program record is missing from what was published".into(),
            ));
        };
        for item in &rest {
            if item.fields.get(DELETED).and_then(Value::as_bool) == Some(true) {
                continue;
            }
            handbook
                .push_json(
                    item.kind,
                    &Value::Object(body_of(&item.fields, item.id)).to_string(),
                )
                .map_err(|e| {
                    EngineError::Invalid(format!("{} {}: {e}", item.kind.noun(), item.id))
                })?;
            position_of(item)?;
        }
        handbook
            .validate()
            .map_err(|e| EngineError::Invalid(format!("the program was not published: {e}")))?;

        let at = (self.clock)();
        let mut items = Vec::new();
        let mut changes = Vec::new();
        let mut versions = BTreeMap::new();
        for (n, item) in request.items.iter().enumerate() {
            let version = n as u64 + 1;
            let mut fields = item.fields.clone();
            fields.remove("id");
            fields.entry(DELETED.to_owned()).or_insert(json!(false));
            if !fields.contains_key(POSITION) {
                fields.insert(POSITION.to_owned(), json!(OrderKey::first().as_str()));
            }
            items.push(StoredItem {
                kind: item.kind,
                id: item.id,
                versions: fields.keys().map(|f| (f.clone(), version)).collect(),
                fields: fields.clone(),
            });
            changes.push(NewChange {
                kind: item.kind,
                item_id: item.id,
                author: caller.author.clone(),
                at: at.clone(),
                made_at: None,
                fields,
                origin: None,
            });
            versions.insert(item.id, version);
        }
        let name = handbook.program.name.clone();
        let head = self
            .storage
            .create_program(
                NewProgram {
                    id: request.program,
                    name: name.clone(),
                    created_by: caller.author.clone(),
                    at: at.clone(),
                    items,
                    changes,
                    client: request.client_id,
                    last_seq: request.next_seq.saturating_sub(1),
                },
                AuditEvent {
                    at,
                    subject: caller.author.subject.clone(),
                    program: Some(request.program),
                    action: "publish".into(),
                    detail: json!({"name": name, "items": request.items.len()}),
                },
            )
            .await?;
        self.live.publish(request.program, head);
        Ok(PublishResponse {
            cursor: head,
            versions,
            history: Some(history),
            through_seq: Some(request.next_seq.saturating_sub(1)),
        })
    }

    /// A teammate's database takes the program: the whole of it, as of now.
    pub async fn join(
        &self,
        caller: &Caller,
        program: Id,
        client: Id,
        next_seq: u64,
    ) -> EngineResult<Snapshot> {
        let on_program = self
            .entitled(caller, program, Role::Viewer, "joining a program")
            .await?;
        self.spend(caller, crate::budget::Spend::Join)?;
        let history = self.history().await?;
        let row = self.known(program).await?;
        self.storage
            .register_client(program, client, next_seq.saturating_sub(1))
            .await?;
        // Joining hands over the whole program: who took a copy is in the trail.
        self.directory
            .note(
                AuditEvent {
                    at: self.now(),
                    subject: caller.author.subject.clone(),
                    program: Some(program),
                    action: "join".into(),
                    detail: json!({ "client": client }),
                },
                false,
            )
            .await?;
        let (items, cursor) = self.storage.snapshot(program).await?;
        let conflicts = self.storage.open_conflicts(program).await?;
        Ok(Snapshot {
            program,
            cursor,
            items,
            conflicts,
            history: Some(history),
            fork: Some(row.fork),
            role: on_program.role,
        })
    }

    async fn known(&self, program: Id) -> EngineResult<crate::storage::ProgramRow> {
        self.storage.program(program).await?.ok_or_else(|| {
            EngineError::NotFound(format!("there is no program {program} on this server"))
        })
    }

    /// Changes after `after`, at most `limit`; the whole program when the log no longer reaches
    /// back that far.
    pub async fn pull(
        &self,
        caller: &Caller,
        program: Id,
        after: u64,
        limit: usize,
        history: Option<Id>,
    ) -> EngineResult<Pull> {
        let on_program = self
            .entitled(caller, program, Role::Viewer, "pulling changes")
            .await?;
        let history = Some(self.same_history(history).await?);
        let limit = limit.clamp(1, roadbook_protocol::MAX_CHANGES_PER_PULL);
        let page = self
            .storage
            .page(program, after, limit + 1)
            .await?
            .ok_or_else(|| {
                EngineError::NotFound(format!("there is no program {program} on this server"))
            })?;
        let (row, mut changes, conflicts) = (page.row, page.changes, page.conflicts);
        // Before the floor: the log no longer reaches back that far. Past the head: the
        // client has seen changes this database no longer has (it was restored from a
        // backup), and changes written from now on take those positions again; either way
        // the whole program, so no replica skips what is written next.
        if after < row.floor || after > row.head {
            let (items, cursor) = self.storage.snapshot(program).await?;
            return Ok(Pull {
                changes: Vec::new(),
                cursor,
                more: false,
                conflicts,
                snapshot: Some(items),
                history,
                role: on_program.role,
            });
        }
        let more = changes.len() > limit;
        changes.truncate(limit);
        self.metrics.pull(changes.len());
        let cursor = changes.last().map_or(after, |c| c.version);
        Ok(Pull {
            changes,
            cursor,
            more,
            conflicts,
            snapshot: None,
            history,
            role: on_program.role,
        })
    }

    /// Adds an issued document to the program's shared archive, credited to the caller. Sharing
    /// one twice keeps the first.
    pub async fn share_document(
        &self,
        caller: &Caller,
        program: Id,
        mut document: ArchivedDocument,
    ) -> EngineResult<bool> {
        let caller = &self
            .entitled(caller, program, Role::Editor, "sharing an issued document")
            .await?;
        self.spend(caller, crate::budget::Spend::Document)?;
        self.known(program).await?;
        let invalid = |what: &str| EngineError::Invalid(format!("the document's {what}"));
        if document.kind.is_empty()
            || document.kind.len() > 40
            || !document
                .kind
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_')
        {
            return Err(invalid("kind is not a kind of document"));
        }
        if let Err(why) = serde_json::to_value(&document)
            .map_err(|e| e.to_string())
            .and_then(|v| storable(&v))
        {
            return Err(EngineError::Invalid(format!("the document: {why}")));
        }
        if document.pdf_sha256.len() != 64
            || !document.pdf_sha256.chars().all(|c| c.is_ascii_hexdigit())
        {
            return Err(invalid("SHA-256 is not 64 hex digits"));
        }
        if !serde_json::from_str::<Value>(&document.snapshot).is_ok_and(|v| v.is_object()) {
            return Err(invalid("snapshot is not the JSON of a program's data"));
        }
        for (what, moment) in [
            ("issue time", &document.issued_at),
            ("as-of", &document.as_of),
        ] {
            if chrono::DateTime::parse_from_rfc3339(moment).is_err() {
                return Err(invalid(&format!("{what} is not an RFC 3339 time")));
            }
        }
        document.shared_by = Some(caller.author.name.clone());
        let at = (self.clock)();
        let audit = AuditEvent {
            at,
            subject: caller.author.subject.clone(),
            program: Some(program),
            action: "document_issued".into(),
            detail: json!({
                "document": document.id,
                "kind": document.kind,
                "as_of": document.as_of,
                "pdf_sha256": document.pdf_sha256,
            }),
        };
        let position = self
            .storage
            .share_document(program, &document, audit)
            .await?;
        if let Some(position) = position {
            self.live.publish_documents(program, position);
        }
        Ok(position.is_some())
    }

    /// The shared archive after position `after`, a page at a time.
    pub async fn documents(
        &self,
        caller: &Caller,
        program: Id,
        after: u64,
    ) -> EngineResult<DocumentsPage> {
        self.entitled(caller, program, Role::Viewer, "reading the shared archive")
            .await?;
        self.known(program).await?;
        let limit = roadbook_protocol::MAX_DOCUMENTS_PER_PAGE;
        let mut page = self
            .storage
            .documents_after(program, after, limit + 1)
            .await?;
        let more = page.len() > limit;
        page.truncate(limit);
        let cursor = page.last().map_or(after, |(position, _)| *position);
        Ok(DocumentsPage {
            documents: page.into_iter().map(|(_, d)| d).collect(),
            cursor,
            more,
        })
    }

    /// Answers as soon as the program's log is past `after`, or when the wait runs out; at
    /// once when the server's history is not the one the client named.
    pub async fn events(
        &self,
        caller: &Caller,
        program: Id,
        after: u64,
        documents_after: Option<u64>,
        history: Option<Id>,
    ) -> EngineResult<Events> {
        self.entitled(caller, program, Role::Viewer, "listening for changes")
            .await?;
        let Some(_waiting) = Waiting::start(&self.waiting, &caller.author.subject) else {
            return Err(EngineError::TooMany {
                what: "open waits for changes",
                wait_seconds: 1,
            });
        };
        let current = self.history().await?;
        let answer = self
            .wait_for(
                program,
                after,
                documents_after,
                history.is_some_and(|h| h != current),
            )
            .await;
        // Nobody waits on a program that does not exist, or on one whose poll just ended.
        self.live.release(program);
        let (head, documents) = answer?;
        Ok(Events {
            head,
            documents,
            history: Some(current),
        })
    }

    async fn wait_for(
        &self,
        program: Id,
        after: u64,
        documents_after: Option<u64>,
        now: bool,
    ) -> EngineResult<(u64, u64)> {
        let row = self.known(program).await?;
        // Subscribe, then read the heads again: a change between the two is not missed.
        let mut changes = self.live.subscribe(program);
        let mut documents = self.live.subscribe_documents(program);
        let mut stopping = self.live.stopping();
        let row = self.storage.program(program).await?.unwrap_or(row);
        let moved = |head: u64, archive: u64| {
            head > after || documents_after.is_some_and(|seen| archive > seen)
        };
        // A client past the head (the database was restored) pulls at once and gets the
        // whole program; so does one from another history; a stopping process sends its
        // listeners to the others.
        if now
            || moved(row.head, row.documents)
            || after > row.head
            || *stopping.borrow_and_update()
        {
            return Ok((row.head, row.documents));
        }
        let deadline = tokio::time::Instant::now() + self.wait;
        loop {
            let (head, archive) = (*changes.borrow_and_update(), *documents.borrow_and_update());
            if moved(head, archive) {
                return Ok((head.max(row.head), archive.max(row.documents)));
            }
            let woke = tokio::time::timeout_at(deadline, async {
                tokio::select! {
                    r = changes.changed() => r.map(|()| true),
                    r = documents.changed() => r.map(|()| true),
                    r = stopping.changed() => r.map(|()| false),
                }
            })
            .await;
            match woke {
                Ok(Ok(true)) => continue,
                _ => {
                    let row = self.known(program).await?;
                    return Ok((row.head, row.documents));
                }
            }
        }
    }

    /// Applies a client's mutations in order, each idempotently, and answers with a result for
    /// each. Pushes to one program that arrive while another is being applied are applied
    /// together in one transaction (a group commit: one durable commit for all of them, each
    /// with its own results). The transaction commits before any answer leaves, so a result a
    /// client sees is durable; a crash before the commit keeps none of it.
    pub async fn push(
        &self,
        caller: &Caller,
        program: Id,
        request: PushRequest,
    ) -> EngineResult<PushResponse> {
        let caller = &self
            .entitled(caller, program, Role::Editor, "changing a program")
            .await?;
        if request.mutations.len() > roadbook_protocol::MAX_MUTATIONS_PER_PUSH {
            return Err(EngineError::TooLarge(format!(
                "{} changes in one push; send at most {} at a time",
                request.mutations.len(),
                roadbook_protocol::MAX_MUTATIONS_PER_PUSH
            )));
        }
        // What the database cannot store is refused here, before the push joins anyone
        // else's transaction.
        for mutation in &request.mutations {
            storable_operation(&mutation.operation).map_err(|why| {
                EngineError::Invalid(format!(
                    "change {} ({} {}): {why}",
                    mutation.seq,
                    mutation.kind.noun(),
                    mutation.item_id
                ))
            })?;
        }
        let history = self.same_history(request.history).await?;
        let writer = {
            let mut writers = self.writers.lock().unwrap_or_else(|e| e.into_inner());
            writers.entry(program).or_default().clone()
        };
        let (answer, answered) = tokio::sync::oneshot::channel();
        writer
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Job {
                caller: caller.clone(),
                request,
                answer,
            });
        // Wait for the answer or for the turn, whichever comes first. Whoever gets the turn
        // applies everything queued by then; a pusher whose push an earlier turn took gets its
        // answer and leaves the line (were it to wait for the turn anyway, each turn would
        // find one push in the queue and the batching would be lost to a convoy).
        let mut answered = answered;
        let answer = loop {
            tokio::select! {
                biased;
                answer = &mut answered => {
                    break answer.unwrap_or_else(|_| {
                        Err(EngineError::Unavailable("the push was not answered".into()))
                    });
                }
                _turn = writer.turn.lock() => {
                    let jobs = std::mem::take(&mut *writer.queue.lock().unwrap_or_else(|e| e.into_inner()));
                    if !jobs.is_empty() {
                        self.apply_batch(program, jobs).await;
                    }
                }
            }
        };
        // The line for this program goes once nobody else stands in it, so what the process
        // keeps follows the programs in use, never the pushes made (to programs that exist or
        // not).
        {
            let mut writers = self.writers.lock().unwrap_or_else(|e| e.into_inner());
            if Arc::strong_count(&writer) == 2
                && writer
                    .queue
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .is_empty()
            {
                writers.remove(&program);
            }
        }
        answer.map(|response| PushResponse {
            history: Some(history),
            ..response
        })
    }

    /// One transaction for the queued pushes of a program (see [`Engine::commit_pushes`]),
    /// and each push's answer sent.
    async fn apply_batch(&self, program: Id, jobs: Vec<Job>) {
        let pushes: Vec<(&Caller, &PushRequest)> =
            jobs.iter().map(|j| (&j.caller, &j.request)).collect();
        let answers = self.commit_pushes(program, &pushes).await;
        drop(pushes);
        for (job, answer) in jobs.into_iter().zip(answers) {
            let _ = job.answer.send(answer);
        }
    }

    /// Applies pushes in one transaction and answers each. A push refused as a whole (a
    /// sequence gap, a reused number) is checked before anything of it is written. When the
    /// database refuses the batch (a value it cannot store that got past the checks), the
    /// pushes are tried one by one, and a push it refuses alone a mutation at a time, so the
    /// one mutation it cannot store is answered rejected and nothing else is held up. Any other
    /// database failure answers every push with it, and nothing of the batch is kept.
    fn commit_pushes<'a>(
        &'a self,
        program: Id,
        pushes: &'a [(&'a Caller, &'a PushRequest)],
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Vec<EngineResult<PushResponse>>> + Send + 'a>,
    > {
        Box::pin(async move {
            let err = match self.try_commit(program, pushes).await {
                Ok(answers) => return answers,
                Err(err) => err,
            };
            let EngineError::StoreRefused(detail) = &err else {
                return pushes.iter().map(|_| Err(err.clone())).collect();
            };
            match pushes {
                [(caller, request)] if request.mutations.len() == 1 => {
                    vec![self.reject_refused(program, caller, request, detail).await]
                }
                [(caller, request)] => {
                    let mut results = Vec::with_capacity(request.mutations.len());
                    for mutation in &request.mutations {
                        let one = PushRequest {
                            client_id: request.client_id,
                            mutations: vec![mutation.clone()],
                            history: request.history,
                        };
                        match self.commit_pushes(program, &[(*caller, &one)]).await.pop() {
                            Some(Ok(answer)) => results.extend(answer.results),
                            Some(Err(err)) => return vec![Err(err)],
                            None => {
                                return vec![Err(EngineError::Unavailable(
                                    "a change was not answered".into(),
                                ))];
                            }
                        }
                    }
                    vec![Ok(PushResponse {
                        results,
                        history: None,
                    })]
                }
                _ => {
                    let mut answers = Vec::with_capacity(pushes.len());
                    for push in pushes {
                        answers.extend(
                            self.commit_pushes(program, std::slice::from_ref(push))
                                .await,
                        );
                    }
                    answers
                }
            }
        })
    }

    /// Records the one mutation of `request` as rejected: the database would not store it.
    /// A replay gets the same answer, and the client sets it aside with the reason.
    async fn reject_refused(
        &self,
        program: Id,
        caller: &Caller,
        request: &PushRequest,
        detail: &str,
    ) -> EngineResult<PushResponse> {
        tracing::warn!(detail = %detail, "the database refused a change: answered as rejected");
        let mut tx = self.storage.begin(program).await?;
        let client = request.client_id;
        let mut results = Vec::new();
        for mutation in &request.mutations {
            if let Some(recorded) = tx.recorded(client, mutation.seq).await? {
                results.push(recorded.result);
                continue;
            }
            let expected = tx.last_seq(client).await? + 1;
            if mutation.seq != expected {
                return Err(EngineError::SequenceGap {
                    expected,
                    got: mutation.seq,
                });
            }
            let reason = "the server's database cannot store this change (a value it does not hold): change it and send it again";
            let result = MutationResult {
                seq: mutation.seq,
                mutation_id: mutation.mutation_id,
                outcome: rejected("invalid", reason),
                item: tx.item(mutation.item_id).await?.map(|i| i.state()),
            };
            tx.audit(AuditEvent {
                at: self.now(),
                subject: caller.author.subject.clone(),
                program: Some(program),
                action: "rejected".into(),
                detail: json!({
                    "mutation": mutation.mutation_id,
                    "client": client,
                    "seq": mutation.seq,
                    "kind": mutation.kind,
                    "item": mutation.item_id,
                    "op": op_name(&mutation.operation),
                    "result": {"code": "invalid", "reason": reason},
                }),
            })
            .await?;
            tx.record(client, &result).await?;
            results.push(result);
        }
        tx.commit().await?;
        self.metrics.mutation("rejected");
        Ok(PushResponse {
            results,
            history: None,
        })
    }

    /// The pushes in one transaction: each answered, or the transaction's failure.
    async fn try_commit(
        &self,
        program: Id,
        pushes: &[(&Caller, &PushRequest)],
    ) -> EngineResult<Vec<EngineResult<PushResponse>>> {
        let mut tx = self.storage.begin(program).await?;
        let reads: Vec<Prefetch> = pushes
            .iter()
            .map(|(_, r)| Prefetch {
                client: r.client_id,
                seqs: r.mutations.iter().map(|m| m.seq).collect(),
                mutations: r.mutations.iter().map(|m| m.mutation_id).collect(),
            })
            .collect();
        let items: Vec<Id> = pushes
            .iter()
            .flat_map(|(_, r)| r.mutations.iter().map(|m| m.item_id))
            .collect();
        tx.prefetch(&reads, &items).await?;
        let mut answers = Vec::with_capacity(pushes.len());
        let mut wrote = false;
        // The outcome of each mutation decided now (not replays), counted once committed.
        let mut outcomes = Vec::new();
        for (caller, request) in pushes {
            self.metrics.push(request.mutations.len());
            match self
                .apply_push(&mut *tx, caller, program, request, &mut outcomes)
                .await
            {
                Ok((response, changed)) => {
                    wrote |= changed;
                    answers.push(Ok(response));
                }
                // Refused as a whole, and checked before anything of it was written.
                Err(
                    refused @ (EngineError::SequenceGap { .. } | EngineError::ClientReset { .. }),
                ) => answers.push(Err(refused)),
                Err(failed) => return Err(failed),
            }
        }
        if wrote {
            let head = tx.commit().await?;
            self.live.publish(program, head);
        }
        for outcome in outcomes {
            self.metrics.mutation(outcome);
        }
        Ok(answers)
    }

    /// One push inside the batch's transaction: its numbers checked first, then each mutation
    /// applied (or answered from its first result). Returns whether it wrote anything.
    async fn apply_push(
        &self,
        tx: &mut dyn ProgramTx,
        caller: &Caller,
        program: Id,
        request: &PushRequest,
        outcomes: &mut Vec<&'static str>,
    ) -> EngineResult<(PushResponse, bool)> {
        let client = request.client_id;
        // The whole push's numbers first: a push refused as a whole writes nothing.
        let mut expected = tx.last_seq(client).await?;
        for mutation in &request.mutations {
            match tx.recorded(client, mutation.seq).await? {
                Some(recorded) if recorded.mutation_id != mutation.mutation_id => {
                    return Err(EngineError::ClientReset { seq: mutation.seq });
                }
                Some(_) => continue,
                None if mutation.seq <= expected => {
                    return Err(EngineError::ClientReset { seq: mutation.seq });
                }
                None if mutation.seq != expected + 1 => {
                    return Err(EngineError::SequenceGap {
                        expected: expected + 1,
                        got: mutation.seq,
                    });
                }
                None => expected = mutation.seq,
            }
        }
        let mut results = Vec::with_capacity(request.mutations.len());
        let mut wrote = false;
        for mutation in &request.mutations {
            if let Some(recorded) = tx.recorded(client, mutation.seq).await? {
                // The first outcome, with the item as it is now: the one recorded then may
                // have been changed since, and a client must not show an older value.
                let item = tx.item(mutation.item_id).await?.map(|i| i.state());
                results.push(MutationResult {
                    item,
                    ..recorded.result
                });
                continue;
            }
            let result = match tx.recorded_by_id(mutation.mutation_id).await? {
                // The same change under another client id (a copied database pushing what
                // the original pushed): applied once, answered alike.
                Some(recorded) => MutationResult {
                    seq: mutation.seq,
                    item: tx.item(mutation.item_id).await?.map(|i| i.state()),
                    ..recorded.result
                },
                None => {
                    let at = (self.clock)();
                    let applied = self.apply(tx, caller, client, mutation, &at).await?;
                    let (action, detail) = match &applied.outcome {
                        Outcome::Applied { version, conflicts } if conflicts.is_empty() => {
                            ("applied", json!({"version": version}))
                        }
                        Outcome::Applied { version, conflicts } => (
                            "conflict",
                            json!({"version": version, "conflicts": conflicts.iter().map(|c| c.id).collect::<Vec<_>>()}),
                        ),
                        Outcome::Rejected { code, reason } => {
                            ("rejected", json!({"code": code, "reason": reason}))
                        }
                    };
                    outcomes.push(action);
                    tx.audit(AuditEvent {
                        at,
                        subject: caller.author.subject.clone(),
                        program: Some(program),
                        action: action.into(),
                        detail: json!({
                            "mutation": mutation.mutation_id,
                            "client": client,
                            "seq": mutation.seq,
                            "kind": mutation.kind,
                            "item": mutation.item_id,
                            "op": op_name(&mutation.operation),
                            "result": detail,
                        }),
                    })
                    .await?;
                    MutationResult {
                        seq: mutation.seq,
                        mutation_id: mutation.mutation_id,
                        outcome: applied.outcome,
                        item: applied.item.map(|i| i.state()),
                    }
                }
            };
            tx.record(client, &result).await?;
            wrote = true;
            results.push(result);
        }
        Ok((
            PushResponse {
                results,
                history: None,
            },
            wrote,
        ))
    }

    /// What one mutation does, inside the push's transaction.
    async fn apply(
        &self,
        tx: &mut dyn ProgramTx,
        caller: &Caller,
        client: Id,
        mutation: &Mutation,
        at: &str,
    ) -> EngineResult<Applied> {
        let origin = Some(Origin {
            client_id: client,
            seq: mutation.seq,
        });
        let current = tx.item(mutation.item_id).await?;
        if let Some(item) = &current
            && item.kind != mutation.kind
        {
            return Ok(Applied {
                outcome: rejected(
                    "invalid",
                    format!(
                        "{} is a {} on the server, not a {}",
                        item.id,
                        item.kind.noun(),
                        mutation.kind.noun()
                    ),
                ),
                item: current,
            });
        }
        let made_at = match made_at(mutation.made_at.as_deref(), at) {
            Ok(made_at) => made_at,
            Err(reason) => {
                return Ok(Applied {
                    outcome: rejected("invalid", reason),
                    item: current,
                });
            }
        };
        let made_at = made_at.as_deref();
        let change = |fields: Map<String, Value>| NewChange {
            kind: mutation.kind,
            item_id: mutation.item_id,
            author: caller.author.clone(),
            at: at.to_owned(),
            made_at: made_at.map(str::to_owned),
            fields,
            origin,
        };
        let by_caller = Authored {
            author: caller.author.name.clone(),
            at: at.to_owned(),
            made_at: made_at.map(str::to_owned),
        };
        match &mutation.operation {
            Operation::Create { fields } => {
                // A create of an item the server holds as a tombstone brings it back (a person
                // undid their delete): every field is written again. A live item is refused.
                if current.as_ref().is_some_and(|item| !item.deleted()) {
                    return Ok(Applied {
                        outcome: rejected(
                            "exists",
                            format!(
                                "{} {} exists already",
                                mutation.kind.noun(),
                                mutation.item_id
                            ),
                        ),
                        item: current,
                    });
                }
                if mutation.kind == Kind::Program {
                    return Ok(Applied {
                        outcome: rejected(
                            "invalid",
                            "a program is published, not created by a change",
                        ),
                        item: None,
                    });
                }
                // An id names one item of one program: a teammate of another program who
                // learned an id there cannot plant an item under it here.
                if current.is_none() && tx.id_elsewhere(mutation.item_id).await? {
                    return Ok(Applied {
                        outcome: rejected(
                            "exists",
                            format!(
                                "{} is the id of an item of another program on this server: a new {} needs an id of its own",
                                mutation.item_id,
                                mutation.kind.noun()
                            ),
                        ),
                        item: None,
                    });
                }
                let mut fields = fields.clone();
                fields.remove("id");
                fields.insert(DELETED.to_owned(), json!(false));
                if let Err(reason) = position_text(&fields) {
                    return Ok(Applied {
                        outcome: rejected("invalid", reason),
                        item: None,
                    });
                }
                if let Err(reason) = validate(tx, mutation.kind, mutation.item_id, &fields).await? {
                    return Ok(Applied {
                        outcome: rejected("invalid", reason),
                        item: None,
                    });
                }
                let version = tx.append(change(fields.clone())).await?;
                let item = StoredItem {
                    kind: mutation.kind,
                    id: mutation.item_id,
                    versions: fields.keys().map(|f| (f.clone(), version)).collect(),
                    fields,
                };
                tx.put_item(&item).await?;
                Ok(Applied {
                    outcome: Outcome::Applied {
                        version,
                        conflicts: Vec::new(),
                    },
                    item: Some(item),
                })
            }
            Operation::Update { fields } => {
                let Some(item) = current else {
                    return Ok(Applied {
                        outcome: rejected(
                            "gone",
                            format!(
                                "{} {} is not on the server",
                                mutation.kind.noun(),
                                mutation.item_id
                            ),
                        ),
                        item: None,
                    });
                };
                self.update(tx, caller, client, &item, fields, change, by_caller)
                    .await
            }
            Operation::Delete { base_versions } => {
                let Some(item) = current else {
                    return Ok(Applied {
                        outcome: rejected(
                            "gone",
                            format!(
                                "{} {} is not on the server",
                                mutation.kind.noun(),
                                mutation.item_id
                            ),
                        ),
                        item: None,
                    });
                };
                if item.deleted() {
                    return Ok(Applied {
                        outcome: Outcome::Applied {
                            version: 0,
                            conflicts: Vec::new(),
                        },
                        item: Some(item),
                    });
                }
                if mutation.kind == Kind::Program {
                    return Ok(Applied {
                        outcome: rejected(
                            "invalid",
                            "a whole program cannot be deleted by a change",
                        ),
                        item: Some(item),
                    });
                }
                // Edited by someone else since the person last pulled: a person decides. Their
                // own edits before the delete are what they deleted.
                let mut edited = None;
                for (field, version) in &item.versions {
                    if field == POSITION
                        || field == DELETED
                        || *version <= base_versions.get(field).copied().unwrap_or(0)
                    {
                        continue;
                    }
                    if !self.own(tx, *version, client, caller).await? {
                        edited = Some((field, version));
                        break;
                    }
                }
                if let Some((field, version)) = edited {
                    let theirs = tx.change_author(*version).await?.unwrap_or_default();
                    let conflict = Conflict {
                        id: Id::new(),
                        kind: item.kind,
                        item_id: item.id,
                        field: DELETED.into(),
                        theirs: theirs.side(json!({"deleted": false, "changed": field})),
                        mine: by_caller.side(json!({"deleted": true})),
                        client_id: client,
                    };
                    tx.open_conflict(&conflict, tx.head()).await?;
                    return Ok(Applied {
                        outcome: Outcome::Applied {
                            version: 0,
                            conflicts: vec![conflict],
                        },
                        item: Some(item),
                    });
                }
                let referrers = referrers(tx, &item).await?;
                if !referrers.is_empty() {
                    return Ok(Applied {
                        outcome: rejected(
                            "still_referenced",
                            format!(
                                "{} is still referred to by {}: change or delete those first",
                                item.kind.noun(),
                                referrers.join(", ")
                            ),
                        ),
                        item: Some(item),
                    });
                }
                let version = tx
                    .append(change(Map::from_iter([(DELETED.to_owned(), json!(true))])))
                    .await?;
                let mut next = item;
                next.fields.insert(DELETED.into(), json!(true));
                next.versions.insert(DELETED.into(), version);
                tx.put_item(&next).await?;
                Ok(Applied {
                    outcome: Outcome::Applied {
                        version,
                        conflicts: Vec::new(),
                    },
                    item: Some(next),
                })
            }
            Operation::Resolve { conflict, choice } => {
                if caller.role < Some(Role::Lead) {
                    return Ok(Applied {
                        outcome: rejected(
                            "forbidden",
                            format!(
                                "only a program lead resolves conflicts; {} may not",
                                caller.author.name
                            ),
                        ),
                        item: current,
                    });
                }
                self.resolve(tx, *conflict, choice, current, change).await
            }
        }
    }

    /// Whether the change at `version` was the pushing person's own: made by this replica
    /// (or the replica that published the program), or by the same person signed in elsewhere.
    /// A change the log no longer holds counts as someone else's.
    async fn own(
        &self,
        tx: &mut dyn ProgramTx,
        version: u64,
        client: Id,
        caller: &Caller,
    ) -> EngineResult<bool> {
        Ok(tx
            .writer(version)
            .await?
            .is_some_and(|w: Write| w.client == Some(client) || w.subject == caller.author.subject))
    }

    #[allow(clippy::too_many_arguments)]
    async fn update(
        &self,
        tx: &mut dyn ProgramTx,
        caller: &Caller,
        client: Id,
        item: &StoredItem,
        fields: &BTreeMap<String, FieldChange>,
        change: impl Fn(Map<String, Value>) -> NewChange,
        by_caller: Authored,
    ) -> EngineResult<Applied> {
        for name in fields.keys() {
            if name == "id" || name == DELETED {
                return Ok(Applied {
                    outcome: rejected(
                        "invalid",
                        format!("'{name}' cannot be changed by an update"),
                    ),
                    item: Some(item.clone()),
                });
            }
        }
        let conflict_with = |field: &str, theirs: Side, mine: Value| Conflict {
            id: Id::new(),
            kind: item.kind,
            item_id: item.id,
            field: field.to_owned(),
            theirs,
            mine: by_caller.clone().side(mine),
            client_id: client,
        };
        let mut conflicts = Vec::new();
        if item.deleted() {
            let version = item.versions.get(DELETED).copied().unwrap_or(0);
            if self.own(tx, version, client, caller).await? {
                // Deleted by the same person after they made this edit elsewhere: their
                // delete is the later word.
                return Ok(Applied {
                    outcome: rejected(
                        "gone",
                        format!(
                            "{} {} was deleted by {} since this change was made",
                            item.kind.noun(),
                            item.id,
                            caller.author.name
                        ),
                    ),
                    item: Some(item.clone()),
                });
            }
            // An edit of an item someone else deleted meanwhile: the delete stands until a
            // person decides. Only what the person changed comes back with it.
            let theirs = tx.change_author(version).await?.unwrap_or_default();
            let mine: Map<String, Value> = fields
                .iter()
                .filter(|(_, c)| !c.kept)
                .map(|(f, c)| (f.clone(), c.value.clone()))
                .collect();
            let conflict = conflict_with(
                DELETED,
                theirs.side(json!({"deleted": true})),
                json!({"deleted": false, "fields": mine}),
            );
            tx.open_conflict(&conflict, tx.head()).await?;
            return Ok(Applied {
                outcome: Outcome::Applied {
                    version: 0,
                    conflicts: vec![conflict],
                },
                item: Some(item.clone()),
            });
        }
        let sets = item.kind.set_fields();
        let guarded = item.kind.guarded_fields();
        // What becomes of this replica's conflicts on the item, once the change is accepted.
        let mut updated: Vec<Conflict> = Vec::new();
        let mut agreed: Vec<Id> = Vec::new();
        // Per field: the value to write, and whether someone else wrote it since the person
        // pulled.
        let mut writes: BTreeMap<String, (Value, bool)> = BTreeMap::new();
        for (field, edit) in fields {
            if edit.kept || guarded.contains(&field.as_str()) {
                // A field left as it was is never written; the guarded group is judged whole
                // below.
                continue;
            }
            let server_version = item.versions.get(field).copied().unwrap_or(0);
            let current = item.fields.get(field).cloned().unwrap_or(Value::Null);
            if sets.contains(&field.as_str())
                && let Some(delta) = &edit.set
            {
                // What the person added and removed, applied to what the server holds:
                // nobody's addition or removal is undone, the person's own or anyone's.
                writes.insert(field.clone(), (delta.apply(&current), false));
                continue;
            }
            let concurrent = edit.base_version < server_version
                && !self.own(tx, server_version, client, caller).await?;
            if !concurrent || edit.value == current {
                writes.insert(field.clone(), (edit.value.clone(), false));
            } else if sets.contains(&field.as_str()) {
                let base = tx
                    .value_at(item.id, field, edit.base_version)
                    .await?
                    .unwrap_or(Value::Array(Vec::new()));
                writes.insert(
                    field.clone(),
                    (merge_sets(&base, &edit.value, &current), true),
                );
            } else {
                writes.insert(field.clone(), (edit.value.clone(), true));
            }
        }
        if fields
            .iter()
            .any(|(f, c)| !c.kept && guarded.contains(&f.as_str()))
        {
            match self.guarded_group(tx, caller, client, item, fields).await? {
                Group::Write(group) => writes.extend(group),
                Group::Held(mut conflict) => {
                    conflict.mine = by_caller.clone().side(conflict.mine.value);
                    updated.push(conflict);
                }
                Group::Agreed(id) => agreed.push(id),
                Group::Clash { theirs, mine } => {
                    conflicts.push(conflict_with(item.kind.guarded_group(), theirs, mine));
                }
            }
        }
        if let Some((value, _)) = writes.get(POSITION)
            && value
                .as_str()
                .and_then(|k| k.parse::<OrderKey>().ok())
                .is_none()
        {
            return Ok(Applied {
                outcome: rejected("invalid", format!("position {value} is not an order key")),
                item: Some(item.clone()),
            });
        }
        // The merged item must be one the model accepts. A merge it would refuse because of a
        // change the person had not seen is a conflict on those fields; a change refused on
        // its own is rejected.
        let merged = |writes: &BTreeMap<String, (Value, bool)>| {
            let mut fields = item.fields.clone();
            for (f, (v, _)) in writes {
                fields.insert(f.clone(), v.clone());
            }
            fields
        };
        if let Err(reason) = validate(tx, item.kind, item.id, &merged(&writes)).await? {
            let concurrent: Vec<String> = writes
                .iter()
                .filter(|(_, (_, c))| *c)
                .map(|(f, _)| f.clone())
                .collect();
            if concurrent.is_empty() {
                return Ok(Applied {
                    outcome: rejected("invalid", reason),
                    item: Some(item.clone()),
                });
            }
            for field in concurrent {
                let (value, _) = writes.remove(&field).unwrap_or((Value::Null, true));
                let version = item.versions.get(&field).copied().unwrap_or(0);
                let theirs = tx.change_author(version).await?.unwrap_or_default();
                let current = item.fields.get(&field).cloned().unwrap_or(Value::Null);
                conflicts.push(conflict_with(&field, theirs.side(current), value));
            }
            if let Err(reason) = validate(tx, item.kind, item.id, &merged(&writes)).await? {
                return Ok(Applied {
                    outcome: rejected("invalid", reason),
                    item: Some(item.clone()),
                });
            }
        }
        let head = tx.head();
        for conflict in &conflicts {
            tx.open_conflict(conflict, head).await?;
        }
        for conflict in &updated {
            tx.update_conflict(conflict).await?;
        }
        for id in agreed {
            tx.close_conflict(id, head).await?;
        }
        conflicts.extend(updated);
        let changed: Map<String, Value> = writes
            .into_iter()
            .filter(|(f, (v, _))| item.fields.get(f) != Some(v))
            .map(|(f, (v, _))| (f, v))
            .collect();
        if changed.is_empty() {
            return Ok(Applied {
                outcome: Outcome::Applied {
                    version: 0,
                    conflicts,
                },
                item: Some(item.clone()),
            });
        }
        let version = tx.append(change(changed.clone())).await?;
        let mut next = item.clone();
        for (field, value) in changed {
            next.fields.insert(field.clone(), value);
            next.versions.insert(field, version);
        }
        tx.put_item(&next).await?;
        Ok(Applied {
            outcome: Outcome::Applied { version, conflicts },
            item: Some(next),
        })
    }

    /// What a change to fields that belong together (a decision's status, outcome, rationale,
    /// decided by and on) does: written whole when nobody else changed any of them since the
    /// person saw them, else one conflict holding the server's group and the person's full
    /// version of it (what they changed, and what they left as they saw it), settled in one
    /// step. A replica already holding that conflict makes its later change its newer side,
    /// and a change back to what stands ends it.
    async fn guarded_group(
        &self,
        tx: &mut dyn ProgramTx,
        caller: &Caller,
        client: Id,
        item: &StoredItem,
        fields: &BTreeMap<String, FieldChange>,
    ) -> EngineResult<Group> {
        let guarded = item.kind.guarded_fields();
        let group = item.kind.guarded_group();
        let current = |field: &str| item.fields.get(field).cloned().unwrap_or(Value::Null);
        let theirs: Map<String, Value> = guarded
            .iter()
            .map(|f| ((*f).to_owned(), current(f)))
            .collect();
        // The person's version: what they sent, changed or kept; a field an older client left
        // out is the server's.
        let mine: Map<String, Value> = guarded
            .iter()
            .map(|f| {
                let value = fields
                    .get(*f)
                    .map_or_else(|| current(f), |c| c.value.clone());
                ((*f).to_owned(), value)
            })
            .collect();
        let held = tx
            .open_conflicts_of(item.id)
            .await?
            .into_iter()
            .find(|c| c.field == group && c.client_id == client);
        if let Some(mut conflict) = held {
            if mine == theirs {
                return Ok(Group::Agreed(conflict.id));
            }
            conflict.mine.value = Value::Object(mine);
            return Ok(Group::Held(conflict));
        }
        // The latest change to the group by someone else, made after what the person saw.
        let mut clash: Option<u64> = None;
        for (field, edit) in fields.iter().filter(|(f, _)| guarded.contains(&f.as_str())) {
            let server_version = item.versions.get(field).copied().unwrap_or(0);
            if edit.base_version < server_version
                && edit.value != current(field)
                && clash.is_none_or(|v| v < server_version)
                && !self.own(tx, server_version, client, caller).await?
            {
                clash = Some(server_version);
            }
        }
        if let Some(version) = clash {
            let by = tx.change_author(version).await?.unwrap_or_default();
            return Ok(Group::Clash {
                theirs: by.side(Value::Object(theirs)),
                mine: Value::Object(mine),
            });
        }
        Ok(Group::Write(
            fields
                .iter()
                .filter(|(f, c)| !c.kept && guarded.contains(&f.as_str()))
                .map(|(f, c)| (f.clone(), (c.value.clone(), false)))
                .collect(),
        ))
    }

    async fn resolve(
        &self,
        tx: &mut dyn ProgramTx,
        id: Id,
        choice: &Choice,
        current: Option<StoredItem>,
        change: impl Fn(Map<String, Value>) -> NewChange,
    ) -> EngineResult<Applied> {
        let Some((conflict, open)) = tx.conflict(id).await? else {
            return Ok(Applied {
                outcome: rejected("gone", format!("there is no conflict {id}")),
                item: current,
            });
        };
        if !open {
            return Ok(Applied {
                outcome: Outcome::Applied {
                    version: 0,
                    conflicts: Vec::new(),
                },
                item: current,
            });
        }
        let Some(item) = current else {
            return Ok(Applied {
                outcome: rejected("gone", "the item of this conflict is not on the server"),
                item: None,
            });
        };
        let value = match choice {
            Choice::Theirs => None,
            Choice::Mine => Some(conflict.mine.value.clone()),
            Choice::Merged { value } => Some(value.clone()),
        };
        let writes: Map<String, Value> = match value {
            None => Map::new(),
            Some(value) if conflict.field == DELETED => {
                // mine: {"deleted": bool, "fields": {...}}: the delete, or the edit with its
                // fields and the item back.
                let deleted = value.get(DELETED).and_then(Value::as_bool).unwrap_or(false);
                let mut writes = Map::new();
                writes.insert(DELETED.into(), json!(deleted));
                if let Some(Value::Object(fields)) = value.get("fields") {
                    writes.extend(fields.clone());
                }
                writes
            }
            Some(Value::Object(group)) if conflict.field == item.kind.guarded_group() => {
                // The fields that belong together, settled whole: every one named is written.
                let guarded = item.kind.guarded_fields();
                if let Some(other) = group.keys().find(|f| !guarded.contains(&f.as_str())) {
                    return Ok(Applied {
                        outcome: rejected(
                            "invalid",
                            format!(
                                "'{other}' is not one of the fields this conflict settles ({})",
                                guarded.join(", ")
                            ),
                        ),
                        item: Some(item),
                    });
                }
                group
            }
            Some(_) if conflict.field == item.kind.guarded_group() => {
                return Ok(Applied {
                    outcome: rejected(
                        "invalid",
                        format!(
                            "this conflict is settled with the fields {} together, as one object",
                            item.kind.guarded_fields().join(", ")
                        ),
                    ),
                    item: Some(item),
                });
            }
            Some(value) => Map::from_iter([(conflict.field.clone(), value)]),
        };
        let mut fields = item.fields.clone();
        for (f, v) in &writes {
            fields.insert(f.clone(), v.clone());
        }
        let deleting = writes.get(DELETED) == Some(&json!(true)) && !item.deleted();
        if deleting {
            let referrers = referrers(tx, &item).await?;
            if !referrers.is_empty() {
                return Ok(Applied {
                    outcome: rejected(
                        "still_referenced",
                        format!("it is still referred to by {}", referrers.join(", ")),
                    ),
                    item: Some(item),
                });
            }
        } else if fields.get(DELETED) != Some(&json!(true))
            && let Err(reason) = validate(tx, item.kind, item.id, &fields).await?
        {
            return Ok(Applied {
                outcome: rejected("invalid", reason),
                item: Some(item),
            });
        }
        let changed: Map<String, Value> = writes
            .into_iter()
            .filter(|(f, v)| item.fields.get(f) != Some(v))
            .collect();
        let mut next = item;
        let mut version = 0;
        if !changed.is_empty() {
            version = tx.append(change(changed.clone())).await?;
            for (f, v) in changed {
                next.fields.insert(f.clone(), v);
                next.versions.insert(f, version);
            }
            tx.put_item(&next).await?;
        }
        tx.close_conflict(id, version.max(tx.head())).await?;
        Ok(Applied {
            outcome: Outcome::Applied {
                version,
                conflicts: Vec::new(),
            },
            item: Some(next),
        })
    }
}

/// What a change to a guarded group comes to ([`Engine::guarded_group`]).
enum Group {
    /// The person's changes to the group, written.
    Write(BTreeMap<String, (Value, bool)>),
    /// This replica's open conflict on the group, its side now the person's latest version.
    Held(Conflict),
    /// This replica's open conflict on the group, ended: the person came back to what stands.
    Agreed(Id),
    /// Someone else changed the group since the person saw it: one conflict over all of it.
    Clash { theirs: Side, mine: Value },
}

/// When a change was made, as the person's computer says (protocol 3), in the server's format:
/// none when not said; never later than `at`, when the server applies it (a clock ahead would
/// otherwise put a change before one made after it). Refused when it is not a moment.
fn made_at(made_at: Option<&str>, at: &str) -> Result<Option<String>, String> {
    let Some(text) = made_at else {
        return Ok(None);
    };
    let made = chrono::DateTime::parse_from_rfc3339(text).map_err(|e| {
        format!("the change says it was made at '{text}', which is not a moment ({e}): send the time as RFC 3339, for example 2026-12-07T09:30:00Z")
    })?;
    let made = made.with_timezone(&chrono::Utc);
    let applied = chrono::DateTime::parse_from_rfc3339(at)
        .map(|a| a.with_timezone(&chrono::Utc))
        .unwrap_or(made);
    Ok(Some(
        made.min(applied)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    ))
}

fn op_name(operation: &Operation) -> &'static str {
    match operation {
        Operation::Create { .. } => "create",
        Operation::Update { .. } => "update",
        Operation::Delete { .. } => "delete",
        Operation::Resolve { .. } => "resolve",
    }
}

/// Whether the database can store `value`: PostgreSQL's JSON holds no NUL character (U+0000)
/// in a string or a key. Said with where it is, so the person can find it.
pub fn storable(value: &Value) -> Result<(), String> {
    fn walk(value: &Value, path: &mut Vec<String>) -> Result<(), String> {
        let at = |path: &[String]| {
            if path.is_empty() {
                "a value".to_owned()
            } else {
                format!("'{}'", path.join("."))
            }
        };
        match value {
            Value::String(text) if text.contains('\0') => Err(format!(
                "{} holds a NUL character (U+0000), which cannot be stored: remove it and send again",
                at(path)
            )),
            Value::Array(items) => {
                for (n, item) in items.iter().enumerate() {
                    path.push(n.to_string());
                    walk(item, path)?;
                    path.pop();
                }
                Ok(())
            }
            Value::Object(map) => {
                for (key, item) in map {
                    if key.contains('\0') {
                        return Err(format!(
                            "a field name in {} holds a NUL character (U+0000), which cannot be stored",
                            at(path)
                        ));
                    }
                    path.push(key.clone());
                    walk(item, path)?;
                    path.pop();
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    walk(value, &mut Vec::new())
}

fn storable_operation(operation: &Operation) -> Result<(), String> {
    match operation {
        Operation::Create { fields } => storable(&Value::Object(fields.clone())),
        Operation::Update { fields } => {
            for (name, change) in fields {
                storable(&json!({ name: change.value }))?;
                if let Some(delta) = &change.set {
                    storable(&json!({ name: delta.added }))?;
                    storable(&json!({ name: delta.removed }))?;
                }
            }
            Ok(())
        }
        Operation::Delete { .. } => Ok(()),
        Operation::Resolve { choice, .. } => match choice {
            Choice::Merged { value } => storable(value),
            Choice::Mine | Choice::Theirs => Ok(()),
        },
    }
}

/// The item's body as the model reads it: its fields without the pseudo-fields, with its id.
fn body_of(fields: &Map<String, Value>, id: Id) -> Map<String, Value> {
    let mut body: Map<String, Value> = fields
        .iter()
        .filter(|(f, _)| f.as_str() != POSITION && f.as_str() != DELETED)
        .map(|(f, v)| (f.clone(), v.clone()))
        .collect();
    body.insert("id".into(), json!(id));
    body
}

fn position_text(fields: &Map<String, Value>) -> Result<(), String> {
    match fields.get(POSITION) {
        Some(Value::String(key)) if key.parse::<OrderKey>().is_ok() => Ok(()),
        Some(other) => Err(format!("position {other} is not an order key")),
        None => Err("a new item needs its position".into()),
    }
}

fn position_of(item: &Item) -> EngineResult<()> {
    match item.fields.get(POSITION) {
        None => Ok(()),
        Some(_) => position_text(&item.fields)
            .map_err(|e| EngineError::Invalid(format!("{} {}: {e}", item.kind.noun(), item.id))),
    }
}

/// Checks an item as the model does: its own fields, references to live items of the right
/// kind, unique status and owner names. `Ok(Err(reason))` when the model refuses it.
async fn validate(
    tx: &mut dyn ProgramTx,
    kind: Kind,
    id: Id,
    fields: &Map<String, Value>,
) -> EngineResult<Result<(), String>> {
    let body = body_of(fields, id);
    let checked = for_kind!(kind, check_alone(&body));
    let references = match checked {
        Err(reason) => return Ok(Err(reason)),
        Ok(references) => references,
    };
    let mut problems = Problems::with_prefix(kind.noun());
    // Looked up here, judged by the model as the laptop's store judges it.
    let mut found = roadbook_model::Lookups::new();
    for reference in &references {
        if found.contains_key(&reference.id) {
            continue;
        }
        if let Some(item) = tx.item(reference.id).await?
            && !item.deleted()
        {
            let look = if item.kind == Kind::Status {
                roadbook_model::Found::status_fields(
                    item.fields.get("name").and_then(Value::as_str),
                    item.fields.get("open").and_then(Value::as_bool),
                )
            } else {
                roadbook_model::Found::item(item.kind)
            };
            found.insert(reference.id, look);
        }
    }
    roadbook_model::check_references(&references, &found, &mut problems);
    for_kind!(kind, check_with(&body, &found, &mut problems));
    if matches!(kind, Kind::Status | Kind::Owner) {
        let name = fields
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let taken = tx.names(kind, id).await?;
        roadbook_model::check_unique_name(
            kind,
            name,
            taken.iter().map(String::as_str),
            &mut problems,
        );
    }
    Ok(problems.into_result().map_err(|e| e.to_string()))
}

/// The item's own checks, and the references it makes (checked against the program after).
fn check_alone<E: Entity>(body: &Map<String, Value>) -> Result<Vec<Reference>, String> {
    let item: E = serde_path_to_error::deserialize(Value::Object(body.clone()))
        .map_err(|err| format!("{}.{}: {}", E::KIND.noun(), err.path(), err.inner()))?;
    let mut problems = Problems::with_prefix(E::KIND.noun());
    item.check(&mut problems);
    problems.into_result().map_err(|e| e.to_string())?;
    Ok(item.references())
}

/// The item's rules that need what its references found (a decision made needs its outcome).
fn check_with<E: Entity>(
    body: &Map<String, Value>,
    found: &roadbook_model::Lookups,
    problems: &mut Problems,
) {
    // Read already by check_alone: an item that does not read has been refused there.
    if let Ok(item) = serde_json::from_value::<E>(Value::Object(body.clone())) {
        item.check_with(found, problems);
    }
}

/// Live items that refer to `item`, as "kind 'label'".
async fn referrers(tx: &mut dyn ProgramTx, item: &StoredItem) -> EngineResult<Vec<String>> {
    let mut out = Vec::new();
    for other in tx.mentions(item.id).await? {
        if other.id == item.id || other.deleted() {
            continue;
        }
        let body = body_of(&other.fields, other.id);
        if let Ok(references) = for_kind!(other.kind, check_references_of(&body))
            && references.contains(&item.id)
        {
            let label = roadbook_model::label_in(|f| other.fields.get(f)).unwrap_or_default();
            out.push(format!("{} '{label}'", other.kind.noun()));
        }
    }
    Ok(out)
}

fn check_references_of<E: Entity>(body: &Map<String, Value>) -> Result<Vec<Id>, String> {
    let item: E = serde_json::from_value(Value::Object(body.clone())).map_err(|e| e.to_string())?;
    Ok(item.references().into_iter().map(|r| r.id).collect())
}
