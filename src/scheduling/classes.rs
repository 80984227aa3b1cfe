//! `/api/v1/classes`: group classes, their bookings and waitlists, and check-in.
//!
//! Booking locks the class for the rest of the transaction (`FOR UPDATE` on PostgreSQL; SQLite write
//! transactions are serial), counts the places taken and books, waitlists or refuses — so fifty
//! simultaneous requests for ten places give exactly ten bookings. Cancelling a booked place promotes
//! the first client on the waitlist in the same transaction.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait,
    ExprTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::access::{ScheduleScope, Who};
use super::sessions::{CheckIn, check_in_code, check_in_method, check_times, is_late};
use super::{conflicts, locations};
use crate::audit::{self, Audit, AuditContext, Event};
use crate::auth::CurrentUser;
use crate::db::entities::{class_bookings, classes, clients};
use crate::db::{Db, new_id, now};
use crate::error::{AppError, AppResult, FieldErrors, Problem};
use crate::http::pagination::{Page, PageRequest, SortField, SortKind, SortValue};
use crate::http::{ApiJson, ApiQuery, created};
use crate::organizations::{OrgId, repo as org_repo};
use crate::state::AppState;
use crate::trainers::repo as trainer_repo;
use crate::validation::parse_text;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_classes, create_class))
        .routes(routes!(get_class))
        .routes(routes!(cancel_class))
        .routes(routes!(list_bookings, book_class))
        .routes(routes!(cancel_booking))
        .routes(routes!(check_in_booking))
}

/// A group class.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Class {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Who teaches it.
    pub trainer_id: Uuid,
    /// Where.
    pub location_id: Option<Uuid>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Places.
    pub capacity: i32,
    /// Places on the waitlist.
    pub waitlist_capacity: i32,
    /// `scheduled` or `cancelled`.
    pub status: String,
    /// Places taken.
    pub booked: u64,
    /// Clients waiting.
    pub waitlisted: u64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// Places taken and clients waiting, for many classes in one query.
