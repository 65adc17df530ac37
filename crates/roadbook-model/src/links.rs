//! Dependencies between programs: a dependency of one program may name an item of another (a
//! milestone, a decision or a phase). It breaks when what it names moves past when it is
//! needed: a milestone or phase dated after the need-by date or not done by it, a decision
//! still open on it or due after it. Judged here once, for the check, My items, the dashboards,
//! the portfolio, the dependency map and the server (which judges for people who cannot see the
//! other program, and tells them only the state and its reason, never the other program's
//! content).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::kind::word_enum;
use crate::{Date, Dependency, Handbook, Id, Kind};

/// An item of another program, named by a dependency.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OtherItem {
    pub program_id: Id,
    pub item_id: Id,
}

/// The kinds of item a dependency between programs may name.
pub const LINKABLE: [Kind; 3] = [Kind::Milestone, Kind::Decision, Kind::Phase];

word_enum!(
    /// Where a dependency between programs stands.
    LinkState, "dependency state" {
        Holding => "holding",
        Broken => "broken",
        Unknown => "unknown"
    }
);

word_enum!(
    /// Why a dependency between programs stands where it does. A reason says nothing of the
    /// other program's content, so the server can tell it to someone who cannot see that
    /// program.
    LinkReason, "reason" {
        OnTrack => "on_track",
        Done => "done",
        Deleted => "deleted",
        LateDate => "late_date",
        NotDoneInTime => "not_done_in_time",
        NoNeedBy => "no_need_by",
        Undated => "undated",
        NotHere => "not_here"
    }
);

impl LinkReason {
    pub fn state(self) -> LinkState {
        match self {
            LinkReason::OnTrack | LinkReason::Done => LinkState::Holding,
            LinkReason::Deleted | LinkReason::LateDate | LinkReason::NotDoneInTime => {
                LinkState::Broken
            }
            LinkReason::NoNeedBy | LinkReason::Undated | LinkReason::NotHere => LinkState::Unknown,
        }
    }

    /// The reason in words, without the other program's content.
    pub fn words(self) -> &'static str {
        match self {
            LinkReason::OnTrack => "on track for the need-by date",
            LinkReason::Done => "done",
            LinkReason::Deleted => "what it depends on was deleted",
            LinkReason::LateDate => "what it depends on is dated after the need-by date",
            LinkReason::NotDoneInTime => "what it depends on was not done by the need-by date",
            LinkReason::NoNeedBy => {
                "no need-by date: give one, or a start date to the phase that needs it"
            }
            LinkReason::Undated => "what it depends on has no date yet",
            LinkReason::NotHere => {
                "the other program is not in this database and the server has not said yet"
            }
        }
    }
}

/// What a dependency needs of the item it names, as that item stands in its program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needed {
    pub kind: Kind,
    pub label: String,
    /// A milestone's target, a decision's due date, a phase's end.
    pub date: Option<Date>,
    /// Not yet reached, made or done.
    pub open: bool,
}

impl Handbook {
    /// The item `id` of this program as a dependency between programs needs it: a milestone, a
    /// decision or a phase; none for anything else or an item not here.
    pub fn needed(&self, id: Id) -> Option<Needed> {
        if let Some(m) = self.milestones.iter().find(|m| m.id == id) {
            return Some(Needed {
                kind: Kind::Milestone,
                label: m.name.clone(),
                date: m.target,
                open: self.is_open(m.status_id),
            });
        }
        if let Some(named) = self.decisions.iter().find(|d| d.id == id) {
            // A decision superseded is judged by the one that took its place: that is the
            // decision still to be made.
            let mut d = named;
            for _ in 0..self.decisions.len() {
                match d
                    .superseded_by
                    .and_then(|next| self.decisions.iter().find(|x| x.id == next))
                {
                    Some(next) if next.id != named.id => d = next,
                    _ => break,
                }
            }
            return Some(Needed {
                kind: Kind::Decision,
                label: d.title.clone(),
                date: d.due,
                open: self.is_open(d.status_id) && d.superseded_by.is_none(),
            });
        }
        self.phases.iter().find(|p| p.id == id).map(|p| Needed {
            kind: Kind::Phase,
            label: p.name.clone(),
            date: p.end,
            // A phase without a status is still to be done.
            open: p.status_id.is_none_or(|s| self.is_open(s)),
        })
    }

    /// When this program needs what `d` depends on: its need-by date, else the start of the
    /// phase here that needs it.
    pub fn needed_by(&self, d: &Dependency) -> Option<Date> {
        d.needed_by.or_else(|| {
            let phase = d.phase_id?;
            self.phases.iter().find(|p| p.id == phase)?.start
        })
    }
}

