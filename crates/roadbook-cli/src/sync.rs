//! `publish`, `join`, `sync`, `conflicts`, `resolve` and `rejected`: the program shared with a
//! team through roadbook-server. The client and its token come from the core.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use roadbook_model::{Id, Kind};

use crate::words::{Quoted, field_words, in_words};
use roadbook_store::Store;
use roadbook_sync::{Client, HttpTransport, Replica, Report, Retry, SyncError, Transport};
use serde_json::{Value, json};

use crate::cli::{Keep, RejectedCommand, SyncCommand};
use crate::commands::Ctx;

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the sync")
}

/// Fields settled together (a decision's status, outcome, rationale, decided by and on), in
/// the order the kind lists them, each with its value.
fn shown_group(kind: Kind, value: &Value, labels: &HashMap<Id, String>) -> String {
    kind.guarded_fields()
        .iter()
        .map(|field| {
            let value = value.get(*field).unwrap_or(&Value::Null);
            format!(
                "{} {}",
                field_words(kind, field),
                in_words(value, labels, Quoted::Yes)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a one-shot command says when nothing answers at the server: one sentence, and the
/// exit code [`OFFLINE_EXIT`], so a script can tell "offline, try later" from a refusal.
#[derive(Debug)]
pub(crate) struct Offline(String);

impl std::fmt::Display for Offline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Offline {}

/// The exit code of a command that found the server offline (2 is a usage error, 1 any other).
pub(crate) const OFFLINE_EXIT: u8 = 3;

/// Whether `err` says nothing answered at the server.
fn is_offline(err: &SyncError) -> bool {
    matches!(
        err,
        SyncError::Transport(
            roadbook_sync::TransportError::Offline(_) | roadbook_sync::TransportError::NoAnswer(_)
        )
    )
}

/// Whether the server took the request and did not answer in time (it may have done it).
fn no_answer(err: &SyncError) -> bool {
    matches!(
        err,
        SyncError::Transport(roadbook_sync::TransportError::NoAnswer(_))
    )
}

/// "offline: cannot reach URL" (or "URL did not answer within 30 s"), then `then`.
fn offline(err: &SyncError, server: &str, then: &str) -> anyhow::Error {
    let what = if no_answer(err) {
        format!(
            "{server} did not answer within {} s",
            roadbook_sync::request_seconds().unwrap_or(roadbook_sync::REQUEST_SECONDS)
        )
    } else {
        format!("cannot reach {server}")
    };
    anyhow!(Offline(format!("offline: {what}; {then}")))
}

/// What waits on this machine, as the offline sentence ends.
fn waiting(changes: usize) -> String {
    match changes {
        0 => "nothing waits to be sent".to_owned(),
        1 => "1 change waits and will go at the next sync".to_owned(),
        n => format!("{n} changes wait and will go at the next sync"),
    }
}

impl<W: Write> Ctx<W> {
    /// The client for the server a database names: a sign-in goes only where the person
    /// chose to send it.
    fn client(&self, server: &str) -> Result<Client<HttpTransport>> {
        Ok(self.session.client(server)?)
    }

    /// The client for a server the person names on this command line (publish, join).
    fn chosen_client(&self, server: &str) -> Result<Client<HttpTransport>> {
        let account = if self.session.token().is_some() {
            None
        } else {
            self.session.account()?.map(Arc::new)
        };
        Ok(runtime()?.block_on(self.session.chosen_client(server, account))?)
    }

    /// Where the program syncs: its server, or the one a publish went to whose answer never
    /// came (the sync finishes that publish).
    fn server_of(&self, store: &Store, program: Id) -> Result<String> {
        let state = store.sync_state(program)?;
        state
            .server
            .or(state.publishing)
            .ok_or_else(|| anyhow!(SyncError::NotConnected))
    }

    fn print_report(&mut self, report: &Report, what: &str) -> Result<()> {
        if let Some(done) = &report.rebootstrapped {
            writeln!(
                self.out,
                "the server's history changed (its database was restored from a backup): took the program afresh; {} of your changes it had lost were sent again{}",
                done.sent_again,
                if done.dropped > 0 {
                    format!(
                        ", {} items it no longer has left this database until their makers send them again",
                        done.dropped
                    )
                } else {
                    String::new()
                }
            )?;
        }
        if report.set_aside > 0 {
            writeln!(
                self.out,
                "{} changes from the server could not be applied here and were set aside (see roadbook rejected)",
                report.set_aside
            )?;
        }
        writeln!(
            self.out,
            "{what}: pushed {}, pulled {}{}{}; {} conflicts open, {} refused changes waiting, {} changes waiting to be pushed",
            report.pushed,
            report.pulled,
            if report.rejected > 0 {
                format!(
                    ", {} refused by the server (see roadbook rejected)",
                    report.rejected
                )
            } else {
                String::new()
            },
            if report.conflicts_opened > 0 {
                format!(
                    ", {} new conflicts (see roadbook conflicts)",
                    report.conflicts_opened
                )
            } else {
                String::new()
            },
            report.conflicts,
            report.rejected_waiting,
            report.pending
        )?;
        Ok(())
    }

    /// Everything pushed, or a non-zero exit that says what waits.
    fn all_pushed(report: &Report) -> Result<()> {
        if report.waiting_for_upgrade > 0 {
            bail!(
                "your answer to a conflict over a decision waits, with {} change(s) in all: the server is an older release that would close the conflict without settling it; it goes by itself with the first sync after the server is upgraded",
                report.waiting_for_upgrade
            );
        }
        if report.pending > 0 {
            bail!(
                "{} changes still wait to be pushed: run roadbook sync again",
                report.pending
            );
        }
        Ok(())
    }

    pub fn publish(&mut self, server: &str, program: Option<Id>) -> Result<()> {
        let store = self.open()?;
        let program = store.resolve_program(program)?;
        let client = self.chosen_client(server)?;
        let replica = Mutex::new(store);
        let report = match runtime()?.block_on(client.publish(&replica, program)) {
            Ok(report) => report,
            Err(err) if is_offline(&err) => {
                // No answer is not no publish: the server may have it, and the next sync
                // finishes it either way.
                let then = if no_answer(&err) {
                    "it may have arrived: roadbook sync finishes the publish once the server answers"
                } else {
                    "the program was not published; publish again when it answers"
                };
                return Err(offline(&err, server, then));
            }
            Err(err) => {
                return Err(
                    anyhow!(err).context(format!("the program was not published to {server}"))
                );
            }
        };
        self.print_report(
            &report,
            &format!("published to {}", client.transport().server()),
        )?;
        Self::all_pushed(&report)
    }

    pub fn join(&mut self, server: &str, program: Option<Id>, list: bool) -> Result<()> {
        let client = self.chosen_client(server)?;
        let runtime = runtime()?;
        if list {
            let programs = answered(
                runtime.block_on(client.transport().programs()),
                server,
                "nothing was listed",
            )?;
            for p in programs {
                writeln!(self.out, "{}  {}  (you: {})", p.id, p.name, p.role.as_str())?;
            }
            return Ok(());
        }
        let program = program.ok_or_else(|| {
            anyhow!("name the program to join (roadbook join --server URL --list shows them)")
        })?;
        let replica = Mutex::new(self.open()?);
        let report = match runtime.block_on(client.join(&replica, program)) {
            Ok(report) => report,
            Err(err) if is_offline(&err) => {
                return Err(offline(
                    &err,
                    server,
                    "nothing was joined; join again when it answers",
                ));
            }
            Err(err) => {
                return Err(
                    anyhow!(err).context(format!("the program was not joined from {server}"))
                );
            }
        };
        let name = replica.with(|s| s.load(program).map(|h| h.program.name))?;
        self.print_report(
            &report,
            &format!("joined '{name}' from {}", client.transport().server()),
        )?;
        Ok(())
    }

    /// Joins every program on the server the person may see that is not here yet; those
    /// already here are left to `roadbook sync`. One that cannot be joined does not stop the
    /// rest; the command fails at the end if any could not.
    pub fn join_all(&mut self, server: &str) -> Result<()> {
        let client = self.chosen_client(server)?;
        let runtime = runtime()?;
        let programs = answered(
            runtime.block_on(client.transport().programs()),
            server,
            "nothing was joined",
        )?;
        if programs.is_empty() {
            writeln!(
                self.out,
                "{server} has no program you may see: ask its lead for access"
            )?;
            return Ok(());
        }
        let replica = Mutex::new(self.open()?);
        let here: Vec<Id> = replica
            .with(|s| s.programs())?
            .into_iter()
            .map(|p| p.id)
            .collect();
        let mut failed = Vec::new();
        for p in programs {
            if here.contains(&p.id) {
                writeln!(
                    self.out,
                    "'{}' is here already (you: {}); roadbook sync --program {} brings it up to date",
                    p.name,
                    p.role.as_str(),
                    p.id
                )?;
                continue;
            }
            match runtime.block_on(client.join(&replica, p.id)) {
                Ok(report) => self.print_report(
                    &report,
                    &format!("joined '{}' (you: {})", p.name, p.role.as_str()),
                )?,
                Err(err) if is_offline(&err) => {
                    return Err(offline(
                        &err,
                        server,
                        "the programs joined so far are here; join --all again when it answers",
                    ));
                }
                Err(err) => {
                    writeln!(self.out, "'{}' was not joined: {err}", p.name)?;
                    failed.push(p.name);
                }
            }
        }
        if !failed.is_empty() {
            bail!(
                "{} could not be joined (see above); the others are here",
                failed.join(", ")
            );
        }
        Ok(())
    }

    pub fn sync(
        &mut self,
        what: Option<SyncCommand>,
        program: Option<Id>,
        watch: bool,
    ) -> Result<()> {
        if let Some(SyncCommand::Status { program, json }) = what {
            return self.sync_status(program.program, json);
        }
        let store = self.open()?;
        let program = store.resolve_program(program)?;
        let server = self.server_of(&store, program)?;
        let replica = Mutex::new(store);
        let runtime = runtime()?;
        if !watch {
            let client = self.client(&server)?;
            let report = match runtime.block_on(client.sync(&replica, program)) {
                Ok(report) => report,
                Err(err) if is_offline(&err) => {
                    let changes = replica
                        .with(|s| s.outbox(Some(program)).map(|o| o.len()))
                        .unwrap_or(0);
                    return Err(offline(&err, &server, &waiting(changes)));
                }
                Err(err) => {
                    return Err(anyhow!(err).context(format!("the sync with {server} stopped")));
                }
            };
            self.print_report(&report, "synced")?;
            return Self::all_pushed(&report);
        }
        // Keep going: a failure waits and tries again (the backoff re-arms after each success).
        let client = self.client(&server)?.with_retry(Retry {
            give_up_after: None,
            ..Retry::default()
        });
        writeln!(self.out, "watching {server} (Ctrl+C stops)")?;
        runtime.block_on(async {
            let mut wait = Duration::from_millis(500);
            let mut failing = false;
            loop {
                match client.sync(&replica, program).await {
                    Ok(report) => {
                        wait = Duration::from_millis(500);
                        if std::mem::take(&mut failing) {
                            writeln!(self.out, "back online: {server} answers again")?;
                        }
                        if report.pushed + report.pulled + report.rejected > 0 {
                            self.print_report(&report, "synced")?;
                        }
                    }
                    Err(err @ (SyncError::UpgradeRequired(_) | SyncError::NotConnected)) => {
                        return Err(anyhow!(err));
                    }
                    Err(err) => {
                        failing = true;
                        let why = if is_offline(&err) {
                            format!("offline: cannot reach {server}")
                        } else {
                            format!("sync failed ({err})")
                        };
                        writeln!(
                            self.out,
                            "{why}; trying again in {} s",
                            wait.as_secs().max(1)
                        )?;
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = tokio::signal::ctrl_c() => return Ok(()),
                        }
                        wait = (wait * 2).min(Duration::from_secs(30));
                        continue;
                    }
                }
                // Until the team changes something (a long poll) or this database does.
                let local = async {
                    loop {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        if replica
                            .with(|s| s.outbox(Some(program)).map(|o| !o.is_empty()))
                            .unwrap_or(false)
                        {
                            return;
                        }
                    }
                };
                tokio::select! {
                    _ = client.wait_for_changes(&replica, program) => {}
                    _ = local => {}
                    _ = tokio::signal::ctrl_c() => return Ok(()),
                }
            }
        })
    }

    fn sync_status(&mut self, program: Option<Id>, json: bool) -> Result<()> {
        let store = self.open()?;
        let program = store.resolve_program(program)?;
        let state = store.sync_state(program)?;
        let pending = store.outbox(Some(program))?.len();
        let conflicts = store.conflicts(program)?.len();
        let rejected = store.rejected(program)?.len();
        let set_aside = store.set_aside(program)?.len();
        if json {
            let status = json!({
                "program": program,
                "server": state.server,
                "publishing": state.publishing,
                "last_sync": state.synced_at,
                "cursor": state.cursor,
                "history": state.history,
                "role": state.role,
                "pending": pending,
                "conflicts": conflicts,
                "rejected": rejected,
                "set_aside": set_aside,
            });
            writeln!(self.out, "{}", serde_json::to_string_pretty(&status)?)?;
            return Ok(());
        }
        match (&state.server, &state.publishing) {
            (None, Some(server)) => writeln!(
                self.out,
                "published to {server}, but its answer never came: roadbook sync finishes it"
            )?,
            (None, None) => writeln!(
                self.out,
                "not connected to a server (roadbook publish --server URL)"
            )?,
            (Some(server), _) => writeln!(
                self.out,
                "server {server}; last sync {}{}",
                state.synced_at.as_deref().unwrap_or("never"),
                match state
                    .role
                    .as_deref()
                    .map(str::parse::<roadbook_model::Role>)
                {
                    Some(Ok(roadbook_model::Role::Viewer)) => {
                        "; you may view this program, not change it"
                    }
                    _ => "",
                }
            )?,
        }
        writeln!(
            self.out,
            "{pending} changes waiting to be pushed; {conflicts} conflicts open; {rejected} refused changes waiting{}",
            if set_aside > 0 {
                format!("; {set_aside} changes from the server set aside (see roadbook rejected)")
            } else {
                String::new()
            }
        )?;
        Ok(())
    }

    pub fn conflicts(&mut self, program: Option<Id>, json: bool) -> Result<()> {
        let store = self.open()?;
        let program = store.resolve_program(program)?;
        let conflicts = store.conflicts(program)?;
        if json {
            let bodies: Vec<&Value> = conflicts.iter().map(|c| &c.body).collect();
            writeln!(self.out, "{}", serde_json::to_string_pretty(&bodies)?)?;
            return Ok(());
        }
        let labels = store.load(program)?.labels();
        for c in &conflicts {
            let side = |name: &str| -> String {
                let part = |key: &str| c.body.get(name).and_then(|side| side.get(key));
                let text = |key: &str| part(key).and_then(Value::as_str).map(str::to_owned);
                // When the person made it, which says who was first; when the server took it
                // only where a client older than protocol 3 did not say.
                let when = match (text("made_at"), text("at")) {
                    (Some(made), _) => format!("made {made}"),
                    (None, Some(at)) => format!("synced {at}"),
                    (None, None) => "at a time not known".to_owned(),
                };
                let value = part("value").unwrap_or(&Value::Null);
                format!(
                    "{} by {} ({when})",
                    if c.field == c.kind.guarded_group() {
                        shown_group(c.kind, value, &labels)
                    } else {
                        in_words(value, &labels, Quoted::Yes)
                    },
                    text("author").unwrap_or_else(|| "?".to_owned()),
                )
            };
            writeln!(
                self.out,
                "{}  {} '{}': {}\n    theirs (kept): {}\n    mine: {}",
                c.id,
                c.kind.noun(),
                labels
                    .get(&c.item_id)
                    .map(String::as_str)
                    .unwrap_or("(deleted)"),
                field_words(c.kind, &c.field),
                side("theirs"),
                side("mine"),
            )?;
        }
        if conflicts.is_empty() {
            writeln!(self.out, "no conflicts")?;
        }
        Ok(())
    }

    pub fn resolve(&mut self, conflict: Id, keep: Keep) -> Result<()> {
        let mut store = self.open()?;
        let choice = match keep {
            Keep::Mine => json!({"keep": "mine"}),
            Keep::Theirs => json!({"keep": "theirs"}),
        };
        store.enqueue_resolve(conflict, choice, &self.session.author.name)?;
        self.sync_if_possible(store, "resolution")
    }

    pub fn rejected(
        &mut self,
        what: Option<RejectedCommand>,
        program: Option<Id>,
        json: bool,
        pulled: bool,
    ) -> Result<()> {
        let mut store = self.open()?;
        match what {
            Some(RejectedCommand::Retry { id }) => {
                store.retry_rejected(id, &self.session.author.name)?;
                self.sync_if_possible(store, "change")
            }
            Some(RejectedCommand::Discard { id }) => {
                store.discard_rejected(id)?;
                writeln!(self.out, "discarded")?;
                Ok(())
            }
            Some(RejectedCommand::RetryPulled { id }) => {
                if store.retry_set_aside(id)? {
                    writeln!(self.out, "applied")?;
                } else {
                    let reason = store
                        .programs()?
                        .iter()
                        .filter_map(|p| store.set_aside(p.id).ok())
                        .flatten()
                        .find(|s| s.id == id)
                        .map(|s| s.reason)
                        .unwrap_or_default();
                    bail!("the change still cannot be applied here: {reason}");
                }
                Ok(())
            }
            Some(RejectedCommand::DiscardPulled { id }) => {
                store.discard_set_aside(id)?;
                writeln!(self.out, "discarded")?;
                Ok(())
            }
            None => {
                let program = store.resolve_program(program)?;
                let rejected = store.rejected(program)?;
                let set_aside = store.set_aside(program)?;
                if json && pulled {
                    writeln!(self.out, "{}", serde_json::to_string_pretty(&set_aside)?)?;
                    return Ok(());
                }
                if json {
                    writeln!(self.out, "{}", serde_json::to_string_pretty(&rejected)?)?;
                    return Ok(());
                }
                let labels = store.load(program)?.labels();
                for r in &rejected {
                    let what = match &r.operation {
                        roadbook_store::Operation::Create { .. } => "add".to_owned(),
                        roadbook_store::Operation::Delete { .. } => "delete".to_owned(),
                        roadbook_store::Operation::Update { fields } => fields
                            .iter()
                            .filter(|(_, c)| !c.kept)
                            .map(|(f, c)| {
                                format!(
                                    "{} to {}",
                                    field_words(r.item_kind, f),
                                    in_words(&c.value, &labels, Quoted::Yes)
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(", "),
                        roadbook_store::Operation::Resolve { .. } => {
                            "resolve a conflict".to_owned()
                        }
                    };
                    writeln!(
                        self.out,
                        "{}  {} '{}': {what}\n    refused: {} (made by {} at {})",
                        r.id,
                        r.item_kind.noun(),
                        labels
                            .get(&r.item_id)
                            .map(String::as_str)
                            .unwrap_or("(not here)"),
                        r.reason,
                        r.author,
                        r.made_at
                    )?;
                }
                if rejected.is_empty() {
                    writeln!(self.out, "no refused changes")?;
                }
                if !set_aside.is_empty() {
                    writeln!(
                        self.out,
                        "changes from the server this database could not apply (roadbook rejected retry-pulled|discard-pulled ID):"
                    )?;
                    for a in &set_aside {
                        writeln!(
                            self.out,
                            "{}  {} '{}': change {} of the server's log\n    set aside: {} (at {})",
                            a.id,
                            a.item_kind.noun(),
                            labels
                                .get(&a.item_id)
                                .map(String::as_str)
                                .unwrap_or("(not here)"),
                            a.version,
                            a.reason,
                            a.set_aside_at
                        )?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Sends what was just queued when the program is connected and a token is there; else
    /// says it waits for the next sync.
    fn sync_if_possible(&mut self, store: Store, what: &str) -> Result<()> {
        let programs = store.programs()?;
        let connected: Vec<(Id, String)> = programs
            .iter()
            .filter_map(|p| {
                store
                    .sync_state(p.id)
                    .ok()
                    .and_then(|s| s.server)
                    .map(|s| (p.id, s))
            })
            .collect();
        let token = self.session.can_sync();
        let [(program, server)] = connected.as_slice() else {
            writeln!(
                self.out,
                "{what} queued: it goes with the next roadbook sync"
            )?;
            return Ok(());
        };
        if !token {
            writeln!(
                self.out,
                "{what} queued: it goes with the next roadbook sync"
            )?;
            return Ok(());
        }
        let client = self.client(server)?;
        let replica = Mutex::new(store);
        let report = runtime()?
            .block_on(client.sync(&replica, *program))
            .with_context(|| format!("the {what} is queued, but the sync with {server} stopped"))?;
        self.print_report(&report, "synced")?;
        Self::all_pushed(&report)
    }
}

/// What the server answered, or the error to show: offline, one that says `nothing_done`.
fn answered<T>(
    answer: std::result::Result<T, roadbook_sync::TransportError>,
    server: &str,
    nothing_done: &str,
) -> Result<T> {
    answer.map_err(|err| {
        let err = SyncError::from(err);
        if is_offline(&err) {
            offline(&err, server, nothing_done)
        } else {
            err.into()
        }
    })
}
