//! What one change does to what the server holds: the merge rules (last writer, sets, a
//! guarded group settled whole, deletes against edits), a person's own sequence never a
//! conflict, and a lead's answer to a conflict.

use super::*;

impl Engine {
    /// What one mutation does, inside the push's transaction.
    pub(super) async fn apply(
        &self,
        tx: &mut dyn ProgramTx,
        caller: &Caller,
        (program, seen): (Id, &Seen),
        client: Id,
        mutation: &Mutation,
        at: &str,
    ) -> EngineResult<Applied> {
        let origin = Some(Origin {
            client_id: client,
            seq: mutation.seq,
        });
        let current = tx.item(mutation.item_id).await?;
        if let Some(item) = &current
            && item.kind != mutation.kind
        {
            return Ok(Applied {
                outcome: rejected(
                    "invalid",
                    format!(
                        "{} is a {} on the server, not a {}",
                        item.id,
                        item.kind.noun(),
                        mutation.kind.noun()
                    ),
                ),
                item: current,
            });
        }
        let made_at = match made_at(mutation.made_at.as_deref(), at) {
            Ok(made_at) => made_at,
            Err(reason) => {
                return Ok(Applied {
                    outcome: rejected("invalid", reason),
                    item: current,
                });
            }
        };
        if let Some(reason) = links::other_item_refused(program, seen, mutation, current.as_ref()) {
            return Ok(Applied {
                outcome: rejected("invalid", reason),
                item: current,
            });
        }
        let made_at = made_at.as_deref();
        let change = |fields: Map<String, Value>| NewChange {
            kind: mutation.kind,
            item_id: mutation.item_id,
            author: caller.author.clone(),
            at: at.to_owned(),
            made_at: made_at.map(str::to_owned),
            fields,
            origin,
        };
        // A change to an item the server does not have: refused, nothing to show of it.
        let not_here = || Applied {
            outcome: rejected(
                "gone",
                format!(
                    "{} {} is not on the server",
                    mutation.kind.noun(),
                    mutation.item_id
                ),
            ),
            item: None,
        };
        let by_caller = Authored {
            author: caller.author.name.clone(),
            at: at.to_owned(),
            made_at: made_at.map(str::to_owned),
        };
        match &mutation.operation {
            Operation::Create { fields } => {
                // A create of an item the server holds as a tombstone brings it back (a person
                // undid their delete): every field is written again. A live item is refused.
                if current.as_ref().is_some_and(|item| !item.deleted()) {
                    return Ok(Applied {
                        outcome: rejected(
                            "exists",
                            format!(
                                "{} {} exists already",
                                mutation.kind.noun(),
                                mutation.item_id
                            ),
                        ),
                        item: current,
                    });
                }
                if mutation.kind == Kind::Program {
                    return Ok(Applied {
                        outcome: rejected(
                            "invalid",
                            "a program is published, not created by a change",
                        ),
                        item: None,
                    });
                }
                // An id names one item of one program: a teammate of another program who
                // learned an id there cannot plant an item under it here.
                if current.is_none() && tx.id_elsewhere(mutation.item_id).await? {
                    return Ok(Applied {
                        outcome: rejected(
                            "exists",
                            format!(
                                "{} is the id of an item of another program on this server: a new {} needs an id of its own",
                                mutation.item_id,
                                mutation.kind.noun()
                            ),
                        ),
                        item: None,
                    });
                }
                let mut fields = fields.clone();
                fields.remove("id");
                fields.insert(DELETED.to_owned(), json!(false));
                if let Err(reason) = position_text(&fields) {
                    return Ok(Applied {
                        outcome: rejected("invalid", reason),
                        item: None,
                    });
                }
                // An item brought back (its tombstone's fields): a rule it broke before it went
                // does not keep it away, as on the laptop.
                let before = current.as_ref().map(|item| &item.fields);
                if let Err(reason) =
                    validate(tx, mutation.kind, mutation.item_id, &fields, before).await?
                {
                    return Ok(Applied {
                        outcome: rejected("invalid", reason),
                        item: None,
                    });
                }
                let version = tx.append(change(fields.clone())).await?;
                let item = StoredItem {
                    kind: mutation.kind,
                    id: mutation.item_id,
                    versions: fields.keys().map(|f| (f.clone(), version)).collect(),
                    fields,
                };
                tx.put_item(&item).await?;
                Ok(Applied {
                    outcome: Outcome::Applied {
                        version,
                        conflicts: Vec::new(),
                    },
                    item: Some(item),
                })
            }
            Operation::Update { fields } => {
                let Some(item) = current else {
                    return Ok(not_here());
                };
                self.update(tx, caller, client, &item, fields, change, by_caller)
                    .await
            }
            Operation::Delete { base_versions } => {
                let Some(item) = current else {
                    return Ok(not_here());
                };
                if item.deleted() {
                    return Ok(Applied {
                        outcome: Outcome::Applied {
                            version: 0,
                            conflicts: Vec::new(),
                        },
                        item: Some(item),
                    });
                }
                if mutation.kind == Kind::Program {
                    return Ok(Applied {
                        outcome: rejected(
                            "invalid",
                            "a whole program cannot be deleted by a change",
                        ),
                        item: Some(item),
                    });
                }
                // Edited by someone else since the person last pulled: a person decides. Their
                // own edits before the delete are what they deleted.
                let mut edited = None;
                for (field, version) in &item.versions {
                    if field == POSITION
                        || field == DELETED
                        || *version <= base_versions.get(field).copied().unwrap_or(0)
                    {
                        continue;
                    }
                    if !self.own(tx, *version, client, caller).await? {
                        edited = Some((field, version));
                        break;
                    }
                }
                if let Some((field, version)) = edited {
                    let theirs = tx.change_author(*version).await?.unwrap_or_default();
                    let conflict = Conflict {
                        id: Id::new(),
                        kind: item.kind,
                        item_id: item.id,
                        field: DELETED.into(),
                        theirs: theirs.side(json!({"deleted": false, "changed": field})),
                        mine: by_caller.side(json!({"deleted": true})),
                        client_id: client,
                    };
                    tx.open_conflict(&conflict, tx.head()).await?;
                    return Ok(Applied {
                        outcome: Outcome::Applied {
                            version: 0,
                            conflicts: vec![conflict],
                        },
                        item: Some(item),
                    });
                }
                let referrers = referrers(tx, &item).await?;
                if !referrers.is_empty() {
                    return Ok(Applied {
                        outcome: rejected(
                            "still_referenced",
                            format!(
                                "{} is still referred to by {}: change or delete those first",
                                item.kind.noun(),
                                referrers.join(", ")
                            ),
                        ),
                        item: Some(item),
                    });
                }
                let version = tx
                    .append(change(Map::from_iter([(DELETED.to_owned(), json!(true))])))
                    .await?;
                let mut next = item;
                next.fields.insert(DELETED.into(), json!(true));
                next.versions.insert(DELETED.into(), version);
                tx.put_item(&next).await?;
                Ok(Applied {
                    outcome: Outcome::Applied {
                        version,
                        conflicts: Vec::new(),
                    },
                    item: Some(next),
                })
            }
            Operation::Resolve { conflict, choice } => {
                if caller.role < Some(Role::Lead) {
                    return Ok(Applied {
                        outcome: rejected(
                            "forbidden",
                            format!(
                                "only a program lead resolves conflicts; {} may not",
                                caller.author.name
                            ),
                        ),
                        item: current,
                    });
                }
                self.resolve(tx, *conflict, choice, current, change).await
            }
        }
    }

