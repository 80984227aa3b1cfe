//! `/api/v1/sessions`: one-to-one appointments — booking with conflict and working-hours checks,
//! moving, the status lifecycle, cancellation under the organization's policy, and check-in.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::access::{ScheduleScope, Who};
use super::{conflicts, hours, locations};
use crate::audit::{self, Audit, AuditContext, Event};
use crate::auth::CurrentUser;
use crate::db::entities::{
    clients,
    training_sessions::{self, Column},
};
use crate::db::{Db, new_id, now};
use crate::error::{AppError, AppResult, FieldErrors, Problem};
use crate::http::pagination::{Page, PageRequest, SortField, SortKind, SortValue};
use crate::http::{ApiJson, ApiQuery, IfMatch, created};
use crate::organizations::{OrgId, repo as org_repo};
use crate::state::AppState;
use crate::trainers::repo as trainer_repo;
use crate::validation::{double_option, parse_long_text};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sessions, create_session))
        .routes(routes!(get_session, update_session))
        .routes(routes!(cancel_session))
        .routes(routes!(check_in_session))
}

/// What kind of appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SessionKind {
    /// In person.
    Personal,
    /// Remote.
    Online,
    /// An assessment.
    Assessment,
}

/// Where an appointment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Booked.
    Scheduled,
    /// Took place.
    Completed,
    /// Called off.
    Cancelled,
    /// The client did not come.
    NoShow,
}

impl SessionStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::NoShow => "no_show",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "completed" => Self::Completed,
            "cancelled" => Self::Cancelled,
            "no_show" => Self::NoShow,
            _ => Self::Scheduled,
        }
    }
    /// Only a scheduled session changes status; completed, cancelled and no-show are final.
    pub fn check_transition(self, to: Self) -> Result<(), String> {
        match (self, to) {
            (a, b) if a == b => Ok(()),
            (Self::Scheduled, _) => Ok(()),
            (from, to) => Err(format!(
                "a {} session cannot become {}",
                from.as_str(),
                to.as_str()
            )),
        }
    }
}

fn kind_str(k: SessionKind) -> &'static str {
    match k {
        SessionKind::Personal => "personal",
        SessionKind::Online => "online",
        SessionKind::Assessment => "assessment",
    }
}

fn parse_kind(s: &str) -> SessionKind {
    match s {
        "online" => SessionKind::Online,
        "assessment" => SessionKind::Assessment,
        _ => SessionKind::Personal,
    }
}

/// A one-to-one appointment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Session {
    /// Id.
    pub id: Uuid,
    /// The trainer.
    pub trainer_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// Where.
    pub location_id: Option<Uuid>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Kind.
    pub kind: SessionKind,
    /// Status.
    pub status: SessionStatus,
    /// Notes.
    pub notes: Option<String>,
    /// The recurring series it belongs to.
    pub series_id: Option<Uuid>,
    /// Cancelled inside the late-cancellation window.
    pub late_cancel: bool,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When the client checked in.
    pub checked_in_at: Option<DateTime<Utc>>,
    /// `staff`, `trainer` or `code`.
    pub check_in_method: Option<String>,
    /// The code a client enters to check in themself (not shown to clients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_in_code: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// Maps a row for a caller (clients do not see check-in codes).
