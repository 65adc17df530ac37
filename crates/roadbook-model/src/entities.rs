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

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutGate {
    pub decision: GateDecision,
    #[serde(default)]
    pub decided_on: Option<Date>,
    #[serde(default)]
    pub rationale: String,
}

impl Default for RolloutGate {
    fn default() -> Self {
        RolloutGate {
            decision: GateDecision::Undecided,
            decided_on: None,
            rationale: String::new(),
        }
    }
}

/// The program itself: why it exists and what it is for (the RFC and plan pages).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    pub id: Id,
    pub name: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub objective: Vec<String>,
    #[serde(default)]
    pub problem: String,
    #[serde(default)]
    pub proposal: Vec<Section>,
    #[serde(default)]
    pub scope: Vec<String>,
    #[serde(default)]
    pub non_goals: Vec<String>,
    #[serde(default)]
    pub success_criteria: Vec<Section>,
    #[serde(default)]
    pub cadence: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
    /// What the program needs from leadership (sponsorship, decisions only they can make).
    #[serde(default)]
    pub asks: Vec<String>,
    #[serde(default)]
    pub rollout_gate: RolloutGate,
    /// The phase model: what current, next and later work is for (the Implementation Phases
    /// page opens with it).
    #[serde(default)]
    pub phase_model: Vec<String>,
    /// The marking every page of every document carries in its footer ("Internal",
    /// "Confidential"), as the organisation's policy names it; empty: none.
    #[serde(default)]
    pub classification: String,
}

impl Program {
    pub fn new(name: impl Into<String>) -> Self {
        Program {
            id: Id::new(),
            name: name.into(),
            summary: String::new(),
            objective: Vec::new(),
            problem: String::new(),
            proposal: Vec::new(),
            scope: Vec::new(),
            non_goals: Vec::new(),
            success_criteria: Vec::new(),
            cadence: Vec::new(),
            references: Vec::new(),
            asks: Vec::new(),
            rollout_gate: RolloutGate::default(),
            phase_model: Vec::new(),
            classification: String::new(),
        }
    }
}

impl Entity for Program {
    const KIND: Kind = Kind::Program;
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.name
    }
    fn check(&self, p: &mut Problems) {
        p.required("name", &self.name);
        for (field, list) in [
            ("objective", &self.objective),
            ("scope", &self.scope),
            ("non_goals", &self.non_goals),
            ("cadence", &self.cadence),
            ("references", &self.references),
            ("asks", &self.asks),
            ("phase_model", &self.phase_model),
        ] {
            p.entries(field, list);
        }
        check_sections(p, "proposal", &self.proposal);
        check_sections(p, "success_criteria", &self.success_criteria);
        // One short line: it is set in every page's footer beside the page number.
        let marking = self.classification.trim();
        if marking.contains('\n') || marking.chars().count() > 40 {
            p.at(
                "classification",
                "is one short line (at most 40 characters, e.g. Internal or Confidential): it is printed in every page's footer",
            );
        }
    }
    fn references(&self) -> Vec<Reference> {
        Vec::new()
    }
}

/// One entry of the program's shared status vocabulary.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub id: Id,
    pub name: String,
    #[serde(default)]
    pub meaning: String,
    /// `#RRGGBB`, used for chips in the app and the documents.
    pub colour: String,
    /// Open statuses still need work; closed ones (Decided, Done) end an item's life.
    pub open: bool,
}

pub fn is_hex_colour(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text.bytes().skip(1).all(|b| b.is_ascii_hexdigit())
}

impl Entity for Status {
    const KIND: Kind = Kind::Status;
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.name
    }
    fn check(&self, p: &mut Problems) {
        p.required("name", &self.name);
        if !is_hex_colour(&self.colour) {
            p.at(
                "colour",
                format!(
                    "'{}' is not a colour: write it as #RRGGBB, for example #2E9E5B",
                    self.colour
                ),
            );
        }
    }
    fn references(&self) -> Vec<Reference> {
        Vec::new()
    }
}

/// A shared owner label: a team placeholder today, a named team or person later.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub id: Id,
    pub name: String,
    /// The shorter form tables use ("Identity and Security").
    #[serde(default)]
    pub short_name: Option<String>,
    pub kind: OwnerKind,
    /// The team a person belongs to (another owner label, a team): their items count for the
    /// team, and a review can name the person or the team.
    #[serde(default)]
    pub team_id: Option<Id>,
}

impl Owner {
    /// The name to print where space is short.
    pub fn display_name(&self) -> &str {
        self.short_name
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(&self.name)
    }
}

