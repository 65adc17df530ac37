//! Deterministic simulation: five clients with their own SQLite databases edit one program at
//! random (chains of edits to one item, sets grown and shrunk, items made, changed and deleted
//! before one sync, moves, conflicts settled), sync in random order over a network that drops,
//! loses, duplicates and re-delivers messages and cuts clients off, while the server crashes
//! before some commits, loses the answer to the publish, and is restored from a backup taken
//! earlier; clients crash mid-sync (their databases reopened).
//!
//! After the faults stop and everyone syncs, two oracles:
//! - agreement: every replica equals the server (values and versions), nothing was applied
//!   twice, every outbox is empty, every conflict the server holds is on every replica, and
//!   every change acknowledged in the server's current history is in its log;
//! - intent: a reference model replays what each person sent, in the order the server decided
//!   it (its audit trail, skipping what a restore took back), honouring only what the server
//!   said of each change (applied, held in a conflict, refused) and nothing of its merge rules:
//!   a set takes each person's additions and removals, an ordinary field the last write, a
//!   delete deletes. The server's program must equal the model on every item and field no
//!   conflict touched, and no conflict ever has the same person on both sides.
//!
//! `make test` runs a bounded number of seeds; `ROADBOOK_SIM_SEEDS=N` runs more (the bench
//! target runs many), `ROADBOOK_SIM_SEED=S` replays one (`ROADBOOK_SIM_STEPS=N` with it replays
//! the shortened run a failure was shrunk to).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use roadbook_model::{Action, Decision, Handbook, Id, Kind, OrderKey, sample};
use roadbook_protocol::{Choice, Conflict, Operation, Role};
use roadbook_server::engine::{Caller, Engine, system_clock};
use roadbook_server::live::Live;
use roadbook_server::storage::memory::{MemoryBackup, MemoryStorage};
use roadbook_server::storage::{Author, Storage};
use roadbook_store::{Edits, FieldEdit, Store, edits_between};
use roadbook_sync::{Client, Replica, Retry};
use roadbook_sync_tests::sim::{Faults, Network, Rng, SimTransport, chance};
use serde_json::json;

const CLIENTS: usize = 5;
const STEPS: usize = 140;

mod edits;
mod model;

use edits::edit;
use model::{Model, decisions};

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

