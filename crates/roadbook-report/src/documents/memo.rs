//! The Executive Memo: the program for leadership in a page of prose.

use super::*;

pub fn memo(ctx: &Context) -> Vec<Block> {
    let h = ctx.handbook;
    let open = ctx.open_decisions();
    let mut out = vec![title("Executive Memo", ctx, "To: leadership")];

    // The purpose opens the memo under its title, as a memo's first line does.
    let mut purpose = format!(
        "This memo brings leadership up to date on {}",
        h.program.name
    );
    if open.is_empty() {
        purpose.push('.');
    } else {
        purpose.push_str(&format!(
            " and asks for help with {} open {}.",
            open.len(),
            if open.len() == 1 {
                "decision"
            } else {
                "decisions"
            }
        ));
    }
    // The program's summary is its objective, written as an instruction to the team: the memo
    // leaves it to the documents the team works from.
    out.push(Block::Lead(purpose));

    out.push(Block::Heading("Where the program stands".to_owned()));
    let mut where_it_stands = standing(ctx);
    let not_ready: Vec<&str> = h
        .readiness_dimensions
        .iter()
        .filter(|d| d.state == ReadinessState::NotReady)
        .map(|d| d.name.as_str())
        .collect();
    if !not_ready.is_empty() {
        where_it_stands.push_str(&format!(
            " Not ready: {}; the rollout gate waits until {} move.",
            list(&not_ready),
            if not_ready.len() == 1 { "it" } else { "they" }
        ));
    }
    out.push(Block::Paragraph(where_it_stands));

    if !open.is_empty() {
        out.push(Block::Heading("Decisions needed".to_owned()));
        out.push(Block::Bullets(
            open.iter()
                .map(|d| {
                    let mut text =
                        format!("{}: needed from {}", d.title, ctx.owners(&d.needed_from));
                    if let Some(due) = d.due {
                        text.push_str(&format!(" by {}", on_day(due)));
                    }
                    text.push('.');
                    if !d.question.is_empty() {
                        text.push_str(&format!(" {}", d.question));
                    }
                    text
                })
                .collect(),
        ));
    }

    let risks = ctx.top_risks(3);
    if !risks.is_empty() {
        out.push(Block::Heading("Main risks".to_owned()));
        out.push(Block::Bullets(
            risks
                .iter()
                .map(|r| {
                    let mut text = format!("{} ({} severity)", r.statement, r.severity);
                    if !r.mitigation.is_empty() {
                        text.push_str(&format!(". Mitigation: {}", r.mitigation));
                    }
                    text
                })
                .collect(),
        ));
    }

    out.push(Block::Heading("Recommendation".to_owned()));
    if h.program.proposal.is_empty() {
        out.push(Block::Paragraph(
            "Resolve the open decisions above in owner order before starting the next phase."
                .to_owned(),
        ));
    } else {
        // The proposal's own parts, and no sentence of ours before them: a fixed line would say
        // the same of every program.
        for part in &h.program.proposal {
            out.push(Block::Labeled {
                label: part.title.clone(),
                text: part.text.clone(),
            });
        }
    }

    if !h.program.asks.is_empty() {
        out.push(Block::Heading("What we ask of you".to_owned()));
        out.push(asks(ctx));
    }
    out
}
