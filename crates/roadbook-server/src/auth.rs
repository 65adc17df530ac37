//! Access tokens, checked by the server itself on every request: a JWT signed by a key of the
//! configured issuer (found through its discovery document and JWKS, cached, fetched again for
//! an unknown key at most once every 10 seconds; a server that starts while the issuer cannot
//! be reached serves anyway and fetches them at the first token), with an asymmetric algorithm from the
//! allow-list, the issuer and audience configured, an expiry (required) and a not-before
//! (checked), and `typ` `at+jwt` when configured. Headers that point at keys elsewhere (`jku`,
//! `x5u`, an embedded `jwk`) are refused outright. Roles come from the groups claim through the
//! configured mapping.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use roadbook_protocol::Role;
use serde_json::{Map, Value};
use tokio::sync::{Mutex, RwLock};

use crate::config::{Config, RoleMap};
use crate::engine::Caller;
use crate::storage::Author;

/// The asymmetric algorithms a token may be signed with. Never HMAC: a shared secret cannot be
/// told apart from a forged signature made with the public key.
pub const ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// How often an unknown key id may make the server fetch the keys again.
const REFETCH_EVERY: Duration = Duration::from_secs(10);
/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 30;
/// Tokens kept as checked (a few per person using the server).
const CHECKED_TOKENS: usize = 10_000;

/// Why a token was refused. The reason is for logs and metrics; the caller gets 401 only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("no bearer token")]
    Missing,
    #[error("not a JWT: {0}")]
    Malformed(String),
    #[error("algorithm {0} is not allowed")]
    Algorithm(String),
    #[error("the token names a key outside the issuer's ({0})")]
    ForeignKey(&'static str),
    #[error("token type {0:?} is not {1}")]
    Type(Option<String>, String),
    #[error("no key {0:?} at the issuer")]
    UnknownKey(Option<String>),
    #[error("bad signature")]
    Signature,
    #[error("expired")]
    Expired,
    #[error("not valid yet")]
    NotYetValid,
    #[error("wrong issuer")]
    Issuer,
    #[error("wrong audience")]
    Audience,
    #[error("missing claim {0}")]
    MissingClaim(String),
    #[error("the issuer's keys could not be loaded: {0}")]
    Keys(String),
    /// The issuer could not be reached for its keys: the token may be sound, so the caller is
    /// told to try again, not to sign in again.
    #[error("the issuer's keys cannot be fetched now: {0}")]
    KeysUnavailable(String),
    #[error("valid for {0} s more, longer than this server accepts")]
    Lifetime(u64),
}

impl Refused {
    /// A short word for the reason, for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Refused::Missing => "missing",
            Refused::Malformed(_) => "malformed",
            Refused::Algorithm(_) => "algorithm",
            Refused::ForeignKey(_) => "foreign_key",
            Refused::Type(..) => "type",
            Refused::UnknownKey(_) => "unknown_key",
            Refused::Signature => "signature",
            Refused::Expired => "expired",
            Refused::NotYetValid => "not_yet_valid",
            Refused::Issuer => "issuer",
            Refused::Audience => "audience",
            Refused::MissingClaim(_) => "missing_claim",
            Refused::Keys(_) => "keys",
            Refused::KeysUnavailable(_) => "keys_unavailable",
            Refused::Lifetime(_) => "lifetime",
        }
    }
}

/// Why the issuer's keys could not be loaded.
#[derive(Debug, thiserror::Error)]
enum KeysError {
    /// It did not answer (down, unreachable, an error status): tried again later.
    #[error("{0}")]
    Unreachable(String),
    /// It answered, but not as the settings say it should: a setting to fix.
    #[error("{0}")]
    Wrong(String),
}

#[derive(Debug)]
struct Keys {
    set: JwkSet,
    fetched: Option<Instant>,
}

pub struct Verifier {
    issuer: String,
    audience: String,
    groups_claim: String,
    name_claim: String,
    token_type: Option<String>,
    /// The claim that says the issuer checked the email (none: every email it puts in a token
    /// is checked).
    email_verified_claim: Option<String>,
    /// The longest a token may still run when it is shown.
    max_lifetime: Duration,
    /// Replaced whole when the roles file changes (see `config::watch_roles`).
    roles: std::sync::Arc<std::sync::RwLock<RoleMap>>,
    /// The discovery document's address, and the key set's once the document was read.
    discovery_url: String,
    jwks_uri: tokio::sync::OnceCell<String>,
    http: reqwest::Client,
    keys: RwLock<Keys>,
    /// Tokens checked already: SHA-256 of the token to the caller and the token's expiry.
    checked: Mutex<std::collections::HashMap<[u8; 32], (Caller, u64)>>,
    /// Serializes refetches for unknown key ids, and remembers when the last one was tried
    /// (the load at start does not count: a rotation right after it is still picked up).
    last_fetch: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("jwks_uri", &self.jwks_uri.get())
            .finish_non_exhaustive()
    }
}

fn http() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())
}

