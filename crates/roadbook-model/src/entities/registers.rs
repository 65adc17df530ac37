//! The registers a lead keeps most: decisions, risks, dependencies and actions.

use super::*;

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
    /// The item of another program it depends on (a milestone, a decision or a phase), when
    /// it is one: then it is judged against that item and flagged when it breaks.
    #[serde(default)]
    pub other_item: Option<crate::OtherItem>,
    /// When this program needs it.
    #[serde(default)]
    pub needed_by: Option<Date>,
    /// The phase here that needs it: without a need-by date, it is needed when that phase
    /// starts.
    #[serde(default)]
    pub phase_id: Option<Id>,
    /// Who watches it here (their My items shows it when it breaks).
    #[serde(default)]
    pub owner_id: Option<Id>,
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
        refer(&mut out, "phase_id", Kind::Phase, self.phase_id);
        refer(&mut out, "owner_id", Kind::Owner, self.owner_id);
        out
    }
    fn other_item(&self) -> Option<crate::OtherItem> {
        self.other_item
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
