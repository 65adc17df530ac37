//! The Portfolio screen in the real webview: every program at a glance with what slipped, the
//! programs chosen and kept, the Portfolio Readout previewed and saved, a program opened from
//! its row.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use roadbook_e2e::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_portfolio_shows_each_program_keeps_the_choice_and_writes_the_readout() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portfolio.db");
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    roadbook(&db, &["init", "--sample"]);
    roadbook(&db, &["init", "--name", "Platform Data"]);
    let sample = roadbook(&db, &["programs"])
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    // The sample's first milestone dated, a readout issued (the baseline), then moved 14 days.
    let milestone = roadbook(&db, &["milestone", "list", "--program", &sample])
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    roadbook(
        &db,
        &["milestone", "set", &milestone, "--target", "2027-01-15"],
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let readout = dir.path().join("readout.pdf");
    roadbook(
        &db,
        &[
            "report",
            "readout",
            "--program",
            &sample,
            "--out",
            readout.to_str().unwrap(),
        ],
    );
    std::thread::sleep(std::time::Duration::from_millis(20));
    roadbook(
        &db,
        &["milestone", "set", &milestone, "--target", "2027-01-29"],
    );

    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    go(&c, "portfolio").await;
    let summary = text_until(&c, "[data-testid=portfolio-summary]", |t| {
        t.starts_with("2 programs")
    })
    .await;
    assert!(
        summary.contains("1 off track and 1 not assessed")
            && summary.contains("1 date moved later"),
        "{summary}"
    );
    let table = text_until(&c, "[data-testid=portfolio]", |t| {
        t.contains("Platform Data")
    })
    .await;
    assert!(table.contains("Off track"), "{table}");
    assert!(table.contains("1 later, up to +14 days"), "{table}");
    assert!(table.contains("Milestone 1"), "{table}");
    assert!(table.contains("Not assessed"), "{table}");
    settled(&c).await;
    shot(&c, &desktop, "portfolio").await;

    // Only the sample; then every program again.
    click(&c, "[data-testid=portfolio-choose]").await;
    c.execute(
        "const boxes = document.querySelectorAll('[data-testid=portfolio-choice] input'); boxes[1].click(); return boxes.length;",
        vec![],
    )
    .await
    .unwrap();
    click(&c, "[data-testid=portfolio-choice] button").await;
    text_until(&c, "[data-testid=portfolio]", |t| {
        !t.contains("Platform Data")
    })
    .await;
    let said = roadbook(&db, &["portfolio"]);
    assert!(
        said.contains(": 1 program") && !said.contains("Platform Data"),
        "{said}"
    );
    click(&c, "[data-testid=portfolio-choose]").await;
    c.execute(
        "[...document.querySelectorAll('[data-testid=portfolio-choice] button')].find((b) => b.textContent === 'Every program').click(); return true;",
        vec![],
    )
    .await
    .unwrap();
    text_until(&c, "[data-testid=portfolio]", |t| {
        t.contains("Platform Data")
    })
    .await;

    // The readout: its pages drawn here, then saved into the documents folder.
    click(&c, "[data-testid=portfolio-preview]").await;
    eventually(
        "the Portfolio Readout's pages",
        std::time::Duration::from_secs(10),
        async || {
            let drawn = c
                .execute(
                    "return document.querySelectorAll('[data-testid=portfolio-pages] canvas').length;",
                    vec![],
                )
                .await
                .unwrap()
                .as_u64()
                .unwrap_or(0);
            if drawn >= 3 {
                Ok(())
            } else {
                Err(format!("{drawn} pages drawn"))
            }
        },
    )
    .await;
    click(&c, "[data-testid=portfolio-save]").await;
    text_until(&c, "[data-testid=notice]", |t| {
        t.contains("Saved the Portfolio Readout as portfolio-readout-")
    })
    .await;
    let saved: Vec<_> = std::fs::read_dir(&documents)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("portfolio-readout-")
        })
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert!(std::fs::read(&saved[0]).unwrap().starts_with(b"%PDF-"));

    // A program's name opens it.
    c.execute(
        "[...document.querySelectorAll('[data-testid=portfolio-row] button')].find((b) => b.textContent === 'Platform Data').click(); return true;",
        vec![],
    )
    .await
    .unwrap();
    text_until(&c, "[data-testid=program-name]", |t| t == "Platform Data").await;
    text_until(&c, "[data-testid=nav-dashboard][aria-current=page]", |t| {
        t == "Dashboard"
    })
    .await;
}
