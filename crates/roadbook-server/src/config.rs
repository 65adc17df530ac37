//! Settings: environment variables, or the same keys in a TOML file (`--config FILE`), the
//! environment winning. A missing or bad setting is one line that names it and says what to do.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use roadbook_protocol::Role;

/// Group name (as the token's groups claim carries it) to role.
pub type RoleMap = BTreeMap<String, Role>;

#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// `ROADBOOK_DATABASE_URL`: the PostgreSQL URL (it may hold a password: never printed).
    pub database_url: String,
    /// `ROADBOOK_LISTEN`: host:port, default 127.0.0.1:8080.
    pub listen: SocketAddr,
    /// `ROADBOOK_ISSUER`: the token issuer; its discovery document names the signing keys.
    pub issuer: String,
    /// `ROADBOOK_AUDIENCE`: the audience every access token must name (this API).
    pub audience: String,
    /// `ROADBOOK_GROUPS_CLAIM`: the claim with the caller's groups, default `groups`.
    pub groups_claim: String,
    /// `ROADBOOK_ROLES`: `group=role,...` (roles: viewer, editor, lead, admin); or the mapping
    /// read from `ROADBOOK_ROLES_FILE`.
    pub roles: RoleMap,
    /// `ROADBOOK_ROLES_FILE`: a TOML file of `"group" = "role"` lines, read again whenever it
    /// changes (no restart).
    pub roles_file: Option<std::path::PathBuf>,
    /// `ROADBOOK_BREAK_GLASS`: subjects that may act as admin in an emergency, a reason given
    /// on every request (comma separated).
    pub break_glass: Vec<String>,
    /// `ROADBOOK_TOKEN_TYPE`: when set (`at+jwt`), the `typ` every access token must carry.
    pub token_type: Option<String>,
    /// `ROADBOOK_NAME_CLAIM`: the claim shown as the author of changes, default `name`
    /// (then `preferred_username`, `email`, the subject).
    pub name_claim: String,
    /// `ROADBOOK_BODY_LIMIT`: the largest request body in bytes, default 32 MiB (a published
    /// program of 10,000 items is about 6 MiB).
    pub body_limit: usize,
    /// `ROADBOOK_DB_CONNECTIONS`: the most database connections, default 16.
    pub db_connections: u32,
    /// Where the desktop app and the CLI sign in, published at `/v1/sign-in` when
    /// `ROADBOOK_CLIENT_ID` is set (with `ROADBOOK_SCOPES` and `ROADBOOK_REDIRECT_PORTS`).
    pub sign_in: Option<roadbook_protocol::SignInSettings>,
    /// `ROADBOOK_DRAIN_SECONDS`: on SIGTERM, how long to keep answering while saying "not
    /// ready" (so the load balancer stops sending new requests first), default 0; then the
    /// server stops taking connections and finishes those in flight.
    pub drain: std::time::Duration,
    /// `ROADBOOK_MIGRATIONS`: `at-start` (the default: a process brings the schema up to date
    /// when it starts, with its own role) or `separately` (`roadbook-server migrate` does, as
    /// the owning role, and a process only checks the schema is new enough).
    pub migrations: crate::storage::postgres::Migrations,
    /// `ROADBOOK_MIGRATE_DATABASE_URL` (or `_FILE`): the owning role's URL, for
    /// `roadbook-server migrate` only (default: `ROADBOOK_DATABASE_URL`).
    pub migrate_database_url: Option<String>,
    /// `ROADBOOK_SERVING_ROLE`: the role `migrate` grants what serving needs (and, on the audit
    /// trail, only reading and adding).
    pub serving_role: Option<String>,
    /// Bounds on what a caller can make the server hold or keep (see [`Limits`]).
    pub limits: Limits,
}

