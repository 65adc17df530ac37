//! A laid-out page as printpdf operations: shapes, shaped text runs and the tags that make
//! the PDF readable to a screen reader.

use super::*;

pub(super) fn colour(c: Rgb) -> Color {
    Color::Rgb(printpdf::Rgb {
        r: c.0,
        g: c.1,
        b: c.2,
        icc_profile: None,
    })
}

pub(super) fn point(x: f32, y: f32) -> Point {
    Point { x: Pt(x), y: Pt(y) }
}

/// A rectangle with rounded corners (cubic Bézier arcs), or square when `r` is 0.
pub(super) fn rounded(x: f32, y: f32, w: f32, h: f32, r: f32) -> Polygon {
    let r = r.min(w / 2.0).min(h / 2.0);
    let k = r * 0.552_284_8;
    let on = |x, y| LinePoint {
        p: point(x, y),
        bezier: false,
    };
    let ctl = |x, y| LinePoint {
        p: point(x, y),
        bezier: true,
    };
    let points = if r <= 0.0 {
        vec![on(x, y), on(x + w, y), on(x + w, y + h), on(x, y + h)]
    } else {
        vec![
            on(x + r, y),
            on(x + w - r, y),
            ctl(x + w - r + k, y),
            ctl(x + w, y + r - k),
            on(x + w, y + r),
            on(x + w, y + h - r),
            ctl(x + w, y + h - r + k),
            ctl(x + w - r + k, y + h),
            on(x + w - r, y + h),
            on(x + r, y + h),
            ctl(x + r - k, y + h),
            ctl(x, y + h - r + k),
            on(x, y + h - r),
            on(x, y + r),
            ctl(x, y + r - k),
            ctl(x + r - k, y),
            on(x + r, y),
        ]
    };
    Polygon {
        rings: vec![PolygonRing { points }],
        mode: printpdf::PaintMode::Fill,
        winding_order: WindingOrder::NonZero,
    }
}

pub(super) fn font_id(fonts: &Fonts, face: crate::fonts::FaceId) -> FontId {
    FontId(fonts.face(face).map_or("F", |f| f.name).to_owned())
}

/// A page's drawing operations, each run of content of one structure element a marked-content
/// sequence with its MCID, everything else (rules, fills, running header and footer) an
/// artifact; and which element each MCID belongs to, in MCID order.
pub(super) fn ops(
    fonts: &Fonts,
    page: &Page,
    structure: &[layout::Element],
) -> (Vec<Op>, Vec<usize>) {
    let mut out = Vec::with_capacity(page.items.len() * 4 + 8);
    let mut marks: Vec<usize> = Vec::new();
    let mut run: (layout::Tag, Vec<Op>) = (None, Vec::new());
    let flush = |(tag, ops): (layout::Tag, Vec<Op>), out: &mut Vec<Op>, marks: &mut Vec<usize>| {
        if ops.is_empty() {
            return;
        }
        match tag {
            Some(element) => {
                let role = structure.get(element).map_or("Span", |e| e.role.name());
                let mut properties = std::collections::BTreeMap::new();
                properties.insert(
                    "MCID".to_owned(),
                    printpdf::DictItem::Int(marks.len() as i64),
                );
                out.push(Op::BeginMarkedContentWithProperties {
                    tag: role.to_owned(),
                    properties: printpdf::DictItem::Dict { map: properties },
                });
                marks.push(element);
            }
            None => out.push(Op::BeginMarkedContent {
                tag: "Artifact".to_owned(),
            }),
        }
        out.extend(ops);
        out.push(Op::EndMarkedContent);
    };
    for item in &page.items {
        let tag = match item {
            Draw::Text { tag, .. } => *tag,
            Draw::Rect { .. } | Draw::Rule { .. } => None,
            Draw::Link { .. } => continue,
        };
        if tag != run.0 {
            flush(
                std::mem::replace(&mut run, (tag, Vec::new())),
                &mut out,
                &mut marks,
            );
        }
        let ops = &mut run.1;
        match item {
            Draw::Rect {
                x,
                y,
                w,
                h,
                fill,
                radius,
            } => {
                ops.push(Op::SetFillColor { col: colour(*fill) });
                ops.push(Op::DrawPolygon {
                    polygon: rounded(*x, *y, *w, *h, *radius),
                });
            }
            // Not drawn: `links` makes an annotation of it once the target's page is known.
            Draw::Link { .. } => {}
            Draw::Rule {
                x1,
                y1,
                x2,
                y2,
                colour: c,
                width,
            } => {
                ops.push(Op::SetOutlineColor { col: colour(*c) });
                ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
                ops.push(Op::DrawLine {
                    line: printpdf::Line {
                        points: vec![
                            LinePoint {
                                p: point(*x1, *y1),
                                bezier: false,
                            },
                            LinePoint {
                                p: point(*x2, *y2),
                                bezier: false,
                            },
                        ],
                        is_closed: false,
                    },
                });
            }
            Draw::Text {
                x,
                baseline,
                size,
                colour: c,
                line,
                ..
            } => {
                if line.runs.is_empty() {
                    continue;
                }
                ops.push(Op::StartTextSection);
                ops.push(Op::SetFillColor { col: colour(*c) });
                ops.push(Op::SetTextCursor {
                    pos: point(*x, *baseline),
                });
                // The text rise in points: a mark the shaper moved up or down is drawn there.
                let mut raised = 0.0;
                let mut stroked = false;
                for run in &line.runs {
                    ops.push(Op::SetFont {
                        font: PdfFontHandle::External(font_id(fonts, run.face)),
                        size: Pt(*size),
                    });
                    // Synthetic bold: the outline stroked in the fill's colour as well as filled.
                    if (run.embolden > 0.0) != stroked {
                        stroked = run.embolden > 0.0;
                        if stroked {
                            ops.push(Op::SetOutlineColor { col: colour(*c) });
                            ops.push(Op::SetOutlineThickness {
                                pt: Pt(run.embolden * size),
                            });
                        }
                        ops.push(Op::SetTextRenderingMode {
                            mode: if stroked {
                                printpdf::TextRenderingMode::FillStroke
                            } else {
                                printpdf::TextRenderingMode::Fill
                            },
                        });
                    }
                    // A run whose face reorders letters (Devanagari) carries its text whole, as
                    // /ActualText (the line's closing space in it).
                    let actual = fonts.face(run.face).is_some_and(|f| f.copies_whole());
                    if actual {
                        let last = std::ptr::eq(run, line.runs.last().unwrap_or(run));
                        let text = if last {
                            format!("{} ", run.text)
                        } else {
                            run.text.clone()
                        };
                        let mut properties = std::collections::BTreeMap::new();
                        properties.insert(
                            "ActualText".to_owned(),
                            printpdf::DictItem::String {
                                data: crate::hygiene::utf16(&text),
                                literal: false,
                            },
                        );
                        ops.push(Op::BeginMarkedContentWithProperties {
                            tag: "Span".to_owned(),
                            properties: printpdf::DictItem::Dict { map: properties },
                        });
                    }
                    for (rise, items) in shaped(fonts, run) {
                        let rise = (rise * size * 1000.0).round() / 1000.0;
                        if rise != raised {
                            ops.push(Op::SetLineOffset { multiplier: rise });
                            raised = rise;
                        }
                        ops.push(Op::ShowText { items });
                    }
                    if actual {
                        ops.push(Op::EndMarkedContent);
                    }
                }
                // A space after each line, past its end where it shows nothing: text read in
                // structure order (a screen reader, a copy of a paragraph) keeps the word break
                // that the line break was. It joins the line's last glyphs, in their font.
                if let (Some(space), Some(Op::ShowText { items })) = (
                    line.runs
                        .last()
                        .and_then(|r| fonts.face(r.face))
                        .and_then(|f| f.metrics.glyph_index(' ')),
                    ops.last_mut(),
                ) && let Some(TextItem::GlyphIds(glyphs)) = items.last_mut()
                {
                    glyphs.push(Codepoint::with_cid(space.0, 0.0, " ".to_owned()));
                }
                if raised != 0.0 {
                    ops.push(Op::SetLineOffset { multiplier: 0.0 });
                }
                if stroked {
                    ops.push(Op::SetTextRenderingMode {
                        mode: printpdf::TextRenderingMode::Fill,
                    });
                }
                ops.push(Op::EndTextSection);
            }
        }
    }
    flush(run, &mut out, &mut marks);
    (out, marks)
}

