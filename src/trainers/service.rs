//! Trainer rules: who may add, change and remove trainers (owners and admins), each change in one
//! transaction with its audit event (`trainer.created`, `trainer.updated` naming the changed fields,
//! `trainer.deleted`).

use uuid::Uuid;

use super::model::{CreateTrainer, Trainer, UpdateTrainer};
use super::repo;
use crate::audit::{self, Event};
use crate::auth::{Actor, Role};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::http::IfMatch;
use crate::organizations::repo as org_repo;

/// The fields a new trainer is recorded with.
pub const CREATED_FIELDS: [&str; 11] = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "bio",
    "specialties",
    "certifications",
    "hourly_rate_cents",
    "currency",
    "active",
    "user_id",
];

/// Adds a trainer (owners and admins).
pub async fn create_trainer(db: &Db, actor: &Actor, input: CreateTrainer) -> AppResult<Trainer> {
    actor.require(Role::Admin)?;
    let org = org_repo::get(db.conn(), actor.org())
        .await?
        .ok_or(AppError::NotFound)?;
    let fields = input.validate(&org.currency)?;
    let txn = db.begin_write().await?;
    let trainer = repo::insert(&txn, actor.org(), fields).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("trainer.created", "trainer", Some(trainer.id)).with_fields(CREATED_FIELDS),
    )
    .await?;
    txn.commit().await?;
    Ok(trainer)
}

/// The names of the fields whose value differs between `before` and `after`.
pub fn changed_fields(before: &Trainer, after: &Trainer) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut note = |differs: bool, name: &'static str| {
        if differs {
            changed.push(name);
        }
    };
    note(before.first_name != after.first_name, "first_name");
    note(before.last_name != after.last_name, "last_name");
    note(before.email != after.email, "email");
    note(before.phone != after.phone, "phone");
    note(before.bio != after.bio, "bio");
    note(before.specialties != after.specialties, "specialties");
    note(
        before.certifications != after.certifications,
        "certifications",
    );
    note(
        before.hourly_rate_cents != after.hourly_rate_cents,
        "hourly_rate_cents",
    );
    note(before.currency != after.currency, "currency");
    note(before.active != after.active, "active");
    note(before.user_id != after.user_id, "user_id");
    changed
}

/// Changes a trainer (owners and admins) at the expected version: 404 when absent, 412 when stale.
pub async fn update_trainer(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    if_match: IfMatch,
    input: UpdateTrainer,
) -> AppResult<Trainer> {
    actor.require(Role::Admin)?;
    let expected = if_match.expected(input.version)?;
    let fields = input.validate()?;
    let txn = db.begin_write().await?;
    let before = repo::get(&txn, actor.org(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let trainer = repo::update(&txn, actor.org(), id, expected, fields).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("trainer.updated", "trainer", Some(id))
            .with_fields(changed_fields(&before, &trainer)),
    )
    .await?;
    txn.commit().await?;
    Ok(trainer)
}

/// Removes a trainer and their client assignments (owners and admins).
pub async fn delete_trainer(db: &Db, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require(Role::Admin)?;
    let txn = db.begin_write().await?;
    repo::delete(&txn, actor.org(), id).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("trainer.deleted", "trainer", Some(id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A page of the organization's trainers (trainers and above); `q` matches the start of the family
/// name or the email.
pub async fn list_trainers(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    page: &repo::TrainerPage,
    q: Option<&str>,
    active: Option<bool>,
) -> AppResult<crate::http::pagination::Page<Trainer>> {
    actor.require(Role::Trainer)?;
    if q.is_some_and(|q| q.chars().count() > 100) {
        return Err(AppError::bad_param("q", "must be at most 100 characters"));
    }
    repo::list(db, actor.org(), page, q, active).await
}

/// One trainer of the organization (trainers and above).
pub async fn get_trainer(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Trainer> {
    actor.require(Role::Trainer)?;
    repo::get(db, actor.org(), id)
        .await?
        .ok_or(AppError::NotFound)
}
