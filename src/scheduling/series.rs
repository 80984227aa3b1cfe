//! Recurring sessions (`/api/v1/session-series`): a rule in a named time zone expands into sessions
//! that keep their local wall-clock time across daylight-saving changes. The whole series is checked
//! before anything is written — a 409 lists every conflicting occurrence. A session of a series is
//! changed or cancelled alone, with the ones after it, or with all of them (`apply_to`).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::access::{ScheduleScope, Who};
use super::recurrence::{Limit, RecurrenceRule, local_to_utc, occurrences};
use super::sessions::{
    Booking, BookingOverrides, Session, SessionKind, UpdateSession, apply_update, check_parties,
    insert, to_session,
};
use super::{conflicts, hours};
use crate::audit::{self, Audit, AuditContext, Event};
use crate::auth::CurrentUser;
use crate::db::entities::{session_series, training_sessions};
use crate::db::{Db, new_id, now};
use crate::error::{AppError, AppResult, FieldErrors, Problem};
use crate::http::{ApiJson, ApiQuery, created};
use crate::organizations::model::parse_timezone;
use crate::state::AppState;
use crate::validation::parse_long_text;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_series))
        .routes(routes!(get_series))
}

/// Which occurrences of a series a change applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApplyTo {
    /// Only this session.
    #[default]
    This,
    /// This session and every later scheduled one.
    Following,
    /// Every scheduled session of the series.
    All,
}

/// A recurring appointment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Series {
    /// Id.
    pub id: Uuid,
    /// Trainer.
    pub trainer_id: Uuid,
    /// Client.
    pub client_id: Uuid,
    /// Where.
    pub location_id: Option<Uuid>,
    /// The first occurrence's start.
    pub first_starts_at: DateTime<Utc>,
    /// Length of each session.
    pub duration_minutes: i32,
    /// The time zone the wall-clock time is kept in.
    pub timezone: String,
    /// The rule, canonical form.
    pub rrule: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<session_series::Model> for Series {
    fn from(m: session_series::Model) -> Self {
        Self {
            id: m.id,
            trainer_id: m.trainer_id,
            client_id: m.client_id,
            location_id: m.location_id,
            first_starts_at: m.first_starts_at,
            duration_minutes: m.duration_minutes,
            timezone: m.timezone,
            rrule: m.rrule,
            created_at: m.created_at,
        }
    }
}

/// `POST /api/v1/session-series`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSeries {
    /// Trainer.
    pub trainer_id: Uuid,
    /// Client.
    pub client_id: Uuid,
    /// Where.
    #[serde(default)]
    pub location_id: Option<Uuid>,
    /// The first start as local wall-clock time in `timezone` (`2026-12-01T07:00:00`), or an RFC 3339
    /// instant.
    #[schema(example = "2026-12-01T07:00:00")]
    pub first_starts_at: String,
    /// 15–720 minutes.
    #[schema(minimum = 15, maximum = 720)]
    pub duration_minutes: i32,
    /// IANA time zone the wall-clock time is kept in.
    #[schema(example = "Europe/Berlin")]
    pub timezone: String,
    /// RFC 5545 rule: FREQ=DAILY|WEEKLY|MONTHLY with INTERVAL, BYDAY, BYMONTHDAY, COUNT or UNTIL.
    #[schema(example = "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=12")]
    pub rrule: String,
    /// Default personal.
    #[serde(default)]
    pub kind: Option<SessionKind>,
    /// Notes on every session.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

/// A series and its sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesWithSessions {
    /// The series.
    pub series: Series,
    /// Its sessions, in order.
    pub sessions: Vec<Session>,
}

/// The most occurrences one series may have, and how far ahead it may reach.
pub const LIMIT: Limit = Limit::new(730, chrono::Months::new(24));

fn parse_first_start(raw: &str, tz: chrono_tz::Tz) -> Result<NaiveDateTime, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&tz).naive_local());
    }
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M"))
        .map_err(|_| {
            "must be a local date-time such as 2026-12-01T07:00:00, or an RFC 3339 time".to_owned()
        })
}

