//! LaidOutDocument-out pages to PDF bytes through printpdf's low-level operations.

use chrono::{DateTime, Utc};
use printpdf::{
    Codepoint, Color, FontId, LinePoint, Mm, Op, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Polygon, PolygonRing, Pt, TextItem, WindingOrder,
};
use sha2::{Digest, Sha256};

use crate::ReportError;
use crate::fonts::{Fonts, Style};
use crate::layout::{
    self, Block, Draw, INK, LaidOutDocument, MARGIN, MUTED, PAGE_H, PAGE_W, Page, RULE, Rgb, WIDTH,
};
use crate::text;

mod deck;
mod ops;

pub use deck::{SLIDE_H, SLIDE_W, Slide, render_deck};
use ops::*;

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

fn write(
    fonts: &Fonts,
    laid: &LaidOutDocument,
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
