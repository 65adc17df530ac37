//! The Portfolio screen: every program of the database (or the ones the person chose) at a
//! glance, the choice itself, and the Portfolio Readout previewed and saved. The glances and the
//! sentence over them come from `roadbook-report`, as the document and the CLI take them.

use chrono::{DateTime, Utc};
use roadbook_model::Id;
use roadbook_report::{PortfolioFormat, PortfolioRequest, ProgramGlance};
use serde::Serialize;
use tauri::AppHandle;

use crate::commands::{choose_place, with_store};
use crate::error::{CommandError, CommandResult, ErrorCode};

/// A program the person may put in their portfolio, and whether it is in it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct PortfolioChoice {
    pub id: Id,
    pub name: String,
    pub chosen: bool,
}

/// What the Portfolio screen shows.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct PortfolioView {
    /// "3 programs: 1 on track, …", as the document opens.
    pub summary: String,
    pub glances: Vec<ProgramGlance>,
    /// Every program here, in the order they came, each marked when the portfolio shows it.
    pub programs: Vec<PortfolioChoice>,
    /// Whether the person chose every program (the default) rather than a list.
    pub all: bool,
}

#[tauri::command]
pub async fn portfolio(app: AppHandle) -> CommandResult<PortfolioView> {
    with_store(app, |_, store| {
        let glances = roadbook_report::portfolio_glances(
            store,
            &PortfolioRequest {
                programs: None,
                as_of: Utc::now(),
            },
        )?;
        let chosen = store.portfolio_programs()?;
        let all = store.portfolio_choice()?.is_none();
        Ok(PortfolioView {
            summary: if glances.is_empty() {
                String::new()
            } else {
                roadbook_report::portfolio_summary(&glances)
            },
            glances,
            programs: store
                .programs()?
                .into_iter()
                .map(|p| PortfolioChoice {
                    chosen: chosen.contains(&p.id),
                    id: p.id,
                    name: p.name,
                })
                .collect(),
            all,
        })
    })
    .await
}

/// Keeps the programs the portfolio shows (`None`: every program).
#[tauri::command]
pub async fn choose_portfolio(app: AppHandle, programs: Option<Vec<Id>>) -> CommandResult<()> {
    with_store(app, move |_, store| {
        store.set_portfolio_choice(programs.as_deref())?;
        Ok(())
    })
    .await
}

fn pdf(
    store: &roadbook_store::Store,
    author: &str,
    as_of: DateTime<Utc>,
) -> CommandResult<Vec<u8>> {
    Ok(roadbook_report::prepare_portfolio(
        store,
        &PortfolioRequest {
            programs: None,
            as_of,
        },
        author,
        PortfolioFormat::Pdf,
    )?)
}

/// The Portfolio Readout as of now, to show on the screen.
#[tauri::command]
pub async fn preview_portfolio(app: AppHandle) -> CommandResult<tauri::ipc::Response> {
    let bytes = with_store(app, |state, store| {
        pdf(store, state.author().byline(), Utc::now())
    })
    .await?;
    Ok(tauri::ipc::Response::new(bytes))
}

/// Writes the Portfolio Readout where the person chooses (the save dialog this side opens, or
/// the configured documents folder); the file's name, or `None` when they cancel. Not archived: a
/// portfolio as of the same moment is the same document.
#[tauri::command]
pub async fn save_portfolio(app: AppHandle) -> CommandResult<Option<String>> {
    let as_of = Utc::now();
    let name = format!("portfolio-readout-{}.pdf", as_of.format("%Y-%m-%d"));
    let Some(path) = choose_place(&app, name, "Save the Portfolio Readout", ("PDF", "pdf")).await?
    else {
        return Ok(None);
    };
    let bytes = with_store(app, move |state, store| {
        pdf(store, state.author().byline(), as_of)
    })
    .await?;
    roadbook_store::write_atomically(&path, &bytes)
        .map_err(|e| CommandError::new(ErrorCode::Io, format!("{e}; choose another place")))?;
    // The file's name only: the webview is told what was written, never a path to use.
    Ok(Some(path.file_name().map_or_else(String::new, |n| {
        n.to_string_lossy().into_owned()
    })))
}
