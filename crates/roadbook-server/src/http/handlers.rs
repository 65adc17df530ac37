//! One handler per route: each reads what its route takes, asks the engine, and answers; and
//! the request log and metrics around them.

use super::*;

/// Ready when not draining and the database answers. A pool whose connections are all busy is
/// serving, so it counts as ready: saturation must not take every process out of the load
/// balancer at once. The issuer's keys are not waited for (an identity-provider outage would
/// take out every process alike); the body says whether they are loaded.
pub(super) async fn ready(State(app): State<Shared>) -> Response {
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

pub(super) async fn sign_in(State(app): State<Shared>) -> Result<Response, ApiError> {
    match &app.sign_in {
        Some(settings) => Ok(Json(settings).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            codes::NOT_FOUND,
            "this server does not say where to sign in (its ROADBOOK_CLIENT_ID is not set): set the identity provider in Roadbook's settings instead",
        )),
    }
}

pub(super) async fn me(State(app): State<Shared>, caller: Caller) -> Response {
    Json(app.engine.me(&caller)).into_response()
}

pub(super) async fn programs(
    State(app): State<Shared>,
    caller: Caller,
) -> Result<Response, ApiError> {
    Ok(Json(app.engine.programs(&caller).await?).into_response())
}

pub(super) async fn publish(
    State(app): State<Shared>,
    Speaks(version): Speaks,
    caller: Caller,
    Body(request): Body<PublishRequest>,
) -> Result<Response, ApiError> {
    let answer = app.engine.publish(&caller, request).await?;
    Ok((StatusCode::CREATED, Json(answer.for_protocol(version))).into_response())
}

pub(super) async fn join(
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

pub(super) async fn push(
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

pub(super) async fn changes(
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

pub(super) async fn events(
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
pub(super) struct DocumentsQuery {
    #[serde(default)]
    after: u64,
}

pub(super) async fn documents(
    State(app): State<Shared>,
    Path(program): Path<String>,
    caller: Caller,
    raw: QueryResult<DocumentsQuery>,
) -> Result<Response, ApiError> {
    let program = program_id(&program)?;
    let q = query(raw)?;
    Ok(Json(app.engine.documents(&caller, program, q.after).await?).into_response())
}

/// Dependencies between the program and others, judged here where both are.
pub(super) async fn links(
    State(app): State<Shared>,
    Path(program): Path<String>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let program = program_id(&program)?;
    Ok(Json(app.engine.links(&caller, program).await?).into_response())
}

pub(super) async fn share_document(
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
pub(super) struct AuditQuery {
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
pub(super) async fn audit(
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

pub(super) async fn audit_is_read_only() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        codes::BAD_REQUEST,
        "the audit trail is read-only: its events are never changed or deleted (read it with GET /audit)",
    )
}

/// One log line and the metrics for every request: its id, method, route pattern (never the
/// ids in the path), the caller's subject once the token is checked, status, latency and
/// outcome. Never a header's value, a body or a query.
pub(super) async fn observe(State(app): State<Shared>, request: Request, next: Next) -> Response {
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
pub(super) async fn metrics(State(app): State<Shared>) -> Response {
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

pub(super) async fn usage(
    State(app): State<Shared>,
    caller: Caller,
    Body(report): Body<roadbook_protocol::UsageReport>,
) -> Result<Response, ApiError> {
    Ok(Json(app.engine.usage(&caller, report).await?).into_response())
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UsageQuery {
    since: Option<String>,
}

/// `GET /v1/usage?since=YYYY-MM-DD`: counts by day and kind, for admins.
pub(super) async fn usage_counts(
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
