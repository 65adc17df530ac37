//! A dependency between two programs in the real webview: broken, it is red on both programs'
//! dashboards, in My items of the milestone's owner and on the dependency map; moved back, it
//! holds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use roadbook_e2e::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_dependency_between_programs_shows_on_both_sides_and_heals() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("links.db");
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    let first = |out: String| out.split_whitespace().next().unwrap().to_owned();
    let identity = first(roadbook(&db, &["init", "--sample"]));
    let field = first(roadbook(&db, &["init", "--name", "Field Enablement"]));
    // The person the app runs as owns Identity's first milestone.
    let me = first(roadbook(
        &db,
        &[
            "owner",
            "add",
            "--program",
            &identity,
            "--name",
            "E2E Lead",
            "--kind",
            "person",
        ],
    ));
    let milestone = first(roadbook(
        &db,
        &["milestone", "list", "--program", &identity],
    ));
    roadbook(
        &db,
        &[
            "milestone",
            "set",
            &milestone,
            "--target",
            "2027-01-20",
            "--owner",
            &me,
        ],
    );
    roadbook(
        &db,
        &[
            "dependency",
            "add",
            "--program",
            &field,
            "--dependent",
            "Field launch",
            "--depends-on",
            "Identity sign-in live",
            "--other-item",
            &milestone,
            "--needed-by",
            "2027-01-15",
        ],
    );

    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    // Identity's dashboard: its milestone is needed by Field Enablement, and that broke.
    let links = text_until(&c, "[data-testid=links]", |t| t.contains("Broken")).await;
    assert!(
        links.contains("‘Field launch’ of ‘Field Enablement’ depends on milestone ‘Milestone 1’, needed by 15 Jan 2027: broken, its target is 20 Jan 2027"),
        "{links}"
    );
    go(&c, "my-items").await;
    let mine = text_until(&c, "main", |t| {
        t.contains("Another program's dependency on it broke")
    })
    .await;
    assert!(mine.contains("Milestone 1"), "{mine}");

    // Field Enablement, opened from the portfolio: its dashboard and its map say so too.
    go(&c, "portfolio").await;
    c.execute(
        "[...document.querySelectorAll('[data-testid=portfolio-row] button')].find((b) => b.textContent === 'Field Enablement').click(); return true;",
        vec![],
    )
    .await
    .unwrap();
    let links = text_until(&c, "[data-testid=links]", |t| t.contains("Field launch")).await;
    assert!(
        links.contains("(milestone ‘Milestone 1’ of ‘Builder Insights operationalization’)"),
        "{links}"
    );
    go(&c, "plan").await;
    css(&c, "[data-testid=dependency-broken]").await;
    settled(&c).await;
    shot(&c, &desktop, "dependency-broken").await;

    // Moved back before the need-by date (by the command line, while the app is open): holds.
    roadbook(
        &db,
        &["milestone", "set", &milestone, "--target", "2027-01-10"],
    );
    go(&c, "dashboard").await;
    text_until(&c, "[data-testid=links]", |t| {
        t.contains("Holds") && !t.contains("Broken")
    })
    .await;
    let edges = c
        .find_all(fantoccini::Locator::Css("[data-testid=dependency-broken]"))
        .await
        .unwrap();
    assert!(edges.is_empty());
}
