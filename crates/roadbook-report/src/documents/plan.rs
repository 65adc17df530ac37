//! The Program Plan: objective, phases with their work and timeline, dependency map,
//! milestones, owners, cadence and risk.

use super::*;

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
            out.extend(baseline_key(ctx));
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
        // A dependency on another program's item carries its state, red when it broke (a
        // column only when one names such an item).
        let state = |d: &roadbook_model::Dependency| {
            ctx.links
                .iter()
                .find(|l| l.direction == roadbook_model::Direction::Needs && l.dependency == d.id)
                .map(|l| link_chip(l.state))
        };
        let between = h.dependencies.iter().any(|d| state(d).is_some());
        let mut columns = vec![
            col("What depends", 0.28),
            col("Depends on", 0.32),
            col("Why it matters", 0.4),
        ];
        if between {
            columns = vec![
                col("What depends", 0.26),
                col("Depends on", 0.28),
                col("Why it matters", 0.32),
                col("Between programs", 0.14),
            ];
        }
        out.push(Block::Table(Table {
            columns,
            rows: h
                .dependencies
                .iter()
                .map(|d| {
                    let mut row = vec![
                        Cell::Strong(d.dependent.clone()),
                        Cell::Text(d.depends_on.clone()),
                        Cell::Text(d.why_it_matters.clone()),
                    ];
                    if between {
                        row.push(state(d).unwrap_or(Cell::Unset("—".to_owned())));
                    }
                    row
                })
                .collect(),
        }));
    }
    if let Some(table) = links_table(ctx, |l| l.direction == roadbook_model::Direction::NeededBy) {
        out.push(Block::Heading(
            "Other programs that depend on this one".to_owned(),
        ));
        out.push(table);
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
