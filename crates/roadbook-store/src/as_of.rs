//! The program as it was at a past moment, rebuilt from the field history: every change
//! recorded after the moment is undone, newest first, so a document "as of last Monday" shows
//! last Monday's values, not today's data under an old date.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use roadbook_model::{Handbook, Id, Kind, Program};
use rusqlite::{OptionalExtension, params};
use serde_json::{Map, Value};

use crate::write::{DELETED, POSITION};
use crate::{Result, Store, StoreError, parse_body, parse_id, parse_kind};

/// An item as it stood, while its changes are undone.
struct Then {
    kind: Kind,
    position: String,
    body: Map<String, Value>,
    deleted: bool,
}

/// A position or a deleted flag as history writes them.
fn text_of(value: Option<&str>) -> Option<String> {
    value
        .and_then(|v| serde_json::from_str::<Value>(v).ok())
        .map(|v| match v {
            Value::String(s) => s,
            other => other.to_string(),
        })
}

impl Store {
    /// The program as it was at `moment`. Changes are undone by the time history gives them
    /// (for a teammate's change, when they made it); an item whose history starts after the
    /// moment did not exist then. Items with no history here (joined whole from the server)
    /// count as always there.
    pub fn load_as_of(&self, program: Id, moment: DateTime<Utc>) -> Result<Handbook> {
        let at = moment.to_rfc3339_opts(SecondsFormat::Millis, true);
        let tx = self.conn.unchecked_transaction().map_err(|e| self.sql(e))?;
        // Nothing changed since: the program as it is (the index answers this at once).
        let latest: Option<String> = tx
            .query_row(
                "SELECT max(changed_at) FROM history WHERE program_id = ?1",
                params![program.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .flatten();
        if latest.is_none_or(|latest| latest <= at) {
            drop(tx);
            return self.load(program);
        }
        let mut items: BTreeMap<Id, Then> = BTreeMap::new();
        {
            let mut stmt = tx
                .prepare(
                    "SELECT id, kind, position, body, deleted FROM items WHERE program_id = ?1",
                )
                .map_err(|e| self.sql(e))?;
            let mut rows = stmt
                .query(params![program.to_string()])
                .map_err(|e| self.sql(e))?;
            while let Some(r) = rows.next().map_err(|e| self.sql(e))? {
                let get = |n| r.get::<_, String>(n).map_err(|e| self.sql(e));
                items.insert(
                    parse_id(&get(0)?)?,
                    Then {
                        kind: parse_kind(&get(1)?)?,
                        position: get(2)?,
                        body: parse_body(&get(3)?)?,
                        deleted: r.get::<_, i64>(4).map_err(|e| self.sql(e))? != 0,
                    },
                );
            }
        }
        // Undo what was recorded after the moment, newest first.
        let mut born_later: Vec<Id> = Vec::new();
        {
            let mut stmt = tx
                .prepare(
                    "SELECT item_id, field, old_value FROM history
                      WHERE program_id = ?1 AND changed_at > ?2 ORDER BY id DESC",
                )
                .map_err(|e| self.sql(e))?;
            let mut rows = stmt
                .query(params![program.to_string(), at])
                .map_err(|e| self.sql(e))?;
            while let Some(r) = rows.next().map_err(|e| self.sql(e))? {
                let item = parse_id(&r.get::<_, String>(0).map_err(|e| self.sql(e))?)?;
                let field: String = r.get(1).map_err(|e| self.sql(e))?;
                let old: Option<String> = r.get(2).map_err(|e| self.sql(e))?;
                let Some(then) = items.get_mut(&item) else {
                    continue;
                };
                match field.as_str() {
                    POSITION => {
                        if let Some(position) = text_of(old.as_deref()) {
                            then.position = position;
                        }
                    }
                    DELETED => then.deleted = text_of(old.as_deref()).as_deref() == Some("true"),
                    _ => match old {
                        Some(text) => {
                            let value = serde_json::from_str(&text).map_err(|e| {
                                StoreError::BadStoredItem(format!("history of {item}: {e}"))
                            })?;
                            then.body.insert(field, value);
                        }
                        // The field did not exist before: the change made the item.
                        None => {
                            then.body.remove(&field);
                            born_later.push(item);
                        }
                    },
                }
            }
        }
        // An item is older than the moment if any of its history is.
        for item in born_later {
            let older: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM history WHERE item_id = ?1 AND changed_at <= ?2)",
                    params![item.to_string(), at],
                    |r| r.get(0),
                )
                .map_err(|e| self.sql(e))?;
            if !older {
                items.remove(&item);
            }
        }
        let Some(record) = items.remove(&program).filter(|p| !p.deleted) else {
            // Say why: a program that exists now but not then.
            let first: String = tx
                .query_row(
                    "SELECT min(changed_at) FROM history WHERE program_id = ?1",
                    params![program.to_string()],
                    |r| r.get(0),
                )
                .map_err(|e| self.sql(e))?;
            drop(tx);
            let now = self.load(program)?;
            return Err(StoreError::NotYet {
                name: now.program.name,
                at,
                first,
            });
        };
        let program_then: Program = serde_json::from_value(Value::Object(record.body))
            .map_err(|e| StoreError::BadStoredItem(format!("the program as of {at}: {e}")))?;
        let mut handbook = Handbook::empty(program_then);
        // Each list in its order then: kind, position, id (as the live load reads them).
        let mut live: Vec<(Kind, String, Id, Map<String, Value>)> = items
            .into_iter()
            .filter(|(_, t)| !t.deleted && t.kind != Kind::Program)
            .map(|(id, t)| (t.kind, t.position, id, t.body))
            .collect();
        live.sort_by(|a, b| {
            (a.0.as_str(), a.1.as_str(), a.2.to_string()).cmp(&(
                b.0.as_str(),
                b.1.as_str(),
                b.2.to_string(),
            ))
        });
        for (kind, _, id, body) in live {
            let text = Value::Object(body).to_string();
            handbook.push_json(kind, &text).map_err(|e| {
                StoreError::BadStoredItem(format!("{} {id} as of {at}: {e}", kind.noun()))
            })?;
        }
        Ok(handbook)
    }

    /// Records every change from now on as made at `at` (none: the clock again). For tests and
    /// tools that replay work done at known times.
    pub fn pin_clock(&mut self, at: Option<DateTime<Utc>>) {
        self.pinned = at;
    }
}
