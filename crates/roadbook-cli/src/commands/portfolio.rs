//! `roadbook portfolio` and `roadbook report portfolio`: several programs at a glance, and the
//! Portfolio Readout written from them.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, Utc};
use roadbook_model::Id;
use roadbook_report::{PortfolioFormat, PortfolioRequest, ProgramGlance};

use super::Ctx;
use crate::cli::{PortfolioCommand, ReportFormat};

impl<W: Write> Ctx<W> {
    pub(crate) fn portfolio(
        &mut self,
        what: Option<PortfolioCommand>,
        as_of: Option<DateTime<Utc>>,
        json: bool,
    ) -> Result<()> {
        if let Some(PortfolioCommand::Choose { programs, all }) = what {
            return self.choose_portfolio(if all { None } else { Some(programs) });
        }
        let store = self.open()?;
        let as_of = as_of.unwrap_or_else(Utc::now);
        let glances = roadbook_report::portfolio_glances(
            &store,
            &PortfolioRequest {
                programs: None,
                as_of,
            },
        )?;
        if json {
            writeln!(self.out, "{}", serde_json::to_string_pretty(&glances)?)?;
            return Ok(());
        }
        let day = as_of.date_naive().format("%-d %b %Y");
        match glances.len() {
            0 => writeln!(
                self.out,
                "No program in the portfolio as of {day}: create one (roadbook init) or join one (roadbook join --all)."
            )?,
            1 => writeln!(self.out, "Portfolio as of {day}: 1 program")?,
            n => writeln!(self.out, "Portfolio as of {day}: {n} programs")?,
        }
        if !glances.is_empty() {
            writeln!(self.out, "{}", roadbook_report::portfolio_summary(&glances))?;
        }
        for g in &glances {
            self.glance(g)?;
        }
        Ok(())
    }

    /// One program, in a few lines a person reads in a terminal.
    fn glance(&mut self, g: &ProgramGlance) -> Result<()> {
        let day = |d: roadbook_model::Date| d.naive().format("%-d %b %Y").to_string();
        writeln!(self.out)?;
        writeln!(
            self.out,
            "{}  {}: {}",
            g.name,
            g.health.health.words(),
            g.health.reasons.join(". ")
        )?;
        let overdue = g.decisions_needed.iter().filter(|a| a.overdue).count();
        match (g.decisions_needed.len(), overdue) {
            (0, _) => writeln!(self.out, "  Decisions needed: none")?,
            (n, 0) => writeln!(self.out, "  Decisions needed: {n}")?,
            (n, o) => writeln!(self.out, "  Decisions needed: {n} ({o} overdue)")?,
        }
        for a in &g.decisions_needed {
            let by = a
                .due
                .map(|d| format!(", by {}", day(d)))
                .unwrap_or_default();
            writeln!(self.out, "    {} — {}{by}", a.title, a.needed_from)?;
        }
        if let Some(r) = g.top_risks.first() {
            writeln!(
                self.out,
                "  Top risk: {} ({} severity)",
                r.statement, r.severity
            )?;
        }
        match &g.baseline {
            None => writeln!(self.out, "  Dates moved: {}", g.slipped_summary)?,
            Some(b) => {
                writeln!(self.out, "  Dates moved against {b}: {}", g.slipped_summary)?;
                for s in &g.slipped {
                    writeln!(
                        self.out,
                        "    {} ‘{}’ {}: {}",
                        s.kind.noun(),
                        s.label,
                        s.date,
                        s.variance()
                    )?;
                }
            }
        }
        for link in &g.broken_links {
            writeln!(self.out, "  Broken: {link}")?;
        }
        if let Some(m) = &g.next_milestone {
            let when = match (m.target, m.past_target) {
                (Some(d), true) => format!("was due {}", day(d)),
                (Some(d), false) => day(d),
                (None, _) => "no date yet".to_owned(),
            };
            writeln!(self.out, "  Next milestone: {}, {when}", m.name)?;
        }
        Ok(())
    }

    fn choose_portfolio(&mut self, programs: Option<Vec<Id>>) -> Result<()> {
        let mut store = self.open()?;
        store.set_portfolio_choice(programs.as_deref())?;
        let names: Vec<String> = {
            let all = store.programs()?;
            store
                .portfolio_programs()?
                .into_iter()
                .filter_map(|id| all.iter().find(|p| p.id == id).map(|p| p.name.clone()))
                .collect()
        };
        match programs {
            None => writeln!(
                self.out,
                "the portfolio shows every program here ({})",
                names.join(", ")
            )?,
            Some(_) => writeln!(self.out, "the portfolio shows {}", names.join(", "))?,
        }
        Ok(())
    }

    /// The Portfolio Readout, written to `out` as a PDF, an HTML page (.html), Markdown (.md)
    /// or slides (`--format deck`). Not archived: the same data and `--as-of` make it again.
    pub(crate) fn report_portfolio(
        &mut self,
        programs: Vec<Id>,
        as_of: Option<DateTime<Utc>>,
        out: &Path,
        format: ReportFormat,
    ) -> Result<()> {
        let store = self.open()?;
        let extension = out
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let (format, what) = match (format, extension.as_str()) {
            (ReportFormat::Deck, _) => (PortfolioFormat::Deck, "slides (16:9)"),
            (_, "html" | "htm") => (PortfolioFormat::Html, "HTML"),
            (_, "md" | "markdown") => (PortfolioFormat::Markdown, "Markdown"),
            _ => (PortfolioFormat::Pdf, "PDF"),
        };
        let request = PortfolioRequest {
            programs: (!programs.is_empty()).then_some(programs),
            as_of: as_of.unwrap_or_else(Utc::now),
        };
        let bytes = roadbook_report::prepare_portfolio(
            &store,
            &request,
            self.session.author.byline(),
            format,
        )?;
        roadbook_store::write_atomically(out, &bytes)?;
        writeln!(
            self.out,
            "{}: {what}, {} bytes, sha256 {} (a portfolio is not archived: --as-of {} makes this one again)",
            out.display(),
            bytes.len(),
            roadbook_report::sha256_hex(&bytes),
            request
                .as_of
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        )?;
        Ok(())
    }
}
