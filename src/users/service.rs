//! The account rules, shared by the API and (later) the web pages:
//! - only owners and admins manage accounts;
//! - nobody grants a role above their own, nor changes or deletes an account above their own;
//! - the last active owner cannot be removed, demoted or deactivated;
//! - deactivating an account or changing its password ends its sessions;
//! - every change is recorded in the audit trail, in the transaction that makes it, by field name only.

use uuid::Uuid;

use super::model::{CreateUser, UpdateUser, User, UserChanges};
use super::repo;
use crate::audit::{self, AuditContext, Event};
use crate::auth::{CurrentUser, Role, repo as auth_repo};
use crate::db::Db;
use crate::error::{AppError, AppResult};

/// The fields a new account is created with, as its `user.created` event names them.
pub const CREATED_FIELDS: [&str; 5] = ["name", "email", "role", "active", "password"];

/// Creates an account in the caller's organization.
pub async fn create(
    db: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    input: CreateUser,
) -> AppResult<User> {
    caller.require_account_manager()?;
    if !caller.role.may_grant(input.role) {
        return Err(AppError::Forbidden(format!(
            "A {} cannot grant the {} role.",
            caller.role, input.role
        )));
    }
    let new = input.validate().await?;
    let txn = db.begin_write().await?;
    let user = repo::insert(&txn, caller.org, new).await?;
    audit::record(
        &txn,
        ctx,
        Event::new("user.created", "user", Some(user.id)).with_fields(CREATED_FIELDS),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Changes an account, checking the version the change is based on. The `user.updated` event names
/// the fields whose value changed (a new password is the name `password`); a new role is also a
/// `user.role_changed` event, so that privilege changes can be listed on their own.
pub async fn update(
    db: &Db,
    caller: &CurrentUser,
    ctx: &AuditContext,
    id: Uuid,
    expected_version: Option<i64>,
    input: UpdateUser,
) -> AppResult<User> {
    caller.require_account_manager()?;
    let txn = db.begin_write().await?;
    let target = target_of(&txn, caller, id).await?;
    if let Some(role) = input.role
        && !caller.role.may_grant(role)
    {
        return Err(AppError::Forbidden(format!(
            "A {} cannot grant the {role} role.",
            caller.role
        )));
    }
    let demoted = input.role.is_some_and(|r| r != Role::Owner);
    let deactivated = input.active == Some(false);
    if target.role == Role::Owner && target.active && (demoted || deactivated) {
        ensure_another_owner(db, &txn, caller, id).await?;
    }
    let changes = input.validate(&target.email).await?;
    let password_changed = changes.password_hash.is_some();
    let changed = changed_fields(&target, &changes);
    let user = repo::update(&txn, caller.org, id, expected_version, changes).await?;
    if deactivated {
        auth_repo::revoke_user_sessions(&txn, caller.org, id, None).await?;
    } else if password_changed {
        let keep = match caller.credential {
            crate::auth::Credential::User {
                user_id,
                session_id,
            } if user_id == id => Some(session_id),
            _ => None,
        };
        auth_repo::revoke_user_sessions(&txn, caller.org, id, keep).await?;
    }
    let role_changed = changed.contains(&"role");
    audit::record(
        &txn,
        ctx,
        Event::new("user.updated", "user", Some(id)).with_fields(changed),
    )
    .await?;
    if role_changed {
        audit::record(
            &txn,
            ctx,
            Event::new("user.role_changed", "user", Some(id)).with_fields(["role"]),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(user)
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
pub async fn delete(db: &Db, caller: &CurrentUser, ctx: &AuditContext, id: Uuid) -> AppResult<()> {
    caller.require_account_manager()?;
    let txn = db.begin_write().await?;
    let target = target_of(&txn, caller, id).await?;
    if target.role == Role::Owner && target.active {
        ensure_another_owner(db, &txn, caller, id).await?;
    }
    repo::delete(&txn, caller.org, id).await?;
    audit::record(&txn, ctx, Event::new("user.deleted", "user", Some(id))).await?;
    txn.commit().await?;
    Ok(())
}

/// The account a caller acts on: 404 when not in their organization, 403 when above their role.
async fn target_of(
    txn: &sea_orm::DatabaseTransaction,
    caller: &CurrentUser,
    id: Uuid,
) -> AppResult<User> {
    let target = repo::get(txn, caller.org, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if caller.role.at_least(target.role) {
        Ok(target)
    } else {
        Err(AppError::Forbidden(format!(
            "A {} cannot change a {} account.",
            caller.role, target.role
        )))
    }
}

async fn ensure_another_owner(
    db: &Db,
    txn: &sea_orm::DatabaseTransaction,
    caller: &CurrentUser,
    leaving: Uuid,
) -> AppResult<()> {
    let owners = repo::lock_active_owners(txn, db.backend(), caller.org).await?;
    if owners.iter().any(|o| *o != leaving) {
        Ok(())
    } else {
        Err(AppError::conflict(
            "This is the organization's last active owner; make someone else owner first.",
        ))
    }
}
