//! What the page-flow and tagging tests share: a program in a store on disk, imported before
//! the documents' moment, and a request for one kind of document as of that moment.

use chrono::{TimeZone, Utc};
use roadbook_model::Handbook;
use roadbook_report::{DocumentKind, Request};
use roadbook_store::Store;

/// The program imported on 1 November 2026 into a new database file.
pub fn store_with(handbook: &Handbook) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("documents.db")).unwrap();
    store.pin_clock(Some(Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    store.import(handbook, "Test Lead").unwrap();
    store.pin_clock(None);
    (dir, store)
}

/// A document of `kind` as of 22 November 2026.
pub fn request(kind: DocumentKind, handbook: &Handbook) -> Request {
    Request {
        kind,
        program: handbook.program.id,
        review: None,
        since: None,
        status: None,
        as_of: Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap(),
        baseline: None,
    }
}
