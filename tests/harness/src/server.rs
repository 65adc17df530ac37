//! `roadbook-server` processes of this build or of the previous release, started on a database
//! and an issuer, and told apart when they are ready.

use super::*;

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
