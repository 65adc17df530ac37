//! Backups restored: into a wiped database with the team syncing on without loss, a client
//! ahead of the restored server starting over whole, three replicas at different cursors.

use super::*;

/// `deploy/backup.sh`, as the runbook has an operator run it.
pub(super) fn backup(args: &[&str]) -> String {
    let out = Command::new(roadbook_harness::workspace().join("deploy/backup.sh"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "backup.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
pub(super) fn a_backup_restores_into_a_wiped_database_and_the_team_syncs_on_without_loss() {
    let issuer = Issuer::start();
    let dir = tempfile::tempdir().unwrap();
    let database_url = database();
    let env = server_env(&database_url, &issuer);
    let mut server = ServerProcess::start(env.clone());
    let person = |name: &str, groups: &[&str]| Person {
        db: dir.path().join(format!("{name}.db")),
        token: token(&issuer, name, groups),
    };
    let lee = person("lee", &["rb-leads"]);
    let sam = person("sam", &["rb-editors"]);
    let program = lee.ok(&["init", "--sample"]).trim().to_owned();
    lee.ok(&["publish", "--server", &server.url]);
    sam.ok(&["join", "--server", &server.url, &program]);
    let before_backup = sam
        .ok(&["decision", "add", "--title", "Made before the backup"])
        .trim()
        .to_owned();
    sam.ok(&["sync"]);
    lee.ok(&["sync"]);
    let audit_before: u64 = psql(&database_url, "SELECT count(*) FROM audit")
        .unwrap()
        .trim()
        .parse()
        .unwrap();

    let file = dir.path().join("roadbook.dump");
    let said = backup(&["backup", &database_url, file.to_str().unwrap()]);
    assert!(
        said.contains("backed up to") && said.contains("1 programs"),
        "{said}"
    );

    // The database is lost: servers stopped, the database dropped and made again empty.
    assert!(server.terminate().success());
    let name = database_url.rsplit('/').next().unwrap();
    let maintenance = database_url.replace(&format!("/{name}"), "/postgres");
    psql(&maintenance, &format!("DROP DATABASE {name}")).unwrap();
    psql(&maintenance, &format!("CREATE DATABASE {name}")).unwrap();
    assert!(
        psql(&database_url, "SELECT count(*) FROM programs").is_err(),
        "wiped"
    );

    let said = backup(&["restore", &database_url, file.to_str().unwrap()]);
    // The restored schema is the newest one the server ships, not whatever an old dump held.
    let newest = roadbook_sync_tests::newest_schema();
    assert!(
        said.contains("restored") && said.contains(&format!("schema {newest};")),
        "{said}"
    );
    let server = ServerProcess::start(env.clone());

    // Everything acknowledged before the backup is there; the team syncs on both ways.
    assert_eq!(lee.ok(&["export"]), sam.ok(&["export"]));
    let exported = lee.ok(&["export"]);
    assert!(exported.contains("Made before the backup"));
    lee.ok(&["decision", "add", "--title", "Made after the restore"]);
    lee.ok(&["sync"]);
    sam.ok(&["decision", "set", &before_backup, "--status", "Blocked"]);
    sam.ok(&["sync"]);
    lee.ok(&["sync"]);
    assert_eq!(lee.ok(&["export"]), sam.ok(&["export"]));
    assert!(sam.ok(&["export"]).contains("Made after the restore"));
    for person in [&lee, &sam] {
        let status = person.json(&["sync", "status", "--json"]);
        assert_eq!(
            (
                status["pending"].clone(),
                status["conflicts"].clone(),
                status["rejected"].clone()
            ),
            (json!(0), json!(0), json!(0))
        );
    }
    // The audit trail came back whole, still append-only.
    let audit_after: u64 = psql(&database_url, "SELECT count(*) FROM audit")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        audit_after > audit_before,
        "{audit_after} after, {audit_before} before"
    );
    let err = psql(&database_url, "DELETE FROM audit").unwrap_err();
    assert!(err.contains("never changed or deleted"), "{err}");
    // Its hash chains came back whole and went on from where they were.
    let verified = operator(&env, &["audit", "verify"]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(String::from_utf8_lossy(&verified.stdout).contains("the audit trail verifies"));
    // A backup that is not one is refused before anything is touched.
    let junk = dir.path().join("junk.dump");
    std::fs::write(&junk, "not a dump").unwrap();
    let out = Command::new(roadbook_harness::workspace().join("deploy/backup.sh"))
        .args(["restore", &database_url, junk.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a backup pg_restore can read"));
    assert_eq!(lee.ok(&["export"]), sam.ok(&["export"]), "untouched");
    drop(server);
}

#[test]
pub(super) fn a_client_ahead_of_a_restored_server_takes_the_whole_program_and_a_fresh_client_id() {
    let issuer = Issuer::start();
    let dir = tempfile::tempdir().unwrap();
    let database_url = database();
    let env = server_env(&database_url, &issuer);
    let mut server = ServerProcess::start(env.clone());
    let person = |name: &str, groups: &[&str]| Person {
        db: dir.path().join(format!("{name}.db")),
        token: token(&issuer, name, groups),
    };
    let lee = person("lee", &["rb-leads"]);
    let sam = person("sam", &["rb-editors"]);
    let program = lee.ok(&["init", "--sample"]).trim().to_owned();
    lee.ok(&["publish", "--server", &server.url]);
    sam.ok(&["join", "--server", &server.url, &program]);
    let file = dir.path().join("roadbook.dump");
    backup(&["backup", &database_url, file.to_str().unwrap()]);
    // Lee syncs after the backup: the server acknowledges numbers and positions the restore
    // will forget.
    lee.ok(&[
        "decision",
        "add",
        "--title",
        "Acknowledged after the backup",
    ]);
    lee.ok(&["sync"]);
    assert!(server.terminate().success());
    backup(&["restore", &database_url, file.to_str().unwrap()]);
    let server = ServerProcess::start(env);

    // Lee's next change is neither stuck behind a sequence gap nor skipped by a cursor past
    // the server's head: Lee takes a fresh client id and the whole program, and Sam gets it.
    // What the restore lost of Lee's goes again, once, with the new change.
    lee.ok(&["decision", "add", "--title", "Made after the restore"]);
    let synced = lee.ok(&["sync"]);
    assert!(
        synced.contains("pushed 2")
            && synced.contains("1 of your changes it had lost were sent again")
            && synced.contains("0 refused changes"),
        "{synced}"
    );
    sam.ok(&["sync"]);
    let theirs = sam.ok(&["export"]);
    assert!(theirs.contains("Made after the restore"), "{theirs}");
    assert_eq!(
        theirs.matches("Acknowledged after the backup").count(),
        1,
        "{theirs}"
    );
    sam.ok(&["decision", "add", "--title", "Sam after the restore"]);
    sam.ok(&["sync"]);
    lee.ok(&["sync"]);
    assert!(lee.ok(&["export"]).contains("Sam after the restore"));
    drop(server);
}

/// The decisions of an export, by id: their titles.
pub(super) fn titles(export: &str) -> BTreeMap<String, String> {
    let v: Value = serde_json::from_str(export).unwrap();
    v["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_owned(),
                d["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
#[allow(clippy::too_many_lines)]
pub(super) fn a_restored_server_is_a_new_history_and_three_replicas_at_different_cursors_end_whole()
{
    let issuer = Issuer::start();
    let dir = tempfile::tempdir().unwrap();
    let database_url = database();
    let env = server_env(&database_url, &issuer);
    let mut server = ServerProcess::start(env.clone());
    let person = |name: &str, groups: &[&str]| Person {
        db: dir.path().join(format!("{name}.db")),
        token: token(&issuer, name, groups),
    };
    let lee = person("lee", &["rb-leads"]);
    let sam = person("sam", &["rb-editors"]);
    let vic = person("vic", &["rb-editors"]);
    let program = lee.ok(&["init", "--sample"]).trim().to_owned();
    lee.ok(&["publish", "--server", &server.url]);
    sam.ok(&["join", "--server", &server.url, &program]);
    vic.ok(&["join", "--server", &server.url, &program]);
    let decisions: Vec<String> = lee
        .json(&["decision", "list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    let before = sam
        .ok(&["decision", "add", "--title", "Made before the backup"])
        .trim()
        .to_owned();
    for p in [&sam, &lee, &vic] {
        p.ok(&["sync"]);
    }
    let old_history = lee.json(&["sync", "status", "--json"])["history"].clone();
    assert!(old_history.is_string(), "{old_history}");
    let file = dir.path().join("roadbook.dump");
    backup(&["backup", &database_url, file.to_str().unwrap()]);

    // After the backup, acknowledged and then lost by the restore: Lee adds a decision and
    // renames another; Sam pulls that (a cursor past what the backup holds) and renames a
    // third. Vic never syncs, and renames a fourth offline.
    let lee_new = lee
        .ok(&["decision", "add", "--title", "Lee after the backup"])
        .trim()
        .to_owned();
    lee.ok(&[
        "decision",
        "set",
        &decisions[0],
        "--title",
        "Lee's title after the backup",
    ]);
    lee.ok(&["sync"]);
    sam.ok(&["sync"]);
    sam.ok(&[
        "decision",
        "set",
        &decisions[1],
        "--title",
        "Sam's title after the backup",
    ]);
    sam.ok(&["sync"]);
    vic.ok(&[
        "decision",
        "set",
        &decisions[2],
        "--title",
        "Vic's title, offline",
    ]);

    assert!(server.terminate().success());
    let said = backup(&["restore", &database_url, file.to_str().unwrap()]);
    assert!(said.contains("new history"), "{said}");
    let server = ServerProcess::start(env);

    // Vic first: their offline change goes to the new history; the positions it takes are
    // ones Lee's and Sam's cursors had passed in the old one.
    let synced = vic.ok(&["sync"]);
    assert!(synced.contains("history changed"), "{synced}");
    let lee_said = lee.ok(&["sync"]);
    assert!(
        lee_said.contains("history changed") && lee_said.contains("2 of your changes"),
        "{lee_said}"
    );
    let sam_said = sam.ok(&["sync"]);
    assert!(
        sam_said.contains("history changed") && sam_said.contains("1 of your changes"),
        "{sam_said}"
    );
    for p in [&vic, &lee, &sam, &vic] {
        let again = p.ok(&["sync"]);
        assert!(!again.contains("history changed"), "said once: {again}");
    }

    // Everyone ends identical, with every change acknowledged before the backup and every
    // change made after it, each once.
    let export = lee.ok(&["export"]);
    assert_eq!(sam.ok(&["export"]), export);
    assert_eq!(vic.ok(&["export"]), export);
    let t = titles(&export);
    assert_eq!(t[&before], "Made before the backup");
    assert_eq!(t[&lee_new], "Lee after the backup");
    assert_eq!(t[&decisions[0]], "Lee's title after the backup");
    assert_eq!(t[&decisions[1]], "Sam's title after the backup");
    assert_eq!(t[&decisions[2]], "Vic's title, offline");
    assert_eq!(export.matches("Lee after the backup").count(), 1);
    for p in [&lee, &sam, &vic] {
        let status = p.json(&["sync", "status", "--json"]);
        assert_ne!(status["history"], old_history, "a new history");
        assert_eq!(
            (
                status["pending"].clone(),
                status["conflicts"].clone(),
                status["rejected"].clone()
            ),
            (json!(0), json!(0), json!(0))
        );
    }
    let server_titles = psql(
        &database_url,
        &format!("SELECT count(*) FROM items WHERE program_id = '{program}' AND fields->>'title' = 'Lee after the backup'"),
    )
    .unwrap();
    assert_eq!(server_titles.trim(), "1");
    drop(server);
}
