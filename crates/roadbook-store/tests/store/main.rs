//! The store against real SQLite files in temp dirs.

// A test that fails should stop at once with the value that was wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use roadbook_model::{Action, Decision, Entity, Handbook, Id, Kind, fixtures, sample};
use roadbook_store::{HistoryQuery, Operation, Saved, Store, StoreError, edits_between};
use serde_json::json;

mod baselines;
mod edits;
mod identity;
mod links;
mod order;
mod portfolio;
mod remote;

mod files;

fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roadbook.db");
    (dir, path)
}

fn with_sample() -> (tempfile::TempDir, PathBuf, Handbook) {
    let (dir, path) = temp_db();
    let handbook = sample::builder_insights().unwrap();
    Store::open(&path)
        .unwrap()
        .import(&handbook, "lead")
        .unwrap();
    (dir, path, handbook)
}

/// Edits an item as a person does: the fields that differ from what is stored now, with the
/// revisions read now (so nothing changes meanwhile, unlike an editor left open).
fn update<E: Entity>(
    store: &mut Store,
    program: Id,
    after: &E,
    author: &str,
) -> Result<Saved, StoreError> {
    let (_, before, seen) = store.get_revised::<E>(after.id())?;
    let edits = edits_between(&before, after, &seen)?;
    store.edit(program, E::KIND, after.id(), &edits, author)
}

fn export(path: &Path, program: Id) -> String {
    Store::open(path)
        .unwrap()
        .load(program)
        .unwrap()
        .to_json()
        .unwrap()
}

#[test]
fn a_new_database_uses_wal_and_keeps_its_client_id() {
    let (_dir, path) = temp_db();
    let first = Store::open(&path).unwrap().client_id();
    let again = Store::open(&path).unwrap().client_id();
    assert_eq!(first, again);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, roadbook_store::SCHEMA_VERSION);
}

#[test]
fn an_imported_program_loads_back_equal() {
    let (_dir, path, handbook) = with_sample();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.load(handbook.program.id).unwrap(), handbook);
    let programs = store.programs().unwrap();
    assert_eq!(programs.len(), 1);
    assert_eq!(programs[0].name, "Builder Insights operationalization");
    assert_eq!(programs[0].items as usize, handbook.item_count());
}

#[test]
fn an_edit_writes_history_and_outbox_per_changed_field_with_base_versions() {
    let (_dir, path, handbook) = with_sample();
    let mut store = Store::open(&path).unwrap();
    let decided = handbook.status_named("Decided").unwrap().id;
    let mut decision = handbook.decisions[0].clone();
    let versions = store.field_versions(decision.id).unwrap();
    assert_eq!(
        versions["status_id"], 0,
        "server versions start at 0 until a sync"
    );
    let revisions = store.field_revisions(decision.id).unwrap();
    let outbox_before = store.outbox(None).unwrap().len();

    decision.status_id = decided;
    decision.outcome = "Adopt Okta SSO with group claims".into();
    let saved = update(&mut store, handbook.program.id, &decision, "alice").unwrap();
    let Saved::Updated {
        fields,
        revisions: written,
    } = saved
    else {
        panic!("{saved:?}")
    };
    assert_eq!(fields, ["outcome", "status_id"]);

    let history = store
        .history(&HistoryQuery {
            item: Some(decision.id),
            ..Default::default()
        })
        .unwrap();
    let status_row = history
        .iter()
        .rev()
        .find(|h| h.field == "status_id")
        .unwrap();
    assert_eq!(
        status_row.old_value,
        Some(json!(handbook.decisions[0].status_id.to_string()))
    );
    assert_eq!(status_row.new_value, Some(json!(decided.to_string())));
    assert_eq!(status_row.author, "alice");
    assert!(
        status_row.changed_at.ends_with('Z'),
        "{}",
        status_row.changed_at
    );

    let outbox = store.outbox(None).unwrap();
    assert_eq!(outbox.len(), outbox_before + 1);
    let entry = outbox.last().unwrap();
    assert_eq!(
        (entry.item_kind, entry.item_id),
        (Kind::Decision, decision.id)
    );
    let Operation::Update { fields } = &entry.operation else {
        panic!("{:?}", entry.operation)
    };
    // What changed, and the rest of the decision's group as the person saw it (kept: sent to
    // be compared, never written), so a teammate's change to any of it is one conflict.
    let changed: Vec<(&str, bool)> = fields.iter().map(|(f, c)| (f.as_str(), c.kept)).collect();
    assert_eq!(
        changed,
        [
            ("decided_by", true),
            ("decided_on", true),
            ("outcome", false),
            ("rationale", true),
            ("status_id", false)
        ]
    );
    assert_eq!(
        fields["rationale"].value,
        json!(handbook.decisions[0].rationale)
    );
    assert_eq!(fields["status_id"].base_version, 0);
    assert_eq!(entry.operation.fields(), ["outcome", "status_id"]);
    // A decision marked made without what was decided is refused, and nothing is written.
    let mut other = handbook
        .decisions
        .iter()
        .find(|d| d.outcome.is_empty() && d.id != decision.id)
        .unwrap()
        .clone();
    other.status_id = decided;
    let err = update(&mut store, handbook.program.id, &other, "alice").unwrap_err();
    assert!(
        err.to_string()
            .contains("decision.outcome: a decision marked Decided needs its outcome"),
        "{err}"
    );
    assert_eq!(store.outbox(None).unwrap().len(), outbox_before + 1);
    assert_eq!(entry.seq, outbox[outbox.len() - 2].seq + 1, "consecutive");

    // Local edits leave the server versions alone and move the local revisions on.
    assert_eq!(store.field_versions(decision.id).unwrap(), versions);
    let after = store.field_revisions(decision.id).unwrap();
    assert!(after["status_id"] > revisions["status_id"]);
    assert_eq!(after["status_id"], written["status_id"]);
    assert_eq!(after["title"], revisions["title"]);

    assert_eq!(
        update(&mut store, handbook.program.id, &decision, "alice").unwrap(),
        Saved::Unchanged
    );
    assert_eq!(
        store.outbox(None).unwrap().len(),
        outbox_before + 1,
        "no change, no outbox entry"
    );
}

