//! Keeping one program in step while a person works: a sync after each local change (gathered
//! for a moment first), live through the server's long poll, on a timer, and again and again
//! after a failure with a backoff that always re-arms. Each step reports a [`SyncStatus`] the
//! window shows. The desktop app runs one per connected program; `roadbook sync --watch` runs
//! the same loop.

use std::sync::Arc;
use std::time::Duration;

use roadbook_model::Id;
use roadbook_store::{Store, StoreError};
use serde::Serialize;
use tokio::sync::Notify;

use crate::{Client, Replica, SyncError, Transport};

/// Where a program's sync stands, in the words the window uses.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// Not shared with a server: it lives in this database only.
    Local,
    /// Shared, but there is no sign-in to sync with.
    SignInNeeded,
    /// Shared with a server the person has not chosen to send their sign-in to (the database
    /// names it): nothing is sent until they confirm it.
    ServerNotTrusted,
    Syncing,
    Synced,
    /// The server cannot be reached; what waits is kept and sent once it can.
    Offline,
    /// The server speaks a newer protocol: this Roadbook needs updating.
    UpgradeRequired,
    /// The server refuses this person (no role on the program, or one that may not push).
    NotPermitted,
    /// Anything else; the message says what.
    Failed,
}

/// One program's sync as the window shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub program: Id,
    pub server: Option<String>,
    pub phase: SyncPhase,
    /// When the last sync that reached the server finished (RFC 3339).
    pub synced_at: Option<String>,
    /// Local changes waiting to be pushed.
    pub pending: usize,
    /// Conflicts open on the program, for a person to settle.
    pub conflicts: usize,
    /// Changes the server refused, waiting for the person.
    pub rejected: usize,
    /// What went wrong, said so a person knows what to do; none when all is well.
    pub message: Option<String>,
    /// Seconds until the next try after a failure.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub retry_in: Option<u64>,
    /// The sync this status ends changed the local copy (pulled the team's changes, or settled
    /// pushed ones): what shows the program should be read again.
    pub changed: bool,
}

impl SyncStatus {
    /// The counts as the database holds them now, with `phase` and no message.
    pub fn read(store: &Store, program: Id, phase: SyncPhase) -> Result<SyncStatus, StoreError> {
        let state = store.sync_state(program)?;
        let phase = if state.server.is_none() {
            SyncPhase::Local
        } else {
            phase
        };
        Ok(SyncStatus {
            program,
            server: state.server,
            phase,
            synced_at: state.synced_at,
            pending: store.outbox(Some(program))?.len(),
            conflicts: store.conflicts(program)?.len(),
            rejected: store.rejected(program)?.len(),
            message: None,
            retry_in: None,
            changed: false,
        })
    }
}

/// How often and how patiently the loop syncs.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// How long to gather local changes after one before pushing them together.
    pub debounce: Duration,
    /// A sync at least this often, even when nothing seems to have happened.
    pub every: Duration,
    /// The first wait after a failure; it doubles with each failure in a row up to `most`.
    pub first_retry: Duration,
    pub most: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            debounce: Duration::from_millis(300),
            every: Duration::from_secs(60),
            first_retry: Duration::from_secs(1),
            most: Duration::from_secs(30),
        }
    }
}

impl Timing {
    /// The wait after `failures` failures in a row.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doubled = self
            .first_retry
            .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(16)));
        doubled.min(self.most)
    }
}

