//! The plan on screen: dashboard items and heat-map cells opening what they show, people owning
//! items, dated phases and milestones on the timeline and in My items, an outcome settling
//! what it leaves stale.

use super::*;

#[tokio::test(flavor = "multi_thread")]
pub(super) async fn dashboard_items_and_heat_map_cells_open_what_they_show_and_screens_keep_their_place()
 {
    let (_dir, db, documents) = sample("navigation");
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    text_until(&c, "[data-testid=dashboard]", |t| {
        t.contains("Identity and SSO")
    })
    .await;

    // A heat-map cell opens the risk register showing exactly its risks.
    let mut picked = None;
    for severity in ["high", "medium", "low"] {
        for likelihood in ["high", "medium", "low"] {
            let cell = format!("{severity}-{likelihood}");
            let n = cell_count(&c, &cell).await;
            if n > 0 && picked.is_none() {
                picked = Some((cell, n));
            }
        }
    }
    let (cell, n) = picked.expect("the sample has open risks");
    click(&c, &format!("[data-testid=heat-{cell}]")).await;
    let (severity, likelihood) = cell.split_once('-').unwrap();
    let filter = text_until(&c, "[data-testid=where]", |t| !t.is_empty()).await;
    assert!(
        filter.contains(&format!("{severity} severity"))
            && filter.contains(&format!("{likelihood} likelihood")),
        "{filter}"
    );
    let count = text_until(&c, "[data-testid=register-count]", |t| {
        t.starts_with(&format!("{n} of"))
    })
    .await;
    let rows = c
        .find_all(Locator::Css(
            "[data-testid=register-risk] [data-testid=row]",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len() as u32, n, "{count}");
    shot(&c, &desktop, "heat-map-cell").await;

    // The dashboard scrolled to its end; another screen opens at its top; back, where it was.
    go(&c, "dashboard").await;
    let scroll = |js: &'static str| {
        let c = c.clone();
        async move {
            c.execute(js, vec![])
                .await
                .unwrap()
                .as_f64()
                .unwrap_or(-1.0)
        }
    };
    let down = scroll(
        "const s = document.querySelector('[data-testid=screen]'); s.scrollTop = s.scrollHeight; return s.scrollTop;",
    )
    .await;
    assert!(down > 100.0, "the dashboard does not scroll: {down}");
    go(&c, "decisions").await;
    assert_eq!(
        scroll("return document.querySelector('[data-testid=screen]').scrollTop;").await,
        0.0
    );
    go(&c, "dashboard").await;
    let back = scroll("return document.querySelector('[data-testid=screen]').scrollTop;").await;
    assert!((back - down).abs() < 2.0, "{back} / {down}");

    // A decision on the dashboard opens in the decision register's editor.
    let first = css(&c, "[data-testid=dashboard-decision]").await;
    let title = first.text().await.unwrap();
    first.click().await.unwrap();
    let field = css(&c, "[data-testid=register-decision] [data-field=title]").await;
    assert_eq!(
        field.prop("value").await.unwrap().unwrap_or_default(),
        title.trim()
    );
    c.close().await.unwrap();
}

