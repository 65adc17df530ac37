//! The engine's rules, run against both storages: memory (what the simulation uses) and a real
//! PostgreSQL cluster the test starts itself. What holds here holds for the server as deployed.

// A test that fails should stop at once with the value that was wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod ordering;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use roadbook_harness::Postgres;
use roadbook_model::{Handbook, Id, Kind, OrderKey, sample};
use roadbook_protocol::{
    Choice, FieldChange, Item, Mutation, MutationResult, Operation, Outcome, PublishRequest,
    PushRequest, Role,
};
use roadbook_server::engine::{Caller, Engine, EngineError, system_clock};
use roadbook_server::live::Live;
use roadbook_server::storage::memory::MemoryStorage;
use roadbook_server::storage::postgres::PgStorage;
use roadbook_server::storage::{Author, Storage};
use serde_json::{Value, json};

static CLUSTER: OnceLock<Postgres> = OnceLock::new();
static DATABASES: AtomicU32 = AtomicU32::new(0);

/// A database of its own in the test binary's one cluster.
pub fn pg_url() -> String {
    let pg = CLUSTER.get_or_init(Postgres::start);
    let n = DATABASES.fetch_add(1, Ordering::SeqCst);
    pg.database(&format!("engine_{}_{n}", std::process::id()))
}

pub async fn postgres() -> Arc<dyn Storage> {
    Arc::new(PgStorage::connect(&pg_url(), 8).await.unwrap())
}

pub fn memory() -> Arc<dyn Storage> {
    Arc::new(MemoryStorage::new())
}

pub fn engine(storage: Arc<dyn Storage>) -> Engine {
    Engine::new(storage, Arc::new(Live::new()), system_clock())
        .with_wait(Duration::from_millis(400))
}

pub fn caller(subject: &str, role: Option<Role>) -> Caller {
    Caller {
        author: Author {
            subject: subject.into(),
            name: format!("{subject} (name)"),
        },
        email: None,
        groups: Vec::new(),
        role,
        break_glass: None,
    }
}

pub fn lead() -> Caller {
    caller("lead", Some(Role::Lead))
}

pub fn editor(name: &str) -> Caller {
    caller(name, Some(Role::Editor))
}

/// The sample program as a lead publishes it: every item with its fields and an order key.
pub fn publish_request(handbook: &Handbook, client: Id) -> PublishRequest {
    let mut last: BTreeMap<Kind, OrderKey> = BTreeMap::new();
    let items = handbook
        .entities()
        .into_iter()
        .map(|(_, e)| {
            let key = OrderKey::after(last.get(&e.kind()));
            last.insert(e.kind(), key.clone());
            let mut fields = e.to_fields().unwrap();
            fields.remove("id");
            fields.insert("position".into(), json!(key.as_str()));
            Item {
                kind: e.kind(),
                id: e.id(),
                fields,
            }
        })
        .collect();
    PublishRequest {
        program: handbook.program.id,
        client_id: client,
        next_seq: 1,
        items,
    }
}

/// A published sample and the engine it is on.
pub async fn published(storage: Arc<dyn Storage>) -> (Engine, Handbook, u64) {
    let engine = engine(storage);
    let handbook = sample::builder_insights().unwrap();
    let answer = engine
        .publish(&lead(), publish_request(&handbook, Id::new()))
        .await
        .unwrap();
    (engine, handbook, answer.cursor)
}

pub fn update(seq: u64, kind: Kind, item: Id, fields: &[(&str, Value, u64)]) -> Mutation {
    Mutation {
        seq,
        mutation_id: Id::new(),
        kind,
        item_id: item,
        operation: Operation::Update {
            fields: fields
                .iter()
                .map(|(f, v, base)| {
                    (
                        (*f).to_owned(),
                        FieldChange {
                            value: v.clone(),
                            base_version: *base,
                            set: None,
                            kept: false,
                        },
                    )
                })
                .collect(),
        },
        made_at: None,
    }
}

pub async fn push_one(
    engine: &Engine,
    who: &Caller,
    program: Id,
    client: Id,
    mutation: Mutation,
) -> MutationResult {
    let mut answer = engine
        .push(
            who,
            program,
            PushRequest {
                client_id: client,
                mutations: vec![mutation],
                history: None,
            },
        )
        .await
        .unwrap();
    answer.results.pop().unwrap()
}