impl Verifier {
    /// Reads the issuer's discovery document and loads its keys. An issuer that cannot be
    /// reached now (an identity-provider outage) does not stop the server: the keys are
    /// fetched at the first token instead, and tokens are answered "try again" until then.
    /// An issuer that answers wrongly (another issuer's document, no key set) is a setting to
    /// fix, and stops the start.
    pub async fn discover(config: &Config) -> Result<Verifier, String> {
        let verifier = Verifier {
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            groups_claim: config.groups_claim.clone(),
            name_claim: config.name_claim.clone(),
            token_type: config.token_type.clone(),
            email_verified_claim: config.limits.email_verified_claim.clone(),
            max_lifetime: config.limits.max_token_lifetime,
            roles: std::sync::Arc::new(std::sync::RwLock::new(config.roles.clone())),
            discovery_url: format!("{}/.well-known/openid-configuration", config.issuer),
            jwks_uri: tokio::sync::OnceCell::new(),
            http: http()?,
            keys: RwLock::new(Keys {
                set: JwkSet { keys: Vec::new() },
                fetched: None,
            }),
            last_fetch: Mutex::new(None),
            checked: Mutex::new(std::collections::HashMap::new()),
        };
        match verifier.refresh().await {
            Ok(()) => {}
            Err(KeysError::Unreachable(err)) => tracing::warn!(
                error = %err,
                "the token issuer cannot be reached: serving anyway, its keys are fetched at the first token"
            ),
            Err(KeysError::Wrong(err)) => return Err(err),
        }
        Ok(verifier)
    }

