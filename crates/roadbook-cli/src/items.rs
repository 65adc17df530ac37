//! Every kind of item from the command line: `roadbook KIND add|set|list|show|delete|restore|
//! move`, built from the model's table of fields (`roadbook_model::fields`, the one the app's
//! editor holds too). Flags are the export format's field names (`status_id` is `--status`,
//! with `--status-id` as an alias), printed values carry the app's labels, items are named by
//! id or by a unique name, and every change goes through the store's checks, so a value the
//! app refuses is refused here with the same message and nothing written.

use std::io::Write;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Arg, ArgAction, ArgGroup, ArgMatches, Command};
use roadbook_model::{
    Date, Entity, Field, FieldType, Handbook, Id, Kind, Level, OwnerKind, ReadinessState, fields,
    for_kind, strict,
};
use roadbook_store::{Saved, Store, edits_between};
use serde_json::{Map, Value, json};

use crate::commands::Ctx;

/// The kinds these commands cover and their word on the command line. Decisions, risks and
/// actions have commands of their own (with `show` and `move` from here).
const KINDS: &[(&str, &str, Kind)] = &[
    (
        "workstream",
        "Workstreams: area, owners, status, risk, main blocker, snapshot",
        Kind::Workstream,
    ),
    (
        "phase",
        "Phases of a phase view: name, goal, status, start and end",
        Kind::Phase,
    ),
    ("work-item", "Work items of a phase", Kind::WorkItem),
    (
        "exit-criterion",
        "Exit criteria of a phase (check one off with --met yes --evidence TEXT)",
        Kind::ExitCriterion,
    ),
    (
        "milestone",
        "Milestones: name, what reaches it, target date, status, phase",
        Kind::Milestone,
    ),
    (
        "dependency",
        "The dependency map: what depends on what, and why it matters",
        Kind::Dependency,
    ),
    (
        "review",
        "Review meetings: prepared beforehand (purpose, date, attendees, decisions to aim for), recorded afterwards",
        Kind::Review,
    ),
    (
        "owner",
        "Owner labels: teams, people and placeholders",
        Kind::Owner,
    ),
    ("status", "The program's status vocabulary", Kind::Status),
];

/// `roadbook readiness dimension|check ...`.
const READINESS: &[(&str, &str, Kind)] = &[
    (
        "dimension",
        "Readiness dimensions: name, current signal, state, owner",
        Kind::ReadinessDimension,
    ),
    (
        "check",
        "The readiness checklist: items with owner, done and evidence",
        Kind::ReadinessCheck,
    ),
];

/// The command line with the item commands added to the ones clap derives.
pub(crate) fn augment(mut command: Command) -> Command {
    for (word, about, kind) in KINDS {
        command = command.subcommand(verbs(word, about, *kind));
    }
    let mut readiness = Command::new("readiness")
        .about("Readiness: its dimensions and its checklist")
        .subcommand_required(true);
    for (word, about, kind) in READINESS {
        readiness = readiness.subcommand(verbs(word, about, *kind));
    }
    command.subcommand(readiness)
}

/// The kind an item command is for, and its verb's arguments.
pub(crate) fn matched(matches: &ArgMatches) -> Option<(Kind, &ArgMatches)> {
    let (word, sub) = matches.subcommand()?;
    if word == "readiness" {
        let (word, sub) = sub.subcommand()?;
        return READINESS
            .iter()
            .find(|(w, _, _)| *w == word)
            .map(|(_, _, kind)| (*kind, sub));
    }
    KINDS
        .iter()
        .find(|(w, _, _)| *w == word)
        .map(|(_, _, kind)| (*kind, sub))
}

/// The flag for a field: its export name in kebab case, without `_id` or `_ids`.
fn flag(field: &Field) -> String {
    let key = field
        .key
        .strip_suffix("_ids")
        .or_else(|| field.key.strip_suffix("_id"))
        .unwrap_or(field.key);
    key.replace('_', "-")
}

