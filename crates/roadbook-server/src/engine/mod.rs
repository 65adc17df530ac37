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
    AnyEntity, Entity, Handbook, Id, Kind, OrderKey, Problems, Program, for_kind, merge_sets,
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

type PushReply = tokio::sync::oneshot::Sender<EngineResult<PushResponse>>;

/// A push waiting its turn, and where its answer goes.
struct Job {
    caller: Caller,
    request: PushRequest,
    /// The items of other programs the push names, where each is (its program and kind) when
    /// the person may see it: see [`Engine::other_items_seen`].
    seen: Seen,
    answer: PushReply,
}

/// Items of other programs named by a push: the program and kind of each the person may see;
/// none for one they may not (or that is not on the server).
type Seen = BTreeMap<Id, Option<(Id, Kind)>>;

/// A push as the batch applies it: who, what, and what they may see elsewhere.
type Push<'a> = (&'a Caller, &'a PushRequest, &'a Seen);

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
        let who = crate::directory::SignedInPerson {
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
}

mod checks;
mod links;
mod merge;
mod publish;
mod push;

pub use checks::storable;
use checks::*;
use merge::*;
