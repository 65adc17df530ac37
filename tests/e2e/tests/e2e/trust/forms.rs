//! Forms that tell the truth: an exit criterion never shown met when its save was refused,
//! problems at their field, the palette finding items, a new review staying open with words
//! for values.

use super::*;

#[tokio::test(flavor = "multi_thread")]
pub(super) async fn an_exit_criterion_without_evidence_stays_unchecked_with_the_reason_at_its_field()
 {
    let (_dir, db, documents) = sample("criteria");
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    go(&c, "plan").await;

    // The first criterion not met yet, and its evidence field.
    let criteria = c
        .find_all(Locator::Css("[data-testid=criterion-met]"))
        .await
        .unwrap();
    let mut unmet = None;
    for (i, b) in criteria.iter().enumerate() {
        if !b.is_selected().await.unwrap() {
            unmet = Some(i);
            break;
        }
    }
    let i = unmet.expect("the sample has an exit criterion not met");
    let criterion = c
        .find_all(Locator::Css(".criterion"))
        .await
        .unwrap()
        .remove(i);
    let text = criterion.text().await.unwrap();
    criterion
        .find(Locator::Css("[data-testid=criterion-met]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let error = criterion
        .find(Locator::Css("[data-testid=criterion-error]"))
        .await
        .unwrap();
    assert!(
        error
            .text()
            .await
            .unwrap()
            .contains("Say what shows it is done"),
        "{text}"
    );
    let box_ = criterion
        .find(Locator::Css("[data-testid=criterion-met]"))
        .await
        .unwrap();
    assert!(!box_.is_selected().await.unwrap(), "ticked though not met");
    // The error sits at the field, inside the criterion, and the field has the focus.
    let focused = c
        .execute(
            "return document.activeElement && document.activeElement.hasAttribute('data-evidence') ? 'evidence' : '';",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused, "evidence");

    // Evidence, then Enter: met, with the evidence, in one key.
    let field = criterion
        .find(Locator::Css("input.evidence"))
        .await
        .unwrap();
    field
        .send_keys("Runbook signed off by the SRE lead")
        .await
        .unwrap();
    assert!(
        criterion
            .find_all(Locator::Css("[data-testid=criterion-error]"))
            .await
            .unwrap()
            .is_empty(),
        "the error stays after the field is filled"
    );
    field.send_keys("\u{E007}").await.unwrap();
    eventually(
        "never saved met with its evidence",
        SECONDS_10,
        async || {
            let program = export(&db);
            let met: Vec<&Value> = program["exit_criteria"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["evidence"] == "Runbook signed off by the SRE lead")
                .collect();
            match met[..] {
                [one] if one["met"] == true => Ok(()),
                _ => Err(format!("{met:?}")),
            }
        },
    )
    .await;

    // The readiness checklist behaves the same: no tick without evidence, the reason at its field.
    go(&c, "readiness").await;
    let item = css(&c, "[data-testid=readiness-met]").await;
    let was = item.is_selected().await.unwrap();
    assert!(!was, "the sample's first readiness item is not done");
    item.click().await.unwrap();
    text_until(&c, "[data-testid=readiness-error]", |t| {
        t.contains("Say what shows it is done")
    })
    .await;
    assert!(
        !css(&c, "[data-testid=readiness-met]")
            .await
            .is_selected()
            .await
            .unwrap()
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
pub(super) async fn forms_show_problems_at_their_field_and_the_palette_finds_items() {
    let (_dir, db, documents) = sample("forms");
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;
    text_until(&c, "[data-testid=dashboard]", |t| {
        t.contains("Identity and SSO")
    })
    .await;
    let focused = |c: &Client| {
        let c = c.clone();
        async move {
            c.execute(
                "const e = document.activeElement; return e ? (e.dataset.field || e.dataset.testid || e.tagName) : '';",
                vec![],
            )
            .await
            .unwrap()
        }
    };

    // Ctrl+D: a new decision with the focus in its title.
    press(&c, &[Key::Control], 'd').await;
    css(&c, "[data-testid=editor]").await;
    eventually("the title has no focus", SECONDS_5, async || {
        let now = focused(&c).await;
        if now == "title" {
            Ok(())
        } else {
            Err(now.to_string())
        }
    })
    .await;
    // Saved without a title: the problem is at the title, in words, and the title has the focus.
    press(&c, &[], '\u{E007}').await;
    let problem = text_until(&c, "[data-testid=field-error][data-for=title]", |t| {
        !t.is_empty()
    })
    .await;
    assert!(problem.starts_with("Is required"), "{problem}");
    assert!(!problem.contains("decision.title"), "{problem}");
    assert!(
        c.find_all(Locator::Css("[data-testid=editor-error]"))
            .await
            .unwrap()
            .is_empty(),
        "the problem is shown away from its field too"
    );
    assert_eq!(focused(&c).await, "title");
    // Typing clears it; Esc closes the editor and saves nothing.
    css(&c, "[data-field=title]")
        .await
        .send_keys("Half-typed")
        .await
        .unwrap();
    assert!(
        c.find_all(Locator::Css("[data-testid=field-error]"))
            .await
            .unwrap()
            .is_empty(),
        "the problem stays after the field is filled"
    );
    press(&c, &[], '\u{E00C}').await;
    eventually("Esc left the editor open", SECONDS_5, async || {
        let open = c
            .find_all(Locator::Css("[data-testid=editor]"))
            .await
            .unwrap();
        if open.is_empty() {
            Ok(())
        } else {
            Err(format!("{} open", open.len()))
        }
    })
    .await;
    assert!(!roadbook(&db, &["decision", "list"]).contains("Half-typed"));

    // Ctrl+K finds items by their names; the arrows move a visible highlight; Enter opens it.
    press(&c, &[Key::Control], 'k').await;
    css(&c, "[data-testid=palette-input]")
        .await
        .send_keys("okta claims")
        .await
        .unwrap();
    let entries = text_until(&c, ".entries", |t| t.contains("Okta SSO path")).await;
    assert!(entries.contains("Decision:"), "{entries}");
    let highlighted = |c: &Client| {
        let c = c.clone();
        async move {
            c.execute(
                "return [...document.querySelectorAll('[data-testid=palette-entry]')].findIndex((e) => e.classList.contains('highlight'));",
                vec![],
            )
            .await
            .unwrap()
        }
    };
    assert_eq!(highlighted(&c).await, 0);
    let count = c
        .find_all(Locator::Css("[data-testid=palette-entry]"))
        .await
        .unwrap()
        .len();
    press(&c, &[], '\u{E015}').await;
    assert_eq!(highlighted(&c).await, json!(1 % count));
    press(&c, &[], '\u{E013}').await;
    assert_eq!(highlighted(&c).await, 0);
    press(&c, &[], '\u{E007}').await;
    let title = css(&c, "[data-field=title]").await;
    eventually("the palette opened another item", SECONDS_5, async || {
        let value = title.prop("value").await.unwrap().unwrap_or_default();
        if value.starts_with("Okta SSO path") {
            Ok(())
        } else {
            Err(value)
        }
    })
    .await;

    // Words found nowhere: said so, not an empty box.
    press(&c, &[], '\u{E00C}').await;
    press(&c, &[Key::Control], 'k').await;
    css(&c, "[data-testid=palette-input]")
        .await
        .send_keys("zebra crossing")
        .await
        .unwrap();
    text_until(&c, "[data-testid=palette-empty]", |t| {
        t.contains("Nothing in this program")
    })
    .await;
    shot(&c, &desktop, "palette-empty").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
pub(super) async fn a_new_review_stays_open_and_screens_show_words_not_internal_values() {
    let (_dir, db, documents) = sample("review");
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;

    // A new review, saved: the screen stays on it, so "Record outcome" is for this meeting.
    go(&c, "reviews").await;
    click(&c, "[data-testid=new-review]").await;
    // Its date is typed as the documents write it (YYYY-MM-DD): empty, it shows that form, not
    // today's date in grey; a day that does not exist is said at once in the command line's
    // words, and nothing is saved until it reads as a day.
    let date = css(&c, "input[data-field=date]").await;
    assert_eq!(date.prop("value").await.unwrap().unwrap_or_default(), "");
    assert_eq!(
        date.attr("placeholder").await.unwrap().unwrap_or_default(),
        "YYYY-MM-DD"
    );
    css(&c, "[data-field=title]")
        .await
        .send_keys("Steering review, January")
        .await
        .unwrap();
    date.send_keys("2027-02-30").await.unwrap();
    text_until(&c, "[data-testid=editor]", |t| {
        t.contains("'2027-02-30' is not a calendar date: month 2 of 2027 has no day 30")
    })
    .await;
    click(&c, "[data-testid=save]").await;
    text_until(&c, "[data-testid=editor]", |t| {
        t.contains("A date above does not read as a day yet")
    })
    .await;
    // Its clear button takes the mistyped day away.
    click(&c, "button[aria-label='Clear Date']").await;
    click(&c, "[data-testid=save]").await;
    let selected = text_until(&c, ".list button.selected", |t| {
        t.contains("Steering review, January")
    })
    .await;
    assert!(selected.contains("date to be set"), "{selected}");
    let card = text_until(&c, ".main", |t| t.contains("Edit review")).await;
    let value = css(&c, "[data-field=title]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(value, "Steering review, January", "{card:.200}");

    // Readiness and owner kinds in words.
    go(&c, "readiness").await;
    let screen = text_until(&c, "[data-testid=register-readiness_dimension]", |t| {
        t.contains("not ready")
    })
    .await;
    assert!(!screen.contains("not_ready"), "{screen:.400}");
    go(&c, "settings").await;
    let owners = text_until(&c, "[data-testid=register-owner]", |t| {
        t.contains("placeholder")
    })
    .await;
    assert!(!owners.contains('_'), "{owners:.400}");
    c.close().await.unwrap();
}
