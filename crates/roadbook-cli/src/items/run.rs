//! The item verbs carried out: add, set, list, show, delete, restore and move, each through the
//! store's checks.

use super::*;

impl<W: Write> Ctx<W> {
    /// `roadbook KIND VERB ...` for the kinds built from the model's table.
    pub(crate) fn item_command(&mut self, kind: Kind, matches: &ArgMatches) -> Result<()> {
        let Some((verb, m)) = matches.subcommand() else {
            bail!("say what to do: add, set, list, show, delete, restore or move");
        };
        let program = option(m, "program")
            .map(|p| {
                p.trim()
                    .parse::<Id>()
                    .map_err(|e| anyhow!("--program is '{p}': {e}"))
            })
            .transpose()?;
        match verb {
            "add" => self.add_item(kind, program, m),
            "set" => self.set_item(kind, program, m),
            "list" => self.list_items(kind, program, option(m, "status"), switch(m, "json")),
            "show" => self.show_item(kind, program, item_text(m), switch(m, "json")),
            "delete" => {
                let id = self.named_item(kind, program, item_text(m))?;
                self.delete_item(id, Some(kind))
            }
            "restore" => {
                let id = m
                    .try_get_one::<Id>("item")
                    .ok()
                    .flatten()
                    .copied()
                    .ok_or_else(|| anyhow!("give the id of the deleted item"))?;
                self.restore_item(id, Some(kind))
            }
            "outcome" if kind == Kind::Review => self.review_outcome(program, m),
            "move" => {
                let id = self.named_item(kind, program, item_text(m))?;
                let before = option(m, "before")
                    .map(|b| self.named_item(kind, program, b))
                    .transpose()?;
                self.move_item(id, before)
            }
            other => bail!("'{other}' is not something to do with a {}", kind.noun()),
        }
    }

    /// The item a command names, in the program it names (or the only one there is).
    pub(crate) fn named_item(&self, kind: Kind, program: Option<Id>, given: &str) -> Result<Id> {
        let store = self.open()?;
        // An id names its program itself; one not there (or deleted) is for the command to
        // say so, as it does for any id.
        if let Ok(id) = given.trim().parse::<Id>() {
            if let Ok(located) = store.locate(id)
                && located.kind != kind
            {
                bail!("{id} is a {}, not a {}", located.kind.noun(), kind.noun());
            }
            return Ok(id);
        }
        let program = store.resolve_program(program)?;
        let h = store.load(program)?;
        resolve(&h, kind, given)
    }

    fn add_item(&mut self, kind: Kind, program: Option<Id>, m: &ArgMatches) -> Result<()> {
        let mut store = self.open()?;
        let program = store.resolve_program(program)?;
        let h = store.load(program)?;
        let mut item = given_fields(&store, &h, kind, m)?;
        let mut missing = Vec::new();
        for field in fields(kind).iter().filter(|f| f.required) {
            if item.contains_key(field.key) {
                continue;
            }
            match default_of(&h, kind, field) {
                Some(value) => {
                    item.insert(field.key.to_owned(), value);
                }
                None => missing.push(format!("--{} ({})", flag(field), field.label)),
            }
        }
        if !missing.is_empty() {
            bail!("a new {} needs {}", kind.noun(), missing.join(" and "));
        }
        for field in fields(kind) {
            if !item.contains_key(field.key) {
                item.insert(field.key.to_owned(), empty_of(kind, field));
            }
        }
        let id = Id::new();
        item.insert("id".into(), json!(id));
        store.create_value(
            program,
            kind,
            Value::Object(item),
            &self.session.author.name,
        )?;
        writeln!(self.out, "{id}")?;
        Ok(())
    }

