//! The documents, checked the way a reader would: with poppler and qpdf on real PDF files.

// A test that fails should stop at once with the value that was wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, TimeZone, Utc};
use roadbook_model::{Decision, Handbook, Id, fixtures, sample};
use roadbook_report::layout::{MARGIN, PAGE_H, PAGE_W};
use roadbook_report::{DocumentKind, Issued, Request, prepare, regenerate};
use roadbook_store::{Store, edits_between};

/// Writes the fields that differ between two copies of an item, as the lead's edit does.
fn edit<E: roadbook_model::Entity>(store: &mut Store, program: Id, before: &E, after: &E) {
    let seen = store.field_revisions(after.id()).unwrap();
    let edits = edits_between(before, after, &seen).unwrap();
    store
        .edit(program, E::KIND, after.id(), &edits, "Test Lead")
        .unwrap();
}

struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
    handbook: Handbook,
}

fn fixture(handbook: Handbook) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("r.db")).unwrap();
    // Imported before the documents' moment (they show the program as it was then).
    store.pin_clock(Some(Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    store.import(&handbook, "Test Lead").unwrap();
    store.pin_clock(None);
    Fixture {
        dir,
        store,
        handbook,
    }
}

fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

impl Fixture {
    fn request(&self, kind: DocumentKind) -> Request {
        Request {
            kind,
            program: self.handbook.program.id,
            review: None,
            since: None,
            status: None,
            as_of: as_of(),
        }
    }

    fn issue(&self, request: &Request) -> (Issued, PathBuf) {
        let issued = prepare(&self.store, request, "Test Lead").unwrap();
        let path = self.dir.path().join(format!(
            "{}-{}.pdf",
            request.kind.as_str(),
            issued.record.id
        ));
        std::fs::write(&path, &issued.pdf).unwrap();
        (issued, path)
    }
}

fn tool(name: &str, args: &[&str], file: &Path) -> String {
    // pdftotext writes next to the file unless told to use stdout.
    let stdout: &[&str] = if name == "pdftotext" { &["-"] } else { &[] };
    let out = Command::new(name)
        .args(args)
        .arg(file)
        .args(stdout)
        .output()
        .unwrap_or_else(|e| panic!("{name}: {e} (make test installs it)"));
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The document's text in drawing order with all whitespace folded, so a phrase wrapped over
/// lines of a cell still reads as one.
fn text(file: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(file)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn assert_holds(text: &str, facts: &[&str], doc: &str) {
    for fact in facts {
        assert!(text.contains(fact), "{doc} does not show {fact:?}");
    }
}

fn check_file(path: &Path) {
    let check = tool("qpdf", &["--check"], path);
    assert!(
        check.contains("No syntax or stream encoding errors"),
        "{check}"
    );
    let fonts = tool("pdffonts", &[], path);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no fonts: {fonts}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let n = cols.len();
        assert_eq!(cols[n - 5], "yes", "font not embedded: {row}");
        // pdffonts' "sub" column: the name starts with the standard six-capital subset tag.
        assert_eq!(cols[n - 4], "yes", "subset font without its tag: {row}");
    }
    // No claim of a standard the file does not meet, and nothing left empty in its info.
    let info = tool("pdfinfo", &[], path);
    assert!(
        !info.contains("PDF/X") && !info.contains("Keywords:"),
        "{info}"
    );
    let doc = lopdf::Document::load(path).unwrap();
    let catalog = doc.catalog().unwrap();
    assert_eq!(catalog.get(b"Lang").unwrap().as_str().unwrap(), b"en-US");
    if let Ok(mode) = catalog.get(b"PageMode") {
        // A name opens the bookmarks with the file; a string is ignored by viewers.
        assert_eq!(mode.as_name().unwrap(), b"UseOutlines", "{mode:?}");
    }
    // Subset, not whole: the fonts alone weigh megabytes (Droid Sans Fallback 4 MB).
    let size = std::fs::metadata(path).unwrap().len();
    assert!(
        size < 1_500_000,
        "{} is {size} bytes: fonts are not subset",
        path.display()
    );
}

/// Every word's box from `pdftotext -bbox` lies inside the content area between the margins.
fn check_bounds(path: &Path) -> usize {
    let html = tool("pdftotext", &["-bbox"], path);
    let mut words = 0;
    for line in html.lines().filter(|l| l.trim_start().starts_with("<word")) {
        let attr = |name: &str| -> f32 {
            let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            let end = start + line[start..].find('"').unwrap();
            line[start..end].parse().unwrap()
        };
        let (x0, y0, x1, y1) = (attr("xMin"), attr("yMin"), attr("xMax"), attr("yMax"));
        assert!(
            x0 >= MARGIN - 1.0 && x1 <= PAGE_W - MARGIN + 1.0,
            "word outside the side margins: {line}"
        );
        assert!(
            y0 >= 20.0 && y1 <= PAGE_H - 20.0,
            "word outside the top or bottom: {line}"
        );
        words += 1;
    }
    words
}

fn pages(path: &Path) -> usize {
    let info = tool("pdfinfo", &[], path);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn page_text(path: &Path, page: usize) -> String {
    let p = page.to_string();
    tool("pdftotext", &["-raw", "-f", &p, "-l", &p], path)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        + " "
}

#[test]
fn every_document_of_the_sample_generates_checks_and_shows_its_facts() {
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
fn the_same_data_and_moment_give_the_same_bytes() {
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

/// 300 decisions whose texts are long, unbroken and in several scripts.
fn stress() -> Handbook {
    let mut h = fixtures::generated(40, 9);
    let status = h.statuses[2].id;
    let owner = h.owners[0].id;
    let words = [
        "Entitlement",
        "décision",
        "Überprüfungsvorgang",
        "日本語のテキストは空白なしで続きます",
        "עברית",
        "العربية",
        "—",
        "“quoted”",
        "𝛼β∑",
        "\u{1F9EA}",
    ];
    for n in 0..300 {
        let unbroken = format!("{}{}", words[n % words.len()], "x".repeat(60 + n % 90));
        h.decisions.push(Decision {
            id: Id::new(),
            title: format!("Decision {n}: {unbroken}"),
            question: format!(
                "{} {} {}",
                words[(n + 3) % words.len()],
                unbroken,
                "日本語".repeat(n % 40)
            ),
            needed_from: vec![owner],
            workstream_id: None,
            status_id: status,
            due: None,
            options: vec![unbroken.clone()],
            outcome: format!("{unbroken}{unbroken}"),
            rationale: String::new(),
            decided_by: String::new(),
            decided_on: None,
            risk_ids: Vec::new(),
            superseded_by: None,
        });
    }
    // The other pages' lists, as long and as hostile: work, exit criteria, dependencies,
    // readiness items, the phase model, the asks.
    let phase = h.phases[0].id;
    let dimension = h.readiness_dimensions.first().map(|d| d.id);
    for n in 0..80 {
        let text = format!("{} {}", words[n % words.len()], "y".repeat(40 + n % 70));
        h.work_items.push(roadbook_model::WorkItem {
            id: Id::new(),
            phase_id: phase,
            text: text.clone(),
            done: n % 3 == 0,
        });
        h.exit_criteria.push(roadbook_model::ExitCriterion {
            id: Id::new(),
            phase_id: phase,
            text: text.clone(),
            met: n % 4 == 0,
            evidence: if n % 4 == 0 {
                text.clone()
            } else {
                String::new()
            },
        });
        h.dependencies.push(roadbook_model::Dependency {
            id: Id::new(),
            dependent: text.clone(),
            depends_on: format!("{} {text}", words[(n + 5) % words.len()]),
            why_it_matters: format!("{text} {text}"),
            workstream_id: None,
            source: String::new(),
        });
        h.readiness_checks.push(roadbook_model::ReadinessCheck {
            id: Id::new(),
            dimension_id: dimension,
            text: text.clone(),
            owner_id: Some(owner),
            done: n % 2 == 0,
            evidence: if n % 2 == 0 {
                text.clone()
            } else {
                String::new()
            },
        });
        h.program.phase_model.push(text.clone());
        h.program.asks.push(text);
    }
    h
}

#[test]
fn a_large_multilingual_program_stays_inside_the_page_and_repeats_table_headers() {
    let f = fixture(stress());
    let (_, register) = f.issue(&f.request(DocumentKind::Register));
    check_file(&register);
    check_bounds(&register);
    let n = pages(&register);
    assert!(n >= 10, "300 long decisions fill many pages: {n}");
    for page in 1..=n {
        let t = page_text(&register, page);
        assert!(
            t.contains(&format!("Page {page} of {n}")),
            "page {page}: {t:.200}"
        );
        if page > 1 {
            assert!(
                t.contains("# Decision Needed from Workstream Status Due Outcome"),
                "page {page} has no header row: {t:.300}"
            );
        }
    }
    let all = text(&register);
    assert!(all.contains("Decision 299"), "the last decision is there");
    assert!(
        all.contains("\u{25A1}"),
        "a character no font has shows as a box"
    );
    for kind in [
        DocumentKind::Readout,
        DocumentKind::Memo,
        DocumentKind::Packet,
        DocumentKind::Dashboard,
        DocumentKind::Plan,
        DocumentKind::Phases,
        DocumentKind::Rfc,
        DocumentKind::Readiness,
        DocumentKind::OnePager,
    ] {
        let (issued, path) = f.issue(&f.request(kind));
        check_file(&path);
        check_bounds(&path);
        let again = prepare(&f.store, &f.request(kind), "Test Lead").unwrap();
        assert!(
            again.pdf == issued.pdf,
            "{kind:?}: the same input gave other bytes"
        );
    }
    // A table that runs over pages repeats its header on each: the plan's dependency map, the
    // RFC's decisions needed, the checklist's items.
    for (kind, header, last) in [
        (
            DocumentKind::Plan,
            "What depends Depends on Why it matters",
            "Shared owner labels",
        ),
        (
            DocumentKind::Rfc,
            "Decision Needed from Status",
            "Shared status vocabulary",
        ),
        (
            DocumentKind::Readiness,
            "Item Dimension Owner Done Evidence",
            "The gate decision",
        ),
    ] {
        let (_, path) = f.issue(&f.request(kind));
        let n = pages(&path);
        let texts: Vec<String> = (1..=n).map(|p| page_text(&path, p)).collect();
        let first = texts
            .iter()
            .position(|t| t.contains(header))
            .unwrap_or_else(|| panic!("{kind:?}: no table headed {header}"));
        let end = texts
            .iter()
            .position(|t| t.contains(last))
            .unwrap_or_else(|| panic!("{kind:?}: no {last}"));
        assert!(
            end > first,
            "{kind:?}: the table fits one page; it should run over several"
        );
        for (page, text) in texts.iter().enumerate().take(end).skip(first) {
            assert!(
                text.contains(header),
                "{kind:?} page {}: the table goes on without its header: {text:.300}",
                page + 1,
            );
        }
    }
}

#[test]
fn a_readout_reports_what_changed_since_the_last_readout() {
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

fn snapshot_holds(snapshot: &str, text: &str) -> bool {
    let value: serde_json::Value = serde_json::from_str(snapshot).unwrap();
    value["handbook"]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["outcome"] == text)
}

#[test]
fn a_document_as_of_a_moment_to_come_is_refused() {
    let f = fixture(sample::builder_insights().unwrap());
    let mut request = f.request(DocumentKind::Readout);
    request.as_of = Utc::now() + Duration::days(1);
    let refused = prepare(&f.store, &request, "Test Lead")
        .unwrap_err()
        .to_string();
    assert!(refused.contains("has not come yet"), "{refused}");
}

#[test]
fn a_packet_needs_a_review() {
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

/// A Markdown document read back as a wiki renders it: its headings, and each table as rows of
/// cell texts (the text a reader sees, escapes undone).
struct ReadBack {
    headings: Vec<(u8, String)>,
    tables: Vec<Vec<Vec<String>>>,
}

fn read_markdown(text: &str) -> ReadBack {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut back = ReadBack {
        headings: Vec::new(),
        tables: Vec::new(),
    };
    let mut heading: Option<(u8, String)> = None;
    let mut row: Option<Vec<String>> = None;
    let mut cell: Option<String> = None;
    for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level as u8, String::new()))
            }
            Event::End(TagEnd::Heading(_)) => back.headings.extend(heading.take()),
            Event::Start(Tag::Table(_)) => back.tables.push(Vec::new()),
            Event::Start(Tag::TableHead | Tag::TableRow) => row = Some(Vec::new()),
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                if let (Some(r), Some(t)) = (row.take(), back.tables.last_mut()) {
                    t.push(r);
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(c), Some(r)) = (cell.take(), row.as_mut()) {
                    r.push(c);
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(c) = cell.as_mut() {
                    c.push_str(&t);
                } else if let Some((_, h)) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::InlineHtml(t) if t.as_ref() == "<br>" => {
                if let Some(c) = cell.as_mut() {
                    c.push('\n');
                }
            }
            _ => {}
        }
    }
    back
}

#[test]
fn every_document_writes_markdown_a_wiki_reads_back_with_its_tables_whole() {
    let mut h = sample::builder_insights().unwrap();
    // Text that would break a hand-made Markdown table or start markup.
    let hostile = "Okta | SSO *claims* #2 [model] <b>_x_</b> \\ — مرحبا";
    h.decisions[0].title = hostile.to_owned();
    h.decisions[1].outcome = "- first line\n1. second | line".to_owned();
    let f = fixture(h);
    for kind in DocumentKind::ALL {
        let mut request = f.request(kind);
        if kind == DocumentKind::Packet {
            request.review = Some(f.handbook.reviews[0].id);
        }
        let text = roadbook_report::prepare_markdown(&f.store, &request, "Test Lead").unwrap();
        let back = read_markdown(&text);
        let title = back.headings.first().expect("a title");
        assert_eq!(title.0, 1, "{kind:?}");
        assert!(title.1.contains(kind.title()), "{kind:?}: {}", title.1);
        // One title; the handbook has its own and each of its ten pages has one.
        assert_eq!(
            back.headings.iter().filter(|(l, _)| *l == 1).count(),
            if kind == DocumentKind::Handbook {
                11
            } else {
                1
            },
            "{kind:?}: titles"
        );
        assert!(
            back.headings.iter().any(|(l, _)| *l == 2),
            "{kind:?}: sections"
        );
        // Every table keeps its shape: each row as wide as its header.
        for table in &back.tables {
            let width = table[0].len();
            assert!(width >= 2, "{kind:?}: {table:?}");
            assert!(
                table.iter().all(|r| r.len() == width),
                "{kind:?}: {table:?}"
            );
        }
        // The memo and the one-pager are prose; every other document has tables.
        assert_eq!(
            back.tables.is_empty(),
            matches!(kind, DocumentKind::Memo | DocumentKind::OnePager),
            "{kind:?}: {} tables",
            back.tables.len()
        );
        // Program text reads back exactly as the lead wrote it.
        if kind == DocumentKind::Register {
            let table = back
                .tables
                .iter()
                .find(|t| t.iter().flatten().any(|c| c.contains("Okta | SSO")))
                .expect("the register's table holds the hostile title");
            assert!(
                table.iter().flatten().any(|c| c.contains(hostile)),
                "{table:?}"
            );
            let decisions = table.len() - 1;
            assert_eq!(decisions, f.handbook.decisions.len(), "one row a decision");
            assert!(
                table
                    .iter()
                    .flatten()
                    .any(|c| c.contains("- first line\n1. second | line")),
                "a multi-line outcome stays in its cell: {table:?}"
            );
        }
        // The same data and moment give the same text.
        assert_eq!(
            text,
            roadbook_report::prepare_markdown(&f.store, &request, "Test Lead").unwrap()
        );
    }
}

#[test]
fn a_document_as_of_a_past_moment_shows_that_moments_values_and_reissues_byte_identical() {
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

/// Each word's width on the page, from `pdftotext -bbox` (what a reader's viewer measures).
fn word_widths(path: &Path) -> Vec<(String, f32)> {
    word_boxes(path)
        .into_iter()
        .map(|(word, left, right)| (word, right - left))
        .collect()
}

#[test]
fn shaped_text_on_the_page_kerns_latin_and_joins_arabic_and_copies_back() {
    use roadbook_report::layout::{BODY, Block};
    let blocks = vec![Block::Paragraph(
        "AVAVAVAVAV HHHHHHHHHH Tototototo office بيت שָׁלוֹם हिन्दी مُحَمَّدٌ".into(),
    )];
    let meta = roadbook_report::Meta {
        title: "Shaping".into(),
        program: "Test".into(),
        author: "Test Lead".into(),
        subject: "Shaping".into(),
        as_of: as_of(),
        classification: String::new(),
    };
    let pdf = roadbook_report::render(&blocks, &meta).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shaping.pdf");
    std::fs::write(&path, &pdf).unwrap();
    check_file(&path);
    // The advances alone, from the font itself.
    let bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts/Inter-Regular.otf"))
            .unwrap();
    let inter = ttf_parser::Face::parse(&bytes, 0).unwrap();
    let unkerned = |word: &str| -> f32 {
        word.chars()
            .map(|c| {
                let g = inter.glyph_index(c).unwrap();
                f32::from(inter.glyph_hor_advance(g).unwrap())
            })
            .sum::<f32>()
            / f32::from(inter.units_per_em())
            * BODY
    };
    let widths = word_widths(&path);
    let width = |word: &str| {
        widths
            .iter()
            .find(|(w, _)| w == word)
            .unwrap_or_else(|| panic!("{word} not on the page: {widths:?}"))
            .1
    };
    // Nine kerned pairs in the first word, one ("To") in the second: each moves the glyphs
    // closer by more than half a point at this size.
    for (kerned, pairs) in [("AVAVAVAVAV", 9.0), ("Tototototo", 1.0)] {
        assert!(
            width(kerned) < unkerned(kerned) - 0.5 * pairs,
            "{kerned}: {} on the page, {} unkerned",
            width(kerned),
            unkerned(kerned)
        );
    }
    let plain = width("HHHHHHHHHH") / unkerned("HHHHHHHHHH");
    assert!(
        (0.98..1.02).contains(&plain),
        "no kerning pair, no change: {plain}"
    );
    // Copy and search give the words back, shaped or not.
    let text = text(&path);
    for word in ["office", "AVAVAVAVAV", "Tototototo", "हिन्दी"] {
        assert!(text.contains(word), "{word} in {text}");
    }
    assert!(text.contains("بيت") || text.contains("تيب"), "{text}");
    // The Arabic vowel marks the font moves up or down onto their letters are drawn there: the
    // page moves them (a text rise), then sets the baseline back.
    let qdf = dir.path().join("shaping-qdf.pdf");
    let out = Command::new("qpdf")
        .args(["--qdf", "--object-streams=disable"])
        .arg(&path)
        .arg(&qdf)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stream = String::from_utf8_lossy(&std::fs::read(&qdf).unwrap()).into_owned();
    let rises: Vec<f32> = stream
        .lines()
        .filter_map(|l| l.strip_suffix(" Ts"))
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    assert!(rises.iter().any(|r| *r != 0.0), "a mark moved: {rises:?}");
    assert_eq!(rises.last(), Some(&0.0), "the baseline set back: {rises:?}");
}

#[test]
fn due_dates_read_overdue_or_this_week_on_the_documents_day_and_closed_items_only_their_date() {
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

/// Each page's object id, in page order, and each page's links as (rect top, target page).
fn links_by_page(path: &Path) -> Vec<Vec<(f64, usize)>> {
    let json = tool(
        "qpdf",
        &["--json", "--json-key=pages", "--json-key=qpdf"],
        path,
    );
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let pages = doc["pages"].as_array().unwrap();
    let number = |object: &str| {
        pages
            .iter()
            .position(|p| p["object"] == object)
            .map(|n| n + 1)
            .unwrap_or_else(|| panic!("a link to {object}, which is no page"))
    };
    let objects = &doc["qpdf"][1];
    pages
        .iter()
        .map(|p| {
            let object = p["object"].as_str().unwrap();
            let annots = &objects[format!("obj:{object}")]["value"]["/Annots"];
            annots
                .as_array()
                .map(|all| {
                    all.iter()
                        // Each annotation an object of its own (its Link element points at it).
                        .map(|a| match a.as_str() {
                            Some(reference) => &objects[format!("obj:{reference}")]["value"],
                            None => a,
                        })
                        .filter(|a| a["/Subtype"] == "/Link")
                        .map(|a| {
                            assert_eq!(
                                a["/Border"],
                                serde_json::json!([0, 0, 0]),
                                "a link draws no box"
                            );
                            let top = a["/Rect"][3].as_f64().unwrap();
                            (top, number(a["/A"]["/D"][0].as_str().unwrap()))
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn the_handbook_lists_every_page_and_its_links_lead_to_them() {
    let f = fixture(sample::builder_insights().unwrap());
    let (issued, path) = f.issue(&f.request(DocumentKind::Handbook));
    check_file(&path);
    check_bounds(&path);
    let total = pages(&path);
    assert_eq!(issued.record.pages as usize, total);
    let parts = [
        "One-Pager",
        "Status Dashboard",
        "Program Plan",
        "Implementation Phases",
        "RFC",
        "Decision Register",
        "Internal Readiness Checklist",
        "Review Packet",
        "Leadership Readout",
        "Executive Memo",
    ];
    // The contents page: every part with the page it starts on, in reading order.
    let contents = tool("pdftotext", &["-layout", "-f", "1", "-l", "1"], &path);
    let mut starts = Vec::new();
    for part in parts {
        let line = contents
            .lines()
            .find(|l| l.trim_start().starts_with(part))
            .unwrap_or_else(|| panic!("{part} is not on the contents page: {contents}"));
        let page: usize = line.split_whitespace().last().unwrap().parse().unwrap();
        // The part starts there: its title is the page's first heading.
        let text = page_text(&path, page);
        // The running header names the part (pdftotext puts it first or last on the page).
        let header = format!("Builder Insights operationalization Program Handbook · {part} ");
        assert!(
            text.contains(&header),
            "page {page}'s header does not name {part}: {text:.200}"
        );
        let body = text.strip_prefix(&header).unwrap_or(&text);
        assert!(
            body.starts_with(part)
                && body[part.len()..].contains("Builder Insights operationalization"),
            "{part} does not start on page {page}: {text:.200}"
        );
        starts.push(page);
    }
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
    assert!(*starts.last().unwrap() <= total);
    // A part's later pages name it too; the contents page names no part.
    let later = (starts[1] + 1..starts[2])
        .next()
        .expect("the dashboard runs over a page");
    let text = page_text(&path, later);
    assert!(
        text.contains("Builder Insights operationalization Program Handbook · Status Dashboard "),
        "{text:.200}"
    );
    let contents_page = page_text(&path, 1);
    assert!(
        contents_page.contains("Builder Insights operationalization Program Handbook ")
            && !contents_page.contains("Program Handbook ·"),
        "{contents_page:.120}"
    );

    // Each contents line is a link to the page it names.
    let links = links_by_page(&path);
    let mut contents_links = links[0].clone();
    contents_links.sort_by(|a, b| b.0.total_cmp(&a.0));
    assert_eq!(
        contents_links.iter().map(|l| l.1).collect::<Vec<_>>(),
        starts,
        "the contents' links, top to bottom"
    );
    // The dashboard's related references that name a page of the handbook lead to it.
    let dashboard = starts[1]..starts[2];
    let reference_links: Vec<usize> = dashboard
        .clone()
        .flat_map(|p| links[p - 1].iter().map(|l| l.1))
        .collect();
    for part in [
        "One-Pager",
        "Executive Memo",
        "Review Packet",
        "Decision Register",
        "Implementation Phases",
        "Program Plan",
        "Internal Readiness Checklist",
        "Leadership Readout",
    ] {
        let at = starts[parts.iter().position(|p| *p == part).unwrap()];
        assert!(
            reference_links.contains(&at),
            "no reference on the dashboard leads to {part} (page {at}): {reference_links:?}"
        );
    }
    // Besides those, only the dashboard's pointers to what an earlier part already shows ("As
    // shown in the One-Pager") are links: a reference to no page here is none.
    let pointers: usize = dashboard
        .clone()
        .map(|p| page_text(&path, p).matches("As shown in the").count())
        .sum();
    assert!(
        pointers > 0,
        "the dashboard repeats nothing the one-pager showed?"
    );
    assert_eq!(
        reference_links.len(),
        8 + pointers,
        "a reference to no page here is no link"
    );
    // Bookmarks: every part, in reading order.
    let outline = tool("qpdf", &["--json", "--json-key=outlines"], &path);
    let at: Vec<usize> = parts
        .iter()
        .map(|p| {
            outline
                .find(&format!("\"title\": \"{p}\""))
                .unwrap_or_else(|| panic!("no bookmark {p}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "bookmarks out of order");
    // Each part's sections under it, folded until the reader opens the part.
    let json: serde_json::Value = serde_json::from_str(&outline).unwrap();
    let top = json["outlines"].as_array().unwrap();
    // The contents, then the parts.
    assert_eq!(
        top.len(),
        parts.len() + 1,
        "the parts at the top: {outline:.2000}"
    );
    assert_eq!(top[0]["title"], "Contents");
    let dashboard = &top[2];
    assert_eq!(dashboard["title"], "Status Dashboard");
    assert!(
        dashboard["kids"].as_array().unwrap().len() > 3,
        "{dashboard}"
    );
    assert!(dashboard["open"] == false, "{dashboard}");
}

#[test]
fn the_readout_as_a_deck_is_16_by_9_slides_that_read_in_order() {
    let f = fixture(sample::builder_insights().unwrap());
    let request = f.request(DocumentKind::Readout);
    let deck = roadbook_report::prepare_deck(&f.store, &request, "Test Lead").unwrap();
    assert!(
        deck == roadbook_report::prepare_deck(&f.store, &request, "Test Lead").unwrap(),
        "the same data and moment give the same slides"
    );
    let path = f.dir.path().join("deck.pdf");
    std::fs::write(&path, &deck).unwrap();
    check_file(&path);
    let info = tool("pdfinfo", &[], &path);
    assert!(info.contains("Page size:       960"), "{info}");
    assert!(info.contains(" x 540 pts"), "{info}");
    let slides = pages(&path);
    assert!(slides >= 6, "{slides} slides");
    // Every word on its slide, inside the margins.
    let html = tool("pdftotext", &["-bbox"], &path);
    for line in html.lines().filter(|l| l.trim_start().starts_with("<word")) {
        let attr = |name: &str| -> f32 {
            let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            let end = start + line[start..].find('"').unwrap();
            line[start..end].parse().unwrap()
        };
        assert!(
            attr("xMin") >= 39.0
                && attr("xMax") <= 921.0
                && attr("yMin") >= 10.0
                && attr("yMax") <= 530.0,
            "a word off its slide: {line}"
        );
    }
    // The slides in the order a review takes them, each starting with its title.
    let firsts: Vec<String> = (1..=slides).map(|n| page_text(&path, n)).collect();
    assert!(firsts[0].starts_with("Leadership Readout Builder Insights operationalization"));
    let order = [
        "Where the program stands",
        "Decisions needed",
        "Top risks",
        "Readiness",
        "Asks of leadership",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|t| {
            firsts
                .iter()
                .position(|s| s.starts_with(t))
                .unwrap_or_else(|| panic!("no slide {t}: {firsts:#?}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    let all = text(&path);
    assert_holds(
        &all,
        &[
            "Okta SSO path and claims model",
            "Identity readiness",
            "Sponsor the key dependencies",
            "likelihood",
        ],
        "deck",
    );
    // Drawn large enough to read on a screen: a line of the table's text is 14 pt or taller.
    let row = html
        .lines()
        .find(|l| l.contains(">Okta</word>"))
        .expect("the decision's title on a slide");
    let attr = |name: &str| -> f32 {
        let start = row.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + row[start..].find('"').unwrap();
        row[start..end].parse().unwrap()
    };
    assert!(attr("yMax") - attr("yMin") >= 14.0, "{row}");

    // Only the readout has a deck.
    let err = roadbook_report::prepare_deck(&f.store, &f.request(DocumentKind::Memo), "Test Lead")
        .unwrap_err();
    assert!(err.to_string().contains("readout only"), "{err}");
}

/// Each word on the page with the left and right edge of its box, in page order.
fn word_boxes(path: &Path) -> Vec<(String, f32, f32)> {
    let html = tool("pdftotext", &["-bbox"], path);
    html.lines()
        .filter(|l| l.trim_start().starts_with("<word"))
        .map(|line| {
            let attr = |name: &str| -> f32 {
                let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                let end = start + line[start..].find('"').unwrap();
                line[start..end].parse().unwrap()
            };
            let word = line[line.find('>').unwrap() + 1..line.rfind("</word>").unwrap()].to_owned();
            (word, attr("xMin"), attr("xMax"))
        })
        .collect()
}

#[test]
fn the_program_plan_draws_its_phases_and_milestones_on_a_time_axis_with_the_day_marked() {
    let mut handbook = sample::builder_insights().unwrap();
    let day = |s: &str| Some(s.parse::<roadbook_model::Date>().unwrap());
    // The documents' day is 2026-11-22: inside the second phase, after the first milestone.
    let view = handbook.phases[0].view.clone();
    let plan: Vec<usize> = (0..handbook.phases.len())
        .filter(|&i| handbook.phases[i].view == view)
        .collect();
    let (first, second, third) = (plan[0], plan[1], plan[2]);
    handbook.phases[first].start = day("2026-09-01");
    handbook.phases[first].end = day("2026-10-31");
    handbook.phases[second].start = day("2026-11-01");
    handbook.phases[second].end = day("2026-12-31");
    handbook.phases[third].start = day("2027-01-04");
    let phase_of =
        |name: &str, h: &Handbook| h.milestones.iter().position(|m| m.name == name).unwrap();
    let m1 = phase_of("Milestone 1", &handbook);
    let m3 = phase_of("Milestone 3", &handbook);
    let m5 = phase_of("Milestone 5", &handbook);
    handbook.milestones[m1].target = day("2026-10-15");
    handbook.milestones[m1].phase_id = Some(handbook.phases[first].id);
    handbook.milestones[m3].target = day("2026-12-20");
    handbook.milestones[m3].phase_id = Some(handbook.phases[second].id);
    // Its phase has no dates: it sits on the milestones' own row.
    handbook.milestones[m5].target = day("2027-02-01");
    let f = fixture(handbook.clone());
    let (issued, path) = f.issue(&f.request(DocumentKind::Plan));
    check_file(&path);
    check_bounds(&path);
    let words = word_boxes(&path);
    // The axis' ticks ("Sep 2026", "Oct", "Nov", …) from where "Oct Nov Dec" read in a row: the
    // first month before it (a phase's name may sit between them in reading order), the rest
    // after it; dates elsewhere on the page hold month names too.
    let axis = words
        .windows(3)
        .position(|w| w[0].0 == "Oct" && w[1].0 == "Nov" && w[2].0 == "Dec")
        .expect("the month ticks");
    let x = |word: &str| {
        let found = if word == "Sep" {
            words[..axis].iter().rev().find(|(w, _, _)| w == word)
        } else {
            words[axis..].iter().find(|(w, _, _)| w == word)
        };
        let (_, left, right) = found.unwrap_or_else(|| panic!("{word} is not on the page"));
        (left + right) / 2.0
    };
    // The months in order along the axis, the year where it starts and turns.
    let months = ["Sep", "Oct", "Nov", "Dec", "Jan", "Feb"];
    let at: Vec<f32> = months.iter().map(|m| x(m)).collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "{months:?} at {at:?} in {:?}",
        &words[axis..(axis + 30).min(words.len())]
    );
    assert!(text(&path).contains("Sep 2026") && text(&path).contains("Jan 2027"));
    // The day marked between the first of November and of December, past the middle.
    let today = x("today");
    assert!(
        at[2] < today && today < at[3],
        "today at {today}, Nov {}, Dec {}",
        at[2],
        at[3]
    );
    // A missed milestone says so; one ahead does not; the one of an undated phase has its row.
    let plain = text(&path);
    assert!(plain.contains("Milestone 1 (late)"), "{plain:.3000}");
    assert!(plain.contains("Milestone 3") && !plain.contains("Milestone 3 (late)"));
    assert!(
        plain.contains("Milestones"),
        "the row of milestones of no dated phase"
    );
    let late = words.iter().position(|(w, _, _)| w == "(late)").unwrap();
    let (_, late_left, _) = &words[late];
    assert!(
        at[1] < *late_left && *late_left < at[3],
        "Milestone 1 sits in October"
    );
    // The text versions list the same.
    let markdown =
        roadbook_report::prepare_markdown(&f.store, &f.request(DocumentKind::Plan), "Test Lead")
            .unwrap();
    assert!(
        markdown.contains("milestone Milestone 1 (15 Oct 2026, late)"),
        "{markdown:.2000}"
    );
    assert!(
        markdown.contains("1 Nov 2026 to 31 Dec 2026"),
        "{markdown:.2000}"
    );
    assert_eq!(issued.record.pages as usize, pages(&path));

    // Nothing dated: no timeline.
    let f = fixture(sample::builder_insights().unwrap());
    let (_, path) = f.issue(&f.request(DocumentKind::Plan));
    assert!(
        !word_boxes(&path).iter().any(|(w, _, _)| w == "today"),
        "an empty axis is drawn"
    );
}

/// What a VP reading the sample stumbled over, gone: fixed titles of another program,
/// "(placeholder)" after every owner, a claim over a column of dashes, a signal printed twice,
/// a verb that does not agree, a name with "and" in a list, a column of "not set".
#[test]
fn the_sentences_read_as_a_person_would_write_them() {
    let f = fixture(sample::builder_insights().unwrap());
    let text_of = |kind| text(&f.issue(&f.request(kind)).1);
    let rfc = text_of(DocumentKind::Rfc);
    assert!(
        !rfc.contains("Operationalization RFC") && !rfc.contains("Implementation planning package"),
        "{rfc:.400}"
    );
    assert!(
        rfc.starts_with("RFC Builder Insights operationalization As of"),
        "{rfc:.200}"
    );
    let plan = text_of(DocumentKind::Plan);
    assert!(!plan.contains("(placeholder)"), "{plan}");
    assert!(
        plan.contains("Each label is a placeholder for an owner still to be named"),
        "{plan}"
    );
    let checklist = text_of(DocumentKind::Readiness);
    assert!(!checklist.contains("each with its evidence"), "{checklist}");
    assert!(
        checklist.contains("No evidence is recorded yet."),
        "{checklist}"
    );
    for (kind, text) in [
        ("checklist", &checklist),
        ("dashboard", &text_of(DocumentKind::Dashboard)),
    ] {
        // Readiness once per document: a dimension's signal is printed one time.
        let signal = "not ready until Okta path and claims model are confirmed";
        assert_eq!(text.matches(signal).count(), 1, "{kind}: {text}");
    }
    let readout = text_of(DocumentKind::Readout);
    assert!(
        readout.contains("Readiness gating is blocked."),
        "{readout:.1200}"
    );
    assert!(!readout.contains("are blocked"), "{readout:.1200}");
    assert!(
        !readout.contains("not set"),
        "no column of 'not set': {readout}"
    );
    assert!(readout.contains("No due dates are set yet."), "{readout}");
    assert_eq!(
        readout.matches("No due dates are set yet.").count(),
        1,
        "said once"
    );
    let phases = text_of(DocumentKind::Phases);
    assert!(
        phases.contains("Risk to avoid in Next") && !phases.contains("(Phase: Next)"),
        "{phases}"
    );
}

/// Implementation Phases draws its phases on the time axis too, once they are dated.
#[test]
fn the_implementation_phases_show_their_timeline_once_dated() {
    let mut handbook = sample::builder_insights().unwrap();
    let last_view = handbook.phases.last().unwrap().view.clone();
    let f = fixture(handbook.clone());
    let (_, path) = f.issue(&f.request(DocumentKind::Phases));
    assert!(!text(&path).contains("Timeline"), "nothing dated, no axis");
    let day = |s: &str| Some(s.parse::<roadbook_model::Date>().unwrap());
    for (n, phase) in handbook
        .phases
        .iter_mut()
        .filter(|p| p.view == last_view)
        .enumerate()
    {
        phase.start = day(&format!("2026-{:02}-01", 10 + n));
        phase.end = day(&format!("2026-{:02}-28", 10 + n));
    }
    let f = fixture(handbook);
    let (_, path) = f.issue(&f.request(DocumentKind::Phases));
    let t = text(&path);
    assert!(t.contains("Timeline"), "{t:.1500}");
    assert!(t.contains("today") && t.contains("Oct 2026"), "{t:.1500}");
}

/// Devanagari copies back as it was typed: its shaping reorders letters (a vowel sign drawn
/// before its consonant), so the run carries its text whole rather than glyph by glyph.
#[test]
fn a_hindi_title_copies_back_as_typed() {
    let mut handbook = sample::builder_insights().unwrap();
    let title = "हिन्दी निर्णय किताब";
    handbook.decisions[0].title = title.into();
    let f = fixture(handbook);
    let (_, path) = f.issue(&f.request(DocumentKind::Register));
    let t = text(&path);
    assert!(t.contains(title), "{t:.800}");
}

/// A program's classification marking is set, centred, in the footer of every page of every
/// kind and every slide of the deck, and opens and closes the HTML and Markdown; a program
/// without one prints none.
#[test]
fn a_classification_marking_is_on_every_page_of_every_document() {
    let mut handbook = sample::builder_insights().unwrap();
    handbook.program.classification = "Confidential".into();
    let f = fixture(handbook);
    let centred = |path: &Path, width: f32| {
        let marks: Vec<_> = word_boxes(path)
            .into_iter()
            .filter(|(w, _, _)| w == "Confidential")
            .collect();
        assert_eq!(
            marks.len(),
            pages(path),
            "one marking per page: {}",
            path.display()
        );
        for (_, x0, x1) in marks {
            assert!(
                ((x0 + x1) / 2.0 - width / 2.0).abs() < 1.0,
                "centred: {x0}–{x1}"
            );
        }
    };
    for kind in DocumentKind::ALL {
        let mut request = f.request(kind);
        if kind == DocumentKind::Packet {
            request.review = Some(f.handbook.reviews[0].id);
        }
        let (_, path) = f.issue(&request);
        centred(&path, PAGE_W);
        let html = roadbook_report::prepare_html(&f.store, &request, "Test Lead").unwrap();
        assert_eq!(
            html.matches("<div class=marking>Confidential</div>")
                .count(),
            2,
            "{kind:?}"
        );
        let md = roadbook_report::prepare_markdown(&f.store, &request, "Test Lead").unwrap();
        assert!(md.starts_with("**Confidential**\n"), "{kind:?}");
        assert!(md.ends_with("**Confidential**\n"), "{kind:?}");
    }
    let deck =
        roadbook_report::prepare_deck(&f.store, &f.request(DocumentKind::Readout), "Test Lead")
            .unwrap();
    let path = f.dir.path().join("deck.pdf");
    std::fs::write(&path, &deck).unwrap();
    centred(&path, roadbook_report::SLIDE_W);

    let plain = fixture(sample::builder_insights().unwrap());
    let (_, path) = plain.issue(&plain.request(DocumentKind::Readout));
    assert!(!text(&path).contains("Confidential"));
}

/// An ask whose every decision is made reads settled in every document that carries the asks;
/// one about nothing decided reads as written.
#[test]
fn an_ask_every_decision_of_which_is_made_reads_settled() {
    let mut h = sample::builder_insights().unwrap();
    let decided = h.status_named("Decided").unwrap().id;
    for d in &mut h.decisions {
        d.status_id = decided;
        d.outcome = "Agreed".into();
        d.rationale = "Reviewed".into();
    }
    let f = fixture(h);
    for kind in [
        DocumentKind::Readout,
        DocumentKind::Memo,
        DocumentKind::OnePager,
    ] {
        let (_, path) = f.issue(&f.request(kind));
        let t = text(&path).split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            t.contains("telemetry ownership model (Settled: the decisions Okta SSO path and claims model, Builder Relations org source, First Kanopy runtime boundary, and Telemetry and dashboard ownership model are made.)"),
            "{kind:?}: {t}"
        );
        assert!(
            t.contains(
                "Hold leadership reviews at milestone boundaries rather than only at the end"
            ) && !t.contains("only at the end (Settled"),
            "{kind:?}"
        );
    }
}