/// Creates a series: every occurrence is checked (conflicts, working hours) before anything is written.
#[utoipa::path(post, path = "", tag = "scheduling", request_body = CreateSeries, params(BookingOverrides),
    responses(
        (status = 201, description = "The series and its sessions", body = SeriesWithSessions, headers(("Location" = String, description = "The series"))),
        (status = 409, description = "Occurrences conflict; `conflicts` lists each with `occurrence_starts_at`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_series(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    ApiQuery(overrides): ApiQuery<BookingOverrides>,
    ApiJson(input): ApiJson<CreateSeries>,
) -> AppResult<Response> {
    let body = create(&state.db, &caller, &ctx, input, &overrides).await?;
    Ok(created(
        format!("/api/v1/session-series/{}", body.series.id),
        body,
    ))
}

/// Creates a series for a caller: every occurrence is checked before anything is written.
pub async fn create(
    db: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    input: CreateSeries,
    overrides: &BookingOverrides,
) -> AppResult<SeriesWithSessions> {
    let scope = ScheduleScope::of(db.conn(), caller).await?;
    match scope.who {
        Who::All => {}
        Who::Trainer(t) if t == input.trainer_id => {}
        _ => {
            return Err(AppError::Forbidden(
                "Staff book series; a trainer books their own.".into(),
            ));
        }
    }
    if (overrides.allow_conflict == Some(true) || overrides.allow_outside_hours == Some(true))
        && !scope.may_override()
    {
        return Err(AppError::Forbidden(
            "Only owners and admins may override conflicts or working hours.".into(),
        ));
    }
    let mut e = FieldErrors::new();
    let tz_name = e.check("timezone", parse_timezone(&input.timezone));
    let tz: Option<chrono_tz::Tz> = tz_name.as_deref().and_then(|t| t.parse().ok());
    let rule = e.check("rrule", RecurrenceRule::parse(&input.rrule));
    let first = tz.and_then(|tz| {
        e.check(
            "first_starts_at",
            parse_first_start(&input.first_starts_at, tz),
        )
    });
    if !(15..=720).contains(&input.duration_minutes) {
        e.add("duration_minutes", "must be between 15 and 720");
    }
    let notes = match &input.notes {
        Some(n) => e.check("notes", parse_long_text(n, 2000)).flatten(),
        None => None,
    };
    let starts = match (&rule, first, tz) {
        (Some(rule), Some(first), Some(tz)) => {
            e.check("rrule", occurrences(rule, first, tz, LIMIT))
        }
        _ => None,
    };
    let (Some(tz), Some(tz_name), Some(rule), Some(starts), true) =
        (tz, tz_name, rule, starts, e.is_empty())
    else {
        return Err(AppError::Validation(e));
    };
    let duration = Duration::minutes(i64::from(input.duration_minutes));
    let first_utc = starts
        .first()
        .copied()
        .ok_or_else(|| AppError::field("rrule", "has no occurrence"))?;
    let probe = Booking {
        trainer_id: input.trainer_id,
        client_id: input.client_id,
        location_id: input.location_id,
        starts_at: first_utc,
        ends_at: first_utc + duration,
    };

    let txn = db.begin_write().await?;
    check_parties(&txn, scope.org, &probe).await?;
    conflicts::lock_people(&txn, &[input.trainer_id, input.client_id]).await?;
    let mut clashes = Vec::new();
    let mut outside = Vec::new();
    for start in &starts {
        let (s, en) = (*start, *start + duration);
        if overrides.allow_outside_hours != Some(true)
            && let Err(m) =
                hours::check_availability(&txn, scope.org, input.trainer_id, s, en, tz).await?
        {
            outside.push(format!("{}: {m}", s.to_rfc3339()));
        }
        if overrides.allow_conflict != Some(true) {
            for c in conflicts::find(
                &txn,
                scope.org,
                input.trainer_id,
                Some(input.client_id),
                s,
                en,
                &[],
            )
            .await?
            {
                let mut v = serde_json::to_value(&c).map_err(|e| AppError::Internal(e.into()))?;
                v["occurrence_starts_at"] = serde_json::json!(s);
                clashes.push(v);
            }
        }
    }
    if !clashes.is_empty() {
        return Err(AppError::Conflict {
            detail: format!(
                "{} occurrence(s) of the series conflict; nothing was booked.",
                clashes.len()
            ),
            conflicts: clashes,
        });
    }
    if !outside.is_empty() {
        let mut e = FieldErrors::new();
        for m in outside.into_iter().take(20) {
            e.add("first_starts_at", m);
        }
        return Err(AppError::Validation(e));
    }
    let at = now();
    let series = session_series::Entity::insert(session_series::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(scope.org.0),
        trainer_id: Set(input.trainer_id),
        client_id: Set(input.client_id),
        location_id: Set(input.location_id),
        first_starts_at: Set(first_utc),
        duration_minutes: Set(input.duration_minutes),
        timezone: Set(tz_name),
        rrule: Set(rule.to_string()),
        kind: Set(format!("{:?}", input.kind.unwrap_or(SessionKind::Personal)).to_lowercase()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    })
    .exec_with_returning(&txn)
    .await?;
    let mut sessions = Vec::with_capacity(starts.len());
    for start in starts {
        let b = Booking {
            starts_at: start,
            ends_at: start + duration,
            ..probe.clone()
        };
        let m = insert(
            &txn,
            scope.org,
            &b,
            input.kind.unwrap_or(SessionKind::Personal),
            notes.clone(),
            Some(series.id),
        )
        .await?;
        sessions.push(to_session(&scope, m));
    }
    let mut event = Event::new("session_series.created", "session_series", Some(series.id))
        .with_fields(["rrule", "first_starts_at"]);
    event.subject_client_id = Some(input.client_id);
    audit::record(&txn, ctx, event).await?;
    txn.commit().await?;
    Ok(SeriesWithSessions {
        series: series.into(),
        sessions,
    })
}

/// A series and its sessions.
#[utoipa::path(get, path = "/{id}", tag = "scheduling", params(("id" = Uuid, Path, description = "Series id")),
    responses((status = 200, description = "The series", body = SeriesWithSessions)))]
