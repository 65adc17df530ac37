//! The Portfolio Readout: several programs at a glance for the people who see them all. One
//! overview (each program's health, the decisions it needs with who and by
//! when, its top risks, what slipped, its next milestone), the decisions needed across the
//! portfolio by date, then a page per program with what its own readout says about each.
//!
//! Every figure is read from the same gathered inputs a program's readout is made from (its
//! `Context` and `Changes`): the overview can never disagree with the readout.

use serde::Serialize;

use super::readout::{count, slipped};
use super::*;
use crate::Slide;
use roadbook_model::{Date, Health, HealthCall, Slip};

/// One program as the portfolio shows it, and as the app's Portfolio screen lists it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramGlance {
    pub program: Id,
    pub name: String,
    pub health: HealthCall,
    /// The decisions still needed, in register order: who they are needed from and by when.
    pub decisions_needed: Vec<Ask>,
    /// The three most serious open risks.
    pub top_risks: Vec<RiskGlance>,
    /// What the dates are measured against, as the documents name it ("the readout of 20 Nov
    /// 2026"); none when the program has no baseline before the portfolio's moment.
    pub baseline: Option<String>,
    /// The dates that moved against it.
    pub slipped: Vec<Slip>,
    /// What moved in a few words: "1 later, up to +45 days; 1 earlier", "nothing moved", "no
    /// baseline yet" (the overview's cell, the CLI's line and the Portfolio screen's).
    pub slipped_summary: String,
    pub next_milestone: Option<NextMilestone>,
    /// Its dependencies with other programs that broke (either way), each in a sentence.
    pub broken_links: Vec<String>,
    /// The dependencies of those (one link between two programs of a portfolio is one, though
    /// both programs show it).
    pub broken_dependencies: Vec<Id>,
}

/// A decision still needed: from whom, and by when.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ask {
    pub id: Id,
    pub title: String,
    /// The people it is needed from, by name ("—" when nobody is named).
    pub needed_from: String,
    pub due: Option<Date>,
    /// Past its due date on the portfolio's day.
    pub overdue: bool,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskGlance {
    pub id: Id,
    pub statement: String,
    pub severity: Level,
    pub likelihood: Level,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextMilestone {
    pub id: Id,
    pub name: String,
    pub target: Option<Date>,
    /// Its target has passed on the portfolio's day and it is not reached.
    pub past_target: bool,
    /// Its target falls within the week from the portfolio's day.
    pub this_week: bool,
}

/// One program of the portfolio: what its readout would be made from.
pub struct Member<'a> {
    pub ctx: Context<'a>,
    pub changes: Changes<'a>,
}

/// A program at a glance, from what its readout is made from.
pub fn glance(ctx: &Context, changes: &Changes) -> ProgramGlance {
    let h = ctx.handbook;
    let today = ctx.as_of.date_naive();
    let past = |d: Option<Date>| d.is_some_and(|d| d.naive() < today);
    let broken: Vec<&roadbook_model::Link> = ctx
        .links
        .iter()
        .filter(|l| l.state == roadbook_model::LinkState::Broken)
        .collect();
    let slipped: Vec<Slip> = changes
        .slips
        .iter()
        .filter(|s| s.moved())
        .cloned()
        .collect();
    ProgramGlance {
        program: h.program.id,
        name: h.program.name.clone(),
        health: h.health(today, broken.len()),
        decisions_needed: h
            .decisions_needed()
            .into_iter()
            .map(|d| Ask {
                id: d.id,
                title: d.title.clone(),
                needed_from: ctx.owners(&d.needed_from),
                due: d.due,
                overdue: past(d.due),
            })
            .collect(),
        top_risks: h
            .top_risks(3)
            .into_iter()
            .map(|r| RiskGlance {
                id: r.id,
                statement: r.statement.clone(),
                severity: r.severity,
                likelihood: r.likelihood,
            })
            .collect(),
        baseline: changes.baseline.map(str::to_owned),
        slipped_summary: slipped_summary(changes.baseline.is_some(), &slipped),
        slipped,
        next_milestone: h.next_milestone().map(|m| NextMilestone {
            id: m.id,
            name: m.name.clone(),
            target: m.target,
            past_target: past(m.target),
            this_week: roadbook_model::due_state(m.target, true, today)
                == Some(roadbook_model::Due::ThisWeek),
        }),
        broken_links: broken
            .iter()
            .map(|l| crate::capitalised(&l.sentence()))
            .collect(),
        broken_dependencies: broken.iter().map(|l| l.dependency).collect(),
    }
}

