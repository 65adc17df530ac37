//! Tagged PDF, checked by reading each file back with lopdf: the machine-checkable core of
//! PDF/UA-1 for every kind of document and the deck. Every piece of page content is either
//! marked content of one structure element or an artifact; every MCID is in the structure tree
//! and the parent tree exactly once; figures say what they show; headings do not skip levels;
//! the language and the title are set. The reading order of the readout and the handbook, as
//! poppler reads the structure, is a golden file.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod common;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};
use roadbook_model::sample;
use roadbook_report::{DocumentKind, prepare, prepare_deck};

use common::{request, store_with as store};

fn dict<'a>(doc: &'a Document, object: &'a Object) -> &'a Dictionary {
    match object {
        Object::Reference(id) => doc.get_dictionary(*id).unwrap(),
        Object::Dictionary(d) => d,
        other => panic!("not a dictionary: {other:?}"),
    }
}

fn name(object: &Object) -> String {
    String::from_utf8(object.as_name().unwrap().to_vec()).unwrap()
}

/// What the structure tree holds: each (page, MCID) it names with how often, the headings in
/// reading order, figures without alternative text, annotations it names.
#[derive(Default)]
struct Tree {
    mcids: BTreeMap<(ObjectId, i64), usize>,
    headings: Vec<u8>,
    figures_without_alt: usize,
    alt_not_text_strings: usize,
    elements: usize,
    annotations: BTreeSet<ObjectId>,
}

fn walk(doc: &Document, element: ObjectId, tree: &mut Tree) {
    let e = doc.get_dictionary(element).unwrap();
    tree.elements += 1;
    let role = name(e.get(b"S").unwrap());
    if let Some(level) = role.strip_prefix('H').and_then(|l| l.parse::<u8>().ok()) {
        tree.headings.push(level);
    }
    if role == "Figure" {
        let alt = e.get(b"Alt").ok().and_then(|a| a.as_str().ok());
        if alt.is_none_or(|a| a.is_empty()) {
            tree.figures_without_alt += 1;
        }
        // A text string is PDFDocEncoding (ASCII here) or UTF-16BE after its byte-order mark:
        // raw UTF-8 would read as other letters.
        if let Some(alt) = alt
            && !alt.is_ascii()
            && !alt.starts_with(&[0xFE, 0xFF])
        {
            tree.alt_not_text_strings += 1;
        }
    }
    let page = e.get(b"Pg").ok().map(|p| p.as_reference().unwrap());
    let kids = match e.get(b"K") {
        Ok(Object::Array(kids)) => kids.clone(),
        Ok(one) => vec![one.clone()],
        Err(_) => Vec::new(),
    };
    for kid in kids {
        match &kid {
            Object::Integer(mcid) => {
                *tree
                    .mcids
                    .entry((page.expect("an MCID needs the element's page"), *mcid))
                    .or_default() += 1;
            }
            Object::Reference(child) => walk(doc, *child, tree),
            Object::Dictionary(d) => match name(d.get(b"Type").unwrap()).as_str() {
                "MCR" => {
                    let pg = d.get(b"Pg").unwrap().as_reference().unwrap();
                    let mcid = d.get(b"MCID").unwrap().as_i64().unwrap();
                    *tree.mcids.entry((pg, mcid)).or_default() += 1;
                }
                "OBJR" => {
                    tree.annotations
                        .insert(d.get(b"Obj").unwrap().as_reference().unwrap());
                }
                other => panic!("a kid of type {other}"),
            },
            other => panic!("a kid {other:?}"),
        }
    }
}

