//! Items as fields: reading an item strictly (input from a person, a file or the window) or
//! leniently (a body a newer Roadbook wrote), and merging the sets two people edited at once.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{Invalid, Problem};

/// Reads `value` as a `T`, refusing fields `T` does not have: input from a file, the command
/// line or the window, where an unknown field is a typo that would otherwise be dropped
/// silently. Problems are named by path under `prefix` (`decision.done: invalid type ...`).
///
/// Stored items are read leniently instead (plain `serde_json`), so a body written by a newer
/// Roadbook, with fields this build does not know, still loads and keeps them.
pub fn strict<T: DeserializeOwned>(prefix: &str, value: Value) -> Result<T, Invalid> {
    let mut unknown = Vec::new();
    let parsed: Result<T, _> = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(
        value,
        &mut |path: serde_ignored::Path<'_>| unknown.push(path_text(&path)),
    ));
    let at = |path: &str| match (prefix.is_empty(), path.is_empty()) {
        (_, true) => prefix.to_owned(),
        (true, false) => path.to_owned(),
        (false, false) if path.starts_with('[') => format!("{prefix}{path}"),
        (false, false) => format!("{prefix}.{path}"),
    };
    match parsed {
        Err(err) => {
            let path = err.path().to_string();
            let path = if path == "." { String::new() } else { path };
            Err(Invalid(vec![Problem {
                path: at(&path),
                message: err.into_inner().to_string(),
            }]))
        }
        Ok(_) if !unknown.is_empty() => Err(Invalid(
            unknown
                .into_iter()
                .map(|path| {
                    let field = path
                        .rsplit(['.', ']'])
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    Problem {
                        path: at(&path),
                        message: format!("unknown field `{field}`"),
                    }
                })
                .collect(),
        )),
        Ok(item) => Ok(item),
    }
}

/// `workstreams[0].main_blockr`: the path as the rest of Roadbook's messages write it.
fn path_text(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", path_text(parent)),
        Path::Map { parent, key } => {
            let parent = path_text(parent);
            if parent.is_empty() {
                key.clone()
            } else {
                format!("{parent}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => path_text(parent),
    }
}

/// Merges two edits of a set-valued field (a JSON array whose entries are a set) made from the
/// same `base`: what `theirs` holds, plus what `mine` added, minus what `mine` removed. Both
/// people keep their additions; an entry one of them removed stays removed. Order: theirs
/// first, then my additions in my order. Values that are not arrays are not sets: `mine` wins.
pub fn merge_sets(base: &Value, mine: &Value, theirs: &Value) -> Value {
    let (Some(mine_list), Some(theirs_list)) = (mine.as_array(), theirs.as_array()) else {
        return mine.clone();
    };
    let empty = Vec::new();
    let base_list = base.as_array().unwrap_or(&empty);
    let removed: Vec<&Value> = base_list
        .iter()
        .filter(|v| !mine_list.contains(v))
        .collect();
    let mut merged: Vec<Value> = theirs_list
        .iter()
        .filter(|v| !removed.contains(v))
        .cloned()
        .collect();
    for added in mine_list.iter().filter(|v| !base_list.contains(v)) {
        if !merged.contains(added) {
            merged.push(added.clone());
        }
    }
    Value::Array(merged)
}

/// What one edit of a set-valued field did: the entries it added and the entries it removed,
/// from `before` to `after`. The sync sends these rather than the whole new value, so the
/// server applies what the person did to whatever it holds, whoever else changed the set and
/// whatever this replica had pulled when the edit was made.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SetDelta {
    pub added: Vec<Value>,
    pub removed: Vec<Value>,
}

impl SetDelta {
    /// The delta from `before` to `after` (none when either is not an array).
    pub fn between(before: &Value, after: &Value) -> Option<SetDelta> {
        let empty = Vec::new();
        let before = match before {
            Value::Null => &empty,
            other => other.as_array()?,
        };
        let after = after.as_array()?;
        Some(SetDelta {
            added: after
                .iter()
                .filter(|v| !before.contains(v))
                .fold(Vec::new(), |mut out, v| {
                    if !out.contains(v) {
                        out.push(v.clone());
                    }
                    out
                }),
            removed: before
                .iter()
                .filter(|v| !after.contains(v))
                .cloned()
                .collect(),
        })
    }

    /// `current` with this delta applied: its entries in their order without the removed
    /// ones, then each added entry it does not hold yet. A current value that is not an array
    /// (absent) counts as empty.
    pub fn apply(&self, current: &Value) -> Value {
        let mut out: Vec<Value> = current
            .as_array()
            .map(|list| {
                list.iter()
                    .filter(|v| !self.removed.contains(v))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for added in &self.added {
            if !out.contains(added) {
                out.push(added.clone());
            }
        }
        Value::Array(out)
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decision, Id};
    use serde_json::json;

    #[test]
    fn strict_reading_names_unknown_and_mistyped_fields_by_path() {
        let decision = json!({"id": Id::new(), "title": "Pick the IdP", "status_id": Id::new(), "colour": "x"});
        let err = strict::<Decision>("decision", decision).unwrap_err();
        assert_eq!(err.to_string(), "decision.colour: unknown field `colour`");
        let wrong = json!({"id": Id::new(), "title": 3, "status_id": Id::new()});
        let err = strict::<Decision>("decision", wrong).unwrap_err();
        assert!(
            err.to_string().starts_with("decision.title: invalid type"),
            "{err}"
        );
    }

    #[test]
    fn set_merge_keeps_both_additions_and_both_removals() {
        let base = json!(["a", "b", "c"]);
        let mine = json!(["a", "c", "m"]); // removed b, added m
        let theirs = json!(["a", "b", "t"]); // removed c, added t
        assert_eq!(merge_sets(&base, &mine, &theirs), json!(["a", "t", "m"]));
        assert_eq!(merge_sets(&base, &json!("x"), &theirs), json!("x"));
    }

    #[test]
    fn a_set_delta_says_what_was_added_and_removed_and_applies_to_any_current_value() {
        let delta = SetDelta::between(&json!(["a", "b"]), &json!(["a", "c"])).unwrap();
        assert_eq!(
            delta,
            SetDelta {
                added: vec![json!("c")],
                removed: vec![json!("b")]
            }
        );
        // Applied to a value someone else changed meanwhile: their entries stay, b goes, c
        // comes once.
        assert_eq!(delta.apply(&json!(["b", "t", "a"])), json!(["t", "a", "c"]));
        assert_eq!(delta.apply(&json!(["c"])), json!(["c"]));
        assert_eq!(delta.apply(&Value::Null), json!(["c"]));
        // A new field: everything is added.
        assert_eq!(
            SetDelta::between(&Value::Null, &json!(["x"]))
                .unwrap()
                .added,
            vec![json!("x")]
        );
        assert!(SetDelta::between(&json!("a"), &json!(["x"])).is_none());
    }
}
