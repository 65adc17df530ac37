//! What the pages draw and say: the plan's time axis, sentences a person would write, the
//! classification marking on every page.

use super::*;

/// Each word on the page with the left and right edge of its box, in page order.
pub(super) fn word_boxes(path: &Path) -> Vec<(String, f32, f32)> {
    let html = tool("pdftotext", &["-bbox"], path);
    html.lines()
        .filter(|l| l.trim_start().starts_with("<word"))
        .map(|line| {
            let attr = |name: &str| -> f32 {
                let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                let end = start + line[start..].find('"').unwrap();
                line[start..end].parse().unwrap()
            };
            let word = line[line.find('>').unwrap() + 1..line.rfind("</word>").unwrap()].to_owned();
            (word, attr("xMin"), attr("xMax"))
        })
        .collect()
}

#[test]
pub(super) fn the_program_plan_draws_its_phases_and_milestones_on_a_time_axis_with_the_day_marked()
{
    let mut handbook = sample::builder_insights().unwrap();
    let day = |s: &str| Some(s.parse::<roadbook_model::Date>().unwrap());
    // The documents' day is 2026-11-22: inside the second phase, after the first milestone.
    let view = handbook.phases[0].view.clone();
    let plan: Vec<usize> = (0..handbook.phases.len())
        .filter(|&i| handbook.phases[i].view == view)
        .collect();
    let (first, second, third) = (plan[0], plan[1], plan[2]);
    handbook.phases[first].start = day("2026-09-01");
    handbook.phases[first].end = day("2026-10-31");
    handbook.phases[second].start = day("2026-11-01");
    handbook.phases[second].end = day("2026-12-31");
    handbook.phases[third].start = day("2027-01-04");
    let phase_of =
        |name: &str, h: &Handbook| h.milestones.iter().position(|m| m.name == name).unwrap();
    let m1 = phase_of("Milestone 1", &handbook);
    let m3 = phase_of("Milestone 3", &handbook);
    let m5 = phase_of("Milestone 5", &handbook);
    handbook.milestones[m1].target = day("2026-10-15");
    handbook.milestones[m1].phase_id = Some(handbook.phases[first].id);
    handbook.milestones[m3].target = day("2026-12-20");
    handbook.milestones[m3].phase_id = Some(handbook.phases[second].id);
    // Its phase has no dates: it sits on the milestones' own row.
    handbook.milestones[m5].target = day("2027-02-01");
    let f = fixture(handbook.clone());
    let (issued, path) = f.issue(&f.request(DocumentKind::Plan));
    check_file(&path);
    check_bounds(&path);
    let words = word_boxes(&path);
    // The axis' ticks ("Sep 2026", "Oct", "Nov", …) from where "Oct Nov Dec" read in a row: the
    // first month before it (a phase's name may sit between them in reading order), the rest
    // after it; dates elsewhere on the page hold month names too.
    let axis = words
        .windows(3)
        .position(|w| w[0].0 == "Oct" && w[1].0 == "Nov" && w[2].0 == "Dec")
        .expect("the month ticks");
    let x = |word: &str| {
        let found = if word == "Sep" {
            words[..axis].iter().rev().find(|(w, _, _)| w == word)
        } else {
            words[axis..].iter().find(|(w, _, _)| w == word)
        };
        let (_, left, right) = found.unwrap_or_else(|| panic!("{word} is not on the page"));
        (left + right) / 2.0
    };
    // The months in order along the axis, the year where it starts and turns.
    let months = ["Sep", "Oct", "Nov", "Dec", "Jan", "Feb"];
    let at: Vec<f32> = months.iter().map(|m| x(m)).collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "{months:?} at {at:?} in {:?}",
        &words[axis..(axis + 30).min(words.len())]
    );
    assert!(text(&path).contains("Sep 2026") && text(&path).contains("Jan 2027"));
    // The day marked between the first of November and of December, past the middle.
    let today = x("today");
    assert!(
        at[2] < today && today < at[3],
        "today at {today}, Nov {}, Dec {}",
        at[2],
        at[3]
    );
    // A missed milestone says so; one ahead does not; the one of an undated phase has its row.
    let plain = text(&path);
    assert!(plain.contains("Milestone 1 (late)"), "{plain:.3000}");
    assert!(plain.contains("Milestone 3") && !plain.contains("Milestone 3 (late)"));
    assert!(
        plain.contains("Milestones"),
        "the row of milestones of no dated phase"
    );
    let late = words.iter().position(|(w, _, _)| w == "(late)").unwrap();
    let (_, late_left, _) = &words[late];
    assert!(
        at[1] < *late_left && *late_left < at[3],
        "Milestone 1 sits in October"
    );
    // The text versions list the same.
    let markdown =
        roadbook_report::prepare_markdown(&f.store, &f.request(DocumentKind::Plan), "Test Lead")
            .unwrap();
    assert!(
        markdown.contains("milestone Milestone 1 (15 Oct 2026, late)"),
        "{markdown:.2000}"
    );
    assert!(
        markdown.contains("1 Nov 2026 to 31 Dec 2026"),
        "{markdown:.2000}"
    );
    assert_eq!(issued.record.pages as usize, pages(&path));

    // Nothing dated: no timeline.
    let f = fixture(sample::builder_insights().unwrap());
    let (_, path) = f.issue(&f.request(DocumentKind::Plan));
    assert!(
        !word_boxes(&path).iter().any(|(w, _, _)| w == "today"),
        "an empty axis is drawn"
    );
}