/// Sets a date field as the calendar picker does: the value, then the input event the field
/// listens to (typing is tested on its own, in the new review's test).
pub(super) async fn set_date(c: &Client, selector: &str, value: &str) {
    css(c, selector).await;
    c.execute(
        "const e = document.querySelector(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('input', { bubbles: true }));",
        vec![json!(selector), json!(value)],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
pub(super) async fn people_own_items_phases_and_milestones_have_dates_and_the_timeline_and_my_items_show_them()
 {
    let (_dir, db, documents) = sample("people");
    let day = |offset: i64| {
        (chrono::Local::now().date_naive() + chrono::Duration::days(offset))
            .format("%Y-%m-%d")
            .to_string()
    };
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;

    // A person, on a team, as an owner label.
    go(&c, "settings").await;
    click(&c, "[data-testid=register-owner] [data-testid=new]").await;
    css(&c, "[data-field=name]")
        .await
        .send_keys("Priya Raman")
        .await
        .unwrap();
    choose(&c, "select[data-field=kind]", "person").await;
    choose(&c, "select[data-field=team_id]", "Platform Engineering").await;
    click(&c, "[data-testid=save]").await;
    text_until(&c, "[data-testid=register-owner]", |t| {
        t.contains("Priya Raman")
    })
    .await;
    let program = export(&db);
    let priya = program["owners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Priya Raman")
        .unwrap()
        .clone();
    assert_eq!(priya["kind"], "person");
    let team = program["owners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Internal Platform Engineering")
        .unwrap();
    assert_eq!(priya["team_id"], team["id"]);

    // One action hers and overdue; a decision needed from her team, due in three days.
    let action = program["actions"][0]["id"].as_str().unwrap().to_owned();
    roadbook(
        &db,
        &[
            "action",
            "set",
            &action,
            "--owner",
            "Priya Raman",
            "--due",
            &day(-2),
        ],
    );

    // Phase dates and a milestone target, in the editor: the timeline draws them.
    go(&c, "plan").await;
    text_until(&c, "[data-testid=timeline-empty]", |t| {
        t.contains("No dates yet")
    })
    .await;
    click(&c, ".phase .title button").await;
    set_date(&c, "input[data-field=start]", &day(-30)).await;
    set_date(&c, "input[data-field=end]", &day(30)).await;
    click(&c, "[data-testid=save]").await;
    css(&c, "[data-testid=timeline-phase]").await;
    click(&c, "[data-testid=register-milestone] [data-testid=row]").await;
    set_date(&c, "input[data-field=target]", &day(-1)).await;
    click(&c, "[data-testid=save]").await;
    let late = css(&c, "[data-testid=timeline-milestone]").await;
    eventually("the milestone is not marked late", SECONDS_10, async || {
        let class = late.attr("class").await.unwrap().unwrap_or_default();
        if class.contains("late") {
            Ok(())
        } else {
            Err(class)
        }
    })
    .await;
    css(&c, "[data-testid=timeline-today]").await;
    let program = export(&db);
    assert_eq!(program["phases"][0]["start"], json!(day(-30)));
    assert_eq!(program["milestones"][0]["target"], json!(day(-1)));
    // The milestone register marks it overdue too.
    text_until(
        &c,
        "[data-testid=register-milestone] [data-testid=due-overdue]",
        |t| t.contains("overdue"),
    )
    .await;
    press(&c, &[], '\u{E00C}').await;
    c.execute(
        "document.querySelector('[data-testid=screen]').scrollTop = 0;",
        vec![],
    )
    .await
    .unwrap();
    shot(&c, &desktop, "timeline").await;

    // An end before the start is refused at the field.
    click(&c, ".phase .title button").await;
    set_date(&c, "input[data-field=end]", &day(-60)).await;
    click(&c, "[data-testid=save]").await;
    let problem = text_until(&c, "[data-testid=field-error][data-for=end]", |t| {
        !t.is_empty()
    })
    .await;
    assert!(problem.contains("before it starts"), "{problem}");
    press(&c, &[], '\u{E00C}').await;

    // My items: Priya's overdue action first.
    go(&c, "my-items").await;
    choose(&c, "[data-testid=me]", "Priya Raman").await;
    let first = text_until(&c, "[data-testid=my-item]", |t| t.contains("overdue")).await;
    assert!(first.contains("Your action"), "{first}");
    let all = text_until(&c, "[data-testid=my-items]", |t| !t.is_empty()).await;
    assert!(
        !all.contains("Needed from your team")
            || all.find("overdue") < all.find("Needed from your team")
    );
    shot(&c, &desktop, "my-items").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
pub(super) async fn recording_an_outcome_settles_the_asks_and_workstreams_it_leaves_stale() {
    let (_dir, db, documents) = sample("stale");
    let before = export(&db);
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    go(&c, "reviews").await;
    click(&c, "[data-testid=start-recording]").await;
    // The Okta decision (the first aim) is decided at the review.
    choose(&c, "[data-testid=aim] [data-testid=aim-status]", "Decided").await;
    for (field, text) in [
        ("aim-outcome", "Adopt Okta SSO with group claims"),
        (
            "aim-rationale",
            "One identity provider the platform already runs",
        ),
        ("aim-decided-by", "Dana Whitfield"),
    ] {
        let input = css(&c, &format!("[data-testid=aim] [data-testid={field}]")).await;
        input.clear().await.unwrap();
        input.send_keys(text).await.unwrap();
    }
    // What goes stale with it is put in front of the lead: the ask naming it, the workstream.
    let ask = text_until(&c, "[data-testid=stale-ask]", |t| !t.is_empty()).await;
    assert!(ask.contains("speaks of a decision"), "{ask}");
    let workstream = text_until(&c, "[data-testid=stale-workstream]", |t| {
        t.contains("Identity and SSO")
    })
    .await;
    assert!(workstream.contains("Needs decision"), "{workstream}");
    // Its current-state sentence is offered with its status, as it reads today.
    let state = css(&c, "[data-testid=workstream-state]").await;
    let was = before["workstreams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["area"] == "Identity and SSO")
        .unwrap()["current_state"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(state.prop("value").await.unwrap().unwrap(), was);
    state.clear().await.unwrap();
    state
        .send_keys("Okta SSO with group claims chosen; entitlement work can start")
        .await
        .unwrap();
    click(&c, "[data-testid=drop-ask]").await;
    shot(&c, &desktop, "outcome-follow-ups").await;
    click(&c, "[data-testid=record-outcome]").await;
    notice(&c, "Outcome recorded").await;

    let after = export(&db);
    let asks = after["program"]["asks"].as_array().unwrap();
    assert_eq!(
        asks.len(),
        before["program"]["asks"].as_array().unwrap().len() - 1
    );
    assert!(
        asks.iter()
            .all(|a| !a.as_str().unwrap().starts_with("Sponsor"))
    );
    let identity = after["workstreams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["area"] == "Identity and SSO")
        .unwrap();
    let decided = after["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Decided")
        .unwrap();
    assert_eq!(identity["status_id"], decided["id"]);
    assert_eq!(
        identity["current_state"],
        "Okta SSO with group claims chosen; entitlement work can start"
    );
    // The check before sending has nothing stale left to say about them.
    let check = roadbook(&db, &["check"]);
    assert!(!check.contains("Sponsor the key dependencies"), "{check}");
    assert!(!check.contains("Identity and SSO"), "{check}");

    // One action: one undo puts the asks, the workstream and the decision back.
    press(&c, &[Key::Control], 'z').await;
    notice(&c, "Undone: record the outcome").await;
    let undone = export(&db);
    assert_eq!(undone["program"]["asks"], before["program"]["asks"]);
    assert_eq!(undone["workstreams"], before["workstreams"]);
    assert_eq!(undone["decisions"], before["decisions"]);
    c.close().await.unwrap();
}
