//! What moved against a baseline: every dated thing of a program (a phase's start and end, a
//! milestone's target, a decision's and an action's due date) as it stood at a baseline and as
//! it stands now, and by how many days it moved. A baseline is a moment of the program's own
//! history, read back as of then: never a copy.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::kind::word_enum;
use crate::{Date, Handbook, Id, Kind};

word_enum!(
    /// Which date of an item a slip is about.
    WhichDate, "date" { Start => "start", End => "end", Target => "target", Due => "due" }
);

/// Whether a dated thing was in the plan at the baseline, is in it now, or both.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Since {
    #[default]
    Both,
    /// Added to the plan since the baseline.
    Added,
    /// In the plan at the baseline, deleted since.
    Removed,
}

impl Since {
    fn is_both(&self) -> bool {
        *self == Since::Both
    }
}

/// One dated thing, then and now.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slip {
    pub kind: Kind,
    pub id: Id,
    /// What the lead calls it ("Pilot live").
    pub label: String,
    pub date: WhichDate,
    pub then: Option<Date>,
    pub now: Option<Date>,
    /// Added or removed since the baseline (not written when it was there both times, so the
    /// archive of documents made before this was known reads the same).
    #[serde(default, skip_serializing_if = "Since::is_both")]
    pub since: Since,
}

impl Slip {
    /// Days later (positive) or earlier (negative) than at the baseline; none when either side
    /// has no date.
    pub fn days(&self) -> Option<i64> {
        Some((self.now?.naive() - self.then?.naive()).num_days())
    }

    /// "+14 days", "−3 days", "on plan", "date removed", "newly dated" (a minus sign, not a
    /// hyphen, as the documents print it).
    pub fn variance(&self) -> String {
        match self.since {
            Since::Added => return "added since".to_owned(),
            Since::Removed => return "removed since".to_owned(),
            Since::Both => {}
        }
        match (self.then, self.now) {
            (Some(then), Some(now)) => match (now.naive() - then.naive()).num_days() {
                0 => "on plan".to_owned(),
                1 => "+1 day".to_owned(),
                -1 => "\u{2212}1 day".to_owned(),
                d if d > 0 => format!("+{d} days"),
                d => format!("\u{2212}{} days", -d),
            },
            (Some(_), None) => "date removed".to_owned(),
            (None, Some(_)) => "newly dated".to_owned(),
            (None, None) => "not dated".to_owned(),
        }
    }

    /// Whether it moved at all (a date added or taken away counts).
    pub fn moved(&self) -> bool {
        self.then != self.now
    }
}

/// How a set of slips moved: the counts the CLI's comparison and the readout both say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub later: usize,
    pub earlier: usize,
    pub on_plan: usize,
    /// Dated, undated, added or removed since: no number of days to say.
    pub dated_or_undated: usize,
}

impl Tally {
    pub fn of<'a>(slips: impl IntoIterator<Item = &'a Slip>) -> Tally {
        let mut tally = Tally::default();
        for slip in slips {
            match slip.days() {
                Some(d) if d > 0 => tally.later += 1,
                Some(d) if d < 0 => tally.earlier += 1,
                Some(_) => tally.on_plan += 1,
                None => tally.dated_or_undated += 1,
            }
        }
        tally
    }
}

/// Every dated thing of the program now, against what it was at the baseline `then`, in the
/// plan's order (phases, milestones, decisions, actions), then what was dated at the baseline
/// and is gone since ("removed since"). A thing added since says so ("added since"), one that
/// was there undated is "newly dated". Things never dated on either side are left out.
pub fn slips(then: &Handbook, now: &Handbook) -> Vec<Slip> {
    let was: HashMap<(Id, WhichDate), Option<Date>> = dated(then)
        .into_iter()
        .map(|d| ((d.id, d.date), d.on))
        .collect();
    let is = dated(now);
    let here: HashSet<Id> = is.iter().map(|d| d.id).collect();
    let slip = |d: &Dated, then: Option<Date>, now: Option<Date>, since| {
        (then.is_some() || now.is_some()).then(|| Slip {
            kind: d.kind,
            id: d.id,
            label: d.label.to_owned(),
            date: d.date,
            then,
            now,
            since,
        })
    };
    let mut out: Vec<Slip> = is
        .iter()
        .filter_map(|d| match was.get(&(d.id, d.date)) {
            Some(then) => slip(d, *then, d.on, Since::Both),
            None => slip(d, None, d.on, Since::Added),
        })
        .collect();
    // Dated at the baseline, gone since: what the plan promised and no longer holds.
    out.extend(
        dated(then)
            .iter()
            .filter(|d| !here.contains(&d.id))
            .filter_map(|d| slip(d, d.on, None, Since::Removed)),
    );
    out
}