/// Where a dependency stands: what it names (none: deleted), when it is needed, on `today`.
pub fn judge(needed: Option<&Needed>, needed_by: Option<Date>, today: NaiveDate) -> LinkReason {
    let Some(needed) = needed else {
        return LinkReason::Deleted;
    };
    if !needed.open {
        return LinkReason::Done;
    }
    let Some(by) = needed_by else {
        return LinkReason::NoNeedBy;
    };
    // Still open once the day it was needed has come (a decision) or passed (a date).
    let came = match needed.kind {
        Kind::Decision => by.naive() <= today,
        _ => by.naive() < today,
    };
    if came {
        return LinkReason::NotDoneInTime;
    }
    match needed.date {
        Some(date) if date > by => LinkReason::LateDate,
        Some(_) => LinkReason::OnTrack,
        // An undated decision is not late by its date; an undated milestone cannot be told.
        None if needed.kind == Kind::Decision => LinkReason::OnTrack,
        None => LinkReason::Undated,
    }
}

/// Whether a dependency of `program` may name `on`: an item of another program, where it is
/// (`found`: the program it belongs to and its kind, as the caller looked it up among the
/// programs the person can see; none when it is not among them), of a kind a dependency can
/// name. The words say what to do.
pub fn check_other_item(
    program: Id,
    on: OtherItem,
    found: Option<(Id, Kind)>,
) -> Result<(), crate::Invalid> {
    let mut p = crate::Problems::with_prefix(Kind::Dependency.noun());
    let field = "other_item";
    if on.program_id == program {
        p.at(
            field,
            "names an item of this program: say what it depends on in words (Depends on), and name items of other programs here",
        );
    } else {
        match found {
            None => p.at(
                field,
                format!(
                    "names {}, which is not in a program you can see here: join that program first (a dependency names only what you can see)",
                    on.item_id
                ),
            ),
            Some((belongs, _)) if belongs != on.program_id => p.at(
                field,
                format!(
                    "names {} as an item of program {}, but it belongs to program {belongs}",
                    on.item_id, on.program_id
                ),
            ),
            Some((_, kind)) if !LINKABLE.contains(&kind) => p.at(
                field,
                format!(
                    "names a {}: a dependency between programs names a milestone, a decision or a phase",
                    kind.noun()
                ),
            ),
            Some(_) => {}
        }
    }
    p.into_result()
}

/// Which way a link runs, seen from the program it is shown in.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A dependency of this program on an item of another.
    Needs,
    /// A dependency of another program on an item of this one.
    NeededBy,
}

/// A dependency between programs as one of them shows it. What belongs to the other program
/// (its name, its item, the need-by date of its dependency) is absent when the person cannot
/// see that program.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The dependency (an item of the dependent program).
    pub dependency: Id,
    pub direction: Direction,
    /// The item of this program: for `Needs` the dependency itself, for `NeededBy` the item
    /// the other program depends on.
    pub item: Id,
    pub item_kind: Kind,
    /// What this program calls it.
    pub label: String,
    pub other_program: Id,
    /// The other program's name; none when the person cannot see it.
    pub other_program_name: Option<String>,
    /// The other program's item: what is depended on (`Needs`) or what depends (`NeededBy`).
    pub other_label: Option<String>,
    pub other_kind: Option<Kind>,
    /// The date the depended-on item carries (a target, a due date, an end).
    pub date: Option<Date>,
    pub needed_by: Option<Date>,
    pub state: LinkState,
    pub reason: LinkReason,
    /// What the dependency says it depends on, in its lead's words; none when the person
    /// cannot see the program it belongs to.
    #[serde(default)]
    pub depends_on: Option<String>,
}

impl Link {
    /// The link as told to someone who may not see its other program: where it stands and why,
    /// and nothing of that program (its name, its item, the date it carries or needs, its
    /// words).
    pub fn withheld(mut self) -> Link {
        self.other_program_name = None;
        self.other_label = None;
        self.other_kind = None;
        match self.direction {
            // The date is the other program's item's; the need-by date is this program's own.
            Direction::Needs => self.date = None,
            // The need-by date and the words are the other program's; the date is this one's.
            Direction::NeededBy => {
                self.needed_by = None;
                self.depends_on = None;
            }
        }
        self
    }

    /// The link in a sentence a lead reads: what depends on what, by when, and where it stands
    /// ("‘Field launch’ depends on ‘Identity sign-in live’ (milestone ‘Pilot live’ of
    /// ‘Identity’), needed by 15 Jan 2027: broken, its target is 20 Jan 2027").
    pub fn sentence(&self) -> String {
        format!("{}: {}", self.what(), self.verdict())
    }

