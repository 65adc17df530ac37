//! What the server refuses, and only that: a write for what it breaks (not for what was so
//! before), a change's own time that is not a moment, names that differ only in case, and a
//! refused change or push that leaves the others applied.

use super::*;

both!(
    a_write_is_refused_for_what_it_breaks_not_for_what_was_so_before,
    a_change_s_own_time_is_kept_never_after_the_server_s_and_must_be_a_moment,
    names_that_differ_only_in_case_clash_on_the_server_as_on_the_laptop,
    a_refused_change_does_not_stop_the_next_ones,
    concurrent_pushes_refused_as_a_whole_leave_the_others_applied,
);

/// A decision made without its outcome from before the rule (an old program, an old export):
/// it still publishes, a change that does not touch the rule (its title) is taken, and a change
/// that breaks the rule anew is refused.
pub(super) async fn a_write_is_refused_for_what_it_breaks_not_for_what_was_so_before(
    storage: Arc<dyn Storage>,
) {
    let engine = engine(storage);
    let mut handbook = sample::builder_insights().unwrap();
    let decided = handbook.status_named("Decided").unwrap().id;
    let done = handbook.status_named("Done").unwrap().id;
    let old = handbook
        .decisions
        .iter()
        .position(|d| d.outcome.is_empty())
        .unwrap();
    handbook.decisions[old].status_id = decided;
    let id = handbook.decisions[old].id;
    let program = handbook.program.id;
    let cursor = engine
        .publish(&lead(), publish_request(&handbook, Id::new()))
        .await
        .unwrap()
        .cursor;
    let client = Id::new();
    let retitled = push_one(
        &engine,
        &editor("ann"),
        program,
        client,
        update(
            1,
            Kind::Decision,
            id,
            &[("title", json!("An old decision, retitled"), cursor)],
        ),
    )
    .await;
    assert!(
        matches!(retitled.outcome, Outcome::Applied { version, .. } if version > 0),
        "{retitled:?}"
    );
    let moved = push_one(
        &engine,
        &editor("ann"),
        program,
        client,
        update(2, Kind::Decision, id, &[("status_id", json!(done), cursor)]),
    )
    .await;
    assert!(
        matches!(moved.outcome, Outcome::Rejected { ref reason, .. } if reason.contains("a decision marked Done needs its outcome")),
        "{moved:?}"
    );
}

pub(super) async fn a_change_s_own_time_is_kept_never_after_the_server_s_and_must_be_a_moment(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let action = handbook.actions[0].id;
    let client = Id::new();
    let mut change = update(1, Kind::Action, action, &[("text", json!("later"), cursor)]);
    change.made_at = Some("not a time".into());
    let refused = push_one(&engine, &editor("ann"), program, client, change).await;
    assert!(
        matches!(refused.outcome, Outcome::Rejected { ref reason, .. } if reason.contains("'not a time', which is not a moment")),
        "{refused:?}"
    );
    assert_ne!(
        field(&engine, program, action, "text").await,
        json!("later")
    );
    // A clock years ahead cannot put a change after ones made later: it is taken as the
    // server's time of applying it.
    let mut ahead = update(2, Kind::Action, action, &[("text", json!("ahead"), cursor)]);
    ahead.made_at = Some("2099-01-01T00:00:00+02:00".into());
    push_one(&engine, &editor("ann"), program, client, ahead).await;
    let mut offline = update(
        3,
        Kind::Action,
        action,
        &[("text", json!("offline"), cursor)],
    );
    offline.made_at = Some("2026-11-02T08:15:00+01:00".into());
    push_one(&engine, &editor("ann"), program, client, offline).await;
    let pull = engine
        .pull(&editor("ann"), program, cursor, 100, None)
        .await
        .unwrap();
    let made: Vec<(Value, Option<String>, String)> = pull
        .changes
        .iter()
        .filter(|c| c.item_id == action)
        .map(|c| (c.fields["text"].clone(), c.made_at.clone(), c.at.clone()))
        .collect();
    assert_eq!(made.len(), 2, "{made:?}");
    assert_eq!(
        made[0].1.as_deref(),
        Some(made[0].2.as_str()),
        "ahead: the server's time"
    );
    assert_eq!(
        made[1].1.as_deref(),
        Some("2026-11-02T07:15:00.000Z"),
        "offline: its own time, in UTC"
    );
}

