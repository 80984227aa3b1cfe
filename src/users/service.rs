//! The account rules, shared by the API and (later) the web pages:
//! - only owners and admins manage accounts;
//! - nobody grants a role above their own, nor changes or deletes an account above their own;
//! - the last active owner cannot be removed, demoted or deactivated;
//! - deactivating an account or changing its password ends its sessions;
//! - every change is recorded in the audit trail, in the transaction that makes it, by field name only.

//!
//! Every operation takes the [`Actor`]; `create_user_in` runs inside a transaction the caller holds,
//! so another service (the portal sign-up) can create an account in its own commit.

use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::model::{CreateUser, NewUser, UpdateUser, User, UserChanges};
use super::repo;
use crate::audit::{self, AuditContext, Event, RequestOrigin};
use crate::auth::{Actor, Role, repo as auth_repo};
use crate::db::changes::Change;
use crate::db::{Db, new_id};
use crate::error::{AppError, AppResult};
use crate::organizations::OrgId;

/// The fields a new account is created with, as its `user.created` event names them.
pub const CREATED_FIELDS: [&str; 5] = ["name", "email", "role", "active", "password"];

/// 403 unless the actor may create an account with `role`.
fn check_grant(actor: &Actor, role: Role) -> AppResult<()> {
    actor.require(Role::Admin)?;
    if actor.role().may_grant(role) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "A {} cannot grant the {} role.",
            actor.role(),
            role
        )))
    }
}

/// Creates an account in the actor's organization.
pub async fn create_user(db: &Db, actor: &Actor, input: CreateUser) -> AppResult<User> {
    check_grant(actor, input.role)?;
    // Hashing the password is slow: done before the write transaction opens.
    let new = input.validate().await?;
    let txn = db.begin_write().await?;
    let user = create_user_in(&txn, actor, new).await?;
    txn.commit().await?;
    Ok(user)
}

/// [`create_user`] of an already validated account, inside the caller's transaction (which it does
/// not commit).
pub async fn create_user_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    new: NewUser,
) -> AppResult<User> {
    check_grant(actor, new.role)?;
    insert_recorded(txn, actor.org(), new_id(), new, &actor.audit).await
}

/// A person creating their own `client` account (the portal sign-up), inside the caller's
/// transaction: the account's `user.created` event names the person themself as its actor. Returns
/// the account and the actor the rest of the sign-up acts as (the system's rights, recorded as the
/// person).
pub async fn create_own_client_account_in(
    txn: &DatabaseTransaction,
    org: OrgId,
    origin: RequestOrigin,
    new: NewUser,
) -> AppResult<(User, Actor)> {
    if new.role != Role::Client {
        return Err(AppError::Forbidden(
            "Only client accounts are created by their owner.".into(),
        ));
    }
    let id = new_id();
    let audit = AuditContext::user(org, id, Role::Client, origin);
    let user = insert_recorded(txn, org, id, new, &audit).await?;
    let mut actor = Actor::system(org);
    actor.audit = audit;
    Ok((user, actor))
}

async fn insert_recorded(
    txn: &DatabaseTransaction,
    org: OrgId,
    id: Uuid,
    new: NewUser,
    ctx: &AuditContext,
) -> AppResult<User> {
    let user = repo::insert_with_id(txn, org, id, new).await?;
    audit::record(
        txn,
        ctx,
        Event::new("user.created", "user", Some(user.id)).with_fields(CREATED_FIELDS),
    )
    .await?;
    Ok(user)
}

/// Changes an account, checking the version the change is based on. The `user.updated` event names
/// the fields whose value changed (a new password is the name `password`); a new role is also a
/// `user.role_changed` event, so that privilege changes can be listed on their own.
pub async fn update_user(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i64>,
    input: UpdateUser,
) -> AppResult<User> {
    actor.require(Role::Admin)?;
    let org = actor.org();
    let txn = db.begin_write().await?;
    let target = target_of(&txn, actor, id).await?;
    check_credentials_change(actor, &target, &input)?;
    if let Some(role) = input.role
        && !actor.role().may_grant(role)
    {
        return Err(AppError::Forbidden(format!(
            "A {} cannot grant the {role} role.",
            actor.role()
        )));
    }
    let demoted = input.role.is_some_and(|r| r != Role::Owner);
    let deactivated = input.active == Some(false);
    if target.role == Role::Owner && target.active && (demoted || deactivated) {
        ensure_another_owner(db, &txn, org, id).await?;
    }
    let changes = input.validate(&target.email).await?;
    let password_changed = changes.password_hash.is_some();
    let changed = changed_fields(&target, &changes);
    let email_changed = changed.contains(&"email");
    let user = repo::update(&txn, org, id, expected_version, changes).await?;
    if deactivated || (email_changed && !is_self(actor, id)) {
        auth_repo::revoke_user_sessions(&txn, org, id, None).await?;
    } else if password_changed {
        let keep = match actor.caller.map(|c| c.credential) {
            Some(crate::auth::Credential::User {
                user_id,
                session_id,
            }) if user_id == id => Some(session_id),
            _ => None,
        };
        auth_repo::revoke_user_sessions(&txn, org, id, keep).await?;
    }
    let role_changed = changed.contains(&"role");
    audit::record(
        &txn,
        &actor.audit,
        Event::new("user.updated", "user", Some(id)).with_fields(changed),
    )
    .await?;
    if role_changed {
        audit::record(
            &txn,
            &actor.audit,
            Event::new("user.role_changed", "user", Some(id)).with_fields(["role"]),
        )
        .await?;
    }
    txn.commit().await?;
    if deactivated || password_changed || role_changed || email_changed {
        db.changed(Change::User(id));
    }
    Ok(user)
}

