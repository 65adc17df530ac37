//! The blocks several documents print: the executive summary, decision and risk tables, what
//! was decided, the asks, the heat map, readiness, milestones, actions and where the program
//! stands.

use super::*;

pub(super) fn executive_summary(ctx: &Context) -> Block {
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

pub(super) fn decisions_table(ctx: &Context, decisions: &[&Decision]) -> Block {
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
pub(super) fn decisions_made<'h>(ctx: &Context<'h>, changes: &Changes) -> Vec<&'h Decision> {
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
pub(super) fn made_table(ctx: &Context, made: &[&Decision]) -> Block {
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
pub(super) fn asks(ctx: &Context) -> Block {
    let asks = &ctx.handbook.program.asks;
    if asks.is_empty() {
        return Block::Paragraph("No asks of leadership at this time.".to_owned());
    }
    Block::Bullets(
        asks.iter()
            .map(|ask| {
                let spoken = roadbook_model::ask_decisions(ctx.handbook, ask);
                let made: Vec<&str> = spoken.made.iter().map(|d| d.title.as_str()).collect();
                let Some(made) = made_phrase(&made) else {
                    return ask.clone();
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

/// "the decision X is made", "the decisions X, Y, and Z are made"; none for no decision. What
/// settles an ask and a risk's mitigation alike.
fn made_phrase(titles: &[&str]) -> Option<String> {
    match titles {
        [] => None,
        [one] => Some(format!("the decision {} is made", isolate(one))),
        many => Some(format!("the decisions {} are made", list(many))),
    }
}

/// The decisions still needed, as a table, or a line saying none are waiting.
pub(super) fn decisions_needed(ctx: &Context) -> Block {
    let open = ctx.open_decisions();
    if open.is_empty() {
        Block::Paragraph("No decisions are waiting.".to_owned())
    } else {
        decisions_table(ctx, &open)
    }
}

/// A risk as one line: its statement, then what mitigates it when something does.
pub(super) fn risk_line(r: &Risk) -> String {
    if r.mitigation.is_empty() {
        r.statement.clone()
    } else {
        format!("{} — {}", r.statement, r.mitigation)
    }
}

/// A risk's mitigation, marked settled when a decision tied to it has been made: a reader is not
/// asked again for what leadership already decided.
pub(super) fn mitigation(ctx: &Context, risk: &Risk) -> Cell {
    let settled: Vec<&str> = ctx
        .handbook
        .decisions
        .iter()
        .filter(|d| d.risk_ids.contains(&risk.id) && !ctx.is_open(d.status_id))
        .map(|d| d.title.as_str())
        .collect();
    let note = made_phrase(&settled)
        .map(|made| format!("Settled: {made}."))
        .unwrap_or_default();
    match (risk.mitigation.is_empty(), note.is_empty()) {
        (true, true) => Cell::Unset("—".to_owned()),
        (false, true) => Cell::Text(risk.mitigation.clone()),
        (true, false) => Cell::Text(note),
        (false, false) => Cell::Text(format!("{}\n{note}", risk.mitigation)),
    }
}

pub(super) fn risks_table(ctx: &Context, risks: &[&Risk]) -> Block {
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

pub(super) fn heat_map(ctx: &Context) -> Block {
    Block::HeatMap(HeatMap {
        counts: ctx.handbook.heat_map(),
    })
}

/// One bar per dimension, its signal beside it.
pub(super) fn readiness_bars(ctx: &Context, out: &mut Vec<Block>) {
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
pub(super) fn readiness(ctx: &Context, out: &mut Vec<Block>, bars: bool) {
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

pub(super) fn milestones(ctx: &Context, out: &mut Vec<Block>) {
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

pub(super) fn actions(ctx: &Context) -> Block {
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
pub(super) fn standing(ctx: &Context) -> String {
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

/// The phase views in the order the handbook first lists them ("Program plan", then
/// "Implementation phases" in the sample): the plan shows the first, the phases page the last.
pub(super) fn phase_views(h: &Handbook) -> Vec<&str> {
    let mut views: Vec<&str> = Vec::new();
    for p in &h.phases {
        if !views.contains(&p.view.as_str()) {
            views.push(&p.view);
        }
    }
    views
}

/// The timeline of a phase view on the document's day (the model's, as the app's Plan screen
/// draws it): each dated phase a row with its milestones, then the milestones of no dated phase
/// on a row of their own. None when nothing is dated.
pub(super) fn timeline(ctx: &Context, view: &str) -> Option<Timeline> {
    let t = roadbook_model::timeline_against(
        ctx.handbook,
        ctx.baseline.map(|(_, then)| then),
        Some(view),
        ctx.as_of.date_naive(),
    );
    if t.bars.is_empty() && t.marks.is_empty() {
        return None;
    }
    let mark = |m: &roadbook_model::Mark| TimelineMark {
        at: m.at as f32,
        name: m.milestone.name.clone(),
        target: m
            .milestone
            .target
            .map(|d| crate::day(d.naive()))
            .unwrap_or_default(),
        late: m.late,
        then_at: m.then_at.map(|x| x as f32),
    };
    let mut rows: Vec<TimelineRow> = t
        .bars
        .iter()
        .map(|b| TimelineRow {
            label: b.phase.name.clone(),
            bar: Some(TimelineBar {
                from: b.from as f32,
                to: b.to as f32,
                open: b.open,
                dates: planned(b.phase.start, b.phase.end).unwrap_or_default(),
                then: b.then.map(|(from, to)| (from as f32, to as f32)),
            }),
            marks: t
                .marks
                .iter()
                .filter(|m| m.on_bar == Some(b.phase.id))
                .map(mark)
                .collect(),
        })
        .collect();
    let loose: Vec<TimelineMark> = t
        .marks
        .iter()
        .filter(|m| m.on_bar.is_none())
        .map(mark)
        .collect();
    if !loose.is_empty() {
        rows.push(TimelineRow {
            label: "Milestones".to_owned(),
            bar: None,
            marks: loose,
        });
    }
    Some(Timeline {
        ticks: t
            .ticks
            .into_iter()
            .map(|k| (k.at as f32, k.label))
            .collect(),
        rows,
        today: t.today.map(|x| x as f32),
    })
}

/// "Planned 2 March 2026 to 30 April 2026", or as much of it as is set.
pub(super) fn planned(
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
pub(super) fn state_cell(yes: bool, done: &str, open: &str) -> Cell {
    if yes {
        Cell::Strong(done.to_owned())
    } else {
        Cell::Muted(open.to_owned())
    }
}

/// What shows it, or a dash.
pub(super) fn evidence_cell(evidence: &str) -> Cell {
    if evidence.is_empty() {
        Cell::Unset("—".to_owned())
    } else {
        Cell::Text(evidence.to_owned())
    }
}

/// Open risks scoped to the whole program, as callouts.
pub(super) fn program_risks(ctx: &Context, title: &str, out: &mut Vec<Block>) {
    let risks: Vec<String> = ctx
        .handbook
        .risks
        .iter()
        .filter(|r| ctx.is_open(r.status_id) && matches!(r.scope, RiskScope::Program))
        .map(risk_line)
        .collect();
    if !risks.is_empty() {
        out.push(Block::Callout {
            title: title.to_owned(),
            items: risks,
            colour: RED,
        });
    }
}

/// What the timeline's grey marks are, when it draws a baseline: a line under it.
pub(super) fn baseline_key(ctx: &Context) -> Option<Block> {
    let (against, _) = ctx.baseline?;
    Some(Block::Paragraph(format!(
        "Grey: where each phase and milestone stood at {against}."
    )))
}

/// A dependency between programs' state as a chip: broken in red.
pub(super) fn link_chip(state: roadbook_model::LinkState) -> Cell {
    use roadbook_model::LinkState;
    let (label, colour) = match state {
        LinkState::Broken => ("broken", RED),
        LinkState::Holding => ("holds", GREEN),
        LinkState::Unknown => ("cannot be judged", GREY),
    };
    Cell::Chip(Chip {
        label: label.to_owned(),
        colour,
    })
}

/// The dependencies between this program and others that `keep` keeps, broken first, each in a
/// sentence; none when there are none.
pub(super) fn links_table(
    ctx: &Context,
    keep: impl Fn(&roadbook_model::Link) -> bool,
) -> Option<Block> {
    use roadbook_model::LinkState;
    let mut links: Vec<&roadbook_model::Link> = ctx.links.iter().filter(|l| keep(l)).collect();
    if links.is_empty() {
        return None;
    }
    links.sort_by_key(|l| match l.state {
        LinkState::Broken => 0,
        LinkState::Unknown => 1,
        LinkState::Holding => 2,
    });
    Some(Block::Table(Table {
        columns: vec![col("State", 0.18), col("Dependency", 0.82)],
        rows: links
            .iter()
            .map(|l| {
                // The state is in its own column: the sentence says what, and why when there
                // is more to say.
                let text = match l.detail() {
                    Some(detail) => format!("{}: {detail}", l.what()),
                    None => l.what(),
                };
                vec![link_chip(l.state), Cell::Text(crate::capitalised(&text))]
            })
            .collect(),
    }))
}
