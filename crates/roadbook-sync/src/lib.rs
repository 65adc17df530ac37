//! The sync client: publishes a local program to `roadbook-server`, joins one from it, and keeps
//! a program in step: push the outbox in order, settle each answer (applied, held in a
//! conflict, refused), pull the log after the cursor, apply it.
//!
//! The store is reached through [`Replica`], a lock held only while the store works and never
//! across a network wait, so the desktop's window keeps working while a sync runs.

pub mod account;
pub mod background;
mod pull;
mod push;
pub mod signin;
mod transport;

pub use pull::stored_conflict;
use pull::*;
pub use push::mutation;

use std::collections::BTreeMap;
use std::time::Duration;

use roadbook_model::Id;
use roadbook_protocol::{
    ArchivedDocument, Choice, Conflict, FieldChange, Item, ItemState, JoinRequest,
    MAX_CHANGES_PER_PULL, MAX_MUTATIONS_PER_PUSH, Mutation, MutationResult, Operation, Outcome,
    PublishRequest, PushRequest, codes,
};
use roadbook_store::{
    IssuedDocument, OutboxEntry, Rebootstrapped, RemoteChange, ServerItem, Settlement, Store,
    StoreError, StoredConflict,
};

pub use account::{Account, Keychain, Profile, SignedIn, Vault};
pub use background::{Background, SyncPhase, SyncStatus, Timing};
pub use signin::{Identity, PartialSettings, Settings, SignInError};
pub use transport::{
    CONNECT_SECONDS, Credentials, HttpTransport, REQUEST_SECONDS, Token, Transport, TransportError,
    request_seconds,
};

/// Access to the local database, for as long as a closure runs.
pub trait Replica: Send + Sync {
    fn with<T>(&self, work: impl FnOnce(&mut Store) -> T) -> T;
}

impl Replica for std::sync::Mutex<Store> {
    fn with<T>(&self, work: impl FnOnce(&mut Store) -> T) -> T {
        let mut store = self.lock().unwrap_or_else(|e| e.into_inner());
        work(&mut store)
    }
}

/// A replica shared with a background sync.
impl<R: Replica> Replica for std::sync::Arc<R> {
    fn with<T>(&self, work: impl FnOnce(&mut Store) -> T) -> T {
        (**self).with(work)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(
        "this program is not connected to a server: publish it with `roadbook publish --server URL`, or join one with `roadbook join`"
    )]
    NotConnected,
    #[error("this program syncs with {0} already")]
    AlreadyConnected(String),
    #[error("the program is in this database already: it syncs from here (roadbook sync)")]
    AlreadyHere,
    #[error("{0}")]
    UpgradeRequired(String),
    #[error("{0}")]
    NotPermitted(String),
    /// The server took no token: the sign-in ended (or there is none).
    #[error("{0}")]
    SignInNeeded(String),
    #[error("the server said {0}; nothing was lost: what waits to sync is still here")]
    Protocol(String),
}

impl SyncError {
    /// Whether trying again later can succeed (the network, a server restarting).
    pub fn retryable(&self) -> bool {
        matches!(self, SyncError::Transport(e) if e.retryable())
    }
}

pub(crate) fn refused(err: TransportError) -> SyncError {
    match err.code() {
        Some(codes::UPGRADE_REQUIRED) => SyncError::UpgradeRequired(err.to_string()),
        Some(codes::FORBIDDEN) => SyncError::NotPermitted(err.to_string()),
        Some(codes::UNAUTHORIZED) => SyncError::SignInNeeded(err.to_string()),
        _ => SyncError::Transport(err),
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Local changes the server applied.
    pub pushed: usize,
    /// Local changes the server refused (now in the refused list).
    pub rejected: usize,
    /// Conflicts the pushes opened.
    pub conflicts_opened: usize,
    /// Changes pulled from the team.
    pub pulled: usize,
    /// Local changes still waiting (none unless the push stopped).
    pub pending: usize,
    /// Conflicts open on the program now.
    pub conflicts: usize,
    /// Refused changes waiting for the person.
    pub rejected_waiting: usize,
    /// Where this replica has pulled to.
    pub cursor: u64,
    /// Documents issued here that reached the team's archive.
    pub documents_shared: usize,
    /// Teammates' documents added to this database's archive.
    pub documents_received: usize,
    /// Changes from the server this replica could not apply, set aside with the reason.
    pub set_aside: usize,
    /// Set when the server's history had changed (its database was restored from a backup):
    /// the program was taken afresh, and this many of this replica's changes the server had
    /// lost were sent again.
    pub rebootstrapped: Option<Rebootstrapped>,
    /// Changes held back because the server speaks an older protocol: an answer to a
    /// conflict over a decision's group (which an older server would close without settling
    /// it), and what waits behind it. They go once the server is upgraded.
    pub waiting_for_upgrade: usize,
}

/// How often and for how long to try again when the server cannot be reached.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub first: Duration,
    pub most: Duration,
    /// Stop trying after this long (none: keep trying).
    pub give_up_after: Option<Duration>,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            first: Duration::from_millis(200),
            most: Duration::from_secs(5),
            give_up_after: Some(Duration::from_secs(30)),
        }
    }
}