/// What a caller's token and requests may ask of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `ROADBOOK_EMAIL_VERIFIED_CLAIM`: the claim that says the issuer checked the token's
    /// email (default `email_verified`; `none`: the issuer puts only checked emails in its
    /// access tokens). An email is matched to the roster and to grants only when vouched for.
    pub email_verified_claim: Option<String>,
    /// `ROADBOOK_MAX_TOKEN_SECONDS`: the longest a token may still be valid for when it is
    /// shown (default 86,400: a day; Okta's access tokens last an hour).
    pub max_token_lifetime: std::time::Duration,
    /// `ROADBOOK_BREAK_GLASS_SECONDS`: how long one break-glass reason opens access for
    /// (default 3,600).
    pub break_glass_ttl: std::time::Duration,
    /// `ROADBOOK_BREAK_GLASS_PER_DAY`: how many break-glass uses one person may open in a day
    /// (default 5).
    pub break_glass_per_day: u32,
    /// `ROADBOOK_IDLE_SECONDS`: how long a connection may go without a whole request head,
    /// new or kept alive between requests (one timer in the HTTP library covers both), before
    /// it is closed (default 75: longer than the ingress's 60 s upstream keep-alive, so the
    /// ingress never sends a request down a connection the server is closing).
    pub idle_timeout: std::time::Duration,
    /// `ROADBOOK_MOST_CONNECTIONS`: the most connections one process holds open; more wait
    /// in the kernel's backlog until one closes (default 2,048, far below its descriptors).
    pub most_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            email_verified_claim: Some("email_verified".into()),
            max_token_lifetime: std::time::Duration::from_secs(86_400),
            break_glass_ttl: std::time::Duration::from_secs(3_600),
            break_glass_per_day: 5,
            idle_timeout: std::time::Duration::from_secs(75),
            most_connections: 2_048,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("listen", &self.listen)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("groups_claim", &self.groups_claim)
            .field("roles", &self.roles)
            .field("roles_file", &self.roles_file)
            .field("break_glass", &self.break_glass)
            .field("token_type", &self.token_type)
            .field("sign_in", &self.sign_in)
            .finish_non_exhaustive()
    }
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    let Some(scheme) = url.find("://") else {
        // key=value settings: the keys and values, but never the password's.
        return match crate::storage::tls::key_values(url) {
            Ok(settings) => settings
                .iter()
                .map(|(key, _, written)| {
                    if key == "password" {
                        "password=***".to_owned()
                    } else {
                        written.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
            Err(_) => "(settings that cannot be read, not shown)".into(),
        };
    };
    let (address, query) = match url.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (url, None),
    };
    // The user's password sits in the authority, before the first '/' after the scheme.
    let rest = &address[scheme + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => {
            let user = authority[..at].split(':').next().unwrap_or_default();
            format!("{user}:***{}", &authority[at..])
        }
        None => authority.to_owned(),
    };
    let mut shown = format!("{}{authority}{path}", &url[..scheme + 3]);
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| {
                let key = pair.split('=').next().unwrap_or_default();
                // An encoded key may spell password: hidden too, rather than decoded here.
                if key.eq_ignore_ascii_case("password") || key.contains('%') {
                    format!("{key}=***")
                } else {
                    pair.to_owned()
                }
            })
            .collect();
        shown = format!("{shown}?{}", pairs.join("&"));
    }
    shown
}

/// Parses `group=role,group=role`.
pub fn parse_roles(text: &str) -> Result<RoleMap, String> {
    let mut roles = RoleMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (group, role) = pair
            .split_once('=')
            .ok_or_else(|| format!("'{pair}' is not group=role (for example rb-leads=lead)"))?;
        let role: Role = role.parse()?;
        if group.trim().is_empty() {
            return Err(format!("'{pair}' names no group"));
        }
        roles.insert(group.trim().to_owned(), role);
    }
    if roles.is_empty() {
        return Err("it maps no group to a role".into());
    }
    Ok(roles)
}

/// The group-to-role mapping in `path`: TOML, one `"group" = "role"` per line.
pub fn read_roles_file(path: &Path) -> Result<RoleMap, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the roles file {}: {e}", path.display()))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        format!(
            "the roles file {} is not valid TOML: {}",
            path.display(),
            e.message()
        )
    })?;
    let mut roles = RoleMap::new();
    for (group, role) in table {
        let role = role
            .as_str()
            .ok_or_else(|| {
                format!(
                    "the roles file {}: {group} must map to a role in quotes, for example \"editor\"",
                    path.display()
                )
            })?
            .parse::<Role>()
            .map_err(|e| format!("the roles file {}: {group}: {e}", path.display()))?;
        roles.insert(group, role);
    }
    if roles.is_empty() {
        return Err(format!(
            "the roles file {} maps no group to a role",
            path.display()
        ));
    }
    Ok(roles)
}

