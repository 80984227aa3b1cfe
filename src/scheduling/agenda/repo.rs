//! The queries of the agenda read model: sessions and classes in a period, a client's attendance, and
//! the display names (trainers, classes) and scoped sessions that schedule pages show.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::model::{AgendaItem, BookingOutcome, SessionCounts};
use crate::db::entities::{class_bookings, classes, trainers, training_sessions};
use crate::error::AppResult;
use crate::organizations::OrgId;

/// Sessions (not cancelled) and classes of a trainer or location overlapping `[from, to)`.
pub async fn items(
    db: &impl ConnectionTrait,
    org: OrgId,
    trainer: Option<Uuid>,
    location: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<AgendaItem>> {
    use training_sessions::Column as S;
    let mut q = training_sessions::Entity::find()
        .filter(S::OrganizationId.eq(org.0))
        .filter(S::StartsAt.lt(to))
        .filter(S::StartsAt.gte(from - Duration::hours(12)))
        .filter(S::EndsAt.gt(from))
        .filter(S::Status.ne("cancelled"));
    if let Some(t) = trainer {
        q = q.filter(S::TrainerId.eq(t));
    }
    if let Some(l) = location {
        q = q.filter(S::LocationId.eq(l));
    }
    let mut out: Vec<AgendaItem> = q
        .order_by_asc(S::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(|s| AgendaItem {
            kind: "session".into(),
            id: s.id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            title: s.kind,
            trainer_id: s.trainer_id,
            client_id: Some(s.client_id),
            location_id: s.location_id,
            status: s.status,
            busy: false,
        })
        .collect();
    use classes::Column as C;
    let mut q = classes::Entity::find()
        .filter(C::OrganizationId.eq(org.0))
        .filter(C::StartsAt.lt(to))
        .filter(C::StartsAt.gte(from - Duration::hours(12)))
        .filter(C::EndsAt.gt(from));
    if let Some(t) = trainer {
        q = q.filter(C::TrainerId.eq(t));
    }
    if let Some(l) = location {
        q = q.filter(C::LocationId.eq(l));
    }
    out.extend(
        q.order_by_asc(C::StartsAt)
            .all(db)
            .await?
            .into_iter()
            .map(|c| AgendaItem {
                kind: "class".into(),
                id: c.id,
                starts_at: c.starts_at,
                ends_at: c.ends_at,
                title: c.name,
                trainer_id: c.trainer_id,
                client_id: None,
                location_id: c.location_id,
                status: c.status,
                busy: false,
            }),
    );
    out.sort_by_key(|i| (i.starts_at, i.id));
    Ok(out)
}

/// A client's sessions counted by outcome (`at`: now, for what is still ahead).
pub async fn session_counts(
    db: &impl ConnectionTrait,
    org: OrgId,
    client: Uuid,
    at: DateTime<Utc>,
) -> AppResult<SessionCounts> {
    use training_sessions::Column as S;
    let base = || {
        training_sessions::Entity::find()
            .filter(S::OrganizationId.eq(org.0))
            .filter(S::ClientId.eq(client))
    };
    Ok(SessionCounts {
        attended: base()
            .filter(
                Condition::any()
                    .add(S::Status.eq("completed"))
                    .add(S::CheckedInAt.is_not_null()),
            )
            .filter(S::Status.ne("cancelled"))
            .count(db)
            .await?,
        no_shows: base().filter(S::Status.eq("no_show")).count(db).await?,
        cancelled: base().filter(S::Status.eq("cancelled")).count(db).await?,
        late_cancelled: base()
            .filter(S::Status.eq("cancelled"))
            .filter(S::LateCancel.eq(true))
            .count(db)
            .await?,
        upcoming: base()
            .filter(S::Status.eq("scheduled"))
            .filter(S::StartsAt.gt(at))
            .count(db)
            .await?,
    })
}

/// A client's class bookings with when each class ends.
pub async fn booking_outcomes(
    db: &impl ConnectionTrait,
    org: OrgId,
    client: Uuid,
) -> AppResult<Vec<BookingOutcome>> {
    use class_bookings::Column as B;
    let bookings = class_bookings::Entity::find()
        .filter(B::OrganizationId.eq(org.0))
        .filter(B::ClientId.eq(client))
        .all(db)
        .await?;
    let class_ids: Vec<Uuid> = bookings.iter().map(|b| b.class_id).collect();
    let ends: HashMap<Uuid, DateTime<Utc>> = if class_ids.is_empty() {
        HashMap::new()
    } else {
        classes::Entity::find()
            .filter(classes::Column::Id.is_in(class_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.ends_at))
            .collect()
    };
    Ok(bookings
        .into_iter()
        .map(|b| BookingOutcome {
            class_ends_at: ends.get(&b.class_id).copied(),
            status: b.status,
            late_cancel: b.late_cancel,
            checked_in: b.checked_in_at.is_some(),
        })
        .collect())
}

/// Display names ("First Last") of the organization's trainers among `ids`.
pub async fn trainer_names(
    db: &impl ConnectionTrait,
    org: OrgId,
    ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(trainers::Entity::find()
        .filter(trainers::Column::OrganizationId.eq(org.0))
        .filter(trainers::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, format!("{} {}", t.first_name, t.last_name)))
        .collect())
}

/// Names of the organization's classes among `ids`.
pub async fn class_names(
    db: &impl ConnectionTrait,
    org: OrgId,
    ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(classes::Entity::find()
        .filter(classes::Column::OrganizationId.eq(org.0))
        .filter(classes::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}
