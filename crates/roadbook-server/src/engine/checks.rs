//! What the server checks of an item before it writes it: what the database can store, a
//! position, and the model's rules with what the item points at looked up here.

use super::*;

/// Whether the database can store `value`: PostgreSQL's JSON holds no NUL character (U+0000)
/// in a string or a key. Said with where it is, so the person can find it.
pub fn storable(value: &Value) -> Result<(), String> {
    fn walk(value: &Value, path: &mut Vec<String>) -> Result<(), String> {
        let at = |path: &[String]| {
            if path.is_empty() {
                "a value".to_owned()
            } else {
                format!("'{}'", path.join("."))
            }
        };
        match value {
            Value::String(text) if text.contains('\0') => Err(format!(
                "{} holds a NUL character (U+0000), which cannot be stored: remove it and send again",
                at(path)
            )),
            Value::Array(items) => {
                for (n, item) in items.iter().enumerate() {
                    path.push(n.to_string());
                    walk(item, path)?;
                    path.pop();
                }
                Ok(())
            }
            Value::Object(map) => {
                for (key, item) in map {
                    if key.contains('\0') {
                        return Err(format!(
                            "a field name in {} holds a NUL character (U+0000), which cannot be stored",
                            at(path)
                        ));
                    }
                    path.push(key.clone());
                    walk(item, path)?;
                    path.pop();
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    walk(value, &mut Vec::new())
}

pub(super) fn storable_operation(operation: &Operation) -> Result<(), String> {
    match operation {
        Operation::Create { fields } => storable(&Value::Object(fields.clone())),
        Operation::Update { fields } => {
            for (name, change) in fields {
                storable(&json!({ name: change.value }))?;
                if let Some(delta) = &change.set {
                    storable(&json!({ name: delta.added }))?;
                    storable(&json!({ name: delta.removed }))?;
                }
            }
            Ok(())
        }
        Operation::Delete { .. } => Ok(()),
        Operation::Resolve { choice, .. } => match choice {
            Choice::Merged { value } => storable(value),
            Choice::Mine | Choice::Theirs => Ok(()),
        },
    }
}

/// The item's body as the model reads it: its fields without the pseudo-fields, with its id.
pub(super) fn body_of(fields: &Map<String, Value>, id: Id) -> Map<String, Value> {
    let mut body: Map<String, Value> = fields
        .iter()
        .filter(|(f, _)| f.as_str() != POSITION && f.as_str() != DELETED)
        .map(|(f, v)| (f.clone(), v.clone()))
        .collect();
    body.insert("id".into(), json!(id));
    body
}

pub(super) fn position_text(fields: &Map<String, Value>) -> Result<(), String> {
    match fields.get(POSITION) {
        Some(Value::String(key)) if key.parse::<OrderKey>().is_ok() => Ok(()),
        Some(other) => Err(format!("position {other} is not an order key")),
        None => Err("a new item needs its position".into()),
    }
}

pub(super) fn position_of(item: &Item) -> EngineResult<()> {
    match item.fields.get(POSITION) {
        None => Ok(()),
        Some(_) => position_text(&item.fields)
            .map_err(|e| EngineError::Invalid(format!("{} {}: {e}", item.kind.noun(), item.id))),
    }
}

/// Checks an item as the model does: its own fields, references to live items of the right
/// kind, the rules that need them (what this write breaks, not what `before`, the item as it
/// stood, already broke), unique status and owner names. `Ok(Err(reason))` when the model
/// refuses it.
pub(super) async fn validate(
    tx: &mut dyn ProgramTx,
    kind: Kind,
    id: Id,
    fields: &Map<String, Value>,
    before: Option<&Map<String, Value>>,
) -> EngineResult<Result<(), String>> {
    let body = body_of(fields, id);
    let item = match for_kind!(kind, check_alone(&body)) {
        Err(reason) => return Ok(Err(reason)),
        Ok(item) => item,
    };
    // Read once each: the item, and as it stood (one that no longer reads judges nothing: the
    // change is checked whole).
    let before = before.and_then(|b| for_kind!(kind, read(&body_of(b, id))));
    let mut problems = Problems::with_prefix(kind.noun());
    // Looked up here, judged by the model as the laptop's store judges it.
    let mut found = roadbook_model::Lookups::new();
    let mut looked_up = item.references();
    looked_up.extend(before.as_ref().map(|b| b.references()).unwrap_or_default());
    for reference in &looked_up {
        if found.contains_key(&reference.id) {
            continue;
        }
        if let Some(item) = tx.item(reference.id).await?
            && !item.deleted()
        {
            let look = roadbook_model::Found::of(
                item.kind,
                item.fields.get("name").and_then(Value::as_str),
                item.fields.get("open").and_then(Value::as_bool),
            );
            found.insert(reference.id, look);
        }
    }
    if let Err(invalid) = roadbook_model::check_in_program(
        &*item,
        before.as_deref().map(|b| b as &dyn AnyEntity),
        &found,
    ) {
        for problem in invalid.0 {
            problems.push(problem);
        }
    }
    if matches!(kind, Kind::Status | Kind::Owner) {
        let name = fields
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let taken = tx.names(kind, id).await?;
        roadbook_model::check_unique_name(
            kind,
            name,
            taken.iter().map(String::as_str),
            &mut problems,
        );
    }
    Ok(problems.into_result().map_err(|e| e.to_string()))
}

/// The item read as its kind and its own checks; checked against the program after.
fn check_alone<E: Entity + Send + Sync + 'static>(
    body: &Map<String, Value>,
) -> Result<Box<dyn AnyEntity + Send + Sync>, String> {
    let item: E = serde_path_to_error::deserialize(Value::Object(body.clone()))
        .map_err(|err| format!("{}.{}: {}", E::KIND.noun(), err.path(), err.inner()))?;
    let mut problems = Problems::with_prefix(E::KIND.noun());
    item.check(&mut problems);
    problems.into_result().map_err(|e| e.to_string())?;
    Ok(Box::new(item))
}

/// A stored body read as its kind (none when it no longer reads).
fn read<E: Entity + Send + Sync + 'static>(
    body: &Map<String, Value>,
) -> Option<Box<dyn AnyEntity + Send + Sync>> {
    serde_json::from_value::<E>(Value::Object(body.clone()))
        .ok()
        .map(|item| Box::new(item) as Box<dyn AnyEntity + Send + Sync>)
}

/// Live items that refer to `item`, as "kind 'label'".
pub(super) async fn referrers(
    tx: &mut dyn ProgramTx,
    item: &StoredItem,
) -> EngineResult<Vec<String>> {
    let mut out = Vec::new();
    for other in tx.mentions(item.id).await? {
        if other.id == item.id || other.deleted() {
            continue;
        }
        let body = body_of(&other.fields, other.id);
        if let Ok(references) = for_kind!(other.kind, check_references_of(&body))
            && references.contains(&item.id)
        {
            let label = roadbook_model::label_in(|f| other.fields.get(f)).unwrap_or_default();
            out.push(format!("{} '{label}'", other.kind.noun()));
        }
    }
    Ok(out)
}

fn check_references_of<E: Entity>(body: &Map<String, Value>) -> Result<Vec<Id>, String> {
    let item: E = serde_json::from_value(Value::Object(body.clone())).map_err(|e| e.to_string())?;
    Ok(item.references().into_iter().map(|r| r.id).collect())
}
