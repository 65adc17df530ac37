//! The IPC commands. Each runs its store work on a blocking thread, never on the main thread.

use chrono::{DateTime, Utc};
use roadbook_model::{Handbook, Id, Kind, sample};
use roadbook_report::{Change, Request};
use roadbook_store::{
    Edits, HistoryEntry, HistoryQuery, IssuedDocument, Loaded, ProgramSummary, Saved, Store,
};
use serde::Serialize;
use serde_json::Value;
use tauri::{AppHandle, Manager};

use crate::{AppState, CommandError, CommandResult, ErrorCode};

/// Runs `work` with the store on a blocking thread.
pub(crate) async fn with_store<T, F>(app: AppHandle, work: F) -> CommandResult<T>
where
    T: Send + 'static,
    F: FnOnce(&AppState, &mut Store) -> CommandResult<T> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let mut store = state.store.lock().map_err(|_| {
            CommandError::new(
                ErrorCode::Storage,
                "an earlier failure left the database locked: restart Roadbook",
            )
        })?;
        work(&state, &mut store)
    })
    .await
    .map_err(|e| CommandError::new(ErrorCode::Internal, format!("the command stopped: {e}")))?
}

/// A local change was written: the team syncs soon.
fn changed(app: &AppHandle) {
    app.state::<AppState>().syncs.wake();
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
    /// The servers to offer when connecting another program: those the person's sign-in may
    /// be sent to (a database's own server is offered only once the person trusts it, so a
    /// copied database cannot put a stranger's address in front of them).
    pub servers: Vec<String>,
    /// Whether there is a sign-in to reach a server with (or a token given at start).
    pub signed_in: bool,
}

#[tauri::command]
pub async fn startup(app: AppHandle) -> CommandResult<Startup> {
    with_store(app, |state, store| {
        let programs = store.programs()?;
        let account = state.account();
        let given_token = state.session.token().is_some();
        let mut servers = account
            .as_ref()
            .map(|a| a.trusted_servers())
            .unwrap_or_default();
        for program in &programs {
            if let Some(server) = store.sync_state(program.id)?.server
                && !servers.contains(&server)
                && (given_token || account.as_ref().is_some_and(|a| a.trusts(&server)))
            {
                servers.push(server);
            }
        }
        Ok(Startup {
            db_path: state.session.db.display().to_string(),
            author: state.author().name,
            programs,
            servers,
            signed_in: state.credentials().is_ok(),
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
                CommandError::new(
                    ErrorCode::Internal,
                    format!("the bundled sample is damaged: {e}"),
                )
            })?
        } else {
            let name = name
                .filter(|n| !n.trim().is_empty())
                .ok_or_else(|| CommandError::new(ErrorCode::Invalid, "give the program a name"))?;
            Handbook::blank(name)
        };
        store.import(&handbook, &state.author().name)?;
        Ok(handbook.program.id)
    })
    .await
}

/// The handbook with the revision of every field, read together: the window's edits name the
/// revisions they were made from.
#[tauri::command]
pub async fn load_handbook(app: AppHandle, program: Id) -> CommandResult<Loaded> {
    with_store(app, move |_, store| Ok(store.load_with_revisions(program)?)).await
}

/// Adds one new item of `kind`, given as JSON.
#[tauri::command]
pub async fn create_item(
    app: AppHandle,
    program: Id,
    kind: Kind,
    item: Value,
) -> CommandResult<Saved> {
    let saved = with_store(app.clone(), move |state, store| {
        state.may_change(program)?;
        Ok(store.create_value(program, kind, item, &state.author().name)?)
    })
    .await?;
    changed(&app);
    Ok(saved)
}

/// Writes the fields a person changed, each with the revision they saw. A field someone else
/// changed meanwhile comes back as a `stale` error with the clashes, nothing written.
#[tauri::command]
pub async fn edit_item(
    app: AppHandle,
    program: Id,
    kind: Kind,
    id: Id,
    edits: Edits,
) -> CommandResult<Saved> {
    let saved = with_store(app.clone(), move |state, store| {
        state.may_change(program)?;
        Ok(store.edit(program, kind, id, &edits, &state.author().name)?)
    })
    .await?;
    changed(&app);
    Ok(saved)
}

