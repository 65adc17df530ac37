//! What a program's data says at a glance: the decisions still needed, the top risks, the heat
//! map, the status a new item starts in and the plan's timeline. Computed here once: the
//! documents and the CLI call these, and the app's TypeScript copies (ui/src/lib/logic.ts,
//! timeline.ts, schema.ts) are checked against the cases `make bindings` writes from them.

use chrono::{Datelike, Months, NaiveDate};

use crate::{Decision, Handbook, Id, Kind, Level, Milestone, Phase, Risk};

impl Handbook {
    /// Whether items with this status are still open; an item whose status is unknown counts
    /// as open (nothing says it is done).
    pub fn is_open(&self, status: Id) -> bool {
        self.status(status).is_none_or(|s| s.open)
    }

    /// Whether a decision is still needed: open and not superseded.
    pub fn is_needed(&self, decision: &Decision) -> bool {
        self.is_open(decision.status_id) && decision.superseded_by.is_none()
    }

    /// The decisions still needed, in register order.
    pub fn decisions_needed(&self) -> Vec<&Decision> {
        self.decisions
            .iter()
            .filter(|d| self.is_needed(d))
            .collect()
    }

    /// Open risks, most serious first (severity, then likelihood); register order breaks ties.
    pub fn top_risks(&self, limit: usize) -> Vec<&Risk> {
        let mut risks: Vec<&Risk> = self
            .risks
            .iter()
            .filter(|r| self.is_open(r.status_id))
            .collect();
        // A stable sort: equal risks keep the order the lead gave them.
        risks.sort_by_key(|r| {
            (
                std::cmp::Reverse(r.severity),
                std::cmp::Reverse(r.likelihood),
            )
        });
        risks.truncate(limit);
        risks
    }

    /// Open risks counted by severity (rows: high, medium, low) and likelihood (columns: low,
    /// medium, high), as the heat map draws them.
    pub fn heat_map(&self) -> [[usize; 3]; 3] {
        let mut counts = [[0usize; 3]; 3];
        for r in self.risks.iter().filter(|r| self.is_open(r.status_id)) {
            let row = match r.severity {
                Level::High => 0,
                Level::Medium => 1,
                Level::Low => 2,
            };
            let col = match r.likelihood {
                Level::Low => 0,
                Level::Medium => 1,
                Level::High => 2,
            };
            if let Some(cell) = counts.get_mut(row).and_then(|r| r.get_mut(col)) {
                *cell += 1;
            }
        }
        counts
    }

    /// The status a new item of `kind` starts in: a decision "Needs decision" when the
    /// vocabulary has it, anything else (and a decision without it) the first open status.
    /// None when no status is open.
    pub fn new_item_status(&self, kind: Kind) -> Option<Id> {
        let named = match kind {
            Kind::Decision => self.status_named("Needs decision"),
            _ => None,
        };
        named
            .or_else(|| self.statuses.iter().find(|s| s.open))
            .map(|s| s.id)
    }
}

/// The plan's phases and milestones on one time axis, with the day it is drawn on marked.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline<'a> {
    /// The phases with a date, in the plan's order.
    pub bars: Vec<Bar<'a>>,
    /// The milestones with a target, in the plan's order.
    pub marks: Vec<Mark<'a>>,
    /// The first of each month on the axis.
    pub ticks: Vec<Tick>,
    /// Where the day falls, when it is on the axis.
    pub today: Option<f64>,
    /// Phases and milestones without a date: listed, so the lead sees what is missing.
    pub undated: Vec<&'a str>,
}

/// A phase from its start to the end of its last day, as fractions (0 to 1) of the axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar<'a> {
    pub phase: &'a Phase,
    pub from: f64,
    pub to: f64,
    /// Only one end is set: drawn a day wide at it, the other end said to be missing.
    pub open: bool,
    /// Where the phase stood at the baseline (from, to), when one is drawn and it was dated.
    pub then: Option<(f64, f64)>,
}

