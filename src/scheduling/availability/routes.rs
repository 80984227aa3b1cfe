//! `/api/v1/trainers/{id}/working-hours` and `/api/v1/trainers/{id}/time-off`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::model::{CreateTimeOff, TimeOff, WorkingHours};
use super::service;
use crate::auth::Actor;
use crate::error::AppResult;
use crate::http::{ApiJson, created};
use crate::state::AppState;

/// The routes of this module, under `/api/v1/trainers`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_working_hours, set_working_hours))
        .routes(routes!(list_time_off, create_time_off))
        .routes(routes!(delete_time_off))
}

/// A trainer's working hours.
#[utoipa::path(get, path = "/{id}/working-hours", tag = "scheduling", params(("id" = Uuid, Path, description = "Trainer id")),
    responses((status = 200, description = "The week", body = WorkingHours)))]
pub async fn get_working_hours(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<WorkingHours>> {
    Ok(Json(
        service::working_hours(state.db.conn(), &actor, id).await?,
    ))
}

/// Replaces a trainer's working hours.
#[utoipa::path(put, path = "/{id}/working-hours", tag = "scheduling", request_body = WorkingHours,
    params(("id" = Uuid, Path, description = "Trainer id")),
    responses((status = 200, description = "The new week", body = WorkingHours)))]
pub async fn set_working_hours(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<WorkingHours>,
) -> AppResult<Json<WorkingHours>> {
    service::set_hours(&state.db, &actor, id, &input).await?;
    Ok(Json(
        service::working_hours(state.db.conn(), &actor, id).await?,
    ))
}

/// A trainer's time off, soonest first.
#[utoipa::path(get, path = "/{id}/time-off", tag = "scheduling", params(("id" = Uuid, Path, description = "Trainer id")),
    responses((status = 200, description = "Periods away", body = [TimeOff])))]
pub async fn list_time_off(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Vec<TimeOff>>> {
    Ok(Json(service::time_off(state.db.conn(), &actor, id).await?))
}

/// Adds time off.
#[utoipa::path(post, path = "/{id}/time-off", tag = "scheduling", request_body = CreateTimeOff,
    params(("id" = Uuid, Path, description = "Trainer id")),
    responses((status = 201, description = "Added", body = TimeOff, headers(("Location" = String, description = "The trainer's time off")))))]
pub async fn create_time_off(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<CreateTimeOff>,
) -> AppResult<Response> {
    let t = service::add_time_off(&state.db, &actor, id, input).await?;
    Ok(created(format!("/api/v1/trainers/{id}/time-off"), t))
}

/// Removes time off.
#[utoipa::path(delete, path = "/{id}/time-off/{time_off_id}", tag = "scheduling",
    params(("id" = Uuid, Path, description = "Trainer id"), ("time_off_id" = Uuid, Path, description = "Time off id")),
    responses((status = 204, description = "Removed")))]
pub async fn delete_time_off(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, time_off_id)): Path<(Uuid, Uuid)>,
) -> AppResult<impl IntoResponse> {
    service::remove_time_off(&state.db, &actor, id, time_off_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
