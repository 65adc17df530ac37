//! Edits are field changes with the revision the person saw: a stale copy never reverts a
//! change made meanwhile.

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};

use roadbook_model::{Decision, Id, Kind, Owner, OwnerKind};
use roadbook_store::{
    Edits, FieldEdit, HistoryQuery, Operation, RemoteChange, Saved, Store, StoreError,
    edits_between,
};
use serde_json::json;

use super::{export, update, with_sample};

/// An editor opened on a decision: the copy it shows and the revisions it saw.
fn open_editor(store: &Store, id: Id) -> (Decision, roadbook_store::FieldNumbers) {
    let (_, decision, seen) = store.get_revised::<Decision>(id).unwrap();
    (decision, seen)
}

#[test]
fn an_editor_holding_an_older_copy_writes_only_the_fields_it_changed() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let mut store = Store::open(&path).unwrap();
    let id = handbook.decisions[0].id;
    let (opened, seen) = open_editor(&store, id);

    // Meanwhile another writer (the CLI) changes the question.
    let mut other = opened.clone();
    other.question = "Which groups carry the claims?".into();
    update(&mut store, program, &other, "cli").unwrap();

    // The editor saves its own change, made on the older copy.
    let mut mine = opened.clone();
    mine.title = "Okta SSO with group claims".into();
    let edits = edits_between(&opened, &mine, &seen).unwrap();
    assert_eq!(edits.keys().collect::<Vec<_>>(), ["title"]);
    store
        .edit(program, Kind::Decision, id, &edits, "editor")
        .unwrap();

    let (_, now): (_, Decision) = store.get(id).unwrap();
    assert_eq!(now.title, "Okta SSO with group claims");
    assert_eq!(
        now.question, "Which groups carry the claims?",
        "not reverted"
    );
}

#[test]
fn the_same_field_changed_meanwhile_is_a_clash_and_the_persons_choice_stands() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let decided = handbook.status_named("Decided").unwrap().id;
    let blocked = handbook.status_named("Blocked").unwrap().id;
    let mut store = Store::open(&path).unwrap();
    let id = handbook.decisions[0].id;
    let (opened, seen) = open_editor(&store, id);

    let mut other = opened.clone();
    other.status_id = blocked;
    update(&mut store, program, &other, "sam").unwrap();
    let after_other = export(&path, program);

    let mut mine = opened.clone();
    mine.status_id = decided;
    mine.outcome = "Okta".into();
    mine.title = "Okta path, decided".into();
    let edits = edits_between(&opened, &mine, &seen).unwrap();
    let err = store
        .edit(program, Kind::Decision, id, &edits, "lead")
        .unwrap_err();
    let StoreError::Stale { clashes, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(clashes.len(), 1, "only the field both changed: {clashes:?}");
    let clash = &clashes[0];
    assert_eq!(clash.field, "status_id");
    assert_eq!(clash.theirs, json!(blocked));
    assert_eq!(clash.yours, json!(decided));
    assert_eq!(clash.author, "sam");
    assert!(
        err.to_string().contains("choose whose value to keep"),
        "{err}"
    );
    assert_eq!(export(&path, program), after_other, "nothing written");

    // Keep mine: the same edit, now naming the revision the clash showed.
    let mut keep_mine = edits.clone();
    keep_mine.get_mut("status_id").unwrap().seen = clash.revision;
    store
        .edit(program, Kind::Decision, id, &keep_mine, "lead")
        .unwrap();
    let (_, now): (_, Decision) = store.get(id).unwrap();
    assert_eq!(
        (now.status_id, now.title.as_str()),
        (decided, "Okta path, decided")
    );

    // Keep theirs, on another decision: the field leaves the edit, the rest is written.
    let id = handbook.decisions[1].id;
    let (opened, seen) = open_editor(&store, id);
    let mut other = opened.clone();
    other.status_id = blocked;
    update(&mut store, program, &other, "sam").unwrap();
    let mut mine = opened.clone();
    mine.status_id = decided;
    mine.rationale = "Security signed off".into();
    let mut edits = edits_between(&opened, &mine, &seen).unwrap();
    assert!(
        store
            .edit(program, Kind::Decision, id, &edits, "lead")
            .is_err()
    );
    edits.remove("status_id");
    store
        .edit(program, Kind::Decision, id, &edits, "lead")
        .unwrap();
    let (_, now): (_, Decision) = store.get(id).unwrap();
    assert_eq!(
        (now.status_id, now.rationale.as_str()),
        (blocked, "Security signed off")
    );
}

