//! What is the person's to do: the app's My items screen and the reminders it sends when
//! something of theirs falls due. One rule for both, so a reminder never names an item the
//! screen does not show.

use chrono::NaiveDate;
use serde::Serialize;

use crate::{Date, Handbook, Id, Kind, OwnerKind};

/// Where an open item's date stands on the person's day.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Due {
    /// Its date has passed.
    Overdue,
    /// Due within the next seven days, today included.
    ThisWeek,
}

/// Where `due` stands on `today` for an item that is `open`; a closed or undated item is
/// neither overdue nor due this week.
pub fn due_state(due: Option<Date>, open: bool, today: NaiveDate) -> Option<Due> {
    let due = due?.naive();
    if !open {
        None
    } else if due < today {
        Some(Due::Overdue)
    } else if due <= today + chrono::Days::new(6) {
        Some(Due::ThisWeek)
    } else {
        None
    }
}

/// One thing that is the person's, or their team's, to do.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MyItem {
    pub kind: Kind,
    pub id: Id,
    /// The item as the person knows it: its text, title or statement.
    pub label: String,
    /// Why it is theirs ("Your action", "Needed from your team").
    pub why: String,
    pub due: Option<Date>,
    pub state: Option<Due>,
}

impl MyItem {
    /// Whether a reminder is owed: its date has come (today) or passed.
    pub fn has_fallen_due(&self, today: NaiveDate) -> bool {
        self.due.is_some_and(|d| d.naive() <= today)
    }
}

/// Who the person is in this program: the person owner they chose, while it is still a person
/// here, else the one that carries their name (case and outer spaces aside).
pub fn who_you_are(h: &Handbook, chosen: Option<Id>, name: Option<&str>) -> Option<Id> {
    let people = || h.owners.iter().filter(|o| o.kind == OwnerKind::Person);
    chosen
        .and_then(|id| people().find(|o| o.id == id))
        .or_else(|| {
            let name = name?.trim();
            people().find(|o| o.name.trim().eq_ignore_ascii_case(name))
        })
        .map(|o| o.id)
}

/// What the person `me` (an owner) has open, and what their team has: their actions, the
/// decisions needed from them, the risks and readiness items they own. Overdue first, then by
/// date, undated last.
pub fn my_items(h: &Handbook, me: Id, today: NaiveDate) -> Vec<MyItem> {
    let whose = whose(h, me);
    let open = |status: Id| h.is_open(status);
    let mut out = Vec::new();
    let mut add = |kind, id, label: &str, yours: Option<bool>, why: (&str, &str), due, open| {
        let Some(yours) = yours.filter(|_| open) else {
            return;
        };
        out.push(MyItem {
            kind,
            id,
            label: label.to_owned(),
            why: (if yours { why.0 } else { why.1 }).to_owned(),
            due,
            state: due_state(due, true, today),
        });
    };
    for a in &h.actions {
        let owner: Vec<Id> = a.owner_id.into_iter().collect();
        let why = ("Your action", "Your team's action");
        add(
            Kind::Action,
            a.id,
            &a.text,
            whose(&owner),
            why,
            a.due,
            open(a.status_id),
        );
    }
    for d in &h.decisions {
        let why = ("Needed from you", "Needed from your team");
        let waiting = h.is_needed(d);
        add(
            Kind::Decision,
            d.id,
            &d.title,
            whose(&d.needed_from),
            why,
            d.due,
            waiting,
        );
    }
    for r in &h.risks {
        let owner: Vec<Id> = r.owner_id.into_iter().collect();
        let why = ("Your risk", "Your team's risk");
        add(
            Kind::Risk,
            r.id,
            &r.statement,
            whose(&owner),
            why,
            None,
            open(r.status_id),
        );
    }
    for c in &h.readiness_checks {
        let owner: Vec<Id> = c.owner_id.into_iter().collect();
        let why = ("Your readiness item", "Your team's readiness item");
        add(
            Kind::ReadinessCheck,
            c.id,
            &c.text,
            whose(&owner),
            why,
            None,
            !c.done,
        );
    }
    by_urgency(&mut out);
    out
}