pub async fn field(engine: &Engine, program: Id, item: Id, name: &str) -> Value {
    let (items, _) = engine.storage().snapshot(program).await.unwrap();
    items
        .into_iter()
        .find(|i| i.id == item)
        .unwrap()
        .fields
        .get(name)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Each scenario against both storages.
macro_rules! both {
    ($($scenario:ident),+ $(,)?) => {
        $(
            mod $scenario {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn in_memory() {
                    super::$scenario(super::memory()).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    super::$scenario(super::postgres().await).await
                }
            }
        )+
    };
}

both!(
    publish_then_join_gives_the_same_program,
    a_replay_is_answered_with_its_first_result_and_a_gap_is_refused,
    the_last_writer_wins_an_ordinary_field_and_both_values_stay_in_the_log,
    a_decision_changed_on_both_sides_is_one_conflict_settled_whole,
    a_change_s_own_time_is_kept_never_after_the_server_s_and_must_be_a_moment,
    a_later_change_joins_the_person_s_side_of_a_decision_s_conflict,
    a_write_is_refused_for_what_it_breaks_not_for_what_was_so_before,
    sets_edited_on_both_sides_keep_both_additions,
    a_delete_and_an_edit_that_meet_are_a_conflict,
    a_merge_the_model_refuses_is_a_conflict_not_a_broken_item,
    a_refused_change_does_not_stop_the_next_ones,
    names_that_differ_only_in_case_clash_on_the_server_as_on_the_laptop,
    pulls_come_in_pages_and_a_compacted_log_answers_with_the_program,
    a_long_poll_answers_when_the_log_moves,
    one_person_holds_a_bounded_number_of_waits_and_others_still_wait,
    concurrent_pushes_refused_as_a_whole_leave_the_others_applied,
);

async fn publish_then_join_gives_the_same_program(storage: Arc<dyn Storage>) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    assert_eq!(cursor as usize, handbook.item_count());
    let snapshot = engine
        .join(&editor("sam"), program, Id::new(), 1)
        .await
        .unwrap();
    assert_eq!(snapshot.cursor, cursor);
    assert_eq!(snapshot.items.len(), handbook.item_count());
    let decision = snapshot
        .items
        .iter()
        .find(|i| i.id == handbook.decisions[0].id)
        .unwrap();
    assert_eq!(decision.fields["title"], json!(handbook.decisions[0].title));
    assert!(decision.versions.values().all(|v| *v >= 1 && *v <= cursor));

    let again = engine
        .publish(&lead(), publish_request(&handbook, Id::new()))
        .await
        .unwrap_err();
    assert!(matches!(again, EngineError::Exists(_)), "{again}");
    let viewer = caller("vic", Some(Role::Viewer));
    let mut other = sample::builder_insights().unwrap();
    other.program.id = Id::new();
    let refused = engine
        .publish(&viewer, publish_request(&other, Id::new()))
        .await
        .unwrap_err();
    assert!(matches!(refused, EngineError::Forbidden(_)), "{refused}");
    let nobody = engine.programs(&caller("nobody", None)).await.unwrap_err();
    assert!(matches!(nobody, EngineError::Forbidden(_)), "{nobody}");
}

