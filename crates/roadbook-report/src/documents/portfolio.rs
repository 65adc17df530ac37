//! The Portfolio Readout: several programs at a glance for the people who see them all. One
//! overview (each program's health, the decisions it needs from leadership with who and by
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
    /// The readout's sentence on where the program stands.
    pub standing: String,
    /// The decisions still needed, in register order: who they are needed from and by when.
    pub decisions_needed: Vec<Ask>,
    /// The three most serious open risks.
    pub top_risks: Vec<RiskGlance>,
    /// What the dates are measured against, as the documents name it ("the readout of 20 Nov
    /// 2026"); none when the program has no baseline before the portfolio's moment.
    pub baseline: Option<String>,
    /// The dates that moved against it.
    pub slipped: Vec<Slip>,
    /// What slipped in a few words: "1 later, 1 earlier; most +45 days", "nothing moved", "no
    /// baseline yet" (the overview's cell, the CLI's line and the Portfolio screen's).
    pub slipped_summary: String,
    pub next_milestone: Option<NextMilestone>,
    /// Its dependencies with other programs that broke (either way), each in a sentence.
    pub broken_links: Vec<String>,
}

/// A decision needed from leadership.
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
    let slipped: Vec<Slip> = changes
        .slips
        .iter()
        .filter(|s| s.moved())
        .cloned()
        .collect();
    ProgramGlance {
        program: h.program.id,
        name: h.program.name.clone(),
        health: h.health(),
        standing: standing(ctx),
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
        }),
        broken_links: ctx
            .links
            .iter()
            .filter(|l| l.state == roadbook_model::LinkState::Broken)
            .map(|l| crate::capitalised(&l.sentence()))
            .collect(),
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
        (Some(d), false) => format!("{}, {}", m.name, on_day(d)),
        (None, _) => format!("{}, no date yet", m.name),
    }
}

/// What slipped in a few words: "1 later, 1 earlier; most +45 days", "nothing moved", "no
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
        said.push(format!("{} later", t.later));
    }
    if t.earlier > 0 {
        said.push(format!("{} earlier", t.earlier));
    }
    if t.dated_or_undated > 0 {
        said.push(format!("{} dated or undated", t.dated_or_undated));
    }
    match slipped
        .iter()
        .filter_map(Slip::days)
        .max()
        .filter(|d| *d > 0)
    {
        Some(days) => format!("{}; most +{days} days", said.join(", ")),
        None => said.join(", "),
    }
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
        return Cell::Text("none".to_owned());
    }
    let mut lines: Vec<String> = asks
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
            col("Decisions needed from leadership", 0.27),
            col("Top risk", 0.2),
            col("Slipped", 0.12),
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
                        Some(r) => Cell::Text(r.statement.clone()),
                    },
                    slipped_cell(g),
                    g.next_milestone
                        .as_ref()
                        .map_or(Cell::Muted("none open".to_owned()), |m| {
                            Cell::Text(milestone_words(m))
                        }),
                ]
            })
            .collect(),
    })
}

/// "3 programs: 1 off track, 1 at risk and 1 on track. 7 decisions are needed from leadership,
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
        (0, _) => "No decision is needed from leadership.".to_owned(),
        (1, 1) => "1 decision is needed from leadership, and it is overdue.".to_owned(),
        (1, _) => "1 decision is needed from leadership.".to_owned(),
        (n, 0) => format!("{n} decisions are needed from leadership."),
        (n, o) => format!("{n} decisions are needed from leadership, {o} of them overdue."),
    });
    out.push_str(&match later {
        0 => " No date moved later against the programs' baselines.".to_owned(),
        1 => " 1 date moved later against its program's baseline.".to_owned(),
        n => format!(" {n} dates moved later against their programs' baselines."),
    });
    if glances.iter().any(|g| !g.broken_links.is_empty()) {
        let programs = glances
            .iter()
            .filter(|g| !g.broken_links.is_empty())
            .count();
        out.push_str(&format!(
            " {} {} a broken dependency between programs.",
            count(programs, "program", "programs"),
            if programs == 1 { "has" } else { "have" }
        ));
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
        text: format!("{}.", g.health.reasons.join("; ")),
    });
    if let Some(next) = &g.next_milestone {
        out.push(Block::Labeled {
            label: "Next milestone".to_owned(),
            text: milestone_words(next),
        });
    }
    out.push(Block::Heading("Where the program stands".to_owned()));
    out.push(Block::Paragraph(g.standing.clone()));
    if !h.workstreams.is_empty() {
        out.push(Block::Table(Table {
            columns: vec![
                col("Workstream", 0.3),
                col("Owner", 0.34),
                col("Status", 0.22),
                col("Risk", 0.14),
            ],
            rows: h
                .workstreams
                .iter()
                .map(|w| {
                    vec![
                        Cell::Strong(w.area.clone()),
                        Cell::Text(ctx.owners(&w.owner_ids)),
                        ctx.status_chip(w.status_id),
                        level_chip(w.risk_level),
                    ]
                })
                .collect(),
        }));
    }
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
    out.push(Block::Heading("Top risks".to_owned()));
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
        "Slipped: the dates that moved against each program's baseline (the last one its lead set, else its last readout). A program with neither has no baseline yet: its first readout starts one."
            .to_owned(),
    ));
    out.push(Block::Heading(
        "Decisions needed from leadership".to_owned(),
    ));
    if glances.iter().all(|g| g.decisions_needed.is_empty()) {
        out.push(Block::Paragraph(
            "No program is waiting on a decision.".to_owned(),
        ));
    } else {
        out.push(asks_across(members, glances));
    }
    out.push(Block::Heading("Programs".to_owned()));
    out.push(Block::Contents(
        glances.iter().map(|g| g.name.clone()).collect(),
    ));
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
    let pages = glances.len().div_ceil(5);
    for (i, chunk) in glances.chunks(5).enumerate() {
        slides.push(Slide {
            title: if pages > 1 {
                format!("Overview ({} of {pages})", i + 1)
            } else {
                "Overview".to_owned()
            },
            blocks: vec![overview(chunk)],
        });
    }
    if glances.iter().any(|g| !g.decisions_needed.is_empty()) {
        slides.push(Slide {
            title: "Decisions needed from leadership".to_owned(),
            blocks: vec![asks_across(members, glances)],
        });
    }
    for g in glances {
        let mut blocks = vec![
            Block::Labeled {
                label: "Health".to_owned(),
                text: format!(
                    "{}: {}.",
                    g.health.health.words(),
                    g.health.reasons.join("; ")
                ),
            },
            Block::Paragraph(g.standing.clone()),
        ];
        if !g.top_risks.is_empty() {
            blocks.push(Block::Bullets(
                g.top_risks
                    .iter()
                    .map(|r| format!("{} ({} severity)", r.statement, level_word(r.severity)))
                    .collect(),
            ));
        }
        if let Some(next) = &g.next_milestone {
            blocks.push(Block::Labeled {
                label: "Next milestone".to_owned(),
                text: milestone_words(next),
            });
        }
        slides.push(Slide {
            title: g.name.clone(),
            blocks,
        });
    }
    slides
}
