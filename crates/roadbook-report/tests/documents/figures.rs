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

#[test]
pub(super) fn the_plan_draws_where_phases_and_milestones_stood_at_the_baseline_beside_today() {
    use roadbook_report::layout::{Block, Draw, GHOST};
    let mut f = fixture(sample::builder_insights().unwrap());
    let program = f.handbook.program.id;
    let first = f.handbook.phases[0].clone();
    let mut phase = first.clone();
    phase.start = Some("2026-11-02".parse().unwrap());
    phase.end = Some("2026-12-18".parse().unwrap());
    edit(&mut f.store, program, &first, &phase);
    let mut milestone = f.handbook.milestones[0].clone();
    let before_milestone = milestone.clone();
    milestone.target = Some("2026-12-15".parse().unwrap());
    milestone.phase_id = Some(phase.id);
    edit(&mut f.store, program, &before_milestone, &milestone);
    f.store
        .set_baseline(program, "20 November steering", None, "Test Lead")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let (dated_phase, dated_milestone) = (phase.clone(), milestone.clone());
    phase.end = Some("2027-01-15".parse().unwrap());
    edit(&mut f.store, program, &dated_phase, &phase);
    milestone.target = Some("2027-01-08".parse().unwrap());
    edit(&mut f.store, program, &dated_milestone, &milestone);
    std::thread::sleep(std::time::Duration::from_millis(5));
    let mut request = f.request(DocumentKind::Plan);
    request.as_of = Utc::now();

    let (blocks, laid) = roadbook_report::prepare_layout(&f.store, &request, "Test Lead").unwrap();
    let timeline = blocks
        .iter()
        .find_map(|b| match b {
            Block::Timeline(t) => Some(t),
            _ => None,
        })
        .expect("the plan's timeline");
    let row = timeline
        .rows
        .iter()
        .find(|r| r.label == phase.name)
        .unwrap();
    let bar = row.bar.as_ref().unwrap();
    let (then_from, then_to) = bar.then.expect("the phase's ghost");
    assert!(
        (then_from - bar.from).abs() < 1e-6,
        "it starts where it started"
    );
    assert!(then_to < bar.to, "it ended earlier at the baseline");
    let mark = row
        .marks
        .iter()
        .find(|m| m.name.starts_with(&milestone.name))
        .unwrap();
    assert!(
        mark.then_at.unwrap() < mark.at,
        "the milestone stood earlier"
    );
    // On the page: a ghost bar exactly as long as the phase was, left-aligned with today's bar,
    // and a ghost dot left of today's milestone.
    let ghosts: Vec<(f32, f32, f32)> = laid
        .pages
        .iter()
        .flat_map(|p| &p.items)
        .filter_map(|d| match d {
            Draw::Rect { x, w, h, fill, .. } if *fill == GHOST => Some((*x, *w, *h)),
            _ => None,
        })
        .collect();
    let bars: Vec<&(f32, f32, f32)> = ghosts.iter().filter(|(_, _, h)| *h == 3.0).collect();
    let dots: Vec<&(f32, f32, f32)> = ghosts.iter().filter(|(_, _, h)| *h == 5.0).collect();
    assert_eq!(bars.len(), 1, "{ghosts:?}");
    assert_eq!(dots.len(), 1, "{ghosts:?}");
    let today_bar = laid
        .pages
        .iter()
        .flat_map(|p| &p.items)
        .find_map(|d| match d {
            Draw::Rect { x, w, h, .. } if *h == 10.0 => Some((*x, *w)),
            _ => None,
        })
        .unwrap();
    assert!(
        (bars[0].0 - today_bar.0).abs() < 0.01,
        "{bars:?} {today_bar:?}"
    );
    let ratio = bars[0].1 / today_bar.1;
    let expected = (then_to - then_from) / (bar.to - bar.from);
    assert!((ratio - expected).abs() < 0.01, "{ratio} vs {expected}");
    let (issued, path) = f.issue(&request);
    assert!(text(&path).contains("Grey: where each phase and milestone stood at the baseline"));
    assert!(
        issued.record.parameters["baseline"]
            .as_str()
            .unwrap()
            .starts_with("the baseline ‘20 November steering’")
    );
    let again = regenerate(&issued.record, &issued.snapshot).unwrap();
    assert!(
        again == issued.pdf,
        "the plan with its ghosts regenerated byte for byte"
    );
}
