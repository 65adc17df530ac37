//! Launch settings the app refuses before it opens a window or a database: one line on stderr
//! that says what to set, exit status 1, nothing written.

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn launch(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_roadbook-desktop"))
        .args(args)
        .envs(env.iter().copied())
        .env("ROADBOOK_DB", dir.path().join("roadbook.db"))
        // No display: were the settings accepted, GTK would fail instead, with another message.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stderr).unwrap(),
        dir,
    )
}

#[test]
fn an_unknown_rendering_is_refused_with_what_to_set() {
    let (code, err, dir) = launch(&[], &[("ROADBOOK_RENDERING", "fast")]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(
        err,
        "roadbook-desktop: ROADBOOK_RENDERING is \"fast\"; set it to gpu or cpu, or unset it to \
         let Roadbook choose by the machine\n"
    );
    assert!(!dir.path().join("roadbook.db").exists(), "no database made");
}

#[test]
fn db_without_a_path_is_refused() {
    let (code, err, dir) = launch(&["--db"], &[("ROADBOOK_RENDERING", "gpu")]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(err, "roadbook-desktop: --db needs a path\n");
    assert!(!dir.path().join("roadbook.db").exists(), "no database made");
}
