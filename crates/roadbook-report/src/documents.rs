//! The documents a lead sends: each a function from the handbook to layout blocks.

use chrono::{DateTime, Utc};
use roadbook_model::{
    AttendeeGroup, Decision, Handbook, Id, Level, OutputTiming, ReadinessState, Review, Risk,
    RiskScope,
};

use crate::changes::Change;
use crate::layout::{
    AMBER, Block, Cell, Chip, Column, GREEN, GREY, HeatMap, Meter, RED, Rgb, Table, Timeline,
    TimelineBar, TimelineMark, TimelineRow,
};

/// What every document is made from.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub handbook: &'a Handbook,
    pub as_of: DateTime<Utc>,
    pub author: &'a str,
}

/// The readout's "what changed" window and its lines.
#[derive(Debug, Clone)]
pub struct Changes<'a> {
    /// Start of the window; `None` for a first readout with nothing to compare with.
    pub since: Option<DateTime<Utc>>,
    /// Whether the window starts at an earlier readout (rather than a date given by hand).
    pub since_last_readout: bool,
    pub lines: &'a [Change],
}

fn col(title: &str, share: f32) -> Column {
    Column {
        title: title.to_owned(),
        share,
    }
}

fn date(moment: DateTime<Utc>) -> String {
    crate::day(moment.date_naive())
}

/// A day of the program's data, written the one way the documents write dates.
fn on_day(d: roadbook_model::Date) -> String {
    crate::day(d.naive())
}

/// "As of DATE · Prepared by NAME", the name left out when nobody is named: a document never
/// says it was prepared by "unknown".
fn as_of_and_author(ctx: &Context) -> String {
    let author = ctx.author.trim();
    if author.is_empty() || author == roadbook_store::NO_AUTHOR {
        format!("As of {}", date(ctx.as_of))
    } else {
        format!("As of {} · Prepared by {author}", date(ctx.as_of))
    }
}

fn title(doc: &str, ctx: &Context, extra: &str) -> Block {
    let mut meta = as_of_and_author(ctx);
    if !extra.is_empty() {
        meta = format!("{extra} · {meta}");
    }
    Block::Title {
        title: doc.to_owned(),
        subtitle: ctx.handbook.program.name.clone(),
        meta,
    }
}

impl Context<'_> {
    fn status_chip(&self, id: Id) -> Cell {
        Cell::Chip(self.status(id))
    }

    fn status(&self, id: Id) -> Chip {
        match self.handbook.status(id) {
            Some(s) => Chip {
                label: s.name.clone(),
                colour: Rgb::hex(&s.colour),
            },
            None => Chip {
                label: "unknown".to_owned(),
                colour: GREY,
            },
        }
    }

    fn is_open(&self, status: Id) -> bool {
        self.handbook.status(status).is_none_or(|s| s.open)
    }

    fn owners(&self, ids: &[Id]) -> String {
        let names: Vec<&str> = ids
            .iter()
            .filter_map(|id| self.handbook.owner(*id))
            .map(|o| o.display_name())
            .collect();
        if names.is_empty() {
            "—".to_owned()
        } else {
            names.join(", ")
        }
    }

    fn owner(&self, id: Option<Id>) -> String {
        self.owners(&id.into_iter().collect::<Vec<_>>())
    }

    fn workstream(&self, id: Option<Id>) -> String {
        id.and_then(|id| self.handbook.workstreams.iter().find(|w| w.id == id))
            .map_or("—".to_owned(), |w| w.area.clone())
    }

    /// Open decisions, in register order.
    fn open_decisions(&self) -> Vec<&Decision> {
        self.handbook
            .decisions
            .iter()
            .filter(|d| self.is_open(d.status_id) && d.superseded_by.is_none())
            .collect()
    }

    /// Open risks, most serious first; the register order breaks ties.
    fn top_risks(&self, limit: usize) -> Vec<&Risk> {
        let mut risks: Vec<&Risk> = self
            .handbook
            .risks
            .iter()
            .filter(|r| self.is_open(r.status_id))
            .collect();
        risks.sort_by_key(|r| {
            (
                std::cmp::Reverse(r.severity),
                std::cmp::Reverse(r.likelihood),
            )
        });
        risks.truncate(limit);
        risks
    }

    fn scope(&self, risk: &Risk) -> String {
        match risk.scope {
            RiskScope::Program => "Program".to_owned(),
            RiskScope::Workstream { workstream_id } => self.workstream(Some(workstream_id)),
            RiskScope::Phase { phase_id } => self
                .handbook
                .phases
                .iter()
                .find(|p| p.id == phase_id)
                .map_or("Phase".to_owned(), |p| format!("Phase: {}", p.name)),
            RiskScope::Review { review_id } => self
                .handbook
                .reviews
                .iter()
                .find(|r| r.id == review_id)
                .map_or("Review".to_owned(), |r| format!("Review: {}", r.title)),
        }
    }

    /// A due date as the reader needs it on the document's day: for an open item overdue, due
    /// within the week, or just the date (the app marks the same on the person's day); a closed
    /// item's date is only its date.
    fn due(&self, due: Option<roadbook_model::Date>, status: Id) -> Cell {
        use roadbook_model::Due;
        let today = self.as_of.date_naive();
        match (
            due,
            roadbook_model::due_state(due, self.is_open(status), today),
        ) {
            (Some(d), Some(Due::Overdue)) => Cell::Strong(format!("{} (overdue)", on_day(d))),
            (Some(d), Some(Due::ThisWeek)) => Cell::Strong(format!("{} (this week)", on_day(d))),
            (Some(d), None) => Cell::Text(on_day(d)),
            (None, _) => Cell::Unset("not set".to_owned()),
        }
    }
}

/// Entries of a labeled field: one plain line, or bullets when there are several.
fn entries(items: &[String]) -> String {
    match items {
        [one] => one.clone(),
        many => many
            .iter()
            .map(|i| format!("• {i}"))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn level_chip(level: Level) -> Cell {
    let colour = match level {
        Level::High => RED,
        Level::Medium => AMBER,
        Level::Low => GREEN,
    };
    Cell::Chip(Chip {
        label: level.as_str().to_owned(),
        colour,
    })
}

fn readiness_colour(state: ReadinessState) -> Rgb {
    match state {
        ReadinessState::NotReady => RED,
        ReadinessState::Partial => AMBER,
        ReadinessState::Ready => GREEN,
    }
}

fn readiness_word(state: ReadinessState) -> &'static str {
    match state {
        ReadinessState::NotReady => "not ready",
        ReadinessState::Partial => "partial",
        ReadinessState::Ready => "ready",
    }
}

// --- pieces shared by several documents ----------------------------------------------------

fn executive_summary(ctx: &Context) -> Block {
    let rows = ctx
        .handbook
        .workstreams
        .iter()
        .map(|w| {
            vec![
                Cell::Strong(w.area.clone()),
                Cell::Text(w.current_state.clone()),
                Cell::Text(ctx.owners(&w.owner_ids)),
                ctx.status_chip(w.status_id),
                level_chip(w.risk_level),
            ]
        })
        .collect();
    Block::Table(Table {
        columns: vec![
            col("Area", 0.2),
            col("Current state", 0.31),
            col("Owner", 0.22),
            col("Status", 0.16),
            col("Risk", 0.11),
        ],
        rows,
    })
}

fn decisions_table(ctx: &Context, decisions: &[&Decision]) -> Block {
    let rows = decisions
        .iter()
        .map(|d| {
            vec![
                Cell::Titled {
                    title: d.title.clone(),
                    detail: d.question.clone(),
                },
                Cell::Text(ctx.owners(&d.needed_from)),
                ctx.status_chip(d.status_id),
                ctx.due(d.due, d.status_id),
            ]
        })
        .collect();
    Block::Table(Table {
        columns: vec![
            col("Decision needed", 0.46),
            col("Needed from", 0.24),
            col("Status", 0.16),
            col("Due", 0.14),
        ],
        rows,
    })
}

/// The decisions a readout reports as made: those closed in its window (by the history, or by
/// their decision date), or on a first readout every decision made so far.
fn decisions_made<'h>(ctx: &Context<'h>, changes: &Changes) -> Vec<&'h Decision> {
    let since = changes.since.map(|s| s.date_naive());
    ctx.handbook
        .decisions
        .iter()
        .filter(|d| !ctx.is_open(d.status_id))
        .filter(|d| match since {
            None => true,
            Some(since) => {
                changes
                    .lines
                    .iter()
                    .any(|c| c.what == crate::ChangeKind::DecisionMade && c.item == Some(d.id))
                    || d.decided_on.is_some_and(|on| on.naive() >= since)
            }
        })
        .collect()
}

