//! Order that survives any move, and the repair of a database the old order made unreadable.

use std::path::Path;

use proptest::prelude::*;
use roadbook_model::{Handbook, Id, Kind, sample};
use roadbook_store::{Operation, Store};
use serde_json::{Value, json};

use super::{export, temp_db, with_sample};

/// The lists a lead reorders, and their ids in the order the handbook shows them.
fn lists(h: &Handbook) -> Vec<Vec<Id>> {
    vec![
        h.statuses.iter().map(|s| s.id).collect(),
        h.decisions.iter().map(|d| d.id).collect(),
        h.risks.iter().map(|r| r.id).collect(),
        h.work_items.iter().map(|w| w.id).collect(),
    ]
}

#[derive(Debug, Clone)]
enum Place {
    Top,
    Bottom,
    /// Before the item at this index (of the list without the moved item).
    Before(prop::sample::Index),
}

fn place() -> impl Strategy<Value = Place> {
    prop_oneof![
        Just(Place::Top),
        Just(Place::Bottom),
        any::<prop::sample::Index>().prop_map(Place::Before),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Hundreds of moves to the top, the bottom and between others, in random order: the
    /// program still loads, exports, round-trips through import, and each list is exactly the
    /// order asked for.
    #[test]
    fn any_moves_keep_the_program_readable_and_in_the_order_asked_for(
        moves in prop::collection::vec((0usize..4, any::<prop::sample::Index>(), place()), 150..300)
    ) {
        let (_dir, path, handbook) = with_sample();
        let program = handbook.program.id;
        let mut expected = lists(&handbook);
        let mut store = Store::open(&path).unwrap();
        for (list, item, place) in moves {
            let ids = &mut expected[list];
            let moving = ids.remove(item.index(ids.len()));
            let (at, before) = match place {
                Place::Top => (0, ids.first().copied()),
                Place::Bottom => (ids.len(), None),
                Place::Before(n) => {
                    let n = n.index(ids.len() + 1);
                    (n, ids.get(n).copied())
                }
            };
            ids.insert(at, moving);
            store.move_item(moving, before, "lead").unwrap();
        }
        let loaded = store.load(program).unwrap();
        prop_assert_eq!(lists(&loaded), expected.clone());
        drop(store);

        let exported = export(&path, program);
        let (_b, second) = temp_db();
        Store::open(&second)
            .unwrap()
            .import(&Handbook::from_json(&exported).unwrap(), "lead")
            .unwrap();
        prop_assert_eq!(export(&second, program), exported);
        prop_assert_eq!(lists(&Store::open(&second).unwrap().load(program).unwrap()), expected);
    }
}

#[test]
fn moving_items_to_the_top_again_and_again_keeps_keys_short_and_the_program_readable() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let mut store = Store::open(&path).unwrap();
    let mut expected: Vec<Id> = handbook.statuses.iter().map(|s| s.id).collect();
    for _ in 0..300 {
        let last = expected.pop().unwrap();
        store
            .move_item(last, expected.first().copied(), "lead")
            .unwrap();
        expected.insert(0, last);
        // Then one between the first two: the case that overflowed a library's keys.
        let third = expected.remove(2);
        store.move_item(third, Some(expected[1]), "lead").unwrap();
        expected.insert(1, third);
    }
    let loaded = store.load(program).unwrap();
    assert_eq!(
        loaded.statuses.iter().map(|s| s.id).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(loaded.program, handbook.program);
}

/// A schema-3 database written as the previous release wrote it, with three statuses moved to
/// the top (the old moves gave them positions at and before the program record's 0, so every
/// load then failed with "program ... has items before its record").
fn old_database(path: &Path, handbook: &Handbook) -> Vec<Id> {
    let conn = rusqlite::Connection::open(path).unwrap();
    for sql in [
        include_str!("../../src/migrations/001_handbook.sql"),
        include_str!("../../src/migrations/002_documents.sql"),
        include_str!("../../src/migrations/003_item_order.sql"),
    ] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 3).unwrap();
    conn.execute(
        "INSERT INTO programs (id, created_at) VALUES (?1, '2026-10-01T09:00:00.000Z')",
        [handbook.program.id.to_string()],
    )
    .unwrap();
    let statuses: Vec<Id> = handbook.statuses.iter().map(|s| s.id).collect();
    let moved = |id: Id| -> Option<f64> {
        // The last three statuses, moved to the top one after the other.
        let n = statuses.len();
        [(n - 1, 0.0), (n - 2, -1.0), (n - 3, -2.0)]
            .iter()
            .find(|(i, _)| statuses[*i] == id)
            .map(|(_, p)| *p)
    };
    for (position, (_, item)) in handbook.entities().into_iter().enumerate() {
        let body = Value::Object(item.to_fields().unwrap());
        let versions: serde_json::Map<String, Value> = item
            .to_fields()
            .unwrap()
            .keys()
            .filter(|k| *k != "id")
            .map(|k| (k.clone(), json!(1)))
            .collect();
        conn.execute(
            "INSERT INTO items (id, program_id, kind, position, body, versions, deleted, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, '2026-10-01T09:00:00.000Z')",
            rusqlite::params![
                item.id().to_string(),
                handbook.program.id.to_string(),
                item.kind().as_str(),
                moved(item.id()).unwrap_or(position as f64),
                body.to_string(),
                Value::Object(versions).to_string()
            ],
        )
        .unwrap();
    }
    // Two pending entries in the old outbox's shape: a create and a move.
    let decision = &handbook.decisions[0];
    let created: serde_json::Map<String, Value> = roadbook_model::to_fields(decision)
        .unwrap()
        .into_iter()
        .filter(|(k, _)| k != "id")
        .map(|(k, v)| (k, json!({"value": v, "base_version": 0})))
        .collect();
    for (op, fields) in [
        ("create", Value::Object(created)),
        (
            "update",
            json!({"position": {"value": -1.0, "base_version": 3}}),
        ),
    ] {
        conn.execute(
            "INSERT INTO outbox (program_id, op, item_kind, item_id, fields, author, created_at)
             VALUES (?1, ?2, 'decision', ?3, ?4, 'lead', '2026-10-01T09:00:00.000Z')",
            rusqlite::params![
                handbook.program.id.to_string(),
                op,
                decision.id.to_string(),
                fields.to_string()
            ],
        )
        .unwrap();
    }
    let n = statuses.len();
    let mut expected = vec![statuses[n - 3], statuses[n - 2], statuses[n - 1]];
    expected.extend(&statuses[..n - 3]);
    expected
}

