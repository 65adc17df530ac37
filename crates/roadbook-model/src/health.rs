//! A program's health at a glance, for a portfolio: one call (on track, at risk, off track)
//! from its workstreams and its readiness, with the reasons a reader can check, and the next
//! milestone it is working towards. Computed here once: the portfolio document, the CLI and the
//! app's Portfolio screen all show this answer.

use serde::{Deserialize, Serialize};

use crate::kind::word_enum;
use crate::{Handbook, Level, Milestone, ReadinessState, same_name};

word_enum!(
    /// A program's health, as a portfolio shows it.
    Health, "health" {
        OnTrack => "on_track",
        AtRisk => "at_risk",
        OffTrack => "off_track",
        NotAssessed => "not_assessed"
    }
);

impl Health {
    /// How the documents and the screen say it.
    pub fn words(&self) -> &'static str {
        match self {
            Health::OnTrack => "On track",
            Health::AtRisk => "At risk",
            Health::OffTrack => "Off track",
            Health::NotAssessed => "Not assessed",
        }
    }
}

/// A program's health and why: each reason names what a reader would look at.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCall {
    pub health: Health,
    /// The health as a person reads it ("At risk").
    pub words: String,
    /// "Data platform is blocked", "2 of 6 readiness dimensions are not ready".
    pub reasons: Vec<String>,
}

impl Handbook {
    /// The program's health from its workstreams and its readiness:
    /// - off track when a workstream is blocked (its status is named "Blocked");
    /// - at risk when a workstream carries a high risk, or a readiness dimension is not ready;
    /// - on track otherwise;
    /// - not assessed when the program has neither workstreams nor readiness dimensions.
    ///
    /// A workstream counts only while its status is open: a finished one blocks nothing.
    pub fn health(&self) -> HealthCall {
        let open: Vec<_> = self
            .workstreams
            .iter()
            .filter(|w| self.is_open(w.status_id))
            .collect();
        let blocked: Vec<&str> = open
            .iter()
            .filter(|w| {
                self.status(w.status_id)
                    .is_some_and(|s| same_name(&s.name, "Blocked"))
            })
            .map(|w| w.area.as_str())
            .collect();
        let high: Vec<&str> = open
            .iter()
            .filter(|w| w.risk_level == Level::High)
            .map(|w| w.area.as_str())
            .collect();
        let dims = &self.readiness_dimensions;
        let not_ready = dims
            .iter()
            .filter(|d| d.state == ReadinessState::NotReady)
            .count();

        let mut reasons = Vec::new();
        if let Some(said) = named(&blocked, "is blocked", "are blocked") {
            reasons.push(said);
        }
        if let Some(said) = named(&high, "carries a high risk", "carry a high risk") {
            reasons.push(said);
        }
        if not_ready > 0 {
            reasons.push(format!(
                "{not_ready} of {} readiness dimension{} {} not ready",
                dims.len(),
                if dims.len() == 1 { "" } else { "s" },
                if not_ready == 1 { "is" } else { "are" },
            ));
        }
        let health = if self.workstreams.is_empty() && dims.is_empty() {
            Health::NotAssessed
        } else if !blocked.is_empty() {
            Health::OffTrack
        } else if !reasons.is_empty() {
            Health::AtRisk
        } else {
            Health::OnTrack
        };
        if health == Health::NotAssessed {
            reasons.push("No workstreams or readiness dimensions are recorded yet".into());
        }
        if health == Health::OnTrack {
            reasons
                .push("No workstream is blocked or at high risk, and readiness has no gap".into());
        }
        HealthCall {
            health,
            words: health.words().to_owned(),
            reasons,
        }
    }

    /// The milestone the program works towards next: the open one with the earliest target
    /// (one past its target first, it is the most urgent), else the first open one without a
    /// date; none when every milestone is reached.
    pub fn next_milestone(&self) -> Option<&Milestone> {
        let open = || self.milestones.iter().filter(|m| self.is_open(m.status_id));
        open()
            .filter(|m| m.target.is_some())
            .min_by_key(|m| m.target)
            .or_else(|| open().next())
    }
}

