//! Baselines: named moments of a program's history that its dates are compared against ("what
//! slipped since the 20 November baseline"). A lead sets one explicitly, and every readout
//! issued is one, named by its day. The program as it stood then is read back from its history
//! (`load_as_of`), never copied.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::params;
use serde::Serialize;

use crate::{Result, Store, StoreError};
use roadbook_model::{Handbook, Id};

/// A named moment of a program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Baseline {
    /// The baseline's id, or the readout's document id.
    pub id: Id,
    pub name: String,
    /// The moment it stands for (RFC 3339, UTC).
    pub taken_at: String,
    /// Who set it, or issued the readout.
    pub set_by: String,
    /// An issued readout, not a baseline set by hand.
    pub readout: bool,
}

impl Store {
    /// Sets a baseline of `program` named `name` at `at` (now when none). Refused, changing
    /// nothing, for an empty name, a name another baseline or readout of the program has (any
    /// case), or a moment still to come.
    pub fn set_baseline(
        &mut self,
        program: Id,
        name: &str,
        at: Option<DateTime<Utc>>,
        author: &str,
    ) -> Result<Baseline> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                path: self.path.clone(),
            });
        }
        // A program of this database, not any id.
        self.resolve_program(Some(program))?;
        let name = name.trim();
        let refused = |why: String| Err(StoreError::BaselineName(why));
        if name.is_empty() {
            return refused(
                "a baseline needs a name (for example the review it was agreed at)".to_owned(),
            );
        }
        if name.chars().any(char::is_control) {
            return refused(
                "a baseline's name is one line of text, without control characters".to_owned(),
            );
        }
        if name.chars().count() > NAME_MOST {
            return refused(format!(
                "a baseline's name is at most {NAME_MOST} characters: the documents print it in a heading"
            ));
        }
        // Readouts name themselves "Readout of …", and `compare` reads "now" as the plan now.
        if roadbook_model::same_name(name, "now")
            || roadbook_model::name_key(name).starts_with("readout of")
        {
            return refused(format!(
                "'{name}' is a name Roadbook gives (readouts are \"Readout of\" their moment, \"now\" is the plan as it stands): choose another"
            ));
        }
        let now = Utc::now();
        let at = at.unwrap_or(now);
        if at > now {
            return refused(format!(
                "{} has not come yet: a baseline is a moment the plan already stood at",
                at.to_rfc3339_opts(SecondsFormat::Secs, true)
            ));
        }
        if let Some(first) = self.first_change(program)?
            && at < first
        {
            return refused(format!(
                "the program's history here starts at {}: a baseline before it has no plan to show; choose a later moment",
                first.to_rfc3339_opts(SecondsFormat::Secs, true)
            ));
        }
        if let Some(taken) = self
            .baselines(program)?
            .into_iter()
            .find(|b| roadbook_model::same_name(&b.name, name))
        {
            return refused(format!(
                "the program has a baseline named '{}' already (taken {}): choose another name",
                taken.name, taken.taken_at
            ));
        }
        let baseline = Baseline {
            id: Id::new(),
            name: name.to_owned(),
            taken_at: at.to_rfc3339_opts(SecondsFormat::Millis, true),
            set_by: author.to_owned(),
            readout: false,
        };
        self.conn
            .execute(
                "INSERT INTO baselines (id, program_id, name, taken_at, set_by, set_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    baseline.id.to_string(),
                    program.to_string(),
                    baseline.name,
                    baseline.taken_at,
                    baseline.set_by,
                    now.to_rfc3339_opts(SecondsFormat::Millis, true),
                ],
            )
            .map_err(|e| self.sql(e))?;
        Ok(baseline)
    }

    /// The program's baselines, oldest first: those set by hand and every readout issued (here
    /// or by a teammate), a readout named by its day ("Readout of 20 Nov 2026").
    pub fn baselines(&self, program: Id) -> Result<Vec<Baseline>> {
        let mut out = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT id, name, taken_at, set_by FROM baselines WHERE program_id = ?1",
                )
                .map_err(|e| self.sql(e))?;
            let rows = stmt
                .query_map(params![program.to_string()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .map_err(|e| self.sql(e))?;
            for row in rows {
                let (id, name, taken_at, set_by) = row.map_err(|e| self.sql(e))?;
                out.push(Baseline {
                    id: crate::parse_id(&id)?,
                    name,
                    taken_at,
                    set_by,
                    readout: false,
                });
            }
        }
        let readouts: Vec<_> = self
            .documents(program)?
            .into_iter()
            .filter(|d| d.kind == "readout")
            .collect();
        for d in &readouts {
            // Named by its moment alone, so the name never changes when another is issued.
            let name = match moment(&d.as_of) {
                Some(t) => format!("Readout of {}", t.format("%-d %b %Y %H:%M:%S UTC")),
                None => format!("Readout of {}", d.as_of),
            };
            out.push(Baseline {
                id: d.id,
                name,
                taken_at: d.as_of.clone(),
                set_by: d.author.clone(),
                readout: true,
            });
        }
        // By the moment, read as a time: a teammate's readout may write its zone another way.
        out.sort_by(|a, b| {
            moment(&a.taken_at)
                .cmp(&moment(&b.taken_at))
                .then(a.name.cmp(&b.name))
        });
        Ok(out)
    }

    /// The baseline a person names: by its id, or its name in any case; the latest when `given`
    /// is none. A name nothing has lists the names there are.
    /// The baseline a document (or the Plan screen) measures against at `at` when none is
    /// named: the latest one a lead set before it (the plan they agreed), else the last readout
    /// before it. Times compared as times.
    pub fn default_baseline(&self, program: Id, at: DateTime<Utc>) -> Result<Option<Baseline>> {
        let before = |b: &&Baseline| moment(&b.taken_at).is_some_and(|t| t < at);
        let all = self.baselines(program)?;
        Ok(all
            .iter()
            .filter(before)
            .rfind(|b| !b.readout)
            .or_else(|| all.iter().rfind(before))
            .cloned())
    }

    pub fn baseline(&self, program: Id, given: Option<&str>) -> Result<Baseline> {
        let all = self.baselines(program)?;
        if all.is_empty() {
            return Err(StoreError::NoBaselineYet);
        }
        let found = match given {
            None => all.last().cloned(),
            Some(given) => all
                .iter()
                .find(|b| {
                    b.id.to_string() == given.trim() || roadbook_model::same_name(&b.name, given)
                })
                .cloned(),
        };
        found.ok_or_else(|| StoreError::NoBaseline {
            given: given.unwrap_or_default().to_owned(),
            known: all
                .iter()
                .map(|b| format!("'{}'", b.name))
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// The program as it stood at a baseline: for a readout, exactly what the readout showed
    /// (its archived data, the same on every replica that has it); for a baseline set by hand,
    /// read back from this database's history.
    pub fn load_at_baseline(&self, program: Id, baseline: &Baseline) -> Result<Handbook> {
        let damaged =
            |what: &str| StoreError::BadStoredItem(format!("baseline '{}': {what}", baseline.name));
        if baseline.readout {
            let (_, snapshot) = self.document_with_snapshot(baseline.id)?;
            let data: serde_json::Value =
                serde_json::from_str(&snapshot).map_err(|_| damaged("its readout's data"))?;
            return serde_json::from_value(data.get("handbook").cloned().unwrap_or_default())
                .map_err(|_| damaged("its readout's program"));
        }
        let at = moment(&baseline.taken_at).ok_or_else(|| damaged("its moment"))?;
        self.load_as_of(program, at)
    }

    /// When the program's history here starts (none for a program joined whole, whose items
    /// count as always there).
    fn first_change(&self, program: Id) -> Result<Option<DateTime<Utc>>> {
        let first: Option<String> = self
            .conn
            .query_row(
                "SELECT min(changed_at) FROM history WHERE program_id = ?1",
                params![program.to_string()],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))?;
        Ok(first.as_deref().and_then(moment))
    }
}

/// The longest name a baseline may have: it is printed in a heading.
const NAME_MOST: usize = 100;

/// A stored moment as a time (whatever zone it was written in).
pub fn moment(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
