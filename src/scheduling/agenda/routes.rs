//! `/api/v1/agenda` (a trainer's or location's day or week) and `/api/v1/clients/{id}/attendance`.

use axum::Json;
use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::model::{Agenda, AgendaParams, Attendance};
use super::service;
use crate::auth::Actor;
use crate::error::AppResult;
use crate::http::ApiQuery;
use crate::state::AppState;

/// The agenda route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_agenda))
}

/// The attendance route, under `/api/v1/clients`.
pub fn attendance_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_attendance))
}

/// A trainer's or a location's day or week.
#[utoipa::path(get, path = "", tag = "scheduling", params(AgendaParams),
    responses(
        (status = 200, description = "The agenda", body = Agenda),
        (status = 404, description = "No such location", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_agenda(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(p): ApiQuery<AgendaParams>,
) -> AppResult<Json<Agenda>> {
    Ok(Json(
        service::get_agenda(state.db.conn(), &actor, &p).await?,
    ))
}

/// A client's attendance history in numbers (staff and above, the client's trainers, the client).
#[utoipa::path(get, path = "/{id}/attendance", tag = "clients", params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 200, description = "Attendance", body = Attendance)))]
pub async fn get_attendance(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Attendance>> {
    Ok(Json(
        service::client_attendance(state.db.conn(), &actor, id).await?,
    ))
}
