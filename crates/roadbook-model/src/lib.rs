//! The program model of Roadbook: the handbook of one cross-functional program (workstreams,
//! decision register, risks, phases, milestones, readiness, reviews, actions) with its shared
//! status vocabulary and owner labels, its validation and the bundled sample program.
//!
//! No IO here: the store, the documents and the sync build on these types.

mod baseline;
mod check;
mod date;
mod entities;
mod fields;
pub mod fixtures;
mod glance;
mod handbook;
mod health;
mod id;
mod in_program;
mod kind;
mod links;
mod mine;
mod order;
mod problems;
mod role;
pub mod sample;
mod schema;
mod usage;
mod words;

pub use baseline::{Since, Slip, Tally, WhichDate, slips};
pub use check::{AskDecisions, CheckRule, Finding, FollowUps, ask_decisions, check, follow_ups};
pub use date::{BadDate, Date};
pub use entities::*;
pub use fields::{SetDelta, merge_sets, strict};
pub use glance::{Bar, Mark, Tick, Timeline, timeline, timeline_against};
pub use handbook::{
    AnyEntity, FORMAT, FORMAT_VERSION, Handbook, HandbookError, default_statuses, to_fields,
};
pub use health::{Health, HealthCall};
pub use id::{BadId, Id};
pub use in_program::{Found, Lookups, check_in_program};
pub use kind::{Kind, UnknownWord};
pub use links::{
    Direction, LINKABLE, Link, LinkReason, LinkState, Needed, OtherItem, check_other_item, judge,
    link_findings, links,
};
pub use mine::{Due, MyItem, due_state, my_items, my_items_and_links, who_you_are};
pub use order::{BadOrderKey, OrderKey, list_order};
pub use problems::{Invalid, Problem, Problems};
pub use role::Role;
pub use schema::{
    Field, FieldType, LABEL_FIELDS, check_unique_name, field, field_label, fields, label_in,
    name_key, same_name, schema_json,
};
pub use usage::UsageKind;
pub use words::{capital, isolate, list};
