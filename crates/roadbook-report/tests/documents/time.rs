//! Documents and time: what changed since the last readout, as-of a past moment (reissued
//! byte-identical), refused for a moment to come, due dates on the document's day.

use super::*;

#[test]
pub(super) fn a_readout_reports_what_changed_since_the_last_readout() {
    let mut f = fixture(sample::builder_insights().unwrap());
    std::thread::sleep(std::time::Duration::from_millis(5));
    let mut first_request = f.request(DocumentKind::Readout);
    first_request.as_of = Utc::now();
    let first = prepare(&f.store, &first_request, "Test Lead").unwrap();
    assert_eq!(first.record.parameters["since"], serde_json::Value::Null);
    f.store
        .archive_document(&first.record, &first.snapshot)
        .unwrap();
    assert_eq!(f.store.documents(f.handbook.program.id).unwrap().len(), 1);
    std::thread::sleep(std::time::Duration::from_millis(5));

    let mut decision = f.handbook.decisions[0].clone();
    decision.status_id = f.handbook.status_named("Decided").unwrap().id;
    decision.outcome = "Adopt Okta SSO with group claims".into();
    edit(
        &mut f.store,
        f.handbook.program.id,
        &f.handbook.decisions[0],
        &decision,
    );
    let mut risk = f.handbook.risks[0].clone();
    risk.status_id = f.handbook.status_named("Done").unwrap().id;
    edit(
        &mut f.store,
        f.handbook.program.id,
        &f.handbook.risks[0],
        &risk,
    );

    std::thread::sleep(std::time::Duration::from_millis(5));
    let mut request = f.request(DocumentKind::Readout);
    request.as_of = Utc::now();
    let (second, path) = f.issue(&request);
    assert_eq!(
        second.record.parameters["previous_readout"],
        first.record.id.to_string()
    );
    let t = text(&path);
    assert_holds(
        &t,
        &[
            &format!(
                "What changed since the last readout ({})",
                first_request.as_of.format("%-d %b %Y")
            ),
            // One line per item: the decision made, with its move; its outcome is in the section.
            "Decision made: Okta SSO path and claims model (Needs decision → Decided)",
            "Risk closed (Done): Identity decisions stay abstract and block entitlement implementation",
            // Under "Decisions made": what, why and its workstream.
            "Decisions made",
            "Okta SSO path and claims model Identity and SSO Adopt Okta SSO with group claims",
        ],
        "second readout",
    );
    assert!(
        !t.contains("recorded its outcome"),
        "one line per item: {t:.3000}"
    );
    // The workstream whose only decision is made no longer waits on one in the summary.
    let standing = t.split("Where the program stands").nth(1).unwrap();
    let standing = standing.split("Area").next().unwrap();
    assert!(
        standing
            .contains("Identity and SSO still reads Needs decision, though its decisions are made"),
        "{standing}"
    );
    assert!(
        standing
            .contains("2 wait on a decision: Org-aware access, and Observability and analytics"),
        "{standing}"
    );
    assert!(
        !t.contains("New decision"),
        "the import before the first readout is not a change since it"
    );
    // The ask that spoke of it (and of three decisions still open) says it is made, and stands.
    let asks = t.split("Asks of leadership").last().unwrap();
    assert!(
        asks.contains(
            "(Since asked, the decision Okta SSO path and claims model is made; the rest stands.)"
        ),
        "{asks}"
    );
    // The decided decision left "Decisions needed"; the register still holds it.
    let needed = t
        .split("Decisions needed")
        .nth(1)
        .unwrap()
        .split("Top risks")
        .next()
        .unwrap();
    assert!(
        !needed.contains("Okta SSO path and claims model"),
        "{needed}"
    );
    assert!(snapshot_holds(
        &second.snapshot,
        "Adopt Okta SSO with group claims"
    ));

    // A teammate holding only the archive record and its snapshot regenerates the same bytes,
    // the window of changes and the previous readout included; a changed snapshot does not.
    let again = regenerate(&second.record, &second.snapshot).unwrap();
    assert!(again == second.pdf, "the regenerated readout differs");
    let tampered = second
        .snapshot
        .replace("Adopt Okta SSO with group claims", "Adopt something else");
    assert!(regenerate(&second.record, &tampered).unwrap() != second.pdf);
    assert!(regenerate(&second.record, "{not json").is_err());

    // Reissued for the first readout's moment, a readout still compares with nothing before it.
    let again = prepare(&f.store, &first_request, "Test Lead").unwrap();
    assert_eq!(again.record.parameters["since"], serde_json::Value::Null);
}

