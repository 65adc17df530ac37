//! Bad input refused with a message that says what to do, and nothing changed: import files,
//! values on the command line, files that are not a database, a read-only database.

use super::*;

/// A bad import file for a database that already holds a program: refused with a message naming
/// the problem, and the database exports exactly as before.
pub(super) fn refuse_import(name: &str, mangle: impl FnOnce(&mut Value), expected: &str) {
    let (dir, db) = sample_db();
    let other = dir.path().join("other.db");
    ok(&other, &["init", "--name", "Another program"]);
    ok(&other, &["decision", "add", "--title", "placeholder"]);
    let mut file: Value = serde_json::from_str(&ok(&other, &["export"])).unwrap();
    mangle(&mut file);
    let path = dir.path().join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
    refuse_import_file(&db, &path, expected);
}

pub(super) fn refuse_import_file(db: &Path, file: &Path, expected: &str) {
    let before = ok(db, &["export"]);
    let err = fails(db, &["import", file.to_str().unwrap()]);
    assert!(err.contains(expected), "expected '{expected}' in: {err}");
    assert!(err.contains("was not imported"), "{err}");
    assert_eq!(ok(db, &["export"]), before);
    assert_eq!(ok(db, &["programs"]).lines().count(), 1);
}

#[test]
pub(super) fn a_truncated_file_is_refused() {
    let (dir, db) = sample_db();
    let text = ok(&db, &["export"]);
    let path = dir.path().join("cut.json");
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    // Same program id as the one in the database: the cut is found before that matters.
    refuse_import_file(&db, &path, "the file ends early");
}

#[test]
pub(super) fn an_unknown_status_is_refused() {
    refuse_import(
        "status",
        |f| f["decisions"][0]["status_id"] = Value::from(Id::new().to_string()),
        "decisions[0].status_id: refers to status",
    );
}

#[test]
pub(super) fn a_dangling_reference_is_refused() {
    refuse_import(
        "dangling",
        |f| f["decisions"][0]["needed_from"] = serde_json::json!([Id::new().to_string()]),
        "which is not in this handbook (in decision 'placeholder')",
    );
}

#[test]
pub(super) fn a_missing_required_field_is_refused() {
    refuse_import(
        "missing",
        |f| {
            f["decisions"][0].as_object_mut().unwrap().remove("title");
        },
        "decisions[0]: missing field `title`",
    );
}

#[test]
pub(super) fn a_date_that_does_not_exist_is_refused() {
    refuse_import(
        "date",
        |f| f["decisions"][0]["due"] = Value::from("2026-02-30"),
        "decisions[0].due: '2026-02-30' is not a calendar date: month 2 of 2026 has no day 30",
    );
}

#[test]
pub(super) fn a_file_from_a_newer_roadbook_or_another_tool_is_refused() {
    refuse_import(
        "newer",
        |f| f["format_version"] = Value::from(99),
        "exported by a newer Roadbook",
    );
    refuse_import(
        "other",
        |f| f["format"] = Value::from("something.else"),
        "is not a Roadbook handbook export",
    );
}

#[test]
pub(super) fn bad_values_on_the_command_line_change_nothing() {
    let (_dir, db) = sample_db();
    let before = ok(&db, &["export"]);
    let id = export(&db).decisions[0].id.to_string();
    let err = fails(&db, &["decision", "set", &id, "--status", "Maybe"]);
    assert!(
        err.contains("unknown status 'Maybe': use one of In discovery; Drafted"),
        "{err}"
    );
    let err = fails(&db, &["decision", "set", &id, "--due", "2026-02-30"]);
    assert!(err.contains("month 2 of 2026 has no day 30"), "{err}");
    let err = fails(&db, &["decision", "set", &id, "--needed-from", "Nobody"]);
    assert!(err.contains("unknown owner 'Nobody'"), "{err}");
    let err = fails(
        &db,
        &["decision", "set", "not-an-id", "--status", "Drafted"],
    );
    // Not an id, so a name: none has it, and the names there are are listed.
    assert!(
        err.contains("unknown decision 'not-an-id': use one of Okta SSO path"),
        "{err}"
    );
    let err = fails(
        &db,
        &[
            "decision",
            "set",
            &Id::new().to_string(),
            "--status",
            "Drafted",
        ],
    );
    assert!(err.contains("no decision with id"), "{err}");
    let risk = export(&db).risks[0].id.to_string();
    let err = fails(&db, &["decision", "set", &risk, "--status", "Drafted"]);
    assert!(err.contains("is a risk, not a decision"), "{err}");
    let err = fails(&db, &["decision", "add", "--title", " "]);
    assert!(err.contains("decision.title: is required"), "{err}");
    let err = fails(
        &db,
        &["risk", "add", "--statement", "x", "--severity", "extreme"],
    );
    assert!(
        err.contains("unknown level 'extreme': use one of low, medium, high"),
        "{err}"
    );
    let err = fails(&db, &["history", "--since", "last tuesday"]);
    assert!(err.contains("is neither a date"), "{err}");
    assert_eq!(ok(&db, &["export"]), before);
}

#[test]
pub(super) fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notes.txt");
    let text = "Meeting notes\n".repeat(200);
    std::fs::write(&db, &text).unwrap();
    for args in [
        &["programs"][..],
        &["init", "--sample"],
        &["decision", "add", "--title", "x"],
    ] {
        let err = fails(&db, args);
        assert!(
            err.contains("is not a Roadbook database (it is not an SQLite file)"),
            "{err}"
        );
    }
    assert_eq!(std::fs::read_to_string(&db).unwrap(), text);
}

#[test]
pub(super) fn a_read_only_database_is_refused_for_writes_and_left_alone() {
    let (_dir, db) = sample_db();
    let before_export = ok(&db, &["export"]);
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(&db).unwrap();
    let id = export(&db).decisions[0].id.to_string();
    let err = fails(&db, &["decision", "set", &id, "--status", "Blocked"]);
    assert!(
        err.contains("is read-only: make it writable (chmod u+w)"),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert_eq!(ok(&db, &["export"]), before_export, "reading still works");
}

#[test]
pub(super) fn the_sample_is_not_loaded_twice_and_several_programs_need_a_choice() {
    let (_dir, db) = sample_db();
    let err = fails(&db, &["init", "--sample"]);
    assert!(err.contains("is already in"), "{err}");
    ok(&db, &["init", "--name", "Second program"]);
    let err = fails(&db, &["export"]);
    assert!(
        err.contains("2 programs are in this database: say which with --program ID"),
        "{err}"
    );
    let programs: Value = serde_json::from_str(&ok(&db, &["programs", "--json"])).unwrap();
    let second = programs
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Second program")
        .unwrap();
    let h = Handbook::from_json(&ok(
        &db,
        &["export", "--program", second["id"].as_str().unwrap()],
    ))
    .unwrap();
    assert_eq!(h.statuses.len(), 7);
    assert!(h.decisions.is_empty());
}

#[test]
pub(super) fn a_usage_error_is_one_line_with_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let out = roadbook(&dir.path().join("x.db"), &["decision", "frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("unrecognized subcommand 'frobnicate'"),
        "{err}"
    );
    // What clap says below its first line stays, on the same line: the tip for a misspelling.
    let out = roadbook(&dir.path().join("x.db"), &["decison", "list"]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("unrecognized subcommand 'decison'; tip:") && err.contains("'decision'"),
        "{err}"
    );
}
