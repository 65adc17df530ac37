//! The layout engine: a document is a list of blocks (headings, paragraphs, tables, charts);
//! this module places them on A4 pages. Tables split across pages between rows with their
//! header repeated; a row taller than a page splits between lines. Nothing is placed outside
//! the content area.

use crate::fonts::{FaceId, Fonts, Style};
use crate::text::{self, Line};

mod blocks;
mod figures;
mod flow;
use flow::{SHORT, closes};
mod structure;
mod table;

pub use blocks::*;
pub use structure::{Element, Role, Tag};

pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
pub const MARGIN: f32 = 54.0;
pub const CONTENT_TOP: f32 = PAGE_H - 68.0;
pub const CONTENT_BOTTOM: f32 = 60.0;
pub const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;

pub const BODY: f32 = 9.5;
const LEADING: f32 = 1.38;
const TABLE_TEXT: f32 = 8.3;
const CELL_PAD_X: f32 = 5.0;
const CELL_PAD_Y: f32 = 4.5;
const CHIP_TEXT: f32 = 7.4;
/// The label column of a labeled line.
const LABEL_W: f32 = 118.0;
/// Slack for float rounding when text measured to fit is wrapped again at that width.
const SLACK: f32 = 0.5;

/// A laid-out document: pages and the outline (title, page index) of its sections.
#[derive(Debug, Clone)]
pub struct LaidOutDocument {
    pub pages: Vec<Page>,
    pub outline: Vec<Bookmark>,
    /// Where each part starts: its title and page index.
    pub anchors: std::collections::BTreeMap<String, usize>,
    /// Where each block's content landed, one piece per page it touches, in order: what the
    /// page-flow rules are checked against.
    pub pieces: Vec<Piece>,
    /// The logical structure: element 0 is the document.
    pub structure: Vec<Element>,
}

impl Default for LaidOutDocument {
    fn default() -> Self {
        LaidOutDocument {
            pages: Vec::new(),
            outline: Vec::new(),
            anchors: Default::default(),
            pieces: Vec::new(),
            structure: vec![Element {
                role: Role::Document,
                parent: None,
                alt: None,
            }],
        }
    }
}

/// A bookmark: a part (level 0) or a section heading (level 1 in a document of parts), the page
/// it is on and the height of its top there, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub struct Bookmark {
    pub title: String,
    pub page: usize,
    pub level: u8,
    pub top: f32,
}

/// The part of one block on one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// The block's index in the document.
    pub block: usize,
    pub page: usize,
    /// A table's rows or a list's items on this page (a row split across pages counts on both).
    pub rows: usize,
    /// Whether one unit (a table row, a list item, a field's value) runs on onto the next page.
    pub split: bool,
}

impl LaidOutDocument {
    /// How much of a page's content area is used, from 0 (empty) to 1 (down to the bottom
    /// margin): the lowest thing drawn on it.
    pub fn fill(&self, page: usize) -> f32 {
        let Some(page) = self.pages.get(page) else {
            return 0.0;
        };
        let lowest = page
            .items
            .iter()
            .map(|d| match d {
                Draw::Text { baseline, size, .. } => baseline - size * 0.25,
                Draw::Rect { y, .. } | Draw::Link { y, .. } => *y,
                Draw::Rule { y1, y2, .. } => y1.min(*y2),
            })
            .fold(CONTENT_TOP, f32::min);
        ((CONTENT_TOP - lowest) / (CONTENT_TOP - CONTENT_BOTTOM)).clamp(0.0, 1.0)
    }
}

/// The part a reference leads to: the one titled so, else the one whose title the reference
/// holds ("Operationalization One-Pager" leads to "One-Pager"), the longest such title first.
pub(crate) fn part_for<'a>(
    titles: impl IntoIterator<Item = &'a str>,
    reference: &str,
) -> Option<&'a str> {
    let wanted = reference.to_lowercase();
    let mut best: Option<&str> = None;
    for title in titles {
        if title.eq_ignore_ascii_case(reference) {
            return Some(title);
        }
        if wanted.contains(&title.to_lowercase()) && best.is_none_or(|b| title.len() > b.len()) {
            best = Some(title);
        }
    }
    best
}

pub(crate) fn lay_out(fonts: &Fonts, blocks: &[Block]) -> LaidOutDocument {
    lay_out_within(fonts, blocks, CONTENT_BOTTOM)
}

