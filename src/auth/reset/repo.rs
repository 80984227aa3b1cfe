//! Database access for password resets.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::db::entities::password_resets;
use crate::db::new_id;
use crate::error::AppResult;

/// Keeps a reset's token hash, valid until `expires_at`.
pub async fn insert(
    db: &impl ConnectionTrait,
    org: Uuid,
    user: Uuid,
    token_hash: String,
    at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> AppResult<()> {
    password_resets::Entity::insert(password_resets::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org),
        user_id: Set(user),
        token_hash: Set(token_hash),
        created_at: Set(at),
        expires_at: Set(expires_at),
        used_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The account (organization, user) of an unused, unexpired reset, without using it.
pub async fn peek(
    db: &impl ConnectionTrait,
    token_hash: &str,
    at: DateTime<Utc>,
) -> AppResult<Option<(Uuid, Uuid)>> {
    Ok(password_resets::Entity::find()
        .filter(password_resets::Column::TokenHash.eq(token_hash))
        .filter(password_resets::Column::UsedAt.is_null())
        .filter(password_resets::Column::ExpiresAt.gt(at))
        .one(db)
        .await?
        .map(|r| (r.organization_id, r.user_id)))
}

/// Uses the reset whose token hashes to `token_hash` if it is unused and unexpired: the account
/// (organization, user) it was for, once.
pub async fn take(
    db: &impl ConnectionTrait,
    token_hash: &str,
    at: DateTime<Utc>,
) -> AppResult<Option<(Uuid, Uuid)>> {
    let Some(account) = peek(db, token_hash, at).await? else {
        return Ok(None);
    };
    let used = password_resets::Entity::update_many()
        .col_expr(password_resets::Column::UsedAt, Expr::value(at))
        .filter(password_resets::Column::TokenHash.eq(token_hash))
        .filter(password_resets::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok((used.rows_affected == 1).then_some(account))
}

/// Ends every unused reset of an account (its password was just set).
pub async fn end_all(db: &impl ConnectionTrait, user: Uuid, at: DateTime<Utc>) -> AppResult<()> {
    password_resets::Entity::update_many()
        .col_expr(password_resets::Column::UsedAt, Expr::value(at))
        .filter(password_resets::Column::UserId.eq(user))
        .filter(password_resets::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes resets that can no longer be used (housekeeping).
pub async fn purge(db: &impl ConnectionTrait, at: DateTime<Utc>) -> AppResult<u64> {
    let done = password_resets::Entity::delete_many()
        .filter(password_resets::Column::ExpiresAt.lt(at))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
