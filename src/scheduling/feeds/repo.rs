//! Every query of calendar feeds: the stored feeds (only the secret's hash), and the sessions and
//! classes a feed shows.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::model::{Feed, FeedClass, FeedOwner, FeedSession};
use crate::db::entities::{calendar_feeds, class_bookings, classes, training_sessions};
use crate::db::{new_id, now};
use crate::error::AppResult;
use crate::organizations::OrgId;

/// Replaces the owner's feed with one for `secret_hash` (the old address stops working).
pub async fn replace(
    db: &impl ConnectionTrait,
    org: OrgId,
    owner: FeedOwner,
    owner_id: Uuid,
    secret_hash: String,
) -> AppResult<()> {
    calendar_feeds::Entity::delete_many()
        .filter(calendar_feeds::Column::OrganizationId.eq(org.0))
        .filter(calendar_feeds::Column::OwnerType.eq(owner.as_str()))
        .filter(calendar_feeds::Column::OwnerId.eq(owner_id))
        .exec(db)
        .await?;
    calendar_feeds::Entity::insert(calendar_feeds::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org.0),
        owner_type: Set(owner.as_str().to_owned()),
        owner_id: Set(owner_id),
        secret_hash: Set(secret_hash),
        created_at: Set(now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The feed whose secret hashes to `secret_hash` (any organization: the secret is the credential).
pub async fn by_secret_hash(
    db: &impl ConnectionTrait,
    secret_hash: &str,
) -> AppResult<Option<Feed>> {
    Ok(calendar_feeds::Entity::find()
        .filter(calendar_feeds::Column::SecretHash.eq(secret_hash))
        .one(db)
        .await?
        .map(|f| Feed {
            organization_id: f.organization_id,
            owner: FeedOwner::parse(&f.owner_type),
            owner_id: f.owner_id,
        }))
}

/// The owner's sessions starting in `[from, to)`, by start.
pub async fn sessions(
    db: &impl ConnectionTrait,
    org: OrgId,
    owner: FeedOwner,
    owner_id: Uuid,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<Vec<FeedSession>> {
    use training_sessions::Column as S;
    let by_owner = match owner {
        FeedOwner::Trainer => S::TrainerId.eq(owner_id),
        FeedOwner::Client => S::ClientId.eq(owner_id),
        FeedOwner::Location => S::LocationId.eq(owner_id),
    };
    Ok(training_sessions::Entity::find()
        .filter(S::OrganizationId.eq(org.0))
        .filter(S::StartsAt.gte(from))
        .filter(S::StartsAt.lt(to))
        .filter(by_owner)
        .order_by_asc(S::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(|s| FeedSession {
            id: s.id,
            trainer_id: s.trainer_id,
            client_id: s.client_id,
            sequence: s.sequence,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            cancelled: s.status == "cancelled",
            created_at: s.created_at,
            updated_at: s.updated_at,
        })
        .collect())
}

/// The owner's classes (a client's: those they are booked on) starting in `[from, to)`, by start.
pub async fn classes(
    db: &impl ConnectionTrait,
    org: OrgId,
    owner: FeedOwner,
    owner_id: Uuid,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<Vec<FeedClass>> {
    use classes::Column as C;
    let by_owner = match owner {
        FeedOwner::Trainer => C::TrainerId.eq(owner_id),
        FeedOwner::Client => C::Id.in_subquery(
            sea_orm::sea_query::Query::select()
                .column(class_bookings::Column::ClassId)
                .from(class_bookings::Entity)
                .and_where(class_bookings::Column::ClientId.eq(owner_id))
                .and_where(class_bookings::Column::Status.eq("booked"))
                .to_owned(),
        ),
        FeedOwner::Location => C::LocationId.eq(owner_id),
    };
    Ok(classes::Entity::find()
        .filter(C::OrganizationId.eq(org.0))
        .filter(C::StartsAt.gte(from))
        .filter(C::StartsAt.lt(to))
        .filter(by_owner)
        .order_by_asc(C::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(|c| FeedClass {
            id: c.id,
            name: c.name,
            sequence: c.sequence,
            starts_at: c.starts_at,
            ends_at: c.ends_at,
            cancelled: c.status == "cancelled",
            created_at: c.created_at,
            updated_at: c.updated_at,
        })
        .collect())
}