pub fn to_session(scope: &ScheduleScope, m: training_sessions::Model) -> Session {
    let show_code = !matches!(scope.who, Who::Client(_));
    Session {
        id: m.id,
        trainer_id: m.trainer_id,
        client_id: m.client_id,
        location_id: m.location_id,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        kind: parse_kind(&m.kind),
        status: SessionStatus::parse(&m.status),
        notes: m.notes,
        series_id: m.series_id,
        late_cancel: m.late_cancel,
        cancelled_at: m.cancelled_at,
        checked_in_at: m.checked_in_at,
        check_in_method: m.check_in_method,
        check_in_code: show_code.then_some(m.check_in_code),
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

/// `POST /api/v1/sessions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    /// The trainer.
    pub trainer_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// Where.
    #[serde(default)]
    pub location_id: Option<Uuid>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End, after the start and at most 12 hours later.
    pub ends_at: DateTime<Utc>,
    /// Default personal.
    #[serde(default)]
    pub kind: Option<SessionKind>,
    /// Up to 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

/// Overrides for owners and admins.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BookingOverrides {
    /// Book even if the trainer or client is busy then (owner, admin).
    pub allow_conflict: Option<bool>,
    /// Book outside the trainer's working hours (owner, admin).
    pub allow_outside_hours: Option<bool>,
    /// For a session of a series: change `this` one (default), `following` (this and later ones) or
    /// `all` scheduled occurrences.
    #[param(inline)]
    pub apply_to: Option<super::series::ApplyTo>,
}

/// A validated booking to check and write.
#[derive(Debug, Clone)]
pub struct Booking {
    /// Trainer.
    pub trainer_id: Uuid,
    /// Client.
    pub client_id: Uuid,
    /// Location.
    pub location_id: Option<Uuid>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
}

/// Checks the times of a booking.
pub fn check_times(e: &mut FieldErrors, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) {
    if ends_at <= starts_at {
        e.add("ends_at", "must be after starts_at");
    } else if ends_at - starts_at > Duration::hours(12) {
        e.add("ends_at", "must be at most 12 hours after starts_at");
    }
}

/// Checks that trainer, client and location belong to the organization (422 naming the field).
pub async fn check_parties(
    db: &impl ConnectionTrait,
    org: OrgId,
    b: &Booking,
) -> AppResult<Option<chrono_tz::Tz>> {
    let mut e = FieldErrors::new();
    if trainer_repo::get(db, org, b.trainer_id).await?.is_none() {
        e.add("trainer_id", "is not a trainer of this organization");
    }
    let client = clients::Entity::find_by_id(b.client_id)
        .filter(clients::Column::OrganizationId.eq(org.0))
        .one(db)
        .await?;
    if client.as_ref().is_none_or(|c| c.erased_at.is_some()) {
        e.add("client_id", "is not a client of this organization");
    }
    let mut tz = None;
    if let Some(l) = b.location_id {
        match locations::find(db, org, l).await? {
            Some(loc) => tz = loc.timezone.parse().ok(),
            None => e.add("location_id", "is not a location of this organization"),
        }
    }
    e.into_result(tz)
}

/// The time zone a booking's local rules (working hours) are read in: the location's, else the
/// organization's.
pub async fn zone_of(
    db: &impl ConnectionTrait,
    org: OrgId,
    location_tz: Option<chrono_tz::Tz>,
) -> AppResult<chrono_tz::Tz> {
    if let Some(tz) = location_tz {
        return Ok(tz);
    }
    let o = org_repo::get(db, org).await?.ok_or(AppError::NotFound)?;
    Ok(o.timezone.parse().unwrap_or(chrono_tz::UTC))
}

/// Conflicts and working hours for a booking, honouring overrides: 409 listing the conflicts, 422
/// outside working hours.
pub async fn check_slot(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    b: &Booking,
    tz: chrono_tz::Tz,
    overrides: &BookingOverrides,
    except: &[Uuid],
) -> AppResult<()> {
    let may = scope.may_override();
    if (overrides.allow_conflict == Some(true) || overrides.allow_outside_hours == Some(true))
        && !may
    {
        return Err(AppError::Forbidden(
            "Only owners and admins may override conflicts or working hours.".into(),
        ));
    }
    conflicts::lock_people(db, &[b.trainer_id, b.client_id]).await?;
    if overrides.allow_outside_hours != Some(true)
        && let Err(message) =
            hours::check_availability(db, scope.org, b.trainer_id, b.starts_at, b.ends_at, tz)
                .await?
    {
        return Err(AppError::field("starts_at", message));
    }
    if overrides.allow_conflict != Some(true) {
        let found = conflicts::find(
            db,
            scope.org,
            b.trainer_id,
            Some(b.client_id),
            b.starts_at,
            b.ends_at,
            except,
        )
        .await?;
        if !found.is_empty() {
            return Err(AppError::Conflict {
                detail: format!(
                    "The trainer or client is already booked at that time ({} conflict(s)).",
                    found.len()
                ),
                conflicts: found
                    .iter()
                    .filter_map(|c| serde_json::to_value(c).ok())
                    .collect(),
            });
        }
    }
    Ok(())
}

/// A short code a client types to check in.
pub fn check_in_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..6)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// The row of a new scheduled session, as [`insert`] writes it (also used by the synthetic seed's bulk
/// load, so that both build the same rows).
pub fn new_row(
    org: OrgId,
    b: &Booking,
    kind: SessionKind,
    notes: Option<String>,
    series: Option<Uuid>,
    at: DateTime<Utc>,
) -> training_sessions::ActiveModel {
    training_sessions::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org.0),
        trainer_id: Set(b.trainer_id),
        client_id: Set(b.client_id),
        location_id: Set(b.location_id),
        starts_at: Set(b.starts_at),
        ends_at: Set(b.ends_at),
        kind: Set(kind_str(kind).into()),
        status: Set(SessionStatus::Scheduled.as_str().into()),
        notes: Set(notes),
        series_id: Set(series),
        late_cancel: Set(false),
        cancelled_at: Set(None),
        checked_in_at: Set(None),
        check_in_method: Set(None),
        check_in_code: Set(check_in_code()),
        sequence: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
}

