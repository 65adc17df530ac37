//! A portfolio on a deployed server: three programs in two org units, `roadbook join --all`
//! takes exactly the ones a person may see, and the Portfolio Readout over them says what each
//! program's own readout says, as of an earlier moment byte for byte.

use std::time::Duration;

use roadbook_harness::{Issuer, ServerProcess, server_env};
use roadbook_sync_tests::{database, operator};

use super::person::{Person, rows_under};
use serde_json::Value;

/// The names of the programs in a portfolio's JSON.
fn names(glances: &Value) -> Vec<String> {
    glances
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_portfolio_holds_exactly_the_programs_a_person_may_see_and_each_reads_as_its_readout() {
    let issuer = Issuer::start();
    let env = server_env(&database(), &issuer);
    let server = ServerProcess::start(env.clone());
    let dir = tempfile::tempdir().unwrap();
    let url = server.url.as_str();

    // Two leads, one per org unit; a viewer in Platform; an editor in no unit's roster.
    let lee = Person::new(dir.path(), &issuer, "lee", "Lee Lead", &["rb-leads"]);
    let sue = Person::new(dir.path(), &issuer, "sue", "Sue Sales", &["rb-leads"]);
    let vic = Person::new(dir.path(), &issuer, "vic", "Vic Viewer", &["rb-viewers"]);
    let out = Person::new(dir.path(), &issuer, "oz", "Oz Outside", &["rb-editors"]);

    let identity = lee.ok(&["init", "--sample"]).trim().to_owned();
    let data = lee
        .ok(&["init", "--name", "Platform Data"])
        .trim()
        .to_owned();
    let field = sue
        .ok(&["init", "--name", "Field Enablement"])
        .trim()
        .to_owned();
    for program in [&identity, &data] {
        lee.ok(&["publish", "--server", url, "--program", program]);
    }
    sue.ok(&["publish", "--server", url, "--program", &field]);

    let roster = dir.path().join("roster.csv");
    std::fs::write(
        &roster,
        "Person,Email,Team,Org unit,Manager\n\
         Lee Lead,lee@example.test,Identity,Platform,Ada\n\
         Vic Viewer,vic@example.test,Office,Platform,Ada\n\
         Sue Sales,sue@example.test,Field,Sales,Bo\n",
    )
    .unwrap();
    operator(
        &env,
        &["roster", "import", roster.to_str().unwrap(), "--by", "Ops"],
    );
    for (program, unit) in [
        (&identity, "Platform"),
        (&data, "Platform"),
        (&field, "Sales"),
    ] {
        operator(&env, &["scope", program, "--org-unit", unit, "--by", "Ops"]);
    }

    // Vic takes every program Vic may see: the two of Platform, not Sales'.
    let joined = vic.ok(&["join", "--all", "--server", url]);
    assert!(
        joined.contains("joined 'Builder Insights operationalization' (you: viewer)")
            && joined.contains("joined 'Platform Data' (you: viewer)")
            && !joined.contains("Field Enablement"),
        "{joined}"
    );
    // Again: nothing new, each said to be here already.
    let again = vic.ok(&["join", "--all", "--server", url]);
    assert_eq!(again.matches("is here already").count(), 2, "{again}");
    // Sue sees Sales' program only; someone in no roster sees none of the scoped ones.
    let sue_db_programs = |p: &Person| names(&p.json(&["portfolio", "--json"]));
    sue.ok(&["join", "--all", "--server", url]);
    assert_eq!(sue_db_programs(&sue), ["Field Enablement"]);
    let said = out.ok(&["join", "--all", "--server", url]);
    assert!(said.contains("no program you may see"), "{said}");

    // Vic's portfolio: exactly those two, each figure what that program's readout says.
    std::thread::sleep(Duration::from_millis(1100));
    let glances = vic.json(&["portfolio", "--json"]);
    assert_eq!(
        names(&glances),
        ["Builder Insights operationalization", "Platform Data"]
    );
    for g in glances.as_array().unwrap() {
        let program = g["program"].as_str().unwrap();
        let md = dir.path().join(format!("{program}.md"));
        vic.ok(&[
            "report",
            "readout",
            "--program",
            program,
            "--out",
            md.to_str().unwrap(),
        ]);
        let readout = std::fs::read_to_string(&md).unwrap();
        let needed = rows_under(&readout, "Decisions needed");
        let asks = g["decisions_needed"].as_array().unwrap();
        assert_eq!(needed.len(), asks.len(), "{program}");
        for (row, ask) in needed.iter().zip(asks) {
            let title = ask["title"].as_str().unwrap();
            assert!(row.starts_with(&format!("| **{title}**")), "{row}");
        }
        let risks = rows_under(&readout, "Top risks");
        for (row, risk) in risks.iter().zip(g["top_risks"].as_array().unwrap()) {
            let statement = risk["statement"].as_str().unwrap();
            assert!(row.starts_with(&format!("| **{statement}**")), "{row}");
        }
    }

    // The portfolio now; then Lee moves a milestone and makes a decision, Vic syncs both.
    let before = vic.ok(&["portfolio", "--json"]);
    let then = dir.path().join("then.pdf");
    let made = vic.ok(&["report", "portfolio", "--out", then.to_str().unwrap()]);
    let as_of = made
        .rsplit("--as-of ")
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    std::thread::sleep(Duration::from_millis(50));
    let milestone = lee.ok(&["milestone", "list", "--program", &identity]);
    let milestone = milestone.split_whitespace().next().unwrap();
    lee.ok(&["milestone", "set", milestone, "--target", "2027-03-01"]);
    lee.ok(&["sync", "--program", &identity]);
    for program in [&identity, &data] {
        vic.ok(&["sync", "--program", program]);
    }
    let now = vic.json(&["portfolio", "--json"]);
    assert_eq!(
        now[0]["next_milestone"]["target"], "2027-03-01",
        "Vic sees the milestone moved"
    );
    assert_ne!(serde_json::to_string_pretty(&now).unwrap() + "\n", before);

    // As of the earlier moment, across both programs: the same document, byte for byte.
    let again = dir.path().join("again.pdf");
    vic.ok(&[
        "report",
        "portfolio",
        "--as-of",
        &as_of,
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(
        std::fs::read(&then).unwrap() == std::fs::read(&again).unwrap(),
        "the portfolio as of {as_of} changed"
    );
}
