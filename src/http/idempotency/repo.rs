//! Every query of `idempotency_keys`: purging an expired key, claiming one, reading a claim,
//! releasing it and storing the response it produced.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::db::entities::idempotency_keys::{self, Column};
use crate::db::sealed;
use crate::db::{new_id, now};

/// A claimed key as stored.
pub(super) type Claim = idempotency_keys::Model;

/// Deletes the principal's `key` if it was created before `expired_before`.
pub(super) async fn purge_expired(
    db: &DatabaseConnection,
    principal: Uuid,
    key: &str,
    expired_before: DateTime<Utc>,
) -> Result<(), DbErr> {
    idempotency_keys::Entity::delete_many()
        .filter(Column::PrincipalId.eq(principal))
        .filter(Column::Key.eq(key))
        .filter(Column::CreatedAt.lt(expired_before))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes every key, of every principal, created before `expired_before`; how many.
pub(super) async fn purge_all_expired(
    db: &DatabaseConnection,
    expired_before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let done = idempotency_keys::Entity::delete_many()
        .filter(Column::CreatedAt.lt(expired_before))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Claims the principal's `key` for a request with `request_hash`: the new claim's id, or `None`
/// when the key is held already.
pub(super) async fn claim(
    db: &DatabaseConnection,
    organization_id: Uuid,
    principal: Uuid,
    key: &str,
    request_hash: &str,
) -> Result<Option<Uuid>, DbErr> {
    let claim_id = new_id();
    let inserted = idempotency_keys::Entity::insert(idempotency_keys::ActiveModel {
        id: Set(claim_id),
        organization_id: Set(organization_id),
        principal_id: Set(principal),
        key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        status_code: Set(None),
        response_body: Set(None),
        location: Set(None),
        created_at: Set(now()),
    })
    .on_conflict(
        OnConflict::columns([Column::PrincipalId, Column::Key])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok((inserted != 0).then_some(claim_id))
}

/// The principal's claim of `key`, if any.
pub(super) async fn find(
    db: &DatabaseConnection,
    principal: Uuid,
    key: &str,
) -> Result<Option<Claim>, DbErr> {
    let Some(mut claim) = idempotency_keys::Entity::find()
        .filter(Column::PrincipalId.eq(principal))
        .filter(Column::Key.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    claim.response_body = sealed::open_opt(
        &sealed::IDEMPOTENCY_RESPONSE_BODY,
        &claim.id,
        claim.response_body,
    )?;
    Ok(Some(claim))
}

/// Drops a claim, so the key can be used again.
pub(super) async fn release(db: &DatabaseConnection, claim_id: Uuid) -> Result<(), DbErr> {
    idempotency_keys::Entity::delete_by_id(claim_id)
        .exec(db)
        .await?;
    Ok(())
}

/// Stores the outcome of a claimed request: its status, its `Location` and its body — or no body
/// (`None`) for a response that carries a secret shown once: the claim then says "done, not
/// replayable", which an in-progress claim (no status yet) never says.
pub(super) async fn store(
    db: &DatabaseConnection,
    claim_id: Uuid,
    status: i32,
    body: Option<String>,
    location: Option<String>,
) -> Result<(), DbErr> {
    idempotency_keys::Entity::update_many()
        .col_expr(Column::StatusCode, Expr::value(status))
        .col_expr(
            Column::ResponseBody,
            Expr::value(sealed::seal_opt(
                &sealed::IDEMPOTENCY_RESPONSE_BODY,
                &claim_id,
                body.as_deref(),
            )?),
        )
        .col_expr(Column::Location, Expr::value(location))
        .filter(Column::Id.eq(claim_id))
        .exec(db)
        .await?;
    Ok(())
}
