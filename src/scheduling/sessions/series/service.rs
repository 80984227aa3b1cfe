//! The rules of recurring sessions: who may book a series, expanding its rule in its time zone, and
//! checking every occurrence (conflicts, working hours) before anything is written.

use chrono::Duration;
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use uuid::Uuid;

use super::model::{CreateSeries, LIMIT, NewSeries, SeriesWithSessions, parse_first_start};
use super::repo;
use crate::audit::{self, Event};
use crate::auth::Actor;
use crate::db::Db;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::organizations::model::parse_timezone;
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::recurrence::{RecurrenceRule, occurrences};
use crate::scheduling::sessions::checks::check_parties;
use crate::scheduling::sessions::model::{Booking, BookingOverrides, SessionKind};
use crate::scheduling::sessions::repo as session_repo;
use crate::scheduling::{conflicts, hours};
use crate::validation::parse_long_text;

/// Creates a series: every occurrence is checked (conflicts, working hours) before anything is
/// written; a 409 lists every conflicting occurrence.
pub async fn create_series(
    db: &Db,
    actor: &Actor,
    input: CreateSeries,
    overrides: &BookingOverrides,
) -> AppResult<SeriesWithSessions> {
    let txn = db.begin_write().await?;
    let out = create_series_in(&txn, actor, input, overrides).await?;
    txn.commit().await?;
    Ok(out)
}

/// [`create_series`] inside the caller's transaction.
pub async fn create_series_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    input: CreateSeries,
    overrides: &BookingOverrides,
) -> AppResult<SeriesWithSessions> {
    let scope = ScheduleScope::for_actor(txn, actor).await?;
    match scope.who {
        Who::All => {}
        Who::Trainer(t) if t == input.trainer_id => {}
        _ => {
            return Err(AppError::Forbidden(
                "Staff book series; a trainer books their own.".into(),
            ));
        }
    }
    overrides.check_allowed(&scope)?;
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
    check_parties(txn, scope.org, &probe).await?;
    check_occurrences(txn, &scope, &probe, &starts, duration, tz, overrides).await?;
    let kind = input.kind.unwrap_or(SessionKind::Personal);
    let new = NewSeries {
        trainer_id: input.trainer_id,
        client_id: input.client_id,
        location_id: input.location_id,
        first_starts_at: first_utc,
        duration_minutes: input.duration_minutes,
        timezone: tz_name,
        rrule: rule.to_string(),
        kind,
    };
    let series = repo::insert(txn, scope.org, new).await?;
    let mut sessions = Vec::with_capacity(starts.len());
    for start in starts {
        let b = Booking {
            starts_at: start,
            ends_at: start + duration,
            ..probe.clone()
        };
        let s =
            session_repo::insert(txn, scope.org, &b, kind, notes.clone(), Some(series.id)).await?;
        sessions.push(s.for_scope(&scope));
    }
    let mut event = Event::new("session_series.created", "session_series", Some(series.id))
        .with_fields(["rrule", "first_starts_at"]);
    event.subject_client_id = Some(input.client_id);
    audit::record(txn, &actor.audit, event).await?;
    Ok(SeriesWithSessions { series, sessions })
}

/// Checks every occurrence: 409 listing each conflict with its `occurrence_starts_at`, else 422 for
/// occurrences outside the trainer's working hours.
async fn check_occurrences(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    probe: &Booking,
    starts: &[chrono::DateTime<chrono::Utc>],
    duration: Duration,
    tz: chrono_tz::Tz,
    overrides: &BookingOverrides,
) -> AppResult<()> {
    conflicts::lock_people(db, &[probe.trainer_id, probe.client_id]).await?;
    let mut clashes = Vec::new();
    let mut outside = Vec::new();
    for start in starts {
        let (s, en) = (*start, *start + duration);
        if overrides.allow_outside_hours != Some(true)
            && let Err(m) =
                hours::check_availability(db, scope.org, probe.trainer_id, s, en, tz).await?
        {
            outside.push(format!("{}: {m}", s.to_rfc3339()));
        }
        if overrides.allow_conflict != Some(true) {
            let found = conflicts::find(
                db,
                scope.org,
                probe.trainer_id,
                Some(probe.client_id),
                s,
                en,
                &[],
            )
            .await?;
            for c in found {
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
    Ok(())
}

/// A series and its sessions, when the actor sees it (404 otherwise).
pub async fn get_series(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<SeriesWithSessions> {
    let scope = ScheduleScope::for_actor(db, actor).await?;
    let series = repo::get(db, scope.org, id)
        .await?
        .filter(|s| scope.sees(s.trainer_id, Some(s.client_id)))
        .ok_or(AppError::NotFound)?;
    let sessions = session_repo::of_series(db, scope.org, id)
        .await?
        .into_iter()
        .map(|s| s.for_scope(&scope))
        .collect();
    Ok(SeriesWithSessions { series, sessions })
}
