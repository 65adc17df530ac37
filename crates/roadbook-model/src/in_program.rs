//! The checks an item needs of the program around it, judged once here for every place that
//! writes one: the laptop's store, the server, an import. Each caller only looks up what the
//! item points at ([`Found`]); the judgement and its words are the model's.

use std::collections::BTreeMap;

use crate::{AnyEntity, Id, Invalid, Kind, Problems, Reference, Status};

/// What a lookup found at a reference: a live item of the same program, its kind, and for a
/// status its name and whether it is open (the vocabulary's rules depend on both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: Kind,
    /// A status's name and whether it is open; none for other kinds.
    pub status: Option<(String, bool)>,
}

impl Found {
    /// What a lookup read of a live item: its kind, and for a status its `name` and `open`
    /// fields as stored (the store and the server read them alike).
    pub fn of(kind: Kind, name: Option<&str>, open: Option<bool>) -> Found {
        Found {
            kind,
            status: (kind == Kind::Status)
                .then(|| (name.unwrap_or_default().to_owned(), open.unwrap_or(true))),
        }
    }
    /// Any item but a status.
    pub fn item(kind: Kind) -> Found {
        Found { kind, status: None }
    }
    pub fn status(status: &Status) -> Found {
        Found::of(Kind::Status, Some(&status.name), Some(status.open))
    }
}

/// What the lookups found, by id; an id missing is not a live item of this program.
pub type Lookups = BTreeMap<Id, Found>;

/// Every reference names a live item of the right kind in this program.
fn check_references(references: &[Reference], found: &Lookups, problems: &mut Problems) {
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

/// Checks an item written on its own against what its references found: every reference names
/// a live item of the right kind in this program, and the item's rules that need the program
/// ([`crate::Entity::check_with`], such as a decision made needing its outcome). `before` is
/// the item as it stood, for a change: a rule it already broke (a decision made without its
/// outcome, kept from before the rule) does not refuse a change that does not touch it (its
/// title, its due date); what the change breaks, it refuses. References are always checked
/// whole. Any kind, read once by the caller.
pub fn check_in_program(
    item: &dyn AnyEntity,
    before: Option<&dyn AnyEntity>,
    found: &Lookups,
) -> Result<(), Invalid> {
    let prefix = item.kind().noun();
    let mut problems = Problems::with_prefix(prefix);
    check_references(&item.references(), found, &mut problems);
    let mut rules = Problems::with_prefix(prefix);
    item.check_with(found, &mut rules);
    let mut already = Problems::with_prefix(prefix);
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