/// Each decision made: what was decided and why, and who decided when.
fn made_table(ctx: &Context, made: &[&Decision]) -> Block {
    let rows = made
        .iter()
        .map(|d| {
            let mut outcome = if d.outcome.is_empty() {
                "No outcome recorded".to_owned()
            } else {
                d.outcome.clone()
            };
            if !d.rationale.is_empty() {
                outcome.push_str(&format!("\nWhy: {}", d.rationale));
            }
            let by = match (d.decided_by.trim(), d.decided_on) {
                ("", None) => Cell::Unset("not recorded".to_owned()),
                ("", Some(on)) => Cell::Text(format!("on {}", on_day(on))),
                (who, None) => Cell::Text(who.to_owned()),
                (who, Some(on)) => Cell::Text(format!("{who}\non {}", on_day(on))),
            };
            vec![
                Cell::Titled {
                    title: d.title.clone(),
                    detail: ctx.workstream(d.workstream_id),
                },
                Cell::Text(outcome),
                by,
            ]
        })
        .collect();
    Block::Table(Table {
        columns: vec![
            col("Decision", 0.3),
            col("Outcome", 0.48),
            col("Decided by", 0.22),
        ],
        rows,
    })
}

/// The asks of leadership, each one a decision since made settles marked so (in part, when it
/// also speaks of decisions still open): a reader is not asked again, unchanged, for what they
/// already decided.
fn asks(ctx: &Context) -> Block {
    let asks = &ctx.handbook.program.asks;
    if asks.is_empty() {
        return Block::Paragraph("No asks of leadership at this time.".to_owned());
    }
    Block::Bullets(
        asks.iter()
            .map(|ask| {
                let spoken = roadbook_model::ask_decisions(ctx.handbook, ask);
                let made: Vec<&str> = spoken.made.iter().map(|d| d.title.as_str()).collect();
                let made = match made.as_slice() {
                    [] => return ask.clone(),
                    [one] => format!("the decision {} is made", isolate(one)),
                    many => format!("the decisions {} are made", list(many)),
                };
                if spoken.open.is_empty() {
                    format!("{ask} (Settled: {made}.)")
                } else {
                    format!("{ask} (Since asked, {made}; the rest stands.)")
                }
            })
            .collect(),
    )
}

/// A risk's mitigation, marked settled when a decision tied to it has been made: a reader is not
/// asked again for what leadership already decided.
fn mitigation(ctx: &Context, risk: &Risk) -> Cell {
    let settled: Vec<&str> = ctx
        .handbook
        .decisions
        .iter()
        .filter(|d| d.risk_ids.contains(&risk.id) && !ctx.is_open(d.status_id))
        .map(|d| d.title.as_str())
        .collect();
    let note = match settled.as_slice() {
        [] => String::new(),
        [one] => format!("Settled: the decision {} is made.", isolate(one)),
        many => format!("Settled: the decisions {} are made.", list(many)),
    };
    match (risk.mitigation.is_empty(), note.is_empty()) {
        (true, true) => Cell::Unset("—".to_owned()),
        (false, true) => Cell::Text(risk.mitigation.clone()),
        (true, false) => Cell::Text(note),
        (false, false) => Cell::Text(format!("{}\n{note}", risk.mitigation)),
    }
}

fn risks_table(ctx: &Context, risks: &[&Risk]) -> Block {
    let rows = risks
        .iter()
        .map(|r| {
            vec![
                Cell::Strong(r.statement.clone()),
                Cell::Text(ctx.scope(r)),
                level_chip(r.severity),
                level_chip(r.likelihood),
                mitigation(ctx, r),
            ]
        })
        .collect();
    Block::Table(Table {
        columns: vec![
            col("Risk", 0.3),
            col("Where", 0.16),
            col("Severity", 0.11),
            col("Likelihood", 0.12),
            col("Mitigation", 0.31),
        ],
        rows,
    })
}

fn heat_map(ctx: &Context) -> Block {
    let mut counts = [[0usize; 3]; 3];
    for r in ctx
        .handbook
        .risks
        .iter()
        .filter(|r| ctx.is_open(r.status_id))
    {
        let row = match r.severity {
            Level::High => 0,
            Level::Medium => 1,
            Level::Low => 2,
        };
        let col = match r.likelihood {
            Level::Low => 0,
            Level::Medium => 1,
            Level::High => 2,
        };
        if let Some(cell) = counts.get_mut(row).and_then(|r| r.get_mut(col)) {
            *cell += 1;
        }
    }
    Block::HeatMap(HeatMap { counts })
}

/// One bar per dimension, its signal beside it.
fn readiness_bars(ctx: &Context, out: &mut Vec<Block>) {
    let dims = &ctx.handbook.readiness_dimensions;
    out.push(Block::Meters(
        dims.iter()
            .map(|d| Meter {
                label: d.name.clone(),
                steps: match d.state {
                    ReadinessState::NotReady => 1,
                    ReadinessState::Partial => 2,
                    ReadinessState::Ready => 3,
                },
                colour: readiness_colour(d.state),
                caption: if d.signal.is_empty() {
                    readiness_word(d.state).to_owned()
                } else {
                    d.signal.clone()
                },
            })
            .collect(),
    ));
}

/// Readiness by dimension as bars (`bars`; a document that shows them as a table says it once,
/// without them), then the rollout gate.
fn readiness(ctx: &Context, out: &mut Vec<Block>, bars: bool) {
    let dims = &ctx.handbook.readiness_dimensions;
    if dims.is_empty() {
        out.push(Block::Paragraph(
            "No readiness dimensions are recorded yet.".to_owned(),
        ));
        return;
    }
    if bars {
        readiness_bars(ctx, out);
    }
    let gate = &ctx.handbook.program.rollout_gate;
    let ready = dims
        .iter()
        .filter(|d| d.state == ReadinessState::Ready)
        .count();
    let decision = match gate.decision {
        roadbook_model::GateDecision::Undecided => "not yet taken".to_owned(),
        roadbook_model::GateDecision::NotYet => "not yet: hold the rollout".to_owned(),
        roadbook_model::GateDecision::Pilot => "approved for a pilot".to_owned(),
        roadbook_model::GateDecision::WiderRollout => "approved for wider rollout".to_owned(),
    };
    out.push(Block::Labeled {
        label: "Rollout gate".to_owned(),
        text: format!(
            "{ready} of {} dimensions ready; the gate decision is {decision}.",
            dims.len()
        ),
    });
}

fn milestones(ctx: &Context, out: &mut Vec<Block>) {
    let h = ctx.handbook;
    if h.milestones.is_empty() {
        return;
    }
    let rows = h
        .milestones
        .iter()
        .map(|m| {
            vec![
                Cell::Strong(m.name.clone()),
                Cell::Text(m.marks.clone()),
                ctx.due(m.target, m.status_id),
                ctx.status_chip(m.status_id),
            ]
        })
        .collect();
    if let Some(next) = h.milestones.iter().find(|m| ctx.is_open(m.status_id)) {
        let reached = h
            .milestones
            .iter()
            .take_while(|m| !ctx.is_open(m.status_id))
            .count();
        out.push(Block::Paragraph(format!(
            "{reached} of {} milestones reached. Next: {} — {}",
            h.milestones.len(),
            next.name,
            next.marks
        )));
    }
    out.push(Block::Table(Table {
        columns: vec![
            col("Milestone", 0.16),
            col("Reached when", 0.54),
            col("Target", 0.13),
            col("Status", 0.17),
        ],
        rows,
    }));
}

fn actions(ctx: &Context) -> Block {
    let rows = ctx
        .handbook
        .actions
        .iter()
        .filter(|a| ctx.is_open(a.status_id))
        .map(|a| {
            vec![
                Cell::Strong(a.text.clone()),
                Cell::Text(ctx.owner(a.owner_id)),
                ctx.due(a.due, a.status_id),
                ctx.status_chip(a.status_id),
            ]
        })
        .collect::<Vec<_>>();
    if rows.is_empty() {
        return Block::Paragraph("No open actions.".to_owned());
    }
    Block::Table(Table {
        columns: vec![
            col("Next action", 0.47),
            col("Owner", 0.22),
            col("Due", 0.14),
            col("Status", 0.17),
        ],
        rows,
    })
}

