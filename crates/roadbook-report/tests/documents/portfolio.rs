//! The Portfolio Readout: several programs in one document, each figure the one its own
//! readout gives, as of any moment again byte for byte.

use super::*;
use roadbook_model::{Health, Level, ReadinessState};
use roadbook_report::{
    PortfolioFormat, PortfolioRequest, portfolio_glances, prepare_markdown, prepare_portfolio,
};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn date(text: &str) -> roadbook_model::Date {
    text.parse().unwrap()
}

/// Three programs as a lead's database holds them on 22 November:
/// - the sample, dated, with a readout issued on the 10th and two dates moved on the 15th
///   (a milestone 45 days later, past the next one; a decision due 3 days earlier);
/// - "Field Readiness", the sample made healthy (nothing blocked, no high risk, ready), one
///   decision due on the 20th;
/// - a program just created.
struct Portfolio {
    dir: tempfile::TempDir,
    store: Store,
    dated: Handbook,
    healthy: Handbook,
    new: Handbook,
}

fn portfolio() -> Portfolio {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("portfolio.db")).unwrap();
    let mut dated = sample::builder_insights().unwrap();
    for (n, d) in dated.decisions.iter_mut().enumerate() {
        d.due = Some(date(&format!("2026-12-{:02}", 1 + 4 * n)));
    }
    for (n, m) in dated.milestones.iter_mut().enumerate() {
        m.target = Some(date(&format!("2027-0{}-15", 1 + n)));
    }
    let mut healthy = sample::builder_insights().unwrap();
    healthy.program.name = "Field Readiness".into();
    let drafted = healthy.status_named("Drafted").unwrap().id;
    for w in &mut healthy.workstreams {
        w.status_id = drafted;
        w.risk_level = Level::Low;
    }
    for d in &mut healthy.readiness_dimensions {
        d.state = ReadinessState::Ready;
    }
    // One ask overdue by the portfolio's day.
    healthy.decisions[0].due = Some(date("2026-11-20"));
    let new = Handbook::blank("New program");
    store.pin_clock(Some(at(1, 9)));
    for h in [&dated, &healthy, &new] {
        store.import(h, "Test Lead").unwrap();
    }
    store.pin_clock(None);

    // The readout of the 10th: the baseline the portfolio measures the sample against.
    let readout = Request {
        kind: DocumentKind::Readout,
        program: dated.program.id,
        review: None,
        since: None,
        status: None,
        as_of: at(10, 9),
        baseline: None,
    };
    let issued = prepare(&store, &readout, "Test Lead").unwrap();
    store
        .archive_document(&issued.record, &issued.snapshot)
        .unwrap();

    store.pin_clock(Some(at(15, 9)));
    let program = dated.program.id;
    let mut milestone = dated.milestones[0].clone();
    milestone.target = Some(date("2027-03-01"));
    edit(&mut store, program, &dated.milestones[0], &milestone);
    let mut decision = dated.decisions[1].clone();
    decision.due = Some(date("2026-12-02"));
    edit(&mut store, program, &dated.decisions[1], &decision);
    store.pin_clock(None);
    Portfolio {
        dir,
        store,
        dated,
        healthy,
        new,
    }
}

fn all_at(as_of: DateTime<Utc>) -> PortfolioRequest {
    PortfolioRequest {
        programs: None,
        as_of,
    }
}

