//! The HTTP face of the engine: routes, the protocol-version check, bearer tokens, request
//! limits, and one error shape (`{code, message}`, 4xx for anything the caller sent wrong).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use roadbook_model::Id;
use roadbook_protocol::{
    ArchivedDocument, BREAK_GLASS_HEADER, ErrorBody, JoinRequest, OLDEST_PROTOCOL_VERSION,
    PROTOCOL_HEADER, PROTOCOL_VERSION, PublishRequest, PushRequest, Role, Versioned, codes, routes,
};
use serde::de::DeserializeOwned;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;

use crate::auth::Verifier;
use crate::engine::{Caller, Engine, EngineError};

pub struct AppState {
    pub engine: Engine,
    pub verifier: Arc<Verifier>,
    pub sign_in: Option<roadbook_protocol::SignInSettings>,
    /// Subjects allowed the break-glass path.
    pub break_glass: Vec<String>,
    /// Bounds on break-glass use and connections.
    pub limits: crate::config::Limits,
    /// Set on SIGTERM: `/readyz` says no while in-flight work finishes.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

type Shared = Arc<AppState>;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code.to_owned(),
            message: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<EngineError> for ApiError {
    fn from(err: EngineError) -> Self {
        let status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = err.code();
        match &err {
            EngineError::Unavailable(detail) => {
                tracing::error!(detail = %detail, "the database failed a request");
            }
            EngineError::StoreRefused(detail) => {
                tracing::warn!(detail = %detail, "the database refused what a request sent");
            }
            _ => {}
        }
        ApiError::new(status, code, err.to_string())
    }
}

/// A JSON body read strictly, with the path of what is wrong in the message.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    codes::TOO_LARGE,
                    "the request is larger than this server accepts: send fewer changes at a time",
                )
            } else {
                ApiError::bad(format!("the request body could not be read: {e}"))
            }
        })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." {
                ApiError::bad(format!(
                    "the request body is not what this server expects: {inner}"
                ))
            } else {
                ApiError::bad(format!(
                    "the request body is not what this server expects at {path}: {inner}"
                ))
            }
        })?;
        de.end()
            .map_err(|e| ApiError::bad(format!("the request body goes on after its JSON: {e}")))?;
        Ok(Body(value))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller
where
    Shared: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let app = Shared::from_ref(state);
        let unauthorized = |why: &str| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                codes::UNAUTHORIZED,
                format!("{why}: sign in again (or set ROADBOOK_TOKEN to a valid access token)"),
            )
        };
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            tracing::info!(reason = "missing", "token refused");
            app.engine.metrics().token_refused("missing");
            return Err(unauthorized("no access token"));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                app.engine.metrics().token_refused("malformed");
                unauthorized("the Authorization header is not a bearer token")
            })?;
        let mut caller = app.verifier.verify(token).await.map_err(|refused| {
            tracing::info!(reason = refused.reason(), detail = %refused, "token refused");
            app.engine.metrics().token_refused(refused.reason());
            match refused {
                // The token was not judged: signing in again would not help.
                crate::auth::Refused::KeysUnavailable(_) => ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    codes::UNAVAILABLE,
                    "the server cannot reach the identity provider for its signing keys just now: your changes wait on this machine; try again in a minute",
                ),
                _ => unauthorized("the access token was refused"),
            }
        })?;
        // The request's log line names who asked (the subject, never the token).
        tracing::Span::current().record("subject", caller.author.subject.as_str());
        // An email counts (for the roster and grants) only for the subject that holds it.
        if let Some(email) = caller.email.clone()
            && !app.engine.holds_email(&email, &caller.author.subject).await
        {
            caller.email = None;
        }
        if let Some(value) = parts.headers.get(BREAK_GLASS_HEADER) {
            break_glass(&app, &mut caller, value, parts).await?;
        }
        app.engine.seen(&caller).await;
        Ok(caller)
    }
}

use axum::extract::FromRef;

/// The longest break-glass reason (a sentence, and an incident's reference).
const MOST_REASON: usize = 500;
/// The most of a request's path the trail keeps.
const MOST_ROUTE: usize = 200;

