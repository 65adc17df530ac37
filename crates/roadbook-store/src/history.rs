//! Reading back what changed: the history (who changed which field when).

use chrono::{DateTime, SecondsFormat, Utc};
use roadbook_model::{Id, Kind};
use rusqlite::types::Value as SqlValue;
use serde::Serialize;
use serde_json::Value;

use crate::{Result, Store, StoreError, parse_id, parse_kind};

/// Which history to read. Empty means everything.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    pub program: Option<Id>,
    pub item: Option<Id>,
    /// Changes at or after this moment.
    pub since: Option<DateTime<Utc>>,
}

/// One changed field.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    /// The row's id: the revision of the field it wrote, which an edit names as seen.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub revision: u64,
    pub program_id: Id,
    pub item_kind: Kind,
    pub item_id: Id,
    pub field: String,
    /// `None` when the field did not exist before (the item was created).
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
    pub author: String,
    /// When it was written here (or reached this database, for a teammate's change).
    pub changed_at: String,
    /// When a teammate made it, by their clock, where the server said (it may be days before
    /// it reached this database); none for a change made here.
    pub made_at: Option<String>,
}

fn json(text: Option<String>) -> Result<Option<Value>> {
    text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::BadStoredItem(e.to_string())))
        .transpose()
}

impl Store {
    /// Changes, oldest first.
    pub fn history(&self, query: &HistoryQuery) -> Result<Vec<HistoryEntry>> {
        // Built from the filters that are set, so SQLite can use the index for each.
        let mut sql = String::from(
            "SELECT program_id, item_kind, item_id, field, old_value, new_value, author, changed_at, id, made_at FROM history WHERE 1 = 1",
        );
        let mut args: Vec<SqlValue> = Vec::new();
        if let Some(program) = query.program {
            args.push(SqlValue::Text(program.to_string()));
            sql.push_str(&format!(" AND program_id = ?{}", args.len()));
        }
        if let Some(item) = query.item {
            args.push(SqlValue::Text(item.to_string()));
            sql.push_str(&format!(" AND item_id = ?{}", args.len()));
        }
        if let Some(since) = query.since {
            args.push(SqlValue::Text(
                since.to_rfc3339_opts(SecondsFormat::Millis, true),
            ));
            sql.push_str(&format!(" AND changed_at >= ?{}", args.len()));
        }
        sql.push_str(" ORDER BY id");
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, i64>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (program, kind, item, field, old, new, author, at, id, made_at) =
                row.map_err(|e| self.sql(e))?;
            out.push(HistoryEntry {
                revision: id.max(0) as u64,
                program_id: parse_id(&program)?,
                item_kind: parse_kind(&kind)?,
                item_id: parse_id(&item)?,
                field,
                old_value: json(old)?,
                new_value: json(new)?,
                author,
                changed_at: at,
                made_at,
            });
        }
        Ok(out)
    }
}
