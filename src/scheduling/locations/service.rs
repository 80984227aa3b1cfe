//! Location rules: the team reads them; owners and admins add, change and remove them, each change in
//! one transaction with its audit event.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::model::{Location, LocationInput, NewLocation};
use super::repo;
use crate::audit::{self, Event};
use crate::auth::{Actor, Role};
use crate::db::Db;
use crate::db::versioned::expect_version;
use crate::error::{AppError, AppResult};
use crate::http::IfMatch;

/// Every location of the actor's organization, by name.
pub async fn list_locations(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<Vec<Location>> {
    repo::all(db, actor.org()).await
}

/// One location of the actor's organization (404 otherwise).
pub async fn get_location(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Location> {
    repo::find(db, actor.org(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Adds a location (owner, admin); its time zone is the organization's unless given.
pub async fn create_location(db: &Db, actor: &Actor, input: LocationInput) -> AppResult<Location> {
    actor.require(Role::Admin)?;
    let c = input.validate()?;
    let Some(name) = c.name else {
        return Err(AppError::field("name", "is required"));
    };
    let org = crate::organizations::repo::get(db.conn(), actor.org())
        .await?
        .ok_or(AppError::NotFound)?;
    let txn = db.begin_write().await?;
    let location = repo::insert(
        &txn,
        actor.org(),
        NewLocation {
            name,
            address: c.address.flatten(),
            timezone: c.timezone.unwrap_or(org.timezone),
            capacity: c.capacity.flatten(),
        },
    )
    .await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("location.created", "location", Some(location.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(location)
}

/// Changes a location (owner, admin) at the version named by `If-Match` or `version`.
pub async fn update_location(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    if_match: IfMatch,
    input: LocationInput,
) -> AppResult<Location> {
    actor.require(Role::Admin)?;
    let expected = if_match.expected(input.version)?;
    let c = input.validate()?;
    let txn = db.begin_write().await?;
    let current = repo::find(&txn, actor.org(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    expect_version(expected, current.version)?;
    repo::update(&txn, actor.org(), id, current.version, c).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("location.updated", "location", Some(id)),
    )
    .await?;
    let location = repo::find(&txn, actor.org(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    txn.commit().await?;
    Ok(location)
}

/// Removes a location (owner, admin). Sessions and classes there keep their times but lose the place.
pub async fn delete_location(db: &Db, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require(Role::Admin)?;
    let txn = db.begin_write().await?;
    if !repo::delete(&txn, actor.org(), id).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &txn,
        &actor.audit,
        Event::new("location.deleted", "location", Some(id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