/// Inserts a session row.
pub async fn insert(
    db: &impl ConnectionTrait,
    org: OrgId,
    b: &Booking,
    kind: SessionKind,
    notes: Option<String>,
    series: Option<Uuid>,
) -> AppResult<training_sessions::Model> {
    Ok(
        training_sessions::Entity::insert(new_row(org, b, kind, notes, series, now()))
            .exec_with_returning(db)
            .await?,
    )
}

/// Only staff and above book for anyone; a trainer books for themself.
fn may_book(scope: &ScheduleScope, trainer: Uuid) -> AppResult<()> {
    match scope.who {
        Who::All => Ok(()),
        Who::Trainer(t) if t == trainer => Ok(()),
        Who::Trainer(_) => Err(AppError::Forbidden(
            "A trainer books sessions for themself.".into(),
        )),
        _ => Err(AppError::Forbidden(
            "Clients book classes; sessions are booked by the studio.".into(),
        )),
    }
}

/// Books a session.
#[utoipa::path(post, path = "", tag = "scheduling", request_body = CreateSession, params(BookingOverrides),
    responses(
        (status = 201, description = "Booked", body = Session, headers(("Location" = String, description = "The session"))),
        (status = 409, description = "The trainer or client is busy; `conflicts` lists what is in the way", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_session(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    ApiQuery(overrides): ApiQuery<BookingOverrides>,
    ApiJson(input): ApiJson<CreateSession>,
) -> AppResult<Response> {
    let session = create(&state.db, &caller, &ctx, input, &overrides).await?;
    Ok(created(format!("/api/v1/sessions/{}", session.id), session))
}

/// Books a session for a caller: who may book, the fields, then [`book`] (conflicts, working hours).
pub async fn create(
    db: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    input: CreateSession,
    overrides: &BookingOverrides,
) -> AppResult<Session> {
    let scope = ScheduleScope::of(db.conn(), caller).await?;
    may_book(&scope, input.trainer_id)?;
    let mut e = FieldErrors::new();
    check_times(&mut e, input.starts_at, input.ends_at);
    let notes = match &input.notes {
        Some(n) => e.check("notes", parse_long_text(n, 2000)).flatten(),
        None => None,
    };
    e.into_result(())?;
    let b = Booking {
        trainer_id: input.trainer_id,
        client_id: input.client_id,
        location_id: input.location_id,
        starts_at: input.starts_at,
        ends_at: input.ends_at,
    };
    book(
        db,
        &scope,
        ctx,
        &b,
        input.kind.unwrap_or(SessionKind::Personal),
        notes,
        overrides,
    )
    .await
}

/// Checks and writes one booking in its own transaction.
pub async fn book(
    db: &Db,
    scope: &ScheduleScope,
    ctx: &AuditContext,
    b: &Booking,
    kind: SessionKind,
    notes: Option<String>,
    overrides: &BookingOverrides,
) -> AppResult<Session> {
    let txn = db.begin_write().await?;
    let loc_tz = check_parties(&txn, scope.org, b).await?;
    let tz = zone_of(&txn, scope.org, loc_tz).await?;
    check_slot(&txn, scope, b, tz, overrides, &[]).await?;
    let m = insert(&txn, scope.org, b, kind, notes, None).await?;
    let mut event = Event::new("session.created", "session", Some(m.id)).with_fields([
        "trainer_id",
        "client_id",
        "starts_at",
        "ends_at",
    ]);
    event.subject_client_id = Some(m.client_id);
    audit::record(&txn, ctx, event).await?;
    txn.commit().await?;
    Ok(to_session(scope, m))
}

/// Parameters of `GET /sessions`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSessions {
    /// Sessions ending after this time.
    pub from: Option<DateTime<Utc>>,
    /// Sessions starting before this time.
    pub to: Option<DateTime<Utc>>,
    /// Only this trainer's.
    pub trainer_id: Option<Uuid>,
    /// Only this client's.
    pub client_id: Option<Uuid>,
    /// Only at this location.
    pub location_id: Option<Uuid>,
    /// Only this status.
    #[param(inline)]
    pub status: Option<SessionStatus>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `starts_at` (default) or `-starts_at`.
    #[param(pattern = "^-?starts_at$")]
    pub sort: Option<String>,
    /// Count all matches into `total`.
    pub include_total: Option<bool>,
}

const SORT: [SortField<Column>; 1] = [SortField {
    name: "starts_at",
    column: Column::StartsAt,
    kind: SortKind::Time,
}];

/// The condition limiting sessions to what the scope sees.
pub fn scope_condition(scope: &ScheduleScope) -> Condition {
    let c = Condition::all().add(Column::OrganizationId.eq(scope.org.0));
    match scope.who {
        Who::All => c,
        Who::Trainer(t) => c.add(Column::TrainerId.eq(t)),
        Who::Client(cl) => c.add(Column::ClientId.eq(cl)),
        Who::Nobody => c.add(Expr::val(1).eq(0)),
    }
}

/// Lists sessions by start time.
#[utoipa::path(get, path = "", tag = "scheduling", params(ListSessions),
    responses((status = 200, description = "A page of sessions", body = Page<Session>)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: CurrentUser,
    ApiQuery(p): ApiQuery<ListSessions>,
) -> AppResult<Json<Page<Session>>> {
    let db = state.db.conn();
    let scope = ScheduleScope::of(db, &caller).await?;
    let page = PageRequest::parse(
        &SORT,
        "starts_at",
        p.limit,
        p.cursor.as_deref(),
        p.sort.as_deref(),
        p.include_total,
    )?;
    let mut cond = scope_condition(&scope);
    if let Some(v) = p.from {
        cond = cond.add(Column::EndsAt.gt(v));
    }
    if let Some(v) = p.to {
        cond = cond.add(Column::StartsAt.lt(v));
    }
    if let Some(v) = p.trainer_id {
        cond = cond.add(Column::TrainerId.eq(v));
    }
    if let Some(v) = p.client_id {
        cond = cond.add(Column::ClientId.eq(v));
    }
    if let Some(v) = p.location_id {
        cond = cond.add(Column::LocationId.eq(v));
    }
    if let Some(v) = p.status {
        cond = cond.add(Column::Status.eq(v.as_str()));
    }
    let total = if page.include_total {
        use sea_orm::PaginatorTrait;
        Some(
            training_sessions::Entity::find()
                .filter(cond.clone())
                .count(db)
                .await?,
        )
    } else {
        None
    };
    let rows = page
        .apply(training_sessions::Entity::find().filter(cond), Column::Id)
        .all(db)
        .await?;
    Ok(Json(page.finish(
        rows,
        |m| (SortValue::Time(m.starts_at), m.id),
        |m| Ok(to_session(&scope, m)),
        total,
    )?))
}

/// One session the scope sees (404 otherwise).
pub async fn visible(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    id: Uuid,
) -> AppResult<training_sessions::Model> {
    training_sessions::Entity::find_by_id(id)
        .filter(scope_condition(scope))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// One session.
#[utoipa::path(get, path = "/{id}", tag = "scheduling", params(("id" = Uuid, Path, description = "Session id")),
    responses((status = 200, description = "The session", body = Session)))]
