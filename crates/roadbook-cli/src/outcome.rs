//! `roadbook review outcome`: what a review decided, assigned and recorded, as the app's
//! "Record outcome" writes it. Decisions it closes need their outcome, rationale and who
//! decided; new actions come from the review; what goes stale with the decisions (asks of
//! leadership that speak of them, workstreams left waiting on them) is listed, and settled with
//! `--settle`. Everything is checked before anything is written.

use std::io::Write;

use anyhow::{Result, anyhow, bail};
use clap::{Arg, ArgAction, ArgMatches, Command};
use roadbook_model::{Action, Date, Decision, Handbook, Id, Kind, Program, Review, Workstream};
use serde_json::{Map, Value, json};

use crate::commands::Ctx;
use crate::items::{item_arg, option as one, program_arg, resolve, set_typed, switch};

/// The `outcome` verb of `roadbook review`.
pub(crate) fn command() -> Command {
    let pairs = |id: &'static str, what: &'static str| {
        Arg::new(id)
            .long(id)
            .value_name("DECISION=TEXT")
            .action(ArgAction::Append)
            .help(format!(
                "{what} of a decision: its title or id, '=', then the text (repeat for each)"
            ))
    };
    Command::new("outcome")
        .about("Record what a review decided, assigned and recorded (as the app's Record outcome)")
        .arg(item_arg(Kind::Review.noun()))
        .arg(program_arg())
        .arg(
            Arg::new("held-on")
                .long("held-on")
                .value_name("YYYY-MM-DD")
                .help("When it was held [default: its date, else today]"),
        )
        .arg(
            Arg::new("summary")
                .long("summary")
                .value_name("TEXT")
                .help("What was decided, assigned and recorded, in your words"),
        )
        .arg(
            Arg::new("decided")
                .long("decided")
                .value_name("DECISION")
                .action(ArgAction::Append)
                .help("A decision the review made (status Decided; needs its outcome, rationale and who decided)"),
        )
        .arg(
            Arg::new("status")
                .long("status")
                .value_name("DECISION=STATUS")
                .action(ArgAction::Append)
                .help("Another status for a decision (Blocked, Drafted...)"),
        )
        .arg(pairs("outcome", "The outcome"))
        .arg(pairs("rationale", "The rationale"))
        .arg(pairs("decided-by", "Who decided (a person)"))
        .arg(
            Arg::new("action")
                .long("action")
                .value_name("TEXT[; owner=NAME][; due=YYYY-MM-DD]")
                .action(ArgAction::Append)
                .help("A next action the review assigned (repeat for each)"),
        )
        .arg(
            Arg::new("settle")
                .long("settle")
                .action(ArgAction::SetTrue)
                .help("Also settle what goes stale: drop the asks of leadership that speak of the decisions, and move workstreams left waiting on them to Decided"),
        )
}

fn many<'a>(m: &'a ArgMatches, id: &str) -> Vec<&'a str> {
    m.try_get_many::<String>(id)
        .ok()
        .flatten()
        .map(|v| v.map(String::as_str).collect())
        .unwrap_or_default()
}

/// What one decision becomes.
#[derive(Default)]
struct Move {
    status: Option<Id>,
    outcome: Option<String>,
    rationale: Option<String>,
    decided_by: Option<String>,
}