#[tauri::command]
pub async fn delete_item(app: AppHandle, id: Id) -> CommandResult<()> {
    with_store(app.clone(), move |state, store| {
        state.may_change(store.locate(id)?.program_id)?;
        Ok(store.delete(id, &state.author().name)?)
    })
    .await?;
    changed(&app);
    Ok(())
}

/// Brings back a deleted item, in its old place (the undo of a delete).
#[tauri::command]
pub async fn restore_item(app: AppHandle, id: Id) -> CommandResult<()> {
    with_store(app.clone(), move |state, store| {
        state.may_change(store.locate_deleted(id)?.program_id)?;
        Ok(store.restore(id, &state.author().name)?)
    })
    .await?;
    changed(&app);
    Ok(())
}

/// Moves an item just before `before` in its list, or to the end.
#[tauri::command]
pub async fn move_item(app: AppHandle, id: Id, before: Option<Id>) -> CommandResult<Saved> {
    let saved = with_store(app.clone(), move |state, store| {
        state.may_change(store.locate(id)?.program_id)?;
        Ok(store.move_item(id, before, &state.author().name)?)
    })
    .await?;
    changed(&app);
    Ok(saved)
}

fn moment(text: &str) -> CommandResult<DateTime<Utc>> {
    if let Ok(m) = DateTime::parse_from_rfc3339(text) {
        return Ok(m.with_timezone(&Utc));
    }
    text.parse::<roadbook_model::Date>()
        .map(|d| d.naive().and_time(chrono::NaiveTime::MIN).and_utc())
        .map_err(|e| CommandError::new(ErrorCode::Invalid, e.to_string()))
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
        Ok(roadbook_report::prepare(store, &request, state.author().byline())?.pdf)
    })
    .await?;
    Ok(tauri::ipc::Response::new(pdf))
}

/// Where to write a document: the configured documents folder, else the place the person picks
/// in the save dialog this side opens. `None` when they cancel.
async fn choose_path(app: &AppHandle, name: String) -> CommandResult<Option<std::path::PathBuf>> {
    choose_place(app, name, "Save the document", ("PDF", "pdf")).await
}

/// Where to write a file: the configured documents folder, else the place the person picks in
/// the save dialog this side opens (`title`, and a filter of one kind of file). `None` when
/// they cancel.
pub(crate) async fn choose_place(
    app: &AppHandle,
    name: String,
    title: &'static str,
    (kind, extension): (&'static str, &'static str),
) -> CommandResult<Option<std::path::PathBuf>> {
    if let Some(dir) = app.state::<AppState>().documents_dir.clone() {
        return Ok(Some(dir.join(name)));
    }
    dialog(
        app,
        "save",
        move |file| {
            file.set_title(title)
                .add_filter(kind, &[extension])
                .set_file_name(name)
                .blocking_save_file()
        },
        ("that place cannot be written to", "a folder"),
    )
    .await
}

/// Opens one of this side's file dialogs (`which`: save or open) and waits for the person's
/// answer on a blocking thread, before the store is locked, so the window keeps working behind
/// it. The place chosen, or `None` when they cancel; a place that is no file on this computer is
/// an error saying `(what is wrong, what to choose instead)`.
async fn dialog(
    app: &AppHandle,
    which: &'static str,
    ask: impl FnOnce(
        tauri_plugin_dialog::FileDialogBuilder<tauri::Wry>,
    ) -> Option<tauri_plugin_dialog::FilePath>
    + Send
    + 'static,
    (wrong, instead): (&'static str, &'static str),
) -> CommandResult<Option<std::path::PathBuf>> {
    let app = app.clone();
    let chosen = tauri::async_runtime::spawn_blocking(move || {
        use tauri_plugin_dialog::DialogExt;
        ask(app.dialog().file())
    })
    .await
    .map_err(|e| {
        CommandError::new(
            ErrorCode::Internal,
            format!("the {which} dialog stopped: {e}"),
        )
    })?;
    chosen
        .map(|c| {
            c.into_path().map_err(|e| {
                CommandError::new(
                    ErrorCode::Io,
                    format!("{wrong} ({e}): choose {instead} on this computer"),
                )
            })
        })
        .transpose()
}