    /// Whether the change at `version` was the pushing person's own: made by this replica
    /// (or the replica that published the program), or by the same person signed in elsewhere.
    /// A change the log no longer holds counts as someone else's.
    pub(super) async fn own(
        &self,
        tx: &mut dyn ProgramTx,
        version: u64,
        client: Id,
        caller: &Caller,
    ) -> EngineResult<bool> {
        Ok(tx
            .writer(version)
            .await?
            .is_some_and(|w: Write| w.client == Some(client) || w.subject == caller.author.subject))
    }

    #[allow(clippy::too_many_arguments)]
    async fn update(
        &self,
        tx: &mut dyn ProgramTx,
        caller: &Caller,
        client: Id,
        item: &StoredItem,
        fields: &BTreeMap<String, FieldChange>,
        change: impl Fn(Map<String, Value>) -> NewChange,
        by_caller: Authored,
    ) -> EngineResult<Applied> {
        for name in fields.keys() {
            if name == "id" || name == DELETED {
                return Ok(Applied {
                    outcome: rejected(
                        "invalid",
                        format!("'{name}' cannot be changed by an update"),
                    ),
                    item: Some(item.clone()),
                });
            }
        }
        let conflict_with = |field: &str, theirs: Side, mine: Value| Conflict {
            id: Id::new(),
            kind: item.kind,
            item_id: item.id,
            field: field.to_owned(),
            theirs,
            mine: by_caller.clone().side(mine),
            client_id: client,
        };
        let mut conflicts = Vec::new();
        if item.deleted() {
            let version = item.versions.get(DELETED).copied().unwrap_or(0);
            if self.own(tx, version, client, caller).await? {
                // Deleted by the same person after they made this edit elsewhere: their
                // delete is the later word.
                return Ok(Applied {
                    outcome: rejected(
                        "gone",
                        format!(
                            "{} {} was deleted by {} since this change was made",
                            item.kind.noun(),
                            item.id,
                            caller.author.name
                        ),
                    ),
                    item: Some(item.clone()),
                });
            }
            // An edit of an item someone else deleted meanwhile: the delete stands until a
            // person decides. Only what the person changed comes back with it.
            let theirs = tx.change_author(version).await?.unwrap_or_default();
            let mine: Map<String, Value> = fields
                .iter()
                .filter(|(_, c)| !c.kept)
                .map(|(f, c)| (f.clone(), c.value.clone()))
                .collect();
            let conflict = conflict_with(
                DELETED,
                theirs.side(json!({"deleted": true})),
                json!({"deleted": false, "fields": mine}),
            );
            tx.open_conflict(&conflict, tx.head()).await?;
            return Ok(Applied {
                outcome: Outcome::Applied {
                    version: 0,
                    conflicts: vec![conflict],
                },
                item: Some(item.clone()),
            });
        }
        let sets = item.kind.set_fields();
        let guarded = item.kind.guarded_fields();
        // What becomes of this replica's conflicts on the item, once the change is accepted.
        let mut updated: Vec<Conflict> = Vec::new();
        let mut agreed: Vec<Id> = Vec::new();
        // Per field: the value to write, and whether someone else wrote it since the person
        // pulled.
        let mut writes: BTreeMap<String, (Value, bool)> = BTreeMap::new();
        for (field, edit) in fields {
            if edit.kept || guarded.contains(&field.as_str()) {
                // A field left as it was is never written; the guarded group is judged whole
                // below.
                continue;
            }
            let server_version = item.versions.get(field).copied().unwrap_or(0);
            let current = item.fields.get(field).cloned().unwrap_or(Value::Null);
            if sets.contains(&field.as_str())
                && let Some(delta) = &edit.set
            {
                // What the person added and removed, applied to what the server holds:
                // nobody's addition or removal is undone, the person's own or anyone's.
                writes.insert(field.clone(), (delta.apply(&current), false));
                continue;
            }
            let concurrent = edit.base_version < server_version
                && !self.own(tx, server_version, client, caller).await?;
            if !concurrent || edit.value == current {
                writes.insert(field.clone(), (edit.value.clone(), false));
            } else if sets.contains(&field.as_str()) {
                let base = tx
                    .value_at(item.id, field, edit.base_version)
                    .await?
                    .unwrap_or(Value::Array(Vec::new()));
                writes.insert(
                    field.clone(),
                    (merge_sets(&base, &edit.value, &current), true),
                );
            } else {
                writes.insert(field.clone(), (edit.value.clone(), true));
            }
        }
        if fields
            .iter()
            .any(|(f, c)| !c.kept && guarded.contains(&f.as_str()))
        {
            match self.guarded_group(tx, caller, client, item, fields).await? {
                Group::Write(group) => writes.extend(group),
                Group::Held(mut conflict) => {
                    conflict.mine = by_caller.clone().side(conflict.mine.value);
                    updated.push(conflict);
                }
                Group::Agreed(id) => agreed.push(id),
                Group::Clash { theirs, mine } => {
                    conflicts.push(conflict_with(item.kind.guarded_group(), theirs, mine));
                }
            }
        }
        if let Some((value, _)) = writes.get(POSITION)
            && value
                .as_str()
                .and_then(|k| k.parse::<OrderKey>().ok())
                .is_none()
        {
            return Ok(Applied {
                outcome: rejected("invalid", format!("position {value} is not an order key")),
                item: Some(item.clone()),
            });
        }
        // The merged item must be one the model accepts. A merge it would refuse because of a
        // change the person had not seen is a conflict on those fields; a change refused on
        // its own is rejected.
        let merged = |writes: &BTreeMap<String, (Value, bool)>| {
            let mut fields = item.fields.clone();
            for (f, (v, _)) in writes {
                fields.insert(f.clone(), v.clone());
            }
            fields
        };
        if let Err(reason) =
            validate(tx, item.kind, item.id, &merged(&writes), Some(&item.fields)).await?
        {
            let concurrent: Vec<String> = writes
                .iter()
                .filter(|(_, (_, c))| *c)
                .map(|(f, _)| f.clone())
                .collect();
            if concurrent.is_empty() {
                return Ok(Applied {
                    outcome: rejected("invalid", reason),
                    item: Some(item.clone()),
                });
            }
            for field in concurrent {
                let (value, _) = writes.remove(&field).unwrap_or((Value::Null, true));
                let version = item.versions.get(&field).copied().unwrap_or(0);
                let theirs = tx.change_author(version).await?.unwrap_or_default();
                let current = item.fields.get(&field).cloned().unwrap_or(Value::Null);
                conflicts.push(conflict_with(&field, theirs.side(current), value));
            }
            if let Err(reason) =
                validate(tx, item.kind, item.id, &merged(&writes), Some(&item.fields)).await?
            {
                return Ok(Applied {
                    outcome: rejected("invalid", reason),
                    item: Some(item.clone()),
                });
            }
        }
        let head = tx.head();
        for conflict in &conflicts {
            tx.open_conflict(conflict, head).await?;
        }
        for conflict in &updated {
            tx.update_conflict(conflict).await?;
        }
        for id in agreed {
            tx.close_conflict(id, head).await?;
        }
        conflicts.extend(updated);
        let changed: Map<String, Value> = writes
            .into_iter()
            .filter(|(f, (v, _))| item.fields.get(f) != Some(v))
            .map(|(f, (v, _))| (f, v))
            .collect();
        if changed.is_empty() {
            return Ok(Applied {
                outcome: Outcome::Applied {
                    version: 0,
                    conflicts,
                },
                item: Some(item.clone()),
            });
        }
        let version = tx.append(change(changed.clone())).await?;
        let mut next = item.clone();
        for (field, value) in changed {
            next.fields.insert(field.clone(), value);
            next.versions.insert(field, version);
        }
        tx.put_item(&next).await?;
        Ok(Applied {
            outcome: Outcome::Applied { version, conflicts },
            item: Some(next),
        })
    }

