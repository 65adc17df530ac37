//! The check before sending: what a careful lead would catch before a vice president does.
//! Each finding names the item and says what to do; none blocks sending. `roadbook check` and
//! the Documents screen both run [`check`].

use std::collections::BTreeSet;

use serde::Serialize;

use crate::{Date, Entity, Handbook, Id, Kind, OwnerKind};

/// What a finding is about.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckRule {
    /// A conflict the team's sync found on the item, still open: a document would show one
    /// side of it. Found from the store (`roadbook_core::check`), not by [`check`].
    OpenConflict,
    /// A change of the person's the team's server refused: the team's copy does not have it.
    /// Found from the store.
    ChangeRefused,
    /// Changes made on this machine the team's server does not have yet. Found from the store.
    NotPushed,
    /// A dependency between this program and another that broke: what it names moved past
    /// when it is needed. Found from the store's links ([`crate::link_findings`]).
    DependencyBroken,
    /// An ask of leadership that refers to a decision already made.
    AskAlreadyDecided,
    /// A workstream whose status says one thing and its decisions another.
    WorkstreamDisagrees,
    /// A decision marked Decided without its outcome or rationale.
    DecidedWithoutReason,
    /// An open item nobody owns.
    NoOwner,
    /// An open item past its due date.
    PastDue,
    /// A milestone past its target and not reached.
    MilestoneMissed,
    /// A readiness dimension with no signal to judge it by.
    NoSignal,
    /// An owner label still a placeholder, not a team or a person.
    PlaceholderOwner,
}

/// One thing to look at before sending.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: CheckRule,
    pub kind: Kind,
    pub id: Id,
    /// The item as a person knows it: its title, name or text.
    pub label: String,
    /// What is wrong and what to do, in the lead's words.
    pub message: String,
}

/// Words that say nothing about which decision an ask means.
const FILLER: &[&str] = &[
    "and", "the", "for", "with", "from", "into", "that", "this", "our", "its", "per", "via",
];

fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3 && !FILLER.contains(&w.as_str()))
        .collect()
}

/// Whether `ask` speaks of the decision titled `title`: most of the title's words are in it.
fn refers_to(ask: &str, title: &str) -> bool {
    let title = words(title);
    if title.len() < 2 {
        return false;
    }
    let ask = words(ask);
    let shared = title.iter().filter(|w| ask.contains(*w)).count();
    shared * 4 >= title.len() * 3
}

/// The decisions an ask of leadership speaks of, made and still open: the check, the outcome
/// flow and the documents all judge "this ask is settled" by it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AskDecisions<'a> {
    pub made: Vec<&'a crate::Decision>,
    pub open: Vec<&'a crate::Decision>,
}

/// What `ask` speaks of in `h`.
pub fn ask_decisions<'a>(h: &'a Handbook, ask: &str) -> AskDecisions<'a> {
    let mut found = AskDecisions::default();
    for d in h.decisions.iter().filter(|d| refers_to(ask, &d.title)) {
        if h.is_open(d.status_id) {
            found.open.push(d);
        } else {
            found.made.push(d);
        }
    }
    found
}

fn short(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= 60 {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(59).collect::<String>().trim_end())
    }
}

/// What else goes stale when decisions are decided: the asks of leadership that speak of them,
/// and the workstreams that say "Needs decision" with no decision left open. A review's outcome
/// offers to settle these with it, so the next readout does not ask for what was decided.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FollowUps {
    /// The asks (as the program holds them) that speak of a decision being decided.
    pub asks: Vec<String>,
    /// Workstreams whose every decision is decided once these are.
    pub workstreams: Vec<Id>,
}

/// The follow-ups of deciding `decided` (ids of decisions about to be closed) in `h`.
pub fn follow_ups(h: &Handbook, decided: &[Id]) -> FollowUps {
    let open = |d: &crate::Decision| !decided.contains(&d.id) && h.is_open(d.status_id);
    let titles: Vec<&str> = h
        .decisions
        .iter()
        .filter(|d| decided.contains(&d.id))
        .map(|d| d.title.as_str())
        .collect();
    let asks = h
        .program
        .asks
        .iter()
        .filter(|ask| titles.iter().any(|t| refers_to(ask, t)))
        .cloned()
        .collect();
    let workstreams = h
        .workstreams
        .iter()
        .filter(|w| {
            h.status(w.status_id)
                .is_some_and(|s| s.name.eq_ignore_ascii_case("Needs decision"))
        })
        .filter(|w| {
            let mine: Vec<_> = h
                .decisions
                .iter()
                .filter(|d| d.workstream_id == Some(w.id))
                .collect();
            mine.iter().any(|d| decided.contains(&d.id)) && !mine.iter().any(|d| open(d))
        })
        .map(|w| w.id)
        .collect();
    FollowUps { asks, workstreams }
}

