//! Sign-in end to end with the real parts: the test identity provider (oidc-provider), a Secret
//! Service keychain (gnome-keyring on its own D-Bus session), PostgreSQL, `roadbook-server`
//! and the `roadbook` binary, with `$BROWSER` a script that signs in on the provider's page.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use roadbook_harness::identity::{IdentityProvider, Keychain, Person, session_env};
use roadbook_harness::{ServerProcess, binary};
use roadbook_sync_tests::database;

const PRIYA: Person = Person {
    login: "priya",
    name: "Priya Raman",
    email: "priya@example.test",
    groups: &["rb-leads"],
};

/// A person at their desktop: a home, a keychain (or none), a database, a browser script.
pub(crate) struct Desk {
    keychain: Option<Keychain>,
    /// The home when there is no keychain.
    bare: Option<tempfile::TempDir>,
    env: Vec<(String, String)>,
}

impl Desk {
    /// With `provider`'s settings in the environment; without, sign-in asks the server.
    pub(crate) fn new(provider: Option<&IdentityProvider>, with_keychain: bool) -> Desk {
        let (keychain, bare) = if with_keychain {
            (Some(Keychain::start()), None)
        } else {
            (None, Some(tempfile::tempdir().unwrap()))
        };
        let mut env = match &keychain {
            Some(k) => k.env(),
            None => {
                let home = bare.as_ref().unwrap().path();
                // No session bus: no keychain.
                let nowhere = format!("unix:path={}/no-bus", home.display());
                session_env(home, None, &nowhere)
            }
        };
        if let Some(provider) = provider {
            env.extend(provider.client_env());
        }
        env.push((
            "BROWSER".into(),
            IdentityProvider::browser().display().to_string(),
        ));
        Desk {
            keychain,
            bare,
            env,
        }
    }

    fn home(&self) -> &Path {
        match &self.keychain {
            Some(k) => k.home(),
            None => self.bare.as_ref().unwrap().path(),
        }
    }

    fn config_dir(&self) -> PathBuf {
        self.home().join(".config/roadbook")
    }

    pub(crate) fn run_with(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        Command::new(binary("roadbook"))
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .envs(extra.iter().copied())
            .env_remove("ROADBOOK_TOKEN")
            .env_remove("ROADBOOK_AUTHOR")
            .env_remove("ROADBOOK_DB")
            .env("USER", "os-user")
            .output()
            .unwrap()
    }

    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.run_with(args, &[]);
        assert!(
            out.status.success(),
            "roadbook {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails_with(&self, args: &[&str], extra: &[(&str, &str)]) -> String {
        let out = self.run_with(args, extra);
        assert!(
            !out.status.success(),
            "roadbook {args:?} should have failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }
}

/// Every file under `dir` whose bytes hold `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn a_lead_signs_in_in_the_browser_syncs_after_a_restart_and_signs_out() {
    let provider = IdentityProvider::start(&[PRIYA], 300);
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("server.log");
    let server = ServerProcess::start_logging(provider.server_env(&database()), Some(&log));
    let desk = Desk::new(Some(&provider), true);
    let keychain = desk.keychain.as_ref().unwrap();

    desk.ok(&["init", "--sample"]);
    let mut said = String::new();
    let login = desk.ok(&["login", "--server", &server.url, "--timeout", "60"]);
    assert!(login.contains("Signed in as Priya Raman"), "{login}");
    assert!(login.contains("Remembered in the keychain"), "{login}");
    said.push_str(&login);
    let secrets = keychain.roadbook_secrets();
    assert_eq!(secrets.len(), 1, "one refresh token in the keychain");
    let first_refresh = secrets[0].clone();

    // Each command is a new process: the sign-in comes from the keychain each time.
    let published = desk.ok(&["publish"]);
    assert!(published.contains("published to"), "{published}");
    said.push_str(&published);
    let rotated = keychain.roadbook_secrets();
    assert_ne!(
        rotated,
        vec![first_refresh.clone()],
        "refresh tokens rotate"
    );

    let whoami = desk.ok(&["whoami"]);
    for expected in [
        "Signed in as Priya Raman",
        "Email: priya@example.test",
        "Subject: priya",
        "Groups: rb-leads",
        "Access token expires:",
        "Builder Insights operationalization: lead",
    ] {
        assert!(whoami.contains(expected), "{expected} in {whoami}");
    }
    said.push_str(&whoami);

    // Changes are made by the person signed in, not by the OS user.
    // A change made while signed in goes to the server at once (the program is connected).
    let added = desk.ok(&["decision", "add", "--title", "Adopt the sign-in"]);
    let synced = desk.ok(&["sync"]);
    assert!(
        added.contains("pushed 1") || synced.contains("pushed 1"),
        "{added}{synced}"
    );
    said.push_str(&added);
    said.push_str(&synced);
    let history: serde_json::Value =
        serde_json::from_str(&desk.ok(&["history", "--json"])).unwrap();
    let added: Vec<_> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.to_string().contains("Adopt the sign-in"))
        .collect();
    assert!(!added.is_empty());
    for entry in added {
        assert_eq!(entry["author"], "Priya Raman", "{entry}");
    }

