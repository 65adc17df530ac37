//! `cargo bench -p roadbook-store`: opening and loading a large program, and one field edit.
//! Targets on the 2-core CI machine: load at most 50 ms, edit at most 1 ms median.
//! `make bench` prints the medians beside the targets; results go in docs/performance.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use roadbook_model::fixtures;
use roadbook_store::Store;

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
    let mut action = handbook.actions[handbook.actions.len() / 2].clone();
    let mut n = 0u64;
    c.bench_function("one field edit with history and outbox", |b| {
        b.iter(|| {
            n += 1;
            action.text = format!("edit {n}");
            black_box(store.save(handbook.program.id, &action, "bench").unwrap())
        })
    });
}

criterion_group!(benches, open_and_load, field_edit);
criterion_main!(benches);