/// Checks one PDF; the problems found, in words.
fn problems(pdf: &[u8], what: &str) -> Vec<String> {
    let doc = Document::load_mem(pdf).unwrap();
    let mut found = Vec::new();
    let catalog = doc.catalog().unwrap();
    if catalog.get(b"Lang").ok().and_then(|l| l.as_str().ok()) != Some(b"en-US") {
        found.push(format!("{what}: no /Lang"));
    }
    let marked = dict(&doc, catalog.get(b"MarkInfo").unwrap())
        .get(b"Marked")
        .unwrap()
        .as_bool()
        .unwrap();
    if !marked {
        found.push(format!("{what}: not marked as tagged"));
    }
    let display_title = dict(&doc, catalog.get(b"ViewerPreferences").unwrap())
        .get(b"DisplayDocTitle")
        .ok()
        .and_then(|b| b.as_bool().ok());
    if display_title != Some(true) {
        found.push(format!("{what}: the window does not show the title"));
    }
    let info = dict(&doc, doc.trailer.get(b"Info").unwrap());
    if info
        .get(b"Title")
        .ok()
        .and_then(|t| t.as_str().ok())
        .is_none_or(<[u8]>::is_empty)
    {
        found.push(format!("{what}: no title"));
    }
    let metadata = doc
        .get_object(catalog.get(b"Metadata").unwrap().as_reference().unwrap())
        .unwrap()
        .as_stream()
        .unwrap();
    let xmp = String::from_utf8_lossy(&metadata.content);
    if !xmp.contains("<pdfuaid:part>1</pdfuaid:part>") || !xmp.contains("<dc:title>") {
        found.push(format!(
            "{what}: the XMP lacks the title or the PDF/UA part"
        ));
    }

    let root = dict(&doc, catalog.get(b"StructTreeRoot").unwrap());
    let mut tree = Tree::default();
    walk(
        &doc,
        root.get(b"K").unwrap().as_reference().unwrap(),
        &mut tree,
    );
    if tree.alt_not_text_strings > 0 {
        found.push(format!(
            "{what}: {} /Alt not a PDF text string",
            tree.alt_not_text_strings
        ));
    }
    if tree.figures_without_alt > 0 {
        found.push(format!(
            "{what}: {} figures without /Alt",
            tree.figures_without_alt
        ));
    }
    let mut deepest = 0u8;
    for level in &tree.headings {
        if *level > deepest + 1 {
            found.push(format!(
                "{what}: H{level} follows H{deepest}: a level skipped"
            ));
        }
        deepest = *level;
    }
    if tree.headings.first() != Some(&1) {
        found.push(format!("{what}: the first heading is not H1"));
    }
    let parent_tree = dict(&doc, root.get(b"ParentTree").unwrap());
    let nums = parent_tree.get(b"Nums").unwrap().as_array().unwrap();
    let parents: BTreeMap<i64, &Object> = nums
        .chunks(2)
        .map(|pair| (pair[0].as_i64().unwrap(), &pair[1]))
        .collect();

    for (page_number, page_id) in doc.get_pages() {
        let page = doc.get_dictionary(page_id).unwrap();
        let key = page.get(b"StructParents").unwrap().as_i64().unwrap();
        let entries = parents
            .get(&key)
            .map(|o| o.as_array().unwrap().clone())
            .unwrap_or_default();
        let content = Content::decode(&doc.get_page_content(page_id)).unwrap();
        // The marked-content sequences open around each operation: artifact or an MCID.
        let mut open: Vec<Option<i64>> = Vec::new();
        let mut seen = BTreeSet::new();
        for op in &content.operations {
            match op.operator.as_str() {
                "BMC" | "BDC" => {
                    let tag = name(&op.operands[0]);
                    let mcid = op
                        .operands
                        .get(1)
                        .and_then(|p| p.as_dict().ok())
                        .and_then(|d| d.get(b"MCID").ok())
                        .and_then(|m| m.as_i64().ok());
                    let in_artifact = open.iter().any(Option::is_none);
                    let actual_text = op
                        .operands
                        .get(1)
                        .and_then(|p| p.as_dict().ok())
                        .is_some_and(|d| d.has(b"ActualText"));
                    if tag == "Artifact" {
                        open.push(None);
                    } else if tag == "Span" && actual_text && mcid.is_none() {
                        // A run's copy text inside its element's content (Devanagari).
                        if open.is_empty() {
                            found.push(format!(
                                "{what} page {page_number}: a span outside any element"
                            ));
                        }
                        open.push(Some(-2));
                    } else if let Some(mcid) = mcid {
                        if in_artifact {
                            found.push(format!(
                                "{what} page {page_number}: MCID {mcid} inside an artifact"
                            ));
                        }
                        if !seen.insert(mcid) {
                            found.push(format!("{what} page {page_number}: MCID {mcid} twice"));
                        }
                        let parent = entries.get(mcid as usize);
                        if !matches!(parent, Some(Object::Reference(_))) {
                            found.push(format!(
                                "{what} page {page_number}: MCID {mcid} not in the parent tree"
                            ));
                        }
                        if tree.mcids.get(&(page_id, mcid)) != Some(&1) {
                            found.push(format!(
                                "{what} page {page_number}: MCID {mcid} is in the structure tree {} times",
                                tree.mcids.get(&(page_id, mcid)).copied().unwrap_or(0)
                            ));
                        }
                        open.push(Some(mcid));
                    } else {
                        found.push(format!("{what} page {page_number}: /{tag} without an MCID"));
                        open.push(Some(-1));
                    }
                }
                "EMC" => {
                    open.pop();
                }
                // Text and paths: content of an element, or an artifact; never loose.
                "Tj" | "TJ" | "'" | "\"" | "re" | "f" | "S" | "B" | "l" if open.is_empty() => {
                    found.push(format!(
                        "{what} page {page_number}: '{}' neither tagged nor an artifact",
                        op.operator
                    ));
                }
                _ => {}
            }
        }
        if entries.len() != seen.len() {
            found.push(format!(
                "{what} page {page_number}: the parent tree names {} MCIDs, the page has {}",
                entries.len(),
                seen.len()
            ));
        }
        // Each link annotation is reached from its Link element, and back.
        if let Ok(Object::Array(annots)) = page.get(b"Annots") {
            for annot in annots {
                let id = annot
                    .as_reference()
                    .expect("annotations are objects of their own");
                let a = doc.get_dictionary(id).unwrap();
                let key = a.get(b"StructParent").unwrap().as_i64().unwrap();
                if !matches!(parents.get(&key), Some(Object::Reference(_))) {
                    found.push(format!(
                        "{what} page {page_number}: an annotation not in the parent tree"
                    ));
                }
                if !tree.annotations.contains(&id) {
                    found.push(format!(
                        "{what} page {page_number}: an annotation no Link element holds"
                    ));
                }
            }
        }
    }
    for ((page, mcid), n) in &tree.mcids {
        if *n != 1 {
            found.push(format!(
                "{what}: MCID {mcid} on {page:?} is named {n} times"
            ));
        }
    }
    found
}

