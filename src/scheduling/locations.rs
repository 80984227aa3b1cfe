//! `/api/v1/locations`: rooms and branches, each with its time zone.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit::{self, Audit, Event};
use crate::auth::{CurrentUser, Role};
use crate::db::entities::locations::{self, Column};
use crate::db::{new_id, now};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::pagination::Page;
use crate::http::{ApiJson, IfMatch, created};
use crate::organizations::OrgId;
use crate::organizations::model::parse_timezone;
use crate::state::AppState;
use crate::validation::{double_option, parse_text};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_locations, create_location))
        .routes(routes!(get_location, update_location, delete_location))
}

/// A room or branch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Location {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Address.
    pub address: Option<String>,
    /// IANA time zone of the place.
    pub timezone: String,
    /// How many people fit.
    pub capacity: Option<i32>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl From<locations::Model> for Location {
    fn from(m: locations::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            address: m.address,
            timezone: m.timezone,
            capacity: m.capacity,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

/// `POST /api/v1/locations` and `PATCH /api/v1/locations/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    /// 1–100 characters (required on create).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Up to 300 characters.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 300)]
    pub address: Option<Option<String>>,
    /// IANA time zone; the organization's when absent on create.
    #[serde(default)]
    pub timezone: Option<String>,
    /// 1–10,000.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 10000)]
    pub capacity: Option<Option<i32>>,
    /// The version a change is based on.
    #[serde(default)]
    pub version: Option<i64>,
}

struct Checked {
    name: Option<String>,
    address: Option<Option<String>>,
    timezone: Option<String>,
    capacity: Option<Option<i32>>,
}

fn check(input: LocationInput) -> AppResult<Checked> {
    let mut e = FieldErrors::new();
    let name = input
        .name
        .and_then(|v| e.check("name", parse_text(&v, 100)));
    let address = match input.address {
        Some(Some(a)) => e.check("address", crate::validation::parse_long_text(&a, 300)),
        other => other,
    };
    let timezone = input
        .timezone
        .and_then(|v| e.check("timezone", parse_timezone(&v)));
    if let Some(Some(c)) = input.capacity
        && !(1..=10_000).contains(&c)
    {
        e.add("capacity", "must be between 1 and 10000");
    }
    e.into_result(Checked {
        name,
        address,
        timezone,
        capacity: input.capacity,
    })
}

/// One location of the organization.
pub async fn find(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: Uuid,
) -> AppResult<Option<locations::Model>> {
    Ok(locations::Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(org.0))
        .one(db)
        .await?)
}

/// Every location, by name.
#[utoipa::path(get, path = "", tag = "scheduling", responses((status = 200, description = "The locations", body = Page<Location>)))]
pub async fn list_locations(
    State(state): State<AppState>,
    caller: CurrentUser,
) -> AppResult<Json<Page<Location>>> {
    Ok(Json(Page {
        items: all(state.db.conn(), caller.org).await?,
        next_cursor: None,
        total: None,
    }))
}

/// Every location of the organization, by name.
pub async fn all(db: &impl ConnectionTrait, org: OrgId) -> AppResult<Vec<Location>> {
    Ok(locations::Entity::find()
        .filter(Column::OrganizationId.eq(org.0))
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Location::from)
        .collect())
}

/// Adds a location (owner, admin).
#[utoipa::path(post, path = "", tag = "scheduling", request_body = LocationInput,
    responses((status = 201, description = "Created", body = Location, headers(("Location" = String, description = "The new location")))))]
pub async fn create_location(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    ApiJson(input): ApiJson<LocationInput>,
) -> AppResult<Response> {
    caller.role.require(Role::Admin)?;
    let c = check(input)?;
    let Some(name) = c.name else {
        return Err(AppError::field("name", "is required"));
    };
    let org = crate::organizations::repo::get(state.db.conn(), caller.org)
        .await?
        .ok_or(AppError::NotFound)?;
    let at = now();
    let txn = state.db.begin_write().await?;
    let m = locations::Entity::insert(locations::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(caller.org.0),
        name: Set(name),
        address: Set(c.address.flatten()),
        timezone: Set(c.timezone.unwrap_or(org.timezone)),
        capacity: Set(c.capacity.flatten()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    })
    .exec_with_returning(&txn)
    .await?;
    audit::record(
        &txn,
        &ctx,
        Event::new("location.created", "location", Some(m.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(created(
        format!("/api/v1/locations/{}", m.id),
        Location::from(m),
    ))
}

/// One location.
#[utoipa::path(get, path = "/{id}", tag = "scheduling", params(("id" = Uuid, Path, description = "Location id")),
    responses((status = 200, description = "The location", body = Location)))]
pub async fn get_location(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Location>> {
    find(state.db.conn(), caller.org, id)
        .await?
        .map(|m| Json(m.into()))
        .ok_or(AppError::NotFound)
}

/// Changes a location (owner, admin).
#[utoipa::path(patch, path = "/{id}", tag = "scheduling", request_body = LocationInput,
    params(("id" = Uuid, Path, description = "Location id"), ("If-Match" = Option<String>, Header, description = "The version the change is based on")),
    responses((status = 200, description = "Changed", body = Location)))]
pub async fn update_location(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    Path(id): Path<Uuid>,
    if_match: IfMatch,
    ApiJson(input): ApiJson<LocationInput>,
) -> AppResult<Json<Location>> {
    caller.role.require(Role::Admin)?;
    let expected = if_match.expected(input.version)?;
    let c = check(input)?;
    let txn = state.db.begin_write().await?;
    let current = find(&txn, caller.org, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if expected.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed {
            current_version: current.version,
        });
    }
    let mut u = locations::Entity::update_many()
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now()));
    if let Some(v) = c.name {
        u = u.col_expr(Column::Name, Expr::value(v));
    }
    if let Some(v) = c.address {
        u = u.col_expr(Column::Address, Expr::value(v));
    }
    if let Some(v) = c.timezone {
        u = u.col_expr(Column::Timezone, Expr::value(v));
    }
    if let Some(v) = c.capacity {
        u = u.col_expr(Column::Capacity, Expr::value(v));
    }
    u.filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(caller.org.0))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        &ctx,
        Event::new("location.updated", "location", Some(id)),
    )
    .await?;
    let m = find(&txn, caller.org, id)
        .await?
        .ok_or(AppError::NotFound)?;
    txn.commit().await?;
    Ok(Json(m.into()))
}

/// Removes a location (owner, admin). Sessions and classes there keep their times but lose the place.
#[utoipa::path(delete, path = "/{id}", tag = "scheduling", params(("id" = Uuid, Path, description = "Location id")),
    responses((status = 204, description = "Removed")))]
pub async fn delete_location(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    Path(id): Path<Uuid>,
) -> AppResult<impl IntoResponse> {
    caller.role.require(Role::Admin)?;
    let txn = state.db.begin_write().await?;
    let r = locations::Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(caller.org.0))
        .exec(&txn)
        .await?;
    if r.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    use crate::db::entities::{classes, training_sessions};
    training_sessions::Entity::update_many()
        .col_expr(
            training_sessions::Column::LocationId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(training_sessions::Column::OrganizationId.eq(caller.org.0))
        .filter(training_sessions::Column::LocationId.eq(id))
        .exec(&txn)
        .await?;
    classes::Entity::update_many()
        .col_expr(
            classes::Column::LocationId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(classes::Column::OrganizationId.eq(caller.org.0))
        .filter(classes::Column::LocationId.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        &ctx,
        Event::new("location.deleted", "location", Some(id)),
    )
    .await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
