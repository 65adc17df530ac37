//! `roadbook` and `roadbook-server` as a person and an operator run them: the real binaries.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use roadbook_harness::{Issuer, ServerProcess, binary, server_env};
use roadbook_sync_tests::database;
use serde_json::Value;

struct Person {
    db: PathBuf,
    token: String,
}

impl Person {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(binary("roadbook"))
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env("ROADBOOK_TOKEN", &self.token)
            .env("ROADBOOK_AUTHOR", "cli")
            .env_remove("ROADBOOK_DB")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "roadbook {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "roadbook {args:?} should have failed"
        );
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        err
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

fn person(dir: &Path, name: &str, issuer: &Issuer, groups: &[&str]) -> Person {
    Person {
        db: dir.join(format!("{name}.db")),
        token: issuer.token(name, &format!("{name} (name)"), groups),
    }
}

#[test]
fn a_team_syncs_resolves_and_settles_refused_changes_from_the_command_line() {
    let issuer = Issuer::start();
    let server = ServerProcess::start(server_env(&database(), &issuer));
    let dir = tempfile::tempdir().unwrap();
    let lead = person(dir.path(), "lee", &issuer, &["rb-leads"]);
    let sam = person(dir.path(), "sam", &issuer, &["rb-editors"]);

    let program = lead.ok(&["init", "--sample"]).trim().to_owned();
    let err = lead.fails(&["sync"]);
    assert!(err.contains("not connected to a server"), "{err}");
    let published = lead.ok(&["publish", "--server", &server.url]);
    assert!(published.contains("published to"), "{published}");
    let err = lead.fails(&["publish", "--server", &server.url]);
    assert!(err.contains("syncs with"), "{err}");
    let listed = sam.ok(&["join", "--server", &server.url, "--list"]);
    assert!(
        listed.contains("Builder Insights operationalization") && listed.contains("you: editor"),
        "{listed}"
    );
    let joined = sam.ok(&["join", "--server", &server.url, &program]);
    assert!(
        joined.contains("joined 'Builder Insights operationalization'"),
        "{joined}"
    );
    assert_eq!(lead.ok(&["export"]), sam.ok(&["export"]));

    // The same decision decided by one and blocked by the other: one conflict over the whole
    // decision (status, outcome, rationale, decided by and on), shown by both with names and
    // when each was made.
    let decisions = lead.json(&["decision", "list", "--json"]);
    let decision = decisions[0]["id"].as_str().unwrap().to_owned();
    lead.ok(&[
        "decision",
        "set",
        &decision,
        "--status",
        "Decided",
        "--outcome",
        "Okta SSO",
        "--rationale",
        "Security signed off",
    ]);
    sam.ok(&["decision", "set", &decision, "--status", "Blocked"]);
    lead.ok(&["sync"]);
    let synced = sam.ok(&["sync"]);
    assert!(synced.contains("1 new conflicts"), "{synced}");
    lead.ok(&["sync"]);
    let shown = lead.ok(&["conflicts"]);
    assert!(
        shown.contains("decision 'Okta SSO path and claims model': what was decided"),
        "{shown}"
    );
    assert!(
        shown.contains("theirs (kept): status 'Decided'; outcome 'Okta SSO'; rationale 'Security signed off'; decided by (none); decided on (none) by lee (name) (made 20")
            && shown.contains("mine: status 'Blocked'; outcome (none); rationale (none); decided by (none); decided on (none) by sam (name) (made 20"),
        "{shown}"
    );
    // The check before sending says so first, and a PDF is not issued over it unasked.
    let check = sam.json(&["check", "--json"]);
    assert_eq!(check[0]["rule"], "open_conflict", "{check}");
    assert_eq!(
        check[0]["label"], "Okta SSO path and claims model",
        "{check}"
    );
    assert!(
        check[0]["message"]
            .as_str()
            .unwrap()
            .contains("A conflict on What was decided is open"),
        "{check}"
    );
    let readout = dir.path().join("readout.pdf");
    let readout = readout.to_str().unwrap();
    let err = sam.fails(&["report", "readout", "--out", readout]);
    assert!(
        err.contains(
            "a conflict is open on this program (decision ‘Okta SSO path and claims model’: What was decided)"
        ) && err.contains("--with-open-conflicts"),
        "{err}"
    );
    assert!(!std::path::Path::new(readout).exists(), "nothing written");
    assert_eq!(sam.json(&["documents", "--json"]), serde_json::json!([]));
    let issued = sam.ok(&[
        "report",
        "readout",
        "--out",
        readout,
        "--with-open-conflicts",
    ]);
    assert!(issued.contains("issued with a conflict open"), "{issued}");
    let archived = sam.json(&["documents", "--json"]);
    assert_eq!(
        archived[0]["parameters"]["issued_with_open_conflicts"],
        serde_json::json!(["decision ‘Okta SSO path and claims model’: What was decided"])
    );
    // Not yet pushed: said by the check while the change waits.
    sam.ok(&["decision", "set", &decision, "--due", "2026-12-20"]);
    let check = sam.ok(&["check"]);
    assert!(
        check.contains("1 change made here is not on the team's server yet"),
        "{check}"
    );
    sam.ok(&["sync"]);
    let conflicts = sam.json(&["conflicts", "--json"]);
    let conflict = conflicts[0]["id"].as_str().unwrap().to_owned();
    // Only a lead settles it; the lead keeps theirs and it leaves both.
    lead.ok(&["resolve", &conflict, "--keep", "theirs"]);
    sam.ok(&["sync"]);
    assert_eq!(lead.ok(&["conflicts"]).trim(), "no conflicts");
    assert_eq!(sam.ok(&["conflicts"]).trim(), "no conflicts");
    let status = sam.json(&["sync", "status", "--json"]);
    assert_eq!(
        (status["pending"].clone(), status["conflicts"].clone()),
        (Value::from(0), Value::from(0))
    );

    let err = Person {
        db: sam.db.clone(),
        token: String::new(),
    }
    .fails(&["sync"]);
    assert!(err.contains("set ROADBOOK_TOKEN"), "{err}");
    let out = sam.ok(&["sync"]);
    assert!(out.contains("0 changes waiting to be pushed"), "{out}");
    let err = sam.fails(&["rejected", "discard", "999"]);
    assert!(err.contains("no refused change 999"), "{err}");
    assert_eq!(sam.ok(&["rejected"]).trim(), "no refused changes");

    // A memo the lead issues reaches Sam's archive with the next syncs, credited to the lead.
    let memo = dir.path().join("memo.pdf");
    lead.ok(&["report", "memo", "--out", memo.to_str().unwrap()]);
    lead.ok(&["sync"]);
    sam.ok(&["sync"]);
    let archive = sam.ok(&["documents"]);
    assert!(
        archive.contains("memo") && archive.contains("by cli (from lee (name))"),
        "{archive}"
    );
}

