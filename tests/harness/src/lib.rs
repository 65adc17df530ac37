//! What the sync's tests, benches and the desktop's end-to-end test start for themselves: a
//! throwaway PostgreSQL cluster (initdb into a temp dir, on a free port, as an unprivileged user
//! when run as root), a token issuer on loopback (a discovery document and a JWKS, with RSA keys
//! made here, that signs the tokens the tests use), and `roadbook-server` processes.

// Test support: a step that fails stops at once with what was wrong.
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
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

pub mod flawed;
pub mod identity;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A finished command's standard output, or its standard error when it failed.
pub fn output_text(out: std::process::Output) -> Result<String, String> {
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A binary this workspace builds (`cargo test` builds them all first).
pub fn binary(name: &str) -> PathBuf {
    // Benches point this at the release build.
    let dir = std::env::var_os("ROADBOOK_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/debug"));
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build it first (cargo build -p {name}; make test does)",
        path.display()
    );
    path
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// PostgreSQL's own programs (Debian keeps them out of PATH).
fn pg_bin(name: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| PathBuf::from(name))
}

/// A throwaway PostgreSQL cluster, stopped and deleted when dropped, or when the test process
/// ends in any way: it runs under a small keeper shell that stops it and deletes its folder as
/// soon as the pipe from this process closes (so a cluster kept in a `static` goes too).
pub struct Postgres {
    pub port: u16,
    dir: PathBuf,
    as_postgres: bool,
    keeper: Option<Child>,
    /// With TLS on: the CA that signed the cluster's certificate, and one that did not.
    pub tls: Option<TlsFiles>,
}

/// A throwaway CA for a cluster's TLS: its certificate (PEM) signed the cluster's, which names
/// `localhost` (not the address 127.0.0.1, so a name check can fail on purpose); `other_ca`
/// signed nothing the cluster shows.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub other_ca: PathBuf,
}

/// Makes a CA, a server certificate for `localhost` signed by it, and a second CA, with the
/// openssl command, in `dir`.
fn make_certificates(dir: &Path) -> TlsFiles {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl (Debian's openssl package)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    for ca in ["ca", "other-ca"] {
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN=roadbook test {ca}"),
            "-keyout",
            &format!("{ca}.key"),
            "-out",
            &format!("{ca}.crt"),
        ]);
    }
    std::fs::write(dir.join("server.ext"), "subjectAltName=DNS:localhost\n").unwrap();
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.crt",
    ]);
    TlsFiles {
        ca: dir.join("ca.crt"),
        other_ca: dir.join("other-ca.crt"),
    }
}

impl Postgres {
    /// A cluster whose commits are fsynced, as a deployed one (benchmarks).
    pub fn start_durable() -> Postgres {
        Postgres::start_with(true, false)
    }

    /// A cluster for tests: commits are not fsynced (a test never crashes PostgreSQL itself,
    /// only the server in front of it), which keeps the suite fast.
    pub fn start() -> Postgres {
        Postgres::start_with(false, false)
    }

    /// A cluster for tests that takes TLS connections (and plain ones), with a certificate a
    /// throwaway CA signed (`tls`).
    pub fn start_tls() -> Postgres {
        Postgres::start_with(false, true)
    }

