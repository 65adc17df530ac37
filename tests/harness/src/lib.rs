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
mod issuer;
mod network;
mod postgres;
mod server;

pub use issuer::*;
pub use network::*;
pub use postgres::*;
pub use server::*;

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
