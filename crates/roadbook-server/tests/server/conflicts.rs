//! What meets at the server and goes to a person: a decision changed on both sides (one
//! conflict, settled whole), a later change joining a side, sets edited on both sides, a delete
//! meeting an edit, a merge the model refuses.

use super::*;

both!(
    a_decision_changed_on_both_sides_is_one_conflict_settled_whole,
    a_later_change_joins_the_person_s_side_of_a_decision_s_conflict,
    sets_edited_on_both_sides_keep_both_additions,
    a_delete_and_an_edit_that_meet_are_a_conflict,
    a_merge_the_model_refuses_is_a_conflict_not_a_broken_item,
);

/// A change to a decision's group (status, outcome, rationale, decided by and on) as this
/// release's client sends it: what the person changed, and the rest of the group as they saw
/// it (`kept`), with the versions seen, and when they made it.
pub(super) fn decision_change(
    seq: u64,
    seen: &roadbook_model::Decision,
    base: u64,
    changed: &[(&str, Value)],
    made_at: &str,
) -> Mutation {
    let body = serde_json::to_value(seen).unwrap();
    let mut fields: BTreeMap<String, FieldChange> = Kind::Decision
        .guarded_fields()
        .iter()
        .map(|f| {
            (
                (*f).to_owned(),
                FieldChange {
                    value: body[*f].clone(),
                    base_version: base,
                    set: None,
                    kept: true,
                },
            )
        })
        .collect();
    for (f, v) in changed {
        fields.insert(
            (*f).to_owned(),
            FieldChange {
                value: v.clone(),
                base_version: base,
                set: None,
                kept: false,
            },
        );
    }
    Mutation {
        seq,
        mutation_id: Id::new(),
        kind: Kind::Decision,
        item_id: seen.id,
        operation: Operation::Update { fields },
        made_at: Some(made_at.to_owned()),
    }
}

