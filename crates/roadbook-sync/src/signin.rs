//! Signing in to the organisation's identity provider (Okta in production): OpenID Connect
//! discovery, the authorization code flow with PKCE (S256), `state` and `nonce`, in the system
//! browser (never a webview, which would let the app see the password), with the answer coming
//! back to a listener on the literal `127.0.0.1`. The ID token is verified (issuer, audience,
//! signature, nonce, expiry) before anything is kept. Refresh and revocation are here too;
//! keeping the tokens is `account`'s.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreClaimName, CoreClaimType, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, AuthenticationFlow, AuthorizationCode, Client,
    ClientId, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenClaims, IdTokenFields, IssuerUrl, JsonWebKeySet, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, ProviderMetadata, RedirectUrl, RefreshToken, Scope, StandardErrorResponse,
    StandardTokenResponse, TokenResponse as _,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::transport::Token;

/// The environment variables that override the configured sign-in settings.
pub const ISSUER_ENV: &str = "ROADBOOK_OIDC_ISSUER";
pub const CLIENT_ID_ENV: &str = "ROADBOOK_OIDC_CLIENT_ID";
pub const AUDIENCE_ENV: &str = "ROADBOOK_OIDC_AUDIENCE";
pub const SCOPES_ENV: &str = "ROADBOOK_OIDC_SCOPES";
pub const REDIRECT_PORTS_ENV: &str = "ROADBOOK_OIDC_REDIRECT_PORTS";
pub const GROUPS_CLAIM_ENV: &str = "ROADBOOK_OIDC_GROUPS_CLAIM";

/// Scopes asked for when none are configured: who the person is, and a refresh token so the
/// sign-in outlives the access token.
pub const DEFAULT_SCOPES: &str = "openid profile email offline_access";
/// How long the browser has to come back.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Where to sign in, as the organisation's identity team set it up. Kept in the config file's
/// `[sign-in]` table (written by the app's settings or by hand) and overridable by environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Settings {
    /// The issuer URL, exactly as the provider names itself (an Okta authorization server).
    pub issuer: String,
    /// The desktop app's client id (a native app with PKCE and no secret).
    pub client_id: String,
    /// The API's audience or resource indicator, sent as `resource` when set. Okta's custom
    /// authorization servers fix the audience themselves and need none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Loopback ports tried in order for the redirect. Okta's org authorization server matches
    /// redirect URIs exactly, port included, so a deployment lists the ports it registered; 0
    /// means any free port, for providers that follow RFC 8252 §7.3.
    #[serde(default = "default_ports")]
    pub redirect_ports: Vec<u16>,
    /// The ID token claim that lists the person's groups.
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
}

fn default_scopes() -> Vec<String> {
    DEFAULT_SCOPES.split(' ').map(str::to_owned).collect()
}

fn default_ports() -> Vec<u16> {
    vec![0]
}

fn default_groups_claim() -> String {
    "groups".to_owned()
}

/// The settings a file gives (every key optional), before the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PartialSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_ports: Option<Vec<u16>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_claim: Option<String>,
}

impl PartialSettings {
    /// The environment over these settings, then checked: the result is ready to sign in with.
    pub fn resolve(&self) -> Result<Settings, SignInError> {
        self.resolve_with(|key| std::env::var(key).ok())
    }

