//! The plan's documents: implementation phases, the readiness checklist, the one-pager, the
//! program plan and the RFC.

use super::*;

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
    let t = roadbook_model::timeline(ctx.handbook, Some(view), ctx.as_of.date_naive());
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
