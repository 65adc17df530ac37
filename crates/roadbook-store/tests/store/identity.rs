//! A database's identity in the sync: a copy is told apart from its original.

use roadbook_store::Store;

use super::{update, with_sample};

#[test]
fn a_copied_database_takes_a_new_client_id_and_numbers_its_pending_changes_afresh() {
    let (dir, path, handbook) = with_sample();
    let program = handbook.program.id;
    let mut store = Store::open(&path).unwrap();
    // Some changes were acknowledged already: the pending ones do not start at 1.
    let first: Vec<u64> = store
        .outbox(None)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .take(10)
        .collect();
    store.acknowledge(program, &first).unwrap();
    let mut decision = handbook.decisions[0].clone();
    decision.title = "Edited before the copy".into();
    update(&mut store, program, &decision, "lead").unwrap();
    let original_id = store.client_id();
    let original_outbox = store.outbox(None).unwrap();
    assert_eq!(original_outbox[0].seq, 11);
    drop(store);

    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    let mut copied = Store::open(&copy).unwrap();
    assert_ne!(copied.client_id(), original_id, "a copy is another client");
    let outbox = copied.outbox(None).unwrap();
    assert_eq!(
        outbox.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=outbox.len() as u64).collect::<Vec<_>>(),
        "its pending changes are numbered afresh under its own id"
    );
    assert_eq!(
        outbox.iter().map(|e| e.mutation_id).collect::<Vec<_>>(),
        original_outbox
            .iter()
            .map(|e| e.mutation_id)
            .collect::<Vec<_>>(),
        "each change keeps its own identity"
    );
    decision.title = "Edited in the copy".into();
    update(&mut copied, program, &decision, "lead").unwrap();
    assert_eq!(
        copied.outbox(None).unwrap().last().unwrap().seq,
        outbox.len() as u64 + 1
    );
    let copy_id = copied.client_id();
    drop(copied);
    assert_eq!(
        Store::open(&copy).unwrap().client_id(),
        copy_id,
        "and keeps it"
    );

    let original = Store::open(&path).unwrap();
    assert_eq!(
        original.client_id(),
        original_id,
        "the original keeps its own"
    );
    assert_eq!(original.outbox(None).unwrap(), original_outbox);
}
