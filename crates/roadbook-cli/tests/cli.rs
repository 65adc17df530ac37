//! `roadbook` as a person runs it: the real binary against real database files.

// A test that fails should stop at once with the value that was wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use roadbook_model::{AttendeeGroup, Handbook, Id, Level, OutputTiming, ReadinessState, RiskScope};
use serde_json::Value;

mod common;
use common::{AUTHOR, export, fails, ok, roadbook, sample_db};

#[test]
fn the_sample_holds_every_item_of_the_seed_pages() {
    let (_dir, db) = sample_db();
    let h = export(&db);
    let owner = |id: Id| h.owner(id).unwrap().display_name().to_owned();
    let status = |id: Id| h.status(id).unwrap().name.clone();

    assert_eq!(h.program.name, "Builder Insights operationalization");
    assert_eq!(
        h.program.objective[0],
        "move from promising internal app to supportable internal platform"
    );
    assert!(h.program.problem.starts_with(
        "Builder Insights is evolving from a useful product workflow into an internal platform."
    ));
    let proposal: Vec<&str> = h
        .program
        .proposal
        .iter()
        .map(|s| s.title.as_str())
        .collect();
    assert_eq!(proposal, ["Identity", "Org truth", "Runtime", "Visibility"]);
    assert_eq!(h.program.scope.len(), 4);
    assert_eq!(
        h.program.non_goals[0],
        "redesigning the product role model from scratch"
    );
    let criteria: Vec<&str> = h
        .program
        .success_criteria
        .iter()
        .map(|s| s.title.as_str())
        .collect();
    assert_eq!(
        criteria,
        [
            "Access is defensible",
            "Runtime is supportable",
            "Platform is measurable",
            "Readiness is reviewable"
        ]
    );
    assert_eq!(
        h.program.cadence[0],
        "weekly operationalization working session across product, engineering, and ops"
    );
    assert!(
        h.program
            .references
            .contains(&"Leadership Readout".to_owned())
    );

    let statuses: Vec<&str> = h.statuses.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        statuses,
        [
            "In discovery",
            "Drafted",
            "Needs decision",
            "Needs validation",
            "Blocked",
            "Decided",
            "Done"
        ]
    );
    assert!(h.statuses.iter().filter(|s| !s.open).count() >= 2);

    let owners: Vec<&str> = h.owners.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        owners,
        [
            "Corporate Identity and Security Engineering",
            "Builder Relations Operations and Org Systems",
            "Internal Platform Engineering",
            "Application Engineering",
            "Product Management",
            "Security Engineering and App Administrators"
        ]
    );

    // The executive summary, row by row: area, state, owner, status, risk, blocker.
    let rows: Vec<(String, String, String, String, Level)> = h
        .workstreams
        .iter()
        .map(|w| {
            let owners = w
                .owner_ids
                .iter()
                .map(|o| owner(*o))
                .collect::<Vec<_>>()
                .join(", ");
            (
                w.area.clone(),
                w.current_state.clone(),
                owners,
                status(w.status_id),
                w.risk_level,
            )
        })
        .collect();
    let expect = |a: &str, s: &str, o: &str, st: &str, r| {
        (a.to_owned(), s.to_owned(), o.to_owned(), st.to_owned(), r)
    };
    assert_eq!(
        rows,
        [
            expect(
                "Identity and SSO",
                "directionally clear, enterprise path not finalized",
                "Identity and Security",
                "Needs decision",
                Level::High
            ),
            expect(
                "Org-aware access",
                "authoritative Builder Relations source not yet confirmed",
                "Builder Relations Ops and Org Systems",
                "Needs decision",
                Level::High
            ),
            expect(
                "Kanopy hosting",
                "likely path identified, runtime boundary still being shaped",
                "Platform Engineering, Application Engineering",
                "Drafted",
                Level::Medium
            ),
            expect(
                "Observability and analytics",
                "key needs are known, stack and ownership still need confirmation",
                "Platform Engineering, Product, Application Engineering",
                "Needs decision",
                Level::Medium
            ),
            expect(
                "Readiness gating",
                "checklist exists, but depends on upstream decisions",
                "Product, Application Engineering",
                "Blocked",
                Level::Medium
            ),
        ]
    );
    let blockers: Vec<&str> = h
        .workstreams
        .iter()
        .take(4)
        .map(|w| w.main_blocker.as_str())
        .collect();
    assert_eq!(
        blockers,
        [
            "approved Okta path and claims model",
            "confirmed source of truth for membership and hierarchy",
            "final runtime boundary and deployment expectations",
            "approved telemetry stack and dashboard ownership"
        ]
    );

    // Decisions needed, whom from, and the RFC's open questions.
    let decisions: Vec<(&str, String, &str)> = h
        .decisions
        .iter()
        .map(|d| {
            (
                d.title.as_str(),
                d.needed_from
                    .iter()
                    .map(|o| owner(*o))
                    .collect::<Vec<_>>()
                    .join(", "),
                d.question.as_str(),
            )
        })
        .collect();
    assert_eq!(
        decisions,
        [
            (
                "Okta SSO path and claims model",
                "Identity and Security".to_owned(),
                "Which Okta integration pattern is preferred for this class of internal app?"
            ),
            (
                "Builder Relations org source",
                "Builder Relations Ops and Org Systems".to_owned(),
                "Which system is authoritative for Builder Relations membership and hierarchy?"
            ),
            (
                "First Kanopy runtime boundary",
                "Platform Engineering, Application Engineering".to_owned(),
                "Which workloads move into Kanopy first?"
            ),
            (
                "Telemetry and dashboard ownership model",
                "Platform Engineering, Product, Application Engineering".to_owned(),
                "Which telemetry stack and dashboard ownership model are approved internally?"
            ),
        ]
    );

    // Every risk the pages list, with its scope.
    let scope_count = |name: &str| h.risks.iter().filter(|r| r.scope.name() == name).count();
    assert_eq!(
        (
            scope_count("workstream"),
            scope_count("program"),
            scope_count("phase"),
            scope_count("review")
        ),
        (4, 5, 1, 4)
    );
    for statement in [
        "Identity decisions stay abstract and block entitlement implementation",
        "Builder Relations org truth remains ambiguous and weakens reporting scope trust",
        "Kanopy planning starts before auth, ingress, and environment assumptions are aligned",
        "Telemetry work is treated as optional instead of part of platform readiness",
        "Identity and access remain ambiguous and block production-ready rollout",
        "Org-aware access is approximated instead of sourced from a trusted internal system",
        "Kanopy migration is attempted before auth and ingress assumptions are stable",
        "Telemetry remains too weak to support confident internal operation",
        "The next phase starts as if the current phase were already resolved",
        "The workstream fragments into unrelated technical tasks",
        "No actual owners are present",
        "The group reviews slides but not the decision register",
        "Dependencies are discussed but not assigned",
        "Follow-up work is implied instead of explicitly recorded",
    ] {
        assert!(
            h.risks.iter().any(|r| r.statement == statement),
            "missing risk: {statement}"
        );
    }
    let phase_risk = h
        .risks
        .iter()
        .find(|r| matches!(r.scope, RiskScope::Phase { .. }))
        .unwrap();
    let RiskScope::Phase { phase_id } = phase_risk.scope else {
        unreachable!()
    };
    assert_eq!(
        h.phases.iter().find(|p| p.id == phase_id).unwrap().name,
        "Next"
    );

    // Both phase views, their work items and exit criteria.
    let phases: Vec<(&str, &str)> = h
        .phases
        .iter()
        .map(|p| (p.view.as_str(), p.name.as_str()))
        .collect();
    assert_eq!(
        phases,
        [
            ("Program plan", "Phase 1: identity and org foundation"),
            ("Program plan", "Phase 2: internal runtime foundation"),
            ("Program plan", "Phase 3: telemetry and governance"),
            ("Program plan", "Phase 4: internal rollout gate"),
            ("Implementation phases", "Current"),
            ("Implementation phases", "Next"),
            ("Implementation phases", "Later"),
        ]
    );
    let items_of = |name: &str| {
        let id = h.phases.iter().find(|p| p.name == name).unwrap().id;
        (
            h.work_items.iter().filter(|w| w.phase_id == id).count(),
            h.exit_criteria.iter().filter(|c| c.phase_id == id).count(),
        )
    };
    assert_eq!(items_of("Phase 1: identity and org foundation"), (4, 0));
    assert_eq!(items_of("Phase 4: internal rollout gate"), (3, 0));
    assert_eq!(items_of("Current"), (7, 5));
    assert_eq!(items_of("Next"), (8, 4));
    assert_eq!(items_of("Later"), (8, 0));
    assert!(
        h.work_items
            .iter()
            .any(|w| w.text == "define break-glass admin posture")
    );
    assert!(
        h.exit_criteria
            .iter()
            .any(|c| c.text == "telemetry ownership path is identified")
    );

    let milestones: Vec<&str> = h.milestones.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        milestones,
        [
            "Milestone 1",
            "Milestone 2",
            "Milestone 3",
            "Milestone 4",
            "Milestone 5"
        ]
    );
    assert_eq!(
        h.milestones[4].marks,
        "Internal readiness checklist can be used for a pilot or broader rollout decision."
    );

    let map: Vec<(&str, &str)> = h
        .dependencies
        .iter()
        .take(4)
        .map(|d| (d.dependent.as_str(), d.why_it_matters.as_str()))
        .collect();
    assert_eq!(
        map,
        [
            (
                "Role-safe reporting and visibility",
                "reporting scope is hard to trust without clear membership truth"
            ),
            (
                "Kanopy productionization",
                "internal hosting decisions can fail if auth and ingress are unresolved"
            ),
            (
                "Leadership dashboards",
                "reporting quality depends on measurement quality"
            ),
            (
                "Broader internal rollout",
                "adoption without operational ownership creates long-term risk"
            ),
        ]
    );
    assert_eq!(
        h.dependencies.len(),
        8,
        "the plan's dependency map and the RFC's dependencies"
    );

    let readiness: Vec<(&str, &str, ReadinessState)> = h
        .readiness_dimensions
        .iter()
        .map(|r| (r.name.as_str(), r.signal.as_str(), r.state))
        .collect();
    assert_eq!(
        readiness,
        [
            (
                "Identity readiness",
                "not ready until Okta path and claims model are confirmed",
                ReadinessState::NotReady
            ),
            (
                "Access governance readiness",
                "not ready until org truth and exception process are confirmed",
                ReadinessState::NotReady
            ),
            (
                "Hosting readiness",
                "partially shaped, not ready for final rollout gate",
                ReadinessState::Partial
            ),
            (
                "Telemetry readiness",
                "conceptually defined, implementation path still open",
                ReadinessState::Partial
            ),
            (
                "Leadership readiness",
                "framing exists, sponsorship still needed on key dependencies",
                ReadinessState::Partial
            ),
        ]
    );

    let actions: Vec<&str> = h.actions.iter().map(|a| a.text.as_str()).collect();
    assert_eq!(
        actions,
        [
            "Confirm owner and meeting path for Okta/identity decisions",
            "Confirm authoritative Builder Relations org source",
            "Confirm Kanopy assumptions with platform owners",
            "Confirm telemetry stack and dashboard ownership model",
        ]
    );

    let review = &h.reviews[0];
    let core = review
        .attendees
        .iter()
        .filter(|a| a.group == AttendeeGroup::Core)
        .count();
    assert_eq!((core, review.attendees.len()), (4, 8));
    assert!(
        review.attendees.iter().any(
            |a| a.name == "corporate IAM or Okta owner" && a.group == AttendeeGroup::Specialist
        )
    );
    let flow: Vec<&str> = review.flow.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        flow,
        [
            "Confirm the operational problem",
            "Review decision register",
            "Resolve or assign",
            "Capture next actions"
        ]
    );
    assert_eq!(
        review.decision_ids,
        h.decisions.iter().map(|d| d.id).collect::<Vec<_>>()
    );
    let same_day = review
        .outputs
        .iter()
        .filter(|o| o.when == OutputTiming::SameDay)
        .count();
    assert_eq!((same_day, review.outputs.len()), (3, 6));
    assert_eq!(review.best_use.len(), 4);
}