    fn start_with(durable: bool, tls: bool) -> Postgres {
        let dir = tempfile::Builder::new()
            .prefix("roadbook-pg-")
            .tempdir()
            .unwrap()
            .keep();
        let as_postgres = is_root();
        if as_postgres {
            // initdb refuses root: the cluster belongs to the postgres user.
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(status.success(), "chown of the cluster's folder failed");
        }
        let mut pg = Postgres {
            port: free_port(),
            dir,
            as_postgres,
            keeper: None,
            tls: None,
        };
        let data = pg.dir.join("data");
        pg.run(
            pg_bin("initdb"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "roadbook",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300",
            pg.port,
            pg.dir.display()
        );
        if !durable {
            options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        if tls {
            let certs = pg.dir.join("certs");
            std::fs::create_dir_all(&certs).unwrap();
            let files = make_certificates(&certs);
            // PostgreSQL takes a key only its own user can read.
            let key = certs.join("server.key");
            std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .unwrap();
            if as_postgres {
                let status = Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&certs)
                    .status()
                    .unwrap();
                assert!(status.success());
            }
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                certs.join("server.crt").display(),
                key.display()
            ));
            pg.tls = Some(files);
        }
        let script = format!(
            "{postgres} -D {data} {options} >{log} 2>&1 & pid=$!; cat >/dev/null; kill -INT $pid; wait $pid; rm -rf {dir}",
            postgres = pg_bin("postgres").display(),
            data = data.display(),
            log = pg.dir.join("postgres.log").display(),
            dir = pg.dir.display(),
        );
        let keeper = pg
            .command(PathBuf::from("sh"))
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sh");
        pg.keeper = Some(keeper);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = Command::new(pg_bin("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &pg.port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not start: {}",
                std::fs::read_to_string(pg.dir.join("postgres.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        pg.run(
            pg_bin("createdb"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &pg.port.to_string(),
                "-U",
                "roadbook",
                "roadbook",
            ],
        );
        pg
    }

    fn command(&self, program: PathBuf) -> Command {
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn run(&self, program: PathBuf, args: &[&str]) {
        let out = self
            .command(program.clone())
            .args(args)
            .output()
            .unwrap_or_else(|e| {
                panic!("{}: {e} (make test installs postgresql)", program.display())
            });
        assert!(
            out.status.success(),
            "{} {args:?} failed: {}{}",
            program.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The URL of a database of its own (one per test keeps tests apart).
    pub fn database(&self, name: &str) -> String {
        self.run(
            pg_bin("createdb"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "roadbook",
                name,
            ],
        );
        format!("postgres://roadbook@127.0.0.1:{}/{name}", self.port)
    }

    /// The URL of the cluster's `roadbook` database.
    pub fn url(&self) -> String {
        format!("postgres://roadbook@127.0.0.1:{}/roadbook", self.port)
    }

    /// Runs SQL through psql as `role`: its output, or the error PostgreSQL gave.
    pub fn psql_as(&self, role: &str, database: &str, sql: &str) -> Result<String, String> {
        let out = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                role,
                "-d",
                database,
            ])
            .args(["-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .expect("psql (make test installs postgresql)");
        output_text(out)
    }

    /// The URL of `database` as `role`.
    pub fn url_as(&self, role: &str, database: &str) -> String {
        format!("postgres://{role}@127.0.0.1:{}/{database}", self.port)
    }

    /// Runs SQL through psql, as a person checking the database would.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        self.psql_as("roadbook", database, sql)
            .unwrap_or_else(|err| panic!("psql {sql}: {err}"))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(mut keeper) = self.keeper.take() {
            // Closing its stdin tells the keeper to stop the cluster and delete it.
            drop(keeper.stdin.take());
            let _ = keeper.wait();
        }
    }
}

/// The groups the tests' people are in, and the mapping the tests' servers use.
pub const ROLES: &str = "rb-leads=lead,rb-editors=editor,rb-viewers=viewer,rb-admins=admin";
pub const AUDIENCE: &str = "api://roadbook";

pub(crate) struct Key {
    pub(crate) kid: String,
    private: rsa::RsaPrivateKey,
}

impl Key {
    pub(crate) fn new(kid: &str) -> Key {
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
        Key {
            kid: kid.to_owned(),
            private,
        }
    }

    pub(crate) fn jwk(&self) -> Value {
        let public = self.private.to_public_key();
        json!({
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        })
    }

    pub(crate) fn encoding(&self) -> EncodingKey {
        EncodingKey::from_rsa_der(self.private.to_pkcs1_der().unwrap().as_bytes())
    }
}

/// A token issuer on loopback: its discovery document and its keys, and tokens signed with them.
/// It runs on a thread of its own, so tests of any kind (async or not) can start it.
pub struct Issuer {
    pub url: String,
    keys: Arc<Mutex<Vec<Key>>>,
    /// How many times the keys were fetched (a test of the server's refetch limit reads it).
    pub fetches: Arc<std::sync::atomic::AtomicUsize>,
    /// While set, every request is answered 503 (an identity-provider outage).
    down: Arc<std::sync::atomic::AtomicBool>,
    stop: Option<std::sync::mpsc::Sender<()>>,
}

impl Drop for Issuer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `app` on `listener` (non-blocking) from a thread of its own, so tests of any kind
/// (async or not) can start it; it stops when the returned sender sends or is dropped.
pub fn serve(listener: TcpListener, app: axum::Router) -> std::sync::mpsc::Sender<()> {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let serve = axum::serve(listener, app);
            let wait = tokio::task::spawn_blocking(move || {
                let _ = stopped.recv();
            });
            tokio::select! {
                _ = serve => {}
                _ = wait => {}
            }
        });
    });
    stop
}

