//! Every query of one-to-one sessions: the scope filter, the list page, one session, inserting,
//! updating and checking in, and the sessions of a series.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::model::{
    Booking, ListSessions, Session, SessionChange, SessionKind, SessionStatus, check_in_code,
};
use crate::db::entities::training_sessions::{self, Column, Entity};
use crate::db::{new_id, now};
use crate::error::{AppError, AppResult};
use crate::http::pagination::{Page, PageRequest, SortField, SortKind, SortValue};
use crate::organizations::OrgId;
use crate::scheduling::access::{ScheduleScope, Who};

const SORT: [SortField<Column>; 1] = [SortField {
    name: "starts_at",
    column: Column::StartsAt,
    kind: SortKind::Time,
}];

/// The condition limiting sessions to what the scope sees.
pub fn scope_condition(scope: &ScheduleScope) -> Condition {
    let c = Condition::all().add(Column::OrganizationId.eq(scope.org.0));
    match scope.who {
        Who::All => c,
        Who::Trainer(t) => c.add(Column::TrainerId.eq(t)),
        Who::Client(cl) => c.add(Column::ClientId.eq(cl)),
        Who::Nobody => c.add(Expr::val(1).eq(0)),
    }
}

/// A stored row as a session, check-in code included (see [`Session::for_scope`]).
fn from_row(m: training_sessions::Model) -> Session {
    Session {
        id: m.id,
        trainer_id: m.trainer_id,
        client_id: m.client_id,
        location_id: m.location_id,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        kind: SessionKind::parse(&m.kind),
        status: SessionStatus::parse(&m.status),
        notes: m.notes,
        series_id: m.series_id,
        late_cancel: m.late_cancel,
        cancelled_at: m.cancelled_at,
        checked_in_at: m.checked_in_at,
        check_in_method: m.check_in_method,
        check_in_code: Some(m.check_in_code),
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

/// The row of a new scheduled session, as [`insert`] writes it (also used by the synthetic seed's bulk
/// load, so that both build the same rows).
pub fn new_row(
    org: OrgId,
    b: &Booking,
    kind: SessionKind,
    notes: Option<String>,
    series: Option<Uuid>,
    at: DateTime<Utc>,
) -> training_sessions::ActiveModel {
    training_sessions::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org.0),
        trainer_id: Set(b.trainer_id),
        client_id: Set(b.client_id),
        location_id: Set(b.location_id),
        starts_at: Set(b.starts_at),
        ends_at: Set(b.ends_at),
        kind: Set(kind.as_str().into()),
        status: Set(SessionStatus::Scheduled.as_str().into()),
        notes: Set(notes),
        series_id: Set(series),
        late_cancel: Set(false),
        cancelled_at: Set(None),
        checked_in_at: Set(None),
        check_in_method: Set(None),
        check_in_code: Set(check_in_code()),
        sequence: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
}

/// Inserts a session.
pub async fn insert(
    db: &impl ConnectionTrait,
    org: OrgId,
    b: &Booking,
    kind: SessionKind,
    notes: Option<String>,
    series: Option<Uuid>,
) -> AppResult<Session> {
    let m = Entity::insert(new_row(org, b, kind, notes, series, now()))
        .exec_with_returning(db)
        .await?;
    Ok(from_row(m))
}

/// One session the scope sees (404 otherwise), check-in code included.
pub async fn visible(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    id: Uuid,
) -> AppResult<Session> {
    Entity::find_by_id(id)
        .filter(scope_condition(scope))
        .one(db)
        .await?
        .map(from_row)
        .ok_or(AppError::NotFound)
}

/// A page of the sessions the scope sees, by start time, as the scope sees them.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    p: &ListSessions,
) -> AppResult<Page<Session>> {
    let page = PageRequest::parse(
        &SORT,
        "starts_at",
        p.limit,
        p.cursor.as_deref(),
        p.sort.as_deref(),
        p.include_total,
    )?;
    let mut cond = scope_condition(scope);
    if let Some(v) = p.from {
        cond = cond.add(Column::EndsAt.gt(v));
    }
    if let Some(v) = p.to {
        cond = cond.add(Column::StartsAt.lt(v));
    }
    if let Some(v) = p.trainer_id {
        cond = cond.add(Column::TrainerId.eq(v));
    }
    if let Some(v) = p.client_id {
        cond = cond.add(Column::ClientId.eq(v));
    }
    if let Some(v) = p.location_id {
        cond = cond.add(Column::LocationId.eq(v));
    }
    if let Some(v) = p.status {
        cond = cond.add(Column::Status.eq(v.as_str()));
    }
    page.fetch::<Entity, _>(
        db,
        cond,
        Column::Id,
        |m| (SortValue::Time(m.starts_at), m.id),
        |m| Ok(from_row(m).for_scope(scope)),
    )
    .await
}

