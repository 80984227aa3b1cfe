//! `GET /api/v1/dashboard`: the key figures of the caller's scope (a trainer sees their own clients).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::{ClientScope, Visibility};
use super::model::ClientStatus;
use crate::auth::{CurrentUser, Role};
use crate::db::entities::{client_status_changes, client_trainers, clients};
use crate::error::{AppError, AppResult};
use crate::organizations::repo as org_repo;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_dashboard))
}

/// Key figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dashboard {
    /// Clients per lifecycle status (every status listed, zero included).
    pub clients_by_status: BTreeMap<String, u64>,
    /// All clients in scope.
    pub clients_total: u64,
    /// Clients who arrived as leads since the start of this month (organization's time zone).
    pub new_leads_this_month: u64,
    /// Moves from lead or trial to active since the start of this month.
    pub conversions_this_month: u64,
    /// Clients no trainer is assigned to.
    pub clients_without_trainer: u64,
    /// The start of the month the figures count from.
    pub month_start: DateTime<Utc>,
    /// Sessions and classes today (not cancelled), in the caller's scope.
    pub sessions_today: u64,
    /// Sessions and classes this week (Monday to Sunday).
    pub sessions_this_week: u64,
    /// Sessions marked no-show since the start of the month.
    pub no_shows_this_month: u64,
    /// Attended / (attended + no-shows) over sessions that started in the last 30 days.
    pub attendance_rate_30d: Option<f64>,
}

/// The start of the current month in a time zone, as UTC.
pub fn month_start(tz: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    let local = now.with_timezone(&tz);
    let first = NaiveDate::from_ymd_opt(local.year(), local.month(), 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    tz.from_local_datetime(&first)
        .earliest()
        .map_or(now, |d| d.with_timezone(&Utc))
}

/// The caller's key figures.
#[utoipa::path(get, path = "", tag = "clients",
    responses((status = 200, description = "Key figures for the caller's scope", body = Dashboard)))]
pub async fn get_dashboard(
    State(state): State<AppState>,
    caller: CurrentUser,
) -> AppResult<Json<Dashboard>> {
    caller.role.require(Role::Trainer)?;
    let db = state.db.conn();
    let scope = ClientScope::of(db, &caller).await?;
    let org = org_repo::get(db, caller.org)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut d = figures(db, &scope, month_start(&org.timezone, Utc::now())).await?;
    let schedule = crate::scheduling::access::ScheduleScope::of(db, &caller).await?;
    schedule_figures(db, &schedule, &org.timezone, &mut d).await?;
    Ok(Json(d))
}

