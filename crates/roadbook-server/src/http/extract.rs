//! Who is calling and in which protocol, taken from the request before any handler runs: the
//! token's caller (and a break-glass reason, checked and recorded), the protocol header.

use super::*;

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
pub(super) async fn break_glass(
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
pub(super) async fn protocol(headers: HeaderMap, mut request: Request, next: Next) -> Response {
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
