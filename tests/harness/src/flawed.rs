//! A provider that gets one thing wrong on purpose, for the tests of what Roadbook checks in a
//! sign-in's answer and ID token. The real provider (oidc-provider) never sends a wrong nonce
//! or an unsigned token, so these cases need a provider of our own; every other sign-in test
//! runs against the real one.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Header};
use serde_json::{Value, json};

use crate::{Key, now};

pub const CLIENT_ID: &str = "roadbook-desktop";

/// What the provider gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    None,
    /// The ID token names another issuer.
    Issuer,
    /// The ID token is for another client.
    Audience,
    /// Signed by a key that is not the one its `kid` names.
    Signature,
    /// Another sign-in's nonce.
    Nonce,
    /// No `sub` claim.
    NoSubject,
    /// Expired an hour ago.
    Expired,
    /// `alg: none`, no signature.
    Unsigned,
    /// Signed with a key added after discovery (a rotation): fine once the keys are fetched
    /// again.
    Rotated,
    /// The answer carries another state.
    State,
    /// The answer names another issuer (RFC 9207).
    AnswerIssuer,
    /// The person pressed "cancel".
    Denied,
}

struct Grant {
    nonce: String,
    client_id: String,
}

/// The provider: discovery, keys, an authorize endpoint that answers at once (no login page),
/// and a token endpoint.
pub struct FlawedProvider {
    pub url: String,
    flaw: Arc<Mutex<Flaw>>,
    /// The last answer sent to a redirect URI (a test replays it).
    last_answer: Arc<Mutex<Option<String>>>,
    stop: Option<std::sync::mpsc::Sender<()>>,
}

impl Drop for FlawedProvider {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

impl FlawedProvider {
    pub fn start() -> FlawedProvider {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let keys = Arc::new(Mutex::new(vec![Key::new("key-1")]));
        let flaw = Arc::new(Mutex::new(Flaw::None));
        let last_answer: Arc<Mutex<Option<String>>> = Arc::default();
        let grants: Arc<Mutex<HashMap<String, Grant>>> = Arc::default();
        let discovery = json!({
            "issuer": url,
            "jwks_uri": format!("{url}/jwks"),
            "authorization_endpoint": format!("{url}/authorize"),
            "token_endpoint": format!("{url}/token"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true,
        });
        let jwks_keys = keys.clone();
        let (authorize_flaw, authorize_grants, answer, issuer) = (
            flaw.clone(),
            grants.clone(),
            last_answer.clone(),
            url.clone(),
        );
        let (token_flaw, token_keys, token_issuer) = (flaw.clone(), keys.clone(), url.clone());
        let app = crate::discovery_routes(discovery, jwks_keys, Arc::default())
            .route(
                "/authorize",
                axum::routing::get(
                    move |axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>| {
                        let flaw = *authorize_flaw.lock().unwrap();
                        let code = format!("code-{}", uuid_like());
                        authorize_grants.lock().unwrap().insert(
                            code.clone(),
                            Grant {
                                nonce: q.get("nonce").cloned().unwrap_or_default(),
                                client_id: q.get("client_id").cloned().unwrap_or_default(),
                            },
                        );
                        let state = match flaw {
                            Flaw::State => "another-sign-in".to_owned(),
                            _ => q.get("state").cloned().unwrap_or_default(),
                        };
                        let iss = match flaw {
                            Flaw::AnswerIssuer => "https://evil.example".to_owned(),
                            _ => issuer.clone(),
                        };
                        let query = match flaw {
                            Flaw::Denied => format!(
                                "error=access_denied&error_description=End-User+aborted&state={state}&iss={iss}"
                            ),
                            _ => format!("code={code}&state={state}&iss={iss}"),
                        };
                        *answer.lock().unwrap() = Some(query.clone());
                        let to = format!(
                            "{}?{query}",
                            q.get("redirect_uri").cloned().unwrap_or_default()
                        );
                        async move { axum::response::Redirect::to(&to) }
                    },
                ),
            )
            .route(
                "/token",
                axum::routing::post(
                    move |axum::extract::Form(form): axum::extract::Form<HashMap<String, String>>| {
                        let flaw = *token_flaw.lock().unwrap();
                        let grant = form
                            .get("code")
                            .and_then(|c| grants.lock().unwrap().remove(c));
                        let answer = match grant {
                            None => (
                                axum::http::StatusCode::BAD_REQUEST,
                                axum::Json(json!({ "error": "invalid_grant" })),
                            ),
                            Some(grant) => {
                                let id_token =
                                    id_token(flaw, &token_issuer, &token_keys, &grant);
                                (
                                    axum::http::StatusCode::OK,
                                    axum::Json(json!({
                                        "access_token": "access-from-the-flawed-provider",
                                        "token_type": "Bearer",
                                        "expires_in": 300,
                                        "refresh_token": "refresh-from-the-flawed-provider",
                                        "id_token": id_token,
                                    })),
                                )
                            }
                        };
                        async move { answer }
                    },
                ),
            );
        let stop = crate::serve(listener, app);
        FlawedProvider {
            url,
            flaw,
            last_answer,
            stop: Some(stop),
        }
    }

    pub fn set(&self, flaw: Flaw) {
        *self.flaw.lock().unwrap() = flaw;
    }

    /// The query of the last answer sent to a redirect URI.
    pub fn last_answer(&self) -> Option<String> {
        self.last_answer.lock().unwrap().clone()
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{}-{}", now(), NEXT.fetch_add(1, Ordering::SeqCst))
}

fn id_token(flaw: Flaw, issuer: &str, keys: &Mutex<Vec<Key>>, grant: &Grant) -> String {
    let now = now();
    let mut claims = json!({
        "iss": issuer,
        "aud": grant.client_id,
        "sub": "priya",
        "name": "Priya Raman",
        "email": "priya@example.test",
        "groups": ["rb-leads"],
        "nonce": grant.nonce,
        "iat": now,
        "exp": now + 300,
    });
    match flaw {
        Flaw::Issuer => claims["iss"] = json!("https://another-issuer.example"),
        Flaw::Audience => claims["aud"] = json!("another-app"),
        Flaw::Nonce => claims["nonce"] = json!("a-nonce-of-another-sign-in"),
        Flaw::NoSubject => {
            claims.as_object_mut().unwrap().remove("sub");
        }
        Flaw::Expired => {
            claims["iat"] = json!(now - 7200);
            claims["exp"] = json!(now - 3600);
        }
        _ => {}
    }
    if flaw == Flaw::Unsigned {
        return format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT"})),
            b64(&claims)
        );
    }
    let mut keys = keys.lock().unwrap();
    if flaw == Flaw::Rotated {
        let kid = format!("key-{}", keys.len() + 1);
        keys.push(Key::new(&kid));
    }
    let key = keys.last().unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    if flaw == Flaw::Signature {
        // The right kid, signed by a stranger's key.
        let stranger = Key::new(&key.kid);
        return jsonwebtoken::encode(&header, &claims, &stranger.encoding()).unwrap();
    }
    jsonwebtoken::encode(&header, &claims, &key.encoding()).unwrap()
}
