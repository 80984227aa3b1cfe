//! `/api/v1/organization`: the caller's organization and its settings (owner and admin change them).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{Organization, parse_currency, parse_locale, parse_org_name, parse_timezone};
use super::repo::{self, OrganizationChanges};
use crate::audit::{self, Audit, AuditContext, Event};
use crate::auth::{CurrentUser, Role};
use crate::db::Db;
use crate::error::{AppError, AppResult, FieldErrors, Problem};
use crate::http::{ApiJson, IfMatch};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_organization, update_organization))
}

/// `PATCH /api/v1/organization`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    /// 1–200 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// IANA time zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// ISO 4217 code.
    #[serde(default)]
    pub currency: Option<String>,
    /// BCP 47 locale.
    #[serde(default)]
    pub locale: Option<String>,
    /// 0–168 hours.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 168)]
    pub late_cancel_hours: Option<i32>,
    /// Whether clients may cancel themselves.
    #[serde(default)]
    pub clients_may_cancel: Option<bool>,
    /// 1–365 days.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 365)]
    pub booking_opens_days: Option<i32>,
    /// 0–1440 minutes.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1440)]
    pub booking_closes_minutes: Option<i32>,
    /// The version the change is based on.
    #[serde(default)]
    pub version: Option<i64>,
}

fn bounded(
    errors: &mut FieldErrors,
    field: &str,
    v: Option<i32>,
    min: i32,
    max: i32,
) -> Option<i32> {
    match v {
        Some(x) if !(min..=max).contains(&x) => {
            errors.add(field, format!("must be between {min} and {max}"));
            None
        }
        other => other,
    }
}

/// The caller's organization.
#[utoipa::path(get, path = "", tag = "auth", responses((status = 200, description = "The organization", body = Organization)))]
pub async fn get_organization(
    State(state): State<AppState>,
    caller: CurrentUser,
) -> AppResult<Json<Organization>> {
    repo::get(state.db.conn(), caller.org)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound)
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
    caller: CurrentUser,
    Audit(ctx): Audit,
    if_match: IfMatch,
    ApiJson(input): ApiJson<UpdateOrganization>,
) -> AppResult<Json<Organization>> {
    let expected = if_match.expected(input.version)?;
    let org = update(&state.db, &caller, &ctx, expected, input).await?;
    Ok(Json(org))
}

/// Changes the organization's settings (owner and admin), every field validated at once, checking the
/// version the change is based on.
pub async fn update(
    db: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    expected: Option<i64>,
    input: UpdateOrganization,
) -> AppResult<Organization> {
    caller.role.require(Role::Admin)?;
    let mut e = FieldErrors::new();
    let changes = OrganizationChanges {
        name: input.name.and_then(|v| e.check("name", parse_org_name(&v))),
        timezone: input
            .timezone
            .and_then(|v| e.check("timezone", parse_timezone(&v))),
        currency: input
            .currency
            .and_then(|v| e.check("currency", parse_currency(&v))),
        locale: input
            .locale
            .and_then(|v| e.check("locale", parse_locale(&v))),
        late_cancel_hours: bounded(&mut e, "late_cancel_hours", input.late_cancel_hours, 0, 168),
        clients_may_cancel: input.clients_may_cancel,
        booking_opens_days: bounded(
            &mut e,
            "booking_opens_days",
            input.booking_opens_days,
            1,
            365,
        ),
        booking_closes_minutes: bounded(
            &mut e,
            "booking_closes_minutes",
            input.booking_closes_minutes,
            0,
            1440,
        ),
    };
    let changes = e.into_result(changes)?;
    let mut fields = Vec::new();
    for (set, name) in [
        (changes.name.is_some(), "name"),
        (changes.timezone.is_some(), "timezone"),
        (changes.currency.is_some(), "currency"),
        (changes.locale.is_some(), "locale"),
        (changes.late_cancel_hours.is_some(), "late_cancel_hours"),
        (changes.clients_may_cancel.is_some(), "clients_may_cancel"),
        (changes.booking_opens_days.is_some(), "booking_opens_days"),
        (
            changes.booking_closes_minutes.is_some(),
            "booking_closes_minutes",
        ),
    ] {
        if set {
            fields.push(name);
        }
    }
    let txn = db.begin_write().await?;
    let org = repo::update(&txn, caller.org, expected, changes).await?;
    audit::record(
        &txn,
        ctx,
        Event::new("organization.updated", "organization", Some(org.id)).with_fields(fields),
    )
    .await?;
    txn.commit().await?;
    Ok(org)
}
