//! Database access for sessions and API keys.
//!
//! Looking a credential up by its hash is the one way in that is not scoped by a tenant: the credential
//! is what tells which tenant the caller belongs to. Everything else takes the tenant first.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, JoinType,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::Role;
use super::tokens;
use crate::audit::RequestOrigin;
use crate::db::entities::{api_keys, sessions, users};
use crate::db::{new_id, now};
use crate::error::{AppError, AppResult};
use crate::organizations::OrgId;

/// A live session and the account behind it.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// Session id.
    pub id: Uuid,
    /// Last use, to decide whether to record this one.
    pub last_seen_at: DateTime<Utc>,
    /// The absolute expiry.
    pub expires_at: DateTime<Utc>,
    /// The account.
    pub user_id: Uuid,
    /// The account's organization.
    pub organization_id: Uuid,
    /// The account's role, as stored.
    pub role: String,
    /// The session may only set up two-factor authentication.
    pub setup_only: bool,
}

/// Creates a session for a user and returns its token (shown once) and absolute expiry.
pub async fn create_session(
    db: &impl ConnectionTrait,
    org: OrgId,
    user_id: Uuid,
    absolute: std::time::Duration,
    origin: &RequestOrigin,
    setup_only: bool,
) -> AppResult<(String, DateTime<Utc>)> {
    let token = tokens::new_session_token();
    let at = now();
    let expires_at =
        at + ChronoDuration::from_std(absolute).map_err(|e| AppError::Internal(e.into()))?;
    sessions::Entity::insert(sessions::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org.0),
        user_id: Set(user_id),
        token_hash: Set(tokens::digest(&token)),
        created_at: Set(at),
        last_seen_at: Set(at),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        ip: Set(origin.ip.clone()),
        user_agent: Set(origin.user_agent.clone()),
        mfa_setup_only: Set(setup_only),
    })
    .exec_without_returning(db)
    .await?;
    Ok((token, expires_at))
}

/// The live session behind a token digest (see [`tokens::digest`]): not revoked, not past its
/// absolute expiry, used within the idle timeout, and belonging to an active account. One query.
pub async fn find_live_session(
    db: &impl ConnectionTrait,
    digest: &str,
    idle: std::time::Duration,
) -> AppResult<Option<SessionRecord>> {
    type Row = (
        Uuid,
        DateTime<Utc>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Uuid,
        Uuid,
        String,
        bool,
        bool,
    );
    let at = now();
    let row: Option<Row> = sessions::Entity::find()
        .select_only()
        .column(sessions::Column::Id)
        .column(sessions::Column::LastSeenAt)
        .column(sessions::Column::ExpiresAt)
        .column(sessions::Column::RevokedAt)
        .column(users::Column::Id)
        .column(users::Column::OrganizationId)
        .column(users::Column::Role)
        .column(users::Column::Active)
        .column(sessions::Column::MfaSetupOnly)
        .join(
            JoinType::InnerJoin,
            sessions::Entity::belongs_to(users::Entity)
                .from(sessions::Column::UserId)
                .to(users::Column::Id)
                .on_condition(|s, u| {
                    sea_orm::Condition::all().add(
                        Expr::col((s, sessions::Column::OrganizationId))
                            .equals((u, users::Column::OrganizationId)),
                    )
                })
                .into(),
        )
        .filter(sessions::Column::TokenHash.eq(digest))
        .into_tuple()
        .one(db)
        .await?;
    let Some((
        id,
        last_seen_at,
        expires_at,
        revoked_at,
        user_id,
        organization_id,
        role,
        active,
        setup_only,
    )) = row
    else {
        return Ok(None);
    };
    let idle = ChronoDuration::from_std(idle).unwrap_or(ChronoDuration::MAX);
    if !active || revoked_at.is_some() || expires_at <= at || last_seen_at + idle <= at {
        return Ok(None);
    }
    Ok(Some(SessionRecord {
        id,
        last_seen_at,
        expires_at,
        user_id,
        organization_id,
        role,
        setup_only,
    }))
}

/// Records that a session was used (the idle timeout counts from here).
pub async fn touch_session(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<()> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::LastSeenAt, Expr::value(now()))
        .filter(sessions::Column::Id.eq(id))
        .filter(sessions::Column::OrganizationId.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes the sessions that can no longer authenticate anyone — expired, or revoked — as of `at`;
/// how many.
pub async fn purge_dead_sessions(db: &impl ConnectionTrait, at: DateTime<Utc>) -> AppResult<u64> {
    let done = sessions::Entity::delete_many()
        .filter(
            Condition::any()
                .add(sessions::Column::ExpiresAt.lt(at))
                .add(sessions::Column::RevokedAt.lt(at)),
        )
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Revokes one session.
pub async fn revoke_session(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<()> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now()))
        .filter(sessions::Column::Id.eq(id))
        .filter(sessions::Column::OrganizationId.eq(org.0))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every session of a user, except `keep` (the caller's own, after a password change).
pub async fn revoke_user_sessions(
    db: &impl ConnectionTrait,
    org: OrgId,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> AppResult<()> {
    let mut q = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now()))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::OrganizationId.eq(org.0))
        .filter(sessions::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        q = q.filter(sessions::Column::Id.ne(keep));
    }
    q.exec(db).await?;
    Ok(())
}

