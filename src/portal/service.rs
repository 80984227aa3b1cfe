//! What the portal and the booking page read and write beyond the API's own rules: an organization's
//! public class schedule (no client data), a client's own bookings and sessions, and a client signing
//! up themself from the booking page (`signup`). Booking and cancelling go through the same functions as the
//! API (`scheduling::classes::{book, cancel_place}`, `scheduling::sessions::cancel`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::db::entities::{class_bookings, classes, locations, trainers, training_sessions};
use crate::error::{AppError, AppResult};
use crate::organizations::OrgId;
use crate::scheduling::access::ScheduleScope;
use crate::scheduling::classes::{Class, counts, with_counts};
use crate::scheduling::sessions::scope_condition;

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
    trainer_ids: Vec<Uuid>,
    location_ids: Vec<Uuid>,
) -> AppResult<(HashMap<Uuid, String>, HashMap<Uuid, (String, String)>)> {
    let names: HashMap<Uuid, String> = if trainer_ids.is_empty() {
        HashMap::new()
    } else {
        trainers::Entity::find()
            .select_only()
            .column(trainers::Column::Id)
            .column(trainers::Column::FirstName)
            .filter(trainers::Column::Id.is_in(trainer_ids))
            .into_tuple::<(Uuid, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let places: HashMap<Uuid, (String, String)> = if location_ids.is_empty() {
        HashMap::new()
    } else {
        locations::Entity::find()
            .filter(locations::Column::Id.is_in(location_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|l| (l.id, (l.name, l.timezone)))
            .collect()
    };
    Ok((names, places))
}

/// Adds the trainers' first names and the locations to class rows, in two queries.
async fn offers_of(db: &impl ConnectionTrait, rows: Vec<classes::Model>) -> AppResult<Vec<Offer>> {
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let trainer_ids: Vec<Uuid> = rows.iter().map(|m| m.trainer_id).collect();
    let location_ids: Vec<Uuid> = rows.iter().filter_map(|m| m.location_id).collect();
    let mut taken = counts(db, &ids).await?;
    let (names, places) = names_and_places(db, trainer_ids, location_ids).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let (booked, waitlisted) = taken.remove(&m.id).unwrap_or_default();
            let trainer = names.get(&m.trainer_id).cloned().unwrap_or_default();
            let location = m.location_id.and_then(|l| places.get(&l).cloned());
            Offer {
                class: with_counts(m, booked, waitlisted),
                trainer,
                location,
            }
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
    let rows = classes::Entity::find()
        .filter(classes::Column::OrganizationId.eq(org.0))
        .filter(classes::Column::Status.eq("scheduled"))
        .filter(classes::Column::StartsAt.gte(from))
        .filter(classes::Column::StartsAt.lt(to))
        .order_by_asc(classes::Column::StartsAt)
        .order_by_asc(classes::Column::Id)
        .limit(MAX_CLASSES)
        .all(db)
        .await?;
    offers_of(db, rows).await
}

/// One class of the organization (404 for another organization's).
pub async fn offer(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<Offer> {
    let row = classes::Entity::find_by_id(id)
        .filter(classes::Column::OrganizationId.eq(org.0))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    offers_of(db, vec![row])
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
) -> AppResult<HashMap<Uuid, class_bookings::Model>> {
    if class_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(class_bookings::Entity::find()
        .filter(class_bookings::Column::OrganizationId.eq(org.0))
        .filter(class_bookings::Column::ClientId.eq(client))
        .filter(class_bookings::Column::ClassId.is_in(class_ids.iter().copied()))
        .filter(class_bookings::Column::Status.ne("cancelled"))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.class_id, b))
        .collect())
}

/// The client's places in classes that have not ended, by start time.
pub async fn upcoming_places(
    db: &impl ConnectionTrait,
    org: OrgId,
    client: Uuid,
) -> AppResult<Vec<(Offer, class_bookings::Model)>> {
    let mut places: HashMap<Uuid, class_bookings::Model> = class_bookings::Entity::find()
        .filter(class_bookings::Column::OrganizationId.eq(org.0))
        .filter(class_bookings::Column::ClientId.eq(client))
        .filter(class_bookings::Column::Status.ne("cancelled"))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.class_id, b))
        .collect();
    if places.is_empty() {
        return Ok(Vec::new());
    }
    let rows = classes::Entity::find()
        .filter(classes::Column::OrganizationId.eq(org.0))
        .filter(classes::Column::Id.is_in(places.keys().copied().collect::<Vec<_>>()))
        .filter(classes::Column::EndsAt.gt(Utc::now()))
        .order_by_asc(classes::Column::StartsAt)
        .limit(MAX_CLASSES)
        .all(db)
        .await?;
    Ok(offers_of(db, rows)
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
    let rows = training_sessions::Entity::find()
        .filter(scope_condition(scope))
        .filter(training_sessions::Column::Status.eq("scheduled"))
        .filter(training_sessions::Column::EndsAt.gt(Utc::now()))
        .order_by_asc(training_sessions::Column::StartsAt)
        .limit(MAX_CLASSES)
        .all(db)
        .await?;
    let trainer_ids: Vec<Uuid> = rows.iter().map(|m| m.trainer_id).collect();
    let location_ids: Vec<Uuid> = rows.iter().filter_map(|m| m.location_id).collect();
    let (names, places) = names_and_places(db, trainer_ids, location_ids).await?;
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