/// One sentence on where the program stands, counted from the data.
fn standing(ctx: &Context) -> String {
    let h = ctx.handbook;
    let in_status = |name: &str| {
        h.workstreams
            .iter()
            .filter(|w| {
                h.status(w.status_id)
                    .is_some_and(|s| roadbook_model::same_name(&s.name, name))
            })
            .collect::<Vec<_>>()
    };

    // One sentence per state, the count first when there are several: "3 wait on a decision:
    // Identity and SSO, Org-aware access, and Observability and analytics" leaves no doubt
    // where a name that holds "and" ends.
    let mut parts = Vec::new();
    let group = |names: &[&str], one: &str, many: &str| match names {
        [] => None,
        [name] => Some(format!("{} {one}.", isolate(name))),
        _ => Some(format!("{} {many}: {}.", names.len(), list(names))),
    };
    // A workstream that reads "Needs decision" while every decision tied to it is made waits on
    // nothing: the sentence follows the decisions and says plainly that its status lags.
    let settled = |w: &&roadbook_model::Workstream| {
        let mut tied = h
            .decisions
            .iter()
            .filter(|d| d.workstream_id == Some(w.id))
            .peekable();
        tied.peek().is_some() && tied.all(|d| !ctx.is_open(d.status_id))
    };
    let (lagging, waiting): (Vec<_>, Vec<_>) =
        in_status("Needs decision").into_iter().partition(settled);
    parts.extend(group(
        &areas(&waiting),
        "waits on a decision",
        "wait on a decision",
    ));
    for (name, one, many) in [
        ("Blocked", "is blocked", "are blocked"),
        ("Needs validation", "needs validation", "need validation"),
    ] {
        parts.extend(group(&areas(&in_status(name)), one, many));
    }
    parts.extend(group(
        &areas(&lagging),
        "still reads Needs decision, though its decisions are made",
        "still read Needs decision, though their decisions are made",
    ));
    let high: Vec<&str> = h
        .workstreams
        .iter()
        .filter(|w| w.risk_level == Level::High)
        .map(|w| w.area.as_str())
        .collect();
    parts.extend(group(
        &high,
        "carries the highest risk",
        "carry the highest risk",
    ));
    let open = ctx.open_decisions().len();
    let serious = h
        .risks
        .iter()
        .filter(|r| ctx.is_open(r.status_id) && r.severity == Level::High)
        .count();
    let ready = h
        .readiness_dimensions
        .iter()
        .filter(|d| d.state == ReadinessState::Ready)
        .count();
    let mut text = format!(
        "{} {}.",
        h.workstreams.len(),
        if h.workstreams.len() == 1 {
            "workstream"
        } else {
            "workstreams"
        }
    );
    for part in parts {
        text.push(' ');
        text.push_str(&part);
    }
    text.push_str(&format!(
        " {open} open {}, {serious} high-severity {} open, {ready} of {} readiness dimensions ready.",
        if open == 1 { "decision" } else { "decisions" },
        if serious == 1 { "risk" } else { "risks" },
        h.readiness_dimensions.len()
    ));
    text
}

/// The areas of workstreams, for a sentence that names them.
fn areas<'h>(list: &[&'h roadbook_model::Workstream]) -> Vec<&'h str> {
    list.iter().map(|w| w.area.as_str()).collect()
}

/// "a, b and c"; with the serial comma when a name holds "and" or a comma itself ("Identity and
/// SSO, Org-aware access, and Observability and analytics"), so the last one stands apart.
/// Each name is isolated for the bidirectional algorithm, so a right-to-left name never turns
/// the sentence around it.
fn list(items: &[&str]) -> String {
    let ambiguous = items
        .iter()
        .any(|i| i.contains(',') || i.split_whitespace().any(|w| w.eq_ignore_ascii_case("and")));
    let isolated: Vec<String> = items.iter().map(|i| isolate(i)).collect();
    match isolated.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] if ambiguous => format!("{}, and {last}", rest.join(", ")),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A name wrapped in Unicode first-strong isolates when it holds right-to-left letters: the
/// sentence keeps its own direction around it (and text without such letters stays as it is,
/// byte for byte).
pub(crate) fn isolate(name: &str) -> String {
    let rtl = name
        .chars()
        .any(|c| matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF));
    if rtl {
        format!("\u{2068}{name}\u{2069}")
    } else {
        name.to_owned()
    }
}

// --- the documents -------------------------------------------------------------------------

pub fn readout(ctx: &Context, changes: &Changes) -> Vec<Block> {
    let h = ctx.handbook;
    let mut out = vec![title("Leadership Readout", ctx, "")];
    if !h.program.summary.is_empty() {
        out.push(Block::Lead(h.program.summary.clone()));
    }
    out.push(Block::Heading("Where the program stands".to_owned()));
    out.push(Block::Paragraph(standing(ctx)));
    out.push(executive_summary(ctx));

    let heading = match (changes.since, changes.since_last_readout) {
        (Some(since), true) => format!("What changed since the last readout ({})", date(since)),
        (Some(since), false) => format!("What changed since {}", date(since)),
        (None, _) => "What changed".to_owned(),
    };
    out.push(Block::Heading(heading));
    match (changes.since, changes.lines.is_empty()) {
        (None, _) => out.push(Block::Paragraph(
            "This is the first readout: there is no earlier readout to compare with. The next readout lists what moved from today."
                .to_owned(),
        )),
        (Some(_), true) => out.push(Block::Paragraph("Nothing recorded has changed in this period.".to_owned())),
        (Some(_), false) => out.push(Block::Bullets(changes.lines.iter().map(|c| c.text.clone()).collect())),
    }

    let made = decisions_made(ctx, changes);
    if !made.is_empty() {
        out.push(Block::Heading("Decisions made".to_owned()));
        out.push(made_table(ctx, &made));
    }

    out.push(Block::Heading("Decisions needed".to_owned()));
    let open = ctx.open_decisions();
    if open.is_empty() {
        out.push(Block::Paragraph("No decisions are waiting.".to_owned()));
    } else {
        out.push(decisions_table(ctx, &open));
    }

    out.push(Block::Heading("Top risks".to_owned()));
    out.push(risks_table(ctx, &ctx.top_risks(6)));
    out.push(Block::Subheading(
        "Open risks by severity and likelihood".to_owned(),
    ));
    out.push(heat_map(ctx));

    out.push(Block::Heading("Readiness".to_owned()));
    readiness(ctx, &mut out, true);

    if !h.milestones.is_empty() {
        out.push(Block::Heading("Milestones".to_owned()));
        milestones(ctx, &mut out);
    }

    out.push(Block::Heading("Immediate next actions".to_owned()));
    out.push(actions(ctx));

    out.push(Block::Heading("Asks of leadership".to_owned()));
    out.push(asks(ctx));
    out
}

pub fn memo(ctx: &Context) -> Vec<Block> {
    let h = ctx.handbook;
    let open = ctx.open_decisions();
    let mut out = vec![title("Executive Memo", ctx, "To: leadership")];

    // The purpose opens the memo under its title, as a memo's first line does.
    let mut purpose = format!(
        "This memo brings leadership up to date on {}",
        h.program.name
    );
    if open.is_empty() {
        purpose.push('.');
    } else {
        purpose.push_str(&format!(
            " and asks for help with {} open {}.",
            open.len(),
            if open.len() == 1 {
                "decision"
            } else {
                "decisions"
            }
        ));
    }
    // The program's summary is its objective, written as an instruction to the team: the memo
    // leaves it to the documents the team works from.
    out.push(Block::Lead(purpose));

    out.push(Block::Heading("Where the program stands".to_owned()));
    let mut where_it_stands = standing(ctx);
    let not_ready: Vec<&str> = h
        .readiness_dimensions
        .iter()
        .filter(|d| d.state == ReadinessState::NotReady)
        .map(|d| d.name.as_str())
        .collect();
    if !not_ready.is_empty() {
        where_it_stands.push_str(&format!(
            " Not ready: {}; the rollout gate waits until {} move.",
            list(&not_ready),
            if not_ready.len() == 1 { "it" } else { "they" }
        ));
    }
    out.push(Block::Paragraph(where_it_stands));

    if !open.is_empty() {
        out.push(Block::Heading("Decisions needed".to_owned()));
        out.push(Block::Bullets(
            open.iter()
                .map(|d| {
                    let mut text =
                        format!("{}: needed from {}", d.title, ctx.owners(&d.needed_from));
                    if let Some(due) = d.due {
                        text.push_str(&format!(" by {}", on_day(due)));
                    }
                    text.push('.');
                    if !d.question.is_empty() {
                        text.push_str(&format!(" {}", d.question));
                    }
                    text
                })
                .collect(),
        ));
    }

    let risks = ctx.top_risks(3);
    if !risks.is_empty() {
        out.push(Block::Heading("Main risks".to_owned()));
        out.push(Block::Bullets(
            risks
                .iter()
                .map(|r| {
                    let mut text = format!("{} ({} severity)", r.statement, r.severity);
                    if !r.mitigation.is_empty() {
                        text.push_str(&format!(". Mitigation: {}", r.mitigation));
                    }
                    text
                })
                .collect(),
        ));
    }

    out.push(Block::Heading("Recommendation".to_owned()));
    if h.program.proposal.is_empty() {
        out.push(Block::Paragraph(
            "Resolve the open decisions above in owner order before starting the next phase."
                .to_owned(),
        ));
    } else {
        // The proposal's own parts, and no sentence of ours before them: a fixed line would say
        // the same of every program.
        for part in &h.program.proposal {
            out.push(Block::Labeled {
                label: part.title.clone(),
                text: part.text.clone(),
            });
        }
    }

    if !h.program.asks.is_empty() {
        out.push(Block::Heading("What we ask of you".to_owned()));
        out.push(asks(ctx));
    }
    out
}

