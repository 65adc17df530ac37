//! The real parts of sign-in, for tests: the identity provider standing in for Okta
//! (oidc-provider, an OpenID Certified implementation, from `tests/idp`) and a Secret Service
//! keychain (gnome-keyring on a D-Bus session of its own).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::json;

use crate::{AUDIENCE, free_port, workspace};

/// The client id the test provider registers for Roadbook (a native public client).
pub const CLIENT_ID: &str = "roadbook-desktop";
/// Scopes Roadbook asks the test provider for: the groups claim and the API's scope.
pub const SCOPES: &str = "openid profile email offline_access groups roadbook";

/// A person the test provider knows: the login a script types, and what the tokens say.
#[derive(Debug, Clone)]
pub struct Person {
    pub login: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub groups: &'static [&'static str],
}

/// oidc-provider on 127.0.0.1; stopped when dropped (its stdin closes).
pub struct IdentityProvider {
    pub issuer: String,
    child: Child,
}

impl IdentityProvider {
    /// Starts the provider with these people and access tokens that last `access_ttl` seconds.
    pub fn start(people: &[Person], access_ttl: u64) -> IdentityProvider {
        let dir = workspace().join("tests/idp");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "tests/idp/node_modules is missing: run `npm --prefix tests/idp ci` (make test does)"
        );
        let people: serde_json::Map<String, serde_json::Value> = people
            .iter()
            .map(|p| {
                (
                    p.login.to_owned(),
                    json!({ "name": p.name, "email": p.email, "groups": p.groups }),
                )
            })
            .collect();
        let port = free_port();
        let mut child = Command::new("node")
            .arg(dir.join("provider.mjs"))
            .env("ROADBOOK_IDP_PORT", port.to_string())
            .env(
                "ROADBOOK_IDP_PEOPLE",
                serde_json::Value::Object(people).to_string(),
            )
            .env("ROADBOOK_IDP_CLIENT_ID", CLIENT_ID)
            .env("ROADBOOK_IDP_AUDIENCE", AUDIENCE)
            .env("ROADBOOK_IDP_ACCESS_TTL", access_ttl.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node (make test installs Node.js)");
        let stdout = child.stdout.take().unwrap();
        let mut first = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut first)
            .unwrap();
        let issuer = first
            .trim()
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("the test provider did not start: {first:?}"))
            .to_owned();
        IdentityProvider { issuer, child }
    }

    /// What a Roadbook client needs to sign in here (`ROADBOOK_OIDC_*`).
    pub fn client_env(&self) -> Vec<(String, String)> {
        vec![
            ("ROADBOOK_OIDC_ISSUER".into(), self.issuer.clone()),
            ("ROADBOOK_OIDC_CLIENT_ID".into(), CLIENT_ID.into()),
            ("ROADBOOK_OIDC_AUDIENCE".into(), AUDIENCE.into()),
            ("ROADBOOK_OIDC_SCOPES".into(), SCOPES.into()),
        ]
    }

    /// What a `roadbook-server` needs to accept this provider's access tokens and to publish
    /// where to sign in (`/v1/sign-in`), over `server_env`'s database and roles.
    pub fn server_env(&self, database_url: &str) -> Vec<(String, String)> {
        vec![
            ("ROADBOOK_DATABASE_URL".into(), database_url.into()),
            (
                "ROADBOOK_LISTEN".into(),
                format!("127.0.0.1:{}", free_port()),
            ),
            ("ROADBOOK_ISSUER".into(), self.issuer.clone()),
            ("ROADBOOK_AUDIENCE".into(), AUDIENCE.into()),
            ("ROADBOOK_ROLES".into(), crate::ROLES.into()),
            ("ROADBOOK_TOKEN_TYPE".into(), "at+jwt".into()),
            ("ROADBOOK_CLIENT_ID".into(), CLIENT_ID.into()),
            ("ROADBOOK_SCOPES".into(), SCOPES.into()),
        ]
    }

    /// The stand-in for the system browser (`$BROWSER`): signs in on the provider's login page.
    pub fn browser() -> PathBuf {
        workspace().join("tests/idp/browser.sh")
    }
}

impl Drop for IdentityProvider {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment of a program in a desktop session with `home` and the session bus `bus`
/// (an address where no bus listens: a desktop without a keychain).
pub fn session_env(home: &Path, runtime: Option<&Path>, bus: &str) -> Vec<(String, String)> {
    let mut env = vec![
        ("HOME".into(), home.display().to_string()),
        (
            "XDG_CONFIG_HOME".into(),
            home.join(".config").display().to_string(),
        ),
        (
            "XDG_DATA_HOME".into(),
            home.join(".local/share").display().to_string(),
        ),
        ("DBUS_SESSION_BUS_ADDRESS".into(), bus.to_owned()),
    ];
    if let Some(runtime) = runtime {
        env.push(("XDG_RUNTIME_DIR".into(), runtime.display().to_string()));
    }
    env
}

/// A Secret Service keychain on a D-Bus session of its own, with a home of its own: what a
/// person's desktop session gives Roadbook. Stopped when dropped.
pub struct Keychain {
    pub home: tempfile::TempDir,
    runtime: tempfile::TempDir,
    bus: String,
    keeper: Child,
}

impl Keychain {
    pub fn start() -> Keychain {
        let home = tempfile::Builder::new()
            .prefix("roadbook-home-")
            .tempdir()
            .unwrap();
        let runtime = tempfile::Builder::new()
            .prefix("roadbook-run-")
            .tempdir()
            .unwrap();
        // The daemon unlocks (creating it the first time) the login keyring with the password
        // on its stdin, then the shell prints the bus address and waits for the test to end.
        let script = "printf %s roadbook-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null; \
                      echo \"$DBUS_SESSION_BUS_ADDRESS\"; cat >/dev/null";
        let mut keeper = Command::new("dbus-run-session")
            .args(["--", "sh", "-c", script])
            .env("HOME", home.path())
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-run-session (make test installs dbus and gnome-keyring)");
        let mut bus = String::new();
        std::io::BufReader::new(keeper.stdout.take().unwrap())
            .read_line(&mut bus)
            .unwrap();
        let bus = bus.trim().to_owned();
        assert!(
            !bus.is_empty(),
            "the keychain's D-Bus session did not start"
        );
        Keychain {
            home,
            runtime,
            bus,
            keeper,
        }
    }

    /// The environment of a program on this desktop session: its home, its bus, its keychain.
    pub fn env(&self) -> Vec<(String, String)> {
        session_env(self.home.path(), Some(self.runtime.path()), &self.bus)
    }

    /// `secret-tool lookup` for Roadbook's entries, as a person checking their keychain would:
    /// the secrets of the `roadbook` service.
    pub fn roadbook_secrets(&self) -> Vec<String> {
        let out = Command::new("secret-tool")
            .args(["search", "--all", "--unlock", "service", "roadbook"])
            .envs(self.env())
            .output()
            .expect("secret-tool (make test installs libsecret-tools)");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("secret = "))
            .map(str::to_owned)
            .collect()
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }
}

impl Drop for Keychain {
    fn drop(&mut self) {
        drop(self.keeper.stdin.take());
        let _ = self.keeper.wait();
    }
}
