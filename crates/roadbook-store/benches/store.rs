//! `cargo bench -p roadbook-store`: opening and loading a large program, one field edit, and a
//! move to the top of a long list.
//! Targets on the 2-core CI machine: load at most 50 ms, edit at most 1 ms median.
//! `make bench` prints the medians beside the targets; results go in docs/performance.md.

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

criterion_group!(benches, open_and_load, field_edit, move_to_the_top);
criterion_main!(benches);
