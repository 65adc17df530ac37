//! My items and the reminders: who the person is in each program (kept in their settings file,
//! so the shell knows it too), what is theirs, and a desktop notification when something of
//! theirs falls due or becomes overdue. Each item is announced once per state (due today,
//! overdue); what was announced is kept beside the database, so a restart does not repeat it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use roadbook_core::FileConfig;
use roadbook_model::{Due, Handbook, Id, MyItem};
use roadbook_store::Store;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::commands::with_store;
use crate::{AppState, CommandError, CommandResult, ErrorCode};

/// How often the shell looks for items that fell due: the day turning, a teammate's change or
/// the command line's show up within this. `ROADBOOK_REMIND_EVERY` (seconds) shortens it for
/// tests and demos.
fn every() -> Duration {
    std::env::var("ROADBOOK_REMIND_EVERY")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(Duration::from_secs(60), Duration::from_secs)
}

/// The person's day.
fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn settings(state: &AppState) -> CommandResult<FileConfig> {
    FileConfig::load(&state.session.config_dir).map_err(CommandError::from)
}

/// Who the person is in `h`: their choice in the settings file, else the person owner that
/// carries the name their changes are recorded as.
fn you(state: &AppState, file: &FileConfig, h: &Handbook) -> Option<Id> {
    roadbook_model::who_you_are(
        h,
        file.you_are.get(&h.program.id).copied(),
        Some(&state.author().name),
    )
}

/// The My items screen.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct MyItems {
    /// The person owner the person is in this program, when known.
    pub you: Option<Id>,
    pub items: Vec<MyItem>,
}

/// The person's items in `h`, with the dependencies between programs that broke and are theirs
/// (the store judges them, or says what the server said).
fn my_items_of(state: &AppState, store: &Store, h: &Handbook) -> CommandResult<MyItems> {
    let file = settings(state)?;
    let you = you(state, &file, h);
    let links = store.links_of(h, today())?;
    let items = you.map_or_else(Vec::new, |me| {
        roadbook_model::my_items_and_links(h, me, today(), &links)
    });
    Ok(MyItems { you, items })
}

#[tauri::command]
pub async fn my_items(app: AppHandle, program: Id) -> CommandResult<MyItems> {
    with_store(app, move |state, store| {
        my_items_of(state, store, &store.load(program)?)
    })
    .await
}

/// Records who the person is in `program` (none: go by their name again). Refused when the
/// owner is not a person of that program.
#[tauri::command]
pub async fn set_you_are(app: AppHandle, program: Id, you: Option<Id>) -> CommandResult<MyItems> {
    let mine = with_store(app.clone(), move |state, store| {
        let h = store.load(program)?;
        if let Some(you) = you
            && roadbook_model::who_you_are(&h, Some(you), None) != Some(you)
        {
            return Err(CommandError::new(
                ErrorCode::Invalid,
                "that owner is not a person in this program: add yourself as an owner of kind person under Settings, then choose yourself",
            ));
        }
        FileConfig::update(&state.session.config_dir, |file| match you {
            Some(you) => {
                file.you_are.insert(program, you);
            }
            None => {
                file.you_are.remove(&program);
            }
        })?;
        my_items_of(state, store, &h)
    })
    .await?;
    remind_soon(&app);
    Ok(mine)
}

/// Whether the desktop reminds the person, and when it last looked for what fell due.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize)]
pub struct Reminders {
    pub on: bool,
    /// How many looks the loop has made since the app started (the end-to-end tests wait on it
    /// rather than on the clock).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub looks: u64,
    /// When the last look ended (RFC 3339, UTC), none before the first.
    pub last_look: Option<String>,
}

/// The reminders' loop's count of looks, and when the last one ended.
#[derive(Debug, Default)]
struct Looks {
    count: std::sync::atomic::AtomicU64,
    last: std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>,
}

impl Looks {
    fn looked(&self) {
        self.count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut last) = self.last.lock() {
            *last = Some(chrono::Utc::now());
        }
    }
}

#[tauri::command]
pub async fn reminders(app: AppHandle) -> CommandResult<Reminders> {
    let on = settings(&app.state::<AppState>())?.reminders_on();
    let (looks, last_look) = app.try_state::<Looks>().map_or((0, None), |l| {
        let last = l.last.lock().ok().and_then(|t| *t);
        (
            l.count.load(std::sync::atomic::Ordering::SeqCst),
            last.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        )
    });
    Ok(Reminders {
        on,
        looks,
        last_look,
    })
}