#[test]
fn a_field_changed_and_changed_back_meanwhile_is_not_a_clash() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let mut store = Store::open(&path).unwrap();
    let id = handbook.decisions[0].id;
    let (opened, seen) = open_editor(&store, id);
    let mut other = opened.clone();
    other.title = "Briefly renamed".into();
    update(&mut store, program, &other, "sam").unwrap();
    update(&mut store, program, &opened, "sam").unwrap();

    let mut mine = opened.clone();
    mine.title = "Renamed by the lead".into();
    let edits = edits_between(&opened, &mine, &seen).unwrap();
    store
        .edit(program, Kind::Decision, id, &edits, "lead")
        .unwrap();
    let (_, now): (_, Decision) = store.get(id).unwrap();
    assert_eq!(now.title, "Renamed by the lead");
}

#[test]
fn sets_edited_on_both_sides_keep_both_peoples_additions() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let mut store = Store::open(&path).unwrap();
    let id = handbook.decisions[0].id;
    let (opened, seen) = open_editor(&store, id);
    let owners: Vec<Id> = handbook.owners.iter().map(|o| o.id).collect();
    let (theirs_added, mine_added) = owners
        .iter()
        .copied()
        .filter(|o| !opened.needed_from.contains(o))
        .fold((None, None), |(a, b), o| match (a, b) {
            (None, _) => (Some(o), None),
            (Some(a), None) => (Some(a), Some(o)),
            done => done,
        });
    let (theirs_added, mine_added) = (theirs_added.unwrap(), mine_added.unwrap());

    let mut other = opened.clone();
    other.needed_from.push(theirs_added);
    update(&mut store, program, &other, "sam").unwrap();
    let mut mine = opened.clone();
    mine.needed_from.push(mine_added);
    let edits = edits_between(&opened, &mine, &seen).unwrap();
    store
        .edit(program, Kind::Decision, id, &edits, "lead")
        .unwrap();

    let (_, now): (_, Decision) = store.get(id).unwrap();
    let mut expected = opened.needed_from.clone();
    expected.extend([theirs_added, mine_added]);
    assert_eq!(now.needed_from, expected);
}

#[test]
fn an_edit_of_a_field_the_kind_does_not_have_is_refused_and_writes_nothing() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let before = export(&path, program);
    let mut store = Store::open(&path).unwrap();
    let id = handbook.decisions[0].id;
    let outbox = store.outbox(None).unwrap().len();
    for (field, message) in [
        ("colour", "decision.colour: a decision has no such field"),
        ("id", "decision.id: a decision has no such field"),
        (
            "position",
            "decision.position: a place in the list changes with a move, not an edit",
        ),
    ] {
        let edits = Edits::from([(
            field.to_owned(),
            FieldEdit {
                value: json!("x"),
                seen: 0,
            },
        )]);
        let err = store
            .edit(program, Kind::Decision, id, &edits, "lead")
            .unwrap_err();
        assert_eq!(err.to_string(), message);
    }
    let wrong_type = Edits::from([(
        "due".to_owned(),
        FieldEdit {
            value: json!("2026-02-30"),
            seen: store.field_revisions(id).unwrap()["due"],
        },
    )]);
    let err = store
        .edit(program, Kind::Decision, id, &wrong_type, "lead")
        .unwrap_err();
    assert!(err.to_string().starts_with("decision.due: "), "{err}");
    // The wrong kind for the id is refused as well.
    let err = store
        .edit(program, Kind::Risk, id, &Edits::new(), "lead")
        .unwrap_err();
    assert!(matches!(err, StoreError::WrongKind { .. }), "{err}");
    assert_eq!(store.outbox(None).unwrap().len(), outbox);
    drop(store);
    assert_eq!(export(&path, program), before);
}

#[test]
fn fields_written_by_a_newer_roadbook_survive_an_edit_by_this_one() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let mut store = Store::open(&path).unwrap();
    // A newer Roadbook's decision, with a field this build does not know, arrives by the sync.
    let mut fields = roadbook_model::to_fields(&handbook.decisions[0]).unwrap();
    let id = Id::new();
    fields.insert("id".into(), json!(id));
    fields.insert("title".into(), json!("Made by a newer Roadbook"));
    fields.insert("confidence".into(), json!({"level": "high", "by": "sam"}));
    store
        .apply_remote(
            program,
            &[RemoteChange {
                kind: Kind::Decision,
                item_id: id,
                version: 3,
                author: "sam".into(),
                at: "2026-11-20T09:00:00.000Z".into(),
                made_at: None,
                fields,
            }],
            3,
        )
        .unwrap();
    let loaded = store.load(program).unwrap();
    assert!(loaded.decisions.iter().any(|d| d.id == id), "it loads");

    let (_, opened, seen) = store.get_revised::<Decision>(id).unwrap();
    let mut mine = opened.clone();
    mine.title = "Edited by this Roadbook".into();
    let edits = edits_between(&opened, &mine, &seen).unwrap();
    store
        .edit(program, Kind::Decision, id, &edits, "lead")
        .unwrap();

    let stored = store.stored_fields(id).unwrap();
    assert_eq!(stored["confidence"], json!({"level": "high", "by": "sam"}));
    assert_eq!(stored["title"], json!("Edited by this Roadbook"));
    // The outbox carries only the field the person changed, never the unknown one as null.
    let entry = store.outbox(Some(program)).unwrap().pop().unwrap();
    let Operation::Update { fields } = entry.operation else {
        panic!("not an update")
    };
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["title"]);
}