async fn a_replay_is_answered_with_its_first_result_and_a_gap_is_refused(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let decision = handbook.decisions[0].id;
    let client = Id::new();
    let first = update(
        1,
        Kind::Decision,
        decision,
        &[("title", json!("Okta, first"), cursor)],
    );
    let result = push_one(&engine, &editor("sam"), program, client, first.clone()).await;
    let Outcome::Applied { version, .. } = result.outcome else {
        panic!("{result:?}")
    };
    assert_eq!(version, cursor + 1);

    // The same push again (the answer was lost): the same result, nothing applied twice.
    let replay = push_one(&engine, &editor("sam"), program, client, first.clone()).await;
    assert_eq!(replay, result);
    let head = engine
        .storage()
        .program(program)
        .await
        .unwrap()
        .unwrap()
        .head;
    assert_eq!(head, cursor + 1);

    // A gap: seq 3 before 2.
    let gap = engine
        .push(
            &editor("sam"),
            program,
            PushRequest {
                history: None,
                client_id: client,
                mutations: vec![update(
                    3,
                    Kind::Decision,
                    decision,
                    &[("title", json!("x"), cursor)],
                )],
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            gap,
            EngineError::SequenceGap {
                expected: 2,
                got: 3
            }
        ),
        "{gap}"
    );
    // Seq 1 again with another change: this client id was copied.
    let reused = engine
        .push(
            &editor("sam"),
            program,
            PushRequest {
                history: None,
                client_id: client,
                mutations: vec![update(
                    1,
                    Kind::Decision,
                    decision,
                    &[("title", json!("y"), cursor)],
                )],
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(reused, EngineError::ClientReset { seq: 1 }),
        "{reused}"
    );
    // The same change pushed from a copy under a new client id: applied once.
    let copy = Id::new();
    let mut from_copy = first;
    from_copy.seq = 1;
    let answered = push_one(&engine, &editor("sam"), program, copy, from_copy).await;
    assert_eq!(answered.outcome, result.outcome);
    let head = engine
        .storage()
        .program(program)
        .await
        .unwrap()
        .unwrap()
        .head;
    assert_eq!(head, cursor + 1, "nothing applied twice");
    assert_eq!(
        field(&engine, program, decision, "title").await,
        json!("Okta, first")
    );
}

async fn the_last_writer_wins_an_ordinary_field_and_both_values_stay_in_the_log(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let risk = handbook.risks[0].id;
    let (a, b) = (Id::new(), Id::new());
    push_one(
        &engine,
        &editor("ann"),
        program,
        a,
        update(
            1,
            Kind::Risk,
            risk,
            &[("mitigation", json!("Ann's plan"), cursor)],
        ),
    )
    .await;
    let second = push_one(
        &engine,
        &editor("ben"),
        program,
        b,
        update(
            1,
            Kind::Risk,
            risk,
            &[("mitigation", json!("Ben's plan"), cursor)],
        ),
    )
    .await;
    assert!(
        matches!(second.outcome, Outcome::Applied { ref conflicts, .. } if conflicts.is_empty()),
        "{second:?}"
    );
    assert_eq!(
        field(&engine, program, risk, "mitigation").await,
        json!("Ben's plan")
    );
    let log = engine
        .pull(&lead(), program, cursor, 100, None)
        .await
        .unwrap();
    let values: Vec<(&str, &Value)> = log
        .changes
        .iter()
        .map(|c| (c.author.as_str(), &c.fields["mitigation"]))
        .collect();
    assert_eq!(
        values,
        [
            ("ann (name)", &json!("Ann's plan")),
            ("ben (name)", &json!("Ben's plan"))
        ]
    );
}

/// A change to a decision's group (status, outcome, rationale, decided by and on) as this
/// release's client sends it: what the person changed, and the rest of the group as they saw
/// it (`kept`), with the versions seen, and when they made it.
fn decision_change(
    seq: u64,
    seen: &roadbook_model::Decision,
    base: u64,
    changed: &[(&str, Value)],
    made_at: &str,
) -> Mutation {
    let body = serde_json::to_value(seen).unwrap();
    let mut fields: BTreeMap<String, FieldChange> = Kind::Decision
        .guarded_fields()
        .iter()
        .map(|f| {
            (
                (*f).to_owned(),
                FieldChange {
                    value: body[*f].clone(),
                    base_version: base,
                    set: None,
                    kept: true,
                },
            )
        })
        .collect();
    for (f, v) in changed {
        fields.insert(
            (*f).to_owned(),
            FieldChange {
                value: v.clone(),
                base_version: base,
                set: None,
                kept: false,
            },
        );
    }
    Mutation {
        seq,
        mutation_id: Id::new(),
        kind: Kind::Decision,
        item_id: seen.id,
        operation: Operation::Update { fields },
        made_at: Some(made_at.to_owned()),
    }
}

async fn a_decision_changed_on_both_sides_is_one_conflict_settled_whole(storage: Arc<dyn Storage>) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let seen = handbook
        .decisions
        .iter()
        .find(|d| d.outcome.is_empty() && d.rationale.is_empty())
        .expect("an open decision in the sample")
        .clone();
    let decision = seen.id;
    let decided = handbook.status_named("Decided").unwrap().id;
    let blocked = handbook.status_named("Blocked").unwrap().id;
    let (a, b) = (Id::new(), Id::new());
    // Ann decides, with the outcome and why; Ben, who has not seen it, marks it blocked and
    // retitles it. Ben made his change first (offline), and pushes second.
    let ann = push_one(
        &engine,
        &editor("ann"),
        program,
        a,
        decision_change(
            1,
            &seen,
            cursor,
            &[
                ("status_id", json!(decided)),
                ("outcome", json!("Okta")),
                ("rationale", json!("One sign-in")),
            ],
            "2026-12-01T10:00:00.000Z",
        ),
    )
    .await;
    assert!(
        matches!(ann.outcome, Outcome::Applied { ref conflicts, version } if conflicts.is_empty() && version > 0),
        "{ann:?}"
    );
    let mut bens = decision_change(
        1,
        &seen,
        cursor,
        &[("status_id", json!(blocked))],
        "2026-11-30T09:00:00.000Z",
    );
    if let Operation::Update { fields } = &mut bens.operation {
        fields.insert(
            "title".into(),
            FieldChange {
                value: json!("Okta, per Ben"),
                base_version: cursor,
                set: None,
                kept: false,
            },
        );
    }
    let clash = push_one(&engine, &editor("ben"), program, b, bens).await;
    let Outcome::Applied { conflicts, version } = &clash.outcome else {
        panic!("{clash:?}")
    };
    assert_eq!(conflicts.len(), 1, "one conflict for the whole decision");
    assert!(*version > 0, "the title still applies");
    let conflict = &conflicts[0];
    assert_eq!(conflict.field, "decided");
    let group = |status: Id, outcome: &str, rationale: &str| {
        json!({"status_id": status, "outcome": outcome, "rationale": rationale,
               "decided_by": seen.decided_by, "decided_on": seen.decided_on})
    };
    assert_eq!(
        (
            conflict.theirs.value.clone(),
            conflict.theirs.author.as_str()
        ),
        (group(decided, "Okta", "One sign-in"), "ann (name)"),
        "Ann's whole decision"
    );
    assert_eq!(
        (conflict.mine.value.clone(), conflict.mine.author.as_str()),
        (group(blocked, "", ""), "ben (name)"),
        "Ben's whole decision, as he saw it: blocked, nothing decided"
    );
    // When each was made, beside when the server took it: Ben's came first.
    assert_eq!(
        conflict.mine.made_at.as_deref(),
        Some("2026-11-30T09:00:00.000Z")
    );
    assert_eq!(
        conflict.theirs.made_at.as_deref(),
        Some("2026-12-01T10:00:00.000Z")
    );
    assert!(conflict.mine.made() < conflict.theirs.made());
    assert!(conflict.mine.at >= conflict.theirs.at, "but pushed after");
    for (name, value) in [
        ("status_id", json!(decided)),
        ("outcome", json!("Okta")),
        ("rationale", json!("One sign-in")),
        ("title", json!("Okta, per Ben")),
    ] {
        assert_eq!(
            field(&engine, program, decision, name).await,
            value,
            "{name}: the server's decision stands whole, the title applies"
        );
    }
    let audit = engine
        .storage()
        .audit(&roadbook_server::audit::AuditFilter::program(program))
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|line| line.subject == "ben" && line.action == "conflict"),
        "the clash is audited under the caller who met it: {audit:?}"
    );

    let resolve = |seq: u64, choice: Choice| Mutation {
        seq,
        mutation_id: Id::new(),
        kind: Kind::Decision,
        item_id: decision,
        operation: Operation::Resolve {
            conflict: conflict.id,
            choice,
        },
        made_at: None,
    };
    let by_editor = push_one(
        &engine,
        &editor("ben"),
        program,
        b,
        resolve(2, Choice::Mine),
    )
    .await;
    assert!(
        matches!(by_editor.outcome, Outcome::Rejected { ref code, .. } if code == "forbidden"),
        "{by_editor:?}"
    );
    let lead_client = Id::new();
    // A merge that contradicts itself (Decided, nothing decided) is refused and changes nothing.
    let contradiction = push_one(
        &engine,
        &lead(),
        program,
        lead_client,
        resolve(
            1,
            Choice::Merged {
                value: group(decided, "", "One sign-in"),
            },
        ),
    )
    .await;
    assert!(
        matches!(contradiction.outcome, Outcome::Rejected { ref reason, .. } if reason.contains("needs its outcome")),
        "{contradiction:?}"
    );
    assert_eq!(
        engine
            .storage()
            .open_conflicts(program)
            .await
            .unwrap()
            .len(),
        1
    );
    // Keeping Ben's side takes his whole decision: blocked, and no outcome or rationale left
    // behind from Ann's.
    let by_lead = push_one(
        &engine,
        &lead(),
        program,
        lead_client,
        resolve(2, Choice::Mine),
    )
    .await;
    assert!(
        matches!(by_lead.outcome, Outcome::Applied { version, .. } if version > 0),
        "{by_lead:?}"
    );
    for (name, value) in [
        ("status_id", json!(blocked)),
        ("outcome", json!("")),
        ("rationale", json!("")),
    ] {
        assert_eq!(
            field(&engine, program, decision, name).await,
            value,
            "{name}"
        );
    }
    assert!(
        engine
            .storage()
            .open_conflicts(program)
            .await
            .unwrap()
            .is_empty()
    );
}