fn value_name(field: &Field) -> &'static str {
    match field.kind {
        FieldType::Date => "YYYY-MM-DD|none",
        FieldType::Bool => "yes|no",
        FieldType::Level => "low|medium|high",
        FieldType::Readiness => "not-ready|partial|ready",
        FieldType::Ownerkind => "placeholder|team|person",
        FieldType::Colour => "#RRGGBB",
        FieldType::Scope => "program|NAME",
        FieldType::Optionaltext => "TEXT|none",
        kind if kind.nested() => "JSON",
        kind if kind.names().is_some() => "NAME|ID",
        _ => "TEXT",
    }
}

fn help(field: &Field) -> String {
    let mut text = field.label.to_owned();
    if field.kind.many() {
        text.push_str(
            ": one per flag, repeat it for several (replaces the list; `none` empties it)",
        );
    } else if field.kind.nested() {
        text.push_str(match field.kind {
            FieldType::Attendees => {
                r#": a JSON list, e.g. [{"name": "Priya Raman", "group": "core"}] (group: core or specialist)"#
            }
            FieldType::Outputs => {
                r#": a JSON list, e.g. [{"text": "Decision recorded", "when": "same_day"}] (when: same_day or next_cycle)"#
            }
            _ => r#": a JSON list, e.g. [{"title": "Opening", "text": "Where we are"}]"#,
        });
    } else if field.kind == FieldType::Scope {
        text.push_str(": program, or the name of a workstream, phase or review");
    }
    text
}

pub(crate) fn program_arg() -> Arg {
    Arg::new("program")
        .long("program")
        .value_name("ID")
        .help("The program (needed only when the database holds several)")
}

pub(crate) fn item_arg(noun: &str) -> Arg {
    Arg::new("item")
        .value_name("NAME|ID")
        .required(true)
        .help(format!(
            "The {noun}: its id, or its name when no other has it"
        ))
}

fn json_arg() -> Arg {
    Arg::new("json")
        .long("json")
        .action(ArgAction::SetTrue)
        .help("Print JSON (the export format's fields)")
}

/// Whether a new item takes a value for `field` when none is given (as the app's editor does).
fn has_default(field: &Field) -> bool {
    matches!(
        field.kind,
        FieldType::Status
            | FieldType::Level
            | FieldType::Readiness
            | FieldType::Ownerkind
            | FieldType::Colour
    )
}

fn field_args(kind: Kind, adding: bool) -> Vec<Arg> {
    // What names the item is `--title` on every kind, as on decisions; its own word stays as an
    // alias (`--area`, `--name`).
    let label = roadbook_model::LABEL_FIELDS
        .iter()
        .find(|key| fields(kind).iter().any(|f| f.key == **key));
    fields(kind)
        .iter()
        .map(|field| {
            let own = flag(field);
            let long = if label == Some(&field.key) {
                "title".to_owned()
            } else {
                own.clone()
            };
            let alias = field.key.replace('_', "-");
            let mut text = help(field);
            if adding && field.required && !has_default(field) {
                text.push_str(" (required)");
            }
            let mut arg = Arg::new(field.key)
                .long(long.clone())
                .value_name(value_name(field))
                .help(text)
                .action(if field.kind.many() {
                    ArgAction::Append
                } else {
                    ArgAction::Set
                });
            for alias in [own, alias] {
                if alias != long
                    && !arg
                        .get_visible_aliases()
                        .is_some_and(|a| a.contains(&alias.as_str()))
                {
                    arg = arg.visible_alias(alias);
                }
            }
            arg
        })
        .collect()
}

