//! What moved against a baseline: every dated thing of a program (a phase's start and end, a
//! milestone's target, a decision's and an action's due date) as it stood at a baseline and as
//! it stands now, and by how many days it moved. A baseline is a moment of the program's own
//! history, read back as of then: never a copy.

use serde::{Deserialize, Serialize};

use crate::kind::word_enum;
use crate::{Date, Handbook, Id, Kind};

word_enum!(
    /// Which date of an item a slip is about.
    WhichDate, "date" { Start => "start", End => "end", Target => "target", Due => "due" }
);

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
    /// Dated since, or no longer dated: no number of days to say.
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
/// plan's order (phases, milestones, decisions, actions). Things added since have no `then`;
/// things gone since are left out (they are no longer the plan). Things never dated on either
/// side are left out.
pub fn slips(then: &Handbook, now: &Handbook) -> Vec<Slip> {
    let mut out = Vec::new();
    let mut add =
        |kind: Kind, id: Id, label: &str, date: WhichDate, was: Option<Date>, is: Option<Date>| {
            if was.is_some() || is.is_some() {
                out.push(Slip {
                    kind,
                    id,
                    label: label.to_owned(),
                    date,
                    then: was,
                    now: is,
                });
            }
        };
    for p in &now.phases {
        let before = then.phases.iter().find(|x| x.id == p.id);
        add(
            Kind::Phase,
            p.id,
            &p.name,
            WhichDate::Start,
            before.and_then(|x| x.start),
            p.start,
        );
        add(
            Kind::Phase,
            p.id,
            &p.name,
            WhichDate::End,
            before.and_then(|x| x.end),
            p.end,
        );
    }
    for m in &now.milestones {
        let before = then.milestones.iter().find(|x| x.id == m.id);
        add(
            Kind::Milestone,
            m.id,
            &m.name,
            WhichDate::Target,
            before.and_then(|x| x.target),
            m.target,
        );
    }
    for d in &now.decisions {
        let before = then.decisions.iter().find(|x| x.id == d.id);
        add(
            Kind::Decision,
            d.id,
            &d.title,
            WhichDate::Due,
            before.and_then(|x| x.due),
            d.due,
        );
    }
    for a in &now.actions {
        let before = then.actions.iter().find(|x| x.id == a.id);
        add(
            Kind::Action,
            a.id,
            &a.text,
            WhichDate::Due,
            before.and_then(|x| x.due),
            a.due,
        );
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
        // Gone since: no longer the plan.
        let gone = now.actions.remove(1).id;
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
        assert!(
            found.iter().all(|s| s.id != gone),
            "an item gone since is not listed"
        );
        assert!(
            found.iter().all(|s| s.then.is_some() || s.now.is_some()),
            "never dated on either side: left out"
        );
        // A new item has nothing at the baseline.
        let mut later = now.clone();
        let mut added = later.milestones[0].clone();
        added.id = Id::new();
        later.milestones.push(added.clone());
        let found = slips(&then, &later);
        let new = found.iter().find(|s| s.id == added.id).unwrap();
        assert_eq!((new.then, new.now), (None, added.target));
    }
}
