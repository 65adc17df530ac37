//! The documents a lead sends: each a function from the handbook to layout blocks.
//!
//! `mod.rs` holds what every document is made from (the context, the readout's window of
//! changes) and the small helpers they share; `parts` the blocks several documents print;
//! then one file per kind of document.

// One file per kind of document; `parts` holds the blocks several of them print.
mod dashboard;
mod handbook;
mod memo;
mod one_pager;
mod packet;
mod parts;
mod phases;
mod plan;
mod portfolio;
mod readiness;
mod readout;
mod register;
mod rfc;

pub use dashboard::dashboard;
pub use handbook::handbook;
pub use memo::memo;
pub use one_pager::one_pager;
pub use packet::packet;
use parts::*;
pub use phases::phases;
pub use plan::plan;
pub use portfolio::{
    Ask, Member, NextMilestone, ProgramGlance, RiskGlance, glance, portfolio, portfolio_deck,
    summary as portfolio_summary,
};
pub use readiness::readiness_checklist;
pub use readout::{readout, readout_deck};
pub use register::register;
pub use rfc::rfc;

use chrono::{DateTime, Utc};
use roadbook_model::{
    AttendeeGroup, Decision, Handbook, Id, Level, OutputTiming, ReadinessState, Review, Risk,
    RiskScope,
};

use crate::changes::Change;
use crate::layout::{
    AMBER, Block, Cell, Chip, Column, GREEN, GREY, HeatMap, Meter, RED, Rgb, Table, Timeline,
    TimelineBar, TimelineMark, TimelineRow,
};

/// The blocks of a document of `kind`: the one place a kind is tied to its document (the
/// issue path and the handbook's parts both come here). A packet needs its review; a
/// register may be filtered by a status.
pub fn blocks_of(
    kind: crate::DocumentKind,
    ctx: &Context,
    changes: &Changes,
    review: Option<&Review>,
    status: Option<Id>,
) -> Result<Vec<Block>, crate::ReportError> {
    use crate::DocumentKind as K;
    Ok(match kind {
        K::Readout => readout(ctx, changes),
        K::Memo => memo(ctx),
        K::Packet => packet(ctx, review.ok_or(crate::ReportError::NoReview)?),
        K::Dashboard => dashboard(ctx),
        K::Register => register(ctx, status),
        K::Plan => plan(ctx),
        K::Phases => phases(ctx),
        K::Rfc => rfc(ctx),
        K::Readiness => readiness_checklist(ctx),
        K::OnePager => one_pager(ctx),
        K::Handbook => handbook(ctx, changes, review),
    })
}

/// What every document is made from.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub handbook: &'a Handbook,
    pub as_of: DateTime<Utc>,
    pub author: &'a str,
    /// The latest baseline before the document's moment (its name), and the program's dates as
    /// they stood then: the plan draws them as ghosts beside today's.
    pub baseline: Option<(&'a str, &'a Handbook)>,
    /// The dependencies between this program and others in the database, as they stood at the
    /// document's moment.
    pub links: &'a [roadbook_model::Link],
}

/// The readout's "what changed" window and its lines.
#[derive(Debug, Clone)]
pub struct Changes<'a> {
    /// Start of the window; `None` for a first readout with nothing to compare with.
    pub since: Option<DateTime<Utc>>,
    /// Whether the window starts at an earlier readout (rather than a date given by hand).
    pub since_last_readout: bool,
    pub lines: &'a [Change],
    /// The latest baseline before the readout (a name), and the dates that moved since it.
    pub baseline: Option<&'a str>,
    pub slips: &'a [roadbook_model::Slip],
}

fn col(title: &str, share: f32) -> Column {
    Column {
        title: title.to_owned(),
        share,
    }
}

fn date(moment: DateTime<Utc>) -> String {
    crate::day(moment.date_naive())
}

/// A day of the program's data, written the one way the documents write dates.
fn on_day(d: roadbook_model::Date) -> String {
    crate::day(d.naive())
}

/// "As of DATE · Prepared by NAME", the name left out when nobody is named: a document never
/// says it was prepared by "unknown".
fn as_of_and_author(ctx: &Context) -> String {
    as_of_by(ctx.as_of, ctx.author)
}

/// The same line for a document of several programs.
fn as_of_by(as_of: DateTime<Utc>, author: &str) -> String {
    let author = author.trim();
    if author.is_empty() || author == roadbook_store::NO_AUTHOR {
        format!("As of {}", date(as_of))
    } else {
        format!("As of {} · Prepared by {author}", date(as_of))
    }
}

