//! The sample program that ships with Roadbook: the Builder Insights operationalization, entered
//! from the handbook pages in `shared/seeds/`.

use std::collections::HashMap;

use serde_json::Value;

use crate::{Handbook, HandbookError, Id};

/// The sample as written: an export file whose ids are readable keys starting with `@`
/// (`"@ws-identity"`), so the data can be read and edited by hand.
pub const BUILDER_INSIGHTS_JSON: &str = include_str!("../sample/builder-insights.json");

/// The sample program with fresh ids, so two databases that load it hold two distinct programs
/// rather than two copies of one that the sync would mistake for the same items.
pub fn builder_insights() -> Result<Handbook, HandbookError> {
    let mut value: Value = serde_json::from_str(BUILDER_INSIGHTS_JSON)
        .map_err(|err| HandbookError::Syntax(err.to_string()))?;
    let mut ids = HashMap::new();
    assign_ids(&mut value, &mut ids);
    Handbook::from_json(&value.to_string())
}

/// Replaces every `@key` string with the id it stands for, the same id for the same key. Ids are
/// drawn in document order, so UUID v7 order follows the order of the file.
fn assign_ids(value: &mut Value, ids: &mut HashMap<String, Id>) {
    match value {
        Value::String(text) if text.starts_with('@') => {
            let id = *ids.entry(text.clone()).or_default();
            *text = id.to_string();
        }
        Value::Array(items) => items.iter_mut().for_each(|item| assign_ids(item, ids)),
        Value::Object(fields) => fields.values_mut().for_each(|field| assign_ids(field, ids)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_loads_and_validates_with_fresh_ids_each_time() {
        let first = builder_insights().unwrap();
        let second = builder_insights().unwrap();
        assert_ne!(first.program.id, second.program.id);
        assert_eq!(first.item_count(), second.item_count());
        assert!(
            !first.to_json().unwrap().contains("\"@"),
            "every @key is replaced by an id"
        );
    }

    #[test]
    fn every_workstream_points_at_the_seed_owners_and_statuses() {
        let sample = builder_insights().unwrap();
        let identity = sample
            .workstreams
            .iter()
            .find(|w| w.area == "Identity and SSO")
            .unwrap();
        let owner = sample.owner(identity.owner_ids[0]).unwrap();
        assert_eq!(owner.display_name(), "Identity and Security");
        assert_eq!(
            sample.status(identity.status_id).unwrap().name,
            "Needs decision"
        );
    }
}