    /// What depends on what, and by when.
    pub fn what(&self) -> String {
        let other = self
            .other_program_name
            .as_deref()
            .map_or("another program".to_owned(), |n| format!("‘{n}’"));
        let item = match (&self.other_label, self.other_kind) {
            (Some(l), Some(k)) => format!("{} ‘{l}’ of {other}", k.noun()),
            _ => format!("an item of {other}"),
        };
        let what = match (self.direction, &self.depends_on) {
            (Direction::Needs, Some(words)) if !words.trim().is_empty() => {
                format!("‘{}’ depends on ‘{}’ ({item})", self.label, words.trim())
            }
            (Direction::Needs, _) => format!("‘{}’ depends on {item}", self.label),
            (Direction::NeededBy, _) => format!(
                "{} depends on {} ‘{}’",
                match &self.other_label {
                    Some(l) => format!("‘{l}’ of {other}"),
                    None => crate::capital(&other),
                },
                self.item_kind.noun(),
                self.label,
            ),
        };
        match self.needed_by {
            Some(d) => format!("{what}, needed by {}", day(d)),
            None => what,
        }
    }

    /// Where it stands: "holds", "broken, its target is 20 Jan 2027".
    pub fn verdict(&self) -> String {
        match self.detail() {
            Some(detail) => format!("{}, {detail}", self.state_words()),
            None => self.state_words().to_owned(),
        }
    }

    /// "holds", "broken", "cannot be judged".
    pub fn state_words(&self) -> &'static str {
        match self.state {
            LinkState::Holding => "holds",
            LinkState::Broken => "broken",
            LinkState::Unknown => "cannot be judged",
        }
    }

    /// Why it stands where it does, when there is more to say than its state ("its target is 20
    /// Jan 2027"); for a table that shows the state beside it.
    pub fn detail(&self) -> Option<String> {
        // The kind of the item depended on, whichever side this program is.
        let depended = match self.direction {
            Direction::Needs => self.other_kind,
            Direction::NeededBy => Some(self.item_kind),
        };
        let date_word = match depended {
            Some(Kind::Milestone) => "target",
            Some(Kind::Decision) => "due date",
            Some(Kind::Phase) => "end",
            _ => "date",
        };
        Some(match (self.reason, self.date) {
            (LinkReason::LateDate, Some(date)) => format!("its {date_word} is {}", day(date)),
            (LinkReason::LateDate, None) => "it is dated after that".to_owned(),
            (LinkReason::NotDoneInTime, _) if depended == Some(Kind::Decision) => {
                "the decision is still open".to_owned()
            }
            (LinkReason::NotDoneInTime, _) => "it was not done by then".to_owned(),
            (LinkReason::Deleted, _) => "what it depends on was deleted".to_owned(),
            (LinkReason::OnTrack, _) => return None,
            (LinkReason::Done, _) => "it is done".to_owned(),
            (reason, _) => reason.words().to_owned(),
        })
    }
}

fn day(d: Date) -> String {
    d.naive().format("%-d %b %Y").to_string()
}

/// The check's findings for the links that broke: each names the item of this program and
/// says what to do.
pub fn link_findings(links: &[Link]) -> Vec<crate::Finding> {
    links
        .iter()
        .filter(|l| l.state == LinkState::Broken)
        .map(|l| crate::Finding {
            rule: crate::CheckRule::DependencyBroken,
            kind: l.item_kind,
            id: l.item,
            label: l.label.clone(),
            message: format!(
                "{}. {}",
                crate::capital(&l.sentence()),
                match l.direction {
                    Direction::Needs => {
                        "Agree a new date with the other program's lead, or change when this program needs it."
                    }
                    Direction::NeededBy => {
                        "Bring its date back, or tell the other program's lead so they can plan for it."
                    }
                }
            ),
        })
        .collect()
}