impl<W: Write> Ctx<W> {
    pub(crate) fn review_outcome(&mut self, program: Option<Id>, m: &ArgMatches) -> Result<()> {
        let review_id =
            self.named_item(Kind::Review, program, one(m, "item").unwrap_or_default())?;
        let mut store = self.open()?;
        let h = store.load(store.locate(review_id)?.program_id)?;
        let Some(review) = h.reviews.iter().find(|r| r.id == review_id).cloned() else {
            bail!("there is no review {review_id} in this program");
        };
        let held_on: Date = match one(m, "held-on") {
            Some(text) => text
                .parse()
                .map_err(|e| anyhow!("--held-on is '{text}': {e}"))?,
            None => review
                .date
                .unwrap_or_else(|| chrono::Local::now().date_naive().into()),
        };
        let decided_status = decided_status(&h)?;

        // Each decision's move, from the flags, checked against the review's aims.
        let aims = |given: &str, flag: &str| -> Result<Id> {
            let id = resolve(&h, Kind::Decision, given).map_err(|e| anyhow!("--{flag}: {e}"))?;
            if !review.decision_ids.contains(&id) {
                bail!(
                    "--{flag}: '{given}' is not among the decisions {} aims for: add it first (roadbook review set ... --decision)",
                    review.title
                );
            }
            Ok(id)
        };
        let mut moves: std::collections::BTreeMap<Id, Move> = std::collections::BTreeMap::new();
        let split = |text: &str, flag: &str| -> Result<(String, String)> {
            let (decision, value) = text.split_once('=').ok_or_else(|| {
                anyhow!("--{flag} is '{text}': give the decision, '=', then the value")
            })?;
            Ok((decision.trim().to_owned(), value.trim().to_owned()))
        };
        for given in many(m, "decided") {
            moves.entry(aims(given, "decided")?).or_default().status = Some(decided_status);
        }
        for text in many(m, "status") {
            let (decision, status) = split(text, "status")?;
            let status =
                resolve(&h, Kind::Status, &status).map_err(|e| anyhow!("--status: {e}"))?;
            moves.entry(aims(&decision, "status")?).or_default().status = Some(status);
        }
        for (flag, set) in [
            (
                "outcome",
                (|m: &mut Move, v| m.outcome = Some(v)) as fn(&mut Move, String),
            ),
            ("rationale", |m, v| m.rationale = Some(v)),
            ("decided-by", |m, v| m.decided_by = Some(v)),
        ] {
            for text in many(m, flag) {
                let (decision, value) = split(text, flag)?;
                set(moves.entry(aims(&decision, flag)?).or_default(), value);
            }
        }

        // Decided means with its outcome, rationale and who decided (what it holds counts).
        let mut problems = Vec::new();
        let mut decided = Vec::new();
        let mut changes: Vec<(Id, Map<String, Value>)> = Vec::new();
        for (id, change) in &moves {
            let Some(d) = h.decisions.iter().find(|d| d.id == *id) else {
                continue;
            };
            let status = change.status.unwrap_or(d.status_id);
            let closes = h.status(status).is_some_and(|s| !s.open);
            let outcome = change.outcome.clone().unwrap_or_else(|| d.outcome.clone());
            let rationale = change
                .rationale
                .clone()
                .unwrap_or_else(|| d.rationale.clone());
            let by = change
                .decided_by
                .clone()
                .unwrap_or_else(|| d.decided_by.clone());
            if closes {
                for (value, flag) in [
                    (&outcome, "--outcome"),
                    (&rationale, "--rationale"),
                    (&by, "--decided-by"),
                ] {
                    if value.trim().is_empty() {
                        problems.push(format!("'{}' needs {flag}", d.title));
                    }
                }
                if h.is_open(d.status_id) {
                    decided.push(d.id);
                }
            }
            let mut fields = Map::new();
            fields.insert("status_id".into(), json!(status));
            fields.insert("outcome".into(), json!(outcome));
            fields.insert("rationale".into(), json!(rationale));
            fields.insert("decided_by".into(), json!(by.trim()));
            if closes && d.decided_on.is_none() {
                fields.insert("decided_on".into(), json!(held_on));
            }
            changes.push((*id, fields));
        }
        if !problems.is_empty() {
            bail!(
                "a decision the review decided needs its outcome, rationale and who decided: {}",
                problems.join("; ")
            );
        }

        // New actions, from the review.
        let open = h
            .statuses
            .iter()
            .find(|s| s.open)
            .map(|s| s.id)
            .ok_or_else(|| anyhow!("the program has no open status to give a new action"))?;
        let mut actions = Vec::new();
        for text in many(m, "action") {
            let mut parts = text.split(';').map(str::trim);
            let words = parts.next().unwrap_or_default().to_owned();
            let mut action = Action {
                id: Id::new(),
                text: words,
                owner_id: None,
                due: None,
                status_id: open,
                source: review.title.clone(),
                decision_id: None,
                review_id: Some(review.id),
                workstream_id: None,
            };
            for part in parts.filter(|p| !p.is_empty()) {
                match part.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
                    Some(("owner", name)) => {
                        action.owner_id = Some(
                            resolve(&h, Kind::Owner, name).map_err(|e| anyhow!("--action: {e}"))?,
                        );
                    }
                    Some(("due", date)) => {
                        action.due = Some(
                            date.parse()
                                .map_err(|e| anyhow!("--action due is '{date}': {e}"))?,
                        );
                    }
                    _ => bail!(
                        "--action: '{part}' is neither owner=NAME nor due=YYYY-MM-DD (separate them with ';')"
                    ),
                }
            }
            if action.text.is_empty() {
                bail!("--action '{text}' has no text before its ';'");
            }
            actions.push(action);
        }