fn health_chip(health: Health) -> Cell {
    Cell::Chip(Chip {
        label: health.words().to_owned(),
        colour: match health {
            Health::OnTrack => GREEN,
            Health::AtRisk => AMBER,
            Health::OffTrack => RED,
            Health::NotAssessed => GREY,
        },
    })
}

/// "Pilot live, 15 Jan 2027", "Pilot live, was due 1 Dec 2026", "Pilot live, no date yet".
fn milestone_words(m: &NextMilestone) -> String {
    match (m.target, m.past_target) {
        (Some(d), true) => format!("{}, was due {}", m.name, on_day(d)),
        (Some(d), false) if m.this_week => format!("{}, {} (this week)", m.name, on_day(d)),
        (Some(d), false) => format!("{}, {}", m.name, on_day(d)),
        (None, _) => format!("{}, no date yet", m.name),
    }
}

/// What moved in a few words: "1 later, up to +45 days; 1 earlier", "nothing moved", "no
/// baseline yet".
fn slipped_summary(measured: bool, slipped: &[Slip]) -> String {
    if !measured {
        return "no baseline yet".to_owned();
    }
    if slipped.is_empty() {
        return "nothing moved".to_owned();
    }
    let t = roadbook_model::Tally::of(slipped);
    let mut said = Vec::new();
    if t.later > 0 {
        let most = slipped.iter().filter_map(Slip::days).max().unwrap_or(0);
        said.push(format!("{} later, up to +{most} days", t.later));
    }
    if t.earlier > 0 {
        said.push(format!("{} earlier", t.earlier));
    }
    if t.dated_or_undated > 0 {
        said.push(format!(
            "{} dated, undated, added or removed",
            t.dated_or_undated
        ));
    }
    said.join("; ")
}

/// The overview's cell: the next milestone, or none open.
fn next_cell(g: &ProgramGlance) -> Cell {
    g.next_milestone
        .as_ref()
        .map_or(Cell::Muted("none open".to_owned()), |m| {
            Cell::Text(milestone_words(m))
        })
}

/// The overview's cell: what slipped, strong when something moved later.
fn slipped_cell(g: &ProgramGlance) -> Cell {
    if g.baseline.is_none() {
        Cell::Muted(g.slipped_summary.clone())
    } else if g.slipped.iter().any(|s| s.days().is_some_and(|d| d > 0)) {
        Cell::Strong(g.slipped_summary.clone())
    } else {
        Cell::Text(g.slipped_summary.clone())
    }
}

/// At most `shown` asks, one per line ("Title — Name, by 12 Dec 2026"), and how many more.
fn asks_words(asks: &[Ask], shown: usize) -> Cell {
    if asks.is_empty() {
        return Cell::Text("none needed".to_owned());
    }
    // The most pressing first: overdue, then by date, undated last (register order breaks ties).
    let mut pressing: Vec<&Ask> = asks.iter().collect();
    pressing.sort_by_key(|a| (!a.overdue, a.due.is_none(), a.due));
    let mut lines: Vec<String> = pressing
        .iter()
        .take(shown)
        .map(|a| {
            let by = match (a.due, a.overdue) {
                (Some(d), true) => format!(", by {} (overdue)", on_day(d)),
                (Some(d), false) => format!(", by {}", on_day(d)),
                (None, _) => String::new(),
            };
            format!("{} — {}{by}", a.title, a.needed_from)
        })
        .collect();
    if asks.len() > shown {
        lines.push(format!("and {} more", asks.len() - shown));
    }
    Cell::Text(lines.join("\n"))
}

