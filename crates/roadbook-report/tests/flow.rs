//! Page flow, checked on where every block of every document lands: what a typesetter would
//! refuse to sign (a heading alone at a page's foot, a table piece of one row, a list item or a
//! short value split over two pages, a closing line cut from its section, a page but the last
//! left mostly empty) does not happen, on the sample, the sample with dates, the sample with a
//! decision just made, a hostile program and an empty one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use chrono::TimeZone;
use roadbook_model::{Date, Handbook, sample};
use roadbook_report::layout::{Block, LaidOutDocument};
use roadbook_report::{DocumentKind, prepare_layout};

fn day(text: &str) -> Date {
    text.parse().unwrap()
}

/// The sample as it is in the seeds: no dates anywhere.
fn plain() -> Handbook {
    sample::builder_insights().unwrap()
}

/// The sample with the dates a lead fills in during the first weeks.
fn dated() -> Handbook {
    let mut h = plain();
    for (n, d) in h.decisions.iter_mut().enumerate() {
        d.due = Some(day(&format!("2026-12-{:02}", 1 + 4 * n)));
    }
    for (n, a) in h.actions.iter_mut().enumerate() {
        a.due = Some(day(&format!("2026-11-{:02}", 18 + 3 * n)));
    }
    for (n, m) in h.milestones.iter_mut().enumerate() {
        m.target = Some(day(&format!("2027-0{}-15", 1 + n)));
    }
    h
}

/// The sample with dates, a week after its first decision was made.
fn decided() -> Handbook {
    let mut h = dated();
    let decided = h.status_named("Decided").unwrap().id;
    let d = &mut h.decisions[0];
    d.status_id = decided;
    d.outcome = "Adopt Okta SSO with group claims mapped to product roles".into();
    d.rationale = "The enterprise path the identity team already supports".into();
    d.decided_by = "Identity and Security".into();
    d.decided_on = Some(day("2026-11-15"));
    h
}

/// Names a reader's eye trips on: "and" inside names, right-to-left and CJK text, one long
/// word, a long decision question.
fn hostile() -> Handbook {
    let mut h = plain();
    h.workstreams[0].area = "Identity and SSO and Okta".into();
    h.workstreams[1].area = "فريق الهوية".into();
    h.workstreams[2].area = "可观测性与分析".into();
    h.workstreams[3].current_state =
        "Observabilityandanalyticsplatformreadinessassessmentcontinuing is the word".into();
    h.decisions[0].question = "Which Okta integration pattern, claims model, group naming, \
        provisioning path and break-glass process are preferred for this class of internal \
        application, given the org-aware access model and the audit needs? "
        .repeat(3);
    h.risks[0].statement = "مخاطر الهوية: identity decisions stay abstract".into();
    h
}

/// A program just created: a name and the status vocabulary, nothing else.
fn empty() -> Handbook {
    Handbook::blank("New program")
}

fn layouts(handbook: &Handbook) -> Vec<(DocumentKind, Vec<Block>, LaidOutDocument)> {
    let (_dir, store) = common::store_with(handbook);
    DocumentKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let request = common::request(kind, handbook);
            match prepare_layout(&store, &request, "Test Lead") {
                Ok((blocks, laid)) => Some((kind, blocks, laid)),
                // An empty program has no review to make a packet for.
                Err(roadbook_report::ReportError::NoReview) => None,
                Err(e) => panic!("{}: {e}", kind.as_str()),
            }
        })
        .collect()
}

fn first_page(laid: &LaidOutDocument, block: usize) -> Option<usize> {
    laid.pieces
        .iter()
        .find(|p| p.block == block)
        .map(|p| p.page)
}

fn last_page(laid: &LaidOutDocument, block: usize) -> Option<usize> {
    laid.pieces
        .iter()
        .rev()
        .find(|p| p.block == block)
        .map(|p| p.page)
}

/// Whether block `n` is a short line that closes its section (it must stay with it).
fn closing(blocks: &[Block], n: usize) -> bool {
    matches!(blocks[n], Block::Labeled { .. } | Block::Paragraph(_))
        && n > 0
        && !matches!(
            blocks[n - 1],
            Block::Heading(_) | Block::Subheading(_) | Block::Title { .. } | Block::Part(_)
        )
        && matches!(
            blocks.get(n + 1),
            None | Some(Block::Heading(_) | Block::Part(_) | Block::PageBreak)
        )
}

