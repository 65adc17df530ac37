//! The decision, risk and action commands: list, add and change the registers a lead keeps
//! most, with names for statuses and owners.

use super::*;

impl<W: Write> Ctx<W> {
    pub(super) fn decision(&mut self, cmd: DecisionCommand) -> Result<()> {
        match cmd {
            DecisionCommand::Add {
                program,
                title,
                question,
                needed_from,
                workstream,
                status,
                due,
                options,
            } => {
                let (mut store, h) = self.open_program(program.program)?;
                let decision = Decision {
                    id: Id::new(),
                    title,
                    question: question.unwrap_or_default(),
                    needed_from: owners(&h, &needed_from)?,
                    workstream_id: workstream
                        .as_deref()
                        .map(|w| workstream_id(&h, w))
                        .transpose()?,
                    status_id: match status {
                        Some(s) => status_id(&h, &s)?,
                        None => default_status(&h, Kind::Decision)?,
                    },
                    due,
                    options,
                    outcome: String::new(),
                    rationale: String::new(),
                    decided_by: String::new(),
                    decided_on: None,
                    risk_ids: Vec::new(),
                    superseded_by: None,
                };
                store.create(h.program.id, &decision, &self.session.author.name)?;
                writeln!(self.out, "{}", decision.id)?;
            }
            DecisionCommand::Set {
                id,
                title,
                question,
                needed_from,
                workstream,
                status,
                due,
                outcome,
                rationale,
                decided_by,
                decided_on,
            } => {
                let id = self.named_item(Kind::Decision, None, &id)?;
                let store = self.open()?;
                let (program, mut d, seen) = store.get_revised::<Decision>(id)?;
                let before = d.clone();
                let h = store.load(program)?;
                set(&mut d.title, title);
                set(&mut d.question, question);
                if !needed_from.is_empty() {
                    d.needed_from = owners(&h, &needed_from)?;
                }
                if let Some(w) = workstream {
                    d.workstream_id = optional(&w, |w| workstream_id(&h, w))?;
                }
                if let Some(s) = status {
                    d.status_id = status_id(&h, &s)?;
                }
                if let Some(due) = due {
                    d.due = due.into_option();
                }
                set(&mut d.outcome, outcome);
                set(&mut d.rationale, rationale);
                set(&mut d.decided_by, decided_by);
                if let Some(on) = decided_on {
                    d.decided_on = on.into_option();
                }
                self.edit(store, program, &before, &d, &seen)?;
            }
            DecisionCommand::Delete { id } => {
                let id = self.named_item(Kind::Decision, None, &id)?;
                self.delete_item(id, Some(Kind::Decision))?
            }
            DecisionCommand::Item(command) => self.item_verb(Kind::Decision, command)?,
            DecisionCommand::Restore { id } => self.restore_item(id, Some(Kind::Decision))?,
            DecisionCommand::List(args) => self.list_register(
                &args,
                |h| &h.decisions,
                |d| d.status_id,
                |h, d| {
                    let from = d
                        .needed_from
                        .iter()
                        .map(|o| owner_name(h, *o))
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!(
                        "{}  {:<16}  {:<10}  {}  (needed from {})",
                        d.id,
                        status_name(h, d.status_id),
                        or_dash_date(d.due),
                        d.title,
                        or_dash(&from)
                    )
                },
            )?,
        }
        Ok(())
    }

    pub(super) fn risk(&mut self, cmd: RiskCommand) -> Result<()> {
        match cmd {
            RiskCommand::Add {
                program,
                statement,
                severity,
                likelihood,
                owner,
                status,
                mitigation,
                workstream,
            } => {
                let (mut store, h) = self.open_program(program.program)?;
                let scope = match workstream {
                    Some(w) => RiskScope::Workstream {
                        workstream_id: workstream_id(&h, &w)?,
                    },
                    None => RiskScope::Program,
                };
                let risk = Risk {
                    id: Id::new(),
                    statement,
                    scope,
                    severity,
                    likelihood,
                    owner_id: owner.as_deref().map(|o| owner_id(&h, o)).transpose()?,
                    status_id: match status {
                        Some(s) => status_id(&h, &s)?,
                        None => default_status(&h, Kind::Risk)?,
                    },
                    mitigation: mitigation.unwrap_or_default(),
                    source: String::new(),
                };
                store.create(h.program.id, &risk, &self.session.author.name)?;
                writeln!(self.out, "{}", risk.id)?;
            }
            RiskCommand::Set {
                id,
                statement,
                severity,
                likelihood,
                owner,
                status,
                mitigation,
            } => {
                let id = self.named_item(Kind::Risk, None, &id)?;
                let store = self.open()?;
                let (program, mut r, seen) = store.get_revised::<Risk>(id)?;
                let before = r.clone();
                let h = store.load(program)?;
                set(&mut r.statement, statement);
                if let Some(s) = severity {
                    r.severity = s;
                }
                if let Some(l) = likelihood {
                    r.likelihood = l;
                }
                if let Some(o) = owner {
                    r.owner_id = optional(&o, |o| owner_id(&h, o))?;
                }
                if let Some(s) = status {
                    r.status_id = status_id(&h, &s)?;
                }
                set(&mut r.mitigation, mitigation);
                self.edit(store, program, &before, &r, &seen)?;
            }
            RiskCommand::Delete { id } => {
                let id = self.named_item(Kind::Risk, None, &id)?;
                self.delete_item(id, Some(Kind::Risk))?
            }
            RiskCommand::Item(command) => self.item_verb(Kind::Risk, command)?,
            RiskCommand::Restore { id } => self.restore_item(id, Some(Kind::Risk))?,
            RiskCommand::List(args) => self.list_register(
                &args,
                |h| &h.risks,
                |r| r.status_id,
                |h, r| {
                    format!(
                        "{}  {:<16}  severity {:<6}  likelihood {:<6}  {}  ({})",
                        r.id,
                        status_name(h, r.status_id),
                        r.severity,
                        r.likelihood,
                        r.statement,
                        owner_or_dash(h, r.owner_id)
                    )
                },
            )?,
        }
        Ok(())
    }