/// The break-glass path: a listed subject, a reason, and an audit event marked break-glass
/// written before the request goes on (no audit, no access). Loud in the log every time. A
/// reason opens access for a bounded time (`ROADBOOK_BREAK_GLASS_SECONDS`), a person opens few
/// a day, the program is the one the route names (decoded as the router decodes it), and every
/// refused attempt is in the trail too.
async fn break_glass(
    app: &AppState,
    caller: &mut Caller,
    value: &axum::http::HeaderValue,
    parts: &axum::http::request::Parts,
) -> Result<(), ApiError> {
    let subject = caller.author.subject.clone();
    // The trail keeps the route's start: a path is the caller's text and has no bound.
    let route: String = parts.uri.path().chars().take(MOST_ROUTE).collect();
    let method = parts.method.as_str();
    // Borrowed by each refusal; the route is logged again when access is given.
    let (subject, route) = (&subject, &route);
    let refuse = |status: StatusCode, code: &'static str, why: String| async move {
        tracing::warn!(%subject, route = %route, why = %why, "break-glass refused");
        // Every refusal is in the trail up to an hourly allowance per person; past it they are
        // logged only and answered 429, so nobody can flood the trail with refusals.
        if !app
            .engine
            .allow(subject, crate::budget::Spend::BreakGlassRefusal)
        {
            return ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                codes::FORBIDDEN,
                "too many refused break-glass attempts in the last hour: stop sending the Roadbook-Break-Glass header, or ask the server's operators",
            );
        }
        let event = crate::storage::AuditEvent {
            at: app.engine.now(),
            subject: subject.clone(),
            program: None,
            action: "break_glass_refused".into(),
            detail: serde_json::json!({ "method": method, "route": route, "why": why }),
        };
        if let Err(err) = app.engine.directory().note(event, false).await {
            tracing::error!(error = %err, "a refused break-glass attempt could not be audited");
        }
        ApiError::new(status, code, why)
    };
    if !app.break_glass.contains(&caller.author.subject) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            codes::FORBIDDEN,
            "you are not on this server's break-glass list: remove the Roadbook-Break-Glass header, or ask the server's operators".into(),
        )
        .await);
    }
    let reason = value.to_str().map(str::trim).unwrap_or_default().to_owned();
    if reason.is_empty() {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            codes::BAD_REQUEST,
            "break-glass access needs a reason: give it in the Roadbook-Break-Glass header".into(),
        )
        .await);
    }
    if reason.chars().count() > MOST_REASON {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            codes::BAD_REQUEST,
            format!("a break-glass reason is at most {MOST_REASON} characters: say why in a sentence and name the incident"),
        )
        .await);
    }
    // Break-glass opens one program, never the server: lists, the audit trail and the access
    // review stay with the admins the roles name.
    let Some(rest) = parts.uri.path().strip_prefix("/v1/programs/") else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            codes::BAD_REQUEST,
            "break-glass access opens one program: name it in the path (/v1/programs/ID/…)".into(),
        )
        .await);
    };
    // The program as the router will read it: the segment decoded, so an encoded id cannot
    // reach a program while the trail records none.
    let segment = rest.split('/').next().unwrap_or_default();
    let program = match percent_decoded(segment).as_deref().map(str::parse::<Id>) {
        Some(Ok(id)) => id,
        _ => {
            let shown: String = segment.chars().take(40).collect();
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                codes::BAD_REQUEST,
                format!("'{shown}' in the path is not a program id: break-glass access names the program it is for"),
            )
            .await);
        }
    };
    let limits = &app.limits;
    let until = match app
        .engine
        .directory()
        .break_glass_use(
            &caller.author.subject,
            program,
            &reason,
            chrono::Utc::now(),
            limits.break_glass_ttl,
            limits.break_glass_per_day,
        )
        .await
    {
        Ok(crate::directory::GlassUse::Opened(until) | crate::directory::GlassUse::Open(until)) => {
            until
        }
        Ok(crate::directory::GlassUse::Expired(until)) => {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                codes::FORBIDDEN,
                format!("the break-glass access given for this reason ended at {until}: a new emergency needs a new reason"),
            )
            .await);
        }
        Ok(crate::directory::GlassUse::TooMany(most)) => {
            return Err(refuse(
                StatusCode::TOO_MANY_REQUESTS,
                codes::FORBIDDEN,
                format!("break-glass access was opened {most} times by you in the last day, the most allowed: ask the server's operators"),
            )
            .await);
        }
        Err(e) => {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                codes::UNAVAILABLE,
                format!(
                    "break-glass use could not be recorded ({e}), so it is refused: try again shortly"
                ),
            ));
        }
    };
    tracing::warn!(subject = %caller.author.subject, route = %route, %reason, "break-glass access");
    let event = crate::storage::AuditEvent {
        at: app.engine.now(),
        subject: caller.author.subject.clone(),
        program: Some(program),
        action: "break_glass".into(),
        detail: serde_json::json!({
            "method": parts.method.as_str(),
            "route": route,
            "reason": reason,
            "until": until,
        }),
    };
    app.engine
        .directory()
        .note(event, true)
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                codes::UNAVAILABLE,
                format!("break-glass use could not be audited ({e}), so it is refused: try again shortly"),
            )
        })?;
    caller.role = Some(Role::Admin);
    caller.break_glass = Some(reason);
    Ok(())
}

