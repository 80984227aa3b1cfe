//! `/api/v1/sessions`: one-to-one appointments — booking with conflict and working-hours checks,
//! moving, the status lifecycle, cancellation under the organization's policy, and check-in.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::model::{
    BookingOverrides, CheckIn, CreateSession, ListSessions, Session, UpdateSession,
};
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, Problem};
use crate::http::pagination::Page;
use crate::http::{ApiJson, ApiQuery, IfMatch, created};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sessions, create_session))
        .routes(routes!(get_session, update_session))
        .routes(routes!(cancel_session))
        .routes(routes!(check_in_session))
}

/// Books a session.
#[utoipa::path(post, path = "", tag = "scheduling", request_body = CreateSession, params(BookingOverrides),
    responses(
        (status = 201, description = "Booked", body = Session, headers(("Location" = String, description = "The session"))),
        (status = 409, description = "The trainer or client is busy; `conflicts` lists what is in the way", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_session(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(overrides): ApiQuery<BookingOverrides>,
    ApiJson(input): ApiJson<CreateSession>,
) -> AppResult<Response> {
    let session = service::create_session(&state.db, &actor, input, &overrides).await?;
    Ok(created(format!("/api/v1/sessions/{}", session.id), session))
}

/// Lists sessions by start time.
#[utoipa::path(get, path = "", tag = "scheduling", params(ListSessions),
    responses((status = 200, description = "A page of sessions", body = Page<Session>)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(p): ApiQuery<ListSessions>,
) -> AppResult<Json<Page<Session>>> {
    Ok(Json(
        service::list_sessions(state.db.conn(), &actor, &p).await?,
    ))
}

/// One session.
#[utoipa::path(get, path = "/{id}", tag = "scheduling", params(("id" = Uuid, Path, description = "Session id")),
    responses((status = 200, description = "The session", body = Session)))]
pub async fn get_session(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Session>> {
    Ok(Json(
        service::get_session(state.db.conn(), &actor, id).await?,
    ))
}

/// Moves or changes a session (staff and above, or its trainer). A move is checked like a booking;
/// a session that is not scheduled cannot move.
#[utoipa::path(patch, path = "/{id}", tag = "scheduling", request_body = UpdateSession,
    params(("id" = Uuid, Path, description = "Session id"), ("If-Match" = Option<String>, Header, description = "The version the change is based on"), BookingOverrides),
    responses(
        (status = 200, description = "Changed", body = Session),
        (status = 409, description = "The new time conflicts", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since that version", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_session(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    if_match: IfMatch,
    ApiQuery(overrides): ApiQuery<BookingOverrides>,
    ApiJson(input): ApiJson<UpdateSession>,
) -> AppResult<Json<Session>> {
    let expected = if_match.expected(input.version)?;
    Ok(Json(
        service::update_session(&state.db, &actor, id, expected, input, &overrides).await?,
    ))
}

/// Cancels a session. Clients may cancel their own when the organization allows it; a cancellation
/// inside the late window is recorded as late.
#[utoipa::path(post, path = "/{id}/cancel", tag = "scheduling", params(("id" = Uuid, Path, description = "Session id"), BookingOverrides),
    responses((status = 200, description = "Cancelled", body = Session)))]
pub async fn cancel_session(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiQuery(options): ApiQuery<BookingOverrides>,
) -> AppResult<Json<Session>> {
    Ok(Json(
        service::cancel_session(&state.db, &actor, id, &options).await?,
    ))
}

/// Checks the client in.
#[utoipa::path(post, path = "/{id}/check-in", tag = "scheduling", request_body = CheckIn,
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 200, description = "Checked in", body = Session),
        (status = 429, description = "Too many wrong codes for this session or from this address", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn check_in_session(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<CheckIn>,
) -> AppResult<Json<Session>> {
    let check_in = service::check_in_session(&state.db, &actor, id, &input);
    Ok(Json(
        state
            .guard
            .checking_code(
                id,
                actor.audit.ip.as_deref(),
                input.code.is_some(),
                check_in,
            )
            .await?,
    ))
}