/// An issuer's discovery document and its keys (`/jwks`, counting each fetch in `fetches`).
pub(crate) fn discovery_routes(
    discovery: Value,
    keys: Arc<Mutex<Vec<Key>>>,
    fetches: Arc<std::sync::atomic::AtomicUsize>,
) -> axum::Router {
    axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || {
                let doc = discovery.clone();
                async move { axum::Json(doc) }
            }),
        )
        .route(
            "/jwks",
            axum::routing::get(move || {
                fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let set: Vec<Value> = keys.lock().unwrap().iter().map(Key::jwk).collect();
                async move { axum::Json(json!({ "keys": set })) }
            }),
        )
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl Issuer {
    pub fn start() -> Issuer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let keys = Arc::new(Mutex::new(vec![Key::new("key-1")]));
        let fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let discovery = json!({
            "issuer": url,
            "jwks_uri": format!("{url}/jwks"),
            "authorization_endpoint": format!("{url}/authorize"),
            "token_endpoint": format!("{url}/token"),
        });
        let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let app = discovery_routes(discovery, keys.clone(), fetches.clone()).layer(
            axum::middleware::from_fn_with_state(
                down.clone(),
                |axum::extract::State(down): axum::extract::State<
                    Arc<std::sync::atomic::AtomicBool>,
                >,
                 request: axum::extract::Request,
                 next: axum::middleware::Next| async move {
                    if down.load(std::sync::atomic::Ordering::SeqCst) {
                        axum::response::IntoResponse::into_response(
                            axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        )
                    } else {
                        next.run(request).await
                    }
                },
            ),
        );
        let stop = serve(listener, app);
        Issuer {
            url,
            keys,
            fetches,
            down,
            stop: Some(stop),
        }
    }

    /// Takes the issuer down (every request answered 503) or brings it back.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }

    /// Adds a new signing key (a rotation); tokens are signed with it from now on.
    pub fn rotate(&self) -> String {
        let mut keys = self.keys.lock().unwrap();
        let kid = format!("key-{}", keys.len() + 1);
        keys.push(Key::new(&kid));
        kid
    }

    /// The claims of an access token for this API, valid for an hour.
    pub fn claims(&self, subject: &str, name: &str, groups: &[&str]) -> Value {
        let now = now();
        json!({
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": subject,
            "name": name,
            "groups": groups,
            "iat": now,
            "nbf": now - 5,
            "exp": now + 3600,
        })
    }

    /// Signs `claims` with the current key, with the header as given plus its kid.
    pub fn sign_with_header(&self, mut header: Header, claims: &Value) -> String {
        let keys = self.keys.lock().unwrap();
        let key = keys.last().unwrap();
        if header.kid.is_none() {
            header.kid = Some(key.kid.clone());
        }
        jsonwebtoken::encode(&header, claims, &key.encoding()).unwrap()
    }

    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.typ = Some("at+jwt".into());
        self.sign_with_header(header, claims)
    }

    /// An access token for a person in `groups`.
    pub fn token(&self, subject: &str, name: &str, groups: &[&str]) -> String {
        self.sign(&self.claims(subject, name, groups))
    }

    /// The public key of the current signing key, as PEM-less DER bytes of its modulus: what an
    /// attacker has (for the HS256-with-the-public-key forgery).
    pub fn public_key_der(&self) -> Vec<u8> {
        use rsa::pkcs1::EncodeRsaPublicKey;
        let keys = self.keys.lock().unwrap();
        keys.last()
            .unwrap()
            .private
            .to_public_key()
            .to_pkcs1_der()
            .unwrap()
            .as_bytes()
            .to_vec()
    }
}