/// Lays out blocks on pages `height` points tall (and the usual width): a slide's content,
/// which the deck then draws larger.
pub(crate) fn lay_out_slide(fonts: &Fonts, blocks: &[Block], height: f32) -> LaidOutDocument {
    lay_out_within(fonts, blocks, CONTENT_TOP - height)
}

fn lay_out_within(fonts: &Fonts, blocks: &[Block], bottom: f32) -> LaidOutDocument {
    let mut l = Layouter {
        fonts,
        laid: LaidOutDocument::default(),
        page: Page::default(),
        y: CONTENT_TOP,
        bottom,
        keep_next: 0.0,
        keep_after: 0.0,
        current: 0,
        numbers: Vec::new(),
        tag: None,
        section: 0,
        widths: std::cell::RefCell::new(None),
        kept: std::cell::RefCell::new(Vec::new()),
        looking_ahead: std::cell::Cell::new(0),
    };
    for (n, block) in blocks.iter().enumerate() {
        l.current = n;
        // A heading stays with the first piece of what follows it (and that piece with its
        // own followers, when it is a heading too or cannot be split from them).
        l.keep_next = match block {
            Block::Heading(_) | Block::Subheading(_) => l.lead(blocks, n + 1),
            _ => 0.0,
        };
        // A section's short closing line goes with the last piece of what it closes.
        l.keep_after = match blocks.get(n + 1) {
            // With the space a block leaves below itself (a table the most, 10 points).
            Some(next) if closes(blocks, n + 1) => l.height(next) + 10.0,
            _ => 0.0,
        };
        l.block(block);
    }
    l.finish()
}

struct Layouter<'f> {
    fonts: &'f Fonts,
    laid: LaidOutDocument,
    page: Page,
    /// Top of the free space on the current page.
    y: f32,
    /// Where the content of a page ends.
    bottom: f32,
    keep_next: f32,
    /// Room the current block's last piece must leave below it on its page: the closing line
    /// that follows it.
    keep_after: f32,
    /// The block being laid out (its index), for the pieces.
    current: usize,
    /// The contents' page numbers, drawn once every part's page is known: page index, the
    /// number's right edge and top, the part's title, the entry's link element.
    numbers: Vec<(usize, f32, f32, String, Tag)>,
    /// The structure element what is drawn now belongs to.
    tag: Tag,
    /// The element blocks go in: the document, or the part being laid out.
    section: usize,
    /// The column widths of the table measured last (by its address).
    widths: std::cell::RefCell<Option<(usize, Vec<f32>)>>,
    /// Texts wrapped while looking ahead (style, size and width bits; the text; its lines).
    kept: std::cell::RefCell<Vec<Wrapped>>,
    /// How deep in a lookahead the layouter is (a heading's, a closing line's).
    looking_ahead: std::cell::Cell<u32>,
}

type Wrapped = ((Style, u32, u32), String, Vec<Line>);