pub fn dashboard(ctx: &Context) -> Vec<Block> {
    let mut out = vec![title("Status Dashboard", ctx, "")];
    dashboard_body(ctx, &mut out);
    out
}

fn dashboard_body(ctx: &Context, out: &mut Vec<Block>) {
    let h = ctx.handbook;
    if !h.program.summary.is_empty() {
        out.push(Block::Lead(h.program.summary.clone()));
    }
    out.push(Block::Heading("Shared status vocabulary".to_owned()));
    out.push(Block::Chips(
        h.statuses.iter().map(|s| ctx.status(s.id)).collect(),
    ));
    out.push(Block::Table(Table {
        columns: vec![col("Status", 0.2), col("Meaning", 0.62), col("Kind", 0.18)],
        rows: h
            .statuses
            .iter()
            .map(|s| {
                vec![
                    ctx.status_chip(s.id),
                    Cell::Text(s.meaning.clone()),
                    Cell::Muted(if s.open { "open" } else { "closing" }.to_owned()),
                ]
            })
            .collect(),
    }));

    out.push(Block::Heading("Executive summary".to_owned()));
    out.push(Block::Paragraph(standing(ctx)));
    out.push(executive_summary(ctx));

    out.push(Block::Heading("Decisions needed".to_owned()));
    let open = ctx.open_decisions();
    if open.is_empty() {
        out.push(Block::Paragraph("No decisions are waiting.".to_owned()));
    } else {
        out.push(decisions_table(ctx, &open));
    }

    out.push(Block::Heading("Workstream snapshot".to_owned()));
    for w in &h.workstreams {
        out.push(Block::Subheading(w.area.clone()));
        if !w.summary.is_empty() {
            out.push(Block::Paragraph(w.summary.clone()));
        }
        out.push(Block::Labeled {
            label: "Current owner".to_owned(),
            text: ctx.owners(&w.owner_ids),
        });
        out.push(Block::Labeled {
            label: "Status".to_owned(),
            text: h
                .status(w.status_id)
                .map_or(String::new(), |s| s.name.clone()),
        });
        if !w.main_blocker.is_empty() {
            out.push(Block::Labeled {
                label: "Main blocker".to_owned(),
                text: w.main_blocker.clone(),
            });
        }
    }

    out.push(Block::Heading("Top risks right now".to_owned()));
    out.push(risks_table(ctx, &ctx.top_risks(6)));
    out.push(Block::Subheading(
        "Open risks by severity and likelihood".to_owned(),
    ));
    out.push(heat_map(ctx));

    out.push(Block::Heading("Delivery signal".to_owned()));
    let group = |pred: &dyn Fn(&roadbook_model::Workstream) -> bool| -> Vec<String> {
        h.workstreams
            .iter()
            .filter(|w| pred(w))
            .map(|w| w.area.clone())
            .collect()
    };
    let named = |w: &roadbook_model::Workstream, names: &[&str]| {
        h.status(w.status_id)
            .is_some_and(|s| names.iter().any(|n| s.name.eq_ignore_ascii_case(n)))
    };
    let slowing = group(&|w| {
        w.risk_level == Level::High && ctx.is_open(w.status_id) && !named(w, &["Blocked"])
    });
    let follow = group(&|w| {
        w.risk_level != Level::High
            && named(
                w,
                &[
                    "Drafted",
                    "Needs validation",
                    "Needs decision",
                    "In discovery",
                ],
            )
    });
    let upstream = group(&|w| named(w, &["Blocked"]));
    for (title, items, colour) in [
        (
            "Most likely to slow meaningful internal rollout if unresolved",
            slowing,
            RED,
        ),
        (
            "A plausible direction that still needs follow-through and validation",
            follow,
            AMBER,
        ),
        (
            "Not independent deliverables: they depend on upstream operational choices",
            upstream,
            GREY,
        ),
    ] {
        if !items.is_empty() {
            out.push(Block::Callout {
                title: title.to_owned(),
                items,
                colour,
            });
        }
    }

    out.push(Block::Heading("Readiness signal".to_owned()));
    out.push(Block::Table(Table {
        columns: vec![
            col("Readiness dimension", 0.3),
            col("Current signal", 0.52),
            col("State", 0.18),
        ],
        rows: h
            .readiness_dimensions
            .iter()
            .map(|d| {
                vec![
                    Cell::Strong(d.name.clone()),
                    Cell::Text(d.signal.clone()),
                    Cell::Chip(Chip {
                        label: readiness_word(d.state).to_owned(),
                        colour: readiness_colour(d.state),
                    }),
                ]
            })
            .collect(),
    }));
    readiness(ctx, out, false);

    out.push(Block::Heading("Immediate next actions".to_owned()));
    out.push(actions(ctx));

    if !h.program.references.is_empty() {
        out.push(Block::Heading("Related references".to_owned()));
        // In the handbook each reference that names one of its pages leads there.
        out.push(Block::Links(h.program.references.clone()));
    }
}

pub fn register(ctx: &Context, status: Option<Id>) -> Vec<Block> {
    let h = ctx.handbook;
    let filter = status
        .and_then(|s| h.status(s))
        .map(|s| format!("Status: {}", s.name))
        .unwrap_or_default();
    let mut out = vec![title("Decision Register", ctx, &filter)];
    let decisions: Vec<&Decision> = h
        .decisions
        .iter()
        .filter(|d| status.is_none_or(|s| d.status_id == s))
        .collect();
    let counts: Vec<Chip> = h
        .statuses
        .iter()
        .filter_map(|s| {
            let n = decisions.iter().filter(|d| d.status_id == s.id).count();
            (n > 0).then(|| Chip {
                label: format!("{}: {n}", s.name),
                colour: Rgb::hex(&s.colour),
            })
        })
        .collect();
    out.push(Block::Paragraph(format!(
        "{} {}{}.",
        decisions.len(),
        if decisions.len() == 1 {
            "decision"
        } else {
            "decisions"
        },
        if filter.is_empty() {
            String::new()
        } else {
            format!(" with {}", filter.to_lowercase())
        }
    )));
    if !counts.is_empty() {
        out.push(Block::Chips(counts));
    }
    out.push(Block::Heading("Decisions".to_owned()));
    let rows = decisions
        .iter()
        .enumerate()
        .map(|(n, d)| {
            let mut outcome = d.outcome.clone();
            if !d.rationale.is_empty() {
                outcome.push_str(&format!("\nWhy: {}", d.rationale));
            }
            if !d.decided_by.is_empty() || d.decided_on.is_some() {
                let on = d
                    .decided_on
                    .map(|d| format!(" on {}", on_day(d)))
                    .unwrap_or_default();
                outcome.push_str(&format!(
                    "\nDecided by {}{on}",
                    if d.decided_by.is_empty() {
                        "—"
                    } else {
                        &d.decided_by
                    }
                ));
            }
            vec![
                Cell::Muted(format!("{}", n + 1)),
                Cell::Titled {
                    title: d.title.clone(),
                    detail: d.question.clone(),
                },
                Cell::Text(ctx.owners(&d.needed_from)),
                Cell::Text(ctx.workstream(d.workstream_id)),
                ctx.status_chip(d.status_id),
                ctx.due(d.due, d.status_id),
                if outcome.trim().is_empty() {
                    Cell::Unset("open".to_owned())
                } else {
                    Cell::Text(outcome.trim().to_owned())
                },
            ]
        })
        .collect();
    out.push(Block::Table(Table {
        columns: vec![
            col("#", 0.05),
            col("Decision", 0.25),
            col("Needed from", 0.14),
            col("Workstream", 0.12),
            col("Status", 0.13),
            // A whole date on one line, its mark (overdue, this week) below it.
            col("Due", 0.15),
            col("Outcome", 0.16),
        ],
        rows,
    }));
    out
}

