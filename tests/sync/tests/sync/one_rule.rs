//! One rule, two places: the laptop's store and the server judge the same program and the same
//! edits alike. Each case publishes the sample from a SQLite replica to an engine, then makes the
//! same generated edits on both (references to what is there, to the wrong kind of item and to
//! nothing; names that clash by case, "Équipe" and "ÉQUIPE", "Straße" and "STRASSE" among them;
//! decisions marked made with and without an outcome): each one is taken by both or refused by
//! both, with the same words.

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use roadbook_model::{Handbook, Id, Kind, OrderKey, Owner, OwnerKind, Status, sample, to_fields};
use roadbook_protocol::{FieldChange, Mutation, Operation, Outcome, PushRequest, Role};
use roadbook_server::engine::{Caller, Engine, system_clock};
use roadbook_server::live::Live;
use roadbook_server::storage::memory::MemoryStorage;
use roadbook_server::storage::{Author, Storage};
use roadbook_store::{Edits, FieldEdit, Store, StoreError};
use roadbook_sync::Client;
use roadbook_sync_tests::sim::{Network, SimTransport};
use serde_json::{Value, json};

/// What an edit points a reference at.
#[derive(Debug, Clone)]
enum Target {
    /// An item of the right kind (the n-th).
    There(usize),
    /// An item of another kind.
    WrongKind(usize),
    /// An id nothing has.
    Nothing,
}

/// A name an edit writes: another item's, written another way, or a fresh one.
#[derive(Debug, Clone)]
enum Name {
    Of(usize, Case),
    Fresh(&'static str),
}

#[derive(Debug, Clone, Copy)]
enum Case {
    Upper,
    Lower,
    Spaced,
}

/// Fresh names, some of which meet each other only when case is folded in full.
const FRESH: [&str; 6] = [
    "Équipe données",
    "ÉQUIPE DONNÉES",
    "Straße team",
    "STRASSE TEAM",
    "Platform guild",
    "Ωmega crew",
];

#[derive(Debug, Clone)]
enum Edit {
    /// A decision's status and outcome ("" and blank among them).
    Decide {
        decision: usize,
        status: usize,
        outcome: &'static str,
    },
    /// A decision's workstream.
    Workstream {
        decision: usize,
        to: Target,
    },
    /// An action's owner.
    ActionOwner {
        action: usize,
        to: Target,
    },
    RenameOwner {
        owner: usize,
        to: Name,
    },
    NewOwner {
        name: Name,
    },
    RenameStatus {
        status: usize,
        to: Name,
    },
    NewStatus {
        name: Name,
        open: bool,
    },
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        (0usize..20).prop_map(Target::There),
        (0usize..20).prop_map(Target::WrongKind),
        Just(Target::Nothing),
    ]
}

fn name() -> impl Strategy<Value = Name> {
    prop_oneof![
        (
            0usize..20,
            prop_oneof![Just(Case::Upper), Just(Case::Lower), Just(Case::Spaced)]
        )
            .prop_map(|(n, c)| Name::Of(n, c)),
        (0usize..FRESH.len()).prop_map(|n| Name::Fresh(FRESH[n])),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (
            0usize..20,
            0usize..20,
            prop_oneof![Just(""), Just("   "), Just("Okta")]
        )
            .prop_map(|(decision, status, outcome)| Edit::Decide {
                decision,
                status,
                outcome
            }),
        (0usize..20, target()).prop_map(|(decision, to)| Edit::Workstream { decision, to }),
        (0usize..20, target()).prop_map(|(action, to)| Edit::ActionOwner { action, to }),
        (0usize..20, name()).prop_map(|(owner, to)| Edit::RenameOwner { owner, to }),
        name().prop_map(|name| Edit::NewOwner { name }),
        (0usize..20, name()).prop_map(|(status, to)| Edit::RenameStatus { status, to }),
        (name(), any::<bool>()).prop_map(|(name, open)| Edit::NewStatus { name, open }),
    ]
}

fn pick<T>(list: &[T], n: usize) -> &T {
    &list[n % list.len()]
}

fn spelled(name: &Name, names: &[String]) -> String {
    match name {
        Name::Of(n, Case::Upper) => pick(names, *n).to_uppercase(),
        Name::Of(n, Case::Lower) => pick(names, *n).to_lowercase(),
        Name::Of(n, Case::Spaced) => format!("  {}  ", pick(names, *n)),
        Name::Fresh(text) => (*text).to_owned(),
    }
}

