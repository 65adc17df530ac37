//! How the sync client reaches the server: HTTP (reqwest over rustls) in Roadbook, an
//! in-process channel with faults in the simulation.

use std::time::Duration;

use async_trait::async_trait;
use roadbook_model::Id;
use roadbook_protocol::{
    ArchivedDocument, DocumentsPage, ErrorBody, Events, JoinRequest, Me, OLDEST_PROTOCOL_VERSION,
    PROTOCOL_HEADER, PROTOCOL_VERSION, ProgramInfo, PublishRequest, PublishResponse, Pull,
    PushRequest, PushResponse, Snapshot, UsageAnswer, UsageReport, Versioned, codes, routes,
};
use serde::de::DeserializeOwned;

/// Why a request got no answer the client can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The connection dropped or the answer was lost mid-request: worth trying again soon.
    #[error("the connection to the server was lost ({0})")]
    Network(String),
    /// Nothing answers: no connection could be made, so nothing was sent. A one-shot command
    /// says "offline" at once; a watching sync waits and tries again.
    #[error("cannot reach the server ({0})")]
    Offline(String),
    /// The server took the request and did not answer within [`REQUEST_SECONDS`]: it may
    /// have done it. Offline as [`TransportError::Offline`] is, for the person.
    #[error("the server did not answer in time ({0})")]
    NoAnswer(String),
    /// The server answered with an error.
    #[error("{message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
}

impl TransportError {
    /// Worth trying again after a pause: the network, or a server that is briefly unavailable.
    pub fn retryable(&self) -> bool {
        match self {
            TransportError::Network(_)
            | TransportError::Offline(_)
            | TransportError::NoAnswer(_) => true,
            TransportError::Refused { status, code, .. } => {
                matches!(status, 429 | 502 | 503 | 504) || code == codes::UNAVAILABLE
            }
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            TransportError::Network(_)
            | TransportError::Offline(_)
            | TransportError::NoAnswer(_) => None,
            TransportError::Refused { code, .. } => Some(code),
        }
    }
}

#[async_trait]
pub trait Transport: Send + Sync {
    /// The server's address, for messages and to remember per program.
    fn server(&self) -> &str;
    /// The protocol the server is spoken to in (this build's, until an older server says it
    /// speaks only an older one).
    fn protocol(&self) -> u32 {
        PROTOCOL_VERSION
    }
    async fn me(&self) -> Result<Me, TransportError>;
    async fn programs(&self) -> Result<Vec<ProgramInfo>, TransportError>;
    async fn publish(&self, request: &PublishRequest) -> Result<PublishResponse, TransportError>;
    async fn join(&self, program: Id, request: &JoinRequest) -> Result<Snapshot, TransportError>;
    async fn push(
        &self,
        program: Id,
        request: &PushRequest,
    ) -> Result<PushResponse, TransportError>;
    /// The log after `after`, which belongs to `history` (when the client knows which).
    async fn pull(
        &self,
        program: Id,
        after: u64,
        limit: usize,
        history: Option<Id>,
    ) -> Result<Pull, TransportError>;
    /// Waits until the program's log passes `after`, or its shared archive passes
    /// `documents_after`, or the server's wait runs out; at once when the server's history is
    /// not `history`.
    async fn events(
        &self,
        program: Id,
        after: u64,
        documents_after: u64,
        history: Option<Id>,
    ) -> Result<Events, TransportError>;
    /// Adds an issued document to the program's shared archive (a second time changes nothing).
    async fn share_document(
        &self,
        program: Id,
        document: &ArchivedDocument,
    ) -> Result<(), TransportError>;
    /// The shared archive after position `after`.
    async fn documents(&self, program: Id, after: u64) -> Result<DocumentsPage, TransportError>;
    /// Sends usage counts (only ever queued when the person shares them).
    async fn usage(&self, report: &UsageReport) -> Result<UsageAnswer, TransportError>;
    /// The dependencies between the program and others, as the server judges them.
    async fn links(&self, program: Id) -> Result<Vec<roadbook_model::Link>, TransportError>;
}

