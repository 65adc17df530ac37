//! What one editor (or one bad request) does stays contained: an id taken from another
//! program plants nothing and stops nobody's sync; a push the database cannot store fails
//! alone, with no database text; requests for programs that do not exist leave nothing behind;
//! a publish whose answer was lost completes instead of stranding the program.

use std::time::Duration;

use roadbook_harness::{Issuer, Proxy, ServerProcess, server_env};
use roadbook_model::{Decision, Id};
use roadbook_protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};
use roadbook_sync::{Client, HttpTransport, Replica, Retry, SyncError, Token};
use roadbook_sync_tests::{Person, World, cluster, database};
use serde_json::{Value, json};

use super::edit;

/// A second program in the lead's database, published beside the sample.
async fn two_programs(world: &World) -> (Person, Id, Id) {
    let lead = world.person("lee", &["rb-leads"]);
    let a = lead.with_sample().program.id;
    let b = lead.with_sample().program.id;
    assert_ne!(a, b);
    for program in [a, b] {
        lead.client.publish(&lead.store, program).await.unwrap();
    }
    (lead, a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_taken_from_another_program_plants_nothing_and_stops_no_replica() {
    let world = World::start().await;
    let (lead, a, b) = two_programs(&world).await;
    let victim = world.person("sam", &["rb-editors"]);
    for program in [a, b] {
        victim.client.join(&victim.store, program).await.unwrap();
    }
    let b_decision = lead.load(b).decisions[0].clone();

    // Eve edits A and learned an id of B: an item of A under that id is refused by the server
    // (it names one item of one program), and set aside on Eve's side with the reason.
    let eve = world.person("eve", &["rb-editors"]);
    eve.client.join(&eve.store, a).await.unwrap();
    let planted = Decision {
        id: b_decision.id,
        title: "Planted".into(),
        ..eve.load(a).decisions[0].clone()
    };
    eve.store.with(|s| s.create(a, &planted, "eve")).unwrap();
    let report = eve.client.sync(&eve.store, a).await.unwrap();
    assert_eq!(report.rejected, 1, "{report:?}");
    let refused = eve.store.with(|s| s.rejected(a)).unwrap();
    assert!(
        refused[0].reason.contains("another program"),
        "{}",
        refused[0].reason
    );
    for program in [a, b] {
        let report = victim.client.sync(&victim.store, program).await.unwrap();
        assert_eq!(report.set_aside, 0);
    }
    assert_eq!(victim.export(b), lead.export(b));

    // The same id reaching A by a server of before this rule (planted in its database): the
    // victim, who holds B, sets that one change aside with its reason and goes on syncing both.
    let db = world.database_url.rsplit('/').next().unwrap();
    let status = lead.load(a).statuses[0].id;
    let fields = json!({"title": "Planted before the rule", "status_id": status, "position": "a0", "deleted": false});
    cluster().psql(
        db,
        &format!(
            "BEGIN;
             UPDATE programs SET head = head + 1 WHERE id = '{a}';
             INSERT INTO items (program_id, id, kind, fields, versions, deleted)
               SELECT '{a}', '{id}', 'decision', '{fields}'::jsonb,
                      (SELECT jsonb_object_agg(k, p.head) FROM jsonb_object_keys('{fields}'::jsonb) k), false
               FROM programs p WHERE p.id = '{a}';
             INSERT INTO changes (program_id, version, kind, item_id, fields, author_subject, author_name, at)
               SELECT '{a}', head, 'decision', '{id}', '{fields}'::jsonb, 'eve', 'eve (name)', '2026-12-07T00:00:00.000Z'
               FROM programs WHERE id = '{a}';
             COMMIT;",
            id = b_decision.id
        ),
    );
    let report = victim.client.sync(&victim.store, a).await.unwrap();
    assert_eq!(report.set_aside, 1, "{report:?}");
    let aside = victim.store.with(|s| s.set_aside(a)).unwrap();
    assert!(
        aside[0].reason.contains("another program"),
        "{}",
        aside[0].reason
    );
    assert_eq!(
        victim.store.with(|s| s.sync_state(a)).unwrap().cursor,
        world.head(a),
        "the cursor moved on"
    );
    // Both programs go on syncing; B's decision is B's.
    edit::<Decision>(
        &lead,
        a,
        |d| d.title = "After the plant".into(),
        lead.load(a).decisions[1].id,
    );
    lead.client.sync(&lead.store, a).await.unwrap();
    victim.client.sync(&victim.store, a).await.unwrap();
    victim.client.sync(&victim.store, b).await.unwrap();
    assert!(victim.export(a).contains("After the plant"));
    assert_eq!(victim.load(b).decisions[0], b_decision);
    // A fresh database holding B can still join A.
    let ray = world.person("ray", &["rb-editors"]);
    ray.client.join(&ray.store, b).await.unwrap();
    ray.client.join(&ray.store, a).await.unwrap();
    assert_eq!(ray.store.with(|s| s.set_aside(a)).unwrap().len(), 1);
    assert!(ray.export(a).contains("After the plant"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_holding_a_nul_character_fails_alone_with_no_database_text() {
    let world = World::start().await;
    let (_lead, sam, handbook) = super::lead_and_sam(&world).await;
    let program = handbook.program.id;
    let decision = handbook.decisions[0].id;
    let eve = world.issuer.token("eve", "eve (name)", &["rb-editors"]);
    let bad = {
        let url = format!("{}/v1/programs/{program}/push", world.url);
        let body = json!({
            "client_id": Id::new(),
            "mutations": [{
                "seq": 1, "mutation_id": Id::new(), "kind": "decision", "item_id": decision,
                "operation": {"op": "update", "fields": {"title": {"value": "bad\u{0}title", "base_version": 1}}}
            }]
        });
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut answers = Vec::new();
            for _ in 0..40 {
                let answer = http
                    .post(&url)
                    .bearer_auth(&eve)
                    .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                answers.push((answer.status().as_u16(), answer.text().await.unwrap()));
            }
            answers
        })
    };
    // Sam's ordinary pushes meanwhile: every one goes through.
    for n in 0..40 {
        edit::<Decision>(
            &sam,
            program,
            |d| d.question = format!("Asked {n} times"),
            decision,
        );
        let report = sam.client.sync(&sam.store, program).await.unwrap();
        assert_eq!((report.pending, report.rejected), (0, 0), "{report:?}");
    }
    for (status, body) in bad.await.unwrap() {
        assert_eq!(status, 422, "{body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["code"], "bad_request");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("NUL character"), "{message}");
        for database_words in [
            "22P05",
            "unsupported Unicode",
            "jsonb",
            "SQLSTATE",
            "violates",
        ] {
            assert!(!message.contains(database_words), "{message}");
        }
    }
    assert!(sam.export(program).contains("Asked 39 times"));
}

/// A gauge the server exports, read from `/metrics`.
fn gauge(runtime: &tokio::runtime::Runtime, url: &str, name: &str) -> f64 {
    runtime
        .block_on(roadbook_sync_tests::metrics_text(url))
        .lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} is not in /metrics"))
}

#[test]
fn requests_for_programs_that_do_not_exist_leave_nothing_behind_in_the_server() {
    let issuer = Issuer::start();
    let server = ServerProcess::start(server_env(&database(), &issuer));
    let token = issuer.token("sam", "sam (name)", &["rb-editors"]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let send = |n: usize| {
        let (url, token) = (server.url.clone(), token.clone());
        runtime.block_on(async move {
            let http = reqwest::Client::new();
            let mut tasks = Vec::new();
            for chunk in 0..8 {
                let (http, url, token) = (http.clone(), url.clone(), token.clone());
                tasks.push(tokio::spawn(async move {
                    for _ in 0..n / 8 {
                        let program = Id::new();
                        let push = http
                            .post(format!("{url}/v1/programs/{program}/push"))
                            .bearer_auth(&token)
                            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                            .json(&json!({"client_id": Id::new(), "mutations": []}))
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(push.status().as_u16(), 404, "chunk {chunk}");
                        let poll = http
                            .get(format!("{url}/v1/programs/{program}/events?after=0"))
                            .bearer_auth(&token)
                            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(poll.status().as_u16(), 404);
                    }
                }));
            }
            for task in tasks {
                task.await.unwrap();
            }
        });
    };
    // Warm: the allocator and the connection pool settle.
    send(2_000);
    let before = server.resident_kib();
    send(10_000);
    let after = server.resident_kib();
    assert_eq!(
        gauge(&runtime, &server.url, "roadbook_programs_tracked"),
        0.0
    );
    let grew = after.saturating_sub(before);
    eprintln!(
        "10,000 pushes and 10,000 long polls for unknown programs: resident {before} KiB -> {after} KiB (+{grew} KiB)"
    );
    // A few hundred bytes kept per request would be several MiB here.
    assert!(grew < 2048, "the server grew by {grew} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_whose_answer_is_lost_completes_at_the_next_publish_sync_or_join() {
    let world = World::start().await;
    let proxy = Proxy::start(&world.url);
    let lead = world.person("lee", &["rb-leads"]);
    let program = lead.with_sample().program.id;
    // The server commits the publish; its answer never comes back, and this client does not
    // try again by itself.
    let once = Client::new(HttpTransport::new(&proxy.url, Token::new(lead.token.clone())).unwrap())
        .with_retry(Retry {
            first: Duration::ZERO,
            most: Duration::ZERO,
            give_up_after: Some(Duration::ZERO),
        });
    proxy.lose_answer_to("POST /v1/programs HTTP");
    let err = once.publish(&lead.store, program).await.unwrap_err();
    assert!(err.retryable(), "{err}");
    assert!(proxy.answer_lost());
    assert_eq!(
        world.head(program),
        lead.load(program).item_count() as u64,
        "published"
    );
    // A change made meanwhile waits; the next sync finishes the publish and sends it.
    edit::<Decision>(
        &lead,
        program,
        |d| d.title = "Made while in doubt".into(),
        lead.load(program).decisions[0].id,
    );
    let status = lead.store.with(|s| s.sync_state(program)).unwrap();
    assert_eq!(
        (status.server, status.publishing.as_deref()),
        (None, Some(proxy.url.as_str()))
    );
    let report = once.sync(&lead.store, program).await.unwrap();
    assert_eq!((report.pending, report.pushed), (0, 1), "{report:?}");
    let sam = world.person("sam", &["rb-editors"]);
    sam.client.join(&sam.store, program).await.unwrap();
    assert!(sam.export(program).contains("Made while in doubt"));
    assert_eq!(sam.export(program), lead.export(program));

    // The same through `publish` and through `join` on another lead's program.
    let other = world.person("ada", &["rb-leads"]);
    let second = other.with_sample().program.id;
    let once =
        Client::new(HttpTransport::new(&proxy.url, Token::new(other.token.clone())).unwrap())
            .with_retry(Retry {
                first: Duration::ZERO,
                most: Duration::ZERO,
                give_up_after: Some(Duration::ZERO),
            });
    proxy.lose_answer_to("POST /v1/programs HTTP");
    assert!(once.publish(&other.store, second).await.is_err());
    let again = once.publish(&other.store, second).await.unwrap();
    assert_eq!(again.pending, 0);
    assert!(matches!(
        once.publish(&other.store, second).await.unwrap_err(),
        SyncError::AlreadyConnected(_)
    ));
    let third = other.with_sample().program.id;
    proxy.lose_answer_to("POST /v1/programs HTTP");
    assert!(once.publish(&other.store, third).await.is_err());
    once.join(&other.store, third).await.unwrap();
    assert!(
        other
            .store
            .with(|s| s.sync_state(third))
            .unwrap()
            .server
            .is_some()
    );
    assert_eq!(
        world.count("programs").to_string(),
        "3",
        "each published once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_whose_connections_are_all_busy_stays_ready_and_a_dead_database_does_not() {
    let database_url = database();
    let issuer = Issuer::start();
    let mut config = roadbook_sync_tests::config(&database_url, &issuer);
    config.db_connections = 2;
    let server = roadbook_server::start(&config).await.unwrap();
    let url = format!("http://{}", server.addr);
    let readyz = || {
        let url = url.clone();
        async move {
            let started = std::time::Instant::now();
            let response = reqwest::get(format!("{url}{}", roadbook_protocol::routes::READY))
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap(), started.elapsed())
        }
    };
    let (status, said, _) = readyz().await;
    assert_eq!(status, 200, "{said}");

    // Something holds the programs table for a few seconds (a long migration, a stuck
    // query): both of the process's connections wait on it with a request each.
    let mut holder = std::process::Command::new("psql")
        .args([
            database_url.as_str(),
            "-c",
            "BEGIN; LOCK TABLE programs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(6); COMMIT;",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let name = database_url.rsplit('/').next().unwrap();
    while cluster()
        .psql(
            name,
            "SELECT count(*) FROM pg_locks WHERE relation = 'programs'::regclass AND mode = 'AccessExclusiveLock' AND granted",
        )
        .trim()
        != "1"
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = issuer.token("lee", "Lee", &["rb-leads"]);
    let waiting: Vec<_> = (0..3)
        .map(|_| {
            let request = reqwest::Client::new()
                .get(format!("{url}{}", roadbook_protocol::routes::PROGRAMS))
                .bearer_auth(&token)
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .send();
            tokio::spawn(request)
        })
        .collect();
    // Wait until the pool is all in use (the metrics say so).
    loop {
        let metrics = roadbook_sync_tests::metrics_text(&url).await;
        if metrics.contains("roadbook_db_pool_connections{state=\"in_use\"} 2") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Busy is not down: the process stays in the load balancer, and says so at once.
    let (status, said, took) = readyz().await;
    assert_eq!(status, 200, "{said}");
    assert!(said.contains("all in use"), "{said}");
    assert!(
        took < Duration::from_millis(roadbook_server::http::READY_WAIT_MS),
        "{took:?}"
    );
    assert!(holder.wait().unwrap().success());
    for request in waiting {
        assert_eq!(
            request.await.unwrap().unwrap().status(),
            200,
            "served once the lock went"
        );
    }

    // A database that is gone: "not ready", within the probe's wait, saying why.
    let maintenance = database_url.replace(&format!("/{name}"), "/postgres");
    std::process::Command::new("psql")
        .args([
            maintenance.as_str(),
            "-c",
            &format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    let (status, said, took) = readyz().await;
    assert_eq!(status, 503, "{said}");
    assert!(said.contains("database"), "{said}");
    assert!(
        took < Duration::from_millis(roadbook_server::http::READY_WAIT_MS + 1000),
        "{took:?}"
    );
    server.stop().await;
}

#[test]
fn connections_that_send_nothing_are_closed_in_time_and_never_stop_the_server() {
    use std::io::{Read, Write};
    let issuer = Issuer::start();
    let mut env = server_env(&database(), &issuer);
    env.push(("ROADBOOK_IDLE_SECONDS".into(), "2".into()));
    env.push(("ROADBOOK_MOST_CONNECTIONS".into(), "20".into()));
    let server = ServerProcess::start(env);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let before = server.open_files();

    // Twice as many silent connections as the process holds at once.
    let mut silent: Vec<std::net::TcpStream> = (0..40)
        .map(|_| std::net::TcpStream::connect(&addr).unwrap())
        .collect();
    // A kept-alive connection that asked once and then sits idle.
    let mut kept = std::net::TcpStream::connect(&addr).unwrap();
    let ask = |stream: &mut std::net::TcpStream| -> String {
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        write!(
            stream,
            "GET /healthz HTTP/1.1\r\nhost: {addr}\r\nconnection: keep-alive\r\n\r\n"
        )
        .unwrap();
        let mut answer = [0u8; 512];
        let n = stream.read(&mut answer).unwrap_or(0);
        String::from_utf8_lossy(&answer[..n]).into_owned()
    };

    // A person's request is still answered, once the silent ones are turned away.
    let started = std::time::Instant::now();
    let mut person = std::net::TcpStream::connect(&addr).unwrap();
    let answer = ask(&mut person);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "answered after {:?}",
        started.elapsed()
    );
    let answer = ask(&mut kept);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");

    // Every silent connection, and the idle kept-alive one, was closed by the server.
    for stream in silent.iter_mut().chain(std::iter::once(&mut kept)) {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut byte = [0u8; 1];
        match stream.read(&mut byte) {
            Ok(0) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            other => panic!("a connection was left open: {other:?}"),
        }
    }
    drop(silent);
    drop(kept);
    drop(person);
    std::thread::sleep(Duration::from_secs(3));
    let after = server.open_files();
    assert!(
        after <= before + 2,
        "the process holds {after} files, {before} before the flood"
    );
}
