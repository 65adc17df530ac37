//! What a sync costs grows with what there is to sync, not with the program: an empty sync of
//! a 10,000-item program reads and asks what one of the sample (117 items) does. Counted, not
//! timed: SQLite's virtual-machine steps on the replica, requests at the server.

use std::sync::Mutex;

use roadbook_harness::{Issuer, ServerProcess, server_env};
use roadbook_model::{Handbook, fixtures, sample};
use roadbook_store::Store;
use roadbook_sync::{Client, HttpTransport, Token};
use roadbook_sync_tests::database;

/// Requests the server has answered, from its metrics.
async fn requests(url: &str) -> u64 {
    roadbook_sync_tests::metrics_text(url)
        .await
        .lines()
        .filter(|l| l.starts_with("roadbook_http_requests_total{") && !l.contains("/metrics"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// The work of one empty sync of `handbook`, published first: SQLite steps, statements and
/// requests, and the heaviest statements.
fn empty_sync(url: &str, token: &str, handbook: &Handbook) -> (roadbook_store::work::Work, u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lead.db");
    let program = handbook.program.id;
    let client = Client::new(HttpTransport::new(url, Token::new(token.to_owned())).unwrap());
    {
        let mut store = Store::open(&path).unwrap();
        store.import(handbook, "Lee").unwrap();
        let replica = Mutex::new(store);
        runtime.block_on(client.publish(&replica, program)).unwrap();
        runtime.block_on(client.sync(&replica, program)).unwrap();
    }
    // A fresh open, as a `roadbook sync` process starts.
    let store = Store::open(&path).unwrap();
    store.count_work();
    roadbook_store::work::reset();
    let before = runtime.block_on(requests(url));
    // What `roadbook sync` and `roadbook sync status` read besides the sync itself.
    assert_eq!(store.resolve_program(None).unwrap(), program);
    store.sync_state(program).unwrap();
    for waiting in [
        store.outbox(Some(program)).unwrap().len(),
        store.conflicts(program).unwrap().len(),
        store.rejected(program).unwrap().len(),
        store.set_aside(program).unwrap().len(),
    ] {
        assert_eq!(waiting, 0);
    }
    let replica = Mutex::new(store);
    let report = runtime.block_on(client.sync(&replica, program)).unwrap();
    assert_eq!((report.pushed, report.pulled), (0, 0), "nothing to do");
    let asked = runtime.block_on(requests(url)) - before;
    (roadbook_store::work::counted(), asked)
}

#[test]
fn an_empty_sync_of_a_large_program_reads_and_asks_what_one_of_a_small_program_does() {
    let issuer = Issuer::start();
    let server = ServerProcess::start(server_env(&database(), &issuer));
    let token = issuer.token("lee", "Lee", &["rb-leads"]);
    let small = sample::builder_insights().unwrap();
    let large = fixtures::generated(10_000, 2026);
    let (small_work, small_asked) = empty_sync(&server.url, &token, &small);
    let (large_work, large_asked) = empty_sync(&server.url, &token, &large);
    assert_eq!(large_asked, small_asked, "the same requests");
    assert!(small_asked <= 4, "a handful of requests: {small_asked}");
    // 85 times the items; a few steps more are an index one level deeper, not a scan.
    assert!(
        large_work.steps <= small_work.steps * 3 / 2 + 200,
        "an empty sync of {} items took {} SQLite steps in {} statements, of {} items {} in {}: {:?}",
        large.item_count(),
        large_work.steps,
        large_work.statements,
        small.item_count(),
        small_work.steps,
        small_work.statements,
        large_work.heaviest
    );
    assert_eq!(large_work.statements, small_work.statements);
}
