//! `/api/v1/trainers`: everyone on the team reads them; owners and admins manage them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::model::{CreateTrainer, Trainer, UpdateTrainer};
use super::{repo, service};
use crate::auth::Actor;
use crate::error::{AppResult, Problem};
use crate::http::pagination::{Page, PageRequest};
use crate::http::{ApiJson, ApiQuery, IfMatch, created};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_trainers, create_trainer))
        .routes(routes!(get_trainer, update_trainer, delete_trainer))
}

/// Parameters of `GET /trainers`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListTrainers {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `name` (family name first) or `created_at`; `-` for descending. Default `name`.
    #[param(pattern = "^-?(name|created_at)$")]
    pub sort: Option<String>,
    /// Matches the start of the family name or the email, case-insensitively.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Only active (or inactive) trainers.
    pub active: Option<bool>,
    /// Count all matches into `total`.
    pub include_total: Option<bool>,
}

/// Lists the organization's trainers.
#[utoipa::path(get, path = "", tag = "trainers", params(ListTrainers),
    responses((status = 200, description = "A page of trainers", body = Page<Trainer>)))]
pub async fn list_trainers(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(params): ApiQuery<ListTrainers>,
) -> AppResult<Json<Page<Trainer>>> {
    let page = PageRequest::parse(
        &repo::SORT_FIELDS,
        "name",
        params.limit,
        params.cursor.as_deref(),
        params.sort.as_deref(),
        params.include_total,
    )?;
    Ok(Json(
        service::list_trainers(
            state.db.conn(),
            &actor,
            &page,
            params.q.as_deref(),
            params.active,
        )
        .await?,
    ))
}

/// Adds a trainer.
#[utoipa::path(post, path = "", tag = "trainers", request_body = CreateTrainer,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 201, description = "Created", body = Trainer, headers(("Location" = String, description = "The new trainer"))),
        (status = 409, description = "Email taken, or the account is linked to another trainer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_trainer(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(input): ApiJson<CreateTrainer>,
) -> AppResult<Response> {
    let trainer = service::create_trainer(&state.db, &actor, input).await?;
    Ok(created(format!("/api/v1/trainers/{}", trainer.id), trainer))
}

/// One trainer.
#[utoipa::path(get, path = "/{id}", tag = "trainers", params(("id" = Uuid, Path, description = "Trainer id")),
    responses((status = 200, description = "The trainer", body = Trainer)))]
pub async fn get_trainer(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Trainer>> {
    Ok(Json(
        service::get_trainer(state.db.conn(), &actor, id).await?,
    ))
}

/// Changes a trainer. Send the version you read as `If-Match` (or `version`).
#[utoipa::path(patch, path = "/{id}", tag = "trainers", request_body = UpdateTrainer,
    params(
        ("id" = Uuid, Path, description = "Trainer id"),
        ("If-Match" = Option<String>, Header, description = "The version the change is based on"),
    ),
    responses(
        (status = 200, description = "Changed", body = Trainer),
        (status = 409, description = "Email taken, or the account is linked to another trainer", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since that version", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_trainer(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    if_match: IfMatch,
    ApiJson(input): ApiJson<UpdateTrainer>,
) -> AppResult<Json<Trainer>> {
    Ok(Json(
        service::update_trainer(&state.db, &actor, id, if_match, input).await?,
    ))
}

/// Removes a trainer and their client assignments.
#[utoipa::path(delete, path = "/{id}", tag = "trainers", params(("id" = Uuid, Path, description = "Trainer id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_trainer(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<impl IntoResponse> {
    service::delete_trainer(&state.db, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