fn overview(glances: &[ProgramGlance]) -> Block {
    Block::Table(Table {
        columns: vec![
            col("Program", 0.15),
            col("Health", 0.11),
            col("Decisions needed: who, by when", 0.27),
            col("Top risk", 0.2),
            col("Dates moved", 0.12),
            col("Next milestone", 0.15),
        ],
        rows: glances
            .iter()
            .map(|g| {
                vec![
                    Cell::Strong(g.name.clone()),
                    health_chip(g.health.health),
                    asks_words(&g.decisions_needed, 2),
                    match g.top_risks.first() {
                        None => Cell::Text("none open".to_owned()),
                        Some(r) => Cell::Text(format!(
                            "{} ({} severity)",
                            r.statement,
                            level_word(r.severity)
                        )),
                    },
                    slipped_cell(g),
                    next_cell(g),
                ]
            })
            .collect(),
    })
}

/// The overview for a slide: one short line per program.
fn overview_for_slides(glances: &[ProgramGlance]) -> Block {
    Block::Table(Table {
        columns: vec![
            col("Program", 0.24),
            col("Health", 0.16),
            col("Decisions needed", 0.18),
            col("Dates moved", 0.2),
            col("Next milestone", 0.22),
        ],
        rows: glances
            .iter()
            .map(|g| {
                let overdue = g.decisions_needed.iter().filter(|a| a.overdue).count();
                vec![
                    Cell::Strong(g.name.clone()),
                    health_chip(g.health.health),
                    Cell::Text(match (g.decisions_needed.len(), overdue) {
                        (0, _) => "none".to_owned(),
                        (n, 0) => n.to_string(),
                        (n, o) => format!("{n}, {o} overdue"),
                    }),
                    slipped_cell(g),
                    next_cell(g),
                ]
            })
            .collect(),
    })
}

/// "3 programs: 1 off track, 1 at risk and 1 on track. 7 decisions are needed,
/// 2 of them overdue. 4 dates moved later against each program's baseline."
pub fn summary(glances: &[ProgramGlance]) -> String {
    let mut by_health = Vec::new();
    for health in Health::ALL {
        let n = glances
            .iter()
            .filter(|g| g.health.health == *health)
            .count();
        if n > 0 {
            by_health.push(format!("{n} {}", health.words().to_lowercase()));
        }
    }
    let refs: Vec<&str> = by_health.iter().map(String::as_str).collect();
    let asks: Vec<&Ask> = glances.iter().flat_map(|g| &g.decisions_needed).collect();
    let overdue = asks.iter().filter(|a| a.overdue).count();
    let later: usize = glances
        .iter()
        .map(|g| {
            g.slipped
                .iter()
                .filter(|s| s.days().is_some_and(|d| d > 0))
                .count()
        })
        .sum();
    let mut out = format!(
        "{}: {}. ",
        count(glances.len(), "program", "programs"),
        list(&refs)
    );
    out.push_str(&match (asks.len(), overdue) {
        (0, _) => "No decision is needed.".to_owned(),
        (1, 1) => "1 decision is needed, and it is overdue.".to_owned(),
        (1, _) => "1 decision is needed.".to_owned(),
        (n, 0) => format!("{n} decisions are needed."),
        (n, o) => format!("{n} decisions are needed, {o} of them overdue."),
    });
    out.push_str(&match later {
        0 => " No date moved later against the programs' baselines.".to_owned(),
        1 => " 1 date moved later against its program's baseline.".to_owned(),
        n => format!(" {n} dates moved later against their programs' baselines."),
    });
    // One link between two programs of the portfolio is one, though both show it.
    let mut broken: Vec<Id> = glances
        .iter()
        .flat_map(|g| g.broken_dependencies.iter().copied())
        .collect();
    broken.sort();
    broken.dedup();
    match broken.len() {
        0 => {}
        1 => out.push_str(" 1 dependency between programs is broken."),
        n => out.push_str(&format!(" {n} dependencies between programs are broken.")),
    }
    out
}

