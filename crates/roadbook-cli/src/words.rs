//! Values as a person reads them in the command line's output, said one way everywhere:
//! `history`, `conflicts`, refused changes and `show` (names for ids, yes or no, "(none)" for
//! nothing, a risk's scope or an attendee by its words).

use std::collections::HashMap;

use roadbook_model::{Id, Kind};
use serde_json::Value;

/// How a value stands in its line: quoted inside a sentence ("Status: 'Drafted' → 'Blocked'"),
/// bare on a line of its own (`show`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoted {
    Yes,
    No,
}

/// A value in a person's words; `labels` names the program's items by id.
pub fn in_words(value: &Value, labels: &HashMap<Id, String>, quoted: Quoted) -> String {
    let quote = |text: &str| match quoted {
        Quoted::Yes => format!("'{text}'"),
        Quoted::No => text.to_owned(),
    };
    match value {
        Value::Null => "(none)".to_owned(),
        Value::String(text) if text.trim().is_empty() => "(none)".to_owned(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        Value::String(text) => match text.parse::<Id>().ok().and_then(|id| labels.get(&id)) {
            Some(label) => quote(label),
            None => quote(text),
        },
        Value::Array(items) if items.is_empty() => "(none)".to_owned(),
        // Entries may hold commas of their own (options, pre-reads): a semicolon parts them.
        Value::Array(items) => items
            .iter()
            .map(|v| in_words(v, labels, quoted))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| k.as_str() != "kind" || map.len() == 1)
            .map(|(_, v)| in_words(v, labels, quoted))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// A field's name inside a sentence ("set status to …"): the model's label, in lower case.
pub fn field_words(kind: Kind, field: &str) -> String {
    roadbook_model::field_label(kind, field).to_lowercase()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    #[test]
    fn nothing_is_said_one_way_and_ids_by_their_names() {
        let id = Id::new();
        let labels = HashMap::from([(id, "Needs decision".to_owned())]);
        for nothing in [json!(null), json!(""), json!("  "), json!([])] {
            assert_eq!(in_words(&nothing, &labels, Quoted::Yes), "(none)");
        }
        assert_eq!(
            in_words(&json!(id), &labels, Quoted::Yes),
            "'Needs decision'"
        );
        assert_eq!(in_words(&json!(id), &labels, Quoted::No), "Needs decision");
        assert_eq!(
            in_words(&json!(["a, b", "c"]), &labels, Quoted::Yes),
            "'a, b'; 'c'"
        );
        assert_eq!(
            in_words(
                &json!({"kind": "workstream", "workstream_id": id}),
                &labels,
                Quoted::No
            ),
            "Needs decision"
        );
        assert_eq!(in_words(&json!(true), &labels, Quoted::No), "yes");
        assert_eq!(field_words(Kind::Decision, "status_id"), "status");
        assert_eq!(field_words(Kind::Decision, "decided"), "what was decided");
    }
}
