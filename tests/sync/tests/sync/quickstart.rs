//! `make server` (scripts/server.sh): one person tries team sync on one machine. The script
//! starts PostgreSQL, the development identity provider and roadbook-server, says what to run;
//! signing in and publishing work with nothing else set; Ctrl+C stops all three and deletes
//! their data.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use roadbook_harness::{binary, workspace};

use crate::signin::Desk;

/// The running script; a test that fails stops it as Ctrl+C would.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

#[test]
fn the_quickstart_serves_a_sign_in_and_a_publish_and_ctrl_c_stops_everything() {
    // The binaries the script runs are the ones this test suite built.
    let bin = binary("roadbook-server");
    let mut script = Running(
        Command::new(workspace().join("scripts/server.sh"))
            .env("ROADBOOK_BIN_DIR", bin.parent().unwrap())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut out = BufReader::new(script.0.stdout.take().unwrap());
    let (mut server, mut data) = (String::new(), String::new());
    let mut said = String::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.is_empty() || !said.contains("Ctrl+C stops") {
        assert!(
            Instant::now() < deadline,
            "the quickstart never got ready: {said}"
        );
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(script.0.stderr.as_mut().unwrap(), &mut err);
            panic!("the quickstart stopped: {said}{err}");
        }
        said.push_str(&line);
        if let Some(url) = line.trim().strip_prefix("roadbook login --server ") {
            server = url.to_owned();
        }
        if let Some(dir) = line.trim().strip_prefix("data") {
            data = dir.trim().split(' ').next().unwrap().to_owned();
        }
    }
    assert!(std::path::Path::new(&data).exists(), "{said}");

    // Exactly what it says to run, as lee: the server says where to sign in.
    let desk = Desk::new(None, true);
    let login = desk.run_with(
        &["login", "--server", &server, "--timeout", "60"],
        &[("ROADBOOK_TEST_LOGIN", "lee")],
    );
    let login = String::from_utf8_lossy(&login.stdout);
    assert!(login.contains("Signed in as Lee Lead"), "{login}");
    desk.ok(&["init", "--sample"]);
    let published = desk.ok(&["publish"]);
    assert!(published.contains("published to"), "{published}");

    // Ctrl+C: the server, the provider and the database stop; their data goes.
    let stopped = Command::new("kill")
        .args(["-INT", &script.0.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    script.0.wait().unwrap();
    assert!(rest.contains("Stopped the server"), "{rest}");
    assert!(!std::path::Path::new(&data).exists(), "{data} is left");
    let address = server.trim_start_matches("http://");
    assert!(
        std::net::TcpStream::connect(address).is_err(),
        "the server still listens"
    );
}