pub(super) async fn a_decision_changed_on_both_sides_is_one_conflict_settled_whole(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let seen = handbook
        .decisions
        .iter()
        .find(|d| d.outcome.is_empty() && d.rationale.is_empty())
        .expect("an open decision in the sample")
        .clone();
    let decision = seen.id;
    let decided = handbook.status_named("Decided").unwrap().id;
    let blocked = handbook.status_named("Blocked").unwrap().id;
    let (a, b) = (Id::new(), Id::new());
    // Ann decides, with the outcome and why; Ben, who has not seen it, marks it blocked and
    // retitles it. Ben made his change first (offline), and pushes second.
    let ann = push_one(
        &engine,
        &editor("ann"),
        program,
        a,
        decision_change(
            1,
            &seen,
            cursor,
            &[
                ("status_id", json!(decided)),
                ("outcome", json!("Okta")),
                ("rationale", json!("One sign-in")),
            ],
            "2026-12-01T10:00:00.000Z",
        ),
    )
    .await;
    assert!(
        matches!(ann.outcome, Outcome::Applied { ref conflicts, version } if conflicts.is_empty() && version > 0),
        "{ann:?}"
    );
    let mut bens = decision_change(
        1,
        &seen,
        cursor,
        &[("status_id", json!(blocked))],
        "2026-11-30T09:00:00.000Z",
    );
    if let Operation::Update { fields } = &mut bens.operation {
        fields.insert(
            "title".into(),
            FieldChange {
                value: json!("Okta, per Ben"),
                base_version: cursor,
                set: None,
                kept: false,
            },
        );
    }
    let clash = push_one(&engine, &editor("ben"), program, b, bens).await;
    let Outcome::Applied { conflicts, version } = &clash.outcome else {
        panic!("{clash:?}")
    };
    assert_eq!(conflicts.len(), 1, "one conflict for the whole decision");
    assert!(*version > 0, "the title still applies");
    let conflict = &conflicts[0];
    assert_eq!(conflict.field, "decided");
    let group = |status: Id, outcome: &str, rationale: &str| {
        json!({"status_id": status, "outcome": outcome, "rationale": rationale,
               "decided_by": seen.decided_by, "decided_on": seen.decided_on})
    };
    assert_eq!(
        (
            conflict.theirs.value.clone(),
            conflict.theirs.author.as_str()
        ),
        (group(decided, "Okta", "One sign-in"), "ann (name)"),
        "Ann's whole decision"
    );
    assert_eq!(
        (conflict.mine.value.clone(), conflict.mine.author.as_str()),
        (group(blocked, "", ""), "ben (name)"),
        "Ben's whole decision, as he saw it: blocked, nothing decided"
    );
    // When each was made, beside when the server took it: Ben's came first.
    assert_eq!(
        conflict.mine.made_at.as_deref(),
        Some("2026-11-30T09:00:00.000Z")
    );
    assert_eq!(
        conflict.theirs.made_at.as_deref(),
        Some("2026-12-01T10:00:00.000Z")
    );
    assert!(conflict.mine.made() < conflict.theirs.made());
    assert!(conflict.mine.at >= conflict.theirs.at, "but pushed after");
    for (name, value) in [
        ("status_id", json!(decided)),
        ("outcome", json!("Okta")),
        ("rationale", json!("One sign-in")),
        ("title", json!("Okta, per Ben")),
    ] {
        assert_eq!(
            field(&engine, program, decision, name).await,
            value,
            "{name}: the server's decision stands whole, the title applies"
        );
    }
    let audit = engine
        .storage()
        .audit(&roadbook_server::audit::AuditFilter::program(program))
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|line| line.subject == "ben" && line.action == "conflict"),
        "the clash is audited under the caller who met it: {audit:?}"
    );

    let resolve = |seq: u64, choice: Choice| Mutation {
        seq,
        mutation_id: Id::new(),
        kind: Kind::Decision,
        item_id: decision,
        operation: Operation::Resolve {
            conflict: conflict.id,
            choice,
        },
        made_at: None,
    };
    let by_editor = push_one(
        &engine,
        &editor("ben"),
        program,
        b,
        resolve(2, Choice::Mine),
    )
    .await;
    assert!(
        matches!(by_editor.outcome, Outcome::Rejected { ref code, .. } if code == "forbidden"),
        "{by_editor:?}"
    );
    let lead_client = Id::new();
    // A merge that contradicts itself (Decided, nothing decided) is refused and changes nothing.
    let contradiction = push_one(
        &engine,
        &lead(),
        program,
        lead_client,
        resolve(
            1,
            Choice::Merged {
                value: group(decided, "", "One sign-in"),
            },
        ),
    )
    .await;
    assert!(
        matches!(contradiction.outcome, Outcome::Rejected { ref reason, .. } if reason.contains("needs its outcome")),
        "{contradiction:?}"
    );
    assert_eq!(
        engine
            .storage()
            .open_conflicts(program)
            .await
            .unwrap()
            .len(),
        1
    );
    // Keeping Ben's side takes his whole decision: blocked, and no outcome or rationale left
    // behind from Ann's.
    let by_lead = push_one(
        &engine,
        &lead(),
        program,
        lead_client,
        resolve(2, Choice::Mine),
    )
    .await;
    assert!(
        matches!(by_lead.outcome, Outcome::Applied { version, .. } if version > 0),
        "{by_lead:?}"
    );
    for (name, value) in [
        ("status_id", json!(blocked)),
        ("outcome", json!("")),
        ("rationale", json!("")),
    ] {
        assert_eq!(
            field(&engine, program, decision, name).await,
            value,
            "{name}"
        );
    }
    assert!(
        engine
            .storage()
            .open_conflicts(program)
            .await
            .unwrap()
            .is_empty()
    );
}

