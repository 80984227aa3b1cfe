//! The client operations that both the API handlers (`routes.rs`, `notes/`) and the pages (`pages/`)
//! run: each derives the caller's scope from the [`Actor`], checks their rights, writes in one
//! transaction and records the audit event, so the two front ends cannot drift apart. The `_in`
//! variants run inside a transaction the caller holds, so another service (the portal sign-up) can
//! compose them into one commit.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use uuid::Uuid;

use super::access::{ClientScope, Visibility};
use super::client_event;
use super::model::{Client, ClientFields, CreateClient, UpdateClient};
use super::notes::model::{CreateNote, Note, TimelineCursor, TimelineEntry};
use super::repo::{self, ClientFilter, notes as note_repo};
use crate::audit::{self, Event};
use crate::auth::{Actor, Role};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::http::pagination::Page;
use crate::validation::{parse_long_text, parse_text};

/// A page of the clients the actor may see (trainers and above; a trainer: their own clients).
pub async fn list_clients(
    db: &impl ConnectionTrait,
    actor: &Actor,
    page: &repo::ClientPageRequest,
    filter: &ClientFilter,
) -> AppResult<Page<Client>> {
    actor.require(Role::Trainer)?;
    let scope = ClientScope::for_actor(db, actor).await?;
    repo::list(db, &scope, page, filter).await
}

/// One client the actor may see (404 otherwise).
pub async fn get_client(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<Client> {
    let scope = ClientScope::for_actor(db, actor).await?;
    repo::get(db, &scope, id).await?.ok_or(AppError::NotFound)
}

/// Adds a client. A trainer's new client is assigned to them.
pub async fn create_client(db: &Db, actor: &Actor, input: CreateClient) -> AppResult<Client> {
    let txn = db.begin_write().await?;
    let client = create_client_in(&txn, actor, input).await?;
    txn.commit().await?;
    Ok(client)
}

/// [`create_client`] inside the caller's transaction (which it does not commit).
pub async fn create_client_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    input: CreateClient,
) -> AppResult<Client> {
    create_in(txn, actor, input, None).await
}

/// [`create_client_in`] for a client who has a portal account: the new client is linked to it by the
/// same rules as `PATCH /clients/{id}` with `user_id` (a `client` account of the organization that
/// is linked to no other client), in the same event.
pub async fn create_client_for_account_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    input: CreateClient,
    user_id: Uuid,
) -> AppResult<Client> {
    create_in(txn, actor, input, Some(user_id)).await
}

async fn create_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    input: CreateClient,
    account: Option<Uuid>,
) -> AppResult<Client> {
    let scope = ClientScope::for_actor(txn, actor).await?;
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
    let mut client = repo::insert(txn, &scope, fields, &trainer_ids).await?;
    if let Some(user) = account {
        scope.require_front_desk()?;
        let link = ClientFields {
            user_id: Some(Some(user)),
            ..ClientFields::default()
        };
        client = repo::update(txn, &scope, client.id, None, link).await?;
        changed.push("user_id".into());
    }
    audit::record(
        txn,
        &actor.audit,
        client_event("client.created", client.id, changed),
    )
    .await?;
    Ok(client)
}

/// Changes a client at the expected version (412 when stale, 422 for a status move the lifecycle
/// does not allow).
pub async fn update_client(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    expected: Option<i64>,
    input: UpdateClient,
) -> AppResult<Client> {
    let scope = ClientScope::for_actor(db.conn(), actor).await?;
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
    let client = repo::update(&txn, &scope, id, expected, fields).await?;
    audit::record(
        &txn,
        &actor.audit,
        client_event("client.updated", id, changed),
    )
    .await?;
    txn.commit().await?;
    Ok(client)
}

