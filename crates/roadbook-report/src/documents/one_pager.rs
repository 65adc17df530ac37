//! The One-Pager: the program on one page.

use super::*;

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