pub async fn counts(
    db: &impl ConnectionTrait,
    classes: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, (u64, u64)>> {
    let mut out: std::collections::HashMap<Uuid, (u64, u64)> = std::collections::HashMap::new();
    if classes.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(Uuid, String, i64)> = class_bookings::Entity::find()
        .select_only()
        .column(class_bookings::Column::ClassId)
        .column(class_bookings::Column::Status)
        .column_as(Expr::col(class_bookings::Column::Id).count(), "n")
        .filter(class_bookings::Column::ClassId.is_in(classes.iter().copied()))
        .filter(class_bookings::Column::Status.ne("cancelled"))
        .group_by(class_bookings::Column::ClassId)
        .group_by(class_bookings::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    for (class, status, n) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        let entry = out.entry(class).or_default();
        match status.as_str() {
            "booked" => entry.0 = n,
            "waitlisted" => entry.1 = n,
            _ => {}
        }
    }
    Ok(out)
}

/// Places taken and clients waiting in one class.
async fn counts_of(db: &impl ConnectionTrait, class: Uuid) -> AppResult<(u64, u64)> {
    Ok(counts(db, &[class])
        .await?
        .remove(&class)
        .unwrap_or_default())
}

async fn to_class(db: &impl ConnectionTrait, m: classes::Model) -> AppResult<Class> {
    let (booked, waitlisted) = counts_of(db, m.id).await?;
    Ok(with_counts(m, booked, waitlisted))
}

/// A class row with its counts.
pub fn with_counts(m: classes::Model, booked: u64, waitlisted: u64) -> Class {
    Class {
        id: m.id,
        name: m.name,
        trainer_id: m.trainer_id,
        location_id: m.location_id,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        capacity: m.capacity,
        waitlist_capacity: m.waitlist_capacity,
        status: m.status,
        booked,
        waitlisted,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

/// `POST /api/v1/classes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClass {
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Who teaches it.
    pub trainer_id: Uuid,
    /// Where.
    #[serde(default)]
    pub location_id: Option<Uuid>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// 1–500 places.
    #[schema(minimum = 1, maximum = 500)]
    pub capacity: i32,
    /// 0–500 waitlist places (default 0).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 500)]
    pub waitlist_capacity: Option<i32>,
}

async fn find(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<classes::Model> {
    classes::Entity::find_by_id(id)
        .filter(classes::Column::OrganizationId.eq(org.0))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Schedules a class (staff and above, or the trainer for themself). The trainer must be free.
#[utoipa::path(post, path = "", tag = "scheduling", request_body = CreateClass,
    responses(
        (status = 201, description = "Scheduled", body = Class, headers(("Location" = String, description = "The class"))),
        (status = 409, description = "The trainer is busy then", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_class(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    ApiJson(input): ApiJson<CreateClass>,
) -> AppResult<Response> {
    let class = create(&state.db, &caller, &ctx, input).await?;
    Ok(created(format!("/api/v1/classes/{}", class.id), class))
}

/// Schedules a class for a caller (the trainer must be free).
pub async fn create(
    pool: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    input: CreateClass,
) -> AppResult<Class> {
    let db = pool.conn();
    let scope = ScheduleScope::of(db, caller).await?;
    match scope.who {
        Who::All => {}
        Who::Trainer(t) if t == input.trainer_id => {}
        _ => {
            return Err(AppError::Forbidden(
                "Staff schedule classes; a trainer schedules their own.".into(),
            ));
        }
    }
    let mut e = FieldErrors::new();
    let name = e.check("name", parse_text(&input.name, 100));
    check_times(&mut e, input.starts_at, input.ends_at);
    if !(1..=500).contains(&input.capacity) {
        e.add("capacity", "must be between 1 and 500");
    }
    let waitlist = input.waitlist_capacity.unwrap_or(0);
    if !(0..=500).contains(&waitlist) {
        e.add("waitlist_capacity", "must be between 0 and 500");
    }
    if trainer_repo::get(db, scope.org, input.trainer_id)
        .await?
        .is_none()
    {
        e.add("trainer_id", "is not a trainer of this organization");
    }
    if let Some(l) = input.location_id
        && locations::find(db, scope.org, l).await?.is_none()
    {
        e.add("location_id", "is not a location of this organization");
    }
    let Some(name) = e.into_result(name)? else {
        return Err(AppError::field("name", "is required"));
    };
    let txn = pool.begin_write().await?;
    conflicts::lock_people(&txn, &[input.trainer_id]).await?;
    let found = conflicts::find(
        &txn,
        scope.org,
        input.trainer_id,
        None,
        input.starts_at,
        input.ends_at,
        &[],
    )
    .await?;
    if !found.is_empty() {
        return Err(AppError::Conflict {
            detail: "The trainer is already booked at that time.".into(),
            conflicts: found
                .iter()
                .filter_map(|c| serde_json::to_value(c).ok())
                .collect(),
        });
    }
    let at = now();
    let m = classes::Entity::insert(classes::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(scope.org.0),
        name: Set(name),
        trainer_id: Set(input.trainer_id),
        location_id: Set(input.location_id),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        capacity: Set(input.capacity),
        waitlist_capacity: Set(waitlist),
        status: Set("scheduled".into()),
        check_in_code: Set(check_in_code()),
        sequence: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    })
    .exec_with_returning(&txn)
    .await?;
    audit::record(&txn, ctx, Event::new("class.created", "class", Some(m.id))).await?;
    txn.commit().await?;
    to_class(db, m).await
}

/// Parameters of `GET /classes`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListClasses {
    /// Classes ending after this time.
    pub from: Option<DateTime<Utc>>,
    /// Classes starting before this time.
    pub to: Option<DateTime<Utc>>,
    /// Only this trainer's.
    pub trainer_id: Option<Uuid>,
    /// Only at this location.
    pub location_id: Option<Uuid>,
    /// Only classes this client holds a place in (booked or waitlisted).
    pub client_id: Option<Uuid>,
    /// `scheduled` or `cancelled`.
    #[param(pattern = "^(scheduled|cancelled)$")]
    pub status: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Count all matches into `total`.
    pub include_total: Option<bool>,
}

const SORT: [SortField<classes::Column>; 1] = [SortField {
    name: "starts_at",
    column: classes::Column::StartsAt,
    kind: SortKind::Time,
}];

/// The class schedule (every member of the organization sees it), by start time.
#[utoipa::path(get, path = "", tag = "scheduling", params(ListClasses),
    responses((status = 200, description = "A page of classes", body = Page<Class>)))]
pub async fn list_classes(
    State(state): State<AppState>,
    caller: CurrentUser,
    ApiQuery(p): ApiQuery<ListClasses>,
) -> AppResult<Json<Page<Class>>> {
    Ok(Json(list(state.db.conn(), &caller, p).await?))
}

/// A page of the organization's classes, with places taken and waiting.
pub async fn list(
    db: &impl ConnectionTrait,
    caller: &CurrentUser,
    p: ListClasses,
) -> AppResult<Page<Class>> {
    let page = PageRequest::parse(
        &SORT,
        "starts_at",
        p.limit,
        p.cursor.as_deref(),
        None,
        p.include_total,
    )?;
    let mut cond = Condition::all().add(classes::Column::OrganizationId.eq(caller.org.0));
    if let Some(v) = p.from {
        cond = cond.add(classes::Column::EndsAt.gt(v));
    }
    if let Some(v) = p.to {
        cond = cond.add(classes::Column::StartsAt.lt(v));
    }
    if let Some(v) = p.trainer_id {
        cond = cond.add(classes::Column::TrainerId.eq(v));
    }
    if let Some(v) = p.location_id {
        cond = cond.add(classes::Column::LocationId.eq(v));
    }
    if let Some(v) = p.status.as_deref() {
        if !matches!(v, "scheduled" | "cancelled") {
            return Err(AppError::bad_param(
                "status",
                "must be scheduled or cancelled",
            ));
        }
        cond = cond.add(classes::Column::Status.eq(v));
    }
    if let Some(client) = p.client_id {
        cond = cond.add(
            classes::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(class_bookings::Column::ClassId)
                    .from(class_bookings::Entity)
                    .and_where(class_bookings::Column::OrganizationId.eq(caller.org.0))
                    .and_where(class_bookings::Column::ClientId.eq(client))
                    .and_where(class_bookings::Column::Status.ne("cancelled"))
                    .to_owned(),
            ),
        );
    }
    let total = if page.include_total {
        Some(
            classes::Entity::find()
                .filter(cond.clone())
                .count(db)
                .await?,
        )
    } else {
        None
    };
    let rows = page
        .apply(classes::Entity::find().filter(cond), classes::Column::Id)
        .all(db)
        .await?;
    let raw = page.finish(rows, |m| (SortValue::Time(m.starts_at), m.id), Ok, total)?;
    let ids: Vec<Uuid> = raw.items.iter().map(|m| m.id).collect();
    let mut taken = counts(db, &ids).await?;
    let items = raw
        .items
        .into_iter()
        .map(|m| {
            let (booked, waitlisted) = taken.remove(&m.id).unwrap_or_default();
            with_counts(m, booked, waitlisted)
        })
        .collect();
    Ok(Page {
        items,
        next_cursor: raw.next_cursor,
        total: raw.total,
    })
}

/// One class.
#[utoipa::path(get, path = "/{id}", tag = "scheduling", params(("id" = Uuid, Path, description = "Class id")),
    responses((status = 200, description = "The class", body = Class)))]
