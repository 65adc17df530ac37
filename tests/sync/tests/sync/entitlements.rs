//! Who may see and change a program on a deployed server: roles from groups (the mapping in a
//! file, reloaded without a restart), roles granted on one program, programs scoped to an org
//! unit of the imported roster, the break-glass path, and the access review — through the real
//! `roadbook-server` binary and its operator commands on PostgreSQL.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use roadbook_harness::{Issuer, ServerProcess, binary, server_env};
use roadbook_model::Id;
use roadbook_protocol::{BREAK_GLASS_HEADER, ProgramInfo, Role};
use roadbook_sync::{HttpTransport, Token, Transport, TransportError};
use roadbook_sync_tests::{database, operator, token_with_email as token};
use serde_json::json;

struct Caller {
    transport: HttpTransport,
    runtime: tokio::runtime::Runtime,
}

impl Caller {
    fn new(url: &str, token: String) -> Caller {
        Caller {
            transport: HttpTransport::new(url, Token::new(token)).unwrap(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    fn programs(&self) -> Result<Vec<ProgramInfo>, TransportError> {
        self.runtime.block_on(self.transport.programs())
    }

    fn role(&self) -> Option<Role> {
        self.programs().unwrap().first().map(|p| p.role)
    }

    fn pull(&self, program: Id) -> Result<(), TransportError> {
        self.runtime
            .block_on(self.transport.pull(program, 0, 10, None))
            .map(|_| ())
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn access_comes_from_groups_grants_the_roster_and_break_glass_and_the_review_lists_it() {
    let issuer = Issuer::start();
    let dir = tempfile::tempdir().unwrap();
    let roles = dir.path().join("roles.toml");
    write(
        &roles,
        "\"rb-leads\" = \"lead\"\n\"rb-editors\" = \"editor\"\n",
    );
    let mut env: Vec<(String, String)> = server_env(&database(), &issuer)
        .into_iter()
        .filter(|(k, _)| k != "ROADBOOK_ROLES")
        .collect();
    env.push(("ROADBOOK_ROLES_FILE".into(), roles.display().to_string()));
    env.push(("ROADBOOK_BREAK_GLASS".into(), "oncall".into()));
    let log = dir.path().join("server.log");
    let server = ServerProcess::start_logging(env.clone(), Some(&log));

    let lee = token(&issuer, "lee", "Lee Lead", &["rb-leads"]);
    let db = dir.path().join("lee.db");
    let roadbook = |args: &[&str]| {
        let out = Command::new(binary("roadbook"))
            .arg("--db")
            .arg(&db)
            .args(args)
            .env("ROADBOOK_TOKEN", &lee)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let program: Id = roadbook(&["init", "--sample"]).trim().parse().unwrap();
    roadbook(&["publish", "--server", &server.url]);
    let lee = Caller::new(&server.url, lee);
    let sam = Caller::new(
        &server.url,
        token(&issuer, "sam", "Sam Editor", &["rb-editors"]),
    );
    let eve = Caller::new(
        &server.url,
        token(&issuer, "eve", "Eve Editor", &["rb-editors"]),
    );
    let gus = Caller::new(&server.url, token(&issuer, "gus", "Gus Guest", &[]));

    // Groups give roles; no group, no access.
    assert_eq!(lee.role(), Some(Role::Lead));
    assert_eq!(sam.role(), Some(Role::Editor));
    assert_eq!(gus.programs().unwrap_err().code(), Some("forbidden"));

    // A grant on the program gives a role there.
    let said = operator(
        &env,
        &[
            "grant",
            &program.to_string(),
            "gus@example.test",
            "viewer",
            "--by",
            "Lee Lead",
        ],
    );
    assert!(said.contains("gus@example.test is viewer"), "{said}");
    assert_eq!(gus.role(), Some(Role::Viewer));
    gus.pull(program).unwrap();

    // The mapping file changes: the server applies it without a restart.
    write(
        &roles,
        "\"rb-leads\" = \"lead\"\n\"rb-editors\" = \"viewer\"\n",
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while sam.role() != Some(Role::Viewer) {
        assert!(Instant::now() < deadline, "the new mapping never applied");
        std::thread::sleep(Duration::from_millis(200));
    }
    // A file that does not read keeps the mapping in force, loudly: a metric an alert
    // watches says so until the file reads again.
    let unreadable = || {
        let metrics = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(roadbook_sync_tests::metrics_text(&server.url));
        metrics
            .lines()
            .find_map(|l| l.strip_prefix("roadbook_roles_file_unreadable "))
            .map(|v| v.trim().to_owned())
    };
    assert_eq!(unreadable().as_deref(), Some("0"));
    write(&roles, "\"rb-editors\" = \"owner\"\n");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(sam.role(), Some(Role::Viewer));
    assert_eq!(lee.role(), Some(Role::Lead));
    assert_eq!(unreadable().as_deref(), Some("1"));
    write(
        &roles,
        "\"rb-leads\" = \"lead\"\n\"rb-editors\" = \"viewer\"\n",
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while unreadable().as_deref() != Some("0") {
        assert!(Instant::now() < deadline, "the metric never cleared");
        std::thread::sleep(Duration::from_millis(200));
    }

    // A server whose role map does not read at start does not start.
    let broken = dir.path().join("broken-roles.toml");
    write(&broken, "\"rb-editors\" = \"owner\"\n");
    let mut broken_env = env.clone();
    for (k, v) in &mut broken_env {
        if k == "ROADBOOK_ROLES_FILE" {
            *v = broken.display().to_string();
        }
        if k == "ROADBOOK_LISTEN" {
            *v = format!("127.0.0.1:{}", roadbook_harness::free_port());
        }
    }
    let refused = Command::new(binary("roadbook-server"))
        .arg("serve")
        .envs(broken_env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("broken-roles.toml") && said.contains("owner"),
        "{said}"
    );

    // The roster, and the program scoped to an org unit: an editor group from another unit
    // sees nothing of it, nor does a grant to someone outside the roster.
    let roster = dir.path().join("roster.csv");
    write(
        &roster,
        "Person,Email,Team,Org unit,Manager\n\
         Lee Lead,lee@example.test,Insights,Platform,Ada\n\
         Sam Editor,sam@example.test,Insights,Platform,Lee Lead\n\
         Eve Editor,eve@example.test,Field,Sales,Bo\n",
    );
    let roster_arg = roster.display().to_string();
    let said = operator(&env, &["roster", "import", &roster_arg, "--by", "Ops"]);
    assert!(
        said.contains("Imported 3 people")
            && said.contains("Added: eve@example.test, lee@example.test, sam@example.test"),
        "{said}"
    );
    let said = operator(
        &env,
        &[
            "scope",
            &program.to_string(),
            "--org-unit",
            "Platform",
            "--by",
            "Ops",
        ],
    );
    assert!(said.contains("members of Platform"), "{said}");
    assert!(eve.programs().unwrap().is_empty());
    assert_eq!(eve.pull(program).unwrap_err().code(), Some("not_found"));
    assert!(gus.programs().unwrap().is_empty());
    assert_eq!(sam.role(), Some(Role::Viewer));
    sam.pull(program).unwrap();

    // A bad roster changes nothing.
    let bad = dir.path().join("bad.csv");
    write(
        &bad,
        "person,email,team,org unit,manager\nNo Mail,,T,Platform,A\n",
    );
    let out = Command::new(binary("roadbook-server"))
        .args([
            "roster",
            "import",
            &bad.display().to_string(),
            "--by",
            "Ops",
        ])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing changed"));
    sam.pull(program).unwrap();

    // An import that leaves Sam out ends Sam's access at once.
    write(
        &roster,
        "person,email,team,org unit,manager\n\
         Lee Lead,lee@example.test,Insights,Platform,Ada\n\
         Eve Editor,eve@example.test,Field,Sales,Bo\n",
    );
    let said = operator(&env, &["roster", "import", &roster_arg, "--by", "Ops"]);
    assert!(said.contains("Removed: sam@example.test"), "{said}");
    assert_eq!(sam.pull(program).unwrap_err().code(), Some("not_found"));
    assert!(sam.programs().unwrap().is_empty());

    // Break-glass: only a listed subject, only with a reason, audited and loud.
    let http = reqwest::Client::new();
    let changes = format!(
        "{}/v1/programs/{program}/changes?after=0&limit=5",
        server.url
    );
    let ask = |who: &str, reason: &str| {
        lee.runtime.block_on(async {
            http.get(&changes)
                .header(
                    "roadbook-protocol",
                    roadbook_protocol::PROTOCOL_VERSION.to_string(),
                )
                .bearer_auth(token(&issuer, who, who, &[]))
                .header(BREAK_GLASS_HEADER, reason)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    assert_eq!(ask("oncall", " "), 400);
    assert_eq!(ask("mallory", "curious"), 403);
    assert_eq!(ask("oncall", "incident 4711: the lead is away"), 200);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("break-glass access"), "{logged}");

    // The review: exactly who is entitled and how, and the break-glass use.
    let review = dir.path().join("review.csv");
    let said = operator(
        &env,
        &["access-review", "--out", &review.display().to_string()],
    );
    assert!(said.contains("2 entitlements"), "{said}");
    let mut reader = csv::Reader::from_path(&review).unwrap();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0][0], "Builder Insights operationalization");
    assert_eq!(rows[0][1], "Lee Lead");
    assert_eq!(rows[0][2], "lee@example.test");
    assert_eq!(rows[0][3], "lead");
    assert_eq!(rows[0][4], "group rb-leads; roster: member of Platform");
    assert!(rows[0][5].starts_with(&chrono_today()), "{:?}", rows[0]);
    assert_eq!(rows[1][1], "oncall");
    assert_eq!(rows[1][3], "admin (break-glass)");
    assert!(rows[1][4].contains("incident 4711"), "{:?}", rows[1]);

    // The same review as a PDF, read as a person's viewer would.
    let pdf = dir.path().join("review.pdf");
    operator(
        &env,
        &[
            "access-review",
            "--out",
            &pdf.display().to_string(),
            "--by",
            "Ops Review",
        ],
    );
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (make test installs poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout).replace('\n', " ");
    for expected in [
        "Access Review",
        "Prepared by Ops Review",
        "Lee Lead",
        "group rb-leads",
        "Break-glass use since",
        "incident 4711",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    assert!(!text.contains("Sam Editor"), "{text}");
    let wrong = Command::new(binary("roadbook-server"))
        .args(["access-review", "--out", "review.txt"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("neither .csv nor .pdf"));
}

fn chrono_today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// A GET as `token` (with a break-glass reason, when given): the status and the body.
fn get(url: &str, token: &str, reason: Option<&str>) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut request = reqwest::Client::new()
            .get(url)
            .header(
                "roadbook-protocol",
                roadbook_protocol::PROTOCOL_VERSION.to_string(),
            )
            .bearer_auth(token);
        if let Some(reason) = reason {
            request = request.header(BREAK_GLASS_HEADER, reason);
        }
        let answer = request.send().await.unwrap();
        (answer.status().as_u16(), answer.text().await.unwrap())
    })
}

#[test]
fn a_person_is_their_subject_and_break_glass_is_bounded_named_and_audited() {
    let issuer = Issuer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut env = server_env(&database(), &issuer);
    env.push(("ROADBOOK_BREAK_GLASS".into(), "oncall".into()));
    env.push(("ROADBOOK_BREAK_GLASS_SECONDS".into(), "2".into()));
    env.push(("ROADBOOK_BREAK_GLASS_PER_DAY".into(), "2".into()));
    let server = ServerProcess::start(env.clone());
    let lee = token(&issuer, "lee", "Lee Lead", &["rb-leads"]);
    let db = dir.path().join("lee.db");
    let run = |args: &[&str]| {
        roadbook_sync_tests::roadbook(&db, &lee, args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    };
    let program: Id = run(&["init", "--sample"]).trim().parse().unwrap();
    run(&["publish", "--server", &server.url]);
    let roster = dir.path().join("roster.csv");
    write(
        &roster,
        "Person,Email,Team,Org unit,Manager\n\
         Lee Lead,lee@example.test,Insights,Platform,Ada\n\
         Sam Editor,sam@example.test,Insights,Platform,Lee Lead\n\
         Ann Analyst,ann@example.test,Insights,Platform,Lee Lead\n",
    );
    operator(
        &env,
        &[
            "roster",
            "import",
            &roster.display().to_string(),
            "--by",
            "Ops",
        ],
    );
    operator(
        &env,
        &[
            "scope",
            &program.to_string(),
            "--org-unit",
            "Platform",
            "--by",
            "Ops",
        ],
    );
    let changes = format!(
        "{}/v1/programs/{program}/changes?after=0&limit=1",
        server.url
    );

    // Sam's sign-in holds Sam's email; a token of another subject carrying it gets nothing of
    // Sam's, nor does one whose issuer did not vouch for its email.
    let sam = token(&issuer, "sam", "Sam Editor", &["rb-editors"]);
    assert_eq!(get(&changes, &sam, None).0, 200);
    let mut claims = issuer.claims("mallory", "Mallory", &["rb-editors"]);
    claims["email"] = json!("sam@example.test");
    claims["email_verified"] = json!(true);
    let borrowed = issuer.sign(&claims);
    assert_eq!(get(&changes, &borrowed, None).0, 404);
    let listed = get(&format!("{}/v1/programs", server.url), &borrowed, None);
    assert_eq!(listed, (200, "[]".to_owned()));
    let mut claims = issuer.claims("ann", "Ann Analyst", &["rb-editors"]);
    claims["email"] = json!("ann@example.test");
    claims["email_verified"] = json!(false);
    assert_eq!(get(&changes, &issuer.sign(&claims), None).0, 404);
    // An operator lets the email move to a new subject (Sam's account made again).
    let said = operator(&env, &["unbind", "sam@example.test", "--by", "Ops"]);
    assert!(said.contains("held by no subject now"), "{said}");
    assert_eq!(get(&changes, &borrowed, None).0, 200);

    // A token valid for a hundred years is refused.
    let mut claims = issuer.claims("lee", "Lee Lead", &["rb-leads"]);
    claims["exp"] = json!(roadbook_harness::now() + 100 * 365 * 86_400);
    assert_eq!(get(&changes, &issuer.sign(&claims), None).0, 401);

    // Break-glass through a percent-encoded program id still names the program in the trail.
    let oncall = token(&issuer, "oncall", "On Call", &[]);
    let encoded: String = program
        .to_string()
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    let sneaky = format!(
        "{}/v1/programs/{encoded}/changes?after=0&limit=1",
        server.url
    );
    assert_eq!(get(&sneaky, &oncall, Some("incident 4711")).0, 200);
    let trail = operator(&env, &["audit", "--kind", "break_glass"]);
    assert!(
        trail.contains("BREAK-GLASS  Builder Insights operationalization"),
        "{trail}"
    );
    // A reason is bounded; its time runs out; a person opens few a day; each refusal is in the
    // trail.
    assert_eq!(get(&changes, &oncall, Some(&"x".repeat(501))).0, 400);
    assert_eq!(get(&changes, &oncall, Some("incident 4711")).0, 200);
    std::thread::sleep(Duration::from_secs(3));
    let (status, body) = get(&changes, &oncall, Some("incident 4711"));
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("a new emergency needs a new reason"),
        "{body}"
    );
    assert_eq!(get(&changes, &oncall, Some("incident 4712")).0, 200);
    let (status, body) = get(&changes, &oncall, Some("incident 4713"));
    assert_eq!(status, 429, "{body}");
    // A reason opens one program, never the server: not the list, not the trail.
    for route in ["/v1/programs", "/audit"] {
        let (status, body) = get(
            &format!("{}{route}", server.url),
            &oncall,
            Some("incident 4712"),
        );
        assert_eq!(status, 400, "{route}: {body}");
        assert!(body.contains("opens one program"), "{body}");
    }
    let refused = operator(&env, &["audit", "--kind", "break_glass_refused"]);
    assert_eq!(refused.lines().count(), 5, "{refused}");
    // Refusals fill the trail only up to an hourly allowance per person (20), then are
    // answered 429 and logged only.
    let gus = token(&issuer, "gus", "Gus Guest", &[]);
    let statuses: Vec<u16> = (0..25)
        .map(|_| get(&changes, &gus, Some("let me in")).0)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 403).count(),
        20,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        5,
        "{statuses:?}"
    );
    let refused = operator(&env, &["audit", "--kind", "break_glass_refused"]);
    assert_eq!(refused.lines().count(), 25, "{refused}");

    // Usage counts need a role.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status =
        runtime.block_on(async {
            reqwest::Client::new()
            .post(format!("{}/v1/usage", server.url))
            .header("roadbook-protocol", roadbook_protocol::PROTOCOL_VERSION.to_string())
            .bearer_auth(&gus)
            .json(&json!({"events": [{"id": Id::new(), "kind": "sync_run", "day": "2026-12-01"}]}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
        });
    assert_eq!(status, 403);
    drop(server);
}