#[test]
fn export_import_export_gives_identical_json() {
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
fn add_prints_the_id_alone_and_list_shows_it() {
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
fn history_shows_a_status_change_with_author_and_time() {
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

/// A bad import file for a database that already holds a program: refused with a message naming
/// the problem, and the database exports exactly as before.
fn refuse_import(name: &str, mangle: impl FnOnce(&mut Value), expected: &str) {
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

fn refuse_import_file(db: &Path, file: &Path, expected: &str) {
    let before = ok(db, &["export"]);
    let err = fails(db, &["import", file.to_str().unwrap()]);
    assert!(err.contains(expected), "expected '{expected}' in: {err}");
    assert!(err.contains("was not imported"), "{err}");
    assert_eq!(ok(db, &["export"]), before);
    assert_eq!(ok(db, &["programs"]).lines().count(), 1);
}

#[test]
fn a_truncated_file_is_refused() {
    let (dir, db) = sample_db();
    let text = ok(&db, &["export"]);
    let path = dir.path().join("cut.json");
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    // Same program id as the one in the database: the cut is found before that matters.
    refuse_import_file(&db, &path, "the file ends early");
}

#[test]
fn an_unknown_status_is_refused() {
    refuse_import(
        "status",
        |f| f["decisions"][0]["status_id"] = Value::from(Id::new().to_string()),
        "decisions[0].status_id: refers to status",
    );
}

#[test]
fn a_dangling_reference_is_refused() {
    refuse_import(
        "dangling",
        |f| f["decisions"][0]["needed_from"] = serde_json::json!([Id::new().to_string()]),
        "which is not in this handbook (in decision 'placeholder')",
    );
}

#[test]
fn a_missing_required_field_is_refused() {
    refuse_import(
        "missing",
        |f| {
            f["decisions"][0].as_object_mut().unwrap().remove("title");
        },
        "decisions[0]: missing field `title`",
    );
}

#[test]
fn a_date_that_does_not_exist_is_refused() {
    refuse_import(
        "date",
        |f| f["decisions"][0]["due"] = Value::from("2026-02-30"),
        "decisions[0].due: '2026-02-30' is not a calendar date: month 2 of 2026 has no day 30",
    );
}

#[test]
fn a_file_from_a_newer_roadbook_or_another_tool_is_refused() {
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
fn bad_values_on_the_command_line_change_nothing() {
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
fn move_puts_a_decision_before_another_or_last_and_nowhere_else() {
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
fn statuses_moved_to_the_top_three_times_leave_every_command_working() {
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
fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
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
fn a_read_only_database_is_refused_for_writes_and_left_alone() {
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
fn the_sample_is_not_loaded_twice_and_several_programs_need_a_choice() {
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
fn a_usage_error_is_one_line_with_a_non_zero_exit() {
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

fn pdf_text(path: &Path) -> String {
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
fn report_issues_identical_pdfs_for_the_same_moment_and_archives_each() {
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
fn a_new_decision_shows_in_the_next_readout_and_the_register_filters_by_status() {
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
fn a_report_that_cannot_be_saved_is_not_archived() {
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
fn as_nobody(db: &Path, home: &Path, args: &[&str]) -> Output {
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
fn your_name_signs_changes_and_documents_and_no_document_says_unknown() {
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
fn user_id() -> String {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `roadbook check --json` as (rule, kind, label) triples.
fn findings(db: &Path, on: &str) -> Vec<(String, String, String)> {
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
fn check_finds_what_a_careful_lead_would_before_sending_and_nothing_on_a_clean_program() {
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
fn the_readout_as_slides_is_written_not_archived_and_only_the_readout_has_them() {
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

#[test]
fn delete_and_restore_work_on_any_kind_from_the_command_line_and_say_what_they_did() {
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
fn init_says_what_it_made_a_closed_pipe_is_quiet_and_title_names_every_kind() {
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
