//! A throwaway PostgreSQL cluster: initdb into a temp dir, on a free port, as an unprivileged
//! user when run as root, with TLS certificates of its own.

use super::*;

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
