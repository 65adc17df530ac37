//! Telling long polls that a program changed. Every server process listens on PostgreSQL's
//! `roadbook_changes` channel (see [`crate::storage::postgres`]), which each commit notifies, so
//! a change pushed through one process wakes the clients waiting on any other.

use std::collections::HashMap;
use std::sync::Mutex;

use roadbook_model::Id;
use tokio::sync::watch;

/// The latest known log head of each program that someone waits on.
#[derive(Debug, Default)]
pub struct Live {
    heads: Mutex<HashMap<Id, watch::Sender<u64>>>,
}

impl Live {
    pub fn new() -> Live {
        Live::default()
    }

    /// A receiver that changes when the program's head moves.
    pub fn subscribe(&self, program: Id) -> watch::Receiver<u64> {
        let mut heads = self.heads.lock().unwrap_or_else(|e| e.into_inner());
        heads
            .entry(program)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// The program's log reached `head` (never moves a head back).
    pub fn publish(&self, program: Id, head: u64) {
        let mut heads = self.heads.lock().unwrap_or_else(|e| e.into_inner());
        let sender = heads.entry(program).or_insert_with(|| watch::channel(0).0);
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
            heads.remove(&program);
        }
    }

    /// How many clients wait on changes now (a gauge for operations).
    pub fn listeners(&self) -> usize {
        let heads = self.heads.lock().unwrap_or_else(|e| e.into_inner());
        heads.values().map(|s| s.receiver_count()).sum()
    }
}
