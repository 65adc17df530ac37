//! Reviews: who attends, what they decide, what each is expected to produce.

use super::*;

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
