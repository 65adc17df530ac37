//! Saving an item given as JSON with its kind: for callers that receive items as data (the
//! desktop shell over IPC, later the sync) rather than as Rust types.

use roadbook_model::*;
use serde_json::Value;

use crate::{Result, Saved, Store, StoreError};

fn typed<E: Entity>(store: &mut Store, program: Id, value: Value, author: &str) -> Result<Saved> {
    let item: E = serde_json::from_value(value).map_err(|e| {
        StoreError::Invalid(Invalid(vec![Problem {
            path: E::KIND.noun().to_owned(),
            message: e.to_string(),
        }]))
    })?;
    store.save(program, &item, author)
}

impl Store {
    /// Checks `value` is a well-formed item of `kind`, then saves it like [`Store::save`].
    pub fn save_value(
        &mut self,
        program: Id,
        kind: Kind,
        value: Value,
        author: &str,
    ) -> Result<Saved> {
        match kind {
            Kind::Program => typed::<Program>(self, program, value, author),
            Kind::Status => typed::<Status>(self, program, value, author),
            Kind::Owner => typed::<Owner>(self, program, value, author),
            Kind::Workstream => typed::<Workstream>(self, program, value, author),
            Kind::Decision => typed::<Decision>(self, program, value, author),
            Kind::Risk => typed::<Risk>(self, program, value, author),
            Kind::Dependency => typed::<Dependency>(self, program, value, author),
            Kind::Phase => typed::<Phase>(self, program, value, author),
            Kind::WorkItem => typed::<WorkItem>(self, program, value, author),
            Kind::ExitCriterion => typed::<ExitCriterion>(self, program, value, author),
            Kind::Milestone => typed::<Milestone>(self, program, value, author),
            Kind::ReadinessDimension => typed::<ReadinessDimension>(self, program, value, author),
            Kind::ReadinessCheck => typed::<ReadinessCheck>(self, program, value, author),
            Kind::Review => typed::<Review>(self, program, value, author),
            Kind::Action => typed::<Action>(self, program, value, author),
        }
    }
}
