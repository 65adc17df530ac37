//! Laid-out pages to PDF bytes through printpdf's low-level operations.

use chrono::{DateTime, Utc};
use printpdf::{
    Codepoint, Color, FontId, LinePoint, Mm, Op, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Polygon, PolygonRing, Pt, TextItem, WindingOrder,
};
use sha2::{Digest, Sha256};

use crate::ReportError;
use crate::fonts::{Fonts, Style};
use crate::layout::{
    self, Block, Draw, INK, Laid, MARGIN, MUTED, PAGE_H, PAGE_W, Page, RULE, Rgb, WIDTH,
};
use crate::text;

/// What the header, footer and PDF metadata say.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The document's title ("Leadership Readout").
    pub title: String,
    pub program: String,
    pub author: String,
    pub subject: String,
    /// The moment the document speaks for: its date and its PDF creation date.
    pub as_of: DateTime<Utc>,
    /// The program's classification marking ("Internal"), set in every page's footer; empty:
    /// none.
    pub classification: String,
}

/// Lays out `blocks` and writes the PDF. The same blocks and meta give the same bytes.
pub fn render(blocks: &[Block], meta: &Meta) -> Result<Vec<u8>, ReportError> {
    render_counted(blocks, meta).map(|(bytes, _)| bytes)
}

/// [`render`], also returning the number of pages.
pub(crate) fn render_counted(
    blocks: &[Block],
    meta: &Meta,
) -> Result<(Vec<u8>, usize), ReportError> {
    let fonts = Fonts::get()?;
    let mut laid = std::thread::scope(|scope| {
        scope.spawn(|| fonts.parse_common());
        layout::lay_out(fonts, blocks)
    });
    let total = laid.pages.len();
    // In a document of parts (the handbook) each page's header names the part it is in: the
    // last one started on or before it.
    let mut starts: Vec<(usize, &str)> = laid
        .anchors
        .iter()
        .map(|(title, page)| (*page, title.as_str()))
        .collect();
    starts.sort();
    let mut starts = starts.into_iter().peekable();
    let mut part = None;
    for (n, page) in laid.pages.iter_mut().enumerate() {
        while let Some((_, title)) = starts.next_if(|(start, _)| *start <= n) {
            part = Some(title);
        }
        decorate(fonts, page, (n + 1, total), meta, part);
    }
    Ok((write(fonts, &laid, meta, (PAGE_W, PAGE_H))?, total))
}

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
const SLIDE_MARGIN: f32 = 40.0;
/// Where a slide's content starts, below its title band, and where it ends, above its footer.
const SLIDE_TOP: f32 = SLIDE_H - 96.0;
const SLIDE_BOTTOM: f32 = 44.0;

