//! Team sync in the real webview: the app publishes the sample to a real `roadbook-server` on a
//! throwaway PostgreSQL cluster; a teammate joins with the `roadbook` command line; their
//! changes reach the app's open register without a click; both change one decision's status
//! while the app is offline and settle the conflict from the app; a change the server refuses
//! is shown with its reason and the next ones still sync.
//!
//! The app reaches the server through a relay the test can cut (its network going away); the
//! teammates reach it directly. Screenshots of the status states and the Team sync screen go
//! to `$ROADBOOK_SCREENSHOTS/team` (docs/images keeps copies).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use roadbook_e2e::*;
use roadbook_harness::{Issuer, Postgres, Proxy, ServerProcess, server_env};
use roadbook_model::{Id, Owner, OwnerKind};
use roadbook_store::Store;
use roadbook_sync::{HttpTransport, Token};

fn conflicts_of(db: &Path, token: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(&roadbook_as(
        db,
        &["conflicts", "--json"],
        &[("ROADBOOK_TOKEN", token)],
    ))
    .unwrap()
}

/// Waits until `check` holds of what the CLI replica says, syncing it each time.
fn until_cli(db: &Path, token: &str, what: &str, check: impl Fn(&Path) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        roadbook_as(db, &["sync"], &[("ROADBOOK_TOKEN", token)]);
        if check(db) {
            return;
        }
        assert!(Instant::now() < deadline, "the teammate never saw {what}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn decisions(db: &Path) -> Vec<serde_json::Value> {
    serde_json::from_str(&roadbook(db, &["decision", "list", "--json"])).unwrap()
}

/// One after the other: two webviews at once would share two cores.
#[tokio::test(flavor = "multi_thread")]
async fn team_sync_in_the_app() {
    a_team_shares_one_program_and_every_clash_reaches_a_person().await;
    killed_mid_sync_the_app_loses_nothing_and_applies_nothing_twice().await;
}

/// The people, the server and the app of one team session, shared by its steps. Fields drop in
/// order: the window's session before the app, the app before the server, the server before
/// its database.
struct Team {
    c: Client,
    /// The app: kept running while the steps go on.
    _desktop: Desktop,
    relay: Proxy,
    server: ServerProcess,
    issuer: Issuer,
    _postgres: Postgres,
    editor: String,
    db: PathBuf,
    cli: PathBuf,
    documents: PathBuf,
    shots: PathBuf,
    program: String,
    dir: tempfile::TempDir,
}

/// The decision the teammate adds and both then change.
const TITLE: &str = "Adopt the shared runbook template";

impl Team {
    async fn start() -> Team {
        let postgres = Postgres::start();
        let issuer = Issuer::start();
        let server = ServerProcess::start(server_env(&postgres.database("team"), &issuer));
        let relay = Proxy::start(&server.url);
        let lead = issuer.token("lee", "Lee Lead", &["rb-leads"]);
        let editor = issuer.token("cleo", "Cleo Editor", &["rb-editors"]);
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("app.db");
        let cli = dir.path().join("cli.db");
        let documents = dir.path().join("documents");
        std::fs::create_dir_all(&documents).unwrap();
        let desktop =
            Desktop::start_with(&db, &documents, "cpu", &[("ROADBOOK_TOKEN", lead.as_str())]);
        let shots = screenshots().join("team");
        std::fs::create_dir_all(&shots).unwrap();
        let c = desktop.session().await;
        Team {
            c,
            _desktop: desktop,
            relay,
            server,
            issuer,
            _postgres: postgres,
            editor,
            db,
            cli,
            documents,
            shots,
            program: String::new(),
            dir,
        }
    }

    async fn picture(&self, name: &str) {
        settled(&self.c).await;
        let png = screenshot(&self.c).await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }
}

/// Named steps, each on from where the one before left the team: a failure names its step.
async fn a_team_shares_one_program_and_every_clash_reaches_a_person() {
    let mut team = Team::start().await;
    the_lead_publishes_and_a_teammate_joins(&mut team).await;
    a_teammates_decision_reaches_the_open_register(&team).await;
    let subject = offline_edits_of_one_decision_meet_in_one_conflict(&team).await;
    the_conflict_is_seen_whole_blocks_sending_and_is_settled_whole(&team, &subject).await;
    a_refused_change_stays_until_the_person_discards_it(&team).await;
    a_teammates_readout_and_changes_reach_the_archive_and_history(&team).await;
}

async fn the_lead_publishes_and_a_teammate_joins(team: &mut Team) {
    // The lead starts on the sample; it lives on this computer only.
    click(&team.c, "[data-testid=start-sample]").await;
    text_until(&team.c, "[data-testid=sync-state]", |t| {
        t.contains("Only on this computer")
    })
    .await;

    // Settings: publish it to the team's server.
    go(&team.c, "settings").await;
    let address = css(&team.c, "[data-testid=server]").await;
    address.clear().await.unwrap();
    address.send_keys(&team.relay.url).await.unwrap();
    click(&team.c, "[data-testid=publish]").await;
    text_until(&team.c, "[data-testid=connected]", |t| {
        t.contains(&team.relay.url)
    })
    .await;
    text_until(&team.c, "[data-testid=sync-state]", |t| {
        t.starts_with("Synced")
    })
    .await;
    team.picture("sync-synced").await;

    // A teammate joins from the command line.
    team.program = {
        let out = roadbook(&team.db, &["programs"]);
        out.split_whitespace().next().unwrap().to_owned()
    };
    roadbook_as(
        &team.cli,
        &["join", "--server", &team.server.url, &team.program.clone()],
        &[("ROADBOOK_TOKEN", team.editor.as_str())],
    );
}

async fn a_teammates_decision_reaches_the_open_register(team: &Team) {
    // The teammate adds a decision; it appears in the app's open register, nobody clicking.
    go(&team.c, "decisions").await;
    roadbook(&team.cli, &["decision", "add", "--title", TITLE]);
    let pushed = Instant::now();
    roadbook_as(
        &team.cli,
        &["sync"],
        &[("ROADBOOK_TOKEN", team.editor.as_str())],
    );
    text_until(&team.c, "[data-testid=register-decision]", |t| {
        t.contains(TITLE)
    })
    .await;
    eprintln!(
        "a teammate's decision showed in the open register {} ms after their sync began",
        pushed.elapsed().as_millis()
    );
}

/// Offline, both change the same decision; back online they meet in one conflict. The
/// decision's id.
async fn offline_edits_of_one_decision_meet_in_one_conflict(team: &Team) -> String {
    // Offline, both change the same decision's status.
    let subject = decisions(&team.cli)
        .into_iter()
        .find(|d| d["title"] == serde_json::json!(TITLE))
        .unwrap();
    let subject_id = subject["id"].as_str().unwrap().to_owned();
    // An open editor is never overwritten under the person's cursor: it says what changed and
    // offers to reload.
    let search = css(&team.c, "[data-testid=search]").await;
    search.send_keys(TITLE).await.unwrap();
    click(&team.c, "[data-testid=row]").await;
    css(&team.c, "textarea[data-field=question]").await;
    roadbook(
        &team.cli,
        &[
            "decision",
            "set",
            &subject_id,
            "--question",
            "Which teams first?",
        ],
    );
    roadbook_as(
        &team.cli,
        &["sync"],
        &[("ROADBOOK_TOKEN", team.editor.as_str())],
    );
    text_until(&team.c, "[data-testid=changed-meanwhile]", |t| {
        t.contains("Question")
    })
    .await;
    let question = css(&team.c, "textarea[data-field=question]").await;
    assert_eq!(
        question.prop("value").await.unwrap().unwrap_or_default(),
        "",
        "overwritten under the cursor"
    );
    click(&team.c, "[data-testid=reload]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while question.prop("value").await.unwrap().unwrap_or_default() != "Which teams first?" {
        assert!(
            Instant::now() < deadline,
            "the reload did not bring the teammate's question"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    team.relay.cut();
    choose(&team.c, "select[data-field=status_id]", "Blocked").await;
    click(&team.c, "[data-testid=save]").await;
    text_until(&team.c, "[data-testid=sync-state]", |t| {
        t.contains("Offline") && t.contains("1 change waiting")
    })
    .await;
    team.picture("sync-offline").await;
    roadbook(
        &team.cli,
        &[
            "decision",
            "set",
            &subject_id,
            "--status",
            "Decided",
            "--outcome",
            "Okta for every region",
            "--rationale",
            "Security signed off",
        ],
    );
    roadbook_as(
        &team.cli,
        &["sync"],
        &[("ROADBOOK_TOKEN", team.editor.as_str())],
    );

    // Back online: the app's change meets the teammate's. One conflict, on both.
    team.relay.mend();
    text_until(&team.c, "[data-testid=sync-conflicts]", |t| {
        t == "1 conflict"
    })
    .await;
    text_until(&team.c, "[data-testid=register-decision]", |t| {
        t.contains("Conflict")
    })
    .await;
    team.picture("sync-conflict-status").await;
    until_cli(&team.cli, &team.editor, "the conflict", |db| {
        conflicts_of(db, &team.editor).len() == 1
    });

    subject_id
}

async fn the_conflict_is_seen_whole_blocks_sending_and_is_settled_whole(
    team: &Team,
    subject_id: &str,
) {
    // One conflict over the whole decision: the teammate's (Decided, with what and why) and
    // the lead's (Blocked, nothing decided), each with when it was made.
    click(&team.c, "[data-testid=sync-conflicts]").await;
    let shown = text_until(&team.c, "[data-testid=conflict]", |t| t.contains("Blocked")).await;
    assert!(shown.contains("What was decided"), "{shown}");
    assert!(shown.contains("Decided"), "{shown}");
    assert!(shown.contains("Okta for every region"), "{shown}");
    assert!(shown.contains("Cleo Editor"), "{shown}");
    let theirs = css(&team.c, "[data-testid=conflict-theirs]")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        theirs.contains("Okta for every region") && theirs.contains("Security signed off"),
        "{theirs}"
    );
    let mine = css(&team.c, "[data-testid=conflict-mine]")
        .await
        .text()
        .await
        .unwrap();
    assert!(mine.contains("Blocked") && !mine.contains("Okta"), "{mine}");
    assert!(
        css(
            &team.c,
            "[data-testid=conflict-mine] [data-testid=conflict-when]"
        )
        .await
        .text()
        .await
        .unwrap()
        .contains("made "),
        "when the lead made it, not only when it synced"
    );
    // A merged decision that contradicts itself (Decided, nothing decided) cannot be kept.
    click(&team.c, "[data-testid=conflict] [data-testid=merge]").await;
    css(&team.c, "[data-testid=merged-outcome]")
        .await
        .clear()
        .await
        .unwrap();
    css(&team.c, "[data-testid=merged-outcome]")
        .await
        .send_keys(" ")
        .await
        .unwrap();
    text_until(&team.c, "[data-testid=merged-problem]", |t| {
        t.contains("needs its outcome")
    })
    .await;
    assert!(
        css(&team.c, "[data-testid=keep-merged]")
            .await
            .attr("disabled")
            .await
            .unwrap()
            .is_some(),
        "a contradiction cannot be sent"
    );
    team.picture("sync-conflicts-screen").await;
    // The conflict screen, as a screen reader and a keyboard meet it.
    let found = accessibility_violations(&team.c).await;
    assert!(found.is_empty(), "{}", found.join("\n"));

    // With it open, the check before sending says so first, and issuing asks before it goes;
    // the archive entry says what it went out with.
    go(&team.c, "documents").await;
    text_until(&team.c, "[data-testid=check]", |t| {
        t.contains("Conflicts still open")
    })
    .await;
    click(&team.c, "[data-testid=generate]").await;
    css(&team.c, "canvas[data-testid=preview-page]").await;
    click(&team.c, "[data-testid=save-document]:not([disabled])").await;
    text_until(&team.c, "[data-testid=open-conflicts]", |t| {
        t.contains("A conflict is open") && t.contains(TITLE)
    })
    .await;
    let pdfs = || {
        std::fs::read_dir(&team.documents)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "pdf")
            })
            .count()
    };
    assert_eq!(pdfs(), 0, "nothing issued before the person says so");
    click(&team.c, "[data-testid=issue-anyway]").await;
    text_until(&team.c, "[data-testid=issued-with-conflicts]", |t| {
        t.contains("Issued with a conflict open")
    })
    .await;
    assert_eq!(pdfs(), 1);
    go(&team.c, "team-sync").await;
    click(&team.c, "[data-testid=conflict] [data-testid=keep-mine]").await;
    text_until(&team.c, "[data-testid=no-conflicts]", |t| {
        t.contains("No conflicts")
    })
    .await;
    until_cli(&team.cli, &team.editor, "the conflict settled", |db| {
        conflicts_of(db, &team.editor).is_empty()
    });
    let settled = decisions(&team.cli)
        .into_iter()
        .find(|d| d["id"] == serde_json::json!(subject_id))
        .unwrap();
    let blocked = roadbook(&team.cli, &["decision", "list"]);
    assert!(
        blocked.contains("Blocked"),
        "the lead's choice did not reach the teammate: {settled}"
    );
    // Kept whole: no outcome or rationale of the teammate's left under a Blocked status.
    assert_eq!(
        (settled["outcome"].clone(), settled["rationale"].clone()),
        (serde_json::json!(""), serde_json::json!("")),
        "{settled}"
    );
}

