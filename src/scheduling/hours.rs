//! Trainer working hours (per weekday, local time) and time off, and the check that a booking lies
//! within them. A trainer with no working hours set has no restriction.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, NaiveTime, Timelike, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::access::{ScheduleScope, Who};
use crate::audit::{self, Audit, AuditContext, Event};
use crate::auth::CurrentUser;
use crate::db::entities::{trainer_hours, trainer_time_off};
use crate::db::{Db, new_id};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::{ApiJson, created};
use crate::organizations::OrgId;
use crate::state::AppState;
use crate::trainers::repo as trainer_repo;

/// The routes of this module, under `/api/v1/trainers`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_working_hours, set_working_hours))
        .routes(routes!(list_time_off, create_time_off))
        .routes(routes!(delete_time_off))
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One block of working time on a weekday, in local time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingBlock {
    /// `mon` … `sun`.
    #[schema(pattern = "^(mon|tue|wed|thu|fri|sat|sun)$")]
    pub weekday: String,
    /// `HH:MM`, local time.
    #[schema(pattern = "^[0-2][0-9]:[0-5][0-9]$")]
    pub start: String,
    /// `HH:MM`, local time, after `start` (`24:00` for midnight).
    #[schema(pattern = "^[0-2][0-9]:[0-5][0-9]$")]
    pub end: String,
}

/// A trainer's week.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// The blocks; empty means no restriction.
    pub hours: Vec<WorkingBlock>,
}

fn minutes(s: &str) -> Result<i32, String> {
    if s == "24:00" {
        return Ok(24 * 60);
    }
    NaiveTime::parse_from_str(s, "%H:%M")
        .map(|t| i32::try_from(t.hour() * 60 + t.minute()).unwrap_or(0))
        .map_err(|_| "must be a time HH:MM".to_owned())
}

fn hhmm(m: i32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

async fn trainer_in_org(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<()> {
    trainer_repo::get(db, org, id)
        .await?
        .map(|_| ())
        .ok_or(AppError::NotFound)
}

/// The caller may manage this trainer's time: owners and admins, and the trainer themself.
fn may_manage(scope: &ScheduleScope, trainer: Uuid) -> AppResult<()> {
    if scope.may_override() || scope.who == Who::Trainer(trainer) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Owners, admins and the trainer themself manage working hours.".into(),
        ))
    }
}

/// A trainer's working hours.
#[utoipa::path(get, path = "/{id}/working-hours", tag = "scheduling", params(("id" = Uuid, Path, description = "Trainer id")),
    responses((status = 200, description = "The week", body = WorkingHours)))]
pub async fn get_working_hours(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<WorkingHours>> {
    Ok(Json(working_hours(state.db.conn(), &caller, id).await?))
}

/// A trainer's working hours, for any member of the team.
pub async fn working_hours(
    db: &impl ConnectionTrait,
    caller: &CurrentUser,
    id: Uuid,
) -> AppResult<WorkingHours> {
    caller.role.require(crate::auth::Role::Trainer)?;
    trainer_in_org(db, caller.org, id).await?;
    Ok(WorkingHours {
        hours: load(db, caller.org, id)
            .await?
            .into_iter()
            .map(|h| WorkingBlock {
                weekday: DAYS[usize::try_from(h.weekday).unwrap_or(0).min(6)].into(),
                start: hhmm(h.start_minute),
                end: hhmm(h.end_minute),
            })
            .collect(),
    })
}

async fn load(
    db: &impl ConnectionTrait,
    org: OrgId,
    trainer: Uuid,
) -> AppResult<Vec<trainer_hours::Model>> {
    Ok(trainer_hours::Entity::find()
        .filter(trainer_hours::Column::OrganizationId.eq(org.0))
        .filter(trainer_hours::Column::TrainerId.eq(trainer))
        .order_by_asc(trainer_hours::Column::Weekday)
        .order_by_asc(trainer_hours::Column::StartMinute)
        .all(db)
        .await?)
}

/// Replaces a trainer's working hours.
#[utoipa::path(put, path = "/{id}/working-hours", tag = "scheduling", request_body = WorkingHours,
    params(("id" = Uuid, Path, description = "Trainer id")),
    responses((status = 200, description = "The new week", body = WorkingHours)))]
pub async fn set_working_hours(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<WorkingHours>,
) -> AppResult<Json<WorkingHours>> {
    set_hours(&state.db, &caller, &ctx, id, &input).await?;
    get_working_hours(State(state), caller, Path(id)).await
}

