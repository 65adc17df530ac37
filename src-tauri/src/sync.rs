//! Team sync in the window: one background loop per connected program (roadbook-sync's
//! [`Background`]), its status sent to the window as the `sync-status` event, and the commands
//! to connect a program, sync now, and settle conflicts and refused changes. The token stays on
//! this side: the webview talks to the server only through these commands.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use roadbook_core::CoreError;
use roadbook_model::{Id, Kind};
use roadbook_protocol::{Choice, Conflict};
use roadbook_store::Operation;
use roadbook_sync::{Background, SyncError, SyncPhase, SyncStatus, Timing, Transport};
use serde::Serialize;
use serde_json::Value;
use tauri::{AppHandle, Emitter, Manager};

use crate::commands::with_store;
use crate::{AppState, CommandError, CommandResult, ErrorCode};

/// The event the window listens to.
pub const STATUS_EVENT: &str = "sync-status";

/// The running loops and the last status each reported.
#[derive(Debug, Default)]
pub struct Syncs {
    running: Mutex<HashMap<Id, Background>>,
    latest: Arc<Mutex<HashMap<Id, SyncStatus>>>,
}

impl Syncs {
    /// A local change was made: every connected program syncs soon (there are one or two).
    pub fn wake(&self) {
        if let Ok(running) = self.running.lock() {
            for background in running.values() {
                background.wake();
            }
        }
    }

    fn latest(&self, program: Id) -> Option<SyncStatus> {
        self.latest.lock().ok()?.get(&program).cloned()
    }
}

fn sync_error(err: SyncError) -> CommandError {
    let code = match &err {
        SyncError::Store(_) => ErrorCode::Storage,
        SyncError::Transport(e) if e.retryable() => ErrorCode::Offline,
        SyncError::Transport(_) | SyncError::Protocol(_) => ErrorCode::Server,
        SyncError::NotConnected => ErrorCode::NotConnected,
        SyncError::AlreadyConnected(_) | SyncError::AlreadyHere => ErrorCode::Exists,
        SyncError::UpgradeRequired(_) => ErrorCode::UpgradeRequired,
        SyncError::NotPermitted(_) => ErrorCode::NotPermitted,
        SyncError::SignInNeeded(_) => ErrorCode::SignInNeeded,
    };
    match err {
        SyncError::Store(e) => e.into(),
        other => CommandError::new(code, other.to_string()),
    }
}

/// Starts the loop of `program` if it is connected and not running yet. Without a sign-in the
/// program's status says so, and nothing runs.
pub fn start(app: &AppHandle, program: Id) -> CommandResult<()> {
    let state = app.state::<AppState>();
    let server = {
        let store = state.store.lock().map_err(|_| locked())?;
        store.sync_state(program)?.server
    };
    let Some(server) = server else {
        return Ok(());
    };
    let mut running = state.syncs.running.lock().map_err(|_| locked())?;
    if running.get(&program).is_some_and(Background::is_running) {
        return Ok(());
    }
    let client = match state.client(&server) {
        Ok(client) => client,
        Err(err) => {
            let phase = if matches!(err, CoreError::ServerNotTrusted(_)) {
                SyncPhase::ServerNotTrusted
            } else {
                SyncPhase::SignInNeeded
            };
            let mut status = {
                let store = state.store.lock().map_err(|_| locked())?;
                SyncStatus::read(&store, program, phase)?
            };
            status.message = Some(CommandError::from(err).message);
            report(app, &state.syncs.latest, status);
            return Ok(());
        }
    };
    let events = app.clone();
    let latest = state.syncs.latest.clone();
    // The loop's short network retries; the loop itself backs off after them, so the window
    // says "offline" within seconds rather than after the client's own patience runs out.
    let client = client.with_retry(roadbook_sync::Retry {
        first: std::time::Duration::from_millis(200),
        most: std::time::Duration::from_secs(1),
        give_up_after: Some(std::time::Duration::from_secs(2)),
    });
    let background = Background::spawn(
        client,
        state.store.clone(),
        program,
        timing(),
        move |status| report(&events, &latest, status),
    );
    running.insert(program, background);
    Ok(())
}

