//! `roadbook portfolio` and `roadbook report portfolio`: every program of the database (or
//! the ones chosen) at a glance, and the Portfolio Readout in each form.

use super::*;

#[test]
fn the_portfolio_lists_each_program_and_writes_the_readout_in_every_form() {
    let (dir, db) = sample_db();
    let sample = ok(&db, &["programs"])
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let second = ok(&db, &["init", "--name", "Second program"])
        .trim()
        .to_owned();
    // A moment after both were made (a document cannot speak for one to come).
    std::thread::sleep(std::time::Duration::from_millis(1100));

    let said = ok(&db, &["portfolio"]);
    assert!(said.contains(": 2 programs"), "{said}");
    assert!(
        said.contains(
            "Builder Insights operationalization  Off track: Readiness gating is blocked"
        ),
        "{said}"
    );
    assert!(said.contains("Second program  Not assessed"), "{said}");
    assert!(said.contains("Dates moved: no baseline yet"), "{said}");
    let rows: Value = serde_json::from_str(&ok(&db, &["portfolio", "--json"])).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["health"]["health"], "off_track");
    assert_eq!(rows[0]["decisions_needed"].as_array().unwrap().len(), 4);
    assert_eq!(rows[1]["program"], second.as_str());

    for (file, what) in [("p.pdf", "PDF"), ("p.html", "HTML"), ("p.md", "Markdown")] {
        let out = dir.path().join(file);
        let said = ok(
            &db,
            &["report", "portfolio", "--out", out.to_str().unwrap()],
        );
        assert!(said.contains(&format!(": {what}, ")), "{said}");
        assert!(said.contains("not archived"), "{said}");
        assert!(std::fs::metadata(&out).unwrap().len() > 1000);
    }
    let deck = dir.path().join("deck.pdf");
    let said = ok(
        &db,
        &[
            "report",
            "portfolio",
            "--format",
            "deck",
            "--out",
            deck.to_str().unwrap(),
        ],
    );
    assert!(said.contains("slides (16:9)"), "{said}");
    // Nothing archived: the documents of each program are as they were.
    assert!(
        ok(&db, &["documents", "--program", &sample, "--json"]).trim() == "[]",
        "a portfolio is not archived"
    );
    let md = std::fs::read_to_string(dir.path().join("p.md")).unwrap();
    assert!(md.contains("| **Second program** | Not assessed |"), "{md}");

    // The same moment makes the same bytes.
    let as_of = said
        .rsplit("--as-of ")
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let again = dir.path().join("again.pdf");
    let first = dir.path().join("first.pdf");
    for out in [&first, &again] {
        ok(
            &db,
            &[
                "report",
                "portfolio",
                "--as-of",
                &as_of,
                "--out",
                out.to_str().unwrap(),
            ],
        );
    }
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&again).unwrap()
    );

    // Only the programs named, in their order; then a saved choice is the default.
    let one = dir.path().join("one.md");
    ok(
        &db,
        &[
            "report",
            "portfolio",
            "--program",
            &second,
            "--out",
            one.to_str().unwrap(),
        ],
    );
    let md = std::fs::read_to_string(&one).unwrap();
    assert!(
        md.contains("**1 program**") && !md.contains("Builder Insights"),
        "{md}"
    );
    let chose = ok(&db, &["portfolio", "choose", &second]);
    assert!(
        chose.contains("the portfolio shows Second program"),
        "{chose}"
    );
    let said = ok(&db, &["portfolio"]);
    assert!(
        said.contains(": 1 program") && !said.contains("Builder"),
        "{said}"
    );
    let chose = ok(&db, &["portfolio", "choose", "--all"]);
    assert!(chose.contains("every program here"), "{chose}");
}

#[test]
fn what_a_portfolio_cannot_show_is_refused_and_changes_nothing() {
    let (dir, db) = sample_db();
    let out = dir.path().join("p.pdf");
    let out = out.to_str().unwrap();
    let refused = fails(
        &db,
        &[
            "report",
            "portfolio",
            "--review",
            &Id::new().to_string(),
            "--out",
            out,
        ],
    );
    assert!(
        refused.contains("--review is for a document of one program"),
        "{refused}"
    );
    let refused = fails(
        &db,
        &["report", "portfolio", "--baseline", "none", "--out", out],
    );
    assert!(refused.contains("--baseline"), "{refused}");
    let unknown = Id::new().to_string();
    let refused = fails(
        &db,
        &["report", "portfolio", "--program", &unknown, "--out", out],
    );
    assert!(refused.contains("no item with id"), "{refused}");
    let two = [Id::new().to_string(), Id::new().to_string()];
    let refused = fails(
        &db,
        &[
            "report",
            "readout",
            "--program",
            &two[0],
            "--program",
            &two[1],
            "--out",
            out,
        ],
    );
    assert!(refused.contains("about one program"), "{refused}");
    let refused = fails(&db, &["portfolio", "choose", &unknown]);
    assert!(refused.contains("no item with id"), "{refused}");
    let refused = fails(&db, &["portfolio", "--as-of", "2999-01-01"]);
    assert!(refused.contains("has not come yet"), "{refused}");
    assert!(!Path::new(out).exists(), "nothing written");
    let said = ok(&db, &["portfolio"]);
    assert!(
        said.contains(": 1 program"),
        "the choice is still all: {said}"
    );
}
