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

mod browser;
mod flow;
mod provider;

pub use browser::open_in_browser;
use browser::*;
pub use flow::{refresh, revoke, sign_in};
use provider::*;

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
