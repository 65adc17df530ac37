//! Implementation Phases: the phase model (current / next / later), each phase with its work,
//! exit criteria and timeline.

use super::*;

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
        out.extend(baseline_key(ctx));
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