#[test]
fn undoing_an_edit_restores_its_fields_only_and_never_over_a_later_change() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let mut store = Store::open(&path).unwrap();
    let id = handbook.decisions[0].id;
    let (opened, seen) = open_editor(&store, id);
    let mut mine = opened.clone();
    mine.title = "Renamed".into();
    let edits = edits_between(&opened, &mine, &seen).unwrap();
    let Saved::Updated { revisions, .. } = store
        .edit(program, Kind::Decision, id, &edits, "lead")
        .unwrap()
    else {
        panic!("not updated")
    };
    // Someone changes another field; the undo of the rename leaves it alone.
    let mut other = mine.clone();
    other.question = "Asked again".into();
    update(&mut store, program, &other, "sam").unwrap();
    let undo = Edits::from([(
        "title".to_owned(),
        FieldEdit {
            value: json!(opened.title),
            seen: revisions["title"],
        },
    )]);
    store
        .edit(program, Kind::Decision, id, &undo, "lead")
        .unwrap();
    let (_, now): (_, Decision) = store.get(id).unwrap();
    assert_eq!(
        (now.title.as_str(), now.question.as_str()),
        (opened.title.as_str(), "Asked again")
    );

    // Renamed again by someone else: the old undo entry no longer applies.
    let mut again = now.clone();
    again.title = "Sam's title".into();
    update(&mut store, program, &again, "sam").unwrap();
    let stale_undo = Edits::from([(
        "title".to_owned(),
        FieldEdit {
            value: json!("Renamed"),
            seen: revisions["title"],
        },
    )]);
    assert!(matches!(
        store.edit(program, Kind::Decision, id, &stale_undo, "lead"),
        Err(StoreError::Stale { .. })
    ));
}

#[test]
fn two_deletes_at_once_write_one_tombstone_one_history_row_and_one_outbox_entry() {
    for round in 0..10 {
        let (_dir, path, handbook) = with_sample();
        let id = handbook.actions[round % handbook.actions.len()].id;
        let barrier = Arc::new(Barrier::new(2));
        let results: Vec<Result<(), String>> = (0..2)
            .map(|_| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut store = Store::open(&path).unwrap();
                    barrier.wait();
                    store.delete(id, "lead").map_err(|e| e.to_string())
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "round {round}: {results:?}"
        );
        let store = Store::open(&path).unwrap();
        let deleted_rows = store
            .history(&HistoryQuery {
                item: Some(id),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .filter(|h| h.field == "deleted")
            .count();
        assert_eq!(deleted_rows, 1, "round {round}");
        let deletes = store
            .outbox(None)
            .unwrap()
            .into_iter()
            .filter(|e| e.item_id == id && matches!(e.operation, Operation::Delete { .. }))
            .count();
        assert_eq!(deletes, 1, "round {round}");
    }
}

#[test]
fn a_restored_item_comes_back_whole_in_its_place_and_syncs_as_a_create() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let before = export(&path, program);
    let mut store = Store::open(&path).unwrap();
    // One from the middle of its list, so "its place" means something.
    let action = handbook.actions[1].clone();
    store.delete(action.id, "sam").unwrap();
    assert_ne!(export(&path, program), before);

    store.restore(action.id, "sam").unwrap();
    assert_eq!(export(&path, program), before, "not the same program again");
    let history = store
        .history(&HistoryQuery {
            item: Some(action.id),
            ..Default::default()
        })
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (
            &last.field[..],
            &last.old_value,
            &last.new_value,
            &last.author[..]
        ),
        ("deleted", &Some(json!(true)), &Some(json!(false)), "sam")
    );
    let entry = store.outbox(None).unwrap().pop().unwrap();
    let Operation::Create { fields } = &entry.operation else {
        panic!("not a create: {:?}", entry.operation)
    };
    assert_eq!(fields["text"], json!(action.text));
    assert!(fields.contains_key("position"), "{fields:?}");

    // Restoring what is there, or what never was, is refused and writes nothing.
    let outbox = store.outbox(None).unwrap().len();
    let err = store.restore(action.id, "sam").unwrap_err();
    assert!(err.to_string().contains("still in its list"), "{err}");
    assert!(matches!(
        store.restore(Id::new(), "sam"),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.outbox(None).unwrap().len(), outbox);
}

#[test]
fn an_item_whose_reference_went_meanwhile_is_not_restored() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let mut store = Store::open(&path).unwrap();
    let owner = Owner {
        id: Id::new(),
        name: "Data Platform".into(),
        short_name: None,
        kind: OwnerKind::Team,
        team_id: None,
    };
    store.create(program, &owner, "lead").unwrap();
    let mut action = handbook.actions[0].clone();
    action.id = Id::new();
    action.owner_id = Some(owner.id);
    store.create(program, &action, "lead").unwrap();
    store.delete(action.id, "lead").unwrap();
    store.delete(owner.id, "lead").unwrap();
    let before = export(&path, program);

    let err = store.restore(action.id, "lead").unwrap_err();
    assert!(err.to_string().contains("owner_id"), "{err}");
    assert!(err.to_string().contains("not in this program"), "{err}");
    assert_eq!(export(&path, program), before);
    store.restore(owner.id, "lead").unwrap();
    store.restore(action.id, "lead").unwrap();
    assert_eq!(
        store.get::<roadbook_model::Action>(action.id).unwrap().1,
        action
    );
}

