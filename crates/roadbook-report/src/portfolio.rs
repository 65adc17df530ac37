//! The Portfolio Readout from the store: each program gathered as its own readout would be
//! (as of the same moment, against the same baseline), then one document over all of them. Not
//! archived: the same data and moment give the same bytes, so `--as-of` reproduces an earlier
//! portfolio exactly.

use chrono::{DateTime, Utc};
use roadbook_model::Id;
use roadbook_store::{Store, StoreError};

use crate::documents::{self, Member, ProgramGlance};
use crate::issue::{Inputs, LinksFor, gather};
use crate::pdf::{self, Meta};
use crate::{DocumentKind, ReportError, Request, layout};

/// Which programs, as of when.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PortfolioRequest {
    /// The programs, in this order; without them, the ones the person chose for their
    /// portfolio (`Store::portfolio_programs`), else every program in the database.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub programs: Option<Vec<Id>>,
    pub as_of: DateTime<Utc>,
}

/// The forms a portfolio is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortfolioFormat {
    Pdf,
    Html,
    Markdown,
    /// 16:9 slides, as a PDF.
    Deck,
}

/// Every program of the portfolio gathered as its readout would be. A program that was not in
/// this database yet at the moment is left out: the portfolio speaks for what was known then.
fn gather_all(
    store: &Store,
    request: &PortfolioRequest,
    author: &str,
) -> Result<Vec<Inputs>, ReportError> {
    if request.as_of > Utc::now() {
        return Err(ReportError::FutureAsOf(crate::issue::rfc3339(
            request.as_of,
        )));
    }
    let programs = match &request.programs {
        Some(ids) => {
            for id in ids {
                store.resolve_program(Some(*id))?;
            }
            ids.clone()
        }
        None => store.portfolio_programs()?,
    };
    let mut out = Vec::with_capacity(programs.len());
    for program in programs {
        let readout = Request {
            kind: DocumentKind::Readout,
            program,
            review: None,
            since: None,
            status: None,
            as_of: request.as_of,
            baseline: None,
        };
        // Not archived nor shared: the person's own view, both programs' names and dates.
        match gather(store, &readout, author, LinksFor::Person) {
            Ok(inputs) => out.push(inputs),
            Err(ReportError::Store(StoreError::NotYet { .. })) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(out)
}

/// Each program of the portfolio at a glance (the Portfolio screen's rows).
pub fn portfolio_glances(
    store: &Store,
    request: &PortfolioRequest,
) -> Result<Vec<ProgramGlance>, ReportError> {
    Ok(gather_all(store, request, "")?
        .iter()
        .map(|i| documents::glance(&i.context(), &i.changes()))
        .collect())
}

/// The Portfolio Readout in `format`: a PDF, an HTML page, Markdown or a deck of slides.
pub fn prepare_portfolio(
    store: &Store,
    request: &PortfolioRequest,
    author: &str,
    format: PortfolioFormat,
) -> Result<Vec<u8>, ReportError> {
    let gathered = gather_all(store, request, author)?;
    let (members, glances) = members(&gathered);
    let meta = meta(&gathered, request.as_of, author);
    if format == PortfolioFormat::Deck {
        let mut slides = documents::portfolio_deck(&members, &glances, request.as_of, author);
        for slide in &mut slides {
            slide.blocks = crate::editorial::drop_unset_columns(std::mem::take(&mut slide.blocks));
        }
        return Ok(pdf::render_deck(&slides, &meta)?.0);
    }
    let blocks = blocks(&members, &glances, request.as_of, author);
    Ok(match format {
        PortfolioFormat::Html => crate::html::html(&blocks, &meta).into_bytes(),
        PortfolioFormat::Markdown => crate::markdown::markdown(&blocks, &meta).into_bytes(),
        PortfolioFormat::Pdf | PortfolioFormat::Deck => pdf::render(&blocks, &meta)?,
    })
}

/// The portfolio's blocks and where each lands on its pages: what the page-flow rules are
/// checked against.
pub fn prepare_portfolio_layout(
    store: &Store,
    request: &PortfolioRequest,
    author: &str,
) -> Result<(Vec<layout::Block>, layout::LaidOutDocument), ReportError> {
    let gathered = gather_all(store, request, author)?;
    let (members, glances) = members(&gathered);
    let blocks = blocks(&members, &glances, request.as_of, author);
    let laid = layout::lay_out(crate::fonts::Fonts::get()?, &blocks);
    Ok((blocks, laid))
}

fn members(gathered: &[Inputs]) -> (Vec<Member<'_>>, Vec<ProgramGlance>) {
    let members: Vec<Member> = gathered
        .iter()
        .map(|i| Member {
            ctx: i.context(),
            changes: i.changes(),
        })
        .collect();
    let glances = members
        .iter()
        .map(|m| documents::glance(&m.ctx, &m.changes))
        .collect();
    (members, glances)
}

fn blocks(
    members: &[Member],
    glances: &[ProgramGlance],
    as_of: DateTime<Utc>,
    author: &str,
) -> Vec<layout::Block> {
    crate::editorial::drop_unset_columns(documents::portfolio(members, glances, as_of, author))
}

/// The portfolio's title and footer: how many programs, and every classification marking its
/// programs carry (a compilation is marked with each of its sources' markings).
fn meta(gathered: &[Inputs], as_of: DateTime<Utc>, author: &str) -> Meta {
    let mut markings: Vec<&str> = Vec::new();
    for i in gathered {
        let marking = i.handbook.program.classification.trim();
        if !marking.is_empty() && !markings.contains(&marking) {
            markings.push(marking);
        }
    }
    let programs = match gathered.len() {
        1 => "1 program".to_owned(),
        n => format!("{n} programs"),
    };
    Meta {
        title: "Portfolio Readout".to_owned(),
        subject: format!("Portfolio Readout of {programs}"),
        program: programs,
        author: author.to_owned(),
        as_of,
        classification: markings.join(" / "),
    }
}
