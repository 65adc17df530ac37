//! The documents, checked the way a reader would: with poppler and qpdf on real PDF files.

// A test that fails should stop at once with the value that was wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, TimeZone, Utc};
use roadbook_model::{Decision, Handbook, Id, fixtures, sample};
use roadbook_report::layout::{MARGIN, PAGE_H, PAGE_W};
use roadbook_report::{DocumentKind, Issued, Request, prepare, regenerate};
use roadbook_store::{Store, edits_between};

mod every_kind;
mod figures;
mod formats;
mod links;
mod portfolio;
mod script;
mod time;

/// Writes the fields that differ between two copies of an item, as the lead's edit does.
fn edit<E: roadbook_model::Entity>(store: &mut Store, program: Id, before: &E, after: &E) {
    let seen = store.field_revisions(after.id()).unwrap();
    let edits = edits_between(before, after, &seen).unwrap();
    store
        .edit(program, E::KIND, after.id(), &edits, "Test Lead")
        .unwrap();
}

struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
    handbook: Handbook,
}

fn fixture(handbook: Handbook) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("r.db")).unwrap();
    // Imported before the documents' moment (they show the program as it was then).
    store.pin_clock(Some(Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    store.import(&handbook, "Test Lead").unwrap();
    store.pin_clock(None);
    Fixture {
        dir,
        store,
        handbook,
    }
}

fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

impl Fixture {
    fn request(&self, kind: DocumentKind) -> Request {
        Request {
            kind,
            program: self.handbook.program.id,
            review: None,
            since: None,
            status: None,
            as_of: as_of(),
            baseline: None,
        }
    }

    fn issue(&self, request: &Request) -> (Issued, PathBuf) {
        let issued = prepare(&self.store, request, "Test Lead").unwrap();
        let path = self.dir.path().join(format!(
            "{}-{}.pdf",
            request.kind.as_str(),
            issued.record.id
        ));
        std::fs::write(&path, &issued.pdf).unwrap();
        (issued, path)
    }
}

fn tool(name: &str, args: &[&str], file: &Path) -> String {
    // pdftotext writes next to the file unless told to use stdout.
    let stdout: &[&str] = if name == "pdftotext" { &["-"] } else { &[] };
    let out = Command::new(name)
        .args(args)
        .arg(file)
        .args(stdout)
        .output()
        .unwrap_or_else(|e| panic!("{name}: {e} (make test installs it)"));
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The document's text in drawing order with all whitespace folded, so a phrase wrapped over
/// lines of a cell still reads as one.
fn text(file: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(file)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn assert_holds(text: &str, facts: &[&str], doc: &str) {
    for fact in facts {
        assert!(text.contains(fact), "{doc} does not show {fact:?}");
    }
}

fn check_file(path: &Path) {
    let check = tool("qpdf", &["--check"], path);
    assert!(
        check.contains("No syntax or stream encoding errors"),
        "{check}"
    );
    let fonts = tool("pdffonts", &[], path);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no fonts: {fonts}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let n = cols.len();
        assert_eq!(cols[n - 5], "yes", "font not embedded: {row}");
        // pdffonts' "sub" column: the name starts with the standard six-capital subset tag.
        assert_eq!(cols[n - 4], "yes", "subset font without its tag: {row}");
    }
    // No claim of a standard the file does not meet, and nothing left empty in its info.
    let info = tool("pdfinfo", &[], path);
    assert!(
        !info.contains("PDF/X") && !info.contains("Keywords:"),
        "{info}"
    );
    let doc = lopdf::Document::load(path).unwrap();
    let catalog = doc.catalog().unwrap();
    assert_eq!(catalog.get(b"Lang").unwrap().as_str().unwrap(), b"en-US");
    if let Ok(mode) = catalog.get(b"PageMode") {
        // A name opens the bookmarks with the file; a string is ignored by viewers.
        assert_eq!(mode.as_name().unwrap(), b"UseOutlines", "{mode:?}");
    }
    // Subset, not whole: the fonts alone weigh megabytes (Droid Sans Fallback 4 MB).
    let size = std::fs::metadata(path).unwrap().len();
    assert!(
        size < 1_500_000,
        "{} is {size} bytes: fonts are not subset",
        path.display()
    );
}

/// Every word's box from `pdftotext -bbox` lies inside the content area between the margins.
fn check_bounds(path: &Path) -> usize {
    let html = tool("pdftotext", &["-bbox"], path);
    let mut words = 0;
    for line in html.lines().filter(|l| l.trim_start().starts_with("<word")) {
        let attr = |name: &str| -> f32 {
            let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            let end = start + line[start..].find('"').unwrap();
            line[start..end].parse().unwrap()
        };
        let (x0, y0, x1, y1) = (attr("xMin"), attr("yMin"), attr("xMax"), attr("yMax"));
        assert!(
            x0 >= MARGIN - 1.0 && x1 <= PAGE_W - MARGIN + 1.0,
            "word outside the side margins: {line}"
        );
        assert!(
            y0 >= 20.0 && y1 <= PAGE_H - 20.0,
            "word outside the top or bottom: {line}"
        );
        words += 1;
    }
    words
}

fn pages(path: &Path) -> usize {
    let info = tool("pdfinfo", &[], path);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn page_text(path: &Path, page: usize) -> String {
    let p = page.to_string();
    tool("pdftotext", &["-raw", "-f", &p, "-l", &p], path)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        + " "
}