/// The same edit on both sides, as one change to one item: which item, its kind, and either the
/// fields it sets or the new item.
enum Change {
    Set(Kind, Id, Vec<(&'static str, Value)>),
    New(Kind, Id, serde_json::Map<String, Value>),
}

fn change(edit: &Edit, h: &Handbook) -> Change {
    let reference = |to: &Target, right: &[Id], wrong: &[Id]| match to {
        Target::There(n) => json!(pick(right, *n)),
        Target::WrongKind(n) => json!(pick(wrong, *n)),
        Target::Nothing => json!(Id::new()),
    };
    let owners: Vec<String> = h.owners.iter().map(|o| o.name.clone()).collect();
    let statuses: Vec<String> = h.statuses.iter().map(|s| s.name.clone()).collect();
    let ids = |items: Vec<Id>| items;
    match edit {
        Edit::Decide {
            decision,
            status,
            outcome,
        } => Change::Set(
            Kind::Decision,
            pick(&h.decisions, *decision).id,
            vec![
                ("status_id", json!(pick(&h.statuses, *status).id)),
                ("outcome", json!(outcome)),
            ],
        ),
        Edit::Workstream { decision, to } => Change::Set(
            Kind::Decision,
            pick(&h.decisions, *decision).id,
            vec![(
                "workstream_id",
                reference(
                    to,
                    &ids(h.workstreams.iter().map(|w| w.id).collect()),
                    &ids(h.risks.iter().map(|r| r.id).collect()),
                ),
            )],
        ),
        Edit::ActionOwner { action, to } => Change::Set(
            Kind::Action,
            pick(&h.actions, *action).id,
            vec![(
                "owner_id",
                reference(
                    to,
                    &ids(h.owners.iter().map(|o| o.id).collect()),
                    &ids(h.decisions.iter().map(|d| d.id).collect()),
                ),
            )],
        ),
        Edit::RenameOwner { owner, to } => Change::Set(
            Kind::Owner,
            pick(&h.owners, *owner).id,
            vec![("name", json!(spelled(to, &owners)))],
        ),
        Edit::RenameStatus { status, to } => Change::Set(
            Kind::Status,
            pick(&h.statuses, *status).id,
            vec![("name", json!(spelled(to, &statuses)))],
        ),
        Edit::NewOwner { name } => {
            let owner = Owner {
                id: Id::new(),
                name: spelled(name, &owners),
                short_name: None,
                kind: OwnerKind::Team,
                team_id: None,
            };
            Change::New(Kind::Owner, owner.id, to_fields(&owner).unwrap())
        }
        Edit::NewStatus { name, open } => {
            let status = Status {
                id: Id::new(),
                name: spelled(name, &statuses),
                meaning: String::new(),
                colour: "#2F8FCF".into(),
                open: *open,
            };
            Change::New(Kind::Status, status.id, to_fields(&status).unwrap())
        }
    }
}

/// What the store made of a change: taken, or refused with the model's words.
fn on_store(store: &mut Store, program: Id, change: &Change) -> Result<(), String> {
    let result = match change {
        Change::Set(kind, id, fields) => {
            let seen = store.field_revisions(*id).unwrap();
            let edits: Edits = fields
                .iter()
                .map(|(f, v)| {
                    (
                        (*f).to_owned(),
                        FieldEdit {
                            value: v.clone(),
                            seen: seen.get(*f).copied().unwrap_or(0),
                        },
                    )
                })
                .collect();
            store.edit(program, *kind, *id, &edits, "Sam").map(|_| ())
        }
        Change::New(Kind::Owner, _, fields) => {
            let owner: Owner = serde_json::from_value(Value::Object(fields.clone())).unwrap();
            store.create(program, &owner, "Sam").map(|_| ())
        }
        Change::New(_, _, fields) => {
            let status: Status = serde_json::from_value(Value::Object(fields.clone())).unwrap();
            store.create(program, &status, "Sam").map(|_| ())
        }
    };
    match result {
        Ok(()) => Ok(()),
        Err(StoreError::Invalid(problems)) => Err(problems.to_string()),
        Err(other) => panic!("the store failed otherwise than refusing: {other}"),
    }
}

/// What the server made of the same change.
async fn on_server(
    engine: &Engine,
    storage: &MemoryStorage,
    caller: &Caller,
    program: Id,
    change: &Change,
) -> Result<(), String> {
    let (kind, id, operation) = match change {
        Change::Set(kind, id, fields) => {
            let (items, _) = storage.snapshot(program).await.unwrap();
            let versions = &items.iter().find(|i| i.id == *id).unwrap().versions;
            let fields = fields
                .iter()
                .map(|(f, v)| {
                    (
                        (*f).to_owned(),
                        FieldChange {
                            value: v.clone(),
                            base_version: versions.get(*f).copied().unwrap_or(0),
                            set: None,
                            kept: false,
                        },
                    )
                })
                .collect();
            (*kind, *id, Operation::Update { fields })
        }
        Change::New(kind, id, fields) => {
            let mut fields = fields.clone();
            fields.remove("id");
            fields.insert("position".into(), json!(OrderKey::first().as_str()));
            (*kind, *id, Operation::Create { fields })
        }
    };
    let answer = engine
        .push(
            caller,
            program,
            PushRequest {
                client_id: Id::new(),
                mutations: vec![Mutation {
                    seq: 1,
                    mutation_id: Id::new(),
                    kind,
                    item_id: id,
                    operation,
                    made_at: None,
                }],
                history: None,
            },
        )
        .await
        .unwrap();
    match &answer.results[0].outcome {
        Outcome::Applied { .. } => Ok(()),
        Outcome::Rejected { code, reason } if code == "invalid" => Err(reason.clone()),
        Outcome::Rejected { code, reason } => panic!("refused otherwise ({code}): {reason}"),
    }
}

fn lead() -> Caller {
    Caller {
        author: Author {
            subject: "sam".into(),
            name: "Sam".into(),
        },
        email: None,
        groups: Vec::new(),
        role: Some(Role::Lead),
        break_glass: None,
    }
}

type Verdict = Result<(), String>;

/// Publishes the sample from a replica, makes `edits` on both the replica and the server, one by
/// one, and returns what each made of each.
fn judge(edits: &[Edit]) -> Vec<(Verdict, Verdict)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let storage = Arc::new(MemoryStorage::new());
        let engine = Arc::new(
            Engine::new(
                storage.clone() as Arc<dyn Storage>,
                Arc::new(Live::new()),
                system_clock(),
            )
            .with_wait(Duration::from_millis(5)),
        );
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("sam.db")).unwrap();
        let handbook = sample::builder_insights().unwrap();
        let program = handbook.program.id;
        store.import(&handbook, "Sam").unwrap();
        let net = Network::new(1, storage.clone(), 1);
        let client = Client::new(SimTransport {
            engine: engine.clone(),
            caller: lead(),
            index: 0,
            net,
        });
        let replica = std::sync::Mutex::new(store);
        client.publish(&replica, program).await.unwrap();
        let mut store = replica.into_inner().unwrap();
        let mut verdicts = Vec::new();
        for edit in edits {
            // Both sides hold the same program: what one took, the other took too.
            let h = store.load(program).unwrap();
            let change = change(edit, &h);
            let here = on_store(&mut store, program, &change);
            let there = on_server(&engine, &storage, &lead(), program, &change).await;
            verdicts.push((here, there));
        }
        verdicts
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn the_store_and_the_server_judge_every_edit_alike(edits in prop::collection::vec(edit(), 1..5)) {
        for (edit, (here, there)) in edits.iter().zip(judge(&edits)) {
            prop_assert_eq!(here, there, "{:?}: the store and the server disagree", edit);
        }
    }
}

