//! The Plan screen drawn against a baseline, in the real webview: grey ghosts where each phase
//! and milestone stood, by position (the days they moved, on the axis), the baseline chosen
//! or none.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use roadbook_e2e::*;

/// Where the first element `selector` finds is drawn in the window: left edge, width.
async fn bbox(c: &Client, selector: &str) -> (f64, f64) {
    css(c, selector).await;
    let found = c
        .execute(
            "const b = document.querySelector(arguments[0]).getBoundingClientRect(); return [b.x, b.width];",
            vec![json!(selector)],
        )
        .await
        .unwrap();
    let v = found.as_array().unwrap();
    (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plan_draws_where_each_phase_and_milestone_stood_at_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("baseline.db");
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    roadbook(&db, &["init", "--sample"]);
    let first = |out: String| out.split_whitespace().next().unwrap().to_owned();
    let phase = first(roadbook(&db, &["phase", "list"]));
    let milestone = first(roadbook(&db, &["milestone", "list"]));
    roadbook(
        &db,
        &[
            "phase",
            "set",
            &phase,
            "--start",
            "2026-11-02",
            "--end",
            "2026-12-18",
        ],
    );
    roadbook(
        &db,
        &["milestone", "set", &milestone, "--target", "2026-12-15"],
    );
    roadbook(&db, &["baseline", "set", "20 November steering"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    // Since: the phase starts two weeks later and ends four weeks later; the milestone slips.
    roadbook(
        &db,
        &[
            "phase",
            "set",
            &phase,
            "--start",
            "2026-11-16",
            "--end",
            "2027-01-15",
        ],
    );
    roadbook(
        &db,
        &["milestone", "set", &milestone, "--target", "2027-01-10"],
    );

    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    go(&c, "plan").await;
    text_until(&c, "[data-testid=baseline-key]", |t| {
        t.contains("20 November steering, set")
    })
    .await;
    let bar = "[data-testid=timeline-phase]";
    let ghost = format!("[data-testid=timeline-ghost-phase][data-for='{phase}']");
    let (bar_x, bar_w) = bbox(&c, bar).await;
    let (ghost_x, ghost_w) = bbox(&c, &ghost).await;
    // 61 days now, 47 then; it starts 14 days later now.
    let per_day = bar_w / 61.0;
    assert!(
        (ghost_w - 47.0 * per_day).abs() < 1.5,
        "ghost {ghost_w} px, bar {bar_w} px"
    );
    assert!(
        (bar_x - ghost_x - 14.0 * per_day).abs() < 1.5,
        "ghost at {ghost_x}, bar at {bar_x}"
    );
    // The milestone's ghost: 26 days before its mark.
    let (mark_x, mark_w) = bbox(&c, "[data-testid=timeline-milestone]").await;
    let mark = mark_x + mark_w / 2.0;
    let (dot_x, dot_w) = bbox(
        &c,
        &format!("[data-testid=timeline-ghost-milestone][data-for='{milestone}']"),
    )
    .await;
    assert!(
        (mark - (dot_x + dot_w / 2.0) - 26.0 * per_day).abs() < 1.5,
        "mark {mark}, ghost {dot_x}"
    );
    // Each ghost says by how much it moved (the model's words, from the Rust side).
    let said = c
        .execute(
            "return [...document.querySelectorAll('[data-testid^=timeline-ghost] title')].map((t) => t.textContent).join(' | ');",
            vec![],
        )
        .await
        .unwrap();
    let said = said.as_str().unwrap_or_default();
    assert!(
        said.contains("start +14 days, end +28 days") && said.contains("target +26 days"),
        "{said}"
    );
    settled(&c).await;
    shot(&c, &desktop, "plan-baseline").await;

    // No baseline: no ghosts, no key.
    choose(&c, "[data-testid=baseline]", "no baseline").await;
    eventually(
        "the ghosts go",
        std::time::Duration::from_secs(10),
        async || {
            let left = c
                .find_all(Locator::Css("[data-testid^=timeline-ghost]"))
                .await
                .unwrap()
                .len();
            if left == 0 {
                Ok(())
            } else {
                Err(format!("{left} ghosts"))
            }
        },
    )
    .await;
    assert!(
        c.find_all(Locator::Css("[data-testid=baseline-key]"))
            .await
            .unwrap()
            .is_empty()
    );
}
