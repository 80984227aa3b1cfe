//! `POST /api/v1/{trainers,clients,locations}/{id}/calendar-feed` (create or rotate a feed) and
//! `GET /calendar/{secret}.ics` (the calendar itself).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::model::FeedUrl;
use super::{ics, service};
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::http::idempotency::shown_once;
use crate::state::AppState;

/// `POST /api/v1/trainers/{id}/calendar-feed`.
pub fn trainer_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(trainer_feed))
}
/// `POST /api/v1/clients/{id}/calendar-feed`.
pub fn client_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(client_feed))
}
/// `POST /api/v1/locations/{id}/calendar-feed`.
pub fn location_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(location_feed))
}
/// `GET /calendar/{secret}.ics`.
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(serve_feed))
}

/// Where feed addresses point: the configured public URL, else the request's host (and `https` when
/// a proxy says so).
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(base) = &state.config.public_url {
        return base.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// Creates or rotates a trainer's feed (staff and above, or the trainer themself).
#[utoipa::path(post, path = "/{id}/calendar-feed", tag = "scheduling", params(("id" = Uuid, Path, description = "Trainer id")),
    responses((status = 200, description = "The feed's URL", body = FeedUrl)))]
pub async fn trainer_feed(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    let base = base_url(&state, &headers);
    Ok(shown_once(Json(
        service::rotate_trainer_feed(&state.db, &actor, id, &base).await?,
    )))
}

/// Creates or rotates a client's feed (staff and above, or the client themself).
#[utoipa::path(post, path = "/{id}/calendar-feed", tag = "scheduling", params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 200, description = "The feed's URL", body = FeedUrl)))]
pub async fn client_feed(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    let base = base_url(&state, &headers);
    Ok(shown_once(Json(
        service::rotate_client_feed(&state.db, &actor, id, &base).await?,
    )))
}

/// Creates or rotates a location's feed (staff and above).
#[utoipa::path(post, path = "/{id}/calendar-feed", tag = "scheduling", params(("id" = Uuid, Path, description = "Location id")),
    responses((status = 200, description = "The feed's URL", body = FeedUrl)))]
pub async fn location_feed(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    let base = base_url(&state, &headers);
    Ok(shown_once(Json(
        service::rotate_location_feed(&state.db, &actor, id, &base).await?,
    )))
}

/// The calendar behind a secret feed URL (RFC 5545). Unknown or rotated secrets are a 404.
#[utoipa::path(get, path = "/calendar/{file}", tag = "scheduling",
    params(("file" = String, Path, description = "`<secret>.ics`")),
    responses(
        (status = 200, description = "The calendar", content_type = "text/calendar", body = String),
        (status = 404, description = "Unknown or rotated feed", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn serve_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> AppResult<Response> {
    let secret = file.strip_suffix(".ics").ok_or(AppError::NotFound)?;
    let calendar = service::calendar_for_secret(state.db.conn(), secret).await?;
    let mut response = ics::render(&calendar).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    Ok(response)
}