/// While a replica holds a conflict on a decision, the person's later change to one field of it
/// goes over their side: their decision in the conflict stays theirs (their copy shows the
/// server's values meanwhile, which say nothing of their side), and only coming back to the
/// server's whole decision ends it.
async fn a_later_change_joins_the_person_s_side_of_a_decision_s_conflict(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let seen = handbook
        .decisions
        .iter()
        .find(|d| d.outcome.is_empty() && d.rationale.is_empty())
        .unwrap()
        .clone();
    let decided = handbook.status_named("Decided").unwrap().id;
    let blocked = handbook.status_named("Blocked").unwrap().id;
    let (a, b) = (Id::new(), Id::new());
    push_one(
        &engine,
        &editor("ann"),
        program,
        a,
        decision_change(
            1,
            &seen,
            cursor,
            &[("status_id", json!(blocked))],
            "2026-12-01T10:00:00Z",
        ),
    )
    .await;
    // Ben decides it, not having seen Ann's: one conflict, Ben's side Decided with "Go".
    let clash = push_one(
        &engine,
        &editor("ben"),
        program,
        b,
        decision_change(
            1,
            &seen,
            cursor,
            &[("status_id", json!(decided)), ("outcome", json!("Go"))],
            "2026-12-01T10:05:00Z",
        ),
    )
    .await;
    let Outcome::Applied { conflicts, .. } = &clash.outcome else {
        panic!("{clash:?}")
    };
    assert_eq!(conflicts.len(), 1);
    // Ben's copy now shows the server's decision (Blocked, nothing decided); he fixes its
    // rationale. His side keeps Decided and "Go", with the new rationale.
    let (items, _) = engine.storage().snapshot(program).await.unwrap();
    let now = items.iter().find(|i| i.id == seen.id).unwrap();
    let mut on_screen = seen.clone();
    on_screen.status_id = blocked;
    let version = now.versions["rationale"];
    let later = push_one(
        &engine,
        &editor("ben"),
        program,
        b,
        decision_change(
            2,
            &on_screen,
            version,
            &[("rationale", json!("Security agrees"))],
            "2026-12-01T10:10:00Z",
        ),
    )
    .await;
    let Outcome::Applied { conflicts, .. } = &later.outcome else {
        panic!("{later:?}")
    };
    assert_eq!(conflicts.len(), 1, "still the one conflict");
    let side = &conflicts[0].mine.value;
    assert_eq!(
        (
            side["status_id"].clone(),
            side["outcome"].clone(),
            side["rationale"].clone()
        ),
        (json!(decided), json!("Go"), json!("Security agrees")),
        "Ben's decision, with his later rationale"
    );
    assert_eq!(
        field(&engine, program, seen.id, "status_id").await,
        json!(blocked)
    );
    assert_eq!(
        engine
            .storage()
            .open_conflicts(program)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// A decision made without its outcome from before the rule (an old program, an old export):
/// it still publishes, a change that does not touch the rule (its title) is taken, and a change
/// that breaks the rule anew is refused.
async fn a_write_is_refused_for_what_it_breaks_not_for_what_was_so_before(
    storage: Arc<dyn Storage>,
) {
    let engine = engine(storage);
    let mut handbook = sample::builder_insights().unwrap();
    let decided = handbook.status_named("Decided").unwrap().id;
    let done = handbook.status_named("Done").unwrap().id;
    let old = handbook
        .decisions
        .iter()
        .position(|d| d.outcome.is_empty())
        .unwrap();
    handbook.decisions[old].status_id = decided;
    let id = handbook.decisions[old].id;
    let program = handbook.program.id;
    let cursor = engine
        .publish(&lead(), publish_request(&handbook, Id::new()))
        .await
        .unwrap()
        .cursor;
    let client = Id::new();
    let retitled = push_one(
        &engine,
        &editor("ann"),
        program,
        client,
        update(
            1,
            Kind::Decision,
            id,
            &[("title", json!("An old decision, retitled"), cursor)],
        ),
    )
    .await;
    assert!(
        matches!(retitled.outcome, Outcome::Applied { version, .. } if version > 0),
        "{retitled:?}"
    );
    let moved = push_one(
        &engine,
        &editor("ann"),
        program,
        client,
        update(2, Kind::Decision, id, &[("status_id", json!(done), cursor)]),
    )
    .await;
    assert!(
        matches!(moved.outcome, Outcome::Rejected { ref reason, .. } if reason.contains("a decision marked Done needs its outcome")),
        "{moved:?}"
    );
}

async fn a_change_s_own_time_is_kept_never_after_the_server_s_and_must_be_a_moment(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let action = handbook.actions[0].id;
    let client = Id::new();
    let mut change = update(1, Kind::Action, action, &[("text", json!("later"), cursor)]);
    change.made_at = Some("not a time".into());
    let refused = push_one(&engine, &editor("ann"), program, client, change).await;
    assert!(
        matches!(refused.outcome, Outcome::Rejected { ref reason, .. } if reason.contains("'not a time', which is not a moment")),
        "{refused:?}"
    );
    assert_ne!(
        field(&engine, program, action, "text").await,
        json!("later")
    );
    // A clock years ahead cannot put a change after ones made later: it is taken as the
    // server's time of applying it.
    let mut ahead = update(2, Kind::Action, action, &[("text", json!("ahead"), cursor)]);
    ahead.made_at = Some("2099-01-01T00:00:00+02:00".into());
    push_one(&engine, &editor("ann"), program, client, ahead).await;
    let mut offline = update(
        3,
        Kind::Action,
        action,
        &[("text", json!("offline"), cursor)],
    );
    offline.made_at = Some("2026-11-02T08:15:00+01:00".into());
    push_one(&engine, &editor("ann"), program, client, offline).await;
    let pull = engine
        .pull(&editor("ann"), program, cursor, 100, None)
        .await
        .unwrap();
    let made: Vec<(Value, Option<String>, String)> = pull
        .changes
        .iter()
        .filter(|c| c.item_id == action)
        .map(|c| (c.fields["text"].clone(), c.made_at.clone(), c.at.clone()))
        .collect();
    assert_eq!(made.len(), 2, "{made:?}");
    assert_eq!(
        made[0].1.as_deref(),
        Some(made[0].2.as_str()),
        "ahead: the server's time"
    );
    assert_eq!(
        made[1].1.as_deref(),
        Some("2026-11-02T07:15:00.000Z"),
        "offline: its own time, in UTC"
    );
}

async fn sets_edited_on_both_sides_keep_both_additions(storage: Arc<dyn Storage>) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let d = &handbook.decisions[0];
    let free: Vec<Id> = handbook
        .owners
        .iter()
        .map(|o| o.id)
        .filter(|o| !d.needed_from.contains(o))
        .collect();
    let with = |extra: Id| {
        let mut list = d.needed_from.clone();
        list.push(extra);
        json!(list)
    };
    push_one(
        &engine,
        &editor("ann"),
        program,
        Id::new(),
        update(
            1,
            Kind::Decision,
            d.id,
            &[("needed_from", with(free[0]), cursor)],
        ),
    )
    .await;
    push_one(
        &engine,
        &editor("ben"),
        program,
        Id::new(),
        update(
            1,
            Kind::Decision,
            d.id,
            &[("needed_from", with(free[1]), cursor)],
        ),
    )
    .await;
    let mut expected = d.needed_from.clone();
    expected.extend([free[0], free[1]]);
    assert_eq!(
        field(&engine, program, d.id, "needed_from").await,
        json!(expected)
    );
}

async fn a_delete_and_an_edit_that_meet_are_a_conflict(storage: Arc<dyn Storage>) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let risk = handbook.risks[1].id;
    push_one(
        &engine,
        &editor("ann"),
        program,
        Id::new(),
        update(
            1,
            Kind::Risk,
            risk,
            &[("mitigation", json!("Ann's plan"), cursor)],
        ),
    )
    .await;
    let versions: BTreeMap<String, u64> = roadbook_model::to_fields(&handbook.risks[1])
        .unwrap()
        .keys()
        .map(|k| (k.clone(), cursor))
        .collect();
    let delete = Mutation {
        seq: 1,
        mutation_id: Id::new(),
        kind: Kind::Risk,
        item_id: risk,
        operation: Operation::Delete {
            base_versions: versions,
        },
        made_at: None,
    };
    let result = push_one(&engine, &editor("ben"), program, Id::new(), delete).await;
    assert!(
        matches!(result.outcome, Outcome::Applied { ref conflicts, .. } if conflicts.len() == 1 && conflicts[0].field == "deleted"),
        "{result:?}"
    );
    assert_eq!(field(&engine, program, risk, "deleted").await, json!(false));

    // The other way round: deleted first, edited after from an older copy.
    let action = handbook.actions[0].id;
    let head = engine
        .storage()
        .program(program)
        .await
        .unwrap()
        .unwrap()
        .head;
    let fresh: BTreeMap<String, u64> = roadbook_model::to_fields(&handbook.actions[0])
        .unwrap()
        .keys()
        .map(|f| (f.clone(), head))
        .collect();
    let delete = Mutation {
        seq: 2,
        mutation_id: Id::new(),
        kind: Kind::Action,
        item_id: action,
        operation: Operation::Delete {
            base_versions: fresh,
        },
        made_at: None,
    };
    let client = Id::new();
    push_one(
        &engine,
        &editor("cat"),
        program,
        client,
        Mutation { seq: 1, ..delete },
    )
    .await;
    assert_eq!(
        field(&engine, program, action, "deleted").await,
        json!(true)
    );
    let edit = push_one(
        &engine,
        &editor("dan"),
        program,
        Id::new(),
        update(
            1,
            Kind::Action,
            action,
            &[("text", json!("Still needed"), cursor)],
        ),
    )
    .await;
    assert!(
        matches!(edit.outcome, Outcome::Applied { ref conflicts, .. } if conflicts.len() == 1),
        "{edit:?}"
    );
    assert_eq!(
        field(&engine, program, action, "deleted").await,
        json!(true)
    );
}

