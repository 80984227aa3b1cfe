//! The portal's own reads: the public schedule, a client's places and upcoming personal sessions
//! (the sessions read under the caller's schedule scope), and the locations shown beside them.
//! Class rows become domain types through the class repository's converters.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::db::entities::{class_bookings, classes, locations, training_sessions};
use crate::error::AppResult;
use crate::organizations::OrgId;
use crate::scheduling::access::ScheduleScope;
use crate::scheduling::classes::model::{CANCELLED, SCHEDULED};
use crate::scheduling::classes::repo::{booking, record};
use crate::scheduling::classes::{Booking, ClassRecord};
use crate::scheduling::sessions::scope_condition;

/// A scheduled session as the portal lists it, before names are added.
#[derive(Debug, Clone)]
pub struct SessionSlot {
    /// Id.
    pub id: Uuid,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// The kind (`personal`, `assessment`, ...).
    pub kind: String,
    /// The trainer.
    pub trainer_id: Uuid,
    /// Where.
    pub location_id: Option<Uuid>,
}

/// The scheduled sessions of the scope that end after `after`, by start time, at most `limit`.
pub async fn scheduled_sessions_after(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    after: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<SessionSlot>> {
    Ok(training_sessions::Entity::find()
        .filter(scope_condition(scope))
        .filter(training_sessions::Column::Status.eq("scheduled"))
        .filter(training_sessions::Column::EndsAt.gt(after))
        .order_by_asc(training_sessions::Column::StartsAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|m| SessionSlot {
            id: m.id,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            kind: m.kind,
            trainer_id: m.trainer_id,
            location_id: m.location_id,
        })
        .collect())
}

/// The organization's scheduled classes starting in `[from, to)`, by start time, at most `limit`.
pub async fn scheduled_between(
    db: &impl ConnectionTrait,
    org: OrgId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<ClassRecord>> {
    Ok(classes::Entity::find()
        .filter(classes::Column::OrganizationId.eq(org.0))
        .filter(classes::Column::Status.eq(SCHEDULED))
        .filter(classes::Column::StartsAt.gte(from))
        .filter(classes::Column::StartsAt.lt(to))
        .order_by_asc(classes::Column::StartsAt)
        .order_by_asc(classes::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(record)
        .collect())
}

/// These classes of the organization that end after `after`, by start time, at most `limit`.
pub async fn ending_after(
    db: &impl ConnectionTrait,
    org: OrgId,
    ids: Vec<Uuid>,
    after: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<ClassRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(classes::Entity::find()
        .filter(classes::Column::OrganizationId.eq(org.0))
        .filter(classes::Column::Id.is_in(ids))
        .filter(classes::Column::EndsAt.gt(after))
        .order_by_asc(classes::Column::StartsAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(record)
        .collect())
}

/// The places the client holds (booked or waitlisted), by class: in the classes `only` names, or in
/// every class.
pub async fn places(
    db: &impl ConnectionTrait,
    org: OrgId,
    client: Uuid,
    only: Option<&[Uuid]>,
) -> AppResult<HashMap<Uuid, Booking>> {
    let mut q = class_bookings::Entity::find()
        .filter(class_bookings::Column::OrganizationId.eq(org.0))
        .filter(class_bookings::Column::ClientId.eq(client))
        .filter(class_bookings::Column::Status.ne(CANCELLED));
    if let Some(ids) = only {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        q = q.filter(class_bookings::Column::ClassId.is_in(ids.iter().copied()));
    }
    Ok(q.all(db)
        .await?
        .into_iter()
        .map(|b| (b.class_id, booking(b)))
        .collect())
}

/// Locations' names and time zones by id, in one query.
pub async fn location_names(
    db: &impl ConnectionTrait,
    org: OrgId,
    ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, (String, String)>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(locations::Entity::find()
        .filter(locations::Column::OrganizationId.eq(org.0))
        .filter(locations::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, (l.name, l.timezone)))
        .collect())
}
