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
fn a_pull_this_build_cannot_read_applies_nothing() {
    let (_dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let before = export(&path, program);
    let mut store = Store::open(&path).unwrap();
    let good = change(
        Kind::Decision,
        handbook.decisions[1].id,
        5,
        fields(&[("title", json!("Fine"))]),
    );
    for bad in [
        change(
            Kind::Decision,
            handbook.decisions[0].id,
            6,
            fields(&[("status_id", json!(42))]),
        ),
        change(
            Kind::Decision,
            Id::new(),
            6,
            fields(&[("title", json!("only a title"))]),
        ),
        change(
            Kind::Risk,
            handbook.decisions[0].id,
            6,
            fields(&[("title", json!("x"))]),
        ),
        change(
            Kind::Decision,
            handbook.decisions[0].id,
            6,
            fields(&[("position", json!("not a key!"))]),
        ),
    ] {
        let err = store
            .apply_remote(program, &[good.clone(), bad], 6)
            .unwrap_err();
        assert!(matches!(err, StoreError::BadRemote(_)), "{err}");
    }
    assert_eq!(store.sync_state(program).unwrap().cursor, 0);
    drop(store);
    assert_eq!(export(&path, program), before);
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