#[test]
fn a_database_made_unreadable_by_the_old_order_is_repaired_on_open() {
    let (_dir, path) = temp_db();
    let handbook = sample::builder_insights().unwrap();
    let statuses = old_database(&path, &handbook);

    let store = Store::open(&path).unwrap();
    let loaded = store.load(handbook.program.id).unwrap();
    assert_eq!(
        loaded.statuses.iter().map(|s| s.id).collect::<Vec<_>>(),
        statuses
    );
    assert_eq!(loaded.program, handbook.program);
    assert_eq!(loaded.decisions, handbook.decisions);
    assert!(Handbook::from_json(&loaded.to_json().unwrap()).is_ok());
    assert_eq!(store.integrity_check().unwrap(), "ok");

    // The old outbox's entries are typed now, numbered 1 and 2, with the item's order key.
    let outbox = store.outbox(None).unwrap();
    assert_eq!(outbox.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    let Operation::Create { fields } = &outbox[0].operation else {
        panic!("{:?}", outbox[0].operation)
    };
    assert_eq!(fields["title"], json!(handbook.decisions[0].title));
    let key = fields["position"].as_str().unwrap().to_owned();
    assert!(key.parse::<roadbook_model::OrderKey>().is_ok(), "{key}");
    let Operation::Update { fields } = &outbox[1].operation else {
        panic!("{:?}", outbox[1].operation)
    };
    assert_eq!(fields["position"].value, json!(key));
    assert_eq!(fields["position"].base_version, 0, "never synced");
    assert_eq!(outbox[1].item_kind, Kind::Decision);
    drop(store);

    // A new local change continues the numbering.
    let mut store = Store::open(&path).unwrap();
    store
        .move_item(handbook.decisions[1].id, None, "lead")
        .unwrap();
    assert_eq!(store.outbox(None).unwrap().last().unwrap().seq, 3);
}

#[test]
fn a_move_into_a_gap_between_two_equal_keys_lands_exactly_there() {
    // Equal keys come from two people moving items into one gap at once; the sync gives both
    // replicas the same keys and the ids decide. A later move between them must still land
    // exactly where asked.
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let mut store = Store::open(&path).unwrap();
    let published: Vec<u64> = store.outbox(None).unwrap().iter().map(|e| e.seq).collect();
    store.acknowledge(program, &published).unwrap();
    let d: Vec<Id> = handbook.decisions.iter().map(|d| d.id).collect();
    let tie = |id: Id, version: u64| roadbook_store::RemoteChange {
        kind: Kind::Decision,
        item_id: id,
        version,
        author: "sam".into(),
        at: "2026-11-20T09:00:00.000Z".into(),
        made_at: None,
        fields: serde_json::Map::from_iter([("position".to_owned(), json!("a0V"))]),
    };
    store
        .apply_remote(program, &[tie(d[1], 1), tie(d[2], 2)], 2)
        .unwrap();
    let order = |store: &Store| -> Vec<Id> {
        store
            .load(program)
            .unwrap()
            .decisions
            .iter()
            .map(|x| x.id)
            .collect()
    };
    assert_eq!(order(&store)[..3], [d[0], d[1], d[2]]);

    store.move_item(d[3], Some(d[2]), "lead").unwrap();
    let mut expected = d.clone();
    let moved = expected.remove(3);
    expected.insert(2, moved);
    assert_eq!(order(&store), expected);
    drop(store);
    assert_eq!(order(&Store::open(&path).unwrap()), expected);
}
