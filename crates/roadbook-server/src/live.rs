//! Telling long polls that a program changed. Every server process listens on PostgreSQL's
//! `roadbook_changes` channel (see [`crate::storage::postgres`]), which each commit notifies, so
//! a change pushed through one process wakes the clients waiting on any other. The program's
//! shared archive of documents is watched the same way, apart from its change log.

use std::collections::HashMap;
use std::sync::Mutex;

use roadbook_model::Id;
use tokio::sync::watch;

type Watches = Mutex<HashMap<Id, watch::Sender<u64>>>;

/// The latest known log head (and archive position) of each program that someone waits on.
#[derive(Debug)]
pub struct Live {
    heads: Watches,
    documents: Watches,
    /// Set when this process stops: every long poll answers at once, so a rolling restart
    /// waits for no poll's full wait and no client sees its connection cut.
    stopping: watch::Sender<bool>,
    /// The server's history as last read or heard (none: read it again).
    history: std::sync::RwLock<Option<Id>>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            heads: Watches::default(),
            documents: Watches::default(),
            stopping: watch::channel(false).0,
            history: std::sync::RwLock::new(None),
        }
    }
}

impl Live {
    pub fn new() -> Live {
        Live::default()
    }

    /// The history this process knows the database to be in (none: not read yet).
    pub fn history(&self) -> Option<Id> {
        *self.history.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The database began a new history (heard from the process that began it), or is to be
    /// asked again (`None`).
    pub fn set_history(&self, history: Option<Id>) {
        *self.history.write().unwrap_or_else(|e| e.into_inner()) = history;
    }

    /// A receiver that changes when this process starts stopping.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Answers every long poll now and any that comes later at once.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// A receiver that changes when the program's head moves.
    pub fn subscribe(&self, program: Id) -> watch::Receiver<u64> {
        subscribe(&self.heads, program)
    }

    /// A receiver that changes when a document joins the program's shared archive.
    pub fn subscribe_documents(&self, program: Id) -> watch::Receiver<u64> {
        subscribe(&self.documents, program)
    }

    /// The program's log reached `head` (never moves a head back).
    pub fn publish(&self, program: Id, head: u64) {
        publish(&self.heads, program, head);
    }

    /// The program's shared archive reached `position`.
    pub fn publish_documents(&self, program: Id, position: u64) {
        publish(&self.documents, program, position);
    }

    /// How many programs have a watch kept now (someone waits on them).
    pub fn programs(&self) -> usize {
        let count = |w: &Watches| w.lock().unwrap_or_else(|e| e.into_inner()).len();
        count(&self.heads) + count(&self.documents)
    }

    /// Forgets the program's watches once nobody waits on them (a long poll that ended, or
    /// one for a program there is no such of).
    pub fn release(&self, program: Id) {
        for watches in [&self.heads, &self.documents] {
            let mut watches = watches.lock().unwrap_or_else(|e| e.into_inner());
            if watches
                .get(&program)
                .is_some_and(|sender| sender.receiver_count() == 0)
            {
                watches.remove(&program);
            }
        }
    }

    /// How many clients wait on changes now (a gauge for operations).
    pub fn listeners(&self) -> usize {
        let heads = self.heads.lock().unwrap_or_else(|e| e.into_inner());
        heads.values().map(|s| s.receiver_count()).sum()
    }
}

fn subscribe(watches: &Watches, program: Id) -> watch::Receiver<u64> {
    let mut watches = watches.lock().unwrap_or_else(|e| e.into_inner());
    watches
        .entry(program)
        .or_insert_with(|| watch::channel(0).0)
        .subscribe()
}

fn publish(watches: &Watches, program: Id, head: u64) {
    let mut watches = watches.lock().unwrap_or_else(|e| e.into_inner());
    let sender = watches
        .entry(program)
        .or_insert_with(|| watch::channel(0).0);
    sender.send_if_modified(|known| {
        if head > *known {
            *known = head;
            true
        } else {
            false
        }
    });
    // Nobody listens any more: forget the program.
    if sender.receiver_count() == 0 {
        watches.remove(&program);
    }
}
