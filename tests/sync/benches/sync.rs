//! The sync's speed, end to end on loopback against a real PostgreSQL: joining a 10,000-item
//! program, pushing 1,000 changes, 50 clients syncing at once, and how soon a change shows on
//! a second online client. `make bench-sync` measures (release build, fsynced PostgreSQL) and
//! prints each figure beside its goal; `cargo test --bench sync` (in `make test`) runs the same
//! steps small and checks their results, not their times.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use roadbook_harness::{Issuer, Postgres, ServerProcess, server_env};
use roadbook_model::{Id, Kind, fixtures};
use roadbook_protocol::{FieldChange, Mutation, Operation, PushRequest};
use roadbook_store::{Edits, FieldEdit, Store};
use roadbook_sync::{Client, HttpTransport, Replica, Token, Transport};
use roadbook_sync_tests::config;
use serde_json::json;

struct Sizes {
    items: usize,
    mutations: usize,
    clients: usize,
    seconds: u64,
    changes: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The median of `runs` syncs with nothing to push or pull.
async fn empty_syncs(
    client: &Client<HttpTransport>,
    store: &Mutex<Store>,
    program: Id,
    runs: usize,
) -> Duration {
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let report = client.sync(store, program).await.unwrap();
        times.push(started.elapsed());
        assert_eq!((report.pushed, report.pulled), (0, 0), "nothing to do");
    }
    times.sort();
    percentile(&times, 0.5)
}

/// A figure against the limit it is measured with in the same run: `value ÷ limit`, and the
/// goal for that ratio.
fn ratio(name: &str, value: Duration, limit: Duration, goal: f64) {
    let times = value.as_secs_f64() / limit.as_secs_f64().max(1e-9);
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "{name}: checked ({} ÷ {} = {times:.2}x in a debug build; make bench-sync measures)",
            ms(value),
            ms(limit)
        );
        return;
    }
    let verdict = if times <= goal { "meets" } else { "MISSES" };
    println!(
        "{name}: {} ÷ {} = {times:.2}x, goal ≤ {goal}x ({verdict})",
        ms(value),
        ms(limit)
    );
}

fn report(name: &str, value: Duration, goal: Duration) {
    if !std::env::args().any(|a| a == "--bench") {
        // A debug build with small sizes: the steps are checked, not timed.
        println!(
            "{name}: checked ({} in a debug build; make bench-sync measures)",
            ms(value)
        );
        return;
    }
    let verdict = if value <= goal { "meets" } else { "MISSES" };
    println!(
        "{name}: {}, goal {}, {:.1}x under goal ({verdict})",
        ms(value),
        ms(goal),
        goal.as_secs_f64() / value.as_secs_f64().max(1e-9)
    );
}

fn person(server: &str, token: String) -> (tempfile::TempDir, Mutex<Store>, Client<HttpTransport>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("roadbook.db")).unwrap();
    let client = Client::new(HttpTransport::new(server, Token::new(token)).unwrap());
    (dir, Mutex::new(store), client)
}