/// Deletes a client and everything held about them. Owners and admins.
pub async fn delete_client(db: &Db, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require(Role::Admin)?;
    let scope = ClientScope::for_actor(db.conn(), actor).await?;
    let txn = db.begin_write().await?;
    repo::delete(&txn, &scope, id).await?;
    audit::record(
        &txn,
        &actor.audit,
        client_event("client.deleted", id, Vec::new()),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Assigns a trainer to a client (or changes the role of the assignment); role defaults to
/// `secondary`. Staff and above.
pub async fn assign_trainer(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    trainer_id: Uuid,
    role: Option<String>,
) -> AppResult<Client> {
    let scope = ClientScope::for_actor(db.conn(), actor).await?;
    scope.require_front_desk()?;
    let role = match role {
        Some(r) => parse_text(&r, 40)
            .map_err(|m| AppError::field("role", m))?
            .to_lowercase(),
        None => "secondary".to_owned(),
    };
    let txn = db.begin_write().await?;
    let client = repo::assign(&txn, &scope, id, trainer_id, &role).await?;
    audit::record(
        &txn,
        &actor.audit,
        client_event("client.trainer_assigned", id, vec!["trainer_ids".into()]),
    )
    .await?;
    txn.commit().await?;
    Ok(client)
}

/// Removes a trainer from a client. Staff and above.
pub async fn unassign_trainer(db: &Db, actor: &Actor, id: Uuid, trainer_id: Uuid) -> AppResult<()> {
    let scope = ClientScope::for_actor(db.conn(), actor).await?;
    scope.require_front_desk()?;
    let txn = db.begin_write().await?;
    repo::unassign(&txn, &scope, id, trainer_id).await?;
    audit::record(
        &txn,
        &actor.audit,
        client_event("client.trainer_unassigned", id, vec!["trainer_ids".into()]),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Erases a client's personal data irreversibly. Owners and admins.
pub async fn erase_client(db: &Db, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require(Role::Admin)?;
    let scope = ClientScope::for_actor(db.conn(), actor).await?;
    let txn = db.begin_write().await?;
    let account = repo::erase(&txn, &scope, id).await?;
    audit::record(
        &txn,
        &actor.audit,
        client_event("client.erased", id, Vec::new()),
    )
    .await?;
    txn.commit().await?;
    if let Some(user) = account {
        db.changed(crate::db::changes::Change::User(user));
    }
    db.purge_freed_space().await?;
    tracing::info!(org.id = %scope.org, client.id = %id, "client erased");
    Ok(())
}

/// The scope of a trainer or above who sees the client (403, 404 otherwise): who may read notes and
/// the timeline.
pub async fn scope_for_history(
    db: &impl ConnectionTrait,
    actor: &Actor,
    client: Uuid,
) -> AppResult<ClientScope> {
    actor.require(Role::Trainer)?;
    let scope = ClientScope::for_actor(db, actor).await?;
    repo::ensure_visible(db, &scope, client).await?;
    Ok(scope)
}

/// Adds a note to a client the actor sees (trainers and above).
pub async fn add_note(db: &Db, actor: &Actor, id: Uuid, input: CreateNote) -> AppResult<Note> {
    let body = match parse_long_text(&input.body, 10_000) {
        Ok(Some(b)) => b,
        Ok(None) => return Err(AppError::field("body", "must not be empty")),
        Err(m) => return Err(AppError::field("body", m)),
    };
    actor.require(Role::Trainer)?;
    let scope = ClientScope::for_actor(db.conn(), actor).await?;
    repo::ensure_visible(db.conn(), &scope, id).await?;
    let txn = db.begin_write().await?;
    let note =
        note_repo::insert_note(&txn, &scope, id, body, input.pinned.unwrap_or(false)).await?;
    let mut event = Event::new("client_note.created", "client_note", Some(note.id))
        .with_fields(["body", "pinned"]);
    event.subject_client_id = Some(id);
    audit::record(&txn, &actor.audit, event).await?;
    txn.commit().await?;
    Ok(note)
}

/// The notes on a client (at most 1,000), pinned first, then newest first. The caller has checked
/// that the scope sees the client.
pub async fn notes_of(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
) -> AppResult<Vec<Note>> {
    note_repo::notes_of(db, scope, id).await
}

/// A page of a client's timeline, newest first: up to `limit` entries older than `before`, merged from
/// every source. The caller has checked that the scope sees the client.
pub async fn timeline(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    client: Uuid,
    limit: u64,
    before: Option<(DateTime<Utc>, Uuid)>,
) -> AppResult<Page<TimelineEntry>> {
    let mut entries = note_repo::timeline_entries(db, scope, client, limit + 1, before).await?;
    entries.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let has_more = entries.len() > limit;
    entries.truncate(limit);
    let next_cursor = if has_more {
        entries
            .last()
            .map(|e| TimelineCursor { at: e.at, id: e.id }.encode())
    } else {
        None
    };
    Ok(Page {
        items: entries,
        next_cursor,
        total: None,
    })
}
