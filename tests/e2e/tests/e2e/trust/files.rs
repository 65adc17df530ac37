//! What leaves the app as a file: the program exported and imported whole or not at all, a
//! document printed as the same PDF and archived.

use super::*;

#[tokio::test(flavor = "multi_thread")]
pub(super) async fn the_program_exports_to_a_file_and_a_program_imports_whole_or_not_at_all() {
    let (dir, db, documents) = sample("files");
    // Another lead's program, and a file that is not one.
    let other_db = dir.path().join("other.db");
    roadbook(&other_db, &["init", "--sample"]);
    let other = roadbook(&other_db, &["export"]);
    let other: Value = serde_json::from_str(&other).unwrap();
    let mut renamed = other.clone();
    renamed["program"]["name"] = json!("Partner onboarding");
    std::fs::write(documents.join("partner.json"), renamed.to_string()).unwrap();
    std::fs::write(
        documents.join("broken.json"),
        "{\"format\": \"roadbook-handbook\",",
    )
    .unwrap();
    let desktop = Desktop::start(&db, &documents, "");
    let c = desktop.session().await;

    // Export: the whole program, as the CLI exports it.
    go(&c, "settings").await;
    click(&c, "[data-testid=export-program]").await;
    let said = text_until(&c, "[data-testid=program-file-notice]", |t| {
        t.contains("Exported")
    })
    .await;
    assert!(
        said.contains("builder-insights-operationalization.json"),
        "{said}"
    );
    let file = std::fs::read_to_string(documents.join("builder-insights-operationalization.json"))
        .unwrap();
    assert_eq!(serde_json::from_str::<Value>(&file).unwrap(), export(&db));

    let programs = || roadbook(&db, &["programs"]).lines().count();
    assert_eq!(programs(), 1);
    // A broken file, and the program already here: refused, said, nothing added.
    for (name, expect) in [
        ("broken.json", "was not imported"),
        (
            "builder-insights-operationalization.json",
            "was not imported",
        ),
    ] {
        choose(&c, "[data-testid=import-choice]", name).await;
        click(&c, "[data-testid=import-program]").await;
        let error = text_until(&c, "[data-testid=program-file-error]", |t| t.contains(name)).await;
        assert!(error.contains(expect), "{error}");
        assert_eq!(programs(), 1, "{name} changed the database");
    }
    // Another program: imported whole and opened.
    choose(&c, "[data-testid=import-choice]", "partner.json").await;
    click(&c, "[data-testid=import-program]").await;
    text_until(&c, "nav .program", |t| t.contains("Partner onboarding")).await;
    assert_eq!(programs(), 2);
    let imported = roadbook(
        &db,
        &[
            "export",
            "--program",
            other["program"]["id"].as_str().unwrap(),
        ],
    );
    let imported: Value = serde_json::from_str(&imported).unwrap();
    assert_eq!(imported["decisions"], other["decisions"]);
    c.close().await.unwrap();
}