/// A user's sessions that can still be used (not revoked, not expired, used within `idle`), the
/// most recently used first.
pub async fn list_live_sessions(
    db: &impl ConnectionTrait,
    org: OrgId,
    user_id: Uuid,
    idle: std::time::Duration,
) -> AppResult<Vec<sessions::Model>> {
    let at = now();
    let idle = ChronoDuration::from_std(idle).unwrap_or(ChronoDuration::MAX);
    let rows = sessions::Entity::find()
        .filter(sessions::Column::OrganizationId.eq(org.0))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(at))
        .order_by_desc(sessions::Column::LastSeenAt)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|s| s.last_seen_at + idle > at)
        .collect())
}

/// Revokes one of a user's own sessions; whether there was such a live session.
pub async fn revoke_own_session(
    db: &impl ConnectionTrait,
    org: OrgId,
    user_id: Uuid,
    id: Uuid,
) -> AppResult<bool> {
    let done = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now()))
        .filter(sessions::Column::Id.eq(id))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::OrganizationId.eq(org.0))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// An API key as listed (never with its secret).
#[derive(Debug, Clone)]
pub struct ApiKeyRecord {
    /// The row.
    pub model: api_keys::Model,
    /// Its role.
    pub role: Role,
}

fn to_key(model: api_keys::Model) -> AppResult<ApiKeyRecord> {
    let role = Role::parse(&model.role).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("API key {} has an unknown role", model.id))
    })?;
    Ok(ApiKeyRecord { model, role })
}

/// Creates an API key and returns it with its secret (shown once).
pub async fn create_api_key(
    db: &impl ConnectionTrait,
    org: OrgId,
    name: String,
    role: Role,
    created_by: Option<Uuid>,
) -> AppResult<(ApiKeyRecord, String)> {
    let secret = tokens::new_api_key();
    let model = api_keys::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org.0),
        name: Set(name),
        role: Set(role.as_str().to_owned()),
        prefix: Set(secret.chars().take(12).collect()),
        secret_hash: Set(tokens::digest(&secret)),
        created_by: Set(created_by),
        created_at: Set(now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    };
    let m = api_keys::Entity::insert(model)
        .exec_with_returning(db)
        .await?;
    Ok((to_key(m)?, secret))
}

/// The organization's keys that are not revoked, newest first.
pub async fn list_api_keys(db: &impl ConnectionTrait, org: OrgId) -> AppResult<Vec<ApiKeyRecord>> {
    api_keys::Entity::find()
        .filter(api_keys::Column::OrganizationId.eq(org.0))
        .filter(api_keys::Column::RevokedAt.is_null())
        .order_by_desc(api_keys::Column::CreatedAt)
        .order_by_desc(api_keys::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_key)
        .collect()
}

/// One key of the organization that is not revoked.
pub async fn get_api_key(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: Uuid,
) -> AppResult<Option<ApiKeyRecord>> {
    api_keys::Entity::find_by_id(id)
        .filter(api_keys::Column::OrganizationId.eq(org.0))
        .filter(api_keys::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .map(to_key)
        .transpose()
}

/// Revokes a key; 404 when it does not exist in the organization or is already revoked.
pub async fn revoke_api_key(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<()> {
    let r = api_keys::Entity::update_many()
        .col_expr(api_keys::Column::RevokedAt, Expr::value(now()))
        .filter(api_keys::Column::Id.eq(id))
        .filter(api_keys::Column::OrganizationId.eq(org.0))
        .filter(api_keys::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if r.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// The live key behind a secret's digest (see [`tokens::digest`]).
pub async fn find_live_api_key(
    db: &impl ConnectionTrait,
    digest: &str,
) -> AppResult<Option<ApiKeyRecord>> {
    api_keys::Entity::find()
        .filter(api_keys::Column::SecretHash.eq(digest))
        .filter(api_keys::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .map(to_key)
        .transpose()
}

/// Records that a key was used, unless that was already recorded at or after `stale_before`. Returns
/// whether it recorded it: of several requests racing with the same stale key, exactly one does.
pub async fn touch_api_key(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: Uuid,
    stale_before: DateTime<Utc>,
) -> AppResult<bool> {
    let r = api_keys::Entity::update_many()
        .col_expr(api_keys::Column::LastUsedAt, Expr::value(now()))
        .filter(api_keys::Column::Id.eq(id))
        .filter(api_keys::Column::OrganizationId.eq(org.0))
        .filter(
            sea_orm::Condition::any()
                .add(api_keys::Column::LastUsedAt.is_null())
                .add(api_keys::Column::LastUsedAt.lt(stale_before)),
        )
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}
