//! Real processes: `roadbook-server` killed with SIGKILL again and again while `roadbook` CLI
//! clients sync; two server processes on one database.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use roadbook_harness::{ServerProcess, server_env};
use roadbook_model::{Handbook, Id};
use roadbook_sync::{HttpTransport, Replica, Token, Transport};
use roadbook_sync_tests::{Person, cluster, database, roadbook};

#[test]
fn killing_the_server_again_and_again_loses_no_acknowledged_change_and_applies_none_twice() {
    let database_url = database();
    let issuer = roadbook_harness::Issuer::start();
    let server = Arc::new(Mutex::new(ServerProcess::start(server_env(
        &database_url,
        &issuer,
    ))));
    let url = server.lock().unwrap().url.clone();

    // The lead publishes the sample with the CLI; three people join it with the CLI.
    let lead_token = issuer.token("lee", "Lee", &["rb-leads"]);
    let dir = tempfile::tempdir().unwrap();
    let lead_db = dir.path().join("lead.db");
    let program = roadbook(&lead_db, &lead_token, &["init", "--sample"])
        .unwrap()
        .trim()
        .to_owned();
    roadbook(&lead_db, &lead_token, &["publish", "--server", &url]).unwrap();
    let people: Vec<(std::path::PathBuf, String)> = (0..3)
        .map(|n| {
            let db = dir.path().join(format!("person{n}.db"));
            let token = issuer.token(&format!("p{n}"), &format!("Person {n}"), &["rb-editors"]);
            roadbook(&db, &token, &["join", "--server", &url, &program]).unwrap();
            (db, token)
        })
        .collect();

    let running = Arc::new(AtomicBool::new(true));
    // The workers go on until the server has died under them often enough to show something:
    // how many rounds fit between two kills depends on the machine (a sync against a dead
    // server now fails in milliseconds), so a fixed number of rounds proved nothing on a fast one.
    const KILLS: usize = 4;
    let kills = Arc::new(AtomicUsize::new(0));
    let killer = {
        let (server, running, kills) = (server.clone(), running.clone(), kills.clone());
        std::thread::spawn(move || {
            while running.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(150));
                server.lock().unwrap().kill();
                std::thread::sleep(Duration::from_millis(100));
                server.lock().unwrap().restart();
                kills.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    // Each person adds actions and syncs, over and over, while the server dies under them.
    let workers: Vec<_> = people
        .iter()
        .enumerate()
        .map(|(n, (db, token))| {
            let (db, token, kills) = (db.clone(), token.clone(), kills.clone());
            std::thread::spawn(move || {
                let mut created = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(120);
                let mut round = 0;
                while round < 8
                    || (kills.load(Ordering::SeqCst) < KILLS && Instant::now() < deadline)
                {
                    round += 1;
                    let id = roadbook(
                        &db,
                        &token,
                        &[
                            "action",
                            "add",
                            "--text",
                            &format!("person {n}, round {round}"),
                        ],
                    )
                    .unwrap()
                    .trim()
                    .to_owned();
                    created.push(id);
                    // A sync may fail while the server is down: the change waits and goes later.
                    let _ = roadbook(&db, &token, &["sync"]);
                }
                created
            })
        })
        .collect();
    let created: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    running.store(false, Ordering::SeqCst);
    killer.join().unwrap();
    let kills = kills.load(Ordering::SeqCst);
    eprintln!("the server was killed {kills} times during the syncs");
    assert!(
        kills >= KILLS,
        "the test killed the server too rarely to show anything: {kills}"
    );

    // After the kills: everyone syncs until everything is pushed.
    for (db, token) in people
        .iter()
        .chain([(lead_db.clone(), lead_token.clone())].iter())
    {
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Err(err) = roadbook(db, token, &["sync"]) {
            assert!(Instant::now() < deadline, "{err}");
        }
    }
    for (db, token) in people.iter() {
        roadbook(db, token, &["sync"]).unwrap();
    }
    let exports: Vec<Handbook> = people
        .iter()
        .chain([(lead_db.clone(), lead_token.clone())].iter())
        .map(|(db, token)| Handbook::from_json(&roadbook(db, token, &["export"]).unwrap()).unwrap())
        .collect();
    for export in &exports[1..] {
        assert_eq!(
            export.to_json().unwrap(),
            exports[0].to_json().unwrap(),
            "every replica converged"
        );
    }
    // 0 lost: every action created is on every replica (so on the server), once.
    for id in &created {
        let id: Id = id.parse().unwrap();
        let n = exports[0].actions.iter().filter(|a| a.id == id).count();
        assert_eq!(n, 1, "action {id} is there {n} times");
    }
    // 0 applied twice: no (client, sequence number) has two entries in the log.
    let db_name = database_url.rsplit('/').next().unwrap();
    let twice = cluster().psql(
        db_name,
        "SELECT count(*) FROM (SELECT client_id, client_seq FROM changes WHERE client_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) t",
    );
    assert_eq!(twice.trim(), "0");
    let mutations = cluster().psql(db_name, "SELECT count(*) FROM mutations");
    assert!(mutations.trim().parse::<u64>().unwrap() >= created.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_on_one_database_serve_one_program_and_wake_each_others_listeners() {
    let database_url = database();
    let issuer = roadbook_harness::Issuer::start();
    let a = ServerProcess::start(server_env(&database_url, &issuer));
    let b = ServerProcess::start(server_env(&database_url, &issuer));
    let lead = Person::new("lee", &a.url, issuer.token("lee", "Lee", &["rb-leads"]));
    let handbook = lead.with_sample();
    let program = handbook.program.id;
    lead.client.publish(&lead.store, program).await.unwrap();
    let sam = Person::new("sam", &b.url, issuer.token("sam", "Sam", &["rb-editors"]));
    sam.client.join(&sam.store, program).await.unwrap();

    // Sam listens on B; the lead pushes through A.
    let cursor = sam.store.with(|s| s.sync_state(program)).unwrap().cursor;
    let listener = HttpTransport::new(&b.url, Token::new(sam.token.clone())).unwrap();
    let waiting = tokio::spawn(async move {
        let events = listener.events(program, cursor, 0, None).await.unwrap();
        (events.head, Instant::now())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    lead.store
        .with(|s| {
            let (_, mut d, seen) =
                s.get_revised::<roadbook_model::Decision>(handbook.decisions[0].id)?;
            let before = d.clone();
            d.title = "Through server A".into();
            let edits = roadbook_store::edits_between(&before, &d, &seen)?;
            s.edit(program, roadbook_model::Kind::Decision, d.id, &edits, "Lee")
        })
        .unwrap();
    let pushed = Instant::now();
    lead.client.sync(&lead.store, program).await.unwrap();
    let (head, woke) = waiting.await.unwrap();
    assert!(head > cursor);
    assert!(
        woke.duration_since(pushed) < Duration::from_secs(1),
        "a listener on the other process woke after {:?}",
        woke.duration_since(pushed)
    );
    sam.client.sync(&sam.store, program).await.unwrap();
    // Sam's change through B reaches the lead through A.
    sam.store
        .with(|s| {
            let (_, mut d, seen) =
                s.get_revised::<roadbook_model::Decision>(handbook.decisions[1].id)?;
            let before = d.clone();
            d.question = "Through server B".into();
            let edits = roadbook_store::edits_between(&before, &d, &seen)?;
            s.edit(program, roadbook_model::Kind::Decision, d.id, &edits, "Sam")
        })
        .unwrap();
    sam.client.sync(&sam.store, program).await.unwrap();
    lead.client.sync(&lead.store, program).await.unwrap();
    assert_eq!(lead.export(program), sam.export(program));
    assert_eq!(lead.load(program).decisions[1].question, "Through server B");
}
