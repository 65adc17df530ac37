//! `roadbook dependency add --other-item`: a dependency on another program's milestone, flagged
//! by `roadbook check` on both programs when it breaks; what cannot be named is refused; a
//! delete says whose plan it breaks.

use super::*;

fn first(db: &Path, args: &[&str]) -> String {
    ok(db, args).split_whitespace().next().unwrap().to_owned()
}

#[test]
fn a_dependency_on_another_program_is_flagged_on_both_and_what_cannot_be_named_is_refused() {
    let (_dir, db) = sample_db();
    let identity = first(&db, &["programs"]);
    let field = ok(&db, &["init", "--name", "Field Enablement"])
        .trim()
        .to_owned();
    let milestone = first(&db, &["milestone", "list", "--program", &identity]);
    ok(
        &db,
        &["milestone", "set", &milestone, "--target", "2027-01-20"],
    );
    let identity_had = ok(&db, &["dependency", "list", "--program", &identity]);
    let dependency = ok(
        &db,
        &[
            "dependency",
            "add",
            "--program",
            &field,
            "--dependent",
            "Field launch",
            "--depends-on",
            "Identity sign-in live",
            "--other-item",
            &milestone,
            "--needed-by",
            "2027-01-15",
        ],
    )
    .trim()
    .to_owned();
    let shown = ok(&db, &["dependency", "show", &dependency]);
    assert!(
        shown.contains(
            "Item of another program: 'Milestone 1' of 'Builder Insights operationalization'"
        ),
        "{shown}"
    );
    let field_check = ok(&db, &["check", "--program", &field, "--on", "2026-12-07"]);
    assert!(
        field_check.contains("needed by 15 Jan 2027: broken, its target is 20 Jan 2027"),
        "{field_check}"
    );
    let identity_check = ok(
        &db,
        &["check", "--program", &identity, "--on", "2026-12-07"],
    );
    assert!(
        identity_check
            .contains("‘Field launch’ of ‘Field Enablement’ depends on milestone ‘Milestone 1’"),
        "{identity_check}"
    );
    // Back before the need-by date: nothing to look at on either side.
    ok(
        &db,
        &["milestone", "set", &milestone, "--target", "2027-01-10"],
    );
    for program in [&field, &identity] {
        let said = ok(&db, &["check", "--program", program, "--on", "2026-12-07"]);
        assert!(!said.contains("Field launch"), "{said}");
    }

    // Refused, and nothing written: an item of the same program, a risk, a deleted item.
    let risk = first(&db, &["risk", "list", "--program", &identity]);
    let own = first(&db, &["milestone", "list", "--program", &identity]);
    let add = |item: &str| {
        fails(
            &db,
            &[
                "dependency",
                "add",
                "--program",
                &identity,
                "--dependent",
                "x",
                "--depends-on",
                "y",
                "--other-item",
                item,
            ],
        )
    };
    assert!(add(&own).contains("an item of this program"));
    let refused = fails(
        &db,
        &[
            "dependency",
            "add",
            "--program",
            &field,
            "--dependent",
            "x",
            "--depends-on",
            "y",
            "--other-item",
            &risk,
        ],
    );
    assert!(refused.contains("names a risk"), "{refused}");
    // A delete says whose plan it breaks; naming what is deleted says how to bring it back.
    let deleted = ok(&db, &["milestone", "delete", &milestone]);
    assert!(
        deleted.contains("another program depended on it: 'Field launch' of 'Field Enablement'"),
        "{deleted}"
    );
    let refused = fails(
        &db,
        &[
            "dependency",
            "add",
            "--program",
            &field,
            "--dependent",
            "x",
            "--depends-on",
            "y",
            "--other-item",
            &milestone,
        ],
    );
    assert!(
        refused.contains(&format!("roadbook restore {milestone}")),
        "{refused}"
    );
    // Nothing refused was written: Identity's map as it was, Field Enablement's one.
    assert_eq!(
        ok(&db, &["dependency", "list", "--program", &identity]),
        identity_had
    );
    assert_eq!(
        ok(&db, &["dependency", "list", "--program", &field])
            .lines()
            .count(),
        1
    );
}
