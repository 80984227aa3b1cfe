//! `/api/v1/users`: staff and portal accounts, managed by owners and admins.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::model::{CreateUser, UpdateUser, User};
use super::{repo, service};
use crate::auth::{Actor, Role};
use crate::error::{AppResult, Problem};
use crate::http::pagination::{Page, PageRequest};
use crate::http::{ApiJson, ApiQuery, IfMatch, created};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
}

/// Parameters of `GET /users`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsers {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `created_at`, `name` or `email`; `-` for descending. Default `created_at`.
    #[param(pattern = "^-?(created_at|name|email)$")]
    pub sort: Option<String>,
    /// Matches the start of the name or email, case-insensitively.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Only accounts with this role.
    pub role: Option<Role>,
    /// Count all matches into `total`.
    pub include_total: Option<bool>,
}

/// Lists the organization's accounts.
#[utoipa::path(get, path = "", tag = "users", params(ListUsers),
    responses((status = 200, description = "A page of accounts", body = Page<User>)))]
pub async fn list_users(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(params): ApiQuery<ListUsers>,
) -> AppResult<Json<Page<User>>> {
    let page = PageRequest::parse(
        &repo::SORT_FIELDS,
        "created_at",
        params.limit,
        params.cursor.as_deref(),
        params.sort.as_deref(),
        params.include_total,
    )?;
    Ok(Json(
        service::list_users(
            state.db.conn(),
            &actor,
            &page,
            params.q.as_deref(),
            params.role,
        )
        .await?,
    ))
}

/// Creates an account. The role may not be above the caller's own.
#[utoipa::path(post, path = "", tag = "users", request_body = CreateUser,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 201, description = "Created", body = User, headers(("Location" = String, description = "The new account"))),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_user(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(input): ApiJson<CreateUser>,
) -> AppResult<Response> {
    let user = service::create_user(&state.db, &actor, input).await?;
    Ok(created(format!("/api/v1/users/{}", user.id), user))
}

/// One account.
#[utoipa::path(get, path = "/{id}", tag = "users", params(("id" = Uuid, Path, description = "Account id")),
    responses((status = 200, description = "The account", body = User)))]
pub async fn get_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<User>> {
    Ok(Json(service::get_user(state.db.conn(), &actor, id).await?))
}

/// Changes an account. Send the version you read as `If-Match` (or `version`); a stale one is a 412.
#[utoipa::path(patch, path = "/{id}", tag = "users", request_body = UpdateUser,
    params(
        ("id" = Uuid, Path, description = "Account id"),
        ("If-Match" = Option<String>, Header, description = "The version the change is based on"),
    ),
    responses(
        (status = 200, description = "Changed", body = User),
        (status = 409, description = "Email taken, or the last owner would be lost", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The account changed since that version", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    if_match: IfMatch,
    ApiJson(input): ApiJson<UpdateUser>,
) -> AppResult<Json<User>> {
    let expected = if_match.expected(input.version)?;
    Ok(Json(
        service::update_user(&state.db, &actor, id, expected, input).await?,
    ))
}

/// Deletes an account and ends its sessions.
#[utoipa::path(delete, path = "/{id}", tag = "users", params(("id" = Uuid, Path, description = "Account id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "The last owner cannot be deleted", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<impl IntoResponse> {
    service::delete_user(&state.db, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
