//! `/api/v1/locations`: rooms and branches, each with its time zone.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::model::{Location, LocationInput};
use super::service;
use crate::auth::Actor;
use crate::error::AppResult;
use crate::http::pagination::Page;
use crate::http::{ApiJson, IfMatch, created};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_locations, create_location))
        .routes(routes!(get_location, update_location, delete_location))
}

/// Every location, by name.
#[utoipa::path(get, path = "", tag = "scheduling", responses((status = 200, description = "The locations", body = Page<Location>)))]
pub async fn list_locations(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<Page<Location>>> {
    Ok(Json(Page {
        items: service::list_locations(state.db.conn(), &actor).await?,
        next_cursor: None,
        total: None,
    }))
}

/// Adds a location (owner, admin).
#[utoipa::path(post, path = "", tag = "scheduling", request_body = LocationInput,
    responses((status = 201, description = "Created", body = Location, headers(("Location" = String, description = "The new location")))))]
pub async fn create_location(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(input): ApiJson<LocationInput>,
) -> AppResult<Response> {
    let location = service::create_location(&state.db, &actor, input).await?;
    Ok(created(
        format!("/api/v1/locations/{}", location.id),
        location,
    ))
}

/// One location.
#[utoipa::path(get, path = "/{id}", tag = "scheduling", params(("id" = Uuid, Path, description = "Location id")),
    responses((status = 200, description = "The location", body = Location)))]
pub async fn get_location(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Location>> {
    Ok(Json(
        service::get_location(state.db.conn(), &actor, id).await?,
    ))
}

/// Changes a location (owner, admin).
#[utoipa::path(patch, path = "/{id}", tag = "scheduling", request_body = LocationInput,
    params(("id" = Uuid, Path, description = "Location id"), ("If-Match" = Option<String>, Header, description = "The version the change is based on")),
    responses((status = 200, description = "Changed", body = Location)))]
pub async fn update_location(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    if_match: IfMatch,
    ApiJson(input): ApiJson<LocationInput>,
) -> AppResult<Json<Location>> {
    Ok(Json(
        service::update_location(&state.db, &actor, id, if_match, input).await?,
    ))
}

/// Removes a location (owner, admin). Sessions and classes there keep their times but lose the place.
#[utoipa::path(delete, path = "/{id}", tag = "scheduling", params(("id" = Uuid, Path, description = "Location id")),
    responses((status = 204, description = "Removed")))]
pub async fn delete_location(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<impl IntoResponse> {
    service::delete_location(&state.db, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
