//! The checks a booking or a move passes before it is written: the parties belong to the
//! organization, the slot is free and inside working hours (unless an owner or admin overrides), and
//! whether a cancellation now is late under the organization's policy.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::model::{Booking, BookingOverrides};
use crate::clients::repo as client_repo;
use crate::db::now;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::organizations::{OrgId, repo as org_repo};
use crate::scheduling::access::ScheduleScope;
use crate::scheduling::{conflicts, hours, locations};
use crate::trainers::repo as trainer_repo;

/// Checks that trainer, client and location belong to the organization (422 naming the field), and
/// gives the location's time zone.
pub async fn check_parties(
    db: &impl ConnectionTrait,
    org: OrgId,
    b: &Booking,
) -> AppResult<Option<chrono_tz::Tz>> {
    let mut e = FieldErrors::new();
    if trainer_repo::get(db, org, b.trainer_id).await?.is_none() {
        e.add("trainer_id", "is not a trainer of this organization");
    }
    let client = client_repo::by_ids(db, org, &[b.client_id]).await?;
    if client.first().is_none_or(|c| c.erased_at.is_some()) {
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
    overrides.check_allowed(scope)?;
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

/// Whether a cancellation now is late under the organization's policy.
pub async fn is_late(
    db: &impl ConnectionTrait,
    org: OrgId,
    starts_at: DateTime<Utc>,
) -> AppResult<bool> {
    let o = org_repo::get(db, org).await?.ok_or(AppError::NotFound)?;
    Ok(now() > starts_at - Duration::hours(i64::from(o.late_cancel_hours)))
}