    /// As `resolve`, with the environment given (tests).
    pub fn resolve_with(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, SignInError> {
        let env = |key: &str| {
            env(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let bad = |what: String| SignInError::Settings(what);
        let issuer = env(ISSUER_ENV)
            .or_else(|| self.issuer.clone())
            .ok_or_else(|| {
                bad(format!(
                    "no identity provider is set: give its issuer URL in Settings, in the config file's [sign-in] issuer, or in {ISSUER_ENV} (or sign in with --server URL to use the server's)"
                ))
            })?;
        let issuer = issuer.trim().trim_end_matches('/').to_owned();
        let parsed: reqwest::Url = issuer.parse().map_err(|e| {
            bad(format!(
                "the issuer '{issuer}' is not a URL ({e}): give one such as https://example.okta.com/oauth2/default"
            ))
        })?;
        let local = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if parsed.scheme() != "https" && !(parsed.scheme() == "http" && local) {
            return Err(bad(format!(
                "the issuer '{issuer}' is not https: give an https:// URL (http only for a provider on this machine)"
            )));
        }
        let client_id = env(CLIENT_ID_ENV)
            .or_else(|| self.client_id.clone())
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                bad(format!(
                    "no client id is set: give the Roadbook app's client id from the identity provider in Settings, the config file's [sign-in] client-id, or {CLIENT_ID_ENV}"
                ))
            })?;
        let audience = env(AUDIENCE_ENV)
            .or_else(|| self.audience.clone())
            .filter(|a| !a.trim().is_empty());
        let scopes = match env(SCOPES_ENV) {
            Some(text) => text
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            None => self.scopes.clone().unwrap_or_else(default_scopes),
        };
        if !scopes.iter().any(|s| s == "openid") {
            return Err(bad(format!(
                "the scopes ({}) leave out openid: Roadbook signs in with OpenID Connect, so add openid",
                scopes.join(" ")
            )));
        }
        let redirect_ports = match env(REDIRECT_PORTS_ENV) {
            Some(text) => text
                .split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(|p| {
                    p.parse::<u16>().map_err(|_| {
                        bad(format!(
                            "{REDIRECT_PORTS_ENV} is '{text}': give port numbers separated by commas, for example 8400,8401 (0 for any)"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => self.redirect_ports.clone().unwrap_or_else(default_ports),
        };
        if redirect_ports.is_empty() {
            return Err(bad(
                "no redirect port is set: give the ports registered with the identity provider (0 for any)".into(),
            ));
        }
        let groups_claim = env(GROUPS_CLAIM_ENV)
            .or_else(|| self.groups_claim.clone())
            .unwrap_or_else(default_groups_claim);
        Ok(Settings {
            issuer,
            client_id,
            audience,
            scopes,
            redirect_ports,
            groups_claim,
        })
    }
}

/// Where `server` says its people sign in (`GET /v1/sign-in`), for what the settings file and
/// the environment leave out.
pub async fn settings_from_server(server: &str) -> Result<PartialSettings, SignInError> {
    let base = server.trim().trim_end_matches('/');
    let url = format!("{base}{}", roadbook_protocol::routes::SIGN_IN);
    let failed = |reason: String| SignInError::Provider {
        url: base.to_owned(),
        reason,
    };
    let response = http()?
        .get(&url)
        .send()
        .await
        .map_err(|e| failed(chain(&e.without_url())))?;
    let status = response.status();
    if !status.is_success() {
        let body: Option<roadbook_protocol::ErrorBody> = response.json().await.ok();
        return Err(SignInError::Settings(match body {
            Some(body) => format!("{base} cannot say where to sign in: {}", body.message),
            None => format!(
                "{base} answered {status} to {}: is it a Roadbook server? Set the identity provider in Settings instead",
                roadbook_protocol::routes::SIGN_IN
            ),
        }));
    }
    let published: roadbook_protocol::SignInSettings = response.json().await.map_err(|e| {
        SignInError::Settings(format!(
            "{base}'s sign-in settings cannot be read ({e}): is it a Roadbook server?"
        ))
    })?;
    Ok(PartialSettings {
        issuer: Some(published.issuer),
        client_id: Some(published.client_id),
        audience: published.audience,
        scopes: Some(published.scopes),
        redirect_ports: Some(published.redirect_ports),
        groups_claim: Some(published.groups_claim),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    Settings(String),
    #[error("cannot reach the identity provider at {url}: {reason}")]
    Provider { url: String, reason: String },
    #[error("{0}")]
    Callback(String),
    #[error("the identity provider said no: {0}")]
    Denied(String),
    #[error(
        "the browser did not come back within {0} seconds: sign in again, and finish in the browser"
    )]
    TimedOut(u64),
    #[error("the ID token was refused ({0}): nothing was kept; tell whoever runs sign-in")]
    IdToken(String),
    #[error("{0}")]
    Browser(String),
    #[error("your sign-in has ended ({0}): sign in again")]
    Expired(String),
    #[error("{0}")]
    Keychain(String),
}

/// Who signed in, from the verified ID token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub subject: String,
    pub name: String,
    /// The provider holds no name for the person, so `name` is their login (a username, an
    /// email or the subject): changes may be recorded as it, a document's byline never shows it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub name_is_login: bool,
    pub email: Option<String>,
    pub groups: Vec<String>,
}

/// What a sign-in or a refresh gives. `Debug` shows no token.
#[derive(Clone)]
pub struct Tokens {
    pub access: Token,
    /// When the access token stops working, if the provider said.
    pub expires_at: Option<SystemTime>,
    /// When to refresh: before it stops working, with room for a slow request.
    pub refresh_at: Option<SystemTime>,
    pub refresh: Option<Secret>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access", &self.access)
            .field("expires_at", &self.expires_at)
            .field("refresh", &self.refresh)
            .finish()
    }
}

/// A refresh token. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(secret: impl Into<String>) -> Secret {
        Secret(secret.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The claims beyond the standard ones: the groups claim is named by configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Extra(HashMap<String, Value>);
impl AdditionalClaims for Extra {}

/// Discovery fields openidconnect leaves out: revocation (RFC 7009) and RFC 9207's `iss`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct More {
    #[serde(default)]
    revocation_endpoint: Option<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: Option<bool>,
}
impl AdditionalProviderMetadata for More {}

type Metadata = ProviderMetadata<
    More,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;
type Fields = IdTokenFields<
    Extra,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Response = StandardTokenResponse<Fields, CoreTokenType>;
type Oidc<HasRevocationUrl = EndpointNotSet> = Client<
    Extra,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Response,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    HasRevocationUrl,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The provider, as its discovery document describes it.
struct Provider {
    metadata: Metadata,
    http: reqwest::Client,
}

fn http() -> Result<reqwest::Client, SignInError> {
    reqwest::Client::builder()
        // The token endpoint must not redirect the code elsewhere (openidconnect's advice).
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| SignInError::Settings(format!("cannot start HTTP: {e}")))
}

/// The error and its causes in one line.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        let more = inner.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = inner.source();
    }
    text
}

impl Provider {
    async fn discover(settings: &Settings) -> Result<Provider, SignInError> {
        let http = http()?;
        let issuer = IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| SignInError::Settings(format!("the issuer URL: {e}")))?;
        let metadata =
            Metadata::discover_async(issuer, &http)
                .await
                .map_err(|e| SignInError::Provider {
                    url: settings.issuer.clone(),
                    reason: chain(&e),
                })?;
        Ok(Provider { metadata, http })
    }

    fn client(&self, settings: &Settings) -> Oidc {
        Oidc::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(settings.client_id.clone()),
            None,
        )
    }

