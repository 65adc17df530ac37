//! How much SQLite work a store does, counted in virtual-machine steps (`SQLITE_STMTSTATUS_
//! VM_STEP`): for tests that keep an operation's cost from growing with the program, such as an
//! empty sync that must not read the whole program. Only with the `work-count` feature, since
//! the hook is a call per statement; the counters are the process's, so one counted store at a
//! time.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::StatementStatus;
use rusqlite::trace::{TraceEvent, TraceEventCodes};

use crate::Store;

static STEPS: AtomicU64 = AtomicU64::new(0);
static STATEMENTS: AtomicU64 = AtomicU64::new(0);
/// The statements run since the last reset, with their steps (to say which one grew).
static RUN: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());

/// The work counted since [`reset`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Work {
    /// Virtual-machine steps of every statement run: rows read and written, and more.
    pub steps: u64,
    /// Statements run.
    pub statements: u64,
    /// The heaviest statements, most steps first, with their SQL.
    pub heaviest: Vec<(u64, String)>,
}

fn on_profile(event: TraceEvent<'_>) {
    if let TraceEvent::Profile(statement, _) = event {
        // A statement kept in the cache counts from when it was prepared: the steps of this
        // run are at most this, and an O(1) statement stays small however often it runs.
        let steps = u64::try_from(statement.get_status(StatementStatus::VmStep)).unwrap_or(0);
        STEPS.fetch_add(steps, Ordering::Relaxed);
        STATEMENTS.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut run) = RUN.lock() {
            run.push((steps, statement.sql().into_owned()));
        }
    }
}

impl Store {
    /// Counts the work of every statement this store runs from now on.
    pub fn count_work(&self) {
        self.conn
            .trace_v2(TraceEventCodes::SQLITE_TRACE_PROFILE, Some(on_profile));
    }
}

/// Starts counting again from zero.
pub fn reset() {
    STEPS.store(0, Ordering::Relaxed);
    STATEMENTS.store(0, Ordering::Relaxed);
    if let Ok(mut run) = RUN.lock() {
        run.clear();
    }
}

/// The work counted since [`reset`].
pub fn counted() -> Work {
    let mut heaviest = RUN.lock().map(|r| r.clone()).unwrap_or_default();
    heaviest.sort_by_key(|b| std::cmp::Reverse(b.0));
    heaviest.truncate(5);
    Work {
        steps: STEPS.load(Ordering::Relaxed),
        statements: STATEMENTS.load(Ordering::Relaxed),
        heaviest,
    }
}
