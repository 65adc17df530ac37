//! The sync end to end over HTTP: a real PostgreSQL cluster this test process starts, the real
//! server, people with their own SQLite databases and tokens from the test issuer.

// A test that fails should stop at once with the value that was wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod archive;
mod background;
mod bad_input;
mod cli;
mod containment;
mod cost;
mod entitlements;
mod intent;
mod links;
mod one_rule;
mod operations;
mod person;
mod portfolio;
mod processes;
mod quickstart;
mod rollout;
mod signin;
mod signin_checks;
mod simulation;
mod tokens;

use std::time::{Duration, Instant};

use roadbook_model::{Action, Decision, Id};
use roadbook_store::{HistoryQuery, edits_between};
use roadbook_sync::{Replica, SyncError};
use roadbook_sync_tests::{Person, World};
use serde_json::json;

/// Edits an item in a person's database as they would: the fields that differ, as seen now.
fn edit<E: roadbook_model::Entity>(
    person: &Person,
    program: Id,
    change: impl FnOnce(&mut E),
    id: Id,
) {
    person.store.with(|s| {
        let (_, before, seen) = s.get_revised::<E>(id).unwrap();
        let mut after = before.clone();
        change(&mut after);
        let edits = edits_between(&before, &after, &seen).unwrap();
        s.edit(program, E::KIND, id, &edits, &person.name).unwrap();
    });
}