fn steps() -> usize {
    std::env::var("ROADBOOK_SIM_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(STEPS)
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
    restores: usize,
    /// Item fields the intent oracle compared with the server.
    checked: usize,
}

async fn run(seed: u64, steps: usize) -> Exercised {
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

    // Client 0 publishes the sample, and the answer is lost: its next sync finishes the
    // publish. The others join (no faults yet).
    let handbook = sample::builder_insights().unwrap();
    let program = handbook.program.id;
    clients[0]
        .store
        .with(|s| s.import(&handbook, "person0"))
        .unwrap();
    *net.lose_next_publish.lock().unwrap() = true;
    assert!(
        clients[0]
            .client
            .publish(&clients[0].store, program)
            .await
            .is_err()
    );
    clients[0]
        .client
        .sync(&clients[0].store, program)
        .await
        .unwrap_or_else(|e| panic!("seed {seed}: the publish in doubt did not finish: {e}"));
    for c in &clients[1..] {
        c.client.join(&c.store, program).await.unwrap();
    }
    let published = Model::published(&storage, program).await;
    // What the current history keeps of the audit trail: up to the backup it was restored
    // from, then from the restore on.
    let mut kept: Vec<(usize, Option<usize>)> = vec![(0, None)];
    let mut backup: Option<(MemoryBackup, usize)> = None;

    *net.faults.lock().unwrap() = Faults {
        drop_request: 10,
        lose_answer: 10,
        duplicate: 10,
        replay_old: 10,
        server_crash: 8,
    };
    for step in 0..steps {
        let who = rng.below(CLIENTS);
        let c = &clients[who];
        match rng.below(11) {
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
            9 if chance(&mut rng, 25) => {
                // The operators back the database up, and later restore that backup: what the
                // server acknowledged in between is gone from it, and positions are reused.
                match backup.take() {
                    None => {
                        let at = storage.audit_events().len();
                        backup = Some((storage.backup().await, at));
                    }
                    Some((copy, at)) => {
                        let restored_at = storage.audit_events().len();
                        storage.restore(copy).await;
                        engine.live().set_history(None);
                        if let Some(last) = kept.last_mut() {
                            last.1 = Some(at);
                        }
                        kept.push((restored_at, None));
                        exercised.restores += 1;
                    }
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

    // Agreement.
    let (server, versions) = server_view(&storage, program).await;
    // Whatever was merged and however conflicts were settled, the program is one the model
    // accepts: no decision made without its outcome, no reference to what is gone.
    if let Err(problems) = server.validate() {
        panic!("seed {seed}: the server holds a program the model refuses: {problems}");
    }
    for d in &server.decisions {
        let made = server.status(d.status_id).is_some_and(|s| !s.open);
        assert!(
            !made || !d.outcome.trim().is_empty(),
            "seed {seed}: decision '{}' is made without its outcome on the server",
            d.title
        );
    }
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
        let (mine, theirs) = (replica.to_json().unwrap(), server.to_json().unwrap());
        if mine != theirs {
            // The lines that differ, not two whole programs.
            let differ: Vec<String> = mine
                .lines()
                .zip(theirs.lines())
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .take(12)
                .map(|(n, (a, b))| format!("line {n}: replica {a} / server {b}"))
                .collect();
            panic!(
                "seed {seed}: client {n} differs from the server ({} lines here, {} there):\n{}",
                mine.lines().count(),
                theirs.lines().count(),
                differ.join("\n")
            );
        }
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
    // And every change a client was told was applied is in it, when it was told so in the
    // current history (a restore takes back what came after the backup; the replica sends
    // its own again, under a new number).
    if exercised.restores == 0 {
        for (client, seq, version) in net.answers.lock().unwrap().iter() {
            if version.is_some() {
                assert!(
                    origins.contains(&(*client, *seq)),
                    "seed {seed}: acknowledged {client}/{seq} is not in the log"
                );
            }
        }
    }

    // Intent: what the people sent, in the order the server decided it, over the published
    // program, compared with the server on everything no conflict touched.
    let answered: Vec<Conflict> = net.conflicts.lock().unwrap().clone();
    let conflicts: BTreeMap<Id, Conflict> = answered
        .into_iter()
        .chain(storage.all_conflicts(program).await)
        .map(|c| (c.id, c))
        .collect();
    for c in conflicts.values() {
        assert_ne!(
            c.theirs.author, c.mine.author,
            "seed {seed}: a conflict with the same person on both sides: {c:?}"
        );
    }
    let mut untouched: BTreeSet<(Id, String)> = conflicts
        .values()
        .flat_map(|c| {
            c.kind
                .conflict_fields(&c.field)
                .into_iter()
                .map(|f| (c.item_id, f.to_owned()))
        })
        .collect();
    let pushed = net.pushed.lock().unwrap().clone();
    let mut model = published;
    let end = storage.audit_events().len();
    for (from, to) in &kept {
        for (mutation, applied, held) in decisions(&storage, *from, to.unwrap_or(end)) {
            let (_, sent) = pushed.get(&mutation).unwrap_or_else(|| {
                panic!("seed {seed}: the server decided {mutation}, which nobody sent")
            });
            if !applied {
                continue;
            }
            let held: BTreeSet<String> = held
                .iter()
                .filter_map(|id| conflicts.get(id))
                .flat_map(|c| c.kind.conflict_fields(&c.field))
                .map(str::to_owned)
                .collect();
            if let Operation::Update { fields } = &sent.operation {
                // A set sent again whole (a replica sending what a restore lost) merges by
                // the server's rule: not the model's to judge.
                for (name, change) in fields {
                    if change.set.is_none() && sent.kind.set_fields().contains(&name.as_str()) {
                        untouched.insert((sent.item_id, name.clone()));
                    }
                }
            }
            model.apply(&sent.operation, sent.item_id, &held, &conflicts);
        }
    }
    let (items, _) = storage.snapshot(program).await.unwrap();
    let on_server: BTreeMap<Id, &roadbook_protocol::ItemState> =
        items.iter().map(|i| (i.id, i)).collect();
    for (id, fields) in &model.items {
        if untouched.contains(&(*id, "deleted".to_owned())) {
            continue;
        }
        let server = on_server
            .get(id)
            .unwrap_or_else(|| panic!("seed {seed}: item {id} is not on the server"));
        for (name, value) in fields {
            if untouched.contains(&(*id, name.clone())) {
                continue;
            }
            exercised.checked += 1;
            assert_eq!(
                server.fields.get(name),
                Some(value),
                "seed {seed}: {} {id}, field {name}: the server holds what nobody meant",
                server.kind.noun()
            );
        }
    }
    exercised
}

/// Runs a seed; a failure is shrunk to the fewest steps that still fail, and said with how to
/// replay it.
fn check(seed: u64) -> Exercised {
    let attempt = |steps: usize| {
        std::panic::catch_unwind(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(run(seed, steps))
        })
    };
    let steps = steps();
    match attempt(steps) {
        Ok(exercised) => exercised,
        Err(_) => {
            // The shortest prefix of the same run that fails (runs are deterministic, and a
            // shorter run is the same steps, cut).
            let (mut good, mut bad) = (0, steps);
            while bad - good > 1 {
                let mid = (good + bad) / 2;
                if attempt(mid).is_ok() {
                    good = mid;
                } else {
                    bad = mid;
                }
            }
            panic!(
                "seed {seed} fails, shrunk to {bad} steps: ROADBOOK_SIM_SEED={seed} ROADBOOK_SIM_STEPS={bad} replays it (the failure is printed above)"
            );
        }
    }
}

#[test]
fn replicas_converge_through_faults_crashes_and_restores_and_keep_every_persons_intent() {
    let mut total = Exercised::default();
    for seed in seeds() {
        let e = check(seed);
        eprintln!(
            "simulation seed {seed}: {} changes, {} failed syncs, {} crashes, {} restores, {} conflicts open, {} fields checked against the model (ROADBOOK_SIM_SEED={seed} replays it)",
            e.changes, e.failed_syncs, e.crashes, e.restores, e.conflicts, e.checked
        );
        total.failed_syncs += e.failed_syncs;
        total.crashes += e.crashes;
        total.conflicts += e.conflicts;
        total.restores += e.restores;
        total.checked += e.checked;
    }
    if seeds().len() > 1 {
        assert!(
            total.failed_syncs > 0
                && total.crashes > 0
                && total.conflicts > 0
                && total.restores > 0
                && total.checked > 0,
            "the runs met no faults, crashes, conflicts or restores: {total:?}"
        );
    }
}
