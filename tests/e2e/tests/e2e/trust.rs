//! What a lead hit the week before a steering review, each shown fixed in the real webview:
//! undo and redo that take back exactly one named action across screens, and an exit criterion
//! that is never shown met when its save was refused.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use fantoccini::key::Key;
use roadbook_e2e::*;
use serde_json::Value;

const SECONDS_5: std::time::Duration = std::time::Duration::from_secs(5);
const SECONDS_10: std::time::Duration = std::time::Duration::from_secs(10);

/// A database holding the sample program, in a folder of its own with the folder documents go
/// to (the folder goes when the first value is dropped).
fn sample(name: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(format!("{name}.db"));
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    roadbook(&db, &["init", "--sample"]);
    (dir, db, documents)
}

fn export(db: &std::path::Path) -> Value {
    serde_json::from_str(&roadbook(db, &["export"])).unwrap()
}

/// Waits for the banner to say `text`; returns what it says.
async fn notice(c: &Client, text: &str) -> String {
    text_until(c, "[data-testid=notice]", |t| t.contains(text)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn undo_and_redo_take_back_exactly_the_named_action_across_screens() {
    let (_dir, db, documents) = sample("undo");
    let before = export(&db);
    let statement = "No actual owners are present";
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;

    // Delete a risk: no question asked, the banner offers Undo.
    go(&c, "risks").await;
    css(&c, "[data-testid=search]")
        .await
        .send_keys(statement)
        .await
        .unwrap();
    click(&c, "[data-testid=row]").await;
    click(&c, "[data-testid=delete]").await;
    notice(&c, &format!("Delete risk '{statement}': done.")).await;
    css(&c, "[data-testid=notice-undo]").await;
    // The notice sits in the side bar: nothing on the screen moved for it.
    let in_bar = c
        .execute(
            "return document.querySelector('nav [data-testid=notice]') !== null;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(in_bar, json!(true));

    // On another screen, record a review's outcome: several saves, one action. The notice
    // stayed on the screen it was said on.
    go(&c, "reviews").await;
    let gone = c
        .execute(
            "return document.querySelector('[data-testid=notice]') === null;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(gone, json!(true), "the notice followed the person");
    click(&c, "[data-testid=start-recording]").await;
    css(&c, "[data-testid=outcome-summary]")
        .await
        .send_keys("Held; the identity decision moves to the next review.")
        .await
        .unwrap();
    click(&c, "[data-testid=record-outcome]").await;
    notice(&c, "Outcome recorded").await;
    let recorded = export(&db);
    let review = &recorded["reviews"][0];
    assert!(
        review["outcome"].as_str().unwrap().starts_with("Held;"),
        "{review}"
    );
    assert!(!review["held_on"].is_null(), "{review}");
    assert_ne!(review["status_id"], before["reviews"][0]["status_id"]);

    // Undo: the outcome goes, fields and status as they were; the risk stays deleted.
    press(&c, &[Key::Control], 'z').await;
    notice(
        &c,
        "Undone: record the outcome of review 'Operationalization review'.",
    )
    .await;
    let once = export(&db);
    assert_eq!(once["reviews"], before["reviews"]);
    assert_eq!(once["decisions"], before["decisions"]);
    assert_eq!(
        once["risks"].as_array().unwrap().len(),
        before["risks"].as_array().unwrap().len() - 1
    );

    // Undo again: the risk is back, whole and in its place.
    press(&c, &[Key::Control], 'z').await;
    notice(&c, &format!("Undone: delete risk '{statement}'.")).await;
    assert_eq!(export(&db), before, "not the program as it was");

    // Redo once: the delete again, nothing else.
    press(&c, &[Key::Control, Key::Shift], 'z').await;
    notice(&c, &format!("Redone: delete risk '{statement}'.")).await;
    let mut expected = before.clone();
    expected["risks"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["statement"] != statement);
    assert_eq!(export(&db), expected);
    // The undo hint names what Ctrl+Z would take back now.
    let hint = css(&c, "[data-testid=undo-hint]").await;
    assert_eq!(
        hint.attr("title").await.unwrap().as_deref(),
        Some(&*format!("Undo: delete risk '{statement}'"))
    );
    shot(&c, &desktop, "undo-redo").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exit_criterion_without_evidence_stays_unchecked_with_the_reason_at_its_field() {
    let (_dir, db, documents) = sample("criteria");
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    go(&c, "plan").await;

    // The first criterion not met yet, and its evidence field.
    let criteria = c
        .find_all(Locator::Css("[data-testid=criterion-met]"))
        .await
        .unwrap();
    let mut unmet = None;
    for (i, b) in criteria.iter().enumerate() {
        if !b.is_selected().await.unwrap() {
            unmet = Some(i);
            break;
        }
    }
    let i = unmet.expect("the sample has an exit criterion not met");
    let criterion = c
        .find_all(Locator::Css(".criterion"))
        .await
        .unwrap()
        .remove(i);
    let text = criterion.text().await.unwrap();
    criterion
        .find(Locator::Css("[data-testid=criterion-met]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let error = criterion
        .find(Locator::Css("[data-testid=criterion-error]"))
        .await
        .unwrap();
    assert!(
        error
            .text()
            .await
            .unwrap()
            .contains("Say what shows it is done"),
        "{text}"
    );
    let box_ = criterion
        .find(Locator::Css("[data-testid=criterion-met]"))
        .await
        .unwrap();
    assert!(!box_.is_selected().await.unwrap(), "ticked though not met");
    // The error sits at the field, inside the criterion, and the field has the focus.
    let focused = c
        .execute(
            "return document.activeElement && document.activeElement.hasAttribute('data-evidence') ? 'evidence' : '';",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused, "evidence");

    // Evidence, then Enter: met, with the evidence, in one key.
    let field = criterion
        .find(Locator::Css("input.evidence"))
        .await
        .unwrap();
    field
        .send_keys("Runbook signed off by the SRE lead")
        .await
        .unwrap();
    assert!(
        criterion
            .find_all(Locator::Css("[data-testid=criterion-error]"))
            .await
            .unwrap()
            .is_empty(),
        "the error stays after the field is filled"
    );
    field.send_keys("\u{E007}").await.unwrap();
    eventually(
        "never saved met with its evidence",
        SECONDS_10,
        async || {
            let program = export(&db);
            let met: Vec<&Value> = program["exit_criteria"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["evidence"] == "Runbook signed off by the SRE lead")
                .collect();
            match met[..] {
                [one] if one["met"] == true => Ok(()),
                _ => Err(format!("{met:?}")),
            }
        },
    )
    .await;

    // The readiness checklist behaves the same: no tick without evidence, the reason at its field.
    go(&c, "readiness").await;
    let item = css(&c, "[data-testid=readiness-met]").await;
    let was = item.is_selected().await.unwrap();
    assert!(!was, "the sample's first readiness item is not done");
    item.click().await.unwrap();
    text_until(&c, "[data-testid=readiness-error]", |t| {
        t.contains("Say what shows it is done")
    })
    .await;
    assert!(
        !css(&c, "[data-testid=readiness-met]")
            .await
            .is_selected()
            .await
            .unwrap()
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn forms_show_problems_at_their_field_and_the_palette_finds_items() {
    let (_dir, db, documents) = sample("forms");
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    text_until(&c, "[data-testid=dashboard]", |t| {
        t.contains("Identity and SSO")
    })
    .await;
    let focused = |c: &Client| {
        let c = c.clone();
        async move {
            c.execute(
                "const e = document.activeElement; return e ? (e.dataset.field || e.dataset.testid || e.tagName) : '';",
                vec![],
            )
            .await
            .unwrap()
        }
    };

    // Ctrl+D: a new decision with the focus in its title.
    press(&c, &[Key::Control], 'd').await;
    css(&c, "[data-testid=editor]").await;
    eventually("the title has no focus", SECONDS_5, async || {
        let now = focused(&c).await;
        if now == "title" {
            Ok(())
        } else {
            Err(now.to_string())
        }
    })
    .await;
    // Saved without a title: the problem is at the title, in words, and the title has the focus.
    press(&c, &[], '\u{E007}').await;
    let problem = text_until(&c, "[data-testid=field-error][data-for=title]", |t| {
        !t.is_empty()
    })
    .await;
    assert!(problem.starts_with("Is required"), "{problem}");
    assert!(!problem.contains("decision.title"), "{problem}");
    assert!(
        c.find_all(Locator::Css("[data-testid=editor-error]"))
            .await
            .unwrap()
            .is_empty(),
        "the problem is shown away from its field too"
    );
    assert_eq!(focused(&c).await, "title");
    // Typing clears it; Esc closes the editor and saves nothing.
    css(&c, "[data-field=title]")
        .await
        .send_keys("Half-typed")
        .await
        .unwrap();
    assert!(
        c.find_all(Locator::Css("[data-testid=field-error]"))
            .await
            .unwrap()
            .is_empty(),
        "the problem stays after the field is filled"
    );
    press(&c, &[], '\u{E00C}').await;
    eventually("Esc left the editor open", SECONDS_5, async || {
        let open = c
            .find_all(Locator::Css("[data-testid=editor]"))
            .await
            .unwrap();
        if open.is_empty() {
            Ok(())
        } else {
            Err(format!("{} open", open.len()))
        }
    })
    .await;
    assert!(!roadbook(&db, &["decision", "list"]).contains("Half-typed"));

    // Ctrl+K finds items by their names; the arrows move a visible highlight; Enter opens it.
    press(&c, &[Key::Control], 'k').await;
    css(&c, "[data-testid=palette-input]")
        .await
        .send_keys("okta claims")
        .await
        .unwrap();
    let entries = text_until(&c, ".entries", |t| t.contains("Okta SSO path")).await;
    assert!(entries.contains("Decision:"), "{entries}");
    let highlighted = |c: &Client| {
        let c = c.clone();
        async move {
            c.execute(
                "return [...document.querySelectorAll('[data-testid=palette-entry]')].findIndex((e) => e.classList.contains('highlight'));",
                vec![],
            )
            .await
            .unwrap()
        }
    };
    assert_eq!(highlighted(&c).await, 0);
    let count = c
        .find_all(Locator::Css("[data-testid=palette-entry]"))
        .await
        .unwrap()
        .len();
    press(&c, &[], '\u{E015}').await;
    assert_eq!(highlighted(&c).await, json!(1 % count));
    press(&c, &[], '\u{E013}').await;
    assert_eq!(highlighted(&c).await, 0);
    press(&c, &[], '\u{E007}').await;
    let title = css(&c, "[data-field=title]").await;
    eventually("the palette opened another item", SECONDS_5, async || {
        let value = title.prop("value").await.unwrap().unwrap_or_default();
        if value.starts_with("Okta SSO path") {
            Ok(())
        } else {
            Err(value)
        }
    })
    .await;

    // Words found nowhere: said so, not an empty box.
    press(&c, &[], '\u{E00C}').await;
    press(&c, &[Key::Control], 'k').await;
    css(&c, "[data-testid=palette-input]")
        .await
        .send_keys("zebra crossing")
        .await
        .unwrap();
    text_until(&c, "[data-testid=palette-empty]", |t| {
        t.contains("Nothing in this program")
    })
    .await;
    shot(&c, &desktop, "palette-empty").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_items_and_heat_map_cells_open_what_they_show_and_screens_keep_their_place() {
    let (_dir, db, documents) = sample("navigation");
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    text_until(&c, "[data-testid=dashboard]", |t| {
        t.contains("Identity and SSO")
    })
    .await;

    // A heat-map cell opens the risk register showing exactly its risks.
    let mut picked = None;
    for severity in ["high", "medium", "low"] {
        for likelihood in ["high", "medium", "low"] {
            let cell = format!("{severity}-{likelihood}");
            let n = cell_count(&c, &cell).await;
            if n > 0 && picked.is_none() {
                picked = Some((cell, n));
            }
        }
    }
    let (cell, n) = picked.expect("the sample has open risks");
    click(&c, &format!("[data-testid=heat-{cell}]")).await;
    let (severity, likelihood) = cell.split_once('-').unwrap();
    let filter = text_until(&c, "[data-testid=where]", |t| !t.is_empty()).await;
    assert!(
        filter.contains(&format!("{severity} severity"))
            && filter.contains(&format!("{likelihood} likelihood")),
        "{filter}"
    );
    let count = text_until(&c, "[data-testid=register-count]", |t| {
        t.starts_with(&format!("{n} of"))
    })
    .await;
    let rows = c
        .find_all(Locator::Css(
            "[data-testid=register-risk] [data-testid=row]",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len() as u32, n, "{count}");
    shot(&c, &desktop, "heat-map-cell").await;

    // The dashboard scrolled to its end; another screen opens at its top; back, where it was.
    go(&c, "dashboard").await;
    let scroll = |js: &'static str| {
        let c = c.clone();
        async move {
            c.execute(js, vec![])
                .await
                .unwrap()
                .as_f64()
                .unwrap_or(-1.0)
        }
    };
    let down = scroll(
        "const s = document.querySelector('[data-testid=screen]'); s.scrollTop = s.scrollHeight; return s.scrollTop;",
    )
    .await;
    assert!(down > 100.0, "the dashboard does not scroll: {down}");
    go(&c, "decisions").await;
    assert_eq!(
        scroll("return document.querySelector('[data-testid=screen]').scrollTop;").await,
        0.0
    );
    go(&c, "dashboard").await;
    let back = scroll("return document.querySelector('[data-testid=screen]').scrollTop;").await;
    assert!((back - down).abs() < 2.0, "{back} / {down}");

    // A decision on the dashboard opens in the decision register's editor.
    let first = css(&c, "[data-testid=dashboard-decision]").await;
    let title = first.text().await.unwrap();
    first.click().await.unwrap();
    let field = css(&c, "[data-testid=register-decision] [data-field=title]").await;
    assert_eq!(
        field.prop("value").await.unwrap().unwrap_or_default(),
        title.trim()
    );
    c.close().await.unwrap();
}

/// Sets a date field as the calendar picker does: the value, then the input event the field
/// listens to (typing is tested on its own, in the new review's test).
async fn set_date(c: &Client, selector: &str, value: &str) {
    css(c, selector).await;
    c.execute(
        "const e = document.querySelector(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('input', { bubbles: true }));",
        vec![json!(selector), json!(value)],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn people_own_items_phases_and_milestones_have_dates_and_the_timeline_and_my_items_show_them()
{
    let (_dir, db, documents) = sample("people");
    let day = |offset: i64| {
        (chrono::Local::now().date_naive() + chrono::Duration::days(offset))
            .format("%Y-%m-%d")
            .to_string()
    };
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;

    // A person, on a team, as an owner label.
    go(&c, "settings").await;
    click(&c, "[data-testid=register-owner] [data-testid=new]").await;
    css(&c, "[data-field=name]")
        .await
        .send_keys("Priya Raman")
        .await
        .unwrap();
    choose(&c, "select[data-field=kind]", "person").await;
    choose(&c, "select[data-field=team_id]", "Platform Engineering").await;
    click(&c, "[data-testid=save]").await;
    text_until(&c, "[data-testid=register-owner]", |t| {
        t.contains("Priya Raman")
    })
    .await;
    let program = export(&db);
    let priya = program["owners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Priya Raman")
        .unwrap()
        .clone();
    assert_eq!(priya["kind"], "person");
    let team = program["owners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Internal Platform Engineering")
        .unwrap();
    assert_eq!(priya["team_id"], team["id"]);

    // One action hers and overdue; a decision needed from her team, due in three days.
    let action = program["actions"][0]["id"].as_str().unwrap().to_owned();
    roadbook(
        &db,
        &[
            "action",
            "set",
            &action,
            "--owner",
            "Priya Raman",
            "--due",
            &day(-2),
        ],
    );

    // Phase dates and a milestone target, in the editor: the timeline draws them.
    go(&c, "plan").await;
    text_until(&c, "[data-testid=timeline-empty]", |t| {
        t.contains("No dates yet")
    })
    .await;
    click(&c, ".phase .title button").await;
    set_date(&c, "input[data-field=start]", &day(-30)).await;
    set_date(&c, "input[data-field=end]", &day(30)).await;
    click(&c, "[data-testid=save]").await;
    css(&c, "[data-testid=timeline-phase]").await;
    click(&c, "[data-testid=register-milestone] [data-testid=row]").await;
    set_date(&c, "input[data-field=target]", &day(-1)).await;
    click(&c, "[data-testid=save]").await;
    let late = css(&c, "[data-testid=timeline-milestone]").await;
    eventually("the milestone is not marked late", SECONDS_10, async || {
        let class = late.attr("class").await.unwrap().unwrap_or_default();
        if class.contains("late") {
            Ok(())
        } else {
            Err(class)
        }
    })
    .await;
    css(&c, "[data-testid=timeline-today]").await;
    let program = export(&db);
    assert_eq!(program["phases"][0]["start"], json!(day(-30)));
    assert_eq!(program["milestones"][0]["target"], json!(day(-1)));
    // The milestone register marks it overdue too.
    text_until(
        &c,
        "[data-testid=register-milestone] [data-testid=due-overdue]",
        |t| t.contains("overdue"),
    )
    .await;
    press(&c, &[], '\u{E00C}').await;
    c.execute(
        "document.querySelector('[data-testid=screen]').scrollTop = 0;",
        vec![],
    )
    .await
    .unwrap();
    shot(&c, &desktop, "timeline").await;

    // An end before the start is refused at the field.
    click(&c, ".phase .title button").await;
    set_date(&c, "input[data-field=end]", &day(-60)).await;
    click(&c, "[data-testid=save]").await;
    let problem = text_until(&c, "[data-testid=field-error][data-for=end]", |t| {
        !t.is_empty()
    })
    .await;
    assert!(problem.contains("before it starts"), "{problem}");
    press(&c, &[], '\u{E00C}').await;

    // My items: Priya's overdue action first.
    go(&c, "my-items").await;
    choose(&c, "[data-testid=me]", "Priya Raman").await;
    let first = text_until(&c, "[data-testid=my-item]", |t| t.contains("overdue")).await;
    assert!(first.contains("Your action"), "{first}");
    let all = text_until(&c, "[data-testid=my-items]", |t| !t.is_empty()).await;
    assert!(
        !all.contains("Needed from your team")
            || all.find("overdue") < all.find("Needed from your team")
    );
    shot(&c, &desktop, "my-items").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn recording_an_outcome_settles_the_asks_and_workstreams_it_leaves_stale() {
    let (_dir, db, documents) = sample("stale");
    let before = export(&db);
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    go(&c, "reviews").await;
    click(&c, "[data-testid=start-recording]").await;
    // The Okta decision (the first aim) is decided at the review.
    choose(&c, "[data-testid=aim] [data-testid=aim-status]", "Decided").await;
    for (field, text) in [
        ("aim-outcome", "Adopt Okta SSO with group claims"),
        (
            "aim-rationale",
            "One identity provider the platform already runs",
        ),
        ("aim-decided-by", "Dana Whitfield"),
    ] {
        let input = css(&c, &format!("[data-testid=aim] [data-testid={field}]")).await;
        input.clear().await.unwrap();
        input.send_keys(text).await.unwrap();
    }
    // What goes stale with it is put in front of the lead: the ask naming it, the workstream.
    let ask = text_until(&c, "[data-testid=stale-ask]", |t| !t.is_empty()).await;
    assert!(ask.contains("speaks of a decision"), "{ask}");
    let workstream = text_until(&c, "[data-testid=stale-workstream]", |t| {
        t.contains("Identity and SSO")
    })
    .await;
    assert!(workstream.contains("Needs decision"), "{workstream}");
    // Its current-state sentence is offered with its status, as it reads today.
    let state = css(&c, "[data-testid=workstream-state]").await;
    let was = before["workstreams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["area"] == "Identity and SSO")
        .unwrap()["current_state"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(state.prop("value").await.unwrap().unwrap(), was);
    state.clear().await.unwrap();
    state
        .send_keys("Okta SSO with group claims chosen; entitlement work can start")
        .await
        .unwrap();
    click(&c, "[data-testid=drop-ask]").await;
    shot(&c, &desktop, "outcome-follow-ups").await;
    click(&c, "[data-testid=record-outcome]").await;
    notice(&c, "Outcome recorded").await;

    let after = export(&db);
    let asks = after["program"]["asks"].as_array().unwrap();
    assert_eq!(
        asks.len(),
        before["program"]["asks"].as_array().unwrap().len() - 1
    );
    assert!(
        asks.iter()
            .all(|a| !a.as_str().unwrap().starts_with("Sponsor"))
    );
    let identity = after["workstreams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["area"] == "Identity and SSO")
        .unwrap();
    let decided = after["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Decided")
        .unwrap();
    assert_eq!(identity["status_id"], decided["id"]);
    assert_eq!(
        identity["current_state"],
        "Okta SSO with group claims chosen; entitlement work can start"
    );
    // The check before sending has nothing stale left to say about them.
    let check = roadbook(&db, &["check"]);
    assert!(!check.contains("Sponsor the key dependencies"), "{check}");
    assert!(!check.contains("Identity and SSO"), "{check}");

    // One action: one undo puts the asks, the workstream and the decision back.
    press(&c, &[Key::Control], 'z').await;
    notice(&c, "Undone: record the outcome").await;
    let undone = export(&db);
    assert_eq!(undone["program"]["asks"], before["program"]["asks"]);
    assert_eq!(undone["workstreams"], before["workstreams"]);
    assert_eq!(undone["decisions"], before["decisions"]);
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_program_exports_to_a_file_and_a_program_imports_whole_or_not_at_all() {
    let (dir, db, documents) = sample("files");
    // Another lead's program, and a file that is not one.
    let other_db = dir.path().join("other.db");
    roadbook(&other_db, &["init", "--sample"]);
    let other = roadbook(&other_db, &["export"]);
    let other: Value = serde_json::from_str(&other).unwrap();
    let mut renamed = other.clone();
    renamed["program"]["name"] = json!("Partner onboarding");
    std::fs::write(documents.join("partner.json"), renamed.to_string()).unwrap();
    std::fs::write(
        documents.join("broken.json"),
        "{\"format\": \"roadbook-handbook\",",
    )
    .unwrap();
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;

    // Export: the whole program, as the CLI exports it.
    go(&c, "settings").await;
    click(&c, "[data-testid=export-program]").await;
    let said = text_until(&c, "[data-testid=program-file-notice]", |t| {
        t.contains("Exported")
    })
    .await;
    assert!(
        said.contains("builder-insights-operationalization.json"),
        "{said}"
    );
    let file = std::fs::read_to_string(documents.join("builder-insights-operationalization.json"))
        .unwrap();
    assert_eq!(serde_json::from_str::<Value>(&file).unwrap(), export(&db));

    let programs = || roadbook(&db, &["programs"]).lines().count();
    assert_eq!(programs(), 1);
    // A broken file, and the program already here: refused, said, nothing added.
    for (name, expect) in [
        ("broken.json", "was not imported"),
        (
            "builder-insights-operationalization.json",
            "was not imported",
        ),
    ] {
        choose(&c, "[data-testid=import-choice]", name).await;
        click(&c, "[data-testid=import-program]").await;
        let error = text_until(&c, "[data-testid=program-file-error]", |t| t.contains(name)).await;
        assert!(error.contains(expect), "{error}");
        assert_eq!(programs(), 1, "{name} changed the database");
    }
    // Another program: imported whole and opened.
    choose(&c, "[data-testid=import-choice]", "partner.json").await;
    click(&c, "[data-testid=import-program]").await;
    text_until(&c, "nav .program", |t| t.contains("Partner onboarding")).await;
    assert_eq!(programs(), 2);
    let imported = roadbook(
        &db,
        &[
            "export",
            "--program",
            other["program"]["id"].as_str().unwrap(),
        ],
    );
    let imported: Value = serde_json::from_str(&imported).unwrap();
    assert_eq!(imported["decisions"], other["decisions"]);
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_review_stays_open_and_screens_show_words_not_internal_values() {
    let (_dir, db, documents) = sample("review");
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;

    // A new review, saved: the screen stays on it, so "Record outcome" is for this meeting.
    go(&c, "reviews").await;
    click(&c, "[data-testid=new-review]").await;
    // Its date is typed as the documents write it (YYYY-MM-DD): empty, it shows that form, not
    // today's date in grey; a day that does not exist is said at once in the command line's
    // words, and nothing is saved until it reads as a day.
    let date = css(&c, "input[data-field=date]").await;
    assert_eq!(date.prop("value").await.unwrap().unwrap_or_default(), "");
    assert_eq!(
        date.attr("placeholder").await.unwrap().unwrap_or_default(),
        "YYYY-MM-DD"
    );
    css(&c, "[data-field=title]")
        .await
        .send_keys("Steering review, January")
        .await
        .unwrap();
    date.send_keys("2027-02-30").await.unwrap();
    text_until(&c, "[data-testid=editor]", |t| {
        t.contains("'2027-02-30' is not a calendar date: month 2 of 2027 has no day 30")
    })
    .await;
    click(&c, "[data-testid=save]").await;
    text_until(&c, "[data-testid=editor]", |t| {
        t.contains("A date above does not read as a day yet")
    })
    .await;
    // Its clear button takes the mistyped day away.
    click(&c, "button[aria-label='Clear Date']").await;
    click(&c, "[data-testid=save]").await;
    let selected = text_until(&c, ".list button.selected", |t| {
        t.contains("Steering review, January")
    })
    .await;
    assert!(selected.contains("date to be set"), "{selected}");
    let card = text_until(&c, ".main", |t| t.contains("Edit review")).await;
    let value = css(&c, "[data-field=title]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(value, "Steering review, January", "{card:.200}");

    // Readiness and owner kinds in words.
    go(&c, "readiness").await;
    let screen = text_until(&c, "[data-testid=register-readiness_dimension]", |t| {
        t.contains("not ready")
    })
    .await;
    assert!(!screen.contains("not_ready"), "{screen:.400}");
    go(&c, "settings").await;
    let owners = text_until(&c, "[data-testid=register-owner]", |t| {
        t.contains("placeholder")
    })
    .await;
    assert!(!owners.contains('_'), "{owners:.400}");
    c.close().await.unwrap();
}

/// The SHA-256 of a file, as `sha256sum` reads it.
fn sha256(path: &std::path::Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "sha256sum {}", path.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// The documents the archive holds, newest last.
fn archived(db: &std::path::Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&roadbook(db, &["documents", "--json"]))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Printing sends the document itself, the same bytes as the archive's fingerprint, to the
/// printer chosen (here GTK's own "Print to File" printer, named by ROADBOOK_PRINTER instead of
/// the dialog); a fresh document is archived once printed; a printer that is not there says so
/// and archives nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_document_goes_to_the_printer_as_the_same_pdf_and_is_archived() {
    let (_dir, db, documents) = sample("print");
    let desktop = Desktop::start_with(
        &db,
        &documents,
        "",
        &[("ROADBOOK_PRINTER", "Print to File")],
    );
    let c = desktop.session().await;
    go(&c, "documents").await;
    choose(&c, "[data-testid=doc-kind]", "Leadership Readout").await;
    click(&c, "[data-testid=generate]").await;
    css(&c, "canvas[data-testid=preview-page]").await;
    // Once the preview is drawn: the button waits for it.
    click(&c, "[data-testid=print-document]:not([disabled])").await;
    text_until(&c, "[data-testid=document-saved]", |t| {
        t.contains("Sent to the printer and archived")
    })
    .await;
    let issued = archived(&db);
    assert_eq!(issued.len(), 1, "{issued:?}");
    let printed = documents.join(format!(
        "builder-insights-operationalization-readout-{}-printed.pdf",
        &issued[0]["as_of"].as_str().unwrap()[..10]
    ));
    assert_eq!(sha256(&printed), issued[0]["pdf_sha256"].as_str().unwrap());

    // The archived copy prints again, checked against its fingerprint; nothing new archived.
    std::fs::remove_file(&printed).unwrap();
    click(&c, "[data-testid=print-copy]").await;
    text_until(&c, "[data-testid=document-saved]", |t| {
        t.contains("Sent the Leadership Readout")
    })
    .await;
    assert_eq!(sha256(&printed), issued[0]["pdf_sha256"].as_str().unwrap());
    assert_eq!(archived(&db).len(), 1);
    c.close().await.unwrap();
    drop(desktop);

    let desktop = Desktop::start_with(
        &db,
        &documents,
        "",
        &[("ROADBOOK_PRINTER", "Nowhere Printer")],
    );
    let c = desktop.session().await;
    go(&c, "documents").await;
    click(&c, "[data-testid=generate]").await;
    css(&c, "canvas[data-testid=preview-page]").await;
    // Once the preview is drawn: the button waits for it.
    click(&c, "[data-testid=print-document]:not([disabled])").await;
    let said = text_until(&c, "p.error", |t| {
        t.contains("no printer named Nowhere Printer")
    })
    .await;
    assert!(said.contains("print dialog"), "{said}");
    assert_eq!(
        archived(&db).len(),
        1,
        "nothing archived when nothing printed"
    );
    c.close().await.unwrap();
    drop(desktop);

    // Without ROADBOOK_PRINTER the system's print dialog asks, over the window. Cancelled:
    // nothing printed, nothing archived, nothing said wrong. Printed on the printer it offers
    // first ("Print to File", the only one on this machine): the file is the document.
    // A home with a Documents folder, as a person's desktop has: where "Print to File" writes.
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".config")).unwrap();
    std::fs::create_dir_all(home.path().join("Documents")).unwrap();
    std::fs::write(
        home.path().join(".config/user-dirs.dirs"),
        "XDG_DOCUMENTS_DIR=\"$HOME/Documents\"\n",
    )
    .unwrap();
    let config = home.path().join(".config");
    let desktop = Desktop::start_with(
        &db,
        &documents,
        "",
        &[
            ("HOME", home.path().to_str().unwrap()),
            ("XDG_CONFIG_HOME", config.to_str().unwrap()),
        ],
    );
    let c = desktop.session().await;
    go(&c, "documents").await;
    click(&c, "[data-testid=generate]").await;
    css(&c, "canvas[data-testid=preview-page]").await;
    click(&c, "[data-testid=print-document]:not([disabled])").await;
    print_dialog(&desktop.display, &["Escape"]);
    css(&c, "[data-testid=print-document]:not([disabled])").await;
    assert!(
        c.find(Locator::Css("p.error")).await.is_err(),
        "a cancel is no error"
    );
    assert_eq!(archived(&db).len(), 1, "nothing archived when cancelled");
    click(&c, "[data-testid=print-document]:not([disabled])").await;
    // The first printer in the list, then Print.
    print_dialog(&desktop.display, &["Down", "alt+p"]);
    text_until(&c, "[data-testid=document-saved]", |t| {
        t.contains("Sent to the printer and archived")
    })
    .await;
    let issued = archived(&db);
    assert_eq!(issued.len(), 2);
    let printed = home.path().join("Documents/output.pdf");
    assert_eq!(sha256(&printed), issued[1]["pdf_sha256"].as_str().unwrap());
    c.close().await.unwrap();
}

/// Waits for the print dialog on `display` and presses `keys` in it, as a person would.
fn print_dialog(display: &str, keys: &[&str]) {
    let xdotool = |args: &[&str]| {
        let out = std::process::Command::new("timeout")
            .arg("20")
            .arg("xdotool")
            .args(args)
            .env("DISPLAY", display)
            .output()
            .expect("xdotool (make test installs it)");
        assert!(out.status.success(), "xdotool {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let found = xdotool(&[
        "search",
        "--sync",
        "--name",
        "^Print Builder Insights operationalization .* Leadership Readout",
    ]);
    let window = found.lines().next().unwrap().trim().to_owned();
    xdotool(&["windowfocus", "--sync", &window]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    xdotool(&[&["key"], keys].concat());
}

/// One truth on every screen: a decision decided from a terminal, on the same database, reaches
/// the open register and the open editor within 2 s, and the editor says at its top who changed
/// which fields; the person's own move (Alt+↑) is not announced as a change.
#[tokio::test(flavor = "multi_thread")]
async fn a_terminals_change_reaches_the_open_screens_and_names_who_made_it() {
    let (_dir, db, documents) = sample("truth");
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    go(&c, "decisions").await;
    let title = "Builder Relations org source";
    css(&c, "[data-testid=search]")
        .await
        .send_keys(title)
        .await
        .unwrap();
    click(&c, "[data-testid=row]").await;
    let question = css(&c, "textarea[data-field=question]").await;

    // The person's own move: no "changed since" notice.
    question.click().await.unwrap();
    press(&c, &[Key::Alt], char::from(Key::Up)).await;
    eventually("the move", SECONDS_10, async || {
        let first = export(&db)["decisions"][0]["title"].clone();
        if first == title {
            Ok(())
        } else {
            Err(format!("first is still {first}"))
        }
    })
    .await;
    // Another item renamed from a terminal reaches the register: the window has read the
    // database again since the move, and still says nothing of the move.
    roadbook(
        &db,
        &[
            "decision",
            "set",
            "Telemetry and dashboard ownership model",
            "--title",
            "Telemetry ownership model",
        ],
    );
    text_until(&c, "[data-testid=register-decision]", |t| {
        t.contains("Telemetry ownership model")
    })
    .await;
    let said = c
        .find_all(Locator::Css("[data-testid=changed-meanwhile]"))
        .await
        .unwrap();
    assert!(said.is_empty(), "the person's own move was announced");

    // A teammate at a terminal decides it.
    roadbook_as(
        &db,
        &[
            "decision",
            "set",
            title,
            "--status",
            "Decided",
            "--outcome",
            "Org truth comes from the Builder Relations CRM",
            "--rationale",
            "It is the source the team already keeps",
        ],
        &[("ROADBOOK_AUTHOR", "Dana Ortiz")],
    );
    let notice = text_until(&c, "[data-testid=changed-meanwhile]", |t| {
        t.contains("Dana Ortiz changed")
    })
    .await;
    assert!(
        notice.contains("Status") && notice.contains("Outcome") && notice.contains("Rationale"),
        "{notice}"
    );
    // At the top: above the first field.
    let top = |selector: &'static str| {
        let c = c.clone();
        async move {
            c.execute(
                "return document.querySelector(arguments[0]).getBoundingClientRect().top;",
                vec![json!(selector)],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap()
        }
    };
    assert!(
        top("[data-testid=changed-meanwhile]").await < top("[data-field=title]").await,
        "the notice is not at the top of the editor"
    );
    // The register behind it reads Decided too.
    text_until(&c, "[data-testid=register-decision]", |t| {
        t.contains("Decided")
    })
    .await;
    c.close().await.unwrap();
}

/// Typing while teammates' changes arrive: the window reads the database again for each one
/// (other items, and other fields of the open item), and not one typed character is lost or
/// moved.
#[tokio::test(flavor = "multi_thread")]
async fn typing_while_changes_arrive_loses_no_character() {
    let (_dir, db, documents) = sample("typing");
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    go(&c, "decisions").await;
    let title = "Builder Relations org source";
    css(&c, "[data-testid=search]")
        .await
        .send_keys(title)
        .await
        .unwrap();
    click(&c, "[data-testid=row]").await;
    let question = css(&c, "textarea[data-field=question]").await;
    question.clear().await.unwrap();
    question.click().await.unwrap();
    let typed = "Which teams join the pilot first, and who tells them?";
    // A teammate at a terminal, writing while the person types.
    let teammate = {
        let db = db.clone();
        std::thread::spawn(move || {
            for n in 0..8u32 {
                let day = format!("2027-01-{:02}", 10 + n);
                let level = if n % 2 == 0 { "medium" } else { "high" };
                let (kind, item, flag, value) = match n % 3 {
                    0 => (
                        "action",
                        "Confirm owner and meeting path for Okta/identity decisions",
                        "--due",
                        day.as_str(),
                    ),
                    1 => ("decision", title, "--due", day.as_str()),
                    _ => (
                        "risk",
                        "Builder Relations org truth remains ambiguous and weakens reporting scope trust",
                        "--severity",
                        level,
                    ),
                };
                roadbook_as(
                    &db,
                    &[kind, "set", item, flag, value],
                    &[("ROADBOOK_AUTHOR", "Dana Ortiz")],
                );
                std::thread::sleep(std::time::Duration::from_millis(120));
            }
        })
    };
    for ch in typed.chars() {
        question.send_keys(&ch.to_string()).await.unwrap();
    }
    teammate.join().unwrap();
    // The window has taken in the teammate's changes by now (the due date is on the open item).
    text_until(&c, "[data-testid=changed-meanwhile]", |t| {
        t.contains("Dana Ortiz")
    })
    .await;
    assert_eq!(
        question.prop("value").await.unwrap().unwrap_or_default(),
        typed,
        "typed characters lost or moved while changes arrived"
    );
    click(&c, "[data-testid=save]").await;
    eventually("the question saved", SECONDS_10, async || {
        let saved = export(&db)["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["title"] == title)
            .map(|d| d["question"].clone());
        if saved == Some(Value::from(typed)) {
            Ok(())
        } else {
            Err(format!("saved {saved:?}"))
        }
    })
    .await;
    c.close().await.unwrap();
}

/// Day one on the sample: the lead adds themselves, as a person on their team, in one step from
/// My items (the team a placeholder until then), and sees what they and their team owe; the
/// dashboard opens with what is overdue and due this week, and no due state is cut short.
#[tokio::test(flavor = "multi_thread")]
async fn day_one_a_lead_adds_themselves_and_sees_what_they_and_their_team_owe() {
    let (_dir, db, documents) = sample("day-one");
    let yesterday = (chrono::Local::now().date_naive() - chrono::Duration::days(1)).to_string();
    roadbook(
        &db,
        &[
            "action",
            "set",
            "Confirm owner and meeting path for Okta/identity decisions",
            "--due",
            &yesterday,
        ],
    );
    // Nobody named: no ROADBOOK_AUTHOR, no login in the environment (root's account in CI).
    let desktop = Desktop::start_with(
        &db,
        &documents,
        "",
        &[("ROADBOOK_AUTHOR", ""), ("USER", ""), ("LOGNAME", "")],
    );
    let c = desktop.session().await;
    // First run, known only by a login: the dashboard asks the person's name.
    text_until(&c, "[data-testid=ask-name]", |t| t.contains("Your name")).await;
    let due = text_until(&c, "[data-testid=due-now]", |t| t.contains("overdue")).await;
    assert!(
        due.contains("Confirm owner and meeting path for Okta/identity decisions"),
        "{due}"
    );
    // The dashboard opens with it: above the executive summary.
    let top = c
        .execute(
            "const s = [...document.querySelectorAll('[data-testid=dashboard] section')]; return s.findIndex((e) => e.dataset.testid === 'due-now');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(top, json!(0));

    go(&c, "my-items").await;
    let name = css(&c, "[data-testid=add-me-name]").await;
    name.clear().await.unwrap();
    name.send_keys("Priya Raman").await.unwrap();
    choose(
        &c,
        "[data-testid=add-me-team]",
        "Corporate Identity and Security Engineering (becomes a team)",
    )
    .await;
    click(&c, "[data-testid=add-me-submit]").await;
    let mine = text_until(&c, "[data-testid=my-items]", |t| {
        t.contains("Confirm owner and meeting path")
    })
    .await;
    assert!(mine.contains("Okta SSO path and claims model"), "{mine}");
    let h = export(&db);
    let owners = h["owners"].as_array().unwrap();
    let team = owners
        .iter()
        .find(|o| o["name"] == "Corporate Identity and Security Engineering")
        .unwrap();
    assert_eq!(team["kind"], "team");
    let me = owners.iter().find(|o| o["name"] == "Priya Raman").unwrap();
    assert_eq!(me["kind"], "person");
    assert_eq!(me["team_id"], team["id"]);
    // Signed with that name from now on, and the dashboard no longer asks.
    go(&c, "dashboard").await;
    css(&c, "[data-testid=due-now]").await;
    let asks = c
        .execute(
            "return document.querySelector('[data-testid=ask-name]') !== null;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(asks, json!(false));
    go(&c, "settings").await;
    text_until(&c, "[data-testid=your-name]", |t| {
        t.contains("Changes and documents are signed Priya Raman")
    })
    .await;

    // The Actions register says "overdue" whole, in a small window too.
    c.set_window_size(1024, 700).await.unwrap();
    go(&c, "actions").await;
    css(&c, "[data-testid=due-overdue]").await;
    let cut = c
        .execute(
            "return [...document.querySelectorAll('[data-testid=due-overdue]')].some((e) => { const cell = e.closest('.cell'); return cell.scrollWidth > cell.clientWidth + 1; });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(cut, json!(false), "a due state is cut short");
    c.close().await.unwrap();
}
