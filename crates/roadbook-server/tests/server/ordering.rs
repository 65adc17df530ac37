//! Log positions commit in order: a puller reading "after my cursor" never skips a change that
//! commits later, even with many pushers whose commits are slowed by varying delays.

use std::sync::Arc;
use std::time::Duration;

use roadbook_model::{Id, Kind};
use roadbook_server::engine::{Engine, system_clock};
use roadbook_server::live::Live;
use roadbook_server::storage::Storage;
use roadbook_server::storage::postgres::PgStorage;
use serde_json::json;

use super::{editor, lead, pg_url, publish_request, push_one, update};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_puller_misses_nothing_while_concurrent_pushers_commit_with_delays() {
    let storage: Arc<dyn Storage> = Arc::new(
        PgStorage::connect(&pg_url(), 32)
            .await
            .unwrap()
            .with_commit_delay(Duration::from_millis(15)),
    );
    let engine = Arc::new(Engine::new(storage, Arc::new(Live::new()), system_clock()));
    let handbook = roadbook_model::sample::builder_insights().unwrap();
    let program = handbook.program.id;
    let published = engine
        .publish(&lead(), publish_request(&handbook, Id::new()))
        .await
        .unwrap()
        .cursor;
    let (pushers, pushes) = (8u64, 12u64);
    let decisions: Vec<Id> = handbook.decisions.iter().map(|d| d.id).collect();

    let puller = {
        let engine = engine.clone();
        tokio::spawn(async move {
            let mut cursor = published;
            let mut seen = Vec::new();
            while cursor < published + pushers * pushes {
                let page = engine
                    .pull(&lead(), program, cursor, 50, None)
                    .await
                    .unwrap();
                for change in &page.changes {
                    // Contiguous from the cursor: a change that committed after a later one
                    // would show here as a gap and be skipped for ever.
                    assert_eq!(
                        change.version,
                        cursor + 1,
                        "skipped a change after {cursor}"
                    );
                    cursor = change.version;
                    seen.push(change.version);
                }
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
            seen
        })
    };
    let mut tasks = Vec::new();
    for p in 0..pushers {
        let engine = engine.clone();
        let item = decisions[p as usize % decisions.len()];
        tasks.push(tokio::spawn(async move {
            let client = Id::new();
            for n in 1..=pushes {
                let title = json!(format!("pusher {p}, change {n}"));
                push_one(
                    &engine,
                    &editor(&format!("pusher{p}")),
                    program,
                    client,
                    update(n, Kind::Decision, item, &[("title", title, 0)]),
                )
                .await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let seen = tokio::time::timeout(Duration::from_secs(60), puller)
        .await
        .expect("the puller caught up")
        .unwrap();
    assert_eq!(seen.len() as u64, pushers * pushes);
}
