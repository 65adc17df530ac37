//! Every document of the sample program: generated, checked by poppler and qpdf, its facts
//! there, and the same data and moment giving the same bytes.

use super::*;

#[test]
pub(super) fn every_document_of_the_sample_generates_checks_and_shows_its_facts() {
    let f = fixture(sample::builder_insights().unwrap());
    let workstreams = [
        "Identity and SSO",
        "Org-aware access",
        "Kanopy hosting",
        "Observability and analytics",
        "Readiness gating",
    ];
    let decisions = [
        "Okta SSO path and claims model",
        "Builder Relations org source",
        "First Kanopy runtime boundary",
        "Telemetry and dashboard ownership model",
    ];
    let needed_from = [
        "Identity and Security",
        "Builder Relations Ops and Org Systems",
        "Platform Engineering, Application Engineering",
    ];
    let signals = [
        "not ready until Okta path and claims model are confirmed",
        "not ready until org truth and exception process are confirmed",
        "partially shaped, not ready for final rollout gate",
        "conceptually defined, implementation path still open",
        "framing exists, sponsorship still needed on key dependencies",
    ];
    let actions = [
        "Confirm owner and meeting path for Okta/identity decisions",
        "Confirm authoritative Builder Relations org source",
        "Confirm Kanopy assumptions with platform owners",
        "Confirm telemetry stack and dashboard ownership model",
    ];
    let statuses = ["Needs decision", "Drafted", "Blocked"];

    let mut outputs = Vec::new();
    for kind in DocumentKind::ALL {
        let (issued, path) = f.issue(&f.request(kind));
        check_file(&path);
        assert!(check_bounds(&path) > 100);
        let t = text(&path);
        assert_holds(
            &t,
            &[
                kind.title(),
                "Builder Insights operationalization",
                "As of 22 Nov 2026",
                "Page 1 of",
            ],
            kind.as_str(),
        );
        // The plan, phases and readiness pages are about work and evidence, not the decisions.
        if !matches!(
            kind,
            DocumentKind::Plan | DocumentKind::Phases | DocumentKind::Readiness
        ) {
            assert_holds(&t, &decisions, kind.as_str());
        }
        match kind {
            DocumentKind::Readout => {
                assert_holds(&t, &workstreams, "readout");
                assert_holds(&t, &needed_from, "readout");
                assert_holds(&t, &signals, "readout");
                assert_holds(&t, &actions, "readout");
                assert_holds(&t, &statuses, "readout");
                assert_holds(
                    &t,
                    &[
                        "Top risks",
                        "Identity decisions stay abstract and block entitlement implementation",
                        "Milestone 1",
                        "Asks of leadership",
                        "first readout",
                    ],
                    "readout",
                );
            }
            DocumentKind::Memo => {
                assert_holds(&t, &needed_from, "memo");
                assert_holds(
                    &t,
                    &[
                        "brings leadership up to date on Builder Insights operationalization and asks for help with 4 open decisions",
                        "3 wait on a decision: Identity and SSO, Org-aware access, and Observability and analytics.",
                        "Readiness gating is blocked.",
                        "Recommendation",
                        "What we ask of you",
                        "Adopt MongoDB Okta SSO as the workforce identity path",
                    ],
                    "memo",
                );
                assert_eq!(issued.record.pages, 1, "the sample's memo is one page");
                assert!(
                    !t.contains("We recommend managing"),
                    "no fixed sentence of ours"
                );
            }
            DocumentKind::Packet => {
                assert_holds(
                    &t,
                    &[
                        "Core decision group",
                        "Builder Insights product lead or product sponsor",
                        "application engineering lead",
                        "Specialist stakeholders",
                        "corporate IAM or Okta owner",
                        "Confirm the operational problem",
                        "Review decision register",
                        "Resolve or assign",
                        "Capture next actions",
                        "What makes this meeting fail",
                        "No actual owners are present",
                        "updated Decision Register",
                        "updated Internal Readiness Checklist if rollout posture changed",
                        "Status Dashboard as of",
                        "Leadership dashboards, waiting on telemetry definitions and ownership",
                    ],
                    "packet",
                );
                // The packet points at the dashboard; it does not print it again.
                assert!(!t.contains("Appendix"), "{t:.2000}");
                assert!(!t.contains("Shared status vocabulary"), "{t:.2000}");
                // Owner order: the Identity decision (first owner label) comes before the Org one.
                assert!(
                    t.find("Question Which Okta").unwrap()
                        < t.find("Question Which system is authoritative").unwrap()
                );
            }
            DocumentKind::Dashboard => {
                assert_holds(&t, &workstreams, "dashboard");
                assert_holds(&t, &signals, "dashboard");
                assert_holds(&t, &actions, "dashboard");
                assert_holds(
                    &t,
                    &[
                        "In discovery",
                        "Needs validation",
                        "Shared status vocabulary",
                        "Delivery signal",
                        "Related references",
                    ],
                    "dashboard",
                );
            }
            DocumentKind::Register => {
                assert_holds(&t, &needed_from, "register");
                assert_holds(
                    &t,
                    &["Which workloads move into Kanopy first?", "4 decisions"],
                    "register",
                );
            }
            // The seed page's facts (001_…: Program Plan).
            DocumentKind::Plan => assert_holds(
                &t,
                &[
                    "Program objective",
                    "sequence dependencies in a risk-reducing order",
                    "Phase 1: identity and org foundation",
                    "define break-glass admin posture",
                    "Phase 4: internal rollout gate",
                    "approve pilot or wider rollout",
                    "Dependency map",
                    "reporting scope is hard to trust without clear membership truth",
                    "Milestone framing",
                    "Milestone 5",
                    "Shared owner labels",
                    "Corporate Identity and Security Engineering",
                    "Working cadence",
                    "weekly operationalization working session across product, engineering, and ops",
                    "Program risk to avoid",
                    "The workstream fragments into unrelated technical tasks",
                ],
                "plan",
            ),
            // The seed page's facts (003_…: Operationalization RFC).
            DocumentKind::Rfc => {
                assert_holds(&t, &needed_from, "rfc");
                assert_holds(
                    &t,
                    &[
                        "RFC scope",
                        "identity and access model",
                        "Builder Insights is evolving from a useful product workflow into an internal platform",
                        "Org truth",
                        "Non-goals",
                        "redesigning the product role model from scratch",
                        "Okta and identity guidance",
                        "needed to define the workforce sign-in path and trusted claims",
                        "Primary implementation risks",
                        "Open questions",
                        "Which workloads move into Kanopy first?",
                        "Shared status vocabulary",
                        "Access is defensible",
                        "Readiness is reviewable",
                    ],
                    "rfc",
                );
            }
            // The seed page's facts (000_…: Implementation Phases).
            DocumentKind::Phases => assert_holds(
                &t,
                &[
                    "Phase model",
                    "current work resolves foundational decisions",
                    "later work strengthens scale, reporting, and governance maturity",
                    "Current",
                    "confirm Okta SSO path",
                    "identify first Kanopy workloads",
                    "Exit criteria for the current phase",
                    "named owners exist for identity, org truth, hosting, and telemetry",
                    "implement org-aware entitlement mapping",
                    "readiness checklist can support a real pilot decision",
                    "deeper leadership dashboards",
                    "clear long-term hosting and observability posture",
                    "Risk to avoid in Next",
                    "The next phase starts as if the current phase were already resolved",
                ],
                "phases",
            ),
            DocumentKind::Readiness => {
                assert_holds(&t, &signals, "readiness");
                assert_holds(
                    &t,
                    &[
                        "Dimensions and signals",
                        "Checklist",
                        "deployment verification path",
                        "The gate decision",
                        "Not decided yet",
                    ],
                    "readiness",
                );
            }
            DocumentKind::OnePager => {
                assert_holds(&t, &needed_from, "one-pager");
                assert_holds(
                    &t,
                    &[
                        "Objective",
                        "move from promising internal app to supportable internal platform",
                        "Where it stands",
                        "Identity and SSO: Needs decision",
                        "Top risks",
                        "Asks of leadership",
                        "Sponsor the key dependencies",
                    ],
                    "one-pager",
                );
                assert_eq!(issued.record.pages, 1, "a one-pager is one page");
            }
            // Every page above, in one: its contents and links have a test of their own.
            DocumentKind::Handbook => {
                assert_holds(&t, &workstreams, "handbook");
                assert_holds(&t, &["Contents", "Phase model", "RFC scope"], "handbook");
            }
        }
        let info = tool("pdfinfo", &[], &path);
        assert!(
            info.contains(&format!(
                "Title:           {} — Builder Insights operationalization",
                kind.title()
            )),
            "{info}"
        );
        assert!(info.contains("Author:          Test Lead"), "{info}");
        assert!(
            info.contains("CreationDate:    Sun Nov 22 09:00:00 2026"),
            "{info}"
        );
        outputs.push(issued.pdf);
    }
    let outline = tool(
        "qpdf",
        &["--json", "--json-key=outlines"],
        &f.dir.path().join("none.pdf").with_file_name(
            std::fs::read_dir(f.dir.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().contains("readout-"))
                .unwrap(),
        ),
    );
    assert!(
        outline.contains("\"title\": \"Decisions needed\"")
            && outline.contains("\"title\": \"Readiness\""),
        "{outline}"
    );
    // In reading order, not by name: "Where the program stands" comes before "What changed".
    let at = |title: &str| outline.find(&format!("\"title\": \"{title}")).unwrap();
    assert!(
        at("Where the program stands") < at("What changed"),
        "{outline}"
    );
}

#[test]
pub(super) fn the_same_data_and_moment_give_the_same_bytes() {
    let f = fixture(sample::builder_insights().unwrap());
    for kind in DocumentKind::ALL {
        let a = prepare(&f.store, &f.request(kind), "Test Lead").unwrap();
        let b = prepare(&f.store, &f.request(kind), "Test Lead").unwrap();
        assert!(
            a.pdf == b.pdf,
            "{} differs between two renders",
            kind.as_str()
        );
        assert_eq!(a.record.pdf_sha256, b.record.pdf_sha256);
        // The archive alone is enough to render it again, byte for byte.
        assert!(
            regenerate(&a.record, &a.snapshot).unwrap() == a.pdf,
            "{} regenerated from its snapshot differs",
            kind.as_str()
        );
        let mut later = f.request(kind);
        later.as_of = as_of() + Duration::days(1);
        assert!(
            prepare(&f.store, &later, "Test Lead").unwrap().pdf != a.pdf,
            "the as-of date is in the document"
        );
    }
}
