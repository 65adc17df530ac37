//! The world the sync's end-to-end tests run in: one PostgreSQL cluster per test process (a
//! database per test), a token issuer, `roadbook-server` in the test's runtime, and people with
//! their own SQLite databases and sync clients.

// Test support: a step that fails stops at once with what was wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_debug_implementations
)]

pub mod sim;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use roadbook_harness::{AUDIENCE, Issuer, Postgres, ROLES};
use roadbook_model::{Handbook, Id, sample};
use roadbook_server::Running;
use roadbook_server::config::{Config, parse_roles};
use roadbook_store::Store;
use roadbook_sync::{Client, HttpTransport, Replica, Token};

static CLUSTER: OnceLock<Postgres> = OnceLock::new();
static DATABASES: AtomicU32 = AtomicU32::new(0);

pub fn cluster() -> &'static Postgres {
    CLUSTER.get_or_init(Postgres::start)
}

/// A database of its own in the process's cluster.
pub fn database() -> String {
    let n = DATABASES.fetch_add(1, Ordering::SeqCst);
    cluster().database(&format!("sync_{}_{n}", std::process::id()))
}

/// The largest request body the tests' servers take (small, to test the limit).
pub const BODY_LIMIT: usize = 4 << 20;

pub fn config(database_url: &str, issuer: &Issuer) -> Config {
    Config {
        database_url: database_url.to_owned(),
        listen: "127.0.0.1:0".parse().unwrap(),
        issuer: issuer.url.clone(),
        audience: AUDIENCE.into(),
        groups_claim: "groups".into(),
        roles: parse_roles(ROLES).unwrap(),
        token_type: Some("at+jwt".into()),
        name_claim: "name".into(),
        body_limit: BODY_LIMIT,
        db_connections: 8,
        sign_in: None,
        roles_file: None,
        break_glass: Vec::new(),
        drain: std::time::Duration::ZERO,
        migrations: roadbook_server::storage::postgres::Migrations::AtStart,
        migrate_database_url: None,
        serving_role: None,
        limits: roadbook_server::config::Limits::default(),
    }
}

pub struct World {
    pub issuer: Issuer,
    pub database_url: String,
    pub server: Running,
    pub url: String,
}

impl World {
    pub async fn start() -> World {
        let database_url = database();
        let issuer = Issuer::start();
        let server = roadbook_server::start(&config(&database_url, &issuer))
            .await
            .unwrap();
        let url = format!("http://{}", server.addr);
        World {
            issuer,
            database_url,
            server,
            url,
        }
    }

    /// Someone with their own database and a token for `groups`.
    pub fn person(&self, subject: &str, groups: &[&str]) -> Person {
        let token = self
            .issuer
            .token(subject, &format!("{subject} (name)"), groups);
        Person::new(subject, &self.url, token)
    }

    /// A raw request, as any HTTP client could send it.
    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
        protocol: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let client = reqwest::Client::new();
        let mut request = client.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(version) = protocol {
            request = request.header(roadbook_protocol::PROTOCOL_HEADER, version);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (status, body)
    }

    /// The program's log head on the server, read from PostgreSQL directly.
    pub fn head(&self, program: Id) -> u64 {
        let db = self.database_url.rsplit('/').next().unwrap();
        cluster()
            .psql(
                db,
                &format!("SELECT head FROM programs WHERE id = '{program}'"),
            )
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// An item's fields as the server holds them, read from PostgreSQL directly.
    pub fn server_item(&self, program: Id, item: Id) -> Option<serde_json::Value> {
        let db = self.database_url.rsplit('/').next().unwrap();
        let text = cluster().psql(
            db,
            &format!(
                "SELECT fields::text FROM items WHERE program_id = '{program}' AND id = '{item}'"
            ),
        );
        serde_json::from_str(text.trim()).ok()
    }

    /// Rows in a server table, read from PostgreSQL directly.
    pub fn count(&self, table: &str) -> u64 {
        let db = self.database_url.rsplit('/').next().unwrap();
        cluster()
            .psql(db, &format!("SELECT count(*) FROM {table}"))
            .trim()
            .parse()
            .unwrap()
    }
}

pub struct Person {
    pub name: String,
    pub token: String,
    /// Shared, so a background sync can run on it too.
    pub store: Arc<Mutex<Store>>,
    pub client: Client<HttpTransport>,
    pub dir: tempfile::TempDir,
}

impl Person {
    pub fn new(subject: &str, server: &str, token: String) -> Person {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("roadbook.db")).unwrap();
        let client = Client::new(HttpTransport::new(server, Token::new(token.clone())).unwrap());
        Person {
            name: format!("{subject} (name)"),
            token,
            store: Arc::new(Mutex::new(store)),
            client,
            dir,
        }
    }

    /// Adds the sample program to this person's database.
    pub fn with_sample(&self) -> Handbook {
        let handbook = sample::builder_insights().unwrap();
        self.store
            .with(|s| s.import(&handbook, &self.name))
            .unwrap();
        handbook
    }

    pub fn load(&self, program: Id) -> Handbook {
        self.store.with(|s| s.load(program)).unwrap()
    }

    /// The program as JSON: what two replicas that agree export alike.
    pub fn export(&self, program: Id) -> String {
        self.load(program).to_json().unwrap()
    }
}

/// The text of the server's `/metrics` at `server` (its base URL).
pub async fn metrics_text(server: &str) -> String {
    reqwest::get(format!("{server}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// `roadbook` on a person's database with their token: the output, or the failure.
pub fn roadbook(db: &std::path::Path, token: &str, args: &[&str]) -> Result<String, String> {
    let out = std::process::Command::new(roadbook_harness::binary("roadbook"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("ROADBOOK_TOKEN", token)
        .env("ROADBOOK_AUTHOR", "cli")
        .env_remove("ROADBOOK_DB")
        .output()
        .unwrap();
    roadbook_harness::output_text(out)
}

/// A token for `login` whose email (`login@example.test`) the issuer vouches for: what joins a
/// person to their row of the org roster.
pub fn token_with_email(issuer: &Issuer, login: &str, name: &str, groups: &[&str]) -> String {
    let mut claims = issuer.claims(login, name, groups);
    claims["email"] = serde_json::json!(format!("{login}@example.test"));
    claims["email_verified"] = serde_json::json!(true);
    issuer.sign(&claims)
}

/// An operator command (`roadbook-server roster import ...`) on the server's database, with the
/// server's settings; its output. It must succeed.
pub fn operator(env: &[(String, String)], args: &[&str]) -> String {
    let out = std::process::Command::new(roadbook_harness::binary("roadbook-server"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "roadbook-server {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The newest schema this release's server brings a database to: its number of migrations.
pub fn newest_schema() -> usize {
    std::fs::read_dir(roadbook_harness::workspace().join("crates/roadbook-server/migrations"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".sql")
        })
        .count()
}