pub fn packet(ctx: &Context, review: &Review) -> Vec<Block> {
    let h = ctx.handbook;
    let when = review.date.map_or("Date to be set".to_owned(), |d| {
        format!("Meeting on {}", on_day(d))
    });
    let mut out = vec![
        Block::Title {
            title: "Review Packet".to_owned(),
            subtitle: format!("{} — {}", review.title, h.program.name),
            meta: format!(
                "Pre-read and meeting guide · {when} · {}",
                as_of_and_author(ctx)
            ),
        },
        Block::Heading("Purpose and best use".to_owned()),
    ];
    if !review.purpose.is_empty() {
        out.push(Block::Paragraph(review.purpose.clone()));
    }
    if !review.best_use.is_empty() {
        out.push(Block::Subheading("Best use".to_owned()));
        out.push(Block::Bullets(review.best_use.clone()));
    }
    if !review.pre_reads.is_empty() {
        out.push(Block::Subheading("Pre-reads".to_owned()));
        out.push(Block::Bullets(review.pre_reads.clone()));
    }

    out.push(Block::Heading("Attendees".to_owned()));
    for (group, heading, note) in [
        (
            AttendeeGroup::Core,
            "Core decision group",
            &review.core_group_note,
        ),
        (
            AttendeeGroup::Specialist,
            "Specialist stakeholders",
            &review.specialists_note,
        ),
    ] {
        let people: Vec<String> = review
            .attendees
            .iter()
            .filter(|a| a.group == group)
            .map(|a| match a.owner_id.and_then(|o| h.owner(o)) {
                Some(owner) => format!("{} ({})", a.name, owner.display_name()),
                None => a.name.clone(),
            })
            .collect();
        if people.is_empty() {
            continue;
        }
        out.push(Block::Subheading(heading.to_owned()));
        if !note.is_empty() {
            out.push(Block::Paragraph(note.clone()));
        }
        out.push(Block::Bullets(people));
    }

    if !review.flow.is_empty() {
        out.push(Block::Heading("Meeting flow".to_owned()));
        out.push(Block::Steps(
            review
                .flow
                .iter()
                .map(|s| (s.title.clone(), s.text.clone()))
                .collect(),
        ));
    }

    // The decisions to aim for, in owner order so the conversation stays concrete.
    let owner_rank = |d: &Decision| {
        d.needed_from
            .first()
            .and_then(|o| h.owners.iter().position(|x| x.id == *o))
            .unwrap_or(usize::MAX)
    };
    let mut aims: Vec<&Decision> = review
        .decision_ids
        .iter()
        .filter_map(|id| h.decisions.iter().find(|d| d.id == *id))
        .collect();
    aims.sort_by_key(|d| owner_rank(d));
    out.push(Block::Heading("Decisions to aim for".to_owned()));
    if aims.is_empty() {
        out.push(Block::Paragraph(
            "No decisions are set for this review yet.".to_owned(),
        ));
    } else {
        out.push(decisions_table(ctx, &aims));
        for d in &aims {
            out.push(Block::Subheading(d.title.clone()));
            if !d.question.is_empty() {
                out.push(Block::Labeled {
                    label: "Question".to_owned(),
                    text: d.question.clone(),
                });
            }
            out.push(Block::Labeled {
                label: "Needed from".to_owned(),
                text: ctx.owners(&d.needed_from),
            });
            out.push(Block::Labeled {
                label: "Workstream".to_owned(),
                text: ctx.workstream(d.workstream_id),
            });
            if !d.options.is_empty() {
                out.push(Block::Labeled {
                    label: if d.options.len() == 1 {
                        "Option"
                    } else {
                        "Options"
                    }
                    .to_owned(),
                    text: entries(&d.options),
                });
            }
            let deps: Vec<String> = h
                .dependencies
                .iter()
                .filter(|dep| dep.workstream_id.is_some() && dep.workstream_id == d.workstream_id)
                .map(|dep| {
                    // "X, waiting on Y" reads for one team or many: free text carries no number
                    // for a verb to agree with.
                    if dep.why_it_matters.is_empty() {
                        format!("{}, waiting on {}", dep.dependent, dep.depends_on)
                    } else {
                        format!(
                            "{}, waiting on {}: {}",
                            dep.dependent, dep.depends_on, dep.why_it_matters
                        )
                    }
                })
                .collect();
            if !deps.is_empty() {
                out.push(Block::Labeled {
                    label: "Dependencies".to_owned(),
                    text: entries(&deps),
                });
            }
            let risks: Vec<String> = d
                .risk_ids
                .iter()
                .filter_map(|id| h.risks.iter().find(|r| r.id == *id))
                .map(|r| format!("{} ({} severity)", r.statement, r.severity))
                .collect();
            if !risks.is_empty() {
                out.push(Block::Labeled {
                    label: "Linked risks".to_owned(),
                    text: entries(&risks),
                });
            }
        }
    }

    let failures: Vec<String> = h
        .risks
        .iter()
        .filter(|r| {
            r.scope
                == RiskScope::Review {
                    review_id: review.id,
                }
        })
        .map(|r| {
            if r.mitigation.is_empty() {
                r.statement.clone()
            } else {
                format!("{} — {}", r.statement, r.mitigation)
            }
        })
        .collect();
    if !failures.is_empty() {
        out.push(Block::Heading("What makes this meeting fail".to_owned()));
        out.push(Block::Callout {
            title: "Watch for these, and what prevents them".to_owned(),
            items: failures,
            colour: RED,
        });
    }

    out.push(Block::Heading("Expected outputs".to_owned()));
    for (when, heading) in [
        (OutputTiming::SameDay, "Same day"),
        (OutputTiming::NextCycle, "After the next working cycle"),
    ] {
        let items: Vec<String> = review
            .outputs
            .iter()
            .filter(|o| o.when == when)
            .map(|o| o.text.clone())
            .collect();
        if !items.is_empty() {
            out.push(Block::Subheading(heading.to_owned()));
            out.push(Block::Bullets(items));
        }
    }
    if review.held_on.is_some() || !review.outcome.is_empty() {
        out.push(Block::Heading("Outcome".to_owned()));
        if let Some(on) = review.held_on {
            out.push(Block::Labeled {
                label: "Held on".to_owned(),
                text: on_day(on),
            });
        }
        if !review.outcome.is_empty() {
            out.push(Block::Paragraph(review.outcome.clone()));
        }
    }

    // Where the program stands in one sentence, and where the whole status is: the packet
    // points at the dashboard rather than printing it again (in the handbook, a link to it).
    out.push(Block::Heading("Where the program stands".to_owned()));
    out.push(Block::Paragraph(standing(ctx)));
    out.push(Block::Links(vec![format!(
        "Status Dashboard as of {}: every workstream, risk, readiness dimension, milestone and action",
        date(ctx.as_of)
    )]));
    out
}

// --- the handbook's other pages ------------------------------------------------------------

/// The phase views in the order the handbook first lists them ("Program plan", then
/// "Implementation phases" in the sample): the plan shows the first, the phases page the last.
fn phase_views(h: &Handbook) -> Vec<&str> {
    let mut views: Vec<&str> = Vec::new();
    for p in &h.phases {
        if !views.contains(&p.view.as_str()) {
            views.push(&p.view);
        }
    }
    views
}

