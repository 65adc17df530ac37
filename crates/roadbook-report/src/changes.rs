//! "What changed since the last readout", in words, from the field history.

/// One line of the summary.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    pub what: ChangeKind,
    pub text: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Decision,
    Risk,
    Status,
    Owner,
    Added,
    Other,
}

#[cfg(feature = "store")]
pub use summary::summarize;

/// Summaries of history entries, which come from the store.
#[cfg(feature = "store")]
mod summary {
    use super::{Change, ChangeKind};
    use std::collections::HashMap;

    use roadbook_model::{Handbook, Id, Kind};
    use roadbook_store::HistoryEntry;
    use serde_json::Value;

    /// A field of one item over the window: its name, first old value and last new value.
    type FieldChange = (String, Option<Value>, Option<Value>);

    struct Names<'a> {
        handbook: &'a Handbook,
        labels: HashMap<Id, String>,
    }

    impl Names<'_> {
        fn label(&self, id: Id) -> String {
            self.labels
                .get(&id)
                .cloned()
                .unwrap_or_else(|| "(a removed item)".to_owned())
        }

        fn status(&self, value: Option<&Value>) -> Option<String> {
            let id: Id = value?.as_str()?.parse().ok()?;
            Some(
                self.handbook
                    .status(id)
                    .map_or_else(|| "(a removed status)".to_owned(), |s| s.name.clone()),
            )
        }

        fn status_open(&self, value: Option<&Value>) -> Option<bool> {
            let id: Id = value?.as_str()?.parse().ok()?;
            self.handbook.status(id).map(|s| s.open)
        }

        fn owners(&self, value: Option<&Value>) -> String {
            let ids: Vec<Id> = match value {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|v| v.as_str()?.parse().ok())
                    .collect(),
                Some(Value::String(s)) => s.parse().ok().into_iter().collect(),
                _ => Vec::new(),
            };
            if ids.is_empty() {
                return "nobody".to_owned();
            }
            ids.iter()
                .map(|id| {
                    self.handbook.owner(*id).map_or_else(
                        || "(a removed owner)".to_owned(),
                        |o| o.display_name().to_owned(),
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    /// Summarises history entries (oldest first) item by item: what was added, which statuses
    /// moved, which risks opened or closed, which owners changed. Edits to other fields are counted
    /// per item rather than listed, so the readout stays a page a leader reads.
    pub fn summarize(handbook: &Handbook, entries: &[HistoryEntry]) -> Vec<Change> {
        let names = Names {
            handbook,
            labels: handbook.labels(),
        };
        // Per item, per field: the first old value and the last new value in the window.
        let mut order: Vec<(Kind, Id)> = Vec::new();
        let mut fields: HashMap<Id, Vec<FieldChange>> = HashMap::new();
        for e in entries
            .iter()
            .filter(|e| e.program_id == handbook.program.id)
        {
            let list = fields.entry(e.item_id).or_insert_with(|| {
                order.push((e.item_kind, e.item_id));
                Vec::new()
            });
            match list.iter_mut().find(|(f, _, _)| *f == e.field) {
                Some(slot) => slot.2 = e.new_value.clone(),
                None => list.push((e.field.clone(), e.old_value.clone(), e.new_value.clone())),
            }
        }
        let mut out = Vec::new();
        for (kind, id) in order {
            let Some(list) = fields.get(&id) else {
                continue;
            };
            let label = names.label(id);
            let created = list.iter().any(|(_, old, _)| old.is_none());
            let field = |name: &str| list.iter().find(|(f, _, _)| f == name);
            if created {
                if kind == Kind::Program {
                    continue;
                }
                let text = match kind {
                    Kind::Risk => format!("Risk opened: {label}"),
                    Kind::Decision => {
                        let from =
                            field("needed_from").map(|(_, _, new)| names.owners(new.as_ref()));
                        match from {
                            Some(from) if from != "nobody" => {
                                format!("New decision needed from {from}: {label}")
                            }
                            _ => format!("New decision: {label}"),
                        }
                    }
                    Kind::Owner => format!("New owner: {label}"),
                    other => format!("New {}: {label}", other.noun()),
                };
                let what = match kind {
                    Kind::Decision => ChangeKind::Decision,
                    Kind::Risk => ChangeKind::Risk,
                    Kind::Owner => ChangeKind::Owner,
                    _ => ChangeKind::Added,
                };
                out.push(Change { what, text });
                continue;
            }
            let mut other = Vec::new();
            for (name, old, new) in list {
                if old == new {
                    continue;
                }
                let change = match (kind, name.as_str()) {
                    (_, "deleted") => Some((
                        ChangeKind::Other,
                        format!("Removed {}: {label}", kind.noun()),
                    )),
                    (Kind::Risk, "status_id") => {
                        let (was, is) = (
                            names.status_open(old.as_ref()),
                            names.status_open(new.as_ref()),
                        );
                        let to = names.status(new.as_ref()).unwrap_or_default();
                        Some(match (was, is) {
                            (Some(true), Some(false)) => {
                                (ChangeKind::Risk, format!("Risk closed ({to}): {label}"))
                            }
                            (Some(false), Some(true)) => {
                                (ChangeKind::Risk, format!("Risk reopened ({to}): {label}"))
                            }
                            _ => (
                                ChangeKind::Risk,
                                format!(
                                    "Risk '{label}': {} → {to}",
                                    names.status(old.as_ref()).unwrap_or_default()
                                ),
                            ),
                        })
                    }
                    (_, "status_id") => {
                        let what = if kind == Kind::Decision {
                            ChangeKind::Decision
                        } else {
                            ChangeKind::Status
                        };
                        let noun = capitalised(kind.noun());
                        Some((
                            what,
                            format!(
                                "{noun} '{label}': {} → {}",
                                names.status(old.as_ref()).unwrap_or_default(),
                                names.status(new.as_ref()).unwrap_or_default()
                            ),
                        ))
                    }
                    (Kind::Risk, "severity") => Some((
                        ChangeKind::Risk,
                        format!(
                            "Risk '{label}': severity {} → {}",
                            plain(old.as_ref()),
                            plain(new.as_ref())
                        ),
                    )),
                    (_, "owner_id" | "owner_ids" | "needed_from") => Some((
                        ChangeKind::Owner,
                        format!(
                            "{} '{label}': now owned by {}",
                            capitalised(kind.noun()),
                            names.owners(new.as_ref())
                        ),
                    )),
                    (Kind::Owner, "name") => Some((
                        ChangeKind::Owner,
                        format!(
                            "Owner renamed: {} → {}",
                            plain(old.as_ref()),
                            plain(new.as_ref())
                        ),
                    )),
                    (Kind::Decision, "outcome")
                        if new
                            .as_ref()
                            .and_then(Value::as_str)
                            .is_some_and(|s| !s.is_empty()) =>
                    {
                        Some((
                            ChangeKind::Decision,
                            format!(
                                "Decision '{label}' recorded its outcome: {}",
                                plain(new.as_ref())
                            ),
                        ))
                    }
                    // Reordering a list is housekeeping, not news for leadership.
                    (_, roadbook_store::POSITION) => None,
                    _ => {
                        other.push(name.replace('_', " "));
                        None
                    }
                };
                out.extend(change.map(|(what, text)| Change { what, text }));
            }
            if !other.is_empty() {
                out.push(Change {
                    what: ChangeKind::Other,
                    text: format!(
                        "{} '{label}': {} updated",
                        capitalised(kind.noun()),
                        other.join(", ")
                    ),
                });
            }
        }
        out.sort_by_key(|c| c.what);
        out
    }

    fn plain(value: Option<&Value>) -> String {
        match value {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => "none".to_owned(),
            Some(other) => other.to_string(),
        }
    }

    fn capitalised(text: &str) -> String {
        let mut chars = text.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }
}
