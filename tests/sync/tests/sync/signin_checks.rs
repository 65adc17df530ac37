//! What Roadbook checks in a sign-in's answer and ID token, each against a provider that gets
//! exactly that one thing wrong: a clear message, and nothing kept (no profile, nothing in the
//! vault). The browser is `curl` following the provider's redirect to the loopback listener.

use std::sync::Arc;
use std::time::Duration;

use roadbook_harness::flawed::{CLIENT_ID, Flaw, FlawedProvider};
use roadbook_sync::account::{MemoryVault, PROFILE_FILE};
use roadbook_sync::{Account, PartialSettings, SignInError};

fn settings(provider: &FlawedProvider) -> roadbook_sync::Settings {
    PartialSettings {
        issuer: Some(provider.url.clone()),
        client_id: Some(CLIENT_ID.into()),
        ..PartialSettings::default()
    }
    .resolve_with(|_| None)
    .unwrap()
}

/// Follows `url` as a browser would, in the background.
fn curl(url: &str) -> Result<(), SignInError> {
    std::process::Command::new("curl")
        .args(["-s", "-L", "-o", "/dev/null", url])
        .spawn()
        .map(|_| ())
        .map_err(|e| SignInError::Browser(e.to_string()))
}

/// Signs in against `provider` with `browser`; returns the outcome and whether anything was
/// kept.
fn attempt(
    provider: &FlawedProvider,
    browser: impl FnOnce(&str) -> Result<(), SignInError>,
) -> (Result<String, SignInError>, bool) {
    let dir = tempfile::tempdir().unwrap();
    let vault = Arc::new(MemoryVault::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = runtime.block_on(Account::sign_in(
        dir.path(),
        &settings(provider),
        None,
        vault.clone(),
        browser,
        Duration::from_secs(5),
    ));
    let kept = dir.path().join(PROFILE_FILE).exists() || !vault.entries.lock().unwrap().is_empty();
    (outcome.map(|(_, s)| s.identity.name), kept)
}

fn refused(flaw: Flaw, expected: &str) {
    let provider = FlawedProvider::start();
    provider.set(flaw);
    let (outcome, kept) = attempt(&provider, curl);
    let err = outcome.expect_err(&format!("{flaw:?} must be refused"));
    assert!(
        err.to_string().to_lowercase().contains(expected),
        "{flaw:?}: {err}"
    );
    assert!(!kept, "{flaw:?}: something was kept");
}

#[test]
fn a_sound_sign_in_is_kept() {
    let provider = FlawedProvider::start();
    let (outcome, kept) = attempt(&provider, curl);
    assert_eq!(outcome.unwrap(), "Priya Raman");
    assert!(kept);
}

#[test]
fn an_id_token_from_another_issuer_is_refused() {
    refused(Flaw::Issuer, "issuer");
}

#[test]
fn an_id_token_for_another_app_is_refused() {
    refused(Flaw::Audience, "audience");
}

#[test]
fn an_id_token_with_a_bad_signature_is_refused() {
    refused(Flaw::Signature, "signature");
}

#[test]
fn an_id_token_of_another_sign_in_is_refused() {
    refused(Flaw::Nonce, "nonce");
}

#[test]
fn an_id_token_without_a_subject_is_refused() {
    refused(Flaw::NoSubject, "sub");
}

#[test]
fn an_expired_id_token_is_refused() {
    refused(Flaw::Expired, "expired");
}

#[test]
fn an_unsigned_id_token_is_refused() {
    refused(Flaw::Unsigned, "id token was refused");
}

#[test]
fn a_key_rotated_during_the_sign_in_is_accepted_after_fetching_the_keys_again() {
    let provider = FlawedProvider::start();
    provider.set(Flaw::Rotated);
    let (outcome, kept) = attempt(&provider, curl);
    assert_eq!(outcome.unwrap(), "Priya Raman");
    assert!(kept);
}

#[test]
fn an_answer_to_another_sign_in_is_refused() {
    refused(Flaw::State, "another sign-in");
}

#[test]
fn an_answer_to_another_sign_in_is_ignored_and_the_real_one_still_signs_in() {
    let provider = FlawedProvider::start();
    // Something on this machine reaches the loopback listener first with a made-up answer;
    // the person's browser brings the real one after it. Both run beside the sign-in, which
    // only starts answering once the browser has been opened.
    let (forged_status, status) = std::sync::mpsc::channel();
    let (outcome, kept) = attempt(&provider, move |url| {
        let url = url.to_owned();
        std::thread::spawn(move || {
            let parsed: reqwest::Url = url.parse().unwrap();
            let redirect = parsed
                .query_pairs()
                .find(|(k, _)| k == "redirect_uri")
                .map(|(_, v)| v.into_owned())
                .unwrap();
            let forged = std::process::Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
                .arg(format!("{redirect}?code=forged&state=not-yours"))
                .output()
                .unwrap();
            forged_status
                .send(String::from_utf8_lossy(&forged.stdout).into_owned())
                .unwrap();
            curl(&url).unwrap();
        });
        Ok(())
    });
    assert_eq!(
        status.recv().unwrap(),
        "400",
        "the made-up answer is turned away"
    );
    assert_eq!(outcome.unwrap(), "Priya Raman");
    assert!(kept);
}

#[test]
fn an_answer_naming_another_issuer_is_refused() {
    refused(Flaw::AnswerIssuer, "names the issuer");
}

#[test]
fn a_refusal_at_the_provider_says_so() {
    refused(Flaw::Denied, "access_denied");
}

#[test]
fn a_replayed_answer_is_refused() {
    let provider = FlawedProvider::start();
    let (first, _) = attempt(&provider, curl);
    first.unwrap();
    let old = provider.last_answer().unwrap();
    // The second sign-in's browser brings back the first one's answer.
    let (outcome, kept) = attempt(&provider, |url| {
        let url: reqwest::Url = url.parse().unwrap();
        let redirect = url
            .query_pairs()
            .find(|(k, _)| k == "redirect_uri")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        curl(&format!("{redirect}?{old}"))
    });
    let err = outcome.unwrap_err();
    assert!(err.to_string().contains("another sign-in"), "{err}");
    assert!(!kept);
}

#[test]
fn a_closed_browser_times_out() {
    let provider = FlawedProvider::start();
    let (outcome, kept) = attempt(&provider, |_| Ok(()));
    let err = outcome.unwrap_err();
    assert!(err.to_string().contains("did not come back"), "{err}");
    assert!(!kept);
}

/// Hands out a stale token, and a fresh one when asked to renew; counts the renewals.
#[derive(Debug, Default)]
struct Counting {
    renewals: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl roadbook_sync::Credentials for Counting {
    async fn token(&self) -> Result<roadbook_sync::Token, roadbook_sync::TransportError> {
        Ok(roadbook_sync::Token::new("stale"))
    }

    async fn renew(
        &self,
        _stale: &roadbook_sync::Token,
    ) -> Result<Option<roadbook_sync::Token>, roadbook_sync::TransportError> {
        self.renewals
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(Some(roadbook_sync::Token::new("fresh")))
    }
}

/// A server whose `/v1/me` takes only the bearer token `accepted` (none: every token is
/// refused); it stops when the sender returned with its address goes.
fn server_taking(accepted: Option<&'static str>) -> (String, std::sync::mpsc::Sender<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        roadbook_protocol::routes::ME,
        axum::routing::get(move |headers: axum::http::HeaderMap| async move {
            let bearer = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            if accepted.is_some_and(|t| bearer == format!("Bearer {t}")) {
                (
                    axum::http::StatusCode::OK,
                    axum::Json(serde_json::json!({
                        "subject": "priya", "name": "Priya Raman", "groups": [], "role": null
                    })),
                )
            } else {
                (
                    axum::http::StatusCode::UNAUTHORIZED,
                    axum::Json(serde_json::json!({
                        "code": "unauthorized", "message": "the token is not valid"
                    })),
                )
            }
        }),
    );
    (url, roadbook_harness::serve(listener, app))
}

#[test]
fn a_token_refused_mid_sync_is_renewed_once_and_never_loops() {
    use roadbook_sync::Transport;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The access token expired between the client's check and the server's: one renewal,
    // and the request goes through.
    let credentials = Arc::new(Counting::default());
    let (url, _serving) = server_taking(Some("fresh"));
    let transport =
        roadbook_sync::HttpTransport::with_credentials(&url, credentials.clone()).unwrap();
    let me = runtime.block_on(transport.me()).unwrap();
    assert_eq!(me.name, "Priya Raman");
    assert_eq!(
        credentials
            .renewals
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    // A server that refuses the renewed token too: the refusal is the answer, after exactly
    // one renewal.
    let credentials = Arc::new(Counting::default());
    let (url, _serving) = server_taking(None);
    let transport =
        roadbook_sync::HttpTransport::with_credentials(&url, credentials.clone()).unwrap();
    let err = runtime.block_on(transport.me()).unwrap_err();
    assert_eq!(err.code(), Some("unauthorized"));
    assert_eq!(
        credentials
            .renewals
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[test]
fn signing_in_with_another_provider_replaces_the_old_sign_in_and_its_secret() {
    let (first, second) = (FlawedProvider::start(), FlawedProvider::start());
    let dir = tempfile::tempdir().unwrap();
    let vault = Arc::new(MemoryVault::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for provider in [&first, &second] {
        runtime
            .block_on(Account::sign_in(
                dir.path(),
                &settings(provider),
                None,
                vault.clone(),
                curl,
                Duration::from_secs(5),
            ))
            .unwrap();
    }
    let entries = vault.entries.lock().unwrap().clone();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries.keys().next().unwrap().contains(&second.url));
    let kept = roadbook_sync::account::read_profile(dir.path())
        .unwrap()
        .unwrap();
    assert_eq!(kept.settings.issuer, second.url);
}