/// The rows of the Markdown table under the heading that starts with `heading`.
fn rows_under(markdown: &str, heading: &str) -> Vec<String> {
    let Some(start) = markdown.find(&format!("## {heading}")) else {
        return Vec::new();
    };
    markdown[start..]
        .lines()
        .skip(1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_overview_says_what_each_program_s_own_readout_says() {
    let p = portfolio();
    let as_of = at(22, 9);
    let glances = portfolio_glances(&p.store, &all_at(as_of)).unwrap();
    let names: Vec<&str> = glances.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        [
            p.dated.program.name.as_str(),
            "Field Readiness",
            "New program"
        ]
    );
    // Health, from how each program was made: the sample's "Readiness gating" is blocked; the
    // healthy one has a decision overdue since the 20th.
    let health: Vec<Health> = glances.iter().map(|g| g.health.health).collect();
    assert_eq!(
        health,
        [Health::OffTrack, Health::AtRisk, Health::NotAssessed]
    );
    assert_eq!(
        glances[1].health.reasons,
        [format!(
            "Decision ‘{}’ is overdue",
            p.healthy.decisions[0].title
        )]
    );

    for g in &glances {
        let readout = prepare_markdown(
            &p.store,
            &Request {
                kind: DocumentKind::Readout,
                program: g.program,
                review: None,
                since: None,
                status: None,
                as_of,
                baseline: None,
            },
            "Test Lead",
        )
        .unwrap();
        // Decisions needed: the same decisions, in the same order.
        let needed = rows_under(&readout, "Decisions needed");
        let titles: Vec<String> = g
            .decisions_needed
            .iter()
            .map(|a| format!("| **{}**", a.title))
            .collect();
        assert_eq!(needed.len(), titles.len(), "{}: {needed:?}", g.name);
        for (row, title) in needed.iter().zip(&titles) {
            assert!(row.starts_with(title.as_str()), "{row} / {title}");
        }
        // Top risks: the readout's first three.
        let risks = rows_under(&readout, "Top risks");
        for (row, risk) in risks.iter().zip(&g.top_risks) {
            assert!(
                row.starts_with(&format!("| **{}**", risk.statement)),
                "{row}"
            );
        }
        assert_eq!(g.top_risks.len(), risks.len().min(3), "{}", g.name);
        // What moved: the readout's table against the same baseline, row for row.
        let moved = rows_under(&readout, "Dates against");
        assert_eq!(moved.len(), g.slipped.len(), "{}: {moved:?}", g.name);
        match &g.baseline {
            Some(b) => assert!(readout.contains(&format!("## Dates against {b}")), "{b}"),
            None => assert!(!readout.contains("## Dates against")),
        }
    }

    // The sample: measured against its readout of the 10th; a milestone 45 days later and a
    // decision due 3 days earlier.
    let sample = &glances[0];
    assert_eq!(
        sample.baseline.as_deref(),
        Some("the readout of 10 Nov 2026")
    );
    let mut days: Vec<i64> = sample.slipped.iter().filter_map(|s| s.days()).collect();
    days.sort_unstable();
    assert_eq!(days, [-3, 45]);
    assert_eq!(
        sample.next_milestone.as_ref().unwrap().name,
        p.dated.milestones[1].name,
        "the first milestone moved past the second"
    );
    assert!(glances[1].baseline.is_none() && glances[2].slipped.is_empty());

    // The document says the same: the overview's row for the sample, the asks across the
    // portfolio soonest first.
    let md = String::from_utf8(
        prepare_portfolio(
            &p.store,
            &all_at(as_of),
            "Test Lead",
            PortfolioFormat::Markdown,
        )
        .unwrap(),
    )
    .unwrap();
    let overview = rows_under(&md, "Overview");
    assert_eq!(overview.len(), 3, "{overview:?}");
    assert!(
        overview[0].contains("Off track")
            && overview[0].contains("1 later, up to +45 days; 1 earlier"),
        "{}",
        overview[0]
    );
    assert!(overview[1].contains("At risk") && overview[1].contains("no baseline yet"));
    assert!(overview[2].contains("Not assessed"));
    assert!(
        md.contains("*3 programs: 1 at risk, 1 off track and 1 not assessed. 8 decisions are needed, 1 of them overdue. 1 date moved later against its program's baseline.*"),
        "{}",
        &md[..md.find("## Overview").unwrap()]
    );
    let asks = rows_under(&md, "Decisions needed across the portfolio");
    assert_eq!(asks.len(), 8);
    assert!(
        asks[0].starts_with("| **Field Readiness** |") && asks[0].contains("20 Nov 2026 (overdue)"),
        "the overdue ask comes first: {}",
        asks[0]
    );
    let sample_row = format!("| **{}** |", p.dated.program.name);
    assert!(
        asks[1].starts_with(&sample_row) && asks[1].contains(&p.dated.decisions[0].title),
        "then the one due 1 Dec: {}",
        asks[1]
    );
    assert!(asks[2].contains(&p.dated.decisions[1].title), "then 2 Dec");
    // A page per program, each under its own name, and one page each: the part starts a page
    // and the next part (or the end) comes on the page after.
    for name in &names {
        assert!(md.contains(&format!("# {name}")), "{name}");
    }
    let (blocks, laid) =
        roadbook_report::prepare_portfolio_layout(&p.store, &all_at(as_of), "Test Lead").unwrap();
    let parts: Vec<usize> = blocks
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b, roadbook_report::layout::Block::Part(_)))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(parts.len(), 3);
    let page_of = |block: usize| laid.pieces.iter().find(|p| p.block >= block).unwrap().page;
    for (i, part) in parts.iter().enumerate() {
        let starts = page_of(*part);
        let last = laid
            .pieces
            .iter()
            .filter(|p| p.block > *part && parts.get(i + 1).is_none_or(|next| p.block < *next))
            .map(|p| p.page)
            .max()
            .unwrap();
        assert_eq!(starts, last, "{}'s page runs onto another", names[i]);
    }
}