/// Exports the whole program as JSON (what `roadbook export` writes) where the person chooses,
/// or into the documents folder when one is set. The file's name, or `None` when they cancel.
#[tauri::command]
pub async fn export_program(app: AppHandle, program: Id) -> CommandResult<Option<String>> {
    let handbook = with_store(app.clone(), move |_, store| Ok(store.load(program)?)).await?;
    let stem = roadbook_report::slug(&handbook.program.name);
    let name = format!("{}.json", if stem.is_empty() { "program" } else { &stem });
    let Some(path) = choose_place(
        &app,
        name,
        "Export the program",
        ("Roadbook program", "json"),
    )
    .await?
    else {
        return Ok(None);
    };
    let text = handbook.to_json().map_err(|e| {
        CommandError::new(
            ErrorCode::Internal,
            format!("the program did not export: {e}"),
        )
    })?;
    roadbook_store::write_atomically(&path, text.as_bytes())
        .map_err(|e| CommandError::new(ErrorCode::Io, format!("{e}; choose another place")))?;
    Ok(Some(path.file_name().map_or_else(String::new, |n| {
        n.to_string_lossy().into_owned()
    })))
}

/// With a documents folder set, the programs a person may import: the names of the JSON files
/// in it (the window offers them; the folder stays this side's). `None`: the open dialog asks.
#[tauri::command]
pub fn import_choices(app: AppHandle) -> CommandResult<Option<Vec<String>>> {
    let Some(dir) = app.state::<AppState>().documents_dir.clone() else {
        return Ok(None);
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| CommandError::new(ErrorCode::Io, format!("{}: {e}", dir.display())))?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    Ok(Some(names))
}

/// Imports a program from a file: with a documents folder set, one of the names
/// [`import_choices`] offered; else the file the person picks in the open dialog this side
/// opens. All of it or, on any problem, nothing (the checks of `roadbook import`). The new
/// program's id, or `None` when they cancel.
#[tauri::command]
pub async fn import_program(app: AppHandle, name: Option<String>) -> CommandResult<Option<Id>> {
    let path = match (app.state::<AppState>().documents_dir.clone(), name) {
        (Some(dir), Some(name)) => {
            let offered = import_choices(app.clone())?.unwrap_or_default();
            if !offered.contains(&name) {
                return Err(CommandError::new(
                    ErrorCode::Invalid,
                    format!(
                        "{name} is not a program file in the documents folder: choose one of those listed"
                    ),
                ));
            }
            dir.join(name)
        }
        (Some(_), None) => {
            return Err(CommandError::new(
                ErrorCode::Invalid,
                "choose one of the program files listed",
            ));
        }
        (None, _) => {
            let picked = dialog(
                &app,
                "open",
                |file| {
                    file.set_title("Import a program")
                        .add_filter("Roadbook program", &["json"])
                        .blocking_pick_file()
                },
                ("that file cannot be read", "a file"),
            )
            .await?;
            let Some(path) = picked else {
                return Ok(None);
            };
            path
        }
    };
    let shown = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CommandError::new(ErrorCode::Io, format!("{shown} cannot be read: {e}")))?;
    let handbook = roadbook_model::Handbook::from_json(&text).map_err(|e| {
        CommandError::new(ErrorCode::Invalid, format!("{shown} was not imported: {e}"))
    })?;
    let id = handbook.program.id;
    with_store(app.clone(), move |state, store| {
        Ok(store.import(&handbook, &state.author().name)?)
    })
    .await
    .map_err(|e| CommandError {
        message: format!("{shown} was not imported: {}", e.message),
        ..e
    })?;
    changed(&app);
    Ok(Some(id))
}

/// An archived document rendered again here and checked to be the one issued (core's).
fn regenerated(store: &Store, id: Id) -> CommandResult<(IssuedDocument, Vec<u8>)> {
    Ok(roadbook_core::sending::regenerate_verified(store, id)?)
}

/// The archived document rendered again and checked, for the preview.
#[tauri::command]
pub async fn regenerate_document(app: AppHandle, id: Id) -> CommandResult<tauri::ipc::Response> {
    let (_, pdf) = with_store(app, move |_, store| regenerated(store, id)).await?;
    Ok(tauri::ipc::Response::new(pdf))
}