async fn a_merge_the_model_refuses_is_a_conflict_not_a_broken_item(storage: Arc<dyn Storage>) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let criterion = handbook.exit_criteria.iter().find(|c| !c.met).unwrap();
    // Ann marks it met with evidence; Ben, from the older copy, clears the evidence. Each alone
    // is valid; together they make a met criterion without evidence.
    push_one(
        &engine,
        &editor("ann"),
        program,
        Id::new(),
        update(
            1,
            Kind::ExitCriterion,
            criterion.id,
            &[
                ("met", json!(true), cursor),
                ("evidence", json!("Pilot sign-off"), cursor),
            ],
        ),
    )
    .await;
    let ben = push_one(
        &engine,
        &editor("ben"),
        program,
        Id::new(),
        update(
            1,
            Kind::ExitCriterion,
            criterion.id,
            &[("evidence", json!(""), cursor)],
        ),
    )
    .await;
    assert!(
        matches!(ben.outcome, Outcome::Applied { ref conflicts, .. } if conflicts.len() == 1 && conflicts[0].field == "evidence"),
        "{ben:?}"
    );
    assert_eq!(
        field(&engine, program, criterion.id, "evidence").await,
        json!("Pilot sign-off")
    );
    assert_eq!(
        field(&engine, program, criterion.id, "met").await,
        json!(true)
    );
}

