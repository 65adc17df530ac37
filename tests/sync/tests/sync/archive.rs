//! The shared archive of issued documents: a readout issued on one replica reaches the team
//! with the data it showed; a teammate renders it again and gets the same bytes; and "since the
//! last readout" on every replica starts at the team's last readout.

use chrono::{Duration, Utc};
use roadbook_model::Decision;
use roadbook_report::{DocumentKind, Request, changes_since, prepare, regenerate};
use roadbook_sync::Replica;
use roadbook_sync_tests::World;

use crate::edit;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issued_readout_reaches_the_team_and_renders_the_same_bytes_there() {
    let world = World::start().await;
    let ann = world.person("ann", &["rb-leads"]);
    let handbook = ann.with_sample();
    let program = handbook.program.id;
    // Issued before the program was shared: it goes to the team with the first sync.
    let request = |kind, as_of| Request {
        kind,
        program,
        review: None,
        since: None,
        status: None,
        as_of,
        baseline: None,
    };
    let first_as_of = Utc::now();
    let memo = ann
        .store
        .with(|s| {
            let issued = prepare(s, &request(DocumentKind::Memo, first_as_of), "Ann Lead")?;
            s.archive_document(&issued.record, &issued.snapshot)?;
            Ok::<_, roadbook_report::ReportError>(issued)
        })
        .unwrap();
    let published = ann.client.publish(&ann.store, program).await.unwrap();
    assert_eq!(published.documents_shared, 1, "{published:?}");

    let ben = world.person("ben", &["rb-editors"]);
    let joined = ben.client.join(&ben.store, program).await.unwrap();
    assert_eq!(joined.documents_received, 1, "{joined:?}");

    // A readout on Ann's side, after a change; Ben gets it with his next sync.
    edit::<Decision>(
        &ann,
        program,
        |d| d.title = "Okta, decided".into(),
        handbook.decisions[0].id,
    );
    // Just after the edit (a document as of a moment to come is refused).
    std::thread::sleep(std::time::Duration::from_millis(5));
    let readout_as_of = Utc::now();
    let readout = ann
        .store
        .with(|s| {
            let issued = prepare(
                s,
                &request(DocumentKind::Readout, readout_as_of),
                "Ann Lead",
            )?;
            s.archive_document(&issued.record, &issued.snapshot)?;
            Ok::<_, roadbook_report::ReportError>(issued)
        })
        .unwrap();
    let shared = ann.client.sync(&ann.store, program).await.unwrap();
    assert_eq!(shared.documents_shared, 1);
    let got = ben.client.sync(&ben.store, program).await.unwrap();
    assert_eq!(got.documents_received, 1, "{got:?}");
    // Again changes nothing: each document once, on both sides.
    let again = ben.client.sync(&ben.store, program).await.unwrap();
    assert_eq!((again.documents_received, again.documents_shared), (0, 0));
    assert_eq!(world.count("documents"), 2);

    // Ben's archive lists who issued what, and renders each again byte for byte.
    let archive = ben.store.with(|s| s.documents(program)).unwrap();
    assert_eq!(archive.len(), 2);
    for (issued, original) in [(&memo, &archive[0]), (&readout, &archive[1])] {
        assert_eq!(original.id, issued.record.id);
        assert_eq!(original.author, "Ann Lead");
        assert_eq!(original.shared_by.as_deref(), Some("ann (name)"));
        let (record, snapshot) = ben
            .store
            .with(|s| s.document_with_snapshot(original.id))
            .unwrap();
        let pdf = regenerate(&record, &snapshot).unwrap();
        assert!(
            pdf == issued.pdf,
            "{} rendered differently on Ben's side",
            record.kind
        );
        assert_eq!(record.pdf_sha256, issued.record.pdf_sha256);
    }

    // Ben's "what changed since the last readout" starts at Ann's readout, not at nothing.
    let window = ben
        .store
        .with(|s| {
            let h = s.load(program)?;
            changes_since(s, &h, None, readout_as_of + Duration::days(1))
        })
        .unwrap();
    assert_eq!(window.last_readout.map(|d| d.id), Some(readout.record.id));

    // A damaged document on the wire is refused with what is wrong, and nothing is stored.
    let (status, body) = world
        .raw(
            reqwest::Method::POST,
            &roadbook_protocol::routes::documents(program),
            Some(&ben.token),
            Some(
                serde_json::to_vec(&serde_json::json!({
                    "id": roadbook_model::Id::new(), "kind": "readout",
                    "issued_at": "2026-11-23T10:00:00Z", "as_of": "2026-11-23T10:00:00Z",
                    "parameters": {}, "snapshot": "not json", "pdf_sha256": "00",
                    "pdf_bytes": 1, "pages": 1, "author": "x"
                }))
                .unwrap(),
            ),
            Some(&roadbook_protocol::PROTOCOL_VERSION.to_string()),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("SHA-256"),
        "{body}"
    );
    assert_eq!(world.count("documents"), 2);
    // A viewer may read the archive but not add to it.
    let vic = world.person("vic", &["rb-viewers"]);
    vic.client.join(&vic.store, program).await.unwrap();
    assert_eq!(vic.store.with(|s| s.documents(program)).unwrap().len(), 2);
}