/// A path segment percent-decoded as the router decodes it (none: not UTF-8 once decoded).
fn percent_decoded(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let Some(hex) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(hex);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The protocol a request speaks, for handlers to answer in it.
#[derive(Debug, Clone, Copy)]
pub struct Speaks(pub u32);

impl<S: Send + Sync> FromRequestParts<S> for Speaks {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Speaks>()
            .copied()
            .unwrap_or(Speaks(PROTOCOL_VERSION)))
    }
}

/// Every request under /v1 names the protocol it speaks. A server answers every version from
/// the oldest it keeps to its own, each in its own terms; a client of another one is told, and
/// keeps its changes until it is upgraded.
async fn protocol(headers: HeaderMap, mut request: Request, next: Next) -> Response {
    match headers.get(PROTOCOL_HEADER).map(|v| v.to_str().map(str::trim)) {
        Some(Ok(version))
            if version
                .parse::<u32>()
                .is_ok_and(|v| (OLDEST_PROTOCOL_VERSION..=PROTOCOL_VERSION).contains(&v)) =>
        {
            let version = version.parse::<u32>().unwrap_or(PROTOCOL_VERSION);
            request.extensions_mut().insert(Speaks(version));
            next.run(request).await
        }
        Some(Ok(version)) if version.parse::<u32>().is_ok() => ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            codes::UPGRADE_REQUIRED,
            format!(
                "this server speaks sync protocol {OLDEST_PROTOCOL_VERSION} to {PROTOCOL_VERSION}, the client speaks {version}: upgrade Roadbook (nothing waiting to sync is lost)"
            ),
        )
        .into_response(),
        _ => ApiError::bad(format!(
            "send the {PROTOCOL_HEADER} header (this server speaks protocol {PROTOCOL_VERSION})"
        ))
        .into_response(),
    }
}

fn program_id(text: &str) -> Result<Id, ApiError> {
    text.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            codes::NOT_FOUND,
            format!("'{text}' is not a program id"),
        )
    })
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangesQuery {
    #[serde(default)]
    after: u64,
    limit: Option<usize>,
    /// The history the cursor belongs to (protocol 2).
    history: Option<Id>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    #[serde(default)]
    after: u64,
    /// Also answer when the shared archive moves past this position.
    documents_after: Option<u64>,
    /// The history the cursor belongs to (protocol 2).
    history: Option<Id>,
}

type QueryResult<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

fn query<T>(raw: QueryResult<T>) -> Result<T, ApiError> {
    raw.map(|Query(q)| q).map_err(|e| {
        ApiError::bad(format!(
            "the query is not what this server expects ({}): after=NUMBER",
            e.body_text()
        ))
    })
}

