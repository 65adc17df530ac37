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

struct HttpReply {
    status: u16,
    request_id: Option<String>,
    body: String,
}

impl HttpReply {
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

    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> HttpReply {
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
            HttpReply {
                status,
                request_id,
                body,
            }
        })
    }

    fn get(&self, path: &str, token: &str) -> HttpReply {
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

mod restore;
mod telemetry;

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
