//! The desktop app driven as a person would: the real binary in its real webview under Xvfb,
//! through tauri-driver and WebKitWebDriver. `make test` builds the app first and runs this.
//!
//! Screenshots of every screen go to `$ROADBOOK_SCREENSHOTS/{cpu,gpu}` (default
//! `target/e2e-screenshots/{cpu,gpu}`).

// A test that fails should stop at once with the value that was wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;
use std::time::{Duration, Instant};

use roadbook_e2e::*;

/// The first column of every row the decision register shows, in order.
async fn decision_order(c: &Client) -> Vec<String> {
    let value = c
        .execute(
            "return [...document.querySelectorAll('[data-testid=register-decision] [data-testid=row]')]
                .map((r) => r.querySelector('.cell').textContent.trim());",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(value).unwrap()
}

/// Both ways WebKit draws the window: the CPU renderer, which a machine without a GPU gets (CI's
/// Xvfb among them), and GPU compositing, which a machine with one gets (Mesa's software GL here).
/// One after the other: two webviews at once would share two cores.
/// What the webview sends is checked on the Rust side: bad input over IPC is refused with the
/// `{code, message}` the UI shows (or Tauri's own message for arguments of the wrong type), and
/// nothing changes.
async fn ipc_refuses_bad_input_and_changes_nothing(c: &Client) {
    let result = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const invoke = window.__TAURI_INTERNALS__.invoke;
             (async () => {
               const program = (await invoke('startup')).programs[0].id;
               const before = JSON.stringify(await invoke('load_handbook', { program }));
               const loaded = await invoke('load_handbook', { program });
               const decision = loaded.handbook.decisions[0];
               const seen = loaded.revisions[decision.id];
               const id = decision.id;
               const unknown = '0192f0c1-7a3e-7cc2-9d4e-3b1f0a2c4d5e';
               const edit = (field, value) => ({ program, kind: 'decision', id, edits: { [field]: { value, seen: seen[field] ?? 0 } } });
               const attempts = [
                 ['create_item', { program, kind: 'decision', item: { id: unknown, title: 'x' } }],
                 ['edit_item', edit('status_id', unknown)],
                 ['edit_item', edit('due', '2026-02-30')],
                 ['create_item', { program, kind: 'spaceship', item: {} }],
                 ['edit_item', edit('colour', '#000000')],
                 ['edit_item', { program, kind: 'decision', id, edits: { title: { value: 'x' } } }],
                 ['move_item', { id: unknown, before: null }],
                 ['delete_item', { id: 'not-an-id' }],
                 ['history', { program, item: null, since: 'last tuesday' }],
               ];
               const refused = [];
               for (const [command, args] of attempts) {
                 try { await invoke(command, args); refused.push(null); }
                 catch (e) { refused.push(e); }
               }
               const after = JSON.stringify(await invoke('load_handbook', { program }));
               return { refused, unchanged: before === after };
             })().then(done, (e) => done({ failed: String(e) }));",
            vec![],
        )
        .await
        .unwrap();
    // (code, words of the message); no code: Tauri refused the arguments before the command ran.
    let expected = [
        (Some("invalid"), "missing field `status_id`"),
        (Some("invalid"), "which is not in this program"),
        (Some("invalid"), "month 2 of 2026 has no day 30"),
        (None, "unknown variant `spaceship`, expected one of"),
        (Some("invalid"), "a decision has no such field"),
        (None, "missing field `seen`"),
        (Some("not_found"), "no item with id"),
        (None, "'not-an-id' is not an item id"),
        (Some("invalid"), "write it as YYYY-MM-DD"),
    ];
    let refused = result["refused"].as_array().expect("refusals");
    assert_eq!(refused.len(), expected.len(), "{result:#}");
    for (got, (code, words)) in refused.iter().zip(expected) {
        let message = match code {
            Some(code) => {
                assert_eq!(got["code"], json!(code), "{got}");
                got["message"].as_str()
            }
            None => got.as_str(),
        };
        assert!(message.is_some_and(|m| m.contains(words)), "{got}");
    }
    assert_eq!(result["unchanged"], json!(true), "{result}");

    // The webview cannot choose where the shell writes: a path it sends is not an argument of
    // save_document, and the document goes where the person (or the configured folder) says.
    let elsewhere = std::env::temp_dir().join(format!("roadbook-e2e-{}.pdf", std::process::id()));
    let result = c
        .execute_async(
            "const [path, done] = [arguments[0], arguments[arguments.length - 1]];
             const invoke = window.__TAURI_INTERNALS__.invoke;
             (async () => {
               const program = (await invoke('startup')).programs[0].id;
               const request = { kind: 'memo', program, review: null, since: null, status: null, as_of: new Date().toISOString() };
               return await invoke('save_document', { request, path });
             })().then(done, (e) => done({ failed: e }));",
            vec![json!(elsewhere.display().to_string())],
        )
        .await
        .unwrap();
    assert!(result["pdf_sha256"].is_string(), "{result}");
    assert!(
        !elsewhere.exists(),
        "the shell wrote where the webview said"
    );
}

