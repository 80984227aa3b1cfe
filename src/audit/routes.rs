//! `/api/v1/audit-events`: the organization's audit trail, for owners and admins.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::model::{AuditEvent, is_name};
use super::repo::{self, EventFilter};
use crate::auth::{Actor, Role};
use crate::error::{AppError, AppResult};
use crate::http::ApiQuery;
use crate::http::pagination::{Page, PageRequest};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_events))
}

/// Parameters of `GET /audit-events`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAuditEvents {
    /// Only events about this kind of record, such as `user` or `api_key`.
    #[param(pattern = "^[a-z][a-z0-9_.]*$", max_length = 64)]
    pub entity_type: Option<String>,
    /// Only events about this record.
    pub entity_id: Option<Uuid>,
    /// Only events by this user or API key.
    pub actor_id: Option<Uuid>,
    /// Only events about this client (person).
    pub subject_client_id: Option<Uuid>,
    /// Only events with this action, such as `user.updated`.
    #[param(pattern = "^[a-z][a-z0-9_.]*$", max_length = 64)]
    pub action: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `-seq` (newest first, the default) or `seq` (oldest first).
    #[param(pattern = "^-?seq$")]
    pub sort: Option<String>,
    /// Count all matches into `total`.
    pub include_total: Option<bool>,
}

/// Lists the organization's audit events, newest first.
#[utoipa::path(get, path = "", tag = "audit", params(ListAuditEvents),
    responses((status = 200, description = "A page of audit events", body = Page<AuditEvent>)))]
pub async fn list_audit_events(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(params): ApiQuery<ListAuditEvents>,
) -> AppResult<Json<Page<AuditEvent>>> {
    Ok(Json(list(state.db.conn(), &actor, params).await?))
}

/// The caller's organization's audit events (owner and admin), filtered and paged, newest first.
pub async fn list(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    params: ListAuditEvents,
) -> AppResult<Page<AuditEvent>> {
    actor.require(Role::Admin)?;
    for (param, value) in [
        ("entity_type", &params.entity_type),
        ("action", &params.action),
    ] {
        if value.as_deref().is_some_and(|v| !is_name(v)) {
            return Err(AppError::bad_param(
                param,
                "must be 1 to 64 characters of a-z, 0-9, _ and ., starting with a letter",
            ));
        }
    }
    let page = PageRequest::parse(
        &repo::SORT_FIELDS,
        "-seq",
        params.limit,
        params.cursor.as_deref(),
        params.sort.as_deref(),
        params.include_total,
    )?;
    let filter = EventFilter {
        entity_type: params.entity_type,
        entity_id: params.entity_id,
        actor_id: params.actor_id,
        subject_client_id: params.subject_client_id,
        action: params.action,
    };
    repo::list(db, actor.org(), &page, &filter).await
}
