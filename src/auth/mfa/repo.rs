//! The queries of two-factor authentication: the TOTP secret on the account, its recovery codes,
//! and the sessions that may only set it up.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use crate::db::entities::{mfa_recovery_codes, sessions, users};
use crate::db::sealed::{self, SealedColumn};
use crate::db::{new_id, now};
use crate::error::AppResult;
use crate::organizations::OrgId;

/// The two sealed TOTP columns of `users` ([`crate::db::sealed`]).
pub use sealed::{USERS_TOTP_PENDING_SECRET as PENDING, USERS_TOTP_SECRET as ACTIVE};

/// A secret read from `column` (`PENDING` or `ACTIVE`) of the account `user_id`, opened.
pub fn open_secret(column: &SealedColumn, user_id: Uuid, stored: &str) -> AppResult<String> {
    Ok(sealed::open(column, &user_id, stored.to_owned())?)
}

fn seal_secret(column: &SealedColumn, user_id: Uuid, secret: &str) -> Result<String, DbErr> {
    Ok(sealed::seal(column, &user_id, secret)?)
}

/// Keeps a secret waiting for its first code.
pub async fn set_pending(
    db: &impl ConnectionTrait,
    org: OrgId,
    user_id: Uuid,
    secret: &str,
) -> AppResult<()> {
    users::Entity::update_many()
        .col_expr(
            users::Column::TotpPendingSecret,
            Expr::value(seal_secret(&PENDING, user_id, secret)?),
        )
        .filter(users::Column::Id.eq(user_id))
        .filter(users::Column::OrganizationId.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Turns the pending secret on, as of the accepted code's time step.
pub async fn enable(
    db: &impl ConnectionTrait,
    org: OrgId,
    user_id: Uuid,
    secret: &str,
    step: i64,
) -> AppResult<()> {
    users::Entity::update_many()
        .col_expr(
            users::Column::TotpSecret,
            Expr::value(seal_secret(&ACTIVE, user_id, secret)?),
        )
        .col_expr(
            users::Column::TotpPendingSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(users::Column::TotpEnabledAt, Expr::value(now()))
        .col_expr(users::Column::TotpLastStep, Expr::value(step))
        .filter(users::Column::Id.eq(user_id))
        .filter(users::Column::OrganizationId.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Turns two-factor authentication off and forgets the secret and every recovery code.
pub async fn disable(db: &impl ConnectionTrait, org: OrgId, user_id: Uuid) -> AppResult<()> {
    users::Entity::update_many()
        .col_expr(
            users::Column::TotpSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            users::Column::TotpPendingSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            users::Column::TotpEnabledAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            users::Column::TotpLastStep,
            Expr::value(Option::<i64>::None),
        )
        .filter(users::Column::Id.eq(user_id))
        .filter(users::Column::OrganizationId.eq(org.0))
        .exec(db)
        .await?;
    mfa_recovery_codes::Entity::delete_many()
        .filter(mfa_recovery_codes::Column::UserId.eq(user_id))
        .filter(mfa_recovery_codes::Column::OrganizationId.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Accepts a time step once: moves the account's last used step forward to `step`; `false` when a
/// code of that step (or a later one) was already used.
pub async fn use_step(
    db: &impl ConnectionTrait,
    org: OrgId,
    user_id: Uuid,
    step: i64,
) -> AppResult<bool> {
    let done = users::Entity::update_many()
        .col_expr(users::Column::TotpLastStep, Expr::value(step))
        .filter(users::Column::Id.eq(user_id))
        .filter(users::Column::OrganizationId.eq(org.0))
        .filter(
            users::Column::TotpLastStep
                .is_null()
                .or(users::Column::TotpLastStep.lt(step)),
        )
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Replaces the account's recovery codes with these hashes.
pub async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
    org: OrgId,
    user_id: Uuid,
    hashes: &[String],
) -> AppResult<()> {
    mfa_recovery_codes::Entity::delete_many()
        .filter(mfa_recovery_codes::Column::UserId.eq(user_id))
        .filter(mfa_recovery_codes::Column::OrganizationId.eq(org.0))
        .exec(db)
        .await?;
    let at = now();
    let rows = hashes.iter().map(|h| mfa_recovery_codes::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org.0),
        user_id: Set(user_id),
        code_hash: Set(h.clone()),
        created_at: Set(at),
        used_at: Set(None),
    });
    mfa_recovery_codes::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Uses up an unused recovery code with this hash; whether there was one.
pub async fn use_recovery_code(
    db: &impl ConnectionTrait,
    org: OrgId,
    user_id: Uuid,
    hash: &str,
) -> AppResult<bool> {
    let done = mfa_recovery_codes::Entity::update_many()
        .col_expr(mfa_recovery_codes::Column::UsedAt, Expr::value(now()))
        .filter(mfa_recovery_codes::Column::UserId.eq(user_id))
        .filter(mfa_recovery_codes::Column::OrganizationId.eq(org.0))
        .filter(mfa_recovery_codes::Column::CodeHash.eq(hash))
        .filter(mfa_recovery_codes::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected >= 1)
}

/// How many unused recovery codes the account has left.
pub async fn recovery_codes_left(
    db: &impl ConnectionTrait,
    org: OrgId,
    user_id: Uuid,
) -> AppResult<u64> {
    let n: Option<i64> = mfa_recovery_codes::Entity::find()
        .select_only()
        .column_as(mfa_recovery_codes::Column::Id.count(), "n")
        .filter(mfa_recovery_codes::Column::UserId.eq(user_id))
        .filter(mfa_recovery_codes::Column::OrganizationId.eq(org.0))
        .filter(mfa_recovery_codes::Column::UsedAt.is_null())
        .into_tuple()
        .one(db)
        .await?;
    Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
}

/// The account's sessions may do more than set up MFA again (it has been set up).
pub async fn release_sessions(
    db: &impl ConnectionTrait,
    org: OrgId,
    user_id: Uuid,
) -> AppResult<()> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::MfaSetupOnly, Expr::value(false))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::OrganizationId.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Restricts the live sessions of the organization's owners and admins without MFA to setting it
/// up (the organization has just required it); their ids.
pub async fn restrict_sessions_without_mfa(
    db: &impl ConnectionTrait,
    org: OrgId,
) -> AppResult<Vec<Uuid>> {
    let users: Vec<Uuid> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::OrganizationId.eq(org.0))
        .filter(users::Column::Role.is_in(["owner", "admin"]))
        .filter(users::Column::TotpEnabledAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    if users.is_empty() {
        return Ok(users);
    }
    sessions::Entity::update_many()
        .col_expr(sessions::Column::MfaSetupOnly, Expr::value(true))
        .filter(sessions::Column::OrganizationId.eq(org.0))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(
            sessions::Column::UserId.in_subquery(
                Query::select()
                    .column(users::Column::Id)
                    .from(users::Entity)
                    .and_where(users::Column::OrganizationId.eq(org.0))
                    .and_where(users::Column::Role.is_in(["owner", "admin"]))
                    .and_where(users::Column::TotpEnabledAt.is_null())
                    .to_owned(),
            ),
        )
        .exec(db)
        .await?;
    Ok(users)
}
