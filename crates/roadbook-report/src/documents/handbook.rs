//! The whole handbook: every page once, in parts.

use super::*;

/// The whole handbook in one document: a contents page, then every page in reading order, each
/// a part that starts a page, is a bookmark and is where the contents and the dashboard's
/// related references lead.
pub fn handbook(ctx: &Context, changes: &Changes, review: Option<&Review>) -> Vec<Block> {
    use crate::DocumentKind as K;
    let h = ctx.handbook;
    let mut parts: Vec<(&str, Vec<Block>)> = vec![
        (K::OnePager.title(), one_pager(ctx)),
        (K::Dashboard.title(), dashboard(ctx)),
        (K::Plan.title(), plan(ctx)),
        (K::Phases.title(), phases(ctx)),
        (K::Rfc.title(), rfc(ctx)),
        (K::Register.title(), register(ctx, None)),
        (K::Readiness.title(), readiness_checklist(ctx)),
    ];
    if let Some(review) = review {
        parts.push((K::Packet.title(), packet(ctx, review)));
    }
    parts.push((K::Readout.title(), readout(ctx, changes)));
    parts.push((K::Memo.title(), memo(ctx)));

    let mut out = vec![Block::Title {
        title: K::Handbook.title().to_owned(),
        subtitle: h.program.name.clone(),
        meta: as_of_and_author(ctx),
    }];
    if !h.program.summary.is_empty() {
        out.push(Block::Lead(h.program.summary.clone()));
    }
    out.push(Block::Heading("Contents".to_owned()));
    out.push(Block::Contents(
        parts.iter().map(|(title, _)| (*title).to_owned()).collect(),
    ));
    for (title, blocks) in parts {
        out.push(Block::Part(title.to_owned()));
        out.extend(blocks);
    }
    out
}
