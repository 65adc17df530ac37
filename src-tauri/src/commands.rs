//! The IPC commands. Each runs its store work on a blocking thread, never on the main thread.

use chrono::{DateTime, Utc};
use roadbook_model::{Handbook, Id, Kind, sample};
use roadbook_report::{Change, Request};
use roadbook_store::{HistoryEntry, HistoryQuery, IssuedDocument, ProgramSummary, Saved, Store};
use serde::Serialize;
use serde_json::Value;
use tauri::{AppHandle, Manager};

use crate::{AppState, CommandError, CommandResult};

/// Runs `work` with the store on a blocking thread.
async fn with_store<T, F>(app: AppHandle, work: F) -> CommandResult<T>
where
    T: Send + 'static,
    F: FnOnce(&AppState, &mut Store) -> CommandResult<T> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let mut store = state.store.lock().map_err(|_| {
            CommandError::new(
                "storage",
                "an earlier failure left the database locked: restart Roadbook",
            )
        })?;
        work(&state, &mut store)
    })
    .await
    .map_err(|e| CommandError::new("internal", format!("the command stopped: {e}")))?
}

/// What the window needs first.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct Startup {
    pub db_path: String,
    pub author: String,
    pub programs: Vec<ProgramSummary>,
    /// Set when documents are saved into this folder without asking.
    pub documents_dir: Option<String>,
}

#[tauri::command]
pub async fn startup(app: AppHandle) -> CommandResult<Startup> {
    with_store(app, |state, store| {
        Ok(Startup {
            db_path: state.db_path.display().to_string(),
            author: state.author.clone(),
            programs: store.programs()?,
            documents_dir: state
                .documents_dir
                .as_ref()
                .map(|d| d.display().to_string()),
        })
    })
    .await
}

/// Adds the bundled sample program, or a blank one named `name`.
#[tauri::command]
pub async fn create_program(
    app: AppHandle,
    sample: bool,
    name: Option<String>,
) -> CommandResult<Id> {
    with_store(app, move |state, store| {
        let handbook = if sample {
            sample::builder_insights().map_err(|e| {
                CommandError::new("internal", format!("the bundled sample is damaged: {e}"))
            })?
        } else {
            let name = name
                .filter(|n| !n.trim().is_empty())
                .ok_or_else(|| CommandError::new("invalid", "give the program a name"))?;
            Handbook::blank(name)
        };
        store.import(&handbook, &state.author)?;
        Ok(handbook.program.id)
    })
    .await
}

#[tauri::command]
pub async fn load_handbook(app: AppHandle, program: Id) -> CommandResult<Handbook> {
    with_store(app, move |_, store| Ok(store.load(program)?)).await
}

/// Creates or updates one item of `kind`, given as JSON.
#[tauri::command]
pub async fn save_item(
    app: AppHandle,
    program: Id,
    kind: Kind,
    item: Value,
) -> CommandResult<Saved> {
    with_store(app, move |state, store| {
        Ok(store.save_value(program, kind, item, &state.author)?)
    })
    .await
}

#[tauri::command]
pub async fn delete_item(app: AppHandle, id: Id) -> CommandResult<()> {
    with_store(
        app,
        move |state, store| Ok(store.delete(id, &state.author)?),
    )
    .await
}

/// Moves an item just before `before` in its list, or to the end.
#[tauri::command]
pub async fn move_item(app: AppHandle, id: Id, before: Option<Id>) -> CommandResult<Saved> {
    with_store(app, move |state, store| {
        Ok(store.move_item(id, before, &state.author)?)
    })
    .await
}

fn moment(text: &str) -> CommandResult<DateTime<Utc>> {
    if let Ok(m) = DateTime::parse_from_rfc3339(text) {
        return Ok(m.with_timezone(&Utc));
    }
    text.parse::<roadbook_model::Date>()
        .map(|d| d.naive().and_time(chrono::NaiveTime::MIN).and_utc())
        .map_err(|e| CommandError::new("invalid", e.to_string()))
}

#[tauri::command]
pub async fn history(
    app: AppHandle,
    program: Id,
    item: Option<Id>,
    since: Option<String>,
) -> CommandResult<Vec<HistoryEntry>> {
    let since = since
        .filter(|s| !s.is_empty())
        .map(|s| moment(&s))
        .transpose()?;
    with_store(app, move |_, store| {
        Ok(store.history(&HistoryQuery {
            program: Some(program),
            item,
            since,
        })?)
    })
    .await
}

/// The dashboard's "what changed since the last readout".
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct ChangesView {
    /// RFC 3339; none when no readout has been issued yet.
    pub since: Option<String>,
    pub changes: Vec<Change>,
}

#[tauri::command]
pub async fn changes_since_last_readout(app: AppHandle, program: Id) -> CommandResult<ChangesView> {
    with_store(app, move |_, store| {
        let handbook = store.load(program)?;
        let window = roadbook_report::changes_since(store, &handbook, None, Utc::now())?;
        Ok(ChangesView {
            since: window.since.map(|s| s.to_rfc3339()),
            changes: window.lines,
        })
    })
    .await
}

/// The PDF bytes of a document, for the preview; nothing is archived.
#[tauri::command]
pub async fn preview_document(
    app: AppHandle,
    request: Request,
) -> CommandResult<tauri::ipc::Response> {
    let pdf = with_store(app, move |state, store| {
        Ok(roadbook_report::prepare(store, &request, &state.author)?.pdf)
    })
    .await?;
    Ok(tauri::ipc::Response::new(pdf))
}

/// Issues the document: writes the PDF to `path` (from the save dialog) or, when the app runs
/// with ROADBOOK_DOCUMENTS_DIR, into that folder; then archives it.
#[tauri::command]
pub async fn save_document(
    app: AppHandle,
    request: Request,
    path: Option<String>,
) -> CommandResult<IssuedDocument> {
    with_store(app, move |state, store| {
        let path = match (path, &state.documents_dir) {
            (Some(path), _) => std::path::PathBuf::from(path),
            (None, Some(dir)) => dir.join(format!(
                "{}-{}.pdf",
                request.kind.as_str(),
                request.as_of.format("%Y-%m-%d")
            )),
            (None, None) => {
                return Err(CommandError::new(
                    "invalid",
                    "choose where to save the document",
                ));
            }
        };
        Ok(roadbook_report::issue(
            store,
            &request,
            &state.author,
            &path,
        )?)
    })
    .await
}

#[tauri::command]
pub async fn documents(app: AppHandle, program: Id) -> CommandResult<Vec<IssuedDocument>> {
    with_store(app, move |_, store| Ok(store.documents(program)?)).await
}