    /// What a change to fields that belong together (a decision's status, outcome, rationale,
    /// decided by and on) does: written whole when nobody else changed any of them since the
    /// person saw them, else one conflict holding the server's group and the person's full
    /// version of it (what they changed, and what they left as they saw it), settled in one
    /// step. A replica already holding that conflict makes its later change its newer side,
    /// and a change back to what stands ends it.
    async fn guarded_group(
        &self,
        tx: &mut dyn ProgramTx,
        caller: &Caller,
        client: Id,
        item: &StoredItem,
        fields: &BTreeMap<String, FieldChange>,
    ) -> EngineResult<Group> {
        let guarded = item.kind.guarded_fields();
        let group = item.kind.guarded_group();
        let current = |field: &str| item.fields.get(field).cloned().unwrap_or(Value::Null);
        let theirs: Map<String, Value> = guarded
            .iter()
            .map(|f| ((*f).to_owned(), current(f)))
            .collect();
        // The person's version: what they sent, changed or kept; a field an older client left
        // out is the server's.
        let mine: Map<String, Value> = guarded
            .iter()
            .map(|f| {
                let value = fields
                    .get(*f)
                    .map_or_else(|| current(f), |c| c.value.clone());
                ((*f).to_owned(), value)
            })
            .collect();
        // This replica's open conflict on the group, or on one of its fields (a conflict an older
        // server opened field by field): its later change is its newer side of that conflict.
        let held = tx.open_conflicts_of(item.id).await?.into_iter().find(|c| {
            c.client_id == client && (c.field == group || guarded.contains(&c.field.as_str()))
        });
        if let Some(mut conflict) = held {
            // The side it holds, whole: a one-field conflict's wanted value over the server's
            // group.
            let mut side = if conflict.field == group {
                conflict
                    .mine
                    .value
                    .as_object()
                    .cloned()
                    .unwrap_or_else(|| theirs.clone())
            } else {
                let mut side = theirs.clone();
                side.insert(conflict.field.clone(), conflict.mine.value.clone());
                side
            };
            // What the person changed now goes over it. What they left, they saw as the server
            // has it (their copy shows the server's decision while the conflict is open), so it
            // says nothing of their side: their decision in the conflict stays theirs.
            for (field, change) in fields
                .iter()
                .filter(|(f, c)| !c.kept && guarded.contains(&f.as_str()))
            {
                side.insert(field.clone(), change.value.clone());
            }
            if side == theirs {
                return Ok(Group::Agreed(conflict.id));
            }
            if conflict.field != group {
                // Settled whole from now on, as every conflict on the group is.
                conflict.field = group.to_owned();
                conflict.theirs.value = Value::Object(theirs);
            }
            conflict.mine.value = Value::Object(side);
            return Ok(Group::Held(conflict));
        }
        // The latest change to the group by someone else, made after what the person saw.
        let mut clash: Option<u64> = None;
        for (field, edit) in fields.iter().filter(|(f, _)| guarded.contains(&f.as_str())) {
            let server_version = item.versions.get(field).copied().unwrap_or(0);
            if edit.base_version < server_version
                && edit.value != current(field)
                && clash.is_none_or(|v| v < server_version)
                && !self.own(tx, server_version, client, caller).await?
            {
                clash = Some(server_version);
            }
        }
        if let Some(version) = clash {
            let by = tx.change_author(version).await?.unwrap_or_default();
            return Ok(Group::Clash {
                theirs: by.side(Value::Object(theirs)),
                mine: Value::Object(mine),
            });
        }
        Ok(Group::Write(
            fields
                .iter()
                .filter(|(f, c)| !c.kept && guarded.contains(&f.as_str()))
                .map(|(f, c)| (f.clone(), (c.value.clone(), false)))
                .collect(),
        ))
    }

