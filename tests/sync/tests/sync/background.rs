//! The background sync the desktop runs: a teammate's change arrives live, a local change goes
//! out after a wake, and after an outage the loop comes back by itself and pushes what waited.

use std::time::Duration;

use roadbook_harness::Proxy;
use roadbook_model::Decision;
use roadbook_sync::{Background, Replica, SyncPhase, SyncStatus, Timing};
use roadbook_sync_tests::{Person, World};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::edit;

/// The next status that satisfies `wanted`; fails the test (with the last status heard) if none
/// comes in `limit`, a bound for a stuck loop, not a speed goal.
async fn until(
    heard: &mut UnboundedReceiver<SyncStatus>,
    limit: Duration,
    wanted: impl Fn(&SyncStatus) -> bool,
) -> SyncStatus {
    let mut last = None;
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, heard.recv()).await {
            Ok(Some(status)) if wanted(&status) => return status,
            Ok(Some(status)) => last = Some(status),
            Ok(None) | Err(_) => panic!("no such status within {limit:?}; last heard {last:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_sync_is_live_and_comes_back_after_an_outage() {
    let world = World::start().await;
    let ann = world.person("ann", &["rb-leads"]);
    let handbook = ann.with_sample();
    let program = handbook.program.id;
    ann.client.publish(&ann.store, program).await.unwrap();

    // Ben reaches the server through a link the test can cut.
    let proxy = Proxy::start(&world.url);
    let token = world.issuer.token("ben", "ben (name)", &["rb-editors"]);
    let ben = Person::new("ben", &proxy.url, token.clone());
    ben.client.join(&ben.store, program).await.unwrap();
    let (tell, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let background = Background::spawn(
        Person::new("ben", &proxy.url, token)
            .client
            .with_retry(roadbook_sync::Retry {
                first: Duration::from_millis(50),
                most: Duration::from_millis(200),
                give_up_after: Some(Duration::from_millis(300)),
            }),
        ben.store.clone(),
        program,
        Timing {
            debounce: Duration::from_millis(50),
            every: Duration::from_secs(60),
            first_retry: Duration::from_millis(200),
            most: Duration::from_secs(1),
        },
        move |status| {
            let _ = tell.send(status);
        },
    );
    until(&mut heard, Duration::from_secs(10), |s| {
        s.phase == SyncPhase::Synced
    })
    .await;

    // Ann's change reaches Ben without anyone asking: through the long poll, not the timer.
    let decision = handbook.decisions[0].id;
    edit::<Decision>(
        &ann,
        program,
        |d| d.title = "Okta, decided live".into(),
        decision,
    );
    ann.client.sync(&ann.store, program).await.unwrap();
    let status = until(&mut heard, Duration::from_secs(10), |s| {
        s.phase == SyncPhase::Synced && s.changed
    })
    .await;
    assert_eq!(status.pending, 0);
    assert_eq!(ben.load(program).decisions[0].title, "Okta, decided live");

    // Ben's network goes. His edit waits, the status says offline and when it tries again.
    proxy.cut();
    edit::<Decision>(
        &ben,
        program,
        |d| d.question = "Offline question".into(),
        decision,
    );
    background.wake();
    let offline = until(&mut heard, Duration::from_secs(10), |s| {
        s.phase == SyncPhase::Offline
    })
    .await;
    assert_eq!(offline.pending, 1, "{offline:?}");
    assert!(
        offline.retry_in.is_some() && offline.message.is_some(),
        "{offline:?}"
    );
    // The loop keeps trying: another attempt, and it fails again while the link is down.
    until(&mut heard, Duration::from_secs(10), |s| {
        s.phase == SyncPhase::Syncing
    })
    .await;
    until(&mut heard, Duration::from_secs(10), |s| {
        s.phase == SyncPhase::Offline
    })
    .await;

    // The network is back: with no wake, the loop's next try gets through and pushes.
    proxy.mend();
    let back = until(&mut heard, Duration::from_secs(15), |s| {
        s.phase == SyncPhase::Synced
    })
    .await;
    assert_eq!(
        (back.pending, back.conflicts, back.rejected),
        (0, 0, 0),
        "{back:?}"
    );
    ann.client.sync(&ann.store, program).await.unwrap();
    assert_eq!(ann.load(program).decisions[0].question, "Offline question");
    assert_eq!(ann.export(program), ben.export(program));
    assert!(background.is_running());
    // Nothing of Ben's is left waiting in his database.
    assert!(
        ben.store
            .with(|s| s.outbox(Some(program)))
            .unwrap()
            .is_empty()
    );
}