/// A bearer token. Its `Debug` never shows it, and nothing here logs or stores it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(token: impl Into<String>) -> Token {
        Token(token.into())
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Where the transport gets its bearer token: a fixed token (`ROADBOOK_TOKEN`, tests), or a
/// sign-in that refreshes its access token before it expires.
#[async_trait]
pub trait Credentials: Send + Sync + std::fmt::Debug {
    /// The token to send now.
    async fn token(&self) -> Result<Token, TransportError>;
    /// The server refused `stale` as unauthenticated: a newer token to try once more, or none
    /// when there is no other. Never called twice for one request, so a refusal cannot loop.
    async fn renew(&self, stale: &Token) -> Result<Option<Token>, TransportError>;
}

#[async_trait]
impl Credentials for Token {
    async fn token(&self) -> Result<Token, TransportError> {
        Ok(self.clone())
    }

    async fn renew(&self, _stale: &Token) -> Result<Option<Token>, TransportError> {
        Ok(None)
    }
}

/// How long a request may wait for its answer (the long poll waits longer, as it must). A
/// server that accepts and never answers is "offline" after this, not after minutes.
/// `ROADBOOK_REQUEST_SECONDS` sets another (a slow link, or a test).
pub const REQUEST_SECONDS: u64 = 30;

/// The request timeout in force: `ROADBOOK_REQUEST_SECONDS`, else [`REQUEST_SECONDS`].
pub fn request_seconds() -> Result<u64, String> {
    match std::env::var("ROADBOOK_REQUEST_SECONDS") {
        Err(_) => Ok(REQUEST_SECONDS),
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|s| (1..=3600).contains(s))
            .ok_or_else(|| {
                format!(
                    "ROADBOOK_REQUEST_SECONDS is '{}': give a number of seconds from 1 to 3600 (the default is {REQUEST_SECONDS})",
                    text.chars().take(40).collect::<String>()
                )
            }),
    }
}

/// How long a connection may take to open. An address nobody answers at is "offline" after
/// this; a refused connection is at once.
pub const CONNECT_SECONDS: u64 = 4;

/// The HTTP transport.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    base: String,
    http: reqwest::Client,
    credentials: std::sync::Arc<dyn Credentials>,
    /// The protocol this server speaks with us: this build's, until a server answers that it
    /// speaks only an older one (then that one, for as long as this transport lives).
    version: std::sync::Arc<std::sync::atomic::AtomicU32>,
    /// How long a request waits for its answer (the long poll waits that much past its own).
    request_seconds: u64,
}

impl HttpTransport {
    /// A client for the server at `base` (an http:// or https:// URL) that sends `token`.
    pub fn new(base: &str, token: Token) -> Result<HttpTransport, String> {
        HttpTransport::with_credentials(base, std::sync::Arc::new(token))
    }

    /// A client for the server at `base` with its tokens from `credentials`.
    pub fn with_credentials(
        base: &str,
        credentials: std::sync::Arc<dyn Credentials>,
    ) -> Result<HttpTransport, String> {
        let base = base.trim().trim_end_matches('/').to_owned();
        let url: reqwest::Url = base.parse().map_err(|e| {
            format!(
                "'{base}' is not a server address ({e}): give one such as https://roadbook.internal"
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("'{base}' is not an http:// or https:// address"));
        }
        // A bearer token over plain HTTP can be read on the way: only to this machine.
        let loopback = roadbook_protocol::is_loopback_host(url.host_str().unwrap_or_default());
        if url.scheme() == "http" && !loopback {
            return Err(format!(
                "'{base}' is plain http: your sign-in would cross the network readable by anyone on the way; use its https:// address (http:// is for a server on this machine only)"
            ));
        }
        let request_seconds = request_seconds()?;
        let http = reqwest::Client::builder()
            // Every request carries the person's token: a redirect would carry it to an address
            // the person never chose (perhaps over plain http), so the answer is the 3xx itself.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(CONNECT_SECONDS))
            // Below the server's idle limit, so a kept connection is never the one it closed.
            .pool_idle_timeout(Duration::from_secs(20))
            .timeout(Duration::from_secs(request_seconds))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpTransport {
            base,
            http,
            credentials,
            version: std::sync::Arc::new(std::sync::atomic::AtomicU32::new(PROTOCOL_VERSION)),
            request_seconds,
        })
    }

