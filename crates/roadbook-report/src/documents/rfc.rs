//! The RFC (request for comments): scope, problem, proposal, non-goals, dependencies, risks and
//! decisions.

use super::*;

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
