//! What a write checks before anything is written, with what it looks up in the database for
//! the model to judge: references, the rules that need them, names taken, and what still points
//! at an item being deleted.

use super::*;

/// The checks a write makes before anything is written: the item's own fields, references to
/// live items of the right kind in the same program, the rules that need them (what the write
/// breaks, not what `before`, the item as it stood, already broke), unique status and owner
/// names.
pub(super) fn check<E: Entity>(
    tx: &Tx<'_>,
    program: Id,
    body: &Map<String, Value>,
    before: Option<&Map<String, Value>>,
    id: Id,
) -> Result<()> {
    let item: E = typed(&with_id(body, id))?;
    let mut problems = Problems::with_prefix(E::KIND.noun());
    problems.nul_characters(&Value::Object(body.clone()));
    item.check(&mut problems);
    problems.into_result()?;
    // A stored body that no longer reads as its type judges nothing: the change is checked whole.
    let before: Option<E> = before.and_then(|b| typed(&with_id(b, id)).ok());
    check_references(tx, program, &item, before.as_ref())?;
    // An item of another program is checked when it is named, not on every later edit: a
    // teammate may have named one of a program this person cannot see.
    if let Some(on) = item.other_item()
        && before.as_ref().and_then(Entity::other_item) != Some(on)
    {
        roadbook_model::check_other_item(program, on, live_anywhere(tx, on.item_id)?)?;
    }
    if matches!(E::KIND, Kind::Status | Kind::Owner) {
        let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
        check_unique_name(tx, program, E::KIND, id, name)?;
    }
    Ok(())
}

/// The live items of the program that point at `id`, as "kind 'label'".
pub(super) fn referrers(tx: &Tx<'_>, program: Id, id: Id) -> Result<Vec<String>> {
    // Only bodies that mention the id can point at it; the model says which really do.
    let mut stmt = tx
        .tx
        .prepare_cached(
            "SELECT kind, body, id FROM items WHERE program_id = ?1 AND deleted = 0 AND id <> ?2 AND instr(body, ?2) > 0",
        )
        .map_err(|e| tx.sql(e))?;
    let rows = stmt
        .query_map(params![program.to_string(), id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(|e| tx.sql(e))?;
    let mut scratch = Handbook::empty(Program::new("scratch"));
    for row in rows {
        let (kind, body, item) = row.map_err(|e| tx.sql(e))?;
        let body = with_id(&parse_body(&body)?, parse_id(&item)?);
        scratch
            .push_json(parse_kind(&kind)?, &Value::Object(body).to_string())
            .map_err(|e| StoreError::BadStoredItem(e.to_string()))?;
    }
    Ok(scratch
        .entities()
        .into_iter()
        .skip(1)
        .filter(|(_, e)| e.references().iter().any(|r| r.id == id))
        .map(|(_, e)| format!("{} '{}'", e.kind().noun(), e.label()))
        .collect())
}

/// Looks up what `item` points at (live items of this program) and lets the model judge it:
/// the references, and the rules that need them (a decision made needs its outcome).
fn check_references<E: Entity>(
    tx: &Tx<'_>,
    program: Id,
    item: &E,
    before: Option<&E>,
) -> Result<()> {
    let mut stmt = tx
        .tx
        .prepare_cached(
            "SELECT kind, json_extract(body, '$.name'), json_extract(body, '$.open') FROM items
             WHERE id = ?1 AND program_id = ?2 AND deleted = 0",
        )
        .map_err(|e| tx.sql(e))?;
    let mut found = roadbook_model::Lookups::new();
    let mut references = item.references();
    references.extend(before.map(Entity::references).unwrap_or_default());
    for reference in references {
        if found.contains_key(&reference.id) {
            continue;
        }
        let row = stmt
            .query_row(
                params![reference.id.to_string(), program.to_string()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<bool>>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| tx.sql(e))?;
        let Some((kind, name, open)) = row else {
            continue;
        };
        let kind = parse_kind(&kind)?;
        found.insert(
            reference.id,
            roadbook_model::Found::of(kind, name.as_deref(), open),
        );
    }
    Ok(roadbook_model::check_in_program(
        item,
        before.map(|b| b as &dyn roadbook_model::AnyEntity),
        &found,
    )?)
}

/// The other live items of `kind` in the program, by name: the model judges whether `name` is
/// taken ([`roadbook_model::check_unique_name`]).
fn check_unique_name(tx: &Tx<'_>, program: Id, kind: Kind, id: Id, name: &str) -> Result<()> {
    let mut stmt = tx
        .tx
        .prepare_cached(
            "SELECT json_extract(body, '$.name') FROM items WHERE program_id = ?1 AND kind = ?2 AND deleted = 0 AND id <> ?3",
        )
        .map_err(|e| tx.sql(e))?;
    let names = stmt
        .query_map(
            params![program.to_string(), kind.as_str(), id.to_string()],
            |r| r.get::<_, String>(0),
        )
        .map_err(|e| tx.sql(e))?
        .collect::<rusqlite::Result<Vec<String>>>()
        .map_err(|e| tx.sql(e))?;
    let mut problems = Problems::with_prefix(kind.noun());
    roadbook_model::check_unique_name(kind, name, names.iter().map(String::as_str), &mut problems);
    Ok(problems.into_result()?)
}

/// The program and kind of the live item `id`, whichever program of this database holds it.
pub(super) fn live_anywhere(tx: &Tx<'_>, id: Id) -> Result<Option<(Id, Kind)>> {
    let found: Option<(String, String)> = tx
        .tx
        .query_row(
            "SELECT program_id, kind FROM items WHERE id = ?1 AND deleted = 0",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(|e| tx.sql(e))?;
    match found {
        Some((p, k)) => Ok(Some((parse_id(&p)?, parse_kind(&k)?))),
        None => Ok(None),
    }
}