pub async fn get_session(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Session>> {
    let db = state.db.conn();
    let scope = ScheduleScope::of(db, &caller).await?;
    Ok(Json(to_session(&scope, visible(db, &scope, id).await?)))
}

/// `PATCH /api/v1/sessions/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSession {
    /// Move: new start.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// Move: new end.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// Another trainer.
    #[serde(default)]
    pub trainer_id: Option<Uuid>,
    /// Another place (null: none).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub location_id: Option<Option<Uuid>>,
    /// Kind.
    #[serde(default)]
    pub kind: Option<SessionKind>,
    /// Status: `completed`, `cancelled` or `no_show` from `scheduled`.
    #[serde(default)]
    pub status: Option<SessionStatus>,
    /// Notes.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
    /// The version the change is based on.
    #[serde(default)]
    pub version: Option<i64>,
}

/// Whether a cancellation now is late under the organization's policy.
pub async fn is_late(
    db: &impl ConnectionTrait,
    org: OrgId,
    starts_at: DateTime<Utc>,
) -> AppResult<bool> {
    let o = org_repo::get(db, org).await?.ok_or(AppError::NotFound)?;
    Ok(now() > starts_at - Duration::hours(i64::from(o.late_cancel_hours)))
}

/// Moves or changes a session (staff and above, or its trainer). A move is checked like a booking;
/// a session that is not scheduled cannot move.
#[utoipa::path(patch, path = "/{id}", tag = "scheduling", request_body = UpdateSession,
    params(("id" = Uuid, Path, description = "Session id"), ("If-Match" = Option<String>, Header, description = "The version the change is based on"), BookingOverrides),
    responses(
        (status = 200, description = "Changed", body = Session),
        (status = 409, description = "The new time conflicts", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since that version", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_session(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    Path(id): Path<Uuid>,
    if_match: IfMatch,
    ApiQuery(overrides): ApiQuery<BookingOverrides>,
    ApiJson(input): ApiJson<UpdateSession>,
) -> AppResult<Json<Session>> {
    Ok(Json(
        update(&state.db, &caller, &ctx, id, if_match, input, &overrides).await?,
    ))
}

/// Moves or changes a session (and, by `overrides.apply_to`, other sessions of its series) for a caller.
pub async fn update(
    db: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    id: Uuid,
    if_match: IfMatch,
    input: UpdateSession,
    overrides: &BookingOverrides,
) -> AppResult<Session> {
    let scope = ScheduleScope::of(db.conn(), caller).await?;
    if matches!(scope.who, Who::Client(_) | Who::Nobody) {
        return Err(AppError::Forbidden(
            "Clients cancel with POST /sessions/{id}/cancel.".into(),
        ));
    }
    let expected = if_match.expected(input.version)?;
    let txn = db.begin_write().await?;
    let current = visible(&txn, &scope, id).await?;
    if expected.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed {
            current_version: current.version,
        });
    }
    let changed = super::series::apply(&txn, &scope, current, input, overrides).await?;
    for m in &changed {
        let mut event = Event::new("session.updated", "session", Some(m.id));
        event.subject_client_id = Some(m.client_id);
        audit::record(&txn, ctx, event).await?;
    }
    txn.commit().await?;
    let m = changed
        .into_iter()
        .find(|m| m.id == id)
        .ok_or(AppError::NotFound)?;
    Ok(to_session(&scope, m))
}

