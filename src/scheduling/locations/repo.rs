//! Every query of locations, scoped to the organization.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::model::{Location, LocationChanges, NewLocation};
use crate::db::entities::locations::{self, Column};
use crate::db::entities::{classes, training_sessions};
use crate::db::versioned::check_touched;
use crate::db::{new_id, now};
use crate::error::AppResult;
use crate::organizations::OrgId;

impl From<locations::Model> for Location {
    fn from(m: locations::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            address: m.address,
            timezone: m.timezone,
            capacity: m.capacity,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

/// One location of the organization.
pub async fn find(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<Option<Location>> {
    Ok(locations::Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(org.0))
        .one(db)
        .await?
        .map(Location::from))
}

/// Every location of the organization, by name.
pub async fn all(db: &impl ConnectionTrait, org: OrgId) -> AppResult<Vec<Location>> {
    Ok(locations::Entity::find()
        .filter(Column::OrganizationId.eq(org.0))
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Location::from)
        .collect())
}

/// Stores a new location.
pub async fn insert(
    db: &impl ConnectionTrait,
    org: OrgId,
    new: NewLocation,
) -> AppResult<Location> {
    let at = now();
    let m = locations::Entity::insert(locations::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org.0),
        name: Set(new.name),
        address: Set(new.address),
        timezone: Set(new.timezone),
        capacity: Set(new.capacity),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    })
    .exec_with_returning(db)
    .await?;
    Ok(m.into())
}

/// Applies validated changes to the location at `version`: 404 when gone, 412 when changed since.
pub async fn update(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: Uuid,
    version: i64,
    c: LocationChanges,
) -> AppResult<()> {
    let mut u = locations::Entity::update_many()
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now()));
    if let Some(v) = c.name {
        u = u.col_expr(Column::Name, Expr::value(v));
    }
    if let Some(v) = c.address {
        u = u.col_expr(Column::Address, Expr::value(v));
    }
    if let Some(v) = c.timezone {
        u = u.col_expr(Column::Timezone, Expr::value(v));
    }
    if let Some(v) = c.capacity {
        u = u.col_expr(Column::Capacity, Expr::value(v));
    }
    let r = u
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(org.0))
        .filter(Column::Version.eq(version))
        .exec(db)
        .await?;
    check_touched(r.rows_affected, || async {
        Ok(find(db, org, id).await?.map(|l| l.version))
    })
    .await
}

/// Deletes a location; sessions and classes there keep their times but lose the place. `false` when
/// there was no such location.
pub async fn delete(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<bool> {
    let r = locations::Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(org.0))
        .exec(db)
        .await?;
    if r.rows_affected == 0 {
        return Ok(false);
    }
    training_sessions::Entity::update_many()
        .col_expr(
            training_sessions::Column::LocationId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(training_sessions::Column::OrganizationId.eq(org.0))
        .filter(training_sessions::Column::LocationId.eq(id))
        .exec(db)
        .await?;
    classes::Entity::update_many()
        .col_expr(
            classes::Column::LocationId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(classes::Column::OrganizationId.eq(org.0))
        .filter(classes::Column::LocationId.eq(id))
        .exec(db)
        .await?;
    Ok(true)
}
