//! The database file itself: refused and left alone when it is not Roadbook's or is newer, read
//! but never written when read-only, every committed edit kept through a SIGKILL, and another
//! connection's writes noticed.

use super::*;

#[test]
pub(super) fn a_file_that_is_not_sqlite_is_refused_and_left_alone() {
    let (_dir, path) = temp_db();
    let text = b"{\"format\": \"roadbook.handbook\"} this is a JSON file, not a database, and it is long enough\n".repeat(10);
    std::fs::write(&path, &text).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("is not a Roadbook database (it is not an SQLite file)"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), text);
    assert!(!path.with_extension("db-wal").exists());
}

#[test]
pub(super) fn another_applications_database_is_refused_and_left_alone() {
    let (_dir, path) = temp_db();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
pub(super) fn a_database_from_a_newer_roadbook_is_refused() {
    let (_dir, path, _) = with_sample();
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("upgrade Roadbook"), "{err}");
}

#[test]
pub(super) fn a_read_only_database_reads_but_refuses_every_write() {
    let (_dir, path, handbook) = with_sample();
    // Fold the WAL into the main file, as a lead's copied or archived database would be.
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "journal_mode", "delete")
        .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(&path).unwrap();

    let mut store = Store::open(&path).unwrap();
    assert!(store.is_read_only());
    assert_eq!(store.load(handbook.program.id).unwrap(), handbook);
    let mut decision = handbook.decisions[0].clone();
    decision.title = "changed".into();
    let err = update(&mut store, handbook.program.id, &decision, "lead").unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err}");
    assert!(
        err.to_string().contains("is read-only: make it writable"),
        "{err}"
    );
    assert!(matches!(
        store.import(&fixtures::generated(10, 1), "lead"),
        Err(StoreError::ReadOnly { .. })
    ));
    drop(store);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

const CRASH_DB: &str = "ROADBOOK_CRASH_TEST_DB";

/// The child of `edits_reported_as_committed_survive_sigkill`: commits edits in a loop and
/// reports each one on stdout only after the commit returned.
#[test]
#[ignore = "run as a child process by edits_reported_as_committed_survive_sigkill"]
pub(super) fn crash_child() {
    let Ok(path) = std::env::var(CRASH_DB) else {
        return;
    };
    let mut store = Store::open(&path).unwrap();
    let program = store.resolve_program(None).unwrap();
    let handbook = store.load(program).unwrap();
    let mut decision: Decision = handbook.decisions[0].clone();
    let status = handbook.actions[0].status_id;
    for n in 0u64.. {
        let action = Action {
            id: Id::new(),
            text: format!("edit {n}"),
            owner_id: None,
            due: None,
            status_id: status,
            source: String::new(),
            decision_id: None,
            review_id: None,
            workstream_id: None,
        };
        store.create(program, &action, "child").unwrap();
        println!("created {}", action.id);
        decision.title = format!("counter {n}");
        update(&mut store, program, &decision, "child").unwrap();
        println!("updated {n}");
    }
}

#[test]
pub(super) fn edits_reported_as_committed_survive_sigkill() {
    let (_dir, path, handbook) = with_sample();
    let exe = std::env::current_exe().unwrap();
    let decision = handbook.decisions[0].id;
    let mut rng = fixtures::Rng::new(42);
    let mut total_reported = 0;
    for round in 0..25 {
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "files::crash_child",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CRASH_DB, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        // Let it run for a while, then kill it mid-flight: at a random point of a transaction.
        let started = Instant::now();
        std::thread::sleep(Duration::from_millis(30 + rng.below(120) as u64));
        child.kill().unwrap();
        child.wait().unwrap();
        let lines = reader.join().unwrap();
        assert!(started.elapsed() < Duration::from_secs(30));

        let store = Store::open(&path).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok", "round {round}");
        let (_, current): (_, Decision) = store.get(decision).unwrap();
        let history = store
            .history(&HistoryQuery {
                item: Some(decision),
                ..Default::default()
            })
            .unwrap();
        let mut last_update = None;
        for line in &lines {
            if let Some(id) = line.strip_prefix("created ") {
                let id: Id = id.parse().unwrap();
                let (_, action): (_, Action) = store
                    .get(id)
                    .unwrap_or_else(|e| panic!("round {round}: reported {id} is lost: {e}"));
                let rows = store
                    .history(&HistoryQuery {
                        item: Some(id),
                        ..Default::default()
                    })
                    .unwrap();
                assert!(
                    rows.iter()
                        .any(|h| h.field == "text" && h.new_value == Some(json!(action.text))),
                    "round {round}"
                );
                total_reported += 1;
            } else if let Some(n) = line.strip_prefix("updated ") {
                let n: u64 = n.parse().unwrap();
                let title = json!(format!("counter {n}"));
                assert!(
                    history
                        .iter()
                        .any(|h| h.field == "title" && h.new_value == Some(title.clone())),
                    "round {round}: update {n} has no history row"
                );
                last_update = Some(n);
            }
        }
        if let Some(n) = last_update {
            // The stored title is the last reported one or a later one that committed but was
            // not reported before the kill.
            let stored: u64 = current
                .title
                .trim_start_matches("counter ")
                .parse()
                .unwrap();
            assert!(
                stored >= n,
                "round {round}: stored {stored} is older than reported {n}"
            );
        }
    }
    eprintln!("crash test: {total_reported} committed edits checked across 25 kills");
    assert!(
        total_reported > 25,
        "the child committed too little to test anything: {total_reported}"
    );
}

/// A window notices another process's write to its database by `data_version`, and only such a
/// write: its own edits leave the number where it was.
#[test]
pub(super) fn data_version_moves_for_another_connections_write_and_not_for_its_own() {
    let (_dir, path, h) = with_sample();
    let mut window = Store::open(&path).unwrap();
    let before = window.data_version().unwrap();
    let mut own = h.decisions[0].clone();
    own.title = "Changed in the window".into();
    update(&mut window, h.program.id, &own, "Priya Raman").unwrap();
    assert_eq!(window.data_version().unwrap(), before, "its own write");

    let mut terminal = Store::open(&path).unwrap();
    let mut theirs = h.decisions[1].clone();
    theirs.title = "Changed from a terminal".into();
    update(&mut terminal, h.program.id, &theirs, "Dana Ortiz").unwrap();
    assert_ne!(
        window.data_version().unwrap(),
        before,
        "another connection's write"
    );
}