    /// The protocol requests go out in.
    pub fn protocol(&self) -> u32 {
        self.version.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sends the request `build` makes for the protocol spoken; a server that answers it speaks
    /// only an older protocol gets the same request again one protocol older (down to the
    /// oldest), and so does everything after it.
    async fn negotiated<T: DeserializeOwned>(
        &self,
        build: impl Fn(u32) -> reqwest::RequestBuilder,
    ) -> Result<T, TransportError> {
        let mut version = self.protocol();
        loop {
            match self.send(build(version), version).await {
                Err(err)
                    if err.code() == Some(codes::UPGRADE_REQUIRED)
                        && version > OLDEST_PROTOCOL_VERSION =>
                {
                    // One version older at a time: a server one release behind keeps what
                    // the protocols between have in common.
                    version -= 1;
                    tracing::info!(
                        server = %self.base,
                        "the server speaks an older sync protocol: speaking protocol {version} to it"
                    );
                    self.version
                        .store(version, std::sync::atomic::Ordering::Relaxed);
                }
                other => return other,
            }
        }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        version: u32,
    ) -> Result<T, TransportError> {
        let token = self.credentials.token().await?;
        let again = request.try_clone();
        let mut response = self.attempt(request, &token, version).await?;
        // An access token can expire between the check and the server's: refresh once and
        // try once more. A second 401 is the answer, so a refused sign-in cannot loop.
        if response.status() == reqwest::StatusCode::UNAUTHORIZED
            && let Some(again) = again
            && let Some(fresh) = self.credentials.renew(&token).await?
        {
            response = self.attempt(again, &fresh, version).await?;
        }
        let status = response.status();
        if status.is_redirection() {
            let to = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(|l| l.chars().take(200).collect::<String>())
                .unwrap_or_else(|| "another address".into());
            return Err(TransportError::Refused {
                status: status.as_u16(),
                code: "redirect".into(),
                message: format!(
                    "{} sends its requests on to {to}; your sign-in is not sent after a redirect: if you trust that address, use it as the server's",
                    self.base
                ),
            });
        }
        let bytes = response.bytes().await.map_err(lost)?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| TransportError::Refused {
                status: status.as_u16(),
                code: "bad_answer".into(),
                message: format!(
                    "the server's answer could not be read ({e}): is {} a Roadbook server?",
                    self.base
                ),
            });
        }
        let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
        Err(match body {
            Some(body) => TransportError::Refused {
                status: status.as_u16(),
                code: body.code,
                message: body.message,
            },
            None => TransportError::Refused {
                status: status.as_u16(),
                code: format!("http_{}", status.as_u16()),
                message: format!(
                    "the server answered {status}: is {} a Roadbook server?",
                    self.base
                ),
            },
        })
    }

    async fn attempt(
        &self,
        request: reqwest::RequestBuilder,
        token: &Token,
        version: u32,
    ) -> Result<reqwest::Response, TransportError> {
        request
            .header(PROTOCOL_HEADER, version.to_string())
            .header(reqwest::header::AUTHORIZATION, token.bearer())
            .send()
            .await
            .map_err(lost)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A request that failed on the way: offline when no connection could be made, no answer
/// when none came in time, else a lost connection worth a quick retry.
fn lost(err: reqwest::Error) -> TransportError {
    if err.is_connect() {
        TransportError::Offline(describe(err))
    } else if err.is_timeout() {
        TransportError::NoAnswer(describe(err))
    } else {
        TransportError::Network(describe(err))
    }
}

/// The error's reason without the URL or anything secret.
fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}