pub async fn get_series(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<SeriesWithSessions>> {
    let db = state.db.conn();
    let scope = ScheduleScope::of(db, &caller).await?;
    let series = session_series::Entity::find_by_id(id)
        .filter(session_series::Column::OrganizationId.eq(scope.org.0))
        .one(db)
        .await?
        .filter(|s| scope.sees(s.trainer_id, Some(s.client_id)))
        .ok_or(AppError::NotFound)?;
    let sessions = training_sessions::Entity::find()
        .filter(training_sessions::Column::OrganizationId.eq(scope.org.0))
        .filter(training_sessions::Column::SeriesId.eq(id))
        .order_by_asc(training_sessions::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(|m| to_session(&scope, m))
        .collect();
    Ok(Json(SeriesWithSessions {
        series: series.into(),
        sessions,
    }))
}

/// Applies a change to a session, or to it and the later (or all) scheduled sessions of its series.
/// A move shifts every targeted session by the same local wall-clock difference, so a weekly 07:00
/// moved to 08:00 stays at 08:00 local on both sides of a daylight-saving change.
pub async fn apply(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    current: training_sessions::Model,
    input: UpdateSession,
    options: &BookingOverrides,
) -> AppResult<Vec<training_sessions::Model>> {
    let apply_to = options.apply_to.unwrap_or_default();
    let Some(series_id) = current.series_id.filter(|_| apply_to != ApplyTo::This) else {
        let id = current.id;
        return Ok(vec![
            apply_update(db, scope, current, input, options, &[id]).await?,
        ]);
    };
    let series = session_series::Entity::find_by_id(series_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let tz: chrono_tz::Tz = series.timezone.parse().unwrap_or(chrono_tz::UTC);
    let mut q = training_sessions::Entity::find()
        .filter(training_sessions::Column::OrganizationId.eq(scope.org.0))
        .filter(training_sessions::Column::SeriesId.eq(series_id))
        .filter(training_sessions::Column::Status.eq("scheduled"));
    if apply_to == ApplyTo::Following {
        q = q.filter(training_sessions::Column::StartsAt.gte(current.starts_at));
    }
    let mut targets = q
        .order_by_asc(training_sessions::Column::StartsAt)
        .all(db)
        .await?;
    if !targets.iter().any(|t| t.id == current.id) {
        targets.insert(0, current.clone());
    }
    let moving: Vec<Uuid> = targets.iter().map(|t| t.id).collect();
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).naive_local();
    let start_shift = input.starts_at.map(|s| local(s) - local(current.starts_at));
    let new_length = match (input.starts_at, input.ends_at) {
        (Some(s), Some(e)) => Some(e - s),
        (None, Some(e)) => Some(e - current.starts_at),
        _ => None,
    };
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        let start = match start_shift {
            Some(d) => local_to_utc(local(t.starts_at) + d, tz)
                .map_err(|m| AppError::field("starts_at", m))?,
            None => t.starts_at,
        };
        let end = match new_length {
            Some(len) => start + len,
            None => start + (t.ends_at - t.starts_at),
        };
        let moves = start_shift.is_some() || new_length.is_some();
        let one = UpdateSession {
            starts_at: moves.then_some(start),
            ends_at: moves.then_some(end),
            trainer_id: input.trainer_id,
            location_id: input.location_id,
            kind: input.kind,
            status: input.status,
            notes: input.notes.clone(),
            version: None,
        };
        out.push(apply_update(db, scope, t, one, options, &moving).await?);
    }
    Ok(out)
}
