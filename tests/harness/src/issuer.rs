//! A token issuer on loopback: a discovery document and a JWKS with RSA keys made here, signing
//! the tokens the tests use.

use super::*;

/// The groups the tests' people are in, and the mapping the tests' servers use.
pub const ROLES: &str = "rb-leads=lead,rb-editors=editor,rb-viewers=viewer,rb-admins=admin";
pub const AUDIENCE: &str = "api://roadbook";

pub(crate) struct Key {
    pub(crate) kid: String,
    private: rsa::RsaPrivateKey,
}

impl Key {
    pub(crate) fn new(kid: &str) -> Key {
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
        Key {
            kid: kid.to_owned(),
            private,
        }
    }

    pub(crate) fn jwk(&self) -> Value {
        let public = self.private.to_public_key();
        json!({
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        })
    }

    pub(crate) fn encoding(&self) -> EncodingKey {
        EncodingKey::from_rsa_der(self.private.to_pkcs1_der().unwrap().as_bytes())
    }
}

/// A token issuer on loopback: its discovery document and its keys, and tokens signed with them.
/// It runs on a thread of its own, so tests of any kind (async or not) can start it.
pub struct Issuer {
    pub url: String,
    keys: Arc<Mutex<Vec<Key>>>,
    /// How many times the keys were fetched (a test of the server's refetch limit reads it).
    pub fetches: Arc<std::sync::atomic::AtomicUsize>,
    /// While set, every request is answered 503 (an identity-provider outage).
    down: Arc<std::sync::atomic::AtomicBool>,
    stop: Option<std::sync::mpsc::Sender<()>>,
}

impl Drop for Issuer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `app` on `listener` (non-blocking) from a thread of its own, so tests of any kind
/// (async or not) can start it; it stops when the returned sender sends or is dropped.
pub fn serve(listener: TcpListener, app: axum::Router) -> std::sync::mpsc::Sender<()> {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let serve = axum::serve(listener, app);
            let wait = tokio::task::spawn_blocking(move || {
                let _ = stopped.recv();
            });
            tokio::select! {
                _ = serve => {}
                _ = wait => {}
            }
        });
    });
    stop
}

/// An issuer's discovery document and its keys (`/jwks`, counting each fetch in `fetches`).
pub(crate) fn discovery_routes(
    discovery: Value,
    keys: Arc<Mutex<Vec<Key>>>,
    fetches: Arc<std::sync::atomic::AtomicUsize>,
) -> axum::Router {
    axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || {
                let doc = discovery.clone();
                async move { axum::Json(doc) }
            }),
        )
        .route(
            "/jwks",
            axum::routing::get(move || {
                fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let set: Vec<Value> = keys.lock().unwrap().iter().map(Key::jwk).collect();
                async move { axum::Json(json!({ "keys": set })) }
            }),
        )
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl Issuer {
    pub fn start() -> Issuer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let keys = Arc::new(Mutex::new(vec![Key::new("key-1")]));
        let fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let discovery = json!({
            "issuer": url,
            "jwks_uri": format!("{url}/jwks"),
            "authorization_endpoint": format!("{url}/authorize"),
            "token_endpoint": format!("{url}/token"),
        });
        let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let app = discovery_routes(discovery, keys.clone(), fetches.clone()).layer(
            axum::middleware::from_fn_with_state(
                down.clone(),
                |axum::extract::State(down): axum::extract::State<
                    Arc<std::sync::atomic::AtomicBool>,
                >,
                 request: axum::extract::Request,
                 next: axum::middleware::Next| async move {
                    if down.load(std::sync::atomic::Ordering::SeqCst) {
                        axum::response::IntoResponse::into_response(
                            axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        )
                    } else {
                        next.run(request).await
                    }
                },
            ),
        );
        let stop = serve(listener, app);
        Issuer {
            url,
            keys,
            fetches,
            down,
            stop: Some(stop),
        }
    }

    /// Takes the issuer down (every request answered 503) or brings it back.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }

    /// Adds a new signing key (a rotation); tokens are signed with it from now on.
    pub fn rotate(&self) -> String {
        let mut keys = self.keys.lock().unwrap();
        let kid = format!("key-{}", keys.len() + 1);
        keys.push(Key::new(&kid));
        kid
    }

    /// The claims of an access token for this API, valid for an hour.
    pub fn claims(&self, subject: &str, name: &str, groups: &[&str]) -> Value {
        let now = now();
        json!({
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": subject,
            "name": name,
            "groups": groups,
            "iat": now,
            "nbf": now - 5,
            "exp": now + 3600,
        })
    }

    /// Signs `claims` with the current key, with the header as given plus its kid.
    pub fn sign_with_header(&self, mut header: Header, claims: &Value) -> String {
        let keys = self.keys.lock().unwrap();
        let key = keys.last().unwrap();
        if header.kid.is_none() {
            header.kid = Some(key.kid.clone());
        }
        jsonwebtoken::encode(&header, claims, &key.encoding()).unwrap()
    }

    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.typ = Some("at+jwt".into());
        self.sign_with_header(header, claims)
    }

    /// An access token for a person in `groups`.
    pub fn token(&self, subject: &str, name: &str, groups: &[&str]) -> String {
        self.sign(&self.claims(subject, name, groups))
    }

    /// The public key of the current signing key, as PEM-less DER bytes of its modulus: what an
    /// attacker has (for the HS256-with-the-public-key forgery).
    pub fn public_key_der(&self) -> Vec<u8> {
        use rsa::pkcs1::EncodeRsaPublicKey;
        let keys = self.keys.lock().unwrap();
        keys.last()
            .unwrap()
            .private
            .to_public_key()
            .to_pkcs1_der()
            .unwrap()
            .as_bytes()
            .to_vec()
    }
}