async fn a_refused_change_stays_until_the_person_discards_it(team: &Team) {
    // A change the server refuses: a third teammate adds an owner, and deletes it while the app
    // is offline; the app, not knowing, gives a new action to that owner.
    let dana = Arc::new(Mutex::new(
        Store::open(team.dir.path().join("dana.db")).unwrap(),
    ));
    let dana_client = roadbook_sync::Client::new(
        HttpTransport::new(
            &team.server.url,
            Token::new(team.issuer.token("dana", "Dana Lead", &["rb-leads"])),
        )
        .unwrap(),
    );
    let program_id: Id = team.program.parse().unwrap();
    dana_client.join(&dana, program_id).await.unwrap();
    let owner = Owner {
        id: Id::new(),
        name: "Interim Platform Owner".into(),
        short_name: None,
        kind: OwnerKind::Placeholder,
        team_id: None,
    };
    dana.lock()
        .unwrap()
        .create(program_id, &owner, "Dana Lead")
        .unwrap();
    dana_client.sync(&dana, program_id).await.unwrap();
    go(&team.c, "actions").await;
    click(&team.c, "[data-testid=new]").await;
    // The app has the owner (it came live) before its network goes.
    text_until(&team.c, "select[data-field=owner_id]", |t| {
        t.contains("Interim Platform Owner")
    })
    .await;
    choose(
        &team.c,
        "select[data-field=owner_id]",
        "Interim Platform Owner",
    )
    .await;
    team.relay.cut();
    dana.lock().unwrap().delete(owner.id, "Dana Lead").unwrap();
    dana_client.sync(&dana, program_id).await.unwrap();
    css(&team.c, "[data-field=text]")
        .await
        .send_keys("Hand the runbook to the interim owner")
        .await
        .unwrap();
    click(&team.c, "[data-testid=save]").await;
    team.relay.mend();
    text_until(&team.c, "[data-testid=sync-rejected]", |t| {
        t == "1 rejected change"
    })
    .await;
    click(&team.c, "[data-testid=sync-rejected]").await;
    let reason = text_until(&team.c, "[data-testid=rejected]", |t| {
        t.contains("Hand the runbook")
    })
    .await;
    assert!(
        reason.contains("Owner: refers to an owner that is no longer in this program"),
        "the server's reason is shown: {reason}"
    );
    team.picture("sync-rejected").await;

    // The next edits still sync.
    go(&team.c, "decisions").await;
    let search = css(&team.c, "[data-testid=search]").await;
    search.clear().await.unwrap();
    search.send_keys(TITLE).await.unwrap();
    click(&team.c, "[data-testid=row]").await;
    let question = css(&team.c, "textarea[data-field=question]").await;
    question.clear().await.unwrap();
    question
        .send_keys("Which teams adopt it first?")
        .await
        .unwrap();
    click(&team.c, "[data-testid=save]").await;
    until_cli(
        &team.cli,
        &team.editor,
        "the edit after the refusal",
        |db| {
            decisions(db)
                .iter()
                .any(|d| d["question"] == serde_json::json!("Which teams adopt it first?"))
        },
    );
    // The refused change is still there: nothing disappears without the person choosing it.
    go(&team.c, "team-sync").await;
    text_until(&team.c, "[data-testid=rejected]", |t| {
        t.contains("Hand the runbook")
    })
    .await;
    click(&team.c, "[data-testid=discard]").await;
    click(&team.c, "[data-testid=discard-confirm]").await;
    text_until(&team.c, "[data-testid=no-rejected]", |t| !t.is_empty()).await;
    text_until(&team.c, "[data-testid=sync-state]", |t| {
        t.starts_with("Synced")
    })
    .await;
}