/// Settings for a `roadbook-server` of the tests.
pub fn server_env(database_url: &str, issuer: &Issuer) -> Vec<(String, String)> {
    vec![
        ("ROADBOOK_DATABASE_URL".into(), database_url.into()),
        (
            "ROADBOOK_LISTEN".into(),
            format!("127.0.0.1:{}", free_port()),
        ),
        ("ROADBOOK_ISSUER".into(), issuer.url.clone()),
        ("ROADBOOK_AUDIENCE".into(), AUDIENCE.into()),
        ("ROADBOOK_ROLES".into(), ROLES.into()),
        ("ROADBOOK_TOKEN_TYPE".into(), "at+jwt".into()),
    ]
}

/// A `roadbook-server` process; killed when dropped.
pub struct ServerProcess {
    pub url: String,
    child: Child,
    env: Vec<(String, String)>,
    program: PathBuf,
}

impl ServerProcess {
    /// Starts the server binary with `env` and waits until it answers `/readyz`.
    pub fn start(env: Vec<(String, String)>) -> ServerProcess {
        ServerProcess::start_logging(env, None)
    }

    /// As `start`, writing the server's log (at `info`) to `log`.
    pub fn start_logging(env: Vec<(String, String)>, log: Option<&Path>) -> ServerProcess {
        ServerProcess::start_program(&binary("roadbook-server"), env, log)
    }