/// Every finding for `h` on the day `today`, grouped by rule, in the handbook's order.
pub fn check(h: &Handbook, today: Date) -> Vec<Finding> {
    let mut out = Vec::new();
    let open = |status: Id| h.is_open(status);
    let is = |status: Id, name: &str| {
        h.status(status)
            .is_some_and(|s| s.name.eq_ignore_ascii_case(name))
    };
    let mut find = |rule, kind, id, label: &str, message: String| {
        out.push(Finding {
            rule,
            kind,
            id,
            label: short(label),
            message,
        });
    };

    for ask in &h.program.asks {
        for d in ask_decisions(h, ask).made {
            find(
                CheckRule::AskAlreadyDecided,
                Kind::Program,
                h.program.id,
                ask,
                format!(
                    "This ask of leadership speaks of '{}', which is {} already: drop the ask or say what is still needed.",
                    d.title,
                    h.status(d.status_id).map_or("closed", |s| s.name.as_str())
                ),
            );
        }
    }

    for w in &h.workstreams {
        let decisions: Vec<_> = h
            .decisions
            .iter()
            .filter(|d| d.workstream_id == Some(w.id))
            .collect();
        let waiting = decisions.iter().filter(|d| open(d.status_id)).count();
        if is(w.status_id, "Needs decision") && !decisions.is_empty() && waiting == 0 {
            find(
                CheckRule::WorkstreamDisagrees,
                Kind::Workstream,
                w.id,
                &w.area,
                "It says Needs decision, but its decisions are all made: move it on.".into(),
            );
        } else if !open(w.status_id) && waiting > 0 {
            find(
                CheckRule::WorkstreamDisagrees,
                Kind::Workstream,
                w.id,
                &w.area,
                format!(
                    "It is closed, but {waiting} of its decisions {} still open: reopen it or settle them.",
                    if waiting == 1 { "is" } else { "are" }
                ),
            );
        }
    }

    for d in &h.decisions {
        if is(d.status_id, "Decided") {
            let missing: Vec<&str> = [
                ("the outcome", d.outcome.trim().is_empty()),
                ("the rationale", d.rationale.trim().is_empty()),
            ]
            .into_iter()
            .filter_map(|(what, gone)| gone.then_some(what))
            .collect();
            if !missing.is_empty() {
                find(
                    CheckRule::DecidedWithoutReason,
                    Kind::Decision,
                    d.id,
                    &d.title,
                    format!(
                        "Marked Decided without {}: Decided means with the outcome and rationale recorded.",
                        missing.join(" or ")
                    ),
                );
            }
        }
    }

    // Open items nobody owns, and open items past due.
    let mut owned = |kind, id, label: &str, owners: usize, due: Option<Date>, status: Id| {
        if !open(status) {
            return;
        }
        if owners == 0 {
            find(
                CheckRule::NoOwner,
                kind,
                id,
                label,
                "Nobody owns it: name an owner.".into(),
            );
        }
        if let Some(due) = due
            && due < today
        {
            find(
                CheckRule::PastDue,
                kind,
                id,
                label,
                format!("Due {due} and still open: close it, or set a new date with the owner."),
            );
        }
    };
    for d in &h.decisions {
        owned(
            Kind::Decision,
            d.id,
            &d.title,
            d.needed_from.len(),
            d.due,
            d.status_id,
        );
    }
    for r in &h.risks {
        owned(
            Kind::Risk,
            r.id,
            &r.statement,
            usize::from(r.owner_id.is_some()),
            None,
            r.status_id,
        );
    }
    for a in &h.actions {
        owned(
            Kind::Action,
            a.id,
            &a.text,
            usize::from(a.owner_id.is_some()),
            a.due,
            a.status_id,
        );
    }

    for m in &h.milestones {
        if let Some(target) = m.target
            && target < today
            && open(m.status_id)
        {
            find(
                CheckRule::MilestoneMissed,
                Kind::Milestone,
                m.id,
                &m.name,
                format!(
                    "Its target was {target} and it is not reached: mark it, or move the target."
                ),
            );
        }
    }

    for r in &h.readiness_dimensions {
        if r.signal.trim().is_empty() {
            find(
                CheckRule::NoSignal,
                Kind::ReadinessDimension,
                r.id,
                &r.name,
                "No signal says when it is ready: add one.".into(),
            );
        }
    }

    for o in &h.owners {
        if o.kind == OwnerKind::Placeholder {
            find(
                CheckRule::PlaceholderOwner,
                Kind::Owner,
                o.id,
                o.label(),
                "A placeholder, not a team or a person yet: name who it is.".into(),
            );
        }
    }

    out.sort_by_key(|f| f.rule);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ask_refers_to_a_decision_by_most_of_its_words() {
        let ask = "Sponsor the key dependencies: the Okta path and claims model, the Builder Relations org source";
        assert!(refers_to(ask, "Okta SSO path and claims model"));
        assert!(refers_to(ask, "Builder Relations org source"));
        assert!(!refers_to(ask, "First Kanopy runtime boundary"));
        assert!(!refers_to(ask, "Okta"), "one word is not enough");
    }

    #[test]
    fn deciding_names_the_asks_and_workstreams_it_leaves_stale() {
        let h = crate::sample::builder_insights().unwrap();
        let okta = h
            .decisions
            .iter()
            .find(|d| d.title.starts_with("Okta"))
            .unwrap();
        let found = follow_ups(&h, &[okta.id]);
        assert_eq!(found.asks.len(), 1, "{found:?}");
        assert!(found.asks[0].starts_with("Sponsor the key dependencies"));
        let identity = h
            .workstreams
            .iter()
            .find(|w| w.area == "Identity and SSO")
            .unwrap();
        assert_eq!(found.workstreams, [identity.id]);
        // Nothing decided, nothing stale; a workstream not saying Needs decision is left alone.
        assert_eq!(follow_ups(&h, &[]), FollowUps::default());
        let kanopy = h
            .decisions
            .iter()
            .find(|d| d.title.starts_with("First Kanopy"))
            .unwrap();
        assert!(follow_ups(&h, &[kanopy.id]).workstreams.is_empty());
    }
}