/// Every decision needed across the portfolio, the soonest due first (undated last), with its
/// program: the page a leader works down.
fn asks_across(members: &[Member], glances: &[ProgramGlance]) -> Block {
    let mut rows: Vec<(Option<Date>, usize, Vec<Cell>)> = Vec::new();
    for (m, g) in members.iter().zip(glances) {
        for d in m.ctx.handbook.decisions_needed() {
            rows.push((
                d.due,
                rows.len(),
                vec![
                    Cell::Strong(g.name.clone()),
                    Cell::Titled {
                        title: d.title.clone(),
                        detail: d.question.clone(),
                    },
                    Cell::Text(m.ctx.owners(&d.needed_from)),
                    m.ctx.due(d.due, d.status_id),
                ],
            ));
        }
    }
    // Undated asks after dated ones; the portfolio's order (programs, then register order)
    // breaks ties.
    rows.sort_by_key(|(due, order, _)| (due.is_none(), *due, *order));
    Block::Table(Table {
        columns: vec![
            col("Program", 0.18),
            col("Decision", 0.42),
            col("Needed from", 0.22),
            col("Due", 0.18),
        ],
        rows: rows.into_iter().map(|(_, _, cells)| cells).collect(),
    })
}

/// A program's own page, one page: its health and why, where it stands, its workstreams, the
/// decisions it needs, its top risks and what moved. The tables are the readout's, narrowed to
/// what a leader scans (the readout has the questions, mitigations and owners in full).
fn program_page(m: &Member, g: &ProgramGlance, out: &mut Vec<Block>) {
    let ctx = &m.ctx;
    let h = ctx.handbook;
    out.push(Block::Part(g.name.clone()));
    out.push(Block::Title {
        title: g.name.clone(),
        subtitle: g.health.words.clone(),
        meta: as_of_and_author(ctx),
    });
    out.push(Block::Labeled {
        label: "Health".to_owned(),
        text: format!("{}.", g.health.reasons.join(". ")),
    });
    if let Some(next) = &g.next_milestone {
        out.push(Block::Labeled {
            label: "Next milestone".to_owned(),
            text: milestone_words(next),
        });
    }
    // The health line names the workstreams that are blocked or at high risk; the readout has
    // every workstream. A program's page is what a leader acts on: decisions, asks, risks,
    // dates, links.
    out.push(Block::Heading("Decisions needed".to_owned()));
    let needed = h.decisions_needed();
    if needed.is_empty() {
        out.push(Block::Paragraph("No decisions are waiting.".to_owned()));
    } else {
        out.push(Block::Table(Table {
            columns: vec![
                col("Decision", 0.46),
                col("Needed from", 0.34),
                col("Due", 0.2),
            ],
            rows: needed
                .iter()
                .map(|d| {
                    vec![
                        Cell::Strong(d.title.clone()),
                        Cell::Text(ctx.owners(&d.needed_from)),
                        ctx.due(d.due, d.status_id),
                    ]
                })
                .collect(),
        }));
    }
    if !h.program.asks.is_empty() {
        out.push(Block::Heading("Asks of leadership".to_owned()));
        out.push(asks(ctx));
    }
    let open_risks = h.risks.iter().filter(|r| ctx.is_open(r.status_id)).count();
    out.push(Block::Heading(if open_risks > 3 {
        format!("Top risks (3 of {open_risks} open)")
    } else {
        "Top risks".to_owned()
    }));
    let risks = ctx.top_risks(3);
    if risks.is_empty() {
        out.push(Block::Paragraph("No risk is open.".to_owned()));
    } else {
        out.push(Block::Table(Table {
            columns: vec![
                col("Risk", 0.64),
                col("Severity", 0.18),
                col("Likelihood", 0.18),
            ],
            rows: risks
                .iter()
                .map(|r| {
                    vec![
                        Cell::Text(r.statement.clone()),
                        level_chip(r.severity),
                        level_chip(r.likelihood),
                    ]
                })
                .collect(),
        }));
    }
    match m.changes.baseline {
        Some(baseline) => slipped(&m.changes, baseline, out),
        None => {
            out.push(Block::Heading("Dates".to_owned()));
            out.push(Block::Paragraph("No baseline yet.".to_owned()));
        }
    }
    if let Some(table) = links_table(ctx, |_| true) {
        out.push(Block::Heading("Dependencies between programs".to_owned()));
        out.push(table);
    }
}

