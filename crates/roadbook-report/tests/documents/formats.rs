//! The other forms of a document: Markdown a wiki reads back, the handbook's page links, the
//! readout as a deck.

use super::*;

/// A Markdown document read back as a wiki renders it: its headings, and each table as rows of
/// cell texts (the text a reader sees, escapes undone).
pub(super) struct ReadBack {
    headings: Vec<(u8, String)>,
    tables: Vec<Vec<Vec<String>>>,
}

pub(super) fn read_markdown(text: &str) -> ReadBack {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut back = ReadBack {
        headings: Vec::new(),
        tables: Vec::new(),
    };
    let mut heading: Option<(u8, String)> = None;
    let mut row: Option<Vec<String>> = None;
    let mut cell: Option<String> = None;
    for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level as u8, String::new()))
            }
            Event::End(TagEnd::Heading(_)) => back.headings.extend(heading.take()),
            Event::Start(Tag::Table(_)) => back.tables.push(Vec::new()),
            Event::Start(Tag::TableHead | Tag::TableRow) => row = Some(Vec::new()),
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                if let (Some(r), Some(t)) = (row.take(), back.tables.last_mut()) {
                    t.push(r);
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(c), Some(r)) = (cell.take(), row.as_mut()) {
                    r.push(c);
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(c) = cell.as_mut() {
                    c.push_str(&t);
                } else if let Some((_, h)) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::InlineHtml(t) if t.as_ref() == "<br>" => {
                if let Some(c) = cell.as_mut() {
                    c.push('\n');
                }
            }
            _ => {}
        }
    }
    back
}

#[test]
pub(super) fn every_document_writes_markdown_a_wiki_reads_back_with_its_tables_whole() {
    let mut h = sample::builder_insights().unwrap();
    // Text that would break a hand-made Markdown table or start markup.
    let hostile = "Okta | SSO *claims* #2 [model] <b>_x_</b> \\ — مرحبا";
    h.decisions[0].title = hostile.to_owned();
    h.decisions[1].outcome = "- first line\n1. second | line".to_owned();
    let f = fixture(h);
    for kind in DocumentKind::ALL {
        let mut request = f.request(kind);
        if kind == DocumentKind::Packet {
            request.review = Some(f.handbook.reviews[0].id);
        }
        let text = roadbook_report::prepare_markdown(&f.store, &request, "Test Lead").unwrap();
        let back = read_markdown(&text);
        let title = back.headings.first().expect("a title");
        assert_eq!(title.0, 1, "{kind:?}");
        assert!(title.1.contains(kind.title()), "{kind:?}: {}", title.1);
        // One title; the handbook has its own and each of its ten pages has one.
        assert_eq!(
            back.headings.iter().filter(|(l, _)| *l == 1).count(),
            if kind == DocumentKind::Handbook {
                11
            } else {
                1
            },
            "{kind:?}: titles"
        );
        assert!(
            back.headings.iter().any(|(l, _)| *l == 2),
            "{kind:?}: sections"
        );
        // Every table keeps its shape: each row as wide as its header.
        for table in &back.tables {
            let width = table[0].len();
            assert!(width >= 2, "{kind:?}: {table:?}");
            assert!(
                table.iter().all(|r| r.len() == width),
                "{kind:?}: {table:?}"
            );
        }
        // The memo and the one-pager are prose; every other document has tables.
        assert_eq!(
            back.tables.is_empty(),
            matches!(kind, DocumentKind::Memo | DocumentKind::OnePager),
            "{kind:?}: {} tables",
            back.tables.len()
        );
        // Program text reads back exactly as the lead wrote it.
        if kind == DocumentKind::Register {
            let table = back
                .tables
                .iter()
                .find(|t| t.iter().flatten().any(|c| c.contains("Okta | SSO")))
                .expect("the register's table holds the hostile title");
            assert!(
                table.iter().flatten().any(|c| c.contains(hostile)),
                "{table:?}"
            );
            let decisions = table.len() - 1;
            assert_eq!(decisions, f.handbook.decisions.len(), "one row a decision");
            assert!(
                table
                    .iter()
                    .flatten()
                    .any(|c| c.contains("- first line\n1. second | line")),
                "a multi-line outcome stays in its cell: {table:?}"
            );
        }
        // The same data and moment give the same text.
        assert_eq!(
            text,
            roadbook_report::prepare_markdown(&f.store, &request, "Test Lead").unwrap()
        );
    }
}

