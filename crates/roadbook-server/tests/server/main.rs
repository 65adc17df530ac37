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

mod intent;

mod conflicts;
mod pulls;
mod refusals;

mod trust;
