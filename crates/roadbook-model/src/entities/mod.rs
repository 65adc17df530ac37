//! The items of a program's handbook. Field names are the lead's words and are the same in the
//! export format, SQL history rows and the sync protocol: rename one only with a migration.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::kind::word_enum;
use crate::{Date, Id, Kind, Problems};

/// A reference from one item to another, for validation and for refusing deletes that would
/// leave a dangling link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    pub field: &'static str,
    pub kind: Kind,
    pub id: Id,
}

/// What every item kind offers the store and the validator.
pub trait Entity: Serialize + DeserializeOwned + Clone + std::fmt::Debug + PartialEq {
    const KIND: Kind;
    fn id(&self) -> Id;
    /// What a person calls this item in a message: its title, name or text.
    fn label(&self) -> &str;
    /// Checks that need nothing but the item itself.
    fn check(&self, problems: &mut Problems);
    /// The other items this one points at.
    fn references(&self) -> Vec<Reference>;
    /// Fields that hold a set (owners a decision is needed from, linked risks, attendees): two
    /// people adding different entries at once both keep theirs, locally and in the sync.
    const SET_FIELDS: &'static [&'static str] = &[];
    /// Fields whose concurrent edits go to a person instead of the last writer (a decision's
    /// status, outcome, rationale, decided by and on): they belong together, so the sync turns a
    /// clash on any of them into one conflict over all of them, settled whole.
    const GUARDED_FIELDS: &'static [&'static str] = &[];
    /// The name that conflict goes by (its `field`), since it is over several fields.
    const GUARDED_GROUP: &'static str = "";
    /// Checks that need what the item's references found in its program (a decision made
    /// needs its outcome, and "made" is the status vocabulary's word). References themselves
    /// are checked by [`crate::check_in_program`].
    fn check_with(&self, _found: &crate::Lookups, _problems: &mut Problems) {}
    /// The item of another program it names, if it names one (a dependency between programs):
    /// checked with [`crate::check_other_item`] where it lives, not among the references.
    fn other_item(&self) -> Option<crate::OtherItem> {
        None
    }
}

fn refer(out: &mut Vec<Reference>, field: &'static str, kind: Kind, id: Option<Id>) {
    if let Some(id) = id {
        out.push(Reference { field, kind, id });
    }
}

fn refer_all(out: &mut Vec<Reference>, field: &'static str, kind: Kind, ids: &[Id]) {
    out.extend(ids.iter().map(|&id| Reference { field, kind, id }));
}

word_enum!(
    /// Risk level of a workstream, and a risk's severity and likelihood.
    Level, "level" { Low => "low", Medium => "medium", High => "high" }
);

word_enum!(
    /// Whether an owner label is still a planning placeholder or names a real team or person.
    OwnerKind, "owner kind" { Placeholder => "placeholder", Team => "team", Person => "person" }
);

word_enum!(
    ReadinessState, "readiness state" { NotReady => "not_ready", Partial => "partial", Ready => "ready" }
);

word_enum!(
    /// The rollout gate's answer.
    GateDecision, "gate decision" {
        Undecided => "undecided",
        NotYet => "not_yet",
        Pilot => "pilot",
        WiderRollout => "wider_rollout",
    }
);

word_enum!(
    AttendeeGroup, "attendee group" { Core => "core", Specialist => "specialist" }
);

word_enum!(
    /// When a review's expected output must exist.
    OutputTiming, "output timing" { SameDay => "same_day", NextCycle => "next_cycle" }
);

/// A titled paragraph: a proposal part, a success criterion, a meeting-flow step.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    #[serde(default)]
    pub text: String,
}

fn check_sections(problems: &mut Problems, field: &str, sections: &[Section]) {
    for (n, section) in sections.iter().enumerate() {
        problems.required(&format!("{field}[{n}].title"), &section.title);
    }
}

mod plan;
mod program;
mod registers;
mod reviews;

pub use plan::*;
pub use program::*;
pub use registers::*;
pub use reviews::*;

#[cfg(all(test, feature = "ts"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// `make bindings` writes the words of each fixed choice, in the model's order, for the
    /// editor's choices (ui/src/lib/schema.ts `choicesOf`): a word added here is offered there.
    #[test]
    fn export_the_fixed_choices_for_the_ui() {
        fn words<T: Copy>(all: &[T], word: fn(&T) -> &'static str) -> Vec<&'static str> {
            all.iter().map(word).collect()
        }
        let choices = serde_json::json!({
            "level": words(Level::ALL, Level::as_str),
            "readiness": words(ReadinessState::ALL, ReadinessState::as_str),
            "ownerkind": words(OwnerKind::ALL, OwnerKind::as_str),
            "gate": words(GateDecision::ALL, GateDecision::as_str),
            "group": words(AttendeeGroup::ALL, AttendeeGroup::as_str),
            "timing": words(OutputTiming::ALL, OutputTiming::as_str),
            // What a person calls each kind of item ("work item"), for the app's headings.
            "kind": crate::Kind::ALL
                .iter()
                .map(|k| (k.as_str(), k.noun()))
                .collect::<std::collections::BTreeMap<_, _>>(),
        });
        let dir =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings");
        let text = serde_json::to_string_pretty(&choices).unwrap() + "\n";
        std::fs::write(dir.join("choices.json"), &text).unwrap();
        assert_eq!(choices["level"][0], "low");
    }
}
