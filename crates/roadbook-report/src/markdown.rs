//! The same blocks as Markdown (CommonMark with GitHub's pipe tables): for pasting a document
//! into a wiki, a chat or an email. Every piece of program text is escaped, so a title with a
//! `|`, a `*` or a leading `#` reads as the lead wrote it instead of breaking the table or
//! starting a heading.

use crate::layout::{Block, Cell, Chip};
use crate::pdf::Meta;

/// Text as Markdown shows it literally: the punctuation that could start markup is escaped.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (n, line) in text.lines().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        out.push_str(indent);
        // What only means something at the start of a line: a list item, a numbered item.
        let mut chars = trimmed.chars().peekable();
        if let Some(&first) = chars.peek()
            && matches!(first, '-' | '+' | '=')
        {
            out.push('\\');
        }
        let digits: String = trimmed.chars().take_while(char::is_ascii_digit).collect();
        let numbered =
            !digits.is_empty() && matches!(trimmed[digits.len()..].chars().next(), Some('.' | ')'));
        for (i, c) in trimmed.char_indices() {
            if numbered && i == digits.len() {
                out.push('\\');
            }
            if matches!(
                c,
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' | '&'
            ) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// Text in a paragraph: its own line breaks kept (a Markdown hard break).
fn lines(text: &str) -> String {
    esc(text).replace('\n', "\\\n")
}

/// Text in a table cell: one line, its breaks as `<br>` (what GitHub's tables take).
fn cell_text(text: &str) -> String {
    esc(text).replace('\n', "<br>")
}

fn chip(c: &Chip) -> String {
    cell_text(&c.label)
}

fn cell(c: &Cell) -> String {
    match c {
        Cell::Text(t) => cell_text(t),
        Cell::Strong(t) if t.trim().is_empty() => String::new(),
        Cell::Strong(t) => format!("**{}**", cell_text(t)),
        Cell::Muted(t) | Cell::Unset(t) if t.trim().is_empty() => String::new(),
        Cell::Muted(t) | Cell::Unset(t) => format!("*{}*", cell_text(t)),
        Cell::Titled { title, detail } if detail.trim().is_empty() => {
            format!("**{}**", cell_text(title))
        }
        Cell::Titled { title, detail } => {
            format!("**{}**<br>{}", cell_text(title), cell_text(detail))
        }
        Cell::Chip(c) => chip(c),
    }
}

fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n", header.join(" | "));
    out.push_str(&format!(
        "|{}|\n",
        header.iter().map(|_| " --- ").collect::<Vec<_>>().join("|")
    ));
    for row in rows {
        // Every row as wide as the header: a missing cell is an empty one.
        let cells: Vec<String> = (0..header.len())
            .map(|i| row.get(i).cloned().unwrap_or_default())
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// The blocks as one Markdown document.
pub fn markdown(blocks: &[Block], meta: &Meta) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut titled = false;
    for block in blocks {
        let part = match block {
            Block::Title {
                title,
                subtitle,
                meta,
            } => {
                titled = true;
                let mut out = format!("# {}", esc(title));
                if !subtitle.trim().is_empty() {
                    out.push_str(&format!("\n\n**{}**", esc(subtitle)));
                }
                if !meta.trim().is_empty() {
                    out.push_str(&format!("\n\n*{}*", esc(meta)));
                }
                out
            }
            Block::Heading(t) => format!("## {}", esc(t)),
            Block::Subheading(t) => format!("### {}", esc(t)),
            Block::Paragraph(t) => lines(t),
            Block::Lead(t) => format!("*{}*", lines(t)),
            Block::Labeled { label, text } => format!("**{}:** {}", esc(label), lines(text)),
            Block::Bullets(items) => items
                .iter()
                .map(|i| format!("- {}", lines(i)))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Steps(steps) => steps
                .iter()
                .enumerate()
                .map(|(n, (title, body))| {
                    if body.trim().is_empty() {
                        format!("{}. **{}**", n + 1, esc(title))
                    } else {
                        format!("{}. **{}**: {}", n + 1, esc(title), lines(body))
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Table(t) => {
                let header: Vec<String> = t.columns.iter().map(|c| cell_text(&c.title)).collect();
                let rows: Vec<Vec<String>> = t
                    .rows
                    .iter()
                    .map(|row| row.iter().map(cell).collect())
                    .collect();
                table(&header, &rows).trim_end().to_owned()
            }
            Block::Meters(meters) => meters
                .iter()
                .map(|m| {
                    format!(
                        "- **{}**: {} of 3 ({})",
                        esc(&m.label),
                        m.steps,
                        esc(&m.caption)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Timeline(timeline) => timeline
                .lines()
                .iter()
                .map(|l| format!("- {}", esc(l)))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::HeatMap(map) => {
                let header: Vec<String> = ["Severity \\ likelihood", "low", "medium", "high"]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect();
                let rows: Vec<Vec<String>> =
                    map.counts
                        .iter()
                        .zip(["high", "medium", "low"])
                        .map(|(row, level)| {
                            std::iter::once(format!("**{level}**"))
                                .chain(
                                    row.iter().map(|n| {
                                        if *n > 0 { n.to_string() } else { String::new() }
                                    }),
                                )
                                .collect()
                        })
                        .collect();
                table(&header, &rows).trim_end().to_owned()
            }
            Block::Callout { title, items, .. } => {
                let mut out = format!("> **{}**", esc(title));
                for item in items {
                    out.push_str(&format!("\n> - {}", esc(item).replace('\n', "\\\n> ")));
                }
                out
            }
            Block::Chips(chips) => chips.iter().map(chip).collect::<Vec<_>>().join(" · "),
            Block::Spacer(_) => continue,
            // A page break is a rule between parts: Markdown has no pages.
            Block::PageBreak => "---".to_owned(),
            // A part's own title follows it; a wiki page needs no page numbers.
            Block::Part(_) => "---".to_owned(),
            Block::Contents(entries) => entries
                .iter()
                .map(|title| format!("- {}", esc(title)))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Links(items) => items
                .iter()
                .map(|i| format!("- {}", lines(i)))
                .collect::<Vec<_>>()
                .join("\n"),
        };
        parts.push(part);
    }
    if !titled {
        parts.insert(
            0,
            format!("# {} — {}", esc(&meta.title), esc(&meta.program)),
        );
    }
    // The classification marking opens and closes the text, as the PDF's footer carries it on
    // every page.
    let marking = meta.classification.trim();
    if !marking.is_empty() {
        parts.insert(0, format!("**{}**", esc(marking)));
        parts.push(format!("**{}**", esc(marking)));
    }
    let mut out = parts.join("\n\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped_where_it_would_become_markup() {
        assert_eq!(esc("a | b"), "a \\| b");
        assert_eq!(esc("# not a heading"), "\\# not a heading");
        assert_eq!(esc("- not an item"), "\\- not an item");
        assert_eq!(esc("1. not numbered"), "1\\. not numbered");
        assert_eq!(esc("*bold* _it_"), "\\*bold\\* \\_it\\_");
        assert_eq!(esc("Okta SSO — مرحبا"), "Okta SSO — مرحبا");
        assert_eq!(cell_text("two\nlines | pipe"), "two<br>lines \\| pipe");
    }

    #[test]
    fn a_table_has_a_separator_and_rows_as_wide_as_its_header() {
        let t = table(
            &["A".into(), "B".into()],
            &[vec!["1".into()], vec!["2".into(), "3".into()]],
        );
        assert_eq!(t, "| A | B |\n| --- | --- |\n| 1 |  |\n| 2 | 3 |\n");
    }
}
