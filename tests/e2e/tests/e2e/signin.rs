//! Sign-in from the window, through the system-browser path: the app runs `$BROWSER` (the
//! test's script, which signs in on the test provider's page as a person would), the refresh
//! token lands in the desktop's keychain, the lead publishes, and a viewer signed in on the
//! same machine gets read-only screens with the reason shown.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use roadbook_e2e::*;
use roadbook_harness::Postgres;
use roadbook_harness::ServerProcess;
use roadbook_harness::identity::{IdentityProvider, Keychain, Person};

const PEOPLE: &[Person] = &[
    Person {
        login: "priya",
        name: "Priya Raman",
        email: "priya@example.test",
        groups: &["rb-leads"],
    },
    Person {
        login: "vic",
        name: "Vic Viewer",
        email: "vic@example.test",
        groups: &["rb-viewers"],
    },
];

async fn click(c: &fantoccini::Client, selector: &str) {
    css(c, selector).await.click().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lead_signs_in_through_the_browser_and_a_viewer_gets_read_only_screens() {
    let postgres = Postgres::start();
    let provider = IdentityProvider::start(PEOPLE, 300);
    let server = ServerProcess::start(provider.server_env(&postgres.database("signin")));
    let keychain = Keychain::start();

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    let who = dir.path().join("who");
    std::fs::write(&who, "priya").unwrap();
    let browser = IdentityProvider::browser();
    let mut env: Vec<(String, String)> = keychain.env();
    env.push(("BROWSER".into(), browser.display().to_string()));
    env.push(("ROADBOOK_TEST_LOGIN_FILE".into(), who.display().to_string()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let desktop = Desktop::start_with(&db, &documents, "cpu", &env);
    let c = desktop.session().await;

    click(&c, "[data-testid=start-sample]").await;
    go(&c, "settings").await;
    text_until(&c, "[data-testid=sign-in]", |t| t.contains("Not signed in")).await;
    // Provider settings typed wrong say why and write nothing.
    click(&c, "[data-testid=provider-toggle]").await;
    css(&c, "[data-testid=provider-issuer]")
        .await
        .send_keys("http://okta.example.com")
        .await
        .unwrap();
    css(&c, "[data-testid=provider-client-id]")
        .await
        .send_keys("0oa-roadbook")
        .await
        .unwrap();
    click(&c, "[data-testid=provider-save]").await;
    text_until(&c, "[data-testid=team-error]", |t| t.contains("not https")).await;
    let config = keychain.home().join(".config/roadbook/config.toml");
    assert!(!config.exists(), "nothing written");
    click(&c, "[data-testid=provider-toggle]").await;
    // Where to sign in comes from the server named here.
    let address = css(&c, "[data-testid=server]").await;
    address.clear().await.unwrap();
    address.send_keys(&server.url).await.unwrap();
    click(&c, "[data-testid=sign-in-button]").await;
    text_until(&c, "[data-testid=signed-in-as]", |t| {
        t.contains("Priya Raman") && t.contains("priya@example.test")
    })
    .await;
    assert_eq!(keychain.roadbook_secrets().len(), 1, "kept in the keychain");
    // No token reaches the window.
    let page: String = c
        .execute("return document.documentElement.outerHTML", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!page.contains("eyJ"), "a token in the webview");
    assert!(
        !page.contains(&keychain.roadbook_secrets()[0]),
        "a token in the webview"
    );

    click(&c, "[data-testid=publish]").await;
    text_until(&c, "[data-testid=connected]", |t| t.contains(&server.url)).await;
    text_until(&c, "[data-testid=your-role]", |t| t.contains("a lead")).await;
    shot(&c, &desktop, "signed-in-lead").await;

    // Someone who may only read signs in on this machine.
    click(&c, "[data-testid=sign-out]").await;
    text_until(&c, "[data-testid=sign-in]", |t| t.contains("Not signed in")).await;
    assert!(
        keychain.roadbook_secrets().is_empty(),
        "sign-out empties the keychain"
    );
    std::fs::write(&who, "vic").unwrap();
    click(&c, "[data-testid=sign-in-button]").await;
    text_until(&c, "[data-testid=signed-in-as]", |t| {
        t.contains("Vic Viewer")
    })
    .await;
    text_until(&c, "[data-testid=your-role]", |t| t.contains("a viewer")).await;
    text_until(&c, "[data-testid=read-only]", |t| {
        t.contains("your role on it is viewer")
    })
    .await;

    // The registers offer nothing to change, and an opened item reads but does not save.
    go(&c, "decisions").await;
    css(&c, "[data-testid=register-decision]").await;
    let new_buttons = c
        .find_all(fantoccini::Locator::Css("[data-testid=new]"))
        .await
        .unwrap();
    assert!(new_buttons.is_empty(), "a viewer gets no New button");
    click(&c, "[data-testid=register-decision] [data-testid=row]").await;
    css(&c, "[data-testid=editor-read-only]").await;
    let save = css(&c, "[data-testid=save]").await;
    assert_eq!(
        save.attr("disabled").await.unwrap().as_deref(),
        Some("true"),
        "Save is disabled for a viewer"
    );
    shot(&c, &desktop, "viewer-read-only").await;
    c.close().await.unwrap();
}
