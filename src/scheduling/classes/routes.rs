//! `/api/v1/classes`: group classes, their bookings and waitlists, and check-in. Each handler parses
//! the request, calls the service with the caller as an [`Actor`] and answers with the DTO.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::model::{BookClass, Booking, Class, CreateClass, ListClasses};
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, Problem};
use crate::http::pagination::Page;
use crate::http::{ApiJson, ApiQuery, created};
use crate::scheduling::sessions::CheckIn;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_classes, create_class))
        .routes(routes!(get_class))
        .routes(routes!(cancel_class))
        .routes(routes!(list_bookings, book_class))
        .routes(routes!(cancel_booking))
        .routes(routes!(check_in_booking))
}

/// Schedules a class (staff and above, or the trainer for themself). The trainer must be free.
#[utoipa::path(post, path = "", tag = "scheduling", request_body = CreateClass,
    responses(
        (status = 201, description = "Scheduled", body = Class, headers(("Location" = String, description = "The class"))),
        (status = 409, description = "The trainer is busy then", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_class(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(input): ApiJson<CreateClass>,
) -> AppResult<Response> {
    let class = service::create_class(&state.db, &actor, input).await?;
    Ok(created(format!("/api/v1/classes/{}", class.id), class))
}

/// The class schedule (every member of the organization sees it), by start time.
#[utoipa::path(get, path = "", tag = "scheduling", params(ListClasses),
    responses((status = 200, description = "A page of classes", body = Page<Class>)))]
pub async fn list_classes(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(p): ApiQuery<ListClasses>,
) -> AppResult<Json<Page<Class>>> {
    Ok(Json(
        service::list_classes(state.db.conn(), &actor, p).await?,
    ))
}

/// One class.
#[utoipa::path(get, path = "/{id}", tag = "scheduling", params(("id" = Uuid, Path, description = "Class id")),
    responses((status = 200, description = "The class", body = Class)))]
pub async fn get_class(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Class>> {
    Ok(Json(service::get_class(state.db.conn(), &actor, id).await?))
}

/// Cancels a class and every booking on it (staff and above, or its trainer).
#[utoipa::path(post, path = "/{id}/cancel", tag = "scheduling", params(("id" = Uuid, Path, description = "Class id")),
    responses((status = 200, description = "Cancelled", body = Class)))]
pub async fn cancel_class(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Class>> {
    Ok(Json(service::cancel_class(&state.db, &actor, id).await?))
}

/// Books a place: `booked` while places are free, then `waitlisted` with a position while the waitlist
/// has room, else 409. Clients book for themselves inside the booking window; staff book for anyone.
#[utoipa::path(post, path = "/{id}/bookings", tag = "scheduling", request_body = BookClass,
    params(("id" = Uuid, Path, description = "Class id")),
    responses(
        (status = 201, description = "Booked or waitlisted", body = Booking, headers(("Location" = String, description = "The class's bookings"))),
        (status = 409, description = "Already booked, class and waitlist full, or a clash with another booking", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn book_class(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<BookClass>,
) -> AppResult<Response> {
    let booking = service::book_class(&state.db, &actor, id, input).await?;
    Ok(created(format!("/api/v1/classes/{id}/bookings"), booking))
}

/// The roster: booked, waitlisted (in order) and cancelled. A client sees only their own booking.
#[utoipa::path(get, path = "/{id}/bookings", tag = "scheduling", params(("id" = Uuid, Path, description = "Class id")),
    responses((status = 200, description = "The roster", body = Page<Booking>)))]
pub async fn list_bookings(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Page<Booking>>> {
    Ok(Json(Page {
        items: service::list_bookings(state.db.conn(), &actor, id).await?,
        next_cursor: None,
        total: None,
    }))
}

/// Cancels a booking. A booked place goes to the first client on the waitlist in the same transaction.
/// Clients cancel their own when the organization allows it; late cancellations are recorded as such.
#[utoipa::path(delete, path = "/{id}/bookings/{booking_id}", tag = "scheduling",
    params(("id" = Uuid, Path, description = "Class id"), ("booking_id" = Uuid, Path, description = "Booking id")),
    responses((status = 204, description = "Cancelled")))]
pub async fn cancel_booking(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, booking_id)): Path<(Uuid, Uuid)>,
) -> AppResult<impl IntoResponse> {
    service::cancel_booking(&state.db, &actor, id, booking_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks a booked client in.
#[utoipa::path(post, path = "/{id}/bookings/{booking_id}/check-in", tag = "scheduling", request_body = CheckIn,
    params(("id" = Uuid, Path, description = "Class id"), ("booking_id" = Uuid, Path, description = "Booking id")),
    responses(
        (status = 200, description = "Checked in", body = Booking),
        (status = 429, description = "Too many wrong codes for this class or from this address", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn check_in_booking(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, booking_id)): Path<(Uuid, Uuid)>,
    ApiJson(input): ApiJson<CheckIn>,
) -> AppResult<Json<Booking>> {
    let check_in = service::check_in_booking(&state.db, &actor, id, booking_id, &input);
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