/// The lead publishes the sample; Sam (an editor) joins it.
async fn lead_and_sam(world: &World) -> (Person, Person, roadbook_model::Handbook) {
    let lead = world.person("lee", &["rb-leads"]);
    let handbook = lead.with_sample();
    let program = handbook.program.id;
    let report = lead.client.publish(&lead.store, program).await.unwrap();
    assert_eq!(report.pending, 0, "{report:?}");
    let sam = world.person("sam", &["rb-editors"]);
    sam.client.join(&sam.store, program).await.unwrap();
    assert_eq!(sam.export(program), lead.export(program));
    (lead, sam, handbook)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_edit_offline_and_converge() {
    let world = World::start().await;
    let (lead, sam, handbook) = lead_and_sam(&world).await;
    let program = handbook.program.id;
    // Offline, each changes different things: fields, a new item, a move, a delete.
    edit::<Decision>(
        &lead,
        program,
        |d| d.title = "Okta SSO with group claims".into(),
        handbook.decisions[0].id,
    );
    let action = Action {
        id: Id::new(),
        text: "Book the steering review".into(),
        owner_id: None,
        due: None,
        status_id: handbook.statuses[0].id,
        source: String::new(),
        decision_id: None,
        review_id: None,
        workstream_id: None,
    };
    sam.store
        .with(|s| s.create(program, &action, &sam.name))
        .unwrap();
    edit::<Decision>(
        &sam,
        program,
        |d| d.question = "Which groups carry the claims?".into(),
        handbook.decisions[0].id,
    );
    let last = handbook.decisions.last().unwrap().id;
    sam.store
        .with(|s| s.move_item(last, Some(handbook.decisions[0].id), &sam.name))
        .unwrap();
    lead.store
        .with(|s| s.delete(handbook.actions[0].id, &lead.name))
        .unwrap();

    for p in [&lead, &sam, &lead] {
        let report = p.client.sync(&p.store, program).await.unwrap();
        assert_eq!((report.pending, report.rejected), (0, 0), "{report:?}");
    }
    assert_eq!(lead.export(program), sam.export(program));
    let h = lead.load(program);
    assert_eq!(h.decisions[0].id, last, "the move travelled");
    assert_eq!(h.decisions[1].title, "Okta SSO with group claims");
    assert_eq!(h.decisions[1].question, "Which groups carry the claims?");
    assert!(
        h.actions
            .iter()
            .any(|a| a.text == "Book the steering review")
    );
    assert!(h.actions.iter().all(|a| a.id != handbook.actions[0].id));
    // History on each replica names who changed what.
    let rows = lead
        .store
        .with(|s| {
            s.history(&HistoryQuery {
                item: Some(handbook.decisions[0].id),
                ..Default::default()
            })
        })
        .unwrap();
    assert!(
        rows.iter()
            .any(|r| r.field == "question" && r.author == "sam (name)"),
        "{rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undone_delete_brings_the_item_back_on_every_replica() {
    let world = World::start().await;
    let (lead, sam, handbook) = lead_and_sam(&world).await;
    let program = handbook.program.id;
    let before = lead.export(program);
    let action = handbook.actions[1].id;
    lead.store.with(|s| s.delete(action, &lead.name)).unwrap();
    for p in [&lead, &sam] {
        let report = p.client.sync(&p.store, program).await.unwrap();
        assert_eq!((report.pending, report.rejected), (0, 0), "{report:?}");
    }
    assert!(sam.load(program).actions.iter().all(|a| a.id != action));

    // The lead undoes the delete after the team has seen it.
    lead.store.with(|s| s.restore(action, &lead.name)).unwrap();
    for p in [&lead, &sam] {
        let report = p.client.sync(&p.store, program).await.unwrap();
        assert_eq!((report.pending, report.rejected), (0, 0), "{report:?}");
    }
    assert_eq!(sam.export(program), before, "not back whole and in place");
    assert_eq!(lead.export(program), before);
    // And the item is an ordinary one again: Sam's edit of it syncs.
    edit::<Action>(&sam, program, |a| a.text.push_str(" (again)"), action);
    for p in [&sam, &lead] {
        p.client.sync(&p.store, program).await.unwrap();
    }
    assert!(lead.load(program).actions[1].text.ends_with(" (again)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_status_changed_on_both_is_one_conflict_on_both_and_resolving_it_clears_both() {
    let world = World::start().await;
    let (lead, sam, handbook) = lead_and_sam(&world).await;
    let program = handbook.program.id;
    let decision = handbook.decisions[0].id;
    let decided = handbook.status_named("Decided").unwrap().id;
    let blocked = handbook.status_named("Blocked").unwrap().id;
    let seen_outcome = handbook.decisions[0].outcome.clone();
    edit::<Decision>(
        &lead,
        program,
        |d| {
            d.status_id = decided;
            d.outcome = "Okta".into();
            d.rationale = "One sign-in".into();
        },
        decision,
    );
    edit::<Decision>(&sam, program, |d| d.status_id = blocked, decision);
    lead.client.sync(&lead.store, program).await.unwrap();
    let report = sam.client.sync(&sam.store, program).await.unwrap();
    assert_eq!(
        report.conflicts_opened, 1,
        "one conflict over the whole decision: {report:?}"
    );
    lead.client.sync(&lead.store, program).await.unwrap();

    let on_lead = lead.store.with(|s| s.conflicts(program)).unwrap();
    let on_sam = sam.store.with(|s| s.conflicts(program)).unwrap();
    assert_eq!(on_lead.len(), 1);
    assert_eq!(on_lead, on_sam, "one conflict, shown on both");
    let body = &on_lead[0].body;
    assert_eq!(body["field"], "decided");
    let side = |name: &str| {
        let v = &body[name]["value"];
        (
            v["status_id"].clone(),
            v["outcome"].clone(),
            body[name]["author"].clone(),
        )
    };
    assert_eq!(
        side("theirs"),
        (json!(decided), json!("Okta"), json!("lee (name)"))
    );
    assert_eq!(
        side("mine"),
        (json!(blocked), json!(seen_outcome), json!("sam (name)")),
        "Sam's whole decision, as Sam saw it"
    );
    // Each side says when it was made, on the person's clock.
    for name in ["theirs", "mine"] {
        assert!(
            body[name]["made_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{body}"
        );
    }
    // Until resolved, the server's decision stands everywhere, whole.
    let stands = &sam.load(program).decisions[0];
    assert_eq!(
        (stands.status_id, stands.outcome.as_str()),
        (decided, "Okta")
    );

    lead.store
        .with(|s| s.enqueue_resolve(on_lead[0].id, json!({"keep": "mine"}), &lead.name))
        .unwrap();
    lead.client.sync(&lead.store, program).await.unwrap();
    sam.client.sync(&sam.store, program).await.unwrap();
    assert!(
        lead.store
            .with(|s| s.conflicts(program))
            .unwrap()
            .is_empty()
    );
    assert!(
        sam.store.with(|s| s.conflicts(program)).unwrap().is_empty(),
        "gone on both"
    );
    let kept = &sam.load(program).decisions[0];
    assert_eq!(
        (
            kept.status_id,
            kept.outcome.as_str(),
            kept.rationale.as_str()
        ),
        (
            blocked,
            seen_outcome.as_str(),
            handbook.decisions[0].rationale.as_str()
        ),
        "Sam's decision whole, as the lead chose: nothing of Lee's left under Blocked"
    );
    assert_eq!(lead.export(program), sam.export(program));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordinary_field_edited_on_both_keeps_one_value_and_the_other_stays_in_history() {
    let world = World::start().await;
    let (lead, sam, handbook) = lead_and_sam(&world).await;
    let program = handbook.program.id;
    let risk = handbook.risks[0].id;
    edit::<roadbook_model::Risk>(&lead, program, |r| r.mitigation = "Lee's plan".into(), risk);
    edit::<roadbook_model::Risk>(&sam, program, |r| r.mitigation = "Sam's plan".into(), risk);
    lead.client.sync(&lead.store, program).await.unwrap();
    sam.client.sync(&sam.store, program).await.unwrap();
    lead.client.sync(&lead.store, program).await.unwrap();
    assert_eq!(lead.load(program).risks[0].mitigation, "Sam's plan");
    assert_eq!(sam.load(program).risks[0].mitigation, "Sam's plan");
    for person in [&lead, &sam] {
        let rows = person
            .store
            .with(|s| {
                s.history(&HistoryQuery {
                    item: Some(risk),
                    ..Default::default()
                })
            })
            .unwrap();
        let values: Vec<(String, serde_json::Value)> = rows
            .iter()
            .filter(|r| r.field == "mitigation")
            .filter_map(|r| r.new_value.clone().map(|v| (r.author.clone(), v)))
            .collect();
        assert!(
            values.contains(&("lee (name)".into(), json!("Lee's plan"))),
            "{}: {values:?}",
            person.name
        );
        assert!(
            values.contains(&("sam (name)".into(), json!("Sam's plan"))),
            "{}: {values:?}",
            person.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_change_is_kept_with_its_reason_and_the_next_ones_still_sync() {
    let world = World::start().await;
    let (lead, sam, handbook) = lead_and_sam(&world).await;
    let program = handbook.program.id;
    // The lead removes an owner nobody uses; Sam, not knowing, makes it an action's owner.
    let unused = handbook
        .owners
        .iter()
        .find(|o| {
            let refs = handbook
                .entities()
                .into_iter()
                .flat_map(|(_, e)| e.references())
                .any(|r| r.id == o.id);
            !refs
        })
        .map(|o| o.id);
    let owner = match unused {
        Some(owner) => owner,
        None => {
            let owner = roadbook_model::Owner {
                id: Id::new(),
                name: "Temporary team".into(),
                short_name: None,
                kind: roadbook_model::OwnerKind::Team,
                team_id: None,
            };
            lead.store
                .with(|s| s.create(program, &owner, &lead.name))
                .unwrap();
            lead.client.sync(&lead.store, program).await.unwrap();
            sam.client.sync(&sam.store, program).await.unwrap();
            owner.id
        }
    };
    lead.store.with(|s| s.delete(owner, &lead.name)).unwrap();
    lead.client.sync(&lead.store, program).await.unwrap();
    let action = handbook.actions[1].id;
    edit::<Action>(&sam, program, |a| a.owner_id = Some(owner), action);
    edit::<Decision>(
        &sam,
        program,
        |d| d.title = "Kanopy first".into(),
        handbook.decisions[1].id,
    );
    let report = sam.client.sync(&sam.store, program).await.unwrap();
    assert_eq!((report.rejected, report.pending), (1, 0), "{report:?}");
    let refused = sam.store.with(|s| s.rejected(program)).unwrap();
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0].reason.contains("which is not in this program"),
        "{}",
        refused[0].reason
    );
    assert_eq!(refused[0].item_id, action);
    let h = sam.load(program);
    assert_eq!(
        h.decisions[1].title, "Kanopy first",
        "the next change synced"
    );
    assert_eq!(
        h.actions.iter().find(|a| a.id == action).unwrap().owner_id,
        handbook.actions[1].owner_id,
        "the server's value is back"
    );
    lead.client.sync(&lead.store, program).await.unwrap();
    assert_eq!(lead.export(program), sam.export(program));
    // Discarded by the person's choice only.
    sam.store
        .with(|s| s.discard_rejected(refused[0].id))
        .unwrap();
    assert!(sam.store.with(|s| s.rejected(program)).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_pulls_cannot_change_and_a_change_left_waiting_by_a_lost_role_is_refused_not_stuck()
 {
    let world = World::start().await;
    let (lead, sam, handbook) = lead_and_sam(&world).await;
    let program = handbook.program.id;
    let viewer = world.person("vic", &["rb-viewers"]);
    viewer.client.join(&viewer.store, program).await.unwrap();
    let head = world.head(program);
    // The server said Vic may only view: a change is refused here, with why, before it waits
    // beside the team's for ever.
    let title = handbook.decisions[0].title.clone();
    let refused = viewer.store.with(|s| {
        let (_, before, seen) = s.get_revised::<Decision>(handbook.decisions[0].id).unwrap();
        let mut after = before.clone();
        after.title = "by a viewer".into();
        let edits = edits_between(&before, &after, &seen).unwrap();
        s.edit(
            program,
            roadbook_model::Kind::Decision,
            after.id,
            &edits,
            &viewer.name,
        )
    });
    let err = refused.unwrap_err();
    assert!(err.to_string().contains("may only view"), "{err}");
    assert!(
        viewer
            .store
            .with(|s| s.outbox(Some(program)))
            .unwrap()
            .is_empty()
    );
    viewer.client.sync(&viewer.store, program).await.unwrap();
    assert_eq!(world.head(program), head, "nothing written");

    // Sam's change waits offline when Sam's role is taken away: the next sync does not stop
    // at it, or keep it waiting for ever: it moves to the refused changes with the server's
    // reason, Sam's value still shown, to send again or discard.
    edit::<Decision>(
        &sam,
        program,
        |d| d.title = "Sam's, waiting".into(),
        handbook.decisions[0].id,
    );
    let demoted = roadbook_sync_tests::Person {
        client: roadbook_sync::Client::new(
            roadbook_sync::HttpTransport::new(
                &world.url,
                roadbook_sync::Token::new(world.issuer.token("sam", "sam (name)", &["rb-viewers"])),
            )
            .unwrap(),
        ),
        ..sam
    };
    let report = demoted.client.sync(&demoted.store, program).await.unwrap();
    assert_eq!((report.rejected, report.pending), (1, 0), "{report:?}");
    let rejected = demoted.store.with(|s| s.rejected(program)).unwrap();
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0].reason.contains("needs the editor role"),
        "{}",
        rejected[0].reason
    );
    assert_eq!(world.head(program), head, "nothing written");
    assert_eq!(demoted.load(program).decisions[0].title, "Sam's, waiting");
    // Discarded, the team's value comes back at the next sync.
    demoted
        .store
        .with(|s| s.discard_rejected(rejected[0].id))
        .unwrap();
    demoted.client.sync(&demoted.store, program).await.unwrap();
    assert_eq!(demoted.load(program).decisions[0].title, title);
    assert_eq!(demoted.export(program), lead.export(program));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_pushed_by_one_reaches_a_listening_client_within_a_second() {
    let world = World::start().await;
    let (lead, sam, handbook) = lead_and_sam(&world).await;
    let program = handbook.program.id;
    let cursor = sam.store.with(|s| s.sync_state(program)).unwrap().cursor;
    let listening = {
        let transport = roadbook_sync::HttpTransport::new(
            &world.url,
            roadbook_sync::Token::new(sam.token.clone()),
        )
        .unwrap();
        tokio::spawn(async move {
            use roadbook_sync::Transport;
            let events = transport.events(program, cursor, 0, None).await.unwrap();
            (events.head, Instant::now())
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    edit::<Decision>(
        &lead,
        program,
        |d| d.title = "Live".into(),
        handbook.decisions[0].id,
    );
    let pushed = Instant::now();
    lead.client.sync(&lead.store, program).await.unwrap();
    let (head, woke) = listening.await.unwrap();
    assert!(head > cursor);
    assert!(
        woke.duration_since(pushed) < Duration::from_secs(1),
        "{:?}",
        woke.duration_since(pushed)
    );
    sam.client.sync(&sam.store, program).await.unwrap();
    assert_eq!(sam.load(program).decisions[0].title, "Live");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_from_before_a_compacted_log_takes_the_whole_program_and_keeps_the_outbox() {
    let world = World::start().await;
    let (lead, sam, handbook) = lead_and_sam(&world).await;
    let program = handbook.program.id;
    for n in 0..5 {
        edit::<Decision>(
            &lead,
            program,
            |d| d.title = format!("Title {n}"),
            handbook.decisions[0].id,
        );
        lead.client.sync(&lead.store, program).await.unwrap();
    }
    // The server drops its log up to now; Sam, offline meanwhile, has a change waiting.
    let storage = roadbook_server::storage::postgres::PgStorage::connect(&world.database_url, 2)
        .await
        .unwrap();
    use roadbook_server::storage::Storage;
    storage.compact(program, world.head(program)).await.unwrap();
    edit::<Decision>(
        &sam,
        program,
        |d| d.question = "Asked offline".into(),
        handbook.decisions[1].id,
    );
    let report = sam.client.sync(&sam.store, program).await.unwrap();
    assert_eq!(report.pending, 0);
    lead.client.sync(&lead.store, program).await.unwrap();
    assert_eq!(sam.load(program).decisions[0].title, "Title 4");
    assert_eq!(lead.load(program).decisions[1].question, "Asked offline");
    assert_eq!(lead.export(program), sam.export(program));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_needs_a_newer_roadbook_says_so_and_nothing_waiting_is_lost() {
    // A server that speaks another protocol answers every request with upgrade_required.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::UPGRADE_REQUIRED,
            axum::Json(json!({"code": "upgrade_required", "message": "this server speaks sync protocol 2: upgrade Roadbook"})),
        )
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let person = Person::new("lee", &url, "token".into());
    let handbook = person.with_sample();
    let program = handbook.program.id;
    person.store.with(|s| s.set_server(program, &url)).unwrap();
    let waiting = person.store.with(|s| s.outbox(Some(program))).unwrap();
    let err = person
        .client
        .sync(&person.store, program)
        .await
        .unwrap_err();
    assert!(matches!(err, SyncError::UpgradeRequired(_)), "{err}");
    assert!(err.to_string().contains("upgrade Roadbook"), "{err}");
    assert_eq!(
        person.store.with(|s| s.outbox(Some(program))).unwrap(),
        waiting,
        "the outbox is kept"
    );
}
