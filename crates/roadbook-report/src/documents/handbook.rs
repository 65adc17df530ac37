//! The whole handbook: every page once, in parts.

use super::*;

/// The whole handbook in one document: a contents page, then every page in reading order, each
/// a part that starts a page, is a bookmark and is where the contents and the dashboard's
/// related references lead.
pub fn handbook(ctx: &Context, changes: &Changes, review: Option<&Review>) -> Vec<Block> {
    use crate::DocumentKind as K;
    let h = ctx.handbook;
    // Every kind with a place in the handbook, in that order; the packet only for a review.
    let mut kinds: Vec<(u8, K)> = K::ALL
        .into_iter()
        .filter(|k| *k != K::Packet || review.is_some())
        .filter_map(|k| k.handbook_place().map(|place| (place, k)))
        .collect();
    kinds.sort_by_key(|(place, _)| *place);
    let parts: Vec<(&str, Vec<Block>)> = kinds
        .into_iter()
        .filter_map(|(_, k)| Some((k.title(), blocks_of(k, ctx, changes, review, None).ok()?)))
        .collect();

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
