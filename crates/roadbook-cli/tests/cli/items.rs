//! Items from the command line: add, list, history, move, delete and restore, export and
//! import round trips, and what `init` says.

use super::*;

#[test]
pub(super) fn export_import_export_gives_identical_json() {
    let (dir, db) = sample_db();
    ok(
        &db,
        &[
            "decision",
            "add",
            "--title",
            "Naïve “quoted” — 日本語 decision",
            "--due",
            "2026-12-01",
        ],
    );
    let first = ok(&db, &["export"]);
    let file = dir.path().join("program.json");
    ok(&db, &["export", "--out", file.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), first);

    let fresh = dir.path().join("fresh.db");
    let said = ok(&fresh, &["import", file.to_str().unwrap()]);
    assert!(
        said.starts_with("imported 'Builder Insights operationalization'"),
        "{said}"
    );
    assert_eq!(ok(&fresh, &["export"]), first);
}

#[test]
pub(super) fn add_prints_the_id_alone_and_list_shows_it() {
    let (_dir, db) = sample_db();
    let out = ok(
        &db,
        &[
            "decision",
            "add",
            "--title",
            "Pick the pilot group",
            "--needed-from",
            "Product",
            "--due",
            "2026-12-15",
        ],
    );
    assert_eq!(out.lines().count(), 1);
    let id: Id = out.trim().parse().unwrap();
    let list: Value = serde_json::from_str(&ok(
        &db,
        &["decision", "list", "--json", "--status", "needs decision"],
    ))
    .unwrap();
    let added = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id.to_string())
        .unwrap();
    assert_eq!(added["due"], "2026-12-15");

    let risk: Id = ok(
        &db,
        &[
            "risk",
            "add",
            "--statement",
            "Pilot slips",
            "--severity",
            "high",
            "--workstream",
            "Kanopy hosting",
        ],
    )
    .trim()
    .parse()
    .unwrap();
    let action: Id = ok(
        &db,
        &[
            "action",
            "add",
            "--text",
            "Book the review room",
            "--owner",
            "Application Engineering",
        ],
    )
    .trim()
    .parse()
    .unwrap();
    assert!(ok(&db, &["risk", "list"]).contains(&risk.to_string()));
    assert!(ok(&db, &["action", "list"]).contains(&format!("{action}  In discovery")));
    ok(
        &db,
        &[
            "action",
            "set",
            &action.to_string(),
            "--status",
            "Done",
            "--due",
            "2026-12-02",
        ],
    );
    assert!(
        ok(&db, &["action", "list", "--status", "done"])
            .contains("2026-12-02  Book the review room")
    );
    ok(
        &db,
        &[
            "risk",
            "set",
            &risk.to_string(),
            "--likelihood",
            "low",
            "--owner",
            "none",
        ],
    );
    let risks: Value = serde_json::from_str(&ok(&db, &["risk", "list", "--json"])).unwrap();
    let changed = risks
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == risk.to_string())
        .unwrap();
    assert_eq!(
        (
            changed["likelihood"].as_str(),
            changed["owner_id"].is_null()
        ),
        (Some("low"), true)
    );
}