/// `&history=ID` for a request of protocol 2 that knows its history.
fn history_query(version: u32, history: Option<Id>) -> String {
    match history {
        Some(history) if version >= 2 => format!("&history={history}"),
        _ => String::new(),
    }
}

#[async_trait]
impl Transport for HttpTransport {
    fn protocol(&self) -> u32 {
        HttpTransport::protocol(self)
    }

    fn server(&self) -> &str {
        &self.base
    }

    async fn me(&self) -> Result<Me, TransportError> {
        self.negotiated(|_| self.http.get(self.url(routes::ME)))
            .await
    }

    async fn programs(&self) -> Result<Vec<ProgramInfo>, TransportError> {
        self.negotiated(|_| self.http.get(self.url(routes::PROGRAMS)))
            .await
    }

    async fn publish(&self, request: &PublishRequest) -> Result<PublishResponse, TransportError> {
        self.negotiated(|_| self.http.post(self.url(routes::PROGRAMS)).json(request))
            .await
    }

    async fn join(&self, program: Id, request: &JoinRequest) -> Result<Snapshot, TransportError> {
        self.negotiated(|_| {
            self.http
                .post(self.url(&routes::join(program)))
                .json(request)
        })
        .await
    }

    async fn push(
        &self,
        program: Id,
        request: &PushRequest,
    ) -> Result<PushResponse, TransportError> {
        self.negotiated(|version| {
            self.http
                .post(self.url(&routes::push(program)))
                .json(&request.clone().for_protocol(version))
        })
        .await
    }

    async fn pull(
        &self,
        program: Id,
        after: u64,
        limit: usize,
        history: Option<Id>,
    ) -> Result<Pull, TransportError> {
        self.negotiated(|version| {
            let url = format!(
                "{}?after={after}&limit={limit}{}",
                self.url(&routes::changes(program)),
                history_query(version, history)
            );
            // Past the server's long poll, which holds the request open for a while.
            self.http.get(url).timeout(Duration::from_secs(
                roadbook_protocol::EVENTS_WAIT_SECONDS + self.request_seconds,
            ))
        })
        .await
    }

    async fn events(
        &self,
        program: Id,
        after: u64,
        documents_after: u64,
        history: Option<Id>,
    ) -> Result<Events, TransportError> {
        self.negotiated(|version| {
            let url = format!(
                "{}?after={after}&documents_after={documents_after}{}",
                self.url(&routes::events(program)),
                history_query(version, history)
            );
            // Past the server's long poll, which holds the request open for a while.
            self.http.get(url).timeout(Duration::from_secs(
                roadbook_protocol::EVENTS_WAIT_SECONDS + self.request_seconds,
            ))
        })
        .await
    }

    async fn share_document(
        &self,
        program: Id,
        document: &ArchivedDocument,
    ) -> Result<(), TransportError> {
        let _stored: serde_json::Value = self
            .negotiated(|_| {
                self.http
                    .post(self.url(&routes::documents(program)))
                    .json(document)
            })
            .await?;
        Ok(())
    }

    async fn documents(&self, program: Id, after: u64) -> Result<DocumentsPage, TransportError> {
        self.negotiated(|_| {
            let url = format!("{}?after={after}", self.url(&routes::documents(program)));
            self.http.get(url)
        })
        .await
    }

    async fn usage(&self, report: &UsageReport) -> Result<UsageAnswer, TransportError> {
        self.negotiated(|_| self.http.post(self.url(routes::USAGE)).json(report))
            .await
    }

    async fn links(&self, program: Id) -> Result<Vec<roadbook_model::Link>, TransportError> {
        self.negotiated(|_| self.http.get(self.url(&routes::links(program))))
            .await
    }
}
