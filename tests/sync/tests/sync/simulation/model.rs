//! The intent oracle: a reference model that replays what each person sent in the order the
//! server decided it, honouring only what the server said of each change.

use super::*;

/// The reference model: items as plain field maps, changed only as people's changes say.
#[derive(Debug, Clone, Default)]
pub(super) struct Model {
    pub(super) items: BTreeMap<Id, serde_json::Map<String, serde_json::Value>>,
}

impl Model {
    /// The program as the server held it right after the publish.
    pub(super) async fn published(storage: &MemoryStorage, program: Id) -> Model {
        let (items, _) = storage.snapshot(program).await.unwrap();
        Model {
            items: items.into_iter().map(|i| (i.id, i.fields)).collect(),
        }
    }

    /// One person's change, as the server decided it: `held` are the fields the server kept
    /// in a conflict instead of writing.
    pub(super) fn apply(
        &mut self,
        operation: &Operation,
        item: Id,
        held: &BTreeSet<String>,
        conflicts: &BTreeMap<Id, Conflict>,
    ) {
        match operation {
            Operation::Create { fields } => {
                let mut fields = fields.clone();
                fields.insert("deleted".into(), json!(false));
                self.items.insert(item, fields);
            }
            Operation::Update { fields } => {
                let Some(current) = self.items.get_mut(&item) else {
                    return;
                };
                if current.get("deleted") == Some(&json!(true)) {
                    return;
                }
                for (name, change) in fields {
                    // A field left as it was is sent only to be compared, never written.
                    if held.contains(name) || change.kept {
                        continue;
                    }
                    let value = match &change.set {
                        Some(delta) => delta.apply(current.get(name).unwrap_or(&json!([]))),
                        None => change.value.clone(),
                    };
                    current.insert(name.clone(), value);
                }
            }
            Operation::Delete { .. } => {
                if held.is_empty()
                    && let Some(current) = self.items.get_mut(&item)
                {
                    current.insert("deleted".into(), json!(true));
                }
            }
            Operation::Resolve { conflict, choice } => {
                let (Some(conflict), Some(current)) =
                    (conflicts.get(conflict), self.items.get_mut(&item))
                else {
                    return;
                };
                let value = match choice {
                    Choice::Theirs => return,
                    Choice::Mine => conflict.mine.value.clone(),
                    Choice::Merged { value } => value.clone(),
                };
                if conflict.field == conflict.kind.guarded_group() {
                    // Fields that belong together, settled whole.
                    if let serde_json::Value::Object(group) = value {
                        current.extend(group);
                    }
                } else if conflict.field != "deleted" {
                    current.insert(conflict.field.clone(), value);
                }
            }
        }
    }
}

/// The server's decisions in the order it made them, from its audit trail: (mutation id,
/// applied or not, the conflicts it opened or joined).
pub(super) fn decisions(
    storage: &MemoryStorage,
    from: usize,
    to: usize,
) -> Vec<(Id, bool, Vec<Id>)> {
    storage
        .audit_events()
        .into_iter()
        .take(to)
        .skip(from)
        .filter(|e| matches!(e.action.as_str(), "applied" | "conflict" | "rejected"))
        .map(|e| {
            let mutation: Id = serde_json::from_value(e.detail["mutation"].clone()).unwrap();
            let conflicts: Vec<Id> = e.detail["result"]["conflicts"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .filter_map(|c| serde_json::from_value(c.clone()).ok())
                        .collect()
                })
                .unwrap_or_default();
            (mutation, e.action != "rejected", conflicts)
        })
        .collect()
}