pub async fn get_class(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Class>> {
    Ok(Json(get(state.db.conn(), caller.org, id).await?))
}

/// One class of the organization, with places taken and waiting.
pub async fn get(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<Class> {
    to_class(db, find(db, org, id).await?).await
}

/// Cancels a class and every booking on it (staff and above, or its trainer).
#[utoipa::path(post, path = "/{id}/cancel", tag = "scheduling", params(("id" = Uuid, Path, description = "Class id")),
    responses((status = 200, description = "Cancelled", body = Class)))]
pub async fn cancel_class(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Class>> {
    let db = state.db.conn();
    let scope = ScheduleScope::of(db, &caller).await?;
    let txn = state.db.begin_write().await?;
    let class = find(&txn, scope.org, id).await?;
    if !(scope.is_front_desk() || scope.who == Who::Trainer(class.trainer_id)) {
        return Err(AppError::Forbidden(
            "Staff and the class's trainer cancel classes.".into(),
        ));
    }
    classes::Entity::update_many()
        .col_expr(classes::Column::Status, Expr::value("cancelled"))
        .col_expr(
            classes::Column::Sequence,
            Expr::col(classes::Column::Sequence).add(1),
        )
        .col_expr(
            classes::Column::Version,
            Expr::col(classes::Column::Version).add(1),
        )
        .col_expr(classes::Column::UpdatedAt, Expr::value(now()))
        .filter(classes::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    class_bookings::Entity::update_many()
        .col_expr(class_bookings::Column::Status, Expr::value("cancelled"))
        .col_expr(
            class_bookings::Column::Position,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(class_bookings::Column::CancelledAt, Expr::value(now()))
        .filter(class_bookings::Column::ClassId.eq(id))
        .filter(class_bookings::Column::Status.ne("cancelled"))
        .exec(&txn)
        .await?;
    audit::record(&txn, &ctx, Event::new("class.cancelled", "class", Some(id))).await?;
    txn.commit().await?;
    Ok(Json(to_class(db, find(db, scope.org, id).await?).await?))
}

/// A client's place in a class.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Booking {
    /// Id.
    pub id: Uuid,
    /// The class.
    pub class_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// `booked`, `waitlisted` or `cancelled`.
    pub status: String,
    /// Place on the waitlist (1 is next), while waitlisted.
    pub position: Option<i32>,
    /// When the booking was made.
    pub booked_at: DateTime<Utc>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Cancelled inside the late window.
    pub late_cancel: bool,
    /// When the client checked in.
    pub checked_in_at: Option<DateTime<Utc>>,
}

fn to_booking(m: class_bookings::Model) -> Booking {
    Booking {
        id: m.id,
        class_id: m.class_id,
        client_id: m.client_id,
        status: m.status,
        position: m.position,
        booked_at: m.booked_at,
        cancelled_at: m.cancelled_at,
        late_cancel: m.late_cancel,
        checked_in_at: m.checked_in_at,
    }
}

/// `POST /api/v1/classes/{id}/bookings`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookClass {
    /// The client; a client booking for themself may leave it out.
    #[serde(default)]
    pub client_id: Option<Uuid>,
}

/// Locks the class row until the transaction ends (PostgreSQL; SQLite transactions are serial).
async fn lock_class(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<classes::Model> {
    let mut q = classes::Entity::find_by_id(id).filter(classes::Column::OrganizationId.eq(org.0));
    if db.get_database_backend() == DatabaseBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(db).await?.ok_or(AppError::NotFound)
}

/// Books a place: `booked` while places are free, then `waitlisted` with a position while the waitlist
/// has room, else 409. Clients book for themselves inside the booking window; staff book for anyone.
#[utoipa::path(post, path = "/{id}/bookings", tag = "scheduling", request_body = BookClass,
    params(("id" = Uuid, Path, description = "Class id")),
    responses(
        (status = 201, description = "Booked or waitlisted", body = Booking, headers(("Location" = String, description = "The class's bookings"))),
        (status = 409, description = "Already booked, class and waitlist full, or a clash with another booking", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn book_class(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<BookClass>,
) -> AppResult<Response> {
    let booking = book(&state.db, &caller, &ctx, id, input).await?;
    Ok(created(format!("/api/v1/classes/{id}/bookings"), booking))
}

/// Books a place for a caller: booked, waitlisted with a position, or 409.
pub async fn book(
    pool: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    id: Uuid,
    input: BookClass,
) -> AppResult<Booking> {
    let db = pool.conn();
    let scope = ScheduleScope::of(db, caller).await?;
    let client_id = match (scope.who, input.client_id) {
        (Who::Client(me), None) => me,
        (Who::Client(me), Some(c)) if c == me => me,
        (Who::Client(_), Some(_)) => {
            return Err(AppError::Forbidden("A client books for themself.".into()));
        }
        (Who::All, Some(c)) => c,
        (Who::All, None) => return Err(AppError::field("client_id", "is required")),
        _ => {
            return Err(AppError::Forbidden(
                "Staff book classes for clients; clients book for themselves.".into(),
            ));
        }
    };
    let found = clients::Entity::find_by_id(client_id)
        .filter(clients::Column::OrganizationId.eq(scope.org.0))
        .one(db)
        .await?;
    if found.is_none_or(|c| c.erased_at.is_some()) {
        return Err(AppError::field(
            "client_id",
            "is not a client of this organization",
        ));
    }
    let txn = pool.begin_write().await?;
    let class = lock_class(&txn, scope.org, id).await?;
    if class.status != "scheduled" {
        return Err(AppError::conflict("This class is cancelled."));
    }
    let at = now();
    if matches!(scope.who, Who::Client(_)) {
        let o = org_repo::get(&txn, scope.org)
            .await?
            .ok_or(AppError::NotFound)?;
        if at < class.starts_at - Duration::days(i64::from(o.booking_opens_days)) {
            return Err(AppError::Unprocessable(format!(
                "Booking opens {} days before the class.",
                o.booking_opens_days
            )));
        }
        if at > class.starts_at - Duration::minutes(i64::from(o.booking_closes_minutes)) {
            return Err(AppError::Unprocessable(
                "Booking for this class has closed.".into(),
            ));
        }
    }
    let existing = class_bookings::Entity::find()
        .filter(class_bookings::Column::ClassId.eq(id))
        .filter(class_bookings::Column::ClientId.eq(client_id))
        .filter(class_bookings::Column::Status.ne("cancelled"))
        .one(&txn)
        .await?;
    if let Some(b) = existing {
        return Err(AppError::Conflict {
            detail: format!(
                "This client already has a place in this class ({}).",
                b.status
            ),
            conflicts: vec![serde_json::json!({"type": "booking", "id": b.id})],
        });
    }
    let (booked, waitlisted) = counts_of(&txn, id).await?;
    let (status, position) = if booked < u64::try_from(class.capacity).unwrap_or(0) {
        conflicts::lock_people(&txn, &[client_id]).await?;
        let clash = conflicts::find(
            &txn,
            scope.org,
            class.trainer_id,
            Some(client_id),
            class.starts_at,
            class.ends_at,
            &[id],
        )
        .await?
        .into_iter()
        .filter(|c| c.with == "client")
        .collect::<Vec<_>>();
        if !clash.is_empty() {
            return Err(AppError::Conflict {
                detail: "The client is already booked at that time.".into(),
                conflicts: clash
                    .iter()
                    .filter_map(|c| serde_json::to_value(c).ok())
                    .collect(),
            });
        }
        ("booked", None)
    } else if waitlisted < u64::try_from(class.waitlist_capacity).unwrap_or(0) {
        (
            "waitlisted",
            Some(i32::try_from(waitlisted).unwrap_or(i32::MAX - 1) + 1),
        )
    } else {
        return Err(AppError::conflict("The class and its waitlist are full."));
    };
    let m = class_bookings::Entity::insert(class_bookings::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(scope.org.0),
        class_id: Set(id),
        client_id: Set(client_id),
        status: Set(status.into()),
        position: Set(position),
        booked_at: Set(at),
        cancelled_at: Set(None),
        late_cancel: Set(false),
        checked_in_at: Set(None),
        check_in_method: Set(None),
    })
    .exec_with_returning(&txn)
    .await?;
    let mut event = Event::new(
        if status == "booked" {
            "class_booking.booked"
        } else {
            "class_booking.waitlisted"
        },
        "class_booking",
        Some(m.id),
    );
    event.subject_client_id = Some(client_id);
    audit::record(&txn, ctx, event).await?;
    txn.commit().await?;
    Ok(to_booking(m))
}

/// The roster: booked, waitlisted (in order) and cancelled. A client sees only their own booking.
#[utoipa::path(get, path = "/{id}/bookings", tag = "scheduling", params(("id" = Uuid, Path, description = "Class id")),
    responses((status = 200, description = "The roster", body = Page<Booking>)))]
pub async fn list_bookings(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Page<Booking>>> {
    Ok(Json(Page {
        items: roster(state.db.conn(), &caller, id).await?,
        next_cursor: None,
        total: None,
    }))
}

/// The roster for a caller: booked, waitlisted (in order), cancelled.
pub async fn roster(
    db: &impl ConnectionTrait,
    caller: &CurrentUser,
    id: Uuid,
) -> AppResult<Vec<Booking>> {
    let scope = ScheduleScope::of(db, caller).await?;
    let class = find(db, scope.org, id).await?;
    let mut q = class_bookings::Entity::find().filter(class_bookings::Column::ClassId.eq(class.id));
    match scope.who {
        Who::All => {}
        Who::Trainer(t) if t == class.trainer_id => {}
        Who::Client(c) => q = q.filter(class_bookings::Column::ClientId.eq(c)),
        _ => {
            return Err(AppError::Forbidden(
                "Staff and the class's trainer see the roster.".into(),
            ));
        }
    }
    let mut items: Vec<Booking> = q
        .order_by_asc(class_bookings::Column::BookedAt)
        .all(db)
        .await?
        .into_iter()
        .map(to_booking)
        .collect();
    let rank = |b: &Booking| match b.status.as_str() {
        "booked" => 0,
        "waitlisted" => 1,
        _ => 2,
    };
    items.sort_by_key(|b| (rank(b), b.position.unwrap_or(0)));
    Ok(items)
}

/// Cancels a booking. A booked place goes to the first client on the waitlist in the same transaction.
/// Clients cancel their own when the organization allows it; late cancellations are recorded as such.
#[utoipa::path(delete, path = "/{id}/bookings/{booking_id}", tag = "scheduling",
    params(("id" = Uuid, Path, description = "Class id"), ("booking_id" = Uuid, Path, description = "Booking id")),
    responses((status = 204, description = "Cancelled")))]
