//! The Internal Readiness Checklist: its dimensions, the checklist items with their evidence, and
//! the rollout gate.

use super::*;

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