#[test]
fn a_save_with_a_dangling_or_mistyped_reference_changes_nothing() {
    let (_dir, path, handbook) = with_sample();
    let before = export(&path, handbook.program.id);
    let mut store = Store::open(&path).unwrap();

    let mut decision = handbook.decisions[0].clone();
    decision.status_id = Id::new();
    let err = update(&mut store, handbook.program.id, &decision, "lead").unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert!(
        err.to_string()
            .contains("decision.status_id: refers to status"),
        "{err}"
    );

    decision.status_id = handbook.owners[0].id;
    let err = update(&mut store, handbook.program.id, &decision, "lead").unwrap_err();
    assert!(
        err.to_string()
            .contains("which is a owner where a status is expected"),
        "{err}"
    );

    let mut blank = handbook.decisions[1].clone();
    blank.title = "  ".into();
    let err = update(&mut store, handbook.program.id, &blank, "lead").unwrap_err();
    assert_eq!(
        err.to_string(),
        "decision.title: is required and must not be empty"
    );

    drop(store);
    assert_eq!(export(&path, handbook.program.id), before);
}

#[test]
fn a_referenced_item_cannot_be_deleted_and_a_deleted_one_is_a_tombstone() {
    let (_dir, path, handbook) = with_sample();
    let mut store = Store::open(&path).unwrap();
    let needs_decision = handbook.status_named("Needs decision").unwrap();
    let err = store.delete(needs_decision.id, "lead").unwrap_err();
    assert!(matches!(err, StoreError::StillReferenced { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("decision 'Okta SSO path and claims model'"),
        "{err}"
    );

    let action = handbook.actions[0].clone();
    store.delete(action.id, "lead").unwrap();
    let loaded = store.load(handbook.program.id).unwrap();
    assert!(loaded.actions.iter().all(|a| a.id != action.id));
    assert!(matches!(
        store.get::<Action>(action.id),
        Err(StoreError::NotFound { .. })
    ));
    let history = store
        .history(&HistoryQuery {
            item: Some(action.id),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(history.last().unwrap().field, "deleted");
    let last = store.outbox(None).unwrap().pop().unwrap();
    let Operation::Delete { base_versions } = &last.operation else {
        panic!("not a delete")
    };
    assert_eq!(base_versions["text"], 0);
}

#[test]
fn status_and_owner_names_stay_unique() {
    let (_dir, path, handbook) = with_sample();
    let mut store = Store::open(&path).unwrap();
    let mut status = handbook.statuses[0].clone();
    status.name = "drafted".into();
    let err = update(&mut store, handbook.program.id, &status, "lead").unwrap_err();
    assert!(
        err.to_string()
            .contains("already the name of another status"),
        "{err}"
    );
}

#[test]
fn importing_twice_or_importing_an_invalid_handbook_writes_nothing() {
    let (_dir, path, handbook) = with_sample();
    let before = std::fs::read(&path).unwrap();
    let mut store = Store::open(&path).unwrap();
    let err = store.import(&handbook, "lead").unwrap_err();
    assert!(matches!(err, StoreError::ProgramExists { .. }), "{err}");

    let mut broken = fixtures::generated(50, 7);
    broken.decisions[0].status_id = Id::new();
    assert!(matches!(
        store.import(&broken, "lead"),
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.programs().unwrap().len(), 1);
    drop(store);
    // The WAL may have been checkpointed into the main file; compare what matters: the data.
    let after = std::fs::read(&path).unwrap();
    assert_eq!(before.len(), after.len());
}

#[test]
fn history_since_a_moment_holds_only_later_changes() {
    let (_dir, path, handbook) = with_sample();
    let mut store = Store::open(&path).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    let cut = chrono::Utc::now();
    std::thread::sleep(Duration::from_millis(5));
    let mut action = handbook.actions[1].clone();
    action.text.push_str(" this week");
    update(&mut store, handbook.program.id, &action, "lead").unwrap();
    let since = store
        .history(&HistoryQuery {
            program: Some(handbook.program.id),
            since: Some(cut),
            item: None,
        })
        .unwrap();
    assert_eq!(since.len(), 1);
    assert_eq!(since[0].field, "text");
    let all = store
        .history(&HistoryQuery {
            program: Some(handbook.program.id),
            ..Default::default()
        })
        .unwrap();
    assert!(
        all.len() > 500,
        "creation rows for every field of every item: {}",
        all.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// export -> import into a fresh database -> export gives the same bytes.
    #[test]
    fn export_import_export_is_identical(size in 0usize..300, seed in any::<u64>(), texts in prop::collection::vec(any::<String>(), 0..8)) {
        let handbook = fixtures::generated_with_texts(size, seed, &texts);
        let (_a, first) = temp_db();
        Store::open(&first).unwrap().import(&handbook, "lead").unwrap();
        let exported = export(&first, handbook.program.id);
        prop_assert_eq!(&exported, &handbook.to_json().unwrap());

        let reread = Handbook::from_json(&exported).unwrap();
        let (_b, second) = temp_db();
        Store::open(&second).unwrap().import(&reread, "someone else").unwrap();
        prop_assert_eq!(export(&second, handbook.program.id), exported);
    }
}

// --- crash safety ------------------------------------------------------------------------

#[test]
fn an_item_given_as_json_is_checked_strictly_and_added_by_its_kind() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let mut store = Store::open(&path).unwrap();
    let before = export(&path, program);
    let mut value = serde_json::to_value(&handbook.risks[0]).unwrap();
    value["id"] = json!(Id::new());

    value["severity"] = json!("extreme");
    let err = store
        .create_value(program, Kind::Risk, value.clone(), "lead")
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("risk.severity: unknown variant `extreme`"),
        "{err}"
    );
    value["severity"] = json!("low");
    value["severety"] = json!("low");
    let err = store
        .create_value(program, Kind::Risk, value.clone(), "lead")
        .unwrap_err();
    assert_eq!(err.to_string(), "risk.severety: unknown field `severety`");
    let err = store
        .create_value(
            program,
            Kind::Decision,
            json!({"id": Id::new().to_string()}),
            "lead",
        )
        .unwrap_err();
    assert!(err.to_string().contains("missing field `title`"), "{err}");
    assert_eq!(export(&path, program), before, "nothing written");

    value.as_object_mut().unwrap().remove("severety");
    let saved = store
        .create_value(program, Kind::Risk, value.clone(), "lead")
        .unwrap();
    assert_eq!(saved, Saved::Created);
    let err = store
        .create_value(program, Kind::Risk, value, "lead")
        .unwrap_err();
    assert!(matches!(err, StoreError::Exists { .. }), "{err}");
    let loaded = store.load(program).unwrap();
    assert_eq!(
        loaded.risks.last().unwrap().severity,
        roadbook_model::Level::Low
    );
}

fn decision_ids(store: &Store, program: Id) -> Vec<Id> {
    store
        .load(program)
        .unwrap()
        .decisions
        .iter()
        .map(|d| d.id)
        .collect()
}

fn decision_titles(path: &Path, program: Id) -> Vec<String> {
    Store::open(path)
        .unwrap()
        .load(program)
        .unwrap()
        .decisions
        .iter()
        .map(|d| d.title.clone())
        .collect()
}

#[test]
fn a_moved_item_keeps_its_place_after_reopening_with_one_history_row_and_outbox_entry() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let titles = decision_titles(&path, program);
    let (first, third) = (handbook.decisions[0].id, handbook.decisions[2].id);
    let mut store = Store::open(&path).unwrap();
    let outbox_before = store.outbox(None).unwrap().len();

    let saved = store.move_item(third, Some(first), "alice").unwrap();
    assert!(
        matches!(&saved, Saved::Updated { fields, .. } if fields == &["position"]),
        "{saved:?}"
    );
    drop(store);
    let mut expected = titles.clone();
    let moved = expected.remove(2);
    expected.insert(0, moved);
    assert_eq!(decision_titles(&path, program), expected);

    let store = Store::open(&path).unwrap();
    let history = store
        .history(&HistoryQuery {
            item: Some(third),
            ..Default::default()
        })
        .unwrap();
    let row = history.iter().find(|h| h.field == "position").unwrap();
    assert_eq!(row.author, "alice");
    let outbox = store.outbox(None).unwrap();
    assert_eq!(outbox.len(), outbox_before + 1, "one outbox entry");
    let entry = outbox.last().unwrap();
    assert_eq!(entry.item_id, third);
    let Operation::Update { fields } = &entry.operation else {
        panic!("{:?}", entry.operation)
    };
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["position"]);
    assert_eq!(fields["position"].base_version, 0);
    assert_eq!(store.field_versions(third).unwrap()["position"], 0);
    assert_eq!(
        store.field_revisions(third).unwrap()["position"],
        row_id(&store, third, "position")
    );
}

#[test]
fn moving_to_the_end_and_to_where_it_is_already() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let ids: Vec<Id> = handbook.decisions.iter().map(|d| d.id).collect();
    let mut store = Store::open(&path).unwrap();
    let outbox_before = store.outbox(None).unwrap().len();
    // Already there: before its own next neighbour, or to the end when it is last.
    assert_eq!(
        store.move_item(ids[0], Some(ids[1]), "lead").unwrap(),
        Saved::Unchanged
    );
    assert_eq!(
        store.move_item(*ids.last().unwrap(), None, "lead").unwrap(),
        Saved::Unchanged
    );
    assert_eq!(
        store.move_item(ids[0], Some(ids[0]), "lead").unwrap(),
        Saved::Unchanged
    );
    assert_eq!(store.outbox(None).unwrap().len(), outbox_before);

    store.move_item(ids[0], None, "lead").unwrap();
    drop(store);
    let loaded = decision_ids(&Store::open(&path).unwrap(), program);
    assert_eq!(loaded.last(), Some(&ids[0]));
    assert_eq!(loaded[..loaded.len() - 1], ids[1..]);
}

#[test]
fn a_hundred_moves_into_the_same_gap_keep_the_order_exact() {
    // Each move takes a key between the first decision and the one after it: the keys grow,
    // nothing is renumbered, and the order is what the lead made.
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let mut expected: Vec<Id> = handbook.decisions.iter().map(|d| d.id).collect();
    let mut store = Store::open(&path).unwrap();
    for _ in 0..100 {
        // Move the last decision to second place.
        let last = *expected.last().unwrap();
        store.move_item(last, Some(expected[1]), "lead").unwrap();
        expected.pop();
        expected.insert(1, last);
    }
    assert_eq!(decision_ids(&store, program), expected);
    // New items still go to the end.
    let mut decision = handbook.decisions[0].clone();
    decision.id = Id::new();
    decision.title = "Added after the moves".into();
    store.create(program, &decision, "lead").unwrap();
    assert_eq!(
        store.load(program).unwrap().decisions.last().unwrap().title,
        "Added after the moves"
    );
}

#[test]
fn a_move_before_an_item_of_another_kind_or_an_unknown_one_changes_nothing() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let before = export(&path, program);
    let mut store = Store::open(&path).unwrap();
    let outbox_before = store.outbox(None).unwrap().len();

    let err = store
        .move_item(handbook.decisions[1].id, Some(handbook.risks[0].id), "lead")
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("an item moves only among its own kind"),
        "{err}"
    );
    let unknown = Id::new();
    let err = store.move_item(unknown, None, "lead").unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    let err = store.move_item(program, None, "lead").unwrap_err();
    assert!(err.to_string().contains("moving a program"), "{err}");

    assert_eq!(store.outbox(None).unwrap().len(), outbox_before);
    drop(store);
    assert_eq!(export(&path, program), before);
}

/// The revision of an item's field: the id of its last history row.
fn row_id(store: &Store, item: Id, field: &str) -> u64 {
    store
        .history(&HistoryQuery {
            item: Some(item),
            ..Default::default()
        })
        .unwrap()
        .iter()
        .rev()
        .find(|h| h.field == field)
        .unwrap()
        .revision
}
