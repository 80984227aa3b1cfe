//! Availability rules: the whole team reads a trainer's week and time off; owners, admins and the
//! trainer themself change them, each change in one transaction with its audit event. Also the check
//! that a booking lies within working hours and outside time off.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::model::{self, CreateTimeOff, TimeOff, WorkingBlock, WorkingHours};
use super::repo;
use crate::audit::{self, Event};
use crate::auth::{Actor, Role};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::organizations::OrgId;
use crate::scheduling::access::{ScheduleScope, Who};
use crate::trainers::repo as trainer_repo;

async fn trainer_in_org(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<()> {
    trainer_repo::get(db, org, id)
        .await?
        .map(|_| ())
        .ok_or(AppError::NotFound)
}

/// The actor may manage this trainer's time: owners and admins, and the trainer themself (404 for a
/// trainer of another organization, 403 for anyone else).
pub async fn may_manage(db: &impl ConnectionTrait, actor: &Actor, trainer: Uuid) -> AppResult<()> {
    let scope = ScheduleScope::for_actor(db, actor).await?;
    trainer_in_org(db, actor.org(), trainer).await?;
    if scope.may_override() || scope.who == Who::Trainer(trainer) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Owners, admins and the trainer themself manage working hours.".into(),
        ))
    }
}

/// A trainer's working hours, for any member of the team.
pub async fn working_hours(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<WorkingHours> {
    actor.require(Role::Trainer)?;
    trainer_in_org(db, actor.org(), id).await?;
    Ok(WorkingHours {
        hours: repo::week(db, actor.org(), id)
            .await?
            .into_iter()
            .map(WorkingBlock::from)
            .collect(),
    })
}

/// Replaces a trainer's working hours (owners, admins, the trainer themself).
pub async fn set_hours(db: &Db, actor: &Actor, id: Uuid, input: &WorkingHours) -> AppResult<()> {
    may_manage(db.conn(), actor, id).await?;
    let blocks = input.validate()?;
    let txn = db.begin_write().await?;
    repo::replace_week(&txn, actor.org(), id, &blocks).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("trainer.working_hours_set", "trainer", Some(id)).with_fields(["working_hours"]),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A trainer's time off, soonest first, for any member of the team.
pub async fn time_off(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Vec<TimeOff>> {
    actor.require(Role::Trainer)?;
    trainer_in_org(db, actor.org(), id).await?;
    repo::time_off(db, actor.org(), id).await
}

/// Adds time off (owners, admins, the trainer themself).
pub async fn add_time_off(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: CreateTimeOff,
) -> AppResult<TimeOff> {
    may_manage(db.conn(), actor, id).await?;
    let input = input.validate()?;
    let txn = db.begin_write().await?;
    let t = repo::insert_time_off(&txn, actor.org(), id, input).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("trainer.time_off_added", "trainer", Some(id)),
    )
    .await?;
    txn.commit().await?;
    Ok(t)
}

/// Removes time off (owners, admins, the trainer themself).
pub async fn remove_time_off(db: &Db, actor: &Actor, id: Uuid, time_off_id: Uuid) -> AppResult<()> {
    may_manage(db.conn(), actor, id).await?;
    let txn = db.begin_write().await?;
    if !repo::delete_time_off(&txn, actor.org(), id, time_off_id).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &txn,
        &actor.audit,
        Event::new("trainer.time_off_removed", "trainer", Some(id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Checks that `[start, end)` lies within the trainer's working hours (in `tz`) and outside their time
/// off. `Err` carries the message for a 422.
pub async fn check_availability(
    db: &impl ConnectionTrait,
    org: OrgId,
    trainer: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> AppResult<Result<(), String>> {
    if let Some(off) = repo::overlapping_time_off(db, org, trainer, start, end).await? {
        return Ok(Err(format!(
            "the trainer is away from {} to {}",
            off.starts_at.to_rfc3339(),
            off.ends_at.to_rfc3339()
        )));
    }
    let week = repo::week(db, org, trainer).await?;
    Ok(model::fits_week(&week, start, end, tz))
}