#[test]
fn a_refused_change_is_listed_with_its_reason_and_retried_or_discarded() {
    let issuer = Issuer::start();
    let server = ServerProcess::start(server_env(&database(), &issuer));
    let dir = tempfile::tempdir().unwrap();
    let lead = person(dir.path(), "lee", &issuer, &["rb-leads"]);
    let sam = person(dir.path(), "sam", &issuer, &["rb-editors"]);
    let program = lead.ok(&["init", "--sample"]).trim().to_owned();
    lead.ok(&["publish", "--server", &server.url]);
    // A decision that Sam will point at, which the lead then deletes.
    let extra = lead
        .ok(&["decision", "add", "--title", "Short-lived decision"])
        .trim()
        .to_owned();
    lead.ok(&["sync"]);
    sam.ok(&["join", "--server", &server.url, &program]);
    sam.ok(&["action", "add", "--text", "Follow up", "--decision", &extra]);
    // The lead removes the decision before Sam syncs (the command line has no delete: the
    // app deletes; the store does it here).
    let mut store = roadbook_store::Store::open(&lead.db).unwrap();
    store.delete(extra.parse().unwrap(), "lee").unwrap();
    drop(store);
    lead.ok(&["sync"]);

    let out = sam.ok(&["sync"]);
    assert!(out.contains("1 refused by the server"), "{out}");
    let listed = sam.ok(&["rejected"]);
    assert!(
        listed.contains("action")
            && listed.contains("refused: ")
            && listed.contains("which is not in this program"),
        "{listed}"
    );
    let rejected = sam.json(&["rejected", "--json"]);
    let id = rejected[0]["id"].as_i64().unwrap().to_string();
    // Retried as is, it is refused again; discarded, it is gone.
    sam.ok(&["rejected", "retry", &id]);
    let again = sam.json(&["rejected", "--json"]);
    assert_eq!(again.as_array().unwrap().len(), 1, "{again}");
    let id = again[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(sam.ok(&["rejected", "discard", &id]).trim(), "discarded");
    assert_eq!(sam.ok(&["rejected"]).trim(), "no refused changes");
    assert_eq!(lead.ok(&["export"]), sam.ok(&["export"]));
}

#[test]
fn sync_watch_pulls_a_teammates_change_without_being_asked() {
    let issuer = Issuer::start();
    let server = ServerProcess::start(server_env(&database(), &issuer));
    let dir = tempfile::tempdir().unwrap();
    let lead = person(dir.path(), "lee", &issuer, &["rb-leads"]);
    let sam = person(dir.path(), "sam", &issuer, &["rb-editors"]);
    let program = lead.ok(&["init", "--sample"]).trim().to_owned();
    lead.ok(&["publish", "--server", &server.url]);
    sam.ok(&["join", "--server", &server.url, &program]);
    let mut watch = Command::new(binary("roadbook"))
        .arg("--db")
        .arg(&sam.db)
        .args(["sync", "--watch"])
        .env("ROADBOOK_TOKEN", &sam.token)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let id = lead
        .ok(&["decision", "add", "--title", "Seen without a sync"])
        .trim()
        .to_owned();
    lead.ok(&["sync"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = sam.ok(&["decision", "list"]);
        if list.contains(&id) {
            break;
        }
        assert!(Instant::now() < deadline, "the watch did not pull: {list}");
        std::thread::sleep(Duration::from_millis(200));
    }
    // And it pushes Sam's own change as soon as it is made.
    let sams = sam
        .ok(&["decision", "add", "--title", "Pushed by the watch"])
        .trim()
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        lead.ok(&["sync"]);
        if lead.ok(&["decision", "list"]).contains(&sams) {
            break;
        }
        assert!(Instant::now() < deadline, "the watch did not push");
        std::thread::sleep(Duration::from_millis(300));
    }
    let _ = watch.kill();
    let _ = watch.wait();
}

#[test]
fn an_unreachable_server_is_offline_in_seconds_in_one_sentence_with_its_own_exit_code() {
    let issuer = Issuer::start();
    let mut server = ServerProcess::start(server_env(&database(), &issuer));
    let dir = tempfile::tempdir().unwrap();
    let lead = person(dir.path(), "lee", &issuer, &["rb-leads"]);
    lead.ok(&["init", "--sample"]);
    lead.ok(&["publish", "--server", &server.url]);
    lead.ok(&["decision", "add", "--title", "Made offline"]);
    lead.ok(&["decision", "add", "--title", "Made offline too"]);
    server.kill();

    // A closed port: refused at once, one sentence, exit code 3, nothing repeated.
    let offline = |out: &Output| -> String {
        assert_eq!(out.status.code(), Some(3), "{out:?}");
        let err = String::from_utf8(out.stderr.clone()).unwrap();
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert_eq!(err.matches("offline").count(), 1, "said once: {err}");
        assert_eq!(err.matches("(").count(), 0, "no cause in brackets: {err}");
        err
    };
    let started = Instant::now();
    let out = lead.run(&["sync"]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let err = offline(&out);
    assert_eq!(
        err.trim(),
        format!(
            "roadbook: offline: cannot reach {}; 2 changes wait and will go at the next sync",
            server.url
        )
    );
    let status = lead.json(&["sync", "status", "--json"]);
    assert_eq!(status["pending"], 2, "nothing was lost: {status}");
    let err = offline(&lead.run(&["join", "--server", &server.url, "--list"]));
    assert!(err.contains("nothing was listed"), "{err}");
    let other = person(dir.path(), "ola", &issuer, &["rb-leads"]);
    other.ok(&["init", "--name", "Another program"]);
    let err = offline(&other.run(&["publish", "--server", &server.url]));
    assert!(err.contains("the program was not published"), "{err}");

    // A server that accepts and never answers: offline once the request timeout runs out.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming() {
            held.push(stream);
        }
    });
    let err = offline(
        &Command::new(binary("roadbook"))
            .args(["--db", other.db.to_str().unwrap()])
            .args(["publish", "--server", &silent_url])
            .env("ROADBOOK_TOKEN", &other.token)
            .env("ROADBOOK_REQUEST_SECONDS", "2")
            .output()
            .unwrap(),
    );
    assert!(
        err.contains(&format!("{silent_url} did not answer within 2 s"))
            && err.contains("roadbook sync finishes the publish"),
        "{err}"
    );
    let out = Command::new(binary("roadbook"))
        .args(["--db", other.db.to_str().unwrap()])
        .args(["publish", "--server", &silent_url])
        .env("ROADBOOK_TOKEN", &other.token)
        .env("ROADBOOK_REQUEST_SECONDS", "soon")
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("ROADBOOK_REQUEST_SECONDS is 'soon'"),
        "a bad setting says so: {err}"
    );

    // A watching sync waits, and says when the server is back; then the changes go.
    let mut watch = Command::new(binary("roadbook"))
        .arg("--db")
        .arg(&lead.db)
        .args(["sync", "--watch"])
        .env("ROADBOOK_TOKEN", &lead.token)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = {
        use std::io::BufRead;
        let stdout = watch.stdout.take().unwrap();
        let (tell, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tell.send(line).is_err() {
                    return;
                }
            }
        });
        lines
    };
    let until = |what: &str| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line.contains(what) => return line,
                Ok(_) => {}
                Err(_) => panic!("the watch never said '{what}'"),
            }
        }
    };
    let said = until("offline: cannot reach");
    assert!(said.contains("trying again in"), "{said}");
    server.restart();
    until("back online");
    let deadline = Instant::now() + Duration::from_secs(30);
    while lead.json(&["sync", "status", "--json"])["pending"] != 0 {
        assert!(Instant::now() < deadline, "the waiting changes never went");
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = watch.kill();
    let _ = watch.wait();
}

