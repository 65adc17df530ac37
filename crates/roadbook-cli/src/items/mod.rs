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

mod run;
mod values;

use values::*;
pub(crate) use values::{resolve, set_typed};

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
        FieldType::OtherItem => "ITEM_ID|none",
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