/// Reads the roles file again whenever it changes (checked every two seconds: a Kubernetes
/// ConfigMap is swapped through symlinks, which file-change notifications miss). A file that
/// no longer reads keeps the mapping in force (a revocation with a typo in it must not open
/// everything, nor close everything), loudly: an error in the log every time it is read, and
/// `roadbook_roles_file_unreadable` at 1 until the file reads again, which an alert watches.
pub async fn watch_roles(
    path: std::path::PathBuf,
    roles: std::sync::Arc<std::sync::RwLock<RoleMap>>,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
) {
    let stamp = |path: &Path| {
        std::fs::metadata(path)
            .ok()
            .map(|m| (m.modified().ok(), m.len()))
    };
    let mut last = stamp(&path);
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let now = stamp(&path);
        if now == last {
            continue;
        }
        last = now;
        match read_roles_file(&path) {
            Ok(map) => {
                tracing::info!(groups = map.len(), file = %path.display(), "roles reloaded");
                *roles.write().unwrap_or_else(|e| e.into_inner()) = map;
                metrics.roles_file_unreadable(false);
            }
            Err(err) => {
                tracing::error!(error = %err, "THE ROLES FILE DOES NOT READ: the previous mapping stays in force until it is fixed");
                metrics.roles_file_unreadable(true);
            }
        }
    }
}

