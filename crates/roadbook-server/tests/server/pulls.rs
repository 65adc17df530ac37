//! Pulls: pages, a compacted log answered with the program, long polls that answer when the
//! log moves and a bounded number of waits per person.

use super::*;

both!(
    pulls_come_in_pages_and_a_compacted_log_answers_with_the_program,
    a_long_poll_answers_when_the_log_moves,
    one_person_holds_a_bounded_number_of_waits_and_others_still_wait,
);

pub(super) async fn pulls_come_in_pages_and_a_compacted_log_answers_with_the_program(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let program = handbook.program.id;
    let mut pulled = Vec::new();
    let mut at = 0;
    loop {
        let page = engine.pull(&lead(), program, at, 7, None).await.unwrap();
        assert!(page.changes.len() <= 7);
        assert!(
            page.changes
                .iter()
                .zip(at + 1..)
                .all(|(c, v)| c.version == v),
            "contiguous from the cursor"
        );
        pulled.extend(page.changes);
        at = page.cursor;
        if !page.more {
            break;
        }
    }
    assert_eq!(pulled.len() as u64, cursor);
    engine.storage().compact(program, cursor - 2).await.unwrap();
    let stale = engine.pull(&lead(), program, 0, 100, None).await.unwrap();
    assert_eq!(stale.snapshot.map(|s| s.len()), Some(handbook.item_count()));
    assert_eq!(stale.cursor, cursor);
    let recent = engine
        .pull(&lead(), program, cursor - 2, 100, None)
        .await
        .unwrap();
    assert_eq!((recent.snapshot, recent.changes.len()), (None, 2));
}

pub(super) async fn a_long_poll_answers_when_the_log_moves(storage: Arc<dyn Storage>) {
    let (engine, handbook, cursor) = published(storage).await;
    let engine = Arc::new(engine);
    let program = handbook.program.id;
    let quiet = engine
        .events(&lead(), program, cursor, None, None)
        .await
        .unwrap();
    assert_eq!(quiet.head, cursor, "nothing changed: the wait runs out");
    let waiting = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.events(&lead(), program, cursor, None, None).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    push_one(
        &engine,
        &editor("sam"),
        program,
        Id::new(),
        update(
            1,
            Kind::Decision,
            handbook.decisions[0].id,
            &[("title", json!("woken"), cursor)],
        ),
    )
    .await;
    let woke = waiting.await.unwrap().unwrap();
    assert_eq!(woke.head, cursor + 1);

    // A document shared to the archive wakes a listener that asked about the archive too, and
    // is kept once however often it is shared.
    let waiting = {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .events(&lead(), program, cursor + 1, Some(0), None)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let document = roadbook_protocol::ArchivedDocument {
        id: Id::new(),
        kind: "readout".into(),
        issued_at: "2026-11-23T10:00:00.000Z".into(),
        as_of: "2026-11-23T10:00:00.000Z".into(),
        parameters: json!({"since": null}),
        snapshot: r#"{"handbook": {}, "parameters": {}}"#.into(),
        pdf_sha256: "ab".repeat(32),
        pdf_bytes: 1000,
        pages: 2,
        author: "Sam Lead".into(),
        shared_by: Some("forged by the client".into()),
    };
    assert!(
        engine
            .share_document(&editor("sam"), program, document.clone())
            .await
            .unwrap()
    );
    assert!(
        !engine
            .share_document(&editor("sam"), program, document.clone())
            .await
            .unwrap()
    );
    let woke = waiting.await.unwrap().unwrap();
    assert_eq!((woke.head, woke.documents), (cursor + 1, 1));
    let page = engine.documents(&lead(), program, 0).await.unwrap();
    assert_eq!(page.documents.len(), 1);
    assert_eq!(
        page.documents[0].shared_by.as_deref(),
        Some("sam (name)"),
        "the server names who shared it"
    );
    assert_eq!(page.documents[0].snapshot, document.snapshot);
    assert!(
        engine
            .documents(&lead(), program, page.cursor)
            .await
            .unwrap()
            .documents
            .is_empty()
    );
    let viewer = caller("vic", Some(Role::Viewer));
    let mut other = document;
    other.id = Id::new();
    assert!(matches!(
        engine.share_document(&viewer, program, other).await,
        Err(EngineError::Forbidden(_))
    ));
}

pub(super) async fn one_person_holds_a_bounded_number_of_waits_and_others_still_wait(
    storage: Arc<dyn Storage>,
) {
    let (engine, handbook, cursor) = published(storage).await;
    let engine = Arc::new(engine);
    let program = handbook.program.id;
    let most = roadbook_server::engine::MOST_WAITING;
    let waits: Vec<_> = (0..most)
        .map(|_| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.events(&lead(), program, cursor, None, None).await })
        })
        .collect();
    // Every wait is counted before the next one is asked for.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = engine.events(&lead(), program, cursor, None, None).await;
    assert!(
        matches!(refused, Err(EngineError::TooMany { .. })),
        "one more wait is refused: {refused:?}"
    );
    // Another person is not held up by the first one's waits.
    let others = {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .events(&editor("sam"), program, cursor, None, None)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    push_one(
        &engine,
        &editor("sam"),
        program,
        Id::new(),
        update(
            1,
            Kind::Decision,
            handbook.decisions[0].id,
            &[("title", json!("woken"), cursor)],
        ),
    )
    .await;
    assert_eq!(others.await.unwrap().unwrap().head, cursor + 1);
    for wait in waits {
        assert_eq!(wait.await.unwrap().unwrap().head, cursor + 1);
    }
    // The waits that ended are no longer counted.
    let again = engine
        .events(&lead(), program, cursor, None, None)
        .await
        .unwrap();
    assert_eq!(again.head, cursor + 1);
}
