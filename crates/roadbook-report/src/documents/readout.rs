//! The Leadership Readout, and the readout as slides; with the dates that moved against the
//! baseline before it.

use super::*;

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

    if let Some(baseline) = changes.baseline {
        slipped(changes, baseline, &mut out);
    }
    if let Some(table) = links_table(ctx, |l| l.state == roadbook_model::LinkState::Broken) {
        out.push(Block::Heading(
            "Dependencies between programs that broke".to_owned(),
        ));
        out.push(table);
    }

    let made = decisions_made(ctx, changes);
    if !made.is_empty() {
        out.push(Block::Heading("Decisions made".to_owned()));
        out.push(made_table(ctx, &made));
    }

    out.push(Block::Heading("Decisions needed".to_owned()));
    out.push(decisions_needed(ctx));

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
    slides.push(Slide {
        title: "Decisions needed".to_owned(),
        blocks: vec![decisions_needed(ctx)],
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
    // What moved against the baseline, on a slide of its own (its heading the slide's title).
    if let Some(baseline) = changes.baseline
        && changes.slips.iter().any(|s| s.moved())
    {
        let mut blocks = Vec::new();
        slipped(changes, baseline, &mut blocks);
        if let Some(Block::Heading(title)) = blocks.first().cloned() {
            blocks.remove(0);
            slides.push(Slide { title, blocks });
        }
    }
    slides.push(Slide {
        title: "Asks of leadership".to_owned(),
        blocks: vec![asks(ctx)],
    });
    slides
}

/// The dates that moved against the baseline before the readout (`against` names it), the
/// biggest slip first: each with where it stands, where it stood and by how many days; a line
/// saying every date holds when none moved.
pub(super) fn slipped(changes: &Changes, against: &str, out: &mut Vec<Block>) {
    let mut moved: Vec<&roadbook_model::Slip> =
        changes.slips.iter().filter(|s| s.moved()).collect();
    // The biggest slip first, earlier dates after later ones, what has no days to count last;
    // the plan's order breaks ties.
    moved.sort_by_key(|s| std::cmp::Reverse(s.days().unwrap_or(i64::MIN)));
    out.push(Block::Heading(format!("Dates against {against}")));
    if moved.is_empty() {
        out.push(Block::Paragraph(format!(
            "Every date stands where it stood at {against}."
        )));
        return;
    }
    let t = roadbook_model::Tally::of(moved.iter().copied());
    out.push(Block::Paragraph(format!(
        "{} moved: {} later, {} earlier{}.",
        count(moved.len(), "date", "dates"),
        t.later,
        t.earlier,
        match t.dated_or_undated {
            0 => String::new(),
            n => format!(", {n} dated, undated, added or removed since"),
        }
    )));
    // A date that is not there reads "no date": the column stays, whatever it holds.
    let when = |d: Option<roadbook_model::Date>| {
        d.map_or(Cell::Muted("no date".to_owned()), |d| Cell::Text(on_day(d)))
    };
    out.push(Block::Table(Table {
        columns: vec![
            col("What", 0.36),
            col("Date", 0.1),
            col("Now", 0.16),
            col("Was", 0.16),
            col("Moved", 0.22),
        ],
        rows: moved
            .iter()
            .map(|s| {
                vec![
                    Cell::Text(format!(
                        "{} ‘{}’",
                        crate::capitalised(s.kind.noun()),
                        s.label
                    )),
                    Cell::Text(s.date.as_str().to_owned()),
                    if s.since == roadbook_model::Since::Removed {
                        Cell::Muted("removed".to_owned())
                    } else {
                        when(s.now)
                    },
                    when(s.then),
                    if s.days().is_some_and(|d| d > 0) {
                        Cell::Strong(s.variance())
                    } else {
                        Cell::Text(s.variance())
                    },
                ]
            })
            .collect(),
    }));
}

pub(super) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
