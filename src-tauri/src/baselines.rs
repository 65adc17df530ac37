//! The Plan screen's baseline: the baselines a lead can draw the timeline against (set by hand,
//! and every readout issued), the one drawn, and the program as it stood then. The same default
//! as the documents' (the store's `default_baseline`): the latest set by hand, else the last
//! readout.

use roadbook_model::{Handbook, Id};
use roadbook_store::StoreError;
use serde::Serialize;
use tauri::AppHandle;

use crate::commands::with_store;
use crate::error::CommandResult;

/// A baseline the person can choose.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct BaselineChoice {
    pub name: String,
    /// "20 November steering, set 20 Nov 2026", "Readout of 20 Nov 2026 09:00:00 UTC".
    pub label: String,
}

/// What the Plan screen draws its timeline against.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct PlanBaseline {
    /// Oldest first.
    pub baselines: Vec<BaselineChoice>,
    /// The baseline drawn; none when there is none or the person chose none.
    pub chosen: Option<String>,
    /// The program as it stood at it: where each phase and milestone was then.
    pub then: Option<Handbook>,
    /// How far each dated thing moved since, in words ("+14 days"), by item and date
    /// ("ID:end"): the timeline's ghosts say it.
    pub moved: std::collections::BTreeMap<String, String>,
}

/// The baselines of `program` and the one to draw: `name` ("none" for none), else the default.
#[tauri::command]
pub async fn plan_baseline(
    app: AppHandle,
    program: Id,
    name: Option<String>,
) -> CommandResult<PlanBaseline> {
    with_store(app, move |_, store| {
        let all = store.baselines(program)?;
        let chosen = match name.as_deref().map(str::trim) {
            Some(none) if none.eq_ignore_ascii_case("none") => None,
            Some(given) => Some(store.baseline(program, Some(given))?),
            None => store.default_baseline(program, chrono::Utc::now())?,
        };
        let then = match &chosen {
            Some(b) => match store.load_at_baseline(program, b) {
                Ok(h) => Some(h),
                // A baseline from before the program was here has nothing to draw.
                Err(StoreError::NotYet { .. }) => None,
                Err(err) => return Err(err.into()),
            },
            None => None,
        };
        let now = store.load(program)?;
        let moved = then
            .as_ref()
            .map(|then| {
                roadbook_model::slips(then, &now)
                    .into_iter()
                    .map(|s| (format!("{}:{}", s.id, s.date), s.variance()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(PlanBaseline {
            baselines: all
                .iter()
                .map(|b| BaselineChoice {
                    name: b.name.clone(),
                    label: if b.readout {
                        b.name.clone()
                    } else {
                        let day = roadbook_store::moment(&b.taken_at)
                            .map(|t| t.format("%-d %b %Y").to_string())
                            .unwrap_or_default();
                        format!("{}, set {day}", b.name)
                    },
                })
                .collect(),
            chosen: chosen.map(|b| b.name),
            then,
            moved,
        })
    })
    .await
}
