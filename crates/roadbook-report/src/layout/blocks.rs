//! What a document hands the layout engine (blocks: headings, paragraphs, tables, charts, and
//! the cells, chips and colours inside them) and what the engine hands the PDF writer (pages of
//! drawing operations).

use super::structure::Tag;
use crate::text::Line;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub f32, pub f32, pub f32);

impl Rgb {
    /// `#RRGGBB`; anything else is grey, so a bad colour never stops a document.
    pub fn hex(text: &str) -> Rgb {
        let channel = |i: usize| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .map(|v| f32::from(v) / 255.0)
        };
        match (text.len(), channel(1), channel(3), channel(5)) {
            (7, Some(r), Some(g), Some(b)) => Rgb(r, g, b),
            _ => GREY,
        }
    }

    /// Text colour that reads on this background.
    pub fn on(&self) -> Rgb {
        let luminance = 0.2126 * self.0 + 0.7152 * self.1 + 0.0722 * self.2;
        if luminance > 0.6 { INK } else { WHITE }
    }

    pub fn tint(&self, amount: f32) -> Rgb {
        Rgb(
            self.0 + (1.0 - self.0) * amount,
            self.1 + (1.0 - self.1) * amount,
            self.2 + (1.0 - self.2) * amount,
        )
    }
}

pub const INK: Rgb = Rgb(0.12, 0.14, 0.18);
pub const MUTED: Rgb = Rgb(0.40, 0.44, 0.50);
pub const RULE: Rgb = Rgb(0.84, 0.86, 0.89);
pub const ACCENT: Rgb = Rgb(0.10, 0.24, 0.45);
pub const HEADER_FILL: Rgb = Rgb(0.93, 0.95, 0.97);
pub const ZEBRA: Rgb = Rgb(0.975, 0.98, 0.986);
pub const WHITE: Rgb = Rgb(1.0, 1.0, 1.0);
pub const GREY: Rgb = Rgb(0.55, 0.58, 0.62);
/// A baseline's ghost on the timeline: where a phase or milestone stood, quieter than today's.
pub const GHOST: Rgb = Rgb(0.66, 0.68, 0.72);
pub const RED: Rgb = Rgb(0.79, 0.24, 0.24);
pub const AMBER: Rgb = Rgb(0.85, 0.56, 0.02);
pub const GREEN: Rgb = Rgb(0.14, 0.57, 0.35);

/// Something drawn, in PDF coordinates (points, origin bottom left).
#[derive(Debug, Clone, PartialEq)]
pub enum Draw {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        colour: Rgb,
        line: Line,
        tag: Tag,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Rgb,
        radius: f32,
    },
    Rule {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        colour: Rgb,
        width: f32,
    },
    /// A clickable area (nothing drawn) leading to the part titled `target`, when there is one;
    /// `tag` is its Link element.
    Link {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        target: String,
        tag: Tag,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub items: Vec<Draw>,
}

/// A coloured label, a status chip.
#[derive(Debug, Clone, PartialEq)]
pub struct Chip {
    pub label: String,
    pub colour: Rgb,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A bold title with a regular line or two under it (a decision and its question).
    Titled {
        title: String,
        detail: String,
    },
    Strong(String),
    Muted(String),
    /// Nothing recorded yet ("not set", "—"): drawn muted, and a column of nothing but these
    /// is dropped from its table and said once instead.
    Unset(String),
    Chip(Chip),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub title: String,
    /// Share of the content width; a table's shares add up to 1.
    pub share: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

/// One bar of a three-step meter (readiness by dimension).
#[derive(Debug, Clone, PartialEq)]
pub struct Meter {
    pub label: String,
    /// 1, 2 or 3 steps filled.
    pub steps: usize,
    pub colour: Rgb,
    pub caption: String,
}

/// Counts on a severity (rows, high first) by likelihood (columns, low first) grid.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatMap {
    pub counts: [[usize; 3]; 3],
}

/// Phases and milestones on a time axis, the document's day marked: the Program Plan's
/// timeline (the app's Plan screen draws the same).
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// The first of each month on the axis: where (0 to 1) and its name ("Jan 2027").
    pub ticks: Vec<(f32, String)>,
    pub rows: Vec<TimelineRow>,
    /// Where the document's day falls, when it is on the axis.
    pub today: Option<f32>,
}

impl Timeline {
    /// The timeline as lines of text, for the web page and Markdown: each row's dates and
    /// milestones.
    pub fn lines(&self) -> Vec<String> {
        self.rows
            .iter()
            .map(|row| {
                let mut parts = vec![row.label.clone()];
                if let Some(bar) = &row.bar {
                    parts.push(bar.dates.clone());
                    if bar.then.is_some_and(|(from, to)| {
                        (from - bar.from).abs() > 1e-4 || (to - bar.to).abs() > 1e-4
                    }) {
                        parts.push("moved since the baseline".to_owned());
                    }
                }
                for mark in &row.marks {
                    let late = if mark.late { ", late" } else { "" };
                    let moved = if mark.then_at.is_some_and(|t| (t - mark.at).abs() > 1e-4) {
                        ", moved since the baseline"
                    } else {
                        ""
                    };
                    parts.push(format!(
                        "milestone {} ({}{late}{moved})",
                        mark.name, mark.target
                    ));
                }
                parts.join(" · ")
            })
            .collect()
    }
}

/// A phase with its milestones, or the milestones of no phase on the axis.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRow {
    pub label: String,
    pub bar: Option<TimelineBar>,
    pub marks: Vec<TimelineMark>,
}

/// A phase from its start to its end (fractions of the axis); `open` when one end is not set.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineBar {
    pub from: f32,
    pub to: f32,
    pub open: bool,
    /// The dates as written, for the text versions ("2027-01-04 to 2027-02-26").
    pub dates: String,
    /// Where the phase stood at the baseline the document measures against: a ghost bar.
    pub then: Option<(f32, f32)>,
}

/// A milestone at its target; `late` when past it and not reached.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineMark {
    pub at: f32,
    pub name: String,
    pub target: String,
    pub late: bool,
    /// Where its target stood at the baseline: a ghost mark.
    pub then_at: Option<f32>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Title {
        title: String,
        subtitle: String,
        meta: String,
    },
    /// A section: starts a bookmark and stays with what follows.
    Heading(String),
    Subheading(String),
    Paragraph(String),
    Lead(String),
    Labeled {
        label: String,
        text: String,
    },
    Bullets(Vec<String>),
    Steps(Vec<(String, String)>),
    Table(Table),
    Meters(Vec<Meter>),
    HeatMap(HeatMap),
    Timeline(Timeline),
    Callout {
        title: String,
        items: Vec<String>,
        colour: Rgb,
    },
    Chips(Vec<Chip>),
    Spacer(f32),
    PageBreak,
    /// A part of a larger document (a page of the handbook): starts a page, is a bookmark, and
    /// is the place links with its title lead to.
    Part(String),
    /// A contents page: each part's title and the page it starts on (known once the whole
    /// document is laid out), each line a link to it.
    Contents(Vec<String>),
    /// A list of references: where one names a part of this document, it links there.
    Links(Vec<String>),
}
