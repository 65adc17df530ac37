//! Figures: readiness meters, the risk heat map, the timeline and callouts.

use super::*;

impl Layouter<'_> {
    fn meter_lines(&self, meter: &Meter) -> (Vec<Line>, Vec<Line>, f32) {
        let label = self.wrap(&meter.label, Style::SemiBold, BODY, METER_LABEL_W - 6.0);
        let caption = self.wrap(
            &meter.caption,
            Style::Regular,
            TABLE_TEXT,
            WIDTH - METER_LABEL_W - METER_SEG_W * 3.0 - 12.0,
        );
        let rows = label.len().max(caption.len()).max(1);
        (label, caption, rows as f32 * BODY * LEADING + 6.0)
    }

    /// The meters that must start on one page: all of a short list, else the first two.
    pub(super) fn meters_lead(&self, meters: &[Meter]) -> f32 {
        let take = if meters.len() <= WHOLE_METERS {
            meters.len()
        } else {
            2
        };
        meters
            .iter()
            .take(take)
            .map(|m| self.meter_lines(m).2)
            .sum()
    }

    /// Readiness bars, one per dimension: a short list on one page, a long one in pieces of at
    /// least two, the last with the line that closes the section.
    pub(super) fn meters(&mut self, meters: &[Meter]) {
        self.figure(meters_alt(meters));
        let label_w = METER_LABEL_W;
        let seg_w = METER_SEG_W;
        let laid: Vec<_> = meters.iter().map(|m| self.meter_lines(m)).collect();
        let heights: Vec<f32> = laid.iter().map(|l| l.2).collect();
        let count = meters.len();
        for (n, (meter, (label, caption, h))) in meters.iter().zip(laid).enumerate() {
            let together: f32 = if count <= WHOLE_METERS {
                if n == 0 {
                    heights.iter().sum::<f32>() + self.keep_after
                } else {
                    h
                }
            } else if n == 0 {
                heights.iter().take(2).sum()
            } else if n + 2 == count {
                heights.iter().skip(n).sum::<f32>() + self.keep_after
            } else {
                h
            };
            self.ensure(together);
            let top = self.y;
            for (i, line) in label.into_iter().enumerate() {
                self.text(MARGIN, top - i as f32 * BODY * LEADING, BODY, INK, line);
            }
            for step in 0..3 {
                let fill = if step < meter.steps {
                    meter.colour
                } else {
                    RULE.tint(0.4)
                };
                self.draw(Draw::Rect {
                    x: MARGIN + label_w + step as f32 * seg_w,
                    y: top - 11.0,
                    w: seg_w - 3.0,
                    h: 10.0,
                    fill,
                    radius: 2.0,
                });
            }
            let cx = MARGIN + label_w + seg_w * 3.0 + 8.0;
            for (i, line) in caption.into_iter().enumerate() {
                self.text(cx, top - i as f32 * BODY * LEADING, TABLE_TEXT, MUTED, line);
            }
            self.y = top - h;
        }
        self.y -= 6.0;
    }

    pub(super) fn heat_map(&mut self, map: &HeatMap) {
        self.figure(heat_map_alt(map));
        let cell = 44.0;
        let left = MARGIN + 90.0;
        let h = HEAT_MAP_H;
        self.ensure(h + self.keep_after);
        let top = self.y;
        let levels = ["high", "medium", "low"];
        for (r, row) in map.counts.iter().enumerate() {
            let y = top - (r as f32 + 1.0) * cell;
            let label = text::line(
                self.fonts,
                levels.get(r).copied().unwrap_or(""),
                Style::Regular,
                TABLE_TEXT,
            );
            self.text(
                left - 8.0 - label.width,
                y + cell / 2.0 + TABLE_TEXT / 2.0,
                TABLE_TEXT,
                MUTED,
                label,
            );
            for (c, count) in row.iter().enumerate() {
                // Danger grows with severity (up the rows) and likelihood (along the columns).
                let danger = (2 - r) + c;
                let base = match danger {
                    0 | 1 => GREEN,
                    2 => AMBER,
                    _ => RED,
                };
                let fill = if *count == 0 {
                    base.tint(0.85)
                } else {
                    base.tint(0.35)
                };
                self.draw(Draw::Rect {
                    x: left + c as f32 * cell,
                    y,
                    w: cell - 2.0,
                    h: cell - 2.0,
                    fill,
                    radius: 3.0,
                });
                if *count > 0 {
                    let n = text::line(self.fonts, &count.to_string(), Style::Bold, 13.0);
                    self.text(
                        left + c as f32 * cell + (cell - 2.0 - n.width) / 2.0,
                        y + cell / 2.0 + 7.5,
                        13.0,
                        fill.on(),
                        n,
                    );
                }
            }
        }
        for (c, level) in ["low", "medium", "high"].iter().enumerate() {
            let label = text::line(self.fonts, level, Style::Regular, TABLE_TEXT);
            self.text(
                left + c as f32 * cell + (cell - 2.0 - label.width) / 2.0,
                top - 3.0 * cell - 4.0,
                TABLE_TEXT,
                MUTED,
                label,
            );
        }
        let axis = text::line(self.fonts, "likelihood →", Style::Italic, TABLE_TEXT);
        self.text(left, top - 3.0 * cell - 16.0, TABLE_TEXT, MUTED, axis);
        let axis = text::line(self.fonts, "severity ↑", Style::Italic, TABLE_TEXT);
        self.text(MARGIN, top - 4.0, TABLE_TEXT, MUTED, axis);
        // The legend, beside the grid: what each colour means.
        let x = left + 3.0 * cell + 28.0;
        for (n, (colour, meaning)) in [
            (RED, "Act now: severe and likely"),
            (AMBER, "Watch: serious on one count"),
            (GREEN, "Low: minor or unlikely"),
        ]
        .into_iter()
        .enumerate()
        {
            let y = top - 14.0 - n as f32 * 16.0;
            self.draw(Draw::Rect {
                x,
                y: y - 9.0,
                w: 10.0,
                h: 10.0,
                fill: colour.tint(0.35),
                radius: 2.0,
            });
            let label = text::line(self.fonts, meaning, Style::Regular, TABLE_TEXT);
            self.text(x + 16.0, y, TABLE_TEXT, INK, label);
        }
        self.y = top - h;
    }

    /// The timeline: month ticks over the rows, each phase a bar, each milestone a dot with its
    /// name, the document's day a red line. Rows that do not fit go on the next page under the
    /// months again.
    pub(super) fn timeline(&mut self, t: &Timeline) {
        let mut alt = vec!["Timeline".to_owned()];
        alt.extend(t.lines());
        self.figure(alt.join(". ") + ".");
        const HEAD: f32 = 16.0;
        const ROW: f32 = 20.0;
        const SMALL: f32 = 7.0;
        const LABEL: f32 = 132.0;
        let left = MARGIN + LABEL;
        let axis = WIDTH - LABEL;
        let x = |f: f32| left + f.clamp(0.0, 1.0) * axis;
        // Each row's milestone labels in one lane above the bar, or a second one above that
        // when their names would run into each other (the row is then taller): a name is cut
        // only where neither lane has room.
        let lanes: Vec<Lanes> = t
            .rows
            .iter()
            .map(|row| {
                let mut order: Vec<usize> = (0..row.marks.len()).collect();
                order.sort_by(|a, b| {
                    let at = |i: &usize| row.marks.get(*i).map_or(0.0, |m| m.at);
                    at(a).total_cmp(&at(b))
                });
                let mut ends = [f32::MIN, f32::MIN];
                let mut placed: Vec<(usize, usize, f32)> = Vec::new();
                for i in order {
                    let Some(mark) = row.marks.get(i) else {
                        continue;
                    };
                    let width =
                        text::measure(self.fonts, &mark_name(mark), Style::Regular, SMALL - 0.5);
                    // A name that would run past the axis' end sits before its mark instead.
                    let before = x(mark.at) + 5.0 + width > MARGIN + WIDTH;
                    let start = if before {
                        x(mark.at) - 5.0 - width
                    } else {
                        x(mark.at) + 5.0
                    };
                    let lane = if start > ends[0] + 4.0 {
                        0
                    } else if start > ends[1] + 4.0 {
                        1
                    } else if ends[0] <= ends[1] {
                        0
                    } else {
                        1
                    };
                    if let Some(end) = ends.get_mut(lane) {
                        *end = start + width;
                    }
                    placed.push((i, lane, if before { -width } else { width }));
                }
                // A label runs to the next label's mark in its lane, or the axis' end.
                let room: Vec<(usize, usize, f32)> = placed
                    .iter()
                    .enumerate()
                    .map(|(n, (i, lane, width))| {
                        // Set before its mark: as wide as it is (a negative room says so).
                        if *width < 0.0 {
                            return (*i, *lane, *width);
                        }
                        let start = row.marks.get(*i).map_or(0.0, |m| x(m.at)) + 5.0;
                        let next = placed
                            .iter()
                            .skip(n + 1)
                            .find(|(_, l, _)| l == lane)
                            .and_then(|(j, _, _)| row.marks.get(*j))
                            .map_or(MARGIN + WIDTH, |m| x(m.at) - 5.0);
                        (*i, *lane, next - start - 1.0)
                    })
                    .collect();
                let height = if placed.iter().any(|(_, lane, _)| *lane == 1) {
                    ROW + 8.0
                } else {
                    ROW
                };
                (room, height)
            })
            .collect();
        let mut rows = t.rows.iter().zip(&lanes).peekable();
        while rows.peek().is_some() {
            self.ensure(HEAD + ROW * 2.0 + 14.0);
            let mut room = self.y - self.bottom - HEAD - 14.0;
            let mut chunk: Vec<(&TimelineRow, &Lanes)> = Vec::new();
            while let Some((_, (_, height))) = rows.peek() {
                if *height > room && !chunk.is_empty() {
                    break;
                }
                room -= *height;
                chunk.extend(rows.next());
            }
            let top = self.y;
            let bottom = top - HEAD - chunk.iter().map(|(_, (_, h))| h).sum::<f32>();
            for (at, label) in &t.ticks {
                self.draw(Draw::Rule {
                    x1: x(*at),
                    y1: top - HEAD + 3.0,
                    x2: x(*at),
                    y2: bottom,
                    colour: RULE,
                    width: 0.5,
                });
                let line = text::line(self.fonts, label, Style::Regular, SMALL);
                self.text(x(*at) + 2.0, top, SMALL, MUTED, line);
            }
            // The day's line first: bars, marks and names are drawn over it.
            if let Some(today) = t.today {
                self.draw(Draw::Rule {
                    x1: x(today),
                    y1: top - HEAD + 3.0,
                    x2: x(today),
                    y2: bottom - 3.0,
                    colour: RED,
                    width: 1.0,
                });
            }
            let mut row_top = top - HEAD;
            for (row, (placed, height)) in chunk {
                // A row with a second lane of names has it above the first: the bar sits lower.
                let mid = if *height > ROW {
                    row_top - 20.0
                } else {
                    row_top - height / 2.0
                };
                row_top -= height;
                // The phase's name on up to two lines beside its bar, cut only after that.
                let mut names = self.wrap(&row.label, Style::SemiBold, SMALL + 0.5, LABEL - 8.0);
                if names.len() > 2 {
                    let rest: Vec<String> = names.iter().skip(1).map(Line::text).collect();
                    names.truncate(1);
                    names.push(text::fit(
                        self.fonts,
                        &rest.join(" "),
                        Style::SemiBold,
                        SMALL + 0.5,
                        LABEL - 8.0,
                    ));
                }
                let lh = (SMALL + 0.5) * 1.15;
                let first = mid + (SMALL + 0.5) / 2.0 + (names.len() as f32 - 1.0) * lh / 2.0;
                for (n, name) in names.into_iter().enumerate() {
                    self.text(MARGIN, first - n as f32 * lh, SMALL + 0.5, INK, name);
                }
                if let Some((from, to)) = row.bar.as_ref().and_then(|b| b.then) {
                    // Where the phase stood at the baseline: a thin bar just under today's.
                    self.draw(Draw::Rect {
                        x: x(from),
                        y: mid - 9.0,
                        w: (x(to) - x(from)).max(3.0),
                        h: 3.0,
                        fill: GHOST,
                        radius: 1.0,
                    });
                }
                if let Some(bar) = &row.bar {
                    self.draw(Draw::Rect {
                        x: x(bar.from),
                        y: mid - 5.0,
                        w: (x(bar.to) - x(bar.from)).max(3.0),
                        h: 10.0,
                        fill: if bar.open {
                            GREY.tint(0.5)
                        } else {
                            ACCENT.tint(0.35)
                        },
                        radius: 2.0,
                    });
                }
                for (i, lane, room) in placed {
                    let Some(mark) = row.marks.get(*i) else {
                        continue;
                    };
                    let at = x(mark.at);
                    if let Some(then) = mark.then_at.map(x) {
                        // Where its target stood at the baseline, joined to where it is.
                        if (then - at).abs() > 1.0 {
                            self.draw(Draw::Rule {
                                x1: then,
                                y1: mid,
                                x2: at,
                                y2: mid,
                                colour: GHOST,
                                width: 1.0,
                            });
                        }
                        self.draw(Draw::Rect {
                            x: then - 2.5,
                            y: mid - 2.5,
                            w: 5.0,
                            h: 5.0,
                            fill: GHOST,
                            radius: 2.5,
                        });
                    }
                    let fill = if mark.late { RED } else { AMBER };
                    self.draw(Draw::Rect {
                        x: at - 3.5,
                        y: mid - 3.5,
                        w: 7.0,
                        h: 7.0,
                        fill,
                        radius: 3.5,
                    });
                    if room.abs() > 12.0 {
                        let line = text::fit(
                            self.fonts,
                            &mark_name(mark),
                            Style::Regular,
                            SMALL - 0.5,
                            room.abs(),
                        );
                        let top = if *lane == 0 { mid + 12.0 } else { mid + 20.0 };
                        let left = if *room < 0.0 {
                            at - 5.0 - line.width
                        } else {
                            at + 5.0
                        };
                        // On white, so the day's line and the month rules do not run through it.
                        self.draw(Draw::Rect {
                            x: left - 1.0,
                            y: top - SMALL,
                            w: line.width + 2.0,
                            h: SMALL,
                            fill: WHITE,
                            radius: 0.0,
                        });
                        self.text(left, top, SMALL - 0.5, INK, line);
                    }
                }
            }
            if let Some(today) = t.today {
                let line = text::line(self.fonts, "today", Style::SemiBold, SMALL);
                self.text(x(today) - line.width / 2.0, bottom - 3.0, SMALL, RED, line);
            }
            self.y = bottom - 14.0;
        }
    }

    fn callout_lines(&self, title: &str, items: &[String]) -> (Vec<Line>, Vec<Vec<Line>>, f32) {
        let inner = WIDTH - 26.0;
        let title_lines = self.wrap(title, Style::Bold, BODY + 0.5, inner);
        let bodies: Vec<Vec<Line>> = items
            .iter()
            .map(|i| self.wrap(i, Style::Regular, BODY, inner - 12.0))
            .collect();
        let lh = BODY * LEADING;
        let h = (title_lines.len() + bodies.iter().map(Vec::len).sum::<usize>()) as f32 * lh + 20.0;
        (title_lines, bodies, h)
    }

    pub(super) fn callout_height(&self, title: &str, items: &[String]) -> f32 {
        self.callout_lines(title, items).2
    }

    pub(super) fn callout(&mut self, title: &str, items: &[String], colour: Rgb) {
        let (title_lines, bodies, h) = self.callout_lines(title, items);
        // A callout taller than a page is laid out as a heading and bullets instead.
        if h > CONTENT_TOP - self.bottom {
            self.block(&Block::Subheading(title.to_owned()));
            self.block(&Block::Bullets(items.to_vec()));
            return;
        }
        self.ensure(h + self.keep_after);
        let top = self.y;
        self.draw(Draw::Rect {
            x: MARGIN,
            y: top - h,
            w: WIDTH,
            h,
            fill: colour.tint(0.9),
            radius: 3.0,
        });
        self.draw(Draw::Rect {
            x: MARGIN,
            y: top - h,
            w: 3.5,
            h,
            fill: colour,
            radius: 0.0,
        });
        self.y = top - 10.0;
        self.begin(Role::P);
        self.lines(title_lines, MARGIN + 14.0, BODY + 0.5, INK);
        let list = self.begin(Role::L);
        for lines in bodies {
            let item = self.element(Role::LI, list);
            self.begin_in(Role::Lbl, item);
            let bullet = text::line(self.fonts, "•", Style::Regular, BODY);
            self.text(MARGIN + 15.0, self.y, BODY, colour, bullet);
            self.begin_in(Role::LBody, item);
            self.lines(lines, MARGIN + 26.0, BODY, INK);
        }
        self.y = top - h - 10.0;
    }
}