    // No token anywhere a person or a backup would find it: not in the data and config
    // dirs, not in what the commands printed, not in the server's log.
    let refresh = keychain.roadbook_secrets().remove(0);
    for needle in [refresh.as_str(), first_refresh.as_str(), "eyJ"] {
        let dirs = [desk.config_dir(), desk.home().join(".local/share/roadbook")];
        for dir in dirs {
            let found = files_holding(&dir, needle);
            assert!(found.is_empty(), "a token in {found:?}");
        }
        assert!(!said.contains(needle), "a token in the output");
        let logged = std::fs::read_to_string(&log).unwrap();
        assert!(!logged.contains(needle), "a token in the server's log");
    }

    let logout = desk.ok(&["logout"]);
    assert!(
        logout.contains("Signed out Priya Raman") && logout.contains("revoked"),
        "{logout}"
    );
    assert!(keychain.roadbook_secrets().is_empty(), "the entry is gone");
    assert!(!desk.config_dir().join("sign-in.json").exists());
    let err = desk.fails_with(&["sync"], &[]);
    assert!(err.contains("not signed in"), "{err}");
}

#[test]
fn processes_refreshing_at_once_with_rotation_keep_the_sign_in() {
    let provider = IdentityProvider::start(&[PRIYA], 300);
    let server = ServerProcess::start(provider.server_env(&database()));
    let desk = Desk::new(Some(&provider), true);
    desk.ok(&["init", "--sample"]);
    desk.ok(&["login", "--server", &server.url, "--timeout", "60"]);
    desk.ok(&["publish"]);
    // Each `whoami` refreshes as it starts. Run together, they would spend one refresh token
    // twice without the machine-wide lock, and the provider would end the whole sign-in.
    for _round in 0..3 {
        let children: Vec<_> = (0..4)
            .map(|_| {
                Command::new(binary("roadbook"))
                    .arg("whoami")
                    .envs(desk.env.iter().map(|(k, v)| (k, v)))
                    .env_remove("ROADBOOK_TOKEN")
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "whoami: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let synced = desk.ok(&["sync"]);
    assert!(synced.contains("synced"), "{synced}");
}

#[test]
fn without_a_keychain_sign_in_lasts_the_session_and_nothing_is_written() {
    let provider = IdentityProvider::start(&[PRIYA], 300);
    let desk = Desk::new(Some(&provider), false);
    let login = desk.ok(&["login", "--timeout", "60"]);
    assert!(login.contains("Signed in as Priya Raman"), "{login}");
    assert!(login.contains("Not remembered"), "{login}");
    // And the way forward: a keychain, or a token for automation.
    assert!(
        login.contains("start a keychain") && login.contains("ROADBOOK_TOKEN"),
        "{login}"
    );
    assert!(!desk.config_dir().join("sign-in.json").exists());
    let err = desk.fails_with(&["whoami"], &[]);
    assert!(err.contains("not signed in"), "{err}");
}

#[test]
fn a_refused_or_abandoned_sign_in_says_why_and_keeps_nothing() {
    let provider = IdentityProvider::start(&[PRIYA], 300);
    let desk = Desk::new(Some(&provider), true);
    let keychain = desk.keychain.as_ref().unwrap();

    let denied = desk.fails_with(
        &["login", "--timeout", "60"],
        &[("ROADBOOK_TEST_BROWSER", "deny")],
    );
    assert!(denied.contains("access_denied"), "{denied}");
    let closed = desk.fails_with(
        &["login", "--timeout", "2"],
        &[("ROADBOOK_TEST_BROWSER", "close")],
    );
    assert!(
        closed.contains("did not come back within 2 seconds"),
        "{closed}"
    );
    let nowhere = desk.fails_with(
        &["login", "--timeout", "60"],
        &[("ROADBOOK_OIDC_ISSUER", "http://127.0.0.1:9")],
    );
    assert!(
        nowhere.contains("cannot reach the identity provider"),
        "{nowhere}"
    );
    assert!(keychain.roadbook_secrets().is_empty());
    assert!(!desk.config_dir().join("sign-in.json").exists());
}

/// A listener on loopback that answers every request with `answer` (status line and body for
/// `/v1/sign-in`, 503 for anything else) and keeps each request's head.
struct Recorder {
    url: String,
    heads: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Recorder {
    fn start(sign_in: Option<serde_json::Value>) -> Recorder {
        Recorder::answering(sign_in, None)
    }

    /// A listener that sends every request on to `to` (a 307, which keeps the method).
    fn redirecting(to: &str) -> Recorder {
        Recorder::answering(None, Some(to.to_owned()))
    }

    fn answering(sign_in: Option<serde_json::Value>, to: Option<String>) -> Recorder {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = heads.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                let (status, body) = match (&sign_in, &to) {
                    (Some(settings), _) if head.starts_with("GET /v1/sign-in") => {
                        ("200 OK", settings.to_string())
                    }
                    (_, Some(to)) => {
                        kept.lock().unwrap().push(head);
                        let _ = write!(
                            stream,
                            "HTTP/1.1 307 Temporary Redirect\r\nlocation: {to}{path}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        );
                        continue;
                    }
                    _ => (
                        "503 Service Unavailable",
                        r#"{"code":"unavailable","message":"a stranger"}"#.to_owned(),
                    ),
                };
                kept.lock().unwrap().push(head);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Recorder { url, heads }
    }

    /// Whether any request carried a bearer token.
    fn saw_a_token(&self) -> bool {
        self.heads
            .lock()
            .unwrap()
            .iter()
            .any(|h| h.to_ascii_lowercase().contains("authorization:"))
    }
}

#[test]
fn a_database_naming_a_server_nobody_chose_gets_no_token_until_the_person_trusts_it() {
    let provider = IdentityProvider::start(&[PRIYA], 300);
    let server = ServerProcess::start(provider.server_env(&database()));
    let desk = Desk::new(Some(&provider), true);
    desk.ok(&["init", "--sample"]);
    desk.ok(&["login", "--server", &server.url, "--timeout", "60"]);
    desk.ok(&["publish"]);
    assert_eq!(desk.ok(&["servers"]).trim(), server.url);

    // A database file handed over (or planted) that names another listener.
    let stranger = Recorder::start(None);
    let planted = desk.home().join("planted.db");
    std::fs::copy(
        desk.home().join(".local/share/roadbook/roadbook.db"),
        &planted,
    )
    .unwrap();
    let planted_db = planted.to_str().unwrap();
    {
        let mut store = roadbook_store::Store::open(&planted).unwrap();
        let program = store.programs().unwrap()[0].id;
        store.set_server(program, &stranger.url).unwrap();
    }
    let err = desk.fails_with(&["--db", planted_db, "sync"], &[]);
    assert!(
        err.contains("a server your sign-in has not been sent to")
            && err.contains(&format!("roadbook servers trust {}", stranger.url)),
        "{err}"
    );
    let whoami = desk.ok(&["--db", planted_db, "whoami"]);
    assert!(
        whoami.contains(&format!("Not asked: {}", stranger.url)),
        "{whoami}"
    );
    assert!(!stranger.saw_a_token(), "no token went to the stranger");
    assert!(
        stranger.heads.lock().unwrap().is_empty(),
        "not even a request"
    );

    // A server that takes sign-ins from another provider is refused when named, too.
    let other = Recorder::start(Some(serde_json::json!({
        "issuer": "https://another-provider.example",
        "client_id": "roadbook",
        "audience": null,
        "scopes": ["openid"],
        "redirect_ports": [0],
        "groups_claim": "groups",
    })));
    let err = desk.fails_with(&["join", "--server", &other.url, "--list"], &[]);
    assert!(
        err.contains("takes sign-ins from https://another-provider.example"),
        "{err}"
    );
    assert!(
        !other.saw_a_token(),
        "no token to a server of another sign-in"
    );
    let err = desk.fails_with(&["servers", "trust", &other.url], &[]);
    assert!(err.contains("another-provider"), "{err}");

    // The person confirms the stranger: from now on the sign-in goes there.
    let trusted = desk.ok(&["servers", "trust", &stranger.url]);
    assert!(trusted.contains("may be sent to"), "{trusted}");
    assert!(desk.ok(&["servers"]).contains(&stranger.url));
    let _ = desk.run_with(&["--db", planted_db, "sync"], &[]);
    assert!(stranger.saw_a_token(), "sent once the person chose it");
    // A trusted server that sends requests on elsewhere: the token does not follow.
    let elsewhere = Recorder::start(None);
    let redirector = Recorder::redirecting(&elsewhere.url);
    {
        let mut store = roadbook_store::Store::open(&planted).unwrap();
        let program = store.programs().unwrap()[0].id;
        store.set_server(program, &redirector.url).unwrap();
    }
    desk.ok(&["servers", "trust", &redirector.url]);
    let err = desk.fails_with(&["--db", planted_db, "sync"], &[]);
    assert!(
        err.contains(&format!("sends its requests on to {}", elsewhere.url))
            && err.contains("not sent after a redirect"),
        "{err}"
    );
    assert!(
        redirector.saw_a_token(),
        "the trusted server got the request"
    );
    assert!(
        elsewhere.heads.lock().unwrap().is_empty(),
        "nothing followed the redirect"
    );
    desk.ok(&["servers", "forget", &redirector.url]);
    {
        let mut store = roadbook_store::Store::open(&planted).unwrap();
        let program = store.programs().unwrap()[0].id;
        store.set_server(program, &stranger.url).unwrap();
    }

    let forgot = desk.ok(&["servers", "forget", &stranger.url]);
    assert!(forgot.contains("no longer sent"), "{forgot}");
    let err = desk.fails_with(&["--db", planted_db, "sync"], &[]);
    assert!(err.contains("has not been sent to"), "{err}");
    let err = desk.fails_with(&["servers", "forget", &server.url], &[]);
    assert!(err.contains("the server you signed in for"), "{err}");
}
