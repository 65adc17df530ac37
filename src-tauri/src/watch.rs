//! One truth on every screen: the window notices when another process (the command line, a
//! second window) writes to its database, and tells the screens to read it again. The window's
//! own writes and the background sync's (same connection) are not news here: the screens reload
//! after those themselves.

use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager};

use crate::AppState;

/// The event the window hears when another process wrote to the database.
pub const DATABASE_CHANGED_EVENT: &str = "database-changed";

/// How often the database is asked: a change from a terminal shows within about this long, at
/// the cost of one `PRAGMA data_version` (no disk read) each time.
const EVERY: Duration = Duration::from_millis(400);

/// Starts the watch on a thread of its own, for the life of the app.
pub fn start(app: &AppHandle) {
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("database-watch".into())
        .spawn(move || {
            let mut last = None;
            // Each new problem is said once, not every 400 ms.
            let mut said = String::new();
            loop {
                std::thread::sleep(EVERY);
                let version = {
                    let state = app.state::<AppState>();
                    let Ok(store) = state.store.lock() else {
                        return;
                    };
                    store.data_version()
                };
                match version {
                    Ok(version) => {
                        said.clear();
                        if last.is_some_and(|last| last != version)
                            && let Err(err) = app.emit(DATABASE_CHANGED_EVENT, ())
                        {
                            eprintln!(
                                "roadbook-desktop: the window was not told of a change: {err}"
                            );
                        }
                        last = Some(version);
                    }
                    Err(err) => {
                        let text = err.to_string();
                        if text != said {
                            eprintln!("roadbook-desktop: watching the database: {text}");
                            said = text;
                        }
                    }
                }
            }
        });
    if let Err(err) = spawned {
        eprintln!("roadbook-desktop: the database watch did not start: {err}");
    }
}
