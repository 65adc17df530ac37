//! What a lead hit the week before a steering review, each shown fixed in the real webview:
//! undo and redo that take back exactly one named action across screens, and an exit criterion
//! that is never shown met when its save was refused.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use fantoccini::key::Key;
use roadbook_e2e::*;
use serde_json::Value;

const SECONDS_5: std::time::Duration = std::time::Duration::from_secs(5);
const SECONDS_10: std::time::Duration = std::time::Duration::from_secs(10);

mod files;
mod forms;
mod live;
mod plan;

/// A database holding the sample program, in a folder of its own with the folder documents go
/// to (the folder goes when the first value is dropped).
fn sample(name: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(format!("{name}.db"));
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    roadbook(&db, &["init", "--sample"]);
    (dir, db, documents)
}

fn export(db: &std::path::Path) -> Value {
    serde_json::from_str(&roadbook(db, &["export"])).unwrap()
}

/// Waits for the banner to say `text`; returns what it says.
async fn notice(c: &Client, text: &str) -> String {
    text_until(c, "[data-testid=notice]", |t| t.contains(text)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn undo_and_redo_take_back_exactly_the_named_action_across_screens() {
    let (_dir, db, documents) = sample("undo");
    let before = export(&db);
    let statement = "No actual owners are present";
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;

    // Delete a risk: no question asked, the banner offers Undo.
    go(&c, "risks").await;
    css(&c, "[data-testid=search]")
        .await
        .send_keys(statement)
        .await
        .unwrap();
    click(&c, "[data-testid=row]").await;
    click(&c, "[data-testid=delete]").await;
    notice(&c, &format!("Delete risk '{statement}': done.")).await;
    css(&c, "[data-testid=notice-undo]").await;
    // The notice sits in the side bar: nothing on the screen moved for it.
    let in_bar = c
        .execute(
            "return document.querySelector('nav [data-testid=notice]') !== null;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(in_bar, json!(true));

    // On another screen, record a review's outcome: several saves, one action. The notice
    // stayed on the screen it was said on.
    go(&c, "reviews").await;
    let gone = c
        .execute(
            "return document.querySelector('[data-testid=notice]') === null;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(gone, json!(true), "the notice followed the person");
    click(&c, "[data-testid=start-recording]").await;
    css(&c, "[data-testid=outcome-summary]")
        .await
        .send_keys("Held; the identity decision moves to the next review.")
        .await
        .unwrap();
    click(&c, "[data-testid=record-outcome]").await;
    notice(&c, "Outcome recorded").await;
    let recorded = export(&db);
    let review = &recorded["reviews"][0];
    assert!(
        review["outcome"].as_str().unwrap().starts_with("Held;"),
        "{review}"
    );
    assert!(!review["held_on"].is_null(), "{review}");
    assert_ne!(review["status_id"], before["reviews"][0]["status_id"]);

    // Undo: the outcome goes, fields and status as they were; the risk stays deleted.
    press(&c, &[Key::Control], 'z').await;
    notice(
        &c,
        "Undone: record the outcome of review 'Operationalization review'.",
    )
    .await;
    let once = export(&db);
    assert_eq!(once["reviews"], before["reviews"]);
    assert_eq!(once["decisions"], before["decisions"]);
    assert_eq!(
        once["risks"].as_array().unwrap().len(),
        before["risks"].as_array().unwrap().len() - 1
    );

    // Undo again: the risk is back, whole and in its place.
    press(&c, &[Key::Control], 'z').await;
    notice(&c, &format!("Undone: delete risk '{statement}'.")).await;
    assert_eq!(export(&db), before, "not the program as it was");

    // Redo once: the delete again, nothing else.
    press(&c, &[Key::Control, Key::Shift], 'z').await;
    notice(&c, &format!("Redone: delete risk '{statement}'.")).await;
    let mut expected = before.clone();
    expected["risks"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["statement"] != statement);
    assert_eq!(export(&db), expected);
    // The undo hint names what Ctrl+Z would take back now.
    let hint = css(&c, "[data-testid=undo-hint]").await;
    assert_eq!(
        hint.attr("title").await.unwrap().as_deref(),
        Some(&*format!("Undo: delete risk '{statement}'"))
    );
    shot(&c, &desktop, "undo-redo").await;
    c.close().await.unwrap();
}