    fn issuer(&self) -> &str {
        self.metadata.issuer().as_str()
    }

    /// Whether the provider promises RFC 9207's `iss` on every authorization response.
    fn sends_iss(&self) -> bool {
        self.metadata
            .additional_metadata()
            .authorization_response_iss_parameter_supported
            .unwrap_or(false)
    }

    fn revocation(&self) -> Option<&str> {
        self.metadata
            .additional_metadata()
            .revocation_endpoint
            .as_deref()
    }

    /// The keys again, for an ID token signed with a key newer than discovery's (a rotation).
    async fn refetch_keys(&mut self) -> Result<(), SignInError> {
        let keys = JsonWebKeySet::fetch_async(self.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| SignInError::Provider {
                url: self.metadata.jwks_uri().to_string(),
                reason: chain(&e),
            })?;
        self.metadata = self.metadata.clone().set_jwks(keys);
        Ok(())
    }
}

/// The loopback listener: the first port of the list that is free.
async fn listen(ports: &[u16]) -> Result<tokio::net::TcpListener, SignInError> {
    let mut busy = Vec::new();
    for &port in ports {
        match tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await {
            Ok(listener) => return Ok(listener),
            Err(e) => busy.push(format!("{port} ({e})")),
        }
    }
    Err(SignInError::Callback(format!(
        "no redirect port could be opened on 127.0.0.1: {}; close what uses them, or set other registered ports in {REDIRECT_PORTS_ENV}",
        busy.join(", ")
    )))
}

/// What came back to the redirect URI.
type Answer = HashMap<String, String>;

const PAGE_DONE: &str = "<!doctype html><meta charset=utf-8><title>Roadbook</title><p>You are signed in to Roadbook. You can close this tab.";
const PAGE_FAILED: &str = "<!doctype html><meta charset=utf-8><title>Roadbook</title><p>Roadbook could not sign you in. Go back to Roadbook to see why.";

const PAGE_OTHER: &str = "<!doctype html><meta charset=utf-8><title>Roadbook</title><p>This answer is not for the sign-in Roadbook is waiting for: it was ignored. Finish the sign-in in the window Roadbook opened.";

