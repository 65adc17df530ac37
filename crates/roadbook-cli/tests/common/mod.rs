//! What the CLI's test files share: the real binary run against a database file.

#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use roadbook_model::{Handbook, Id};

pub const AUTHOR: &str = "Test Lead";

pub fn roadbook(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_roadbook"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("ROADBOOK_AUTHOR", AUTHOR)
        .env_remove("ROADBOOK_DB")
        .output()
        .unwrap()
}

pub fn ok(db: &Path, args: &[&str]) -> String {
    let out = roadbook(db, args);
    assert!(
        out.status.success(),
        "roadbook {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail; returns its one-line reason.
pub fn fails(db: &Path, args: &[&str]) -> String {
    let out = roadbook(db, args);
    assert!(
        !out.status.success(),
        "roadbook {args:?} should have failed"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout on error");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("roadbook: "), "{err}");
    err
}

pub fn sample_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let id = ok(&db, &["init", "--sample"]);
    id.trim().parse::<Id>().unwrap();
    (dir, db)
}

pub fn export(db: &Path) -> Handbook {
    Handbook::from_json(&ok(db, &["export"])).unwrap()
}