/// "Data platform is blocked", "2 workstreams are blocked: A and B"; none for no names.
fn named(names: &[&str], one: &str, many: &str) -> Option<String> {
    match names {
        [] => None,
        [name] => Some(format!("{name} {one}")),
        [rest @ .., last] => Some(format!(
            "{} workstreams {many}: {} and {last}",
            names.len(),
            rest.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::{Date, Id, ReadinessDimension, Workstream};

    fn program() -> Handbook {
        let mut h = Handbook::blank("Health");
        let drafted = h.status_named("Drafted").unwrap().id;
        h.workstreams.push(Workstream {
            id: Id::new(),
            area: "Identity".into(),
            current_state: String::new(),
            owner_ids: vec![],
            status_id: drafted,
            risk_level: Level::Low,
            main_blocker: String::new(),
            summary: String::new(),
        });
        h.readiness_dimensions.push(ReadinessDimension {
            id: Id::new(),
            name: "Support".into(),
            signal: String::new(),
            state: ReadinessState::Ready,
            owner_id: None,
        });
        h
    }

    #[test]
    fn health_follows_blocked_workstreams_high_risk_and_readiness_gaps() {
        let empty = Handbook::blank("Nothing yet");
        let call = empty.health();
        assert_eq!(call.health, Health::NotAssessed);
        assert_eq!(
            call.reasons,
            ["No workstreams or readiness dimensions are recorded yet"]
        );

        let mut h = program();
        let call = h.health();
        assert_eq!(call.health, Health::OnTrack, "{call:?}");

        h.readiness_dimensions[0].state = ReadinessState::NotReady;
        let call = h.health();
        assert_eq!(call.health, Health::AtRisk);
        assert_eq!(call.reasons, ["1 of 1 readiness dimension is not ready"]);
        h.readiness_dimensions[0].state = ReadinessState::Partial;
        assert_eq!(h.health().health, Health::OnTrack);

        h.workstreams[0].risk_level = Level::High;
        let call = h.health();
        assert_eq!(call.health, Health::AtRisk);
        assert_eq!(call.reasons, ["Identity carries a high risk"]);

        let blocked = h.status_named("Blocked").unwrap().id;
        h.workstreams[0].status_id = blocked;
        let mut second = h.workstreams[0].clone();
        second.id = Id::new();
        second.area = "Billing".into();
        h.workstreams.push(second);
        let call = h.health();
        assert_eq!(call.health, Health::OffTrack);
        assert_eq!(
            call.reasons[0],
            "2 workstreams are blocked: Identity and Billing"
        );

        // A finished workstream is not a reason.
        let done = h.status_named("Done").unwrap().id;
        for w in &mut h.workstreams {
            w.status_id = done;
        }
        assert_eq!(h.health().health, Health::OnTrack);
    }

    #[test]
    fn the_next_milestone_is_the_earliest_open_target_then_an_undated_one() {
        let mut h = program();
        assert!(h.next_milestone().is_none());
        let open = h.status_named("Drafted").unwrap().id;
        let done = h.status_named("Done").unwrap().id;
        let at = |d: &str| Some(d.parse::<Date>().unwrap());
        for (name, target, status) in [
            ("Undated", None, open),
            ("Later", at("2027-03-01"), open),
            ("Reached", at("2026-01-01"), done),
            ("Sooner", at("2027-01-15"), open),
        ] {
            h.milestones.push(Milestone {
                id: Id::new(),
                name: name.into(),
                marks: String::new(),
                target,
                status_id: status,
                phase_id: None,
                owner_id: None,
            });
        }
        assert_eq!(h.next_milestone().unwrap().name, "Sooner");
        for m in &mut h.milestones {
            if m.target.is_some() {
                m.status_id = done;
            }
        }
        assert_eq!(h.next_milestone().unwrap().name, "Undated");
    }
}
