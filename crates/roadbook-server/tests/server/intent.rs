//! The engine keeps each person's intent: their own sequence of changes is never judged
//! against itself, a set travels as what was added and removed, a publish sent again is
//! answered as the first time, an id names one item of one program, what the database cannot
//! store is refused alone, and positions from another history are never read.

use super::*;
use roadbook_model::SetDelta;

fn create(seq: u64, kind: Kind, item: Id, fields: Value) -> Mutation {
    let Value::Object(mut fields) = fields else {
        panic!("fields are an object")
    };
    fields.insert("position".into(), json!(OrderKey::first().as_str()));
    Mutation {
        seq,
        mutation_id: Id::new(),
        kind,
        item_id: item,
        operation: Operation::Create { fields },
        made_at: None,
    }
}

fn set_change(
    seq: u64,
    item: Id,
    field: &str,
    value: Value,
    added: &[Id],
    removed: &[Id],
) -> Mutation {
    Mutation {
        seq,
        mutation_id: Id::new(),
        kind: Kind::Decision,
        item_id: item,
        operation: Operation::Update {
            fields: [(
                field.to_owned(),
                FieldChange {
                    value,
                    base_version: 0,
                    set: Some(SetDelta {
                        added: added.iter().map(|i| json!(i)).collect(),
                        removed: removed.iter().map(|i| json!(i)).collect(),
                    }),
                    kept: false,
                },
            )]
            .into(),
        },
        made_at: None,
    }
}

fn delete(seq: u64, kind: Kind, item: Id) -> Mutation {
    Mutation {
        seq,
        mutation_id: Id::new(),
        kind,
        item_id: item,
        operation: Operation::Delete {
            base_versions: BTreeMap::new(),
        },
        made_at: None,
    }
}

fn conflicts_of(result: &MutationResult) -> usize {
    match &result.outcome {
        Outcome::Applied { conflicts, .. } => conflicts.len(),
        Outcome::Rejected { code, reason } => panic!("rejected ({code}): {reason}"),
    }
}

both!(
    a_person_s_own_changes_before_one_sync_never_conflict_with_each_other,
    a_publish_sent_again_by_its_client_is_answered_as_the_first_time,
    an_item_id_names_one_item_of_one_program,
    a_nul_character_is_refused_at_the_edge_without_the_database_s_words,
);

async fn a_person_s_own_changes_before_one_sync_never_conflict_with_each_other(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, _) = published(storage).await;
    let program = handbook.program.id;
    let owners: Vec<Id> = handbook.owners.iter().map(|o| o.id).collect();
    let status = |name: &str| handbook.status_named(name).unwrap().id;
    let (sam, client) = (editor("sam"), Id::new());
    let (made, fleeting, existing) = (Id::new(), Id::new(), handbook.decisions[0].id);
    // What Sam last pulled of the existing decision.
    let (items, _) = engine.storage().snapshot(program).await.unwrap();
    let pulled = items.iter().find(|i| i.id == existing).unwrap().versions["status_id"];
    // Everything Sam did offline, in one push, every base the version Sam last pulled (0 for
    // what Sam made).
    let body = |title: &str| json!({"title": title, "status_id": status("Needs decision"), "needed_from": [owners[0], owners[1]]});
    let answer = engine
        .push(
            &sam,
            program,
            PushRequest {
                client_id: client,
                mutations: vec![
                    create(1, Kind::Decision, made, body("Pick the pilot group")),
                    set_change(
                        2,
                        made,
                        "needed_from",
                        json!([owners[0]]),
                        &[],
                        &[owners[1]],
                    ),
                    update(
                        3,
                        Kind::Decision,
                        made,
                        &[
                            ("status_id", json!(status("Decided")), 0),
                            ("outcome", json!("Builder Relations"), 0),
                        ],
                    ),
                    update(
                        4,
                        Kind::Decision,
                        made,
                        &[("status_id", json!(status("Blocked")), 0)],
                    ),
                    update(
                        5,
                        Kind::Decision,
                        existing,
                        &[("status_id", json!(status("Blocked")), pulled)],
                    ),
                    update(
                        6,
                        Kind::Decision,
                        existing,
                        &[
                            ("status_id", json!(status("Decided")), pulled),
                            ("outcome", json!("Okta"), pulled),
                        ],
                    ),
                    create(7, Kind::Decision, fleeting, body("Added by mistake")),
                    update(
                        8,
                        Kind::Decision,
                        fleeting,
                        &[("title", json!("Renamed first"), 0)],
                    ),
                    delete(9, Kind::Decision, fleeting),
                ],
                history: None,
            },
        )
        .await
        .unwrap();
    for result in &answer.results {
        assert_eq!(
            conflicts_of(result),
            0,
            "change {}: no conflict with oneself",
            result.seq
        );
    }
    assert_eq!(
        field(&engine, program, made, "needed_from").await,
        json!([owners[0]])
    );
    assert_eq!(
        field(&engine, program, made, "status_id").await,
        json!(status("Blocked"))
    );
    assert_eq!(
        field(&engine, program, made, "outcome").await,
        json!("Builder Relations")
    );
    assert_eq!(
        field(&engine, program, existing, "status_id").await,
        json!(status("Decided"))
    );
    assert_eq!(
        field(&engine, program, fleeting, "deleted").await,
        json!(true)
    );
    assert!(
        engine
            .storage()
            .open_conflicts(program)
            .await
            .unwrap()
            .is_empty()
    );

    // Someone else's change made on a base that did not see Sam's is still a conflict, with
    // two different people in it.
    let result = push_one(
        &engine,
        &editor("vic"),
        program,
        Id::new(),
        update(
            1,
            Kind::Decision,
            existing,
            &[("status_id", json!(status("Drafted")), pulled)],
        ),
    )
    .await;
    assert_eq!(conflicts_of(&result), 1);
    let open = engine.storage().open_conflicts(program).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_ne!(open[0].theirs.author, open[0].mine.author);
    // And an edit meets a delete someone else made.
    let result = push_one(
        &engine,
        &editor("vic"),
        program,
        Id::new(),
        update(1, Kind::Decision, fleeting, &[("title", json!("Vic's"), 0)]),
    )
    .await;
    assert_eq!(conflicts_of(&result), 1);
}