pub(super) fn snapshot_holds(snapshot: &str, text: &str) -> bool {
    let value: serde_json::Value = serde_json::from_str(snapshot).unwrap();
    value["handbook"]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["outcome"] == text)
}

#[test]
pub(super) fn a_document_as_of_a_moment_to_come_is_refused() {
    let f = fixture(sample::builder_insights().unwrap());
    let mut request = f.request(DocumentKind::Readout);
    request.as_of = Utc::now() + Duration::days(1);
    let refused = prepare(&f.store, &request, "Test Lead")
        .unwrap_err()
        .to_string();
    assert!(refused.contains("has not come yet"), "{refused}");
}

#[test]
pub(super) fn a_packet_needs_a_review() {
    let mut h = sample::builder_insights().unwrap();
    let review = h.reviews[0].id;
    h.risks
        .retain(|r| r.scope != roadbook_model::RiskScope::Review { review_id: review });
    h.reviews.clear();
    let f = fixture(h);
    let err = prepare(&f.store, &f.request(DocumentKind::Packet), "Test Lead").unwrap_err();
    assert!(
        err.to_string()
            .contains("there is no review to prepare a packet for"),
        "{err}"
    );
}

#[test]
pub(super) fn a_document_as_of_a_past_moment_shows_that_moments_values_and_reissues_byte_identical()
{
    let mut f = fixture(sample::builder_insights().unwrap());
    let program = f.handbook.program.id;
    let day = |d: u32| Utc.with_ymd_and_hms(2026, 11, d, 9, 0, 0).unwrap();
    let decided = f.handbook.status_named("Decided").unwrap().id;
    let first = f.handbook.decisions[0].clone();

    // The 10th: decided, first outcome.
    f.store.pin_clock(Some(day(10)));
    let mut v1 = first.clone();
    v1.status_id = decided;
    v1.outcome = "Okta SSO, version one".into();
    v1.rationale = "Security signed off".into();
    edit(&mut f.store, program, &first, &v1);
    // A readout issued on the 11th for the 11th, archived as the app does.
    f.store.pin_clock(Some(day(11)));
    let mut readout = f.request(DocumentKind::Readout);
    readout.as_of = day(11);
    let at_the_time = prepare(&f.store, &readout, "Test Lead").unwrap();
    f.store
        .archive_document(&at_the_time.record, &at_the_time.snapshot)
        .unwrap();
    // The 17th: a second outcome, a new decision, a risk renamed.
    f.store.pin_clock(Some(day(17)));
    let mut v2 = v1.clone();
    v2.outcome = "Okta SSO, version two".into();
    edit(&mut f.store, program, &v1, &v2);
    let mut added = f.handbook.decisions[1].clone();
    added.id = Id::new();
    added.title = "Added on the seventeenth".into();
    added.risk_ids.clear();
    added.superseded_by = None;
    f.store.create(program, &added, "Test Lead").unwrap();
    let risk = f.handbook.risks[0].clone();
    let mut renamed = risk.clone();
    renamed.statement = "Renamed on the seventeenth".into();
    edit(&mut f.store, program, &risk, &renamed);
    // The 24th: a third outcome; the new decision deleted.
    f.store.pin_clock(Some(day(24)));
    let mut v3 = v2.clone();
    v3.outcome = "Okta SSO, version three".into();
    edit(&mut f.store, program, &v2, &v3);
    f.store.delete(added.id, "Test Lead").unwrap();
    f.store.pin_clock(None);

    let register = |moment| {
        let mut request = f.request(DocumentKind::Register);
        request.as_of = moment;
        let (_, path) = f.issue(&request);
        text(&path)
    };
    let outcomes = ["version one", "version two", "version three"];
    for (moment, shown, added_shown) in [
        (day(5), None, false),
        (day(12), Some("version one"), false),
        (day(20), Some("version two"), true),
        (day(27), Some("version three"), false),
    ] {
        let t = register(moment);
        for outcome in outcomes {
            assert_eq!(
                t.contains(&format!("Okta SSO, {outcome}")),
                shown == Some(outcome),
                "as of {moment}: {outcome}"
            );
        }
        assert_eq!(
            t.contains("Added on the seventeenth"),
            added_shown,
            "as of {moment}"
        );
        assert!(
            t.contains(&moment.format("%-d %b %Y").to_string()),
            "as of {moment}"
        );
    }
    let mut dashboard = f.request(DocumentKind::Dashboard);
    dashboard.as_of = day(20);
    let (_, path) = f.issue(&dashboard);
    let t = text(&path);
    assert!(t.contains("Renamed on the seventeenth"), "as of the 20th");
    dashboard.as_of = day(12);
    let (_, path) = f.issue(&dashboard);
    let t = text(&path);
    assert!(!t.contains("Renamed on the seventeenth") && t.contains(&risk.statement[..30]));

    // Reissued today for the 11th: the very bytes issued on the 11th.
    let again = prepare(&f.store, &readout, "Test Lead").unwrap();
    assert!(
        again.pdf == at_the_time.pdf,
        "a reissue for a past moment differs"
    );
    assert_eq!(again.record.pdf_sha256, at_the_time.record.pdf_sha256);
    // Before the program existed there is nothing to show, and the error says so.
    let mut before = f.request(DocumentKind::Memo);
    before.as_of = Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap();
    let err = prepare(&f.store, &before, "Test Lead")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("did not exist yet") && err.contains("choose a later moment"),
        "{err}"
    );
}