/// Saves an archived document, rendered again here and checked, where the person chooses.
/// Nothing new is archived: it is the same document. False when they cancel.
#[tauri::command]
pub async fn save_archived_document(app: AppHandle, id: Id) -> CommandResult<bool> {
    let (record, pdf, program) = with_store(app.clone(), move |_, store| {
        regenerated_of_program(store, id)
    })
    .await?;
    let name = file_name(&program, &record.kind, day_of(&record), "");
    let Some(path) = choose_path(&app, name).await? else {
        return Ok(false);
    };
    roadbook_store::write_atomically(&path, &pdf)
        .map_err(|e| CommandError::new(ErrorCode::Io, format!("{e}; choose another place")))?;
    Ok(true)
}

/// Issues the document where the person chooses in the save dialog, which this side opens: the
/// webview never names a path the shell writes to. With ROADBOOK_DOCUMENTS_DIR set (kiosk setups,
/// the end-to-end test) the document goes into that folder without asking. `None` when the
/// person cancels the dialog. With a conflict open it is refused (code `open_conflicts`, before
/// any dialog) unless the person said to issue anyway (`with_open_conflicts`); the archive entry
/// then records the conflicts.
#[tauri::command]
pub async fn save_document(
    app: AppHandle,
    request: Request,
    with_open_conflicts: Option<bool>,
) -> CommandResult<Option<IssuedDocument>> {
    // Not given: no (a conflict open refuses the document).
    let with_open_conflicts = with_open_conflicts.unwrap_or(false);
    let program = request.program;
    // Refused before any dialog opens; `issue` asks again, for what changed meanwhile.
    let program_name = with_store(app.clone(), move |_, store| {
        roadbook_core::sending::conflicts_to_issue_over(store, program, with_open_conflicts)?;
        program_name(store, program)
    })
    .await?;
    let name = file_name(
        &program_name,
        request.kind.as_str(),
        &request.as_of.format("%Y-%m-%d").to_string(),
        "",
    );
    let Some(path) = choose_path(&app, name).await? else {
        return Ok(None);
    };
    let issued = with_store(app.clone(), move |state, store| {
        Ok(roadbook_core::sending::issue(
            store,
            &request,
            state.author().byline(),
            &path,
            with_open_conflicts,
        )?)
    })
    .await?;
    // The team's archive gets it with the next sync.
    changed(&app);
    Ok(Some(issued))
}

/// Prints the document on the printer the person picks in the system's print dialog (or the one
/// `ROADBOOK_PRINTER` names) and, once the printer took it, archives it like a saved one: what
/// went to leadership on paper is in the archive too. `None` when the person cancels; then
/// nothing is archived.
#[tauri::command]
pub async fn print_document(
    app: AppHandle,
    request: Request,
    with_open_conflicts: Option<bool>,
) -> CommandResult<Option<IssuedDocument>> {
    let with_open_conflicts = with_open_conflicts.unwrap_or(false);
    let issued = with_store(app.clone(), move |state, store| {
        let open = roadbook_core::sending::conflicts_to_issue_over(
            store,
            request.program,
            with_open_conflicts,
        )?;
        let mut issued = roadbook_report::prepare(store, &request, state.author().byline())?;
        roadbook_core::sending::note_conflicts(&mut issued.record, open);
        Ok((issued, program_name(store, request.program)?))
    })
    .await?;
    let (issued, program) = issued;
    let printout = printout(&program, &issued.record);
    let documents_dir = app.state::<AppState>().documents_dir.clone();
    if !crate::printing::print(&app, printout, &issued.pdf, documents_dir).await? {
        return Ok(None);
    }
    let record = with_store(app.clone(), move |_, store| {
        store.archive_document(&issued.record, &issued.snapshot)?;
        Ok(issued.record)
    })
    .await?;
    changed(&app);
    Ok(Some(record))
}

/// Prints an archived document, rendered again here and checked; nothing new is archived.
/// False when the person cancels.
#[tauri::command]
pub async fn print_archived_document(app: AppHandle, id: Id) -> CommandResult<bool> {
    let (record, pdf, program) = with_store(app.clone(), move |_, store| {
        regenerated_of_program(store, id)
    })
    .await?;
    let documents_dir = app.state::<AppState>().documents_dir.clone();
    crate::printing::print(&app, printout(&program, &record), &pdf, documents_dir).await
}

