//! Every query of working hours (`trainer_hours`) and time off (`trainer_time_off`), scoped to the
//! organization.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::model::{HourBlock, NewTimeOff, TimeOff};
use crate::db::entities::{trainer_hours, trainer_time_off};
use crate::db::new_id;
use crate::error::AppResult;
use crate::organizations::OrgId;

fn to_time_off(m: trainer_time_off::Model) -> TimeOff {
    TimeOff {
        id: m.id,
        trainer_id: m.trainer_id,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        reason: m.reason,
    }
}

/// A trainer's week, by weekday and start.
pub async fn week(
    db: &impl ConnectionTrait,
    org: OrgId,
    trainer: Uuid,
) -> AppResult<Vec<HourBlock>> {
    Ok(trainer_hours::Entity::find()
        .filter(trainer_hours::Column::OrganizationId.eq(org.0))
        .filter(trainer_hours::Column::TrainerId.eq(trainer))
        .order_by_asc(trainer_hours::Column::Weekday)
        .order_by_asc(trainer_hours::Column::StartMinute)
        .all(db)
        .await?
        .into_iter()
        .map(|h| HourBlock {
            weekday: h.weekday,
            start_minute: h.start_minute,
            end_minute: h.end_minute,
        })
        .collect())
}

/// Replaces a trainer's week with `blocks`.
pub async fn replace_week(
    db: &impl ConnectionTrait,
    org: OrgId,
    trainer: Uuid,
    blocks: &[HourBlock],
) -> AppResult<()> {
    trainer_hours::Entity::delete_many()
        .filter(trainer_hours::Column::OrganizationId.eq(org.0))
        .filter(trainer_hours::Column::TrainerId.eq(trainer))
        .exec(db)
        .await?;
    for b in blocks {
        trainer_hours::Entity::insert(trainer_hours::ActiveModel {
            id: Set(new_id()),
            organization_id: Set(org.0),
            trainer_id: Set(trainer),
            weekday: Set(b.weekday),
            start_minute: Set(b.start_minute),
            end_minute: Set(b.end_minute),
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// A trainer's time off, soonest first.
pub async fn time_off(
    db: &impl ConnectionTrait,
    org: OrgId,
    trainer: Uuid,
) -> AppResult<Vec<TimeOff>> {
    Ok(trainer_time_off::Entity::find()
        .filter(trainer_time_off::Column::OrganizationId.eq(org.0))
        .filter(trainer_time_off::Column::TrainerId.eq(trainer))
        .order_by_asc(trainer_time_off::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(to_time_off)
        .collect())
}

/// Stores a period away.
pub async fn insert_time_off(
    db: &impl ConnectionTrait,
    org: OrgId,
    trainer: Uuid,
    input: NewTimeOff,
) -> AppResult<TimeOff> {
    let m = trainer_time_off::Entity::insert(trainer_time_off::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org.0),
        trainer_id: Set(trainer),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        reason: Set(input.reason),
    })
    .exec_with_returning(db)
    .await?;
    Ok(to_time_off(m))
}

/// Deletes a period away; `false` when there was none.
pub async fn delete_time_off(
    db: &impl ConnectionTrait,
    org: OrgId,
    trainer: Uuid,
    id: Uuid,
) -> AppResult<bool> {
    let r = trainer_time_off::Entity::delete_many()
        .filter(trainer_time_off::Column::OrganizationId.eq(org.0))
        .filter(trainer_time_off::Column::TrainerId.eq(trainer))
        .filter(trainer_time_off::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// One period away overlapping `[start, end)`, if any.
pub async fn overlapping_time_off(
    db: &impl ConnectionTrait,
    org: OrgId,
    trainer: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> AppResult<Option<TimeOff>> {
    Ok(trainer_time_off::Entity::find()
        .filter(trainer_time_off::Column::OrganizationId.eq(org.0))
        .filter(trainer_time_off::Column::TrainerId.eq(trainer))
        .filter(trainer_time_off::Column::StartsAt.lt(end))
        .filter(trainer_time_off::Column::EndsAt.gt(start))
        .one(db)
        .await?
        .map(to_time_off))
}