impl Layouter<'_> {
    fn finish(mut self) -> LaidOutDocument {
        self.laid.pages.push(std::mem::take(&mut self.page));
        // Each contents line's number, now that every part has its page (a number's width
        // changes nothing else on the line, so nothing moves).
        for (page, right, top, title, tag) in std::mem::take(&mut self.numbers) {
            let number = self.laid.anchors.get(&title).map_or(0, |p| p + 1);
            let line = text::line(self.fonts, &number.to_string(), Style::SemiBold, 11.0);
            if let Some(page) = self.laid.pages.get_mut(page) {
                page.items.push(Draw::Text {
                    x: right - line.width,
                    baseline: top - 11.0 * 0.95,
                    size: 11.0,
                    colour: ACCENT,
                    line,
                    tag,
                });
            }
        }
        self.laid
    }

    fn at_top(&self) -> bool {
        self.y >= CONTENT_TOP - 0.5
    }

    fn new_page(&mut self) {
        self.laid.pages.push(std::mem::take(&mut self.page));
        self.y = CONTENT_TOP;
    }

    /// Makes room for `h` points, starting a page if they do not fit on this one.
    fn ensure(&mut self, h: f32) {
        if self.y - h < self.bottom && !self.at_top() {
            self.new_page();
        }
    }

    /// A rule across the content width at the cursor.
    fn rule(&mut self, colour: Rgb, width: f32) {
        let y = self.y;
        self.draw(Draw::Rule {
            x1: MARGIN,
            y1: y,
            x2: MARGIN + WIDTH,
            y2: y,
            colour,
            width,
        });
    }

    /// Text wrapped to `width`. What a heading's lookahead wrapped is kept, and taken (not
    /// wrapped again) when the block itself is laid out.
    fn wrap(&self, text: &str, style: Style, size: f32, width: f32) -> Vec<Line> {
        let key = (style, size.to_bits(), width.to_bits());
        {
            let mut kept = self.kept.borrow_mut();
            if let Some(at) = kept.iter().position(|(k, t, _)| *k == key && t == text) {
                return kept.swap_remove(at).2;
            }
        }
        let lines = text::wrap(self.fonts, text, style, size, width);
        if self.looking_ahead.get() > 0 {
            let mut kept = self.kept.borrow_mut();
            // Bounded: a lookahead whose block was then wrapped otherwise is not kept forever.
            if kept.len() >= 64 {
                kept.remove(0);
            }
            kept.push((key, text.to_owned(), lines.clone()));
        }
        lines
    }

    fn text(&mut self, x: f32, top: f32, size: f32, colour: Rgb, line: Line) {
        // The baseline sits so that the line's glyphs fill the line box the way Inter does.
        let baseline = top - size * 0.95;
        self.draw(Draw::Text {
            x,
            baseline,
            size,
            colour,
            line,
            tag: self.tag,
        });
    }

    /// Lines of running text, each placed where there is room.
    fn lines(&mut self, lines: Vec<Line>, x: f32, size: f32, colour: Rgb) {
        let lh = size * LEADING;
        for line in lines {
            self.ensure(lh);
            self.text(x, self.y, size, colour, line);
            self.y -= lh;
        }
    }

    /// Draws on the current page, and notes the current block's piece on it.
    fn draw(&mut self, item: Draw) {
        self.page.items.push(item);
        let page = self.laid.pages.len();
        match self.laid.pieces.last() {
            Some(p) if p.block == self.current && p.page == page => {}
            _ => self.laid.pieces.push(Piece {
                block: self.current,
                page,
                rows: 0,
                split: false,
            }),
        }
    }

    /// A table row placed on the current page.
    fn row(&mut self) {
        if let Some(p) = self.laid.pieces.last_mut() {
            p.rows += 1;
        }
    }

    /// The unit being placed (a row, an item, a value) runs on onto the next page.
    fn split(&mut self) {
        if let Some(p) = self.laid.pieces.last_mut() {
            p.split = true;
        }
    }

    fn block(&mut self, block: &Block) {
        // What a block draws is content of the elements it makes; until it makes one, nothing.
        self.tag = None;
        match block {
            Block::Title {
                title,
                subtitle,
                meta,
            } => {
                self.begin(Role::H1);
                let lines = self.wrap(title, Style::Bold, 22.0, WIDTH);
                self.lines(lines, MARGIN, 22.0, ACCENT);
                self.y -= 2.0;
                self.begin(Role::P);
                let lines = self.wrap(subtitle, Style::SemiBold, 12.0, WIDTH);
                self.lines(lines, MARGIN, 12.0, INK);
                self.begin(Role::P);
                let lines = self.wrap(meta, Style::Regular, 8.5, WIDTH);
                self.lines(lines, MARGIN, 8.5, MUTED);
                self.y -= 6.0;
                self.rule(ACCENT, 1.2);
                self.y -= 14.0;
            }
            Block::Heading(text) => {
                let lines = self.wrap(text, Style::Bold, 13.0, WIDTH);
                let h = lines.len() as f32 * 13.0 * 1.25 + 14.0 + self.keep_next;
                self.ensure(h);
                if !self.at_top() {
                    self.y -= 8.0;
                }
                self.laid.outline.push(Bookmark {
                    title: text.clone(),
                    page: self.laid.pages.len(),
                    level: u8::from(self.section != 0),
                    top: self.y + 4.0,
                });
                self.begin(Role::H2);
                self.lines(lines, MARGIN, 13.0, ACCENT);
                self.y -= 4.0;
            }
            Block::Subheading(text) => {
                let lines = self.wrap(text, Style::SemiBold, 10.5, WIDTH);
                self.ensure(lines.len() as f32 * 10.5 * LEADING + 7.0 + self.keep_next);
                if !self.at_top() {
                    self.y -= 6.0;
                }
                self.begin(Role::H3);
                self.lines(lines, MARGIN, 10.5, INK);
                self.y -= 1.0;
            }
            Block::Paragraph(text) => {
                self.begin(Role::P);
                let lines = self.wrap(text, Style::Regular, BODY, WIDTH);
                self.running(lines, BODY, INK);
                self.y -= 5.0;
            }
            Block::Lead(text) => {
                self.begin(Role::P);
                let lines = self.wrap(text, Style::Italic, 10.5, WIDTH);
                self.running(lines, 10.5, MUTED);
                self.y -= 7.0;
            }
            Block::Labeled { label, text } => {
                self.begin(Role::P);
                // Two columns, line by line, so a page break between lines keeps them paired.
                let labels = self.wrap(label, Style::SemiBold, BODY, LABEL_W - 8.0);
                let texts = self.wrap(text, Style::Regular, BODY, WIDTH - LABEL_W);
                let lh = BODY * LEADING;
                let rows = labels.len().max(texts.len());
                // A short value stays whole (with the line closing its section); a long one
                // keeps its first two lines with its label.
                if rows <= SHORT {
                    self.ensure(lh * rows as f32 + self.keep_after);
                } else {
                    self.ensure(lh * 2.0);
                }
                let (mut labels, mut texts) = (labels.into_iter(), texts.into_iter());
                for _ in 0..rows {
                    if self.y - lh < self.bottom && !self.at_top() && rows <= SHORT {
                        self.split();
                    }
                    self.ensure(lh);
                    if let Some(line) = labels.next() {
                        self.text(MARGIN, self.y, BODY, INK, line);
                    }
                    if let Some(line) = texts.next() {
                        self.text(MARGIN + LABEL_W, self.y, BODY, INK, line);
                    }
                    self.y -= lh;
                }
                self.y -= 2.0;
            }
            Block::Bullets(items) => {
                let list = self.begin(Role::L);
                // Like a table's rows: at least two items on either side of a break (a list of
                // three or fewer whole), each item whole.
                let wrapped: Vec<Vec<Line>> = items
                    .iter()
                    .map(|i| self.wrap(i, Style::Regular, BODY, WIDTH - 14.0))
                    .collect();
                let heights: Vec<f32> = wrapped
                    .iter()
                    .map(|l| l.len().max(1) as f32 * BODY * LEADING + 2.0)
                    .collect();
                let count = items.len();
                for (n, lines) in wrapped.into_iter().enumerate() {
                    let together = if n == 0 {
                        if count <= 3 { count } else { 2 }
                    } else if count - n == 2 {
                        2
                    } else {
                        1
                    };
                    let after = if n + together >= count {
                        self.keep_after
                    } else {
                        0.0
                    };
                    self.ensure(heights.iter().skip(n).take(together).sum::<f32>() + after);
                    self.bullet_lines(lines, true, n + 1 == count, list, false);
                    self.row();
                }
                self.y -= 4.0;
            }
            Block::Steps(steps) => {
                let list = self.begin(Role::L);
                for (n, (title, body)) in steps.iter().enumerate() {
                    let item = self.element(Role::LI, list);
                    self.begin_in(Role::Lbl, item);
                    let number = text::line(self.fonts, &format!("{}", n + 1), Style::Bold, 11.0);
                    let title_lines = self.wrap(title, Style::SemiBold, BODY + 0.5, WIDTH - 24.0);
                    self.ensure((BODY + 0.5) * LEADING * 2.0);
                    self.draw(Draw::Rect {
                        x: MARGIN,
                        y: self.y - 16.0,
                        w: 16.0,
                        h: 16.0,
                        fill: ACCENT,
                        radius: 8.0,
                    });
                    let nx = MARGIN + 8.0 - number.width / 2.0;
                    self.text(nx, self.y - 2.2, 11.0, WHITE, number);
                    self.begin_in(Role::LBody, item);
                    self.lines(title_lines, MARGIN + 24.0, BODY + 0.5, INK);
                    let lines = self.wrap(body, Style::Regular, BODY, WIDTH - 24.0);
                    self.lines(lines, MARGIN + 24.0, BODY, INK);
                    self.y -= 6.0;
                }
            }
            Block::Table(table) => self.table(table),
            Block::Meters(meters) => self.meters(meters),
            Block::HeatMap(map) => self.heat_map(map),
            Block::Timeline(timeline) => self.timeline(timeline),
            Block::Callout {
                title,
                items,
                colour,
            } => self.callout(title, items, *colour),
            Block::Chips(chips) => {
                self.begin(Role::P);
                let mut x = MARGIN;
                // All the chips' rows on one page, with the closing line after them.
                self.ensure(self.chips_height(chips) + self.keep_after);
                for chip in chips {
                    let w = self.chip_width(chip);
                    if x + w > MARGIN + WIDTH {
                        self.y -= 18.0;
                        self.ensure(16.0);
                        x = MARGIN;
                    }
                    let top = self.y;
                    self.chip(chip, x, top, w.min(WIDTH));
                    x += w + 6.0;
                }
                self.y -= 22.0;
            }
            Block::Spacer(h) => self.y -= h,
            Block::PageBreak => {
                if !self.at_top() {
                    self.new_page();
                }
            }
            Block::Part(title) => {
                if !self.at_top() {
                    self.new_page();
                }
                let page = self.laid.pages.len();
                self.laid.anchors.insert(title.clone(), page);
                self.laid.outline.push(Bookmark {
                    title: title.clone(),
                    page,
                    level: 0,
                    top: PAGE_H,
                });
                // Each part a section of the document.
                self.section = self.element(Role::Sect, 0);
            }
            Block::Contents(titles) => {
                let lh = 11.0 * 1.7;
                let toc = self.begin(Role::TOC);
                for title in titles {
                    self.ensure(lh);
                    let entry = self.element(Role::TOCI, toc);
                    let link = self.begin_in(Role::Link, entry);
                    let line = text::line(self.fonts, title, Style::Regular, 11.0);
                    let top = self.y;
                    let right = MARGIN + WIDTH;
                    self.numbers.push((
                        self.laid.pages.len(),
                        right,
                        top,
                        title.clone(),
                        Some(link),
                    ));
                    self.text(MARGIN, top, 11.0, INK, line);
                    self.draw(Draw::Rule {
                        x1: MARGIN,
                        y1: top - lh + 3.0,
                        x2: right,
                        y2: top - lh + 3.0,
                        colour: RULE,
                        width: 0.4,
                    });
                    self.draw(Draw::Link {
                        x: MARGIN,
                        y: top - lh + 3.0,
                        w: WIDTH,
                        h: lh - 1.0,
                        target: title.clone(),
                        tag: Some(link),
                    });
                    self.y -= lh;
                }
                self.y -= 6.0;
            }
            Block::Links(items) => {
                let list = self.begin(Role::L);
                for (n, item) in items.iter().enumerate() {
                    // Whole on one page: its link is one rectangle over its lines.
                    let (top, width, count) =
                        self.bullet(item, true, n + 1 == items.len(), list, true);
                    self.draw(Draw::Link {
                        x: MARGIN + 14.0,
                        y: top - count * BODY * LEADING,
                        w: width,
                        h: count * BODY * LEADING,
                        target: item.clone(),
                        tag: self.tag,
                    });
                }
                self.y -= 4.0;
            }
        }
    }

    /// One bulleted item, all its lines on one page (`whole`, unless it is taller than a
    /// page; else from its first line), the last with the closing line that follows; where its
    /// text starts, how wide its widest line is and how many lines it took (a link covers them).
    ///
    /// The item is an LI of `list`, its bullet the label and its text the body (a Link in the
    /// body when `link`: what is drawn after it belongs to that link).
    fn bullet(
        &mut self,
        item: &str,
        whole: bool,
        last: bool,
        list: usize,
        link: bool,
    ) -> (f32, f32, f32) {
        let lines = self.wrap(item, Style::Regular, BODY, WIDTH - 14.0);
        self.bullet_lines(lines, whole, last, list, link)
    }

    /// [`Self::bullet`] for an item already wrapped.
    fn bullet_lines(
        &mut self,
        lines: Vec<Line>,
        whole: bool,
        last: bool,
        list: usize,
        link: bool,
    ) -> (f32, f32, f32) {
        let lh = BODY * LEADING;
        let kept = if whole { lines.len().max(1) } else { 1 };
        let after = if last { self.keep_after } else { 0.0 };
        self.ensure(kept as f32 * lh + after);
        let entry = self.element(Role::LI, list);
        self.begin_in(Role::Lbl, entry);
        let bullet = text::line(self.fonts, "•", Style::Regular, BODY);
        self.text(MARGIN + 3.0, self.y, BODY, ACCENT, bullet);
        let body = self.begin_in(Role::LBody, entry);
        if link {
            self.begin_in(Role::Link, body);
        }
        let top = self.y;
        let width = lines.iter().map(|l| l.width).fold(0.0, f32::max);
        let count = lines.len() as f32;
        if self.y - count * lh < self.bottom {
            // Taller than the room a whole page gives it: it runs on.
            self.split();
        }
        self.lines(lines, MARGIN + 14.0, BODY, INK);
        self.y -= 2.0;
        (top, width, count)
    }

    fn chip_width(&self, chip: &Chip) -> f32 {
        text::measure(self.fonts, &chip.label, Style::SemiBold, CHIP_TEXT) + 12.0
    }

    /// A chip at (x, top), at most `max` wide; returns its height. A label too long for one
    /// line wraps inside the chip.
    fn chip(&mut self, chip: &Chip, x: f32, top: f32, max: f32) -> f32 {
        let lines = self.wrap(
            &chip.label,
            Style::SemiBold,
            CHIP_TEXT,
            (max - 12.0).max(8.0) + SLACK,
        );
        let lh = CHIP_TEXT * 1.25;
        let h = lines.len() as f32 * lh + 5.0;
        let w = lines.iter().map(|l| l.width).fold(0.0, f32::max) + 12.0;
        self.draw(Draw::Rect {
            x,
            y: top - h,
            w,
            h,
            fill: chip.colour,
            radius: 4.5,
        });
        let mut y = top - 2.5;
        for line in lines {
            self.draw(Draw::Text {
                x: x + 6.0,
                baseline: y - CHIP_TEXT * 0.98,
                size: CHIP_TEXT,
                colour: chip.colour.on(),
                line,
                tag: self.tag,
            });
            y -= lh;
        }
        h
    }
}