/// Reads the settings from the environment over the file (when given).
pub fn load(file: Option<&Path>) -> Result<Config, String> {
    let mut from_file: BTreeMap<String, String> = BTreeMap::new();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
        let table: toml::Table = text
            .parse()
            .map_err(|e| format!("{} is not valid TOML: {e}", path.display()))?;
        for (key, value) in table {
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(format!(
                        "{} in {}: expected text or a number, found {}",
                        key,
                        path.display(),
                        other.type_str()
                    ));
                }
            };
            if !KEYS.contains(&key.as_str()) {
                return Err(format!(
                    "{} in {} is not a setting: use {}",
                    key,
                    path.display(),
                    KEYS.join(", ")
                ));
            }
            from_file.insert(key, text);
        }
    }
    let get = |key: &str| -> Option<String> {
        std::env::var(key)
            .ok()
            .or_else(|| from_file.get(key).cloned())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let required = |key: &str, example: &str| -> Result<String, String> {
        get(key).ok_or_else(|| format!("{key} is not set: {example}"))
    };
    // A URL with a password is better mounted as a file than set in the environment.
    let database_url = match get("ROADBOOK_DATABASE_URL_FILE") {
        Some(path) => std::fs::read_to_string(&path)
            .map(|text| text.trim().to_owned())
            .map_err(|e| {
                format!("cannot read ROADBOOK_DATABASE_URL_FILE {path} ({e}): mount the database URL's secret there")
            })?,
        None => required(
            "ROADBOOK_DATABASE_URL",
            "give the PostgreSQL URL, for example postgres://roadbook@db.internal/roadbook (or ROADBOOK_DATABASE_URL_FILE, a file holding it)",
        )?,
    };
    if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
        return Err(format!(
            "ROADBOOK_DATABASE_URL is {}: give a postgres:// URL",
            redact_url(&database_url)
        ));
    }
    let listen = get("ROADBOOK_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into());
    let listen: SocketAddr = listen.parse().map_err(|_| {
        format!("ROADBOOK_LISTEN is '{listen}': give host:port, for example 0.0.0.0:8080")
    })?;
    let issuer = required(
        "ROADBOOK_ISSUER",
        "give the token issuer's URL, for example https://example.okta.com/oauth2/default",
    )?;
    let Some(parsed) = reqwest::Url::parse(&issuer)
        .ok()
        .filter(|url| url.host_str().is_some_and(|host| !host.is_empty()))
    else {
        return Err(format!(
            "ROADBOOK_ISSUER is '{issuer}': it names no host; give the issuer's URL, for example https://example.okta.com/oauth2/default"
        ));
    };
    // Read from the parsed URL, not its text's start: http://127.0.0.1.example.com is not
    // this machine.
    let loopback = roadbook_protocol::is_loopback_host(parsed.host_str().unwrap_or_default());
    if !(parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback)) {
        return Err(format!(
            "ROADBOOK_ISSUER is '{issuer}': give an https:// URL (http only for an issuer on this machine)"
        ));
    }
    let audience = required(
        "ROADBOOK_AUDIENCE",
        "give the audience your access tokens carry for this API, for example api://roadbook",
    )?;
    let roles_file = get("ROADBOOK_ROLES_FILE").map(std::path::PathBuf::from);
    let roles = match (&roles_file, get("ROADBOOK_ROLES")) {
        (Some(_), Some(_)) => {
            return Err(
                "both ROADBOOK_ROLES and ROADBOOK_ROLES_FILE are set: keep the mapping in one place"
                    .into(),
            );
        }
        (Some(path), None) => read_roles_file(path)?,
        (None, Some(text)) => parse_roles(&text).map_err(|e| format!("ROADBOOK_ROLES: {e}"))?,
        (None, None) => {
            return Err("ROADBOOK_ROLES is not set: map groups to roles, for example rb-leads=lead,rb-editors=editor,rb-viewers=viewer,rb-admins=admin (or name a file of them in ROADBOOK_ROLES_FILE)".into());
        }
    };
    let break_glass: Vec<String> = get("ROADBOOK_BREAK_GLASS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let number = |key: &str, default: u64| -> Result<u64, String> {
        match get(key) {
            None => Ok(default),
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{key} is '{text}': give a whole number above 0")),
        }
    };
    let sign_in = match get("ROADBOOK_CLIENT_ID") {
        None => None,
        Some(client_id) => {
            let scopes: Vec<String> = get("ROADBOOK_SCOPES")
                .unwrap_or_else(|| "openid profile email offline_access".into())
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let ports = get("ROADBOOK_REDIRECT_PORTS").unwrap_or_else(|| "0".into());
            let redirect_ports = ports
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(|p| p.parse::<u16>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| {
                    format!(
                        "ROADBOOK_REDIRECT_PORTS is '{ports}': give the desktop app's registered loopback ports, for example 8400,8401 (0 for any)"
                    )
                })?;
            Some(roadbook_protocol::SignInSettings {
                issuer: issuer.trim_end_matches('/').to_owned(),
                client_id,
                audience: Some(audience.clone()),
                scopes,
                redirect_ports,
                groups_claim: get("ROADBOOK_GROUPS_CLAIM").unwrap_or_else(|| "groups".into()),
            })
        }
    };
    let file_or = |key: &str| -> Result<Option<String>, String> {
        match get(&format!("{key}_FILE")) {
            Some(path) => std::fs::read_to_string(&path)
                .map(|t| Some(t.trim().to_owned()))
                .map_err(|e| format!("cannot read {key}_FILE {path} ({e})")),
            None => Ok(get(key)),
        }
    };
    let seconds = |key: &str, default: u64| -> Result<std::time::Duration, String> {
        number(key, default).map(std::time::Duration::from_secs)
    };
    let limits = Limits {
        email_verified_claim: match get("ROADBOOK_EMAIL_VERIFIED_CLAIM").as_deref() {
            None => Some("email_verified".into()),
            Some("none") => None,
            Some(claim) => Some(claim.to_owned()),
        },
        max_token_lifetime: seconds("ROADBOOK_MAX_TOKEN_SECONDS", 86_400)?,
        break_glass_ttl: seconds("ROADBOOK_BREAK_GLASS_SECONDS", 3_600)?,
        break_glass_per_day: u32::try_from(number("ROADBOOK_BREAK_GLASS_PER_DAY", 5)?)
            .unwrap_or(u32::MAX),
        idle_timeout: seconds("ROADBOOK_IDLE_SECONDS", 75)?,
        most_connections: usize::try_from(number("ROADBOOK_MOST_CONNECTIONS", 2_048)?)
            .unwrap_or(usize::MAX)
            .max(1),
    };
    let migrations = match get("ROADBOOK_MIGRATIONS").as_deref() {
        None | Some("at-start") => crate::storage::postgres::Migrations::AtStart,
        Some("separately") => crate::storage::postgres::Migrations::Separately,
        Some(other) => {
            return Err(format!(
                "ROADBOOK_MIGRATIONS is '{other}': at-start (a process migrates when it starts) or separately (roadbook-server migrate does, as the owning role)"
            ));
        }
    };
    Ok(Config {
        migrations,
        migrate_database_url: file_or("ROADBOOK_MIGRATE_DATABASE_URL")?,
        serving_role: get("ROADBOOK_SERVING_ROLE"),
        limits,
        sign_in,
        roles_file,
        break_glass,
        database_url,
        listen,
        issuer: issuer.trim_end_matches('/').to_owned(),
        audience,
        groups_claim: get("ROADBOOK_GROUPS_CLAIM").unwrap_or_else(|| "groups".into()),
        roles,
        token_type: get("ROADBOOK_TOKEN_TYPE"),
        name_claim: get("ROADBOOK_NAME_CLAIM").unwrap_or_else(|| "name".into()),
        body_limit: usize::try_from(number("ROADBOOK_BODY_LIMIT", 32 << 20)?).unwrap_or(usize::MAX),
        db_connections: u32::try_from(number("ROADBOOK_DB_CONNECTIONS", 16)?).unwrap_or(u32::MAX),
        drain: match get("ROADBOOK_DRAIN_SECONDS") {
            None => std::time::Duration::ZERO,
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= 300)
                .map(std::time::Duration::from_secs)
                .ok_or_else(|| {
                    format!("ROADBOOK_DRAIN_SECONDS is '{text}': give whole seconds, 0 to 300")
                })?,
        },
    })
}

