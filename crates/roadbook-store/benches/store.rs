//! `cargo bench -p roadbook-store`: opening and loading a large program, one field edit, and a
//! move to the top of a long list, each beside the limit it is measured against in the same
//! run: parsing the same bodies with serde_json alone, and a bare fsync'd one-row SQLite commit
//! with the store's pragmas. `make bench` prints each median, its ratio to its limit and the
//! goal for that ratio (scripts/bench-summary.py); results go in docs/performance.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use roadbook_model::{Kind, fixtures};
use roadbook_store::{Edits, FieldEdit, Saved, Store};

const ITEMS: usize = 10_000;

fn setup() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    roadbook_model::Handbook,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let handbook = fixtures::generated(ITEMS, 2026);
    Store::open(&path)
        .unwrap()
        .import(&handbook, "bench")
        .unwrap();
    (dir, path, handbook)
}

fn open_and_load(c: &mut Criterion) {
    let (_dir, path, handbook) = setup();
    assert!(handbook.item_count() >= ITEMS);
    c.bench_function("open + load 10k items", |b| {
        b.iter(|| {
            let store = Store::open(&path).unwrap();
            black_box(store.load(handbook.program.id).unwrap())
        })
    });
}

fn field_edit(c: &mut Criterion) {
    let (_dir, path, handbook) = setup();
    let mut store = Store::open(&path).unwrap();
    let action = &handbook.actions[handbook.actions.len() / 2];
    let mut seen = store.field_revisions(action.id).unwrap()["text"];
    let mut n = 0u64;
    c.bench_function("one field edit with history and outbox", |b| {
        b.iter(|| {
            n += 1;
            let edits = Edits::from([(
                "text".to_owned(),
                FieldEdit {
                    value: serde_json::json!(format!("edit {n}")),
                    seen,
                },
            )]);
            let saved = store
                .edit(
                    handbook.program.id,
                    Kind::Action,
                    action.id,
                    &edits,
                    "bench",
                )
                .unwrap();
            if let Saved::Updated { revisions, .. } = &saved {
                seen = revisions["text"];
            }
            black_box(saved)
        })
    });
}

fn move_to_the_top(c: &mut Criterion) {
    let (_dir, path, handbook) = setup();
    let mut store = Store::open(&path).unwrap();
    let mut order: std::collections::VecDeque<_> =
        handbook.decisions.iter().map(|d| d.id).collect();
    c.bench_function("move an item to the top of a 10k-item program", |b| {
        b.iter(|| {
            let last = order.pop_back().unwrap();
            let first = order.front().copied();
            order.push_front(last);
            black_box(store.move_item(last, first, "bench").unwrap())
        })
    });
}

/// The limit of a load: the same item bodies parsed into their types by serde_json, with no
/// SQLite at all.
fn parse_the_bodies(c: &mut Criterion) {
    let (_dir, path, handbook) = setup();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut stmt = conn
        .prepare("SELECT kind, body FROM items WHERE program_id = ?1 AND kind <> 'program' AND deleted = 0")
        .unwrap();
    let bodies: Vec<(Kind, String)> = stmt
        .query_map([handbook.program.id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .unwrap()
        .map(|r| {
            let (kind, body) = r.unwrap();
            (kind.parse().unwrap(), body)
        })
        .collect();
    assert!(bodies.len() >= ITEMS - 1);
    c.bench_function("limit: parse the same 10k bodies with serde_json", |b| {
        b.iter(|| {
            let mut parsed = roadbook_model::Handbook::empty(handbook.program.clone());
            for (kind, body) in &bodies {
                parsed.push_json(*kind, body).unwrap();
            }
            black_box(parsed)
        })
    });
}

/// The limit of an edit: one row updated and committed, fsync'd, with the store's pragmas (WAL,
/// synchronous FULL, foreign keys), in a database file beside the store's.
fn bare_commit(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("bare.db")).unwrap();
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    conn.pragma_update(None, "journal_mode", "wal").unwrap();
    conn.pragma_update(None, "synchronous", "full").unwrap();
    conn.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL); INSERT INTO t VALUES (1, '');",
    )
    .unwrap();
    let mut n = 0u64;
    c.bench_function("limit: a bare fsync'd one-row SQLite commit", |b| {
        b.iter(|| {
            n += 1;
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            conn.execute("UPDATE t SET v = ?1 WHERE id = 1", [format!("edit {n}")])
                .unwrap();
            conn.execute_batch("COMMIT").unwrap();
        })
    });
}

criterion_group!(
    benches,
    open_and_load,
    parse_the_bodies,
    field_edit,
    move_to_the_top,
    bare_commit
);
criterion_main!(benches);