/// While a replica holds a conflict on a decision, the person's later change to one field of it
/// goes over their side: their decision in the conflict stays theirs (their copy shows the
/// server's values meanwhile, which say nothing of their side), and only coming back to the
/// server's whole decision ends it.
pub(super) async fn a_later_change_joins_the_person_s_side_of_a_decision_s_conflict(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let seen = handbook
        .decisions
        .iter()
        .find(|d| d.outcome.is_empty() && d.rationale.is_empty())
        .unwrap()
        .clone();
    let decided = handbook.status_named("Decided").unwrap().id;
    let blocked = handbook.status_named("Blocked").unwrap().id;
    let (a, b) = (Id::new(), Id::new());
    push_one(
        &engine,
        &editor("ann"),
        program,
        a,
        decision_change(
            1,
            &seen,
            cursor,
            &[("status_id", json!(blocked))],
            "2026-12-01T10:00:00Z",
        ),
    )
    .await;
    // Ben decides it, not having seen Ann's: one conflict, Ben's side Decided with "Go".
    let clash = push_one(
        &engine,
        &editor("ben"),
        program,
        b,
        decision_change(
            1,
            &seen,
            cursor,
            &[("status_id", json!(decided)), ("outcome", json!("Go"))],
            "2026-12-01T10:05:00Z",
        ),
    )
    .await;
    let Outcome::Applied { conflicts, .. } = &clash.outcome else {
        panic!("{clash:?}")
    };
    assert_eq!(conflicts.len(), 1);
    // Ben's copy now shows the server's decision (Blocked, nothing decided); he fixes its
    // rationale. His side keeps Decided and "Go", with the new rationale.
    let (items, _) = engine.storage().snapshot(program).await.unwrap();
    let now = items.iter().find(|i| i.id == seen.id).unwrap();
    let mut on_screen = seen.clone();
    on_screen.status_id = blocked;
    let version = now.versions["rationale"];
    let later = push_one(
        &engine,
        &editor("ben"),
        program,
        b,
        decision_change(
            2,
            &on_screen,
            version,
            &[("rationale", json!("Security agrees"))],
            "2026-12-01T10:10:00Z",
        ),
    )
    .await;
    let Outcome::Applied { conflicts, .. } = &later.outcome else {
        panic!("{later:?}")
    };
    assert_eq!(conflicts.len(), 1, "still the one conflict");
    let side = &conflicts[0].mine.value;
    assert_eq!(
        (
            side["status_id"].clone(),
            side["outcome"].clone(),
            side["rationale"].clone()
        ),
        (json!(decided), json!("Go"), json!("Security agrees")),
        "Ben's decision, with his later rationale"
    );
    assert_eq!(
        field(&engine, program, seen.id, "status_id").await,
        json!(blocked)
    );
    assert_eq!(
        engine
            .storage()
            .open_conflicts(program)
            .await
            .unwrap()
            .len(),
        1
    );
}

pub(super) async fn sets_edited_on_both_sides_keep_both_additions(storage: Arc<dyn Storage>) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let d = &handbook.decisions[0];
    let free: Vec<Id> = handbook
        .owners
        .iter()
        .map(|o| o.id)
        .filter(|o| !d.needed_from.contains(o))
        .collect();
    let with = |extra: Id| {
        let mut list = d.needed_from.clone();
        list.push(extra);
        json!(list)
    };
    push_one(
        &engine,
        &editor("ann"),
        program,
        Id::new(),
        update(
            1,
            Kind::Decision,
            d.id,
            &[("needed_from", with(free[0]), cursor)],
        ),
    )
    .await;
    push_one(
        &engine,
        &editor("ben"),
        program,
        Id::new(),
        update(
            1,
            Kind::Decision,
            d.id,
            &[("needed_from", with(free[1]), cursor)],
        ),
    )
    .await;
    let mut expected = d.needed_from.clone();
    expected.extend([free[0], free[1]]);
    assert_eq!(
        field(&engine, program, d.id, "needed_from").await,
        json!(expected)
    );
}