/// Every rule a typesetter holds a page to; the problems found, in words.
fn problems(doc: &str, blocks: &[Block], laid: &LaidOutDocument) -> Vec<String> {
    let mut found = Vec::new();
    let name = |n: usize| format!("{:.60}", format!("{:?}", blocks[n]));
    for (n, block) in blocks.iter().enumerate() {
        match block {
            Block::Heading(_) | Block::Subheading(_) => {
                let next = (n + 1..blocks.len()).find(|m| first_page(laid, *m).is_some());
                if let (Some(here), Some(next)) = (first_page(laid, n), next)
                    && first_page(laid, next) != Some(here)
                    && !matches!(blocks[next], Block::Part(_))
                {
                    found.push(format!(
                        "{doc}: {} stranded at the foot of page {}",
                        name(n),
                        here + 1
                    ));
                }
            }
            Block::Table(_) | Block::Bullets(_) => {
                let units = match block {
                    Block::Table(table) => table.rows.len(),
                    Block::Bullets(items) => items.len(),
                    _ => 0,
                };
                let pieces: Vec<_> = laid.pieces.iter().filter(|p| p.block == n).collect();
                if pieces.len() > 1 {
                    for p in &pieces {
                        if p.rows < 2 && units > 1 {
                            found.push(format!(
                                "{doc}: a piece of one row on page {} of {}",
                                p.page + 1,
                                name(n)
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
        if closing(blocks, n)
            && let (Some(here), Some(before)) = (first_page(laid, n), last_page(laid, n - 1))
            && here != before
        {
            found.push(format!(
                "{doc}: {} cut from its section onto page {}",
                name(n),
                here + 1
            ));
            if std::env::var_os("FLOW_DEBUG").is_some() {
                let before_it: Vec<_> = laid.pieces.iter().filter(|p| p.block == n - 1).collect();
                eprintln!(
                    "before it: {} {before_it:?} fill {}",
                    name(n - 1),
                    laid.fill(before)
                );
            }
        }
        for p in laid.pieces.iter().filter(|p| p.block == n && p.split) {
            found.push(format!(
                "{doc}: {} split at the foot of page {}",
                name(n),
                p.page + 1
            ));
        }
    }
    // Said once: no column of nothing, no block of substance twice.
    for (n, block) in blocks.iter().enumerate() {
        if let Block::Table(table) = block {
            for (c, column) in table.columns.iter().enumerate() {
                let all_unset = !table.rows.is_empty()
                    && table
                        .rows
                        .iter()
                        .all(|r| matches!(r.get(c), Some(roadbook_report::layout::Cell::Unset(_))));
                if all_unset && table.columns.len() > 1 {
                    found.push(format!(
                        "{doc}: column {} of {} is all unset",
                        column.title,
                        name(n)
                    ));
                }
            }
        }
        let substantial = match block {
            Block::Paragraph(t) | Block::Lead(t) => t.len() > 40,
            Block::Bullets(_) | Block::Table(_) | Block::Meters(_) | Block::HeatMap(_) => true,
            Block::Labeled { text, .. } => text.len() > 40,
            _ => false,
        };
        // In a portfolio each program's page stands for its own program: two programs may
        // say the same of themselves, a page may not say a thing twice.
        let from = if doc == "portfolio" {
            blocks[..n]
                .iter()
                .rposition(|b| matches!(b, Block::Part(_)))
                .unwrap_or(0)
        } else {
            0
        };
        if substantial && blocks[from..n].contains(block) {
            found.push(format!("{doc}: {} again", name(n)));
        }
    }
    // No page but the last under a third full, unless the next starts a part by design.
    for page in 0..laid.pages.len().saturating_sub(1) {
        let next_starts_part = laid
            .pieces
            .iter()
            .find(|p| p.page == page + 1)
            .is_some_and(|p| matches!(blocks[p.block], Block::Part(_) | Block::PageBreak))
            || laid.anchors.values().any(|start| *start == page + 1);
        let fill = laid.fill(page);
        if fill < 1.0 / 3.0 && !next_starts_part {
            if std::env::var_os("FLOW_DEBUG").is_some() {
                for p in laid
                    .pieces
                    .iter()
                    .filter(|p| p.page == page || p.page == page + 1)
                {
                    eprintln!("{p:?} {:.120}", format!("{:?}", blocks[p.block]));
                }
            }
            found.push(format!(
                "{doc}: page {} is {:.0}% full",
                page + 1,
                fill * 100.0
            ));
        }
    }
    found
}

fn check(handbook: Handbook, what: &str) {
    let mut found = Vec::new();
    for (kind, blocks, laid) in layouts(&handbook) {
        assert!(
            !laid.pieces.is_empty(),
            "{}: nothing laid out",
            kind.as_str()
        );
        found.extend(problems(kind.as_str(), &blocks, &laid));
    }
    assert!(found.is_empty(), "{what}:\n{}", found.join("\n"));
}

#[test]
fn the_sample_flows_over_its_pages_as_a_typesetter_would_set_it() {
    check(plain(), "the sample");
}

#[test]
fn the_sample_with_dates_flows_over_its_pages_as_a_typesetter_would_set_it() {
    check(dated(), "the sample with dates");
}

#[test]
fn the_sample_with_a_decision_just_made_flows_over_its_pages_as_a_typesetter_would_set_it() {
    check(decided(), "the sample with a decision just made");
}

#[test]
fn a_hostile_program_flows_over_its_pages_as_a_typesetter_would_set_it() {
    check(hostile(), "a hostile program");
}

#[test]
fn an_empty_program_flows_over_its_pages_as_a_typesetter_would_set_it() {
    check(empty(), "an empty program");
}

/// The portfolio of every program above (each under its own name), and of one program: its
/// overview, the decisions across programs and a page per program flow as the documents do.
#[test]
fn a_portfolio_flows_over_its_pages_as_a_typesetter_would_set_it() {
    let programs: Vec<Handbook> = [plain(), dated(), decided(), hostile(), empty()]
        .into_iter()
        .enumerate()
        .map(|(n, mut h)| {
            h.program.name = format!("{} {}", h.program.name, n + 1);
            h
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut store = roadbook_store::Store::open(dir.path().join("portfolio.db")).unwrap();
    store.pin_clock(Some(
        chrono::Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
    ));
    for h in &programs {
        store.import(h, "Test Lead").unwrap();
    }
    store.pin_clock(None);
    let as_of = common::request(DocumentKind::Readout, &programs[0]).as_of;
    let mut found = Vec::new();
    for chosen in [None, Some(vec![programs[0].program.id])] {
        let request = roadbook_report::PortfolioRequest {
            programs: chosen,
            as_of,
        };
        let (blocks, laid) =
            roadbook_report::prepare_portfolio_layout(&store, &request, "Test Lead").unwrap();
        assert!(
            laid.pages.len() > 1,
            "a page per program after the overview"
        );
        found.extend(problems("portfolio", &blocks, &laid));
    }
    assert!(found.is_empty(), "portfolio:\n{}", found.join("\n"));
}

#[test]
fn the_memo_of_the_sample_fits_on_one_page() {
    let (_, _, laid) = layouts(&plain())
        .into_iter()
        .find(|(kind, _, _)| *kind == DocumentKind::Memo)
        .unwrap();
    assert_eq!(
        laid.pages.len(),
        1,
        "the memo runs onto {} pages",
        laid.pages.len()
    );
}

/// The checks themselves can fail: a heading pushed to a page's foot and a table left with one
/// row on the next page are both found.
#[test]
fn the_checks_find_a_stranded_heading_and_a_one_row_piece() {
    let blocks = vec![
        Block::Heading("Alone".into()),
        Block::Paragraph("text".into()),
        Block::Table(roadbook_report::layout::Table {
            columns: vec![],
            rows: vec![vec![], vec![]],
        }),
    ];
    let laid = LaidOutDocument {
        pages: vec![Default::default(), Default::default()],
        pieces: vec![
            roadbook_report::layout::Piece {
                block: 0,
                page: 0,
                rows: 0,
                split: false,
            },
            roadbook_report::layout::Piece {
                block: 1,
                page: 1,
                rows: 0,
                split: false,
            },
            roadbook_report::layout::Piece {
                block: 2,
                page: 1,
                rows: 1,
                split: false,
            },
            roadbook_report::layout::Piece {
                block: 2,
                page: 2,
                rows: 1,
                split: false,
            },
        ],
        ..LaidOutDocument::default()
    };
    let found = problems("readout", &blocks, &laid);
    assert!(found.iter().any(|f| f.contains("stranded")), "{found:?}");
    assert_eq!(
        found.iter().filter(|f| f.contains("one row")).count(),
        2,
        "{found:?}"
    );
}
