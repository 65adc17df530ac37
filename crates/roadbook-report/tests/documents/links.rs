//! Dependencies between programs in the documents: the dashboard, the plan's dependency map,
//! the readout and the portfolio say which broke, as they stood at the document's moment, and
//! the archive makes them again byte for byte.

use super::*;
use roadbook_report::{PortfolioFormat, PortfolioRequest, prepare_markdown, prepare_portfolio};

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).unwrap()
}

#[test]
fn documents_say_which_dependencies_between_programs_broke_as_of_their_moment() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("links.db")).unwrap();
    let identity = sample::builder_insights().unwrap();
    let field = Handbook::blank("Field Enablement");
    store.pin_clock(Some(at(1)));
    store.import(&identity, "Test Lead").unwrap();
    store.import(&field, "Test Lead").unwrap();
    let mut milestone = identity.milestones[0].clone();
    milestone.target = Some("2027-01-10".parse().unwrap());
    edit(
        &mut store,
        identity.program.id,
        &identity.milestones[0],
        &milestone,
    );
    store
        .create_value(
            field.program.id,
            roadbook_model::Kind::Dependency,
            serde_json::json!({
                "id": Id::new(),
                "dependent": "Field launch",
                "depends_on": "Identity sign-in live",
                "other_item": {"program_id": identity.program.id, "item_id": milestone.id},
                "needed_by": "2027-01-15",
            }),
            "Test Lead",
        )
        .unwrap();
    // On the 15th the milestone moves past the need-by date.
    store.pin_clock(Some(at(15)));
    let mut later = milestone.clone();
    later.target = Some("2027-01-20".parse().unwrap());
    edit(&mut store, identity.program.id, &milestone, &later);
    store.pin_clock(None);

    let request = |kind, program: &Handbook, day| Request {
        kind,
        program: program.program.id,
        review: None,
        since: None,
        status: None,
        as_of: at(day),
        baseline: None,
    };
    let broke = "its target is 20 Jan 2027";
    // As of the 10th it held; as of the 22nd it is broken, on both programs' documents.
    let before =
        prepare_markdown(&store, &request(DocumentKind::Dashboard, &field, 10), "").unwrap();
    assert!(
        before.contains("## Dependencies between programs") && before.contains("| holds |"),
        "{before}"
    );
    // An issued document goes to the team's archive, which people who cannot see Identity
    // read: it says where the link stands, nothing of Identity.
    let dashboard =
        prepare_markdown(&store, &request(DocumentKind::Dashboard, &field, 22), "").unwrap();
    assert!(
        dashboard.contains("| broken |")
            && dashboard.contains("‘Field launch’ depends on ‘Identity sign-in live’ (an item of another program), needed by 15 Jan 2027: it is dated after that"),
        "{dashboard}"
    );
    for secret in [identity.program.name.as_str(), "Milestone 1", "20 Jan 2027"] {
        assert!(!dashboard.contains(secret), "{secret} in {dashboard}");
    }
    let plan = prepare_markdown(&store, &request(DocumentKind::Plan, &field, 22), "").unwrap();
    assert!(
        plan.contains("| Between programs |") && plan.contains("| broken |"),
        "{plan}"
    );
    let other = prepare_markdown(&store, &request(DocumentKind::Plan, &identity, 22), "").unwrap();
    assert!(
        other.contains("## Other programs that depend on this one") && other.contains(broke),
        "{other}"
    );
    let readout =
        prepare_markdown(&store, &request(DocumentKind::Readout, &identity, 22), "").unwrap();
    assert!(
        readout.contains("## Dependencies between programs that broke"),
        "{readout}"
    );
    // A plan without any keeps its map as it was: no column for it.
    let alone =
        prepare_markdown(&store, &request(DocumentKind::Readout, &identity, 10), "").unwrap();
    assert!(!alone.contains("that broke"), "{alone}");

    // Issued and made again from the archive: the same bytes (the links are in its data).
    let issued = prepare(
        &store,
        &request(DocumentKind::Dashboard, &field, 22),
        "Test Lead",
    )
    .unwrap();
    assert!(issued.snapshot.contains("\"links\""));
    assert!(regenerate(&issued.record, &issued.snapshot).unwrap() == issued.pdf);

    // The portfolio says so, and on the 10th it did not.
    let portfolio = |day| {
        String::from_utf8(
            prepare_portfolio(
                &store,
                &PortfolioRequest {
                    programs: None,
                    as_of: at(day),
                },
                "",
                PortfolioFormat::Markdown,
            )
            .unwrap(),
        )
        .unwrap()
    };
    let now = portfolio(22);
    // The portfolio is the person's own (not archived, not shared): both programs by name.
    assert!(
        now.contains(&format!("of ‘{}’", identity.program.name)),
        "{now}"
    );
    assert!(
        now.contains("1 dependency between programs is broken."),
        "{now}"
    );
    assert!(!portfolio(10).contains("broken dependency"));
}
