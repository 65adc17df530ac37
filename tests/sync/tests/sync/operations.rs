//! The server as its operators see it, through the real `roadbook-server` binary on
//! PostgreSQL: a scripted team session moves each metric by what happened, the JSON log names
//! requests and callers but never a token or program text, and admins read the audit trail
//! (HTTP, the command line, CSV) that nothing can change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use roadbook_harness::{Issuer, ServerProcess, binary, server_env};
use roadbook_protocol::{BREAK_GLASS_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION};
use roadbook_sync_tests::database;
use serde_json::{Value, json};

/// `roadbook` on one person's database with their token.
struct Person {
    db: PathBuf,
    token: String,
}

impl Person {
    fn ok(&self, args: &[&str]) -> String {
        roadbook_sync_tests::roadbook(&self.db, &self.token, args)
            .unwrap_or_else(|err| panic!("roadbook {args:?}: {err}"))
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

fn token(issuer: &Issuer, login: &str, groups: &[&str]) -> String {
    let mut claims = issuer.claims(login, &format!("{login} (name)"), groups);
    claims["email"] = json!(format!("{login}@example.test"));
    claims["email_verified"] = json!(true);
    issuer.sign(&claims)
}

/// Plain HTTP to the server, as an admin's script or the scraper would call it.
struct Http {
    base: String,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

struct Answer {
    status: u16,
    request_id: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

impl Http {
    fn new(base: &str) -> Http {
        Http {
            base: base.to_owned(),
            client: reqwest::Client::new(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.runtime.block_on(async {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let request_id = response
                .headers()
                .get("x-request-id")
                .map(|v| v.to_str().unwrap().to_owned());
            let body = response.text().await.unwrap();
            Answer {
                status,
                request_id,
                body,
            }
        })
    }

    fn get(&self, path: &str, token: &str) -> Answer {
        let bearer = format!("Bearer {token}");
        self.send("GET", path, &[("authorization", &bearer)])
    }

    /// `/metrics` as series → value (the series with its labels, as Prometheus names it).
    fn scrape(&self) -> BTreeMap<String, f64> {
        let answer = self.send("GET", "/metrics", &[]);
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer
            .body
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let (series, value) = l.rsplit_once(' ').unwrap();
                (series.to_owned(), value.parse().unwrap())
            })
            .collect()
    }
}

/// How far a series moved between two scrapes (absent counts as 0).
fn moved(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>, series: &str) -> f64 {
    after.get(series).copied().unwrap_or(0.0) - before.get(series).copied().unwrap_or(0.0)
}

/// An operator command on the server's database.
fn operator(env: &[(String, String)], args: &[&str]) -> std::process::Output {
    Command::new(binary("roadbook-server"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap()
}

/// psql on the server's database: its output, or its error.
fn psql(database_url: &str, sql: &str) -> Result<String, String> {
    let out = Command::new("psql")
        .args([database_url, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .unwrap();
    roadbook_harness::output_text(out)
}

const PUSH: &str = "/v1/programs/{program}/push";

#[test]
#[allow(clippy::too_many_lines)]
fn a_scripted_session_moves_each_metric_logs_no_secret_and_leaves_an_audit_trail_nobody_can_change()
{
    let issuer = Issuer::start();
    let dir = tempfile::tempdir().unwrap();
    let database_url = database();
    let mut env = server_env(&database_url, &issuer);
    env.push(("ROADBOOK_LOG_FORMAT".into(), "json".into()));
    env.push(("ROADBOOK_DB_CONNECTIONS".into(), "6".into()));
    env.push(("ROADBOOK_BREAK_GLASS".into(), "oncall".into()));
    let log = dir.path().join("server.log");
    let server = ServerProcess::start_logging(env.clone(), Some(&log));
    let http = Http::new(&server.url);
    let person = |name: &str, groups: &[&str]| Person {
        db: dir.path().join(format!("{name}.db")),
        token: token(&issuer, name, groups),
    };
    let lee = person("lee", &["rb-leads"]);
    let sam = person("sam", &["rb-editors"]);
    let ada = token(&issuer, "ada", &["rb-admins"]);

    let before = http.scrape();

    // The session: publish, join, a clash, a refused change, a delete, a resolution, a memo.
    let program = lee.ok(&["init", "--sample"]).trim().to_owned();
    let extra = lee
        .ok(&["decision", "add", "--title", "Short-lived decision"])
        .trim()
        .to_owned();
    lee.ok(&["publish", "--server", &server.url]);
    sam.ok(&["join", "--server", &server.url, &program]);
    let decision = lee.json(&["decision", "list", "--json"])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    lee.ok(&[
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
    sam.ok(&["action", "add", "--text", "Follow up", "--decision", &extra]);
    lee.ok(&["sync"]);
    // The command line has no delete (the app deletes); the store does it as the app would.
    let mut store = roadbook_store::Store::open(&lee.db).unwrap();
    store.delete(extra.parse().unwrap(), "lee").unwrap();
    drop(store);
    lee.ok(&["sync"]);
    let synced = sam.ok(&["sync"]);
    assert!(
        synced.contains("1 new conflicts") && synced.contains("1 refused by the server"),
        "{synced}"
    );
    lee.ok(&["sync"]);
    let conflict = lee.json(&["conflicts", "--json"])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    lee.ok(&["resolve", &conflict, "--keep", "theirs"]);
    let memo = dir.path().join("memo.pdf");
    lee.ok(&["report", "memo", "--out", memo.to_str().unwrap()]);
    lee.ok(&["sync"]);
    sam.ok(&["sync"]);

    // Three refused tokens, one for each reason.
    assert_eq!(http.send("GET", "/v1/programs", &[]).status, 401);
    let garbage = http.get("/v1/programs", "not-a-token");
    assert_eq!(garbage.status, 401);
    let mut claims = issuer.claims("lee", "lee (name)", &["rb-leads"]);
    claims["exp"] = json!(roadbook_harness::now() - 3600);
    let expired = issuer.sign(&claims);
    assert_eq!(http.get("/v1/programs", &expired).status, 401);

    // A long poll counts as a live connection while it waits.
    let waiting = http.scrape();
    assert_eq!(waiting["roadbook_live_connections"], 0.0);
    let programs = http.get("/v1/programs", &lee.token).json();
    let cursor = programs[0]["head"].as_u64().unwrap();
    let poll = {
        let base = server.url.clone();
        let token = lee.token.clone();
        let program = program.clone();
        std::thread::spawn(move || {
            Http::new(&base)
                .get(
                    &format!("/v1/programs/{program}/events?after={cursor}"),
                    &token,
                )
                .status
        })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while http.scrape()["roadbook_live_connections"] < 1.0 {
        assert!(Instant::now() < deadline, "the long poll was never counted");
        std::thread::sleep(Duration::from_millis(50));
    }
    lee.ok(&["decision", "add", "--title", "Wakes the long poll"]);
    lee.ok(&["sync"]);
    assert_eq!(poll.join().unwrap(), 200);

    // An invented method is counted, under "other": no new series per made-up word.
    assert_eq!(http.send("BREW", "/healthz", &[]).status, 405);

    // The trail as the admin reads it; and the counters against it.
    let trail = http.get(&format!("/audit?program={program}"), &ada);
    assert_eq!(trail.status, 200, "{}", trail.body);
    let events = trail.json()["events"].as_array().unwrap().clone();
    let count = |kind: &str| events.iter().filter(|e| e["kind"] == kind).count() as f64;
    let after = http.scrape();
    let outcome = |o: &str| {
        moved(
            &before,
            &after,
            &format!("roadbook_sync_mutations_total{{outcome=\"{o}\"}}"),
        )
    };
    assert_eq!(outcome("conflict"), 1.0);
    assert_eq!(outcome("rejected"), 1.0);
    assert_eq!(outcome("applied"), count("applied"));
    assert!(count("applied") >= 4.0, "{events:?}");
    let requests = |method: &str, route: &str, status: u16| {
        moved(
            &before,
            &after,
            &format!(
                "roadbook_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(requests("POST", "/v1/programs", 201), 1.0, "one publish");
    assert_eq!(
        requests("POST", "/v1/programs/{program}/join", 200),
        1.0,
        "one join"
    );
    assert_eq!(
        requests("GET", "/v1/programs", 401),
        3.0,
        "three refused tokens"
    );
    assert_eq!(
        requests("other", "/healthz", 405),
        1.0,
        "an invented method"
    );
    assert!(!after.keys().any(|k| k.contains("BREW")));
    assert_eq!(
        moved(
            &before,
            &after,
            "roadbook_http_request_duration_seconds_count{method=\"POST\",route=\"/v1/programs\",status=\"201\"}"
        ),
        1.0
    );
    // Every push answered is one observation of its size; every pull from the log one of its.
    assert_eq!(
        moved(&before, &after, "roadbook_sync_push_mutations_count"),
        requests("POST", PUSH, 200)
    );
    assert!(requests("POST", PUSH, 200) >= 4.0);
    assert_eq!(
        moved(&before, &after, "roadbook_sync_pull_changes_count"),
        requests("GET", "/v1/programs/{program}/changes", 200)
    );
    // The push sizes add up to the mutations decided.
    assert_eq!(
        moved(&before, &after, "roadbook_sync_push_mutations_sum"),
        outcome("applied") + outcome("conflict") + outcome("rejected")
    );
    for reason in ["missing", "malformed", "expired"] {
        assert_eq!(
            moved(
                &before,
                &after,
                &format!("roadbook_token_failures_total{{reason=\"{reason}\"}}")
            ),
            1.0,
            "{reason}"
        );
    }
    assert_eq!(after["roadbook_live_connections"], 0.0);
    assert_eq!(after["roadbook_db_pool_max_connections"], 6.0);
    let pool = |state: &str| after[&format!("roadbook_db_pool_connections{{state=\"{state}\"}}")];
    assert!(pool("in_use") + pool("idle") >= 1.0 && pool("in_use") + pool("idle") <= 6.0);

    // The dashboard and the alerts read only series the server exposes.
    let exposed: Vec<String> = after
        .keys()
        .map(|s| s.split(['{', ' ']).next().unwrap().to_owned())
        .collect();
    let deploy = roadbook_harness::workspace().join("deploy/monitoring");
    for file in ["dashboard.json", "alerts.yaml"] {
        let text = std::fs::read_to_string(deploy.join(file)).unwrap();
        let mut named = 0;
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if word.starts_with("roadbook_") {
                named += 1;
                assert!(
                    exposed.iter().any(|e| e == word
                        || e.strip_prefix(word).is_some_and(|rest| {
                            ["_bucket", "_count", "_sum", "_total"].contains(&rest)
                        })),
                    "{file} reads {word}, which /metrics does not have"
                );
            }
        }
        assert!(named > 5, "{file} names the server's metrics");
    }

    audit_trail(&http, &env, &database_url, &program, &ada, &lee, &issuer);
    the_log_names_requests_and_callers_and_nothing_secret(&http, &log, &lee, &sam, &ada, &expired);
}

fn the_log_names_requests_and_callers_and_nothing_secret(
    http: &Http,
    log: &Path,
    lee: &Person,
    sam: &Person,
    ada: &str,
    expired: &str,
) {
    // A caller's request id comes back and names the log line; an unusable one is replaced.
    let traced = http.send(
        "GET",
        "/v1/programs",
        &[
            ("authorization", &format!("Bearer {}", lee.token)),
            ("x-request-id", "ops-check-1"),
        ],
    );
    assert_eq!(traced.status, 200);
    assert_eq!(traced.request_id.as_deref(), Some("ops-check-1"));
    let fresh = http.send("GET", "/healthz", &[]);
    let fresh_id = fresh.request_id.unwrap();
    assert_eq!(fresh_id.len(), 36, "a UUID: {fresh_id}");

    let text = std::fs::read_to_string(log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let answered: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"] == "answered")
        .collect();
    assert!(answered.len() > 20, "{text}");
    for line in &answered {
        let span = &line["span"];
        for field in ["request_id", "method", "route"] {
            assert!(span[field].is_string(), "{field} missing: {line}");
        }
        assert!(
            line["status"].is_u64() && line["latency_ms"].is_f64(),
            "{line}"
        );
        assert!(line["outcome"].is_string(), "{line}");
    }
    let ours = answered
        .iter()
        .find(|l| l["span"]["request_id"] == "ops-check-1")
        .expect("the caller's request id names its log line");
    assert_eq!(ours["span"]["subject"], "lee");
    assert_eq!(ours["span"]["route"], "/v1/programs");
    assert_eq!(ours["outcome"], "ok");
    assert!(
        answered
            .iter()
            .any(|l| l["span"]["subject"] == "sam" && l["span"]["route"] == PUSH),
        "pushes name their caller"
    );
    assert!(
        answered
            .iter()
            .any(|l| l["status"] == 401 && l["outcome"] == "refused"),
        "refused tokens are logged as refused"
    );

    // Nothing a person wrote and no token, anywhere in the log.
    let sample = roadbook_model::sample::builder_insights().unwrap();
    let mut secrets: Vec<String> = vec![
        lee.token.clone(),
        sam.token.clone(),
        ada.to_owned(),
        expired.to_owned(),
        "not-a-token".into(),
        "Bearer".into(),
        "Short-lived decision".into(),
        "Security signed off".into(),
        "Follow up".into(),
        "Wakes the long poll".into(),
    ];
    // Every title, name and text of the sample long enough not to occur by chance.
    secrets.extend(sample.labels().into_values().filter(|l| l.len() >= 12));
    for secret in &secrets {
        // A token's signature alone would give it away too.
        let needle = secret.rsplit('.').next().unwrap_or(secret);
        assert!(
            !text.contains(needle),
            "the log holds '{}…'",
            needle.chars().take(24).collect::<String>()
        );
    }
}

fn audit_trail(
    http: &Http,
    env: &[(String, String)],
    database_url: &str,
    program: &str,
    ada: &str,
    lee: &Person,
    issuer: &Issuer,
) {
    // Operator actions and break-glass use join the session's events.
    let granted = operator(
        env,
        &[
            "grant",
            program,
            "gus@example.test",
            "viewer",
            "--by",
            "Ada Admin",
        ],
    );
    assert!(granted.status.success());
    let roster = roadbook_harness::workspace().join("target/ops-roster.csv");
    std::fs::write(
        &roster,
        "person,email,team,org unit,manager\nLee Lead,lee@example.test,Platform,Builders,Ada Admin\n",
    )
    .unwrap();
    assert!(
        operator(
            env,
            &[
                "roster",
                "import",
                roster.to_str().unwrap(),
                "--by",
                "Ada Admin"
            ]
        )
        .status
        .success()
    );
    let oncall = token(issuer, "oncall", &[]);
    let glass = http.send(
        "GET",
        &format!("/v1/programs/{program}/changes?after=0&limit=1"),
        &[
            ("authorization", &format!("Bearer {oncall}")),
            (BREAK_GLASS_HEADER, "incident 42: a lead cannot sync"),
        ],
    );
    assert_eq!(glass.status, 200, "{}", glass.body);

    let events = |query: &str| -> Vec<Value> {
        let answer = http.get(&format!("/audit?{query}"), ada);
        assert_eq!(answer.status, 200, "{query}: {}", answer.body);
        answer.json()["events"].as_array().unwrap().clone()
    };
    let one = |query: &str| -> Value {
        let found = events(query);
        assert_eq!(found.len(), 1, "{query}: {found:?}");
        found[0].clone()
    };
    // Each sensitive action, found by its kind, with who did it.
    let scoped = format!("program={program}");
    assert_eq!(one(&format!("{scoped}&kind=publish"))["subject"], "lee");
    assert_eq!(one(&format!("{scoped}&kind=join"))["subject"], "sam");
    let delete = one(&format!("{scoped}&kind=delete"));
    assert_eq!(
        (delete["subject"].clone(), delete["kind"].clone()),
        (json!("lee"), json!("applied"))
    );
    let resolve = one(&format!("{scoped}&kind=resolve"));
    assert_eq!(resolve["subject"], "lee");
    assert_eq!(one(&format!("{scoped}&kind=conflict"))["subject"], "sam");
    assert_eq!(one(&format!("{scoped}&kind=rejected"))["subject"], "sam");
    assert_eq!(
        one(&format!("{scoped}&kind=document_issued"))["subject"],
        "lee"
    );
    let grant = one("kind=grant");
    assert_eq!(grant["subject"], "Ada Admin");
    assert_eq!(grant["program"], program);
    assert_eq!(grant["program_name"], "Builder Insights operationalization");
    assert_eq!(one("kind=roster_import")["subject"], "Ada Admin");
    let glass = one("kind=break_glass");
    assert_eq!(glass["subject"], "oncall");
    assert_eq!(glass["break_glass"], true);
    assert_eq!(glass["program"], program);
    assert_eq!(glass["detail"]["reason"], "incident 42: a lead cannot sync");

    // By person and by time; paging; bad filters say what is wrong.
    let all = events("");
    assert!(events("subject=sam").iter().all(|e| e["subject"] == "sam"));
    assert!(!events("subject=sam").is_empty());
    let first_at = all[0]["at"].as_str().unwrap();
    assert!(events(&format!("until={first_at}")).is_empty());
    assert_eq!(events(&format!("since={first_at}")).len(), all.len());
    assert!(events("since=2999-01-01").is_empty());
    let page = http.get("/audit?limit=2", ada).json();
    assert_eq!(page["events"].as_array().unwrap().len(), 2);
    assert_eq!(page["more"], true);
    let next = events(&format!("after={}", page["events"][1]["id"]));
    assert_eq!(next.len(), all.len() - 2);
    for (query, says) in [
        ("kind=deletion", "'deletion' is not a kind of audit event"),
        ("since=yesterday", "'yesterday' is not a date or time"),
        ("program=nope", "'nope' is not a program id"),
        ("format=xml", "'xml' is not a format"),
        ("colour=red", "program, subject, kind, since, until"),
    ] {
        let answer = http.get(&format!("/audit?{query}"), ada);
        assert_eq!(answer.status, 400, "{query}");
        assert!(
            answer.json()["message"].as_str().unwrap().contains(says),
            "{query}: {}",
            answer.body
        );
    }

    // CSV: the same events, one a line.
    let csv = http.get(&format!("/audit?{scoped}&format=csv"), ada);
    assert_eq!(csv.status, 200);
    let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
    assert_eq!(&reader.headers().unwrap()[5], "Kind");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), events(&scoped).len());
    assert!(rows.iter().any(|r| &r[6] == "delete" && &r[2] == "lee"));

    // Only admins read it.
    let refused = http.get("/audit", &lee.token);
    assert_eq!(refused.status, 403);
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("admin role")
    );
    assert_eq!(http.send("GET", "/audit", &[]).status, 401);

    // Nothing changes it: not the API (any method, any path under it) ...
    let bearer = format!("Bearer {ada}");
    for (method, path) in [
        ("DELETE", "/audit"),
        ("PUT", "/audit"),
        ("POST", "/audit"),
        ("PATCH", "/audit"),
        ("DELETE", "/audit/1"),
        ("PUT", "/audit/1"),
    ] {
        let answer = http.send(method, path, &[("authorization", &bearer)]);
        assert_eq!(answer.status, 405, "{method} {path}");
        assert!(
            answer.json()["message"]
                .as_str()
                .unwrap()
                .contains("read-only")
        );
    }
    // ... nor SQL through the server's own database role.
    for sql in [
        "UPDATE audit SET subject = 'someone else'",
        "DELETE FROM audit",
        "TRUNCATE audit",
    ] {
        let err = psql(database_url, sql).unwrap_err();
        assert!(
            err.contains("audit events are never changed or deleted"),
            "{sql}: {err}"
        );
    }
    let unchanged = events("");
    assert_eq!(unchanged[..all.len()], all[..], "the trail is as it was");

    // The operator's command line: the same trail, on the terminal or as CSV.
    let out = operator(env, &["audit", "--program", program, "--kind", "delete"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        said.contains("lee  applied (delete)") && said.contains("Builder Insights"),
        "{said}"
    );
    let file = roadbook_harness::workspace().join("target/ops-audit.csv");
    let out = operator(
        env,
        &[
            "audit",
            "--program",
            program,
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let mut reader = csv::Reader::from_path(&file).unwrap();
    assert_eq!(reader.records().count(), rows.len());
    let out = operator(env, &["audit", "--kind", "deletion"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("'deletion' is not a kind of audit event"),
        "{err}"
    );
}

/// `deploy/backup.sh`, as the runbook has an operator run it.
fn backup(args: &[&str]) -> String {
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
fn a_backup_restores_into_a_wiped_database_and_the_team_syncs_on_without_loss() {
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
fn a_client_ahead_of_a_restored_server_takes_the_whole_program_and_a_fresh_client_id() {
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
fn titles(export: &str) -> BTreeMap<String, String> {
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
fn a_restored_server_is_a_new_history_and_three_replicas_at_different_cursors_end_whole() {
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

#[test]
#[allow(clippy::too_many_lines)]
fn usage_counts_are_queued_only_when_shared_carry_no_program_text_and_admins_see_counts() {
    let issuer = Issuer::start();
    let dir = tempfile::tempdir().unwrap();
    let database_url = database();
    let env = server_env(&database_url, &issuer);
    let server = ServerProcess::start(env.clone());
    let http = Http::new(&server.url);
    let lee = Person {
        db: dir.path().join("lee.db"),
        token: token(&issuer, "lee", &["rb-leads"]),
    };
    let ada = token(&issuer, "ada", &["rb-admins"]);
    let waiting = || {
        roadbook_store::Store::open(&lee.db)
            .unwrap()
            .usage_waiting()
            .unwrap()
    };
    lee.ok(&["init", "--sample"]);
    lee.ok(&["publish", "--server", &server.url]);

    // Off unless turned on: the same work queues nothing and sends nothing.
    assert!(lee.ok(&["usage"]).starts_with("not sharing usage counts"));
    let memo = dir.path().join("memo.pdf");
    let memo = memo.to_str().unwrap();
    lee.ok(&["report", "memo", "--out", memo]);
    lee.ok(&["decision", "add", "--title", "Counted nowhere"]);
    lee.ok(&["sync"]);
    roadbook_store::Store::open(&lee.db)
        .unwrap()
        .note_usage(roadbook_model::UsageKind::ReviewRecorded)
        .unwrap();
    assert_eq!(waiting(), 0);
    let counts = http.get("/v1/usage", &ada);
    assert_eq!(counts.status, 200, "{}", counts.body);
    assert_eq!(counts.json(), json!([]));

    // Turned on: each kind is queued by the path that does it (the app's review and sign-in
    // commands call the same store method).
    assert!(lee.ok(&["usage", "on"]).starts_with("sharing usage counts"));
    for kind in ["readout", "memo", "packet", "dashboard", "register"] {
        let out = dir.path().join(format!("{kind}.pdf"));
        lee.ok(&["report", kind, "--out", out.to_str().unwrap()]);
    }
    {
        let mut store = roadbook_store::Store::open(&lee.db).unwrap();
        store
            .note_usage(roadbook_model::UsageKind::ReviewRecorded)
            .unwrap();
        store.note_usage(roadbook_model::UsageKind::SignIn).unwrap();
    }
    lee.ok(&["decision", "add", "--title", "Counted as a sync"]);
    assert_eq!(waiting(), 7);
    // What would leave the machine, as the protocol writes it: no title, name or text of the
    // program, nothing but ids, kinds and days.
    let queued = roadbook_store::Store::open(&lee.db)
        .unwrap()
        .queued_usage(100)
        .unwrap();
    let report = roadbook_sync::usage_report(&queued);
    let wire = serde_json::to_string(&report).unwrap();
    let sample = roadbook_model::sample::builder_insights().unwrap();
    let mut texts: Vec<String> = sample
        .labels()
        .into_values()
        .filter(|l| l.len() >= 5)
        .collect();
    texts.extend(["Counted as a sync".to_owned(), "Counted nowhere".to_owned()]);
    assert!(texts.len() > 30);
    for text in &texts {
        assert!(
            !wire.contains(text.as_str()),
            "a usage event carries '{text}'"
        );
    }
    let said = lee.ok(&["sync"]);
    assert!(said.contains("pushed 1"), "{said}");
    assert_eq!(waiting(), 0, "sent with the sync, then dropped");

    // Admins see counts; the server kept nothing more than kind and day.
    let counts = http.get("/v1/usage", &ada).json();
    let count = |kind: &str| {
        counts
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == kind)
            .map(|c| c["count"].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(
        (
            count("document_generated"),
            count("review_recorded"),
            count("sign_in")
        ),
        (5, 1, 1)
    );
    // The sync that sent them counted itself, and goes with the next one.
    assert_eq!(waiting(), 0);
    lee.ok(&["decision", "add", "--title", "Another"]);
    lee.ok(&["sync"]);
    let counts = http.get("/v1/usage", &ada).json();
    assert!(
        counts
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "sync_run" && c["count"].as_u64().unwrap() >= 1)
    );
    let stored = psql(
        &database_url,
        "SELECT coalesce(string_agg(row_to_json(u)::text, ' '), '') FROM usage_events u",
    )
    .unwrap();
    for text in &texts {
        assert!(
            !stored.contains(text.as_str()),
            "the server stored '{text}'"
        );
    }
    assert!(!stored.contains("lee"), "no person: {stored}");
    let out = operator(&env, &["usage", "--since", "2020-01-01"]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("Documents generated") && table.contains("Sign-ins"),
        "{table}"
    );

    // Only admins read the counts; the server takes nothing but kind and day, and a resend once.
    assert_eq!(http.get("/v1/usage", &lee.token).status, 403);
    let post = |body: &str| {
        let bearer = format!("Bearer {}", lee.token);
        let runtime = &http.runtime;
        runtime.block_on(async {
            let response = http
                .client
                .post(format!("{}/v1/usage", http.base))
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .header("authorization", bearer)
                .header("content-type", "application/json")
                .body(body.to_owned())
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    };
    let id = roadbook_model::Id::new();
    let event = format!(r#"{{"events":[{{"id":"{id}","kind":"sign_in","day":"2026-12-01"}}]}}"#);
    assert_eq!(post(&event), (200, r#"{"stored":1}"#.to_owned()));
    assert_eq!(post(&event), (200, r#"{"stored":0}"#.to_owned()));
    let (status, body) = post(&format!(
        r#"{{"events":[{{"id":"{}","kind":"sign_in","day":"2026-12-01","title":"Okta SSO"}}]}}"#,
        roadbook_model::Id::new()
    ));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("title"), "{body}");
    let (status, body) = post(&format!(
        r#"{{"events":[{{"id":"{}","kind":"decision_title","day":"2026-12-01"}}]}}"#,
        roadbook_model::Id::new()
    ));
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(&format!(
        r#"{{"events":[{{"id":"{}","kind":"sign_in","day":"yesterday"}}]}}"#,
        roadbook_model::Id::new()
    ));
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("'yesterday' is not a date"), "{body}");

    // Off again: what waited is dropped and nothing more is queued.
    lee.ok(&["report", "memo", "--out", memo]);
    assert_eq!(waiting(), 1);
    assert!(lee.ok(&["usage", "off"]).starts_with("not sharing"));
    assert_eq!(waiting(), 0);
    lee.ok(&["report", "memo", "--out", memo]);
    assert_eq!(waiting(), 0);
}

/// What the stand-in collector received: each OTLP/HTTP body posted to `/v1/traces`.
type Received = Arc<Mutex<Vec<Vec<u8>>>>;

/// A stand-in OpenTelemetry collector: its URL, what it received, and its stop switch.
fn collector() -> (String, Received, std::sync::mpsc::Sender<()>) {
    let received: Received = Arc::default();
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            kept.lock().unwrap().push(body.to_vec());
            async { "" }
        }),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stop = roadbook_harness::serve(listener, app);
    (url, received, stop)
}

#[test]
fn traces_go_to_the_collector_only_when_an_otlp_endpoint_is_set_and_carry_no_token() {
    let issuer = Issuer::start();
    let database_url = database();
    let (url, received, _stop) = collector();
    let lee = token(&issuer, "lee", &["rb-leads"]);

    // Unset: no exporter, nothing sent.
    let mut quiet = server_env(&database_url, &issuer);
    quiet.push(("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()));
    let server = ServerProcess::start(quiet);
    let http = Http::new(&server.url);
    assert_eq!(http.get("/v1/programs", &lee).status, 200);
    std::thread::sleep(Duration::from_millis(800));
    drop(server);
    assert!(
        received.lock().unwrap().is_empty(),
        "traces with no endpoint set"
    );

    // Set: each request's span reaches the collector, named by its route and caller.
    let mut traced = server_env(&database_url, &issuer);
    traced.push(("OTEL_EXPORTER_OTLP_ENDPOINT".into(), url.clone()));
    traced.push(("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()));
    let server = ServerProcess::start(traced);
    let http = Http::new(&server.url);
    assert_eq!(http.get("/v1/programs", &lee).status, 200);
    assert_eq!(http.get("/v1/programs", "not-a-token").status, 401);
    let deadline = Instant::now() + Duration::from_secs(10);
    let exported = loop {
        let bodies = received.lock().unwrap().concat();
        let text = String::from_utf8_lossy(&bodies).into_owned();
        if text.contains("/v1/programs") && text.contains("lee") {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "no span reached the collector: {text:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(exported.contains("roadbook-server"), "the service is named");
    assert!(exported.contains("request_id"));
    assert!(!exported.contains(&lee) && !exported.contains(lee.rsplit('.').next().unwrap()));
    assert!(!exported.contains("not-a-token"));

    // A bad endpoint is refused at start with what to give.
    let mut bad = server_env(&database_url, &issuer);
    bad.push((
        "OTEL_EXPORTER_OTLP_ENDPOINT".into(),
        "otel-collector:4318".into(),
    ));
    let out = Command::new(binary("roadbook-server"))
        .envs(bad.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("OTEL_EXPORTER_OTLP_ENDPOINT is 'otel-collector:4318'"),
        "{err}"
    );
}
