//! The dashboard's figures for an actor: the scope of clients and of the schedule they may see, the
//! organization's time zone, and the counts of the repository put together. Requests are served from
//! the figures cache ([`super::cache`]); counting happens here, on a miss or in the refresher.

use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use sea_orm::ConnectionTrait;

use super::cache::{Figures, Key, Scope};
use super::model::{Dashboard, midnight, month_start};
use super::repo;
use crate::auth::{Actor, Role};
use crate::clients::access::{ClientScope, Visibility};
use crate::clients::model::ClientStatus;
use crate::error::{AppError, AppResult};
use crate::organizations::repo as org_repo;
use crate::scheduling::access::{ScheduleScope, Who};
use crate::state::AppState;

/// Figures are recounted at least this often, so that those that move with time alone (attendance
/// over the last 30 days) stay right.
const MAX_AGE: Duration = Duration::seconds(60);

/// The key figures of what the actor may see (trainers and above), from the figures cache.
pub async fn dashboard(state: &AppState, actor: &Actor) -> AppResult<Arc<Figures>> {
    let key = key_of(state, actor).await?;
    let db = state.db.clone();
    state
        .dashboard
        .get_or_compute(key, || async move { compute(db.conn(), key).await })
        .await
}

/// Which figures an actor sees: those of the whole organization or of one trainer. Derived from the
/// actor's client scope, so it follows the same rules as the client list (no query but for trainers,
/// who are looked up by their account; the answer is remembered for a second).
pub async fn key_of(state: &AppState, actor: &Actor) -> AppResult<Key> {
    actor.require(Role::Trainer)?;
    let org = actor.org();
    let trainer_account = actor.user_id().filter(|_| actor.role() == Role::Trainer);
    if let Some(user) = trainer_account
        && let Some(scope) = state.dashboard.trainer_scope(org, user)
    {
        return Ok(Key { org, scope });
    }
    let generation = state.dashboard.generation(org);
    let scope = ClientScope::for_actor(state.db.conn(), actor).await?;
    let scope = match scope.visibility {
        Visibility::All => Scope::Org,
        Visibility::Assigned(trainer) => Scope::Trainer(trainer),
        Visibility::Nothing => Scope::Nobody,
        // The client portal has no dashboard; `require` above refuses it already.
        Visibility::Own(_) => return Err(AppError::Forbidden("No dashboard here.".into())),
    };
    if let Some(user) = trainer_account {
        state
            .dashboard
            .remember_trainer_scope(org, user, scope, generation);
    }
    Ok(Key { org, scope })
}

/// The client and schedule scopes of a key: what [`ClientScope::for_actor`] and
/// [`ScheduleScope::for_actor`] give an actor of that key.
fn scopes(key: Key) -> (ClientScope, ScheduleScope) {
    let (visibility, who, role) = match key.scope {
        Scope::Org => (Visibility::All, Who::All, Role::Owner),
        Scope::Trainer(t) => (Visibility::Assigned(t), Who::Trainer(t), Role::Trainer),
        Scope::Nobody => (Visibility::Nothing, Who::Nobody, Role::Trainer),
    };
    (
        ClientScope {
            visibility,
            role,
            ..ClientScope::system(key.org)
        },
        ScheduleScope {
            org: key.org,
            who,
            role,
        },
    )
}

/// Counts the figures of a key: the organization's audit `seq` first (so figures are never older
/// than the `seq` they are filed under), then every figure and the week's sessions per day.
pub async fn compute(db: &impl ConnectionTrait, key: Key) -> AppResult<Figures> {
    let seq = repo::audit_seq(db, key.org).await?;
    let org = org_repo::get(db, key.org)
        .await?
        .ok_or(AppError::NotFound)?;
    let (clients, schedule) = scopes(key);
    let now = Utc::now();
    let mut d = figures(db, &clients, month_start(&org.timezone, now)).await?;
    schedule_figures(db, &schedule, &org.timezone, &mut d).await?;
    let tz: chrono_tz::Tz = org.timezone.parse().unwrap_or(chrono_tz::UTC);
    let today = now.with_timezone(&tz).date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let per_day = sessions_per_day(db, &schedule, &org.timezone, monday, 7).await?;
    let next_midnight = midnight(tz, today + Duration::days(1), now + MAX_AGE);
    Ok(Figures {
        dashboard: d,
        per_day,
        seq,
        valid_until: next_midnight.min(now + MAX_AGE),
    })
}

/// Computes the client figures for a scope (the schedule figures are zero until
/// [`schedule_figures`] adds them).
pub async fn figures(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    since: chrono::DateTime<Utc>,
) -> AppResult<Dashboard> {
    let counts = repo::client_counts(db, scope, since).await?;
    let mut by_status = counts.by_status;
    for s in ClientStatus::ALL {
        by_status.entry(s.as_str().to_owned()).or_insert(0);
    }
    Ok(Dashboard {
        clients_total: by_status.values().sum(),
        clients_by_status: by_status,
        new_leads_this_month: counts.new_leads,
        conversions_this_month: counts.conversions,
        clients_without_trainer: counts.without_trainer,
        month_start: since,
        sessions_today: 0,
        sessions_this_week: 0,
        no_shows_this_month: 0,
        attendance_rate_30d: None,
    })
}

/// Adds the schedule figures for a schedule scope (a trainer: their own sessions and classes).
pub async fn schedule_figures(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    tz: &str,
    d: &mut Dashboard,
) -> AppResult<()> {
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let day = |d: NaiveDate| midnight(tz, d, now);
    d.sessions_today =
        repo::booked_between(db, scope, day(today), day(today + Duration::days(1))).await?;
    d.sessions_this_week =
        repo::booked_between(db, scope, day(monday), day(monday + Duration::days(7))).await?;
    // Bounded by the month's end, so the scan stays off the months booked ahead.
    let next_month = month_start(tz.name(), d.month_start + Duration::days(32));
    d.no_shows_this_month = repo::no_shows_between(db, scope, d.month_start, next_month).await?;
    let since = now - Duration::days(30);
    let attended = repo::attended_between(db, scope, since, now).await?;
    // Up to and including now (times are stored to the microsecond).
    let no_shows =
        repo::no_shows_between(db, scope, since, now + Duration::microseconds(1)).await?;
    d.attendance_rate_30d =
        (attended + no_shows > 0).then(|| attended as f64 / (attended + no_shows) as f64);
    Ok(())
}

/// Sessions (not cancelled) per local day for `days` days from `first`, in the schedule scope.
pub async fn sessions_per_day(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    tz: &str,
    first: NaiveDate,
    days: u32,
) -> AppResult<Vec<(NaiveDate, u64)>> {
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    let mut out = Vec::new();
    for i in 0..days {
        let day = first + Duration::days(i64::from(i));
        let now = Utc::now();
        let n = repo::sessions_between(
            db,
            scope,
            midnight(tz, day, now),
            midnight(tz, day + Duration::days(1), now),
        )
        .await?;
        out.push((day, n));
    }
    Ok(out)
}