const METER_LABEL_W: f32 = WIDTH * 0.34;
const METER_SEG_W: f32 = (WIDTH * 0.36) / 3.0;
/// Readiness lists this long or shorter stay on one page.
const WHOLE_METERS: usize = 8;
/// The heat map's height: three rows of cells and the axis labels.
pub(super) const HEAT_MAP_H: f32 = 44.0 * 3.0 + 44.0;

/// What the readiness bars show, in words.
fn meters_alt(meters: &[Meter]) -> String {
    let each: Vec<String> = meters
        .iter()
        .map(|m| {
            let state = match m.steps {
                0 | 1 => "not ready",
                2 => "partly ready",
                _ => "ready",
            };
            format!("{}: {state} ({})", m.label, m.caption)
        })
        .collect();
    format!("Readiness by dimension. {}.", each.join("; "))
}

/// What the heat map shows, in words: the count in each cell that has any, most severe first.
fn heat_map_alt(map: &HeatMap) -> String {
    let severity = ["high", "medium", "low"];
    let likelihood = ["low", "medium", "high"];
    let mut cells = Vec::new();
    for (r, row) in map.counts.iter().enumerate() {
        for c in (0..3).rev() {
            let count = row.get(c).copied().unwrap_or(0);
            if count > 0 {
                cells.push(format!(
                    "{count} {} {} severity and {} likelihood",
                    if count == 1 { "is" } else { "are" },
                    severity.get(r).copied().unwrap_or(""),
                    likelihood.get(c).copied().unwrap_or("")
                ));
            }
        }
    }
    if cells.is_empty() {
        return "Open risks by severity and likelihood: there are no open risks.".to_owned();
    }
    let total: usize = map.counts.iter().flatten().sum();
    format!(
        "Open risks by severity and likelihood, {total} in all: {}.",
        cells.join("; ")
    )
}

/// A milestone's name on the timeline, "(late)" when past its target and not reached.
fn mark_name(mark: &TimelineMark) -> String {
    if mark.late {
        format!("{} (late)", mark.name)
    } else {
        mark.name.clone()
    }
}

/// A timeline row's milestone labels, each (milestone, lane: 0 just above the bar, 1 above that,
/// room for its name in points), and the row's height.
type Lanes = (Vec<(usize, usize, f32)>, f32);
