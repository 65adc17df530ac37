//! Dependencies between programs in the app: the items of other programs a dependency may name
//! (those in this database, which the person can see), and each program's links as the store
//! judges them (both ends here) or the server last said (an end the person cannot see).

use roadbook_model::{Id, Kind, Link};
use serde::Serialize;
use tauri::AppHandle;

use crate::commands::with_store;
use crate::error::CommandResult;

/// An item of another program a dependency may name.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct OtherProgramItem {
    pub program_id: Id,
    pub program_name: String,
    pub item_id: Id,
    pub kind: Kind,
    /// "Milestone: Pilot live", as the picker lists it.
    pub label: String,
}

/// The milestones, decisions and phases of every other program in this database.
#[tauri::command]
pub async fn other_items(app: AppHandle, program: Id) -> CommandResult<Vec<OtherProgramItem>> {
    with_store(app, move |_, store| {
        let mut out = Vec::new();
        for p in store.programs()?.into_iter().filter(|p| p.id != program) {
            let h = store.load(p.id)?;
            let mut add = |kind: Kind, id: Id, name: &str| {
                let mut noun = kind.noun().to_owned();
                noun[..1].make_ascii_uppercase();
                out.push(OtherProgramItem {
                    program_id: p.id,
                    program_name: p.name.clone(),
                    item_id: id,
                    kind,
                    label: format!("{noun}: {name}"),
                });
            };
            for m in &h.milestones {
                add(Kind::Milestone, m.id, &m.name);
            }
            for d in &h.decisions {
                add(Kind::Decision, d.id, &d.title);
            }
            for ph in &h.phases {
                add(Kind::Phase, ph.id, &ph.name);
            }
        }
        Ok(out)
    })
    .await
}

/// The dependencies between `program` and other programs, judged today, each with its
/// sentence for the screen.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct LinkView {
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub link: Link,
    pub sentence: String,
}

#[tauri::command]
pub async fn links(app: AppHandle, program: Id) -> CommandResult<Vec<LinkView>> {
    with_store(app, move |_, store| {
        let today = chrono::Local::now().date_naive();
        Ok(store
            .links(program, today)?
            .into_iter()
            .map(|link| LinkView {
                sentence: link.sentence(),
                link,
            })
            .collect())
    })
    .await
}
