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
    /// The program's health on `today` from its workstreams, its readiness, what is late and
    /// its dependencies with other programs (`broken_links`: how many broke, either way):
    /// - off track when a workstream is blocked (its status is named "Blocked");
    /// - at risk when a workstream carries a high risk, a readiness dimension is not ready, a
    ///   decision still needed is past its due date, a milestone is past its target and not
    ///   reached, or a dependency with another program broke;
    /// - on track otherwise;
    /// - not assessed when the program has neither workstreams nor readiness dimensions.
    ///
    /// A workstream counts only while its status is open: a finished one blocks nothing.
    pub fn health(&self, today: chrono::NaiveDate, broken_links: usize) -> HealthCall {
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
        let partial = dims
            .iter()
            .filter(|d| d.state == ReadinessState::Partial)
            .count();
        let past = |d: Option<crate::Date>| d.is_some_and(|d| d.naive() < today);
        let overdue: Vec<&str> = self
            .decisions_needed()
            .into_iter()
            .filter(|d| past(d.due))
            .map(|d| d.title.as_str())
            .collect();
        let missed: Vec<&str> = self
            .milestones
            .iter()
            .filter(|m| self.is_open(m.status_id) && past(m.target))
            .map(|m| m.name.as_str())
            .collect();

        let mut reasons = Vec::new();
        if let Some(said) = named(&blocked, "workstream", "is blocked", "are blocked") {
            reasons.push(said);
        }
        if let Some(said) = named(
            &high,
            "workstream",
            "carries a high risk",
            "carry a high risk",
        ) {
            reasons.push(said);
        }
        if not_ready > 0 {
            let and_partial = match partial {
                0 => String::new(),
                n => format!(", {n} partial"),
            };
            reasons.push(format!(
                "readiness: {not_ready} of {} dimension{} not ready{and_partial}",
                dims.len(),
                if dims.len() == 1 { "" } else { "s" },
            ));
        }
        if let Some(said) = titled(&overdue, "decision", "is overdue", "are overdue") {
            reasons.push(said);
        }
        if let Some(said) = titled(
            &missed,
            "milestone",
            "is past its target",
            "are past their targets",
        ) {
            reasons.push(said);
        }
        match broken_links {
            0 => {}
            1 => reasons.push("a dependency with another program broke".to_owned()),
            n => reasons.push(format!("{n} dependencies with other programs broke")),
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
        if health == Health::NotAssessed && reasons.is_empty() {
            reasons.push("no workstreams or readiness dimensions are recorded yet".into());
        }
        if health == Health::OnTrack {
            reasons.push("nothing blocked, at high risk, overdue or not ready".into());
        }
        // Each reason a sentence's start.
        for r in &mut reasons {
            *r = crate::capital(r);
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
fn named(names: &[&str], noun: &str, one: &str, many: &str) -> Option<String> {
    match names {
        [] => None,
        [name] => Some(format!("{} {one}", crate::isolate(name))),
        _ => Some(format!(
            "{} {noun}s {many}: {}",
            names.len(),
            crate::list(names)
        )),
    }
}

/// "decision ‘Pick the IdP’ is overdue", "2 decisions are overdue: ‘A’ and ‘B’".
fn titled(titles: &[&str], noun: &str, one: &str, many: &str) -> Option<String> {
    let quoted: Vec<String> = titles
        .iter()
        .map(|t| format!("‘{}’", crate::isolate(t)))
        .collect();
    let refs: Vec<&str> = quoted.iter().map(String::as_str).collect();
    match refs.as_slice() {
        [] => None,
        [title] => Some(format!("{noun} {title} {one}")),
        _ => Some(format!(
            "{} {noun}s {many}: {}",
            refs.len(),
            crate::list(&refs)
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
    fn health_follows_blocked_workstreams_high_risk_readiness_what_is_late_and_broken_links() {
        let today = "2026-12-07".parse::<Date>().unwrap().naive();
        let empty = Handbook::blank("Nothing yet");
        let call = empty.health(today, 0);
        assert_eq!(call.health, Health::NotAssessed);
        assert_eq!(
            call.reasons,
            ["No workstreams or readiness dimensions are recorded yet"]
        );

        let mut h = program();
        let call = h.health(today, 0);
        assert_eq!(call.health, Health::OnTrack, "{call:?}");
        assert_eq!(
            call.reasons,
            ["Nothing blocked, at high risk, overdue or not ready"]
        );

        h.readiness_dimensions[0].state = ReadinessState::NotReady;
        let call = h.health(today, 0);
        assert_eq!(call.health, Health::AtRisk);
        assert_eq!(call.reasons, ["Readiness: 1 of 1 dimension not ready"]);
        h.readiness_dimensions[0].state = ReadinessState::Partial;
        assert_eq!(h.health(today, 0).health, Health::OnTrack);

        // Late, or a dependency with another program broken: at risk, each named.
        let needed = h.new_item_status(crate::Kind::Decision).unwrap();
        let mut decision: crate::Decision = serde_json::from_value(serde_json::json!({
            "id": Id::new(), "title": "Pick the IdP", "status_id": needed, "due": "2026-12-01"
        }))
        .unwrap();
        h.decisions.push(decision.clone());
        let call = h.health(today, 1);
        assert_eq!(call.health, Health::AtRisk);
        assert_eq!(
            call.reasons,
            [
                "Decision ‘Pick the IdP’ is overdue",
                "A dependency with another program broke"
            ]
        );
        decision.due = Some("2026-12-31".parse().unwrap());
        h.decisions[0] = decision;
        assert_eq!(h.health(today, 0).health, Health::OnTrack);

        h.workstreams[0].risk_level = Level::High;
        let call = h.health(today, 0);
        assert_eq!(call.health, Health::AtRisk);
        assert_eq!(call.reasons, ["Identity carries a high risk"]);

        let blocked = h.status_named("Blocked").unwrap().id;
        h.workstreams[0].status_id = blocked;
        let mut second = h.workstreams[0].clone();
        second.id = Id::new();
        second.area = "Billing and SSO".into();
        h.workstreams.push(second);
        let call = h.health(today, 0);
        assert_eq!(call.health, Health::OffTrack);
        // The serial comma where a name holds "and", as the documents write it.
        assert_eq!(
            call.reasons[0],
            "2 workstreams are blocked: Identity, and Billing and SSO"
        );

        // A finished workstream is not a reason.
        let done = h.status_named("Done").unwrap().id;
        for w in &mut h.workstreams {
            w.status_id = done;
        }
        assert_eq!(h.health(today, 0).health, Health::OnTrack);
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
