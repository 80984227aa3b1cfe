//! `/api/v1/organization`: the caller's organization and its settings (owner and admin change them).

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{Organization, UpdateOrganization};
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, Problem};
use crate::http::{ApiJson, IfMatch};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_organization, update_organization))
}

/// The caller's organization.
#[utoipa::path(get, path = "", tag = "auth", responses((status = 200, description = "The organization", body = Organization)))]
pub async fn get_organization(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<Organization>> {
    Ok(Json(
        service::get_organization(state.db.conn(), &actor).await?,
    ))
}

/// Changes the organization's settings: name, time zone, currency, locale, cancellation policy and
/// booking window. Owners and admins.
#[utoipa::path(patch, path = "", tag = "auth", request_body = UpdateOrganization,
    params(("If-Match" = Option<String>, Header, description = "The version the change is based on")),
    responses(
        (status = 200, description = "Changed", body = Organization),
        (status = 412, description = "Changed since that version", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_organization(
    State(state): State<AppState>,
    actor: Actor,
    if_match: IfMatch,
    ApiJson(input): ApiJson<UpdateOrganization>,
) -> AppResult<Json<Organization>> {
    let expected = if_match.expected(input.version)?;
    let org = service::update_organization(&state.db, &actor, expected, input).await?;
    Ok(Json(org))
}
