//! The program itself and what every register shares: its status vocabulary, its owners and
//! its workstreams.

use super::*;

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