#[test]
fn a_portfolio_as_of_an_earlier_moment_is_that_portfolio_byte_for_byte() {
    let mut p = portfolio();
    let then = at(22, 9);
    let formats = [
        PortfolioFormat::Pdf,
        PortfolioFormat::Html,
        PortfolioFormat::Markdown,
        PortfolioFormat::Deck,
    ];
    let made_then: Vec<Vec<u8>> = formats
        .iter()
        .map(|f| prepare_portfolio(&p.store, &all_at(then), "Test Lead", *f).unwrap())
        .collect();
    let path = p.dir.path().join("portfolio.pdf");
    std::fs::write(&path, &made_then[0]).unwrap();
    check_file(&path);
    check_bounds(&path);
    // The overview, the decisions across programs and the contents on the first page; a page
    // per program after it.
    assert!(pages(&path) >= 4, "{} pages", pages(&path));
    assert!(page_text(&path, 1).contains("Portfolio Readout"));

    // Later: a decision made, a milestone moved on the healthy program, a fourth program.
    p.store.pin_clock(Some(at(25, 9)));
    let mut decision = p.dated.decisions[0].clone();
    decision.status_id = p.dated.status_named("Decided").unwrap().id;
    decision.outcome = "Okta with group claims".into();
    decision.rationale = "The supported path".into();
    edit(
        &mut p.store,
        p.dated.program.id,
        &p.dated.decisions[0],
        &decision,
    );
    let mut milestone = p.healthy.milestones[0].clone();
    milestone.target = Some(date("2027-02-01"));
    edit(
        &mut p.store,
        p.healthy.program.id,
        &p.healthy.milestones[0],
        &milestone,
    );
    let fourth = Handbook::blank("Fourth program");
    p.store.import(&fourth, "Test Lead").unwrap();
    p.store.pin_clock(None);

    for (format, before) in formats.iter().zip(&made_then) {
        let again = prepare_portfolio(&p.store, &all_at(then), "Test Lead", *format).unwrap();
        assert!(again == *before, "{format:?} as of the 22nd changed");
    }
    let now = at(26, 9);
    let later = prepare_portfolio(
        &p.store,
        &all_at(now),
        "Test Lead",
        PortfolioFormat::Markdown,
    )
    .unwrap();
    let later = String::from_utf8(later).unwrap();
    assert!(later.contains("**4 programs**") && later.contains("# Fourth program"));
    assert!(later.contains("7 decisions are needed"));
    let earlier = String::from_utf8(made_then[2].clone()).unwrap();
    assert!(earlier.contains("**3 programs**") && !earlier.contains("Fourth program"));
    assert!(earlier.contains(&format!("# {}", p.new.program.name)));
}

#[test]
fn a_portfolio_shows_the_programs_chosen_in_their_order_and_refuses_what_it_cannot_show() {
    let mut p = portfolio();
    let as_of = at(22, 9);
    let chosen = vec![p.new.program.id, p.dated.program.id];
    let glances = portfolio_glances(
        &p.store,
        &PortfolioRequest {
            programs: Some(chosen.clone()),
            as_of,
        },
    )
    .unwrap();
    let ids: Vec<Id> = glances.iter().map(|g| g.program).collect();
    assert_eq!(ids, chosen);
    // The saved choice is the default.
    p.store
        .set_portfolio_choice(Some(&[p.healthy.program.id]))
        .unwrap();
    let glances = portfolio_glances(&p.store, &all_at(as_of)).unwrap();
    assert_eq!(glances.len(), 1);
    assert_eq!(glances[0].name, "Field Readiness");
    p.store.set_portfolio_choice(None).unwrap();

    // Each program's classification marking is on every page of the compilation.
    let mut marked = p.healthy.program.clone();
    marked.classification = "Confidential".into();
    let mut internal = p.dated.program.clone();
    internal.classification = "Internal".into();
    p.store.pin_clock(Some(at(20, 9)));
    edit(
        &mut p.store,
        p.healthy.program.id,
        &p.healthy.program,
        &marked,
    );
    edit(
        &mut p.store,
        p.dated.program.id,
        &p.dated.program,
        &internal,
    );
    p.store.pin_clock(None);
    let pdf =
        prepare_portfolio(&p.store, &all_at(as_of), "Test Lead", PortfolioFormat::Pdf).unwrap();
    let path = p.dir.path().join("marked.pdf");
    std::fs::write(&path, &pdf).unwrap();
    for page in 1..=pages(&path) {
        assert!(
            page_text(&path, page).contains("Internal / Confidential"),
            "page {page}"
        );
    }

    // Refused: a program not in this database, a moment to come.
    let unknown = portfolio_glances(
        &p.store,
        &PortfolioRequest {
            programs: Some(vec![Id::new()]),
            as_of,
        },
    )
    .unwrap_err();
    assert!(unknown.to_string().contains("no item with id"), "{unknown}");
    let future = portfolio_glances(&p.store, &all_at(Utc::now() + Duration::days(1))).unwrap_err();
    assert!(future.to_string().contains("has not come yet"), "{future}");
    // Before any program was here, it says so rather than showing an empty table.
    let md = prepare_portfolio(&p.store, &all_at(at(1, 8)), "", PortfolioFormat::Markdown).unwrap();
    let md = String::from_utf8(md).unwrap();
    assert!(
        md.contains("No program was in this database at this moment"),
        "{md}"
    );
}