/// The loop's timing; `ROADBOOK_SYNC_EVERY` (seconds) shortens the timer for tests and demos.
fn timing() -> Timing {
    // Offline, try again at least every 5 s: a lead sees their changes go out within seconds of
    // the network coming back, and one small failed request per 5 s costs a server nothing.
    let mut timing = Timing {
        most: std::time::Duration::from_secs(5),
        ..Timing::default()
    };
    if let Some(secs) = std::env::var("ROADBOOK_SYNC_EVERY")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| *s > 0)
    {
        timing.every = std::time::Duration::from_secs(secs);
    }
    timing
}

fn report(app: &AppHandle, latest: &Mutex<HashMap<Id, SyncStatus>>, status: SyncStatus) {
    if let Ok(mut latest) = latest.lock() {
        latest.insert(status.program, status.clone());
    }
    if let Err(err) = app.emit(STATUS_EVENT, &status) {
        eprintln!("roadbook-desktop: the sync status did not reach the window: {err}");
    }
}

fn locked() -> CommandError {
    CommandError::new(
        ErrorCode::Storage,
        "an earlier failure left the database locked: restart Roadbook",
    )
}

/// Starts the loops of every connected program; called once the window exists.
/// Stops every program's loop (a sign-out: they hold the sign-in).
pub fn stop_all(app: &AppHandle) {
    let state = app.state::<AppState>();
    if let Ok(mut running) = state.syncs.running.lock() {
        running.clear();
    }
}

/// Starts every loop again with the credentials as they are now (after a sign-in or out).
pub fn restart_all(app: &AppHandle) {
    stop_all(app);
    start_all(app);
}

pub fn start_all(app: &AppHandle) {
    let programs = {
        let state = app.state::<AppState>();
        let Ok(store) = state.store.lock() else {
            return;
        };
        store.programs().unwrap_or_default()
    };
    for program in programs {
        if let Err(err) = start(app, program.id) {
            eprintln!(
                "roadbook-desktop: the sync of {} did not start: {}",
                program.name, err.message
            );
        }
    }
}

/// Where the program's sync stands now.
#[tauri::command]
pub async fn sync_status(app: AppHandle, program: Id) -> CommandResult<SyncStatus> {
    if let Some(status) = app.state::<AppState>().syncs.latest(program) {
        return Ok(status);
    }
    with_store(app, move |_, store| {
        Ok(SyncStatus::read(store, program, SyncPhase::Synced)?)
    })
    .await
}

/// The sync button: sync at once (starting the loop if it is not running).
#[tauri::command]
pub async fn sync_now(app: AppHandle, program: Id) -> CommandResult<()> {
    start(&app, program)?;
    let state = app.state::<AppState>();
    let running = state.syncs.running.lock().map_err(|_| locked())?;
    if let Some(background) = running.get(&program) {
        background.wake();
    }
    Ok(())
}

/// Who the server says the person is, for the Settings screen (until sign-in: the token's).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct ServerProgram {
    pub id: Id,
    pub name: String,
    /// What the person may do on it: viewer, editor, lead or admin.
    pub role: String,
    /// Whether it is in this database already.
    pub here: bool,
}

/// The programs on `server` the person may see, for the join list.
#[tauri::command]
pub async fn server_programs(app: AppHandle, server: String) -> CommandResult<Vec<ServerProgram>> {
    let client = app.state::<AppState>().chosen_client(server.trim()).await?;
    let programs = client
        .transport()
        .programs()
        .await
        .map_err(|e| sync_error(e.into()))?;
    let here: Vec<Id> = with_store(app, |_, store| Ok(store.programs()?))
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    Ok(programs
        .into_iter()
        .map(|p| ServerProgram {
            here: here.contains(&p.id),
            id: p.id,
            name: p.name,
            role: p.role.as_str().to_owned(),
        })
        .collect())
}

/// Publishes the program to `server`: the server's copy becomes the team's, and the program
/// syncs from then on.
#[tauri::command]
pub async fn publish_program(
    app: AppHandle,
    program: Id,
    server: String,
) -> CommandResult<SyncStatus> {
    let state = app.state::<AppState>();
    let client = state.chosen_client(server.trim()).await?;
    let replica = state.store.clone();
    client
        .publish(&*replica, program)
        .await
        .map_err(sync_error)?;
    start(&app, program)?;
    sync_status(app, program).await
}

/// Brings a program from `server` into this database; it syncs from then on.
#[tauri::command]
pub async fn join_program(app: AppHandle, server: String, program: Id) -> CommandResult<Id> {
    let state = app.state::<AppState>();
    let client = state.chosen_client(server.trim()).await?;
    let replica = state.store.clone();
    client.join(&*replica, program).await.map_err(sync_error)?;
    start(&app, program)?;
    Ok(program)
}