impl Entity for Owner {
    const KIND: Kind = Kind::Owner;
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.name
    }
    fn check(&self, p: &mut Problems) {
        p.required("name", &self.name);
        if let Some(short) = &self.short_name {
            p.required("short_name", short);
        }
        if self.team_id.is_some() && self.kind != OwnerKind::Person {
            p.at(
                "team_id",
                "only a person belongs to a team: make this owner a person, or leave the team empty",
            );
        }
        if self.team_id == Some(self.id) {
            p.at("team_id", "an owner cannot be its own team");
        }
    }
    fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        refer(&mut out, "team_id", Kind::Owner, self.team_id);
        out
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workstream {
    pub id: Id,
    pub area: String,
    #[serde(default)]
    pub current_state: String,
    #[serde(default)]
    pub owner_ids: Vec<Id>,
    pub status_id: Id,
    pub risk_level: Level,
    #[serde(default)]
    pub main_blocker: String,
    #[serde(default)]
    pub summary: String,
}

impl Entity for Workstream {
    const KIND: Kind = Kind::Workstream;
    const SET_FIELDS: &'static [&'static str] = &["owner_ids"];
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.area
    }
    fn check(&self, p: &mut Problems) {
        p.required("area", &self.area);
    }
    fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        refer_all(&mut out, "owner_ids", Kind::Owner, &self.owner_ids);
        refer(&mut out, "status_id", Kind::Status, Some(self.status_id));
        out
    }
}

/// An entry of the decision register.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub id: Id,
    pub title: String,
    /// The open question this decision answers.
    #[serde(default)]
    pub question: String,
    /// The owners the decision is needed from.
    #[serde(default)]
    pub needed_from: Vec<Id>,
    #[serde(default)]
    pub workstream_id: Option<Id>,
    pub status_id: Id,
    #[serde(default)]
    pub due: Option<Date>,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub rationale: String,
    #[serde(default)]
    pub decided_by: String,
    #[serde(default)]
    pub decided_on: Option<Date>,
    #[serde(default)]
    pub risk_ids: Vec<Id>,
    #[serde(default)]
    pub superseded_by: Option<Id>,
}

impl Entity for Decision {
    const KIND: Kind = Kind::Decision;
    const SET_FIELDS: &'static [&'static str] = &["needed_from", "risk_ids"];
    const GUARDED_FIELDS: &'static [&'static str] = &[
        "status_id",
        "outcome",
        "rationale",
        "decided_by",
        "decided_on",
    ];
    const GUARDED_GROUP: &'static str = "decided";
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.title
    }
    fn check(&self, p: &mut Problems) {
        p.required("title", &self.title);
        p.entries("options", &self.options);
        if self.superseded_by == Some(self.id) {
            p.at("superseded_by", "a decision cannot supersede itself");
        }
    }
    fn check_with(&self, found: &crate::Lookups, p: &mut Problems) {
        // A closed status on a decision says it is made: made without saying what was decided,
        // every document would announce a decision with no content.
        if let Some((status, false)) = found.get(&self.status_id).and_then(|f| f.status.as_ref())
            && self.outcome.trim().is_empty()
        {
            p.at(
                "outcome",
                format!(
                    "a decision marked {status} needs its outcome: write what was decided, or keep it open (for example Needs decision)"
                ),
            );
        }
    }
    fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        refer_all(&mut out, "needed_from", Kind::Owner, &self.needed_from);
        refer(
            &mut out,
            "workstream_id",
            Kind::Workstream,
            self.workstream_id,
        );
        refer(&mut out, "status_id", Kind::Status, Some(self.status_id));
        refer_all(&mut out, "risk_ids", Kind::Risk, &self.risk_ids);
        refer(
            &mut out,
            "superseded_by",
            Kind::Decision,
            self.superseded_by,
        );
        out
    }
}

/// Where a risk applies. A review-scoped risk is a way the meeting can fail.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RiskScope {
    Program,
    Phase { phase_id: Id },
    Review { review_id: Id },
    Workstream { workstream_id: Id },
}

impl RiskScope {
    pub fn name(&self) -> &'static str {
        match self {
            RiskScope::Program => "program",
            RiskScope::Phase { .. } => "phase",
            RiskScope::Review { .. } => "review",
            RiskScope::Workstream { .. } => "workstream",
        }
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    pub id: Id,
    pub statement: String,
    pub scope: RiskScope,
    pub severity: Level,
    pub likelihood: Level,
    #[serde(default)]
    pub owner_id: Option<Id>,
    pub status_id: Id,
    #[serde(default)]
    pub mitigation: String,
    /// Where the risk was first written down.
    #[serde(default)]
    pub source: String,
}

