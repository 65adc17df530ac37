//! What each kind of item holds, field by field, in the lead's words: the keys (the export
//! format's field names), the labels a person reads, what a value is, and which fields a new
//! item needs. The command line's item commands read it, and so does the app's editor
//! (`ui/src/lib/schema.ts` imports `bindings/schema.json`, which `make bindings` writes from
//! this table).

use serde::Serialize;

use crate::Kind;

/// What a field's value is, as the editor and the command line take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// One line of text.
    Text,
    /// A paragraph.
    Longtext,
    /// Text, or nothing at all.
    Optionaltext,
    /// Lines of text, in order.
    List,
    /// A status of the program's vocabulary.
    Status,
    /// A status, or none.
    Optionalstatus,
    /// An owner label, or none.
    Owner,
    /// Owner labels.
    Owners,
    /// Low, medium or high.
    Level,
    /// A day, or none.
    Date,
    /// Yes or no.
    Bool,
    /// A workstream, or none.
    Workstream,
    /// A phase (required).
    Phase,
    /// A phase, or none.
    Optionalphase,
    /// A decision, or none.
    Decision,
    /// Decisions.
    Decisions,
    /// A review, or none.
    Review,
    /// Risks.
    Risks,
    /// A readiness dimension, or none.
    Dimension,
    /// Where a risk applies: the program, or a workstream, phase or review.
    Scope,
    /// Not ready, partial or ready.
    Readiness,
    /// Placeholder, team or person.
    Ownerkind,
    /// The team an owner label belongs to (another owner label), or none.
    Team,
    /// A colour as #RRGGBB.
    Colour,
    /// The people in a review (name, group, owner label).
    Attendees,
    /// Titled paragraphs.
    Sections,
    /// A review's expected outputs (text, when).
    Outputs,
    /// A milestone, decision or phase of another program (its program and its id), or none.
    OtherItem,
}

impl FieldType {
    /// The kind of item the field names, if it names items.
    pub fn names(self) -> Option<Kind> {
        Some(match self {
            FieldType::Status | FieldType::Optionalstatus => Kind::Status,
            FieldType::Owner | FieldType::Owners | FieldType::Team => Kind::Owner,
            FieldType::Workstream => Kind::Workstream,
            FieldType::Phase | FieldType::Optionalphase => Kind::Phase,
            FieldType::Decision | FieldType::Decisions => Kind::Decision,
            FieldType::Review => Kind::Review,
            FieldType::Risks => Kind::Risk,
            FieldType::Dimension => Kind::ReadinessDimension,
            _ => return None,
        })
    }

    /// Whether the field holds several values (given one by one on the command line).
    pub fn many(self) -> bool {
        matches!(
            self,
            FieldType::List | FieldType::Owners | FieldType::Decisions | FieldType::Risks
        )
    }

    /// Whether the field holds nested records, given as JSON on the command line.
    pub fn nested(self) -> bool {
        matches!(
            self,
            FieldType::Attendees | FieldType::Sections | FieldType::Outputs
        )
    }
}

/// One field of a kind of item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The export format's name for it.
    pub key: &'static str,
    /// What a person reads.
    pub label: &'static str,
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// A new item cannot do without it.
    pub required: bool,
}

const fn f(key: &'static str, label: &'static str, kind: FieldType) -> Field {
    Field {
        key,
        label,
        kind,
        required: false,
    }
}

const fn req(key: &'static str, label: &'static str, kind: FieldType) -> Field {
    Field {
        key,
        label,
        kind,
        required: true,
    }
}

use FieldType as T;

const PROGRAM: &[Field] = &[
    req("name", "Program", T::Text),
    f("summary", "Summary", T::Longtext),
    f("objective", "Objective", T::List),
    f("problem", "Problem", T::Longtext),
    f("proposal", "Proposal", T::Sections),
    f("scope", "In scope", T::List),
    f("non_goals", "Non-goals", T::List),
    f("success_criteria", "Success criteria", T::Sections),
    f("cadence", "Operating cadence", T::List),
    f("asks", "Asks of leadership", T::List),
    f(
        "phase_model",
        "Phase model (what current, next and later work is for)",
        T::List,
    ),
    f("references", "References", T::List),
    f(
        "classification",
        "Classification marking (every page's footer, e.g. Internal)",
        T::Text,
    ),
];

const DECISION: &[Field] = &[
    req("title", "Decision", T::Text),
    f("question", "Question it answers", T::Longtext),
    f("needed_from", "Needed from", T::Owners),
    f("workstream_id", "Workstream", T::Workstream),
    req("status_id", "Status", T::Status),
    f("due", "Due", T::Date),
    f("options", "Options", T::List),
    f("outcome", "Outcome", T::Longtext),
    f("rationale", "Rationale", T::Longtext),
    f("decided_by", "Decided by", T::Text),
    f("decided_on", "Decided on", T::Date),
    f("risk_ids", "Linked risks", T::Risks),
    f("superseded_by", "Superseded by", T::Decision),
];