/// The Portfolio Readout's blocks; `glances` are the members', in the same order.
pub fn portfolio(
    members: &[Member],
    glances: &[ProgramGlance],
    as_of: DateTime<Utc>,
    author: &str,
) -> Vec<Block> {
    let mut out = vec![Block::Title {
        title: "Portfolio Readout".to_owned(),
        subtitle: count(glances.len(), "program", "programs"),
        meta: as_of_by(as_of, author),
    }];
    if glances.is_empty() {
        out.push(Block::Paragraph(
            "No program was in this database at this moment: join or create one, or choose a later moment."
                .to_owned(),
        ));
        return out;
    }
    out.push(Block::Lead(summary(glances)));
    out.push(Block::Heading("Overview".to_owned()));
    out.push(overview(glances));
    out.push(Block::Paragraph(
        "Dates moved: against each program's baseline (the last one its lead set, else its last readout); a program with neither has no baseline yet, and its first readout starts one."
            .to_owned(),
    ));
    out.push(Block::Heading("Programs".to_owned()));
    out.push(Block::Contents(
        glances.iter().map(|g| g.name.clone()).collect(),
    ));
    out.push(Block::Heading(
        "Decisions needed across the portfolio".to_owned(),
    ));
    if glances.iter().all(|g| g.decisions_needed.is_empty()) {
        out.push(Block::Paragraph(
            "No program is waiting on a decision.".to_owned(),
        ));
    } else {
        out.push(asks_across(members, glances));
    }
    for (m, g) in members.iter().zip(glances) {
        program_page(m, g, &mut out);
    }
    out
}

/// The portfolio as 16:9 slides: the title, the overview five programs to a slide, the
/// decisions needed, then a slide per program.
pub fn portfolio_deck(
    members: &[Member],
    glances: &[ProgramGlance],
    as_of: DateTime<Utc>,
    author: &str,
) -> Vec<Slide> {
    let mut slides = vec![Slide {
        title: String::new(),
        blocks: vec![
            Block::Title {
                title: "Portfolio Readout".to_owned(),
                subtitle: count(glances.len(), "program", "programs"),
                meta: as_of_by(as_of, author),
            },
            Block::Lead(if glances.is_empty() {
                "No program was in this database at this moment.".to_owned()
            } else {
                summary(glances)
            }),
        ],
    }];
    // The overview on a slide is short: a line per program, six to a slide.
    let pages = glances.len().div_ceil(6);
    for (i, chunk) in glances.chunks(6).enumerate() {
        slides.push(Slide {
            title: if pages > 1 {
                format!("Overview ({} of {pages})", i + 1)
            } else {
                "Overview".to_owned()
            },
            blocks: vec![overview_for_slides(chunk)],
        });
    }
    if glances.iter().any(|g| !g.decisions_needed.is_empty()) {
        slides.push(Slide {
            title: "Decisions needed across the portfolio".to_owned(),
            blocks: vec![asks_across(members, glances)],
        });
    }
    for g in glances {
        let mut blocks = vec![Block::Labeled {
            label: g.health.words.clone(),
            text: format!("{}.", g.health.reasons.join(". ")),
        }];
        if let Some(next) = &g.next_milestone {
            blocks.push(Block::Labeled {
                label: "Next milestone".to_owned(),
                text: milestone_words(next),
            });
        }
        let overdue = g.decisions_needed.iter().filter(|a| a.overdue).count();
        blocks.push(Block::Labeled {
            label: "Decisions needed".to_owned(),
            text: match (g.decisions_needed.len(), overdue) {
                (0, _) => "none".to_owned(),
                (n, 0) => n.to_string(),
                (n, o) => format!("{n}, {o} overdue"),
            },
        });
        blocks.push(Block::Labeled {
            label: "Dates moved".to_owned(),
            text: g.slipped_summary.clone(),
        });
        if !g.top_risks.is_empty() {
            blocks.push(Block::Labeled {
                label: "Top risks".to_owned(),
                text: g
                    .top_risks
                    .iter()
                    .map(|r| format!("• {} ({} severity)", r.statement, level_word(r.severity)))
                    .collect::<Vec<_>>()
                    .join("\n"),
            });
        }
        if !g.broken_links.is_empty() {
            blocks.push(Block::Labeled {
                label: "Broken dependencies".to_owned(),
                text: g.broken_links.join("\n"),
            });
        }
        slides.push(Slide {
            title: g.name.clone(),
            blocks,
        });
    }
    slides
}