/// A milestone at the middle of its target day.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark<'a> {
    pub milestone: &'a Milestone,
    pub at: f64,
    /// Its phase, when that phase is a bar on this timeline (the mark sits on the bar's row).
    pub on_bar: Option<Id>,
    /// Past its target and not reached.
    pub late: bool,
    /// Where its target stood at the baseline, when one is drawn and it had one.
    pub then_at: Option<f64>,
}

/// The first of a month: where it falls and what it is called ("Jan 2027" for the first tick
/// and every January, the month alone otherwise).
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

/// The timeline of one phase view ("Program plan"), or of every view with `None`, on `today`:
/// the axis runs from the first of the earliest date's month to the end of the latest one's.
/// A view's milestones are those of its phases and those of no phase. Nothing dated gives an
/// empty timeline that still lists what is undated.
pub fn timeline<'a>(h: &'a Handbook, view: Option<&str>, today: NaiveDate) -> Timeline<'a> {
    timeline_against(h, None, view, today)
}

/// The timeline of [`timeline`], with where each phase and milestone stood at a baseline
/// (`then`, the program as it was then) beside it: the axis spans both.
pub fn timeline_against<'a>(
    h: &'a Handbook,
    then: Option<&Handbook>,
    view: Option<&str>,
    today: NaiveDate,
) -> Timeline<'a> {
    let in_view = |p: &Phase| view.is_none_or(|v| p.view == v);
    let phases: Vec<&Phase> = h.phases.iter().filter(|p| in_view(p)).collect();
    let milestones: Vec<&Milestone> = h
        .milestones
        .iter()
        .filter(|m| {
            m.phase_id
                .is_none_or(|id| h.phases.iter().any(|p| p.id == id && in_view(p)))
        })
        .collect();
    let undated = phases
        .iter()
        .filter(|p| p.start.is_none() && p.end.is_none())
        .map(|p| p.name.as_str())
        .chain(
            milestones
                .iter()
                .filter(|m| m.target.is_none())
                .map(|m| m.name.as_str()),
        )
        .collect();
    let empty = Timeline {
        bars: Vec::new(),
        marks: Vec::new(),
        ticks: Vec::new(),
        today: None,
        undated,
    };
    // The same phases and milestones as they stood at the baseline.
    let phase_then = |id: Id| then.and_then(|t| t.phases.iter().find(|p| p.id == id));
    let milestone_then = |id: Id| then.and_then(|t| t.milestones.iter().find(|m| m.id == id));
    let days: Vec<NaiveDate> = phases
        .iter()
        .flat_map(|p| [p.start, p.end])
        .chain(milestones.iter().map(|m| m.target))
        .chain(
            phases
                .iter()
                .filter_map(|p| phase_then(p.id))
                .flat_map(|p| [p.start, p.end]),
        )
        .chain(
            milestones
                .iter()
                .filter_map(|m| milestone_then(m.id))
                .map(|m| m.target),
        )
        .flatten()
        .map(|d| d.naive())
        .collect();
    let (Some(first), Some(last)) = (days.iter().min(), days.iter().max()) else {
        return empty;
    };
    let (Some(from), Some(to)) = (
        first.with_day(1),
        last.with_day(1)
            .and_then(|d| d.checked_add_months(Months::new(1))),
    ) else {
        return empty;
    };
    let span = (to - from).num_days().max(1) as f64;
    let at = |d: NaiveDate| (d - from).num_days() as f64 / span;
    let half = 0.5 / span;
    let day = 1.0 / span;
    let bars: Vec<Bar> = phases
        .iter()
        .filter_map(|p| {
            let start = p.start.or(p.end)?.naive();
            let end = p.end.or(p.start)?.naive();
            let then = phase_then(p.id).and_then(|was| {
                let start = was.start.or(was.end)?.naive();
                let end = was.end.or(was.start)?.naive();
                Some((at(start), (at(end) + day).max(at(start))))
            });
            Some(Bar {
                phase: p,
                from: at(start),
                to: (at(end) + day).max(at(start)),
                open: p.start.is_none() || p.end.is_none(),
                then,
            })
        })
        .collect();
    let marks = milestones
        .iter()
        .filter_map(|m| {
            let target = m.target?.naive();
            Some(Mark {
                milestone: m,
                at: at(target) + half,
                on_bar: m
                    .phase_id
                    .filter(|id| bars.iter().any(|b| b.phase.id == *id)),
                late: target < today && h.is_open(m.status_id),
                then_at: milestone_then(m.id)
                    .and_then(|was| was.target)
                    .map(|t| at(t.naive()) + half),
            })
        })
        .collect();
    let mut ticks = Vec::new();
    let mut month = from;
    while month < to {
        let label = if ticks.is_empty() || month.month() == 1 {
            month.format("%b %Y").to_string()
        } else {
            month.format("%b").to_string()
        };
        ticks.push(Tick {
            at: at(month),
            label,
        });
        let Some(next) = month.checked_add_months(Months::new(1)) else {
            break;
        };
        month = next;
    }
    let now = at(today) + half;
    Timeline {
        bars,
        marks,
        ticks,
        today: (0.0..=1.0).contains(&now).then_some(now),
        undated: empty.undated,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::sample::builder_insights;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn date(text: &str) -> crate::Date {
        text.parse().unwrap()
    }

    #[test]
    fn closed_and_superseded_decisions_are_not_needed() {
        let mut h = builder_insights().unwrap();
        let before = h.decisions_needed().len();
        assert!(before >= 2, "the sample has open decisions");
        let done = h.statuses.iter().find(|s| !s.open).unwrap().id;
        let first = h.decisions_needed()[0].id;
        let second = h.decisions_needed()[1].id;
        h.decisions
            .iter_mut()
            .find(|d| d.id == first)
            .unwrap()
            .status_id = done;
        h.decisions
            .iter_mut()
            .find(|d| d.id == second)
            .unwrap()
            .superseded_by = Some(first);
        let after: Vec<Id> = h.decisions_needed().iter().map(|d| d.id).collect();
        assert_eq!(after.len(), before - 2);
        assert!(!after.contains(&first) && !after.contains(&second));
    }

    #[test]
    fn top_risks_put_severity_before_likelihood_and_keep_the_register_order() {
        let mut h = builder_insights().unwrap();
        let open = h.statuses.iter().find(|s| s.open).unwrap().id;
        for (r, (s, l)) in h.risks.iter_mut().zip([
            (Level::Medium, Level::High),
            (Level::High, Level::Low),
            (Level::High, Level::Low),
            (Level::Low, Level::High),
        ]) {
            r.severity = s;
            r.likelihood = l;
            r.status_id = open;
        }
        h.risks.truncate(4);
        let ids: Vec<Id> = h.risks.iter().map(|r| r.id).collect();
        let top: Vec<Id> = h.top_risks(3).iter().map(|r| r.id).collect();
        assert_eq!(top, vec![ids[1], ids[2], ids[0]]);
        assert_eq!(
            h.heat_map()[0][0],
            2,
            "two high-severity, low-likelihood risks"
        );
        assert_eq!(h.heat_map()[2][2], 1);
        assert_eq!(h.heat_map().iter().flatten().sum::<usize>(), 4);
    }

    #[test]
    fn a_new_decision_needs_deciding_and_anything_else_starts_open() {
        let mut h = builder_insights().unwrap();
        let needs = h.status_named("needs decision").unwrap().id;
        assert_eq!(h.new_item_status(Kind::Decision), Some(needs));
        let first_open = h.statuses.iter().find(|s| s.open).unwrap().id;
        assert_eq!(h.new_item_status(Kind::Risk), Some(first_open));
        h.statuses.retain(|s| s.id != needs);
        assert_eq!(h.new_item_status(Kind::Decision), Some(first_open));
        h.statuses.retain(|s| !s.open);
        assert_eq!(h.new_item_status(Kind::Action), None);
    }

    #[test]
    fn a_timeline_spans_whole_months_and_marks_what_is_late() {
        let mut h = builder_insights().unwrap();
        h.phases.truncate(1);
        let phase = h.phases[0].id;
        h.phases[0].start = Some(date("2027-01-04"));
        h.phases[0].end = Some(date("2027-02-26"));
        h.phases[0].view = "Program plan".to_owned();
        h.milestones.truncate(2);
        h.milestones[0].target = Some(date("2027-02-01"));
        h.milestones[0].phase_id = Some(phase);
        h.milestones[1].target = None;
        h.milestones[1].phase_id = None;
        let open = h.statuses.iter().find(|s| s.open).unwrap().id;
        h.milestones[0].status_id = open;
        let t = timeline(&h, Some("Program plan"), day("2027-02-10"));
        // January and February 2027: 59 days.
        assert_eq!(t.ticks.len(), 2);
        assert_eq!(t.ticks[0].label, "Jan 2027");
        assert_eq!(t.ticks[1].label, "Feb");
        assert!((t.ticks[1].at - 31.0 / 59.0).abs() < 1e-12);
        assert!((t.bars[0].from - 3.0 / 59.0).abs() < 1e-12);
        // 26 February is day 56 from 1 January: the bar ends with it, at the start of day 57.
        assert!((t.bars[0].to - 57.0 / 59.0).abs() < 1e-12);
        assert_eq!(t.marks.len(), 1);
        assert_eq!(t.marks[0].on_bar, Some(phase));
        assert!(t.marks[0].late, "past its target and open");
        assert_eq!(t.undated, vec![h.milestones[1].name.as_str()]);
        assert!(t.today.is_some());
        // Another view holds none of it; the milestone of no phase is still undated there.
        let other = timeline(&h, Some("Implementation phases"), day("2027-02-10"));
        assert!(other.bars.is_empty() && other.marks.is_empty() && other.ticks.is_empty());
        assert_eq!(other.undated.len(), 1);
    }

    /// The sample's ids are made afresh each time: numbered in order of first appearance so the
    /// written cases change only when a rule's answer does.
    #[cfg(feature = "ts")]
    fn stable_ids(text: &str) -> String {
        let mut numbers: std::collections::HashMap<String, usize> = Default::default();
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(quote) = rest.find('"') {
            out.push_str(&rest[..=quote]);
            rest = &rest[quote + 1..];
            let candidate = rest.get(..36).filter(|c| c.parse::<Id>().is_ok());
            if let Some(id) = candidate {
                let next = numbers.len() + 1;
                let n = *numbers.entry(id.to_owned()).or_insert(next);
                out.push_str(&format!("00000000-0000-7000-8000-{n:012}"));
                rest = &rest[36..];
            }
        }
        out.push_str(rest);
        out
    }

    /// `make bindings` writes the sample program, two variants and what each rule gives on
    /// them; Vitest (ui/src/lib/rules.test.ts) checks the app's TypeScript gives the same.
    #[cfg(feature = "ts")]
    #[test]
    fn export_the_rule_cases_for_the_ui() {
        use serde_json::json;
        let sample = builder_insights().unwrap();
        // A variant: a risk and a decision closed, a decision superseded, a phase with one end,
        // a milestone without a target, no "Needs decision" status.
        let mut variant = sample.clone();
        let done = variant.statuses.iter().find(|s| !s.open).unwrap().id;
        variant.risks[0].status_id = done;
        variant.decisions[0].status_id = done;
        let first = variant.decisions[0].id;
        variant.decisions[1].superseded_by = Some(first);
        variant.phases[0].end = None;
        variant.milestones[0].target = None;
        let needs = variant.status_named("Needs decision").unwrap().id;
        let open = variant
            .statuses
            .iter()
            .find(|s| s.open && s.id != needs)
            .unwrap()
            .id;
        variant.statuses.retain(|s| s.id != needs);
        for d in &mut variant.decisions {
            if d.status_id == needs {
                d.status_id = open;
            }
        }
        // Nothing dated at all.
        let mut undated = sample.clone();
        for p in &mut undated.phases {
            p.start = None;
            p.end = None;
        }
        for m in &mut undated.milestones {
            m.target = None;
        }
        // The sample dated, against a baseline where it stood otherwise: a phase earlier and
        // longer, one undated then, a milestone a month earlier, one undated then.
        let mut dated = sample.clone();
        for (n, p) in dated.phases.iter_mut().enumerate() {
            p.start = Some(format!("2026-{:02}-02", 10 + n % 3).parse().unwrap());
            p.end = Some(format!("2027-{:02}-20", 1 + n % 5).parse().unwrap());
        }
        for (n, m) in dated.milestones.iter_mut().enumerate() {
            m.target = Some(format!("2027-{:02}-15", 1 + n % 6).parse().unwrap());
        }
        let mut then = dated.clone();
        then.phases[0].start = Some("2026-09-14".parse().unwrap());
        then.phases[0].end = Some("2027-03-31".parse().unwrap());
        then.phases[1].start = None;
        then.phases[1].end = None;
        then.milestones[0].target = Some("2026-12-15".parse().unwrap());
        then.milestones[1].target = None;
        let mut cases = Vec::new();
        for (name, h, then) in [
            ("sample", &sample, None),
            ("variant", &variant, None),
            ("undated", &undated, None),
            ("against a baseline", &dated, Some(&then)),
        ] {
            let mut views: Vec<Option<&str>> = vec![None];
            for p in &h.phases {
                if !views.contains(&Some(p.view.as_str())) {
                    views.push(Some(&p.view));
                }
            }
            let mut timelines = Vec::new();
            for today in ["2026-11-20", "2027-03-01", "2031-01-01"] {
                for view in &views {
                    let t = timeline_against(h, then, *view, day(today));
                    timelines.push(json!({
                        "view": view,
                        "on": today,
                        "bars": t.bars.iter().map(|b| json!({"id": b.phase.id, "x": b.from, "width": b.to - b.from, "open": b.open, "then": b.then.map(|(from, to)| json!({"x": from, "width": to - from}))})).collect::<Vec<_>>(),
                        "marks": t.marks.iter().map(|m| json!({"id": m.milestone.id, "x": m.at, "phase": m.on_bar, "late": m.late, "thenX": m.then_at})).collect::<Vec<_>>(),
                        "ticks": t.ticks.iter().map(|k| json!({"x": k.at, "label": k.label})).collect::<Vec<_>>(),
                        "today": t.today,
                        "undated": t.undated,
                    }));
                }
            }
            let kinds: serde_json::Map<String, serde_json::Value> = Kind::ALL
                .iter()
                .filter(|k| **k != Kind::Program)
                .map(|k| (k.as_str().to_owned(), json!(h.new_item_status(*k))))
                .collect();
            cases.push(json!({
                "name": name,
                "handbook": h,
                "then": then,
                "decisionsNeeded": h.decisions_needed().iter().map(|d| d.id).collect::<Vec<_>>(),
                "topRisks": h.top_risks(5).iter().map(|r| r.id).collect::<Vec<_>>(),
                "heatMap": h.heat_map(),
                "newItemStatus": kinds,
                "timelines": timelines,
            }));
        }
        let dir =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings");
        let text = stable_ids(&(serde_json::to_string_pretty(&cases).unwrap() + "\n"));
        std::fs::write(dir.join("rule-cases.json"), &text).unwrap();
        assert_ne!(cases[0]["decisionsNeeded"], cases[1]["decisionsNeeded"]);
        assert_ne!(
            cases[0]["newItemStatus"]["decision"],
            cases[1]["newItemStatus"]["decision"]
        );
    }
}