/// Serves the redirect URI until the answer to this sign-in (its `state`) comes to
/// `/callback`. An answer carrying another state (a stale tab, a forged link another program
/// on this machine sent first) is ignored and the sign-in keeps waiting, so it can neither end
/// nor spoil the person's sign-in. Other paths (a browser's favicon request) get 404.
async fn first_answer(
    listener: tokio::net::TcpListener,
    timeout: Duration,
    state: String,
) -> Result<Answer, SignInError> {
    use axum::extract::{Query, State};
    type Waiting = (
        tokio::sync::mpsc::Sender<Answer>,
        Arc<String>,
        Arc<AtomicUsize>,
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Answer>(1);
    let ignored = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new()
        .route(
            "/callback",
            axum::routing::get(
                |State((tx, state, ignored)): State<Waiting>, Query(answer): Query<Answer>| async move {
                    if answer.get("state").map(String::as_str) != Some(state.as_str()) {
                        ignored.fetch_add(1, Ordering::SeqCst);
                        return (axum::http::StatusCode::BAD_REQUEST, axum::response::Html(PAGE_OTHER));
                    }
                    let ok = answer.contains_key("code");
                    let _ = tx.try_send(answer);
                    (
                        axum::http::StatusCode::OK,
                        axum::response::Html(if ok { PAGE_DONE } else { PAGE_FAILED }),
                    )
                },
            ),
        )
        .with_state((tx, Arc::new(state), ignored.clone()));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let answer = tokio::time::timeout(timeout, rx.recv()).await;
    server.abort();
    match answer {
        Ok(Some(answer)) => Ok(answer),
        Ok(None) | Err(_) if ignored.load(Ordering::SeqCst) > 0 => {
            Err(SignInError::Callback(format!(
                "the browser came back with an answer to another sign-in (the state does not match; it was ignored), and with none to this one within {} s: nothing was kept; sign in again",
                timeout.as_secs()
            )))
        }
        Ok(None) | Err(_) => Err(SignInError::TimedOut(timeout.as_secs())),
    }
}

/// Opens `url` in the person's browser: `$BROWSER` when set (a list separated by colons, `%s`
/// standing for the URL, as other desktop tools read it), else the desktop's opener.
pub fn open_in_browser(url: &str) -> Result<(), SignInError> {
    let mut tried = Vec::new();
    let browsers = std::env::var("BROWSER").unwrap_or_default();
    let mut commands: Vec<Vec<String>> = browsers
        .split(':')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            let mut words: Vec<String> = c.split_whitespace().map(str::to_owned).collect();
            if words.iter().any(|w| w.contains("%s")) {
                for w in &mut words {
                    *w = w.replace("%s", url);
                }
            } else {
                words.push(url.to_owned());
            }
            words
        })
        .collect();
    commands.push(vec!["xdg-open".to_owned(), url.to_owned()]);
    for command in commands {
        let Some((program, args)) = command.split_first() else {
            continue;
        };
        match std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
        {
            Ok(mut child) => {
                // Reaped in the background: a browser may outlive the sign-in.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(e) => tried.push(format!("{program} ({e})")),
        }
    }
    Err(SignInError::Browser(format!(
        "no browser could be opened ({}): set BROWSER, or open the address shown by hand",
        tried.join(", ")
    )))
}

