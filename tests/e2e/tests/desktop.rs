//! The desktop app driven as a person would: the real binary in its real webview under Xvfb,
//! through tauri-driver and WebKitWebDriver. `make test` builds the app first and runs this.
//!
//! Screenshots of every screen go to `$ROADBOOK_SCREENSHOTS` (default
//! `target/e2e-screenshots`).

// A test that fails should stop at once with the value that was wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Where screenshots go: `$ROADBOOK_SCREENSHOTS`, else `target/e2e-screenshots`.
fn screenshots() -> PathBuf {
    std::env::var_os("ROADBOOK_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/e2e-screenshots"))
}

/// Leaves what the window showed when a step failed, to see why.
async fn keep_failure(c: &Client) {
    let shots = screenshots();
    let _ = std::fs::create_dir_all(&shots);
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(shots.join("failure.png"), png);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A process stopped (with SIGTERM, so tauri-driver stops WebKitWebDriver too) when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Desktop {
    _xvfb: Running,
    _driver: Running,
    port: u16,
    app: PathBuf,
    shots: PathBuf,
}

impl Desktop {
    fn start(db: &Path, documents: &Path) -> Desktop {
        let app = std::env::var_os("ROADBOOK_DESKTOP_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace().join("target/debug/roadbook-desktop"));
        assert!(
            app.exists(),
            "{} is missing: build it first (make test does)",
            app.display()
        );
        let display = format!(":{}", 90 + std::process::id() % 100);
        let xvfb = Running(
            Command::new("Xvfb")
                .args([
                    display.as_str(),
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb (make test installs it)"),
        );
        std::thread::sleep(Duration::from_millis(500));
        let port = free_port();
        let native = free_port();
        let driver = Running(
            Command::new(
                std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".to_owned()),
            )
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env("DISPLAY", &display)
            .env("ROADBOOK_DB", db)
            .env("ROADBOOK_AUTHOR", "E2E Lead")
            .env("ROADBOOK_DOCUMENTS_DIR", documents)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver (make test installs it with cargo install)"),
        );
        let shots = screenshots();
        std::fs::create_dir_all(&shots).unwrap();
        Desktop {
            _xvfb: xvfb,
            _driver: driver,
            port,
            app,
            shots,
        }
    }

    async fn session(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert("tauri:options".into(), json!({ "application": self.app }));
        caps.insert("browserName".into(), json!("wry"));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{}", self.port))
                .await
            {
                Ok(client) => return client,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(err) => panic!("no WebDriver session: {err}"),
            }
        }
    }
}

async fn css(c: &Client, selector: &str) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(selector))
        .await
    {
        Ok(element) => element,
        Err(err) => {
            keep_failure(c).await;
            let body = match c.find(Locator::Css("body")).await {
                Ok(b) => b.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            panic!("{selector}: {err}; the window showed: {body:.600}");
        }
    }
}

/// Waits until the element's text satisfies `ok`; returns the text.
async fn text_until(c: &Client, selector: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        // textContent, not WebDriver's rendered text: WebKitWebDriver leaves out the text of
        // grid cells that clip with an ellipsis, though a person sees it.
        let text = c
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
                vec![json!(selector)],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if ok(&text) {
            return text;
        }
        if Instant::now() >= deadline {
            keep_failure(c).await;
            panic!("{selector} never matched; last text: {text}");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn go(c: &Client, screen: &str) {
    css(c, &format!("[data-testid=nav-{screen}]"))
        .await
        .click()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
}

async fn shot(c: &Client, d: &Desktop, name: &str) {
    tokio::time::sleep(Duration::from_millis(400)).await;
    let png = c.screenshot().await.unwrap();
    std::fs::write(d.shots.join(format!("{name}.png")), png).unwrap();
}

/// Picks the option whose text is `label` in the select found by `selector`.
async fn choose(c: &Client, selector: &str, label: &str) {
    let select = css(c, selector).await;
    let options = select.find_all(Locator::Css("option")).await.unwrap();
    for option in options {
        if option.text().await.unwrap().trim() == label {
            option.click().await.unwrap();
            return;
        }
    }
    panic!("{selector} has no option {label}");
}

async fn cell_count(c: &Client, cell: &str) -> u32 {
    let text = css(c, &format!("[data-testid=heat-{cell}]"))
        .await
        .text()
        .await
        .unwrap();
    text.trim().parse().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lead_works_through_the_program_and_everything_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e2e.db");
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    let desktop = Desktop::start(&db, &documents);
    let title = "Choose the pilot cohort for internal rollout";

    let c = desktop.session().await;
    // First launch: no program yet; start on the sample.
    css(&c, "[data-testid=start-sample]")
        .await
        .click()
        .await
        .unwrap();
    text_until(&c, "[data-testid=dashboard]", |t| {
        t.contains("Identity and SSO")
    })
    .await;
    shot(&c, &desktop, "01-dashboard").await;

    // A new decision, needed from Product, with status Needs decision.
    go(&c, "decisions").await;
    css(&c, "[data-testid=new]").await.click().await.unwrap();
    css(&c, "[data-field=title]")
        .await
        .send_keys(title)
        .await
        .unwrap();
    choose(&c, "select[data-field=status_id]", "Needs decision").await;
    let owners = css(&c, "[data-field=needed_from]").await;
    for label in owners.find_all(Locator::Css("label")).await.unwrap() {
        if label.text().await.unwrap().trim() == "Product" {
            label
                .find(Locator::Css("input"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
    }
    css(&c, "[data-testid=save]").await.click().await.unwrap();
    text_until(&c, "[data-testid=register-decision]", |t| t.contains(title)).await;
    shot(&c, &desktop, "02-decisions").await;

    go(&c, "dashboard").await;
    let needed = text_until(&c, "[data-testid=decisions-needed]", |t| t.contains(title)).await;
    assert!(needed.contains("needed from Product"), "{needed}");

    // A risk's severity changes and the heat map moves.
    go(&c, "risks").await;
    let high_high = cell_count(&c, "high-high").await;
    let low_high = cell_count(&c, "low-high").await;
    css(&c, "[data-testid=search]")
        .await
        .send_keys("Builder Relations org truth")
        .await
        .unwrap();
    css(&c, "[data-testid=row]").await.click().await.unwrap();
    choose(&c, "select[data-field=severity]", "low").await;
    css(&c, "[data-testid=save]").await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while cell_count(&c, "low-high").await != low_high + 1 {
        assert!(Instant::now() < deadline, "the heat map did not move");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_eq!(cell_count(&c, "high-high").await, high_high - 1);
    shot(&c, &desktop, "03-risks").await;

    // A review outcome resolves the Okta decision.
    go(&c, "reviews").await;
    css(&c, "[data-testid=start-recording]")
        .await
        .click()
        .await
        .unwrap();
    choose(&c, "[data-testid=aim] [data-testid=aim-status]", "Decided").await;
    css(&c, "[data-testid=aim] [data-testid=aim-outcome]")
        .await
        .send_keys("Adopt Okta SSO with group claims")
        .await
        .unwrap();
    shot(&c, &desktop, "04-review-outcome").await;
    css(&c, "[data-testid=record-outcome]")
        .await
        .click()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    go(&c, "dashboard").await;
    text_until(&c, "[data-testid=decisions-needed]", |t| {
        t.contains(title) && !t.contains("Okta SSO path and claims model")
    })
    .await;

    // A readout: generated, seen, saved; the new decision is in the PDF's text.
    go(&c, "documents").await;
    choose(&c, "[data-testid=doc-kind]", "Leadership Readout").await;
    css(&c, "[data-testid=generate]")
        .await
        .click()
        .await
        .unwrap();
    css(&c, "canvas[data-testid=preview-page]").await;
    shot(&c, &desktop, "05-documents").await;
    css(&c, "[data-testid=save-document]")
        .await
        .click()
        .await
        .unwrap();
    text_until(&c, "[data-testid=document-saved]", |t| {
        t.contains("Saved and archived")
    })
    .await;
    let pdf = std::fs::read_dir(&documents)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .unwrap();
    let out = Command::new("pdftotext")
        .arg("-raw")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains(title),
        "the readout does not show the new decision: {text:.400}"
    );

    for (n, screen) in [
        "workstreams",
        "actions",
        "plan",
        "readiness",
        "history",
        "settings",
    ]
    .iter()
    .enumerate()
    {
        go(&c, screen).await;
        shot(&c, &desktop, &format!("{:02}-{screen}", n + 6)).await;
    }
    c.close().await.unwrap();

    // Restart: every change is still there.
    let c = desktop.session().await;
    text_until(&c, "[data-testid=dashboard]", |t| t.contains(title)).await;
    go(&c, "risks").await;
    assert_eq!(cell_count(&c, "low-high").await, low_high + 1);
    go(&c, "decisions").await;
    css(&c, "[data-testid=search]")
        .await
        .send_keys("Okta SSO path")
        .await
        .unwrap();
    text_until(&c, "[data-testid=register-decision]", |t| {
        t.contains("Decided")
    })
    .await;
    go(&c, "documents").await;
    text_until(&c, "aside", |t| t.contains("readout")).await;
    c.close().await.unwrap();
}
