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
            Cell::Muted(t) => (t.as_str(), Style::Regular, MUTED),
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

    pub(super) fn table(&mut self, table: &Table) {
        let widths: Vec<f32> = table.columns.iter().map(|c| c.share * WIDTH).collect();
        let lh = TABLE_TEXT * 1.3;
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
            header.iter().map(Vec::len).max().unwrap_or(1) as f32 * lh + 2.0 * CELL_PAD_Y;
        let body_h = |rows: usize| rows as f32 * lh + 2.0 * CELL_PAD_Y;
        self.ensure(header_h + body_h(2));
        self.table_header(&header, &widths, header_h);
        for (n, row) in table.rows.iter().enumerate() {
            let cells: Vec<(Vec<Line>, Style, Rgb, bool)> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| {
                    let (lines, style, colour) = self.cell_lines(cell, *w);
                    (lines, style, colour, matches!(cell, Cell::Chip(_)))
                })
                .collect();
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
                let page_capacity = ((CONTENT_TOP - self.bottom - header_h - 2.0 * CELL_PAD_Y) / lh)
                    .floor() as usize;
                let take = if needed <= self.y - self.bottom {
                    remaining
                } else if remaining <= page_capacity || capacity < 2 {
                    // Move the row to the next page, under a repeated header.
                    self.new_page();
                    self.table_header(&header, &widths, header_h);
                    continue;
                } else {
                    capacity
                };
                let h = body_h(take);
                if n % 2 == 1 {
                    self.page.items.push(Draw::Rect {
                        x: MARGIN,
                        y: self.y - h,
                        w: WIDTH,
                        h,
                        fill: ZEBRA,
                        radius: 0.0,
                    });
                }
                let mut x = MARGIN;
                for ((lines, style, colour, chip), w) in cells.iter().zip(&widths) {
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
                from += take;
                if from >= cells.iter().map(|c| c.0.len()).max().unwrap_or(0) {
                    break;
                }
                self.new_page();
                self.table_header(&header, &widths, header_h);
            }
        }
        self.y -= 10.0;
    }

    pub(super) fn table_header(&mut self, header: &[Vec<Line>], widths: &[f32], h: f32) {
        self.page.items.push(Draw::Rect {
            x: MARGIN,
            y: self.y - h,
            w: WIDTH,
            h,
            fill: HEADER_FILL,
            radius: 0.0,
        });
        let mut x = MARGIN;
        let lh = TABLE_TEXT * 1.3;
        for (lines, w) in header.iter().zip(widths) {
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
