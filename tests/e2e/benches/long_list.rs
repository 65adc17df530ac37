//! 5,000 decisions in the real webview: scroll the decision register from top to bottom one
//! animation frame at a time and record each frame's length, then type searches and record the
//! time from the keystroke to the frame that shows the narrowed list.
//!
//! `make bench-desktop` runs it against the release build (`cargo bench`) and prints the
//! figures. Under `cargo test --bench long_list` it runs the same steps quickly against the
//! debug build and checks only what the lead would see: the last decision at the bottom, and
//! each search showing exactly the decisions that match it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use roadbook_e2e::*;
use roadbook_model::{Handbook, Id, sample};
use roadbook_store::Store;

const DECISIONS: usize = 5_000;
/// Each bench decision carries one of these lane tags, so a search for a tag has a known answer.
const LANES: usize = 50;

fn lane(n: usize) -> String {
    format!("lane-{:02}", n % LANES)
}

/// The sample program with 5,000 more decisions, spread over its statuses and owners.
fn long_program() -> Handbook {
    let mut handbook = sample::builder_insights().unwrap();
    let template = handbook.decisions[0].clone();
    let statuses: Vec<Id> = handbook.statuses.iter().map(|s| s.id).collect();
    let owners: Vec<Id> = handbook.owners.iter().map(|o| o.id).collect();
    for n in 0..DECISIONS {
        let mut d = template.clone();
        d.id = Id::new();
        d.title = format!(
            "Bench decision {n:04} ({}): choose the path for item {n}",
            lane(n)
        );
        d.question = format!("Which way for bench item {n}?");
        d.status_id = statuses[n % statuses.len()];
        // A decision made says what was decided (the model refuses it otherwise).
        if handbook.status(d.status_id).is_some_and(|s| !s.open) {
            d.outcome = format!("Path {} for item {n}", lane(n));
        }
        d.needed_from = vec![owners[n % owners.len()]];
        d.risk_ids.clear();
        d.superseded_by = None;
        handbook.decisions.push(d);
    }
    handbook
}

/// The frame lengths a SCROLL run recorded, shortest first.
fn frame_times(run: &serde_json::Value) -> Vec<f64> {
    let mut times: Vec<f64> = run["times"]
        .as_array()
        .map(|t| t.iter().filter_map(serde_json::Value::as_f64).collect())
        .unwrap_or_default();
    times.sort_by(f64::total_cmp);
    times
}

const SCROLL: &str = r#"
const [frames, step, done] = arguments;
const rows = document.querySelector('[data-testid=register-decision] .rows');
rows.scrollTop = 0;
const times = [];
let last = 0;
let n = 0;
function tick(now) {
    times.push(now - last);
    last = now;
    rows.scrollTop += step;
    if (++n < frames) requestAnimationFrame(tick);
    else requestAnimationFrame(() => requestAnimationFrame(() => {
        const shown = rows.querySelectorAll('[data-testid=row]');
        done({
            times,
            atBottom: rows.scrollTop + rows.clientHeight >= rows.scrollHeight - 1,
            lastRow: shown.length ? shown[shown.length - 1].textContent : '',
            rowsInPage: shown.length
        });
    }));
}
requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
"#;

