//! `cargo bench -p roadbook-report`: one document of each kind for the sample program, in
//! process with fonts loaded once (the desktop app's case). Whole-process figures against
//! Chromium and wkhtmltopdf come from scripts/bench-documents.sh.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use roadbook_model::sample;
use roadbook_report::{
    DocumentKind, PortfolioFormat, PortfolioRequest, Request, prepare, prepare_portfolio,
};
use roadbook_store::Store;

fn documents(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("bench.db")).unwrap();
    let handbook = sample::builder_insights().unwrap();
    // Imported before the moment the documents are as of (they show the program as it was).
    let as_of: chrono::DateTime<chrono::Utc> =
        chrono::DateTime::parse_from_rfc3339("2026-11-22T09:00:00Z")
            .unwrap()
            .into();
    store.pin_clock(Some(as_of - chrono::Duration::days(7)));
    store.import(&handbook, "bench").unwrap();
    store.pin_clock(None);
    for kind in DocumentKind::ALL {
        let request = Request {
            kind,
            program: handbook.program.id,
            review: None,
            since: None,
            status: None,
            as_of,
            baseline: None,
        };
        c.bench_function(&format!("document {}", kind.as_str()), |b| {
            b.iter(|| black_box(prepare(&store, &request, "bench").unwrap().pdf.len()))
        });
    }
}

/// The Portfolio Readout of ten programs (the sample under ten names): an overview, the
/// decisions across them and a page per program.
fn portfolio(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("portfolio.db")).unwrap();
    let as_of: chrono::DateTime<chrono::Utc> =
        chrono::DateTime::parse_from_rfc3339("2026-11-22T09:00:00Z")
            .unwrap()
            .into();
    store.pin_clock(Some(as_of - chrono::Duration::days(7)));
    for n in 1..=10 {
        let mut handbook = sample::builder_insights().unwrap();
        handbook.program.name = format!("Program {n}");
        store.import(&handbook, "bench").unwrap();
    }
    store.pin_clock(None);
    let request = PortfolioRequest {
        programs: None,
        as_of,
    };
    c.bench_function("portfolio of 10 programs", |b| {
        b.iter(|| {
            black_box(
                prepare_portfolio(&store, &request, "bench", PortfolioFormat::Pdf)
                    .unwrap()
                    .len(),
            )
        })
    });
}

criterion_group!(benches, documents, portfolio);
criterion_main!(benches);
