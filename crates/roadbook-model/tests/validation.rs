//! Whole-handbook validation: every problem found, each with its path.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use roadbook_model::{Handbook, HandbookError, Id, sample};

fn problems(handbook: &Handbook) -> Vec<String> {
    handbook
        .validate()
        .unwrap_err()
        .0
        .into_iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn the_sample_is_valid() {
    sample::builder_insights().unwrap().validate().unwrap();
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let mut h = sample::builder_insights().unwrap();
    h.decisions[1].id = h.decisions[0].id;
    h.risks[0].status_id = h.owners[0].id;
    h.statuses[1].name = "in discovery".into();
    h.statuses[2].colour = "amber".into();
    h.exit_criteria[0].met = true;
    h.workstreams[0].owner_ids.push(Id::new());
    let found = problems(&h);
    let expect = [
        "decisions[1].id: ",
        "risks[0].status_id: refers to ",
        "statuses[1].name: 'in discovery' is already the name of statuses[0]",
        "statuses[2].colour: 'amber' is not a colour",
        "exit_criteria[0].evidence: a met exit criterion needs its evidence",
        "workstreams[0].owner_ids: refers to owner ",
    ];
    for e in expect {
        assert!(
            found.iter().any(|p| p.starts_with(e)),
            "no problem starting with {e:?} in {found:#?}"
        );
    }
    let summary = h.validate().unwrap_err().to_string();
    assert!(summary.contains("more problems"), "{summary}");
}

#[test]
fn a_decision_cannot_supersede_itself() {
    let mut h = sample::builder_insights().unwrap();
    h.decisions[0].superseded_by = Some(h.decisions[0].id);
    assert!(
        problems(&h)
            .iter()
            .any(|p| p.contains("cannot supersede itself"))
    );
}

#[test]
fn unknown_fields_and_wrong_words_are_named() {
    let text = sample::builder_insights().unwrap().to_json().unwrap();
    let typo = text.replacen("\"main_blocker\"", "\"main_blockr\"", 1);
    let err = Handbook::from_json(&typo).unwrap_err();
    assert!(matches!(err, HandbookError::Shape { .. }));
    assert!(
        err.to_string()
            .starts_with("workstreams[0].main_blockr: unknown field `main_blockr`"),
        "{err}"
    );
    let word = text.replacen("\"risk_level\": \"high\"", "\"risk_level\": \"severe\"", 1);
    let err = Handbook::from_json(&word).unwrap_err().to_string();
    assert!(
        err.starts_with("workstreams[0].risk_level: unknown variant `severe`"),
        "{err}"
    );
}

#[test]
fn phase_dates_run_forwards_and_a_persons_team_is_a_team() {
    use roadbook_model::{Date, Owner, OwnerKind};
    let mut h = sample::builder_insights().unwrap();
    let day = |s: &str| s.parse::<Date>().unwrap();
    h.phases[0].start = Some(day("2026-03-02"));
    h.phases[0].end = Some(day("2026-04-30"));
    // A person on a team, as it should be.
    let team = h.owners[0].id;
    let person = Owner {
        id: Id::new(),
        name: "Priya Raman".into(),
        short_name: None,
        kind: OwnerKind::Person,
        team_id: Some(team),
    };
    h.owners.push(person.clone());
    h.validate().unwrap();
    // Export and import keep the new fields.
    let back = Handbook::from_json(&h.to_json().unwrap()).unwrap();
    assert_eq!(back.phases[0].end, Some(day("2026-04-30")));
    assert_eq!(back.owners.last().unwrap().team_id, Some(team));

    h.phases[0].end = Some(day("2026-02-27"));
    // A team that is a person, a team of its own, a team on a team label, a team not there.
    let mut other = person.clone();
    other.id = Id::new();
    other.name = "Sam Ortiz".into();
    other.team_id = Some(person.id);
    h.owners.push(other);
    h.owners[1].team_id = Some(team);
    let n = h.owners.len();
    h.owners[n - 2].team_id = Some(h.owners[n - 2].id);
    let found = problems(&h);
    for expect in [
        "phases[0].end: ends on 2026-02-27, before it starts (2026-03-02)",
        "owners[1].team_id: only a person belongs to a team",
        &format!("owners[{}].team_id: an owner cannot be its own team", n - 2),
        &format!("owners[{}].team_id: names Priya Raman, a person", n - 1),
    ] {
        assert!(
            found.iter().any(|p| p.starts_with(expect)),
            "no problem starting with {expect:?} in {found:#?}"
        );
    }
}

#[test]
fn a_classification_marking_is_one_short_line() {
    let mut h = sample::builder_insights().unwrap();
    h.program.classification = "Internal".into();
    h.validate().unwrap();
    for marking in ["Internal\nDo not forward", &"Confidential ".repeat(5)] {
        h.program.classification = marking.to_owned();
        assert!(
            problems(&h)
                .iter()
                .any(|p| p.starts_with("program.classification: is one short line")),
            "{marking:?}: {:?}",
            problems(&h)
        );
    }
}

#[test]
fn a_decision_made_needs_its_outcome_whatever_the_closed_status_is_called() {
    use roadbook_model::{Found, Lookups, check_in_program};
    let mut h = sample::builder_insights().unwrap();
    let open = h
        .decisions
        .iter()
        .position(|d| d.outcome.is_empty())
        .unwrap();
    // The vocabulary's closed statuses are what "made" means, not a fixed word.
    let closed = h.statuses.iter().position(|s| !s.open).unwrap();
    h.statuses[closed].name = "Agreed".into();
    let before = h.decisions[open].clone();
    let mut made = before.clone();
    made.status_id = h.statuses[closed].id;
    let found = |h: &Handbook| -> Lookups {
        h.statuses
            .iter()
            .map(|s| (s.id, Found::status(s)))
            .chain(
                h.owners
                    .iter()
                    .map(|o| (o.id, Found::item(roadbook_model::Kind::Owner))),
            )
            .chain(
                h.workstreams
                    .iter()
                    .map(|w| (w.id, Found::item(roadbook_model::Kind::Workstream))),
            )
            .chain(
                h.risks
                    .iter()
                    .map(|r| (r.id, Found::item(roadbook_model::Kind::Risk))),
            )
            .chain(
                h.decisions
                    .iter()
                    .map(|d| (d.id, Found::item(roadbook_model::Kind::Decision))),
            )
            .collect()
    };
    let said = check_in_program(&made, Some(&before), &found(&h))
        .unwrap_err()
        .to_string();
    assert_eq!(
        said,
        "decision.outcome: a decision marked Agreed needs its outcome: write what was decided, or keep it open (for example Needs decision)"
    );
    // With what was decided, it stands; blank is not an outcome.
    made.outcome = "Okta".into();
    check_in_program(&made, Some(&before), &found(&h)).unwrap();
    made.outcome = "   ".into();
    assert!(check_in_program(&made, Some(&before), &found(&h)).is_err());
    // A write that does not touch the rule is not refused for what was so before it: the
    // decision made without an outcome, retitled.
    let mut retitled = made.clone();
    retitled.title = "Retitled".into();
    check_in_program(&retitled, Some(&made), &found(&h)).unwrap();
    // A whole handbook (an import, a publish) is not refused for it: `roadbook check` says it.
    h.decisions[open] = made;
    h.validate().unwrap();
    // An open status needs nothing.
    h.statuses[closed].open = true;
    let reopened = h.decisions[open].clone();
    check_in_program(&reopened, None, &found(&h)).unwrap();
}

#[test]
fn a_decision_s_status_outcome_rationale_and_decider_are_one_conflict() {
    use roadbook_model::Kind;
    assert_eq!(
        Kind::Decision.conflict_fields(Kind::Decision.guarded_group()),
        [
            "status_id",
            "outcome",
            "rationale",
            "decided_by",
            "decided_on"
        ]
    );
    assert_eq!(Kind::Decision.conflict_fields("title"), ["title"]);
    assert_eq!(
        roadbook_model::field_label(Kind::Decision, "decided"),
        "What was decided"
    );
    assert!(Kind::Action.guarded_group().is_empty());
}