/// One date field of a phase, milestone, decision or action, set or not.
struct Dated<'a> {
    kind: Kind,
    id: Id,
    label: &'a str,
    date: WhichDate,
    on: Option<Date>,
}

/// Every date field of a program's phases, milestones, decisions and actions, in the plan's
/// order: what a baseline compares.
fn dated(h: &Handbook) -> Vec<Dated<'_>> {
    let mut out = Vec::new();
    for p in &h.phases {
        for (date, on) in [(WhichDate::Start, p.start), (WhichDate::End, p.end)] {
            out.push(Dated {
                kind: Kind::Phase,
                id: p.id,
                label: &p.name,
                date,
                on,
            });
        }
    }
    for m in &h.milestones {
        out.push(Dated {
            kind: Kind::Milestone,
            id: m.id,
            label: &m.name,
            date: WhichDate::Target,
            on: m.target,
        });
    }
    for d in &h.decisions {
        out.push(Dated {
            kind: Kind::Decision,
            id: d.id,
            label: &d.title,
            date: WhichDate::Due,
            on: d.due,
        });
    }
    for a in &h.actions {
        out.push(Dated {
            kind: Kind::Action,
            id: a.id,
            label: &a.text,
            date: WhichDate::Due,
            on: a.due,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::sample::builder_insights;

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn every_dated_kind_says_how_many_days_it_moved() {
        let mut then = builder_insights().unwrap();
        then.phases[0].start = Some(date("2026-11-02"));
        then.phases[0].end = Some(date("2026-12-18"));
        then.milestones[0].target = Some(date("2026-12-15"));
        then.decisions[0].due = Some(date("2026-12-10"));
        then.actions[0].due = Some(date("2026-12-11"));
        then.actions[1].due = Some(date("2026-12-01"));
        let mut now = then.clone();
        now.phases[0].end = Some(date("2026-12-15"));
        now.milestones[0].target = Some(date("2026-12-29"));
        now.decisions[0].due = Some(date("2026-12-11"));
        now.actions[0].due = None;
        now.decisions[1].due = Some(date("2027-01-05"));
        // Gone since: said so, not left out; added since: said so, not "newly dated".
        let gone = now.actions.remove(1).id;
        let mut added = now.milestones[0].clone();
        added.id = Id::new();
        added.target = Some(date("2027-02-01"));
        now.milestones.push(added.clone());
        let found = slips(&then, &now);
        let of = |id: Id, which: &str| {
            found
                .iter()
                .find(|s| s.id == id && s.date.as_str() == which)
                .unwrap()
        };
        assert_eq!(of(then.phases[0].id, "start").variance(), "on plan");
        assert_eq!(of(then.phases[0].id, "end").days(), Some(-3));
        assert_eq!(of(then.phases[0].id, "end").variance(), "\u{2212}3 days");
        assert_eq!(of(then.milestones[0].id, "target").variance(), "+14 days");
        assert_eq!(of(then.decisions[0].id, "due").variance(), "+1 day");
        assert_eq!(of(then.actions[0].id, "due").variance(), "date removed");
        assert_eq!(of(then.decisions[1].id, "due").variance(), "newly dated");
        assert!(of(then.actions[0].id, "due").moved());
        assert!(!of(then.phases[0].id, "start").moved());
        let removed = of(gone, "due");
        assert_eq!(
            (removed.then, removed.now, removed.variance().as_str()),
            (Some(date("2026-12-01")), None, "removed since")
        );
        assert_eq!(of(added.id, "target").variance(), "added since");
        assert!(
            found.iter().all(|s| s.then.is_some() || s.now.is_some()),
            "never dated on either side: left out"
        );
        // A new item has nothing at the baseline.
        let new = of(added.id, "target");
        assert_eq!((new.then, new.now), (None, added.target));
    }
}
