//! What a platform team checks before taking the server on: TLS to PostgreSQL as libpq's
//! settings say (every server connection encrypted, a wrong CA or name refused at start), a
//! serving role that can only read and add to the audit trail, and a trail whose tampering the
//! hash chains show.

use super::*;
use roadbook_server::audit_chain;
use roadbook_server::storage::postgres::Migrations;

static TLS_CLUSTER: OnceLock<Postgres> = OnceLock::new();

fn tls_cluster() -> &'static Postgres {
    TLS_CLUSTER.get_or_init(Postgres::start_tls)
}

/// A database of its own on the TLS cluster: its URL with `query` added, by `host`, and its
/// name.
fn tls_database(host: &str, query: &str) -> (String, String) {
    let pg = tls_cluster();
    let n = DATABASES.fetch_add(1, Ordering::SeqCst);
    let name = format!("tls_{}_{n}", std::process::id());
    pg.database(&name);
    (
        format!("postgres://roadbook@{host}:{}/{name}?{query}", pg.port),
        name,
    )
}

fn tls_url(host: &str, query: &str) -> String {
    tls_database(host, query).0
}

/// Server connections to this database and how many are encrypted.
fn encrypted(database: &str) -> (u64, u64) {
    let text = tls_cluster().psql(
        database,
        "SELECT count(*), count(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
         WHERE a.application_name LIKE 'roadbook-server%' AND a.datname = current_database()",
    );
    let mut parts = text.trim().split('|').map(|n| n.parse::<u64>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_full_serves_and_every_server_connection_is_encrypted() {
    let files = tls_cluster().tls.clone().unwrap();
    let (url, database) = tls_database(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", files.ca.display()),
    );
    let storage = PgStorage::connect(&url, 4).await.unwrap();
    let live = Arc::new(Live::new());
    tokio::spawn(storage.clone().listen(live.clone()));
    let engine = Engine::new(Arc::new(storage), live, system_clock());
    let handbook = sample::builder_insights().unwrap();
    engine
        .publish(&lead(), publish_request(&handbook, Id::new()))
        .await
        .unwrap();
    engine
        .join(&editor("sam"), handbook.program.id, Id::new(), 1)
        .await
        .unwrap();
    // The pool's connections and the one listening for other processes' commits.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (all, tls) = encrypted(&database);
        if all >= 2 {
            assert_eq!(tls, all, "every roadbook-server connection is encrypted");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{all} connections");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_ca_or_a_wrong_name_is_refused_at_start_and_says_what_to_check() {
    let files = tls_cluster().tls.clone().unwrap();
    let wrong_ca = tls_url(
        "localhost",
        &format!(
            "sslmode=verify-full&sslrootcert={}",
            files.other_ca.display()
        ),
    );
    let err = PgStorage::connect(&wrong_ca, 2).await.unwrap_err();
    assert!(
        err.contains("certificate was refused") && err.contains("sslrootcert"),
        "{err}"
    );
    // The certificate names localhost, not 127.0.0.1: verify-full refuses, verify-ca (the chain
    // only) takes it, as libpq does.
    let by_address = tls_url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={}", files.ca.display()),
    );
    let err = PgStorage::connect(&by_address, 2).await.unwrap_err();
    assert!(err.contains("certificate was refused"), "{err}");
    let chain_only = by_address.replace("verify-full", "verify-ca");
    PgStorage::connect(&chain_only, 2).await.unwrap();
    // require encrypts without checking, as libpq does.
    PgStorage::connect(&tls_url("127.0.0.1", "sslmode=require"), 2)
        .await
        .unwrap();
}

/// The owning role migrates and grants; the serving role serves.
async fn two_roles() -> (&'static Postgres, String, String, String) {
    let pg = CLUSTER.get_or_init(Postgres::start);
    let n = DATABASES.fetch_add(1, Ordering::SeqCst);
    let (owner, app, db) = (
        format!("owner_{n}"),
        format!("app_{n}"),
        format!("least_{}_{n}", std::process::id()),
    );
    pg.psql(
        "roadbook",
        &format!("CREATE ROLE {owner} LOGIN; CREATE ROLE {app} LOGIN"),
    );
    pg.psql("roadbook", &format!("CREATE DATABASE {db} OWNER {owner}"));
    (pg, owner, app, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serving_role_can_only_read_and_add_to_the_audit_trail_and_tampering_shows() {
    let (pg, owner, app, db) = two_roles().await;
    // Before the migration job ran, a server told to leave migrations to it refuses to start.
    let err = PgStorage::open(&pg.url_as(&app, &db), 2, Migrations::Separately)
        .await
        .unwrap_err();
    assert!(err.contains("roadbook-server migrate"), "{err}");
    let migrated = PgStorage::open(&pg.url_as(&owner, &db), 1, Migrations::AtStart)
        .await
        .unwrap();
    migrated.grant_serving(&app).await.unwrap();
    migrated.grant_serving(&app).await.unwrap();

    let serving = PgStorage::open(&pg.url_as(&app, &db), 4, Migrations::Separately)
        .await
        .unwrap();
    let engine = Engine::new(
        Arc::new(serving.clone()),
        Arc::new(Live::new()),
        system_clock(),
    );
    let handbook = sample::builder_insights().unwrap();
    let program = handbook.program.id;
    engine
        .publish(&lead(), publish_request(&handbook, Id::new()))
        .await
        .unwrap();
    for n in 0..5 {
        push_one(
            &engine,
            &editor("sam"),
            program,
            Id::new(),
            update(
                1,
                Kind::Decision,
                handbook.decisions[0].id,
                &[("title", json!(format!("T{n}")), 0)],
            ),
        )
        .await;
    }
    // The serving role may add to the trail and read it, and nothing else.
    for refused in [
        "ALTER TABLE audit DISABLE TRIGGER USER",
        "DELETE FROM audit",
        "UPDATE audit SET subject = 'someone else'",
        "TRUNCATE audit",
        "UPDATE audit_chains SET last_hash = ''",
        "DROP TRIGGER audit_chain ON audit",
        "INSERT INTO audit_chains VALUES ('x', 0, '')",
    ] {
        let err = pg.psql_as(&app, &db, refused).unwrap_err();
        assert!(
            err.contains("permission denied") || err.contains("must be owner"),
            "{refused}: {err}"
        );
    }
    // It inserts an event's own fields only, stamped now.
    let now = "to_char(now() AT TIME ZONE 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
    for (refused, why) in [
        (
            format!("INSERT INTO audit (id, at, subject, action, detail) VALUES (1, {now}, 'x', 'grant', '{{}}')"),
            "permission denied",
        ),
        (
            format!("INSERT INTO audit (at, subject, action, detail, hash) VALUES ({now}, 'x', 'grant', '{{}}', 'h')"),
            "permission denied",
        ),
        (
            "INSERT INTO audit (at, subject, action, detail) VALUES ('2026-01-01T00:00:00Z', 'Ops', 'grant', '{}')".into(),
            "is not now",
        ),
    ] {
        let err = pg.psql_as(&app, &db, &refused).unwrap_err();
        assert!(err.contains(why), "{refused}: {err}");
    }
    // The chaining reads its settings from the session; a session that sets them cannot move
    // another chain's end to an event that does not exist.
    let slot = format!("roadbook_chain.h{}", program.as_uuid().simple());
    pg.psql_as(
        &app,
        &db,
        &format!(
            "SELECT set_config('roadbook_chain.touched', '{program} ', false); \
             SELECT set_config('{slot}', '999999:forged', false); \
             INSERT INTO audit (at, subject, action, detail) VALUES ({now}, 'Ops', 'roster_import', '{{}}')"
        ),
    )
    .unwrap();
    let end = pg.psql_as(
        &app,
        &db,
        &format!("SELECT last_hash FROM audit_chains WHERE chain = '{program}'"),
    );
    assert_ne!(end.unwrap().trim(), "forged");
    // A role that can only connect can neither begin a new history nor create tables.
    let bystander = format!("{app}_bystander");
    pg.psql("roadbook", &format!("CREATE ROLE {bystander} LOGIN"));
    for refused in [
        "SELECT roadbook_new_history('because I can')",
        "SELECT * FROM roadbook_fingerprint()",
        "CREATE TABLE mine (x int)",
    ] {
        let err = pg.psql_as(&bystander, &db, refused).unwrap_err();
        assert!(err.contains("permission denied"), "{refused}: {err}");
    }

    let (events, ends) = serving.audit_links().await.unwrap();
    assert!(events.len() >= 7, "{}", events.len());
    let verdict = audit_chain::verify(&events, &ends);
    assert!(verdict.verified(), "{}", verdict.describe());

    // The owner can turn the triggers off; what it then does to the trail shows.
    let ids: Vec<String> = events.iter().map(|e| e.id.to_string()).collect();
    pg.psql_as(
        &owner,
        &db,
        &format!(
            "ALTER TABLE audit DISABLE TRIGGER USER; DELETE FROM audit WHERE id = {}; ALTER TABLE audit ENABLE TRIGGER USER",
            ids[3]
        ),
    )
    .unwrap();
    let (events, ends) = serving.audit_links().await.unwrap();
    let verdict = audit_chain::verify(&events, &ends);
    assert!(
        verdict.describe().contains("is missing: it was deleted"),
        "{}",
        verdict.describe()
    );
    pg.psql_as(
        &owner,
        &db,
        &format!(
            "ALTER TABLE audit DISABLE TRIGGER USER; UPDATE audit SET detail = '{{\"reason\": \"nothing to see\"}}' WHERE id = {}; ALTER TABLE audit ENABLE TRIGGER USER",
            ids[1]
        ),
    )
    .unwrap();
    let (events, ends) = serving.audit_links().await.unwrap();
    let verdict = audit_chain::verify(&events, &ends);
    assert!(
        verdict.describe().contains(&format!("event {} ", ids[1]))
            && verdict.describe().contains("was changed"),
        "{}",
        verdict.describe()
    );
}