/// A document kind's title ("Leadership Readout"), from the word the archive keeps.
fn document_title(kind: &str) -> &str {
    roadbook_report::DocumentKind::ALL
        .iter()
        .find(|k| k.as_str() == kind)
        .map_or(kind, |k| k.title())
}

/// The day an archived document is as of (`2026-12-04`), for its file names.
fn day_of(record: &IssuedDocument) -> &str {
    record.as_of.get(..10).unwrap_or("document")
}

/// The program's name, for file names and a printer's queue: its one record, read by id.
fn program_name(store: &Store, program: Id) -> CommandResult<String> {
    Ok(store.get::<roadbook_model::Program>(program)?.1.name)
}

/// [`regenerated`], with the name of the program it belongs to (for its file name).
fn regenerated_of_program(
    store: &Store,
    id: Id,
) -> CommandResult<(IssuedDocument, Vec<u8>, String)> {
    let (record, pdf) = regenerated(store, id)?;
    let program = program_name(store, record.program_id)?;
    Ok((record, pdf, program))
}

/// A document's file name, program first, so a folder of documents from several programs reads
/// which is which: `builder-insights-operationalization-readout-2026-12-07.pdf`.
fn file_name(program: &str, kind: &str, day: &str, suffix: &str) -> String {
    let stem = roadbook_report::slug(program);
    if stem.is_empty() {
        format!("{kind}-{day}{suffix}.pdf")
    } else {
        format!("{stem}-{kind}-{day}{suffix}.pdf")
    }
}

/// How a printer's queue names the document, and the file a printer that writes files makes.
fn printout(program: &str, record: &IssuedDocument) -> crate::printing::Printout {
    let day = day_of(record);
    crate::printing::Printout {
        title: format!("{program} — {} {day}", document_title(&record.kind)),
        file_name: file_name(program, &record.kind, day, "-printed"),
    }
}

#[tauri::command]
pub async fn documents(app: AppHandle, program: Id) -> CommandResult<Vec<IssuedDocument>> {
    with_store(app, move |_, store| Ok(store.documents(program)?)).await
}

/// Whether this database shares usage counts with the team's server, and how many wait.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct UsageSharing {
    pub on: bool,
    pub waiting: u32,
}

fn usage_sharing_of(store: &Store) -> CommandResult<UsageSharing> {
    Ok(UsageSharing {
        on: store.share_usage()?,
        waiting: u32::try_from(
            store
                .queued_usage(roadbook_protocol::MAX_USAGE_EVENTS)?
                .len(),
        )
        .unwrap_or(u32::MAX),
    })
}

#[tauri::command]
pub async fn usage_sharing(app: AppHandle) -> CommandResult<UsageSharing> {
    with_store(app, |_, store| usage_sharing_of(store)).await
}

/// Turns sharing on or off (off also drops what waits).
#[tauri::command]
pub async fn set_usage_sharing(app: AppHandle, on: bool) -> CommandResult<UsageSharing> {
    with_store(app, move |_, store| {
        store.set_share_usage(on)?;
        usage_sharing_of(store)
    })
    .await
}

/// The window tells of a review outcome it recorded (a series of edits the shell cannot see
/// as one). Counted only when sharing is on; the other kinds the shell counts itself.
#[tauri::command]
pub async fn review_recorded(app: AppHandle) -> CommandResult<()> {
    with_store(app, |_, store| {
        Ok(store.note_usage(roadbook_model::UsageKind::ReviewRecorded)?)
    })
    .await
}

/// What else goes stale when these decisions are decided (asks, workstreams): a review's
/// outcome offers to settle them too.
#[tauri::command]
pub async fn outcome_follow_ups(
    app: AppHandle,
    program: Id,
    decided: Vec<Id>,
) -> CommandResult<roadbook_model::FollowUps> {
    with_store(app, move |_, store| {
        let handbook = store.load(program)?;
        Ok(roadbook_model::follow_ups(&handbook, &decided))
    })
    .await
}

/// The check before sending, for the program on the person's today.
#[tauri::command]
pub async fn check_program(
    app: AppHandle,
    program: Id,
) -> CommandResult<Vec<roadbook_model::Finding>> {
    with_store(app, move |_, store| {
        let handbook = store.load(program)?;
        let today = chrono::Local::now().date_naive().into();
        Ok(roadbook_core::sending::check(store, &handbook, today)?)
    })
    .await
}
