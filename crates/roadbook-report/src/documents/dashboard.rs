//! The Status Dashboard (its body is also the handbook's dashboard part).

use super::*;

pub fn dashboard(ctx: &Context) -> Vec<Block> {
    let mut out = vec![title("Status Dashboard", ctx, "")];
    dashboard_body(ctx, &mut out);
    out
}

pub(super) fn dashboard_body(ctx: &Context, out: &mut Vec<Block>) {
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
    out.push(decisions_needed(ctx));

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

    if let Some(table) = links_table(ctx, |_| true) {
        out.push(Block::Heading("Dependencies between programs".to_owned()));
        out.push(table);
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

// --- the handbook's other pages ------------------------------------------------------------