/// What a VP reading the sample stumbled over, gone: fixed titles of another program,
/// "(placeholder)" after every owner, a claim over a column of dashes, a signal printed twice,
/// a verb that does not agree, a name with "and" in a list, a column of "not set".
#[test]
pub(super) fn the_sentences_read_as_a_person_would_write_them() {
    let f = fixture(sample::builder_insights().unwrap());
    let text_of = |kind| text(&f.issue(&f.request(kind)).1);
    let rfc = text_of(DocumentKind::Rfc);
    assert!(
        !rfc.contains("Operationalization RFC") && !rfc.contains("Implementation planning package"),
        "{rfc:.400}"
    );
    assert!(
        rfc.starts_with("RFC Builder Insights operationalization As of"),
        "{rfc:.200}"
    );
    let plan = text_of(DocumentKind::Plan);
    assert!(!plan.contains("(placeholder)"), "{plan}");
    assert!(
        plan.contains("Each label is a placeholder for an owner still to be named"),
        "{plan}"
    );
    let checklist = text_of(DocumentKind::Readiness);
    assert!(!checklist.contains("each with its evidence"), "{checklist}");
    assert!(
        checklist.contains("No evidence is recorded yet."),
        "{checklist}"
    );
    for (kind, text) in [
        ("checklist", &checklist),
        ("dashboard", &text_of(DocumentKind::Dashboard)),
    ] {
        // Readiness once per document: a dimension's signal is printed one time.
        let signal = "not ready until Okta path and claims model are confirmed";
        assert_eq!(text.matches(signal).count(), 1, "{kind}: {text}");
    }
    let readout = text_of(DocumentKind::Readout);
    assert!(
        readout.contains("Readiness gating is blocked."),
        "{readout:.1200}"
    );
    assert!(!readout.contains("are blocked"), "{readout:.1200}");
    assert!(
        !readout.contains("not set"),
        "no column of 'not set': {readout}"
    );
    assert!(readout.contains("No due dates are set yet."), "{readout}");
    assert_eq!(
        readout.matches("No due dates are set yet.").count(),
        1,
        "said once"
    );
    let phases = text_of(DocumentKind::Phases);
    assert!(
        phases.contains("Risk to avoid in Next") && !phases.contains("(Phase: Next)"),
        "{phases}"
    );
}

