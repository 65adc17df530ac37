//! Text as a reader meets it: a large multilingual program inside the page, shaped scripts that
//! copy back as typed.

use super::*;
use crate::figures::word_boxes;

/// 300 decisions whose texts are long, unbroken and in several scripts.
pub(super) fn stress() -> Handbook {
    let mut h = fixtures::generated(40, 9);
    let status = h.statuses[2].id;
    let owner = h.owners[0].id;
    let words = [
        "Entitlement",
        "décision",
        "Überprüfungsvorgang",
        "日本語のテキストは空白なしで続きます",
        "עברית",
        "العربية",
        "—",
        "“quoted”",
        "𝛼β∑",
        "\u{1F9EA}",
    ];
    for n in 0..300 {
        let unbroken = format!("{}{}", words[n % words.len()], "x".repeat(60 + n % 90));
        h.decisions.push(Decision {
            id: Id::new(),
            title: format!("Decision {n}: {unbroken}"),
            question: format!(
                "{} {} {}",
                words[(n + 3) % words.len()],
                unbroken,
                "日本語".repeat(n % 40)
            ),
            needed_from: vec![owner],
            workstream_id: None,
            status_id: status,
            due: None,
            options: vec![unbroken.clone()],
            outcome: format!("{unbroken}{unbroken}"),
            rationale: String::new(),
            decided_by: String::new(),
            decided_on: None,
            risk_ids: Vec::new(),
            superseded_by: None,
        });
    }
    // The other pages' lists, as long and as hostile: work, exit criteria, dependencies,
    // readiness items, the phase model, the asks.
    let phase = h.phases[0].id;
    let dimension = h.readiness_dimensions.first().map(|d| d.id);
    for n in 0..80 {
        let text = format!("{} {}", words[n % words.len()], "y".repeat(40 + n % 70));
        h.work_items.push(roadbook_model::WorkItem {
            id: Id::new(),
            phase_id: phase,
            text: text.clone(),
            done: n % 3 == 0,
        });
        h.exit_criteria.push(roadbook_model::ExitCriterion {
            id: Id::new(),
            phase_id: phase,
            text: text.clone(),
            met: n % 4 == 0,
            evidence: if n % 4 == 0 {
                text.clone()
            } else {
                String::new()
            },
        });
        h.dependencies.push(roadbook_model::Dependency {
            id: Id::new(),
            dependent: text.clone(),
            depends_on: format!("{} {text}", words[(n + 5) % words.len()]),
            why_it_matters: format!("{text} {text}"),
            workstream_id: None,
            source: String::new(),
            other_item: None,
            needed_by: None,
            phase_id: None,
            owner_id: None,
        });
        h.readiness_checks.push(roadbook_model::ReadinessCheck {
            id: Id::new(),
            dimension_id: dimension,
            text: text.clone(),
            owner_id: Some(owner),
            done: n % 2 == 0,
            evidence: if n % 2 == 0 {
                text.clone()
            } else {
                String::new()
            },
        });
        h.program.phase_model.push(text.clone());
        h.program.asks.push(text);
    }
    h
}

#[test]
pub(super) fn a_large_multilingual_program_stays_inside_the_page_and_repeats_table_headers() {
    let f = fixture(stress());
    let (_, register) = f.issue(&f.request(DocumentKind::Register));
    check_file(&register);
    check_bounds(&register);
    let n = pages(&register);
    assert!(n >= 10, "300 long decisions fill many pages: {n}");
    for page in 1..=n {
        let t = page_text(&register, page);
        assert!(
            t.contains(&format!("Page {page} of {n}")),
            "page {page}: {t:.200}"
        );
        if page > 1 {
            assert!(
                t.contains("# Decision Needed from Workstream Status Due Outcome"),
                "page {page} has no header row: {t:.300}"
            );
        }
    }
    let all = text(&register);
    assert!(all.contains("Decision 299"), "the last decision is there");
    assert!(
        all.contains("\u{25A1}"),
        "a character no font has shows as a box"
    );
    for kind in [
        DocumentKind::Readout,
        DocumentKind::Memo,
        DocumentKind::Packet,
        DocumentKind::Dashboard,
        DocumentKind::Plan,
        DocumentKind::Phases,
        DocumentKind::Rfc,
        DocumentKind::Readiness,
        DocumentKind::OnePager,
    ] {
        let (issued, path) = f.issue(&f.request(kind));
        check_file(&path);
        check_bounds(&path);
        let again = prepare(&f.store, &f.request(kind), "Test Lead").unwrap();
        assert!(
            again.pdf == issued.pdf,
            "{kind:?}: the same input gave other bytes"
        );
    }
    // A table that runs over pages repeats its header on each: the plan's dependency map, the
    // RFC's decisions needed, the checklist's items.
    for (kind, header, last) in [
        (
            DocumentKind::Plan,
            "What depends Depends on Why it matters",
            "Shared owner labels",
        ),
        (
            DocumentKind::Rfc,
            "Decision Needed from Status",
            "Shared status vocabulary",
        ),
        (
            DocumentKind::Readiness,
            "Item Dimension Owner Done Evidence",
            "The gate decision",
        ),
    ] {
        let (_, path) = f.issue(&f.request(kind));
        let n = pages(&path);
        let texts: Vec<String> = (1..=n).map(|p| page_text(&path, p)).collect();
        let first = texts
            .iter()
            .position(|t| t.contains(header))
            .unwrap_or_else(|| panic!("{kind:?}: no table headed {header}"));
        let end = texts
            .iter()
            .position(|t| t.contains(last))
            .unwrap_or_else(|| panic!("{kind:?}: no {last}"));
        assert!(
            end > first,
            "{kind:?}: the table fits one page; it should run over several"
        );
        for (page, text) in texts.iter().enumerate().take(end).skip(first) {
            assert!(
                text.contains(header),
                "{kind:?} page {}: the table goes on without its header: {text:.300}",
                page + 1,
            );
        }
    }
}

