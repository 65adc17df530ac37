//! The harness of the end-to-end tests and the long-list bench: the real desktop binary in its
//! real webview under Xvfb, driven through tauri-driver and WebKitWebDriver.
//!
//! Screenshots go to `$ROADBOOK_SCREENSHOTS` (default `target/e2e-screenshots`); the app binary
//! is `$ROADBOOK_DESKTOP_BIN` (default the debug build `make test` makes).

// Test support: a step that fails stops at once with the value that was wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_debug_implementations
)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use fantoccini::{Client, ClientBuilder, Locator};
pub use serde_json::json;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Where screenshots go: `$ROADBOOK_SCREENSHOTS`, else `target/e2e-screenshots`.
pub fn screenshots() -> PathBuf {
    std::env::var_os("ROADBOOK_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/e2e-screenshots"))
}

/// What the window shows, as PNG. WebKitWebDriver takes the picture at the page's next paint.
/// With the CPU renderer an idle page does not paint again, and the command would wait for ever
/// (this is the "stall" once seen in that mode), so a nearly transparent pixel in the corner
/// changes colour for the next few frames first; it is gone half a second later.
pub async fn screenshot(c: &Client) -> Result<Vec<u8>, fantoccini::error::CmdError> {
    c.execute(
        "const dot = document.createElement('div');
         dot.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;opacity:0.01;pointer-events:none';
         document.body.append(dot);
         let frame = 0;
         const blink = () => {
           dot.style.background = frame % 2 ? '#000' : '#fff';
           if (++frame < 30) requestAnimationFrame(blink); else dot.remove();
         };
         requestAnimationFrame(blink);",
        vec![],
    )
    .await?;
    c.screenshot().await
}

/// Leaves what the window showed when a step failed, to see why.
pub async fn keep_failure(c: &Client) {
    let shots = screenshots();
    let _ = std::fs::create_dir_all(&shots);
    if let Ok(Ok(png)) = tokio::time::timeout(Duration::from_secs(10), screenshot(c)).await {
        let _ = std::fs::write(shots.join("failure.png"), png);
    }
}

/// The running app on `db`: its process id and environment, read from /proc (what it really
/// runs with after choosing its rendering: it may have restarted itself with more variables).
pub fn app_process(db: &Path) -> Option<(u32, std::collections::HashMap<String, String>)> {
    let wanted = format!("ROADBOOK_DB={}", db.display());
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(entry.path().join("comm")).ok()?;
            if !"roadbook-desktop".starts_with(comm.trim()) {
                return None;
            }
            let environ = std::fs::read(entry.path().join("environ")).ok()?;
            let vars: Vec<String> = environ
                .split(|b| *b == 0)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect();
            vars.contains(&wanted).then(|| {
                let env = vars
                    .iter()
                    .filter_map(|v| v.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                (pid, env)
            })
        })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A process stopped (with SIGTERM, so tauri-driver stops WebKitWebDriver too) when dropped.
pub struct Running(pub Child);

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

