//! The sign-in itself (the code exchanged for tokens, the ID token verified), then refresh and
//! revocation.

use super::*;

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

pub(super) fn verify(
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
    let claims: &IdTokenClaims<OtherClaims, CoreGenderClaim> = id_token
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
    let groups = roadbook_protocol::groups_in(extra.get(&settings.groups_claim));
    Ok(Identity {
        subject,
        name,
        name_is_login,
        email: claims.email().map(|e| e.as_str().to_owned()),
        groups,
    })
}

pub(super) fn tokens(response: &Response) -> Tokens {
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