/// The links between `here` and the programs `others` (each another program in the same
/// database): its dependencies on their items, and theirs on its items, judged on `today`. A
/// dependency on a program not among `others` is `Unknown` (`NotHere`): the caller fills in
/// what the server said of it.
pub fn links(here: &Handbook, others: &[&Handbook], today: NaiveDate) -> Vec<Link> {
    let mut out = Vec::new();
    for d in &here.dependencies {
        let Some(on) = d.other_item else { continue };
        let other = others.iter().find(|o| o.program.id == on.program_id);
        let needed = other.and_then(|o| o.needed(on.item_id));
        let needed_by = here.needed_by(d);
        let reason = match other {
            Some(_) => judge(needed.as_ref(), needed_by, today),
            None => LinkReason::NotHere,
        };
        out.push(Link {
            dependency: d.id,
            direction: Direction::Needs,
            item: d.id,
            item_kind: Kind::Dependency,
            label: d.dependent.clone(),
            other_program: on.program_id,
            other_program_name: other.map(|o| o.program.name.clone()),
            other_label: needed.as_ref().map(|n| n.label.clone()),
            other_kind: needed.as_ref().map(|n| n.kind),
            date: needed.as_ref().and_then(|n| n.date),
            needed_by,
            state: reason.state(),
            reason,
            depends_on: Some(d.depends_on.clone()),
        });
    }
    for other in others {
        for d in &other.dependencies {
            let Some(on) = d.other_item.filter(|e| e.program_id == here.program.id) else {
                continue;
            };
            // An item deleted here has nothing to show the flag on: the dependent program's
            // side says it broke.
            let Some(needed) = here.needed(on.item_id) else {
                continue;
            };
            let needed = Some(needed);
            let needed_by = other.needed_by(d);
            let reason = judge(needed.as_ref(), needed_by, today);
            out.push(Link {
                dependency: d.id,
                direction: Direction::NeededBy,
                item: on.item_id,
                item_kind: needed.as_ref().map_or(Kind::Milestone, |n| n.kind),
                label: needed
                    .as_ref()
                    .map_or_else(|| "a deleted item".to_owned(), |n| n.label.clone()),
                other_program: other.program.id,
                other_program_name: Some(other.program.name.clone()),
                other_label: Some(d.dependent.clone()),
                other_kind: Some(Kind::Dependency),
                date: needed.as_ref().and_then(|n| n.date),
                needed_by,
                state: reason.state(),
                reason,
                depends_on: Some(d.depends_on.clone()),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn needed(kind: Kind, date: Option<&str>, open: bool) -> Needed {
        Needed {
            kind,
            label: "X".into(),
            date: date.map(day),
            open,
        }
    }

    #[test]
    fn a_dependency_breaks_when_what_it_names_moves_past_its_need_by_date() {
        let today = day("2027-01-10").naive();
        let by = Some(day("2027-01-15"));
        let m = |date: Option<&str>, open| needed(Kind::Milestone, date, open);
        assert_eq!(
            judge(Some(&m(Some("2027-01-14"), true)), by, today),
            LinkReason::OnTrack
        );
        assert_eq!(
            judge(Some(&m(Some("2027-01-15"), true)), by, today),
            LinkReason::OnTrack
        );
        assert_eq!(
            judge(Some(&m(Some("2027-01-16"), true)), by, today),
            LinkReason::LateDate
        );
        assert_eq!(
            judge(Some(&m(Some("2027-02-16"), false)), by, today),
            LinkReason::Done
        );
        assert_eq!(judge(Some(&m(None, true)), by, today), LinkReason::Undated);
        assert_eq!(judge(None, by, today), LinkReason::Deleted);
        assert_eq!(
            judge(Some(&m(Some("2027-01-14"), true)), None, today),
            LinkReason::NoNeedBy
        );
        // The need-by day passed with the milestone open: broken, whatever its date says.
        let later = day("2027-01-16").naive();
        assert_eq!(
            judge(Some(&m(Some("2027-01-14"), true)), by, later),
            LinkReason::NotDoneInTime
        );
        // A decision is broken once the day it is needed comes, still open.
        let d = |date: Option<&str>| needed(Kind::Decision, date, true);
        assert_eq!(judge(Some(&d(None)), by, today), LinkReason::OnTrack);
        assert_eq!(
            judge(Some(&d(Some("2027-01-20"))), by, today),
            LinkReason::LateDate
        );
        assert_eq!(
            judge(Some(&d(None)), by, day("2027-01-15").naive()),
            LinkReason::NotDoneInTime
        );
        for reason in LinkReason::ALL {
            assert!(!reason.words().is_empty());
        }
        assert_eq!(LinkReason::LateDate.state(), LinkState::Broken);
        assert_eq!(LinkReason::NotHere.state(), LinkState::Unknown);
    }

    #[test]
    fn links_are_judged_from_both_programs_and_shown_on_each_side() {
        let mut field = crate::Handbook::blank("Field");
        let mut identity = crate::Handbook::blank("Identity");
        let open = identity.status_named("Drafted").unwrap().id;
        let milestone = crate::Milestone {
            id: Id::new(),
            name: "Pilot live".into(),
            marks: String::new(),
            target: Some(day("2027-01-20")),
            status_id: open,
            phase_id: None,
            owner_id: None,
        };
        identity.milestones.push(milestone.clone());
        let dependency = Dependency {
            id: Id::new(),
            dependent: "Field launch".into(),
            depends_on: "Identity sign-in".into(),
            why_it_matters: String::new(),
            workstream_id: None,
            source: String::new(),
            other_item: Some(OtherItem {
                program_id: identity.program.id,
                item_id: milestone.id,
            }),
            needed_by: Some(day("2027-01-15")),
            phase_id: None,
            owner_id: None,
        };
        field.dependencies.push(dependency.clone());
        let today = day("2026-12-07").naive();

        let from_field = links(&field, &[&identity], today);
        assert_eq!(from_field.len(), 1);
        let l = &from_field[0];
        assert_eq!(
            (l.direction, l.state, l.reason),
            (Direction::Needs, LinkState::Broken, LinkReason::LateDate)
        );
        assert_eq!(
            l.sentence(),
            "‘Field launch’ depends on ‘Identity sign-in’ (milestone ‘Pilot live’ of ‘Identity’), needed by 15 Jan 2027: broken, its target is 20 Jan 2027"
        );
        let from_identity = links(&identity, &[&field], today);
        assert_eq!(from_identity.len(), 1);
        let l = &from_identity[0];
        assert_eq!(
            (l.direction, l.item, l.state),
            (Direction::NeededBy, milestone.id, LinkState::Broken)
        );
        assert_eq!(
            l.sentence(),
            "‘Field launch’ of ‘Field’ depends on milestone ‘Pilot live’, needed by 15 Jan 2027: broken, its target is 20 Jan 2027"
        );
        // Without Identity here: not judged (the server's word fills it in).
        let alone = links(&field, &[], today);
        assert_eq!(
            (alone[0].state, alone[0].reason),
            (LinkState::Unknown, LinkReason::NotHere)
        );
        // A need-by date from the phase that needs it, when none is given.
        let mut later = field.clone();
        let phase = crate::Phase {
            id: Id::new(),
            view: "Plan".into(),
            name: "Launch".into(),
            goal: String::new(),
            status_id: None,
            start: Some(day("2027-02-01")),
            end: None,
        };
        later.phases.push(phase.clone());
        later.dependencies[0].needed_by = None;
        later.dependencies[0].phase_id = Some(phase.id);
        let healed = links(&later, &[&identity], today);
        assert_eq!(
            (healed[0].state, healed[0].needed_by),
            (LinkState::Holding, Some(day("2027-02-01")))
        );
        // The check flags the broken one on each side, naming that side's item.
        let findings = link_findings(&from_identity);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].id, milestone.id);
        assert!(link_findings(&healed).is_empty());
        // A decision superseded is judged by the one that took its place.
        let mut decided = identity.clone();
        let open = decided.status_named("Drafted").unwrap().id;
        let successor: crate::Decision = serde_json::from_value(serde_json::json!({
            "id": Id::new(), "title": "Pick the IdP, again", "status_id": open, "due": "2027-03-01"
        }))
        .unwrap();
        let mut first = successor.clone();
        first.id = Id::new();
        first.title = "Pick the IdP".into();
        first.superseded_by = Some(successor.id);
        decided.decisions = vec![first.clone(), successor];
        let needed = decided.needed(first.id).unwrap();
        assert_eq!(
            (needed.label.as_str(), needed.open),
            ("Pick the IdP, again", true)
        );
        assert_eq!(
            judge(Some(&needed), Some(day("2027-01-15")), today),
            LinkReason::LateDate
        );
        // Naming an item: of another program, one here to see, of a kind that can be named.
        let on = OtherItem {
            program_id: identity.program.id,
            item_id: milestone.id,
        };
        assert!(
            check_other_item(
                field.program.id,
                on,
                Some((identity.program.id, Kind::Milestone))
            )
            .is_ok()
        );
        let said = |r: Result<(), crate::Invalid>| r.unwrap_err().to_string();
        assert!(
            said(check_other_item(
                identity.program.id,
                on,
                Some((identity.program.id, Kind::Milestone))
            ))
            .contains("an item of this program")
        );
        assert!(
            said(check_other_item(field.program.id, on, None))
                .contains("not in a program you can see")
        );
        assert!(
            said(check_other_item(
                field.program.id,
                on,
                Some((identity.program.id, Kind::Risk))
            ))
            .contains("names a risk")
        );
        assert!(
            said(check_other_item(
                field.program.id,
                on,
                Some((Id::new(), Kind::Milestone))
            ))
            .contains("belongs to program")
        );
    }
}
