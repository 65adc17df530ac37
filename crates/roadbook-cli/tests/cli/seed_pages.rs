//! The bundled sample against the seed pages it was taken from: every item there, with its
//! words.

use super::*;

#[test]
pub(super) fn the_sample_holds_every_item_of_the_seed_pages() {
    let (_dir, db) = sample_db();
    let h = export(&db);
    let owner = |id: Id| h.owner(id).unwrap().display_name().to_owned();
    let status = |id: Id| h.status(id).unwrap().name.clone();

    assert_eq!(h.program.name, "Builder Insights operationalization");
    assert_eq!(
        h.program.objective[0],
        "move from promising internal app to supportable internal platform"
    );
    assert!(h.program.problem.starts_with(
        "Builder Insights is evolving from a useful product workflow into an internal platform."
    ));
    let proposal: Vec<&str> = h
        .program
        .proposal
        .iter()
        .map(|s| s.title.as_str())
        .collect();
    assert_eq!(proposal, ["Identity", "Org truth", "Runtime", "Visibility"]);
    assert_eq!(h.program.scope.len(), 4);
    assert_eq!(
        h.program.non_goals[0],
        "redesigning the product role model from scratch"
    );
    let criteria: Vec<&str> = h
        .program
        .success_criteria
        .iter()
        .map(|s| s.title.as_str())
        .collect();
    assert_eq!(
        criteria,
        [
            "Access is defensible",
            "Runtime is supportable",
            "Platform is measurable",
            "Readiness is reviewable"
        ]
    );
    assert_eq!(
        h.program.cadence[0],
        "weekly operationalization working session across product, engineering, and ops"
    );
    assert!(
        h.program
            .references
            .contains(&"Leadership Readout".to_owned())
    );

    let statuses: Vec<&str> = h.statuses.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        statuses,
        [
            "In discovery",
            "Drafted",
            "Needs decision",
            "Needs validation",
            "Blocked",
            "Decided",
            "Done"
        ]
    );
    assert!(h.statuses.iter().filter(|s| !s.open).count() >= 2);

    let owners: Vec<&str> = h.owners.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        owners,
        [
            "Corporate Identity and Security Engineering",
            "Builder Relations Operations and Org Systems",
            "Internal Platform Engineering",
            "Application Engineering",
            "Product Management",
            "Security Engineering and App Administrators"
        ]
    );

    // The executive summary, row by row: area, state, owner, status, risk, blocker.
    let rows: Vec<(String, String, String, String, Level)> = h
        .workstreams
        .iter()
        .map(|w| {
            let owners = w
                .owner_ids
                .iter()
                .map(|o| owner(*o))
                .collect::<Vec<_>>()
                .join(", ");
            (
                w.area.clone(),
                w.current_state.clone(),
                owners,
                status(w.status_id),
                w.risk_level,
            )
        })
        .collect();
    let expect = |a: &str, s: &str, o: &str, st: &str, r| {
        (a.to_owned(), s.to_owned(), o.to_owned(), st.to_owned(), r)
    };
    assert_eq!(
        rows,
        [
            expect(
                "Identity and SSO",
                "directionally clear, enterprise path not finalized",
                "Identity and Security",
                "Needs decision",
                Level::High
            ),
            expect(
                "Org-aware access",
                "authoritative Builder Relations source not yet confirmed",
                "Builder Relations Ops and Org Systems",
                "Needs decision",
                Level::High
            ),
            expect(
                "Kanopy hosting",
                "likely path identified, runtime boundary still being shaped",
                "Platform Engineering, Application Engineering",
                "Drafted",
                Level::Medium
            ),
            expect(
                "Observability and analytics",
                "key needs are known, stack and ownership still need confirmation",
                "Platform Engineering, Product, Application Engineering",
                "Needs decision",
                Level::Medium
            ),
            expect(
                "Readiness gating",
                "checklist exists, but depends on upstream decisions",
                "Product, Application Engineering",
                "Blocked",
                Level::Medium
            ),
        ]
    );
    let blockers: Vec<&str> = h
        .workstreams
        .iter()
        .take(4)
        .map(|w| w.main_blocker.as_str())
        .collect();
    assert_eq!(
        blockers,
        [
            "approved Okta path and claims model",
            "confirmed source of truth for membership and hierarchy",
            "final runtime boundary and deployment expectations",
            "approved telemetry stack and dashboard ownership"
        ]
    );

    // Decisions needed, whom from, and the RFC's open questions.
    let decisions: Vec<(&str, String, &str)> = h
        .decisions
        .iter()
        .map(|d| {
            (
                d.title.as_str(),
                d.needed_from
                    .iter()
                    .map(|o| owner(*o))
                    .collect::<Vec<_>>()
                    .join(", "),
                d.question.as_str(),
            )
        })
        .collect();
    assert_eq!(
        decisions,
        [
            (
                "Okta SSO path and claims model",
                "Identity and Security".to_owned(),
                "Which Okta integration pattern is preferred for this class of internal app?"
            ),
            (
                "Builder Relations org source",
                "Builder Relations Ops and Org Systems".to_owned(),
                "Which system is authoritative for Builder Relations membership and hierarchy?"
            ),
            (
                "First Kanopy runtime boundary",
                "Platform Engineering, Application Engineering".to_owned(),
                "Which workloads move into Kanopy first?"
            ),
            (
                "Telemetry and dashboard ownership model",
                "Platform Engineering, Product, Application Engineering".to_owned(),
                "Which telemetry stack and dashboard ownership model are approved internally?"
            ),
        ]
    );

    // Every risk the pages list, with its scope.
    let scope_count = |name: &str| h.risks.iter().filter(|r| r.scope.name() == name).count();
    assert_eq!(
        (
            scope_count("workstream"),
            scope_count("program"),
            scope_count("phase"),
            scope_count("review")
        ),
        (4, 5, 1, 4)
    );
    for statement in [
        "Identity decisions stay abstract and block entitlement implementation",
        "Builder Relations org truth remains ambiguous and weakens reporting scope trust",
        "Kanopy planning starts before auth, ingress, and environment assumptions are aligned",
        "Telemetry work is treated as optional instead of part of platform readiness",
        "Identity and access remain ambiguous and block production-ready rollout",
        "Org-aware access is approximated instead of sourced from a trusted internal system",
        "Kanopy migration is attempted before auth and ingress assumptions are stable",
        "Telemetry remains too weak to support confident internal operation",
        "The next phase starts as if the current phase were already resolved",
        "The workstream fragments into unrelated technical tasks",
        "No actual owners are present",
        "The group reviews slides but not the decision register",
        "Dependencies are discussed but not assigned",
        "Follow-up work is implied instead of explicitly recorded",
    ] {
        assert!(
            h.risks.iter().any(|r| r.statement == statement),
            "missing risk: {statement}"
        );
    }
    let phase_risk = h
        .risks
        .iter()
        .find(|r| matches!(r.scope, RiskScope::Phase { .. }))
        .unwrap();
    let RiskScope::Phase { phase_id } = phase_risk.scope else {
        unreachable!()
    };
    assert_eq!(
        h.phases.iter().find(|p| p.id == phase_id).unwrap().name,
        "Next"
    );

    // Both phase views, their work items and exit criteria.
    let phases: Vec<(&str, &str)> = h
        .phases
        .iter()
        .map(|p| (p.view.as_str(), p.name.as_str()))
        .collect();
    assert_eq!(
        phases,
        [
            ("Program plan", "Phase 1: identity and org foundation"),
            ("Program plan", "Phase 2: internal runtime foundation"),
            ("Program plan", "Phase 3: telemetry and governance"),
            ("Program plan", "Phase 4: internal rollout gate"),
            ("Implementation phases", "Current"),
            ("Implementation phases", "Next"),
            ("Implementation phases", "Later"),
        ]
    );
    let items_of = |name: &str| {
        let id = h.phases.iter().find(|p| p.name == name).unwrap().id;
        (
            h.work_items.iter().filter(|w| w.phase_id == id).count(),
            h.exit_criteria.iter().filter(|c| c.phase_id == id).count(),
        )
    };
    assert_eq!(items_of("Phase 1: identity and org foundation"), (4, 0));
    assert_eq!(items_of("Phase 4: internal rollout gate"), (3, 0));
    assert_eq!(items_of("Current"), (7, 5));
    assert_eq!(items_of("Next"), (8, 4));
    assert_eq!(items_of("Later"), (8, 0));
    assert!(
        h.work_items
            .iter()
            .any(|w| w.text == "define break-glass admin posture")
    );
    assert!(
        h.exit_criteria
            .iter()
            .any(|c| c.text == "telemetry ownership path is identified")
    );

    let milestones: Vec<&str> = h.milestones.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        milestones,
        [
            "Milestone 1",
            "Milestone 2",
            "Milestone 3",
            "Milestone 4",
            "Milestone 5"
        ]
    );
    assert_eq!(
        h.milestones[4].marks,
        "Internal readiness checklist can be used for a pilot or broader rollout decision."
    );

    let map: Vec<(&str, &str)> = h
        .dependencies
        .iter()
        .take(4)
        .map(|d| (d.dependent.as_str(), d.why_it_matters.as_str()))
        .collect();
    assert_eq!(
        map,
        [
            (
                "Role-safe reporting and visibility",
                "reporting scope is hard to trust without clear membership truth"
            ),
            (
                "Kanopy productionization",
                "internal hosting decisions can fail if auth and ingress are unresolved"
            ),
            (
                "Leadership dashboards",
                "reporting quality depends on measurement quality"
            ),
            (
                "Broader internal rollout",
                "adoption without operational ownership creates long-term risk"
            ),
        ]
    );
    assert_eq!(
        h.dependencies.len(),
        8,
        "the plan's dependency map and the RFC's dependencies"
    );

    let readiness: Vec<(&str, &str, ReadinessState)> = h
        .readiness_dimensions
        .iter()
        .map(|r| (r.name.as_str(), r.signal.as_str(), r.state))
        .collect();
    assert_eq!(
        readiness,
        [
            (
                "Identity readiness",
                "not ready until Okta path and claims model are confirmed",
                ReadinessState::NotReady
            ),
            (
                "Access governance readiness",
                "not ready until org truth and exception process are confirmed",
                ReadinessState::NotReady
            ),
            (
                "Hosting readiness",
                "partially shaped, not ready for final rollout gate",
                ReadinessState::Partial
            ),
            (
                "Telemetry readiness",
                "conceptually defined, implementation path still open",
                ReadinessState::Partial
            ),
            (
                "Leadership readiness",
                "framing exists, sponsorship still needed on key dependencies",
                ReadinessState::Partial
            ),
        ]
    );

    let actions: Vec<&str> = h.actions.iter().map(|a| a.text.as_str()).collect();
    assert_eq!(
        actions,
        [
            "Confirm owner and meeting path for Okta/identity decisions",
            "Confirm authoritative Builder Relations org source",
            "Confirm Kanopy assumptions with platform owners",
            "Confirm telemetry stack and dashboard ownership model",
        ]
    );

    let review = &h.reviews[0];
    let core = review
        .attendees
        .iter()
        .filter(|a| a.group == AttendeeGroup::Core)
        .count();
    assert_eq!((core, review.attendees.len()), (4, 8));
    assert!(
        review.attendees.iter().any(
            |a| a.name == "corporate IAM or Okta owner" && a.group == AttendeeGroup::Specialist
        )
    );
    let flow: Vec<&str> = review.flow.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        flow,
        [
            "Confirm the operational problem",
            "Review decision register",
            "Resolve or assign",
            "Capture next actions"
        ]
    );
    assert_eq!(
        review.decision_ids,
        h.decisions.iter().map(|d| d.id).collect::<Vec<_>>()
    );
    let same_day = review
        .outputs
        .iter()
        .filter(|o| o.when == OutputTiming::SameDay)
        .count();
    assert_eq!((same_day, review.outputs.len()), (3, 6));
    assert_eq!(review.best_use.len(), 4);
}