pub(super) async fn names_that_differ_only_in_case_clash_on_the_server_as_on_the_laptop(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let (first, second) = (handbook.statuses[0].id, handbook.statuses[1].id);
    let renamed = push_one(
        &engine,
        &lead(),
        program,
        Id::new(),
        update(1, Kind::Status, first, &[("name", json!("Équipe"), cursor)]),
    )
    .await;
    assert!(
        matches!(renamed.outcome, Outcome::Applied { .. }),
        "{renamed:?}"
    );
    // Only the first letter's case differs, and it is not ASCII.
    let clash = push_one(
        &engine,
        &lead(),
        program,
        Id::new(),
        update(
            1,
            Kind::Status,
            second,
            &[("name", json!("équipe"), cursor)],
        ),
    )
    .await;
    assert!(
        matches!(clash.outcome, Outcome::Rejected { ref reason, .. } if reason.contains("already the name of another status")),
        "{clash:?}"
    );
}

pub(super) async fn a_refused_change_does_not_stop_the_next_ones(storage: Arc<dyn Storage>) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let decision = handbook.decisions[1].id;
    let client = Id::new();
    let answer = engine
        .push(
            &editor("sam"),
            program,
            PushRequest {
                history: None,
                client_id: client,
                mutations: vec![
                    update(
                        1,
                        Kind::Decision,
                        decision,
                        &[("status_id", json!(Id::new()), cursor)],
                    ),
                    update(
                        2,
                        Kind::Decision,
                        decision,
                        &[("title", json!("Kanopy first"), cursor)],
                    ),
                ],
            },
        )
        .await
        .unwrap();
    assert!(
        matches!(answer.results[0].outcome, Outcome::Rejected { ref reason, .. } if reason.contains("which is not in this program")),
        "{answer:?}"
    );
    assert!(matches!(answer.results[1].outcome, Outcome::Applied { .. }));
    assert_eq!(
        field(&engine, program, decision, "title").await,
        json!("Kanopy first")
    );
    // A viewer's push is refused as a whole, and writes nothing.
    let head = engine
        .storage()
        .program(program)
        .await
        .unwrap()
        .unwrap()
        .head;
    let viewer = caller("vic", Some(Role::Viewer));
    let refused = engine
        .push(
            &viewer,
            program,
            PushRequest {
                history: None,
                client_id: Id::new(),
                mutations: vec![update(
                    1,
                    Kind::Decision,
                    decision,
                    &[("title", json!("by a viewer"), cursor)],
                )],
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, EngineError::Forbidden(_)));
    assert_eq!(
        engine
            .storage()
            .program(program)
            .await
            .unwrap()
            .unwrap()
            .head,
        head
    );
    // Each mutation left an audit line naming the caller the token named; the viewer's refused
    // push wrote none.
    let audit: Vec<(String, String, Value)> = engine
        .storage()
        .audit(&roadbook_server::audit::AuditFilter::program(program))
        .await
        .unwrap()
        .into_iter()
        .filter(|line| line.action != "publish")
        .map(|line| (line.subject, line.action, line.detail["seq"].clone()))
        .collect();
    assert_eq!(
        audit,
        vec![
            ("sam".into(), "rejected".into(), json!(1)),
            ("sam".into(), "applied".into(), json!(2)),
        ]
    );
}

pub(super) async fn concurrent_pushes_refused_as_a_whole_leave_the_others_applied(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let engine = Arc::new(engine);
    let program = handbook.program.id;
    let decision = handbook.decisions[0].id;
    // Twenty pushes at once (applied together in batches): every third skips a number and is
    // refused as a whole, after a good change of its own in the same push.
    let tasks: Vec<_> = (0..20u64)
        .map(|n| {
            let engine = engine.clone();
            tokio::spawn(async move {
                let mut mutations = vec![update(
                    1,
                    Kind::Decision,
                    decision,
                    &[("question", json!(format!("asked by {n}")), cursor)],
                )];
                if n % 3 == 0 {
                    mutations.push(update(
                        3,
                        Kind::Decision,
                        decision,
                        &[("title", json!("never"), cursor)],
                    ));
                }
                let request = PushRequest {
                    client_id: Id::new(),
                    mutations,
                    history: None,
                };
                engine
                    .push(&editor(&format!("p{n}")), program, request)
                    .await
            })
        })
        .collect();
    let mut applied = 0;
    for (n, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(answer) => {
                assert!(n % 3 != 0, "push {n} should have been refused");
                assert!(matches!(answer.results[0].outcome, Outcome::Applied { .. }));
                applied += 1;
            }
            Err(err) => {
                assert!(n % 3 == 0, "push {n}: {err}");
                assert!(
                    matches!(
                        err,
                        EngineError::SequenceGap {
                            expected: 2,
                            got: 3
                        }
                    ),
                    "{err}"
                );
            }
        }
    }
    let log = engine
        .pull(&lead(), program, cursor, 1000, None)
        .await
        .unwrap();
    assert_eq!(
        log.changes.len(),
        applied,
        "exactly the accepted pushes' changes"
    );
    assert!(
        log.changes.iter().all(|c| !c.fields.contains_key("title")),
        "nothing of a refused push"
    );
}