        // What goes stale with the decisions.
        let stale = roadbook_model::follow_ups(&h, &decided);
        let settle = switch(m, "settle");

        // Written: the decisions, the actions, what is settled, then the review itself.
        let author = self.session.author.name.clone();
        for (id, fields) in &changes {
            set_typed::<Decision>(&mut store, *id, fields, &author)?;
        }
        for action in &actions {
            store.create(h.program.id, action, &author)?;
        }
        if settle {
            for id in &stale.workstreams {
                let mut fields = Map::new();
                fields.insert("status_id".into(), json!(decided_status));
                set_typed::<Workstream>(&mut store, *id, &fields, &author)?;
            }
            if !stale.asks.is_empty() {
                let asks: Vec<&String> = h
                    .program
                    .asks
                    .iter()
                    .filter(|a| !stale.asks.contains(a))
                    .collect();
                let mut fields = Map::new();
                fields.insert("asks".into(), json!(asks));
                set_typed::<Program>(&mut store, h.program.id, &fields, &author)?;
            }
        }
        let mut fields = Map::new();
        fields.insert("held_on".into(), json!(held_on));
        if let Some(summary) = one(m, "summary") {
            fields.insert("outcome".into(), json!(summary));
        }
        fields.insert("status_id".into(), json!(held_status(&h, &review)));
        set_typed::<Review>(&mut store, review.id, &fields, &author)?;

        writeln!(
            self.out,
            "recorded the outcome of '{}' (held {held_on}): {} decisions decided, {} changed otherwise, {} actions added",
            review.title,
            decided.len(),
            moves.len() - decided.len(),
            actions.len()
        )?;
        let areas = |ids: &[Id]| -> Vec<String> {
            ids.iter()
                .filter_map(|id| h.workstreams.iter().find(|w| w.id == *id))
                .map(|w| format!("'{}'", w.area))
                .collect()
        };
        if settle {
            if !stale.workstreams.is_empty() {
                writeln!(
                    self.out,
                    "moved to Decided: {}",
                    areas(&stale.workstreams).join(", ")
                )?;
            }
            for ask in &stale.asks {
                writeln!(self.out, "dropped the ask: {ask}")?;
            }
        } else if !stale.workstreams.is_empty() || !stale.asks.is_empty() {
            writeln!(
                self.out,
                "now stale (--settle settles them with the outcome):"
            )?;
            for area in areas(&stale.workstreams) {
                writeln!(
                    self.out,
                    "- workstream {area} still says it waits on a decision"
                )?;
            }
            for ask in &stale.asks {
                writeln!(self.out, "- the ask of leadership: {ask}")?;
            }
        }
        Ok(())
    }
}

/// The status a decision made takes: Decided, else the first that ends an item's life.
fn decided_status(h: &Handbook) -> Result<Id> {
    h.status_named("Decided")
        .or_else(|| h.statuses.iter().find(|s| !s.open))
        .map(|s| s.id)
        .ok_or_else(|| anyhow!("the program has no closed status for a decision made: add one (roadbook status add --open no)"))
}

/// The review's own status once held: Done, else a closed one other than Decided (the app's).
fn held_status(h: &Handbook, review: &Review) -> Id {
    let closed: Vec<_> = h.statuses.iter().filter(|s| !s.open).collect();
    closed
        .iter()
        .find(|s| s.name == "Done")
        .or_else(|| closed.iter().find(|s| s.name != "Decided"))
        .or_else(|| closed.first())
        .map(|s| s.id)
        .unwrap_or(review.status_id)
}