/// The timeline of a phase view on the document's day: its dated phases as bars, each with its
/// milestones, then the milestones of no dated phase on a row of their own; the axis from the
/// first of the earliest date's month to the end of the latest one's. None when nothing is
/// dated.
fn timeline(ctx: &Context, view: &str) -> Option<Timeline> {
    use chrono::{Datelike, Days, NaiveDate};
    let h = ctx.handbook;
    let today = ctx.as_of.date_naive();
    let phases: Vec<_> = h
        .phases
        .iter()
        .filter(|p| p.view == view && (p.start.is_some() || p.end.is_some()))
        .collect();
    let in_view = |phase: Option<Id>| {
        phase.is_none_or(|id| h.phases.iter().any(|p| p.id == id && p.view == view))
    };
    let milestones: Vec<_> = h
        .milestones
        .iter()
        .filter(|m| m.target.is_some() && in_view(m.phase_id))
        .collect();
    let days: Vec<NaiveDate> = phases
        .iter()
        .flat_map(|p| [p.start, p.end])
        .chain(milestones.iter().map(|m| m.target))
        .flatten()
        .map(|d| d.naive())
        .collect();
    let first = days.iter().min()?.with_day(1)?;
    let last = days.iter().max()?.with_day(1)?;
    let to = last.checked_add_months(chrono::Months::new(1))?;
    let span = (to - first).num_days().max(1) as f32;
    let at = |d: NaiveDate| (d - first).num_days() as f32 / span;
    let half = 0.5 / span;
    let mark = |m: &roadbook_model::Milestone| {
        let target = m.target?.naive();
        Some(TimelineMark {
            at: at(target) + half,
            name: m.name.clone(),
            target: crate::day(target),
            late: target < today && h.status(m.status_id).is_none_or(|s| s.open),
        })
    };
    let mut rows: Vec<TimelineRow> = phases
        .iter()
        .map(|p| {
            let start = p.start.or(p.end).map(|d| d.naive()).unwrap_or(first);
            let end = p.end.or(p.start).map(|d| d.naive()).unwrap_or(first);
            TimelineRow {
                label: p.name.clone(),
                bar: Some(TimelineBar {
                    from: at(start),
                    to: at(end + Days::new(1)),
                    open: p.start.is_none() || p.end.is_none(),
                    dates: planned(p.start, p.end).unwrap_or_default(),
                }),
                marks: milestones
                    .iter()
                    .filter(|m| m.phase_id == Some(p.id))
                    .filter_map(|m| mark(m))
                    .collect(),
            }
        })
        .collect();
    let loose: Vec<TimelineMark> = milestones
        .iter()
        .filter(|m| {
            !m.phase_id
                .is_some_and(|id| phases.iter().any(|p| p.id == id))
        })
        .filter_map(|m| mark(m))
        .collect();
    if !loose.is_empty() {
        rows.push(TimelineRow {
            label: "Milestones".to_owned(),
            bar: None,
            marks: loose,
        });
    }
    let mut ticks = Vec::new();
    let mut month = first;
    while month < to {
        let label = if ticks.is_empty() || month.month() == 1 {
            month.format("%b %Y").to_string()
        } else {
            month.format("%b").to_string()
        };
        ticks.push((at(month), label));
        month = month.checked_add_months(chrono::Months::new(1))?;
    }
    let now = at(today) + half;
    Some(Timeline {
        ticks,
        rows,
        today: (0.0..=1.0).contains(&now).then_some(now),
    })
}

/// "Planned 2 March 2026 to 30 April 2026", or as much of it as is set.
fn planned(
    start: Option<roadbook_model::Date>,
    end: Option<roadbook_model::Date>,
) -> Option<String> {
    match (start, end) {
        (Some(s), Some(e)) => Some(format!("{} to {}", on_day(s), on_day(e))),
        (Some(s), None) => Some(format!("from {}, end not set", on_day(s))),
        (None, Some(e)) => Some(format!("until {}, start not set", on_day(e))),
        (None, None) => None,
    }
}

/// Whether something is met or done: strong when it is, muted when not.
fn state_cell(yes: bool, done: &str, open: &str) -> Cell {
    if yes {
        Cell::Strong(done.to_owned())
    } else {
        Cell::Muted(open.to_owned())
    }
}

/// What shows it, or a dash.
fn evidence_cell(evidence: &str) -> Cell {
    if evidence.is_empty() {
        Cell::Unset("—".to_owned())
    } else {
        Cell::Text(evidence.to_owned())
    }
}

/// Implementation Phases: the phase model, then each phase of the last view (current, next,
/// later) with its work, its exit criteria and their evidence, and the risks scoped to it.
pub fn phases(ctx: &Context) -> Vec<Block> {
    let h = ctx.handbook;
    let mut out = vec![title("Implementation Phases", ctx, "")];
    let views = phase_views(h);
    let Some(view) = views.last().copied() else {
        out.push(Block::Paragraph(
            "No phases are recorded yet: add them on the Plan screen.".to_owned(),
        ));
        return out;
    };
    out.push(Block::Lead(format!(
        "{view}: what is tackled now, what depends on earlier decisions, and what waits until the foundational questions are resolved."
    )));
    if !h.program.phase_model.is_empty() {
        out.push(Block::Heading("Phase model".to_owned()));
        out.push(Block::Bullets(h.program.phase_model.clone()));
    }
    // The phases of this view on their time axis, when any is dated (as on the Program Plan).
    if let Some(timeline) = timeline(ctx, view) {
        out.push(Block::Heading("Timeline".to_owned()));
        out.push(Block::Timeline(timeline));
    }
    for phase in h.phases.iter().filter(|p| p.view == view) {
        out.push(Block::Heading(phase.name.clone()));
        if let Some(status) = phase.status_id {
            out.push(Block::Chips(vec![ctx.status(status)]));
        }
        if !phase.goal.is_empty() {
            out.push(Block::Paragraph(phase.goal.clone()));
        }
        if let Some(when) = planned(phase.start, phase.end) {
            out.push(Block::Labeled {
                label: "Planned".to_owned(),
                text: when,
            });
        }
        let work: Vec<String> = h
            .work_items
            .iter()
            .filter(|w| w.phase_id == phase.id)
            .map(|w| {
                if w.done {
                    format!("{} (done)", w.text)
                } else {
                    w.text.clone()
                }
            })
            .collect();
        if !work.is_empty() {
            out.push(Block::Subheading("Work".to_owned()));
            out.push(Block::Bullets(work));
        }
        let criteria: Vec<_> = h
            .exit_criteria
            .iter()
            .filter(|c| c.phase_id == phase.id)
            .collect();
        if !criteria.is_empty() {
            out.push(Block::Subheading(format!(
                "Exit criteria for the {} phase",
                phase.name.to_lowercase()
            )));
            out.push(Block::Table(Table {
                columns: vec![
                    col("Exit criterion", 0.5),
                    col("Met", 0.1),
                    col("Evidence", 0.4),
                ],
                rows: criteria
                    .iter()
                    .map(|c| {
                        vec![
                            Cell::Text(c.text.clone()),
                            state_cell(c.met, "met", "not yet"),
                            evidence_cell(&c.evidence),
                        ]
                    })
                    .collect(),
            }));
        }
    }
    let risks: Vec<&Risk> = h
        .risks
        .iter()
        .filter(|r| ctx.is_open(r.status_id))
        .filter(|r| match r.scope {
            RiskScope::Phase { phase_id } => {
                h.phases.iter().any(|p| p.id == phase_id && p.view == view)
            }
            _ => false,
        })
        .collect();
    if !risks.is_empty() {
        out.push(Block::Heading("Risk".to_owned()));
        for r in risks {
            let mut items = vec![r.statement.clone()];
            if !r.mitigation.is_empty() {
                items.push(r.mitigation.clone());
            }
            out.push(Block::Callout {
                title: match r.scope {
                    RiskScope::Phase { phase_id } => h
                        .phases
                        .iter()
                        .find(|p| p.id == phase_id)
                        .map_or("Risk to avoid".to_owned(), |p| {
                            format!("Risk to avoid in {}", isolate(&p.name))
                        }),
                    _ => "Risk to avoid".to_owned(),
                },
                items,
                colour: RED,
            });
        }
    }
    out
}

