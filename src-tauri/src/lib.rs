//! The desktop shell. Commands parse their arguments, call one core function and map the error;
//! store work runs off the main thread. Everything a test needs lives in the crates below.

mod baselines;
mod commands;
mod error;
mod links;
mod portfolio;
mod printing;
mod reminders;
pub mod rendering;
mod signin;
mod sync;
mod watch;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use roadbook_core::{CoreError, Options, Session};
use roadbook_model::Id;
use roadbook_store::Store;
use roadbook_sync::{Account, Client, Credentials, HttpTransport};

pub use error::{CommandError, CommandResult, ErrorCode};

/// What the commands share: the open database, who edits, and the background syncs.
#[derive(Debug)]
pub struct AppState {
    /// Shared with the background syncs, which hold it only while the store works.
    pub store: Arc<Mutex<Store>>,
    pub syncs: sync::Syncs,
    pub session: Session,
    /// The sign-in this machine keeps, shared by every sync of the window (one access token,
    /// refreshed under the machine-wide lock). None: signed out.
    pub account: Mutex<Option<Arc<Account>>>,
    /// Who history records, by [`roadbook_core::who`]: worked out again when the person signs
    /// in or out or sets their name.
    pub author: Mutex<roadbook_core::Author>,
    /// Each connected program's role for this person, as the server last said: a viewer's
    /// screens are read-only, and the commands refuse their writes too.
    pub roles: Mutex<HashMap<Id, String>>,
    /// When set, documents are saved here without asking (kiosk setups and the end-to-end test).
    pub documents_dir: Option<PathBuf>,
}

impl AppState {
    /// Who history records for the next change.
    pub fn author(&self) -> roadbook_core::Author {
        self.author
            .lock()
            .map(|a| a.clone())
            .unwrap_or_else(|_| self.session.author.clone())
    }

    /// Works out who the person is again (after a sign-in, a sign-out, a new name).
    pub fn find_author(&self) {
        let account = self.account();
        let author = roadbook_core::who(
            None,
            &self.session.config_dir,
            account.as_deref().map(Account::identity),
        );
        if let Ok(mut kept) = self.author.lock() {
            *kept = author;
        }
    }

    pub fn account(&self) -> Option<Arc<Account>> {
        self.account.lock().ok().and_then(|a| a.clone())
    }

    /// What the syncs send: `ROADBOOK_TOKEN` when set, else the window's sign-in.
    pub fn credentials(&self) -> Result<Arc<dyn Credentials>, CoreError> {
        self.session.credentials_with(self.account())
    }

    /// The client for the server a program's database names: the sign-in goes only to a
    /// server the person chose.
    pub fn client(&self, server: &str) -> Result<Client<HttpTransport>, CoreError> {
        self.session.client_with(server, self.account())
    }

    /// The client for a server the person typed in this window (publish, join, the join
    /// list): typing it is choosing it, once it is seen to take this sign-in.
    pub async fn chosen_client(&self, server: &str) -> Result<Client<HttpTransport>, CoreError> {
        self.session.chosen_client(server, self.account()).await
    }

    /// Refuses a change to a program the person may only view.
    pub fn may_change(&self, program: Id) -> CommandResult<()> {
        let role = self
            .roles
            .lock()
            .ok()
            .and_then(|roles| roles.get(&program).cloned());
        if is_viewer(role.as_deref()) {
            return Err(CommandError::new(ErrorCode::ReadOnly, signin::READ_ONLY));
        }
        Ok(())
    }
}

/// `--db PATH` (or `--db=PATH`) from the command line; the rest is the core's to decide.
fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--db" {
            return args
                .next()
                .map(|path| Options {
                    db: Some(PathBuf::from(path)),
                    author: None,
                })
                .ok_or_else(|| "--db needs a path".to_owned());
        }
        if let Some(path) = arg.strip_prefix("--db=") {
            return Ok(Options {
                db: Some(PathBuf::from(path)),
                author: None,
            });
        }
    }
    Ok(Options::default())
}