/// The cases the generator must reach, written out, with the words both say.
#[test]
fn names_that_meet_when_case_is_folded_and_a_decision_made_without_its_outcome_are_refused_on_both()
{
    let h = sample::builder_insights().unwrap();
    let open = h
        .decisions
        .iter()
        .position(|d| d.outcome.is_empty())
        .unwrap();
    let closed = h.statuses.iter().position(|s| !s.open).unwrap();
    let verdicts = judge(&[
        Edit::NewOwner {
            name: Name::Fresh("Straße team"),
        },
        Edit::NewOwner {
            name: Name::Fresh("STRASSE TEAM"),
        },
        Edit::NewOwner {
            name: Name::Fresh("Équipe données"),
        },
        Edit::NewOwner {
            name: Name::Fresh("ÉQUIPE DONNÉES"),
        },
        Edit::Decide {
            decision: open,
            status: closed,
            outcome: "   ",
        },
        Edit::Decide {
            decision: open,
            status: closed,
            outcome: "Okta",
        },
        Edit::Workstream {
            decision: open,
            to: Target::WrongKind(0),
        },
    ]);
    let said: Vec<Verdict> = verdicts
        .iter()
        .map(|(here, there)| {
            assert_eq!(here, there);
            here.clone()
        })
        .collect();
    assert_eq!(said[0], Ok(()));
    assert_eq!(
        said[1],
        Err(
            "owner.name: 'STRASSE TEAM' is already the name of another owner: names must differ"
                .into()
        )
    );
    assert_eq!(said[2], Ok(()));
    assert!(
        said[3]
            .as_ref()
            .is_err_and(|e| e.contains("'ÉQUIPE DONNÉES' is already the name"))
    );
    assert!(
        said[4].as_ref().is_err_and(
            |e| e.starts_with("decision.outcome: a decision marked Decided needs its outcome")
        ),
        "{:?}",
        said[4]
    );
    assert_eq!(said[5], Ok(()));
    assert!(
        said[6]
            .as_ref()
            .is_err_and(|e| e.contains("which is a risk where a workstream is expected")),
        "{:?}",
        said[6]
    );
}
