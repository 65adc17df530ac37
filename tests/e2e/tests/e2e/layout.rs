//! Layouts that hold from a small laptop window (1024×700) to a large monitor (2560×1440): in
//! every register, with the editor open, no two pieces of text overlap and the first column
//! keeps room to be read. Measured from the elements' rectangles in the real webview.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use roadbook_e2e::*;

/// Every overlap between two boxes of text in the register (its header, column heads, the
/// visible rows' cells as drawn, the editor's fields), and the first column's narrowest cell.
const MEASURE: &str = r#"
const reg = document.querySelector(arguments[0]);
const boxes = [];
const rect = (e) => e.getBoundingClientRect();
const visible = (r) => r.width > 0 && r.height > 0;
const add = (what, r) => { if (visible(r)) boxes.push({ what, l: r.left, t: r.top, r: r.right, b: r.bottom }); };
reg.querySelectorAll(':scope > header > *').forEach((e) => add('header ' + (e.dataset.testid || e.tagName.toLowerCase()), rect(e)));
reg.querySelectorAll('.head .th').forEach((e) => add('column ' + e.textContent.trim(), rect(e)));
const view = rect(reg.querySelector('.rows'));
let narrowest = Infinity;
reg.querySelectorAll('[data-testid=row]').forEach((row, i) => {
  const rr = rect(row);
  if (rr.bottom < view.top || rr.top > view.bottom) return;
  row.querySelectorAll('.cell').forEach((cell, c) => {
    const cr = rect(cell);
    if (c === 0) narrowest = Math.min(narrowest, cr.width);
    const clips = getComputedStyle(cell).overflow !== 'visible';
    // What the cell draws: itself when it clips; else itself and whatever sticks out of it.
    let l = cr.left, t = cr.top, r = cr.right, b = cr.bottom;
    if (!clips) cell.querySelectorAll('*').forEach((k) => { const kr = rect(k); if (visible(kr)) { l = Math.min(l, kr.left); r = Math.max(r, kr.right); t = Math.min(t, kr.top); b = Math.max(b, kr.bottom); } });
    boxes.push({ what: `row ${i} cell ${c} "${cell.textContent.trim().slice(0, 30)}"`, l, t, r, b });
  });
});
reg.querySelectorAll('.detail .field').forEach((e, i) => add('editor field ' + i, rect(e)));
const overlaps = [];
const inside = (a, b) => a.l >= b.l - 0.5 && a.r <= b.r + 0.5 && a.t >= b.t - 0.5 && a.b <= b.b + 0.5;
for (let i = 0; i < boxes.length; i++)
  for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    const w = Math.min(a.r, b.r) - Math.max(a.l, b.l), h = Math.min(a.b, b.b) - Math.max(a.t, b.t);
    if (w > 1 && h > 1 && !inside(a, b) && !inside(b, a)) overlaps.push(`${a.what} / ${b.what}`);
  }
const page = document.querySelector('[data-testid=screen]');
return { overlaps, narrowest, boxes: boxes.length, wider: page.scrollWidth - page.clientWidth };
"#;

