//! The client operations that both the API handlers (`routes.rs`, `notes.rs`) and the pages
//! (`pages/`) run: each checks the caller's rights, writes in one transaction and records the audit
//! event, so the two front ends cannot drift apart.

use sea_orm::{ActiveValue::Set, EntityTrait};
use uuid::Uuid;

use super::access::{ClientScope, Visibility};
use super::client_event;
use super::model::{Client, CreateClient, UpdateClient};
use super::notes::{CreateNote, Note};
use super::repo;
use crate::audit::{self, AuditContext, Event};
use crate::auth::Role;
use crate::db::entities::client_notes;
use crate::db::{Db, new_id};
use crate::error::{AppError, AppResult};
use crate::validation::{parse_long_text, parse_text};

/// Adds a client. A trainer's new client is assigned to them.
pub async fn create_client(
    db: &Db,
    ctx: &AuditContext,
    scope: &ClientScope,
    input: CreateClient,
) -> AppResult<Client> {
    scope.require_editor()?;
    if input.medical_notes.is_some() {
        scope.require_medical()?;
    }
    let (fields, mut trainer_ids) = input.validate()?;
    if let Visibility::Assigned(me) = scope.visibility
        && !trainer_ids.contains(&me)
    {
        trainer_ids.insert(0, me);
    } else if scope.visibility == Visibility::Nothing {
        return Err(AppError::Forbidden(
            "Your account is not linked to a trainer.".into(),
        ));
    }
    let mut changed = fields.changed_names();
    if !trainer_ids.is_empty() {
        changed.push("trainer_ids".into());
    }
    let txn = db.begin_write().await?;
    let client = repo::insert(&txn, scope, fields, &trainer_ids).await?;
    audit::record(
        &txn,
        ctx,
        client_event("client.created", client.id, changed),
    )
    .await?;
    txn.commit().await?;
    Ok(client)
}

/// Changes a client at the expected version (412 when stale, 422 for a status move the lifecycle
/// does not allow).
pub async fn update_client(
    db: &Db,
    ctx: &AuditContext,
    scope: &ClientScope,
    id: Uuid,
    expected: Option<i64>,
    input: UpdateClient,
) -> AppResult<Client> {
    scope.require_editor()?;
    if input.medical_notes.is_some() {
        scope.require_medical()?;
    }
    if input.user_id.is_some() {
        scope.require_front_desk()?;
    }
    let fields = input.validate()?;
    let changed = fields.changed_names();
    let txn = db.begin_write().await?;
    let client = repo::update(&txn, scope, id, expected, fields).await?;
    audit::record(&txn, ctx, client_event("client.updated", id, changed)).await?;
    txn.commit().await?;
    Ok(client)
}

/// Assigns a trainer to a client (or changes the role of the assignment); role defaults to
/// `secondary`. Staff and above.
pub async fn assign_trainer(
    db: &Db,
    ctx: &AuditContext,
    scope: &ClientScope,
    id: Uuid,
    trainer_id: Uuid,
    role: Option<String>,
) -> AppResult<Client> {
    scope.require_front_desk()?;
    let role = match role {
        Some(r) => parse_text(&r, 40)
            .map_err(|m| AppError::field("role", m))?
            .to_lowercase(),
        None => "secondary".to_owned(),
    };
    let txn = db.begin_write().await?;
    let client = repo::assign(&txn, scope, id, trainer_id, &role).await?;
    audit::record(
        &txn,
        ctx,
        client_event("client.trainer_assigned", id, vec!["trainer_ids".into()]),
    )
    .await?;
    txn.commit().await?;
    Ok(client)
}

/// Removes a trainer from a client. Staff and above.
pub async fn unassign_trainer(
    db: &Db,
    ctx: &AuditContext,
    scope: &ClientScope,
    id: Uuid,
    trainer_id: Uuid,
) -> AppResult<()> {
    scope.require_front_desk()?;
    let txn = db.begin_write().await?;
    repo::unassign(&txn, scope, id, trainer_id).await?;
    audit::record(
        &txn,
        ctx,
        client_event("client.trainer_unassigned", id, vec!["trainer_ids".into()]),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Erases a client's personal data irreversibly. Owners and admins.
pub async fn erase_client(
    db: &Db,
    ctx: &AuditContext,
    scope: &ClientScope,
    id: Uuid,
) -> AppResult<()> {
    scope.role.require(Role::Admin)?;
    let txn = db.begin_write().await?;
    repo::erase(&txn, scope, id).await?;
    audit::record(&txn, ctx, client_event("client.erased", id, Vec::new())).await?;
    txn.commit().await?;
    db.purge_freed_space().await?;
    tracing::info!(org.id = %scope.org, client.id = %id, "client erased");
    Ok(())
}

/// Adds a note to a client the scope sees (trainers and above).
pub async fn add_note(
    db: &Db,
    ctx: &AuditContext,
    scope: &ClientScope,
    id: Uuid,
    input: CreateNote,
) -> AppResult<Note> {
    let body = match parse_long_text(&input.body, 10_000) {
        Ok(Some(b)) => b,
        Ok(None) => return Err(AppError::field("body", "must not be empty")),
        Err(m) => return Err(AppError::field("body", m)),
    };
    scope.role.require(Role::Trainer)?;
    repo::ensure_visible(db.conn(), scope, id).await?;
    let model = client_notes::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(scope.org.0),
        client_id: Set(id),
        author_id: Set(scope.actor_id),
        body: Set(body),
        pinned: Set(input.pinned.unwrap_or(false)),
        created_at: Set(crate::db::now()),
    };
    let txn = db.begin_write().await?;
    let note = client_notes::Entity::insert(model)
        .exec_with_returning(&txn)
        .await?;
    let mut event = Event::new("client_note.created", "client_note", Some(note.id))
        .with_fields(["body", "pinned"]);
    event.subject_client_id = Some(id);
    audit::record(&txn, ctx, event).await?;
    txn.commit().await?;
    Ok(Note::from(note))
}