/// Each word's width on the page, from `pdftotext -bbox` (what a reader's viewer measures).
pub(super) fn word_widths(path: &Path) -> Vec<(String, f32)> {
    word_boxes(path)
        .into_iter()
        .map(|(word, left, right)| (word, right - left))
        .collect()
}

#[test]
pub(super) fn shaped_text_on_the_page_kerns_latin_and_joins_arabic_and_copies_back() {
    use roadbook_report::layout::{BODY, Block};
    let blocks = vec![Block::Paragraph(
        "AVAVAVAVAV HHHHHHHHHH Tototototo office بيت שָׁלוֹם हिन्दी مُحَمَّدٌ".into(),
    )];
    let meta = roadbook_report::Meta {
        title: "Shaping".into(),
        program: "Test".into(),
        author: "Test Lead".into(),
        subject: "Shaping".into(),
        as_of: as_of(),
        classification: String::new(),
    };
    let pdf = roadbook_report::render(&blocks, &meta).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shaping.pdf");
    std::fs::write(&path, &pdf).unwrap();
    check_file(&path);
    // The advances alone, from the font itself.
    let bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts/Inter-Regular.otf"))
            .unwrap();
    let inter = ttf_parser::Face::parse(&bytes, 0).unwrap();
    let unkerned = |word: &str| -> f32 {
        word.chars()
            .map(|c| {
                let g = inter.glyph_index(c).unwrap();
                f32::from(inter.glyph_hor_advance(g).unwrap())
            })
            .sum::<f32>()
            / f32::from(inter.units_per_em())
            * BODY
    };
    let widths = word_widths(&path);
    let width = |word: &str| {
        widths
            .iter()
            .find(|(w, _)| w == word)
            .unwrap_or_else(|| panic!("{word} not on the page: {widths:?}"))
            .1
    };
    // Nine kerned pairs in the first word, one ("To") in the second: each moves the glyphs
    // closer by more than half a point at this size.
    for (kerned, pairs) in [("AVAVAVAVAV", 9.0), ("Tototototo", 1.0)] {
        assert!(
            width(kerned) < unkerned(kerned) - 0.5 * pairs,
            "{kerned}: {} on the page, {} unkerned",
            width(kerned),
            unkerned(kerned)
        );
    }
    let plain = width("HHHHHHHHHH") / unkerned("HHHHHHHHHH");
    assert!(
        (0.98..1.02).contains(&plain),
        "no kerning pair, no change: {plain}"
    );
    // Copy and search give the words back, shaped or not.
    let text = text(&path);
    for word in ["office", "AVAVAVAVAV", "Tototototo", "हिन्दी"] {
        assert!(text.contains(word), "{word} in {text}");
    }
    assert!(text.contains("بيت") || text.contains("تيب"), "{text}");
    // The Arabic vowel marks the font moves up or down onto their letters are drawn there: the
    // page moves them (a text rise), then sets the baseline back.
    let qdf = dir.path().join("shaping-qdf.pdf");
    let out = Command::new("qpdf")
        .args(["--qdf", "--object-streams=disable"])
        .arg(&path)
        .arg(&qdf)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stream = String::from_utf8_lossy(&std::fs::read(&qdf).unwrap()).into_owned();
    let rises: Vec<f32> = stream
        .lines()
        .filter_map(|l| l.strip_suffix(" Ts"))
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    assert!(rises.iter().any(|r| *r != 0.0), "a mark moved: {rises:?}");
    assert_eq!(rises.last(), Some(&0.0), "the baseline set back: {rises:?}");
}

/// Devanagari copies back as it was typed: its shaping reorders letters (a vowel sign drawn
/// before its consonant), so the run carries its text whole rather than glyph by glyph.
#[test]
pub(super) fn a_hindi_title_copies_back_as_typed() {
    let mut handbook = sample::builder_insights().unwrap();
    let title = "हिन्दी निर्णय किताब";
    handbook.decisions[0].title = title.into();
    let f = fixture(handbook);
    let (_, path) = f.issue(&f.request(DocumentKind::Register));
    let t = text(&path);
    assert!(t.contains(title), "{t:.800}");
}