/// One side of a conflict.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct ConflictSide {
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub value: Value,
    pub author: String,
    /// When the server took it.
    pub at: String,
    /// When the person made it, by their clock (none from an older client): who changed it
    /// first is read from this.
    pub made_at: Option<String>,
}

/// A conflict as the Conflicts screen shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct ConflictView {
    pub id: Id,
    pub kind: Kind,
    pub item_id: Id,
    /// The item's title or name, as it stands here.
    pub item: String,
    /// The field, `deleted` when a delete met an edit, or the name of fields settled together
    /// (`decided`: a decision's status, outcome, rationale, decided by and on, each side an
    /// object of them).
    pub field: String,
    /// The fields it settles: the field itself, or every field of the group.
    pub fields: Vec<String>,
    /// The value the server kept.
    pub theirs: ConflictSide,
    /// The value the conflicting change wanted.
    pub mine: ConflictSide,
    /// Whether the change that met the server's value came from this database.
    pub from_here: bool,
    /// The person's answer is waiting to be pushed.
    pub answered: bool,
}

#[tauri::command]
pub async fn conflicts(app: AppHandle, program: Id) -> CommandResult<Vec<ConflictView>> {
    with_store(app, move |_, store| {
        let answered: Vec<Id> = store
            .outbox(Some(program))?
            .into_iter()
            .filter_map(|e| match e.operation {
                Operation::Resolve { conflict, .. } => Some(conflict),
                _ => None,
            })
            .collect();
        let labels = store.load(program)?.labels();
        let client = store.client_id();
        let mut out = Vec::new();
        for stored in store.conflicts(program)? {
            let conflict: Conflict = serde_json::from_value(stored.body.clone()).map_err(|e| {
                CommandError::new(ErrorCode::Storage, format!("a conflict in this database is damaged ({e}): sync again to fetch it afresh"))
            })?;
            let side = |s: roadbook_protocol::Side| ConflictSide {
                value: s.value,
                author: s.author,
                at: s.at,
                made_at: s.made_at,
            };
            out.push(ConflictView {
                id: conflict.id,
                kind: conflict.kind,
                item_id: conflict.item_id,
                item: labels
                    .get(&conflict.item_id)
                    .cloned()
                    .unwrap_or_else(|| "an item deleted since".to_owned()),
                fields: conflict
                    .kind
                    .conflict_fields(&conflict.field)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                field: conflict.field,
                theirs: side(conflict.theirs),
                mine: side(conflict.mine),
                from_here: conflict.client_id == client,
                answered: answered.contains(&conflict.id),
            });
        }
        Ok(out)
    })
    .await
}

/// Settles a conflict: `choice` is `{"keep": "mine"}`, `{"keep": "theirs"}` or
/// `{"keep": "merged", "value": …}`. The answer is pushed at once; every replica drops the
/// conflict when it pulls the server's change.
#[tauri::command]
pub async fn resolve_conflict(app: AppHandle, conflict: Id, choice: Value) -> CommandResult<()> {
    let parsed: Choice = serde_json::from_value(choice).map_err(|e| {
        CommandError::new(
            ErrorCode::Invalid,
            format!("that is not an answer to a conflict ({e}): keep mine, keep theirs, or a merged value"),
        )
    })?;
    let choice = serde_json::to_value(&parsed)
        .map_err(|e| CommandError::new(ErrorCode::Internal, e.to_string()))?;
    with_store(app.clone(), move |state, store| {
        Ok(store.enqueue_resolve(conflict, choice, &state.author().name)?)
    })
    .await?;
    app.state::<AppState>().syncs.wake();
    Ok(())
}

/// A change the server refused, as the screen shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct RejectedView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub kind: Kind,
    pub item_id: Id,
    pub item: String,
    /// What the change did: `created`, `edited`, `deleted` or `resolved`.
    pub change: String,
    /// The fields an edit wrote.
    pub fields: Vec<String>,
    pub reason: String,
    pub made_at: String,
    pub rejected_at: String,
    /// Whether the item is still here to open and edit.
    pub item_here: bool,
}