/// A running background sync. Dropping it stops the loop.
#[derive(Debug)]
pub struct Background {
    wake: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Background {
    /// Starts the loop for `program` on the current tokio runtime; `report` hears every status.
    pub fn spawn<T, R, F>(
        client: Client<T>,
        replica: Arc<R>,
        program: Id,
        timing: Timing,
        report: F,
    ) -> Background
    where
        T: Transport + 'static,
        R: Replica + 'static,
        F: Fn(SyncStatus) + Send + Sync + 'static,
    {
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(run(client, replica, program, timing, wake.clone(), report));
        Background { wake, task }
    }

    /// A local change was made: sync soon. A wake during a sync is kept, not lost: the loop
    /// syncs again right after.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn phase_of(err: &SyncError) -> SyncPhase {
    match err {
        SyncError::UpgradeRequired(_) => SyncPhase::UpgradeRequired,
        SyncError::NotPermitted(_) => SyncPhase::NotPermitted,
        SyncError::SignInNeeded(_) => SyncPhase::SignInNeeded,
        err if err.retryable() => SyncPhase::Offline,
        _ => SyncPhase::Failed,
    }
}

async fn run<T, R, F>(
    client: Client<T>,
    replica: Arc<R>,
    program: Id,
    timing: Timing,
    wake: Arc<Notify>,
    report: F,
) where
    T: Transport,
    R: Replica,
    F: Fn(SyncStatus),
{
    let status = |phase: SyncPhase| {
        replica
            .with(|s| SyncStatus::read(s, program, phase))
            .unwrap_or_else(|err| SyncStatus {
                program,
                server: None,
                phase: SyncPhase::Failed,
                synced_at: None,
                pending: 0,
                conflicts: 0,
                rejected: 0,
                message: Some(err.to_string()),
                retry_in: None,
                changed: false,
            })
    };
    let mut failures: u32 = 0;
    loop {
        report(status(SyncPhase::Syncing));
        match client.sync(&*replica, program).await {
            Ok(done) => {
                failures = 0;
                let mut now = status(SyncPhase::Synced);
                now.changed =
                    done.pulled + done.rejected + done.conflicts_opened + done.documents_received
                        > 0;
                // Said once, with the sync that did it.
                if let Some(again) = &done.rebootstrapped {
                    now.changed = true;
                    now.message = Some(format!(
                        "The server was restored from a backup: the program was taken afresh and {} of your changes it had lost were sent again.",
                        again.sent_again
                    ));
                } else if done.set_aside > 0 {
                    now.message = Some(format!(
                        "{} changes from the team could not be applied here; they wait on the Team sync screen.",
                        done.set_aside
                    ));
                }
                report(now);
                tokio::select! {
                    _ = wake.notified() => tokio::time::sleep(timing.debounce).await,
                    waited = client.wait_for_changes(&*replica, program) => {
                        if let Err(err) = waited {
                            // The long poll failed (the server went away, most likely): the
                            // next sync finds out and says so; wait first so a failing poll
                            // never spins.
                            tracing::debug!(%err, "the live wait for changes stopped");
                            tokio::select! {
                                _ = wake.notified() => {}
                                _ = tokio::time::sleep(timing.first_retry) => {}
                            }
                        }
                    }
                    _ = tokio::time::sleep(timing.every) => {}
                }
            }
            Err(err) => {
                failures = failures.saturating_add(1);
                let phase = phase_of(&err);
                // A refusal will not change by itself soon: try again on the timer, or when
                // the person asks. A network failure backs off from a second up.
                let wait = match phase {
                    SyncPhase::UpgradeRequired
                    | SyncPhase::NotPermitted
                    | SyncPhase::SignInNeeded => timing.every,
                    _ => timing.backoff(failures),
                };
                let mut now = status(phase);
                now.message = Some(err.to_string());
                now.retry_in = Some(wait.as_secs().max(1));
                // A failed pull may still have settled pushed changes.
                now.changed = true;
                report(now);
                tokio::select! {
                    _ = wake.notified() => tokio::time::sleep(timing.debounce).await,
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_ceiling() {
        let timing = Timing {
            first_retry: Duration::from_secs(1),
            most: Duration::from_secs(30),
            ..Timing::default()
        };
        let waits: Vec<u64> = (1..=8).map(|n| timing.backoff(n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(timing.backoff(u32::MAX).as_secs(), 30);
    }
}
