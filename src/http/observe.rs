//! The outermost middleware (`observe`): request id, one access-log line per request and HTTP metrics;
//! and, just inside compression, `problems`: the rendering of problem+json bodies (with the request id)
//! for every error response, including those made by axum and tower layers (404, 405, 413, timeouts)
//! that know nothing about problems.
//!
//! It also runs the rest of the stack in its own task, so a client that disconnects cannot cancel a
//! request half-way: the work completes or rolls back as it would have, and only the answer is lost.
//! The request timeout is applied here, outside that task, for the same reason: a request still
//! running after `request_timeout` is answered 503 while its task runs on to commit or roll back.
//! (sqlx 0.9 can return a pooled connection in the middle of a transaction when a `BEGIN` is
//! cancelled; a request future that is never cancelled never hits that.)

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use crate::error::{AppError, InternalCause, Problem, problem};

/// The request id header, echoed on every response.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Identifiers the access log may show (never names or emails).
#[derive(Debug, Clone, Copy)]
pub struct LogIdentity {
    /// Organization id.
    pub org_id: uuid::Uuid,
    /// User or API key id.
    pub principal_id: uuid::Uuid,
}

/// The id of the current request, in the request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// See the module documentation. The state is the request timeout.
pub async fn observe(State(timeout): State<Duration>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_safe_request_id(v))
        .map_or_else(|| uuid::Uuid::now_v7().simple().to_string(), str::to_owned);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());

    let task = tokio::spawn(next.run(req));
    let mut response = match tokio::time::timeout(timeout, task).await {
        Ok(Ok(response)) => response,
        Ok(Err(join_error)) => {
            let error =
                AppError::Internal(anyhow::anyhow!("request handler panicked: {join_error}"));
            finish_problem(error.into_response(), &request_id).await
        }
        Err(_) => {
            // The task is not cancelled: dropping its handle detaches it, and it finishes alone.
            tracing::warn!(request.id = %request_id, http.route = %route, "request timed out; its work finishes in the background");
            let error = AppError::Unavailable(
                "The request took too long to answer. What it started still completes or is undone as a whole; check before retrying."
                    .into(),
            );
            finish_problem(error.into_response(), &request_id).await
        }
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID.clone(), v);
    }

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let identity = response.extensions().get::<LogIdentity>().copied();
    let org_id = identity.map(|i| i.org_id.to_string()).unwrap_or_default();
    let principal_id = identity
        .map(|i| i.principal_id.to_string())
        .unwrap_or_default();
    if let Some(InternalCause(cause)) = response.extensions().get::<InternalCause>() {
        tracing::error!(request.id = %request_id, http.route = %route, error.cause = %cause, "request failed");
    }
    tracing::info!(
        request.id = %request_id,
        http.method = %method,
        http.route = %route,
        http.status = status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        org.id = %org_id,
        user.id = %principal_id,
        "request"
    );
    let labels = [
        ("method", method.to_string()),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!("fitnesscrm_http_requests_total", &labels).increment(1);
    metrics::histogram!("fitnesscrm_http_request_duration_seconds", &labels)
        .record(elapsed.as_secs_f64());
    response
}

fn is_safe_request_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Renders the problem of an error response with the request id, and gives error responses made by
/// axum and tower layers a problem body of their own. It sits inside the compression layer, so the
/// body it writes is the one that gets compressed.
pub async fn problems(req: Request, next: Next) -> Response {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let response = next.run(req).await;
    finish_problem(response, &request_id).await
}

async fn finish_problem(response: Response, request_id: &str) -> Response {
    let status = response.status();
    if let Some(p) = response.extensions().get::<Problem>().cloned() {
        return render(response, p, request_id);
    }
    if status.as_u16() < 400 || is_problem(&response) || is_json(&response) || is_html(&response) {
        // Successes, problems, deliberate JSON error bodies (an import report) and the web UI's
        // error pages pass unchanged.
        return response;
    }
    let (parts, body) = response.into_parts();
    // Error bodies from axum and tower layers are short plain text: keep it as the detail.
    let detail = match body.collect().await {
        Ok(collected) => String::from_utf8_lossy(&collected.to_bytes())
            .trim()
            .to_owned(),
        Err(_) => String::new(),
    };
    let detail = match status {
        StatusCode::NOT_FOUND => "No such resource.".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "This path does not accept this method.".to_owned(),
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE if detail.is_empty() => {
            "The request took too long and was stopped.".to_owned()
        }
        _ if detail.is_empty() => status.canonical_reason().unwrap_or("Error").to_owned(),
        _ => detail,
    };
    let response = Response::from_parts(parts, Body::empty());
    render(
        response,
        problem(status, Some(detail), None, None),
        request_id,
    )
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"))
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"))
}

fn is_problem(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/problem+json"))
}

fn render(response: Response, mut p: Problem, request_id: &str) -> Response {
    p.request_id = request_id.to_owned();
    let (mut parts, _) = response.into_parts();
    let body = serde_json::to_vec(&p).unwrap_or_default();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.extensions.remove::<Problem>();
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_request_ids_are_echoed() {
        assert!(is_safe_request_id("abc-123_x.y"));
        assert!(!is_safe_request_id(""));
        assert!(!is_safe_request_id("a b"));
        assert!(!is_safe_request_id(&"a".repeat(65)));
        assert!(!is_safe_request_id("<script>"));
    }
}