fn is_self(actor: &Actor, id: Uuid) -> bool {
    actor.caller.and_then(|c| c.user_id()) == Some(id)
}

/// Another account's password or email (what takes it over) is changed only from a role above
/// its own, never an equal one (owners over admins, admins over staff); one's own password only
/// with the current one, through `PUT /api/v1/me/password`.
fn check_credentials_change(actor: &Actor, target: &User, input: &UpdateUser) -> AppResult<()> {
    let password = input.password.is_some();
    let email = input
        .email
        .as_ref()
        .is_some_and(|e| !e.trim().eq_ignore_ascii_case(&target.email));
    if is_self(actor, target.id) {
        if password {
            return Err(AppError::Forbidden(
                "Change your own password with PUT /api/v1/me/password (or on your account page): it asks for the current one."
                    .into(),
            ));
        }
        return Ok(());
    }
    if (password || email) && actor.role().rank() <= target.role.rank() {
        return Err(AppError::Forbidden(format!(
            "Only a role above {} may change the password or email of a {} account.",
            target.role, target.role
        )));
    }
    Ok(())
}

/// The names of the fields `changes` gives a new value.
fn changed_fields(target: &User, changes: &UserChanges) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if changes.name.as_ref().is_some_and(|n| *n != target.name) {
        fields.push("name");
    }
    if changes
        .email
        .as_ref()
        .is_some_and(|e| e.as_str() != target.email)
    {
        fields.push("email");
    }
    if changes.role.is_some_and(|r| r != target.role) {
        fields.push("role");
    }
    if changes.active.is_some_and(|a| a != target.active) {
        fields.push("active");
    }
    if changes.password_hash.is_some() {
        fields.push("password");
    }
    fields
}

/// Deletes an account.
pub async fn delete_user(db: &Db, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require(Role::Admin)?;
    let txn = db.begin_write().await?;
    let target = target_of(&txn, actor, id).await?;
    if is_self(actor, id) {
        return Err(AppError::conflict(
            "You cannot delete your own account: another owner or admin can.",
        ));
    }
    if target.role == Role::Owner && target.active {
        ensure_another_owner(db, &txn, actor.org(), id).await?;
    }
    repo::delete(&txn, actor.org(), id).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("user.deleted", "user", Some(id)),
    )
    .await?;
    txn.commit().await?;
    db.changed(Change::User(id));
    Ok(())
}

/// The account a caller acts on: 404 when not in their organization; 403 unless it is the caller's
/// own or below the caller's role. Equals do not act on each other (an admin demoting another
/// admin could then take the account over), except owners, who manage their co-owners.
async fn target_of(txn: &DatabaseTransaction, actor: &Actor, id: Uuid) -> AppResult<User> {
    let target = repo::get(txn, actor.org(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let role = actor.role();
    if is_self(actor, id) || role.rank() > target.role.rank() || role == Role::Owner {
        Ok(target)
    } else {
        Err(AppError::Forbidden(format!(
            "A {role} cannot change another {} account: a role above it can.",
            target.role
        )))
    }
}

async fn ensure_another_owner(
    db: &Db,
    txn: &DatabaseTransaction,
    org: OrgId,
    leaving: Uuid,
) -> AppResult<()> {
    let owners = repo::lock_active_owners(txn, db.backend(), org).await?;
    if owners.iter().any(|o| *o != leaving) {
        Ok(())
    } else {
        Err(AppError::conflict(
            "This is the organization's last active owner; make someone else owner first.",
        ))
    }
}

/// A page of the organization's accounts (owners and admins).
pub async fn list_users(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    page: &repo::UserPage,
    q: Option<&str>,
    role: Option<Role>,
) -> AppResult<crate::http::pagination::Page<User>> {
    actor.require(Role::Admin)?;
    if q.is_some_and(|q| q.chars().count() > 100) {
        return Err(AppError::bad_param("q", "must be at most 100 characters"));
    }
    repo::list(db, actor.org(), page, q, role).await
}

/// One account of the organization (owners and admins).
pub async fn get_user(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<User> {
    actor.require(Role::Admin)?;
    repo::get(db, actor.org(), id)
        .await?
        .ok_or(AppError::NotFound)
}