async fn a_teammates_readout_and_changes_reach_the_archive_and_history(team: &Team) {
    // A readout the teammate issues reaches the app's archive, and renders there byte for byte.
    let readout = team.dir.path().join("readout.pdf");
    roadbook(
        &team.cli,
        &["report", "readout", "--out", readout.to_str().unwrap()],
    );
    roadbook_as(
        &team.cli,
        &["sync"],
        &[("ROADBOOK_TOKEN", team.editor.as_str())],
    );
    go(&team.c, "documents").await;
    let archived = text_until(&team.c, "[data-testid=archived]", |t| {
        t.contains("Leadership Readout")
    })
    .await;
    assert!(archived.contains("from Cleo Editor"), "{archived}");
    click(&team.c, "[data-testid=archived] [data-testid=reopen]").await;
    let checked = text_until(&team.c, "[data-testid=document-saved]", |t| {
        t.contains("byte for byte")
    })
    .await;
    assert!(checked.contains("CLI Lead"), "{checked}");
    team.picture("sync-archive").await;

    // History names the teammates, and filters by person.
    go(&team.c, "history").await;
    choose(&team.c, "[data-testid=history-person]", "Cleo Editor").await;
    let history = text_until(&team.c, "[data-testid=history]", |t| t.contains(TITLE)).await;
    assert!(
        !history.contains("E2E Lead"),
        "filtered by person: {history:.400}"
    );
}

