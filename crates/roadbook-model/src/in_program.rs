//! The checks an item needs of the program around it, judged once here for every place that
//! writes one: the laptop's store, the server, an import. Each caller only looks up what the
//! item points at ([`Found`]); the judgement and its words are the model's.

use std::collections::BTreeMap;

use crate::{Entity, Id, Invalid, Kind, Problems, Reference, Status};

/// What a lookup found at a reference: a live item of the same program, its kind, and for a
/// status its name and whether it is open (the vocabulary's rules depend on both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: Kind,
    /// A status's name and whether it is open; none for other kinds.
    pub status: Option<(String, bool)>,
}

impl Found {
    /// Any item but a status.
    pub fn item(kind: Kind) -> Found {
        Found { kind, status: None }
    }
    pub fn status(status: &Status) -> Found {
        Found {
            kind: Kind::Status,
            status: Some((status.name.clone(), status.open)),
        }
    }
    /// A status from its stored fields (`name`, `open`), as the store and the server read them.
    pub fn status_fields(name: Option<&str>, open: Option<bool>) -> Found {
        Found {
            kind: Kind::Status,
            status: Some((name.unwrap_or_default().to_owned(), open.unwrap_or(true))),
        }
    }
}

/// What the lookups found, by id; an id missing is not a live item of this program.
pub type Lookups = BTreeMap<Id, Found>;

/// Checks `item` against what its references found, into `problems` under its prefix: every
/// reference names a live item of the right kind in this program, and the item's own rules
/// that need the program ([`Entity::check_with`], such as a decision made needing its outcome).
pub fn check_found<E: Entity>(item: &E, found: &Lookups, problems: &mut Problems) {
    let references = item.references();
    check_references(&references, found, problems);
    item.check_with(found, problems);
}

/// The references' half of [`check_found`], for code that holds only the references.
pub fn check_references(references: &[Reference], found: &Lookups, problems: &mut Problems) {
    let mut seen = std::collections::BTreeSet::new();
    for reference in references {
        if !seen.insert((reference.field, reference.id)) {
            continue;
        }
        match found.get(&reference.id) {
            Some(f) if f.kind == reference.kind => {}
            Some(f) => problems.at(
                reference.field,
                format!(
                    "refers to {}, which is a {} where a {} is expected",
                    reference.id,
                    f.kind.noun(),
                    reference.kind.noun()
                ),
            ),
            None => problems.at(
                reference.field,
                format!(
                    "refers to {} {}, which is not in this program",
                    reference.kind.noun(),
                    reference.id
                ),
            ),
        }
    }
}

/// [`check_found`] as a result, for one item written on its own. `before` is the item as it
/// stood, for a change: a rule it already broke (a decision made without its outcome, kept
/// from before the rule) does not refuse a change that does not touch it (its title, its due
/// date); what the change breaks, it refuses. References are always checked whole.
pub fn check_in_program<E: Entity>(
    item: &E,
    before: Option<&E>,
    found: &Lookups,
) -> Result<(), Invalid> {
    let mut problems = Problems::with_prefix(E::KIND.noun());
    check_references(&item.references(), found, &mut problems);
    let mut rules = Problems::with_prefix(E::KIND.noun());
    item.check_with(found, &mut rules);
    let mut already = Problems::with_prefix(E::KIND.noun());
    if let Some(before) = before {
        before.check_with(found, &mut already);
    }
    for problem in rules.list() {
        if !already.list().contains(problem) {
            problems.push(problem.clone());
        }
    }
    problems.into_result()
}