#[test]
pub(super) fn history_shows_a_status_change_with_author_and_time() {
    let (_dir, db) = sample_db();
    let h = export(&db);
    let id = h.decisions[0].id.to_string();
    // Decided says what was decided: marked made without an outcome, it is refused whole.
    let before = ok(&db, &["export"]);
    let err = fails(&db, &["decision", "set", &id, "--status", "Decided"]);
    assert!(
        err.contains("a decision marked Decided needs its outcome: write what was decided"),
        "{err}"
    );
    assert_eq!(ok(&db, &["export"]), before, "nothing changed");
    assert_eq!(
        ok(&db, &["decision", "set", &id, "--status", "Blocked"]).trim(),
        "changed Status"
    );
    let history = ok(&db, &["history", "--item", &id]);
    // In the lead's words: the field's label, names for ids, no raw ids or field keys.
    let line = history
        .lines()
        .find(|l| l.contains("Status: 'Needs decision' → 'Blocked'"))
        .unwrap_or_else(|| panic!("{history}"));
    assert!(line.contains(AUTHOR), "{line}");
    assert!(
        line.contains("decision 'Okta SSO path and claims model'"),
        "{line}"
    );
    assert!(!history.contains(&id), "{history}");
    assert!(
        !history.contains("status_id") && !history.contains("needed_from"),
        "{history}"
    );
    // When, on the person's clock, to the minute.
    let mut when = line.split_whitespace();
    let (day, time) = (when.next().unwrap(), when.next().unwrap());
    chrono::NaiveDateTime::parse_from_str(&format!("{day} {time}"), "%Y-%m-%d %H:%M").unwrap();

    let today = chrono::Utc::now().date_naive().to_string();
    let since: Value =
        serde_json::from_str(&ok(&db, &["history", "--since", &today, "--json"])).unwrap();
    assert!(
        since
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "status_id" && e["author"] == AUTHOR)
    );
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .date_naive()
        .to_string();
    assert_eq!(ok(&db, &["history", "--since", &tomorrow]), "");
}

#[test]
pub(super) fn move_puts_a_decision_before_another_or_last_and_nowhere_else() {
    let (_dir, db) = sample_db();
    let ids = |db: &Path| -> Vec<String> {
        export(db)
            .decisions
            .iter()
            .map(|d| d.id.to_string())
            .collect()
    };
    let start = ids(&db);
    assert!(start.len() >= 3);
    let (first, third) = (start[0].clone(), start[2].clone());

    assert_eq!(ok(&db, &["move", &third, "--before", &first]), "moved\n");
    let moved = ids(&db);
    assert_eq!(moved[..3], [third.clone(), first.clone(), start[1].clone()]);
    assert_eq!(ok(&db, &["move", &third, "--last"]), "moved\n");
    assert_eq!(ids(&db).last(), Some(&third));
    assert_eq!(ok(&db, &["move", &third, "--last"]), "nothing changed\n");
    let history = ok(&db, &["history", "--item", &third]);
    assert!(history.contains("moved in its list"), "{history}");

    let before = ok(&db, &["export"]);
    let risk = export(&db).risks[0].id.to_string();
    let err = fails(&db, &["move", &first, "--before", &risk]);
    assert!(
        err.contains("is not a decision of this program: an item moves only among its own kind"),
        "{err}"
    );
    let err = fails(&db, &["move", &first]);
    assert!(err.contains("--before"), "{err}");
    let err = fails(&db, &["move", &first, "--before", &third, "--last"]);
    assert!(err.contains("cannot be used with"), "{err}");
    let err = fails(&db, &["move", &Id::new().to_string(), "--last"]);
    assert!(err.contains("no item with id"), "{err}");
    assert_eq!(ok(&db, &["export"]), before);
}

#[test]
pub(super) fn statuses_moved_to_the_top_three_times_leave_every_command_working() {
    // The old order put such statuses before the program record, and every command failed.
    let (_dir, db) = sample_db();
    let statuses = || -> Vec<String> {
        export(&db)
            .statuses
            .iter()
            .map(|s| s.id.to_string())
            .collect()
    };
    let mut expected = statuses();
    for _ in 0..3 {
        let last = expected.pop().unwrap();
        let first = expected[0].clone();
        assert_eq!(ok(&db, &["move", &last, "--before", &first]), "moved\n");
        expected.insert(0, last);
    }
    assert_eq!(statuses(), expected);
    ok(&db, &["decision", "list"]);
    ok(&db, &["programs"]);
    let history = ok(&db, &["history", "--item", &expected[0]]);
    assert!(history.contains("moved in its list"), "{history}");
}