#[test]
pub(super) fn due_dates_read_overdue_or_this_week_on_the_documents_day_and_closed_items_only_their_date()
 {
    let mut handbook = sample::builder_insights().unwrap();
    let day = |s: &str| s.parse::<roadbook_model::Date>().unwrap();
    // The documents' day is 2026-11-22.
    let decided = handbook.status_named("Decided").unwrap().id;
    handbook.decisions[0].due = Some(day("2026-11-20"));
    handbook.decisions[1].due = Some(day("2026-11-26"));
    handbook.decisions[2].due = Some(day("2026-12-15"));
    handbook.decisions[3].due = Some(day("2026-11-02"));
    handbook.decisions[3].status_id = decided;
    handbook.decisions[3].outcome = "Settled".into();
    handbook.decisions[3].rationale = "Because".into();
    let f = fixture(handbook);
    let (_, path) = f.issue(&f.request(DocumentKind::Register));
    let text = text(&path);
    for fact in [
        "20 Nov 2026 (overdue)",
        "26 Nov 2026 (this week)",
        "15 Dec 2026",
        "2 Nov 2026",
    ] {
        assert!(text.contains(fact), "{fact} not in: {text:.1500}");
    }
    assert!(!text.contains("15 Dec 2026 ("), "{text:.1500}");
    assert!(
        !text.contains("2 Nov 2026 ("),
        "a decided decision is not overdue"
    );
}