    /// As `start_logging`, running another build of the server (a previous release).
    pub fn start_program(
        program: &Path,
        env: Vec<(String, String)>,
        log: Option<&Path>,
    ) -> ServerProcess {
        let listen = env
            .iter()
            .find(|(k, _)| k == "ROADBOOK_LISTEN")
            .map(|(_, v)| v.clone())
            .unwrap();
        let (level, stderr) = match log {
            Some(path) => ("info", Stdio::from(std::fs::File::create(path).unwrap())),
            None => ("warn", Stdio::null()),
        };
        let child = Command::new(program)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("RUST_LOG", level)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let server = ServerProcess {
            url: format!("http://{listen}"),
            child,
            env,
            program: program.to_owned(),
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if ready(&self.url) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "roadbook-server at {} did not get ready",
                self.url
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process's resident memory now, in KiB (`VmRSS`).
    pub fn resident_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// How many files (sockets included) the process holds open now.
    pub fn open_files(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .unwrap()
            .count()
    }

    /// The most resident memory the process has used so far, in KiB (`VmHWM`).
    pub fn peak_resident_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// SIGKILL: no shutdown at all.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the process to finish its requests and exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().unwrap()
    }

    /// Starts it again on the same address with the same settings.
    pub fn restart(&mut self) {
        self.kill();
        let again = ServerProcess::start_program(&self.program, self.env.clone(), None);
        *self = again;
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The previous release's `roadbook-server` (the commit in `deploy/previous-release`), built by
/// `scripts/previous-release.sh` (`make test` runs it first).
pub fn previous_release_server() -> PathBuf {
    let text = std::fs::read_to_string(workspace().join("deploy/previous-release")).unwrap();
    let commit = text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 40 && l.bytes().all(|b| b.is_ascii_hexdigit()))
        .expect("deploy/previous-release names a commit");
    let path = workspace().join(format!("target/previous-release/{commit}/roadbook-server"));
    assert!(
        path.exists(),
        "the previous release's server is not built: run scripts/previous-release.sh (make test does)"
    );
    path
}

/// Whether the server at `url` answers `/readyz` with 200 (what a readiness probe asks).
pub fn ready(url: &str) -> bool {
    use std::io::{Read, Write};
    let address = url.trim_start_matches("http://");
    let Ok(mut stream) = std::net::TcpStream::connect(address) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = write!(
        stream,
        "GET /readyz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    );
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

/// A loopback load balancer in front of several servers, as a Kubernetes Service behind an
/// ingress is: each new connection goes to the next backend in turn among those whose
/// `/readyz` said yes at the last check (every 100 ms).
pub struct Balancer {
    pub url: String,
    /// Connections relayed to each backend, in the order given.
    pub relayed: Arc<Vec<std::sync::atomic::AtomicUsize>>,
}

impl Balancer {
    pub fn start(backends: &[&str]) -> Balancer {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let backends: Vec<String> = backends.iter().map(|b| (*b).to_owned()).collect();
        let healthy: Arc<Vec<AtomicBool>> =
            Arc::new(backends.iter().map(|b| AtomicBool::new(ready(b))).collect());
        let relayed: Arc<Vec<AtomicUsize>> =
            Arc::new(backends.iter().map(|_| AtomicUsize::new(0)).collect());
        {
            let (healthy, backends) = (healthy.clone(), backends.clone());
            std::thread::spawn(move || {
                loop {
                    for (n, backend) in backends.iter().enumerate() {
                        healthy[n].store(ready(backend), Ordering::SeqCst);
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let counts = relayed.clone();
        std::thread::spawn(move || {
            let mut next = 0usize;
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let picked = (0..backends.len())
                    .map(|i| (next + i) % backends.len())
                    .find(|&n| healthy[n].load(Ordering::SeqCst));
                let Some(n) = picked else {
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    continue;
                };
                next = n + 1;
                let address = backends[n].trim_start_matches("http://");
                let Ok(server) = std::net::TcpStream::connect(address) else {
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    continue;
                };
                counts[n].fetch_add(1, Ordering::SeqCst);
                relay(client, server, Armed::default());
            }
        });
        Balancer { url, relayed }
    }
}

/// Copies bytes both ways between a client and a server until each side closes.
/// A request whose answer the relay is to lose, once.
type Armed = Arc<Mutex<Option<Vec<u8>>>>;

fn relay(client: std::net::TcpStream, server: std::net::TcpStream, armed: Armed) {
    use std::io::{Read, Write};
    // Set when this connection carried the armed request: the server's answer to it never
    // reaches the client, whose connection then closes (the server has done the work).
    let swallow = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (mut from, mut to) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        let swallow = swallow.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match from.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let chunk = &buf[..n];
                {
                    let mut armed = armed.lock().unwrap();
                    if armed
                        .as_ref()
                        .is_some_and(|m| chunk.windows(m.len()).any(|w| w == m.as_slice()))
                    {
                        *armed = None;
                        swallow.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                }
                if to.write_all(chunk).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(std::net::Shutdown::Write);
        });
    }
    let (mut from, mut to) = (server, client);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if swallow.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = to.shutdown(std::net::Shutdown::Both);
                let _ = from.shutdown(std::net::Shutdown::Both);
                return;
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

/// A loopback TCP relay to `target` that a test can cut and mend: a network partition between
/// one client and the server while others still reach it. Cut, it closes every open connection
/// and refuses new ones at once (what a client sees when its network is gone).
pub struct Proxy {
    pub url: String,
    cut: Arc<std::sync::atomic::AtomicBool>,
    open: Arc<Mutex<Vec<std::net::TcpStream>>>,
    armed: Armed,
}

impl Proxy {
    /// Relays to `target` (`http://host:port`).
    pub fn start(target: &str) -> Proxy {
        let upstream = target.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let cut = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let open: Arc<Mutex<Vec<std::net::TcpStream>>> = Arc::default();
        let armed: Armed = Arc::default();
        let (is_cut, streams, arm) = (cut.clone(), open.clone(), armed.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if is_cut.load(std::sync::atomic::Ordering::SeqCst) {
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    continue;
                }
                let Ok(server) = std::net::TcpStream::connect(&upstream) else {
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    continue;
                };
                {
                    let mut streams = streams.lock().unwrap();
                    streams.retain(|s| s.peer_addr().is_ok());
                    streams.push(client.try_clone().unwrap());
                    streams.push(server.try_clone().unwrap());
                }
                relay(client, server, arm.clone());
            }
        });
        Proxy {
            url,
            cut,
            open,
            armed,
        }
    }

    /// The next request whose bytes contain `marker` (a request line such as
    /// `POST /v1/programs HTTP`) reaches the server, which does the work, but its answer is
    /// lost on the way back and the client's connection closes: the lost answer after a commit.
    pub fn lose_answer_to(&self, marker: &str) {
        *self.armed.lock().unwrap() = Some(marker.as_bytes().to_vec());
    }

    /// Whether the armed request has gone by (its answer lost).
    pub fn answer_lost(&self) -> bool {
        self.armed.lock().unwrap().is_none()
    }

    /// The network goes: open connections close, new ones are refused.
    pub fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }

    /// The network is back.
    pub fn mend(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}