/// Computes the figures for a scope.
pub async fn figures(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    since: DateTime<Utc>,
) -> AppResult<Dashboard> {
    let mut by_status: BTreeMap<String, u64> = ClientStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
    let rows: Vec<(String, i64)> = clients::Entity::find()
        .select_only()
        .column(clients::Column::Status)
        .column_as(Expr::col(clients::Column::Id).count(), "n")
        .filter(scope.condition())
        .group_by(clients::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    for (status, n) in rows {
        by_status.insert(status, u64::try_from(n).unwrap_or(0));
    }
    let total: u64 = by_status.values().sum();
    let in_scope = || {
        Query::select()
            .column(clients::Column::Id)
            .from(clients::Entity)
            .cond_where(scope.condition())
            .to_owned()
    };
    let whole_org = matches!(scope.visibility, Visibility::All);
    let changes = || {
        let q = client_status_changes::Entity::find()
            .filter(client_status_changes::Column::OrganizationId.eq(scope.org.0))
            .filter(client_status_changes::Column::ChangedAt.gte(since));
        // Seeing the whole organization needs no list of its client ids (100,000 of them).
        if whole_org {
            q
        } else {
            q.filter(client_status_changes::Column::ClientId.in_subquery(in_scope()))
        }
    };
    let new_leads = changes()
        .filter(client_status_changes::Column::FromStatus.is_null())
        .filter(client_status_changes::Column::ToStatus.eq("lead"))
        .count(db)
        .await?;
    let conversions = changes()
        .filter(client_status_changes::Column::FromStatus.is_in(["lead", "trial"]))
        .filter(client_status_changes::Column::ToStatus.eq("active"))
        .count(db)
        .await?;
    let without_trainer = if whole_org {
        // Every assignment is of a client of this organization: the clients without one are the
        // rest, counted from the assignments' index instead of probing it once per client.
        let assigned: Option<i64> = client_trainers::Entity::find()
            .select_only()
            .column_as(
                Expr::col(client_trainers::Column::ClientId).count_distinct(),
                "n",
            )
            .filter(client_trainers::Column::OrganizationId.eq(scope.org.0))
            .into_tuple()
            .one(db)
            .await?;
        total.saturating_sub(u64::try_from(assigned.unwrap_or(0)).unwrap_or(0))
    } else {
        clients::Entity::find()
            .filter(scope.condition())
            .filter(
                clients::Column::Id.not_in_subquery(
                    Query::select()
                        .column(client_trainers::Column::ClientId)
                        .from(client_trainers::Entity)
                        .and_where(client_trainers::Column::OrganizationId.eq(scope.org.0))
                        .to_owned(),
                ),
            )
            .count(db)
            .await?
    };
    Ok(Dashboard {
        clients_by_status: by_status,
        clients_total: total,
        new_leads_this_month: new_leads,
        conversions_this_month: conversions,
        clients_without_trainer: without_trainer,
        month_start: since,
        sessions_today: 0,
        sessions_this_week: 0,
        no_shows_this_month: 0,
        attendance_rate_30d: None,
    })
}

/// Adds the schedule figures for a caller's schedule scope (a trainer: their own sessions and classes).
pub async fn schedule_figures(
    db: &impl ConnectionTrait,
    scope: &crate::scheduling::access::ScheduleScope,
    tz: &str,
    d: &mut Dashboard,
) -> AppResult<()> {
    use crate::db::entities::{classes, training_sessions};
    use crate::scheduling::access::Who;
    use training_sessions::Column as S;
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let midnight = |day: NaiveDate| {
        tz.from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map_or(now, |t| t.with_timezone(&Utc))
    };
    let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let periods = [
        (midnight(today), midnight(today + chrono::Duration::days(1))),
        (
            midnight(monday),
            midnight(monday + chrono::Duration::days(7)),
        ),
    ];
    let sessions = || {
        training_sessions::Entity::find()
            .filter(crate::scheduling::sessions::scope_condition(scope))
    };
    let classes_q = || {
        let q = classes::Entity::find()
            .filter(classes::Column::OrganizationId.eq(scope.org.0))
            .filter(classes::Column::Status.ne("cancelled"));
        match scope.who {
            Who::All => Some(q),
            Who::Trainer(t) => Some(q.filter(classes::Column::TrainerId.eq(t))),
            _ => None,
        }
    };
    let mut counts = [0u64; 2];
    for (i, (from, to)) in periods.iter().enumerate() {
        counts[i] = sessions()
            .filter(S::Status.ne("cancelled"))
            .filter(S::StartsAt.gte(*from))
            .filter(S::StartsAt.lt(*to))
            .count(db)
            .await?;
        if let Some(q) = classes_q() {
            counts[i] += q
                .filter(classes::Column::StartsAt.gte(*from))
                .filter(classes::Column::StartsAt.lt(*to))
                .count(db)
                .await?;
        }
    }
    d.sessions_today = counts[0];
    d.sessions_this_week = counts[1];
    // Bounded by the month's end, so the scan stays off the months booked ahead.
    let next_month = month_start(tz.name(), d.month_start + chrono::Duration::days(32));
    d.no_shows_this_month = sessions()
        .filter(S::Status.eq("no_show"))
        .filter(S::StartsAt.gte(d.month_start))
        .filter(S::StartsAt.lt(next_month))
        .count(db)
        .await?;
    let since = now - chrono::Duration::days(30);
    let attended = sessions()
        .filter(S::StartsAt.gte(since))
        .filter(S::StartsAt.lte(now))
        .filter(S::Status.ne("cancelled"))
        .filter(S::Status.ne("no_show"))
        .filter(
            sea_orm::Condition::any()
                .add(S::Status.eq("completed"))
                .add(S::CheckedInAt.is_not_null()),
        )
        .count(db)
        .await?;
    let no_shows = sessions()
        .filter(S::StartsAt.gte(since))
        .filter(S::StartsAt.lte(now))
        .filter(S::Status.eq("no_show"))
        .count(db)
        .await?;
    d.attendance_rate_30d =
        (attended + no_shows > 0).then(|| attended as f64 / (attended + no_shows) as f64);
    Ok(())
}

/// Sessions (not cancelled) per local day for `days` days from `first`, in the caller's scope.
pub async fn sessions_per_day(
    db: &impl ConnectionTrait,
    scope: &crate::scheduling::access::ScheduleScope,
    tz: &str,
    first: NaiveDate,
    days: u32,
) -> AppResult<Vec<(NaiveDate, u64)>> {
    use crate::db::entities::training_sessions::{self, Column as S};
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    let midnight = |day: NaiveDate| {
        tz.from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
    };
    let mut out = Vec::new();
    for i in 0..days {
        let day = first + chrono::Duration::days(i64::from(i));
        let n = training_sessions::Entity::find()
            .filter(crate::scheduling::sessions::scope_condition(scope))
            .filter(S::Status.ne("cancelled"))
            .filter(S::StartsAt.gte(midnight(day)))
            .filter(S::StartsAt.lt(midnight(day + chrono::Duration::days(1))))
            .count(db)
            .await?;
        out.push((day, n));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_month_starts_at_local_midnight() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 23, 30, 0).unwrap();
        // In Berlin it is already December 1st, 00:30.
        assert_eq!(
            month_start("Europe/Berlin", now),
            Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap()
        );
        assert_eq!(
            month_start("UTC", now),
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
        );
    }
}
