//! `/api/v1/api-keys`: long-lived credentials for integrations, managed by owners and admins.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::repo::{self, ApiKeyRecord};
use super::{Actor, Role};
use crate::audit::{self, Event};
use crate::db::Db;
use crate::db::changes::Change;
use crate::error::{AppError, AppResult};
use crate::http::idempotency::shown_once;
use crate::http::pagination::Page;
use crate::http::{ApiJson, created};
use crate::state::AppState;
use crate::users::model::parse_text;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(delete_api_key))
}

/// An API key, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    /// Id.
    pub id: Uuid,
    /// What it is for.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    /// The account that created it.
    pub created_by: Option<Uuid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last use (recorded at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRecord> for ApiKey {
    fn from(r: ApiKeyRecord) -> Self {
        Self {
            id: r.model.id,
            name: r.model.name,
            role: r.role,
            prefix: r.model.prefix,
            created_by: r.model.created_by,
            created_at: r.model.created_at,
            last_used_at: r.model.last_used_at,
        }
    }
}

/// A newly created key, with its secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key.
    #[serde(flatten)]
    pub key: ApiKey,
    /// Send as `Authorization: Bearer <secret>`. It cannot be shown again.
    pub secret: String,
}

/// `POST /api/v1/api-keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// What it is for, 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// What it may do; not above the caller's own role.
    pub role: Role,
}

/// The organization's keys.
#[utoipa::path(get, path = "", tag = "api-keys",
    responses((status = 200, description = "Every key that is not revoked, newest first", body = Page<ApiKey>)))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<Page<ApiKey>>> {
    actor.require(Role::Admin)?;
    let items = repo::list_api_keys(state.db.conn(), actor.org())
        .await?
        .into_iter()
        .map(ApiKey::from)
        .collect();
    Ok(Json(Page {
        items,
        next_cursor: None,
        total: None,
    }))
}

/// Creates a key; its secret is in this response only.
#[utoipa::path(post, path = "", tag = "api-keys", request_body = CreateApiKey,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, description = "Created", body = CreatedApiKey, headers(("Location" = String, description = "The new key")))))]
pub async fn create_api_key(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(input): ApiJson<CreateApiKey>,
) -> AppResult<Response> {
    let created_key = create(&state.db, &actor, &input.name, input.role).await?;
    Ok(shown_once(created(
        format!("/api/v1/api-keys/{}", created_key.key.id),
        created_key,
    )))
}

/// Revokes a key at once.
#[utoipa::path(delete, path = "/{id}", tag = "api-keys", params(("id" = Uuid, Path, description = "Key id")),
    responses((status = 204, description = "Revoked")))]
pub async fn delete_api_key(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<impl IntoResponse> {
    revoke(&state.db, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates a key for the caller's organization; its secret is returned this once. Nobody creates a key
/// with a role above their own.
pub async fn create(db: &Db, actor: &Actor, name: &str, role: Role) -> AppResult<CreatedApiKey> {
    actor.require(Role::Admin)?;
    if !actor.role().may_grant(role) {
        return Err(AppError::Forbidden(format!(
            "A {} cannot grant the {} role.",
            actor.role(),
            role
        )));
    }
    let name = parse_text(name, 100).map_err(|m| AppError::field("name", m))?;
    let txn = db.begin_write().await?;
    let (record, secret) =
        repo::create_api_key(&txn, actor.org(), name, role, actor.user_id()).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("api_key.created", "api_key", Some(record.model.id))
            .with_fields(["name", "role"]),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedApiKey {
        key: ApiKey::from(record),
        secret,
    })
}

/// Revokes a key at once; nobody revokes a key with a role above their own.
pub async fn revoke(db: &Db, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require(Role::Admin)?;
    let txn = db.begin_write().await?;
    let key = repo::get_api_key(&txn, actor.org(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !actor.role().at_least(key.role) {
        return Err(AppError::Forbidden(format!(
            "A {} cannot revoke a {} key.",
            actor.role(),
            key.role
        )));
    }
    repo::revoke_api_key(&txn, actor.org(), id).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("api_key.revoked", "api_key", Some(id)),
    )
    .await?;
    txn.commit().await?;
    db.changed(Change::ApiKey(id));
    Ok(())
}
