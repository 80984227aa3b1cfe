//! `GET /api/v1/dashboard`: the key figures of the caller's scope (a trainer sees their own clients),
//! served from the figures cache (current within a second of any change, see [`super::cache`]).

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::Dashboard;
use super::service;
use crate::auth::Actor;
use crate::error::AppResult;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_dashboard))
}

/// The caller's key figures.
#[utoipa::path(get, path = "", tag = "clients",
    responses((status = 200, description = "Key figures for the caller's scope", body = Dashboard)))]
pub async fn get_dashboard(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<Dashboard>> {
    let figures = service::dashboard(&state, &actor).await?;
    Ok(Json(figures.dashboard.clone()))
}