    async fn resolve(
        &self,
        tx: &mut dyn ProgramTx,
        id: Id,
        choice: &Choice,
        current: Option<StoredItem>,
        change: impl Fn(Map<String, Value>) -> NewChange,
    ) -> EngineResult<Applied> {
        let Some((conflict, open)) = tx.conflict(id).await? else {
            return Ok(Applied {
                outcome: rejected("gone", format!("there is no conflict {id}")),
                item: current,
            });
        };
        if !open {
            return Ok(Applied {
                outcome: Outcome::Applied {
                    version: 0,
                    conflicts: Vec::new(),
                },
                item: current,
            });
        }
        let Some(item) = current else {
            return Ok(Applied {
                outcome: rejected("gone", "the item of this conflict is not on the server"),
                item: None,
            });
        };
        if item.deleted() && conflict.field != DELETED {
            // Deleted since the conflict opened: nothing is left to settle, and values written
            // into a tombstone would go unchecked. The conflict ends; bringing the item back
            // (an undo of the delete) brings its fields back as they were.
            tx.close_conflict(id, tx.head()).await?;
            return Ok(Applied {
                outcome: Outcome::Applied {
                    version: 0,
                    conflicts: Vec::new(),
                },
                item: Some(item),
            });
        }
        let value = match choice {
            Choice::Theirs => None,
            Choice::Mine => Some(conflict.mine.value.clone()),
            Choice::Merged { value } => Some(value.clone()),
        };
        let writes: Map<String, Value> = match value {
            None => Map::new(),
            Some(value) if conflict.field == DELETED => {
                // mine: {"deleted": bool, "fields": {...}}: the delete, or the edit with its
                // fields and the item back.
                let deleted = value.get(DELETED).and_then(Value::as_bool).unwrap_or(false);
                let mut writes = Map::new();
                writes.insert(DELETED.into(), json!(deleted));
                if let Some(Value::Object(fields)) = value.get("fields") {
                    writes.extend(fields.clone());
                }
                writes
            }
            Some(Value::Object(group)) if conflict.field == item.kind.guarded_group() => {
                // The fields that belong together, settled whole: every one named is written.
                let guarded = item.kind.guarded_fields();
                if let Some(other) = group.keys().find(|f| !guarded.contains(&f.as_str())) {
                    return Ok(Applied {
                        outcome: rejected(
                            "invalid",
                            format!(
                                "'{other}' is not one of the fields this conflict settles ({})",
                                guarded.join(", ")
                            ),
                        ),
                        item: Some(item),
                    });
                }
                group
            }
            Some(_) if conflict.field == item.kind.guarded_group() => {
                return Ok(Applied {
                    outcome: rejected(
                        "invalid",
                        format!(
                            "this conflict is settled with the fields {} together, as one object",
                            item.kind.guarded_fields().join(", ")
                        ),
                    ),
                    item: Some(item),
                });
            }
            Some(value) => Map::from_iter([(conflict.field.clone(), value)]),
        };
        let mut fields = item.fields.clone();
        for (f, v) in &writes {
            fields.insert(f.clone(), v.clone());
        }
        let deleting = writes.get(DELETED) == Some(&json!(true)) && !item.deleted();
        if deleting {
            let referrers = referrers(tx, &item).await?;
            if !referrers.is_empty() {
                return Ok(Applied {
                    outcome: rejected(
                        "still_referenced",
                        format!("it is still referred to by {}", referrers.join(", ")),
                    ),
                    item: Some(item),
                });
            }
        } else if fields.get(DELETED) != Some(&json!(true))
            && let Err(reason) =
                validate(tx, item.kind, item.id, &fields, Some(&item.fields)).await?
        {
            return Ok(Applied {
                outcome: rejected("invalid", reason),
                item: Some(item),
            });
        }
        let changed: Map<String, Value> = writes
            .into_iter()
            .filter(|(f, v)| item.fields.get(f) != Some(v))
            .collect();
        let mut next = item;
        let mut version = 0;
        if !changed.is_empty() {
            version = tx.append(change(changed.clone())).await?;
            for (f, v) in changed {
                next.fields.insert(f.clone(), v);
                next.versions.insert(f, version);
            }
            tx.put_item(&next).await?;
        }
        tx.close_conflict(id, version.max(tx.head())).await?;
        Ok(Applied {
            outcome: Outcome::Applied {
                version,
                conflicts: Vec::new(),
            },
            item: Some(next),
        })
    }
}

