//! "What changed since the last readout", in words, from the field history.

/// One line of the summary.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    pub what: ChangeKind,
    pub text: String,
    /// The item the line is about (archived readouts from before it have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub item: Option<roadbook_model::Id>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A decision that moved to a closing status in the window: the documents list it under
    /// "Decisions made".
    DecisionMade,
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
    use crate::capitalised;
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
                out.push(Change {
                    what,
                    text,
                    item: Some(id),
                });
                continue;
            }
            // One line per item: what happened to it, each field with its old and new value.
            let mut parts: Vec<(ChangeKind, String)> = Vec::new();
            let closed_decision = kind == Kind::Decision
                && field("status_id").is_some_and(|(_, old, new)| {
                    names.status_open(old.as_ref()) == Some(true)
                        && names.status_open(new.as_ref()) == Some(false)
                });
            let mut lead: Option<(ChangeKind, String)> = None;
            for (name, old, new) in list {
                if old == new {
                    continue;
                }
                match (kind, name.as_str()) {
                    (_, "deleted") => {
                        lead = Some((
                            ChangeKind::Other,
                            format!("Removed {}: {label}", kind.noun()),
                        ));
                    }
                    (Kind::Risk, "status_id") => {
                        let (was, is) = (
                            names.status_open(old.as_ref()),
                            names.status_open(new.as_ref()),
                        );
                        let to = names.status(new.as_ref()).unwrap_or_default();
                        match (was, is) {
                            (Some(true), Some(false)) => {
                                lead = Some((
                                    ChangeKind::Risk,
                                    format!("Risk closed ({to}): {label}"),
                                ));
                            }
                            (Some(false), Some(true)) => {
                                lead = Some((
                                    ChangeKind::Risk,
                                    format!("Risk reopened ({to}): {label}"),
                                ));
                            }
                            _ => parts.push((
                                ChangeKind::Risk,
                                format!(
                                    "{} → {to}",
                                    names.status(old.as_ref()).unwrap_or_default()
                                ),
                            )),
                        }
                    }
                    (_, "status_id") => {
                        let moved = format!(
                            "{} → {}",
                            names.status(old.as_ref()).unwrap_or_default(),
                            names.status(new.as_ref()).unwrap_or_default()
                        );
                        if closed_decision {
                            lead = Some((
                                ChangeKind::DecisionMade,
                                format!("Decision made: {label} ({moved})"),
                            ));
                        } else {
                            let what = if kind == Kind::Decision {
                                ChangeKind::Decision
                            } else {
                                ChangeKind::Status
                            };
                            parts.push((what, moved));
                        }
                    }
                    (_, "owner_id" | "owner_ids" | "needed_from") => parts.push((
                        ChangeKind::Owner,
                        format!("now owned by {}", names.owners(new.as_ref())),
                    )),
                    // A decision made is shown whole, with its outcome, rationale and who
                    // decided, under "Decisions made": not again here.
                    (Kind::Decision, "outcome" | "rationale" | "decided_by" | "decided_on")
                        if closed_decision => {}
                    (Kind::Decision, "outcome") => parts.push((
                        ChangeKind::Decision,
                        format!("outcome now {}", quoted(new.as_ref())),
                    )),
                    // Reordering a list is housekeeping, not news for leadership.
                    (_, roadbook_store::POSITION) => {}
                    (_, name) => {
                        let what = if kind == Kind::Risk {
                            ChangeKind::Risk
                        } else {
                            ChangeKind::Other
                        };
                        let label = roadbook_model::field(kind, name)
                            .map_or_else(|| name.replace('_', " "), |f| f.label.to_lowercase());
                        parts.push((what, moved(&label, old.as_ref(), new.as_ref())));
                    }
                }
            }
            let text = match (lead, parts.is_empty()) {
                (None, true) => continue,
                (Some((what, lead)), true) => (what, lead),
                (Some((what, lead)), false) => (
                    what,
                    format!(
                        "{lead}; {}",
                        parts
                            .iter()
                            .map(|(_, p)| p.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                ),
                (None, false) => (
                    parts
                        .iter()
                        .map(|(w, _)| *w)
                        .min()
                        .unwrap_or(ChangeKind::Other),
                    format!(
                        "{} '{label}': {}",
                        capitalised(kind.noun()),
                        parts
                            .iter()
                            .map(|(_, p)| p.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                ),
            };
            out.push(Change {
                what: text.0,
                text: text.1,
                item: Some(id),
            });
        }
        out.sort_by_key(|c| c.what);
        out
    }

    /// "due 2026-12-01 → 2026-12-15"; a long text's new value alone ("question now '…'"),
    /// cut at a word near 80 characters.
    fn moved(label: &str, old: Option<&Value>, new: Option<&Value>) -> String {
        let short = |v: Option<&Value>| plain(v).chars().count() <= 40;
        match (is_empty(old), is_empty(new)) {
            (_, true) => format!("{label} cleared"),
            (true, false) => format!("{label} set to {}", quoted(new)),
            (false, false) if short(old) && short(new) => {
                format!("{label} {} → {}", quoted(old), quoted(new))
            }
            (false, false) => format!("{label} now {}", quoted(new)),
        }
    }

    fn is_empty(value: Option<&Value>) -> bool {
        match value {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(_) => false,
        }
    }

    /// A value as a reader sees it: dates and numbers bare, text in quotes, cut near 80
    /// characters at a word.
    fn quoted(value: Option<&Value>) -> String {
        // A date in the documents' one style, bare.
        if let Some(Ok(date)) = value
            .and_then(Value::as_str)
            .map(str::parse::<roadbook_model::Date>)
        {
            return crate::day(date.naive());
        }
        let text = plain(value);
        let cut = if text.chars().count() > 80 {
            let head: String = text.chars().take(80).collect();
            let at = head.rfind(' ').unwrap_or(head.len());
            format!("{}…", head.get(..at).unwrap_or(&head))
        } else {
            text
        };
        match value {
            Some(Value::String(_)) => format!("‘{cut}’"),
            _ => cut,
        }
    }

    fn plain(value: Option<&Value>) -> String {
        match value {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => "none".to_owned(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| plain(Some(v)))
                .collect::<Vec<_>>()
                .join(", "),
            Some(other) => other.to_string(),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::moved;
        use serde_json::json;

        #[test]
        fn a_change_says_both_values_dates_in_the_documents_style_and_text_quoted() {
            let (old, new) = (json!("2026-12-01"), json!("2026-12-15"));
            assert_eq!(
                moved("due", Some(&old), Some(&new)),
                "due 1 Dec 2026 → 15 Dec 2026"
            );
            let (old, new) = (json!("Pick the pilot"), json!("Pick the pilots"));
            assert_eq!(
                moved("title", Some(&old), Some(&new)),
                "title ‘Pick the pilot’ → ‘Pick the pilots’"
            );
            assert_eq!(moved("due", Some(&old), None), "due cleared");
            assert_eq!(
                moved("due", None, Some(&json!("2027-01-04"))),
                "due set to 4 Jan 2027"
            );
        }
    }
}
