//! Changes pulled from the server: remote authors, no outbox rows, server versions, and the
//! local pending edits kept.

use roadbook_model::{Decision, Id, Kind, Level, Risk, RiskScope};
use roadbook_store::{HistoryQuery, RemoteChange, Store, StoreError};
use serde_json::{Map, Value, json};

use super::{export, update, with_sample};

fn change(kind: Kind, item_id: Id, version: u64, fields: Map<String, Value>) -> RemoteChange {
    RemoteChange {
        kind,
        item_id,
        version,
        author: "Sam Ortiz".into(),
        at: format!("2026-11-20T09:00:{version:02}.000Z"),
        made_at: None,
        fields,
    }
}

fn fields(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[test]
fn remote_changes_carry_their_author_write_no_outbox_and_keep_pending_local_edits() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let decided = handbook.status_named("Decided").unwrap().id;
    let mut store = Store::open(&path).unwrap();
    let id = handbook.decisions[0].id;
    // The program is on the server already: its creation was acknowledged.
    let published: Vec<u64> = store.outbox(None).unwrap().iter().map(|e| e.seq).collect();
    store.acknowledge(program, &published).unwrap();

    // A local edit of the title, not pushed yet.
    let mut mine = handbook.decisions[0].clone();
    mine.title = "Local title".into();
    update(&mut store, program, &mine, "lead").unwrap();
    let outbox = store.outbox(None).unwrap();
    // Every change written moves the store's last change on, a pulled one too; reading does not.
    let before = store.last_change().unwrap();
    assert!(before > 0);
    store.load(program).unwrap();
    assert_eq!(store.last_change().unwrap(), before);

    // The pull: the server's status, outcome and title for that decision, a new risk, and the
    // delete of an action.
    let risk = Risk {
        id: Id::new(),
        statement: "Roster import lags the org chart".into(),
        scope: RiskScope::Program,
        severity: Level::High,
        likelihood: Level::Medium,
        owner_id: None,
        status_id: handbook.risks[0].status_id,
        mitigation: String::new(),
        source: "Sam".into(),
    };
    let mut risk_fields = roadbook_model::to_fields(&risk).unwrap();
    risk_fields.insert("position".into(), json!("Zz"));
    let action = handbook.actions[0].id;
    let pulled = [
        change(
            Kind::Decision,
            id,
            12,
            fields(&[
                ("status_id", json!(decided)),
                ("outcome", json!("Okta SSO")),
                ("title", json!("Remote title")),
            ]),
        ),
        change(Kind::Risk, risk.id, 13, risk_fields),
        change(
            Kind::Action,
            action,
            14,
            fields(&[("deleted", json!(true))]),
        ),
    ];
    let applied = store.apply_remote(program, &pulled, 14).unwrap();
    assert!(store.last_change().unwrap() > before, "a pull is a change");
    assert_eq!(applied.kept_local, 1, "{applied:?}");

    assert_eq!(store.outbox(None).unwrap(), outbox, "no outbox rows");
    let (_, now): (_, Decision) = store.get(id).unwrap();
    assert_eq!(now.status_id, decided);
    assert_eq!(now.outcome, "Okta SSO");
    assert_eq!(now.title, "Local title", "the pending local edit stands");
    let versions = store.field_versions(id).unwrap();
    assert_eq!(
        (
            versions["status_id"],
            versions["outcome"],
            versions["title"]
        ),
        (12, 12, 12),
        "the versions are the server's"
    );
    assert_eq!(versions["question"], 0);

    let history = store
        .history(&HistoryQuery {
            item: Some(id),
            ..Default::default()
        })
        .unwrap();
    for field in ["status_id", "outcome", "title"] {
        let row = history.iter().rev().find(|h| h.field == field).unwrap();
        assert_eq!(
            (row.author.as_str(), row.changed_at.as_str()),
            ("Sam Ortiz", "2026-11-20T09:00:12.000Z"),
            "{field}"
        );
    }

    let loaded = store.load(program).unwrap();
    assert_eq!(loaded.risks[0], risk, "placed by its order key, at the top");
    assert_eq!(store.field_versions(risk.id).unwrap()["statement"], 13);
    assert!(loaded.actions.iter().all(|a| a.id != action));
    assert_eq!(store.sync_state(program).unwrap().cursor, 14);
}