/// Replaces a trainer's working hours (owners, admins, the trainer themself).
pub async fn set_hours(
    pool: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    id: Uuid,
    input: &WorkingHours,
) -> AppResult<()> {
    let db = pool.conn();
    let scope = ScheduleScope::of(db, caller).await?;
    trainer_in_org(db, caller.org, id).await?;
    may_manage(&scope, id)?;
    let mut e = FieldErrors::new();
    let mut rows = Vec::new();
    if input.hours.len() > 50 {
        e.add("hours", "must have at most 50 blocks");
    }
    for (i, b) in input.hours.iter().enumerate() {
        let day = DAYS.iter().position(|d| *d == b.weekday.as_str());
        if day.is_none() {
            e.add(
                format!("hours[{i}].weekday"),
                "must be mon, tue, wed, thu, fri, sat or sun",
            );
        }
        let start = e.check(&format!("hours[{i}].start"), minutes(&b.start));
        let end = e.check(&format!("hours[{i}].end"), minutes(&b.end));
        if let (Some(s), Some(en)) = (start, end)
            && s >= en
        {
            e.add(format!("hours[{i}].end"), "must be after start");
        }
        if let (Some(d), Some(s), Some(en)) = (day, start, end) {
            rows.push((i32::try_from(d).unwrap_or(0), s, en));
        }
    }
    e.into_result(())?;
    let txn = pool.begin_write().await?;
    trainer_hours::Entity::delete_many()
        .filter(trainer_hours::Column::OrganizationId.eq(caller.org.0))
        .filter(trainer_hours::Column::TrainerId.eq(id))
        .exec(&txn)
        .await?;
    for (weekday, start, end) in rows {
        trainer_hours::Entity::insert(trainer_hours::ActiveModel {
            id: Set(new_id()),
            organization_id: Set(caller.org.0),
            trainer_id: Set(id),
            weekday: Set(weekday),
            start_minute: Set(start),
            end_minute: Set(end),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    audit::record(
        &txn,
        ctx,
        Event::new("trainer.working_hours_set", "trainer", Some(id)).with_fields(["working_hours"]),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A period a trainer is away.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimeOff {
    /// Id.
    pub id: Uuid,
    /// The trainer.
    pub trainer_id: Uuid,
    /// From.
    pub starts_at: DateTime<Utc>,
    /// Until.
    pub ends_at: DateTime<Utc>,
    /// Why (shown to staff).
    pub reason: Option<String>,
}

/// `POST /api/v1/trainers/{id}/time-off`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTimeOff {
    /// From.
    pub starts_at: DateTime<Utc>,
    /// Until (after `starts_at`, at most a year later).
    pub ends_at: DateTime<Utc>,
    /// Up to 200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reason: Option<String>,
}

fn to_time_off(m: trainer_time_off::Model) -> TimeOff {
    TimeOff {
        id: m.id,
        trainer_id: m.trainer_id,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        reason: m.reason,
    }
}

/// A trainer's time off, soonest first.
#[utoipa::path(get, path = "/{id}/time-off", tag = "scheduling", params(("id" = Uuid, Path, description = "Trainer id")),
    responses((status = 200, description = "Periods away", body = [TimeOff])))]
pub async fn list_time_off(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Vec<TimeOff>>> {
    Ok(Json(time_off(state.db.conn(), &caller, id).await?))
}

/// A trainer's time off, soonest first, for any member of the team.
pub async fn time_off(
    db: &impl ConnectionTrait,
    caller: &CurrentUser,
    id: Uuid,
) -> AppResult<Vec<TimeOff>> {
    caller.role.require(crate::auth::Role::Trainer)?;
    trainer_in_org(db, caller.org, id).await?;
    Ok(trainer_time_off::Entity::find()
        .filter(trainer_time_off::Column::OrganizationId.eq(caller.org.0))
        .filter(trainer_time_off::Column::TrainerId.eq(id))
        .order_by_asc(trainer_time_off::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(to_time_off)
        .collect())
}

/// Adds time off.
#[utoipa::path(post, path = "/{id}/time-off", tag = "scheduling", request_body = CreateTimeOff,
    params(("id" = Uuid, Path, description = "Trainer id")),
    responses((status = 201, description = "Added", body = TimeOff, headers(("Location" = String, description = "The trainer's time off")))))]
pub async fn create_time_off(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<CreateTimeOff>,
) -> AppResult<Response> {
    let t = add_time_off(&state.db, &caller, &ctx, id, input).await?;
    Ok(created(format!("/api/v1/trainers/{id}/time-off"), t))
}

/// Adds time off (owners, admins, the trainer themself).
pub async fn add_time_off(
    pool: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    id: Uuid,
    input: CreateTimeOff,
) -> AppResult<TimeOff> {
    let db = pool.conn();
    let scope = ScheduleScope::of(db, caller).await?;
    trainer_in_org(db, caller.org, id).await?;
    may_manage(&scope, id)?;
    if input.ends_at <= input.starts_at {
        return Err(AppError::field("ends_at", "must be after starts_at"));
    }
    if input.ends_at - input.starts_at > chrono::Duration::days(366) {
        return Err(AppError::field(
            "ends_at",
            "must be at most a year after starts_at",
        ));
    }
    let reason = match input.reason {
        Some(r) => {
            crate::validation::parse_long_text(&r, 200).map_err(|m| AppError::field("reason", m))?
        }
        None => None,
    };
    let txn = pool.begin_write().await?;
    let m = trainer_time_off::Entity::insert(trainer_time_off::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(caller.org.0),
        trainer_id: Set(id),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        reason: Set(reason),
    })
    .exec_with_returning(&txn)
    .await?;
    audit::record(
        &txn,
        ctx,
        Event::new("trainer.time_off_added", "trainer", Some(id)),
    )
    .await?;
    txn.commit().await?;
    Ok(to_time_off(m))
}

/// Removes time off.
#[utoipa::path(delete, path = "/{id}/time-off/{time_off_id}", tag = "scheduling",
    params(("id" = Uuid, Path, description = "Trainer id"), ("time_off_id" = Uuid, Path, description = "Time off id")),
    responses((status = 204, description = "Removed")))]