#[test]
fn every_document_and_the_deck_are_tagged_for_a_screen_reader() {
    let handbook = sample::builder_insights().unwrap();
    let (_dir, store) = store(&handbook);
    let mut found = Vec::new();
    for kind in DocumentKind::ALL {
        let issued = prepare(&store, &request(kind, &handbook), "Test Lead").unwrap();
        found.extend(problems(&issued.pdf, kind.as_str()));
    }
    let deck = prepare_deck(
        &store,
        &request(DocumentKind::Readout, &handbook),
        "Test Lead",
    )
    .unwrap();
    found.extend(problems(&deck, "deck"));
    // A Devanagari title: its runs carry their copy text in a span inside the element; a
    // readiness dimension named in Hindi goes into the readout's chart description.
    let mut hindi = handbook.clone();
    hindi.decisions[0].title = "हिन्दी निर्णय किताब".into();
    hindi.readiness_dimensions[0].name = "पहचान तैयारी".into();
    let (_hindi_dir, hindi_store) = common::store_with(&hindi);
    let register = prepare(
        &hindi_store,
        &request(DocumentKind::Register, &hindi),
        "Test Lead",
    )
    .unwrap();
    found.extend(problems(&register.pdf, "register in Hindi"));
    let readout = prepare(
        &hindi_store,
        &request(DocumentKind::Readout, &hindi),
        "Test Lead",
    )
    .unwrap();
    found.extend(problems(&readout.pdf, "readout in Hindi"));
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The checks can fail: a page whose text is neither tagged nor an artifact is found.
#[test]
fn untagged_text_is_found() {
    let handbook = sample::builder_insights().unwrap();
    let (_dir, store) = store(&handbook);
    let issued = prepare(&store, &request(DocumentKind::Memo, &handbook), "Test Lead").unwrap();
    let mut doc = Document::load_mem(&issued.pdf).unwrap();
    let (_, page) = doc.get_pages().into_iter().next().unwrap();
    let mut content = Content::decode(&doc.get_page_content(page)).unwrap();
    content
        .operations
        .retain(|op| !matches!(op.operator.as_str(), "BMC" | "BDC" | "EMC"));
    doc.change_page_content(page, content.encode().unwrap())
        .unwrap();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    let found = problems(&bytes, "memo");
    assert!(
        found
            .iter()
            .any(|f| f.contains("neither tagged nor an artifact")),
        "{found:?}"
    );
}

/// The reading order of the readout and the handbook as poppler reads their structure. After a
/// deliberate change, `ROADBOOK_UPDATE_GOLDEN=1` rewrites the files; read the diff.
#[test]
fn the_readout_and_the_handbook_read_in_order() {
    let handbook = sample::builder_insights().unwrap();
    let (dir, store) = store(&handbook);
    for kind in [DocumentKind::Readout, DocumentKind::Handbook] {
        let issued = prepare(&store, &request(kind, &handbook), "Test Lead").unwrap();
        let path = dir.path().join(format!("{}.pdf", kind.as_str()));
        std::fs::write(&path, &issued.pdf).unwrap();
        let out = std::process::Command::new("pdfinfo")
            .arg("-struct-text")
            .arg(&path)
            .output()
            .expect("pdfinfo (make test installs poppler-utils)");
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(format!("{}.struct.txt", kind.as_str()));
        if std::env::var_os("ROADBOOK_UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &text).unwrap();
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (ROADBOOK_UPDATE_GOLDEN=1 writes it)",
                golden.display()
            )
        });
        if text != expected {
            let line = text
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(text.lines().count().min(expected.lines().count()));
            panic!(
                "{} reads differently from {} at line {}:\n  now:      {:?}\n  expected: {:?}",
                kind.as_str(),
                golden.display(),
                line + 1,
                text.lines().nth(line),
                expected.lines().nth(line)
            );
        }
    }
}
