//! The identity provider as openidconnect sees it: its discovery document with the fields the
//! crate leaves out, the client type, and the HTTP client that talks to it.

use super::*;

/// The claims beyond the standard ones: the groups claim is named by configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct OtherClaims(pub(super) HashMap<String, Value>);
impl AdditionalClaims for OtherClaims {}

/// Discovery fields openidconnect leaves out: revocation (RFC 7009) and RFC 9207's `iss`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct DiscoveryExtensions {
    #[serde(default)]
    revocation_endpoint: Option<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: Option<bool>,
}
impl AdditionalProviderMetadata for DiscoveryExtensions {}

pub(super) type Metadata = ProviderMetadata<
    DiscoveryExtensions,
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
pub(super) type Fields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
pub(super) type Response = StandardTokenResponse<Fields, CoreTokenType>;
pub(super) type Oidc<HasRevocationUrl = EndpointNotSet> = Client<
    OtherClaims,
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
pub(super) struct Provider {
    metadata: Metadata,
    pub(super) http: reqwest::Client,
}

pub(super) fn http() -> Result<reqwest::Client, SignInError> {
    reqwest::Client::builder()
        // The token endpoint must not redirect the code elsewhere (openidconnect's advice).
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| SignInError::Settings(format!("cannot start HTTP: {e}")))
}

/// The error and its causes in one line.
pub(super) fn chain(err: &dyn std::error::Error) -> String {
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
    pub(super) async fn discover(settings: &Settings) -> Result<Provider, SignInError> {
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

    pub(super) fn client(&self, settings: &Settings) -> Oidc {
        Oidc::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(settings.client_id.clone()),
            None,
        )
    }

    pub(super) fn issuer(&self) -> &str {
        self.metadata.issuer().as_str()
    }

    /// Whether the provider promises RFC 9207's `iss` on every authorization response.
    pub(super) fn sends_iss(&self) -> bool {
        self.metadata
            .additional_metadata()
            .authorization_response_iss_parameter_supported
            .unwrap_or(false)
    }

    pub(super) fn revocation(&self) -> Option<&str> {
        self.metadata
            .additional_metadata()
            .revocation_endpoint
            .as_deref()
    }

    /// The keys again, for an ID token signed with a key newer than discovery's (a rotation).
    pub(super) async fn refetch_keys(&mut self) -> Result<(), SignInError> {
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