/// Signs in: discovery, the browser, the answer on the loopback listener, the code exchanged
/// for tokens, and the ID token verified. `browser` opens the address (the system browser in
/// Roadbook; tests pass their own). Nothing is kept here: the caller stores what it returns.
pub async fn sign_in(
    settings: &Settings,
    browser: impl FnOnce(&str) -> Result<(), SignInError>,
    timeout: Duration,
) -> Result<(Identity, Tokens), SignInError> {
    let mut provider = Provider::discover(settings).await?;
    let listener = listen(&settings.redirect_ports).await?;
    let port = listener
        .local_addr()
        .map_err(|e| SignInError::Callback(format!("the loopback listener: {e}")))?
        .port();
    let redirect = RedirectUrl::new(format!("http://127.0.0.1:{port}/callback"))
        .map_err(|e| SignInError::Callback(e.to_string()))?;
    let client = provider.client(settings).set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in settings.scopes.iter().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    if let Some(audience) = &settings.audience {
        request = request.add_extra_param("resource", audience.clone());
    }
    let (url, state, nonce) = request.url();
    browser(url.as_str())?;
    let answer = first_answer(listener, timeout, state.secret().clone()).await?;

    // The answer is checked before the code is used: the state first (it ties the answer to
    // this sign-in, so a replayed or forged callback stops here), then RFC 9207's issuer.
    if answer.get("state").map(String::as_str) != Some(state.secret().as_str()) {
        return Err(SignInError::Callback(
            "the browser came back with an answer to another sign-in (the state does not match): nothing was kept; sign in again".into(),
        ));
    }
    match answer.get("iss") {
        Some(iss) if iss.trim_end_matches('/') != provider.issuer().trim_end_matches('/') => {
            return Err(SignInError::Callback(format!(
                "the answer names the issuer '{iss}', not '{}': nothing was kept; sign in again",
                provider.issuer()
            )));
        }
        None if provider.sends_iss() => {
            return Err(SignInError::Callback(
                "the answer does not name its issuer although the provider promises to: nothing was kept; sign in again".into(),
            ));
        }
        _ => {}
    }
    if let Some(error) = answer.get("error") {
        let description = answer
            .get("error_description")
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        return Err(SignInError::Denied(format!(
            "{error}{description}; nothing was kept"
        )));
    }
    let code = answer.get("code").ok_or_else(|| {
        SignInError::Callback("the browser came back without a code: sign in again".into())
    })?;
    let mut exchange = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .map_err(|e| SignInError::Provider {
            url: settings.issuer.clone(),
            reason: e.to_string(),
        })?
        .set_pkce_verifier(verifier);
    if let Some(audience) = &settings.audience {
        exchange = exchange.add_extra_param("resource", audience.clone());
    }
    let response =
        exchange
            .request_async(&provider.http)
            .await
            .map_err(|e| SignInError::Provider {
                url: settings.issuer.clone(),
                reason: chain(&e),
            })?;
    let identity = match verify(&provider, settings, &response, &nonce) {
        Err(SignInError::IdToken(reason)) if reason.contains("key") => {
            // Signed with a key discovery did not list: the provider rotated its keys while
            // the browser was open. Fetch them once more, never more.
            provider.refetch_keys().await?;
            verify(&provider, settings, &response, &nonce)?
        }
        other => other?,
    };
    Ok((identity, tokens(&response)))
}

fn verify(
    provider: &Provider,
    settings: &Settings,
    response: &Response,
    nonce: &Nonce,
) -> Result<Identity, SignInError> {
    let id_token = response.id_token().ok_or_else(|| {
        SignInError::IdToken("the provider sent no ID token; is openid among the scopes?".into())
    })?;
    let client = provider.client(settings);
    let verifier = client.id_token_verifier();
    let claims: &IdTokenClaims<Extra, CoreGenderClaim> = id_token
        .claims(&verifier, nonce)
        .map_err(|e| SignInError::IdToken(chain(&e)))?;
    let subject = claims.subject().as_str().to_owned();
    if subject.trim().is_empty() {
        return Err(SignInError::IdToken("it names no subject".into()));
    }
    let extra = &claims.additional_claims().0;
    let given = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().trim().to_owned())
        .filter(|n| !n.is_empty());
    let name_is_login = given.is_none();
    let name = given
        .or_else(|| claims.preferred_username().map(|u| u.as_str().to_owned()))
        .or_else(|| claims.email().map(|e| e.as_str().to_owned()))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| subject.clone());
    let groups = match extra.get(&settings.groups_claim) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    };
    Ok(Identity {
        subject,
        name,
        name_is_login,
        email: claims.email().map(|e| e.as_str().to_owned()),
        groups,
    })
}

fn tokens(response: &Response) -> Tokens {
    let now = SystemTime::now();
    let lifetime = response.expires_in();
    Tokens {
        access: Token::new(response.access_token().secret().clone()),
        expires_at: lifetime.map(|l| now + l),
        // A minute early, or a quarter of the lifetime early for short-lived tokens.
        refresh_at: lifetime.map(|l| now + l - (l / 4).min(Duration::from_secs(60))),
        refresh: response
            .refresh_token()
            .map(|r| Secret::new(r.secret().clone())),
    }
}

/// A new access token for a refresh token. Refresh tokens rotate: the answer's refresh token
/// replaces the one given, which the provider no longer accepts (when it sends none, the old
/// one stays good).
pub async fn refresh(settings: &Settings, refresh: &Secret) -> Result<Tokens, SignInError> {
    let provider = Provider::discover(settings).await?;
    let client = provider.client(settings);
    let token = RefreshToken::new(refresh.expose().to_owned());
    let mut request = client
        .exchange_refresh_token(&token)
        .map_err(|e| SignInError::Provider {
            url: settings.issuer.clone(),
            reason: e.to_string(),
        })?;
    if let Some(audience) = &settings.audience {
        request = request.add_extra_param("resource", audience.clone());
    }
    let response = request.request_async(&provider.http).await.map_err(|e| {
        use openidconnect::RequestTokenError;
        match e {
            RequestTokenError::ServerResponse(body) => SignInError::Expired(body.to_string()),
            other => SignInError::Provider {
                url: settings.issuer.clone(),
                reason: chain(&other),
            },
        }
    })?;
    let mut tokens = tokens(&response);
    if tokens.refresh.is_none() {
        tokens.refresh = Some(refresh.clone());
    }
    Ok(tokens)
}