pub async fn delete_time_off(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    Path((id, time_off_id)): Path<(Uuid, Uuid)>,
) -> AppResult<impl IntoResponse> {
    remove_time_off(&state.db, &caller, &ctx, id, time_off_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes time off (owners, admins, the trainer themself).
pub async fn remove_time_off(
    pool: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    id: Uuid,
    time_off_id: Uuid,
) -> AppResult<()> {
    let db = pool.conn();
    let scope = ScheduleScope::of(db, caller).await?;
    trainer_in_org(db, caller.org, id).await?;
    may_manage(&scope, id)?;
    let txn = pool.begin_write().await?;
    let r = trainer_time_off::Entity::delete_many()
        .filter(trainer_time_off::Column::OrganizationId.eq(caller.org.0))
        .filter(trainer_time_off::Column::TrainerId.eq(id))
        .filter(trainer_time_off::Column::Id.eq(time_off_id))
        .exec(&txn)
        .await?;
    if r.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    audit::record(
        &txn,
        ctx,
        Event::new("trainer.time_off_removed", "trainer", Some(id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Checks that `[start, end)` lies within the trainer's working hours (in `tz`) and outside their time
/// off. `Err` carries the message for a 422.
pub async fn check_availability(
    db: &impl ConnectionTrait,
    org: OrgId,
    trainer: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> AppResult<Result<(), String>> {
    let away = trainer_time_off::Entity::find()
        .filter(trainer_time_off::Column::OrganizationId.eq(org.0))
        .filter(trainer_time_off::Column::TrainerId.eq(trainer))
        .filter(trainer_time_off::Column::StartsAt.lt(end))
        .filter(trainer_time_off::Column::EndsAt.gt(start))
        .one(db)
        .await?;
    if let Some(off) = away {
        return Ok(Err(format!(
            "the trainer is away from {} to {}",
            off.starts_at.to_rfc3339(),
            off.ends_at.to_rfc3339()
        )));
    }
    let hours = load(db, org, trainer).await?;
    if hours.is_empty() {
        return Ok(Ok(()));
    }
    let (ls, le) = (start.with_timezone(&tz), end.with_timezone(&tz));
    let day = i32::try_from(ls.weekday().num_days_from_monday()).unwrap_or(0);
    let s = i32::try_from(ls.hour() * 60 + ls.minute()).unwrap_or(0);
    let same_day = le.date_naive() == ls.date_naive();
    let e = if same_day {
        i32::try_from(le.hour() * 60 + le.minute()).unwrap_or(0)
    } else if le.date_naive() == ls.date_naive().succ_opt().unwrap_or(ls.date_naive())
        && le.hour() == 0
        && le.minute() == 0
    {
        24 * 60
    } else {
        i32::MAX
    };
    if hours
        .iter()
        .any(|h| h.weekday == day && h.start_minute <= s && e <= h.end_minute)
    {
        Ok(Ok(()))
    } else {
        Ok(Err(format!(
            "outside the trainer's working hours on {} ({} local time)",
            DAYS[usize::try_from(day).unwrap_or(0)],
            ls.format("%H:%M")
        )))
    }
}
