//! Every query of session series: writing a series and reading one back. Its sessions are read
//! through the sessions repository.

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::model::{NewSeries, Series};
use crate::db::entities::session_series::{self, Column, Entity};
use crate::db::{new_id, now};
use crate::error::AppResult;
use crate::organizations::OrgId;

fn from_row(m: session_series::Model) -> Series {
    Series {
        id: m.id,
        trainer_id: m.trainer_id,
        client_id: m.client_id,
        location_id: m.location_id,
        first_starts_at: m.first_starts_at,
        duration_minutes: m.duration_minutes,
        timezone: m.timezone,
        rrule: m.rrule,
        created_at: m.created_at,
    }
}

/// Inserts a series.
pub async fn insert(db: &impl ConnectionTrait, org: OrgId, s: NewSeries) -> AppResult<Series> {
    let at = now();
    let m = Entity::insert(session_series::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org.0),
        trainer_id: Set(s.trainer_id),
        client_id: Set(s.client_id),
        location_id: Set(s.location_id),
        first_starts_at: Set(s.first_starts_at),
        duration_minutes: Set(s.duration_minutes),
        timezone: Set(s.timezone),
        rrule: Set(s.rrule),
        kind: Set(s.kind.as_str().to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    })
    .exec_with_returning(db)
    .await?;
    Ok(from_row(m))
}

/// One series of the organization.
pub async fn get(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<Option<Series>> {
    Ok(Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(org.0))
        .one(db)
        .await?
        .map(from_row))
}
