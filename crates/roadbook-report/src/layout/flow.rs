//! Looking ahead: how tall the first piece of a block is (what a heading above it must not be
//! parted from), how tall a closing line is (what the block before it must leave room for), and
//! running text that keeps its first and last lines together.

use super::*;

/// Lines a field's value or a paragraph may have and still be kept whole on one page.
pub(super) const SHORT: usize = 6;

/// Whether block `n` is a short line that closes its section ("Rollout gate: 0 of 5 ready"
/// after the readiness bars): it follows the section's body and a heading (or the end) follows
/// it, so it must not start a page alone.
pub(super) fn closes(blocks: &[Block], n: usize) -> bool {
    let short = matches!(
        blocks.get(n),
        Some(Block::Labeled { .. } | Block::Paragraph(_))
    );
    let after_body = n > 0
        && !matches!(
            blocks.get(n - 1),
            Some(Block::Heading(_) | Block::Subheading(_) | Block::Title { .. } | Block::Part(_))
                | None
        );
    let ends = matches!(
        blocks.get(n + 1),
        None | Some(Block::Heading(_) | Block::Part(_) | Block::PageBreak)
    );
    short && after_body && ends
}

impl Layouter<'_> {
    /// Measures while looking ahead: what `measure` wraps is kept for the block to take.
    fn ahead(&self, measure: impl FnOnce() -> f32) -> f32 {
        self.looking_ahead.set(self.looking_ahead.get() + 1);
        let h = measure();
        self.looking_ahead.set(self.looking_ahead.get() - 1);
        h
    }

    /// The height of a short closing block, laid whole.
    pub(super) fn height(&self, block: &Block) -> f32 {
        self.ahead(|| self.height_now(block))
    }

    fn height_now(&self, block: &Block) -> f32 {
        let lh = BODY * LEADING;
        match block {
            Block::Paragraph(text) => {
                self.wrap(text, Style::Regular, BODY, WIDTH).len() as f32 * lh + 5.0
            }
            Block::Labeled { label, text } => {
                let labels = self.wrap(label, Style::SemiBold, BODY, LABEL_W - 8.0).len();
                let texts = self.wrap(text, Style::Regular, BODY, WIDTH - LABEL_W).len();
                labels.max(texts) as f32 * lh + 2.0
            }
            _ => 0.0,
        }
    }

    /// The height of block `n`'s first piece, the part a heading above it must not be parted
    /// from: a heading's own with what it leads, a table's header and first rows, a list's
    /// first item, a figure whole (with its closing line).
    pub(super) fn lead(&self, blocks: &[Block], n: usize) -> f32 {
        self.ahead(|| self.lead_now(blocks, n))
    }

    fn lead_now(&self, blocks: &[Block], n: usize) -> f32 {
        let Some(block) = blocks.get(n) else {
            return 0.0;
        };
        let lh = BODY * LEADING;
        let closing = if closes(blocks, n + 1) {
            blocks.get(n + 1).map_or(0.0, |b| self.height(b))
        } else {
            0.0
        };
        match block {
            Block::Heading(text) => {
                self.wrap(text, Style::Bold, 13.0, WIDTH).len() as f32 * 13.0 * 1.25
                    + 14.0
                    + self.lead(blocks, n + 1)
            }
            Block::Subheading(text) => {
                self.wrap(text, Style::SemiBold, 10.5, WIDTH).len() as f32 * 10.5 * LEADING
                    + 7.0
                    + self.lead(blocks, n + 1)
            }
            Block::Paragraph(text) => {
                let lines = self.wrap(text, Style::Regular, BODY, WIDTH).len();
                if lines <= 3 {
                    lines as f32 * lh + closing
                } else {
                    2.0 * lh
                }
            }
            Block::Lead(text) => {
                let lines = self.wrap(text, Style::Italic, 10.5, WIDTH).len();
                lines.min(2) as f32 * 10.5 * LEADING
            }
            Block::Labeled { .. } => self.height(block).min(SHORT as f32 * lh) + closing,
            Block::Bullets(items) => {
                let take = if items.len() <= 3 { items.len() } else { 2 };
                let whole = if take == items.len() { closing } else { 0.0 };
                items
                    .iter()
                    .take(take)
                    .map(|i| self.bullet_height(i))
                    .sum::<f32>()
                    + whole
            }
            Block::Links(items) => items.first().map_or(0.0, |i| self.bullet_height(i)),
            Block::Steps(_) => (BODY + 0.5) * LEADING * 2.0,
            Block::Table(table) => self.table_lead(table) + closing,
            Block::Meters(meters) => self.meters_lead(meters) + closing,
            Block::HeatMap(_) => figures::HEAT_MAP_H + closing,
            Block::Timeline(_) => 70.0,
            Block::Callout { title, items, .. } => self.callout_height(title, items),
            Block::Chips(chips) => self.chips_height(chips) + closing,
            Block::Contents(_) => 11.0 * 1.7,
            Block::Spacer(h) => *h,
            Block::Title { .. } | Block::PageBreak | Block::Part(_) => 0.0,
        }
    }

    /// Running text with its first and last two lines kept together (a text of three lines or
    /// fewer whole), the last with the closing line that follows.
    pub(super) fn running(&mut self, lines: Vec<Line>, size: f32, style_colour: Rgb) {
        let lh = size * LEADING;
        let n = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            let together = if n <= 3 {
                if i == 0 { n } else { 1 }
            } else if i == 0 || i == n - 2 {
                2
            } else {
                1
            };
            let after = if i + together >= n {
                self.keep_after
            } else {
                0.0
            };
            self.ensure(together as f32 * lh + after);
            self.text(MARGIN, self.y, size, style_colour, line);
            self.y -= lh;
        }
    }

    pub(super) fn bullet_height(&self, item: &str) -> f32 {
        self.wrap(item, Style::Regular, BODY, WIDTH - 14.0)
            .len()
            .max(1) as f32
            * BODY
            * LEADING
            + 2.0
    }

    /// The height of a row of chips as it wraps across the width.
    pub(super) fn chips_height(&self, chips: &[Chip]) -> f32 {
        let mut rows = 1;
        let mut at = MARGIN;
        for chip in chips {
            let w = self.chip_width(chip);
            if at + w > MARGIN + WIDTH && at > MARGIN {
                rows += 1;
                at = MARGIN;
            }
            at += w + 6.0;
        }
        16.0 + 18.0 * (rows - 1) as f32 + 6.0
    }
}
