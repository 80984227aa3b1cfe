//! The portal's one query of its own: a client's upcoming personal sessions (the sessions domain's
//! table, read under the caller's schedule scope). Classes and places are read through the class
//! repository.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::db::entities::training_sessions;
use crate::error::AppResult;
use crate::scheduling::access::ScheduleScope;
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