#[test]
pub(super) fn delete_and_restore_work_on_any_kind_from_the_command_line_and_say_what_they_did() {
    let (_dir, db) = sample_db();
    let h = export(&db);
    let action = &h.actions[0];
    // A decision nobody refers to: one made here.
    let decision = ok(&db, &["decision", "add", "--title", "Pick the pilot group"])
        .trim()
        .to_owned();
    let said = ok(&db, &["decision", "delete", &decision]);
    assert_eq!(
        said.trim(),
        format!(
            "deleted decision 'Pick the pilot group' (roadbook restore {decision} brings it back)"
        )
    );
    assert!(
        export(&db)
            .decisions
            .iter()
            .all(|d| d.id.to_string() != decision)
    );
    // Deleted once is enough; the kind named must be the item's.
    let err = fails(&db, &["decision", "delete", &decision]);
    assert!(err.contains("is deleted already"), "{err}");
    let err = fails(&db, &["risk", "restore", &decision]);
    assert!(
        err.contains("is a decision, not a risk: use roadbook decision restore"),
        "{err}"
    );
    assert_eq!(
        ok(&db, &["decision", "restore", &decision]).trim(),
        "restored decision 'Pick the pilot group'"
    );
    let back = export(&db);
    assert_eq!(
        back.decisions.last().unwrap().id.to_string(),
        decision,
        "in its place"
    );
    let err = fails(&db, &["restore", &decision]);
    assert!(err.contains("is not deleted"), "{err}");

    // Any kind through `delete ID`; an item others refer to is refused with who refers to it,
    // and nothing changes.
    ok(&db, &["action", "delete", &action.id.to_string()]);
    ok(&db, &["restore", &action.id.to_string()]);
    let workstream = h.workstreams[0].id.to_string();
    let before = ok(&db, &["export"]);
    let err = fails(&db, &["delete", &workstream]);
    assert!(err.contains("still refer to it"), "{err}");
    assert_eq!(ok(&db, &["export"]), before);
    let err = fails(&db, &["delete", &Id::new().to_string()]);
    assert!(err.contains("there is no item"), "{err}");
    // History says who deleted and restored it.
    let history = ok(&db, &["history", "--item", &decision]);
    assert!(
        history.contains("deleted") && history.contains(AUTHOR),
        "{history}"
    );
}

/// `init` says what it made (to the person, on stderr) beside the id (for scripts, on stdout);
/// a reader that stops early (`history | head -1`) ends the command quietly; what names an item
/// is `--title` on every kind, its own word kept as an alias.
#[test]
pub(super) fn init_says_what_it_made_a_closed_pipe_is_quiet_and_title_names_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let out = roadbook(&db, &["init", "--sample"]);
    assert!(out.status.success());
    let id = String::from_utf8(out.stdout).unwrap();
    id.trim().parse::<Id>().unwrap();
    let said = String::from_utf8(out.stderr).unwrap();
    assert!(
        said.contains("created 'Builder Insights operationalization' in")
            && said.contains("5 workstreams, 4 decisions"),
        "{said}"
    );

    // Many lines into a pipe its reader closes after the first.
    for _ in 0..3 {
        ok(&db, &["action", "add", "--title", "Pad the history"]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_roadbook"))
        .arg("--db")
        .arg(&db)
        .arg("history")
        .env("ROADBOOK_AUTHOR", AUTHOR)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
    }
    let done = child.wait_with_output().unwrap();
    let err = String::from_utf8(done.stderr).unwrap();
    assert!(!err.contains("Broken pipe"), "{err}");
    assert!(done.status.success(), "{:?}", done.status);

    // --title everywhere, the old words as aliases.
    ok(&db, &["action", "add", "--title", "Book the room"]);
    ok(&db, &["action", "add", "--text", "Send the agenda"]);
    ok(
        &db,
        &["risk", "add", "--title", "The room is double-booked"],
    );
    ok(
        &db,
        &[
            "workstream",
            "add",
            "--title",
            "Facilities",
            "--risk-level",
            "low",
            "--status",
            "Drafted",
        ],
    );
    ok(
        &db,
        &[
            "workstream",
            "set",
            "Facilities",
            "--area",
            "Facilities and rooms",
        ],
    );
    let h = export(&db);
    assert!(h.actions.iter().any(|a| a.text == "Book the room"));
    assert!(h.actions.iter().any(|a| a.text == "Send the agenda"));
    assert!(
        h.risks
            .iter()
            .any(|r| r.statement == "The room is double-booked")
    );
    assert!(
        h.workstreams
            .iter()
            .any(|w| w.area == "Facilities and rooms")
    );
}