async fn names_that_differ_only_in_case_clash_on_the_server_as_on_the_laptop(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let (first, second) = (handbook.statuses[0].id, handbook.statuses[1].id);
    let renamed = push_one(
        &engine,
        &lead(),
        program,
        Id::new(),
        update(1, Kind::Status, first, &[("name", json!("Équipe"), cursor)]),
    )
    .await;
    assert!(
        matches!(renamed.outcome, Outcome::Applied { .. }),
        "{renamed:?}"
    );
    // Only the first letter's case differs, and it is not ASCII.
    let clash = push_one(
        &engine,
        &lead(),
        program,
        Id::new(),
        update(
            1,
            Kind::Status,
            second,
            &[("name", json!("équipe"), cursor)],
        ),
    )
    .await;
    assert!(
        matches!(clash.outcome, Outcome::Rejected { ref reason, .. } if reason.contains("already the name of another status")),
        "{clash:?}"
    );
}

async fn a_refused_change_does_not_stop_the_next_ones(storage: Arc<dyn Storage>) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let decision = handbook.decisions[1].id;
    let client = Id::new();
    let answer = engine
        .push(
            &editor("sam"),
            program,
            PushRequest {
                history: None,
                client_id: client,
                mutations: vec![
                    update(
                        1,
                        Kind::Decision,
                        decision,
                        &[("status_id", json!(Id::new()), cursor)],
                    ),
                    update(
                        2,
                        Kind::Decision,
                        decision,
                        &[("title", json!("Kanopy first"), cursor)],
                    ),
                ],
            },
        )
        .await
        .unwrap();
    assert!(
        matches!(answer.results[0].outcome, Outcome::Rejected { ref reason, .. } if reason.contains("which is not in this program")),
        "{answer:?}"
    );
    assert!(matches!(answer.results[1].outcome, Outcome::Applied { .. }));
    assert_eq!(
        field(&engine, program, decision, "title").await,
        json!("Kanopy first")
    );
    // A viewer's push is refused as a whole, and writes nothing.
    let head = engine
        .storage()
        .program(program)
        .await
        .unwrap()
        .unwrap()
        .head;
    let viewer = caller("vic", Some(Role::Viewer));
    let refused = engine
        .push(
            &viewer,
            program,
            PushRequest {
                history: None,
                client_id: Id::new(),
                mutations: vec![update(
                    1,
                    Kind::Decision,
                    decision,
                    &[("title", json!("by a viewer"), cursor)],
                )],
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, EngineError::Forbidden(_)));
    assert_eq!(
        engine
            .storage()
            .program(program)
            .await
            .unwrap()
            .unwrap()
            .head,
        head
    );
    // Each mutation left an audit line naming the caller the token named; the viewer's refused
    // push wrote none.
    let audit: Vec<(String, String, Value)> = engine
        .storage()
        .audit(&roadbook_server::audit::AuditFilter::program(program))
        .await
        .unwrap()
        .into_iter()
        .filter(|line| line.action != "publish")
        .map(|line| (line.subject, line.action, line.detail["seq"].clone()))
        .collect();
    assert_eq!(
        audit,
        vec![
            ("sam".into(), "rejected".into(), json!(1)),
            ("sam".into(), "applied".into(), json!(2)),
        ]
    );
}