/// Edits `count` decision titles through the app's own IPC, as fast as the person's editor
/// could send them.
async fn many_edits(c: &Client, count: usize, round: usize) -> serde_json::Value {
    let done = c
        .execute_async(
            "const [count, round, done] = arguments;
             const invoke = window.__TAURI_INTERNALS__.invoke;
             (async () => {
               const program = (await invoke('startup')).programs[0].id;
               const last = {};
               for (let i = 0; i < count; i++) {
                 const loaded = await invoke('load_handbook', { program });
                 const d = loaded.handbook.decisions[i % loaded.handbook.decisions.length];
                 const title = `Round ${round} edit ${i}`;
                 await invoke('edit_item', { program, kind: 'decision', id: d.id,
                   edits: { title: { value: title, seen: loaded.revisions[d.id].title ?? 0 } } });
                 last[d.id] = title;
               }
               done(last);
             })().catch((e) => done({ error: String(e.message ?? JSON.stringify(e)) }));",
            vec![json!(count), json!(round)],
        )
        .await;
    // Cut short by the kill: what was written is in the database.
    done.unwrap_or_default()
}

/// SIGKILL to the app while it syncs a burst of edits, three times at different moments; each
/// restart finishes the job: every edit reaches the team once, none twice, none lost.
async fn killed_mid_sync_the_app_loses_nothing_and_applies_nothing_twice() {
    let postgres = Postgres::start();
    let issuer = Issuer::start();
    let database = postgres.database("killed");
    let server = ServerProcess::start(server_env(&database, &issuer));
    let lead = issuer.token("lee", "Lee Lead", &["rb-leads"]);
    let editor = issuer.token("cleo", "Cleo Editor", &["rb-editors"]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let cli = dir.path().join("cli.db");
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    roadbook(&db, &["init", "--sample"]);
    roadbook_as(
        &db,
        &["publish", "--server", &server.url],
        &[("ROADBOOK_TOKEN", lead.as_str())],
    );
    let program: String = roadbook(&db, &["programs"])
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    roadbook_as(
        &cli,
        &["join", "--server", &server.url, &program],
        &[("ROADBOOK_TOKEN", editor.as_str())],
    );
    let (client, published_through) = {
        let store = Store::open(&db).unwrap();
        let program: Id = program.parse().unwrap();
        (store.client_id(), store.next_seq(program).unwrap() - 1)
    };

    for (round, wait_ms) in [(1, 400), (2, 900), (3, 1500)] {
        let desktop =
            Desktop::start_with(&db, &documents, "cpu", &[("ROADBOOK_TOKEN", lead.as_str())]);
        let c = desktop.session().await;
        text_until(&c, "[data-testid=sync-state]", |t| t.starts_with("Synced")).await;
        // A burst of edits, each synced soon after it is made; the kill lands while edits and
        // their syncs are still under way, at a different moment each round.
        let editing = {
            let c = c.clone();
            tokio::spawn(async move { many_edits(&c, 200, round).await })
        };
        // Not a wait for something: the moment of the kill is what each round varies.
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        let (pid, _) = app_process(&db).expect("the app's process");
        std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap();
        let _ = editing.await;
        let waiting = Store::open(&db).unwrap().outbox(None).unwrap().len();
        eprintln!("round {round}: killed {wait_ms} ms into the edits, {waiting} of them waiting");
        drop(c);
        drop(desktop);
    }
    // What the app had acknowledged (written to its database) when it was killed the last time.
    let acknowledged = Store::open(&db).unwrap();
    let program_id: Id = program.parse().unwrap();
    let titles: std::collections::BTreeMap<String, String> = acknowledged
        .load(program_id)
        .unwrap()
        .decisions
        .iter()
        .map(|d| (d.id.to_string(), d.title.clone()))
        .collect();
    // The sample's import numbered its items before the publish took them all at once.
    let edits = acknowledged.next_seq(program_id).unwrap() - 1 - published_through;
    drop(acknowledged);
    assert!(edits > 0, "no edit was made before the kills");
    // Once more, and this time let it finish: the status says all is sent.
    let desktop = Desktop::start_with(&db, &documents, "cpu", &[("ROADBOOK_TOKEN", lead.as_str())]);
    let c = desktop.session().await;
    let settled = text_until(&c, "[data-testid=sync-status]", |t| {
        t.contains("Synced") && !t.contains("waiting")
    })
    .await;
    assert!(
        !settled.contains("rejected") && !settled.contains("conflict"),
        "{settled}"
    );

    // Every edit applied exactly once: one change per edit in the server's log, each with its own
    // sequence number of the app's client; none lost: the teammate sees every title as the app
    // had it.
    let db_name = database.rsplit('/').next().unwrap();
    let counted = postgres.psql(
        db_name,
        &format!(
            "SELECT count(*) || ' ' || count(DISTINCT client_seq) FROM changes
             WHERE client_id = '{client}' AND client_seq > {published_through}"
        ),
    );
    assert_eq!(
        counted.trim(),
        format!("{edits} {edits}"),
        "changes from the app's client"
    );
    roadbook_as(&cli, &["sync"], &[("ROADBOOK_TOKEN", editor.as_str())]);
    for d in decisions(&cli) {
        let id = d["id"].as_str().unwrap();
        assert_eq!(
            Some(&d["title"]),
            titles.get(id).map(|t| serde_json::json!(t)).as_ref(),
            "an acknowledged edit was lost"
        );
    }
    assert!(Store::open(&db).unwrap().outbox(None).unwrap().is_empty());
    drop(c);
}