/// Internal Readiness Checklist: the dimensions and their signals, the checklist items with
/// owner and evidence, and the gate decision.
pub fn readiness_checklist(ctx: &Context) -> Vec<Block> {
    let h = ctx.handbook;
    let mut out = vec![title("Internal Readiness Checklist", ctx, "")];
    let done = h.readiness_checks.iter().filter(|c| c.done).count();
    let ready = h
        .readiness_dimensions
        .iter()
        .filter(|d| d.state == ReadinessState::Ready)
        .count();
    out.push(Block::Lead(format!(
        "{ready} of {} readiness dimensions ready; {done} of {} checklist items done.",
        h.readiness_dimensions.len(),
        h.readiness_checks.len()
    )));
    out.push(Block::Heading("Dimensions and signals".to_owned()));
    if !h.readiness_dimensions.is_empty() {
        out.push(Block::Table(Table {
            columns: vec![
                col("Dimension", 0.22),
                col("State", 0.13),
                col("Current signal", 0.45),
                col("Owner", 0.2),
            ],
            rows: h
                .readiness_dimensions
                .iter()
                .map(|d| {
                    vec![
                        Cell::Strong(d.name.clone()),
                        Cell::Chip(Chip {
                            label: readiness_word(d.state).to_owned(),
                            colour: readiness_colour(d.state),
                        }),
                        Cell::Text(d.signal.clone()),
                        Cell::Text(ctx.owner(d.owner_id)),
                    ]
                })
                .collect(),
        }));
    }
    // The table says each dimension's state and signal; the bars would say it again.
    readiness(ctx, &mut out, false);
    out.push(Block::Heading("Checklist".to_owned()));
    if h.readiness_checks.is_empty() {
        out.push(Block::Paragraph(
            "No checklist items are recorded yet.".to_owned(),
        ));
    } else {
        let dimension = |id: Option<Id>| {
            id.and_then(|id| h.readiness_dimensions.iter().find(|d| d.id == id))
                .map_or("—".to_owned(), |d| d.name.clone())
        };
        out.push(Block::Table(Table {
            columns: vec![
                col("Item", 0.3),
                col("Dimension", 0.17),
                col("Owner", 0.18),
                col("Done", 0.08),
                col("Evidence", 0.27),
            ],
            rows: h
                .readiness_checks
                .iter()
                .map(|c| {
                    vec![
                        Cell::Text(c.text.clone()),
                        Cell::Text(dimension(c.dimension_id)),
                        Cell::Text(ctx.owner(c.owner_id)),
                        state_cell(c.done, "done", "open"),
                        evidence_cell(&c.evidence),
                    ]
                })
                .collect(),
        }));
    }
    out.push(Block::Heading("The gate decision".to_owned()));
    let gate = &h.program.rollout_gate;
    let decision = match gate.decision {
        roadbook_model::GateDecision::Undecided => "Not decided yet",
        roadbook_model::GateDecision::NotYet => "Not yet: hold the rollout",
        roadbook_model::GateDecision::Pilot => "A pilot",
        roadbook_model::GateDecision::WiderRollout => "A wider rollout",
    };
    out.push(Block::Labeled {
        label: "Decision".to_owned(),
        text: decision.to_owned(),
    });
    if let Some(on) = gate.decided_on {
        out.push(Block::Labeled {
            label: "Decided on".to_owned(),
            text: on.to_string(),
        });
    }
    if !gate.rationale.is_empty() {
        out.push(Block::Labeled {
            label: "Why".to_owned(),
            text: gate.rationale.clone(),
        });
    }
    out
}

/// The program on one page: objective, where it stands, what is needed, the asks.
pub fn one_pager(ctx: &Context) -> Vec<Block> {
    let h = ctx.handbook;
    let mut out = vec![title("One-Pager", ctx, "")];
    if !h.program.summary.is_empty() {
        out.push(Block::Lead(h.program.summary.clone()));
    }
    if !h.program.objective.is_empty() {
        out.push(Block::Heading("Objective".to_owned()));
        out.push(Block::Bullets(h.program.objective.clone()));
    }
    out.push(Block::Heading("Where it stands".to_owned()));
    out.push(Block::Paragraph(standing(ctx)));
    out.push(Block::Chips(
        h.workstreams
            .iter()
            .map(|w| {
                let status = ctx.status(w.status_id);
                Chip {
                    label: format!("{}: {}", w.area, status.label),
                    colour: status.colour,
                }
            })
            .collect(),
    ));
    let open = ctx.open_decisions();
    if !open.is_empty() {
        out.push(Block::Heading("Decisions needed".to_owned()));
        out.push(Block::Bullets(
            open.iter()
                .map(|d| {
                    let from = ctx.owners(&d.needed_from);
                    let mut line = d.title.clone();
                    if !from.is_empty() {
                        line.push_str(&format!(", from {from}"));
                    }
                    if let Some(due) = d.due {
                        line.push_str(&format!(", by {}", on_day(due)));
                    }
                    line
                })
                .collect(),
        ));
    }
    let risks = ctx.top_risks(3);
    if !risks.is_empty() {
        out.push(Block::Heading("Top risks".to_owned()));
        out.push(Block::Bullets(
            risks.iter().map(|r| r.statement.clone()).collect(),
        ));
    }
    out.push(Block::Heading("Asks of leadership".to_owned()));
    out.push(asks(ctx));
    out
}

/// Open risks scoped to the whole program, as callouts.
fn program_risks(ctx: &Context, title: &str, out: &mut Vec<Block>) {
    let risks: Vec<String> = ctx
        .handbook
        .risks
        .iter()
        .filter(|r| ctx.is_open(r.status_id) && matches!(r.scope, RiskScope::Program))
        .map(|r| {
            if r.mitigation.is_empty() {
                r.statement.clone()
            } else {
                format!("{} — {}", r.statement, r.mitigation)
            }
        })
        .collect();
    if !risks.is_empty() {
        out.push(Block::Callout {
            title: title.to_owned(),
            items: risks,
            colour: RED,
        });
    }
}

/// Program Plan: the objective, the phases of the first view with their work, the dependency
/// map with why each matters, the milestones, the shared owner labels, the working cadence and
/// the program risk.
pub fn plan(ctx: &Context) -> Vec<Block> {
    let h = ctx.handbook;
    let mut out = vec![title("Program Plan", ctx, "")];
    if !h.program.summary.is_empty() {
        out.push(Block::Lead(h.program.summary.clone()));
    }
    if !h.program.objective.is_empty() {
        out.push(Block::Heading("Program objective".to_owned()));
        out.push(Block::Bullets(h.program.objective.clone()));
    }
    let views = phase_views(h);
    if let Some(view) = views.first().copied() {
        out.push(Block::Heading("Phases".to_owned()));
        if let Some(timeline) = timeline(ctx, view) {
            out.push(Block::Timeline(timeline));
        }
        let dated: Vec<_> = h
            .phases
            .iter()
            .filter(|p| p.view == view && (p.start.is_some() || p.end.is_some()))
            .collect();
        if !dated.is_empty() {
            out.push(Block::Table(Table {
                columns: vec![
                    col("Phase", 0.46),
                    col("Starts", 0.18),
                    col("Ends", 0.18),
                    col("Status", 0.18),
                ],
                rows: dated
                    .iter()
                    .map(|p| {
                        let day = |d: Option<roadbook_model::Date>| {
                            d.map_or(Cell::Unset("not set".to_owned()), |d| Cell::Text(on_day(d)))
                        };
                        vec![
                            Cell::Strong(p.name.clone()),
                            day(p.start),
                            day(p.end),
                            p.status_id
                                .map_or(Cell::Muted("—".to_owned()), |s| ctx.status_chip(s)),
                        ]
                    })
                    .collect(),
            }));
        }
        for phase in h.phases.iter().filter(|p| p.view == view) {
            out.push(Block::Subheading(phase.name.clone()));
            if !phase.goal.is_empty() {
                out.push(Block::Paragraph(phase.goal.clone()));
            }
            let work: Vec<String> = h
                .work_items
                .iter()
                .filter(|w| w.phase_id == phase.id)
                .map(|w| w.text.clone())
                .collect();
            if !work.is_empty() {
                out.push(Block::Bullets(work));
            }
        }
    }
    if !h.dependencies.is_empty() {
        out.push(Block::Heading("Dependency map".to_owned()));
        out.push(Block::Table(Table {
            columns: vec![
                col("What depends", 0.28),
                col("Depends on", 0.32),
                col("Why it matters", 0.4),
            ],
            rows: h
                .dependencies
                .iter()
                .map(|d| {
                    vec![
                        Cell::Strong(d.dependent.clone()),
                        Cell::Text(d.depends_on.clone()),
                        Cell::Text(d.why_it_matters.clone()),
                    ]
                })
                .collect(),
        }));
    }
    if !h.milestones.is_empty() {
        out.push(Block::Heading("Milestone framing".to_owned()));
        milestones(ctx, &mut out);
    }
    if !h.owners.is_empty() {
        out.push(Block::Heading("Shared owner labels".to_owned()));
        // Labels that stand for an owner still to be named are said so once, not after each.
        let placeholders: Vec<&str> = h
            .owners
            .iter()
            .filter(|o| o.kind == roadbook_model::OwnerKind::Placeholder)
            .map(|o| o.name.as_str())
            .collect();
        let all_placeholders = placeholders.len() == h.owners.len();
        out.push(Block::Bullets(
            h.owners
                .iter()
                .filter(|o| all_placeholders || o.kind != roadbook_model::OwnerKind::Placeholder)
                .map(|o| match o.kind {
                    roadbook_model::OwnerKind::Placeholder | roadbook_model::OwnerKind::Team => {
                        o.name.clone()
                    }
                    roadbook_model::OwnerKind::Person => {
                        match o.team_id.and_then(|t| h.owners.iter().find(|x| x.id == t)) {
                            Some(team) => format!("{} ({})", o.name, team.display_name()),
                            None => o.name.clone(),
                        }
                    }
                })
                .collect(),
        ));
        let why = "they stand in for planning clarity: replace them with named teams or people when ownership becomes official.";
        if all_placeholders {
            out.push(Block::Paragraph(format!(
                "Each label is a placeholder for an owner still to be named; {why}"
            )));
        } else if !placeholders.is_empty() {
            out.push(Block::Paragraph(format!(
                "Still to be named: {}; {why}",
                list(&placeholders)
            )));
        }
    }
    if !h.program.cadence.is_empty() {
        out.push(Block::Heading("Working cadence".to_owned()));
        out.push(Block::Bullets(h.program.cadence.clone()));
    }
    out.push(Block::Heading("Risk".to_owned()));
    let before = out.len();
    program_risks(ctx, "Program risk to avoid", &mut out);
    if out.len() == before {
        out.push(Block::Paragraph(
            "No open program-wide risks are recorded.".to_owned(),
        ));
    }
    out
}