#[tauri::command]
pub async fn set_reminders(app: AppHandle, on: bool) -> CommandResult<bool> {
    let state = app.state::<AppState>();
    let file = FileConfig::update(&state.session.config_dir, |file| {
        // On is the default: the file only says so when it is off.
        file.reminders = (!on).then_some(false);
    })?;
    remind_soon(&app);
    Ok(file.reminders_on())
}

/// What was announced: each item's date and state when it was, as `2026-12-04 due` or
/// `2026-12-04 overdue`. A new date, or the next state, is announced again.
type Announced = BTreeMap<Id, String>;

fn announced_path(db: &Path) -> PathBuf {
    db.with_extension("reminded.json")
}

fn read_announced(path: &Path) -> Announced {
    // Unreadable or missing: announce afresh (a repeated reminder is better than a lost one).
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

fn mark(item: &MyItem, today: NaiveDate) -> String {
    let due = item.due.map(|d| d.to_string()).unwrap_or_default();
    let word = if item.state == Some(Due::Overdue) {
        "overdue"
    } else if item.has_fallen_due(today) {
        "due"
    } else {
        ""
    };
    format!("{due} {word}")
}

/// One notification: its title and body, and the program whose My items it opens.
struct Reminder {
    title: String,
    body: String,
    program: Id,
}

fn line(item: &MyItem) -> String {
    let date = item.due.map(|d| d.to_string()).unwrap_or_default();
    if item.state == Some(Due::Overdue) {
        format!("Overdue since {date}: {}", item.label)
    } else {
        format!("Due today: {}", item.label)
    }
}

/// The notification for what fell due in one program: one item by itself, several as a list
/// (the first five; My items has them all).
fn reminder(h: &Handbook, items: &[&MyItem]) -> Option<Reminder> {
    const SHOWN: usize = 5;
    match items {
        [] => None,
        [one] => Some(Reminder {
            title: line(one),
            body: format!("{} · {}", one.why, h.program.name),
            program: h.program.id,
        }),
        many => {
            let mut body: Vec<String> = many.iter().take(SHOWN).map(|i| line(i)).collect();
            if many.len() > SHOWN {
                body.push(format!("and {} more in My items", many.len() - SHOWN));
            }
            Some(Reminder {
                title: format!(
                    "{} of your items in {} have fallen due",
                    many.len(),
                    h.program.name
                ),
                body: body.join("\n"),
                program: h.program.id,
            })
        }
    }
}

/// What to announce now: for each program, the person's items that fell due and were not
/// announced in that state; and what the announced record becomes (only items still due, so
/// it never grows past the person's open items).
fn due_now(
    programs: &[(Handbook, Option<Id>, Vec<roadbook_model::Link>)],
    announced: &Announced,
    today: NaiveDate,
) -> (Vec<Reminder>, Announced) {
    let mut reminders = Vec::new();
    let mut kept = Announced::new();
    for (h, you, links) in programs {
        let Some(me) = you else { continue };
        let items = roadbook_model::my_items_and_links(h, *me, today, links);
        let fallen: Vec<&MyItem> = items.iter().filter(|i| i.has_fallen_due(today)).collect();
        let new: Vec<&MyItem> = fallen
            .iter()
            .copied()
            .filter(|i| announced.get(&i.id) != Some(&mark(i, today)))
            .collect();
        reminders.extend(reminder(h, &new));
        kept.extend(fallen.iter().map(|i| (i.id, mark(i, today))));
    }
    (reminders, kept)
}

/// What a look saw: while none of it changes (no change written or pulled, the same day, the
/// same settings and name), nothing can have fallen due since, and the next look reads nothing.
#[derive(Debug, PartialEq)]
struct LastLook {
    change: i64,
    day: NaiveDate,
    settings: FileConfig,
    author: String,
}

/// Looks once: announces what fell due since the last look. `seen` is what the last complete
/// look saw.
fn look_for_due_items(app: &AppHandle, seen: &mut Option<LastLook>) -> CommandResult<()> {
    let state = app.state::<AppState>();
    let file = settings(&state)?;
    if !file.reminders_on() {
        *seen = None;
        return Ok(());
    }
    let day = today();
    let (now, programs) = {
        let store = state.store.lock().map_err(|_| {
            CommandError::new(
                ErrorCode::Storage,
                "an earlier failure left the database locked: restart Roadbook",
            )
        })?;
        let now = LastLook {
            change: store.last_change()?,
            day,
            settings: file.clone(),
            author: state.author().name,
        };
        if seen.as_ref() == Some(&now) {
            return Ok(());
        }
        let mut programs = Vec::new();
        for summary in store.programs()? {
            let h = store.load(summary.id)?;
            let you = you(&state, &file, &h);
            let links = store.links_of(&h, today())?;
            programs.push((h, you, links));
        }
        (now, programs)
    };
    let path = announced_path(&state.session.db);
    let (reminders, announced) = due_now(&programs, &read_announced(&path), day);
    // Nothing is recorded as shown while no server would show it: the next look tries again.
    if !reminders.is_empty() {
        notification_server()?;
    }
    for r in &reminders {
        app.notification()
            .builder()
            .title(&r.title)
            .body(&r.body)
            .extra("program", r.program.to_string())
            .show()
            .map_err(|e| {
                CommandError::new(
                    ErrorCode::Notification,
                    format!("the reminder was not shown: {e}"),
                )
            })?;
    }
    let text = serde_json::to_vec(&announced)
        .map_err(|e| CommandError::new(ErrorCode::Internal, e.to_string()))?;
    roadbook_store::write_atomically(&path, &text).map_err(|e| {
        CommandError::new(
            ErrorCode::Io,
            format!("cannot keep which reminders were shown: {e}"),
        )
    })?;
    *seen = Some(now);
    Ok(())
}

/// Whether the desktop has a notification server to show reminders (the plugin sends them on
/// a thread of its own and cannot say whether one was shown).
#[cfg(target_os = "linux")]
fn notification_server() -> CommandResult<()> {
    notify_rust::get_server_information()
        .map(|_| ())
        .map_err(|e| {
            CommandError::new(
                ErrorCode::Notification,
                format!("no notification server on this desktop ({e}): the reminders wait for one"),
            )
        })
}

#[cfg(not(target_os = "linux"))]
fn notification_server() -> CommandResult<()> {
    Ok(())
}

/// Wakes the reminders' loop (a setting changed), so it looks now rather than within a minute.
fn remind_soon(app: &AppHandle) {
    if let Some(wake) = app.try_state::<WakeReminders>() {
        let _ = wake.0.try_send(());
    }
}

/// The reminders' loop's doorbell.
struct WakeReminders(std::sync::mpsc::SyncSender<()>);

/// What the window hears when the person clicks a reminder: the program whose My items to show.
pub const OPEN_MY_ITEMS_EVENT: &str = "open-my-items";

/// A click on a reminder brings the window forward on the program's My items.
fn on_click(app: &AppHandle) {
    let handle = app.clone();
    let _ = app.notification().on_action(move |action| {
        if action.action_id() != "tap" {
            return;
        }
        let program = action
            .notification()
            .and_then(|n| n.extra().get("program"))
            .and_then(|p| p.as_str())
            .and_then(|p| p.parse::<Id>().ok());
        if let Some(window) = handle.get_webview_window("main") {
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
        }
        if let Err(err) = handle.emit(OPEN_MY_ITEMS_EVENT, program) {
            eprintln!("roadbook-desktop: the reminder's click did not reach the window: {err}");
        }
    });
}

/// Starts the loop that looks for items fallen due: once now, then every minute or when woken.
pub fn start(app: &AppHandle) {
    on_click(app);
    let (wake, woken) = std::sync::mpsc::sync_channel(1);
    app.manage(WakeReminders(wake));
    app.manage(Looks::default());
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("reminders".into())
        .spawn(move || {
            let every = every();
            // Each new problem is said once, not every minute.
            let mut said = String::new();
            let mut seen = None;
            loop {
                match look_for_due_items(&app, &mut seen) {
                    Err(err) if err.message != said => {
                        eprintln!("roadbook-desktop: reminders: {}", err.message);
                        said = err.message;
                    }
                    Err(_) => {}
                    Ok(()) => said.clear(),
                }
                if let Some(looks) = app.try_state::<Looks>() {
                    looks.looked();
                }
                if let Err(std::sync::mpsc::RecvTimeoutError::Disconnected) =
                    woken.recv_timeout(every)
                {
                    return;
                }
            }
        });
    if let Err(err) = spawned {
        eprintln!("roadbook-desktop: the reminders did not start: {err}");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use roadbook_model::{Owner, OwnerKind};

    /// The sample with a person who owns four actions: overdue, due today, due later, closed.
    fn program() -> (Handbook, Id) {
        let mut h = roadbook_model::sample::builder_insights().unwrap();
        let me = Id::new();
        h.owners.push(Owner {
            id: me,
            name: "Priya Raman".into(),
            short_name: None,
            kind: OwnerKind::Person,
            team_id: None,
        });
        let open = h.statuses.iter().find(|s| s.open).unwrap().id;
        let closed = h.statuses.iter().find(|s| !s.open).unwrap().id;
        h.actions.truncate(4);
        let rows = [
            ("Send the pilot plan", "2026-12-01", open),
            ("Book the review room", "2026-12-04", open),
            ("Draft the memo", "2026-12-20", open),
            ("Old and done", "2026-11-01", closed),
        ];
        for (a, (text, due, status)) in h.actions.iter_mut().zip(rows) {
            a.text = text.into();
            a.due = Some(due.parse().unwrap());
            a.owner_id = Some(me);
            a.status_id = status;
        }
        h.decisions.clear();
        h.risks.clear();
        h.readiness_checks.clear();
        (h, me)
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn what_fell_due_is_announced_once_per_state_and_the_next_state_again() {
        let (h, me) = program();
        let programs = vec![(h, Some(me), Vec::new())];
        let (first, announced) = due_now(&programs, &Announced::new(), day("2026-12-04"));
        assert_eq!(first.len(), 1, "one notification for the program");
        assert!(
            first[0].title.starts_with("2 of your items"),
            "{}",
            first[0].title
        );
        assert!(
            first[0]
                .body
                .contains("Overdue since 2026-12-01: Send the pilot plan")
        );
        assert!(first[0].body.contains("Due today: Book the review room"));
        assert!(
            !first[0].body.contains("Draft the memo") && !first[0].body.contains("Old and done")
        );
        // The same day again: nothing new.
        let (again, same) = due_now(&programs, &announced, day("2026-12-04"));
        assert!(again.is_empty());
        assert_eq!(same, announced);
        // The next day the one due today is overdue: announced again, by itself.
        let (next, _) = due_now(&programs, &announced, day("2026-12-05"));
        assert_eq!(next.len(), 1);
        assert_eq!(
            next[0].title,
            "Overdue since 2026-12-04: Book the review room"
        );
        assert!(
            next[0].body.starts_with("Your action · "),
            "{}",
            next[0].body
        );
    }

    #[test]
    fn nobody_known_is_reminded_of_nothing_and_the_record_forgets_what_is_no_longer_due() {
        let (h, me) = program();
        let (none, kept) = due_now(
            &[(h.clone(), None, Vec::new())],
            &Announced::new(),
            day("2026-12-04"),
        );
        assert!(none.is_empty() && kept.is_empty());
        let old = Announced::from([(Id::new(), "2026-01-01 overdue".to_owned())]);
        let (_, kept) = due_now(&[(h, Some(me), Vec::new())], &old, day("2026-12-04"));
        assert_eq!(kept.len(), 2, "{kept:?}");
    }

    #[test]
    fn many_items_are_listed_five_and_the_rest_counted() {
        let (h, me) = program();
        let mut items = roadbook_model::my_items(&h, me, day("2026-12-30"));
        let first = items[0].clone();
        items.extend(std::iter::repeat_n(first, 5));
        let shown: Vec<&MyItem> = items
            .iter()
            .filter(|i| i.has_fallen_due(day("2026-12-30")))
            .collect();
        let r = reminder(&h, &shown).unwrap();
        assert_eq!(r.body.lines().count(), 6, "{}", r.body);
        assert!(
            r.body
                .ends_with(&format!("and {} more in My items", shown.len() - 5))
        );
    }

    #[test]
    fn the_record_sits_beside_the_database_and_a_damaged_one_announces_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = announced_path(&dir.path().join("team.db"));
        assert_eq!(path, dir.path().join("team.reminded.json"));
        std::fs::write(&path, "{ not json").unwrap();
        assert!(read_announced(&path).is_empty());
    }
}