impl Entity for Risk {
    const KIND: Kind = Kind::Risk;
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.statement
    }
    fn check(&self, p: &mut Problems) {
        p.required("statement", &self.statement);
    }
    fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        match self.scope {
            RiskScope::Program => {}
            RiskScope::Phase { phase_id } => {
                refer(&mut out, "scope.phase_id", Kind::Phase, Some(phase_id))
            }
            RiskScope::Review { review_id } => {
                refer(&mut out, "scope.review_id", Kind::Review, Some(review_id))
            }
            RiskScope::Workstream { workstream_id } => refer(
                &mut out,
                "scope.workstream_id",
                Kind::Workstream,
                Some(workstream_id),
            ),
        }
        refer(&mut out, "owner_id", Kind::Owner, self.owner_id);
        refer(&mut out, "status_id", Kind::Status, Some(self.status_id));
        out
    }
}

/// One row of the dependency map: what depends on what, and why it matters.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub id: Id,
    pub dependent: String,
    pub depends_on: String,
    #[serde(default)]
    pub why_it_matters: String,
    #[serde(default)]
    pub workstream_id: Option<Id>,
    #[serde(default)]
    pub source: String,
}

impl Entity for Dependency {
    const KIND: Kind = Kind::Dependency;
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.dependent
    }
    fn check(&self, p: &mut Problems) {
        p.required("dependent", &self.dependent);
        p.required("depends_on", &self.depends_on);
    }
    fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        refer(
            &mut out,
            "workstream_id",
            Kind::Workstream,
            self.workstream_id,
        );
        out
    }
}

/// A phase of one of the program's phase views ("Program plan" phases 1-4, or
/// "Implementation phases" current / next / later). Order is the order in the handbook.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    pub id: Id,
    /// Which phase view the phase belongs to.
    pub view: String,
    pub name: String,
    #[serde(default)]
    pub goal: String,
    #[serde(default)]
    pub status_id: Option<Id>,
    /// When the phase starts and ends (planned): the Plan's timeline and the Program Plan.
    #[serde(default)]
    pub start: Option<Date>,
    #[serde(default)]
    pub end: Option<Date>,
}

impl Entity for Phase {
    const KIND: Kind = Kind::Phase;
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.name
    }
    fn check(&self, p: &mut Problems) {
        p.required("view", &self.view);
        p.required("name", &self.name);
        if let (Some(start), Some(end)) = (self.start, self.end)
            && end < start
        {
            p.at(
                "end",
                format!(
                    "ends on {end}, before it starts ({start}): set an end on or after the start"
                ),
            );
        }
    }
    fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        refer(&mut out, "status_id", Kind::Status, self.status_id);
        out
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkItem {
    pub id: Id,
    pub phase_id: Id,
    pub text: String,
    #[serde(default)]
    pub done: bool,
}

impl Entity for WorkItem {
    const KIND: Kind = Kind::WorkItem;
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.text
    }
    fn check(&self, p: &mut Problems) {
        p.required("text", &self.text);
    }
    fn references(&self) -> Vec<Reference> {
        vec![Reference {
            field: "phase_id",
            kind: Kind::Phase,
            id: self.phase_id,
        }]
    }
}

/// A phase exit criterion, checked off with evidence.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitCriterion {
    pub id: Id,
    pub phase_id: Id,
    pub text: String,
    #[serde(default)]
    pub met: bool,
    #[serde(default)]
    pub evidence: String,
}

impl Entity for ExitCriterion {
    const KIND: Kind = Kind::ExitCriterion;
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.text
    }
    fn check(&self, p: &mut Problems) {
        p.required("text", &self.text);
        if self.met && self.evidence.trim().is_empty() {
            p.at(
                "evidence",
                "a met exit criterion needs its evidence: say what shows it is met",
            );
        }
    }
    fn references(&self) -> Vec<Reference> {
        vec![Reference {
            field: "phase_id",
            kind: Kind::Phase,
            id: self.phase_id,
        }]
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    pub id: Id,
    pub name: String,
    /// What marks the milestone as reached.
    #[serde(default)]
    pub marks: String,
    #[serde(default)]
    pub target: Option<Date>,
    pub status_id: Id,
    #[serde(default)]
    pub phase_id: Option<Id>,
}

impl Entity for Milestone {
    const KIND: Kind = Kind::Milestone;
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.name
    }
    fn check(&self, p: &mut Problems) {
        p.required("name", &self.name);
    }
    fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        refer(&mut out, "status_id", Kind::Status, Some(self.status_id));
        refer(&mut out, "phase_id", Kind::Phase, self.phase_id);
        out
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadinessDimension {
    pub id: Id,
    pub name: String,
    /// The current signal in words ("not ready until ...").
    #[serde(default)]
    pub signal: String,
    pub state: ReadinessState,
    #[serde(default)]
    pub owner_id: Option<Id>,
}

