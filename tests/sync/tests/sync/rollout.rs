//! Releasing the server the way the Kubernetes manifests do: two `roadbook-server` processes on
//! one database behind a balancer that follows `/readyz`, replaced one at a time with SIGTERM
//! while people keep syncing. Nothing acknowledged is lost, no sync fails, and a request in
//! flight when SIGTERM comes is answered, not cut.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use roadbook_harness::{Balancer, ServerProcess, free_port, ready, server_env};
use roadbook_protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};
use roadbook_sync_tests::{database, roadbook};

/// A server's settings on its own port, draining for a second on SIGTERM.
fn settings(database_url: &str, issuer: &roadbook_harness::Issuer) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = server_env(database_url, issuer)
        .into_iter()
        .filter(|(k, _)| k != "ROADBOOK_LISTEN")
        .collect();
    env.push((
        "ROADBOOK_LISTEN".into(),
        format!("127.0.0.1:{}", free_port()),
    ));
    env.push(("ROADBOOK_DRAIN_SECONDS".into(), "1".into()));
    env
}

/// Replaces one server as a rolling update does: SIGTERM (it says "not ready", the balancer
/// stops sending it connections, it finishes what is in flight and exits), then the new
/// release on the same address, ready before the next one goes.
fn replace(server: &mut ServerProcess, env: &[(String, String)]) {
    let url = server.url.clone();
    let stopping = std::thread::scope(|s| {
        let exit = s.spawn(|| server.terminate());
        // While it drains it still answers, and says it is not ready.
        let deadline = Instant::now() + Duration::from_secs(5);
        while ready(&url) {
            assert!(
                Instant::now() < deadline,
                "{url} never said it was stopping"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        exit.join().unwrap()
    });
    assert!(
        stopping.success(),
        "a graceful stop exits cleanly: {stopping}"
    );
    *server = ServerProcess::start(env.to_vec());
}

/// A long poll sent straight to `url`; its HTTP status when it is answered.
fn long_poll(url: &str, token: &str, program: &str, after: u64) -> std::thread::JoinHandle<u16> {
    let (url, token, program) = (url.to_owned(), token.to_owned(), program.to_owned());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            reqwest::Client::new()
                .get(format!("{url}/v1/programs/{program}/events?after={after}"))
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .bearer_auth(token)
                .send()
                .await
                .map_or(0, |r| r.status().as_u16())
        })
    })
}

