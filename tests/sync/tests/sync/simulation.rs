//! Deterministic simulation: five clients with their own SQLite databases edit one program at
//! random, sync in random order over a network that drops, loses, duplicates and re-delivers
//! messages and cuts clients off, while the server crashes before some commits and clients
//! crash mid-sync (their databases reopened). After the faults stop and everyone syncs, every
//! replica equals the server, nothing was applied twice, every outbox is empty, and every
//! conflict the server holds is on every replica.
//!
//! `make test` runs a bounded number of seeds; `ROADBOOK_SIM_SEEDS=N` runs more (the bench
//! target runs many), `ROADBOOK_SIM_SEED=S` replays one.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use roadbook_model::{Action, Decision, Handbook, Id, Kind, OrderKey, sample};
use roadbook_protocol::Role;
use roadbook_server::engine::{Caller, Engine, system_clock};
use roadbook_server::live::Live;
use roadbook_server::storage::memory::MemoryStorage;
use roadbook_server::storage::{Author, Storage};
use roadbook_store::{Edits, FieldEdit, Store, edits_between};
use roadbook_sync::{Client, Replica, Retry};
use roadbook_sync_tests::sim::{Faults, Network, Rng, SimTransport, chance};
use serde_json::json;

const CLIENTS: usize = 5;
const STEPS: usize = 120;

struct SimClient {
    path: std::path::PathBuf,
    store: Mutex<Store>,
    client: Client<SimTransport>,
    author: String,
    _dir: tempfile::TempDir,
}

impl SimClient {
    /// A crash: whatever the sync was doing stops, and the database is opened afresh.
    fn restart(&self) {
        let mut store = self.store.lock().unwrap();
        let reopened = Store::open(&self.path).unwrap();
        *store = reopened;
    }
}