const RISK: &[Field] = &[
    req("statement", "Risk", T::Longtext),
    f("scope", "Where it applies", T::Scope),
    req("severity", "Severity", T::Level),
    req("likelihood", "Likelihood", T::Level),
    f("owner_id", "Owner", T::Owner),
    req("status_id", "Status", T::Status),
    f("mitigation", "Mitigation", T::Longtext),
    f("source", "Source", T::Text),
];

const WORKSTREAM: &[Field] = &[
    req("area", "Area", T::Text),
    f("current_state", "Current state", T::Longtext),
    f("owner_ids", "Owners", T::Owners),
    req("status_id", "Status", T::Status),
    req("risk_level", "Risk", T::Level),
    f("main_blocker", "Main blocker", T::Longtext),
    f("summary", "Snapshot", T::Longtext),
];

const ACTION: &[Field] = &[
    req("text", "Action", T::Longtext),
    f("owner_id", "Owner", T::Owner),
    f("due", "Due", T::Date),
    req("status_id", "Status", T::Status),
    f("source", "Source", T::Text),
    f("decision_id", "Decision it serves", T::Decision),
    f("review_id", "From review", T::Review),
    f("workstream_id", "Workstream", T::Workstream),
];

const MILESTONE: &[Field] = &[
    req("name", "Milestone", T::Text),
    f("marks", "Reached when", T::Longtext),
    f("target", "Target date", T::Date),
    req("status_id", "Status", T::Status),
    f("phase_id", "Phase", T::Optionalphase),
    f("owner_id", "Owner", T::Owner),
];

const PHASE: &[Field] = &[
    req("view", "Phase view", T::Text),
    req("name", "Phase", T::Text),
    f("goal", "Goal", T::Longtext),
    f("status_id", "Status", T::Optionalstatus),
    f("start", "Starts", T::Date),
    f("end", "Ends", T::Date),
];

const WORK_ITEM: &[Field] = &[
    req("phase_id", "Phase", T::Phase),
    req("text", "Work item", T::Text),
    f("done", "Done", T::Bool),
];

const EXIT_CRITERION: &[Field] = &[
    req("phase_id", "Phase", T::Phase),
    req("text", "Exit criterion", T::Text),
    f("met", "Met", T::Bool),
    f("evidence", "Evidence", T::Longtext),
];

const READINESS_DIMENSION: &[Field] = &[
    req("name", "Dimension", T::Text),
    f("signal", "Current signal", T::Longtext),
    req("state", "State", T::Readiness),
    f("owner_id", "Owner", T::Owner),
];

const READINESS_CHECK: &[Field] = &[
    req("text", "Checklist item", T::Text),
    f("dimension_id", "Dimension", T::Dimension),
    f("owner_id", "Owner", T::Owner),
    f("done", "Done", T::Bool),
    f("evidence", "Evidence", T::Longtext),
];

const REVIEW: &[Field] = &[
    req("title", "Review", T::Text),
    f("purpose", "Purpose", T::Longtext),
    f("date", "Date", T::Date),
    req("status_id", "Status", T::Status),
    f("best_use", "Best use", T::List),
    f("attendees", "Attendees", T::Attendees),
    f("core_group_note", "Why the core group", T::Longtext),
    f("specialists_note", "When to add specialists", T::Longtext),
    f("flow", "Meeting flow", T::Sections),
    f("decision_ids", "Decisions to aim for", T::Decisions),
    f("pre_reads", "Pre-reads", T::List),
    f("outputs", "Expected outputs", T::Outputs),
];

const STATUS: &[Field] = &[
    req("name", "Status", T::Text),
    f("meaning", "Meaning", T::Longtext),
    req("colour", "Colour", T::Colour),
    f("open", "Still needs work (open)", T::Bool),
];

const OWNER: &[Field] = &[
    req("name", "Owner label", T::Text),
    f("short_name", "Short name", T::Optionaltext),
    req("kind", "Kind", T::Ownerkind),
    f("team_id", "Team (for a person)", T::Team),
];

const DEPENDENCY: &[Field] = &[
    req("dependent", "What depends", T::Text),
    req("depends_on", "Depends on", T::Text),
    f("why_it_matters", "Why it matters", T::Longtext),
    f("workstream_id", "Workstream", T::Workstream),
    f("source", "Source", T::Text),
    f("other_item", "Item of another program", T::OtherItem),
    f("needed_by", "Needed by", T::Date),
    f("phase_id", "Phase that needs it", T::Optionalphase),
    f("owner_id", "Owner", T::Owner),
];

/// The fields a person edits on an item of `kind`, in the order the editor shows them.
pub fn fields(kind: Kind) -> &'static [Field] {
    match kind {
        Kind::Program => PROGRAM,
        Kind::Status => STATUS,
        Kind::Owner => OWNER,
        Kind::Workstream => WORKSTREAM,
        Kind::Decision => DECISION,
        Kind::Risk => RISK,
        Kind::Dependency => DEPENDENCY,
        Kind::Phase => PHASE,
        Kind::WorkItem => WORK_ITEM,
        Kind::ExitCriterion => EXIT_CRITERION,
        Kind::Milestone => MILESTONE,
        Kind::ReadinessDimension => READINESS_DIMENSION,
        Kind::ReadinessCheck => READINESS_CHECK,
        Kind::Review => REVIEW,
        Kind::Action => ACTION,
    }
}

