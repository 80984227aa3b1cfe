//! Notes on a client (`/api/v1/clients/{id}/notes`) and the client timeline
//! (`/api/v1/clients/{id}/timeline`): notes, status changes, trainer assignments and consent changes
//! merged in time order, newest first, with a cursor.

pub mod model;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub use self::model::{
    ConsentRecord, CreateNote, Note, StatusChange, TimelineCursor, TimelineEntry,
};
use super::service;
pub use super::service::{notes_of, timeline};
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::http::pagination::{DEFAULT_LIMIT, MAX_LIMIT, Page};
use crate::http::{ApiJson, ApiQuery, created};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notes, create_note))
        .routes(routes!(get_timeline))
}

/// The notes on a client, pinned first, then newest first.
#[utoipa::path(get, path = "/{id}/notes", tag = "clients", params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 200, description = "Every note on the client", body = Page<Note>)))]
pub async fn list_notes(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Page<Note>>> {
    let db = state.db.conn();
    let scope = service::scope_for_history(db, &actor, id).await?;
    let items = notes_of(db, &scope, id).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
        total: None,
    }))
}

/// Adds a note to a client.
#[utoipa::path(post, path = "/{id}/notes", tag = "clients", request_body = CreateNote,
    params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 201, description = "Created", body = Note, headers(("Location" = String, description = "The client's notes")))))]
pub async fn create_note(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<CreateNote>,
) -> AppResult<Response> {
    let note = service::add_note(&state.db, &actor, id, input).await?;
    Ok(created(format!("/api/v1/clients/{id}/notes"), note))
}

/// Parameters of the timeline.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineParams {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Everything that happened with a client, newest first.
#[utoipa::path(get, path = "/{id}/timeline", tag = "clients",
    params(("id" = Uuid, Path, description = "Client id"), TimelineParams),
    responses((status = 200, description = "A page of the timeline", body = Page<TimelineEntry>)))]
pub async fn get_timeline(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiQuery(params): ApiQuery<TimelineParams>,
) -> AppResult<Json<Page<TimelineEntry>>> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::bad_param(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let before = match params.cursor.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(TimelineCursor::decode(raw)?),
    };
    let db = state.db.conn();
    let scope = service::scope_for_history(db, &actor, id).await?;
    let page = timeline(db, &scope, id, limit, before.map(|c| (c.at, c.id))).await?;
    Ok(Json(page))
}