/// RFC: scope, problem, the proposal by area, non-goals, dependencies,
/// risks, open questions, decisions needed, the status vocabulary and the success criteria.
pub fn rfc(ctx: &Context) -> Vec<Block> {
    let h = ctx.handbook;
    // The title is the kind of document; the program names itself in the subtitle (a fixed
    // "Operationalization" would be wrong for every other program).
    let mut out = vec![title("RFC", ctx, "")];
    if !h.program.summary.is_empty() {
        out.push(Block::Lead(h.program.summary.clone()));
    }
    let bullets = |heading: &str, items: &[String], out: &mut Vec<Block>| {
        if !items.is_empty() {
            out.push(Block::Heading(heading.to_owned()));
            out.push(Block::Bullets(items.to_vec()));
        }
    };
    bullets("RFC scope", &h.program.scope, &mut out);
    if !h.program.problem.is_empty() {
        out.push(Block::Heading("Problem".to_owned()));
        out.push(Block::Paragraph(h.program.problem.clone()));
    }
    if !h.program.proposal.is_empty() {
        out.push(Block::Heading("Proposal".to_owned()));
        for part in &h.program.proposal {
            out.push(Block::Subheading(part.title.clone()));
            out.push(Block::Paragraph(part.text.clone()));
        }
    }
    bullets("Non-goals", &h.program.non_goals, &mut out);
    if !h.dependencies.is_empty() {
        out.push(Block::Heading("Dependencies".to_owned()));
        let mut seen: Vec<&str> = Vec::new();
        let rows = h
            .dependencies
            .iter()
            .filter(|d| {
                let new = !seen.contains(&d.depends_on.as_str());
                seen.push(&d.depends_on);
                new
            })
            .map(|d| {
                vec![
                    Cell::Strong(d.depends_on.clone()),
                    Cell::Text(d.why_it_matters.clone()),
                ]
            })
            .collect();
        out.push(Block::Table(Table {
            columns: vec![col("Dependency", 0.38), col("Why it matters", 0.62)],
            rows,
        }));
    }
    out.push(Block::Heading("Risks".to_owned()));
    let before = out.len();
    program_risks(ctx, "Primary implementation risks", &mut out);
    if out.len() == before {
        out.push(Block::Paragraph(
            "No open program-wide risks are recorded.".to_owned(),
        ));
    }
    let open = ctx.open_decisions();
    let questions: Vec<String> = open
        .iter()
        .filter(|d| !d.question.is_empty())
        .map(|d| d.question.clone())
        .collect();
    bullets("Open questions", &questions, &mut out);
    out.push(Block::Heading("Decisions needed".to_owned()));
    if open.is_empty() {
        out.push(Block::Paragraph("No decisions are waiting.".to_owned()));
    } else {
        out.push(Block::Table(Table {
            columns: vec![
                col("Decision", 0.45),
                col("Needed from", 0.35),
                col("Status", 0.2),
            ],
            rows: open
                .iter()
                .map(|d| {
                    vec![
                        Cell::Strong(d.title.clone()),
                        Cell::Text(ctx.owners(&d.needed_from)),
                        ctx.status_chip(d.status_id),
                    ]
                })
                .collect(),
        }));
    }
    out.push(Block::Heading("Shared status vocabulary".to_owned()));
    out.push(Block::Chips(
        h.statuses.iter().map(|s| ctx.status(s.id)).collect(),
    ));
    out.push(Block::Paragraph(
        "These statuses mean the same thing in the dashboard, the decision register and the workstream pages.".to_owned(),
    ));
    if !h.program.success_criteria.is_empty() {
        out.push(Block::Heading("Success criteria".to_owned()));
        for c in &h.program.success_criteria {
            out.push(Block::Subheading(c.title.clone()));
            out.push(Block::Paragraph(c.text.clone()));
        }
    }
    out
}

/// The whole handbook in one document: a contents page, then every page in reading order, each
/// a part that starts a page, is a bookmark and is where the contents and the dashboard's
/// related references lead.
pub fn handbook(ctx: &Context, changes: &Changes, review: Option<&Review>) -> Vec<Block> {
    use crate::DocumentKind as K;
    let h = ctx.handbook;
    let mut parts: Vec<(&str, Vec<Block>)> = vec![
        (K::OnePager.title(), one_pager(ctx)),
        (K::Dashboard.title(), dashboard(ctx)),
        (K::Plan.title(), plan(ctx)),
        (K::Phases.title(), phases(ctx)),
        (K::Rfc.title(), rfc(ctx)),
        (K::Register.title(), register(ctx, None)),
        (K::Readiness.title(), readiness_checklist(ctx)),
    ];
    if let Some(review) = review {
        parts.push((K::Packet.title(), packet(ctx, review)));
    }
    parts.push((K::Readout.title(), readout(ctx, changes)));
    parts.push((K::Memo.title(), memo(ctx)));

    let mut out = vec![Block::Title {
        title: K::Handbook.title().to_owned(),
        subtitle: h.program.name.clone(),
        meta: as_of_and_author(ctx),
    }];
    if !h.program.summary.is_empty() {
        out.push(Block::Lead(h.program.summary.clone()));
    }
    out.push(Block::Heading("Contents".to_owned()));
    out.push(Block::Contents(
        parts.iter().map(|(title, _)| (*title).to_owned()).collect(),
    ));
    for (title, blocks) in parts {
        out.push(Block::Part(title.to_owned()));
        out.extend(blocks);
    }
    out
}

/// The readout as slides for a review on a screen: the title, where the program stands, the
/// decisions needed, the top risks with the heat map, readiness, what changed, and the asks.
pub fn readout_deck(ctx: &Context, changes: &Changes) -> Vec<crate::Slide> {
    use crate::Slide;
    let h = ctx.handbook;
    let mut opening = vec![Block::Title {
        title: "Leadership Readout".to_owned(),
        subtitle: h.program.name.clone(),
        meta: as_of_and_author(ctx),
    }];
    if !h.program.summary.is_empty() {
        opening.push(Block::Lead(h.program.summary.clone()));
    }
    let mut slides = vec![Slide {
        title: String::new(),
        blocks: opening,
    }];
    slides.push(Slide {
        title: "Where the program stands".to_owned(),
        blocks: vec![Block::Paragraph(standing(ctx)), executive_summary(ctx)],
    });
    let open = ctx.open_decisions();
    slides.push(Slide {
        title: "Decisions needed".to_owned(),
        blocks: vec![if open.is_empty() {
            Block::Paragraph("No decisions are waiting.".to_owned())
        } else {
            decisions_table(ctx, &open)
        }],
    });
    let top: Vec<String> = ctx
        .top_risks(3)
        .iter()
        .map(|r| format!("{} ({} severity)", r.statement, level_word(r.severity)))
        .collect();
    let mut risks = vec![heat_map(ctx)];
    if !top.is_empty() {
        risks.push(Block::Bullets(top));
    }
    slides.push(Slide {
        title: "Top risks".to_owned(),
        blocks: risks,
    });
    let mut ready = Vec::new();
    readiness(ctx, &mut ready, true);
    slides.push(Slide {
        title: "Readiness".to_owned(),
        blocks: ready,
    });
    if !changes.lines.is_empty() {
        slides.push(Slide {
            title: match changes.since {
                Some(since) => format!("What changed since {}", date(since)),
                None => "What changed".to_owned(),
            },
            blocks: vec![Block::Bullets(
                changes.lines.iter().map(|c| c.text.clone()).collect(),
            )],
        });
    }
    slides.push(Slide {
        title: "Asks of leadership".to_owned(),
        blocks: vec![asks(ctx)],
    });
    slides
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Low => "low",
        Level::Medium => "medium",
        Level::High => "high",
    }
}