/// The SHA-256 of a file, as `sha256sum` reads it.
pub(super) fn sha256(path: &std::path::Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "sha256sum {}", path.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// The documents the archive holds, newest last.
pub(super) fn archived(db: &std::path::Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&roadbook(db, &["documents", "--json"]))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Printing sends the document itself, the same bytes as the archive's fingerprint, to the
/// printer chosen (here GTK's own "Print to File" printer, named by ROADBOOK_PRINTER instead of
/// the dialog); a fresh document is archived once printed; a printer that is not there says so
/// and archives nothing.
#[tokio::test(flavor = "multi_thread")]
pub(super) async fn a_document_goes_to_the_printer_as_the_same_pdf_and_is_archived() {
    let (_dir, db, documents) = sample("print");
    let desktop = Desktop::start_with(
        &db,
        &documents,
        "",
        &[("ROADBOOK_PRINTER", "Print to File")],
    );
    let c = desktop.session().await;
    go(&c, "documents").await;
    choose(&c, "[data-testid=doc-kind]", "Leadership Readout").await;
    click(&c, "[data-testid=generate]").await;
    css(&c, "canvas[data-testid=preview-page]").await;
    // Once the preview is drawn: the button waits for it.
    click(&c, "[data-testid=print-document]:not([disabled])").await;
    text_until(&c, "[data-testid=document-saved]", |t| {
        t.contains("Sent to the printer and archived")
    })
    .await;
    let issued = archived(&db);
    assert_eq!(issued.len(), 1, "{issued:?}");
    let printed = documents.join(format!(
        "builder-insights-operationalization-readout-{}-printed.pdf",
        &issued[0]["as_of"].as_str().unwrap()[..10]
    ));
    assert_eq!(sha256(&printed), issued[0]["pdf_sha256"].as_str().unwrap());

    // The archived copy prints again, checked against its fingerprint; nothing new archived.
    std::fs::remove_file(&printed).unwrap();
    click(&c, "[data-testid=print-copy]").await;
    text_until(&c, "[data-testid=document-saved]", |t| {
        t.contains("Sent the Leadership Readout")
    })
    .await;
    assert_eq!(sha256(&printed), issued[0]["pdf_sha256"].as_str().unwrap());
    assert_eq!(archived(&db).len(), 1);
    c.close().await.unwrap();
    drop(desktop);

    let desktop = Desktop::start_with(
        &db,
        &documents,
        "",
        &[("ROADBOOK_PRINTER", "Nowhere Printer")],
    );
    let c = desktop.session().await;
    go(&c, "documents").await;
    click(&c, "[data-testid=generate]").await;
    css(&c, "canvas[data-testid=preview-page]").await;
    // Once the preview is drawn: the button waits for it.
    click(&c, "[data-testid=print-document]:not([disabled])").await;
    let said = text_until(&c, "p.error", |t| {
        t.contains("no printer named Nowhere Printer")
    })
    .await;
    assert!(said.contains("print dialog"), "{said}");
    assert_eq!(
        archived(&db).len(),
        1,
        "nothing archived when nothing printed"
    );
    c.close().await.unwrap();
    drop(desktop);

    // Without ROADBOOK_PRINTER the system's print dialog asks, over the window. Cancelled:
    // nothing printed, nothing archived, nothing said wrong. Printed on the printer it offers
    // first ("Print to File", the only one on this machine): the file is the document.
    // A home with a Documents folder, as a person's desktop has: where "Print to File" writes.
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".config")).unwrap();
    std::fs::create_dir_all(home.path().join("Documents")).unwrap();
    std::fs::write(
        home.path().join(".config/user-dirs.dirs"),
        "XDG_DOCUMENTS_DIR=\"$HOME/Documents\"\n",
    )
    .unwrap();
    let config = home.path().join(".config");
    let desktop = Desktop::start_with(
        &db,
        &documents,
        "",
        &[
            ("HOME", home.path().to_str().unwrap()),
            ("XDG_CONFIG_HOME", config.to_str().unwrap()),
        ],
    );
    let c = desktop.session().await;
    go(&c, "documents").await;
    click(&c, "[data-testid=generate]").await;
    css(&c, "canvas[data-testid=preview-page]").await;
    click(&c, "[data-testid=print-document]:not([disabled])").await;
    print_dialog(&desktop.display, &["Escape"]);
    css(&c, "[data-testid=print-document]:not([disabled])").await;
    assert!(
        c.find(Locator::Css("p.error")).await.is_err(),
        "a cancel is no error"
    );
    assert_eq!(archived(&db).len(), 1, "nothing archived when cancelled");
    click(&c, "[data-testid=print-document]:not([disabled])").await;
    // The first printer in the list, then Print.
    print_dialog(&desktop.display, &["Down", "alt+p"]);
    text_until(&c, "[data-testid=document-saved]", |t| {
        t.contains("Sent to the printer and archived")
    })
    .await;
    let issued = archived(&db);
    assert_eq!(issued.len(), 2);
    let printed = home.path().join("Documents/output.pdf");
    assert_eq!(sha256(&printed), issued[1]["pdf_sha256"].as_str().unwrap());
    c.close().await.unwrap();
}

/// Waits for the print dialog on `display` and presses `keys` in it, as a person would.
pub(super) fn print_dialog(display: &str, keys: &[&str]) {
    let xdotool = |args: &[&str]| {
        let out = std::process::Command::new("timeout")
            .arg("20")
            .arg("xdotool")
            .args(args)
            .env("DISPLAY", display)
            .output()
            .expect("xdotool (make test installs it)");
        assert!(out.status.success(), "xdotool {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let found = xdotool(&[
        "search",
        "--sync",
        "--name",
        "^Print Builder Insights operationalization .* Leadership Readout",
    ]);
    let window = found.lines().next().unwrap().trim().to_owned();
    xdotool(&["windowfocus", "--sync", &window]);
    // The keys go to the dialog once it has the keyboard, not after a guessed pause.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while xdotool(&["getwindowfocus"]).trim() != window {
        assert!(
            std::time::Instant::now() < deadline,
            "the print dialog never took the keyboard"
        );
        xdotool(&["windowfocus", "--sync", &window]);
    }
    xdotool(&[&["key"], keys].concat());
}
