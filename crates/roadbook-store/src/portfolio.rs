//! Which programs a person's portfolio shows: every program in the database, or a list they
//! chose and saved (kept in `meta`, one choice per database, as the usage-sharing choice is).

use roadbook_model::Id;
use rusqlite::OptionalExtension;

use crate::{Result, Store, StoreError};

/// The `meta` key that holds the chosen programs (their ids as a JSON list; absent: all).
const PORTFOLIO_KEY: &str = "portfolio";

impl Store {
    /// The programs the person chose for their portfolio, in their order; none when they chose
    /// all (the default).
    pub fn portfolio_choice(&self) -> Result<Option<Vec<Id>>> {
        let value: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [PORTFOLIO_KEY],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        value
            .map(|text| {
                serde_json::from_str::<Vec<Id>>(&text).map_err(|e| {
                    StoreError::BadStoredItem(format!("the portfolio's chosen programs: {e}"))
                })
            })
            .transpose()
    }

    /// Saves the programs the portfolio shows (`None`: all of them). Each must be a program in
    /// this database, named once; an empty list is refused (choose all instead). Nothing
    /// changes when one is refused.
    pub fn set_portfolio_choice(&mut self, programs: Option<&[Id]>) -> Result<()> {
        let text = match programs {
            None => None,
            Some([]) => {
                return Err(StoreError::PortfolioChoice(
                    "a portfolio needs at least one program: name some, or choose all".into(),
                ));
            }
            Some(ids) => {
                let mut seen = std::collections::HashSet::new();
                for id in ids {
                    self.resolve_program(Some(*id))?;
                    if !seen.insert(*id) {
                        return Err(StoreError::PortfolioChoice(format!(
                            "the program {id} is named twice: name each program once"
                        )));
                    }
                }
                Some(serde_json::to_string(ids).unwrap_or_default())
            }
        };
        self.write(|tx| {
            match &text {
                Some(text) => tx.tx.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [PORTFOLIO_KEY, text.as_str()],
                ),
                None => tx
                    .tx
                    .execute("DELETE FROM meta WHERE key = ?1", [PORTFOLIO_KEY]),
            }
            .map_err(|e| tx.sql(e))?;
            Ok(())
        })
    }

    /// The programs the portfolio shows: the chosen ones still in this database, in the order
    /// chosen, else every program in the order they came.
    pub fn portfolio_programs(&self) -> Result<Vec<Id>> {
        let here: Vec<Id> = self.programs()?.into_iter().map(|p| p.id).collect();
        Ok(match self.portfolio_choice()? {
            Some(chosen) => chosen.into_iter().filter(|id| here.contains(id)).collect(),
            None => here,
        })
    }
}
