//! What a simulated person does to their replica at one step: chains of edits to one item,
//! sets grown and shrunk, items made, changed and deleted, moves, conflicts settled.

use super::*;

/// One local edit a person might make, chosen by the seed; refused ones (the store's own
/// checks) are simply not made.
pub(super) fn edit(rng: &mut Rng, store: &mut Store, program: Id, author: &str, step: usize) {
    let handbook = store.load(program).unwrap();
    let statuses: Vec<Id> = handbook.statuses.iter().map(|s| s.id).collect();
    // A decision made says what was decided (the model refuses it otherwise): a person who
    // marks one made writes its outcome too.
    let made = |d: &mut Decision, author: &str, step: usize| {
        if handbook.status(d.status_id).is_some_and(|s| !s.open) && d.outcome.is_empty() {
            d.outcome = format!("decided by {author} at {step}");
        }
    };
    match rng.below(10) {
        0 | 1 if !handbook.decisions.is_empty() => {
            // An ordinary field, or a guarded one (status), of a decision.
            let d = &handbook.decisions[rng.below(handbook.decisions.len())];
            let (_, before, seen) = store.get_revised::<Decision>(d.id).unwrap();
            let mut after = before.clone();
            if chance(rng, 50) {
                after.title = format!(
                    "{} / {author} {step}",
                    d.title.split(" / ").next().unwrap_or_default()
                );
            } else {
                after.status_id = statuses[rng.below(statuses.len())];
                made(&mut after, author, step);
            }
            let edits = edits_between(&before, &after, &seen).unwrap();
            let _ = store.edit(program, Kind::Decision, d.id, &edits, author);
        }
        2 if !handbook.decisions.is_empty() => {
            // A set: add an owner to whom a decision is needed from.
            let d = &handbook.decisions[rng.below(handbook.decisions.len())];
            let owner = handbook.owners[rng.below(handbook.owners.len())].id;
            let (_, before, seen) = store.get_revised::<Decision>(d.id).unwrap();
            let mut after = before.clone();
            if !after.needed_from.contains(&owner) {
                after.needed_from.push(owner);
            }
            let edits = edits_between(&before, &after, &seen).unwrap();
            if !edits.is_empty() {
                let _ = store.edit(program, Kind::Decision, d.id, &edits, author);
            }
        }
        3 => {
            let action = Action {
                id: Id::new(),
                text: format!("action by {author} at step {step}"),
                owner_id: None,
                due: None,
                status_id: statuses[0],
                source: String::new(),
                decision_id: None,
                review_id: None,
                workstream_id: None,
            };
            store.create(program, &action, author).unwrap();
        }
        4 if !handbook.actions.is_empty() => {
            let a = &handbook.actions[rng.below(handbook.actions.len())];
            let _ = store.delete(a.id, author);
        }
        5 if handbook.actions.len() > 1 => {
            let a = &handbook.actions[rng.below(handbook.actions.len())];
            let seen = store.field_revisions(a.id).unwrap();
            let edits = Edits::from([(
                "text".to_owned(),
                FieldEdit {
                    value: json!(format!("edited by {author} at {step}")),
                    seen: seen.get("text").copied().unwrap_or(0),
                },
            )]);
            let _ = store.edit(program, Kind::Action, a.id, &edits, author);
        }
        6 if !handbook.decisions.is_empty() => {
            // A chain: several changes to one decision before any sync: a set shrunk, then
            // its status set twice, then a guarded field written.
            let d = handbook.decisions[rng.below(handbook.decisions.len())].id;
            for link in 0..2 + rng.below(3) {
                let (_, before, seen) = store.get_revised::<Decision>(d).unwrap();
                let mut after = before.clone();
                match link % 4 {
                    0 if !after.needed_from.is_empty() => {
                        let gone = after.needed_from[rng.below(after.needed_from.len())];
                        after.needed_from.retain(|o| *o != gone);
                    }
                    0 | 1 => {
                        after.status_id = statuses[rng.below(statuses.len())];
                        made(&mut after, author, step);
                    }
                    2 => after.outcome = format!("outcome by {author} at {step}.{link}"),
                    _ => {
                        let owner = handbook.owners[rng.below(handbook.owners.len())].id;
                        if !after.needed_from.contains(&owner) {
                            after.needed_from.push(owner);
                        }
                    }
                }
                let edits = edits_between(&before, &after, &seen).unwrap();
                if !edits.is_empty() {
                    let _ = store.edit(program, Kind::Decision, d, &edits, author);
                }
            }
        }
        7 => {
            // Made, changed, and (often) deleted again before any sync.
            let id = Id::new();
            let action = Action {
                id,
                text: format!("short-lived action by {author} at {step}"),
                owner_id: None,
                due: None,
                status_id: statuses[0],
                source: String::new(),
                decision_id: None,
                review_id: None,
                workstream_id: None,
            };
            store.create(program, &action, author).unwrap();
            let seen = store.field_revisions(id).unwrap();
            let edits = Edits::from([(
                "text".to_owned(),
                FieldEdit {
                    value: json!(format!("short-lived, edited by {author} at {step}")),
                    seen: seen.get("text").copied().unwrap_or(0),
                },
            )]);
            store
                .edit(program, Kind::Action, id, &edits, author)
                .unwrap();
            if chance(rng, 70) {
                store.delete(id, author).unwrap();
            }
        }
        8 if !handbook.decisions.is_empty() => {
            // A set shrunk: an owner no longer needed.
            let d = &handbook.decisions[rng.below(handbook.decisions.len())];
            if !d.needed_from.is_empty() {
                let (_, before, seen) = store.get_revised::<Decision>(d.id).unwrap();
                let mut after = before.clone();
                let gone = after.needed_from[rng.below(after.needed_from.len())];
                after.needed_from.retain(|o| *o != gone);
                let edits = edits_between(&before, &after, &seen).unwrap();
                let _ = store.edit(program, Kind::Decision, d.id, &edits, author);
            }
        }
        _ if handbook.decisions.len() > 1 => {
            let ids: Vec<Id> = handbook.decisions.iter().map(|d| d.id).collect();
            let moving = ids[rng.below(ids.len())];
            let before = if chance(rng, 30) {
                None
            } else {
                Some(ids[rng.below(ids.len())])
            };
            let _ = store.move_item(moving, before, author);
        }
        _ => {}
    }
}