/// A virtual display of `screen` ("1280x800x24") on a display number of its own, from `first`
/// on, stopped when dropped; with the display's name (":101"). A number whose lock file is
/// there (an Xvfb of another test, or one still going away) is passed over, and so is one an
/// Xvfb could not take (it exits at once): tests in one process never share a display.
fn xvfb(first: u32, screen: &str) -> (Running, String) {
    static TAKEN: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());
    for number in first..first + 400 {
        let display = format!(":{number}");
        {
            let mut taken = TAKEN
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if taken.contains(&number)
                || Path::new(&format!("/tmp/.X{number}-lock")).exists()
                || Path::new(&format!("/tmp/.X11-unix/X{number}")).exists()
            {
                continue;
            }
            taken.push(number);
        }
        let mut xvfb = Running(
            Command::new("Xvfb")
                .args([display.as_str(), "-screen", "0", screen, "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb (make test installs it)"),
        );
        // Up once its socket is there; one that could not take the number exits instead.
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && matches!(xvfb.0.try_wait(), Ok(None)) {
            if socket.exists() {
                return (xvfb, display);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("no free X display from :{first} on");
}

pub struct Desktop {
    _xvfb: Running,
    /// The app's X display, for tools that act on its native windows (the print dialog).
    pub display: String,
    _driver: Running,
    port: u16,
    app: PathBuf,
    pub shots: PathBuf,
}

impl Desktop {
    /// Starts Xvfb and tauri-driver for the app on `db`. `rendering` is passed to the app as
    /// `ROADBOOK_RENDERING` (`gpu`, `cpu`, or empty to let it choose by the machine);
    /// screenshots go to a folder of that name (`auto` when empty) under [`screenshots`].
    pub fn start(db: &Path, documents: &Path, rendering: &str) -> Desktop {
        Desktop::start_with(db, documents, rendering, &[])
    }

    /// As [`Desktop::start`], with more variables for the app (a token, a sync timer).
    pub fn start_with(
        db: &Path,
        documents: &Path,
        rendering: &str,
        env: &[(&str, &str)],
    ) -> Desktop {
        let app = std::env::var_os("ROADBOOK_DESKTOP_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace().join("target/debug/roadbook-desktop"));
        assert!(
            app.exists(),
            "{} is missing: build it first (make test does)",
            app.display()
        );
        let (xvfb, display) = xvfb(100 + (std::process::id() % 40) * 10, "1280x800x24");
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
            .env("ROADBOOK_RENDERING", rendering)
            // A settings folder of the test's own beside its database (a test may name
            // another): the app writes who you are and the reminders' switch there, never
            // into the settings of the person running the tests.
            .env(
                "XDG_CONFIG_HOME",
                db.parent().unwrap_or(Path::new(".")).join("config"),
            )
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver (make test installs it with cargo install)"),
        );
        let shots = screenshots().join(if rendering.is_empty() {
            "auto"
        } else {
            rendering
        });
        std::fs::create_dir_all(&shots).unwrap();
        Desktop {
            _xvfb: xvfb,
            display,
            _driver: driver,
            port,
            app,
            shots,
        }
    }

    /// The app binary this desktop drives, for a bench that starts it on its own.
    pub fn app(&self) -> &Path {
        &self.app
    }

    pub async fn session(&self) -> Client {
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

/// Runs the `roadbook` command line on the app's database while the app has it open, as a
/// second writer would (`$ROADBOOK_CLI_BIN`, default the debug build `make test` makes).
pub fn roadbook(db: &Path, args: &[&str]) -> String {
    roadbook_as(db, args, &[])
}

/// [`roadbook`] with more variables (`ROADBOOK_TOKEN` for the sync commands).
pub fn roadbook_as(db: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let bin = std::env::var_os("ROADBOOK_CLI_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/debug/roadbook"));
    let out = Command::new(&bin)
        .arg("--db")
        .arg(db)
        .args(args)
        .env("ROADBOOK_AUTHOR", "CLI Lead")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (build it first; make test does)", bin.display()));
    assert!(
        out.status.success(),
        "roadbook {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub async fn css(c: &Client, selector: &str) -> fantoccini::elements::Element {
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

/// Clicks the element `selector` finds, once it is there (as [`css`] waits for it), brought to
/// the middle of its scrolling box first, as a person scrolls to what they click (WebDriver's
/// own scroll stops at the edge, under the editor's Save bar that stays at the bottom).
pub async fn click(c: &Client, selector: &str) {
    let element = css(c, selector).await;
    c.execute(
        "arguments[0].scrollIntoView({ block: 'center' });",
        vec![serde_json::to_value(&element).unwrap()],
    )
    .await
    .unwrap();
    element.click().await.unwrap();
}

/// Waits until the element's text satisfies `ok`; returns the text.
pub async fn text_until(c: &Client, selector: &str, ok: impl Fn(&str) -> bool) -> String {
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

/// Goes to a screen by its side-bar link, and returns once the window says it is there (the
/// link marked the current page, the screen drawn, and still so a moment later) instead of
/// after a fixed pause. The link is clicked as an element, not at a point of the window: a
/// click at a point landed on the link above it twice in this session's runs and took a test
/// to the wrong screen while the right one still looked current.
pub async fn go(c: &Client, screen: &str) {
    let link = format!("[data-testid=nav-{screen}]");
    let here = async || {
        c.execute(
            "const a = document.querySelector(arguments[0]); return !!a && a.getAttribute('aria-current') === 'page' && !!document.querySelector('main h2, main h3, main [data-testid]');",
            vec![json!(link)],
        )
        .await
        .unwrap()
            == json!(true)
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        css(c, &link).await;
        c.execute(
            "document.querySelector(arguments[0]).click(); return true;",
            vec![json!(link)],
        )
        .await
        .unwrap();
        let arrived = Instant::now() + Duration::from_secs(2);
        while Instant::now() < arrived {
            if here().await {
                tokio::time::sleep(Duration::from_millis(60)).await;
                if here().await {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        if Instant::now() >= deadline {
            keep_failure(c).await;
            panic!("the window never went to {screen}");
        }
    }
}

/// Returns once the window has stopped moving: its fonts loaded, no animation or transition
/// running, and two frames painted since (what a screenshot or a measurement needs).
pub async fn settled(c: &Client) {
    let done = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
            (async () => {
              await document.fonts.ready;
              const until = Date.now() + 5000;
              while (document.getAnimations().some((a) => a.playState === 'running') && Date.now() < until) await frame();
              await frame();
              await frame();
              done(true);
            })().catch((e) => done(`failed: ${e}`));"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(done, json!(true), "the window did not settle");
}

pub async fn shot(c: &Client, d: &Desktop, name: &str) {
    settled(c).await;
    let png = screenshot(c).await.unwrap();
    std::fs::write(d.shots.join(format!("{name}.png")), png).unwrap();
}

/// Presses a key with modifiers held, as a person does on the keyboard (WebDriver actions, so
/// the window sees real keydown events): `press(c, &[Key::Control, Key::Shift], 'z')`.
pub async fn press(c: &Client, modifiers: &[fantoccini::key::Key], key: char) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let code = |k: &fantoccini::key::Key| char::from(*k);
    let mut keys = KeyActions::new("keyboard".into());
    for m in modifiers {
        keys = keys.then(KeyAction::Down { value: code(m) });
    }
    keys = keys
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    for m in modifiers.iter().rev() {
        keys = keys.then(KeyAction::Up { value: code(m) });
    }
    c.perform_actions(keys).await.unwrap();
    c.release_actions().await.unwrap();
}

/// Asks `check` again and again until it answers `Ok`, for at most `within`; past that, fails
/// with `what` and the last thing `check` saw.
pub async fn eventually(
    what: &str,
    within: Duration,
    mut check: impl AsyncFnMut() -> Result<(), String>,
) {
    let deadline = Instant::now() + within;
    loop {
        match check().await {
            Ok(()) => return,
            Err(seen) if Instant::now() >= deadline => panic!("{what}: {seen}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(120)).await,
        }
    }
}

/// Picks the option whose text is `label` in the select found by `selector`.
pub async fn choose(c: &Client, selector: &str, label: &str) {
    let select = css(c, selector).await;
    // To the middle of its scrolling box first, as `click` does.
    c.execute(
        "arguments[0].scrollIntoView({ block: 'center' });",
        vec![serde_json::to_value(&select).unwrap()],
    )
    .await
    .unwrap();
    let options = select.find_all(Locator::Css("option")).await.unwrap();
    for option in options {
        if option.text().await.unwrap().trim() == label {
            option.click().await.unwrap();
            return;
        }
    }
    panic!("{selector} has no option {label}");
}

pub async fn cell_count(c: &Client, cell: &str) -> u32 {
    // The Risks screen folds its map on a short window: open it as a person would.
    let folded = c
        .execute(
            "const d = document.querySelector('details[data-testid=risk-map]'); return !!d && !d.open;",
            vec![],
        )
        .await
        .unwrap();
    if folded == serde_json::json!(true) {
        click(c, "details[data-testid=risk-map] summary").await;
    }
    let text = css(c, &format!("[data-testid=heat-{cell}]"))
        .await
        .text()
        .await
        .unwrap();
    text.trim().parse().unwrap_or(0)
}

/// The value at fraction `p` (0 to 1) of a sorted list; NaN when it is empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// A desktop notification server of the test's own: dunst on a D-Bus session bus and a virtual
/// display of its own, so what the app shows is read back as the person's desktop has it. The
/// bus starts nothing by itself (no service activation), so a test can have it without a server.
pub struct Notifications {
    // Dropped in this order: the server, then its bus, then its display.
    /// dunst, once serving.
    server: Option<Running>,
    _bus: Running,
    _xvfb: Running,
    display: String,
    bus: String,
    config: PathBuf,
}

impl Notifications {
    /// The bus with dunst serving on it.
    pub fn start() -> Notifications {
        let mut notifications = Notifications::without_server();
        notifications.serve();
        notifications
    }

    /// The bus alone: notifications sent now find no server.
    pub fn without_server() -> Notifications {
        static STARTS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let start = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (xvfb, display) = xvfb(600 + (std::process::id() % 40) * 10, "800x600x24");
        let config =
            std::env::temp_dir().join(format!("roadbook-bus-{}-{start}.conf", std::process::id()));
        std::fs::write(
            &config,
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        )
        .unwrap();
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (make test installs dbus)");
        let mut bus = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(daemon.stdout.take().unwrap()),
            &mut bus,
        )
        .unwrap();
        let bus = bus.trim().to_owned();
        assert!(
            !bus.is_empty(),
            "the notifications' D-Bus bus did not start"
        );
        Notifications {
            _xvfb: xvfb,
            display,
            server: None,
            _bus: Running(daemon),
            bus,
            config,
        }
    }

    /// Starts dunst on the bus and waits until it answers.
    pub fn serve(&mut self) {
        let dunst = Command::new("dunst")
            .env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dunst (make test installs it)");
        self.server = Some(Running(dunst));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.dunstctl(&["count"]).status.success() {
            assert!(Instant::now() < deadline, "dunst did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The session bus the app sends its notifications on.
    pub fn env(&self) -> (&'static str, &str) {
        ("DBUS_SESSION_BUS_ADDRESS", &self.bus)
    }

    fn dunstctl(&self, args: &[&str]) -> std::process::Output {
        Command::new("dunstctl")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .output()
            .expect("dunstctl (make test installs dunst)")
    }

    /// How many notifications are on screen now.
    pub fn on_screen(&self) -> usize {
        let out = self.dunstctl(&["count", "displayed"]);
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// Clicks the newest notification on screen, as a person would (its default action).
    pub fn click(&self) {
        let out = self.dunstctl(&["action", "0"]);
        assert!(out.status.success(), "dunstctl action failed: {out:?}");
    }

    /// Every notification shown so far, oldest first: its title and body. Those still on
    /// screen are closed first, so they are in the history too.
    pub fn notifications_shown(&self) -> Vec<(String, String)> {
        self.dunstctl(&["close-all"]);
        let out = self.dunstctl(&["history"]);
        assert!(out.status.success(), "dunstctl history failed");
        let history: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let field = |n: &serde_json::Value, key: &str| {
            n[key]["data"].as_str().unwrap_or_default().to_owned()
        };
        let mut shown: Vec<(String, String)> = history["data"][0]
            .as_array()
            .map(|all| {
                all.iter()
                    .map(|n| (field(n, "summary"), field(n, "body")))
                    .collect()
            })
            .unwrap_or_default();
        // The history is newest first.
        shown.reverse();
        shown
    }
}

impl Drop for Notifications {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.config);
    }
}

/// The serious and critical accessibility violations axe-core (the npm package the UI installs)
/// finds on what the window shows now, one line each: the rule, what it asks, and the first
/// elements that break it.
pub async fn accessibility_violations(c: &Client) -> Vec<String> {
    let loaded = c
        .execute("return typeof window.axe !== 'undefined';", vec![])
        .await
        .unwrap();
    if loaded != json!(true) {
        let path = workspace().join("ui/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (npm ci in ui/ installs it)", path.display()));
        c.execute(&source, vec![]).await.unwrap();
    }
    let found = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then((r) => done(r.violations
                .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                .map((v) => `${v.id} (${v.impact}): ${v.help}; ${v.nodes.length} elements, e.g. ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${n.html.slice(0, 100)} ${(n.any[0] || {}).message || ''}`).join(' | ')}`)))
              .catch((e) => done([`axe failed: ${e}`]));"#,
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

/// How many times the app's reminders have looked for what fell due (the shell counts them),
/// asked through the window's own IPC as the Settings screen asks.
pub async fn reminder_looks(c: &Client) -> u64 {
    let answer = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            window.__TAURI_INTERNALS__.invoke('reminders')
              .then((r) => done(r.looks), (e) => done(`failed: ${e}`));"#,
            vec![],
        )
        .await
        .unwrap();
    answer
        .as_u64()
        .unwrap_or_else(|| panic!("the reminders did not answer: {answer}"))
}

/// Returns once the reminders have looked `more` times after now: what a look would do has
/// been done (or not) `more` times over, without guessing how long that takes.
pub async fn after_reminder_looks(c: &Client, more: u64) {
    let from = reminder_looks(c).await;
    eventually(
        "the reminders looking again",
        Duration::from_secs(30),
        async || {
            let now = reminder_looks(c).await;
            if now >= from + more {
                Ok(())
            } else {
                Err(format!("{} of {more} looks", now - from))
            }
        },
    )
    .await;
}