    fn set_item(&mut self, kind: Kind, program: Option<Id>, m: &ArgMatches) -> Result<()> {
        let id = self.named_item(kind, program, item_text(m))?;
        let mut store = self.open()?;
        let h = store.load(store.locate(id)?.program_id)?;
        let changes = given_fields(&store, &h, kind, m)?;
        if changes.is_empty() {
            bail!(
                "say what to change: {}",
                fields(kind)
                    .iter()
                    .map(|f| format!("--{}", flag(f)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let saved = for_kind!(
            kind,
            set_typed(&mut store, id, &changes, &self.session.author.name)
        )?;
        match saved {
            Saved::Updated {
                fields: changed, ..
            } => {
                let labels: Vec<&str> = changed
                    .iter()
                    .map(|key| roadbook_model::field_label(kind, key))
                    .collect();
                writeln!(self.out, "changed {}", labels.join(", "))?;
            }
            _ => writeln!(self.out, "nothing changed")?,
        }
        Ok(())
    }

    fn list_items(
        &mut self,
        kind: Kind,
        program: Option<Id>,
        status: Option<&str>,
        as_json: bool,
    ) -> Result<()> {
        let store = self.open()?;
        let program = store.resolve_program(program)?;
        let h = store.load(program)?;
        let status = status
            .map(|s| resolve(&h, Kind::Status, s).context("--status"))
            .transpose()?;
        let status_key = status_field(kind).map(|f| f.key);
        let labels = h.labels();
        let mut rows = Vec::new();
        for (_, item) in h.entities() {
            if item.kind() != kind {
                continue;
            }
            let body = item.to_fields()?;
            if let (Some(wanted), Some(key)) = (status, status_key)
                && body.get(key) != Some(&json!(wanted))
            {
                continue;
            }
            rows.push((item.id(), item.label().to_owned(), body));
        }
        if as_json {
            let items: Vec<Value> = rows.into_iter().map(|(_, _, b)| Value::Object(b)).collect();
            writeln!(self.out, "{}", serde_json::to_string_pretty(&items)?)?;
            return Ok(());
        }
        for (id, label, body) in rows {
            // What a register row shows beside the name: status, dates, done or met.
            let mut extras = Vec::new();
            for field in fields(kind) {
                let value = body.get(field.key).unwrap_or(&Value::Null);
                match field.kind {
                    FieldType::Status | FieldType::Optionalstatus if !value.is_null() => {
                        extras.push(display(field, value, &labels));
                    }
                    FieldType::Date if !value.is_null() => {
                        extras.push(format!(
                            "{} {}",
                            field.label,
                            display(field, value, &labels)
                        ));
                    }
                    FieldType::Bool if value == &json!(true) => extras.push(field.label.to_owned()),
                    FieldType::Level | FieldType::Readiness => {
                        extras.push(format!(
                            "{} {}",
                            field.label,
                            display(field, value, &labels)
                        ));
                    }
                    _ => {}
                }
            }
            if extras.is_empty() {
                writeln!(self.out, "{id}  {label}")?;
            } else {
                writeln!(self.out, "{id}  {label}  ({})", extras.join(", "))?;
            }
        }
        Ok(())
    }

    pub(crate) fn show_item(
        &mut self,
        kind: Kind,
        program: Option<Id>,
        given: &str,
        as_json: bool,
    ) -> Result<()> {
        let id = self.named_item(kind, program, given)?;
        let store = self.open()?;
        let h = store.load(store.locate(id)?.program_id)?;
        let Some((_, item)) = h.entities().into_iter().find(|(_, e)| e.id() == id) else {
            bail!("there is no {} {id} in this program", kind.noun());
        };
        let body = item.to_fields()?;
        if as_json {
            writeln!(
                self.out,
                "{}",
                serde_json::to_string_pretty(&Value::Object(body))?
            )?;
            return Ok(());
        }
        let mut labels = h.labels();
        // What an item of another program is called, when that program is here.
        if let Some(on) = item.other_item()
            && let Ok(other) = store.load(on.program_id)
        {
            labels.insert(on.program_id, other.program.name.clone());
            labels.extend(other.labels());
        }
        writeln!(self.out, "{} ({id})", item.label())?;
        for field in fields(kind) {
            let value = body.get(field.key).unwrap_or(&Value::Null);
            writeln!(
                self.out,
                "  {}: {}",
                field.label,
                display(field, value, &labels)
            )?;
        }
        Ok(())
    }
}