const SEARCH: &str = r#"
const [text, done] = arguments;
const input = document.querySelector('[data-testid=register-decision] [data-testid=search]');
const start = performance.now();
input.value = text;
input.dispatchEvent(new Event('input', { bubbles: true }));
// The second frame after the keystroke is the first one painted with the narrowed list.
requestAnimationFrame(() => requestAnimationFrame(() => done({
    ms: performance.now() - start,
    count: document.querySelector('[data-testid=register-decision] [data-testid=register-count]').textContent
})));
"#;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // `cargo bench` passes --bench; `cargo test --bench` does not: then check, do not measure.
    let measuring = std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("long.db");
    let handbook = long_program();
    Store::open(&db)
        .unwrap()
        .import(&handbook, "bench")
        .unwrap();
    let last_title = handbook.decisions.last().unwrap().title.clone();

    // Empty: the app chooses by the machine, as it does for a person.
    let rendering = std::env::var("ROADBOOK_RENDERING").unwrap_or_default();
    let desktop = Desktop::start(&db, dir.path(), &rendering);
    let c = desktop.session().await;
    css(&c, "[data-testid=nav-decisions]").await;
    go(&c, "decisions").await;
    let total = handbook.decisions.len();
    text_until(
        &c,
        "[data-testid=register-decision] [data-testid=register-count]",
        |t| t.trim() == format!("{total} of {total}"),
    )
    .await;

    // The same window idle, for what a frame costs without any change on screen.
    let idle = c
        .execute_async(
            SCROLL,
            vec![json!(if measuring { 120 } else { 10 }), json!(0)],
        )
        .await
        .unwrap();
    let idle = frame_times(&idle);

    // Scroll from the top to the bottom: 34 px rows, about a screen every 3 frames.
    let (frames, step) = if measuring {
        (
            600,
            std::env::var("STEP")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(300),
        )
    } else {
        (60, 3_000)
    };
    let result = c
        .execute_async(SCROLL, vec![json!(frames), json!(step)])
        .await
        .unwrap();
    assert_eq!(result["atBottom"], true, "the scroll did not reach the end");
    let last_row = result["lastRow"].as_str().unwrap_or_default();
    assert!(
        last_row.contains(&last_title),
        "the last row shows {last_row:?}, not the last decision {last_title:?}"
    );
    let rows_in_page = result["rowsInPage"].as_u64().unwrap();
    assert!(
        rows_in_page < 100,
        "{rows_in_page} rows in the page: the register should render only those in view"
    );
    let times = frame_times(&result);

    // Searches: each shows exactly the decisions whose text holds it.
    let searches = [
        lane(7),
        lane(42),
        "bench decision 49".to_owned(),
        String::new(),
    ];
    let mut latencies = Vec::new();
    for round in 0..if measuring { 5 } else { 1 } {
        for text in &searches {
            let expected = handbook
                .decisions
                .iter()
                .filter(|d| {
                    [
                        &d.title,
                        &d.question,
                        &d.outcome,
                        &d.rationale,
                        &d.decided_by,
                    ]
                    .iter()
                    .any(|f| f.to_lowercase().contains(&text.to_lowercase()))
                })
                .count();
            let result = c.execute_async(SEARCH, vec![json!(text)]).await.unwrap();
            let count = result["count"].as_str().unwrap_or_default();
            assert_eq!(
                count.trim(),
                format!("{expected} of {total}"),
                "search {text:?} (round {round})"
            );
            latencies.push(result["ms"].as_f64().unwrap());
        }
    }
    latencies.sort_by(f64::total_cmp);
    tokio::time::sleep(Duration::from_millis(100)).await;
    c.close().await.unwrap();

    if measuring {
        let rendering = if rendering.is_empty() {
            "chosen by the machine"
        } else {
            &rendering
        };
        println!("rendering: {rendering} (ROADBOOK_RENDERING)");
        let long = times.iter().filter(|t| **t > 50.0).count();
        println!(
            "scroll 5,000 decisions top to bottom ({} frames of {step} px): frame median {:.1} ms, p95 {:.1} ms, max {:.1} ms; {long} frames over 50 ms",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            percentile(&times, 1.0)
        );
        println!(
            "the same window idle ({} frames): frame median {:.1} ms, p95 {:.1} ms",
            idle.len(),
            percentile(&idle, 0.5),
            percentile(&idle, 0.95)
        );
        println!(
            "search among 5,000 decisions, keystroke to painted list ({} searches): median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            latencies.len(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.95),
            percentile(&latencies, 1.0)
        );
        println!("rows in the page while scrolling: {rows_in_page} (of {total})");
    } else {
        println!(
            "long list: {total} decisions scrolled to the end and searched {} times (figures: make bench-desktop)",
            latencies.len()
        );
    }
}