#[tauri::command]
pub async fn rejected(app: AppHandle, program: Id) -> CommandResult<Vec<RejectedView>> {
    with_store(app, move |_, store| {
        let labels = store.load(program)?.labels();
        Ok(store
            .rejected(program)?
            .into_iter()
            .map(|r| {
                let (change, fields) = match &r.operation {
                    Operation::Create { fields } => ("created", fields.keys().cloned().collect()),
                    Operation::Update { .. } => (
                        "edited",
                        r.operation
                            .fields()
                            .into_iter()
                            .map(str::to_owned)
                            .collect(),
                    ),
                    Operation::Delete { .. } => ("deleted", Vec::new()),
                    Operation::Resolve { .. } => ("resolved", Vec::new()),
                };
                let label = labels.get(&r.item_id).cloned();
                let item_here = label.is_some();
                let item = label.unwrap_or_else(|| match &r.operation {
                    Operation::Create { fields } => roadbook_model::label_in(|f| fields.get(f))
                        .unwrap_or("a new item")
                        .to_owned(),
                    _ => "an item no longer here".to_owned(),
                });
                RejectedView {
                    id: r.id,
                    kind: r.item_kind,
                    item_id: r.item_id,
                    item,
                    change: change.to_owned(),
                    fields: fields
                        .into_iter()
                        .filter(|f| f != "position" && f != "id")
                        .collect(),
                    reason: r.reason,
                    made_at: r.made_at,
                    rejected_at: r.rejected_at,
                    item_here,
                }
            })
            .collect())
    })
    .await
}

/// Sends a refused change again, as it stands now (after the person edited it).
#[tauri::command]
pub async fn retry_rejected(app: AppHandle, id: i64) -> CommandResult<()> {
    with_store(app.clone(), move |state, store| {
        Ok(store.retry_rejected(id, &state.author().name)?)
    })
    .await?;
    app.state::<AppState>().syncs.wake();
    Ok(())
}

/// Drops a refused change: the person chose to.
#[tauri::command]
pub async fn discard_rejected(app: AppHandle, id: i64) -> CommandResult<()> {
    with_store(app, move |_, store| Ok(store.discard_rejected(id)?)).await
}

/// A change from the server this database could not apply, as the screen shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct SetAsideView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub kind: Kind,
    /// What the person calls the item here, or that it is not here.
    pub item: String,
    pub reason: String,
    pub set_aside_at: String,
}

/// The changes from the server this database set aside, with their reasons.
#[tauri::command]
pub async fn set_aside(app: AppHandle, program: Id) -> CommandResult<Vec<SetAsideView>> {
    with_store(app, move |_, store| {
        let labels = store.load(program)?.labels();
        Ok(store
            .set_aside(program)?
            .into_iter()
            .map(|a| SetAsideView {
                id: a.id,
                kind: a.item_kind,
                item: labels
                    .get(&a.item_id)
                    .cloned()
                    .unwrap_or_else(|| "an item not in this program here".to_owned()),
                reason: a.reason,
                set_aside_at: a.set_aside_at,
            })
            .collect())
    })
    .await
}

/// Applies a set-aside change again; whether it went in this time.
#[tauri::command]
pub async fn retry_set_aside(app: AppHandle, id: i64) -> CommandResult<bool> {
    with_store(app, move |_, store| Ok(store.retry_set_aside(id)?)).await
}

/// Drops a set-aside change: the person chose to.
#[tauri::command]
pub async fn discard_set_aside(app: AppHandle, id: i64) -> CommandResult<()> {
    with_store(app, move |_, store| Ok(store.discard_set_aside(id)?)).await
}

/// The person confirms the server the program's database names: their sign-in may go there
/// from now on, and the program syncs. The server is read from the database here, never taken
/// from the window, so the window can only say yes to what Roadbook asked.
#[tauri::command]
pub async fn trust_program_server(app: AppHandle, program: Id) -> CommandResult<SyncStatus> {
    let server = with_store(app.clone(), move |_, store| {
        Ok(store.sync_state(program)?.server)
    })
    .await?
    .ok_or_else(|| {
        CommandError::new(
            ErrorCode::NotShared,
            "this program is not shared with a server: there is nothing to confirm",
        )
    })?;
    let account = app
        .state::<AppState>()
        .account()
        .ok_or_else(|| CommandError::from(CoreError::NoToken))?;
    roadbook_core::trust_server(&account, &server).await?;
    start(&app, program)?;
    sync_status(app, program).await
}