#[test]
fn a_change_this_replica_cannot_take_is_set_aside_and_the_rest_of_the_pull_goes_on() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let mut store = Store::open(&path).unwrap();
    // Published: nothing of the sample waits to be pushed, so the server's values show.
    let all: Vec<u64> = store
        .outbox(Some(program))
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    store.acknowledge(program, &all).unwrap();
    let bad_ones = [
        // A value of the wrong type, part of an item this replica does not have, an id this
        // database holds as another kind, an order key that is not one.
        change(
            Kind::Decision,
            handbook.decisions[0].id,
            6,
            fields(&[("status_id", json!(42))]),
        ),
        change(
            Kind::Decision,
            Id::new(),
            7,
            fields(&[("title", json!("only a title"))]),
        ),
        change(
            Kind::Risk,
            handbook.decisions[0].id,
            8,
            fields(&[("title", json!("x"))]),
        ),
        change(
            Kind::Decision,
            handbook.decisions[0].id,
            9,
            fields(&[("position", json!("not a key!"))]),
        ),
    ];
    let before = store.load(program).unwrap();
    let mut pull = bad_ones.to_vec();
    pull.push(change(
        Kind::Decision,
        handbook.decisions[1].id,
        10,
        fields(&[("title", json!("Fine"))]),
    ));
    let applied = store.apply_remote(program, &pull, 10).unwrap();
    assert_eq!(applied.set_aside, 4, "{applied:?}");
    // The good change is in, the cursor moved past all of them, the bad ones changed nothing.
    let after = store.load(program).unwrap();
    assert_eq!(after.decisions[1].title, "Fine");
    assert_eq!(after.decisions[0], before.decisions[0]);
    assert_eq!(store.sync_state(program).unwrap().cursor, 10);
    let aside = store.set_aside(program).unwrap();
    assert_eq!(
        aside.iter().map(|a| a.version).collect::<Vec<_>>(),
        vec![6, 7, 8, 9]
    );
    assert!(
        aside[1].reason.contains("not all of it"),
        "{}",
        aside[1].reason
    );
    // Tried again, it is still refused with its reason and stays; discarded, it goes.
    assert!(!store.retry_set_aside(aside[0].id).unwrap());
    assert_eq!(store.set_aside(program).unwrap().len(), 4);
    store.discard_set_aside(aside[0].id).unwrap();
    assert_eq!(store.set_aside(program).unwrap().len(), 3);
    assert!(matches!(
        store.discard_set_aside(aside[0].id),
        Err(StoreError::NoSuchSetAside { .. })
    ));
    // A database that no longer loads is what the old rule protected against: it still loads.
    drop(store);
    export(&path, program);
}

#[test]
fn acknowledged_entries_leave_the_outbox_and_numbers_are_never_reused() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let mut store = Store::open(&path).unwrap();
    let all = store.outbox(Some(program)).unwrap();
    let acked: Vec<u64> = all.iter().map(|e| e.seq).take(all.len() - 2).collect();
    assert_eq!(store.acknowledge(program, &acked).unwrap(), acked.len());
    let left = store.outbox(Some(program)).unwrap();
    assert_eq!(left, all[all.len() - 2..]);
    // Acknowledging again changes nothing.
    assert_eq!(store.acknowledge(program, &acked).unwrap(), 0);
    let mut d = handbook.decisions[0].clone();
    d.title = "After the acknowledgement".into();
    update(&mut store, program, &d, "lead").unwrap();
    assert_eq!(
        store.outbox(Some(program)).unwrap().last().unwrap().seq,
        all.last().unwrap().seq + 1
    );
}