/// Applies a change to one session inside the caller's transaction.
pub async fn apply_update(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    current: training_sessions::Model,
    input: UpdateSession,
    overrides: &BookingOverrides,
    moving: &[Uuid],
) -> AppResult<training_sessions::Model> {
    let from = SessionStatus::parse(&current.status);
    let mut e = FieldErrors::new();
    if let Some(to) = input.status
        && let Err(m) = from.check_transition(to)
    {
        e.add("status", m);
    }
    let moves = input.starts_at.is_some()
        || input.ends_at.is_some()
        || input.trainer_id.is_some()
        || input.location_id.is_some();
    if moves && from != SessionStatus::Scheduled {
        e.add(
            "starts_at",
            format!("a {} session cannot move", from.as_str()),
        );
    }
    let b = Booking {
        trainer_id: input.trainer_id.unwrap_or(current.trainer_id),
        client_id: current.client_id,
        location_id: input.location_id.unwrap_or(current.location_id),
        starts_at: input.starts_at.unwrap_or(current.starts_at),
        ends_at: input.ends_at.unwrap_or(current.ends_at),
    };
    check_times(&mut e, b.starts_at, b.ends_at);
    let notes = match input.notes {
        Some(Some(n)) => e
            .check("notes", parse_long_text(&n, 2000))
            .map(|n| Some(n.unwrap_or_default())),
        other => other,
    };
    e.into_result(())?;
    if let Who::Trainer(t) = scope.who
        && b.trainer_id != t
    {
        return Err(AppError::Forbidden(
            "A trainer cannot hand a session to another trainer.".into(),
        ));
    }
    if moves {
        let loc_tz = check_parties(db, scope.org, &b).await?;
        let tz = zone_of(db, scope.org, loc_tz).await?;
        check_slot(db, scope, &b, tz, overrides, moving).await?;
    }
    let mut u = training_sessions::Entity::update_many()
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now()));
    if moves {
        u = u
            .col_expr(Column::StartsAt, Expr::value(b.starts_at))
            .col_expr(Column::EndsAt, Expr::value(b.ends_at))
            .col_expr(Column::TrainerId, Expr::value(b.trainer_id))
            .col_expr(Column::LocationId, Expr::value(b.location_id));
    }
    if moves || input.status.is_some_and(|s| s != from) {
        u = u.col_expr(Column::Sequence, Expr::col(Column::Sequence).add(1));
    }
    if let Some(k) = input.kind {
        u = u.col_expr(Column::Kind, Expr::value(kind_str(k)));
    }
    if let Some(n) = notes {
        u = u.col_expr(Column::Notes, Expr::value(n));
    }
    if let Some(to) = input.status
        && to != from
    {
        u = u.col_expr(Column::Status, Expr::value(to.as_str()));
        if to == SessionStatus::Cancelled {
            let late = is_late(db, scope.org, current.starts_at).await?;
            u = u
                .col_expr(Column::CancelledAt, Expr::value(now()))
                .col_expr(Column::LateCancel, Expr::value(late));
        }
    }
    u.filter(Column::Id.eq(current.id))
        .filter(Column::OrganizationId.eq(scope.org.0))
        .exec(db)
        .await?;
    visible(db, scope, current.id).await
}