pub fn router(state: Shared, body_limit: usize) -> Router {
    let v1 = Router::new()
        .route(routes::ME, get(me))
        .route(routes::USAGE, get(usage_counts).post(usage))
        .route(routes::PROGRAMS, get(programs).post(publish))
        .route(routes::JOIN, post(join))
        .route(routes::PUSH, post(push))
        .route(routes::CHANGES, get(changes))
        .route(routes::EVENTS, get(events))
        .route(routes::DOCUMENTS, get(documents).post(share_document))
        .layer(middleware::from_fn(protocol));
    Router::new()
        .route(routes::HEALTH, get(|| async { "ok" }))
        .route(routes::METRICS, get(metrics))
        .route(routes::READY, get(ready))
        .route(routes::SIGN_IN, get(sign_in))
        // The trail is read-only: every other method is refused, as is any path under it.
        .route(routes::AUDIT, get(audit).fallback(audit_is_read_only))
        .route("/audit/{*rest}", any(audit_is_read_only))
        .merge(v1)
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                codes::NOT_FOUND,
                "no such route on this server",
            )
        })
        .layer(DefaultBodyLimit::max(body_limit))
        // Past the long poll's wait, with room to answer.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(roadbook_protocol::EVENTS_WAIT_SECONDS + 35),
        ))
        // Outermost, in this order: an id for each request (the caller's own when it sends a
        // usable one), sent back on the answer, and the request's log line and metrics.
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// The longest `/readyz` waits, in milliseconds: a short ping of the database. The readiness
/// probe's timeout is at least this (`deploy/check.sh` compares them), so a slow answer is a
/// "no", never a probe that times out.
pub const READY_WAIT_MS: u64 = 1500;

/// Ready when not draining and the database answers. A pool whose connections are all busy is
/// serving, so it counts as ready: saturation must not take every process out of the load
/// balancer at once. The issuer's keys are not waited for (an identity-provider outage would
/// take out every process alike); the body says whether they are loaded.
async fn ready(State(app): State<Shared>) -> Response {
    if app.draining.load(std::sync::atomic::Ordering::SeqCst) {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::UNAVAILABLE,
            "this server process is stopping: its requests go to the others",
        )
        .into_response();
    }
    let storage = app.engine.storage();
    let saturated = storage
        .pool_use()
        .is_some_and(|pool| pool.idle == 0 && pool.in_use >= pool.max);
    let database = if saturated {
        Ok("the database's connections are all in use")
    } else {
        match tokio::time::timeout(Duration::from_millis(READY_WAIT_MS), storage.ping()).await {
            Ok(Ok(())) => Ok("the database answers"),
            Ok(Err(e)) => Err(format!("the database does not answer: {e}")),
            Err(_) => Err(format!(
                "the database did not answer within {READY_WAIT_MS} ms"
            )),
        }
    };
    let keys = if app.verifier.keys_loaded().await {
        "the issuer's keys are loaded"
    } else {
        "the issuer's keys are not loaded yet (fetched at the next token)"
    };
    match database {
        Ok(database) => (StatusCode::OK, format!("ready: {database}; {keys}")).into_response(),
        Err(database) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::UNAVAILABLE,
            format!("{database}; {keys}"),
        )
        .into_response(),
    }
}

async fn sign_in(State(app): State<Shared>) -> Result<Response, ApiError> {
    match &app.sign_in {
        Some(settings) => Ok(Json(settings).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            codes::NOT_FOUND,
            "this server does not say where to sign in (its ROADBOOK_CLIENT_ID is not set): set the identity provider in Roadbook's settings instead",
        )),
    }
}

async fn me(State(app): State<Shared>, caller: Caller) -> Response {
    Json(app.engine.me(&caller)).into_response()
}

async fn programs(State(app): State<Shared>, caller: Caller) -> Result<Response, ApiError> {
    Ok(Json(app.engine.programs(&caller).await?).into_response())
}

async fn publish(
    State(app): State<Shared>,
    Speaks(version): Speaks,
    caller: Caller,
    Body(request): Body<PublishRequest>,
) -> Result<Response, ApiError> {
    let answer = app.engine.publish(&caller, request).await?;
    Ok((StatusCode::CREATED, Json(answer.for_protocol(version))).into_response())
}