async fn pulls_come_in_pages_and_a_compacted_log_answers_with_the_program(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let mut pulled = Vec::new();
    let mut at = 0;
    loop {
        let page = engine.pull(&lead(), program, at, 7, None).await.unwrap();
        assert!(page.changes.len() <= 7);
        assert!(
            page.changes
                .iter()
                .zip(at + 1..)
                .all(|(c, v)| c.version == v),
            "contiguous from the cursor"
        );
        pulled.extend(page.changes);
        at = page.cursor;
        if !page.more {
            break;
        }
    }
    assert_eq!(pulled.len() as u64, cursor);
    engine.storage().compact(program, cursor - 2).await.unwrap();
    let stale = engine.pull(&lead(), program, 0, 100, None).await.unwrap();
    assert_eq!(stale.snapshot.map(|s| s.len()), Some(handbook.item_count()));
    assert_eq!(stale.cursor, cursor);
    let recent = engine
        .pull(&lead(), program, cursor - 2, 100, None)
        .await
        .unwrap();
    assert_eq!((recent.snapshot, recent.changes.len()), (None, 2));
}

async fn a_long_poll_answers_when_the_log_moves(storage: Arc<dyn Storage>) {
    let (engine, handbook, cursor) = published(storage).await;
    let engine = Arc::new(engine);
    let program = handbook.program.id;
    let quiet = engine
        .events(&lead(), program, cursor, None, None)
        .await
        .unwrap();
    assert_eq!(quiet.head, cursor, "nothing changed: the wait runs out");
    let waiting = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.events(&lead(), program, cursor, None, None).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    push_one(
        &engine,
        &editor("sam"),
        program,
        Id::new(),
        update(
            1,
            Kind::Decision,
            handbook.decisions[0].id,
            &[("title", json!("woken"), cursor)],
        ),
    )
    .await;
    let woke = waiting.await.unwrap().unwrap();
    assert_eq!(woke.head, cursor + 1);

    // A document shared to the archive wakes a listener that asked about the archive too, and
    // is kept once however often it is shared.
    let waiting = {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .events(&lead(), program, cursor + 1, Some(0), None)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let document = roadbook_protocol::ArchivedDocument {
        id: Id::new(),
        kind: "readout".into(),
        issued_at: "2026-11-23T10:00:00.000Z".into(),
        as_of: "2026-11-23T10:00:00.000Z".into(),
        parameters: json!({"since": null}),
        snapshot: r#"{"handbook": {}, "parameters": {}}"#.into(),
        pdf_sha256: "ab".repeat(32),
        pdf_bytes: 1000,
        pages: 2,
        author: "Sam Lead".into(),
        shared_by: Some("forged by the client".into()),
    };
    assert!(
        engine
            .share_document(&editor("sam"), program, document.clone())
            .await
            .unwrap()
    );
    assert!(
        !engine
            .share_document(&editor("sam"), program, document.clone())
            .await
            .unwrap()
    );
    let woke = waiting.await.unwrap().unwrap();
    assert_eq!((woke.head, woke.documents), (cursor + 1, 1));
    let page = engine.documents(&lead(), program, 0).await.unwrap();
    assert_eq!(page.documents.len(), 1);
    assert_eq!(
        page.documents[0].shared_by.as_deref(),
        Some("sam (name)"),
        "the server names who shared it"
    );
    assert_eq!(page.documents[0].snapshot, document.snapshot);
    assert!(
        engine
            .documents(&lead(), program, page.cursor)
            .await
            .unwrap()
            .documents
            .is_empty()
    );
    let viewer = caller("vic", Some(Role::Viewer));
    let mut other = document;
    other.id = Id::new();
    assert!(matches!(
        engine.share_document(&viewer, program, other).await,
        Err(EngineError::Forbidden(_))
    ));
}

async fn one_person_holds_a_bounded_number_of_waits_and_others_still_wait(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let engine = Arc::new(engine);
    let program = handbook.program.id;
    let most = roadbook_server::engine::MOST_WAITING;
    let waits: Vec<_> = (0..most)
        .map(|_| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.events(&lead(), program, cursor, None, None).await })
        })
        .collect();
    // Every wait is counted before the next one is asked for.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = engine.events(&lead(), program, cursor, None, None).await;
    assert!(
        matches!(refused, Err(EngineError::TooMany { .. })),
        "one more wait is refused: {refused:?}"
    );
    // Another person is not held up by the first one's waits.
    let others = {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .events(&editor("sam"), program, cursor, None, None)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    push_one(
        &engine,
        &editor("sam"),
        program,
        Id::new(),
        update(
            1,
            Kind::Decision,
            handbook.decisions[0].id,
            &[("title", json!("woken"), cursor)],
        ),
    )
    .await;
    assert_eq!(others.await.unwrap().unwrap().head, cursor + 1);
    for wait in waits {
        assert_eq!(wait.await.unwrap().unwrap().head, cursor + 1);
    }
    // The waits that ended are no longer counted.
    let again = engine
        .events(&lead(), program, cursor, None, None)
        .await
        .unwrap();
    assert_eq!(again.head, cursor + 1);
}

