//! `roadbook` as a person runs it: the real binary against real database files.

// A test that fails should stop at once with the value that was wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use roadbook_model::{AttendeeGroup, Handbook, Id, Level, OutputTiming, ReadinessState, RiskScope};
use serde_json::Value;

#[path = "../common/mod.rs"]
mod common;
use common::{AUTHOR, export, fails, ok, roadbook, sample_db};

mod baselines;
mod documents;
mod items;
mod links;
mod portfolio;
mod refused;
mod seed_pages;
