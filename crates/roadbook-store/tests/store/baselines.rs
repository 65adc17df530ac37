//! Baselines: named moments of a program's history, set by hand or by issuing a readout; the
//! program read back at one holds the dates it had then.

use super::*;
use roadbook_model::Milestone;
use roadbook_store::IssuedDocument;

#[test]
fn a_baseline_reads_back_the_dates_the_plan_had_and_names_are_its_own() {
    let (_dir, path, h) = with_sample();
    let mut store = Store::open(&path).unwrap();
    let program = h.program.id;
    assert!(matches!(
        store.baseline(program, None),
        Err(StoreError::NoBaselineYet)
    ));
    let mut milestone: Milestone = h.milestones[0].clone();
    milestone.target = Some("2026-12-15".parse().unwrap());
    update(&mut store, program, &milestone, "lead").unwrap();
    let set = store
        .set_baseline(program, "  Steering review  ", None, "Lee Lead")
        .unwrap();
    assert_eq!(set.name, "Steering review");
    // Later history is after the baseline's moment, to the millisecond.
    std::thread::sleep(Duration::from_millis(5));
    milestone.target = Some("2026-12-29".parse().unwrap());
    update(&mut store, program, &milestone, "lead").unwrap();

    let found = store.baseline(program, Some("STEERING REVIEW")).unwrap();
    assert_eq!(found, set);
    let then = store.load_at_baseline(program, &found).unwrap();
    let now = store.load(program).unwrap();
    let slipped = roadbook_model::slips(&then, &now);
    let slip = slipped.iter().find(|s| s.id == milestone.id).unwrap();
    assert_eq!(slip.days(), Some(14));

    // Refused, and nothing written: no name, a name taken in another case, a moment to come,
    // one before the program was here, control characters, a name too long for a heading,
    // names Roadbook gives.
    let long = "x".repeat(101);
    for (name, at) in [
        ("", None),
        ("steering review", None),
        (
            "Later",
            Some(chrono::Utc::now() + chrono::Duration::days(1)),
        ),
        ("Long ago", Some("2020-01-01T00:00:00Z".parse().unwrap())),
        ("Red\u{1b}[31m", None),
        ("Two\nlines", None),
        (long.as_str(), None),
        ("now", None),
        ("Readout of 1 Jan 2020", None),
    ] {
        let err = store
            .set_baseline(program, name, at, "Lee Lead")
            .unwrap_err();
        assert!(matches!(err, StoreError::BaselineName(_)), "{err}");
    }
    assert_eq!(store.baselines(program).unwrap().len(), 1);
    // Only a program of this database has baselines.
    assert!(
        store
            .set_baseline(Id::new(), "Elsewhere", None, "x")
            .is_err()
    );
    let unknown = store
        .baseline(program, Some("Kickoff"))
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("'Steering review'"), "{unknown}");
}

#[test]
fn every_readout_issued_is_a_baseline_named_by_its_day() {
    let (_dir, path) = temp_db();
    let h = sample::builder_insights().unwrap();
    let mut store = Store::open(&path).unwrap();
    // Here since October: a baseline of 1 November has a plan to show.
    store.pin_clock(Some("2026-10-01T00:00:00Z".parse().unwrap()));
    store.import(&h, "lead").unwrap();
    store.pin_clock(None);
    let program = h.program.id;
    let readout = |as_of: &str| IssuedDocument {
        id: Id::new(),
        program_id: program,
        kind: "readout".into(),
        issued_at: as_of.into(),
        as_of: as_of.into(),
        parameters: json!({}),
        pdf_sha256: "0".repeat(64),
        pdf_bytes: 1,
        pages: 1,
        author: "Lee Lead".into(),
        shared_by: None,
    };
    store
        .archive_document(&readout("2026-11-20T09:00:00.000Z"), "{}")
        .unwrap();
    store
        .set_baseline(
            program,
            "Kickoff",
            Some("2026-11-01T00:00:00Z".parse().unwrap()),
            "Lee Lead",
        )
        .unwrap();
    let names: Vec<String> = store
        .baselines(program)
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["Kickoff", "Readout of 20 Nov 2026 09:00:00 UTC"]);
    // A readout's name is its moment, so it never changes; the latest is the default, read as
    // a time whatever zone its moment was written in (a teammate's at 10:30-06:00 is later).
    store
        .archive_document(&readout("2026-11-20T15:30:00.000Z"), "{}")
        .unwrap();
    store
        .archive_document(&readout("2026-11-20T10:30:00.000-06:00"), "{}")
        .unwrap();
    let latest = store.baseline(program, None).unwrap();
    assert_eq!(latest.name, "Readout of 20 Nov 2026 16:30:00 UTC");
    assert!(latest.readout);
    assert!(
        store
            .baseline(program, Some("Readout of 20 Nov 2026 09:00:00 UTC"))
            .is_ok()
    );
    // A readout's name is taken: a baseline by hand cannot have it.
    assert!(
        store
            .set_baseline(program, "readout of 20 nov 2026 15:30 utc", None, "x")
            .is_err()
    );
}