/// `add`, `set`, `list`, `show`, `delete`, `restore` and `move` for `kind`.
fn verbs(word: &'static str, about: &'static str, kind: Kind) -> Command {
    let noun = kind.noun();
    // "an exit criterion", "an owner", "a phase".
    let a_noun = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {noun}")
    } else {
        format!("a {noun}")
    };
    let mut list = Command::new("list")
        .about(format!("List the {}", kind.collection().replace('_', " ")))
        .arg(program_arg())
        .arg(json_arg());
    if status_field(kind).is_some() {
        list = list.arg(
            Arg::new("status")
                .long("status")
                .value_name("STATUS")
                .help("Only items with this status (name or id)"),
        );
    }
    let command = Command::new(word)
        .about(about)
        .subcommand_required(true)
        .subcommand(
            Command::new("add")
                .about(format!("Add {a_noun}; prints its id"))
                .arg(program_arg())
                .args(field_args(kind, true)),
        )
        .subcommand(
            Command::new("set")
                .about(format!("Change fields of {a_noun}"))
                .arg(item_arg(noun))
                .arg(program_arg())
                .args(field_args(kind, false)),
        )
        .subcommand(list)
        .subcommand(
            Command::new("show")
                .about(format!("Every field of {a_noun}"))
                .arg(item_arg(noun))
                .arg(program_arg())
                .arg(json_arg()),
        )
        .subcommand(
            Command::new("delete")
                .about(format!(
                    "Delete {a_noun} (restore brings it back, whole and in its place)"
                ))
                .arg(item_arg(noun))
                .arg(program_arg()),
        )
        .subcommand(
            Command::new("restore")
                .about(format!("Bring back a deleted {noun}"))
                .arg(
                    Arg::new("item")
                        .value_name("ID")
                        .required(true)
                        .value_parser(clap::value_parser!(Id)),
                ),
        )
        .subcommand(
            Command::new("move")
                .about(format!(
                    "Move {a_noun} within its list: before another, or to the end"
                ))
                .arg(item_arg(noun))
                .arg(program_arg())
                .arg(
                    Arg::new("before")
                        .long("before")
                        .value_name("NAME|ID")
                        .help(format!("Put it just before this {noun}")),
                )
                .arg(
                    Arg::new("last")
                        .long("last")
                        .action(ArgAction::SetTrue)
                        .help("Put it at the end of its list"),
                )
                .group(
                    ArgGroup::new("place")
                        .args(["before", "last"])
                        .required(true),
                ),
        );
    if kind == Kind::Review {
        command.subcommand(crate::outcome::command())
    } else {
        command
    }
}

fn status_field(kind: Kind) -> Option<&'static Field> {
    fields(kind)
        .iter()
        .find(|f| matches!(f.kind, FieldType::Status | FieldType::Optionalstatus))
}

/// The names an item of `kind` answers to, the first one the one shown.
fn names(h: &Handbook, kind: Kind) -> Vec<(Id, Vec<String>)> {
    match kind {
        Kind::Owner => h
            .owners
            .iter()
            // The name tables use first (the short one, when there is one), then the full one.
            .map(|o| {
                let mut names = vec![o.display_name().to_owned()];
                if o.name != o.display_name() {
                    names.push(o.name.clone());
                }
                (o.id, names)
            })
            .collect(),
        // Phase names repeat across views ("Now"): "VIEW: NAME" tells them apart.
        Kind::Phase => h
            .phases
            .iter()
            .map(|p| {
                (
                    p.id,
                    vec![format!("{}: {}", p.view, p.name), p.name.clone()],
                )
            })
            .collect(),
        _ => h
            .entities()
            .into_iter()
            .filter(|(_, e)| e.kind() == kind)
            .map(|(_, e)| (e.id(), vec![e.label().to_owned()]))
            .collect(),
    }
}