/// Cancels a session. Clients may cancel their own when the organization allows it; a cancellation
/// inside the late window is recorded as late.
#[utoipa::path(post, path = "/{id}/cancel", tag = "scheduling", params(("id" = Uuid, Path, description = "Session id"), BookingOverrides),
    responses((status = 200, description = "Cancelled", body = Session)))]
pub async fn cancel_session(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    Path(id): Path<Uuid>,
    ApiQuery(options): ApiQuery<BookingOverrides>,
) -> AppResult<Json<Session>> {
    Ok(Json(cancel(&state.db, &caller, &ctx, id, &options).await?))
}

/// Cancels a session (and, by `options.apply_to`, other sessions of its series) for a caller.
pub async fn cancel(
    db: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    id: Uuid,
    options: &BookingOverrides,
) -> AppResult<Session> {
    if options.allow_conflict.is_some() || options.allow_outside_hours.is_some() {
        return Err(AppError::bad_param(
            "allow_conflict",
            "does not apply to cancelling",
        ));
    }
    let scope = ScheduleScope::of(db.conn(), caller).await?;
    let txn = db.begin_write().await?;
    let current = visible(&txn, &scope, id).await?;
    if matches!(scope.who, Who::Client(_)) {
        let o = org_repo::get(&txn, scope.org)
            .await?
            .ok_or(AppError::NotFound)?;
        if !o.clients_may_cancel {
            return Err(AppError::Forbidden(
                "This studio does not let clients cancel themselves; please call.".into(),
            ));
        }
    }
    let input = UpdateSession {
        starts_at: None,
        ends_at: None,
        trainer_id: None,
        location_id: None,
        kind: None,
        status: Some(SessionStatus::Cancelled),
        notes: None,
        version: None,
    };
    let as_desk = ScheduleScope {
        who: Who::All,
        ..scope
    };
    let changed = super::series::apply(&txn, &as_desk, current, input, options).await?;
    for m in &changed {
        let mut event =
            Event::new("session.cancelled", "session", Some(m.id)).with_fields(["status"]);
        event.subject_client_id = Some(m.client_id);
        audit::record(&txn, ctx, event).await?;
    }
    txn.commit().await?;
    let m = changed
        .into_iter()
        .find(|m| m.id == id)
        .ok_or(AppError::NotFound)?;
    Ok(to_session(&scope, m))
}

