//! Day and week agendas per trainer or location (what a calendar screen renders), and a client's
//! attendance record.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::access::{ScheduleScope, Who};
use super::locations;
use crate::auth::CurrentUser;
use crate::clients::access::ClientScope;
use crate::db::entities::{class_bookings, classes, training_sessions};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::http::ApiQuery;
use crate::organizations::{OrgId, repo as org_repo};
use crate::state::AppState;

/// The agenda route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_agenda))
}

/// The attendance route, under `/api/v1/clients`.
pub fn attendance_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_attendance))
}

/// `day` or `week`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum View {
    /// One day.
    #[default]
    Day,
    /// Monday to Sunday.
    Week,
}

/// Parameters of the agenda.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgendaParams {
    /// A trainer's agenda.
    pub trainer_id: Option<Uuid>,
    /// A location's agenda (in the location's time zone).
    pub location_id: Option<Uuid>,
    /// The day (or a day of the week), in local time; today when absent.
    pub date: Option<NaiveDate>,
    /// `day` (default) or `week`.
    #[param(inline)]
    pub view: Option<View>,
}

/// One item of an agenda.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgendaItem {
    /// `session` or `class`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id.
    pub id: Uuid,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// The class name, or the session kind.
    pub title: String,
    /// The trainer.
    pub trainer_id: Uuid,
    /// The client (sessions).
    pub client_id: Option<Uuid>,
    /// Where.
    pub location_id: Option<Uuid>,
    /// Status.
    pub status: String,
}

/// An agenda.
#[derive(Debug, Serialize, ToSchema)]
pub struct Agenda {
    /// The time zone the days are cut in.
    pub timezone: String,
    /// Start of the period.
    pub from: DateTime<Utc>,
    /// End of the period.
    pub to: DateTime<Utc>,
    /// Sessions and classes, by start time.
    pub items: Vec<AgendaItem>,
}

fn local_midnight(tz: chrono_tz::Tz, d: NaiveDate) -> DateTime<Utc> {
    let naive = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&naive)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&naive), |t| t.with_timezone(&Utc))
}