#[test]
fn a_rolling_restart_of_two_servers_loses_no_acknowledged_push_fails_no_sync_and_drains_what_is_in_flight()
 {
    let database_url = database();
    let issuer = roadbook_harness::Issuer::start();
    let (env_a, env_b) = (
        settings(&database_url, &issuer),
        settings(&database_url, &issuer),
    );
    let mut a = ServerProcess::start(env_a.clone());
    let mut b = ServerProcess::start(env_b.clone());
    let balancer = Balancer::start(&[&a.url, &b.url]);

    let dir = tempfile::tempdir().unwrap();
    let lead_token = issuer.token("lee", "Lee", &["rb-leads"]);
    let lead_db = dir.path().join("lead.db");
    let program = roadbook(&lead_db, &lead_token, &["init", "--sample"])
        .unwrap()
        .trim()
        .to_owned();
    roadbook(
        &lead_db,
        &lead_token,
        &["publish", "--server", &balancer.url],
    )
    .unwrap();
    let people: Vec<(PathBuf, String)> = (0..3)
        .map(|n| {
            let db = dir.path().join(format!("person{n}.db"));
            let token = issuer.token(&format!("p{n}"), &format!("Person {n}"), &["rb-editors"]);
            roadbook(&db, &token, &["join", "--server", &balancer.url, &program]).unwrap();
            (db, token)
        })
        .collect();

    // Everyone adds and syncs, over and over, until the release is out.
    let releasing = Arc::new(AtomicBool::new(true));
    let workers: Vec<_> = people
        .iter()
        .enumerate()
        .map(|(n, (db, token))| {
            let (db, token, releasing) = (db.clone(), token.clone(), releasing.clone());
            std::thread::spawn(move || {
                let (mut acknowledged, mut failures) = (Vec::new(), Vec::new());
                let mut round = 0;
                while releasing.load(Ordering::SeqCst) || round < 3 {
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
                    match roadbook(&db, &token, &["sync"]) {
                        Ok(said) if said.contains("0 changes waiting to be pushed") => {
                            acknowledged.push(id);
                        }
                        Ok(said) => failures.push(said),
                        Err(err) => failures.push(err),
                    }
                    round += 1;
                }
                (acknowledged, failures)
            })
        })
        .collect();

    // A long poll in flight on A when A is told to stop, on a program nobody changes: A
    // answers it when the drain ends (its listeners go to the other process), not cut, and
    // well before the poll's own 25 s.
    let quiet_db = dir.path().join("quiet.db");
    let quiet = roadbook(
        &quiet_db,
        &lead_token,
        &["init", "--name", "A quiet program"],
    )
    .unwrap()
    .trim()
    .to_owned();
    roadbook(
        &quiet_db,
        &lead_token,
        &["publish", "--server", &balancer.url],
    )
    .unwrap();
    let quiet_head = {
        let said = roadbook(&quiet_db, &lead_token, &["sync", "status", "--json"]).unwrap();
        let status: serde_json::Value = serde_json::from_str(&said).unwrap();
        status["cursor"].as_u64().unwrap()
    };
    let in_flight = long_poll(&a.url, &lead_token, &quiet, quiet_head);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!in_flight.is_finished(), "the poll waits");
    let stopped = Instant::now();
    replace(&mut a, &env_a);
    assert_eq!(
        in_flight.join().unwrap(),
        200,
        "the request in flight was answered"
    );
    assert!(
        stopped.elapsed() < Duration::from_secs(15),
        "A stopped in {:?}, not after the poll's full wait",
        stopped.elapsed()
    );
    std::thread::sleep(Duration::from_millis(500));
    replace(&mut b, &env_b);
    std::thread::sleep(Duration::from_millis(500));
    releasing.store(false, Ordering::SeqCst);

    let mut acknowledged = Vec::new();
    for worker in workers {
        let (mine, failures) = worker.join().unwrap();
        assert!(
            failures.is_empty(),
            "no sync fails during a rolling restart: {failures:?}"
        );
        assert!(mine.len() >= 3);
        acknowledged.extend(mine);
    }
    // Both new processes served: the balancer sent connections to each.
    let relayed: Vec<usize> = balancer
        .relayed
        .iter()
        .map(|c| c.load(Ordering::SeqCst))
        .collect();
    assert!(relayed.iter().all(|&n| n > 0), "{relayed:?}");

    // Every acknowledged change is on the server once, and everyone has all of them.
    roadbook(&lead_db, &lead_token, &["sync"]).unwrap();
    let lead = roadbook(&lead_db, &lead_token, &["export"]).unwrap();
    for id in &acknowledged {
        assert_eq!(lead.matches(id.as_str()).count(), 1, "{id} once");
    }
    for (db, token) in &people {
        roadbook(db, token, &["sync"]).unwrap();
        assert_eq!(roadbook(db, token, &["export"]).unwrap(), lead);
    }
}

