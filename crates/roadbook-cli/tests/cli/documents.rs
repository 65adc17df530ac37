//! Documents from the command line: issued identical for the same moment and archived, signed
//! with the person's name, the pre-send check, the readout as slides.

use super::*;

pub(super) fn pdf_text(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-raw"])
        .arg(path)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pdftotext (make test installs poppler-utils)"
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
pub(super) fn report_issues_identical_pdfs_for_the_same_moment_and_archives_each() {
    let (dir, db) = sample_db();
    // A moment after the sample was made: a document shows the program as it was then.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let moment = chrono::Utc::now();
    let archived = moment.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let moment = moment.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let a = dir.path().join("a.pdf");
    let b = dir.path().join("b.pdf");
    let said = ok(
        &db,
        &[
            "report",
            "readout",
            "--as-of",
            &moment,
            "--out",
            a.to_str().unwrap(),
        ],
    );
    assert!(said.contains("pages") && said.contains("sha256"), "{said}");
    ok(
        &db,
        &[
            "report",
            "readout",
            "--as-of",
            &moment,
            "--out",
            b.to_str().unwrap(),
        ],
    );
    assert!(
        std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
        "two processes, same data and moment, same bytes"
    );

    let docs: Value = serde_json::from_str(&ok(&db, &["documents", "--json"])).unwrap();
    let docs = docs.as_array().unwrap();
    assert_eq!(docs.len(), 2);
    assert!(
        docs.iter()
            .all(|d| d["kind"] == "readout" && d["as_of"] == archived.as_str())
    );
    assert_eq!(docs[0]["pdf_sha256"], docs[1]["pdf_sha256"]);
    assert_eq!(ok(&db, &["documents"]).lines().count(), 2);

    // Saved again from the archive: the same bytes as issued, and nothing new archived.
    let again = dir.path().join("again.pdf");
    let id = docs[0]["id"].as_str().unwrap();
    let said = ok(
        &db,
        &["documents", "--save", id, "--out", again.to_str().unwrap()],
    );
    assert!(said.contains("the same PDF as issued"), "{said}");
    assert!(std::fs::read(&again).unwrap() == std::fs::read(&a).unwrap());
    assert_eq!(ok(&db, &["documents"]).lines().count(), 2);
    let unknown = fails(
        &db,
        &[
            "documents",
            "--save",
            &Id::new().to_string(),
            "--out",
            again.to_str().unwrap(),
        ],
    );
    assert!(
        unknown.contains("no ") || unknown.contains("not"),
        "{unknown}"
    );
    let alone = fails(&db, &["documents", "--save", id]);
    assert!(alone.contains("--out"), "{alone}");

    // A moment that has not come yet is refused, and nothing is written or archived.
    let later = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let c = dir.path().join("c.pdf");
    let refused = fails(
        &db,
        &[
            "report",
            "readout",
            "--as-of",
            &later,
            "--out",
            c.to_str().unwrap(),
        ],
    );
    assert!(refused.contains("has not come yet"), "{refused}");
    assert!(!c.exists());
    assert_eq!(ok(&db, &["documents"]).lines().count(), 2);
}

#[test]
pub(super) fn a_new_decision_shows_in_the_next_readout_and_the_register_filters_by_status() {
    let (dir, db) = sample_db();
    ok(
        &db,
        &[
            "decision",
            "add",
            "--title",
            "Choose the pilot cohort",
            "--needed-from",
            "Product",
            "--due",
            "2026-12-15",
        ],
    );
    let readout = dir.path().join("readout.pdf");
    ok(
        &db,
        &["report", "readout", "--out", readout.to_str().unwrap()],
    );
    let text = pdf_text(&readout);
    assert!(text.contains("Choose the pilot cohort"), "{text:.500}");

    let register = dir.path().join("register.pdf");
    ok(
        &db,
        &[
            "report",
            "register",
            "--status",
            "drafted",
            "--out",
            register.to_str().unwrap(),
        ],
    );
    let text = pdf_text(&register);
    assert!(
        text.contains("First Kanopy runtime boundary") && text.contains("Status: Drafted"),
        "{text:.500}"
    );
    assert!(
        !text.contains("Okta SSO path and claims model"),
        "only Drafted decisions"
    );

    let packet = dir.path().join("packet.pdf");
    let review = export(&db).reviews[0].id.to_string();
    ok(
        &db,
        &[
            "report",
            "packet",
            "--review",
            &review,
            "--out",
            packet.to_str().unwrap(),
        ],
    );
    assert!(pdf_text(&packet).contains("Decisions to aim for"));
}

#[test]
pub(super) fn a_report_that_cannot_be_saved_is_not_archived() {
    let (dir, db) = sample_db();
    let nowhere = dir.path().join("missing-folder").join("x.pdf");
    let err = fails(&db, &["report", "memo", "--out", nowhere.to_str().unwrap()]);
    assert!(err.contains("cannot write in"), "{err}");
    let err = fails(
        &db,
        &[
            "report",
            "packet",
            "--review",
            &Id::new().to_string(),
            "--out",
            "/tmp/never.pdf",
        ],
    );
    assert!(err.contains("no review with id"), "{err}");
    let err = fails(&db, &["report", "slides", "--out", "/tmp/never.pdf"]);
    assert!(err.contains("invalid value 'slides'"), "{err}");
    assert_eq!(ok(&db, &["documents"]), "");
}

/// `roadbook` with a home of its own: no ROADBOOK_AUTHOR, no OS user, a config dir in `home`.
pub(super) fn as_nobody(db: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_roadbook"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("ROADBOOK_AUTHOR")
        .env_remove("ROADBOOK_DB")
        .env_remove("USER")
        .env_remove("LOGNAME")
        .env_remove("USERNAME")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .output()
        .unwrap()
}

#[test]
pub(super) fn your_name_signs_changes_and_documents_and_no_document_says_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let run = |args: &[&str]| {
        let out = as_nobody(&db, dir.path(), args);
        assert!(
            out.status.success(),
            "roadbook {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["init", "--sample"]);
    // The computer account's full name (the passwd entry's comment), where it has one that is
    // not its login, names the person; root's ("root") does not.
    let passwd = Command::new("getent")
        .args(["passwd", &user_id()])
        .output()
        .unwrap();
    let passwd = String::from_utf8(passwd.stdout).unwrap();
    let fields: Vec<&str> = passwd.trim().split(':').collect();
    let login = fields[0];
    let full_name = fields[4].split(',').next().unwrap().trim();
    let named_by_account = !full_name.is_empty() && full_name != login;
    // Known only by a login: history records it (never "unknown"), and the document leaves
    // "Prepared by" out rather than print a login.
    let md = dir.path().join("memo.md");
    run(&["report", "memo", "--out", md.to_str().unwrap()]);
    let memo = std::fs::read_to_string(&md).unwrap();
    if named_by_account {
        assert!(memo.contains(&format!("Prepared by {full_name}")), "{memo}");
    } else {
        assert!(
            memo.contains("As of ") && !memo.contains("Prepared by"),
            "{memo}"
        );
        let shown = run(&["config", "show"]);
        assert!(
            shown.contains(&format!(
                "your changes are recorded as: {login} (from your computer login)"
            )),
            "{shown}"
        );
    }
    assert!(!memo.contains("unknown"));
    run(&["decision", "add", "--title", "Before a name"]);
    let history = run(&["history", "--json"]);
    assert!(!history.contains("\"unknown\""), "{history}");
    let pdf = dir.path().join("memo.pdf");
    run(&["report", "memo", "--out", pdf.to_str().unwrap()]);
    let text = Command::new("pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("As of") && !text.contains("unknown"),
        "{text}"
    );

    // Named: history and documents say the name.
    let said = run(&["config", "set", "name", "  Priya Raman "]);
    assert!(said.contains("Your name is Priya Raman"), "{said}");
    assert!(
        run(&["config", "show"])
            .contains("your changes are recorded as: Priya Raman (from Your name in Settings)")
    );
    run(&["decision", "add", "--title", "Named now"]);
    let history = run(&["history", "--json"]);
    assert!(history.contains("Priya Raman"), "{history}");
    run(&["report", "memo", "--out", md.to_str().unwrap()]);
    let memo = std::fs::read_to_string(&md).unwrap();
    assert!(memo.contains("Prepared by Priya Raman"), "{memo}");
    // A bad name changes nothing and says why; unset forgets it.
    let out = as_nobody(&db, dir.path(), &["config", "set", "name", "two\nlines"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("on one line"));
    assert!(run(&["config", "show"]).contains("name: Priya Raman"));
    run(&["config", "unset", "name"]);
    assert!(run(&["config", "show"]).contains("name: (not set)"));
}

/// This process's user id, as `id -u` prints it.
pub(super) fn user_id() -> String {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `roadbook check --json` as (rule, kind, label) triples.
pub(super) fn findings(db: &Path, on: &str) -> Vec<(String, String, String)> {
    let out: Value = serde_json::from_str(&ok(db, &["check", "--json", "--on", on])).unwrap();
    out.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["kind"].as_str().unwrap().to_owned(),
                f["label"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
pub(super) fn check_finds_what_a_careful_lead_would_before_sending_and_nothing_on_a_clean_program()
{
    // The sample as it ships: unowned process risks and placeholder owner labels.
    let (dir, db) = sample_db();
    let found = findings(&db, "2026-12-01");
    let count = |rule: &str| found.iter().filter(|f| f.0 == rule).count();
    assert_eq!(count("placeholder_owner"), 6, "{found:?}");
    assert_eq!(count("no_owner"), 5, "{found:?}");
    assert_eq!(found.len(), 11, "{found:?}");
    let said = ok(&db, &["check", "--on", "2026-12-01"]);
    assert!(
        said.starts_with("11 things to look at before sending"),
        "{said}"
    );
    assert!(
        said.contains("owner 'Product Management': A placeholder"),
        "{said}"
    );

    // The sample with one of each planted.
    let mut h: Value = serde_json::from_str(&ok(&db, &["export"])).unwrap();
    let status = |name: &str| {
        h["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()["id"]
            .clone()
    };
    let (decided, done, open) = (status("Decided"), status("Done"), status("In discovery"));
    // Okta decided properly, the org source decided without a rationale; the first ask still
    // asks for both, and Identity and SSO still says Needs decision.
    h["decisions"][0]["status_id"] = decided.clone();
    h["decisions"][0]["outcome"] = "Okta SSO with group claims".into();
    h["decisions"][0]["rationale"] = "Security signed off".into();
    h["decisions"][1]["status_id"] = decided;
    h["decisions"][1]["outcome"] = "The HR system".into();
    // Kanopy hosting closed while its decision is open.
    h["workstreams"][2]["status_id"] = done;
    // An action past due and unowned; a milestone past target; a dimension without a signal.
    h["actions"][0]["due"] = "2026-11-20".into();
    h["actions"][0]["owner_id"] = Value::Null;
    h["milestones"][0]["target"] = "2026-11-15".into();
    h["milestones"][0]["status_id"] = open;
    h["readiness_dimensions"][0]["signal"] = "".into();
    let planted = dir.path().join("planted.json");
    std::fs::write(&planted, serde_json::to_string(&h).unwrap()).unwrap();
    let db2 = dir.path().join("planted.db");
    ok(&db2, &["import", planted.to_str().unwrap()]);
    let found = findings(&db2, "2026-12-01");
    let has = |rule: &str, label: &str| found.iter().any(|f| f.0 == rule && f.2.starts_with(label));
    assert!(
        has("ask_already_decided", "Sponsor the key dependencies"),
        "{found:?}"
    );
    assert_eq!(
        found
            .iter()
            .filter(|f| f.0 == "ask_already_decided")
            .count(),
        2,
        "the first ask speaks of both decided decisions: {found:?}"
    );
    assert!(has("workstream_disagrees", "Identity and SSO"), "{found:?}");
    assert!(has("workstream_disagrees", "Org-aware access"), "{found:?}");
    assert!(has("workstream_disagrees", "Kanopy hosting"), "{found:?}");
    assert!(
        has("decided_without_reason", "Builder Relations org source"),
        "{found:?}"
    );
    assert!(!has("decided_without_reason", "Okta SSO path"), "{found:?}");
    assert!(
        has("past_due", "Confirm owner and meeting path"),
        "{found:?}"
    );
    assert!(
        has("no_owner", "Confirm owner and meeting path"),
        "{found:?}"
    );
    assert!(has("milestone_missed", "Milestone 1"), "{found:?}");
    assert!(has("no_signal", "Identity readiness"), "{found:?}");
    // The day matters: before the due date and the target, neither is late.
    let earlier = findings(&db2, "2026-11-10");
    assert!(
        !earlier
            .iter()
            .any(|f| f.0 == "past_due" || f.0 == "milestone_missed")
    );

    // A program with nothing to find.
    let clean = dir.path().join("clean.db");
    ok(&clean, &["init", "--name", "A clean program"]);
    assert_eq!(findings(&clean, "2026-12-01"), Vec::new());
    assert_eq!(
        ok(&clean, &["check"]).trim(),
        "Nothing to look at: 'A clean program' is ready to send."
    );
}

#[test]
pub(super) fn the_readout_as_slides_is_written_not_archived_and_only_the_readout_has_them() {
    let (dir, db) = sample_db();
    let deck = dir.path().join("deck.pdf");
    let archived = ok(&db, &["documents"]);
    let said = ok(
        &db,
        &[
            "report",
            "readout",
            "--format",
            "deck",
            "--out",
            deck.to_str().unwrap(),
        ],
    );
    assert!(
        said.contains("slides (16:9)") && said.contains("not archived"),
        "{said}"
    );
    let bytes = std::fs::read(&deck).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    // A 16:9 page box: 960 by 540 points.
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("/MediaBox[0 0 960."), "no 16:9 page");
    assert_eq!(ok(&db, &["documents"]), archived, "slides are not archived");

    let memo = dir.path().join("memo.pdf");
    let err = fails(
        &db,
        &[
            "report",
            "memo",
            "--format",
            "deck",
            "--out",
            memo.to_str().unwrap(),
        ],
    );
    assert!(err.contains("readout only"), "{err}");
    assert!(!memo.exists(), "nothing is written");
}
