//! The positive control of `scripts/sqlmap` (issue #11): the product as `fitnesscrm serve` runs it
//! (the library's `cli::serve_with`; configured by the environment only: `DATABASE_URL`,
//! `FITNESSCRM_LISTEN`, ...), plus one route that is injectable on purpose,
//! `GET /control/clients?name=...`: it pastes `name` into the text of a query on the product's own
//! database connection. sqlmap must find it; if it does not, the harness is broken and its "nothing
//! found" on the real endpoints proves nothing.
//!
//! An example, so that `cargo build --all-targets` builds it and nothing ships it: the product binary
//! has no such route.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use fitnesscrm::app::AppState;
use fitnesscrm::config::Config;
use sea_orm::{ConnectionTrait, Statement};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct NameQuery {
    #[serde(default)]
    name: String,
}

/// `GET /control/clients?name=...`: the clients of every organization with that family name,
/// found by SQL text built by string concatenation — the mistake sqlmap exists to find. A query
/// that fails is a bare 500, as the product answers one (no database message for error-based
/// detection to read).
async fn injectable_clients(
    State(state): State<AppState>,
    Query(query): Query<NameQuery>,
) -> Response {
    let db = state.db.conn();
    let sql = format!(
        "SELECT first_name, last_name FROM clients WHERE last_name = '{}' ORDER BY first_name",
        query.name
    );
    match db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
    {
        Ok(rows) => {
            let names: Vec<_> = rows
                .iter()
                .map(|row| {
                    json!({
                        "first_name": row.try_get_by_index::<String>(0).ok(),
                        "last_name": row.try_get_by_index::<String>(1).ok(),
                    })
                })
                .collect();
            Json(json!({ "items": names })).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(None)?;
    let _log_writer = fitnesscrm::telemetry::init(&config);
    let control = Router::new().route("/control/clients", get(injectable_clients));
    fitnesscrm::cli::serve_with(config, control).await
}