/// Writes a checked change to one session, bumping its version (and its calendar sequence when it
/// moves or changes status).
pub async fn update(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: Uuid,
    change: &SessionChange,
) -> AppResult<()> {
    let at = now();
    let mut u = Entity::update_many()
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(at));
    if let Some(b) = &change.moved_to {
        u = u
            .col_expr(Column::StartsAt, Expr::value(b.starts_at))
            .col_expr(Column::EndsAt, Expr::value(b.ends_at))
            .col_expr(Column::TrainerId, Expr::value(b.trainer_id))
            .col_expr(Column::LocationId, Expr::value(b.location_id));
    }
    if change.moved_to.is_some() || change.status.is_some() {
        u = u.col_expr(Column::Sequence, Expr::col(Column::Sequence).add(1));
    }
    if let Some(k) = change.kind {
        u = u.col_expr(Column::Kind, Expr::value(k.as_str()));
    }
    if let Some(n) = &change.notes {
        u = u.col_expr(Column::Notes, Expr::value(n.clone()));
    }
    if let Some((to, late)) = change.status {
        u = u.col_expr(Column::Status, Expr::value(to.as_str()));
        if to == SessionStatus::Cancelled {
            u = u
                .col_expr(Column::CancelledAt, Expr::value(at))
                .col_expr(Column::LateCancel, Expr::value(late));
        }
    }
    u.filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a check-in.
pub async fn check_in(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: Uuid,
    method: &str,
) -> AppResult<()> {
    let at = now();
    Entity::update_many()
        .col_expr(Column::CheckedInAt, Expr::value(at))
        .col_expr(Column::CheckInMethod, Expr::value(method))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(at))
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}

/// The sessions of a series, by start time.
pub async fn of_series(
    db: &impl ConnectionTrait,
    org: OrgId,
    series: Uuid,
) -> AppResult<Vec<Session>> {
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(org.0))
        .filter(Column::SeriesId.eq(series))
        .order_by_asc(Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect())
}

/// The scheduled sessions of a series (those starting at or after `from`, when given), by start time.
pub async fn scheduled_of_series(
    db: &impl ConnectionTrait,
    org: OrgId,
    series: Uuid,
    from: Option<DateTime<Utc>>,
) -> AppResult<Vec<Session>> {
    let mut q = Entity::find()
        .filter(Column::OrganizationId.eq(org.0))
        .filter(Column::SeriesId.eq(series))
        .filter(Column::Status.eq(SessionStatus::Scheduled.as_str()));
    if let Some(from) = from {
        q = q.filter(Column::StartsAt.gte(from));
    }
    Ok(q.order_by_asc(Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect())
}

/// The sessions among `ids` that the scope sees (any order).
pub async fn visible_among(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    ids: Vec<Uuid>,
) -> AppResult<Vec<Session>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(Entity::find()
        .filter(scope_condition(scope))
        .filter(Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| from_row(m).for_scope(scope))
        .collect())
}