/// Every face a laid-out document draws with.
pub(crate) fn faces_used(pages: &[Page]) -> Vec<FaceId> {
    let mut faces: Vec<FaceId> = pages
        .iter()
        .flat_map(|p| &p.items)
        .filter_map(|d| match d {
            Draw::Text { line, .. } => Some(line.runs.iter().map(|r| r.face)),
            _ => None,
        })
        .flatten()
        .collect();
    faces.sort();
    faces.dedup();
    faces
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn two_milestones_close_together_both_show_their_whole_names() {
        let fonts = Fonts::get().unwrap();
        let mark = |at: f32, name: &str| TimelineMark {
            at,
            name: name.to_owned(),
            target: String::new(),
            late: false,
            then_at: None,
        };
        let timeline = Timeline {
            ticks: vec![(0.0, "Jan 2027".to_owned())],
            rows: vec![TimelineRow {
                label: "Phase 1".to_owned(),
                bar: None,
                marks: vec![
                    mark(0.50, "Milestone 1: named owners"),
                    mark(0.53, "Milestone 2: access model"),
                ],
            }],
            today: None,
        };
        let laid = lay_out(fonts, &[Block::Timeline(timeline)]);
        let texts: Vec<String> = laid.pages[0]
            .items
            .iter()
            .filter_map(|d| match d {
                Draw::Text { line, .. } => Some(line.text()),
                _ => None,
            })
            .collect();
        for name in ["Milestone 1: named owners", "Milestone 2: access model"] {
            assert!(texts.iter().any(|t| t == name), "{name} cut: {texts:?}");
        }
    }

    #[test]
    fn a_reference_near_the_bottom_moves_whole_to_the_next_page_under_its_link() {
        let fonts = Fonts::get().unwrap();
        // The first page filled but for a line and a half, then a reference of three lines.
        let reference = "Operationalization One-Pager and its appendix ".repeat(6);
        let blocks = [
            Block::Spacer(CONTENT_TOP - CONTENT_BOTTOM - BODY * LEADING * 1.5),
            Block::Links(vec![reference]),
        ];
        let laid = lay_out(fonts, &blocks);
        let mut links = 0;
        for page in &laid.pages {
            let baselines: Vec<f32> = page
                .items
                .iter()
                .filter_map(|i| match i {
                    Draw::Text { baseline, .. } => Some(*baseline),
                    _ => None,
                })
                .collect();
            for item in &page.items {
                if let Draw::Link { y, h, .. } = item {
                    links += 1;
                    assert!(*y >= CONTENT_BOTTOM - 1.0 && y + h <= CONTENT_TOP + 1.0);
                    let covered = baselines.iter().filter(|b| **b >= *y && **b <= y + h);
                    assert!(
                        covered.count() >= 3,
                        "the link covers its lines on its page"
                    );
                }
            }
        }
        assert_eq!(links, 1);
        assert_eq!(laid.pages.len(), 2, "the reference went to the next page");
    }
}
