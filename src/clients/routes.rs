//! `/api/v1/clients`: the client file, its trainers, and the list with search and filters.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::model::{Client, ClientStatus, CreateClient, UpdateClient};
use super::repo::{self, ClientFilter};
use super::service;
use crate::auth::{Actor, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::http::pagination::{Page, PageRequest};
use crate::http::{ApiJson, ApiQuery, IfMatch, created};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clients, create_client))
        .routes(routes!(get_client, update_client, delete_client))
        .routes(routes!(assign_trainer))
        .routes(routes!(unassign_trainer))
        .routes(routes!(erase_client))
}

/// Parameters of `GET /clients`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListClients {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `name` (family name first), `created_at` or `updated_at`; `-` for descending. Default `name`.
    #[param(pattern = "^-?(name|created_at|updated_at)$")]
    pub sort: Option<String>,
    /// Matches the start of the first name, family name, full name, email or phone, case-insensitively.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Only this status.
    pub status: Option<ClientStatus>,
    /// Only clients with this tag.
    #[param(max_length = 40)]
    pub tag: Option<String>,
    /// Only clients of this trainer.
    pub trainer_id: Option<Uuid>,
    /// Count all matches into `total`.
    pub include_total: Option<bool>,
}

impl ListClients {
    /// The validated page request and filter.
    pub fn parse(self) -> AppResult<(repo::ClientPageRequest, ClientFilter)> {
        if self.q.as_ref().is_some_and(|q| q.chars().count() > 100) {
            return Err(AppError::bad_param("q", "must be at most 100 characters"));
        }
        if self.tag.as_ref().is_some_and(|t| t.chars().count() > 40) {
            return Err(AppError::bad_param("tag", "must be at most 40 characters"));
        }
        let page = PageRequest::parse(
            &repo::SORT_FIELDS,
            "name",
            self.limit,
            self.cursor.as_deref(),
            self.sort.as_deref(),
            self.include_total,
        )?;
        Ok((
            page,
            ClientFilter {
                q: self.q,
                status: self.status,
                tag: self.tag,
                trainer_id: self.trainer_id,
            },
        ))
    }
}

/// Lists the clients the caller may see (a trainer: their own clients).
#[utoipa::path(get, path = "", tag = "clients", params(ListClients),
    responses((status = 200, description = "A page of clients", body = Page<Client>)))]
pub async fn list_clients(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(params): ApiQuery<ListClients>,
) -> AppResult<Json<Page<Client>>> {
    actor.require(Role::Trainer)?;
    let (page, filter) = params.parse()?;
    let clients = service::list_clients(state.db.conn(), &actor, &page, &filter).await?;
    Ok(Json(clients))
}

/// Adds a client. A trainer's new client is assigned to them.
#[utoipa::path(post, path = "", tag = "clients", request_body = CreateClient,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 201, description = "Created", body = Client, headers(("Location" = String, description = "The new client"))),
        (status = 409, description = "A client with this email exists; `conflicts` names it", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_client(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(input): ApiJson<CreateClient>,
) -> AppResult<Response> {
    let client = service::create_client(&state.db, &actor, input).await?;
    Ok(created(format!("/api/v1/clients/{}", client.id), client))
}

/// One client file.
#[utoipa::path(get, path = "/{id}", tag = "clients", params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 200, description = "The client", body = Client)))]
pub async fn get_client(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Client>> {
    Ok(Json(
        service::get_client(state.db.conn(), &actor, id).await?,
    ))
}

/// Changes a client. Send the version you read as `If-Match` (or `version`); a stale one is a 412.
#[utoipa::path(patch, path = "/{id}", tag = "clients", request_body = UpdateClient,
    params(
        ("id" = Uuid, Path, description = "Client id"),
        ("If-Match" = Option<String>, Header, description = "The version the change is based on"),
    ),
    responses(
        (status = 200, description = "Changed", body = Client),
        (status = 409, description = "Email taken", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since that version", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_client(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    if_match: IfMatch,
    ApiJson(input): ApiJson<UpdateClient>,
) -> AppResult<Json<Client>> {
    let expected = if_match.expected(input.version)?;
    let client = service::update_client(&state.db, &actor, id, expected, input).await?;
    Ok(Json(client))
}

/// Deletes a client and everything held about them (owner, admin). Prefer `erase` for GDPR requests.
#[utoipa::path(delete, path = "/{id}", tag = "clients", params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_client(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<impl IntoResponse> {
    service::delete_client(&state.db, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/clients/{id}/trainers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignTrainer {
    /// The trainer.
    pub trainer_id: Uuid,
    /// primary, secondary, nutrition, physio, ... (default secondary; 1–40 characters).
    #[serde(default)]
    #[schema(max_length = 40)]
    pub role: Option<String>,
}

/// Assigns a trainer to the client (or changes the role of an assignment). Staff and above.
#[utoipa::path(post, path = "/{id}/trainers", tag = "clients", request_body = AssignTrainer,
    params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 200, description = "The client with its trainers", body = Client)))]
pub async fn assign_trainer(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<AssignTrainer>,
) -> AppResult<Json<Client>> {
    let client =
        service::assign_trainer(&state.db, &actor, id, input.trainer_id, input.role).await?;
    Ok(Json(client))
}

/// Removes a trainer from the client. Staff and above.
#[utoipa::path(delete, path = "/{id}/trainers/{trainer_id}", tag = "clients",
    params(("id" = Uuid, Path, description = "Client id"), ("trainer_id" = Uuid, Path, description = "Trainer id")),
    responses((status = 204, description = "Removed")))]
pub async fn unassign_trainer(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, trainer_id)): Path<(Uuid, Uuid)>,
) -> AppResult<impl IntoResponse> {
    service::unassign_trainer(&state.db, &actor, id, trainer_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Erases the client's personal data irreversibly (GDPR right to erasure). Owners and admins. The
/// record stays as an anonymous placeholder so that figures and records the law requires still add up.
#[utoipa::path(post, path = "/{id}/erase", tag = "clients", params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 204, description = "Erased")))]
pub async fn erase_client(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<impl IntoResponse> {
    service::erase_client(&state.db, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
