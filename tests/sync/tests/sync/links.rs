//! A dependency between programs on a deployed server: it breaks when the milestone it names
//! moves past its need-by date and heals when it moves back, flagged on both programs (in the
//! check and in My items); a person who cannot see the other program learns that the link
//! exists and where it stands, never that program's content; and a push naming an item of a
//! program the person cannot see is refused as if it were not there.

use std::path::Path;

use roadbook_harness::{Issuer, ServerProcess, server_env};
use roadbook_model::{Id, Kind, LinkState, OrderKey};
use roadbook_protocol::{Mutation, Operation, Outcome, PushRequest};
use roadbook_sync::{HttpTransport, Token, Transport};
use roadbook_sync_tests::{database, operator};

use super::person::Person;
use serde_json::json;

#[test]
fn a_dependency_between_programs_breaks_and_heals_on_both_sides_and_hides_what_one_cannot_see() {
    let issuer = Issuer::start();
    let env = server_env(&database(), &issuer);
    let server = ServerProcess::start(env.clone());
    let dir = tempfile::tempdir().unwrap();
    let url = server.url.as_str();

    // Lee leads Identity (scoped to Platform); Sue leads Field Enablement (open to every lead).
    let lee = Person::new(dir.path(), &issuer, "lee", "Lee Lead", &["rb-leads"]);
    let sue = Person::new(dir.path(), &issuer, "sue", "Sue Sales", &["rb-leads"]);
    let identity = lee.ok(&["init", "--sample"]).trim().to_owned();
    lee.ok(&["publish", "--server", url, "--program", &identity]);
    let field = sue
        .ok(&["init", "--name", "Field Enablement"])
        .trim()
        .to_owned();
    sue.ok(&["publish", "--server", url, "--program", &field]);
    let roster = dir.path().join("roster.csv");
    std::fs::write(
        &roster,
        "Person,Email,Team,Org unit,Manager\n\
         Lee Lead,lee@example.test,Identity,Platform,Ada\n\
         Sue Sales,sue@example.test,Field,Sales,Bo\n",
    )
    .unwrap();
    operator(
        &env,
        &["roster", "import", roster.to_str().unwrap(), "--by", "Ops"],
    );
    operator(
        &env,
        &["scope", &identity, "--org-unit", "Platform", "--by", "Ops"],
    );

    // Lee sees both: he joins Field Enablement and names Identity's first milestone, owned by
    // him, as what its launch needs by 15 January.
    lee.ok(&["join", "--server", url, &field]);
    let milestone = lee.first(&["milestone", "list", "--program", &identity]);
    let lee_owner = lee.ok(&[
        "owner",
        "add",
        "--program",
        &identity,
        "--name",
        "Lee Lead",
        "--kind",
        "person",
    ]);
    lee.ok(&[
        "milestone",
        "set",
        &milestone,
        "--target",
        "2027-01-10",
        "--owner",
        lee_owner.trim(),
    ]);
    lee.ok(&["sync", "--program", &identity]);
    let sue_owner = lee.ok(&[
        "owner",
        "add",
        "--program",
        &field,
        "--name",
        "Sue Sales",
        "--kind",
        "person",
    ]);
    let dependency = lee
        .ok(&[
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
            "--owner",
            sue_owner.trim(),
        ])
        .trim()
        .to_owned();
    lee.ok(&["sync", "--program", &field]);
    sue.ok(&["sync", "--program", &field]);
    let clean = sue.ok(&["check", "--program", &field]);
    assert!(!clean.contains("Field launch"), "it holds: {clean}");

    // The milestone moves past the need-by date: broken on both sides.
    lee.ok(&["milestone", "set", &milestone, "--target", "2027-01-20"]);
    lee.ok(&["sync", "--program", &identity]);
    sue.ok(&["sync", "--program", &field]);
    let lee_sees = lee.ok(&["check", "--program", &identity]);
    assert!(
        lee_sees.contains("‘Field launch’ of ‘Field Enablement’ depends on milestone ‘Milestone 1’, needed by 15 Jan 2027: broken, its target is 20 Jan 2027"),
        "{lee_sees}"
    );
    let lee_sees_field = lee.ok(&["check", "--program", &field]);
    assert!(
        lee_sees_field.contains("broken, its target is 20 Jan 2027"),
        "{lee_sees_field}"
    );
    // Sue cannot see Identity: the flag and its reason, nothing of Identity.
    let sue_sees = sue.ok(&["check", "--program", &field]);
    assert!(
        sue_sees.contains("‘Field launch’ depends on ‘Identity sign-in live’ (an item of another program), needed by 15 Jan 2027: broken, it is dated after that"),
        "{sue_sees}"
    );
    for secret in [
        "Builder Insights",
        "Milestone 1",
        "20 Jan",
        &identity,
        &milestone,
    ] {
        assert!(
            !sue_sees.contains(secret),
            "Sue learns '{secret}': {sue_sees}"
        );
    }
    let shown = sue.ok(&["dependency", "show", &dependency]);
    assert!(
        shown.contains("an item of a program not in this database"),
        "{shown}"
    );
    // In My items of both owners: Sue's dependency, Lee's milestone.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let mine = |db: &Path, program: &str, owner: &str| {
        let store = roadbook_store::Store::open(db).unwrap();
        let program: Id = program.parse().unwrap();
        let h = store.load(program).unwrap();
        let links = store.links(program, today).unwrap();
        roadbook_model::my_items_and_links(&h, owner.trim().parse().unwrap(), today, &links)
    };
    let sue_mine = mine(&sue.db, &field, &sue_owner);
    assert!(
        sue_mine
            .iter()
            .any(|i| i.kind == Kind::Dependency
                && i.why == "Your dependency on another program broke"),
        "{sue_mine:?}"
    );
    let lee_mine = mine(&lee.db, &identity, &lee_owner);
    assert!(
        lee_mine
            .iter()
            .any(|i| i.kind == Kind::Milestone
                && i.why == "Another program's dependency on it broke"),
        "{lee_mine:?}"
    );
    // What Sue's database keeps of the server's word holds no more than that either.
    let kept = roadbook_store::Store::open(&sue.db)
        .unwrap()
        .server_links(field.parse().unwrap())
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].state, LinkState::Broken);
    assert!(
        kept[0].other_program_name.is_none()
            && kept[0].other_label.is_none()
            && kept[0].date.is_none()
    );

    // The other way: Identity (which Sue cannot see) depends on Field Enablement's pilot. Sue
    // sees that another program depends on her milestone, and where it stands; the server's
    // word names neither Identity nor its dependency (ids derived from them stand in).
    let pilot = sue
        .ok(&[
            "milestone",
            "add",
            "--program",
            &field,
            "--name",
            "Field pilot",
            "--target",
            "2027-02-01",
        ])
        .trim()
        .to_owned();
    sue.ok(&["sync", "--program", &field]);
    lee.ok(&["sync", "--program", &field]);
    let rollout = lee
        .ok(&[
            "dependency",
            "add",
            "--program",
            &identity,
            "--dependent",
            "Identity rollout",
            "--depends-on",
            "Field pilot done",
            "--other-item",
            &pilot,
            "--needed-by",
            "2027-01-25",
        ])
        .trim()
        .to_owned();
    lee.ok(&["sync", "--program", &identity]);
    sue.ok(&["sync", "--program", &field]);
    let sue_sees = sue.ok(&["check", "--program", &field]);
    assert!(
        sue_sees.contains(
            "Another program depends on milestone ‘Field pilot’: broken, its target is 1 Feb 2027"
        ),
        "{sue_sees}"
    );
    for secret in [
        "Identity rollout",
        "Field pilot done",
        "25 Jan 2027",
        &identity,
        &rollout,
    ] {
        assert!(
            !sue_sees.contains(secret),
            "Sue learns '{secret}': {sue_sees}"
        );
    }
    let kept = roadbook_store::Store::open(&sue.db)
        .unwrap()
        .server_links(field.parse().unwrap())
        .unwrap();
    let incoming = kept
        .iter()
        .find(|l| l.direction == roadbook_model::Direction::NeededBy)
        .unwrap();
    assert_ne!(incoming.other_program.to_string(), identity);
    assert_ne!(incoming.dependency.to_string(), rollout);
    assert!(incoming.needed_by.is_none() && incoming.depends_on.is_none());
    lee.ok(&["dependency", "delete", &rollout]);
    lee.ok(&["sync", "--program", &identity]);

    // Back before the need-by date: healed on both sides.
    lee.ok(&["milestone", "set", &milestone, "--target", "2027-01-12"]);
    lee.ok(&["sync", "--program", &identity]);
    sue.ok(&["sync", "--program", &field]);
    for (who, program) in [(&lee, &identity), (&lee, &field), (&sue, &field)] {
        let said = who.ok(&["check", "--program", program]);
        assert!(!said.contains("Field launch"), "healed: {said}");
    }
    assert!(
        mine(&sue.db, &field, &sue_owner)
            .iter()
            .all(|i| i.kind != Kind::Dependency)
    );

    // Sue deletes the link and brings it back: the server keeps what Lee named, though Sue
    // cannot see it (a restore sends the item whole; nothing of it is refused).
    sue.ok(&["dependency", "delete", &dependency]);
    sue.ok(&["sync", "--program", &field]);
    sue.ok(&["restore", &dependency]);
    sue.ok(&["sync", "--program", &field]);
    let rejected = sue.ok(&["rejected", "--program", &field]);
    assert!(!rejected.contains("Field launch"), "{rejected}");
    lee.ok(&["sync", "--program", &field]);
    assert!(
        lee.ok(&["dependency", "show", &dependency])
            .contains("'Milestone 1' of")
    );

    // Sue cannot name Identity's milestone: not here, says her database; and a client that
    // skips that check is refused by the server as if the item were not there.
    let refused = sue.fails(&[
        "dependency",
        "add",
        "--program",
        &field,
        "--dependent",
        "x",
        "--depends-on",
        "y",
        "--other-item",
        &milestone,
    ]);
    assert!(
        refused.contains("join the program it belongs to first"),
        "{refused}"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let transport = HttpTransport::new(url, Token::new(sue.token.clone())).unwrap();
    let field_id: Id = field.parse().unwrap();
    let push_naming = |item: &str| {
        let mut fields = serde_json::Map::new();
        fields.insert("dependent".into(), json!("Sneaky"));
        fields.insert("depends_on".into(), json!("Identity"));
        fields.insert(
            "other_item".into(),
            json!({"program_id": identity, "item_id": item}),
        );
        fields.insert("position".into(), json!(OrderKey::first().as_str()));
        let answer = runtime
            .block_on(transport.push(
                field_id,
                &PushRequest {
                    client_id: Id::new(),
                    mutations: vec![Mutation {
                        seq: 1,
                        mutation_id: Id::new(),
                        kind: Kind::Dependency,
                        item_id: Id::new(),
                        operation: Operation::Create { fields },
                        made_at: None,
                    }],
                    history: None,
                },
            ))
            .unwrap();
        match &answer.results[0].outcome {
            Outcome::Rejected { reason, .. } => reason.replace(item, "ITEM"),
            other => panic!("a push naming {item} was {other:?}"),
        }
    };
    let hidden = push_naming(&milestone);
    assert!(hidden.contains("not in a program you can see"), "{hidden}");
    // The same words as for an id that is nowhere: the refusal tells nothing of Identity.
    assert_eq!(hidden, push_naming(&Id::new().to_string()));
}