/// Whether the role the server last gave on a program is a viewer's (read only), by the
/// protocol's role, not a string compared here.
pub(crate) fn is_viewer(role: Option<&str>) -> bool {
    role.and_then(|r| r.parse::<roadbook_protocol::Role>().ok())
        == Some(roadbook_protocol::Role::Viewer)
}

/// Opens the database and builds the app state.
pub fn state() -> Result<AppState, String> {
    let session = Session::resolve(options()?).map_err(|e| e.to_string())?;
    let store = session.open().map_err(|e| e.to_string())?;
    let account = session.account().map_err(|e| e.to_string())?.map(Arc::new);
    Ok(AppState {
        store: Arc::new(Mutex::new(store)),
        syncs: sync::Syncs::default(),
        account: Mutex::new(account),
        author: Mutex::new(session.author.clone()),
        roles: Mutex::new(HashMap::new()),
        session,
        documents_dir: std::env::var_os("ROADBOOK_DOCUMENTS_DIR").map(PathBuf::from),
    })
}

/// When the process started, for the launch-to-first-paint figure (`scripts/bench-desktop.sh`).
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

pub fn run() {
    STARTED.get_or_init(std::time::Instant::now);
    // First, before GTK or WebKit start: it may restart the process (see rendering.rs).
    if let Err(message) = rendering::prepare() {
        eprintln!("roadbook-desktop: {message}");
        std::process::exit(1);
    }
    let state = match state() {
        Ok(state) => state,
        Err(message) => {
            // Before any window exists there is nowhere else to say it.
            eprintln!("roadbook-desktop: {message}");
            std::process::exit(1);
        }
    };
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .manage(state)
        .setup(|app| {
            // The syncs run on Tauri's runtime, started once the window can hear their status.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move { sync::start_all(&handle) });
            reminders::start(app.handle());
            watch::start(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::startup,
            commands::create_program,
            commands::load_handbook,
            commands::create_item,
            commands::edit_item,
            commands::delete_item,
            commands::restore_item,
            commands::move_item,
            commands::history,
            commands::changes_since_last_readout,
            commands::preview_document,
            commands::save_document,
            commands::documents,
            commands::regenerate_document,
            commands::save_archived_document,
            commands::print_document,
            commands::print_archived_document,
            commands::usage_sharing,
            commands::check_program,
            commands::export_program,
            commands::import_choices,
            commands::import_program,
            commands::outcome_follow_ups,
            commands::set_usage_sharing,
            commands::review_recorded,
            baselines::plan_baseline,
            links::other_items,
            links::links,
            portfolio::portfolio,
            portfolio::choose_portfolio,
            portfolio::preview_portfolio,
            portfolio::save_portfolio,
            sync::sync_status,
            sync::sync_now,
            sync::server_programs,
            sync::publish_program,
            sync::join_program,
            sync::conflicts,
            sync::resolve_conflict,
            sync::rejected,
            sync::retry_rejected,
            sync::discard_rejected,
            sync::set_aside,
            sync::retry_set_aside,
            sync::discard_set_aside,
            sync::trust_program_server,
            reminders::my_items,
            reminders::set_you_are,
            reminders::reminders,
            reminders::set_reminders,
            signin::who_am_i,
            signin::sign_in,
            signin::sign_out,
            signin::program_access,
            signin::provider_settings,
            signin::save_provider_settings,
            signin::your_name,
            signin::set_your_name,
            first_paint,
        ])
        .run(tauri::generate_context!());
    if let Err(err) = result {
        eprintln!("roadbook-desktop: {err}");
        std::process::exit(1);
    }
}

/// The UI calls this once the dashboard (or the first-launch screen) has painted. With
/// ROADBOOK_STARTUP_TRACE set, the time since start goes to stderr for the launch benchmark.
#[tauri::command]
fn first_paint() {
    static SAID: std::sync::Once = std::sync::Once::new();
    if std::env::var_os("ROADBOOK_STARTUP_TRACE").is_some() {
        SAID.call_once(|| {
            let ms = STARTED.get().map_or(0, |t| t.elapsed().as_millis());
            eprintln!("roadbook-desktop: first meaningful paint after {ms} ms");
        });
    }
}