/// Whether owners `ids` make an item the person's own (`Some(true)`), their team's
/// (`Some(false)`), or neither.
fn whose(h: &Handbook, me: Id) -> impl Fn(&[Id]) -> Option<bool> {
    let team = h.owner(me).and_then(|o| o.team_id);
    move |ids: &[Id]| {
        if ids.contains(&me) {
            Some(true)
        } else if team.is_some_and(|t| ids.contains(&t)) {
            Some(false)
        } else {
            None
        }
    }
}

/// Overdue first, then by date, undated last.
fn by_urgency(items: &mut [MyItem]) {
    let rank = |i: &MyItem| match (i.state, i.due) {
        (Some(Due::Overdue), _) => 0,
        (_, Some(_)) => 1,
        (_, None) => 2,
    };
    items.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.due.cmp(&b.due)));
}

/// [`my_items`], and the links between programs that broke and are the person's (or their
/// team's) to mend: a dependency of this program they own, or an item of theirs another
/// program depends on (a milestone they own, a decision needed from them). Due by the date it
/// is needed, when that is known here.
pub fn my_items_and_links(
    h: &Handbook,
    me: Id,
    today: NaiveDate,
    links: &[crate::Link],
) -> Vec<MyItem> {
    let mut out = my_items(h, me, today);
    let whose = whose(h, me);
    for link in links.iter().filter(|l| l.state == crate::LinkState::Broken) {
        let one = |owner: Option<Id>| owner.into_iter().collect::<Vec<Id>>();
        let owners: Vec<Id> = match (link.direction, link.item_kind) {
            (crate::Direction::Needs, _) => one(h
                .dependencies
                .iter()
                .find(|d| d.id == link.item)
                .and_then(|d| d.owner_id)),
            (crate::Direction::NeededBy, Kind::Milestone) => one(h
                .milestones
                .iter()
                .find(|m| m.id == link.item)
                .and_then(|m| m.owner_id)),
            (crate::Direction::NeededBy, Kind::Decision) => h
                .decisions
                .iter()
                .find(|d| d.id == link.item)
                .map(|d| d.needed_from.clone())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let Some(yours) = whose(&owners) else {
            continue;
        };
        let why = match (link.direction, yours) {
            (crate::Direction::Needs, true) => "Your dependency on another program broke",
            (crate::Direction::Needs, false) => "Your team's dependency on another program broke",
            (crate::Direction::NeededBy, true) => "Another program's dependency on it broke",
            (crate::Direction::NeededBy, false) => {
                "Another program's dependency on your team's item broke"
            }
        };
        out.push(MyItem {
            kind: link.item_kind,
            id: link.item,
            label: link.label.clone(),
            why: why.to_owned(),
            due: link.needed_by,
            state: due_state(link.needed_by, true, today),
        });
    }
    by_urgency(&mut out);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::{Owner, sample};

    /// `make bindings` writes where this says dates stand, for the UI's copy
    /// (`dueState` in ui/src/lib/logic.ts), which Vitest checks against it: one answer to
    /// "is it overdue" whichever side asks.
    #[cfg(feature = "ts")]
    #[test]
    fn export_the_due_cases_for_the_ui() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 28).unwrap();
        let mut cases = Vec::new();
        for offset in [-400i64, -1, 0, 1, 5, 6, 7, 8, 30] {
            for open in [true, false] {
                let day = today + chrono::Duration::days(offset);
                let due: Date = day.to_string().parse().unwrap();
                cases.push(serde_json::json!({
                    "due": due.to_string(),
                    "open": open,
                    "today": today.to_string(),
                    "state": due_state(Some(due), open, today),
                }));
            }
        }
        cases.push(serde_json::json!({"due": null, "open": true, "today": today.to_string(), "state": null}));
        let dir =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings");
        let text = serde_json::to_string_pretty(&cases).unwrap() + "\n";
        std::fs::write(dir.join("due-cases.json"), &text).unwrap();
        assert!(cases.iter().any(|c| c["state"] == "overdue"));
        assert!(cases.iter().any(|c| c["state"] == "this_week"));
    }

    fn day(text: &str) -> NaiveDate {
        text.parse::<Date>().unwrap().naive()
    }

    #[test]
    fn a_date_is_overdue_the_day_after_and_due_this_week_for_seven_days() {
        let due: Option<Date> = Some("2026-12-10".parse().unwrap());
        assert_eq!(due_state(due, true, day("2026-12-11")), Some(Due::Overdue));
        assert_eq!(due_state(due, true, day("2026-12-10")), Some(Due::ThisWeek));
        assert_eq!(due_state(due, true, day("2026-12-04")), Some(Due::ThisWeek));
        assert_eq!(due_state(due, true, day("2026-12-03")), None);
        assert_eq!(due_state(due, false, day("2026-12-11")), None, "closed");
        assert_eq!(due_state(None, true, day("2026-12-11")), None, "undated");
    }

    fn with_person(h: &mut Handbook, name: &str, team: Option<Id>) -> Id {
        let id = Id::new();
        h.owners.push(Owner {
            id,
            name: name.to_owned(),
            short_name: None,
            kind: OwnerKind::Person,
            team_id: team,
        });
        id
    }

    #[test]
    fn the_person_is_the_one_chosen_else_the_one_with_their_name() {
        let mut h = sample::builder_insights().unwrap();
        let priya = with_person(&mut h, "Priya Raman", None);
        let sam = with_person(&mut h, "Sam Ortiz", None);
        let team = h
            .owners
            .iter()
            .find(|o| o.kind != OwnerKind::Person)
            .unwrap()
            .id;
        assert_eq!(who_you_are(&h, None, Some("  priya raman ")), Some(priya));
        assert_eq!(who_you_are(&h, Some(sam), Some("Priya Raman")), Some(sam));
        // A choice that is no longer a person here (deleted, or a team) falls back to the name.
        assert_eq!(
            who_you_are(&h, Some(team), Some("Priya Raman")),
            Some(priya)
        );
        assert_eq!(who_you_are(&h, Some(Id::new()), None), None);
        assert_eq!(who_you_are(&h, None, Some("Nobody")), None);
    }

    #[test]
    fn my_items_are_mine_and_my_teams_open_ones_overdue_first_undated_last() {
        let mut h = sample::builder_insights().unwrap();
        let team = h
            .owners
            .iter()
            .find(|o| o.kind != OwnerKind::Person)
            .unwrap()
            .id;
        let me = with_person(&mut h, "Priya Raman", Some(team));
        let open = h.statuses.iter().find(|s| s.open).unwrap().id;
        let closed = h.statuses.iter().find(|s| !s.open).unwrap().id;
        let today = day("2026-12-04");
        h.actions.truncate(4);
        let texts = ["late", "soon", "done", "team undated"];
        let dues = [
            Some("2026-12-01"),
            Some("2026-12-09"),
            Some("2026-11-01"),
            None,
        ];
        for (i, a) in h.actions.iter_mut().enumerate() {
            a.text = texts[i].to_owned();
            a.due = dues[i].map(|d| d.parse().unwrap());
            a.owner_id = Some(if i == 3 { team } else { me });
            a.status_id = if i == 2 { closed } else { open };
        }
        h.decisions.clear();
        h.risks.clear();
        h.readiness_checks.clear();
        let items = my_items(&h, me, today);
        let labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
        assert_eq!(labels, ["late", "soon", "team undated"]);
        assert_eq!(items[0].state, Some(Due::Overdue));
        assert_eq!(items[1].state, Some(Due::ThisWeek));
        assert_eq!(items[2].why, "Your team's action");
        assert!(items[0].has_fallen_due(today));
        assert!(!items[1].has_fallen_due(today));
        assert!(items[1].has_fallen_due(day("2026-12-09")));
        // Someone with nothing of theirs has no items.
        let other = with_person(&mut h, "Sam Ortiz", None);
        assert!(my_items(&h, other, today).is_empty());
    }
}