/// Revokes a refresh token where the provider offers revocation (RFC 7009). Says whether it
/// did. The request is made here rather than through oauth2's revocation request, which
/// refuses any http:// endpoint, a provider on this machine's loopback included; the issuer's
/// own rule (https, or http on loopback only) applies instead.
pub async fn revoke(settings: &Settings, refresh: &Secret) -> Result<bool, SignInError> {
    let provider = Provider::discover(settings).await?;
    let Some(endpoint) = provider.revocation() else {
        return Ok(false);
    };
    let failed = |reason: String| SignInError::Provider {
        url: endpoint.to_owned(),
        reason,
    };
    let url: reqwest::Url = endpoint
        .parse()
        .map_err(|e: openidconnect::url::ParseError| failed(e.to_string()))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
        return Err(failed("the revocation endpoint is not https".into()));
    }
    let response = provider
        .http
        .post(url)
        .form(&[
            ("token", refresh.expose()),
            ("token_type_hint", "refresh_token"),
            ("client_id", settings.client_id.as_str()),
        ])
        .send()
        .await
        .map_err(|e| failed(chain(&e.without_url())))?;
    if !response.status().is_success() {
        return Err(failed(format!("it answered {}", response.status())));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn partial() -> PartialSettings {
        PartialSettings {
            issuer: Some("https://example.okta.com/oauth2/default/".into()),
            client_id: Some("0oa1".into()),
            ..PartialSettings::default()
        }
    }

    #[test]
    fn the_environment_wins_over_the_file_and_defaults_fill_the_rest() {
        let settings = partial().resolve_with(|_| None).unwrap();
        assert_eq!(settings.issuer, "https://example.okta.com/oauth2/default");
        assert_eq!(settings.scopes.join(" "), DEFAULT_SCOPES);
        assert_eq!(settings.redirect_ports, vec![0]);
        assert_eq!(settings.groups_claim, "groups");
        let env = |key: &str| {
            match key {
                CLIENT_ID_ENV => Some("0oa2"),
                SCOPES_ENV => Some("openid groups"),
                REDIRECT_PORTS_ENV => Some("8400, 8401"),
                GROUPS_CLAIM_ENV => Some("roles"),
                AUDIENCE_ENV => Some("api://roadbook"),
                _ => None,
            }
            .map(str::to_owned)
        };
        let settings = partial().resolve_with(env).unwrap();
        assert_eq!(settings.client_id, "0oa2");
        assert_eq!(settings.scopes, vec!["openid", "groups"]);
        assert_eq!(settings.redirect_ports, vec![8400, 8401]);
        assert_eq!(settings.groups_claim, "roles");
        assert_eq!(settings.audience.as_deref(), Some("api://roadbook"));
    }

    #[test]
    fn bad_settings_say_what_to_set() {
        let none = PartialSettings::default()
            .resolve_with(|_| None)
            .unwrap_err();
        assert!(none.to_string().contains(ISSUER_ENV), "{none}");
        let plain = PartialSettings {
            issuer: Some("http://okta.example.com".into()),
            ..partial()
        }
        .resolve_with(|_| None)
        .unwrap_err();
        assert!(plain.to_string().contains("not https"), "{plain}");
        let ports = partial()
            .resolve_with(|k| (k == REDIRECT_PORTS_ENV).then(|| "8400,http".to_owned()))
            .unwrap_err();
        assert!(ports.to_string().contains("port numbers"), "{ports}");
        let scopes = partial()
            .resolve_with(|k| (k == SCOPES_ENV).then(|| "profile".to_owned()))
            .unwrap_err();
        assert!(scopes.to_string().contains("add openid"), "{scopes}");
    }

    #[test]
    fn no_debug_output_shows_a_token() {
        let tokens = Tokens {
            access: Token::new("eyJaccess"),
            expires_at: None,
            refresh_at: None,
            refresh: Some(Secret::new("refresh-secret")),
        };
        let shown = format!("{tokens:?}");
        assert!(!shown.contains("eyJaccess") && !shown.contains("refresh-secret"));
    }
}
