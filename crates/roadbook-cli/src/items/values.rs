//! What a person types, read as the model's values: an item named by id or by a unique name,
//! a field's value from its flag, the defaults a new item gets, and a stored value printed in
//! the lead's words.

use super::*;

pub(super) fn status_field(kind: Kind) -> Option<&'static Field> {
    fields(kind)
        .iter()
        .find(|f| matches!(f.kind, FieldType::Status | FieldType::Optionalstatus))
}

/// The names an item of `kind` answers to, the first one the one shown.
pub(super) fn names(h: &Handbook, kind: Kind) -> Vec<(Id, Vec<String>)> {
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
pub(super) fn command_word(kind: Kind) -> String {
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
pub(super) fn value_of(
    store: &Store,
    h: &Handbook,
    field: &Field,
    given: &[String],
) -> Result<Value> {
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
        FieldType::OtherItem if none(one) => Value::Null,
        // An item of another program, by its id (ids are unique across programs): the program
        // is the one this database holds it in; the store says whether it may be named.
        FieldType::OtherItem => {
            let id: Id = one.trim().parse().map_err(|_| {
                anyhow!("--{name} is '{one}': give the id of a milestone, decision or phase of another program (roadbook milestone list --program ID shows them)")
            })?;
            let located = store.locate(id).map_err(|_| {
                if store.locate_deleted(id).is_ok() {
                    anyhow!("--{name}: {id} is deleted: restore it first (roadbook restore {id}), or name another")
                } else {
                    anyhow!("--{name}: no item {id} in this database: join the program it belongs to first (a dependency names only what you can see)")
                }
            })?;
            json!({"program_id": located.program_id, "item_id": id})
        }
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
pub(super) fn scope(h: &Handbook, given: &str) -> Result<Value> {
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
pub(super) fn given_fields(
    store: &Store,
    h: &Handbook,
    kind: Kind,
    m: &ArgMatches,
) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for field in fields(kind) {
        let Some(values) = m.try_get_many::<String>(field.key).ok().flatten() else {
            continue;
        };
        let values: Vec<String> = values.cloned().collect();
        out.insert(field.key.to_owned(), value_of(store, h, field, &values)?);
    }
    Ok(out)
}

/// A new item's value for a required field the command line left out, as the app's editor
/// fills it in; none when the person must give it.
pub(super) fn default_of(h: &Handbook, kind: Kind, field: &Field) -> Option<Value> {
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
pub(super) fn empty_of(kind: Kind, field: &Field) -> Value {
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

pub(super) fn item_text(m: &ArgMatches) -> &str {
    option(m, "item").unwrap_or_default()
}

/// A field's value as a person reads it: a fixed word without its underscores ("not ready").
pub(super) fn display(
    field: &Field,
    value: &Value,
    labels: &std::collections::HashMap<Id, String>,
) -> String {
    if field.kind == FieldType::OtherItem
        && let Ok(on) = serde_json::from_value::<roadbook_model::OtherItem>(value.clone())
    {
        return match (labels.get(&on.item_id), labels.get(&on.program_id)) {
            (Some(item), Some(program)) => format!("'{item}' of '{program}'"),
            _ => "an item of a program not in this database".to_owned(),
        };
    }
    let text = crate::words::in_words(value, labels, crate::words::Quoted::No);
    match field.kind {
        FieldType::Level | FieldType::Readiness | FieldType::Ownerkind => text.replace('_', " "),
        _ => text,
    }
}
