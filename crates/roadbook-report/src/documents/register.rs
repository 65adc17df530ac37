//! The Decision Register: every decision, or those of one status.

use super::*;

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