/// Every key the configuration reads.
pub const KEYS: &[&str] = &[
    "ROADBOOK_DATABASE_URL",
    "ROADBOOK_DATABASE_URL_FILE",
    "ROADBOOK_LISTEN",
    "ROADBOOK_ISSUER",
    "ROADBOOK_AUDIENCE",
    "ROADBOOK_GROUPS_CLAIM",
    "ROADBOOK_ROLES",
    "ROADBOOK_ROLES_FILE",
    "ROADBOOK_BREAK_GLASS",
    "ROADBOOK_TOKEN_TYPE",
    "ROADBOOK_NAME_CLAIM",
    "ROADBOOK_BODY_LIMIT",
    "ROADBOOK_DB_CONNECTIONS",
    "ROADBOOK_CLIENT_ID",
    "ROADBOOK_SCOPES",
    "ROADBOOK_REDIRECT_PORTS",
    "ROADBOOK_DRAIN_SECONDS",
    "ROADBOOK_MIGRATIONS",
    "ROADBOOK_MIGRATE_DATABASE_URL",
    "ROADBOOK_MIGRATE_DATABASE_URL_FILE",
    "ROADBOOK_SERVING_ROLE",
    "ROADBOOK_EMAIL_VERIFIED_CLAIM",
    "ROADBOOK_MAX_TOKEN_SECONDS",
    "ROADBOOK_BREAK_GLASS_SECONDS",
    "ROADBOOK_BREAK_GLASS_PER_DAY",
    "ROADBOOK_HEADER_SECONDS",
    "ROADBOOK_IDLE_SECONDS",
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn roles_parse_and_bad_pairs_say_why() {
        let roles = parse_roles("rb-leads=lead, rb-viewers=viewer").unwrap();
        assert_eq!(roles["rb-leads"], Role::Lead);
        assert_eq!(roles["rb-viewers"], Role::Viewer);
        assert!(
            parse_roles("rb-leads")
                .unwrap_err()
                .contains("is not group=role")
        );
        assert!(
            parse_roles("rb-leads=owner")
                .unwrap_err()
                .contains("is not a role")
        );
        assert!(parse_roles("").unwrap_err().contains("maps no group"));
    }

    #[test]
    fn a_database_password_never_shows() {
        assert_eq!(
            redact_url("postgres://roadbook:s3cret@db:5432/roadbook"),
            "postgres://roadbook:***@db:5432/roadbook"
        );
        assert_eq!(
            redact_url("postgres://db/roadbook"),
            "postgres://db/roadbook"
        );
        // A password in the query or in key=value settings is hidden too, and an '@' in the
        // query does not move where the user's part ends.
        let shown = redact_url(
            "postgres://app@db/roadbook?password=s3cret&sslrootcert=/etc/a@b.pem&pass%77ord=s3cret",
        );
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("sslrootcert=/etc/a@b.pem"), "{shown}");
        let shown = redact_url("host=db user=app password='s3 cret' dbname=roadbook");
        assert_eq!(shown, "host=db user=app password=*** dbname=roadbook");
    }
}