/// A trainer's or a location's day or week.
#[utoipa::path(get, path = "", tag = "scheduling", params(AgendaParams),
    responses(
        (status = 200, description = "The agenda", body = Agenda),
        (status = 404, description = "No such location", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_agenda(
    State(state): State<AppState>,
    caller: CurrentUser,
    ApiQuery(p): ApiQuery<AgendaParams>,
) -> AppResult<Json<Agenda>> {
    let db = state.db.conn();
    let scope = ScheduleScope::of(db, &caller).await?;
    Ok(Json(agenda(db, &scope, &p).await?))
}

/// A trainer's or a location's day or week as the scope may see it (staff any, a trainer their own).
pub async fn agenda(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    p: &AgendaParams,
) -> AppResult<Agenda> {
    let trainer = match (p.trainer_id, p.location_id, scope.who) {
        (Some(_), Some(_), _) | (None, None, _) => {
            return Err(AppError::bad_param(
                "trainer_id",
                "give either trainer_id or location_id",
            ));
        }
        (Some(t), None, Who::All) => Some(t),
        (Some(t), None, Who::Trainer(me)) if t == me => Some(t),
        (None, Some(_), Who::All | Who::Trainer(_)) => None,
        _ => {
            return Err(AppError::Forbidden(
                "Staff see any agenda; a trainer sees their own.".into(),
            ));
        }
    };
    let tz: chrono_tz::Tz = match p.location_id {
        Some(l) => locations::find(db, scope.org, l)
            .await?
            .ok_or(AppError::NotFound)?
            .timezone
            .parse()
            .unwrap_or(chrono_tz::UTC),
        None => org_repo::get(db, scope.org)
            .await?
            .ok_or(AppError::NotFound)?
            .timezone
            .parse()
            .unwrap_or(chrono_tz::UTC),
    };
    let (_, _, from, to) = period(tz, p.date, p.view.unwrap_or_default());
    Ok(Agenda {
        timezone: tz.name().to_owned(),
        from,
        to,
        items: items(db, scope.org, trainer, p.location_id, from, to).await?,
    })
}

/// The days of a day or week view around `date` (today in `tz` when absent): the first day, the
/// number of days, and the instants the period starts and ends.
pub fn period(
    tz: chrono_tz::Tz,
    date: Option<NaiveDate>,
    view: View,
) -> (NaiveDate, i64, DateTime<Utc>, DateTime<Utc>) {
    let day = date.unwrap_or_else(|| now().with_timezone(&tz).date_naive());
    let (first, days) = match view {
        View::Day => (day, 1),
        View::Week => (
            day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            7,
        ),
    };
    (
        first,
        days,
        local_midnight(tz, first),
        local_midnight(tz, first + Duration::days(days)),
    )
}

/// Sessions (not cancelled) and classes of a trainer or location overlapping `[from, to)`.
pub async fn items(
    db: &impl ConnectionTrait,
    org: OrgId,
    trainer: Option<Uuid>,
    location: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<AgendaItem>> {
    use training_sessions::Column as S;
    let mut q = training_sessions::Entity::find()
        .filter(S::OrganizationId.eq(org.0))
        .filter(S::StartsAt.lt(to))
        .filter(S::StartsAt.gte(from - Duration::hours(12)))
        .filter(S::EndsAt.gt(from))
        .filter(S::Status.ne("cancelled"));
    if let Some(t) = trainer {
        q = q.filter(S::TrainerId.eq(t));
    }
    if let Some(l) = location {
        q = q.filter(S::LocationId.eq(l));
    }
    let mut out: Vec<AgendaItem> = q
        .order_by_asc(S::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(|s| AgendaItem {
            kind: "session".into(),
            id: s.id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            title: s.kind,
            trainer_id: s.trainer_id,
            client_id: Some(s.client_id),
            location_id: s.location_id,
            status: s.status,
        })
        .collect();
    use classes::Column as C;
    let mut q = classes::Entity::find()
        .filter(C::OrganizationId.eq(org.0))
        .filter(C::StartsAt.lt(to))
        .filter(C::StartsAt.gte(from - Duration::hours(12)))
        .filter(C::EndsAt.gt(from));
    if let Some(t) = trainer {
        q = q.filter(C::TrainerId.eq(t));
    }
    if let Some(l) = location {
        q = q.filter(C::LocationId.eq(l));
    }
    out.extend(
        q.order_by_asc(C::StartsAt)
            .all(db)
            .await?
            .into_iter()
            .map(|c| AgendaItem {
                kind: "class".into(),
                id: c.id,
                starts_at: c.starts_at,
                ends_at: c.ends_at,
                title: c.name,
                trainer_id: c.trainer_id,
                client_id: None,
                location_id: c.location_id,
                status: c.status,
            }),
    );
    out.sort_by_key(|i| (i.starts_at, i.id));
    Ok(out)
}

/// A client's attendance.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attendance {
    /// Sessions and classes the client came to (checked in, or a completed session).
    pub attended: u64,
    /// Sessions marked no-show, and past class bookings without check-in.
    pub no_shows: u64,
    /// Cancellations (sessions and class bookings).
    pub cancelled: u64,
    /// Of those, late ones.
    pub late_cancelled: u64,
    /// Upcoming sessions and booked classes.
    pub upcoming: u64,
    /// attended / (attended + no-shows), when there is anything to count.
    pub rate: Option<f64>,
}

/// Counts a client's attendance.
pub async fn attendance(
    db: &impl ConnectionTrait,
    org: OrgId,
    client: Uuid,
) -> AppResult<Attendance> {
    use training_sessions::Column as S;
    let at = now();
    let base = || {
        training_sessions::Entity::find()
            .filter(S::OrganizationId.eq(org.0))
            .filter(S::ClientId.eq(client))
    };
    let s_attended = base()
        .filter(
            sea_orm::Condition::any()
                .add(S::Status.eq("completed"))
                .add(S::CheckedInAt.is_not_null()),
        )
        .filter(S::Status.ne("cancelled"))
        .count(db)
        .await?;
    let s_no_show = base().filter(S::Status.eq("no_show")).count(db).await?;
    let s_cancelled = base().filter(S::Status.eq("cancelled")).count(db).await?;
    let s_late = base()
        .filter(S::Status.eq("cancelled"))
        .filter(S::LateCancel.eq(true))
        .count(db)
        .await?;
    let s_upcoming = base()
        .filter(S::Status.eq("scheduled"))
        .filter(S::StartsAt.gt(at))
        .count(db)
        .await?;
    use class_bookings::Column as B;
    let bookings = class_bookings::Entity::find()
        .filter(B::OrganizationId.eq(org.0))
        .filter(B::ClientId.eq(client))
        .all(db)
        .await?;
    let class_ids: Vec<Uuid> = bookings.iter().map(|b| b.class_id).collect();
    let ends: std::collections::HashMap<Uuid, DateTime<Utc>> = if class_ids.is_empty() {
        Default::default()
    } else {
        classes::Entity::find()
            .filter(classes::Column::Id.is_in(class_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.ends_at))
            .collect()
    };
    let (mut c_att, mut c_no, mut c_can, mut c_late, mut c_up) = (0, 0, 0, 0, 0);
    for b in &bookings {
        let ended = ends.get(&b.class_id).is_some_and(|e| *e <= at);
        match b.status.as_str() {
            "cancelled" => {
                c_can += 1;
                if b.late_cancel {
                    c_late += 1;
                }
            }
            "booked" if b.checked_in_at.is_some() => c_att += 1,
            "booked" if ended => c_no += 1,
            "booked" => c_up += 1,
            _ => {}
        }
    }
    let attended = s_attended + c_att;
    let no_shows = s_no_show + c_no;
    let counted = attended + no_shows;
    Ok(Attendance {
        attended,
        no_shows,
        cancelled: s_cancelled + c_can,
        late_cancelled: s_late + c_late,
        upcoming: s_upcoming + c_up,
        rate: (counted > 0).then(|| attended as f64 / counted as f64),
    })
}

/// A client's attendance history in numbers (staff and above, the client's trainers, the client).
#[utoipa::path(get, path = "/{id}/attendance", tag = "clients", params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 200, description = "Attendance", body = Attendance)))]
pub async fn get_attendance(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Attendance>> {
    let db = state.db.conn();
    let scope = ClientScope::of(db, &caller).await?;
    crate::clients::repo::ensure_visible(db, &scope, id).await?;
    Ok(Json(attendance(db, caller.org, id).await?))
}