/// What a change to a guarded group comes to ([`Engine::guarded_group`]).
enum Group {
    /// The person's changes to the group, written.
    Write(BTreeMap<String, (Value, bool)>),
    /// This replica's open conflict on the group, its side now the person's latest version.
    Held(Conflict),
    /// This replica's open conflict on the group, ended: the person came back to what stands.
    Agreed(Id),
    /// Someone else changed the group since the person saw it: one conflict over all of it.
    Clash { theirs: Side, mine: Value },
}

/// When a change was made, as the person's computer says (protocol 3), in the server's format:
/// none when not said; never later than `at`, when the server applies it (a clock ahead would
/// otherwise put a change before one made after it). Refused when it is not a moment.
pub(super) fn made_at(made_at: Option<&str>, at: &str) -> Result<Option<String>, String> {
    let Some(text) = made_at else {
        return Ok(None);
    };
    let made = chrono::DateTime::parse_from_rfc3339(text).map_err(|e| {
        format!("the change says it was made at '{text}', which is not a moment ({e}): send the time as RFC 3339, for example 2026-12-07T09:30:00Z")
    })?;
    let made = made.with_timezone(&chrono::Utc);
    let applied = chrono::DateTime::parse_from_rfc3339(at)
        .map(|a| a.with_timezone(&chrono::Utc))
        .unwrap_or(made);
    Ok(Some(
        made.min(applied)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    ))
}

pub(super) fn op_name(operation: &Operation) -> &'static str {
    match operation {
        Operation::Create { .. } => "create",
        Operation::Update { .. } => "update",
        Operation::Delete { .. } => "delete",
        Operation::Resolve { .. } => "resolve",
    }
}