impl Entity for ReadinessDimension {
    const KIND: Kind = Kind::ReadinessDimension;
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.name
    }
    fn check(&self, p: &mut Problems) {
        p.required("name", &self.name);
    }
    fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        refer(&mut out, "owner_id", Kind::Owner, self.owner_id);
        out
    }
}

/// An item of the readiness checklist.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadinessCheck {
    pub id: Id,
    #[serde(default)]
    pub dimension_id: Option<Id>,
    pub text: String,
    #[serde(default)]
    pub owner_id: Option<Id>,
    #[serde(default)]
    pub done: bool,
    #[serde(default)]
    pub evidence: String,
}

impl Entity for ReadinessCheck {
    const KIND: Kind = Kind::ReadinessCheck;
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.text
    }
    fn check(&self, p: &mut Problems) {
        p.required("text", &self.text);
        if self.done && self.evidence.trim().is_empty() {
            p.at(
                "evidence",
                "a done checklist item needs its evidence: say what shows it is done",
            );
        }
    }
    fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        refer(
            &mut out,
            "dimension_id",
            Kind::ReadinessDimension,
            self.dimension_id,
        );
        refer(&mut out, "owner_id", Kind::Owner, self.owner_id);
        out
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    pub name: String,
    pub group: AttendeeGroup,
    #[serde(default)]
    pub owner_id: Option<Id>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedOutput {
    pub text: String,
    pub when: OutputTiming,
}

/// A review meeting: prepared beforehand, recorded afterwards.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub id: Id,
    pub title: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub best_use: Vec<String>,
    #[serde(default)]
    pub date: Option<Date>,
    #[serde(default)]
    pub attendees: Vec<Attendee>,
    /// Why the core decision group is in the room.
    #[serde(default)]
    pub core_group_note: String,
    /// When to add the specialists.
    #[serde(default)]
    pub specialists_note: String,
    #[serde(default)]
    pub flow: Vec<Section>,
    /// The decisions to aim for in this review.
    #[serde(default)]
    pub decision_ids: Vec<Id>,
    #[serde(default)]
    pub pre_reads: Vec<String>,
    #[serde(default)]
    pub outputs: Vec<ExpectedOutput>,
    pub status_id: Id,
    #[serde(default)]
    pub held_on: Option<Date>,
    /// What was decided, assigned and recorded, in the lead's words.
    #[serde(default)]
    pub outcome: String,
}

impl Entity for Review {
    const KIND: Kind = Kind::Review;
    const SET_FIELDS: &'static [&'static str] = &["attendees", "decision_ids"];
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.title
    }
    fn check(&self, p: &mut Problems) {
        p.required("title", &self.title);
        p.entries("best_use", &self.best_use);
        p.entries("pre_reads", &self.pre_reads);
        for (n, attendee) in self.attendees.iter().enumerate() {
            p.required(&format!("attendees[{n}].name"), &attendee.name);
        }
        for (n, output) in self.outputs.iter().enumerate() {
            p.required(&format!("outputs[{n}].text"), &output.text);
        }
        check_sections(p, "flow", &self.flow);
    }
    fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        for attendee in &self.attendees {
            refer(
                &mut out,
                "attendees.owner_id",
                Kind::Owner,
                attendee.owner_id,
            );
        }
        refer_all(&mut out, "decision_ids", Kind::Decision, &self.decision_ids);
        refer(&mut out, "status_id", Kind::Status, Some(self.status_id));
        out
    }
}

/// A next action.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub id: Id,
    pub text: String,
    #[serde(default)]
    pub owner_id: Option<Id>,
    #[serde(default)]
    pub due: Option<Date>,
    pub status_id: Id,
    /// Where the action came from (a review, a page, a conversation).
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub decision_id: Option<Id>,
    #[serde(default)]
    pub review_id: Option<Id>,
    #[serde(default)]
    pub workstream_id: Option<Id>,
}

impl Entity for Action {
    const KIND: Kind = Kind::Action;
    fn id(&self) -> Id {
        self.id
    }
    fn label(&self) -> &str {
        &self.text
    }
    fn check(&self, p: &mut Problems) {
        p.required("text", &self.text);
    }
    fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        refer(&mut out, "owner_id", Kind::Owner, self.owner_id);
        refer(&mut out, "status_id", Kind::Status, Some(self.status_id));
        refer(&mut out, "decision_id", Kind::Decision, self.decision_id);
        refer(&mut out, "review_id", Kind::Review, self.review_id);
        refer(
            &mut out,
            "workstream_id",
            Kind::Workstream,
            self.workstream_id,
        );
        out
    }
}

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
        });
        let dir =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings");
        let text = serde_json::to_string_pretty(&choices).unwrap() + "\n";
        std::fs::write(dir.join("choices.json"), &text).unwrap();
        assert_eq!(choices["level"][0], "low");
    }
}