    /// The key set's address, from the discovery document (read once).
    async fn jwks_uri(&self) -> Result<&str, KeysError> {
        self.jwks_uri
            .get_or_try_init(|| async {
                let url = &self.discovery_url;
                let document: Value = async {
                    self.http
                        .get(url)
                        .send()
                        .await?
                        .error_for_status()?
                        .json::<Value>()
                        .await
                }
                .await
                .map_err(|e| KeysError::Unreachable(format!("cannot read {url}: {e}")))?;
                let issuer = document
                    .get("issuer")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if issuer.trim_end_matches('/') != self.issuer {
                    return Err(KeysError::Wrong(format!(
                        "{url} names the issuer '{issuer}', not '{}': set ROADBOOK_ISSUER to the issuer exactly",
                        self.issuer
                    )));
                }
                document
                    .get("jwks_uri")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| KeysError::Wrong(format!("{url} names no jwks_uri")))
            })
            .await
            .map(String::as_str)
    }

    async fn refresh(&self) -> Result<(), KeysError> {
        let jwks_uri = self.jwks_uri().await?;
        let set: JwkSet = async {
            self.http
                .get(jwks_uri)
                .send()
                .await?
                .error_for_status()?
                .json::<JwkSet>()
                .await
        }
        .await
        .map_err(|e| KeysError::Unreachable(format!("cannot read the keys at {jwks_uri}: {e}")))?;
        let mut keys = self.keys.write().await;
        keys.set = set;
        keys.fetched = Some(Instant::now());
        Ok(())
    }

    /// The group-to-role mapping, to replace when its file changes.
    pub fn roles(&self) -> std::sync::Arc<std::sync::RwLock<RoleMap>> {
        self.roles.clone()
    }

    /// The role `groups` give, under the mapping as it is now.
    fn role_of(&self, groups: &[String]) -> Option<Role> {
        let roles = self.roles.read().unwrap_or_else(|e| e.into_inner());
        groups.iter().filter_map(|g| roles.get(g)).copied().max()
    }

    /// Whether keys are loaded (said by `/readyz`, which does not wait for them: every
    /// process would wait alike during an identity-provider outage).
    pub async fn keys_loaded(&self) -> bool {
        let keys = self.keys.read().await;
        keys.fetched.is_some() && !keys.set.keys.is_empty()
    }

    /// The key for `kid`, fetching the keys again if it is unknown and the last fetch was more
    /// than 10 seconds ago (a key rotation), never more often.
    async fn key(&self, kid: &str) -> Result<jsonwebtoken::jwk::Jwk, Refused> {
        if let Some(jwk) = self.keys.read().await.set.find(kid) {
            return Ok(jwk.clone());
        }
        let mut last = self.last_fetch.lock().await;
        let due = last.is_none_or(|at| at.elapsed() >= REFETCH_EVERY);
        let mut failed = None;
        if due {
            *last = Some(Instant::now());
            drop(last);
            if let Err(err) = self.refresh().await {
                tracing::warn!(error = %err, "fetching the issuer's keys again failed");
                failed = Some(err);
            }
        }
        let keys = self.keys.read().await;
        if let Some(jwk) = keys.set.find(kid) {
            return Ok(jwk.clone());
        }
        // No keys at all yet (the issuer was down at start and still is, or was a moment ago):
        // the token may be sound, so the caller hears "try again", not "sign in again".
        if keys.fetched.is_none() {
            return Err(Refused::KeysUnavailable(failed.map_or_else(
                || "the issuer has not answered since this process started; tried again within 10 s".to_owned(),
                |e| e.to_string(),
            )));
        }
        Err(Refused::UnknownKey(Some(kid.to_owned())))
    }

    /// Checks a bearer token and says who it is. A token checked before is answered from a
    /// cache (keyed by its SHA-256, so only the very same token, signature included, finds it)
    /// until it expires: a client sends the same token with every request, and checking an
    /// RSA signature each time is the largest cost of a small request.
    pub async fn verify(&self, token: &str) -> Result<Caller, Refused> {
        use sha2::Digest;
        let key: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        // The role is worked out on every request, not cached with the token: a changed
        // mapping applies at once.
        if let Some((caller, expires)) = self.checked.lock().await.get(&key)
            && *expires > now + LEEWAY_SECONDS
        {
            let role = self.role_of(&caller.groups);
            return Ok(Caller {
                role,
                ..caller.clone()
            });
        }
        let (caller, expires) = self.check(token).await?;
        let mut checked = self.checked.lock().await;
        if checked.len() >= CHECKED_TOKENS {
            checked.retain(|_, (_, e)| *e > now);
            if checked.len() >= CHECKED_TOKENS {
                checked.clear();
            }
        }
        checked.insert(key, (caller.clone(), expires));
        Ok(caller)
    }

    /// The checks themselves, and when the token expires.
    async fn check(&self, token: &str) -> Result<(Caller, u64), Refused> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| Refused::Malformed(e.to_string()))?;
        if header.jku.is_some() {
            return Err(Refused::ForeignKey("jku"));
        }
        if header.x5u.is_some() {
            return Err(Refused::ForeignKey("x5u"));
        }
        if header.jwk.is_some() {
            return Err(Refused::ForeignKey("jwk"));
        }
        if header.x5c.is_some() {
            return Err(Refused::ForeignKey("x5c"));
        }
        if !ALGORITHMS.contains(&header.alg) {
            return Err(Refused::Algorithm(format!("{:?}", header.alg)));
        }
        if let Some(wanted) = &self.token_type {
            let typ = header.typ.as_deref().map(|t| t.to_ascii_lowercase());
            let ok = typ.as_deref() == Some(wanted.as_str())
                || typ.as_deref() == Some(&format!("application/{wanted}"));
            if !ok {
                return Err(Refused::Type(header.typ.clone(), wanted.clone()));
            }
        }
        let kid = header.kid.clone().ok_or(Refused::UnknownKey(None))?;
        let jwk = self.key(&kid).await?;
        if let Some(alg) = jwk.common.key_algorithm
            && format!("{alg:?}") != format!("{:?}", header.alg)
        {
            return Err(Refused::Algorithm(format!(
                "{:?} with a {alg:?} key",
                header.alg
            )));
        }
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| Refused::Keys(e.to_string()))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::InvalidSignature => Refused::Signature,
                    ErrorKind::ExpiredSignature => Refused::Expired,
                    ErrorKind::ImmatureSignature => Refused::NotYetValid,
                    ErrorKind::InvalidIssuer => Refused::Issuer,
                    ErrorKind::InvalidAudience => Refused::Audience,
                    ErrorKind::MissingRequiredClaim(claim) => Refused::MissingClaim(claim.clone()),
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                        Refused::Algorithm(format!("{:?}", header.alg))
                    }
                    other => Refused::Malformed(format!("{other:?}")),
                }
            })?;
        let claims = data.claims;
        // A string-typed exp or nbf was once read as absent (CVE-2026-25537): both must be
        // numbers here, whatever the library does.
        for claim in ["exp", "nbf"] {
            if let Some(value) = claims.get(claim)
                && !value.is_number()
            {
                return Err(Refused::Malformed(format!("{claim} is not a number")));
            }
        }
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Refused::MissingClaim("sub".into()))?
            .to_owned();
        let name = [self.name_claim.as_str(), "preferred_username", "email"]
            .iter()
            .find_map(|c| claims.get(*c).and_then(Value::as_str))
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(&subject)
            .to_owned();
        let groups = roadbook_protocol::groups_in(claims.get(&self.groups_claim));
        let role = self.role_of(&groups);
        let expires = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let left = expires.saturating_sub(now);
        if left > self.max_lifetime.as_secs() + LEEWAY_SECONDS {
            return Err(Refused::Lifetime(left));
        }
        // An email counts only when the issuer vouched for it.
        let vouched = match &self.email_verified_claim {
            None => true,
            Some(claim) => match claims.get(claim) {
                Some(Value::Bool(yes)) => *yes,
                Some(Value::String(text)) => text == "true",
                _ => false,
            },
        };
        let email = claims
            .get("email")
            .and_then(Value::as_str)
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty() && vouched);
        Ok((
            Caller {
                author: Author { subject, name },
                email,
                groups,
                role,
                break_glass: None,
            },
            expires,
        ))
    }
}