impl Retry {
    /// Runs `call` until it succeeds or fails for good; waits double after each retryable
    /// failure, up to `most`. Each call starts again from `first`: the backoff always re-arms.
    pub async fn run<T, F, Fut>(&self, mut call: F) -> Result<T, TransportError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, TransportError>>,
    {
        let started = tokio::time::Instant::now();
        let mut wait = self.first;
        loop {
            match call().await {
                // Nothing answers: trying again at once would only make the person wait. The
                // caller says "offline" (a one-shot command) or waits and tries again itself (a
                // watching sync, the app's background loop).
                Err(err @ (TransportError::Offline(_) | TransportError::NoAnswer(_))) => {
                    return Err(err);
                }
                Err(err) if err.retryable() => {
                    if self
                        .give_up_after
                        .is_some_and(|limit| started.elapsed() + wait > limit)
                    {
                        return Err(err);
                    }
                    tracing::debug!(error = %err, wait_ms = wait.as_millis() as u64, "sync: trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(self.most);
                }
                other => return other,
            }
        }
    }
}

/// The sync of one database with one server.
#[derive(Debug)]
pub struct Client<T: Transport> {
    transport: T,
    retry: Retry,
}

impl<T: Transport> Client<T> {
    pub fn new(transport: T) -> Client<T> {
        Client {
            transport,
            retry: Retry::default(),
        }
    }