/// The fields that name an item in a message ("decision 'Pick the pilot'"), in the order they
/// are looked for: the one list the store, the server, the CLI and the app use.
pub const LABEL_FIELDS: &[&str] = &["title", "name", "statement", "text", "area", "dependent"];

/// What a person calls an item whose fields `field` looks up: its title, name, statement,
/// text, area or what depends.
pub fn label_in<'a>(field: impl Fn(&str) -> Option<&'a serde_json::Value>) -> Option<&'a str> {
    LABEL_FIELDS
        .iter()
        .find_map(|key| field(key).and_then(serde_json::Value::as_str))
}

/// Two names are the same name when they differ only in case (any letter's, "Équipe" and
/// "équipe" too) or surrounding spaces: the one rule for names that must differ, and for
/// finding an item by name, in the model, the store, the server and the command line.
pub fn same_name(a: &str, b: &str) -> bool {
    name_key(a) == name_key(b)
}

/// The form of a name that [`same_name`] compares: case folded in full, so letters whose
/// lower case is more than one letter meet too ("STRASSE" and "Straße", "ΟΔΟΣ" and "οδός" but
/// for the accent): upper case first, which expands such letters, then lower.
pub fn name_key(name: &str) -> String {
    name.trim().to_uppercase().to_lowercase()
}

/// A problem at `name` when another item of the kind already has the same name
/// ([`same_name`]); `taken` are the other items' names, as the caller's lookup found them.
pub fn check_unique_name<'a>(
    kind: Kind,
    name: &str,
    taken: impl IntoIterator<Item = &'a str>,
    problems: &mut crate::Problems,
) {
    if taken.into_iter().any(|other| same_name(other, name)) {
        problems.at(
            "name",
            format!(
                "'{name}' is already the name of another {}: names must differ",
                kind.noun()
            ),
        );
    }
}

/// The field of `kind` called `key`.
pub fn field(kind: Kind, key: &str) -> Option<&'static Field> {
    fields(kind).iter().find(|f| f.key == key)
}

/// What a person calls the field `key` of `kind` ("Status" for `status_id`); a key the table
/// does not know is said as it is.
pub fn field_label(kind: Kind, key: &str) -> &str {
    if !key.is_empty() && key == kind.guarded_group() {
        // The one conflict over a decision's status, outcome, rationale, decided by and on.
        return "What was decided";
    }
    field(kind, key).map_or(key, |f| f.label)
}

/// Every kind's fields by the kind's word: what the UI's editor reads.
pub fn schema_json() -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = Kind::ALL
        .iter()
        .map(|kind| {
            (
                kind.as_str().to_owned(),
                serde_json::to_value(fields(*kind)).unwrap_or_default(),
            )
        })
        .collect();
    serde_json::Value::Object(map)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Entity, Handbook, sample};

    /// Every field the table names is a field of the item as stored, and every stored field
    /// but the id is in the table: a field added to a kind and forgotten here fails.
    #[test]
    fn the_table_names_every_field_of_every_kind_and_no_other() {
        let h: Handbook = sample::builder_insights().unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for (_, item) in h.entities() {
            let mut stored = item.to_fields().unwrap();
            let kind = item.kind();
            seen.insert(kind);
            // Written by flows of their own, not field rows: the rollout gate (the readiness
            // page), a review's outcome and when it was held (recording the outcome).
            match kind {
                Kind::Program => {
                    stored.remove("rollout_gate");
                }
                Kind::Review => {
                    stored.remove("held_on");
                    stored.remove("outcome");
                }
                _ => {}
            }
            let mut listed: Vec<&str> = fields(kind).iter().map(|f| f.key).collect();
            listed.sort_unstable();
            let mut keys: Vec<&str> = stored
                .keys()
                .map(String::as_str)
                .filter(|k| *k != "id")
                .collect();
            keys.sort_unstable();
            assert_eq!(listed, keys, "{}", kind.as_str());
        }
        assert_eq!(seen.len(), Kind::ALL.len(), "the sample holds every kind");
        // Fields that name items agree with the references the model checks.
        let decision = &h.decisions[0];
        for reference in decision.references() {
            let field = field(Kind::Decision, reference.field).unwrap();
            assert_eq!(
                field.kind.names(),
                Some(reference.kind),
                "{}",
                reference.field
            );
        }
    }

    #[test]
    fn names_are_the_same_whatever_the_case_of_any_letter() {
        assert!(same_name("Équipe", " équipe "));
        assert!(same_name("Needs decision", "needs DECISION"));
        assert!(!same_name("Équipe", "Equipe"));
    }

    /// `make bindings` writes the table where the UI's editor reads it.
    #[cfg(feature = "ts")]
    #[test]
    fn export_the_schema_for_the_ui() {
        let dir =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings");
        let text = serde_json::to_string_pretty(&schema_json()).unwrap() + "\n";
        std::fs::write(dir.join("schema.json"), &text).unwrap();
        let back = std::fs::read_to_string(dir.join("schema.json")).unwrap();
        assert_eq!(back, text);
    }
}