async fn concurrent_pushes_refused_as_a_whole_leave_the_others_applied(storage: Arc<dyn Storage>) {
    let (engine, handbook, cursor) = published(storage).await;
    let engine = Arc::new(engine);
    let program = handbook.program.id;
    let decision = handbook.decisions[0].id;
    // Twenty pushes at once (applied together in batches): every third skips a number and is
    // refused as a whole, after a good change of its own in the same push.
    let tasks: Vec<_> = (0..20u64)
        .map(|n| {
            let engine = engine.clone();
            tokio::spawn(async move {
                let mut mutations = vec![update(
                    1,
                    Kind::Decision,
                    decision,
                    &[("question", json!(format!("asked by {n}")), cursor)],
                )];
                if n % 3 == 0 {
                    mutations.push(update(
                        3,
                        Kind::Decision,
                        decision,
                        &[("title", json!("never"), cursor)],
                    ));
                }
                let request = PushRequest {
                    client_id: Id::new(),
                    mutations,
                    history: None,
                };
                engine
                    .push(&editor(&format!("p{n}")), program, request)
                    .await
            })
        })
        .collect();
    let mut applied = 0;
    for (n, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(answer) => {
                assert!(n % 3 != 0, "push {n} should have been refused");
                assert!(matches!(answer.results[0].outcome, Outcome::Applied { .. }));
                applied += 1;
            }
            Err(err) => {
                assert!(n % 3 == 0, "push {n}: {err}");
                assert!(
                    matches!(
                        err,
                        EngineError::SequenceGap {
                            expected: 2,
                            got: 3
                        }
                    ),
                    "{err}"
                );
            }
        }
    }
    let log = engine
        .pull(&lead(), program, cursor, 1000, None)
        .await
        .unwrap();
    assert_eq!(
        log.changes.len(),
        applied,
        "exactly the accepted pushes' changes"
    );
    assert!(
        log.changes.iter().all(|c| !c.fields.contains_key("title")),
        "nothing of a refused push"
    );
}
mod intent;
mod trust;
