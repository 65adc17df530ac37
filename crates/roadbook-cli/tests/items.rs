//! Every kind of item from the command line (`roadbook KIND add|set|list|show|delete|restore|
//! move`), the real binary against a real database file: each change is in the export, the
//! history and the documents; bad input says what is wrong and changes nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use roadbook_model::Id;
use serde_json::Value;

mod common;
use common::{export, fails, ok, sample_db as sample};

/// The item `id` as the export holds it (none: not there).
fn exported(db: &Path, id: Id) -> Option<Value> {
    let h = export(db);
    h.entities()
        .into_iter()
        .find(|(_, e)| e.id() == id)
        .map(|(_, e)| Value::Object(e.to_fields().unwrap()))
}

/// One kind's walk: what to add, what to change, and what the export must hold after each.
struct Case {
    words: &'static [&'static str],
    add: Vec<String>,
    added: Vec<(&'static str, Value)>,
    set: Vec<String>,
    changed: Vec<(&'static str, Value)>,
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}

#[test]
fn every_kind_is_added_changed_listed_shown_moved_deleted_and_restored() {
    let (_dir, db) = sample();
    let h = export(&db);
    let phase = h.phases[0].clone();
    let team = h
        .owners
        .iter()
        .find(|o| o.kind == roadbook_model::OwnerKind::Placeholder)
        .unwrap()
        .clone();
    let workstream = h.workstreams[0].clone();
    let open = h.statuses.iter().find(|s| s.open).unwrap().clone();
    let phase_id = phase.id.to_string();
    let cases = vec![
        Case {
            words: &["workstream"],
            add: strings(&[
                "--area",
                "Data platform",
                "--owner",
                &team.name,
                "--risk-level",
                "low",
            ]),
            added: vec![
                ("area", Value::from("Data platform")),
                ("owner_ids", serde_json::json!([team.id])),
                ("risk_level", Value::from("low")),
                ("status_id", serde_json::json!(open.id)),
            ],
            set: strings(&["--main-blocker", "Capacity in Q1", "--owner", "none"]),
            changed: vec![
                ("main_blocker", Value::from("Capacity in Q1")),
                ("owner_ids", serde_json::json!([])),
            ],
        },
        Case {
            words: &["phase"],
            add: strings(&[
                "--view",
                &phase.view,
                "--name",
                "Phase 5: Scale",
                "--start",
                "2027-01-04",
                "--end",
                "2027-02-26",
            ]),
            added: vec![
                ("name", Value::from("Phase 5: Scale")),
                ("start", Value::from("2027-01-04")),
            ],
            set: strings(&["--goal", "Every team on it", "--end", "none"]),
            changed: vec![
                ("goal", Value::from("Every team on it")),
                ("end", Value::Null),
            ],
        },
        Case {
            words: &["work-item"],
            add: strings(&["--phase", &phase_id, "--text", "Write the runbook"]),
            added: vec![
                ("phase_id", serde_json::json!(phase.id)),
                ("done", Value::from(false)),
            ],
            set: strings(&["--done", "yes"]),
            changed: vec![("done", Value::from(true))],
        },
        Case {
            words: &["exit-criterion"],
            add: strings(&[
                "--phase",
                &phase_id,
                "--text",
                "Runbook reviewed by support",
            ]),
            added: vec![("text", Value::from("Runbook reviewed by support"))],
            set: strings(&["--met", "yes", "--evidence", "Review notes of 3 December"]),
            changed: vec![
                ("met", Value::from(true)),
                ("evidence", Value::from("Review notes of 3 December")),
            ],
        },
        Case {
            words: &["milestone"],
            add: strings(&["--name", "General availability", "--target", "2026-12-15"]),
            added: vec![("target", Value::from("2026-12-15"))],
            set: strings(&["--target", "2026-12-22", "--phase", &phase_id]),
            changed: vec![
                ("target", Value::from("2026-12-22")),
                ("phase_id", serde_json::json!(phase.id)),
            ],
        },
        Case {
            words: &["dependency"],
            add: strings(&[
                "--dependent",
                "Leadership dashboards",
                "--depends-on",
                "Data platform",
                "--workstream",
                &workstream.area,
            ]),
            added: vec![("workstream_id", serde_json::json!(workstream.id))],
            set: strings(&["--why-it-matters", "No numbers without it"]),
            changed: vec![("why_it_matters", Value::from("No numbers without it"))],
        },
        Case {
            words: &["readiness", "dimension"],
            add: strings(&["--name", "Support", "--state", "partial"]),
            added: vec![("state", Value::from("partial"))],
            set: strings(&[
                "--signal",
                "Rota agreed, not staffed",
                "--state",
                "not ready",
            ]),
            changed: vec![
                ("signal", Value::from("Rota agreed, not staffed")),
                ("state", Value::from("not_ready")),
            ],
        },
        Case {
            words: &["readiness", "check"],
            add: strings(&["--text", "On-call rota", "--owner", &team.name]),
            added: vec![("owner_id", serde_json::json!(team.id))],
            set: strings(&["--done", "yes", "--evidence", "Rota in the wiki"]),
            changed: vec![("done", Value::from(true))],
        },
        Case {
            words: &["review"],
            add: strings(&["--title", "Steering review", "--date", "2026-12-10"]),
            added: vec![("date", Value::from("2026-12-10"))],
            set: strings(&[
                "--decision",
                &h.decisions[0].id.to_string(),
                "--attendees",
                r#"[{"name": "Priya Raman", "group": "core"}]"#,
            ]),
            changed: vec![("decision_ids", serde_json::json!([h.decisions[0].id]))],
        },
        Case {
            words: &["owner"],
            add: strings(&[
                "--name",
                "Priya Raman",
                "--kind",
                "person",
                "--team",
                &team.name,
            ]),
            added: vec![
                ("kind", Value::from("person")),
                ("team_id", serde_json::json!(team.id)),
            ],
            set: strings(&["--short-name", "Priya"]),
            changed: vec![("short_name", Value::from("Priya"))],
        },
        Case {
            words: &["status"],
            add: strings(&["--name", "At risk", "--colour", "#D9822B"]),
            added: vec![("colour", Value::from("#D9822B"))],
            set: strings(&["--open", "no", "--meaning", "Needs a lead's attention"]),
            changed: vec![("open", Value::from(false))],
        },
    ];

    for case in cases {
        let what = case.words.join(" ");
        let verb = |verb: &str, rest: &[String]| -> Vec<String> {
            let mut args = strings(case.words);
            args.push(verb.to_owned());
            args.extend(rest.iter().cloned());
            args
        };
        let run = |args: Vec<String>| ok(&db, &args.iter().map(String::as_str).collect::<Vec<_>>());

        let id: Id = run(verb("add", &case.add)).trim().parse().unwrap();
        let item = exported(&db, id).unwrap_or_else(|| panic!("{what}: not exported"));
        for (key, value) in &case.added {
            assert_eq!(&item[key], value, "{what} add: {key} in {item}");
        }
        let said = run(verb(
            "set",
            &[id.to_string()]
                .iter()
                .cloned()
                .chain(case.set.clone())
                .collect::<Vec<_>>(),
        ));
        assert!(said.starts_with("changed "), "{what}: {said}");
        let item = exported(&db, id).unwrap();
        for (key, value) in &case.changed {
            assert_eq!(&item[key], value, "{what} set: {key} in {item}");
        }
        // The history has who changed what.
        let history = ok(&db, &["history", "--item", &id.to_string(), "--json"]);
        let history: Vec<Value> = serde_json::from_str(&history).unwrap();
        let (first_key, _) = &case.changed[0];
        assert!(
            history
                .iter()
                .any(|e| e["field"] == *first_key && e["author"] == "Test Lead"),
            "{what}: {first_key} not in the history"
        );
        // Listed (JSON parsed) and shown, with the app's labels.
        let listed: Vec<Value> =
            serde_json::from_str(&run(verb("list", &strings(&["--json"])))).unwrap();
        assert!(
            listed.iter().any(|i| i["id"] == serde_json::json!(id)),
            "{what}: not listed"
        );
        assert!(run(verb("list", &[])).contains(&id.to_string()), "{what}");
        let shown = run(verb("show", &[id.to_string()]));
        let kind = listed
            .iter()
            .find(|i| i["id"] == serde_json::json!(id))
            .unwrap();
        assert!(shown.contains(&id.to_string()), "{what}: {shown}");
        assert!(
            !shown.contains("_id"),
            "{what}: a field id on screen: {shown}"
        );
        let shown_json: Value =
            serde_json::from_str(&run(verb("show", &[id.to_string(), "--json".into()]))).unwrap();
        assert_eq!(&shown_json, kind, "{what}: show --json is the listed item");
        // Moved to the front and back to the end.
        let first = listed[0]["id"].as_str().unwrap().to_owned();
        if first != id.to_string() {
            run(verb(
                "move",
                &[id.to_string(), "--before".into(), first.clone()],
            ));
            let listed: Vec<Value> =
                serde_json::from_str(&run(verb("list", &strings(&["--json"])))).unwrap();
            assert_eq!(
                listed[0]["id"],
                serde_json::json!(id),
                "{what}: moved to the front"
            );
            run(verb("move", &[id.to_string(), "--last".into()]));
        }
        // Deleted and brought back whole.
        let before = exported(&db, id).unwrap();
        run(verb("delete", &[id.to_string()]));
        assert!(
            exported(&db, id).is_none(),
            "{what}: still there after delete"
        );
        run(verb("restore", &[id.to_string()]));
        assert_eq!(exported(&db, id), Some(before), "{what}: restored whole");
    }
}

#[test]
fn names_stand_for_ids_and_an_ambiguous_or_unknown_name_lists_the_candidates() {
    let (dir, db) = sample();
    let a: Id = ok(&db, &["milestone", "add", "--name", "Pilot live"])
        .trim()
        .parse()
        .unwrap();
    ok(
        &db,
        &["milestone", "set", "pilot LIVE", "--target", "2026-12-15"],
    );
    assert_eq!(exported(&db, a).unwrap()["target"], "2026-12-15");
    let b: Id = ok(&db, &["milestone", "add", "--name", "Pilot live"])
        .trim()
        .parse()
        .unwrap();
    let before = export(&db);
    let err = fails(
        &db,
        &["milestone", "set", "Pilot live", "--target", "2026-12-16"],
    );
    assert!(
        err.contains("'Pilot live' names 2 milestones")
            && err.contains(&a.to_string())
            && err.contains(&b.to_string())
            && err.contains("give the id"),
        "{err}"
    );
    let err = fails(
        &db,
        &["work-item", "add", "--phase", "Nowhere", "--text", "x"],
    );
    assert!(err.contains("unknown phase 'Nowhere': use one of"), "{err}");
    assert_eq!(export(&db), before, "nothing changed");
    // The other way to name a phase: "VIEW: NAME".
    let phase = &before.phases[0];
    let id: Id = ok(
        &db,
        &[
            "work-item",
            "add",
            "--phase",
            &format!("{}: {}", phase.view, phase.name),
            "--text",
            "Named by view",
        ],
    )
    .trim()
    .parse()
    .unwrap();
    assert_eq!(
        exported(&db, id).unwrap()["phase_id"],
        serde_json::json!(phase.id)
    );
    drop(dir);
}

#[test]
fn bad_input_for_each_kind_says_what_is_wrong_and_changes_nothing() {
    let (_dir, db) = sample();
    let before = export(&db);
    let phase = before.phases[0].id.to_string();
    for (args, expected) in [
        (
            vec!["milestone", "add"],
            "a new milestone needs --name (Milestone)",
        ),
        (
            vec!["phase", "add", "--name", "x"],
            "needs --view (Phase view)",
        ),
        (
            vec!["work-item", "add", "--text", "x"],
            "needs --phase (Phase)",
        ),
        (
            vec!["milestone", "add", "--name", "x", "--target", "2026-02-30"],
            "--target is '2026-02-30'",
        ),
        (
            vec![
                "exit-criterion",
                "add",
                "--phase",
                &phase,
                "--text",
                "x",
                "--met",
                "maybe",
            ],
            "--met is 'maybe': give yes or no",
        ),
        (
            vec!["workstream", "add", "--area", "x", "--risk-level", "huge"],
            "unknown level 'huge'",
        ),
        (
            vec!["status", "add", "--name", "x", "--colour", "blue"],
            "colour",
        ),
        (
            vec!["owner", "add", "--name", "x", "--kind", "robot"],
            "unknown owner kind 'robot'",
        ),
        (vec!["milestone", "add", "--name", " "], "name"),
        (
            vec!["review", "add", "--title", "x", "--attendees", "[{"],
            "--attendees is not a JSON list",
        ),
        (
            vec!["milestone", "set", &phase, "--name", "x"],
            "is a phase, not a milestone",
        ),
        (
            vec!["milestone", "set", "Nothing like it", "--name", "x"],
            "unknown milestone 'Nothing like it'",
        ),
        (
            vec!["dependency", "set", &before.dependencies[0].id.to_string()],
            "say what to change",
        ),
        (
            vec![
                "status",
                "add",
                "--name",
                &before.statuses[0].name.to_uppercase(),
            ],
            "status",
        ),
    ] {
        let err = fails(&db, &args);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert_eq!(export(&db), before, "nothing changed");
    // The help says which flags a new item needs, with the app's labels.
    let help = ok(&db, &["milestone", "add", "--help"]);
    assert!(help.contains("Milestone (required)"), "{help}");
    assert!(
        help.contains("Target date") && !help.contains("Target date (required)"),
        "{help}"
    );
}

#[test]
fn a_milestone_target_set_from_the_command_line_is_in_the_program_plan() {
    let (dir, db) = sample();
    let h = export(&db);
    let milestone = &h.milestones[0];
    ok(
        &db,
        &[
            "milestone",
            "set",
            &milestone.name,
            "--target",
            "2027-03-31",
        ],
    );
    let plan = dir.path().join("plan.md");
    ok(&db, &["report", "plan", "--out", plan.to_str().unwrap()]);
    let text = std::fs::read_to_string(&plan).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(&milestone.name) && l.contains("|"))
        .unwrap_or_else(|| panic!("the plan lists no milestone {}: {text}", milestone.name));
    assert!(
        line.contains("2027-03-31")
            || line.contains("31 March 2027")
            || line.contains("31 Mar 2027"),
        "{line}"
    );
}

#[test]
fn a_review_outcome_decides_assigns_and_settles_what_goes_stale_as_the_app_does() {
    let (_dir, db) = sample();
    let h = export(&db);
    // Every decision of one workstream, decided at one review: the workstream is left waiting
    // on nothing, and asks that speak of them go stale.
    let workstream = h.decisions[0].workstream_id.unwrap();
    let deciding: Vec<&roadbook_model::Decision> = h
        .decisions
        .iter()
        .filter(|d| d.workstream_id == Some(workstream))
        .collect();
    let ids: Vec<Id> = deciding.iter().map(|d| d.id).collect();
    let expected = roadbook_model::follow_ups(&h, &ids);
    assert!(
        !expected.workstreams.is_empty() || !expected.asks.is_empty(),
        "the sample must make something stale for this test to mean anything"
    );
    let review = &h.reviews[0];
    let rid = review.id.to_string();
    let mut aims = vec!["review", "set", &rid];
    let id_texts: Vec<String> = ids.iter().map(Id::to_string).collect();
    for id in &id_texts {
        aims.extend(["--decision", id]);
    }
    let other = h
        .decisions
        .iter()
        .find(|d| d.workstream_id != Some(workstream))
        .unwrap();
    let other_id = other.id.to_string();
    aims.extend(["--decision", &other_id]);
    ok(&db, &aims);

    // Decided needs its outcome, rationale and who decided; nothing is written without them.
    let before = export(&db);
    let err = fails(&db, &["review", "outcome", &rid, "--decided", &id_texts[0]]);
    assert!(err.contains("needs --outcome"), "{err}");
    let elsewhere = h
        .decisions
        .iter()
        .find(|d| d.id != other.id && !ids.contains(&d.id))
        .expect("a decision the review does not aim for");
    let err = fails(
        &db,
        &[
            "review",
            "outcome",
            &rid,
            "--status",
            &format!("{}=Blocked", elsewhere.id),
        ],
    );
    assert!(err.contains("is not among the decisions"), "{err}");
    let err = fails(
        &db,
        &[
            "review",
            "outcome",
            &rid,
            "--action",
            "Call the vendor; when=soon",
        ],
    );
    assert!(
        err.contains("neither owner=NAME nor due=YYYY-MM-DD"),
        "{err}"
    );
    assert_eq!(export(&db), before, "nothing changed");

    let owner = &h.owners[0];
    let mut args: Vec<String> = strings(&[
        "review",
        "outcome",
        &rid,
        "--held-on",
        "2026-12-10",
        "--summary",
        "Identity path chosen; the runtime boundary waits a cycle",
        "--status",
        &format!("{other_id}=Blocked"),
        "--action",
        &format!(
            "Write the claims mapping; owner={}; due=2026-12-20",
            owner.name
        ),
    ]);
    for id in &id_texts {
        args.extend(strings(&[
            "--decided",
            id,
            "--outcome",
            &format!("{id}=Chosen at the review"),
            "--rationale",
            &format!("{id}=One path for every app"),
            "--decided-by",
            &format!("{id}=Priya Raman"),
        ]));
    }
    let mut settled = args.clone();
    settled.push("--settle".into());
    let said = ok(&db, &settled.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        said.contains(&format!(
            "{} decisions decided, 1 changed otherwise, 1 actions added",
            ids.len()
        )),
        "{said}"
    );
    let after = export(&db);
    let decided = after.status_named("Decided").unwrap().id;
    for id in &ids {
        let d = after.decisions.iter().find(|d| d.id == *id).unwrap();
        assert_eq!(d.status_id, decided);
        assert_eq!(d.outcome, "Chosen at the review");
        assert_eq!(d.decided_by, "Priya Raman");
        assert_eq!(
            d.decided_on.map(|d| d.to_string()).as_deref(),
            Some("2026-12-10")
        );
    }
    let blocked = after.status_named("Blocked").unwrap().id;
    assert_eq!(
        after
            .decisions
            .iter()
            .find(|d| d.id == other.id)
            .unwrap()
            .status_id,
        blocked
    );
    let action = after
        .actions
        .iter()
        .find(|a| a.text == "Write the claims mapping")
        .unwrap();
    assert_eq!(
        (action.review_id, action.owner_id, action.source.as_str()),
        (Some(review.id), Some(owner.id), review.title.as_str())
    );
    assert_eq!(
        action.due.map(|d| d.to_string()).as_deref(),
        Some("2026-12-20")
    );
    let held = after.reviews.iter().find(|r| r.id == review.id).unwrap();
    assert_eq!(
        held.held_on.map(|d| d.to_string()).as_deref(),
        Some("2026-12-10")
    );
    assert_eq!(
        held.outcome,
        "Identity path chosen; the runtime boundary waits a cycle"
    );
    assert!(
        after.status(held.status_id).is_some_and(|s| !s.open),
        "the review is closed"
    );
    // What went stale is settled with it, as the app offers.
    for w in &expected.workstreams {
        assert_eq!(
            after
                .workstreams
                .iter()
                .find(|x| x.id == *w)
                .unwrap()
                .status_id,
            decided
        );
    }
    for ask in &expected.asks {
        assert!(!after.program.asks.contains(ask), "{ask} was settled");
    }
    assert_eq!(
        after.program.asks.len(),
        h.program.asks.len() - expected.asks.len()
    );
}