/// The item of `kind` a person names: its id, or a name only one item has (any case). Several
/// items with the name are listed with their ids; an unknown name lists the names there are.
pub(crate) fn resolve(h: &Handbook, kind: Kind, given: &str) -> Result<Id> {
    let id = given.trim().parse::<Id>().ok();
    let known = names(h, kind);
    if let Some(id) = id
        && known.iter().any(|(item, _)| *item == id)
    {
        return Ok(id);
    }
    let found: Vec<&(Id, Vec<String>)> = known
        .iter()
        .filter(|(_, names)| names.iter().any(|n| roadbook_model::same_name(n, given)))
        .collect();
    match found.as_slice() {
        [(id, _)] => Ok(*id),
        [] if known.is_empty() => bail!(
            "unknown {} '{given}': the program has none yet (roadbook {} add)",
            kind.noun(),
            command_word(kind)
        ),
        [] => {
            let mut shown: Vec<String> = known
                .iter()
                .filter_map(|(_, n)| n.first().cloned())
                .take(12)
                .collect();
            if known.len() > 12 {
                shown.push(format!("and {} more", known.len() - 12));
            }
            bail!(
                "unknown {} '{given}': use one of {}",
                kind.noun(),
                shown.join("; ")
            )
        }
        several => bail!(
            "'{given}' names {} {}: {}; give the id",
            several.len(),
            kind.collection().replace('_', " "),
            several
                .iter()
                .map(|(id, n)| format!(
                    "'{}' ({id})",
                    n.first().map(String::as_str).unwrap_or_default()
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The command that adds items of `kind`.
fn command_word(kind: Kind) -> String {
    KINDS
        .iter()
        .find(|(_, _, k)| *k == kind)
        .map(|(w, _, _)| (*w).to_owned())
        .or_else(|| {
            READINESS
                .iter()
                .find(|(_, _, k)| *k == kind)
                .map(|(w, _, _)| format!("readiness {w}"))
        })
        .unwrap_or_else(|| kind.as_str().to_owned())
}

/// A value given on the command line for `field`, as the item's JSON holds it.
fn value_of(h: &Handbook, field: &Field, given: &[String]) -> Result<Value> {
    let name = flag(field);
    let one = given.last().map(String::as_str).unwrap_or_default();
    let none = |text: &str| text.trim().eq_ignore_ascii_case("none");
    let value = match field.kind {
        FieldType::Text | FieldType::Longtext | FieldType::Colour => json!(one),
        FieldType::Optionaltext if none(one) => Value::Null,
        FieldType::Optionaltext => json!(one),
        FieldType::List if given.len() == 1 && none(one) => json!([]),
        FieldType::List => json!(given),
        FieldType::Bool => match one.trim().to_lowercase().as_str() {
            "yes" | "true" | "y" => json!(true),
            "no" | "false" | "n" => json!(false),
            _ => bail!("--{name} is '{one}': give yes or no"),
        },
        FieldType::Date if none(one) => Value::Null,
        FieldType::Date => {
            let date: Date = one
                .parse()
                .map_err(|e| anyhow!("--{name} is '{one}': {e}"))?;
            json!(date.to_string())
        }
        FieldType::Level => json!(one.parse::<Level>()?.as_str()),
        FieldType::Readiness => json!(one.parse::<ReadinessState>()?.as_str()),
        FieldType::Ownerkind => json!(one.parse::<OwnerKind>()?.as_str()),
        FieldType::Scope => scope(h, one)?,
        kind if kind.nested() => serde_json::from_str(one).map_err(|e| {
            anyhow!("--{name} is not a JSON list ({e}): see roadbook help for an example")
        })?,
        kind => {
            let Some(target) = kind.names() else {
                bail!("--{name} cannot be given on the command line");
            };
            if kind.many() {
                if given.len() == 1 && none(one) {
                    json!([])
                } else {
                    let ids = given
                        .iter()
                        .map(|g| resolve(h, target, g))
                        .collect::<Result<Vec<Id>>>()
                        .with_context(|| format!("--{name}"))?;
                    json!(ids)
                }
            } else if none(one) && !field.required && kind != FieldType::Phase {
                Value::Null
            } else {
                json!(resolve(h, target, one).with_context(|| format!("--{name}"))?)
            }
        }
    };
    Ok(value)
}

/// Where a risk applies: the program, or the workstream, phase or review named.
fn scope(h: &Handbook, given: &str) -> Result<Value> {
    if given.trim().eq_ignore_ascii_case("program") {
        return Ok(json!({"kind": "program"}));
    }
    let mut found = Vec::new();
    for (kind, key, word) in [
        (Kind::Workstream, "workstream_id", "workstream"),
        (Kind::Phase, "phase_id", "phase"),
        (Kind::Review, "review_id", "review"),
    ] {
        for (id, names) in names(h, kind) {
            if Some(id) == given.trim().parse::<Id>().ok()
                || names.iter().any(|n| roadbook_model::same_name(n, given))
            {
                found.push(json!({"kind": word, key: id}));
            }
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => bail!(
            "--scope is '{given}': give program, or the name of a workstream, phase or review"
        ),
        n => bail!("--scope '{given}' names {n} items: give the id of the one you mean"),
    }
}

/// The fields the command line gave, as JSON values.
fn given_fields(h: &Handbook, kind: Kind, m: &ArgMatches) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for field in fields(kind) {
        let Some(values) = m.try_get_many::<String>(field.key).ok().flatten() else {
            continue;
        };
        let values: Vec<String> = values.cloned().collect();
        out.insert(field.key.to_owned(), value_of(h, field, &values)?);
    }
    Ok(out)
}

/// A new item's value for a required field the command line left out, as the app's editor
/// fills it in; none when the person must give it.
fn default_of(h: &Handbook, kind: Kind, field: &Field) -> Option<Value> {
    match field.kind {
        FieldType::Status => crate::commands::default_status(h, kind)
            .ok()
            .map(|id| json!(id)),
        FieldType::Level => Some(json!("medium")),
        FieldType::Readiness => Some(json!("not_ready")),
        FieldType::Ownerkind => Some(json!("team")),
        FieldType::Colour => Some(json!("#5B6BD5")),
        _ => None,
    }
}

/// A new item's value for a field the command line left out, as the app's editor starts it.
fn empty_of(kind: Kind, field: &Field) -> Value {
    match field.kind {
        FieldType::Text | FieldType::Longtext | FieldType::Colour => json!(""),
        kind_of if kind_of.many() || kind_of.nested() => json!([]),
        // A new status still needs work until someone says it ends an item's life.
        FieldType::Bool => json!(kind == Kind::Status && field.key == "open"),
        FieldType::Level => json!("medium"),
        FieldType::Scope => json!({"kind": "program"}),
        _ => Value::Null,
    }
}

/// A text option of a verb, if the verb has it and it was given.
pub(crate) fn option<'a>(m: &'a ArgMatches, id: &str) -> Option<&'a str> {
    m.try_get_one::<String>(id)
        .ok()
        .flatten()
        .map(String::as_str)
}

/// A switch of a verb, if the verb has it.
pub(crate) fn switch(m: &ArgMatches, id: &str) -> bool {
    m.try_get_one::<bool>(id)
        .ok()
        .flatten()
        .copied()
        .unwrap_or(false)
}

pub(crate) fn set_typed<E: Entity>(
    store: &mut Store,
    id: Id,
    changes: &Map<String, Value>,
    author: &str,
) -> Result<Saved> {
    let (program, before, seen) = store.get_revised::<E>(id)?;
    let Value::Object(mut item) = serde_json::to_value(&before)? else {
        bail!("the stored {} cannot be read", E::KIND.noun());
    };
    for (key, value) in changes {
        item.insert(key.clone(), value.clone());
    }
    let after: E = strict(E::KIND.noun(), Value::Object(item))?;
    let edits = edits_between(&before, &after, &seen)?;
    if edits.is_empty() {
        return Ok(Saved::Unchanged);
    }
    Ok(store.edit(program, E::KIND, id, &edits, author)?)
}

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
        let mut item = given_fields(&h, kind, m)?;
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
        let changes = given_fields(&h, kind, m)?;
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
        let labels = h.labels();
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

fn item_text(m: &ArgMatches) -> &str {
    option(m, "item").unwrap_or_default()
}

/// A field's value as a person reads it: a fixed word without its underscores ("not ready").
fn display(field: &Field, value: &Value, labels: &std::collections::HashMap<Id, String>) -> String {
    let text = crate::words::shown(value, labels, crate::words::Quoted::No);
    match field.kind {
        FieldType::Level | FieldType::Readiness | FieldType::Ownerkind => text.replace('_', " "),
        _ => text,
    }
}