fn server(env: &[(&str, String)], args: &[&str]) -> Output {
    let mut command = Command::new(binary("roadbook-server"));
    for key in roadbook_server::config::KEYS {
        command.env_remove(key);
    }
    command
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null());
    // A server that starts would keep running: give it a moment, then stop it.
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn the_server_refuses_to_start_with_a_missing_or_bad_setting_and_says_which() {
    let issuer = Issuer::start();
    let db = database();
    let good: Vec<(&str, String)> = vec![
        ("ROADBOOK_DATABASE_URL", db.clone()),
        ("ROADBOOK_ISSUER", issuer.url.clone()),
        ("ROADBOOK_AUDIENCE", roadbook_harness::AUDIENCE.into()),
        ("ROADBOOK_ROLES", roadbook_harness::ROLES.into()),
        (
            "ROADBOOK_LISTEN",
            format!("127.0.0.1:{}", roadbook_harness::free_port()),
        ),
    ];
    let without = |key: &str| {
        good.iter()
            .filter(|(k, _)| *k != key)
            .cloned()
            .collect::<Vec<_>>()
    };
    let with = |key: &'static str, value: &str| {
        let mut env = without(key);
        env.push((key, value.to_owned()));
        env
    };
    let closed = format!(
        "postgres://roadbook:s3cret@127.0.0.1:{}/roadbook",
        roadbook_harness::free_port()
    );
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            without("ROADBOOK_DATABASE_URL"),
            "ROADBOOK_DATABASE_URL is not set",
        ),
        (without("ROADBOOK_ISSUER"), "ROADBOOK_ISSUER is not set"),
        (without("ROADBOOK_AUDIENCE"), "ROADBOOK_AUDIENCE is not set"),
        (without("ROADBOOK_ROLES"), "ROADBOOK_ROLES is not set"),
        (
            with("ROADBOOK_ROLES", "rb-leads=owner"),
            "ROADBOOK_ROLES: 'owner' is not a role",
        ),
        (
            with("ROADBOOK_LISTEN", "everywhere"),
            "ROADBOOK_LISTEN is 'everywhere'",
        ),
        (
            with("ROADBOOK_DATABASE_URL", "mysql://db"),
            "give a postgres:// URL",
        ),
        (
            with("ROADBOOK_ISSUER", "http://issuer.example"),
            "give an https:// URL",
        ),
        // Plain http only for this machine, read from the host, not the text's start.
        (
            with("ROADBOOK_ISSUER", "http://127.0.0.1.example.com"),
            "give an https:// URL",
        ),
        (
            with("ROADBOOK_DATABASE_URL", &closed),
            "check ROADBOOK_DATABASE_URL",
        ),
        // An issuer that cannot be reached is not a bad setting: the server serves and
        // fetches its keys at the first token (tokens.rs shows it).
        (
            with("ROADBOOK_ISSUER", "https://"),
            "ROADBOOK_ISSUER is 'https://': it names no host",
        ),
    ];
    for (env, expected) in cases {
        let out = server(&env, &[]);
        assert!(!out.status.success(), "{expected}: it started");
        let err = String::from_utf8(out.stderr).unwrap();
        let line = err
            .lines()
            .find(|l| l.starts_with("roadbook-server: "))
            .unwrap_or_default();
        assert!(line.contains(expected), "{expected}: {err}");
        assert!(!err.contains("s3cret"), "the password leaked: {err}");
    }

    // The same settings from a file, the environment winning; an unknown key is refused.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("server.toml");
    std::fs::write(
        &file,
        "ROADBOOK_AUDIENCE = \"api://roadbook\"\nROADBOOK_COLOUR = \"blue\"\n",
    )
    .unwrap();
    let out = server(
        &without("ROADBOOK_AUDIENCE"),
        &["--config", file.to_str().unwrap()],
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("ROADBOOK_COLOUR in") && err.contains("is not a setting"),
        "{err}"
    );
    std::fs::write(&file, "ROADBOOK_AUDIENCE = \"api://roadbook\"\n").unwrap();
    let listen = format!("127.0.0.1:{}", roadbook_harness::free_port());
    let mut env = without("ROADBOOK_AUDIENCE");
    env.retain(|(k, _)| *k != "ROADBOOK_LISTEN");
    env.push(("ROADBOOK_LISTEN", listen.clone()));
    let mut child = Command::new(binary("roadbook-server"))
        .args(["--config", file.to_str().unwrap()])
        .env_remove("ROADBOOK_AUDIENCE")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(&listen) {
            use std::io::{Read, Write};
            write!(
                stream,
                "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not start from its config file"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}