async fn join(
    State(app): State<Shared>,
    Path(program): Path<String>,
    Speaks(version): Speaks,
    caller: Caller,
    Body(request): Body<JoinRequest>,
) -> Result<Response, ApiError> {
    let program = program_id(&program)?;
    let snapshot = app
        .engine
        .join(&caller, program, request.client_id, request.next_seq)
        .await?;
    Ok(Json(snapshot.for_protocol(version)).into_response())
}

async fn push(
    State(app): State<Shared>,
    Path(program): Path<String>,
    Speaks(version): Speaks,
    caller: Caller,
    Body(request): Body<PushRequest>,
) -> Result<Response, ApiError> {
    let program = program_id(&program)?;
    let answer = app.engine.push(&caller, program, request).await?;
    Ok(Json(answer.for_protocol(version)).into_response())
}

async fn changes(
    State(app): State<Shared>,
    Path(program): Path<String>,
    Speaks(version): Speaks,
    caller: Caller,
    raw: QueryResult<ChangesQuery>,
) -> Result<Response, ApiError> {
    let program = program_id(&program)?;
    let q = query(raw)?;
    let limit = q.limit.unwrap_or(roadbook_protocol::MAX_CHANGES_PER_PULL);
    let pull = app
        .engine
        .pull(&caller, program, q.after, limit, q.history)
        .await?;
    Ok(Json(pull.for_protocol(version)).into_response())
}

async fn events(
    State(app): State<Shared>,
    Path(program): Path<String>,
    Speaks(version): Speaks,
    caller: Caller,
    raw: QueryResult<EventsQuery>,
) -> Result<Response, ApiError> {
    let program = program_id(&program)?;
    let q = query(raw)?;
    let _waiting = app.engine.metrics().live_connection();
    let events = app
        .engine
        .events(&caller, program, q.after, q.documents_after, q.history)
        .await?;
    Ok(Json(events.for_protocol(version)).into_response())
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentsQuery {
    #[serde(default)]
    after: u64,
}

async fn documents(
    State(app): State<Shared>,
    Path(program): Path<String>,
    caller: Caller,
    raw: QueryResult<DocumentsQuery>,
) -> Result<Response, ApiError> {
    let program = program_id(&program)?;
    let q = query(raw)?;
    Ok(Json(app.engine.documents(&caller, program, q.after).await?).into_response())
}

async fn share_document(
    State(app): State<Shared>,
    Path(program): Path<String>,
    caller: Caller,
    Body(document): Body<ArchivedDocument>,
) -> Result<Response, ApiError> {
    let program = program_id(&program)?;
    let new = app
        .engine
        .share_document(&caller, program, document)
        .await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(serde_json::json!({ "stored": new }))).into_response())
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    program: Option<String>,
    subject: Option<String>,
    kind: Option<String>,
    since: Option<String>,
    until: Option<String>,
    #[serde(default)]
    after: u64,
    limit: Option<usize>,
    /// `json` (the default) or `csv`.
    format: Option<String>,
}

