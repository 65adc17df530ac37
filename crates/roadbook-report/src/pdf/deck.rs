//! Decks: a slide per page at 16:9, each framed with its title, the program and the marking.

use super::*;

/// A slide of a deck: its title and what it shows.
#[derive(Debug, Clone)]
pub struct Slide {
    /// Empty for the title slide, which shows its blocks alone.
    pub title: String,
    pub blocks: Vec<Block>,
}

/// A 16:9 slide, in points (13.33 by 7.5 inches).
pub const SLIDE_W: f32 = 960.0;
pub const SLIDE_H: f32 = 540.0;
pub(super) const SLIDE_MARGIN: f32 = 40.0;
/// Where a slide's content starts, below its title band, and where it ends, above its footer.
pub(super) const SLIDE_TOP: f32 = SLIDE_H - 96.0;
pub(super) const SLIDE_BOTTOM: f32 = 44.0;

/// Lays a deck out: each slide's blocks set on the document's page width and drawn larger (the
/// width of the slide over that of the page), so a table or chart reads from the back of a room;
/// content longer than a slide goes on to one marked "(continued)". The same slides and meta
/// give the same bytes.
pub fn render_deck(slides: &[Slide], meta: &Meta) -> Result<(Vec<u8>, usize), ReportError> {
    let fonts = Fonts::get()?;
    let scale = (SLIDE_W - 2.0 * SLIDE_MARGIN) / WIDTH;
    let height = (SLIDE_TOP - SLIDE_BOTTOM) / scale;
    let mut deck = LaidOutDocument::default();
    let mut titles = Vec::new();
    for slide in slides {
        let laid = layout::lay_out_slide(fonts, &slide.blocks, height);
        // Each slide a section of the deck, its title the section's heading, then the
        // structure of what it shows (its elements renumbered after the deck's).
        let section = deck.structure.len();
        deck.structure.push(layout::Element {
            role: layout::Role::Sect,
            parent: Some(0),
            alt: None,
        });
        let heading = (!slide.title.is_empty()).then(|| {
            deck.structure.push(layout::Element {
                role: layout::Role::H1,
                parent: Some(section),
                alt: None,
            });
            deck.structure.len() - 1
        });
        let offset = deck.structure.len() - 1;
        let renumber = |id: usize| if id == 0 { section } else { id + offset };
        deck.structure
            .extend(laid.structure.iter().skip(1).map(|e| layout::Element {
                parent: e.parent.map(renumber),
                ..e.clone()
            }));
        for (n, page) in laid.pages.into_iter().enumerate() {
            let title = match (slide.title.is_empty(), n) {
                (true, _) => String::new(),
                (false, 0) => slide.title.clone(),
                (false, _) => format!("{} (continued)", slide.title),
            };
            if n == 0 && !slide.title.is_empty() {
                deck.outline.push(layout::Bookmark {
                    title: slide.title.clone(),
                    page: deck.pages.len(),
                    level: 0,
                    top: SLIDE_H,
                });
            }
            let mut out = Page::default();
            // From the page's coordinates to the slide's: its content's top-left corner goes
            // to the slide's, and every length grows by `scale`.
            let top = if title.is_empty() {
                SLIDE_H - 70.0
            } else {
                SLIDE_TOP
            };
            let at = |x: f32, y: f32| {
                (
                    SLIDE_MARGIN + (x - MARGIN) * scale,
                    top - (layout::CONTENT_TOP - y) * scale,
                )
            };
            for item in page.items {
                out.items.push(match item {
                    Draw::Text {
                        x,
                        baseline,
                        size,
                        colour,
                        line,
                        tag,
                    } => {
                        let (x, baseline) = at(x, baseline);
                        Draw::Text {
                            x,
                            baseline,
                            size: size * scale,
                            colour,
                            line,
                            tag: tag.map(renumber),
                        }
                    }
                    Draw::Rect {
                        x,
                        y,
                        w,
                        h,
                        fill,
                        radius,
                    } => {
                        let (x, y) = at(x, y);
                        Draw::Rect {
                            x,
                            y,
                            w: w * scale,
                            h: h * scale,
                            fill,
                            radius: radius * scale,
                        }
                    }
                    Draw::Rule {
                        x1,
                        y1,
                        x2,
                        y2,
                        colour,
                        width,
                    } => {
                        let (x1, y1) = at(x1, y1);
                        let (x2, y2) = at(x2, y2);
                        Draw::Rule {
                            x1,
                            y1,
                            x2,
                            y2,
                            colour,
                            width: width * scale,
                        }
                    }
                    Draw::Link { .. } => continue,
                });
            }
            titles.push((title, heading));
            deck.pages.push(out);
        }
    }
    let total = deck.pages.len();
    for (n, (page, (title, heading))) in deck.pages.iter_mut().zip(&titles).enumerate() {
        slide_frame(fonts, page, (title, *heading), n + 1, total, meta);
    }
    Ok((write(fonts, &deck, meta, (SLIDE_W, SLIDE_H))?, total))
}

/// A slide's title band and footer: the title large, then program, as-of and "N / M" small.
pub(super) fn slide_frame(
    fonts: &Fonts,
    page: &mut Page,
    (title, heading): (&str, layout::Tag),
    number: usize,
    total: usize,
    meta: &Meta,
) {
    let right = SLIDE_W - SLIDE_MARGIN;
    if !title.is_empty() {
        let line = text::fit(fonts, title, Style::Bold, 28.0, right - SLIDE_MARGIN);
        // First in the page's content, so the slide's text reads (and copies) title first.
        page.items.splice(
            0..0,
            [
                Draw::Text {
                    x: SLIDE_MARGIN,
                    baseline: SLIDE_H - 62.0,
                    size: 28.0,
                    colour: layout::ACCENT,
                    line,
                    // A continued slide repeats its title: the heading is read once.
                    tag: if title.ends_with("(continued)") {
                        None
                    } else {
                        heading
                    },
                },
                Draw::Rule {
                    x1: SLIDE_MARGIN,
                    y1: SLIDE_H - 78.0,
                    x2: right,
                    y2: SLIDE_H - 78.0,
                    colour: layout::ACCENT,
                    width: 1.5,
                },
            ],
        );
    }
    let size = 10.0;
    let left = text::fit(
        fonts,
        &format!(
            "{} · As of {}",
            meta.program,
            crate::day(meta.as_of.date_naive())
        ),
        Style::Regular,
        size,
        (right - SLIDE_MARGIN) * 0.75,
    );
    page.items.push(Draw::Text {
        x: SLIDE_MARGIN,
        baseline: 22.0,
        size,
        colour: MUTED,
        line: left,
        tag: None,
    });
    let count = text::line(fonts, &format!("{number} / {total}"), Style::Regular, size);
    page.items.push(Draw::Text {
        x: right - count.width,
        baseline: 22.0,
        size,
        colour: MUTED,
        line: count,
        tag: None,
    });
    marking(fonts, page, meta, size, (SLIDE_W, 22.0));
}