/// `POST /sessions/{id}/check-in` and class check-ins.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// The session's check-in code: required when the client checks in themself.
    #[serde(default)]
    #[schema(max_length = 12)]
    pub code: Option<String>,
}

/// How a check-in is allowed: staff and the trainer check anyone in; a client checks in with the code.
pub fn check_in_method(
    scope: &ScheduleScope,
    expected_code: &str,
    input: &CheckIn,
) -> AppResult<&'static str> {
    match scope.who {
        Who::All => Ok("staff"),
        Who::Trainer(_) => Ok("trainer"),
        Who::Client(_) => {
            let given = input.code.as_deref().unwrap_or("");
            if !given.is_empty()
                && subtle::ConstantTimeEq::ct_eq(given.as_bytes(), expected_code.as_bytes()).into()
            {
                Ok("code")
            } else {
                Err(AppError::field(
                    "code",
                    "is not this session's check-in code",
                ))
            }
        }
        Who::Nobody => Err(AppError::Forbidden(
            "Your account is not linked to a trainer or client.".into(),
        )),
    }
}

/// Checks the client in.
#[utoipa::path(post, path = "/{id}/check-in", tag = "scheduling", request_body = CheckIn,
    params(("id" = Uuid, Path, description = "Session id")),
    responses((status = 200, description = "Checked in", body = Session)))]
pub async fn check_in_session(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<CheckIn>,
) -> AppResult<Json<Session>> {
    Ok(Json(check_in(&state.db, &caller, &ctx, id, &input).await?))
}

/// Checks a session's client in, for a caller.
pub async fn check_in(
    db: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    id: Uuid,
    input: &CheckIn,
) -> AppResult<Session> {
    let scope = ScheduleScope::of(db.conn(), caller).await?;
    let txn = db.begin_write().await?;
    let current = visible(&txn, &scope, id).await?;
    let method = check_in_method(&scope, &current.check_in_code, input)?;
    if current.status != "scheduled" && current.status != "completed" {
        return Err(AppError::field(
            "status",
            format!("a {} session cannot be checked in", current.status),
        ));
    }
    training_sessions::Entity::update_many()
        .col_expr(Column::CheckedInAt, Expr::value(now()))
        .col_expr(Column::CheckInMethod, Expr::value(method))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now()))
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(scope.org.0))
        .exec(&txn)
        .await?;
    let m = visible(&txn, &scope, id).await?;
    let mut event = Event::new("session.checked_in", "session", Some(id));
    event.subject_client_id = Some(m.client_id);
    audit::record(&txn, ctx, event).await?;
    txn.commit().await?;
    Ok(to_session(&scope, m))
}