    pub(super) fn action(&mut self, cmd: ActionCommand) -> Result<()> {
        match cmd {
            ActionCommand::Add {
                program,
                text,
                owner,
                due,
                status,
                source,
                decision,
            } => {
                let (mut store, h) = self.open_program(program.program)?;
                let action = Action {
                    id: Id::new(),
                    text,
                    owner_id: owner.as_deref().map(|o| owner_id(&h, o)).transpose()?,
                    due,
                    status_id: match status {
                        Some(s) => status_id(&h, &s)?,
                        None => default_status(&h, Kind::Action)?,
                    },
                    source: source.unwrap_or_default(),
                    decision_id: decision,
                    review_id: None,
                    workstream_id: None,
                };
                store.create(h.program.id, &action, &self.session.author.name)?;
                writeln!(self.out, "{}", action.id)?;
            }
            ActionCommand::Set {
                id,
                text,
                owner,
                due,
                status,
            } => {
                let id = self.named_item(Kind::Action, None, &id)?;
                let store = self.open()?;
                let (program, mut a, seen) = store.get_revised::<Action>(id)?;
                let before = a.clone();
                let h = store.load(program)?;
                set(&mut a.text, text);
                if let Some(o) = owner {
                    a.owner_id = optional(&o, |o| owner_id(&h, o))?;
                }
                if let Some(due) = due {
                    a.due = due.into_option();
                }
                if let Some(s) = status {
                    a.status_id = status_id(&h, &s)?;
                }
                self.edit(store, program, &before, &a, &seen)?;
            }
            ActionCommand::Delete { id } => {
                let id = self.named_item(Kind::Action, None, &id)?;
                self.delete_item(id, Some(Kind::Action))?
            }
            ActionCommand::Item(command) => self.item_verb(Kind::Action, command)?,
            ActionCommand::Restore { id } => self.restore_item(id, Some(Kind::Action))?,
            ActionCommand::List(args) => self.list_register(
                &args,
                |h| &h.actions,
                |a| a.status_id,
                |h, a| {
                    format!(
                        "{}  {:<16}  {:<10}  {}  ({})",
                        a.id,
                        status_name(h, a.status_id),
                        or_dash_date(a.due),
                        a.text,
                        owner_or_dash(h, a.owner_id)
                    )
                },
            )?,
        }
        Ok(())
    }
}

impl<W: Write> Ctx<W> {
    /// A register listed: its items of the status asked for (all without one), as JSON for
    /// scripts or one line each in the lead's words. The decision, risk and action lists differ
    /// only in their items and their line.
    fn list_register<T: serde::Serialize>(
        &mut self,
        args: &ListArgs,
        items: fn(&Handbook) -> &[T],
        status: fn(&T) -> Id,
        line: impl Fn(&Handbook, &T) -> String,
    ) -> Result<()> {
        let (_, h) = self.open_program(args.program.program)?;
        let wanted = filter_status(&h, args)?;
        let rows: Vec<&T> = items(&h)
            .iter()
            .filter(|item| wanted.is_none_or(|s| status(item) == s))
            .collect();
        if args.json {
            writeln!(self.out, "{}", serde_json::to_string_pretty(&rows)?)?;
        } else {
            for item in rows {
                writeln!(self.out, "{}", line(&h, item))?;
            }
        }
        Ok(())
    }
}

/// A date, or a dash when there is none.
fn or_dash_date(date: Option<roadbook_model::Date>) -> String {
    date.map(|d| d.to_string())
        .unwrap_or_else(|| "-".to_owned())
}

/// The owner's name, or a dash when there is none.
fn owner_or_dash(h: &Handbook, owner: Option<Id>) -> String {
    owner
        .map(|o| owner_name(h, o))
        .unwrap_or_else(|| "-".to_owned())
}
