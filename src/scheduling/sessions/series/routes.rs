//! `/api/v1/session-series`: creating a recurring series and reading it back with its sessions.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::model::{CreateSeries, SeriesWithSessions};
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, Problem};
use crate::http::{ApiJson, ApiQuery, created};
use crate::scheduling::sessions::model::BookingOverrides;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_series))
        .routes(routes!(get_series))
}

/// Creates a series: every occurrence is checked (conflicts, working hours) before anything is written.
#[utoipa::path(post, path = "", tag = "scheduling", request_body = CreateSeries, params(BookingOverrides),
    responses(
        (status = 201, description = "The series and its sessions", body = SeriesWithSessions, headers(("Location" = String, description = "The series"))),
        (status = 409, description = "Occurrences conflict; `conflicts` lists each with `occurrence_starts_at`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_series(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(overrides): ApiQuery<BookingOverrides>,
    ApiJson(input): ApiJson<CreateSeries>,
) -> AppResult<Response> {
    let body = service::create_series(&state.db, &actor, input, &overrides).await?;
    Ok(created(
        format!("/api/v1/session-series/{}", body.series.id),
        body,
    ))
}

/// A series and its sessions.
#[utoipa::path(get, path = "/{id}", tag = "scheduling", params(("id" = Uuid, Path, description = "Series id")),
    responses((status = 200, description = "The series", body = SeriesWithSessions)))]
pub async fn get_series(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<SeriesWithSessions>> {
    Ok(Json(
        service::get_series(state.db.conn(), &actor, id).await?,
    ))
}