async fn a_publish_sent_again_by_its_client_is_answered_as_the_first_time(
    storage: Arc<dyn Storage>,
) {
    let engine = engine(storage);
    let handbook = sample::builder_insights().unwrap();
    let client = Id::new();
    let mut request = publish_request(&handbook, client);
    request.next_seq = 7;
    let first = engine.publish(&lead(), request.clone()).await.unwrap();
    assert_eq!(first.through_seq, Some(6));
    // The answer was lost; the client sends it again, perhaps with more in it since.
    request.next_seq = 9;
    let again = engine.publish(&lead(), request.clone()).await.unwrap();
    assert_eq!(
        (again.cursor, again.through_seq, again.history),
        (first.cursor, Some(6), first.history)
    );
    assert_eq!(again.versions.len(), first.versions.len());
    // Anyone else publishing that id is told it is there.
    let other = engine
        .publish(&lead(), publish_request(&handbook, Id::new()))
        .await
        .unwrap_err();
    assert!(matches!(other, EngineError::Exists(_)), "{other}");
    assert_eq!(engine.programs(&lead()).await.unwrap().len(), 1);
}

async fn an_item_id_names_one_item_of_one_program(storage: Arc<dyn Storage>) {
    let (engine, a, _) = published(storage).await;
    let b = sample::builder_insights().unwrap();
    engine
        .publish(&lead(), publish_request(&b, Id::new()))
        .await
        .unwrap();
    // An editor of A who learned an id of B plants an item under it in A: refused.
    let stolen = b.decisions[0].id;
    let result = push_one(
        &engine,
        &editor("eve"),
        a.program.id,
        Id::new(),
        create(
            1,
            Kind::Decision,
            stolen,
            json!({"title": "Planted", "status_id": a.statuses[0].id}),
        ),
    )
    .await;
    match &result.outcome {
        Outcome::Rejected { code, reason } => {
            assert_eq!(code, "exists");
            assert!(reason.contains("another program"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(result.item.is_none());
    // B's item is untouched, and A has no such item.
    assert_eq!(
        field(&engine, b.program.id, stolen, "title").await,
        json!(b.decisions[0].title)
    );
    let (items, _) = engine.storage().snapshot(a.program.id).await.unwrap();
    assert!(items.iter().all(|i| i.id != stolen));
    // Nor can a whole program be published with ids another one holds.
    let mut c = sample::builder_insights().unwrap();
    c.decisions[0].id = a.decisions[0].id;
    let refused = engine
        .publish(&lead(), publish_request(&c, Id::new()))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, EngineError::Invalid(m) if m.contains("another program")),
        "{refused}"
    );
}

async fn a_nul_character_is_refused_at_the_edge_without_the_database_s_words(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, _) = published(storage).await;
    let program = handbook.program.id;
    let err = engine
        .push(
            &editor("eve"),
            program,
            PushRequest {
                client_id: Id::new(),
                mutations: vec![update(
                    1,
                    Kind::Decision,
                    handbook.decisions[0].id,
                    &[("title", json!("bad\u{0}title"), 1)],
                )],
                history: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    let message = err.to_string();
    assert!(
        message.contains("'title' holds a NUL character"),
        "{message}"
    );
    // Nothing was written, and the next push of anyone goes through.
    assert_eq!(
        field(&engine, program, handbook.decisions[0].id, "title").await,
        json!(handbook.decisions[0].title)
    );
    let ok = push_one(
        &engine,
        &editor("sam"),
        program,
        Id::new(),
        update(
            1,
            Kind::Decision,
            handbook.decisions[0].id,
            &[("title", json!("Fine"), 1)],
        ),
    )
    .await;
    assert_eq!(conflicts_of(&ok), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_database_refuses_is_answered_rejected_alone_and_the_batch_commits() {
    // PostgreSQL itself refuses one change (a rule the test adds, standing in for any value the
    // checks let through that the database cannot hold): only that change is rejected, with no
    // database text, and the changes pushed with it, by the same person and others, commit.
    let url = pg_url();
    let storage: Arc<dyn Storage> = Arc::new(PgStorage::connect(&url, 8).await.unwrap());
    let (engine, handbook, _) = published(storage).await;
    let program = handbook.program.id;
    let (client, _) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .map(|(c, conn)| (c, tokio::spawn(conn)))
        .unwrap();
    client
        .batch_execute(
            "ALTER TABLE changes ADD CONSTRAINT refuses_poison CHECK (fields::text NOT LIKE '%poison%')",
        )
        .await
        .unwrap();
    let engine = Arc::new(engine);
    let ids: Vec<Id> = handbook.decisions.iter().map(|d| d.id).collect();
    let d = move |n: usize| ids[n];
    let vic_decision = d(3);
    let sam = {
        let engine = engine.clone();
        let mutations = vec![
            update(1, Kind::Decision, d(0), &[("title", json!("Sam one"), 1)]),
            update(2, Kind::Decision, d(1), &[("title", json!("poison"), 1)]),
            update(3, Kind::Decision, d(2), &[("title", json!("Sam three"), 1)]),
        ];
        tokio::spawn(async move {
            engine
                .push(
                    &editor("sam"),
                    program,
                    PushRequest {
                        client_id: Id::new(),
                        mutations,
                        history: None,
                    },
                )
                .await
        })
    };
    let vic = {
        let engine = engine.clone();
        tokio::spawn(async move {
            push_one(
                &engine,
                &editor("vic"),
                program,
                Id::new(),
                update(
                    1,
                    Kind::Decision,
                    vic_decision,
                    &[("title", json!("Vic's"), 1)],
                ),
            )
            .await
        })
    };
    let sam = sam.await.unwrap().unwrap();
    let vic = vic.await.unwrap();
    assert_eq!(conflicts_of(&vic), 0);
    assert_eq!(sam.results.len(), 3);
    assert_eq!(conflicts_of(&sam.results[0]), 0);
    assert_eq!(conflicts_of(&sam.results[2]), 0);
    match &sam.results[1].outcome {
        Outcome::Rejected { reason, .. } => {
            assert!(reason.contains("cannot store"), "{reason}");
            assert!(
                !reason.contains("refuses_poison") && !reason.contains("violates"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        field(&engine, program, d(0), "title").await,
        json!("Sam one")
    );
    assert_eq!(
        field(&engine, program, d(2), "title").await,
        json!("Sam three")
    );
    assert_eq!(field(&engine, program, d(3), "title").await, json!("Vic's"));
    assert_eq!(
        field(&engine, program, d(1), "title").await,
        json!(handbook.decisions[1].title)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_from_another_history_are_refused_and_a_join_says_where_it_began() {
    let memory = Arc::new(MemoryStorage::new());
    let (engine, handbook, cursor) = published(memory.clone()).await;
    let program = handbook.program.id;
    let old = engine.history().await.unwrap();
    let backup = memory.backup().await;
    push_one(
        &engine,
        &editor("sam"),
        program,
        Id::new(),
        update(
            1,
            Kind::Decision,
            handbook.decisions[0].id,
            &[("title", json!("Lost"), 1)],
        ),
    )
    .await;
    let new = memory.restore(backup).await;
    engine.live().set_history(None);
    assert_eq!(engine.history().await.unwrap(), new);
    assert_ne!(new, old);
    for err in [
        engine
            .pull(&lead(), program, cursor, 10, Some(old))
            .await
            .unwrap_err(),
        engine
            .push(
                &editor("sam"),
                program,
                PushRequest {
                    client_id: Id::new(),
                    mutations: Vec::new(),
                    history: Some(old),
                },
            )
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(err, EngineError::HistoryChanged { current } if current == new),
            "{err}"
        );
        assert_eq!(err.status(), 409);
    }
    let events = engine
        .events(&lead(), program, cursor, None, Some(old))
        .await
        .unwrap();
    assert_eq!(events.history, Some(new), "a long poll answers at once");
    let snapshot = engine
        .join(&editor("sam"), program, Id::new(), 1)
        .await
        .unwrap();
    assert_eq!(
        (snapshot.history, snapshot.fork, snapshot.cursor),
        (Some(new), Some(cursor), cursor)
    );
    assert!(
        engine
            .pull(&lead(), program, cursor, 10, Some(new))
            .await
            .is_ok()
    );
}
