//! What the portal and the booking page read beyond the API's own rules: an organization's public
//! class schedule (no client data) and a client's own bookings and sessions. Booking and cancelling go
//! through the same services as the API (`scheduling::classes::{book_class, cancel_booking}`,
//! `scheduling::sessions::service::cancel_session`); every query is in a repository (`portal::repo`, and
//! `scheduling::classes::repo` for counts and names).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::repo;
use crate::error::{AppError, AppResult};
use crate::organizations::OrgId;
use crate::scheduling::access::ScheduleScope;
use crate::scheduling::classes::repo as class_repo;
use crate::scheduling::classes::{Booking, Class, ClassRecord};

/// How far ahead the booking page shows classes.
pub const DAYS_AHEAD: i64 = 14;

/// Most classes one schedule page lists.
const MAX_CLASSES: u64 = 500;

/// A class as anyone may see it: its place counts, the trainer's first name and the location.
#[derive(Debug, Clone)]
pub struct Offer {
    /// The class with its counts.
    pub class: Class,
    /// The trainer's first name.
    pub trainer: String,
    /// The location's name and time zone.
    pub location: Option<(String, String)>,
}

impl Offer {
    /// Free places.
    pub fn places_left(&self) -> u64 {
        u64::try_from(self.class.capacity)
            .unwrap_or(0)
            .saturating_sub(self.class.booked)
    }

    /// Whether a new booking would go on the waitlist (and there is room on it).
    pub fn waitlist_open(&self) -> bool {
        self.places_left() == 0
            && self.class.waitlisted < u64::try_from(self.class.waitlist_capacity).unwrap_or(0)
    }
}

/// Trainers' first names and locations' names and time zones, by id, in one query each.
async fn names_and_places(
    db: &impl ConnectionTrait,
    org: OrgId,
    trainer_ids: Vec<Uuid>,
    location_ids: Vec<Uuid>,
) -> AppResult<(HashMap<Uuid, String>, HashMap<Uuid, (String, String)>)> {
    let names = class_repo::trainer_names(db, org, trainer_ids)
        .await?
        .into_iter()
        .map(|(id, (first, _))| (id, first))
        .collect();
    let places = repo::location_names(db, org, location_ids).await?;
    Ok((names, places))
}

/// Adds the counts, the trainers' first names and the locations to class records, in three queries.
async fn offers_of(
    db: &impl ConnectionTrait,
    org: OrgId,
    rows: Vec<ClassRecord>,
) -> AppResult<Vec<Offer>> {
    let trainer_ids: Vec<Uuid> = rows.iter().map(|m| m.trainer_id).collect();
    let location_ids: Vec<Uuid> = rows.iter().filter_map(|m| m.location_id).collect();
    let classes = class_repo::with_counts(db, rows).await?;
    let (names, places) = names_and_places(db, org, trainer_ids, location_ids).await?;
    Ok(classes
        .into_iter()
        .map(|class| Offer {
            trainer: names.get(&class.trainer_id).cloned().unwrap_or_default(),
            location: class.location_id.and_then(|l| places.get(&l).cloned()),
            class,
        })
        .collect())
}

/// The organization's scheduled classes starting between `from` and `to`, by start time.
pub async fn schedule(
    db: &impl ConnectionTrait,
    org: OrgId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<Offer>> {
    let rows = repo::scheduled_between(db, org, from, to, MAX_CLASSES).await?;
    offers_of(db, org, rows).await
}

/// One class of the organization (404 for another organization's).
pub async fn offer(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<Offer> {
    let row = class_repo::get(db, org, id).await?;
    offers_of(db, org, vec![row])
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// The client's places (booked or waitlisted) in these classes, by class.
pub async fn places_of(
    db: &impl ConnectionTrait,
    org: OrgId,
    client: Uuid,
    class_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Booking>> {
    repo::places(db, org, client, Some(class_ids)).await
}

/// The client's places in classes that have not ended, by start time.
pub async fn upcoming_places(
    db: &impl ConnectionTrait,
    org: OrgId,
    client: Uuid,
) -> AppResult<Vec<(Offer, Booking)>> {
    let mut places = repo::places(db, org, client, None).await?;
    let ids: Vec<Uuid> = places.keys().copied().collect();
    let rows = repo::ending_after(db, org, ids, Utc::now(), MAX_CLASSES).await?;
    Ok(offers_of(db, org, rows)
        .await?
        .into_iter()
        .filter_map(|o| places.remove(&o.class.id).map(|b| (o, b)))
        .collect())
}

/// A personal session as the client sees it.
#[derive(Debug, Clone)]
pub struct UpcomingSession {
    /// Id.
    pub id: Uuid,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// The kind (`personal`, `assessment`, ...).
    pub kind: String,
    /// The trainer's first name.
    pub trainer: String,
    /// The location's name and time zone.
    pub location: Option<(String, String)>,
}

/// The scheduled sessions of the scope (a client: their own) that have not ended, by start time.
pub async fn upcoming_sessions(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
) -> AppResult<Vec<UpcomingSession>> {
    let rows = repo::scheduled_sessions_after(db, scope, Utc::now(), MAX_CLASSES).await?;
    let trainer_ids: Vec<Uuid> = rows.iter().map(|m| m.trainer_id).collect();
    let location_ids: Vec<Uuid> = rows.iter().filter_map(|m| m.location_id).collect();
    let (names, places) = names_and_places(db, scope.org, trainer_ids, location_ids).await?;
    Ok(rows
        .into_iter()
        .map(|m| UpcomingSession {
            id: m.id,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            kind: m.kind,
            trainer: names.get(&m.trainer_id).cloned().unwrap_or_default(),
            location: m.location_id.and_then(|l| places.get(&l).cloned()),
        })
        .collect())
}