pub(super) async fn a_delete_and_an_edit_that_meet_are_a_conflict(storage: Arc<dyn Storage>) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let risk = handbook.risks[1].id;
    push_one(
        &engine,
        &editor("ann"),
        program,
        Id::new(),
        update(
            1,
            Kind::Risk,
            risk,
            &[("mitigation", json!("Ann's plan"), cursor)],
        ),
    )
    .await;
    let versions: BTreeMap<String, u64> = roadbook_model::to_fields(&handbook.risks[1])
        .unwrap()
        .keys()
        .map(|k| (k.clone(), cursor))
        .collect();
    let delete = Mutation {
        seq: 1,
        mutation_id: Id::new(),
        kind: Kind::Risk,
        item_id: risk,
        operation: Operation::Delete {
            base_versions: versions,
        },
        made_at: None,
    };
    let result = push_one(&engine, &editor("ben"), program, Id::new(), delete).await;
    assert!(
        matches!(result.outcome, Outcome::Applied { ref conflicts, .. } if conflicts.len() == 1 && conflicts[0].field == "deleted"),
        "{result:?}"
    );
    assert_eq!(field(&engine, program, risk, "deleted").await, json!(false));

    // The other way round: deleted first, edited after from an older copy.
    let action = handbook.actions[0].id;
    let head = engine
        .storage()
        .program(program)
        .await
        .unwrap()
        .unwrap()
        .head;
    let fresh: BTreeMap<String, u64> = roadbook_model::to_fields(&handbook.actions[0])
        .unwrap()
        .keys()
        .map(|f| (f.clone(), head))
        .collect();
    let delete = Mutation {
        seq: 2,
        mutation_id: Id::new(),
        kind: Kind::Action,
        item_id: action,
        operation: Operation::Delete {
            base_versions: fresh,
        },
        made_at: None,
    };
    let client = Id::new();
    push_one(
        &engine,
        &editor("cat"),
        program,
        client,
        Mutation { seq: 1, ..delete },
    )
    .await;
    assert_eq!(
        field(&engine, program, action, "deleted").await,
        json!(true)
    );
    let edit = push_one(
        &engine,
        &editor("dan"),
        program,
        Id::new(),
        update(
            1,
            Kind::Action,
            action,
            &[("text", json!("Still needed"), cursor)],
        ),
    )
    .await;
    assert!(
        matches!(edit.outcome, Outcome::Applied { ref conflicts, .. } if conflicts.len() == 1),
        "{edit:?}"
    );
    assert_eq!(
        field(&engine, program, action, "deleted").await,
        json!(true)
    );
}

pub(super) async fn a_merge_the_model_refuses_is_a_conflict_not_a_broken_item(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let criterion = handbook.exit_criteria.iter().find(|c| !c.met).unwrap();
    // Ann marks it met with evidence; Ben, from the older copy, clears the evidence. Each alone
    // is valid; together they make a met criterion without evidence.
    push_one(
        &engine,
        &editor("ann"),
        program,
        Id::new(),
        update(
            1,
            Kind::ExitCriterion,
            criterion.id,
            &[
                ("met", json!(true), cursor),
                ("evidence", json!("Pilot sign-off"), cursor),
            ],
        ),
    )
    .await;
    let ben = push_one(
        &engine,
        &editor("ben"),
        program,
        Id::new(),
        update(
            1,
            Kind::ExitCriterion,
            criterion.id,
            &[("evidence", json!(""), cursor)],
        ),
    )
    .await;
    assert!(
        matches!(ben.outcome, Outcome::Applied { ref conflicts, .. } if conflicts.len() == 1 && conflicts[0].field == "evidence"),
        "{ben:?}"
    );
    assert_eq!(
        field(&engine, program, criterion.id, "evidence").await,
        json!("Pilot sign-off")
    );
    assert_eq!(
        field(&engine, program, criterion.id, "met").await,
        json!(true)
    );
}
