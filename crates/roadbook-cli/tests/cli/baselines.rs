//! `roadbook baseline`: set, move dates, compare: the variance in days of every dated kind,
//! and every readout issued listed as a baseline.

use super::*;

/// The id of the first item a list command prints.
fn first(db: &Path, kind: &str) -> String {
    ok(db, &[kind, "list"])
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
pub(super) fn a_baseline_then_moved_dates_says_by_how_many_days_each_slipped() {
    let (dir, db) = sample_db();
    let none = fails(&db, &["baseline", "compare"]);
    assert!(none.contains("no baseline yet"), "{none}");
    let phase = first(&db, "phase");
    let milestone = first(&db, "milestone");
    let decision = first(&db, "decision");
    let action = first(&db, "action");
    ok(
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
    ok(
        &db,
        &["milestone", "set", &milestone, "--target", "2026-12-15"],
    );
    ok(&db, &["decision", "set", &decision, "--due", "2026-12-10"]);
    ok(&db, &["action", "set", &action, "--due", "2026-12-11"]);
    let set = ok(&db, &["baseline", "set", "20 November steering"]);
    assert!(set.contains("'20 November steering'"), "{set}");
    // The edits after it are later than its moment, to the millisecond.
    std::thread::sleep(std::time::Duration::from_millis(5));
    ok(
        &db,
        &[
            "phase",
            "set",
            &phase,
            "--start",
            "2026-11-09",
            "--end",
            "2026-12-15",
        ],
    );
    ok(
        &db,
        &["milestone", "set", &milestone, "--target", "2026-12-29"],
    );
    ok(&db, &["decision", "set", &decision, "--due", "2026-12-11"]);
    ok(&db, &["action", "set", &action, "--due", "2026-12-04"]);

    let compared = ok(&db, &["baseline", "compare"]);
    for line in [
        "phase 'Phase 1: identity and org foundation': start 2026-11-09, +7 days (was 2026-11-02)",
        "phase 'Phase 1: identity and org foundation': end 2026-12-15, \u{2212}3 days (was 2026-12-18)",
        "milestone 'Milestone 1': target 2026-12-29, +14 days (was 2026-12-15)",
        "': due 2026-12-11, +1 day (was 2026-12-10)",
        "': due 2026-12-04, \u{2212}7 days (was 2026-12-11)",
        "5 dated: 3 later, 2 earlier, 0 on plan",
    ] {
        assert!(compared.contains(line), "{line} not in:\n{compared}");
    }
    assert!(
        compared.starts_with("Against the baseline '20 November steering'"),
        "{compared}"
    );
    let rows: Value = serde_json::from_str(&ok(
        &db,
        &[
            "baseline",
            "compare",
            "20 november STEERING",
            "now",
            "--json",
        ],
    ))
    .unwrap();
    let days: Vec<i64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["days"].as_i64().unwrap())
        .collect();
    assert_eq!(days, [7, -3, 14, 1, -7]);

    // A readout issued is a baseline too, named by its day, and the latest by default.
    let pdf = dir.path().join("r.pdf");
    ok(&db, &["report", "readout", "--out", pdf.to_str().unwrap()]);
    let listed = ok(&db, &["baseline", "list"]);
    assert!(listed.contains("20 November steering  (set by"), "{listed}");
    assert!(listed.contains("Readout of "), "{listed}");
    let since_readout = ok(&db, &["baseline", "compare"]);
    assert!(
        since_readout.contains("5 dated: 0 later, 0 earlier, 5 on plan"),
        "{since_readout}"
    );
    // From one baseline to another.
    let between = ok(
        &db,
        &[
            "baseline",
            "compare",
            "20 November steering",
            since_readout_name(&listed).as_str(),
        ],
    );
    assert!(between.contains("+14 days"), "{between}");

    // Refused, and nothing set: a name taken in another case, a moment to come, no such name.
    let taken = fails(&db, &["baseline", "set", "20 NOVEMBER steering"]);
    assert!(taken.contains("already"), "{taken}");
    let later = fails(&db, &["baseline", "set", "Next year", "--at", "2099-01-01"]);
    assert!(later.contains("has not come yet"), "{later}");
    let twice = fails(
        &db,
        &[
            "baseline",
            "compare",
            "20 November steering",
            "20 november steering",
        ],
    );
    assert!(twice.contains("same baseline twice"), "{twice}");
    let reserved = fails(&db, &["baseline", "set", "now"]);
    assert!(reserved.contains("choose another"), "{reserved}");
    let unknown = fails(&db, &["baseline", "compare", "Kickoff"]);
    assert!(unknown.contains("'20 November steering'"), "{unknown}");
    assert_eq!(ok(&db, &["baseline", "list"]).lines().count(), 2);
}

/// The readout's name as `baseline list` prints it.
fn since_readout_name(listed: &str) -> String {
    let line = listed.lines().find(|l| l.contains("Readout of ")).unwrap();
    let start = line.find("Readout of ").unwrap();
    let end = line.find("  (").unwrap();
    line[start..end].to_owned()
}