/// A shaped run as PDF text: its glyphs by id, each followed by the move that puts the next one
/// where the shaper placed it (a TJ number moves the pen back by n/1000 em from where the
/// glyph's own advance left it), and the text each stands for, so copying and searching the
/// PDF give the words back. Split where the shaper moved glyphs up or down (marks on their
/// letters): each piece with its rise in em, shown after the last one ended.
pub(super) fn shaped(fonts: &Fonts, run: &text::Run) -> Vec<(f32, Vec<TextItem>)> {
    let Some(face) = fonts.face(run.face) else {
        return vec![(0.0, vec![TextItem::Text(run.text.clone())])];
    };
    let em = face.units_per_em;
    // Rounded, so the same run always writes the same bytes.
    let thousandths = |v: f32| (v * 1000.0 * 1000.0).round() / 1000.0;
    let mut pieces: Vec<(f32, Vec<TextItem>)> = Vec::with_capacity(1);
    let mut items = Vec::with_capacity(2);
    if let Some(first) = run.glyphs.first()
        && first.x_offset != 0.0
    {
        items.push(TextItem::Offset(-thousandths(first.x_offset)));
    }
    let mut rise = run.glyphs.first().map_or(0.0, |g| g.y_offset);
    let mut codepoints = Vec::with_capacity(run.glyphs.len());
    for (n, g) in run.glyphs.iter().enumerate() {
        if g.y_offset != rise {
            items.push(TextItem::GlyphIds(std::mem::take(&mut codepoints)));
            pieces.push((rise, std::mem::take(&mut items)));
            rise = g.y_offset;
        }
        let drawn = face
            .metrics
            .glyph_hor_advance(ttf_parser::GlyphId(g.id))
            .map_or(0.0, |a| f32::from(a) / em);
        let next = run.glyphs.get(n + 1).map_or(0.0, |g| g.x_offset);
        let adjust = thousandths(drawn + g.x_offset - g.advance - next);
        codepoints.push(match &g.text {
            Some(text) => Codepoint::with_cid(g.id, adjust, text.clone()),
            None => Codepoint::new(g.id, adjust),
        });
    }
    items.push(TextItem::GlyphIds(codepoints));
    pieces.push((rise, items));
    pieces
}
