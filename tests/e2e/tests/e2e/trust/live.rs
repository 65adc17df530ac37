//! Changes from elsewhere: a terminal's change reaching the open screens with who made it,
//! typing that loses no character while changes arrive, and day one's own items.

use super::*;

/// One truth on every screen: a decision decided from a terminal, on the same database, reaches
/// the open register and the open editor within 2 s, and the editor says at its top who changed
/// which fields; the person's own move (Alt+↑) is not announced as a change.
#[tokio::test(flavor = "multi_thread")]
pub(super) async fn a_terminals_change_reaches_the_open_screens_and_names_who_made_it() {
    let (_dir, db, documents) = sample("truth");
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    go(&c, "decisions").await;
    let title = "Builder Relations org source";
    css(&c, "[data-testid=search]")
        .await
        .send_keys(title)
        .await
        .unwrap();
    click(&c, "[data-testid=row]").await;
    let question = css(&c, "textarea[data-field=question]").await;

    // The person's own move: no "changed since" notice.
    question.click().await.unwrap();
    press(&c, &[Key::Alt], char::from(Key::Up)).await;
    eventually("the move", SECONDS_10, async || {
        let first = export(&db)["decisions"][0]["title"].clone();
        if first == title {
            Ok(())
        } else {
            Err(format!("first is still {first}"))
        }
    })
    .await;
    // Another item renamed from a terminal reaches the register: the window has read the
    // database again since the move, and still says nothing of the move.
    roadbook(
        &db,
        &[
            "decision",
            "set",
            "Telemetry and dashboard ownership model",
            "--title",
            "Telemetry ownership model",
        ],
    );
    text_until(&c, "[data-testid=register-decision]", |t| {
        t.contains("Telemetry ownership model")
    })
    .await;
    let said = c
        .find_all(Locator::Css("[data-testid=changed-meanwhile]"))
        .await
        .unwrap();
    assert!(said.is_empty(), "the person's own move was announced");

    // A teammate at a terminal decides it.
    roadbook_as(
        &db,
        &[
            "decision",
            "set",
            title,
            "--status",
            "Decided",
            "--outcome",
            "Org truth comes from the Builder Relations CRM",
            "--rationale",
            "It is the source the team already keeps",
        ],
        &[("ROADBOOK_AUTHOR", "Dana Ortiz")],
    );
    let notice = text_until(&c, "[data-testid=changed-meanwhile]", |t| {
        t.contains("Dana Ortiz changed")
    })
    .await;
    assert!(
        notice.contains("Status") && notice.contains("Outcome") && notice.contains("Rationale"),
        "{notice}"
    );
    // At the top: above the first field.
    let top = |selector: &'static str| {
        let c = c.clone();
        async move {
            c.execute(
                "return document.querySelector(arguments[0]).getBoundingClientRect().top;",
                vec![json!(selector)],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap()
        }
    };
    assert!(
        top("[data-testid=changed-meanwhile]").await < top("[data-field=title]").await,
        "the notice is not at the top of the editor"
    );
    // The register behind it reads Decided too.
    text_until(&c, "[data-testid=register-decision]", |t| {
        t.contains("Decided")
    })
    .await;
    c.close().await.unwrap();
}