#[test]
fn an_outbox_update_names_the_base_version_last_pulled_for_every_local_edit() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let mut store = Store::open(&path).unwrap();
    let id = handbook.decisions[0].id;
    // The server wrote the title at version 7 (a pull).
    store
        .apply_remote(
            program,
            &[RemoteChange {
                kind: Kind::Decision,
                item_id: id,
                version: 7,
                author: "sam".into(),
                at: "2026-11-20T09:00:00.000Z".into(),
                made_at: None,
                fields: serde_json::Map::from_iter([("title".to_owned(), json!("Pulled"))]),
            }],
            7,
        )
        .unwrap();
    // Two local edits of the title before the next sync: both name the pulled version.
    for title in ["First local", "Second local"] {
        let (_, mut d, _) = store.get_revised::<Decision>(id).unwrap();
        d.title = title.into();
        update(&mut store, program, &d, "lead").unwrap();
    }
    let bases: Vec<u64> = store
        .outbox(Some(program))
        .unwrap()
        .into_iter()
        .filter(|e| e.item_id == id)
        .filter_map(|e| match e.operation {
            Operation::Update { fields } => fields.get("title").map(|f| f.base_version),
            _ => None,
        })
        .collect();
    assert_eq!(bases, [7, 7]);
    assert_eq!(store.field_versions(id).unwrap()["title"], 7);
    let _: BTreeMap<String, u64> = store.field_revisions(id).unwrap();
}

/// A refused change to a decision, sent again, sends what the person changed: the fields of
/// its group they left as they saw them (sent beside it only to be compared) are not written
/// again over a teammate's change made since.
#[test]
fn a_refused_decision_change_sent_again_writes_what_was_changed_not_what_was_left() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let blocked = handbook.status_named("Blocked").unwrap().id;
    let mut store = Store::open(&path).unwrap();
    let mut mine = handbook
        .decisions
        .iter()
        .find(|d| d.rationale.is_empty() && d.status_id != blocked)
        .unwrap()
        .clone();
    mine.status_id = blocked;
    update(&mut store, program, &mine, "sam").unwrap();
    let waiting = store.outbox(Some(program)).unwrap();
    let entry = waiting.last().unwrap();
    let roadbook_store::Operation::Update { fields } = &entry.operation else {
        panic!("{:?}", entry.operation)
    };
    assert!(
        fields["rationale"].kept,
        "the rationale went out as left, to compare"
    );
    let server = store.item_state(mine.id).unwrap();
    store
        .settle(
            program,
            &[roadbook_store::Settlement {
                seq: entry.seq,
                server,
                rejected: Some(("invalid".into(), "refused for this test".into())),
                conflicts: Vec::new(),
                author: "the server".into(),
                version: 0,
            }],
        )
        .unwrap();
    // A teammate's rationale arrives meanwhile (written here by another name).
    let (_, mut now): (_, Decision) = store.get(mine.id).unwrap();
    now.rationale = "Security signed off".into();
    update(&mut store, program, &now, "lee").unwrap();
    let refused = store.rejected(program).unwrap();
    assert_eq!(refused.len(), 1);
    store.retry_rejected(refused[0].id, "sam").unwrap();
    let (_, after): (_, Decision) = store.get(mine.id).unwrap();
    assert_eq!(
        (after.status_id, after.rationale.as_str()),
        (blocked, "Security signed off"),
        "the person's status again, the teammate's rationale kept"
    );
}
