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

pub(super) fn program_id(text: &str) -> Result<Id, ApiError> {
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
pub(super) struct ChangesQuery {
    #[serde(default)]
    after: u64,
    limit: Option<usize>,
    /// The history the cursor belongs to (protocol 2).
    history: Option<Id>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EventsQuery {
    #[serde(default)]
    after: u64,
    /// Also answer when the shared archive moves past this position.
    documents_after: Option<u64>,
    /// The history the cursor belongs to (protocol 2).
    history: Option<Id>,
}

type QueryResult<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

pub(super) fn query<T>(raw: QueryResult<T>) -> Result<T, ApiError> {
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
        .route(routes::LINKS, get(links))
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

mod extract;
mod handlers;

use extract::*;
use handlers::*;
