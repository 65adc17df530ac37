//! What a person did survives the sync as they meant it: several changes to one item before
//! one sync are applied in their order and never judged against each other; two different
//! people still meet in a conflict. Each test checks every replica against what the people
//! meant (not only that replicas agree), on the real server over PostgreSQL.

use roadbook_model::{Decision, Id, Kind};
use roadbook_sync::Replica;
use roadbook_sync_tests::{Person, World};

use super::{edit, lead_and_sam};

fn status(person: &Person, program: Id, name: &str) -> Id {
    person.load(program).status_named(name).unwrap().id
}

/// Syncs each person in turn until nothing moves (twice round is enough for two people).
async fn settle(people: &[&Person], program: Id) {
    for _ in 0..2 {
        for p in people {
            let report = p.client.sync(&p.store, program).await.unwrap();
            assert_eq!(
                (report.pending, report.rejected),
                (0, 0),
                "{}: {report:?}",
                p.name
            );
        }
    }
}

fn conflicts(person: &Person, program: Id) -> usize {
    person.store.with(|s| s.conflicts(program)).unwrap().len()
}

fn decision(person: &Person, program: Id, id: Id) -> Option<Decision> {
    person
        .load(program)
        .decisions
        .into_iter()
        .find(|d| d.id == id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_made_and_changed_offline_reaches_everyone_as_its_maker_left_it() {
    let world = World::start().await;
    let (lead, sam, handbook) = lead_and_sam(&world).await;
    let program = handbook.program.id;
    let owners: Vec<Id> = handbook.owners.iter().map(|o| o.id).collect();
    let needs = status(&sam, program, "Needs decision");
    let decided = status(&sam, program, "Decided");
    let blocked = status(&sam, program, "Blocked");

    // Offline, before one sync, Sam: adds a decision needed from two owners, removes one of
    // them; adds another and decides it with an outcome; sets a third one's status twice;
    // adds an item and deletes it; edits an existing decision and deletes it.
    let two_owners = Decision {
        id: Id::new(),
        title: "Pick the pilot group".into(),
        needed_from: vec![owners[0], owners[1]],
        status_id: needs,
        ..decision(&sam, program, handbook.decisions[0].id).unwrap()
    };
    let made = Decision {
        id: Id::new(),
        title: "Name the rollout owner".into(),
        needed_from: vec![owners[2]],
        status_id: needs,
        ..two_owners.clone()
    };
    let fleeting = Decision {
        id: Id::new(),
        title: "A decision added by mistake".into(),
        ..made.clone()
    };
    // One on the server already, that Sam will edit and then delete.
    let edited_then_gone = Decision {
        id: Id::new(),
        title: "Ask for the pilot budget".into(),
        ..made.clone()
    };
    sam.store
        .with(|s| s.create(program, &edited_then_gone, &sam.name))
        .unwrap();
    settle(&[&sam, &lead], program).await;
    let edited_then_gone = edited_then_gone.id;
    sam.store
        .with(|s| {
            s.create(program, &two_owners, &sam.name)?;
            s.create(program, &made, &sam.name)?;
            s.create(program, &fleeting, &sam.name)
        })
        .unwrap();
    edit::<Decision>(
        &sam,
        program,
        |d| d.needed_from.retain(|o| *o != owners[1]),
        two_owners.id,
    );
    edit::<Decision>(
        &sam,
        program,
        |d| {
            d.status_id = decided;
            d.outcome = "Builder Relations owns the rollout".into();
            d.rationale = "They run the pilot already".into();
        },
        made.id,
    );
    let twice = handbook.decisions[1].id;
    edit::<Decision>(&sam, program, |d| d.status_id = blocked, twice);
    edit::<Decision>(
        &sam,
        program,
        |d| {
            d.status_id = decided;
            d.outcome = "Decided at the review".into();
        },
        twice,
    );
    sam.store
        .with(|s| s.delete(fleeting.id, &sam.name))
        .unwrap();
    edit::<Decision>(
        &sam,
        program,
        |d| d.title = "Renamed before it went".into(),
        edited_then_gone,
    );
    sam.store
        .with(|s| s.delete(edited_then_gone, &sam.name))
        .unwrap();

    settle(&[&sam, &lead], program).await;

    // What Sam meant, on every replica and on the server.
    for p in [&sam, &lead] {
        assert_eq!(
            conflicts(p, program),
            0,
            "{}: no conflict with oneself",
            p.name
        );
        let d = decision(p, program, two_owners.id).unwrap();
        assert_eq!(
            d.needed_from,
            vec![owners[0]],
            "{}: the removal stands",
            p.name
        );
        let d = decision(p, program, made.id).unwrap();
        assert_eq!(
            (d.status_id, d.outcome.as_str(), d.rationale.as_str()),
            (
                decided,
                "Builder Relations owns the rollout",
                "They run the pilot already"
            ),
            "{}",
            p.name
        );
        assert_eq!(decision(p, program, twice).unwrap().status_id, decided);
        assert!(decision(p, program, fleeting.id).is_none(), "{}", p.name);
        assert!(
            decision(p, program, edited_then_gone).is_none(),
            "{}",
            p.name
        );
    }
    assert_eq!(lead.export(program), sam.export(program));
    let server = world
        .server_item(program, made.id)
        .expect("the decision is on the server");
    assert_eq!(server["outcome"], "Builder Relations owns the rollout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_still_meet_in_one_conflict_and_a_later_change_of_theirs_joins_it() {
    let world = World::start().await;
    let (lead, sam, handbook) = lead_and_sam(&world).await;
    let program = handbook.program.id;
    let blocked = status(&sam, program, "Blocked");
    let decided = status(&sam, program, "Decided");
    let drafted = status(&sam, program, "Drafted");
    let id = handbook.decisions[0].id;
    let seen = decision(&sam, program, id).unwrap();
    // Both change the decision offline; the lead's goes first.
    edit::<Decision>(&lead, program, |d| d.status_id = blocked, id);
    edit::<Decision>(
        &sam,
        program,
        |d| {
            d.status_id = decided;
            d.outcome = "Okta".into();
        },
        id,
    );
    lead.client.sync(&lead.store, program).await.unwrap();
    let report = sam.client.sync(&sam.store, program).await.unwrap();
    assert_eq!(report.conflicts_opened, 1, "{report:?}");
    // Sam, still offline as far as this edit goes, changes the status again: it is their side
    // of the same conflict now, not a second one. (Sam's copy shows the lead's decision, which
    // stands until settled, and Sam drafts from it.)
    edit::<Decision>(&sam, program, |d| d.status_id = drafted, id);
    sam.client.sync(&sam.store, program).await.unwrap();
    lead.client.sync(&lead.store, program).await.unwrap();
    for p in [&lead, &sam] {
        let open = p.store.with(|s| s.conflicts(program)).unwrap();
        assert_eq!(open.len(), 1, "{}: {open:?}", p.name);
        let body = &open[0].body;
        assert_eq!(
            body["field"], "decided",
            "one conflict over the whole decision"
        );
        assert_eq!(
            body["theirs"]["value"]["status_id"],
            serde_json::json!(blocked)
        );
        assert_eq!(
            body["theirs"]["value"]["outcome"],
            serde_json::json!(seen.outcome)
        );
        assert_eq!(
            body["mine"]["value"]["status_id"],
            serde_json::json!(drafted)
        );
        assert_ne!(
            body["theirs"]["author"], body["mine"]["author"],
            "two different people"
        );
        // The value that stood is the lead's until a lead settles it.
        assert_eq!(decision(p, program, id).unwrap().status_id, blocked);
    }
    // Offline again, Sam tries another status, then comes round to the lead's decision before
    // the sync: nothing is left between them.
    edit::<Decision>(
        &sam,
        program,
        |d| {
            d.status_id = decided;
            d.outcome = "Okta after all".into();
        },
        id,
    );
    edit::<Decision>(
        &sam,
        program,
        |d| {
            d.status_id = blocked;
            d.outcome = seen.outcome.clone();
        },
        id,
    );
    settle(&[&sam, &lead], program).await;
    for p in [&lead, &sam] {
        assert_eq!(conflicts(p, program), 0, "{}", p.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_one_person_removes_while_another_adds_one_keeps_both_intents() {
    let world = World::start().await;
    let (lead, sam, handbook) = lead_and_sam(&world).await;
    let program = handbook.program.id;
    let owners: Vec<Id> = handbook.owners.iter().map(|o| o.id).collect();
    let id = handbook.decisions[0].id;
    let start = decision(&lead, program, id).unwrap().needed_from;
    let removed = start[0];
    let added = *owners.iter().find(|o| !start.contains(o)).unwrap();
    edit::<Decision>(
        &lead,
        program,
        |d| d.needed_from.retain(|o| *o != removed),
        id,
    );
    edit::<Decision>(&sam, program, |d| d.needed_from.push(added), id);
    // The lead adds the owner back and removes it again, all before one sync.
    edit::<Decision>(&lead, program, |d| d.needed_from.push(removed), id);
    edit::<Decision>(
        &lead,
        program,
        |d| d.needed_from.retain(|o| *o != removed),
        id,
    );
    settle(&[&lead, &sam], program).await;
    let mut expected: Vec<Id> = start.iter().copied().filter(|o| *o != removed).collect();
    expected.push(added);
    for p in [&lead, &sam] {
        assert_eq!(
            decision(p, program, id).unwrap().needed_from,
            expected,
            "{}",
            p.name
        );
        assert_eq!(conflicts(p, program), 0);
    }
    assert_eq!(
        world.server_item(program, id).unwrap()["needed_from"],
        serde_json::json!(expected)
    );
    assert!(Kind::Decision.set_fields().contains(&"needed_from"));
}
