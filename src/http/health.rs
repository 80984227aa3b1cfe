//! `/health/live` and `/health/ready`.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// How long one readiness check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The health of the process and its dependencies.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `live`, `ready` or `unavailable`.
    pub status: String,
    /// Each dependency: `ok` or what is wrong.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, String>,
}

/// The process is running.
#[utoipa::path(get, path = "/health/live", tag = "operations",
    responses((status = 200, description = "The process runs", body = Health)))]
pub async fn live() -> Json<Health> {
    Json(Health {
        status: "live".into(),
        checks: BTreeMap::new(),
    })
}

/// The process can serve requests: the database (and Redis, when configured) answer.
#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "A dependency is down", body = Health),
    ))]
pub async fn ready(State(state): State<AppState>) -> Response {
    let mut checks = BTreeMap::new();
    let mut ok = true;
    let db = check(state.db.ping()).await;
    ok &= db == "ok";
    checks.insert("database".to_owned(), db);
    if let Some(redis) = &state.redis {
        let mut conn = redis.clone();
        let cmd = redis::cmd("PING");
        // Reported, but not a condition of readiness: without Redis the process runs on in-process
        // state (rate limits, caches), and the lazy connection comes back by itself.
        let r = check(cmd.query_async::<String>(&mut conn)).await;
        checks.insert("redis".to_owned(), r);
    }
    let (status, word) = if ok {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    (
        status,
        Json(Health {
            status: word.into(),
            checks,
        }),
    )
        .into_response()
}

/// Runs one dependency check with a time limit: `ok`, `unavailable` or `timeout`.
async fn check<T, E: std::fmt::Display>(
    probe: impl std::future::Future<Output = Result<T, E>>,
) -> String {
    match tokio::time::timeout(CHECK_TIMEOUT, probe).await {
        Ok(Ok(_)) => "ok".to_owned(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            "unavailable".to_owned()
        }
        Err(_) => "timeout".to_owned(),
    }
}