/// Rollback posture: this release's migrations are additive, so the previous release (built
/// from `deploy/previous-release`) runs on a database this release migrated, beside this
/// release's processes, as it does during a rolling update and after a rollback.
#[test]
fn the_previous_release_serves_a_team_on_this_release_schema_beside_this_release() {
    let database_url = database();
    let issuer = roadbook_harness::Issuer::start();
    // This release first: it migrates the database to its schema.
    let current = ServerProcess::start(settings(&database_url, &issuer));
    let schema = roadbook_sync_tests::cluster().psql(
        database_url.rsplit('/').next().unwrap(),
        "SELECT max(version) FROM schema_migrations",
    );
    let previous_settings = settings(&database_url, &issuer);
    let mut previous = ServerProcess::start_program(
        &roadbook_harness::previous_release_server(),
        previous_settings.clone(),
        None,
    );

    let dir = tempfile::tempdir().unwrap();
    let lee = (
        dir.path().join("lee.db"),
        issuer.token("lee", "Lee", &["rb-leads"]),
    );
    let sam = (
        dir.path().join("sam.db"),
        issuer.token("sam", "Sam", &["rb-editors"]),
    );
    let run = |who: &(PathBuf, String), args: &[&str]| {
        roadbook(&who.0, &who.1, args).unwrap_or_else(|e| panic!("roadbook {args:?}: {e}"))
    };
    // The lead works through the previous release, Sam through this one.
    let program = run(&lee, &["init", "--sample"]).trim().to_owned();
    run(&lee, &["publish", "--server", &previous.url]);
    run(&sam, &["join", "--server", &current.url, &program]);
    let decision: serde_json::Value =
        serde_json::from_str(&run(&lee, &["decision", "list", "--json"])).unwrap();
    let decision = decision[0]["id"].as_str().unwrap().to_owned();
    run(&lee, &["decision", "set", &decision, "--status", "Blocked"]);
    run(&sam, &["decision", "set", &decision, "--status", "Drafted"]);
    run(&sam, &["action", "add", "--text", "Through this release"]);
    run(
        &lee,
        &["action", "add", "--text", "Through the previous release"],
    );
    run(&lee, &["sync"]);
    let synced = run(&sam, &["sync"]);
    assert!(synced.contains("1 new conflicts"), "{synced}");
    run(&lee, &["sync"]);
    let conflicts: serde_json::Value =
        serde_json::from_str(&run(&lee, &["conflicts", "--json"])).unwrap();
    let conflict = conflicts[0]["id"].as_str().unwrap().to_owned();
    // The conflict is over the whole decision (opened by this release): an answer to it waits
    // while the lead's server is the previous release, which would close it without writing
    // either side; the rest of the lead's work goes on.
    assert_eq!(conflicts[0]["field"], "decided");
    let waits = roadbook(&lee.0, &lee.1, &["resolve", &conflict, "--keep", "theirs"]).unwrap_err();
    assert!(
        waits.contains("your answer to a conflict over a decision waits")
            && waits.contains("after the server is upgraded"),
        "{waits}"
    );
    assert!(roadbook(&lee.0, &lee.1, &["sync"]).is_err(), "still waits");
    let waiting: serde_json::Value =
        serde_json::from_str(&run(&lee, &["sync", "status", "--json"])).unwrap();
    assert_eq!(waiting["pending"], 1, "the answer waits: {waiting}");
    assert_eq!(
        run(&sam, &["conflicts", "--json"])
            .matches("\"id\"")
            .count(),
        1
    );
    // The rolling update finishes: this release takes the previous one's place, and the
    // answer goes.
    previous.terminate();
    let _upgraded = ServerProcess::start(previous_settings);
    run(&lee, &["sync"]);
    let memo = dir.path().join("memo.pdf");
    run(&lee, &["report", "memo", "--out", memo.to_str().unwrap()]);
    run(&lee, &["sync"]);
    run(&sam, &["sync"]);
    let lee_export = run(&lee, &["export"]);
    assert_eq!(lee_export, run(&sam, &["export"]));
    assert!(
        lee_export.contains("Through this release")
            && lee_export.contains("Through the previous release")
    );
    assert_eq!(run(&sam, &["conflicts"]).trim(), "no conflicts");
    assert!(run(&sam, &["documents"]).contains("memo"));
    // Its audit lines went into this release's append-only trail.
    let database = database_url.rsplit('/').next().unwrap();
    let published = roadbook_sync_tests::cluster().psql(
        database,
        "SELECT count(*) FROM audit WHERE action = 'publish' AND subject = 'lee'",
    );
    assert_eq!(published.trim(), "1");
    // The schema stayed this release's: the previous release migrated nothing back.
    assert_eq!(
        roadbook_sync_tests::cluster().psql(database, "SELECT max(version) FROM schema_migrations"),
        schema
    );
    assert_eq!(
        schema.trim(),
        roadbook_sync_tests::newest_schema().to_string()
    );
}
