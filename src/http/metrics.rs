//! `/metrics` in the Prometheus text format.
//!
//! The recorder is process-wide (the `metrics` facade has one global recorder), installed once by
//! [`crate::telemetry::metrics_handle`].

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::error::AppError;
use crate::state::AppState;

/// Prometheus metrics: requests by route and status, latency, pool usage, build info.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain", body = String),
        (status = 401, description = "A metrics token is configured and was not sent", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(sent.as_bytes().ct_eq(token.expose_secret().as_bytes())) {
            return AppError::Unauthorized("Send Authorization: Bearer <metrics token>.".into())
                .into_response();
        }
    }
    let (in_use, idle) = state.db.pool_stats();
    metrics::gauge!("fitnesscrm_db_pool_connections", "state" => "in_use").set(f64::from(in_use));
    metrics::gauge!("fitnesscrm_db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("fitnesscrm_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
