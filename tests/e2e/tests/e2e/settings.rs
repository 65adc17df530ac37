//! Settings a person sets for themselves, in the real webview: "Your name" signs their changes
//! and documents when nothing else names them, and usage counts are shared only after they turn
//! sharing on (and stop when they turn it off).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use roadbook_e2e::*;

#[tokio::test(flavor = "multi_thread")]
async fn your_name_signs_changes_and_usage_sharing_is_off_until_turned_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("settings.db");
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    let config = dir.path().join("config");
    let config_text = config.to_str().unwrap().to_owned();
    // Nobody named: no ROADBOOK_AUTHOR, no OS user, settings of its own.
    let desktop = Desktop::start_with(
        &db,
        &documents,
        "",
        &[
            ("ROADBOOK_AUTHOR", ""),
            ("USER", ""),
            ("LOGNAME", ""),
            ("XDG_CONFIG_HOME", &config_text),
        ],
    );
    let c = desktop.session().await;
    click(&c, "[data-testid=start-sample]").await;
    text_until(&c, "[data-testid=dashboard]", |t| {
        t.contains("Identity and SSO")
    })
    .await;
    go(&c, "settings").await;
    // Known only by the computer's login (root's, in CI): changes are signed with it, documents
    // name nobody. An account with a full name is signed with that.
    text_until(&c, "[data-testid=your-name]", |t| {
        (t.contains("(from your computer login)")
            && t.contains("documents leave out “Prepared by” until you give your name"))
            || t.contains("(from your computer account's full name)")
    })
    .await;
    let cli = |args: &[&str]| {
        roadbook_as(
            &db,
            args,
            &[("XDG_CONFIG_HOME", &config_text), ("ROADBOOK_AUTHOR", "")],
        )
    };
    assert!(cli(&["usage"]).starts_with("not sharing usage counts"));

    // Your name, saved with Enter: the next change is recorded under it.
    let field = css(&c, "#your-name").await;
    field.send_keys("Priya Raman").await.unwrap();
    field.send_keys("\u{E007}").await.unwrap();
    text_until(&c, "[data-testid=your-name]", |t| {
        t.contains("Changes and documents are signed Priya Raman (from Your name in Settings)")
    })
    .await;
    assert!(cli(&["config", "show"]).contains("name: Priya Raman"));
    go(&c, "decisions").await;
    click(&c, "[data-testid=new]").await;
    css(&c, "[data-field=title]")
        .await
        .send_keys("Signed by the name in Settings")
        .await
        .unwrap();
    click(&c, "[data-testid=save]").await;
    text_until(&c, "[data-testid=register-decision]", |t| {
        t.contains("Signed by the name in Settings")
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let history = cli(&["history", "--json"]);
        if history.contains("Signed by the name in Settings") {
            assert!(history.contains("Priya Raman"), "{history}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the change never reached history"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // History in the lead's words: field labels, names, no ids, no rows that changed nothing.
    go(&c, "history").await;
    let history = text_until(&c, "[data-testid=history]", |t| {
        t.contains("Signed by the name in Settings")
    })
    .await;
    assert!(
        // The title's field named as the editor labels it (the model's field table).
        history.contains("Decision—Signed by the name in Settings")
            && history.contains("Priya Raman"),
        "{history:.600}"
    );
    for internal in ["status_id", "needed_from", "risk_ids", "not_ready", "— —"] {
        assert!(!history.contains(internal), "{internal} in: {history:.600}");
    }
    let uuid = history
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .find(|w| w.len() == 36 && w.matches('-').count() == 4);
    if let Some(id) = uuid {
        let at = history.find(id).unwrap();
        let from = history.floor_char_boundary(at.saturating_sub(160));
        panic!("an id on screen: …{}", &history[from..at + 36]);
    }

    // Usage sharing: off until the box is ticked, then on; off again drops what waited.
    go(&c, "settings").await;
    let sharing = css(&c, "[data-testid=usage-sharing] input").await;
    assert!(!sharing.is_selected().await.unwrap(), "off by default");
    sharing.click().await.unwrap();
    text_until(&c, "[data-testid=team-notice]", |t| {
        t.contains("Usage counts are shared from now on")
    })
    .await;
    assert!(cli(&["usage"]).starts_with("sharing usage counts"));
    let report = dir.path().join("memo.pdf");
    cli(&["report", "memo", "--out", report.to_str().unwrap()]);
    assert!(cli(&["usage"]).contains("1 waiting"), "{}", cli(&["usage"]));
    shot(&c, &desktop, "settings-you").await;
    click(&c, "[data-testid=usage-sharing] input").await;
    text_until(&c, "[data-testid=team-notice]", |t| {
        t.contains("no longer shared")
    })
    .await;
    assert!(cli(&["usage"]).starts_with("not sharing usage counts"));

    // The check before sending, on the Documents screen: each finding opens its item.
    go(&c, "documents").await;
    let summary = text_until(&c, "[data-testid=check] summary", |t| {
        t.contains("things to look at")
    })
    .await;
    let expected = cli(&["check"]);
    let count = expected.split_whitespace().next().unwrap().to_owned();
    assert!(
        summary.contains(&format!("{count} things")),
        "{summary} / {expected}"
    );
    shot(&c, &desktop, "check-panel").await;
    let first = css(&c, "[data-testid=finding] button").await;
    let label = first.text().await.unwrap();
    first.click().await.unwrap();
    // The first finding is an unowned item (the decision made above): its editor opens on its
    // register with it.
    let (noun, field) = if label.starts_with("decision") {
        ("decision", "title")
    } else {
        ("risk", "statement")
    };
    let editor = css(&c, &format!("[data-field={field}]")).await;
    let value = editor.prop("value").await.unwrap().unwrap_or_default();
    let shown = label
        .trim_start_matches(&format!("{noun} ‘"))
        .trim_end_matches('’')
        .trim_end_matches('…');
    assert!(value.starts_with(shown), "{value} / {label}");

    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn registers_mark_overdue_and_due_this_week_on_the_persons_day_and_sort_undated_last() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dates.db");
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    roadbook(&db, &["init", "--sample"]);
    let decisions: serde_json::Value =
        serde_json::from_str(&roadbook(&db, &["decision", "list", "--json"])).unwrap();
    let day = |offset: i64| {
        (chrono::Local::now().date_naive() + chrono::Duration::days(offset))
            .format("%Y-%m-%d")
            .to_string()
    };
    let id = |n: usize| decisions[n]["id"].as_str().unwrap().to_owned();
    roadbook(&db, &["decision", "set", &id(0), "--due", &day(-7)]);
    roadbook(&db, &["decision", "set", &id(1), "--due", &day(3)]);
    roadbook(&db, &["decision", "set", &id(2), "--due", &day(30)]);
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    go(&c, "decisions").await;
    let overdue = text_until(&c, "[data-testid=due-overdue]", |t| t.contains("overdue")).await;
    assert!(overdue.starts_with(&day(-7)), "{overdue}");
    let soon = text_until(&c, "[data-testid=due-this_week]", |t| {
        t.contains("this week")
    })
    .await;
    assert!(soon.starts_with(&day(3)), "{soon}");
    let marked = c
        .find_all(fantoccini::Locator::Css("[data-testid=due-overdue]"))
        .await
        .unwrap();
    assert_eq!(marked.len(), 1, "one decision overdue");
    // Sorted by due date, either way, the undated decision comes last.
    for arrow in ['↑', '↓'] {
        let due = "//button[contains(@class,'th') and starts-with(normalize-space(.),'Due')]";
        c.find(fantoccini::Locator::XPath(due))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        // Sorted when the column says so (the rows are drawn in the same update).
        eventually(
            "the register sorted by due date",
            Duration::from_secs(10),
            async || {
                let header = c
                    .find(fantoccini::Locator::XPath(due))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                if header.ends_with(arrow) {
                    Ok(())
                } else {
                    Err(header)
                }
            },
        )
        .await;
        // textContent: WebDriver's text leaves out cells that clip.
        let last = c
            .execute(
                "const rows = document.querySelectorAll('[data-testid=register-decision] [data-testid=row]');
                 return rows[rows.length - 1].textContent;",
                vec![],
            )
            .await
            .unwrap();
        let last = last.as_str().unwrap_or_default().to_owned();
        assert!(
            [day(-7), day(3), day(30)]
                .iter()
                .all(|d| !last.contains(d.as_str())),
            "the undated decision is last: {last}"
        );
    }
    shot(&c, &desktop, "due-dates").await;
    // The dashboard marks the same, on the same day.
    go(&c, "dashboard").await;
    text_until(&c, "[data-testid=dashboard-due-overdue]", |t| {
        t.contains("overdue")
    })
    .await;
    text_until(&c, "[data-testid=dashboard-due-this_week]", |t| {
        t.contains("due this week")
    })
    .await;
    c.close().await.unwrap();
}