    pub fn with_retry(mut self, retry: Retry) -> Client<T> {
        self.retry = retry;
        self
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Publishes a local program: the server's copy becomes the program's, this database
    /// remembers the server, and changes made during the publish are pushed after it. A publish
    /// whose answer was lost is finished by the next `publish` or `sync`: the server answers
    /// the publishing replica again as it answered the first time.
    pub async fn publish(&self, replica: &impl Replica, program: Id) -> Result<Report, SyncError> {
        self.send_publish(replica, program).await?;
        self.sync(replica, program).await
    }

    /// The publish itself: the program's snapshot to the server, and what its answer says
    /// into this database.
    async fn send_publish(&self, replica: &impl Replica, program: Id) -> Result<(), SyncError> {
        let state = replica.with(|s| s.sync_state(program))?;
        if let Some(server) = state.server {
            return Err(SyncError::AlreadyConnected(server));
        }
        let server = self.transport.server().to_owned();
        if let Some(other) = state.publishing.filter(|p| *p != server) {
            return Err(SyncError::Protocol(format!(
                "a publish of this program to {other} has not been answered yet: run `roadbook sync` to finish it there"
            )));
        }
        let (snapshot, client) =
            replica.with(|s| Ok::<_, StoreError>((s.publish_snapshot(program)?, s.client_id())))?;
        let request = PublishRequest {
            program,
            client_id: client,
            next_seq: snapshot.through_seq + 1,
            items: snapshot
                .items
                .into_iter()
                .map(|(kind, id, fields)| Item { kind, id, fields })
                .collect(),
        };
        // Said before it goes: if the answer is lost, this database knows a publish may have
        // happened and finishes it rather than standing unconnected.
        replica.with(|s| s.set_publishing(program, Some(&server)))?;
        let answer = match self.retry.run(|| self.transport.publish(&request)).await {
            Ok(answer) => answer,
            // No connection was made: nothing reached the server, so nothing to finish there.
            Err(err @ TransportError::Offline(_)) => {
                replica.with(|s| s.set_publishing(program, None))?;
                return Err(refused(err));
            }
            Err(err) => return Err(refused(err)),
        };
        replica.with(|s| {
            s.mark_published(
                program,
                &server,
                answer.cursor,
                &answer.versions,
                answer.through_seq.unwrap_or(snapshot.through_seq),
            )?;
            if let Some(history) = answer.history {
                s.set_history(program, history)?;
            }
            s.set_publishing(program, None)
        })?;
        Ok(())
    }

    /// Takes a program from the server into this database. Joining a program this database
    /// syncs with the same server already is a sync; one whose publish here was not answered
    /// finishes that publish.
    pub async fn join(&self, replica: &impl Replica, program: Id) -> Result<Report, SyncError> {
        let (exists, state, client, next_seq) = replica.with(|s| {
            let exists = s.programs()?.iter().any(|p| p.id == program);
            Ok::<_, StoreError>((
                exists,
                s.sync_state(program)?,
                s.client_id(),
                s.next_seq(program)?,
            ))
        })?;
        let server = self.transport.server().to_owned();
        if exists {
            if state.server.as_deref() == Some(server.as_str()) {
                return self.sync(replica, program).await;
            }
            if state.server.is_none() && state.publishing.as_deref() == Some(server.as_str()) {
                return self.publish(replica, program).await;
            }
            return Err(SyncError::AlreadyHere);
        }
        let request = JoinRequest {
            client_id: client,
            next_seq,
        };
        let snapshot = self
            .retry
            .run(|| self.transport.join(program, &request))
            .await
            .map_err(refused)?;
        let items: Vec<ServerItem> = snapshot.items.into_iter().map(server_item).collect();
        let conflicts: Vec<StoredConflict> =
            snapshot.conflicts.iter().map(stored_conflict).collect();
        let author = format!("joined from {server}");
        replica.with(|s| {
            s.apply_snapshot(
                program,
                &server,
                &items,
                snapshot.cursor,
                &conflicts,
                &author,
            )?;
            if let Some(history) = snapshot.history {
                s.set_history(program, history)?;
            }
            if let Some(role) = snapshot.role {
                s.set_role(program, role.as_str())?;
            }
            Ok::<_, StoreError>(())
        })?;
        self.sync(replica, program).await
    }

    /// Pushes everything waiting, then pulls everything new. Refused changes never stop the
    /// others; a server that needs a newer Roadbook stops the push with what waits kept; a
    /// person who may no longer change the program has what waited moved to the refused
    /// changes with the server's reason. A server in another history (restored from a backup)
    /// is taken afresh first, with nothing of this replica's lost.
    pub async fn sync(&self, replica: &impl Replica, program: Id) -> Result<Report, SyncError> {
        let state = replica.with(|s| s.sync_state(program))?;
        if state.server.is_none() {
            if state.publishing.as_deref() != Some(self.transport.server()) {
                return Err(SyncError::NotConnected);
            }
            // A publish whose answer never came: finished now, then the sync goes on.
            self.send_publish(replica, program).await?;
        }
        let mut report = Report::default();
        let pushed = self.push(replica, program, &mut report).await;
        // Pull even when the push was not permitted (a viewer still reads the program).
        let pulled = match &pushed {
            Err(err) if !err.retryable() && !matches!(err, SyncError::UpgradeRequired(_)) => {
                self.pull(replica, program, &mut report).await
            }
            Err(_) => Ok(()),
            Ok(()) => self.pull(replica, program, &mut report).await,
        };
        let archive = match (&pushed, &pulled) {
            (Ok(()), Ok(())) => self.exchange_documents(replica, program, &mut report).await,
            _ => Ok(()),
        };
        replica.with(|s| {
            report.pending = s.outbox(Some(program))?.len();
            report.conflicts = s.conflicts(program)?.len();
            report.rejected_waiting = s.rejected(program)?.len();
            report.cursor = s.sync_state(program)?.cursor;
            Ok::<_, StoreError>(())
        })?;
        pushed?;
        pulled?;
        archive?;
        if report.pushed + report.pulled + report.documents_received > 0 {
            replica.with(|s| s.note_usage(roadbook_model::UsageKind::SyncRun))?;
        }
        // Usage counts ride along; failing to send them never fails the sync (they wait).
        if let Err(err) = self.send_usage(replica).await {
            tracing::info!(error = %err, "usage counts not sent this time");
        }
        // What the server says of the links with other programs, for those this database does
        // not hold; the last word stays when it cannot say (a server older than links).
        match self.transport.links(program).await {
            Ok(links) => replica.with(|s| s.set_server_links(program, &links))?,
            Err(err) => {
                tracing::info!(error = %err, "the links between programs were not read this time")
            }
        }
        Ok(report)
    }

    /// The server's history is not the one this replica synced in: take the program afresh
    /// under a fresh client id, keeping what waits and sending again this replica's changes
    /// the server lost ([`Store::rebootstrap`]).
    async fn rebootstrap(
        &self,
        replica: &impl Replica,
        program: Id,
        report: &mut Report,
    ) -> Result<(), SyncError> {
        let client = replica.with(|s| s.reset_client())?;
        // A client id the server has never seen: its changes to the program start at 1.
        let request = JoinRequest {
            client_id: client,
            next_seq: 1,
        };
        let snapshot = self
            .retry
            .run(|| self.transport.join(program, &request))
            .await
            .map_err(refused)?;
        let Some(history) = snapshot.history else {
            return Err(SyncError::Protocol(
                "a server said its history changed but did not say which it is now".into(),
            ));
        };
        let server = self.transport.server().to_owned();
        let items: Vec<ServerItem> = snapshot.items.into_iter().map(server_item).collect();
        let conflicts: Vec<StoredConflict> =
            snapshot.conflicts.iter().map(stored_conflict).collect();
        let done = replica.with(|s| {
            let done = s.rebootstrap(
                program,
                &server,
                &items,
                snapshot.cursor,
                &conflicts,
                history,
                snapshot.fork.unwrap_or(0),
                "the server (restored)",
            )?;
            if let Some(role) = snapshot.role {
                s.set_role(program, role.as_str())?;
            }
            Ok::<_, StoreError>(done)
        })?;
        tracing::warn!(
            %program,
            sent_again = done.sent_again,
            dropped = done.dropped,
            "the server's history changed (restored from a backup): took the program afresh"
        );
        report.pulled += items.len();
        report.rebootstrapped = Some(done);
        Ok(())
    }

    /// Sends the queued usage counts (queued only when the person shares them) and drops the
    /// ones the server has. How many went.
    pub async fn send_usage(&self, replica: &impl Replica) -> Result<usize, SyncError> {
        let mut sent = 0;
        loop {
            let queued = replica.with(|s| s.queued_usage(roadbook_protocol::MAX_USAGE_EVENTS))?;
            if queued.is_empty() {
                return Ok(sent);
            }
            let report = usage_report(&queued);
            self.retry
                .run(|| self.transport.usage(&report))
                .await
                .map_err(refused)?;
            let ids: Vec<Id> = queued.iter().map(|q| q.id).collect();
            replica.with(|s| s.forget_usage(&ids))?;
            sent += ids.len();
        }
    }
}

/// The queued usage counts as the server takes them: id, kind and day, nothing else.
pub fn usage_report(queued: &[roadbook_store::QueuedUsage]) -> roadbook_protocol::UsageReport {
    roadbook_protocol::UsageReport {
        events: queued
            .iter()
            .map(|q| roadbook_protocol::UsageEvent {
                id: q.id,
                kind: q.kind,
                day: q.day.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn quick(give_up_after: Option<Duration>) -> Retry {
        Retry {
            first: Duration::from_millis(1),
            most: Duration::from_millis(4),
            give_up_after,
        }
    }

    #[tokio::test]
    async fn a_network_failure_is_tried_again_until_it_succeeds() {
        let calls = AtomicU32::new(0);
        let answer = quick(None)
            .run(|| async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0..=4 => Err(TransportError::Network("down".into())),
                    _ => Ok(42),
                }
            })
            .await
            .unwrap();
        assert_eq!((answer, calls.load(Ordering::SeqCst)), (42, 6));
    }

    #[tokio::test]
    async fn a_refusal_is_not_tried_again_and_an_outage_gives_up_when_told() {
        let calls = AtomicU32::new(0);
        let refused = quick(None)
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(TransportError::Refused {
                    status: 403,
                    code: codes::FORBIDDEN.into(),
                    message: "no".into(),
                })
            })
            .await
            .unwrap_err();
        assert_eq!(
            (refused.retryable(), calls.load(Ordering::SeqCst)),
            (false, 1)
        );
        let started = std::time::Instant::now();
        let gave_up = quick(Some(Duration::from_millis(30)))
            .run(|| async { Err::<(), _>(TransportError::Network("down".into())) })
            .await
            .unwrap_err();
        assert!(gave_up.retryable());
        assert!(started.elapsed() < Duration::from_secs(2));
        // Nothing answering is given up on at once, however long the patience.
        let calls = AtomicU32::new(0);
        let offline = quick(None)
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(TransportError::Offline("connection refused".into()))
            })
            .await
            .unwrap_err();
        assert!(matches!(offline, TransportError::Offline(_)));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_token_never_shows_in_debug_output() {
        let token = Token::new("eyJhbGciOiJSUzI1NiJ9.secret.signature");
        assert_eq!(format!("{token:?}"), "Token(***)");
        let transport = HttpTransport::new("https://roadbook.example", token).unwrap();
        assert!(!format!("{transport:?}").contains("secret"));
        assert!(HttpTransport::new("ftp://roadbook.example", Token::new("t")).is_err());
        // A token never leaves over plain http for another machine; to this one it may.
        let err = HttpTransport::new("http://roadbook.example", Token::new("t")).unwrap_err();
        assert!(err.contains("use its https:// address"), "{err}");
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            assert!(
                HttpTransport::new(local, Token::new("t")).is_ok(),
                "{local}"
            );
        }
    }
}