/// Lays a deck out: each slide's blocks set on the document's page width and drawn larger (the
/// width of the slide over that of the page), so a table or chart reads from the back of a room;
/// content longer than a slide goes on to one marked "(continued)". The same slides and meta
/// give the same bytes.
pub fn render_deck(slides: &[Slide], meta: &Meta) -> Result<(Vec<u8>, usize), ReportError> {
    let fonts = Fonts::get()?;
    let scale = (SLIDE_W - 2.0 * SLIDE_MARGIN) / WIDTH;
    let height = (SLIDE_TOP - SLIDE_BOTTOM) / scale;
    let mut deck = Laid::default();
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
fn slide_frame(
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

/// The classification marking ("Internal"), centred on the footer's line in the ink colour, so
/// it reads as policy rather than as a page number; nothing when the program sets none.
fn marking(fonts: &Fonts, page: &mut Page, meta: &Meta, size: f32, (page_w, baseline): (f32, f32)) {
    let marking = meta.classification.trim();
    if marking.is_empty() {
        return;
    }
    let line = text::fit(fonts, marking, Style::SemiBold, size, page_w / 4.0);
    page.items.push(Draw::Text {
        x: (page_w - line.width) / 2.0,
        baseline,
        size,
        colour: INK,
        line,
        tag: None,
    });
}

/// The running header and footer: program, document title (and the part the page is in, in a
/// document of parts), as-of date, "Page N of M".
fn decorate(
    fonts: &Fonts,
    page: &mut Page,
    (number, total): (usize, usize),
    meta: &Meta,
    part: Option<&str>,
) {
    let size = 7.8;
    let half = WIDTH / 2.0 - 8.0;
    let program = text::fit(fonts, &meta.program, Style::SemiBold, size, half);
    let heading = match part {
        Some(part) => format!("{} · {part}", meta.title),
        None => meta.title.clone(),
    };
    let title = text::fit(fonts, &heading, Style::Regular, size, half);
    let top = PAGE_H - 36.0;
    let right = MARGIN + WIDTH;
    page.items.push(Draw::Text {
        x: MARGIN,
        baseline: top,
        size,
        colour: INK,
        line: program,
        tag: None,
    });
    let x = right - title.width;
    page.items.push(Draw::Text {
        x,
        baseline: top,
        size,
        colour: MUTED,
        line: title,
        tag: None,
    });
    page.items.push(Draw::Rule {
        x1: MARGIN,
        y1: top - 6.0,
        x2: right,
        y2: top - 6.0,
        colour: RULE,
        width: 0.6,
    });

    let bottom = 34.0;
    page.items.push(Draw::Rule {
        x1: MARGIN,
        y1: bottom + 11.0,
        x2: right,
        y2: bottom + 11.0,
        colour: RULE,
        width: 0.6,
    });
    let date = text::fit(
        fonts,
        &format!("As of {}", crate::day(meta.as_of.date_naive())),
        Style::Regular,
        size,
        half,
    );
    page.items.push(Draw::Text {
        x: MARGIN,
        baseline: bottom,
        size,
        colour: MUTED,
        line: date,
        tag: None,
    });
    let count = text::line(
        fonts,
        &format!("Page {number} of {total}"),
        Style::Regular,
        size,
    );
    let x = right - count.width;
    page.items.push(Draw::Text {
        x,
        baseline: bottom,
        size,
        colour: MUTED,
        line: count,
        tag: None,
    });
    marking(fonts, page, meta, size, (PAGE_W, bottom));
}

fn colour(c: Rgb) -> Color {
    Color::Rgb(printpdf::Rgb {
        r: c.0,
        g: c.1,
        b: c.2,
        icc_profile: None,
    })
}

fn point(x: f32, y: f32) -> Point {
    Point { x: Pt(x), y: Pt(y) }
}

/// A rectangle with rounded corners (cubic Bézier arcs), or square when `r` is 0.
fn rounded(x: f32, y: f32, w: f32, h: f32, r: f32) -> Polygon {
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

fn font_id(fonts: &Fonts, face: crate::fonts::FaceId) -> FontId {
    FontId(fonts.face(face).map_or("F", |f| f.name).to_owned())
}

/// A page's drawing operations, each run of content of one structure element a marked-content
/// sequence with its MCID, everything else (rules, fills, running header and footer) an
/// artifact; and which element each MCID belongs to, in MCID order.
fn ops(fonts: &Fonts, page: &Page, structure: &[layout::Element]) -> (Vec<Op>, Vec<usize>) {
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
fn shaped(fonts: &Fonts, run: &text::Run) -> Vec<(f32, Vec<TextItem>)> {
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

fn write(
    fonts: &Fonts,
    laid: &Laid,
    meta: &Meta,
    (width, height): (f32, f32),
) -> Result<Vec<u8>, ReportError> {
    let mut doc = PdfDocument::new(&meta.title);
    let when = printpdf::OffsetDateTime::from_unix_timestamp(meta.as_of.timestamp())
        .map_err(|e| ReportError::Pdf(format!("as-of date: {e}")))?;
    let info = &mut doc.metadata.info;
    info.document_title = format!("{} — {}", meta.title, meta.program);
    info.author = meta.author.clone();
    info.subject = meta.subject.clone();
    info.creator = "Roadbook".to_owned();
    info.producer = format!("Roadbook {} (printpdf)", env!("CARGO_PKG_VERSION"));
    info.creation_date = when;
    info.modification_date = when;
    info.metadata_date = when;

    // Resource names chosen here, not drawn from printpdf's counter, so that two documents made
    // in one process are byte-identical when their content is.
    for face in layout::faces_used(&laid.pages) {
        let parsed = fonts.parsed(face)?;
        doc.resources
            .fonts
            .map
            .insert(font_id(fonts, face), printpdf::PdfFont::new(parsed.clone()));
    }
    let mut marks = Vec::with_capacity(laid.pages.len());
    let mut annotations = Vec::with_capacity(laid.pages.len());
    let pages: Vec<PdfPage> = laid
        .pages
        .iter()
        .map(|page| {
            let (mut ops, page_marks) = ops(fonts, page, &laid.structure);
            let (links, tags) = links(page, &laid.anchors, height);
            ops.extend(links);
            marks.push(page_marks);
            annotations.push(tags);
            PdfPage::new(Mm::from(Pt(width)), Mm::from(Pt(height)), ops)
        })
        .collect();
    // Not printpdf's own `optimize`: it compresses at zlib's best level (see `compress`).
    let options = PdfSaveOptions {
        subset_fonts: true,
        optimize: false,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    doc.with_pages(pages);
    let mut lopdf_doc = printpdf::to_lopdf_doc(&doc, &options, &mut warnings);
    crate::hygiene::tidy(&mut lopdf_doc, !laid.outline.is_empty());
    crate::hygiene::outline(&mut lopdf_doc, &laid.outline);
    crate::tagging::tag(
        &mut lopdf_doc,
        &laid.structure,
        &crate::tagging::Marks {
            content: &marks,
            annotations: &annotations,
        },
        meta,
    )?;
    compress_all(&mut lopdf_doc)?;
    let mut bytes = Vec::new();
    lopdf_doc
        .save_to(&mut bytes)
        .map_err(|e| ReportError::Pdf(e.to_string()))?;
    settle(bytes)
}

/// The page's links to parts of this document, each to the top of the page the part starts on;
/// a link whose target is not a part here (a reference to a page outside the document) is none.
/// With them, each annotation's Link element, in order.
fn links(
    page: &Page,
    anchors: &std::collections::BTreeMap<String, usize>,
    height: f32,
) -> (Vec<Op>, Vec<layout::Tag>) {
    page.items
        .iter()
        .filter_map(|item| match item {
            Draw::Link {
                x,
                y,
                w,
                h,
                target,
                tag,
            } => {
                layout::part_for(anchors.keys().map(String::as_str), target)
                    .and_then(|part| anchors.get(part))
                    .map(|&to| Op::LinkAnnotation {
                        link: printpdf::LinkAnnotation::new(
                            printpdf::Rect {
                                x: Pt(*x),
                                y: Pt(*y),
                                width: Pt(*w),
                                height: Pt(*h),
                                mode: None,
                                winding_order: None,
                            },
                            printpdf::Actions::Goto(printpdf::Destination::Xyz {
                                page: to + 1,
                                left: Some(0.0),
                                top: Some(height),
                                zoom: None,
                            }),
                            // No border: a box around every link would cover the page.
                            Some(printpdf::BorderArray::Solid([0.0, 0.0, 0.0])),
                            None,
                            None,
                        ),
                    })
                    .map(|op| (op, *tag))
            }
            _ => None,
        })
        .unzip()
}

/// Flate-compresses a stream that has no filter yet, when that makes it smaller, as lopdf's
/// `Stream::compress` does but at zlib's fastest level instead of its best: on the sample packet
/// that halves the time of a whole `roadbook report` (25 ms to 13 ms in process) for a PDF of
/// 126 KB instead of 106 KB.
/// Compresses every stream that allows it, on two threads: the streams do not depend on each
/// other, and a long document's compression was a tenth of its time on one core. Which stream
/// goes to which thread does not change a byte of the output.
fn compress_all(doc: &mut lopdf::Document) -> Result<(), ReportError> {
    let mut streams: Vec<&mut lopdf::Stream> = doc
        .objects
        .values_mut()
        .filter_map(|object| match object {
            lopdf::Object::Stream(stream) if stream.allows_compression => Some(stream),
            _ => None,
        })
        .collect();
    // Alternate by size, so each thread gets about half of the bytes.
    streams.sort_by_key(|s| std::cmp::Reverse(s.content.len()));
    let (mut even, mut odd) = (Vec::new(), Vec::new());
    for (i, stream) in streams.into_iter().enumerate() {
        if i % 2 == 0 {
            even.push(stream)
        } else {
            odd.push(stream)
        }
    }
    std::thread::scope(|scope| {
        let other = scope.spawn(move || odd.into_iter().try_for_each(compress));
        let here = even.into_iter().try_for_each(compress);
        let there = other
            .join()
            .map_err(|_| ReportError::Pdf("compressing the streams stopped".to_owned()))?;
        here.and(there)
    })
}

fn compress(stream: &mut lopdf::Stream) -> Result<(), ReportError> {
    use std::io::Write;
    if stream.dict.get(b"Filter").is_ok() {
        return Ok(());
    }
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let failed = |e: std::io::Error| ReportError::Pdf(format!("compressing a stream: {e}"));
    encoder.write_all(&stream.content).map_err(failed)?;
    let compressed = encoder.finish().map_err(failed)?;
    if compressed.len() + 19 < stream.content.len() {
        stream.dict.set("Filter", "FlateDecode");
        stream.set_content(compressed);
    }
    Ok(())
}

/// printpdf writes a PDF 1.3 header (its fonts need 1.6) and a random trailer /ID. Both are
/// replaced in place, keeping every byte offset: the header says 1.7, and the /ID becomes a
/// hash of everything before it, as the PDF spec suggests, so equal content gives equal bytes.
fn settle(mut bytes: Vec<u8>) -> Result<Vec<u8>, ReportError> {
    if bytes.starts_with(b"%PDF-1.3")
        && let Some(digit) = bytes.get_mut(7)
    {
        *digit = b'7';
    }
    let bad = || ReportError::Pdf("the trailer has no /ID to settle".to_owned());
    let at = bytes
        .windows(3)
        .rposition(|w| w == b"/ID")
        .ok_or_else(bad)?;
    let digest = Sha256::digest(bytes.get(..at).ok_or_else(bad)?);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let mut cursor = at;
    for _ in 0..2 {
        let open = cursor
            + bytes
                .get(cursor..)
                .ok_or_else(bad)?
                .iter()
                .position(|&b| b == b'(')
                .ok_or_else(bad)?;
        let close = open
            + bytes
                .get(open..)
                .ok_or_else(bad)?
                .iter()
                .position(|&b| b == b')')
                .ok_or_else(bad)?;
        let slot = bytes.get_mut(open + 1..close).ok_or_else(bad)?;
        if slot.len() != hex.len() {
            return Err(bad());
        }
        slot.copy_from_slice(hex.as_bytes());
        cursor = close + 1;
    }
    Ok(bytes)
}