/// `GET /audit`: the trail for admins, filtered, as JSON (`{events, more}`) or CSV.
async fn audit(
    State(app): State<Shared>,
    caller: Caller,
    raw: QueryResult<AuditQuery>,
) -> Result<Response, ApiError> {
    let q = raw.map(|Query(q)| q).map_err(|e| {
        ApiError::bad(format!(
            "the query is not what this server expects ({}): program, subject, kind, since, until, after, limit, format",
            e.body_text()
        ))
    })?;
    let csv = match q.format.as_deref().map(str::to_lowercase).as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::bad(format!(
                "'{other}' is not a format of the audit trail: use json or csv"
            )));
        }
    };
    let program = q
        .program
        .as_deref()
        .map(|p| {
            p.parse::<Id>()
                .map_err(|_| ApiError::bad(format!("'{p}' is not a program id")))
        })
        .transpose()?;
    let limit = q
        .limit
        .unwrap_or(crate::audit::MAX_EVENTS)
        .clamp(1, crate::audit::MAX_EVENTS);
    let filter = crate::audit::AuditFilter {
        program,
        subject: q.subject.filter(|s| !s.trim().is_empty()),
        kind: q
            .kind
            .as_deref()
            .map(crate::audit::AuditFilter::kind)
            .transpose()
            .map_err(ApiError::bad)?,
        since: q
            .since
            .as_deref()
            .map(crate::audit::moment)
            .transpose()
            .map_err(ApiError::bad)?,
        until: q
            .until
            .as_deref()
            .map(crate::audit::moment)
            .transpose()
            .map_err(ApiError::bad)?,
        after: q.after,
        // One more than asked, to say whether there are more.
        limit: limit + 1,
    };
    let mut events = app.engine.audit(&caller, &filter).await?;
    let more = events.len() > limit;
    events.truncate(limit);
    if csv {
        let bytes = crate::audit::csv(&events)
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, codes::UNAVAILABLE, e))?;
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"roadbook-audit.csv\"",
                ),
            ],
            bytes,
        )
            .into_response());
    }
    Ok(Json(serde_json::json!({ "events": events, "more": more })).into_response())
}

async fn audit_is_read_only() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        codes::BAD_REQUEST,
        "the audit trail is read-only: its events are never changed or deleted (read it with GET /audit)",
    )
}

/// One log line and the metrics for every request: its id, method, route pattern (never the
/// ids in the path), the caller's subject once the token is checked, status, latency and
/// outcome. Never a header's value, a body or a query.
async fn observe(State(app): State<Shared>, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    // A label takes few values: an invented method counts as "other", not as a new series.
    let method = match request.method().as_str() {
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m,
        _ => "other",
    }
    .to_owned();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    // The id is the caller's when it is a plain token of a sane length, else one of ours.
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .unwrap_or("unusable")
        .to_owned();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        route = %route,
        subject = tracing::field::Empty,
    );
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    app.engine
        .metrics()
        .request(&method, &route, status, seconds);
    let outcome = match status {
        100..=399 => "ok",
        401 | 403 => "refused",
        400..=499 => "invalid",
        _ => "failed",
    };
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, latency_ms = seconds * 1000.0, outcome, "answered");
        } else {
            tracing::info!(status, latency_ms = seconds * 1000.0, outcome, "answered");
        }
    });
    response
}

/// `GET /metrics`: the Prometheus text format. No token: the cluster's scraper reads it on
/// the pod's port, which the ingress does not route and the network policy keeps to the
/// monitoring namespace; nothing in it names a person or a program.
async fn metrics(State(app): State<Shared>) -> Response {
    let metrics = app.engine.metrics();
    if let Some(pool) = app.engine.storage().pool_use() {
        metrics.pool_use(pool);
    }
    metrics.programs_tracked(app.engine.programs_tracked());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}

async fn usage(
    State(app): State<Shared>,
    caller: Caller,
    Body(report): Body<roadbook_protocol::UsageReport>,
) -> Result<Response, ApiError> {
    Ok(Json(app.engine.usage(&caller, report).await?).into_response())
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageQuery {
    since: Option<String>,
}

/// `GET /v1/usage?since=YYYY-MM-DD`: counts by day and kind, for admins.
async fn usage_counts(
    State(app): State<Shared>,
    caller: Caller,
    raw: QueryResult<UsageQuery>,
) -> Result<Response, ApiError> {
    let q = raw.map(|Query(q)| q).map_err(|e| {
        ApiError::bad(format!(
            "the query is not what this server expects ({}): since=YYYY-MM-DD",
            e.body_text()
        ))
    })?;
    if let Some(since) = &q.since
        && chrono::NaiveDate::parse_from_str(since, "%Y-%m-%d").is_err()
    {
        return Err(ApiError::bad(format!(
            "'{since}' is not a date: write since=YYYY-MM-DD"
        )));
    }
    Ok(Json(app.engine.usage_counts(&caller, q.since.as_deref()).await?).into_response())
}