/// Implementation Phases draws its phases on the time axis too, once they are dated.
#[test]
pub(super) fn the_implementation_phases_show_their_timeline_once_dated() {
    let mut handbook = sample::builder_insights().unwrap();
    let last_view = handbook.phases.last().unwrap().view.clone();
    let f = fixture(handbook.clone());
    let (_, path) = f.issue(&f.request(DocumentKind::Phases));
    assert!(!text(&path).contains("Timeline"), "nothing dated, no axis");
    let day = |s: &str| Some(s.parse::<roadbook_model::Date>().unwrap());
    for (n, phase) in handbook
        .phases
        .iter_mut()
        .filter(|p| p.view == last_view)
        .enumerate()
    {
        phase.start = day(&format!("2026-{:02}-01", 10 + n));
        phase.end = day(&format!("2026-{:02}-28", 10 + n));
    }
    let f = fixture(handbook);
    let (_, path) = f.issue(&f.request(DocumentKind::Phases));
    let t = text(&path);
    assert!(t.contains("Timeline"), "{t:.1500}");
    assert!(t.contains("today") && t.contains("Oct 2026"), "{t:.1500}");
}

/// A program's classification marking is set, centred, in the footer of every page of every
/// kind and every slide of the deck, and opens and closes the HTML and Markdown; a program
/// without one prints none.
#[test]
pub(super) fn a_classification_marking_is_on_every_page_of_every_document() {
    let mut handbook = sample::builder_insights().unwrap();
    handbook.program.classification = "Confidential".into();
    let f = fixture(handbook);
    let centred = |path: &Path, width: f32| {
        let marks: Vec<_> = word_boxes(path)
            .into_iter()
            .filter(|(w, _, _)| w == "Confidential")
            .collect();
        assert_eq!(
            marks.len(),
            pages(path),
            "one marking per page: {}",
            path.display()
        );
        for (_, x0, x1) in marks {
            assert!(
                ((x0 + x1) / 2.0 - width / 2.0).abs() < 1.0,
                "centred: {x0}–{x1}"
            );
        }
    };
    for kind in DocumentKind::ALL {
        let mut request = f.request(kind);
        if kind == DocumentKind::Packet {
            request.review = Some(f.handbook.reviews[0].id);
        }
        let (_, path) = f.issue(&request);
        centred(&path, PAGE_W);
        let html = roadbook_report::prepare_html(&f.store, &request, "Test Lead").unwrap();
        assert_eq!(
            html.matches("<div class=marking>Confidential</div>")
                .count(),
            2,
            "{kind:?}"
        );
        let md = roadbook_report::prepare_markdown(&f.store, &request, "Test Lead").unwrap();
        assert!(md.starts_with("**Confidential**\n"), "{kind:?}");
        assert!(md.ends_with("**Confidential**\n"), "{kind:?}");
    }
    let deck =
        roadbook_report::prepare_deck(&f.store, &f.request(DocumentKind::Readout), "Test Lead")
            .unwrap();
    let path = f.dir.path().join("deck.pdf");
    std::fs::write(&path, &deck).unwrap();
    centred(&path, roadbook_report::SLIDE_W);

    let plain = fixture(sample::builder_insights().unwrap());
    let (_, path) = plain.issue(&plain.request(DocumentKind::Readout));
    assert!(!text(&path).contains("Confidential"));
}

/// An ask whose every decision is made reads settled in every document that carries the asks;
/// one about nothing decided reads as written.
#[test]
pub(super) fn an_ask_every_decision_of_which_is_made_reads_settled() {
    let mut h = sample::builder_insights().unwrap();
    let decided = h.status_named("Decided").unwrap().id;
    for d in &mut h.decisions {
        d.status_id = decided;
        d.outcome = "Agreed".into();
        d.rationale = "Reviewed".into();
    }
    let f = fixture(h);
    for kind in [
        DocumentKind::Readout,
        DocumentKind::Memo,
        DocumentKind::OnePager,
    ] {
        let (_, path) = f.issue(&f.request(kind));
        let t = text(&path).split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            t.contains("telemetry ownership model (Settled: the decisions Okta SSO path and claims model, Builder Relations org source, First Kanopy runtime boundary, and Telemetry and dashboard ownership model are made.)"),
            "{kind:?}: {t}"
        );
        assert!(
            t.contains(
                "Hold leadership reviews at milestone boundaries rather than only at the end"
            ) && !t.contains("only at the end (Settled"),
            "{kind:?}"
        );
    }
}