/// Each page's object id, in page order, and each page's links as (rect top, target page).
pub(super) fn links_by_page(path: &Path) -> Vec<Vec<(f64, usize)>> {
    let json = tool(
        "qpdf",
        &["--json", "--json-key=pages", "--json-key=qpdf"],
        path,
    );
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let pages = doc["pages"].as_array().unwrap();
    let number = |object: &str| {
        pages
            .iter()
            .position(|p| p["object"] == object)
            .map(|n| n + 1)
            .unwrap_or_else(|| panic!("a link to {object}, which is no page"))
    };
    let objects = &doc["qpdf"][1];
    pages
        .iter()
        .map(|p| {
            let object = p["object"].as_str().unwrap();
            let annots = &objects[format!("obj:{object}")]["value"]["/Annots"];
            annots
                .as_array()
                .map(|all| {
                    all.iter()
                        // Each annotation an object of its own (its Link element points at it).
                        .map(|a| match a.as_str() {
                            Some(reference) => &objects[format!("obj:{reference}")]["value"],
                            None => a,
                        })
                        .filter(|a| a["/Subtype"] == "/Link")
                        .map(|a| {
                            assert_eq!(
                                a["/Border"],
                                serde_json::json!([0, 0, 0]),
                                "a link draws no box"
                            );
                            let top = a["/Rect"][3].as_f64().unwrap();
                            (top, number(a["/A"]["/D"][0].as_str().unwrap()))
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

#[test]
pub(super) fn the_handbook_lists_every_page_and_its_links_lead_to_them() {
    let f = fixture(sample::builder_insights().unwrap());
    let (issued, path) = f.issue(&f.request(DocumentKind::Handbook));
    check_file(&path);
    check_bounds(&path);
    let total = pages(&path);
    assert_eq!(issued.record.pages as usize, total);
    let parts = [
        "One-Pager",
        "Status Dashboard",
        "Program Plan",
        "Implementation Phases",
        "RFC",
        "Decision Register",
        "Internal Readiness Checklist",
        "Review Packet",
        "Leadership Readout",
        "Executive Memo",
    ];
    // The contents page: every part with the page it starts on, in reading order.
    let contents = tool("pdftotext", &["-layout", "-f", "1", "-l", "1"], &path);
    let mut starts = Vec::new();
    for part in parts {
        let line = contents
            .lines()
            .find(|l| l.trim_start().starts_with(part))
            .unwrap_or_else(|| panic!("{part} is not on the contents page: {contents}"));
        let page: usize = line.split_whitespace().last().unwrap().parse().unwrap();
        // The part starts there: its title is the page's first heading.
        let text = page_text(&path, page);
        // The running header names the part (pdftotext puts it first or last on the page).
        let header = format!("Builder Insights operationalization Program Handbook · {part} ");
        assert!(
            text.contains(&header),
            "page {page}'s header does not name {part}: {text:.200}"
        );
        let body = text.strip_prefix(&header).unwrap_or(&text);
        assert!(
            body.starts_with(part)
                && body[part.len()..].contains("Builder Insights operationalization"),
            "{part} does not start on page {page}: {text:.200}"
        );
        starts.push(page);
    }
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
    assert!(*starts.last().unwrap() <= total);
    // A part's later pages name it too; the contents page names no part.
    let later = (starts[1] + 1..starts[2])
        .next()
        .expect("the dashboard runs over a page");
    let text = page_text(&path, later);
    assert!(
        text.contains("Builder Insights operationalization Program Handbook · Status Dashboard "),
        "{text:.200}"
    );
    let contents_page = page_text(&path, 1);
    assert!(
        contents_page.contains("Builder Insights operationalization Program Handbook ")
            && !contents_page.contains("Program Handbook ·"),
        "{contents_page:.120}"
    );

    // Each contents line is a link to the page it names.
    let links = links_by_page(&path);
    let mut contents_links = links[0].clone();
    contents_links.sort_by(|a, b| b.0.total_cmp(&a.0));
    assert_eq!(
        contents_links.iter().map(|l| l.1).collect::<Vec<_>>(),
        starts,
        "the contents' links, top to bottom"
    );
    // The dashboard's related references that name a page of the handbook lead to it.
    let dashboard = starts[1]..starts[2];
    let reference_links: Vec<usize> = dashboard
        .clone()
        .flat_map(|p| links[p - 1].iter().map(|l| l.1))
        .collect();
    for part in [
        "One-Pager",
        "Executive Memo",
        "Review Packet",
        "Decision Register",
        "Implementation Phases",
        "Program Plan",
        "Internal Readiness Checklist",
        "Leadership Readout",
    ] {
        let at = starts[parts.iter().position(|p| *p == part).unwrap()];
        assert!(
            reference_links.contains(&at),
            "no reference on the dashboard leads to {part} (page {at}): {reference_links:?}"
        );
    }
    // Besides those, only the dashboard's pointers to what an earlier part already shows ("As
    // shown in the One-Pager") are links: a reference to no page here is none.
    let pointers: usize = dashboard
        .clone()
        .map(|p| page_text(&path, p).matches("As shown in the").count())
        .sum();
    assert!(
        pointers > 0,
        "the dashboard repeats nothing the one-pager showed?"
    );
    assert_eq!(
        reference_links.len(),
        8 + pointers,
        "a reference to no page here is no link"
    );
    // Bookmarks: every part, in reading order.
    let outline = tool("qpdf", &["--json", "--json-key=outlines"], &path);
    let at: Vec<usize> = parts
        .iter()
        .map(|p| {
            outline
                .find(&format!("\"title\": \"{p}\""))
                .unwrap_or_else(|| panic!("no bookmark {p}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "bookmarks out of order");
    // Each part's sections under it, folded until the reader opens the part.
    let json: serde_json::Value = serde_json::from_str(&outline).unwrap();
    let top = json["outlines"].as_array().unwrap();
    // The contents, then the parts.
    assert_eq!(
        top.len(),
        parts.len() + 1,
        "the parts at the top: {outline:.2000}"
    );
    assert_eq!(top[0]["title"], "Contents");
    let dashboard = &top[2];
    assert_eq!(dashboard["title"], "Status Dashboard");
    assert!(
        dashboard["kids"].as_array().unwrap().len() > 3,
        "{dashboard}"
    );
    assert!(dashboard["open"] == false, "{dashboard}");
}

#[test]
pub(super) fn the_readout_as_a_deck_is_16_by_9_slides_that_read_in_order() {
    let f = fixture(sample::builder_insights().unwrap());
    let request = f.request(DocumentKind::Readout);
    let deck = roadbook_report::prepare_deck(&f.store, &request, "Test Lead").unwrap();
    assert!(
        deck == roadbook_report::prepare_deck(&f.store, &request, "Test Lead").unwrap(),
        "the same data and moment give the same slides"
    );
    let path = f.dir.path().join("deck.pdf");
    std::fs::write(&path, &deck).unwrap();
    check_file(&path);
    let info = tool("pdfinfo", &[], &path);
    assert!(info.contains("Page size:       960"), "{info}");
    assert!(info.contains(" x 540 pts"), "{info}");
    let slides = pages(&path);
    assert!(slides >= 6, "{slides} slides");
    // Every word on its slide, inside the margins.
    let html = tool("pdftotext", &["-bbox"], &path);
    for line in html.lines().filter(|l| l.trim_start().starts_with("<word")) {
        let attr = |name: &str| -> f32 {
            let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            let end = start + line[start..].find('"').unwrap();
            line[start..end].parse().unwrap()
        };
        assert!(
            attr("xMin") >= 39.0
                && attr("xMax") <= 921.0
                && attr("yMin") >= 10.0
                && attr("yMax") <= 530.0,
            "a word off its slide: {line}"
        );
    }
    // The slides in the order a review takes them, each starting with its title.
    let firsts: Vec<String> = (1..=slides).map(|n| page_text(&path, n)).collect();
    assert!(firsts[0].starts_with("Leadership Readout Builder Insights operationalization"));
    let order = [
        "Where the program stands",
        "Decisions needed",
        "Top risks",
        "Readiness",
        "Asks of leadership",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|t| {
            firsts
                .iter()
                .position(|s| s.starts_with(t))
                .unwrap_or_else(|| panic!("no slide {t}: {firsts:#?}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    let all = text(&path);
    assert_holds(
        &all,
        &[
            "Okta SSO path and claims model",
            "Identity readiness",
            "Sponsor the key dependencies",
            "likelihood",
        ],
        "deck",
    );
    // Drawn large enough to read on a screen: a line of the table's text is 14 pt or taller.
    let row = html
        .lines()
        .find(|l| l.contains(">Okta</word>"))
        .expect("the decision's title on a slide");
    let attr = |name: &str| -> f32 {
        let start = row.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + row[start..].find('"').unwrap();
        row[start..end].parse().unwrap()
    };
    assert!(attr("yMax") - attr("yMin") >= 14.0, "{row}");

    // Only the readout has a deck.
    let err = roadbook_report::prepare_deck(&f.store, &f.request(DocumentKind::Memo), "Test Lead")
        .unwrap_err();
    assert!(err.to_string().contains("readout only"), "{err}");
}