#[test]
pub(super) fn a_readout_says_which_dates_moved_against_the_baseline_before_it_and_by_how_much() {
    let mut f = fixture(sample::builder_insights().unwrap());
    let program = f.handbook.program.id;
    let mut milestone = f.handbook.milestones[0].clone();
    milestone.target = Some("2026-12-15".parse().unwrap());
    edit(&mut f.store, program, &f.handbook.milestones[0], &milestone);
    let mut phase = f.handbook.phases[0].clone();
    phase.end = Some("2026-12-18".parse().unwrap());
    edit(&mut f.store, program, &f.handbook.phases[0], &phase);
    // A date that stays where it was: not listed among what moved.
    let mut decision = f.handbook.decisions[0].clone();
    decision.due = Some("2026-12-10".parse().unwrap());
    edit(&mut f.store, program, &f.handbook.decisions[0], &decision);
    // Before any baseline, a readout says nothing of dates against one.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let mut request = f.request(DocumentKind::Readout);
    request.as_of = Utc::now();
    let (_, path) = f.issue(&request);
    assert!(!text(&path).contains("Dates against"));

    let before_baseline = Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(5));
    f.store
        .set_baseline(program, "20 November steering", None, "Test Lead")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    // A document cannot measure against a baseline after its own moment.
    let mut earlier = request.clone();
    earlier.as_of = before_baseline;
    earlier.baseline = Some("20 November steering".into());
    let refused = prepare(&f.store, &earlier, "Test Lead").unwrap_err();
    assert!(
        refused.to_string().contains("after the document's"),
        "{refused}"
    );
    let (before_milestone, before_phase) = (milestone.clone(), phase.clone());
    milestone.target = Some("2026-12-29".parse().unwrap());
    edit(&mut f.store, program, &before_milestone, &milestone);
    phase.end = Some("2026-12-15".parse().unwrap());
    edit(&mut f.store, program, &before_phase, &phase);
    std::thread::sleep(std::time::Duration::from_millis(5));
    request.as_of = Utc::now();
    let (issued, path) = f.issue(&request);
    let t = text(&path);
    assert_holds(
        &t,
        &[
            "Dates against the baseline ‘20 November steering’",
            "2 dates moved: 1 later, 1 earlier.",
            "29 Dec 2026",
            "15 Dec 2026",
            "+14 days",
            "\u{2212}3 days",
        ],
        "readout",
    );
    // The table holds what moved and nothing else: not the decision whose date held.
    let section = &t[t.find("Dates against").unwrap()..t.find("Decisions needed").unwrap()];
    assert!(
        !section.contains("on plan") && !section.contains(&decision.title),
        "{section}"
    );
    assert!(
        issued.record.parameters["baseline"]
            .as_str()
            .unwrap()
            .starts_with("the baseline ‘20 November steering’ (the plan as it stood "),
        "{}",
        issued.record.parameters
    );
    // The deck has them on a slide of their own.
    let deck = roadbook_report::prepare_deck(&f.store, &request, "Test Lead").unwrap();
    let deck_path = f.dir.path().join("deck.pdf");
    std::fs::write(&deck_path, &deck).unwrap();
    let slides = text(&deck_path);
    assert!(
        slides.contains("Dates against the baseline ‘20 November steering’")
            && slides.contains("+14 days"),
        "{slides}"
    );
    // Made again from the archive: the same bytes, the dates read from its snapshot (the
    // baseline could be gone or moved by then).
    let again = regenerate(&issued.record, &issued.snapshot).unwrap();
    assert!(again == issued.pdf, "regenerated byte for byte");
    // Chosen by name, or none: the document says so, or says nothing of dates.
    let mut none = request.clone();
    none.baseline = Some("none".into());
    let (unmeasured, path) = f.issue(&none);
    assert!(!text(&path).contains("Dates against"));
    assert!(unmeasured.record.parameters.get("baseline").is_none());
    let mut unknown = request.clone();
    unknown.baseline = Some("Kickoff".into());
    let err = prepare(&f.store, &unknown, "Test Lead")
        .unwrap_err()
        .to_string();
    assert!(err.contains("'20 November steering'"), "{err}");
    // A readout issued since does not replace the baseline the lead set: the next readout
    // still measures against it.
    f.store
        .archive_document(&issued.record, &issued.snapshot)
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    request.as_of = Utc::now();
    let (_, path) = f.issue(&request);
    let t = text(&path);
    assert!(
        t.contains("Dates against the baseline ‘20 November steering’"),
        "{t:.2000}"
    );
    assert!(t.contains("2 dates moved"), "{t:.2000}");
}
