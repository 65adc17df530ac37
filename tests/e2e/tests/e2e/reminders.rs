//! Reminders: a desktop notification, on a real notification server (dunst), when an item of the
//! person's falls due or becomes overdue; once per state, never repeated on the next look; none
//! while turned off in Settings; and who the person is chosen in My items, kept in their
//! settings file, which the reminders follow.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use roadbook_e2e::*;
use roadbook_model::Id;
use serde_json::Value;

/// Adds to the export `h` an action `text`, owned by `owner`, due `due`, in `status`.
fn action(h: &mut Value, text: &str, owner: Id, due: String, status: &str) {
    let status_id = h["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == status)
        .unwrap()["id"]
        .clone();
    h["actions"].as_array_mut().unwrap().push(json!({
        "id": Id::new().to_string(), "text": text, "owner_id": owner.to_string(), "due": due,
        "status_id": status_id, "source": "", "decision_id": null, "review_id": null,
        "workstream_id": null
    }));
}

fn person(h: &mut Value, name: &str) -> Id {
    let id = Id::new();
    h["owners"].as_array_mut().unwrap().push(json!({
        "id": id.to_string(), "name": name, "short_name": null, "kind": "person", "team_id": null
    }));
    id
}

/// A day relative to today, as written in the program.
fn day(offset: i64) -> String {
    (chrono::Local::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

/// A database (in `dir`) with the sample, where the person using the app ("E2E Lead", the
/// author the harness gives the app) owns an overdue action, one due today, one due later and
/// one closed though late; and a teammate, Sam, has an overdue action of his own. The program's
/// name, and the two people.
fn seeded(dir: &std::path::Path) -> (std::path::PathBuf, String, Id, Id) {
    let seed = dir.join("seed.db");
    roadbook(&seed, &["init", "--sample"]);
    let mut h: Value = serde_json::from_str(&roadbook(&seed, &["export"])).unwrap();
    let program = h["program"]["name"].as_str().unwrap().to_owned();
    let me = person(&mut h, "E2E Lead");
    let sam = person(&mut h, "Sam Ortiz");
    action(&mut h, "Send the pilot plan", me, day(-3), "Drafted");
    action(&mut h, "Book the review room", me, day(0), "In discovery");
    action(&mut h, "Draft the memo", me, day(20), "In discovery");
    action(&mut h, "Old and done", me, day(-30), "Done");
    action(&mut h, "Sam's overdue thing", sam, day(-1), "Blocked");
    let file = dir.join("program.json");
    std::fs::write(&file, h.to_string()).unwrap();
    let db = dir.join("app.db");
    roadbook(&db, &["init"]);
    roadbook(&db, &["import", file.to_str().unwrap()]);
    (db, program, me, sam)
}

#[tokio::test(flavor = "multi_thread")]
async fn what_of_yours_falls_due_is_notified_once_and_not_while_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    let config = dir.path().join("config");
    let config_text = config.display().to_string();
    let (db, program, me, sam) = seeded(dir.path());

    let server = Notifications::start();
    let (bus_key, bus) = server.env();
    let desktop = Desktop::start_with(
        &db,
        &documents,
        "",
        &[
            (bus_key, bus),
            ("XDG_CONFIG_HOME", &config_text),
            ("ROADBOOK_REMIND_EVERY", "1"),
        ],
    );
    let c = desktop.session().await;
    css(&c, "[data-testid=nav-my-items]").await;

    // At start: one notification for the program, with the two that fell due and nothing else.
    eventually("the first reminder", Duration::from_secs(20), async || {
        let shown = server.notifications_shown();
        match shown.as_slice() {
            [(title, body)] => {
                assert_eq!(
                    title,
                    &format!("2 of your items in {program} have fallen due")
                );
                assert!(
                    body.contains(&format!("Overdue since {}: Send the pilot plan", day(-3))),
                    "{body}"
                );
                assert!(body.contains("Due today: Book the review room"), "{body}");
                for other in ["Draft the memo", "Old and done", "Sam's"] {
                    assert!(
                        !body.contains(other),
                        "{other} is not due or not mine: {body}"
                    );
                }
                Ok(())
            }
            other => Err(format!("{other:?}")),
        }
    })
    .await;

    // My items shows the same person (found by name) and their items, overdue first.
    go(&c, "my-items").await;
    text_until(&c, "[data-testid=my-items]", |t| {
        t.contains("Book the review room")
    })
    .await;
    let select = css(&c, "[data-testid=me]").await;
    assert_eq!(select.prop("value").await.unwrap().unwrap(), me.to_string());
    let items = c
        .find_all(Locator::Css("[data-testid=my-item]"))
        .await
        .unwrap();
    let first = items[0]
        .prop("textContent")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        first.contains("Send the pilot plan") && first.contains("overdue"),
        "{first}"
    );

    // Looked at again (every second here): nothing repeated.
    after_reminder_looks(&c, 3).await;
    assert_eq!(
        server.notifications_shown().len(),
        1,
        "{:?}",
        server.notifications_shown()
    );

    // Turned off in Settings: kept in the settings file, and a new overdue action is not shown.
    go(&c, "settings").await;
    click(&c, "[data-testid=reminders] input").await;
    text_until(&c, "[data-testid=team-notice]", |t| {
        t.contains("No more notifications")
    })
    .await;
    let settings = config.join("roadbook/config.toml");
    assert!(
        std::fs::read_to_string(&settings)
            .unwrap()
            .contains("reminders = false")
    );
    roadbook(
        &db,
        &[
            "action",
            "add",
            "--text",
            "Chase the vendor",
            "--owner",
            &me.to_string(),
            "--due",
            &day(-1),
        ],
    );
    after_reminder_looks(&c, 3).await;
    assert_eq!(
        server.notifications_shown().len(),
        1,
        "off means off: {:?}",
        server.notifications_shown()
    );

    // On again: what fell due meanwhile is shown, by itself; the rest is not repeated.
    click(&c, "[data-testid=reminders] input").await;
    eventually(
        "the reminder after turning on",
        Duration::from_secs(10),
        async || {
            let shown = server.notifications_shown();
            match shown.as_slice() {
                [_, (title, body)] => {
                    assert_eq!(
                        title,
                        &format!("Overdue since {}: Chase the vendor", day(-1))
                    );
                    assert_eq!(body, &format!("Your action · {program}"));
                    Ok(())
                }
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    assert!(
        !std::fs::read_to_string(&settings)
            .unwrap()
            .contains("reminders")
    );

    // Choosing who you are in My items goes into the settings file, and the reminders follow.
    go(&c, "my-items").await;
    choose(&c, "[data-testid=me]", "Sam Ortiz").await;
    text_until(&c, "[data-testid=my-items]", |t| {
        t.contains("Sam's overdue thing")
    })
    .await;
    let text = std::fs::read_to_string(&settings).unwrap();
    assert!(
        text.contains("[you-are]") && text.contains(&sam.to_string()),
        "{text}"
    );
    eventually("Sam's reminder", Duration::from_secs(10), async || {
        let shown = server.notifications_shown();
        match shown.last() {
            Some((title, _)) if title.contains("Sam's overdue thing") => Ok(()),
            _ => Err(format!("{shown:?}")),
        }
    })
    .await;
    assert_eq!(server.notifications_shown().len(), 3);
    // A change written elsewhere (the command line here; a teammate's pull the same) is seen
    // at the next look.
    roadbook(
        &db,
        &[
            "action",
            "add",
            "--text",
            "Call the vendor back",
            "--owner",
            &sam.to_string(),
            "--due",
            &day(0),
        ],
    );
    eventually(
        "the reminder of a change made elsewhere",
        Duration::from_secs(10),
        async || {
            let shown = server.notifications_shown();
            match shown.last() {
                Some((title, _)) if title == "Due today: Call the vendor back" => Ok(()),
                _ => Err(format!("{shown:?}")),
            }
        },
    )
    .await;
    c.close().await.unwrap();
}

/// With no notification server on the desktop (yet), a reminder is not counted as shown: once a
/// server runs, it is shown, and a click on it opens My items.
#[tokio::test(flavor = "multi_thread")]
async fn a_reminder_waits_for_a_notification_server_and_is_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    let (db, program, _, _) = seeded(dir.path());
    let mut server = Notifications::without_server();
    let (bus_key, bus) = server.env();
    let bus = bus.to_owned();
    let desktop = Desktop::start_with(
        &db,
        &documents,
        "",
        &[(bus_key, &bus), ("ROADBOOK_REMIND_EVERY", "1")],
    );
    let c = desktop.session().await;
    css(&c, "[data-testid=nav-my-items]").await;
    // Three looks with nobody to show them to: nothing recorded as shown.
    after_reminder_looks(&c, 3).await;
    let record = db.with_extension("reminded.json");
    let kept = std::fs::read_to_string(&record).unwrap_or_default();
    assert!(!kept.contains("overdue"), "recorded as shown: {kept}");
    server.serve();
    eventually(
        "the reminder on screen",
        Duration::from_secs(10),
        async || match server.on_screen() {
            0 => Err("none yet".to_owned()),
            _ => Ok(()),
        },
    )
    .await;
    // A click on it brings the window to My items.
    go(&c, "settings").await;
    server.click();
    text_until(&c, "[data-testid=my-items]", |t| {
        t.contains("Book the review room")
    })
    .await;
    eventually(
        "the reminder once a server runs",
        Duration::from_secs(10),
        async || {
            let shown = server.notifications_shown();
            match shown.as_slice() {
                [(title, _)]
                    if title == &format!("2 of your items in {program} have fallen due") =>
                {
                    Ok(())
                }
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    c.close().await.unwrap();
}