async fn check_sizes(width: u32, height: u32) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("layout.db");
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    roadbook(&db, &["init", "--sample"]);
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    c.set_window_size(width, height).await.unwrap();
    text_until(&c, "[data-testid=dashboard]", |t| {
        t.contains("Identity and SSO")
    })
    .await;
    let inner = c
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await
        .unwrap();
    assert_eq!(
        inner,
        json!([width, height]),
        "the window did not take the size"
    );
    // The app's own typeface, shipped inside it, is the one in use.
    eventually(
        "the bundled typeface never loaded",
        std::time::Duration::from_secs(10),
        async || {
            let loaded = c
                .execute(
                    "return [...document.fonts].filter((f) => f.family.includes('Roadbook Inter') && f.status === 'loaded').length;",
                    vec![],
                )
                .await
                .unwrap();
            if loaded.as_u64().unwrap_or(0) > 0 { Ok(()) } else { Err(format!("{loaded} loaded")) }
        },
    )
    .await;
    let family = c
        .execute("return getComputedStyle(document.body).fontFamily;", vec![])
        .await
        .unwrap();
    assert!(
        family.as_str().unwrap().starts_with("\"Roadbook Inter\""),
        "{family}"
    );
    let registers = [
        ("decisions", "decision"),
        ("risks", "risk"),
        ("actions", "action"),
        ("workstreams", "workstream"),
        ("settings", "status"),
        ("settings", "owner"),
        ("plan", "milestone"),
        ("readiness", "readiness_check"),
    ];
    let mut problems = Vec::new();
    for (screen, kind) in registers {
        go(&c, screen).await;
        let register = format!("[data-testid=register-{kind}]");
        click(&c, &format!("{register} [data-testid=row]")).await;
        css(&c, "[data-testid=editor]").await;
        settled(&c).await;
        let found = c.execute(MEASURE, vec![json!(register)]).await.unwrap();
        assert!(found["boxes"].as_u64().unwrap() > 10, "{kind}: {found}");
        for overlap in found["overlaps"].as_array().unwrap() {
            problems.push(format!("{kind}: {}", overlap.as_str().unwrap()));
        }
        let narrowest = found["narrowest"].as_f64().unwrap();
        if narrowest < 120.0 {
            problems.push(format!(
                "{kind}: the first column is {narrowest:.0} px wide with the editor open"
            ));
        }
        if found["wider"].as_f64().unwrap() > 1.0 {
            problems.push(format!(
                "{kind}: the screen scrolls sideways by {} px",
                found["wider"]
            ));
        }
        shot(&c, &desktop, &format!("layout-{width}-{kind}")).await;
        // Close the editor before the next screen.
        press(&c, &[], '\u{E00C}').await;
    }
    assert!(
        problems.is_empty(),
        "at {width}×{height}:\n{}",
        problems.join("\n")
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn registers_hold_their_layout_in_a_small_window() {
    check_sizes(1024, 700).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn registers_hold_their_layout_on_a_large_monitor() {
    check_sizes(2560, 1440).await;
}

/// Every screen, an open editor and the command palette pass axe-core with no serious or
/// critical violation (labels, names, contrast, roles), in the real webview.
#[tokio::test(flavor = "multi_thread")]
async fn every_screen_passes_axe_with_no_serious_violation() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("axe.db");
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    roadbook(&db, &["init", "--sample"]);
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    text_until(&c, "[data-testid=dashboard]", |t| {
        t.contains("Identity and SSO")
    })
    .await;
    // The sync state is a live region: a screen reader says a new conflict or going offline.
    let status = css(&c, "[data-testid=sync-status]").await;
    assert_eq!(
        status.attr("role").await.unwrap().as_deref(),
        Some("status")
    );
    assert_eq!(
        status.attr("aria-live").await.unwrap().as_deref(),
        Some("polite")
    );
    let mut found = Vec::new();
    let screens = [
        "dashboard",
        "my-items",
        "program",
        "decisions",
        "risks",
        "workstreams",
        "actions",
        "plan",
        "readiness",
        "reviews",
        "documents",
        "history",
        "team-sync",
        "settings",
    ];
    for screen in screens {
        go(&c, screen).await;
        for v in accessibility_violations(&c).await {
            found.push(format!("{screen}: {v}"));
        }
    }
    // An open editor, on the decisions register.
    go(&c, "decisions").await;
    click(&c, "[data-testid=row]").await;
    css(&c, "[data-testid=editor]").await;
    for v in accessibility_violations(&c).await {
        found.push(format!("decision editor: {v}"));
    }
    // Recording a review's outcome.
    go(&c, "reviews").await;
    click(&c, "[data-testid=start-recording]").await;
    css(&c, "[data-testid=review-outcome]").await;
    for v in accessibility_violations(&c).await {
        found.push(format!("recording an outcome: {v}"));
    }
    // The command palette.
    press(&c, &[fantoccini::key::Key::Control], 'k').await;
    css(&c, "[data-testid=palette-input]").await;
    for v in accessibility_violations(&c).await {
        found.push(format!("command palette: {v}"));
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
    c.close().await.unwrap();
}

/// A new item lands at the end of a long register, out of sight in a small window: once saved
/// it is scrolled into view (and lit for a moment).
#[tokio::test(flavor = "multi_thread")]
async fn the_risk_register_keeps_its_rows_on_a_laptop_screen() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    roadbook(&db, &["init", "--sample"]);
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    c.set_window_size(1280, 800).await.unwrap();
    go(&c, "risks").await;
    // Every risk of the sample (14) in view at once, the map folded to a line above them.
    let h: serde_json::Value = serde_json::from_str(&roadbook(&db, &["export"])).unwrap();
    let risks = h["risks"].as_array().unwrap().len();
    assert!(risks >= 14, "{risks}");
    let in_view = c
        .execute(
            "const reg = document.querySelector('[data-testid=register-risk] .rows').getBoundingClientRect();
             const rows = [...document.querySelectorAll('[data-testid=register-risk] [data-testid=row]')];
             return rows.filter((row) => { const r = row.getBoundingClientRect(); return r.top >= reg.top && r.bottom <= Math.min(reg.bottom, window.innerHeight); }).length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(in_view, json!(risks), "risks in view at 1280×800");
    shot(&c, &desktop, "risks-laptop").await;
    // The map is a click away, and its counts are there when opened.
    assert!(cell_count(&c, "high-high").await > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_item_is_scrolled_into_view_when_saved() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.db");
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    roadbook(&db, &["init", "--sample"]);
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    c.set_window_size(1024, 520).await.unwrap();
    go(&c, "risks").await;
    let in_view = |statement: String| {
        let c = c.clone();
        async move {
            c.execute(
                "const reg = document.querySelector('[data-testid=register-risk] .rows').getBoundingClientRect();
                 const row = [...document.querySelectorAll('[data-testid=register-risk] [data-testid=row]')].find((r) => r.textContent.includes(arguments[0]));
                 if (!row) return false;
                 const r = row.getBoundingClientRect();
                 return r.top >= reg.top && r.bottom <= reg.bottom;",
                vec![json!(statement)],
            )
            .await
            .unwrap()
        }
    };
    // The last risk is out of sight to begin with: the register is longer than the window.
    let h: serde_json::Value = serde_json::from_str(&roadbook(&db, &["export"])).unwrap();
    let last = h["risks"].as_array().unwrap().last().unwrap()["statement"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        in_view(last).await,
        json!(false),
        "the register fits the window"
    );
    click(&c, "[data-testid=register-risk] [data-testid=new]").await;
    // The editor's Save is in reach without scrolling, however long the form.
    let save_in_view = c
        .execute(
            "const r = document.querySelector('[data-testid=save]').getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(save_in_view, json!(true), "Save is below the fold");
    let new = "The venue for the pilot is not booked";
    css(&c, "[data-field=statement]")
        .await
        .send_keys(new)
        .await
        .unwrap();
    click(&c, "[data-testid=save]").await;
    eventually(
        "the new risk in view",
        std::time::Duration::from_secs(10),
        async || {
            if in_view(new.to_owned()).await == json!(true) {
                Ok(())
            } else {
                Err("out of view".to_owned())
            }
        },
    )
    .await;
    c.close().await.unwrap();
}
