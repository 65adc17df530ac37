//! The plan: phases with their work and exit criteria, milestones, and readiness.

use super::*;

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
    /// Who delivers it (their My items shows a dependency of another program on it that breaks).
    #[serde(default)]
    pub owner_id: Option<Id>,
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
        refer(&mut out, "owner_id", Kind::Owner, self.owner_id);
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
