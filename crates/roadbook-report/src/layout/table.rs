//! Tables: rows that keep together, headers repeated on every page a table runs onto.

use super::*;

impl Layouter<'_> {
    pub(super) fn cell_lines(&self, cell: &Cell, width: f32) -> (Vec<Line>, Style, Rgb) {
        let inner = (width - 2.0 * CELL_PAD_X).max(8.0);
        if let Cell::Titled { title, detail } = cell {
            let mut lines = self.wrap(title, Style::SemiBold, TABLE_TEXT, inner);
            if !detail.is_empty() {
                lines.extend(self.wrap(detail, Style::Regular, TABLE_TEXT, inner));
            }
            return (lines, Style::Regular, INK);
        }
        let (text, style, colour) = match cell {
            Cell::Titled { .. } => ("", Style::Regular, INK),
            Cell::Text(t) => (t.as_str(), Style::Regular, INK),
            Cell::Strong(t) => (t.as_str(), Style::SemiBold, INK),
            Cell::Muted(t) | Cell::Unset(t) => (t.as_str(), Style::Regular, MUTED),
            Cell::Chip(c) => (c.label.as_str(), Style::SemiBold, c.colour),
        };
        let size = if matches!(cell, Cell::Chip(_)) {
            CHIP_TEXT
        } else {
            TABLE_TEXT
        };
        (
            self.wrap(
                text,
                style,
                size,
                if matches!(cell, Cell::Chip(_)) {
                    inner - 12.0
                } else {
                    inner
                },
            ),
            style,
            colour,
        )
    }

    /// The narrowest a cell can be without breaking a word or wrapping a chip.
    /// How narrow a cell can be without breaking a word or wrapping a chip, and how wide its
    /// content is on one line (its widest line where it has several), from one measure of each
    /// word (the line's width as its words' and spaces' widths).
    fn cell_widths(&self, cell: &Cell) -> (f32, f32) {
        let space = |style: Style| text::measure(self.fonts, " ", style, TABLE_TEXT);
        let words = |text: &str, style: Style| {
            let gap = space(style);
            let mut longest = 0.0f32;
            let mut widest = 0.0f32;
            for line in text.lines() {
                let mut width = 0.0f32;
                for (n, word) in line.split_whitespace().enumerate() {
                    let w = text::measure(self.fonts, word, style, TABLE_TEXT);
                    longest = longest.max(w);
                    width += w + if n > 0 { gap } else { 0.0 };
                }
                widest = widest.max(width);
            }
            (longest, widest)
        };
        let both = |a: (f32, f32), b: (f32, f32)| (a.0.max(b.0), a.1.max(b.1));
        match cell {
            Cell::Chip(c) => {
                let w = text::measure(self.fonts, &c.label, Style::SemiBold, CHIP_TEXT) + 12.0;
                (w, w)
            }
            Cell::Titled { title, detail } => {
                both(words(title, Style::SemiBold), words(detail, Style::Regular))
            }
            Cell::Strong(t) => words(t, Style::SemiBold),
            Cell::Text(t) | Cell::Muted(t) | Cell::Unset(t) => words(t, Style::Regular),
        }
    }

    /// Each column's width: its share of the page, widened where one of its words or chips would
    /// not fit whole (a status chip on one line, "Observability" unbroken), the room taken from
    /// the columns that have some to spare. A word longer than almost half the page is not
    /// given its width: it hyphenates.
    fn column_widths(&self, table: &Table) -> Vec<f32> {
        // A table after a heading is measured twice (for the heading to keep with its first
        // rows, then to lay it out): the second time from here.
        let key = std::ptr::from_ref(table) as usize;
        if let Some((at, widths)) = self.widths.borrow().as_ref()
            && *at == key
        {
            return widths.clone();
        }
        let widths = self.measure_columns(table);
        *self.widths.borrow_mut() = Some((key, widths.clone()));
        widths
    }

    fn measure_columns(&self, table: &Table) -> Vec<f32> {
        let shares: Vec<f32> = table.columns.iter().map(|c| c.share * WIDTH).collect();
        let pad = 2.0 * CELL_PAD_X + SLACK;
        // Per column: the longest word or chip, and the widest content on one line.
        let (needs, full): (Vec<f32>, Vec<f32>) = table
            .columns
            .iter()
            .enumerate()
            .map(|(c, column)| {
                let header =
                    text::measure(self.fonts, &column.title, Style::Bold, TABLE_TEXT - 0.3);
                let (need, full) = table
                    .rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| self.cell_widths(cell))
                    .fold((0.0f32, header), |a, b| (a.0.max(b.0), a.1.max(b.1)));
                let longest_title_word = column
                    .title
                    .split_whitespace()
                    .map(|w| text::measure(self.fonts, w, Style::Bold, TABLE_TEXT - 0.3))
                    .fold(0.0, f32::max);
                (
                    (need.max(longest_title_word) + pad).min(WIDTH * 0.45),
                    full + pad,
                )
            })
            .unzip();
        if needs.iter().sum::<f32>() > WIDTH {
            return shares;
        }
        let mut widths: Vec<f32> = shares.iter().zip(&needs).map(|(s, n)| s.max(*n)).collect();
        let excess = widths.iter().sum::<f32>() - WIDTH;
        if excess > 0.0 {
            let spare: Vec<f32> = widths
                .iter()
                .zip(&needs)
                .map(|(w, n)| (w - n).max(0.0))
                .collect();
            let total: f32 = spare.iter().sum();
            if total > 0.0 {
                for (w, s) in widths.iter_mut().zip(spare) {
                    *w -= excess * s / total;
                }
            }
        }
        // A column wider than its widest content (a row number, a date) gives the rest to the
        // columns whose content wraps, in proportion to their width.
        let freed: f32 = widths
            .iter_mut()
            .zip(&full)
            .map(|(w, f)| {
                let spare = (*w - f).max(0.0);
                *w -= spare;
                spare
            })
            .sum();
        let wrapping: f32 = widths
            .iter()
            .zip(&full)
            .filter(|(w, f)| *w < *f)
            .map(|(w, _)| *w)
            .sum();
        if freed > 0.0 && wrapping > 0.0 {
            for (w, f) in widths.iter_mut().zip(&full) {
                if *w < *f {
                    *w += freed * *w / wrapping;
                }
            }
        } else if freed > 0.0 {
            // Everything fits on one line: the room goes back where it came from.
            let total: f32 = widths.iter().sum();
            for w in &mut widths {
                *w += freed * *w / total;
            }
        }
        widths
    }

    /// A table's header lines, their height and each column's width.
    fn table_header_lines(&self, table: &Table) -> (Vec<Vec<Line>>, f32, Vec<f32>) {
        let widths = self.column_widths(table);
        let header: Vec<Vec<Line>> = table
            .columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                self.wrap(
                    &c.title,
                    Style::Bold,
                    TABLE_TEXT - 0.3,
                    (w - 2.0 * CELL_PAD_X).max(8.0),
                )
            })
            .collect();
        let header_h =
            header.iter().map(Vec::len).max().unwrap_or(1) as f32 * ROW_LINE + 2.0 * CELL_PAD_Y;
        (header, header_h, widths)
    }

    fn row_cells(&self, row: &[Cell], widths: &[f32]) -> Vec<(Vec<Line>, Style, Rgb, bool)> {
        row.iter()
            .zip(widths)
            .map(|(cell, w)| {
                let (lines, style, colour) = self.cell_lines(cell, *w);
                (lines, style, colour, matches!(cell, Cell::Chip(_)))
            })
            .collect()
    }

    /// The height of a table's first piece: its header and the rows that must start it.
    pub(super) fn table_lead(&self, table: &Table) -> f32 {
        let (_, header_h, widths) = self.table_header_lines(table);
        let first = first_piece(table.rows.len(), 0);
        header_h
            + table
                .rows
                .iter()
                .take(first)
                .map(|row| row_height(&self.row_cells(row, &widths)))
                .sum::<f32>()
    }

    /// Rows go on a page in pieces of at least two (or the whole table when it has three rows
    /// or fewer), so a break never leaves one row behind or carries one row over; a row is
    /// split between lines only when it is taller than a page.
    pub(super) fn table(&mut self, table: &Table) {
        let (header, header_h, widths) = self.table_header_lines(table);
        let rows: Vec<_> = table
            .rows
            .iter()
            .map(|row| self.row_cells(row, &widths))
            .collect();
        let heights: Vec<f32> = rows.iter().map(|r| row_height(r)).collect();
        let count = rows.len();
        let keep_after = self.keep_after;
        // The rows from `n` that must share a page, and the room they need with what must
        // follow them (the section's closing line after the last row).
        let group = |n: usize, starts_piece: bool| {
            let take = if starts_piece {
                first_piece(count, n)
            } else if count - n == 2 {
                2
            } else {
                1
            };
            let after = if n + take >= count { keep_after } else { 0.0 };
            heights.iter().skip(n).take(take).sum::<f32>() + after
        };
        self.ensure(header_h + group(0, true));
        // The table, its header row of TH cells (the header repeated on a later page is an
        // artifact) and a TR of TD cells per row.
        let element = self.begin(Role::Table);
        let head = self.element(Role::TR, element);
        let heads: Vec<usize> = (0..widths.len())
            .map(|_| self.element(Role::TH, head))
            .collect();
        self.table_header(&header, &widths, header_h, Some(&heads));
        let mut in_piece = 0usize;
        for (n, cells) in rows.iter().enumerate() {
            if in_piece > 0 && group(n, false) > self.y - self.bottom {
                self.new_page();
                self.table_header(&header, &widths, header_h, None);
                in_piece = 0;
            }
            let row = self.element(Role::TR, element);
            let data: Vec<usize> = (0..widths.len())
                .map(|_| self.element(Role::TD, row))
                .collect();
            self.table_row(n, cells, &widths, (&header, header_h), &data);
            in_piece += 1;
        }
        self.y -= 10.0;
    }

    /// One row at the cursor; split between its lines only where it is taller than the room a
    /// fresh page gives it.
    fn table_row(
        &mut self,
        n: usize,
        cells: &[(Vec<Line>, Style, Rgb, bool)],
        widths: &[f32],
        (header, header_h): (&[Vec<Line>], f32),
        data: &[usize],
    ) {
        let lh = ROW_LINE;
        let body_h = |rows: usize| rows as f32 * lh + 2.0 * CELL_PAD_Y;
        let mut from = 0usize;
        loop {
            let remaining = cells
                .iter()
                .map(|c| c.0.len().saturating_sub(from))
                .max()
                .unwrap_or(0)
                .max(1);
            let needed = body_h(remaining);
            let capacity = ((self.y - self.bottom - 2.0 * CELL_PAD_Y) / lh)
                .floor()
                .max(0.0) as usize;
            let page_capacity =
                ((CONTENT_TOP - self.bottom - header_h - 2.0 * CELL_PAD_Y) / lh).floor() as usize;
            let take = if needed <= self.y - self.bottom {
                remaining
            } else if remaining <= page_capacity || capacity < 2 {
                // Move the row to the next page, under a repeated header.
                self.new_page();
                self.table_header(header, widths, header_h, None);
                continue;
            } else {
                capacity
            };
            let h = body_h(take);
            if n % 2 == 1 {
                self.band(h, ZEBRA);
            }
            let mut x = MARGIN;
            for (c, ((lines, style, colour, chip), w)) in cells.iter().zip(widths).enumerate() {
                self.tag = data.get(c).copied();
                let part: Vec<Line> = lines.iter().skip(from).take(take).cloned().collect();
                if *chip && !part.is_empty() {
                    let label = lines.iter().map(Line::text).collect::<Vec<_>>().join(" ");
                    let top = self.y - CELL_PAD_Y + 1.0;
                    self.chip(
                        &Chip {
                            label,
                            colour: *colour,
                        },
                        x + CELL_PAD_X,
                        top,
                        w - 2.0 * CELL_PAD_X,
                    );
                } else if !*chip {
                    let mut top = self.y - CELL_PAD_Y;
                    let size = if *style == Style::Bold {
                        TABLE_TEXT - 0.3
                    } else {
                        TABLE_TEXT
                    };
                    for line in part {
                        self.text(x + CELL_PAD_X, top, size, *colour, line);
                        top -= lh;
                    }
                }
                x += w;
            }
            self.y -= h;
            self.rule(RULE, 0.5);
            self.row();
            from += take;
            if from >= cells.iter().map(|c| c.0.len()).max().unwrap_or(0) {
                break;
            }
            self.split();
            self.new_page();
            self.table_header(header, widths, header_h, None);
        }
    }

    /// A fill across the content width, `h` tall, from the cursor down (a row's zebra stripe,
    /// the header's band).
    fn band(&mut self, h: f32, fill: Rgb) {
        self.draw(Draw::Rect {
            x: MARGIN,
            y: self.y - h,
            w: WIDTH,
            h,
            fill,
            radius: 0.0,
        });
    }

    /// The header row; `cells` are its TH elements the first time, none where it repeats.
    pub(super) fn table_header(
        &mut self,
        header: &[Vec<Line>],
        widths: &[f32],
        h: f32,
        cells: Option<&[usize]>,
    ) {
        self.band(h, HEADER_FILL);
        let mut x = MARGIN;
        let lh = TABLE_TEXT * 1.3;
        for (c, (lines, w)) in header.iter().zip(widths).enumerate() {
            self.tag = cells.and_then(|cells| cells.get(c).copied());
            let mut top = self.y - CELL_PAD_Y;
            for line in lines {
                self.text(x + CELL_PAD_X, top, TABLE_TEXT - 0.3, ACCENT, line.clone());
                top -= lh;
            }
            x += w;
        }
        self.y -= h;
        self.rule(ACCENT, 0.8);
    }
}

/// The line height inside a table.
const ROW_LINE: f32 = TABLE_TEXT * 1.3;

fn row_height(cells: &[(Vec<Line>, Style, Rgb, bool)]) -> f32 {
    cells.iter().map(|c| c.0.len()).max().unwrap_or(0).max(1) as f32 * ROW_LINE + 2.0 * CELL_PAD_Y
}

/// How many rows a piece starting at row `n` of `count` must hold: the rest when three or
/// fewer remain (a split would leave one row alone), else two.
fn first_piece(count: usize, n: usize) -> usize {
    let rest = count.saturating_sub(n);
    if rest <= 3 { rest } else { 2 }
}