fn seeds() -> Vec<u64> {
    if let Some(seed) = std::env::var("ROADBOOK_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return vec![seed];
    }
    let count: u64 = std::env::var("ROADBOOK_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    (1..=count).map(|n| n * 7919).collect()
}

/// One local edit a person might make, chosen by the seed; refused ones (the store's own
/// checks) are simply not made.
fn edit(rng: &mut Rng, store: &mut Store, program: Id, author: &str, step: usize) {
    let handbook = store.load(program).unwrap();
    let statuses: Vec<Id> = handbook.statuses.iter().map(|s| s.id).collect();
    match rng.below(7) {
        0 | 1 if !handbook.decisions.is_empty() => {
            // An ordinary field, or a guarded one (status), of a decision.
            let d = &handbook.decisions[rng.below(handbook.decisions.len())];
            let (_, before, seen) = store.get_revised::<Decision>(d.id).unwrap();
            let mut after = before.clone();
            if chance(rng, 50) {
                after.title = format!(
                    "{} / {author} {step}",
                    d.title.split(" / ").next().unwrap_or_default()
                );
            } else {
                after.status_id = statuses[rng.below(statuses.len())];
            }
            let edits = edits_between(&before, &after, &seen).unwrap();
            let _ = store.edit(program, Kind::Decision, d.id, &edits, author);
        }
        2 if !handbook.decisions.is_empty() => {
            // A set: add an owner to whom a decision is needed from.
            let d = &handbook.decisions[rng.below(handbook.decisions.len())];
            let owner = handbook.owners[rng.below(handbook.owners.len())].id;
            let (_, before, seen) = store.get_revised::<Decision>(d.id).unwrap();
            let mut after = before.clone();
            if !after.needed_from.contains(&owner) {
                after.needed_from.push(owner);
            }
            let edits = edits_between(&before, &after, &seen).unwrap();
            if !edits.is_empty() {
                let _ = store.edit(program, Kind::Decision, d.id, &edits, author);
            }
        }
        3 => {
            let action = Action {
                id: Id::new(),
                text: format!("action by {author} at step {step}"),
                owner_id: None,
                due: None,
                status_id: statuses[0],
                source: String::new(),
                decision_id: None,
                review_id: None,
                workstream_id: None,
            };
            store.create(program, &action, author).unwrap();
        }
        4 if !handbook.actions.is_empty() => {
            let a = &handbook.actions[rng.below(handbook.actions.len())];
            let _ = store.delete(a.id, author);
        }
        5 if handbook.actions.len() > 1 => {
            let a = &handbook.actions[rng.below(handbook.actions.len())];
            let seen = store.field_revisions(a.id).unwrap();
            let edits = Edits::from([(
                "text".to_owned(),
                FieldEdit {
                    value: json!(format!("edited by {author} at {step}")),
                    seen: seen.get("text").copied().unwrap_or(0),
                },
            )]);
            let _ = store.edit(program, Kind::Action, a.id, &edits, author);
        }
        _ if handbook.decisions.len() > 1 => {
            let ids: Vec<Id> = handbook.decisions.iter().map(|d| d.id).collect();
            let moving = ids[rng.below(ids.len())];
            let before = if chance(rng, 30) {
                None
            } else {
                Some(ids[rng.below(ids.len())])
            };
            let _ = store.move_item(moving, before, author);
        }
        _ => {}
    }
}

/// The server's program as a handbook, and its field versions per item.
async fn server_view(
    storage: &MemoryStorage,
    program: Id,
) -> (Handbook, BTreeMap<Id, BTreeMap<String, u64>>) {
    let (items, _) = storage.snapshot(program).await.unwrap();
    let mut live: Vec<_> = items
        .iter()
        .filter(|i| i.fields.get("deleted") != Some(&json!(true)))
        .collect();
    live.sort_by(|a, b| {
        let key = |i: &&roadbook_protocol::ItemState| {
            i.fields["position"].as_str().unwrap_or_default().to_owned()
        };
        (a.kind.as_str(), key(a), a.id).cmp(&(b.kind.as_str(), key(b), b.id))
    });
    let record = live.iter().find(|i| i.kind == Kind::Program).unwrap();
    let body = |i: &roadbook_protocol::ItemState| {
        let mut body = i.fields.clone();
        body.remove("position");
        body.remove("deleted");
        body.insert("id".into(), json!(i.id));
        serde_json::Value::Object(body).to_string()
    };
    let mut handbook = Handbook::empty(serde_json::from_str(&body(record)).unwrap());
    for item in live.iter().filter(|i| i.kind != Kind::Program) {
        handbook.push_json(item.kind, &body(item)).unwrap();
        assert!(
            item.fields["position"]
                .as_str()
                .unwrap()
                .parse::<OrderKey>()
                .is_ok()
        );
    }
    let versions = items.iter().map(|i| (i.id, i.versions.clone())).collect();
    (handbook, versions)
}

/// What one run exercised, to show the simulation is not vacuous.
#[derive(Debug, Default, Clone, Copy)]
struct Exercised {
    failed_syncs: usize,
    crashes: usize,
    conflicts: usize,
    changes: usize,
}

async fn run(seed: u64) -> Exercised {
    let mut exercised = Exercised::default();
    let mut rng = Rng::new(seed);
    let storage = Arc::new(MemoryStorage::new());
    let live = Arc::new(Live::new());
    let engine = Arc::new(
        Engine::new(storage.clone() as Arc<dyn Storage>, live, system_clock())
            .with_wait(Duration::from_millis(5)),
    );
    let net = Network::new(seed, storage.clone(), CLIENTS);
    let no_retry = Retry {
        first: Duration::ZERO,
        most: Duration::ZERO,
        give_up_after: Some(Duration::ZERO),
    };
    let clients: Vec<SimClient> = (0..CLIENTS)
        .map(|n| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("roadbook.db");
            let author = format!("person{n}");
            let role = if n == 0 { Role::Lead } else { Role::Editor };
            let caller = Caller {
                author: Author {
                    subject: author.clone(),
                    name: author.clone(),
                },
                email: None,
                groups: Vec::new(),
                role: Some(role),
                break_glass: None,
            };
            SimClient {
                store: Mutex::new(Store::open(&path).unwrap()),
                path,
                client: Client::new(SimTransport {
                    engine: engine.clone(),
                    caller,
                    index: n,
                    net: net.clone(),
                })
                .with_retry(no_retry),
                author,
                _dir: dir,
            }
        })
        .collect();

    // Client 0 publishes the sample; the others join (no faults yet).
    let handbook = sample::builder_insights().unwrap();
    let program = handbook.program.id;
    clients[0]
        .store
        .with(|s| s.import(&handbook, "person0"))
        .unwrap();
    clients[0]
        .client
        .publish(&clients[0].store, program)
        .await
        .unwrap();
    for c in &clients[1..] {
        c.client.join(&c.store, program).await.unwrap();
    }

    *net.faults.lock().unwrap() = Faults {
        drop_request: 10,
        lose_answer: 10,
        duplicate: 10,
        replay_old: 10,
        server_crash: 8,
    };
    for step in 0..STEPS {
        let who = rng.below(CLIENTS);
        let c = &clients[who];
        match rng.below(10) {
            0..=4 => c
                .store
                .with(|s| edit(&mut rng, s, program, &c.author, step)),
            5..=7 => {
                if chance(&mut rng, 15) {
                    // Crash somewhere in the middle of this sync.
                    net.crash_after.lock().unwrap()[who] = Some(rng.below(4) as u32);
                }
                if c.client.sync(&c.store, program).await.is_err() {
                    exercised.failed_syncs += 1;
                }
                if net.crash_after.lock().unwrap()[who].take().is_some() {
                    exercised.crashes += 1;
                    c.restart();
                }
            }
            8 => {
                let mut cut = net.cut_off.lock().unwrap();
                if !cut.remove(&who) {
                    cut.insert(who);
                }
            }
            _ if who == 0 => {
                // The lead settles an open conflict, one way or the other.
                let open = c.store.with(|s| s.conflicts(program)).unwrap();
                if !open.is_empty() {
                    let pick = &open[rng.below(open.len())];
                    let choice = if chance(&mut rng, 50) {
                        json!({"keep": "mine"})
                    } else {
                        json!({"keep": "theirs"})
                    };
                    c.store
                        .with(|s| s.enqueue_resolve(pick.id, choice, &c.author))
                        .unwrap();
                }
            }
            _ => c.restart(),
        }
    }

    // Quiescence: the network heals, everyone syncs until nothing moves.
    *net.faults.lock().unwrap() = Faults::default();
    net.cut_off.lock().unwrap().clear();
    for _ in 0..4 {
        for c in &clients {
            c.client
                .sync(&c.store, program)
                .await
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
    }

    let (server, versions) = server_view(&storage, program).await;
    let open: BTreeSet<Id> = storage
        .open_conflicts(program)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    for (n, c) in clients.iter().enumerate() {
        let (replica, outbox, conflicts, state) = c.store.with(|s| {
            (
                s.load(program).unwrap(),
                s.outbox(Some(program)).unwrap(),
                s.conflicts(program).unwrap(),
                s.sync_state(program).unwrap(),
            )
        });
        assert!(
            outbox.is_empty(),
            "seed {seed}: client {n} has a stuck outbox: {outbox:?}"
        );
        assert_eq!(
            replica.to_json().unwrap(),
            server.to_json().unwrap(),
            "seed {seed}: client {n} differs from the server"
        );
        for (id, server_versions) in &versions {
            let Some(local) = c.store.with(|s| s.item_state(*id)).unwrap() else {
                continue;
            };
            for (field, v) in server_versions {
                if field == "deleted" {
                    continue;
                }
                assert_eq!(
                    local.versions.get(field),
                    Some(v),
                    "seed {seed}: client {n}, item {id}, field {field}: versions differ"
                );
            }
        }
        let theirs: BTreeSet<Id> = conflicts.iter().map(|c| c.id).collect();
        assert_eq!(
            theirs, open,
            "seed {seed}: client {n} shows other conflicts than the server"
        );
        assert_eq!(
            state.cursor,
            storage.program(program).await.unwrap().unwrap().head,
            "seed {seed}: client {n}"
        );
    }

    // Every applied change is in the log exactly once: no (client, seq) applied twice.
    let log = storage.changes_after(program, 0, usize::MAX).await.unwrap();
    exercised.changes = log.len();
    exercised.conflicts = open.len();
    let mut origins = BTreeSet::new();
    for change in &log {
        if let Some(origin) = change.origin {
            assert!(
                origins.insert((origin.client_id, origin.seq)),
                "seed {seed}: change {}/{} applied twice",
                origin.client_id,
                origin.seq
            );
        }
    }
    // And every change a client was told was applied is in it.
    for (client, seq, version) in net.answers.lock().unwrap().iter() {
        if version.is_some() {
            assert!(
                origins.contains(&(*client, *seq)),
                "seed {seed}: acknowledged {client}/{seq} is not in the log"
            );
        }
    }
    exercised
}

#[tokio::test(flavor = "current_thread")]
async fn replicas_converge_through_faults_and_crashes() {
    let mut total = Exercised::default();
    for seed in seeds() {
        let e = run(seed).await;
        eprintln!(
            "simulation seed {seed}: {} changes, {} failed syncs, {} crashes, {} conflicts open (ROADBOOK_SIM_SEED={seed} replays it)",
            e.changes, e.failed_syncs, e.crashes, e.conflicts
        );
        total.failed_syncs += e.failed_syncs;
        total.crashes += e.crashes;
        total.conflicts += e.conflicts;
    }
    assert!(
        total.failed_syncs > 0 && total.crashes > 0 && total.conflicts > 0,
        "the runs met no faults, crashes or conflicts: {total:?}"
    );
}
