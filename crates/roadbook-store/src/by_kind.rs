//! Creating an item given as JSON with its kind: for callers that receive items as data (the
//! desktop shell over IPC) rather than as Rust types.

use roadbook_model::{Entity, Id, Kind, for_kind, strict};
use serde_json::Value;

use crate::{Result, Saved, Store};

fn create_typed<E: Entity>(
    store: &mut Store,
    program: Id,
    value: Value,
    author: &str,
) -> Result<Saved> {
    // Strict: a field the model does not have is a mistake of the sender, not data to keep.
    let item: E = strict(E::KIND.noun(), value)?;
    store.create(program, &item, author)
}

impl Store {
    /// Checks `value` is a well-formed item of `kind` with no unknown fields, then adds it like
    /// [`Store::create`].
    pub fn create_value(
        &mut self,
        program: Id,
        kind: Kind,
        value: Value,
        author: &str,
    ) -> Result<Saved> {
        for_kind!(kind, create_typed(self, program, value, author))
    }
}