/// Clients pushing one change and pulling, in a loop, all at once, for the sizes' seconds:
/// each push's and each pull's latency.
async fn load(
    url: &str,
    issuer: &Issuer,
    program: Id,
    decisions: &[Id],
    sizes: &Sizes,
) -> (Vec<Duration>, Vec<Duration>) {
    let stop = Instant::now() + Duration::from_secs(sizes.seconds);
    let latencies = Arc::new(Mutex::new((Vec::new(), Vec::new())));
    let mut tasks = Vec::new();
    for n in 0..sizes.clients {
        let transport = HttpTransport::new(
            url,
            Token::new(issuer.token(&format!("load{n}"), "Load", &["rb-editors"])),
        )
        .unwrap();
        let (latencies, decisions) = (latencies.clone(), decisions.to_vec());
        tasks.push(tokio::spawn(async move {
            let client = Id::new();
            let mut cursor = transport.pull(program, 0, 1, None).await.unwrap().cursor;
            let mut seq = 0;
            while Instant::now() < stop {
                seq += 1;
                let mutation = Mutation {
                    seq,
                    mutation_id: Id::new(),
                    kind: Kind::Decision,
                    item_id: decisions[(n + seq as usize) % decisions.len()],
                    operation: Operation::Update {
                        fields: [(
                            "title".to_owned(),
                            FieldChange {
                                value: json!(format!("load {n}/{seq}")),
                                base_version: cursor,
                                set: None,
                                kept: false,
                            },
                        )]
                        .into(),
                    },
                    made_at: None,
                };
                let started = Instant::now();
                let answer = transport
                    .push(
                        program,
                        &PushRequest {
                            client_id: client,
                            mutations: vec![mutation],
                            history: None,
                        },
                    )
                    .await
                    .unwrap();
                let push = started.elapsed();
                assert_eq!(answer.results.len(), 1);
                let started = Instant::now();
                let pull = transport.pull(program, cursor, 5000, None).await.unwrap();
                let pulled = started.elapsed();
                cursor = pull.cursor;
                let mut l = latencies.lock().unwrap();
                l.0.push(push);
                l.1.push(pulled);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    Arc::try_unwrap(latencies).unwrap().into_inner().unwrap()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes --bench; `cargo test --bench` does not: then check, do not measure.
    let measuring = std::env::args().any(|a| a == "--bench");
    let sizes = if measuring {
        Sizes {
            items: 10_000,
            mutations: 1_000,
            clients: 50,
            seconds: 60,
            changes: 50,
        }
    } else {
        Sizes {
            items: 1_000,
            mutations: 100,
            clients: 8,
            seconds: 3,
            changes: 5,
        }
    };
    let pg = if measuring {
        Postgres::start_durable()
    } else {
        Postgres::start()
    };
    let issuer = Issuer::start();
    // The default body limit (the tests' servers take a small one).
    let mut settings = config(&pg.url(), &issuer);
    settings.body_limit = 32 << 20;
    let server = roadbook_server::start(&settings).await.unwrap();
    let url = format!("http://{}", server.addr);
    let lead_token = issuer.token("lee", "Lee", &["rb-leads"]);

    // A large program, published once.
    let handbook = fixtures::generated(sizes.items, 2026);
    let program = handbook.program.id;
    let (_d, lead_store, lead) = person(&url, lead_token.clone());
    lead_store.with(|s| s.import(&handbook, "Lee")).unwrap();
    let published = Instant::now();
    lead.publish(&lead_store, program).await.unwrap();
    println!(
        "publish {} items: {} (reported)",
        handbook.item_count(),
        ms(published.elapsed())
    );

    // 1. Join: the whole program into a fresh database, end to end.
    let mut joins = Vec::new();
    for n in 0..if measuring { 5 } else { 1 } {
        let (_dir, store, client) = person(
            &url,
            issuer.token(&format!("j{n}"), "Joiner", &["rb-editors"]),
        );
        let started = Instant::now();
        client.join(&store, program).await.unwrap();
        joins.push(started.elapsed());
        let joined = store.with(|s| s.load(program)).unwrap();
        assert_eq!(
            joined.to_json().unwrap(),
            handbook.to_json().unwrap(),
            "the join brought the whole program"
        );
    }
    {
        // Where the time goes: the server's answer (with HTTP and JSON), then this side.
        let transport = HttpTransport::new(
            &url,
            Token::new(issuer.token("split", "Split", &["rb-editors"])),
        )
        .unwrap();
        let started = Instant::now();
        let snapshot = transport
            .join(
                program,
                &roadbook_protocol::JoinRequest {
                    client_id: Id::new(),
                    next_seq: 1,
                },
            )
            .await
            .unwrap();
        let answered = started.elapsed();
        let (_dir, store, _) = person(&url, String::new());
        let items: Vec<roadbook_store::ServerItem> = snapshot
            .items
            .into_iter()
            .map(|i| roadbook_store::ServerItem {
                kind: i.kind,
                id: i.id,
                fields: i.fields,
                versions: i.versions,
            })
            .collect();
        let started = Instant::now();
        store
            .with(|s| s.apply_snapshot(program, &url, &items, snapshot.cursor, &[], "bench"))
            .unwrap();
        println!(
            "  of a join: the server's answer {}, writing it here {} (reported)",
            ms(answered),
            ms(started.elapsed())
        );
    }
    joins.sort();
    report(
        &format!(
            "join a {}-item program (median of {})",
            handbook.item_count(),
            joins.len()
        ),
        percentile(&joins, 0.5),
        Duration::from_millis(500),
    );

    // 2. Push 1,000 changes (and settle their answers).
    let actions: Vec<Id> = handbook.actions.iter().map(|a| a.id).collect();
    lead_store.with(|s| {
        for n in 0..sizes.mutations {
            let id = actions[n % actions.len()];
            let seen = s.field_revisions(id).unwrap()["text"];
            let edits = Edits::from([(
                "text".to_owned(),
                FieldEdit {
                    value: json!(format!("edit {n}")),
                    seen,
                },
            )]);
            s.edit(program, Kind::Action, id, &edits, "Lee").unwrap();
        }
    });
    assert_eq!(
        lead_store.with(|s| s.outbox(Some(program))).unwrap().len(),
        sizes.mutations
    );
    {
        // Where the time goes: the server applying the mutations, then this side settling.
        let entries = lead_store.with(|s| s.outbox(Some(program))).unwrap();
        let transport = HttpTransport::new(
            &url,
            Token::new(issuer.token("split", "Split", &["rb-editors"])),
        )
        .unwrap();
        let client = Id::new();
        let mutations: Vec<Mutation> = entries
            .iter()
            .enumerate()
            .map(|(n, e)| Mutation {
                // Pushed as a client of its own, numbered from 1.
                seq: n as u64 + 1,
                mutation_id: Id::new(),
                ..roadbook_sync::mutation(e).unwrap()
            })
            .collect();
        let started = Instant::now();
        for chunk in mutations.chunks(roadbook_protocol::MAX_MUTATIONS_PER_PUSH) {
            transport
                .push(
                    program,
                    &PushRequest {
                        client_id: client,
                        mutations: chunk.to_vec(),
                        history: None,
                    },
                )
                .await
                .unwrap();
        }
        println!(
            "  of a push of {}: the server applying them {} (reported)",
            mutations.len(),
            ms(started.elapsed())
        );
    }
    let started = Instant::now();
    let pushed = lead.sync(&lead_store, program).await.unwrap();
    let push_time = started.elapsed();
    assert_eq!((pushed.pushed, pushed.pending), (sizes.mutations, 0));
    report(
        &format!("push {} changes and settle them", sizes.mutations),
        push_time,
        Duration::from_secs(1),
    );

    // 2b. An empty sync (nothing to push or pull) costs what it costs for the sample: the
    // ratio of the large program's to the sample's, each the median of many, in one run.
    let small_program = {
        let small = roadbook_model::sample::builder_insights().unwrap();
        let (_s, small_store, small_client) = person(&url, lead_token.clone());
        small_store.with(|s| s.import(&small, "Lee")).unwrap();
        small_client
            .publish(&small_store, small.program.id)
            .await
            .unwrap();
        let runs = if measuring { 50 } else { 5 };
        let large_time = empty_syncs(&lead, &lead_store, program, runs).await;
        let small_time = empty_syncs(&small_client, &small_store, small.program.id, runs).await;
        ratio(
            &format!(
                "empty sync of the {}-item program ÷ of the sample ({} items)",
                handbook.item_count(),
                small.item_count()
            ),
            large_time,
            small_time,
            1.5,
        );
        small.program.id
    };

    // 2c. The join against its limit: the same rows read from PostgreSQL in one query and
    // written into a fresh SQLite file in one transaction, nothing else.
    {
        let (client, connection) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        let runs = if measuring { 5 } else { 1 };
        let mut limits = Vec::new();
        for _ in 0..runs {
            let dir = tempfile::tempdir().unwrap();
            let started = Instant::now();
            let rows = client
                .query(
                    "SELECT id::text, kind, fields::text, versions::text FROM items WHERE program_id = $1",
                    &[&program.as_uuid()],
                )
                .await
                .unwrap();
            let mut conn = rusqlite::Connection::open(dir.path().join("limit.db")).unwrap();
            conn.pragma_update(None, "journal_mode", "wal").unwrap();
            conn.pragma_update(None, "synchronous", "full").unwrap();
            conn.execute_batch(
                "CREATE TABLE items (id TEXT PRIMARY KEY, kind TEXT NOT NULL, body TEXT NOT NULL, versions TEXT NOT NULL)",
            )
            .unwrap();
            let tx = conn.transaction().unwrap();
            {
                let mut insert = tx
                    .prepare("INSERT INTO items (id, kind, body, versions) VALUES (?1, ?2, ?3, ?4)")
                    .unwrap();
                for row in &rows {
                    let (id, kind, body, versions): (&str, &str, &str, &str) =
                        (row.get(0), row.get(1), row.get(2), row.get(3));
                    insert.execute([id, kind, body, versions]).unwrap();
                }
            }
            tx.commit().unwrap();
            limits.push(started.elapsed());
            assert_eq!(rows.len(), handbook.item_count());
        }
        limits.sort();
        ratio(
            &format!(
                "join a {}-item program ÷ reading its rows in one query and writing them in one SQLite transaction",
                handbook.item_count()
            ),
            percentile(&joins, 0.5),
            percentile(&limits, 0.5),
            2.0,
        );
    }

    // 2d. As a person meets them: `roadbook` processes, a join of the large program and empty
    // syncs of it and of the sample (the release binaries under `make bench-sync`).
    {
        let dir = tempfile::tempdir().unwrap();
        let token = issuer.token("cli", "Cli", &["rb-editors"]);
        let cli = |db: &std::path::Path, args: &[&str]| -> Duration {
            let started = Instant::now();
            let out = std::process::Command::new(roadbook_harness::binary("roadbook"))
                .arg("--db")
                .arg(db)
                .args(args)
                .env("ROADBOOK_TOKEN", &token)
                .env_remove("ROADBOOK_DB")
                .output()
                .unwrap();
            let took = started.elapsed();
            assert!(
                out.status.success(),
                "roadbook {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            took
        };
        let runs = if measuring { 5 } else { 1 };
        let mut joined = Vec::new();
        for n in 0..runs {
            let db = dir.path().join(format!("join{n}.db"));
            joined.push(cli(&db, &["join", "--server", &url, &program.to_string()]));
        }
        joined.sort();
        report(
            &format!(
                "join a {}-item program as a `roadbook` process (median of {runs})",
                handbook.item_count()
            ),
            percentile(&joined, 0.5),
            Duration::from_millis(500),
        );
        let small = dir.path().join("small.db");
        cli(
            &small,
            &["join", "--server", &url, &small_program.to_string()],
        );
        let large = dir.path().join("join0.db");
        let syncs = if measuring { 20 } else { 2 };
        let median = |db: &std::path::Path| {
            let mut times: Vec<Duration> = (0..syncs).map(|_| cli(db, &["sync"])).collect();
            times.sort();
            percentile(&times, 0.5)
        };
        ratio(
            &format!(
                "an empty `roadbook sync` process of the {}-item program ÷ of the sample",
                handbook.item_count()
            ),
            median(&large),
            median(&small),
            1.5,
        );
    }

    // 3. Load: clients pushing one change and pulling, in a loop, all at once.
    let decisions: Vec<Id> = handbook.decisions.iter().map(|d| d.id).collect();
    let (mut pushes, mut pulls) = load(&url, &issuer, program, &decisions, &sizes).await;
    pushes.sort();
    pulls.sort();
    let requests = pushes.len() + pulls.len();
    println!(
        "load: {} clients for {} s: {} requests, {:.0} requests/s; push p50 {}, p99 {}; pull p50 {}, p99 {}",
        sizes.clients,
        sizes.seconds,
        requests,
        requests as f64 / sizes.seconds as f64,
        ms(percentile(&pushes, 0.5)),
        ms(percentile(&pushes, 0.99)),
        ms(percentile(&pulls, 0.5)),
        ms(percentile(&pulls, 0.99)),
    );
    let mut all: Vec<Duration> = pushes.iter().chain(pulls.iter()).copied().collect();
    all.sort();
    report(
        "load: request p99",
        percentile(&all, 0.99),
        Duration::from_millis(100),
    );
    assert!(pushes.len() >= sizes.clients, "every client pushed");

    // 4. A change pushed by one client, visible on a second online client.
    let (_w, watcher_store, watcher) =
        person(&url, issuer.token("wat", "Watcher", &["rb-editors"]));
    watcher.join(&watcher_store, program).await.unwrap();
    let watcher_store = Arc::new(watcher_store);
    let watcher = Arc::new(watcher);
    let mut visible = Vec::new();
    for n in 0..sizes.changes {
        let (store, client) = (watcher_store.clone(), watcher.clone());
        let listening = tokio::spawn(async move {
            client.wait_for_changes(&*store, program).await.unwrap();
            client.sync(&*store, program).await.unwrap();
            Instant::now()
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let id = decisions[n % decisions.len()];
        let title = format!("visible {n}");
        lead_store.with(|s| {
            let seen = s.field_revisions(id).unwrap()["title"];
            let edits = Edits::from([(
                "title".to_owned(),
                FieldEdit {
                    value: json!(title.clone()),
                    seen,
                },
            )]);
            s.edit(program, Kind::Decision, id, &edits, "Lee").unwrap();
        });
        let pushed = Instant::now();
        lead.sync(&lead_store, program).await.unwrap();
        let seen = listening.await.unwrap();
        visible.push(seen.duration_since(pushed));
        let shown = watcher_store.with(|s| s.load(program)).unwrap();
        assert!(
            shown.decisions.iter().any(|d| d.title == title),
            "the change showed on the second client"
        );
    }
    visible.sort();
    println!(
        "change visible on a second client: p50 {}, p95 {} over {}",
        ms(percentile(&visible, 0.5)),
        ms(percentile(&visible, 0.95)),
        visible.len()
    );
    report(
        "change visible on a second client, p95",
        percentile(&visible, 0.95),
        Duration::from_secs(1),
    );
    server.stop().await;

    // 5. The server's memory, as a process of its own (the figure the manifests' requests
    // and limits come from): a join of the large program, then the load again.
    let process = ServerProcess::start({
        let mut env = server_env(&pg.url(), &issuer);
        env.push(("ROADBOOK_BODY_LIMIT".into(), (32u32 << 20).to_string()));
        env
    });
    let at_start = process.resident_kib();
    for n in 0..3 {
        let (_dir, store, client) = person(
            &process.url,
            issuer.token(&format!("m{n}"), "Joiner", &["rb-editors"]),
        );
        client.join(&store, program).await.unwrap();
    }
    let (pushes, pulls) = load(&process.url, &issuer, program, &decisions, &sizes).await;
    assert!(pushes.len() >= sizes.clients && pulls.len() >= sizes.clients);
    let peak = process.peak_resident_kib();
    println!(
        "server process memory: {:.0} MiB at start, peak {:.0} MiB after 3 joins of {} items and {} clients for {} s ({} requests)",
        at_start as f64 / 1024.0,
        peak as f64 / 1024.0,
        handbook.item_count(),
        sizes.clients,
        sizes.seconds,
        pushes.len() + pulls.len(),
    );
    assert!(peak >= at_start, "the peak is at least the start");
}