fn title(doc: &str, ctx: &Context, extra: &str) -> Block {
    let mut meta = as_of_and_author(ctx);
    if !extra.is_empty() {
        meta = format!("{extra} · {meta}");
    }
    Block::Title {
        title: doc.to_owned(),
        subtitle: ctx.handbook.program.name.clone(),
        meta,
    }
}

impl Context<'_> {
    fn status_chip(&self, id: Id) -> Cell {
        Cell::Chip(self.status(id))
    }

    fn status(&self, id: Id) -> Chip {
        match self.handbook.status(id) {
            Some(s) => Chip {
                label: s.name.clone(),
                colour: Rgb::hex(&s.colour),
            },
            None => Chip {
                label: "unknown".to_owned(),
                colour: GREY,
            },
        }
    }

    fn is_open(&self, status: Id) -> bool {
        self.handbook.is_open(status)
    }

    fn owners(&self, ids: &[Id]) -> String {
        let names: Vec<&str> = ids
            .iter()
            .filter_map(|id| self.handbook.owner(*id))
            .map(|o| o.display_name())
            .collect();
        if names.is_empty() {
            "—".to_owned()
        } else {
            names.join(", ")
        }
    }

    fn owner(&self, id: Option<Id>) -> String {
        self.owners(&id.into_iter().collect::<Vec<_>>())
    }

    fn workstream(&self, id: Option<Id>) -> String {
        id.and_then(|id| self.handbook.workstreams.iter().find(|w| w.id == id))
            .map_or("—".to_owned(), |w| w.area.clone())
    }

    fn open_decisions(&self) -> Vec<&Decision> {
        self.handbook.decisions_needed()
    }

    fn top_risks(&self, limit: usize) -> Vec<&Risk> {
        self.handbook.top_risks(limit)
    }

    fn scope(&self, risk: &Risk) -> String {
        match risk.scope {
            RiskScope::Program => "Program".to_owned(),
            RiskScope::Workstream { workstream_id } => self.workstream(Some(workstream_id)),
            RiskScope::Phase { phase_id } => self
                .handbook
                .phases
                .iter()
                .find(|p| p.id == phase_id)
                .map_or("Phase".to_owned(), |p| format!("Phase: {}", p.name)),
            RiskScope::Review { review_id } => self
                .handbook
                .reviews
                .iter()
                .find(|r| r.id == review_id)
                .map_or("Review".to_owned(), |r| format!("Review: {}", r.title)),
        }
    }

    /// A due date as the reader needs it on the document's day: for an open item overdue, due
    /// within the week, or just the date (the app marks the same on the person's day); a closed
    /// item's date is only its date.
    fn due(&self, due: Option<roadbook_model::Date>, status: Id) -> Cell {
        use roadbook_model::Due;
        let today = self.as_of.date_naive();
        match (
            due,
            roadbook_model::due_state(due, self.is_open(status), today),
        ) {
            (Some(d), Some(Due::Overdue)) => Cell::Strong(format!("{} (overdue)", on_day(d))),
            (Some(d), Some(Due::ThisWeek)) => Cell::Strong(format!("{} (this week)", on_day(d))),
            (Some(d), None) => Cell::Text(on_day(d)),
            (None, _) => Cell::Unset("not set".to_owned()),
        }
    }
}

/// Entries of a labeled field: one plain line, or bullets when there are several.
fn entries(items: &[String]) -> String {
    match items {
        [one] => one.clone(),
        many => many
            .iter()
            .map(|i| format!("• {i}"))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn level_chip(level: Level) -> Cell {
    let colour = match level {
        Level::High => RED,
        Level::Medium => AMBER,
        Level::Low => GREEN,
    };
    Cell::Chip(Chip {
        label: level.as_str().to_owned(),
        colour,
    })
}

fn readiness_colour(state: ReadinessState) -> Rgb {
    match state {
        ReadinessState::NotReady => RED,
        ReadinessState::Partial => AMBER,
        ReadinessState::Ready => GREEN,
    }
}

fn readiness_word(state: ReadinessState) -> &'static str {
    match state {
        ReadinessState::NotReady => "not ready",
        ReadinessState::Partial => "partial",
        ReadinessState::Ready => "ready",
    }
}

// --- pieces shared by several documents ----------------------------------------------------

/// The areas of workstreams, for a sentence that names them.
fn areas<'h>(list: &[&'h roadbook_model::Workstream]) -> Vec<&'h str> {
    list.iter().map(|w| w.area.as_str()).collect()
}

// How names go into a sentence: the model's one way (its health reasons say names the same way).
pub(crate) use roadbook_model::{isolate, list};

// --- the documents -------------------------------------------------------------------------

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Low => "low",
        Level::Medium => "medium",
        Level::High => "high",
    }
}