/// An editor left open while someone else changes the item: a change to another field stands
/// beside the editor's; a change to the same field is shown, and the person's choice stands.
async fn an_open_editor_never_reverts_a_change_made_meanwhile(
    c: &Client,
    db: &std::path::Path,
    title: &str,
) {
    let list: serde_json::Value =
        serde_json::from_str(&roadbook(db, &["decision", "list", "--json"])).unwrap();
    let decision = |list: &serde_json::Value| -> serde_json::Value {
        list.as_array()
            .unwrap()
            .iter()
            .find(|d| d["title"] == json!(title))
            .unwrap()
            .clone()
    };
    let id = decision(&list)["id"].as_str().unwrap().to_owned();
    let open_editor = || async {
        go(c, "decisions").await;
        let search = css(c, "[data-testid=search]").await;
        search.clear().await.unwrap();
        search.send_keys(title).await.unwrap();
        click(c, "[data-testid=row]").await;
        css(c, "textarea[data-field=question]").await
    };

    // Another field changed meanwhile: both changes stand.
    let question = open_editor().await;
    roadbook(db, &["decision", "set", &id, "--due", "2026-12-04"]);
    question.clear().await.unwrap();
    question
        .send_keys("Which cohort goes first?")
        .await
        .unwrap();
    click(c, "[data-testid=save]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let both = loop {
        let now = decision(
            &serde_json::from_str(&roadbook(db, &["decision", "list", "--json"])).unwrap(),
        );
        if now["question"] == json!("Which cohort goes first?") || Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    assert_eq!(
        both["question"],
        json!("Which cohort goes first?"),
        "{both}"
    );
    assert_eq!(
        both["due"],
        json!("2026-12-04"),
        "the CLI's change was reverted: {both}"
    );

    // The same field changed meanwhile: the editor shows the clash and keeps the person's choice.
    let question = open_editor().await;
    roadbook(
        db,
        &["decision", "set", &id, "--question", "The CLI's question"],
    );
    question.clear().await.unwrap();
    question.send_keys("The lead's question").await.unwrap();
    click(c, "[data-testid=save]").await;
    let clash = text_until(c, "[data-testid=clash]", |t| {
        t.contains("The CLI's question")
    })
    .await;
    assert!(clash.contains("CLI Lead"), "{clash}");
    assert!(clash.contains("The lead's question"), "{clash}");
    click(c, "[data-testid=keep-mine]").await;
    click(c, "[data-testid=save]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = decision(
            &serde_json::from_str(&roadbook(db, &["decision", "list", "--json"])).unwrap(),
        );
        if now["question"] == json!("The lead's question") {
            assert_eq!(now["due"], json!("2026-12-04"));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the person's choice did not stand: {now}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let search = css(c, "[data-testid=search]").await;
    search.clear().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lead_works_through_the_program_and_everything_survives_a_restart() {
    for rendering in ["cpu", "gpu"] {
        // Shown with the failure, to say which run it was.
        eprintln!("ROADBOOK_RENDERING={rendering}");
        works_through_the_program(rendering).await;
    }
}

async fn works_through_the_program(rendering: &str) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e2e.db");
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    let desktop = Desktop::start(&db, &documents, rendering);
    let title = "Choose the pilot cohort for internal rollout";

    let c = desktop.session().await;
    // The app runs with the rendering asked for: with the CPU renderer it restarted itself with
    // WebKit's variables set (src-tauri/src/rendering.rs).
    let (pid, env) = app_process(&db).expect("the app's process");
    let composited = env
        .get("WEBKIT_DISABLE_COMPOSITING_MODE")
        .map(String::as_str);
    assert_eq!(
        composited,
        (rendering == "cpu").then_some("1"),
        "{rendering}: WEBKIT_DISABLE_COMPOSITING_MODE"
    );
    // And nothing in the app process draws with GL, so no GL driver is loaded there (on a
    // machine without a GPU that is Mesa's software GL and LLVM, 43 MB; docs/performance.md).
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let gl = maps
        .lines()
        .find(|l| l.contains("/dri/") || l.contains("libLLVM"));
    if rendering == "cpu" {
        assert_eq!(
            gl, None,
            "a GL driver in the app process with the CPU renderer"
        );
    }
    // First launch: no program yet; start on the sample.
    click(&c, "[data-testid=start-sample]").await;
    text_until(&c, "[data-testid=dashboard]", |t| {
        t.contains("Identity and SSO")
    })
    .await;
    shot(&c, &desktop, "01-dashboard").await;

    // A new decision, needed from Product, with status Needs decision.
    go(&c, "decisions").await;
    click(&c, "[data-testid=new]").await;
    css(&c, "[data-field=title]")
        .await
        .send_keys(title)
        .await
        .unwrap();
    choose(&c, "select[data-field=status_id]", "Needs decision").await;
    let owners = css(&c, "[data-field=needed_from]").await;
    for label in owners.find_all(Locator::Css("label")).await.unwrap() {
        if label.text().await.unwrap().trim() == "Product" {
            label
                .find(Locator::Css("input"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
    }
    click(&c, "[data-testid=save]").await;
    text_until(&c, "[data-testid=register-decision]", |t| t.contains(title)).await;
    // Saved: a toast says so.
    text_until(&c, "[data-testid=notice]", |t| t.contains("Add decision")).await;
    shot(&c, &desktop, "02-decisions").await;

    // The new decision is last; move it up one place, above the decision before it.
    let order = decision_order(&c).await;
    assert_eq!(order.last().map(String::as_str), Some(title), "{order:?}");
    let neighbour = order[order.len() - 2].clone();
    let rows = c
        .find_all(Locator::Css(
            "[data-testid=register-decision] [data-testid=row]",
        ))
        .await
        .unwrap();
    rows.last().unwrap().click().await.unwrap();
    click(&c, "[data-testid=move-up]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let order = decision_order(&c).await;
        let (at, was) = (
            order.iter().position(|t| t == title).unwrap(),
            order.iter().position(|t| *t == neighbour).unwrap(),
        );
        if at + 1 == was {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the move did not show: {order:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    // The program record: a new summary, shown on the Program screen.
    let summary = "Give builders one trusted view of their product signals by Q3.";
    go(&c, "program").await;
    click(&c, "[data-testid=edit-program]").await;
    let field = css(&c, "textarea[data-field=summary]").await;
    field.clear().await.unwrap();
    field.send_keys(summary).await.unwrap();
    click(&c, "[data-testid=save]").await;
    text_until(&c, "[data-testid=program-summary]", |t| t == summary).await;
    shot(&c, &desktop, "02-program").await;

    go(&c, "dashboard").await;
    let needed = text_until(&c, "[data-testid=decisions-needed]", |t| t.contains(title)).await;
    assert!(needed.contains("needed from Product"), "{needed}");

    // A risk's severity changes and the heat map moves.
    go(&c, "risks").await;
    let high_high = cell_count(&c, "high-high").await;
    let low_high = cell_count(&c, "low-high").await;
    css(&c, "[data-testid=search]")
        .await
        .send_keys("Builder Relations org truth")
        .await
        .unwrap();
    click(&c, "[data-testid=row]").await;
    choose(&c, "select[data-field=severity]", "low").await;
    click(&c, "[data-testid=save]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while cell_count(&c, "low-high").await != low_high + 1 {
        assert!(Instant::now() < deadline, "the heat map did not move");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_eq!(cell_count(&c, "high-high").await, high_high - 1);
    shot(&c, &desktop, "03-risks").await;

    // A review outcome resolves the Okta decision.
    go(&c, "reviews").await;
    click(&c, "[data-testid=start-recording]").await;
    choose(&c, "[data-testid=aim] [data-testid=aim-status]", "Decided").await;
    css(&c, "[data-testid=aim] [data-testid=aim-outcome]")
        .await
        .send_keys("Adopt Okta SSO with group claims")
        .await
        .unwrap();
    // Decided asks for the rationale and who decided, beside their fields.
    click(&c, "[data-testid=record-outcome]").await;
    text_until(&c, "[data-testid=aim-rationale-error]", |t| {
        t.contains("rationale")
    })
    .await;
    css(&c, "[data-testid=aim] [data-testid=aim-rationale]")
        .await
        .send_keys("One identity provider the platform already runs")
        .await
        .unwrap();
    let decided_by = css(&c, "[data-testid=aim] [data-testid=aim-decided-by]").await;
    decided_by.clear().await.unwrap();
    decided_by.send_keys("Dana Whitfield").await.unwrap();
    shot(&c, &desktop, "04-review-outcome").await;
    click(&c, "[data-testid=record-outcome]").await;
    text_until(&c, "[data-testid=notice]", |t| {
        t.contains("Outcome recorded")
    })
    .await;
    go(&c, "dashboard").await;
    text_until(&c, "[data-testid=decisions-needed]", |t| {
        t.contains(title) && !t.contains("Okta SSO path and claims model")
    })
    .await;

    // A readout: generated, seen, saved; the new decision is in the PDF's text.
    go(&c, "documents").await;
    choose(&c, "[data-testid=doc-kind]", "Leadership Readout").await;
    click(&c, "[data-testid=generate]").await;
    css(&c, "canvas[data-testid=preview-page]").await;
    shot(&c, &desktop, "05-documents").await;
    click(&c, "[data-testid=save-document]").await;
    text_until(&c, "[data-testid=document-saved]", |t| {
        t.contains("Saved and archived")
    })
    .await;
    let pdf = std::fs::read_dir(&documents)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .unwrap();
    // Named for its program first, so a folder of several programs' documents reads.
    let name = pdf.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("builder-insights-operationalization-"),
        "{name}"
    );
    let out = Command::new("pdftotext")
        .arg("-raw")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains(title),
        "the readout does not show the new decision: {text:.400}"
    );

    // The dependency map: a line opens its dependency in the editor.
    go(&c, "plan").await;
    let edge = css(&c, "[data-testid=dependency-edge]").await;
    let label = edge.attr("aria-label").await.unwrap().unwrap();
    // WebKitWebDriver calls an SVG path "not interactable" (its transparent hit stroke), so the
    // click is dispatched on the element; a person's pointer reaches it through that stroke.
    c.execute(
        "document.querySelector('[data-testid=dependency-edge]').dispatchEvent(new MouseEvent('click', { bubbles: true }));",
        vec![],
    )
    .await
    .unwrap();
    let dependent = css(&c, "input[data-field=dependent]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(
        label.starts_with(&format!("{dependent} depends on")),
        "{label} opened {dependent}"
    );
    // A row of the dependency register opens in the same editor: one editor on the screen.
    let rows = css(&c, "[data-testid=register-dependency]")
        .await
        .find_all(Locator::Css("[data-testid=row]"))
        .await
        .unwrap();
    // The second row: the first is the dependency the map's first line opened.
    let other = &rows[1];
    let first_cell = other
        .find(Locator::Css(".cell"))
        .await
        .unwrap()
        .prop("textContent")
        .await
        .unwrap()
        .unwrap();
    other.click().await.unwrap();
    eventually(
        "the row opened in the editor",
        Duration::from_secs(10),
        async || {
            let shown = css(&c, "input[data-field=dependent]")
                .await
                .prop("value")
                .await
                .unwrap()
                .unwrap_or_default();
            if shown.trim() == first_cell.trim() {
                Ok(())
            } else {
                Err(shown)
            }
        },
    )
    .await;
    let editors = c
        .find_all(Locator::Css("input[data-field=dependent]"))
        .await
        .unwrap();
    assert_eq!(editors.len(), 1, "one editor on the Plan screen");
    let shown = editors[0].prop("value").await.unwrap().unwrap();
    assert_eq!(shown.trim(), first_cell.trim());

    ipc_refuses_bad_input_and_changes_nothing(&c).await;
    an_open_editor_never_reverts_a_change_made_meanwhile(&c, &db, title).await;

    for (n, screen) in [
        "workstreams",
        "actions",
        "plan",
        "readiness",
        "history",
        "settings",
    ]
    .iter()
    .enumerate()
    {
        go(&c, screen).await;
        shot(&c, &desktop, &format!("{:02}-{screen}", n + 6)).await;
    }
    c.close().await.unwrap();

    // Restart: every change is still there.
    let c = desktop.session().await;
    text_until(&c, "[data-testid=dashboard]", |t| t.contains(title)).await;
    go(&c, "risks").await;
    assert_eq!(cell_count(&c, "low-high").await, low_high + 1);
    go(&c, "program").await;
    text_until(&c, "[data-testid=program-summary]", |t| t == summary).await;
    go(&c, "decisions").await;
    let order = decision_order(&c).await;
    let (at, was) = (
        order.iter().position(|t| t == title).unwrap(),
        order.iter().position(|t| *t == neighbour).unwrap(),
    );
    assert_eq!(
        at + 1,
        was,
        "the order did not survive the restart: {order:?}"
    );
    go(&c, "decisions").await;
    css(&c, "[data-testid=search]")
        .await
        .send_keys("Okta SSO path")
        .await
        .unwrap();
    text_until(&c, "[data-testid=register-decision]", |t| {
        t.contains("Decided")
    })
    .await;
    go(&c, "documents").await;
    text_until(&c, "aside", |t| t.contains("Leadership Readout")).await;
    c.close().await.unwrap();
}