/// Typing while teammates' changes arrive: the window reads the database again for each one
/// (other items, and other fields of the open item), and not one typed character is lost or
/// moved.
#[tokio::test(flavor = "multi_thread")]
pub(super) async fn typing_while_changes_arrive_loses_no_character() {
    let (_dir, db, documents) = sample("typing");
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    go(&c, "decisions").await;
    let title = "Builder Relations org source";
    css(&c, "[data-testid=search]")
        .await
        .send_keys(title)
        .await
        .unwrap();
    click(&c, "[data-testid=row]").await;
    let question = css(&c, "textarea[data-field=question]").await;
    question.clear().await.unwrap();
    question.click().await.unwrap();
    let typed = "Which teams join the pilot first, and who tells them?";
    // A teammate at a terminal, writing while the person types.
    let teammate = {
        let db = db.clone();
        std::thread::spawn(move || {
            for n in 0..8u32 {
                let day = format!("2027-01-{:02}", 10 + n);
                let level = if n % 2 == 0 { "medium" } else { "high" };
                let (kind, item, flag, value) = match n % 3 {
                    0 => (
                        "action",
                        "Confirm owner and meeting path for Okta/identity decisions",
                        "--due",
                        day.as_str(),
                    ),
                    1 => ("decision", title, "--due", day.as_str()),
                    _ => (
                        "risk",
                        "Builder Relations org truth remains ambiguous and weakens reporting scope trust",
                        "--severity",
                        level,
                    ),
                };
                roadbook_as(
                    &db,
                    &[kind, "set", item, flag, value],
                    &[("ROADBOOK_AUTHOR", "Dana Ortiz")],
                );
                // Not a wait for something: the teammate's changes are spread over the typing.
                std::thread::sleep(std::time::Duration::from_millis(120));
            }
        })
    };
    for ch in typed.chars() {
        question.send_keys(&ch.to_string()).await.unwrap();
    }
    teammate.join().unwrap();
    // The window has taken in the teammate's changes by now (the due date is on the open item).
    text_until(&c, "[data-testid=changed-meanwhile]", |t| {
        t.contains("Dana Ortiz")
    })
    .await;
    assert_eq!(
        question.prop("value").await.unwrap().unwrap_or_default(),
        typed,
        "typed characters lost or moved while changes arrived"
    );
    click(&c, "[data-testid=save]").await;
    eventually("the question saved", SECONDS_10, async || {
        let saved = export(&db)["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["title"] == title)
            .map(|d| d["question"].clone());
        if saved == Some(Value::from(typed)) {
            Ok(())
        } else {
            Err(format!("saved {saved:?}"))
        }
    })
    .await;
    c.close().await.unwrap();
}

/// Day one on the sample: the lead adds themselves, as a person on their team, in one step from
/// My items (the team a placeholder until then), and sees what they and their team owe; the
/// dashboard opens with what is overdue and due this week, and no due state is cut short.
#[tokio::test(flavor = "multi_thread")]
pub(super) async fn day_one_a_lead_adds_themselves_and_sees_what_they_and_their_team_owe() {
    let (_dir, db, documents) = sample("day-one");
    let yesterday = (chrono::Local::now().date_naive() - chrono::Duration::days(1)).to_string();
    roadbook(
        &db,
        &[
            "action",
            "set",
            "Confirm owner and meeting path for Okta/identity decisions",
            "--due",
            &yesterday,
        ],
    );
    // Nobody named: no ROADBOOK_AUTHOR, no login in the environment (root's account in CI).
    let desktop = Desktop::start_with(
        &db,
        &documents,
        "",
        &[("ROADBOOK_AUTHOR", ""), ("USER", ""), ("LOGNAME", "")],
    );
    let c = desktop.session().await;
    // First run, known only by a login: the dashboard asks the person's name.
    text_until(&c, "[data-testid=ask-name]", |t| t.contains("Your name")).await;
    let due = text_until(&c, "[data-testid=due-now]", |t| t.contains("overdue")).await;
    assert!(
        due.contains("Confirm owner and meeting path for Okta/identity decisions"),
        "{due}"
    );
    // The dashboard opens with it: above the executive summary.
    let top = c
        .execute(
            "const s = [...document.querySelectorAll('[data-testid=dashboard] section')]; return s.findIndex((e) => e.dataset.testid === 'due-now');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(top, json!(0));

    go(&c, "my-items").await;
    let name = css(&c, "[data-testid=add-me-name]").await;
    name.clear().await.unwrap();
    name.send_keys("Priya Raman").await.unwrap();
    choose(
        &c,
        "[data-testid=add-me-team]",
        "Corporate Identity and Security Engineering (becomes a team)",
    )
    .await;
    click(&c, "[data-testid=add-me-submit]").await;
    let mine = text_until(&c, "[data-testid=my-items]", |t| {
        t.contains("Confirm owner and meeting path")
    })
    .await;
    assert!(mine.contains("Okta SSO path and claims model"), "{mine}");
    let h = export(&db);
    let owners = h["owners"].as_array().unwrap();
    let team = owners
        .iter()
        .find(|o| o["name"] == "Corporate Identity and Security Engineering")
        .unwrap();
    assert_eq!(team["kind"], "team");
    let me = owners.iter().find(|o| o["name"] == "Priya Raman").unwrap();
    assert_eq!(me["kind"], "person");
    assert_eq!(me["team_id"], team["id"]);
    // Signed with that name from now on, and the dashboard no longer asks.
    go(&c, "dashboard").await;
    css(&c, "[data-testid=due-now]").await;
    let asks = c
        .execute(
            "return document.querySelector('[data-testid=ask-name]') !== null;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(asks, json!(false));
    go(&c, "settings").await;
    text_until(&c, "[data-testid=your-name]", |t| {
        t.contains("Changes and documents are signed Priya Raman")
    })
    .await;

    // The Actions register says "overdue" whole, in a small window too.
    c.set_window_size(1024, 700).await.unwrap();
    go(&c, "actions").await;
    css(&c, "[data-testid=due-overdue]").await;
    let cut = c
        .execute(
            "return [...document.querySelectorAll('[data-testid=due-overdue]')].some((e) => { const cell = e.closest('.cell'); return cell.scrollWidth > cell.clientWidth + 1; });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(cut, json!(false), "a due state is cut short");
    c.close().await.unwrap();
}
