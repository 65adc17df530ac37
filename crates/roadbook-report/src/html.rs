//! The same blocks as an HTML page: for pasting a document into an email or a wiki, and for
//! comparing Roadbook's PDF engine with browser engines on identical content
//! (`scripts/bench-documents.sh`).

use html_escape::encode_text as esc;

use crate::layout::{Block, Cell, Chip, Rgb};
use crate::pdf::Meta;

fn hex(c: Rgb) -> String {
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    format!("#{:02x}{:02x}{:02x}", byte(c.0), byte(c.1), byte(c.2))
}

fn chip(c: &Chip) -> String {
    format!(
        "<span class=chip style=\"background:{};color:{}\">{}</span>",
        hex(c.colour),
        hex(c.colour.on()),
        esc(&c.label)
    )
}

fn multiline(text: &str) -> String {
    esc(text).replace('\n', "<br>")
}

const STYLE: &str = "
@page { size: A4; margin: 22mm 19mm 21mm 19mm; }
body { font-family: Inter, 'DejaVu Sans', sans-serif; font-size: 9.5pt; color: #1f242e; line-height: 1.38; }
h1 { font-size: 22pt; color: #1a3d73; margin: 0; }
.sub { font-size: 12pt; font-weight: 600; margin: 2pt 0; }
.meta { font-size: 8.5pt; color: #66707f; border-bottom: 1.2pt solid #1a3d73; padding-bottom: 6pt; margin-bottom: 14pt; }
h2 { font-size: 13pt; color: #1a3d73; margin: 14pt 0 4pt; page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 8pt 0 2pt; page-break-after: avoid; }
.lead { font-style: italic; color: #66707f; font-size: 10.5pt; }
table { width: 100%; border-collapse: collapse; font-size: 8.3pt; margin-bottom: 10pt; }
thead { display: table-header-group; }
th { background: #edf2f7; color: #1a3d73; text-align: left; padding: 4.5pt 5pt; border-bottom: .8pt solid #1a3d73; }
td { padding: 4.5pt 5pt; border-bottom: .5pt solid #d6dbe3; vertical-align: top; }
tr { page-break-inside: avoid; }
tr:nth-child(even) td { background: #f9fafb; }
.chip { border-radius: 4.5pt; padding: 1pt 6pt; font-size: 7.4pt; font-weight: 600; white-space: nowrap; }
.muted { color: #66707f; }
.callout { border-left: 3.5pt solid; padding: 6pt 12pt; margin: 8pt 0; }
.label { font-weight: 600; display: inline-block; width: 118pt; vertical-align: top; }
.meter span { display: inline-block; width: 55pt; height: 10pt; margin-right: 3pt; border-radius: 2pt; }
.heat td { width: 44pt; height: 40pt; text-align: center; font-size: 13pt; font-weight: 700; }
.marking { text-align: center; font-size: 8pt; font-weight: 600; margin: 4pt 0; }
";

/// The blocks as one HTML page.
pub fn html(blocks: &[Block], meta: &Meta) -> String {
    let mut out = format!(
        "<!doctype html><html><head><meta charset=utf-8><title>{} — {}</title><style>{STYLE}</style></head><body>",
        esc(&meta.title),
        esc(&meta.program)
    );
    // The classification marking opens and closes the page, as the PDF's footer carries it on
    // every page.
    let marking = match meta.classification.trim() {
        "" => String::new(),
        m => format!("<div class=marking>{}</div>", esc(m)),
    };
    out.push_str(&marking);
    // The parts a reference may lead to (in a handbook); elsewhere a reference is plain text.
    let parts: Vec<&str> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Part(title) => Some(title.as_str()),
            _ => None,
        })
        .collect();
    for block in blocks {
        out.push_str(&match block {
            Block::Title { title, subtitle, meta } => {
                format!("<h1>{}</h1><div class=sub>{}</div><div class=meta>{}</div>", esc(title), esc(subtitle), esc(meta))
            }
            Block::Heading(t) => format!("<h2>{}</h2>", esc(t)),
            Block::Subheading(t) => format!("<h3>{}</h3>", esc(t)),
            Block::Paragraph(t) => format!("<p>{}</p>", multiline(t)),
            Block::Lead(t) => format!("<p class=lead>{}</p>", multiline(t)),
            Block::Labeled { label, text } => {
                format!("<div><span class=label>{}</span><span>{}</span></div>", esc(label), multiline(text))
            }
            Block::Bullets(items) => {
                format!("<ul>{}</ul>", items.iter().map(|i| format!("<li>{}</li>", multiline(i))).collect::<String>())
            }
            Block::Steps(steps) => format!(
                "<ol>{}</ol>",
                steps.iter().map(|(t, b)| format!("<li><b>{}</b><br>{}</li>", esc(t), multiline(b))).collect::<String>()
            ),
            Block::Table(table) => {
                let head: String = table
                    .columns
                    .iter()
                    .map(|c| format!("<th style=\"width:{:.0}%\">{}</th>", c.share * 100.0, esc(&c.title)))
                    .collect();
                let rows: String = table
                    .rows
                    .iter()
                    .map(|row| {
                        let cells: String = row
                            .iter()
                            .map(|cell| match cell {
                                Cell::Text(t) => format!("<td>{}</td>", multiline(t)),
                                Cell::Strong(t) => format!("<td><b>{}</b></td>", multiline(t)),
                                Cell::Muted(t) | Cell::Unset(t) => format!("<td class=muted>{}</td>", multiline(t)),
                                Cell::Titled { title, detail } => format!("<td><b>{}</b><br>{}</td>", esc(title), multiline(detail)),
                                Cell::Chip(c) => format!("<td>{}</td>", chip(c)),
                            })
                            .collect();
                        format!("<tr>{cells}</tr>")
                    })
                    .collect();
                format!("<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            }
            Block::Meters(meters) => meters
                .iter()
                .map(|m| {
                    let steps: String = (0..3)
                        .map(|s| format!("<span style=\"background:{}\"></span>", if s < m.steps { hex(m.colour) } else { "#e8ebef".to_owned() }))
                        .collect();
                    format!("<div class=meter><span class=label>{}</span>{steps} <i class=muted>{}</i></div>", esc(&m.label), esc(&m.caption))
                })
                .collect(),
            Block::Timeline(timeline) => {
                let items: String = timeline.lines().iter().map(|l| format!("<li>{}</li>", esc(l))).collect();
                format!("<ul class=timeline>{items}</ul>")
            }
            Block::HeatMap(map) => {
                let rows: String = map
                    .counts
                    .iter()
                    .zip(["high", "medium", "low"])
                    .map(|(row, level)| {
                        let cells: String = row.iter().map(|n| format!("<td>{}</td>", if *n > 0 { n.to_string() } else { String::new() })).collect();
                        format!("<tr><th>{level}</th>{cells}</tr>")
                    })
                    .collect();
                format!("<table class=heat style=\"width:auto\">{rows}<tr><th></th><th>low</th><th>medium</th><th>high</th></tr></table>")
            }
            Block::Callout { title, items, colour } => format!(
                "<div class=callout style=\"border-color:{};background:{}\"><b>{}</b><ul>{}</ul></div>",
                hex(*colour),
                hex(colour.tint(0.9)),
                esc(title),
                items.iter().map(|i| format!("<li>{}</li>", multiline(i))).collect::<String>()
            ),
            Block::Chips(chips) => format!("<p>{}</p>", chips.iter().map(chip).collect::<Vec<_>>().join(" ")),
            Block::Spacer(h) => format!("<div style=\"height:{h}pt\"></div>"),
            Block::PageBreak => "<div style=\"page-break-after:always\"></div>".to_owned(),
            Block::Part(title) => format!("<div style=\"page-break-before:always\" id=\"{}\"></div>", slug(title)),
            Block::Contents(entries) => format!(
                "<ul>{}</ul>",
                entries.iter().map(|t| format!("<li><a href=\"#{}\">{}</a></li>", slug(t), esc(t))).collect::<String>()
            ),
            Block::Links(items) => format!(
                "<ul>{}</ul>",
                items
                    .iter()
                    .map(|i| match crate::layout::part_for(parts.iter().copied(), i) {
                        Some(part) => format!("<li><a href=\"#{}\">{}</a></li>", slug(part), multiline(i)),
                        None => format!("<li>{}</li>", multiline(i)),
                    })
                    .collect::<String>()
            ),
        });
    }
    out.push_str(&marking);
    out.push_str("</body></html>\n");
    out
}

/// A name's words, lower case and hyphen-joined: a page fragment for a part's title, a file
/// name for a program's.
pub fn slug(title: &str) -> String {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}
