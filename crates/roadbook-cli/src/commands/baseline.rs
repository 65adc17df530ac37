//! `roadbook baseline list|set|compare`: the moments a program's plan is measured against, and
//! what slipped since one of them (or between two), in days.

use std::io::Write;

use anyhow::Result;
use roadbook_model::{Id, Slip, slips};

use super::Ctx;
use crate::cli::BaselineCommand;

impl<W: Write> Ctx<W> {
    pub(crate) fn baseline(&mut self, command: BaselineCommand) -> Result<()> {
        match command {
            BaselineCommand::List { program, json } => self.baselines(program.program, json),
            BaselineCommand::Set { name, at, program } => {
                self.set_baseline(program.program, name, at)
            }
            BaselineCommand::Compare {
                from,
                to,
                all,
                json,
                program,
            } => self.compare(program.program, from, to, all, json),
        }
    }

    fn baselines(&mut self, program: Option<Id>, json: bool) -> Result<()> {
        let store = self.open()?;
        let program = store.resolve_program(program)?;
        let baselines = store.baselines(program)?;
        if json {
            writeln!(self.out, "{}", serde_json::to_string_pretty(&baselines)?)?;
            return Ok(());
        }
        if baselines.is_empty() {
            writeln!(
                self.out,
                "No baselines yet: set one with `roadbook baseline set NAME`, or issue a readout (each is one)."
            )?;
        }
        for b in baselines {
            let what = if b.readout { "readout" } else { "set" };
            writeln!(
                self.out,
                "{}  {}  ({what} by {})",
                moment(&b.taken_at),
                b.name,
                if b.set_by.trim().is_empty() {
                    "a person who gave no name"
                } else {
                    &b.set_by
                }
            )?;
        }
        Ok(())
    }

    fn set_baseline(
        &mut self,
        program: Option<Id>,
        name: Option<String>,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<()> {
        let mut store = self.open()?;
        let program = store.resolve_program(program)?;
        let moment = at.unwrap_or_else(chrono::Utc::now);
        let name = name.unwrap_or_else(|| format!("Baseline of {}", moment.format("%-d %b %Y")));
        let b = store.set_baseline(program, &name, Some(moment), &self.session.author.name)?;
        writeln!(self.out, "baseline '{}' set at {}", b.name, b.taken_at)?;
        Ok(())
    }

    fn compare(
        &mut self,
        program: Option<Id>,
        from: Option<String>,
        to: Option<String>,
        all: bool,
        json: bool,
    ) -> Result<()> {
        let store = self.open()?;
        let program = store.resolve_program(program)?;
        let from = store.baseline(program, from.as_deref())?;
        let then = store.load_at_baseline(program, &from)?;
        let (now, to_name) = match to.as_deref().map(str::trim) {
            None | Some("now") => (store.load(program)?, "now".to_owned()),
            Some(given) => {
                let to = store.baseline(program, Some(given))?;
                if to.id == from.id {
                    anyhow::bail!(
                        "'{}' is the same baseline twice: name another, or leave the second out to compare with now",
                        to.name
                    );
                }
                let earlier =
                    roadbook_store::moment(&to.taken_at) < roadbook_store::moment(&from.taken_at);
                let name = if earlier {
                    format!(
                        "the earlier baseline '{}' (a minus means later at '{}')",
                        to.name, from.name
                    )
                } else {
                    format!("the baseline '{}'", to.name)
                };
                (store.load_at_baseline(program, &to)?, name)
            }
        };
        let found = slips(&then, &now);
        if json {
            let rows: Vec<serde_json::Value> = found
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "kind": s.kind, "id": s.id, "label": s.label, "date": s.date,
                        "then": s.then, "now": s.now, "days": s.days(),
                    })
                })
                .collect();
            writeln!(self.out, "{}", serde_json::to_string_pretty(&rows)?)?;
            return Ok(());
        }
        writeln!(
            self.out,
            "Against the baseline '{}' (the plan as it stood {}), {to_name}:",
            from.name,
            moment(&from.taken_at)
        )?;
        let moved: Vec<&Slip> = found.iter().filter(|s| all || s.moved()).collect();
        for s in &moved {
            let now = s.now.map_or("no date".to_owned(), |d| d.to_string());
            let then = s.then.map_or("no date".to_owned(), |d| d.to_string());
            writeln!(
                self.out,
                "  {} '{}': {} {now}, {} (was {then})",
                s.kind.noun(),
                s.label,
                s.date,
                s.variance()
            )?;
        }
        let t = roadbook_model::Tally::of(&found);
        let rest = match t.dated_or_undated {
            0 => String::new(),
            n => format!(", {n} dated, undated, added or removed since"),
        };
        writeln!(
            self.out,
            "{} dated: {} later, {} earlier, {} on plan{rest}",
            found.len(),
            t.later,
            t.earlier,
            t.on_plan
        )?;
        Ok(())
    }
}

/// "7 Dec 2026 16:34 UTC" of an RFC 3339 moment (as stored), for a person.
fn moment(text: &str) -> String {
    roadbook_store::moment(text).map_or_else(
        || text.to_owned(),
        |t| t.format("%-d %b %Y %H:%M UTC").to_string(),
    )
}
