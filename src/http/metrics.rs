//! `/metrics` in the Prometheus text format.
//!
//! The recorder is process-wide (the `metrics` facade has one global recorder), installed once.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::app::AppState;
use crate::error::AppError;

/// Latency buckets in seconds: fine below 100 ms, where the targets are.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide Prometheus recorder's handle, installing it on first use.
pub fn handle() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    if let Some(h) = HANDLE.get() {
        return Ok(h.clone());
    }
    // One installation at a time: a thread that lost the race used to look for the winner's handle
    // before the winner had stored it, and failed (seen as flaky test start-ups).
    let _installing = INSTALLING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(h) = HANDLE.get() {
        return Ok(h.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)?
        .build_recorder();
    let h = recorder.handle();
    // Another thread may have won the race; then its recorder stays installed and ours is dropped.
    if metrics::set_global_recorder(recorder).is_ok() {
        let _ = HANDLE.set(h);
    }
    HANDLE
        .get()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("a foreign metrics recorder is installed"))
}

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