pub async fn cancel_booking(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    Path((id, booking_id)): Path<(Uuid, Uuid)>,
) -> AppResult<impl IntoResponse> {
    cancel_place(&state.db, &caller, &ctx, id, booking_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancels a booking for a caller; a freed place goes to the first client on the waitlist.
pub async fn cancel_place(
    pool: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    id: Uuid,
    booking_id: Uuid,
) -> AppResult<()> {
    let db = pool.conn();
    let scope = ScheduleScope::of(db, caller).await?;
    let txn = pool.begin_write().await?;
    let class = lock_class(&txn, scope.org, id).await?;
    let booking = class_bookings::Entity::find_by_id(booking_id)
        .filter(class_bookings::Column::ClassId.eq(id))
        .filter(class_bookings::Column::Status.ne("cancelled"))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    match scope.who {
        Who::All => {}
        Who::Trainer(t) if t == class.trainer_id => {}
        Who::Client(c) if c == booking.client_id => {
            let o = org_repo::get(&txn, scope.org)
                .await?
                .ok_or(AppError::NotFound)?;
            if !o.clients_may_cancel {
                return Err(AppError::Forbidden(
                    "This studio does not let clients cancel themselves; please call.".into(),
                ));
            }
        }
        Who::Client(_) => return Err(AppError::NotFound),
        _ => {
            return Err(AppError::Forbidden(
                "Staff, the class's trainer and the client cancel bookings.".into(),
            ));
        }
    }
    let late = booking.status == "booked" && is_late(&txn, scope.org, class.starts_at).await?;
    class_bookings::Entity::update_many()
        .col_expr(class_bookings::Column::Status, Expr::value("cancelled"))
        .col_expr(
            class_bookings::Column::Position,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(class_bookings::Column::CancelledAt, Expr::value(now()))
        .col_expr(class_bookings::Column::LateCancel, Expr::value(late))
        .filter(class_bookings::Column::Id.eq(booking_id))
        .exec(&txn)
        .await?;
    let mut event = Event::new("class_booking.cancelled", "class_booking", Some(booking_id));
    event.subject_client_id = Some(booking.client_id);
    audit::record(&txn, ctx, event).await?;
    let waiting = class_bookings::Entity::find()
        .filter(class_bookings::Column::ClassId.eq(id))
        .filter(class_bookings::Column::Status.eq("waitlisted"))
        .order_by_asc(class_bookings::Column::Position)
        .all(&txn)
        .await?;
    let promote = booking.status == "booked" && !waiting.is_empty();
    for (i, w) in waiting.iter().enumerate() {
        let (status, position) = if promote && i == 0 {
            ("booked", None)
        } else {
            (
                "waitlisted",
                Some(i32::try_from(i).unwrap_or(0) + if promote { 0 } else { 1 }),
            )
        };
        class_bookings::Entity::update_many()
            .col_expr(class_bookings::Column::Status, Expr::value(status))
            .col_expr(class_bookings::Column::Position, Expr::value(position))
            .filter(class_bookings::Column::Id.eq(w.id))
            .exec(&txn)
            .await?;
        if promote && i == 0 {
            let mut event = Event::new("class_booking.promoted", "class_booking", Some(w.id))
                .with_fields(["status"]);
            event.subject_client_id = Some(w.client_id);
            audit::record(&txn, ctx, event).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Checks a booked client in.
#[utoipa::path(post, path = "/{id}/bookings/{booking_id}/check-in", tag = "scheduling", request_body = CheckIn,
    params(("id" = Uuid, Path, description = "Class id"), ("booking_id" = Uuid, Path, description = "Booking id")),
    responses((status = 200, description = "Checked in", body = Booking)))]
pub async fn check_in_booking(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    Path((id, booking_id)): Path<(Uuid, Uuid)>,
    ApiJson(input): ApiJson<CheckIn>,
) -> AppResult<Json<Booking>> {
    Ok(Json(
        check_in_place(&state.db, &caller, &ctx, id, booking_id, &input).await?,
    ))
}

/// Checks a booked client in, for a caller.
pub async fn check_in_place(
    pool: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    id: Uuid,
    booking_id: Uuid,
    input: &CheckIn,
) -> AppResult<Booking> {
    let db = pool.conn();
    let scope = ScheduleScope::of(db, caller).await?;
    let txn = pool.begin_write().await?;
    let class = find(&txn, scope.org, id).await?;
    let booking = class_bookings::Entity::find_by_id(booking_id)
        .filter(class_bookings::Column::ClassId.eq(id))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    match scope.who {
        Who::Trainer(t) if t != class.trainer_id => {
            return Err(AppError::Forbidden(
                "Only the class's trainer checks in here.".into(),
            ));
        }
        Who::Client(c) if c != booking.client_id => return Err(AppError::NotFound),
        _ => {}
    }
    let method = check_in_method(&scope, &class.check_in_code, input)?;
    if booking.status != "booked" {
        return Err(AppError::field(
            "status",
            format!("a {} booking cannot be checked in", booking.status),
        ));
    }
    class_bookings::Entity::update_many()
        .col_expr(class_bookings::Column::CheckedInAt, Expr::value(now()))
        .col_expr(class_bookings::Column::CheckInMethod, Expr::value(method))
        .filter(class_bookings::Column::Id.eq(booking_id))
        .exec(&txn)
        .await?;
    let mut event = Event::new(
        "class_booking.checked_in",
        "class_booking",
        Some(booking_id),
    );
    event.subject_client_id = Some(booking.client_id);
    audit::record(&txn, ctx, event).await?;
    let m = class_bookings::Entity::find_by_id(booking_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    txn.commit().await?;
    Ok(to_booking(m))
}
