//! Dependencies between programs on the server: a push may name an item of another program only
//! when the person may see it, and a program's links are judged here, where both programs are,
//! for people who cannot see the other one (they learn where a link stands and why, never the
//! other program's content).

use std::collections::BTreeSet;

use super::*;
use roadbook_model::Link;

impl Engine {
    /// Where each item of another program named by `request` is (its program and kind), when
    /// `caller` may see that program by their groups, the org units and grants; none otherwise.
    pub(super) async fn other_items_seen(
        &self,
        caller: &Caller,
        request: &PushRequest,
    ) -> EngineResult<Seen> {
        let mut seen = Seen::new();
        for mutation in &request.mutations {
            let Some(value) = other_item_named(mutation) else {
                continue;
            };
            let Ok(on) = serde_json::from_value::<roadbook_model::OtherItem>(value.clone()) else {
                continue;
            };
            if seen.contains_key(&on.item_id) {
                continue;
            }
            seen.insert(on.item_id, self.seen_by(caller, on.item_id).await?);
        }
        Ok(seen)
    }

    /// Where the live item `id` is (its program and kind) when `caller` may see that program
    /// by their own access (groups, org units, grants); none otherwise, or when it is nowhere.
    pub(super) async fn seen_by(
        &self,
        caller: &Caller,
        id: Id,
    ) -> EngineResult<Option<(Id, Kind)>> {
        Ok(match self.storage.item_anywhere(id).await? {
            Some((program, kind))
                if self
                    .entitled(caller, program, Role::Viewer, "naming its items")
                    .await
                    .is_ok() =>
            {
                Some((program, kind))
            }
            _ => None,
        })
    }

    /// The program as the server holds it now, read as a handbook.
    async fn handbook(&self, program: Id) -> EngineResult<Handbook> {
        let (items, _) = self.storage.snapshot(program).await?;
        let live = || {
            items.iter().filter(|i| {
                !i.fields
                    .get(DELETED)
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            })
        };
        let record = live().find(|i| i.kind == Kind::Program).ok_or_else(|| {
            EngineError::NotFound(format!("there is no program {program} on this server"))
        })?;
        let program_record: Program =
            serde_json::from_value(Value::Object(checks::body_of(&record.fields, record.id)))
                .map_err(|e| {
                    EngineError::Unavailable(format!("the program record does not read: {e}"))
                })?;
        let mut handbook = Handbook::empty(program_record);
        for item in live().filter(|i| i.kind != Kind::Program) {
            // An item that does not read as its kind judges nothing (the store keeps it).
            let _ = handbook.push_json(
                item.kind,
                &Value::Object(checks::body_of(&item.fields, item.id)).to_string(),
            );
        }
        Ok(handbook)
    }

    /// Every dependency between `program` and another program, judged today. What belongs to
    /// a program the caller may not see (its name, its item, its need-by date) is left out.
    pub async fn links(&self, caller: &Caller, program: Id) -> EngineResult<Vec<Link>> {
        self.entitled(caller, program, Role::Viewer, "reading the program's links")
            .await?;
        self.known(program).await?;
        let here = self.handbook(program).await?;
        let mut ids: BTreeSet<Id> = here
            .dependencies
            .iter()
            .filter_map(|d| d.other_item.map(|o| o.program_id))
            .collect();
        ids.extend(self.storage.programs_naming(program).await?);
        ids.remove(&program);
        let mut others = Vec::new();
        let mut visible = BTreeSet::new();
        for id in ids {
            if self.storage.program(id).await?.is_none() {
                continue;
            }
            others.push(self.handbook(id).await?);
            if self
                .entitled(caller, id, Role::Viewer, "reading its links")
                .await
                .is_ok()
            {
                visible.insert(id);
            }
        }
        let today = chrono::DateTime::parse_from_rfc3339(&self.now())
            .map(|t| t.date_naive())
            .unwrap_or_else(|_| chrono::Utc::now().date_naive());
        let others: Vec<&Handbook> = others.iter().collect();
        let links = roadbook_model::links(&here, &others, today);
        Ok(links
            .into_iter()
            .map(|l| {
                if visible.contains(&l.other_program) {
                    l
                } else {
                    opaque(l.withheld())
                }
            })
            .collect())
    }
}

/// Another program's dependency on this one, told to someone who may not see that program: its
/// own id and its program's stand in as ids derived from them (the same at every sync, so the
/// client keeps one word per link), which name nothing the person could look up. (A dependency
/// of this program names the other program's id in its own field already.)
fn opaque(mut link: Link) -> Link {
    use sha2::{Digest, Sha256};
    if link.direction == roadbook_model::Direction::NeededBy {
        let derived = |id: Id| {
            let hash = Sha256::digest(format!("roadbook link {id}").as_bytes());
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(hash.get(..16).unwrap_or(&[0u8; 16]));
            Id::from(uuid::Builder::from_random_bytes(bytes).into_uuid())
        };
        link.dependency = derived(link.dependency);
        link.other_program = derived(link.other_program);
    }
    link
}

/// The item of another program a change names (a dependency's `other_item`), if it names one.
pub(super) fn other_item_named(mutation: &Mutation) -> Option<&Value> {
    let value = match &mutation.operation {
        Operation::Create { fields } => fields.get("other_item"),
        Operation::Update { fields } => fields.get("other_item").map(|c| &c.value),
        // A lead's own answer to a conflict may carry it too (the item whole, or its fields).
        Operation::Resolve {
            choice: Choice::Merged { value },
            ..
        } => value
            .get("other_item")
            .or_else(|| value.get("fields").and_then(|f| f.get("other_item"))),
        _ => None,
    };
    value.filter(|v| !v.is_null())
}

/// Why a change naming an item of another program is refused, if it is: judged by the model
/// with where the item is, as far as the person may see ([`Engine::other_items_seen`]). One
/// they may not see reads as one not there: the refusal tells nothing of other programs.
pub(super) fn other_item_refused(
    program: Id,
    seen: &Seen,
    mutation: &Mutation,
    current: Option<&crate::storage::StoredItem>,
) -> Option<String> {
    let value = other_item_named(mutation)?;
    // Named before, by whoever could see it: a restore, or a change that sends it again,
    // keeps it.
    if current.and_then(|c| c.fields.get("other_item")) == Some(value) {
        return None;
    }
    let Ok(on) = serde_json::from_value::<roadbook_model::OtherItem>(value.clone()) else {
        return Some(
            "dependency.other_item: not an item of another program (its program_id and item_id)"
                .to_owned(),
        );
    };
    let found = seen.get(&on.item_id).copied().flatten();
    roadbook_model::check_other_item(program, on, found)
        .err()
        .map(|e| e.to_string())
}
