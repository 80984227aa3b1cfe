//! Every query of group classes: classes, their bookings and place counts, and the trainers' names
//! the class lists show beside them (the portal's own reads of classes are in `portal::repo`).
//!
//! [`lock`] holds the class row until the transaction ends (`FOR UPDATE` on PostgreSQL; SQLite write
//! transactions are serial): booking counts places only after it, which is what keeps a class from
//! being overbooked.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait,
    ExprTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::model::{
    BOOKED, Booking, CANCELLED, Class, ClassRecord, CreateClass, ListClasses, Outlook, SCHEDULED,
    WAITLISTED,
};
use crate::db::entities::{class_bookings, classes, trainers};
use crate::db::{new_id, now};
use crate::error::{AppError, AppResult};
use crate::http::pagination::{Page, PageRequest, SortField, SortKind, SortValue};
use crate::organizations::OrgId;

const SORT: [SortField<classes::Column>; 1] = [SortField {
    name: "starts_at",
    column: classes::Column::StartsAt,
    kind: SortKind::Time,
}];

/// A class row as the domain sees it.
pub(crate) fn record(m: classes::Model) -> ClassRecord {
    ClassRecord {
        class: Class {
            id: m.id,
            name: m.name,
            trainer_id: m.trainer_id,
            location_id: m.location_id,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            capacity: m.capacity,
            waitlist_capacity: m.waitlist_capacity,
            status: m.status,
            booked: 0,
            waitlisted: 0,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        },
        check_in_code: m.check_in_code,
    }
}

/// A booking row as the domain sees it.
pub(crate) fn booking(m: class_bookings::Model) -> Booking {
    Booking {
        id: m.id,
        class_id: m.class_id,
        client_id: m.client_id,
        status: m.status,
        position: m.position,
        booked_at: m.booked_at,
        cancelled_at: m.cancelled_at,
        late_cancel: m.late_cancel,
        checked_in_at: m.checked_in_at,
    }
}

/// Places taken and clients waiting, for many classes in one query.
pub async fn counts(
    db: &impl ConnectionTrait,
    classes: &[Uuid],
) -> AppResult<HashMap<Uuid, (u64, u64)>> {
    let mut out: HashMap<Uuid, (u64, u64)> = HashMap::new();
    if classes.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(Uuid, String, i64)> = class_bookings::Entity::find()
        .select_only()
        .column(class_bookings::Column::ClassId)
        .column(class_bookings::Column::Status)
        .column_as(Expr::col(class_bookings::Column::Id).count(), "n")
        .filter(class_bookings::Column::ClassId.is_in(classes.iter().copied()))
        .filter(class_bookings::Column::Status.ne(CANCELLED))
        .group_by(class_bookings::Column::ClassId)
        .group_by(class_bookings::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    for (class, status, n) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        let entry = out.entry(class).or_default();
        match status.as_str() {
            BOOKED => entry.0 = n,
            WAITLISTED => entry.1 = n,
            _ => {}
        }
    }
    Ok(out)
}

/// Places taken and clients waiting in one class.
pub async fn counts_of(db: &impl ConnectionTrait, class: Uuid) -> AppResult<(u64, u64)> {
    Ok(counts(db, &[class])
        .await?
        .remove(&class)
        .unwrap_or_default())
}

/// Class records with their counts, in one more query.
pub async fn with_counts(
    db: &impl ConnectionTrait,
    rows: Vec<ClassRecord>,
) -> AppResult<Vec<Class>> {
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let mut taken = counts(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let (booked, waitlisted) = taken.remove(&m.id).unwrap_or_default();
            m.with_counts(booked, waitlisted)
        })
        .collect())
}

/// One class of the organization (404 for none or another organization's).
pub async fn get(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<ClassRecord> {
    classes::Entity::find_by_id(id)
        .filter(classes::Column::OrganizationId.eq(org.0))
        .one(db)
        .await?
        .map(record)
        .ok_or(AppError::NotFound)
}

/// One class with its counts.
pub async fn get_counted(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<Class> {
    let class = get(db, org, id).await?;
    let (booked, waitlisted) = counts_of(db, id).await?;
    Ok(class.with_counts(booked, waitlisted))
}

/// One class, locked until the transaction ends (PostgreSQL; SQLite transactions are serial).
pub async fn lock(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<ClassRecord> {
    let mut q = classes::Entity::find_by_id(id).filter(classes::Column::OrganizationId.eq(org.0));
    if db.get_database_backend() == DatabaseBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(db).await?.map(record).ok_or(AppError::NotFound)
}

/// What a booking of one client into one class is judged on, read in one statement.
#[derive(Debug, FromQueryResult)]
struct OutlookRow {
    #[sea_orm(nested)]
    class: classes::Model,
    booked: i64,
    waitlisted: i64,
    place_id: Option<Uuid>,
    place_status: Option<String>,
}

/// A class, the places taken and waiting in it, and the place `client` already holds there (booked
/// or waitlisted), all in one statement, so from one snapshot of the database. With `lock` the class
/// row is first locked until the transaction ends ([`lock`], PostgreSQL; SQLite write transactions
/// are serial). `None` for no such class in `org`.
pub async fn outlook(
    db: &impl ConnectionTrait,
    org: OrgId,
    class: Uuid,
    client: Uuid,
    lock: bool,
) -> AppResult<Option<Outlook>> {
    use class_bookings::Column as B;
    let of_this_class = || {
        Expr::col((class_bookings::Entity, B::ClassId))
            .equals((classes::Entity, classes::Column::Id))
    };
    let count = |status: &str| {
        Query::select()
            .expr(Expr::col((class_bookings::Entity, B::Id)).count())
            .from(class_bookings::Entity)
            .and_where(of_this_class())
            .and_where(Expr::col((class_bookings::Entity, B::Status)).eq(status))
            .to_owned()
    };
    // At most one live place per client and class (`uq_class_bookings_live`).
    let place = |column: B| {
        Query::select()
            .column((class_bookings::Entity, column))
            .from(class_bookings::Entity)
            .and_where(of_this_class())
            .and_where(Expr::col((class_bookings::Entity, B::ClientId)).eq(client))
            .and_where(Expr::col((class_bookings::Entity, B::Status)).ne(CANCELLED))
            .to_owned()
    };
    if lock && db.get_database_backend() == DatabaseBackend::Postgres {
        // Locked by a statement of its own: a `FOR UPDATE` that waits for another booking's
        // transaction sees the class row as that transaction left it, but its subqueries would still
        // count from the snapshot taken before the wait. The next statement counts after the lock.
        self::lock(db, org, class).await?;
    }
    let q = classes::Entity::find_by_id(class)
        .filter(classes::Column::OrganizationId.eq(org.0))
        .column_as(
            Expr::SubQuery(None, Box::new(count(BOOKED).into())),
            "booked",
        )
        .column_as(
            Expr::SubQuery(None, Box::new(count(WAITLISTED).into())),
            "waitlisted",
        )
        .column_as(
            Expr::SubQuery(None, Box::new(place(B::Id).into())),
            "place_id",
        )
        .column_as(
            Expr::SubQuery(None, Box::new(place(B::Status).into())),
            "place_status",
        );
    let Some(row) = q.into_model::<OutlookRow>().one(db).await? else {
        return Ok(None);
    };
    Ok(Some(Outlook {
        class: record(row.class),
        booked: u64::try_from(row.booked).unwrap_or(0),
        waitlisted: u64::try_from(row.waitlisted).unwrap_or(0),
        place: row.place_id.zip(row.place_status),
    }))
}

/// Stores a new scheduled class (checked by the service) under its checked `name`.
pub async fn insert(
    db: &impl ConnectionTrait,
    org: OrgId,
    new: &CreateClass,
    name: String,
    check_in_code: String,
) -> AppResult<ClassRecord> {
    let at = now();
    let m = classes::Entity::insert(classes::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org.0),
        name: Set(name),
        trainer_id: Set(new.trainer_id),
        location_id: Set(new.location_id),
        starts_at: Set(new.starts_at),
        ends_at: Set(new.ends_at),
        capacity: Set(new.capacity),
        waitlist_capacity: Set(new.waitlist()),
        status: Set(SCHEDULED.into()),
        check_in_code: Set(check_in_code),
        sequence: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    })
    .exec_with_returning(db)
    .await?;
    Ok(record(m))
}

/// A page of the organization's classes under the filters of `p`, with their counts.
pub async fn list(
    db: &impl ConnectionTrait,
    org: OrgId,
    p: &ListClasses,
) -> AppResult<Page<Class>> {
    let page = PageRequest::parse(
        &SORT,
        "starts_at",
        p.limit,
        p.cursor.as_deref(),
        None,
        p.include_total,
    )?;
    let mut cond = Condition::all().add(classes::Column::OrganizationId.eq(org.0));
    if let Some(v) = p.from {
        cond = cond.add(classes::Column::EndsAt.gt(v));
    }
    if let Some(v) = p.to {
        cond = cond.add(classes::Column::StartsAt.lt(v));
    }
    if let Some(v) = p.trainer_id {
        cond = cond.add(classes::Column::TrainerId.eq(v));
    }
    if let Some(v) = p.location_id {
        cond = cond.add(classes::Column::LocationId.eq(v));
    }
    if let Some(v) = p.status()? {
        cond = cond.add(classes::Column::Status.eq(v));
    }
    if let Some(client) = p.client_id {
        cond = cond.add(
            classes::Column::Id.in_subquery(
                Query::select()
                    .column(class_bookings::Column::ClassId)
                    .from(class_bookings::Entity)
                    .and_where(class_bookings::Column::OrganizationId.eq(org.0))
                    .and_where(class_bookings::Column::ClientId.eq(client))
                    .and_where(class_bookings::Column::Status.ne(CANCELLED))
                    .to_owned(),
            ),
        );
    }
    let raw = page
        .fetch::<classes::Entity, _>(
            db,
            cond,
            classes::Column::Id,
            |m| (SortValue::Time(m.starts_at), m.id),
            |m| Ok(record(m)),
        )
        .await?;
    Ok(Page {
        items: with_counts(db, raw.items).await?,
        next_cursor: raw.next_cursor,
        total: raw.total,
    })
}

/// Cancels a class and every booking on it, and bumps its version and calendar sequence.
pub async fn cancel(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<()> {
    classes::Entity::update_many()
        .col_expr(classes::Column::Status, Expr::value(CANCELLED))
        .col_expr(
            classes::Column::Sequence,
            Expr::col(classes::Column::Sequence).add(1),
        )
        .col_expr(
            classes::Column::Version,
            Expr::col(classes::Column::Version).add(1),
        )
        .col_expr(classes::Column::UpdatedAt, Expr::value(now()))
        .filter(classes::Column::Id.eq(id))
        .filter(classes::Column::OrganizationId.eq(org.0))
        .exec(db)
        .await?;
    class_bookings::Entity::update_many()
        .col_expr(class_bookings::Column::Status, Expr::value(CANCELLED))
        .col_expr(
            class_bookings::Column::Position,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(class_bookings::Column::CancelledAt, Expr::value(now()))
        .filter(class_bookings::Column::ClassId.eq(id))
        .filter(class_bookings::Column::Status.ne(CANCELLED))
        .exec(db)
        .await?;
    Ok(())
}

/// One booking of a class; with `holding`, only while it holds a place (booked or waitlisted).
pub async fn booking_of(
    db: &impl ConnectionTrait,
    class: Uuid,
    id: Uuid,
    holding: bool,
) -> AppResult<Option<Booking>> {
    let mut q =
        class_bookings::Entity::find_by_id(id).filter(class_bookings::Column::ClassId.eq(class));
    if holding {
        q = q.filter(class_bookings::Column::Status.ne(CANCELLED));
    }
    Ok(q.one(db).await?.map(booking))
}

/// Stores a new place in a class.
pub async fn insert_booking(
    db: &impl ConnectionTrait,
    org: OrgId,
    class: Uuid,
    client: Uuid,
    status: &str,
    position: Option<i32>,
    at: DateTime<Utc>,
) -> AppResult<Booking> {
    let m = class_bookings::Entity::insert(class_bookings::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org.0),
        class_id: Set(class),
        client_id: Set(client),
        status: Set(status.into()),
        position: Set(position),
        booked_at: Set(at),
        cancelled_at: Set(None),
        late_cancel: Set(false),
        checked_in_at: Set(None),
        check_in_method: Set(None),
    })
    .exec_with_returning(db)
    .await?;
    Ok(booking(m))
}

/// The bookings of a class (only `client`'s when given), in booking order.
pub async fn bookings(
    db: &impl ConnectionTrait,
    class: Uuid,
    client: Option<Uuid>,
) -> AppResult<Vec<Booking>> {
    let mut q = class_bookings::Entity::find().filter(class_bookings::Column::ClassId.eq(class));
    if let Some(c) = client {
        q = q.filter(class_bookings::Column::ClientId.eq(c));
    }
    Ok(q.order_by_asc(class_bookings::Column::BookedAt)
        .all(db)
        .await?
        .into_iter()
        .map(booking)
        .collect())
}

/// The waitlist of a class, by position.
pub async fn waitlist(db: &impl ConnectionTrait, class: Uuid) -> AppResult<Vec<Booking>> {
    Ok(class_bookings::Entity::find()
        .filter(class_bookings::Column::ClassId.eq(class))
        .filter(class_bookings::Column::Status.eq(WAITLISTED))
        .order_by_asc(class_bookings::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(booking)
        .collect())
}

/// Cancels one booking (its place freed, its waitlist position cleared).
pub async fn cancel_booking(db: &impl ConnectionTrait, id: Uuid, late: bool) -> AppResult<()> {
    class_bookings::Entity::update_many()
        .col_expr(class_bookings::Column::Status, Expr::value(CANCELLED))
        .col_expr(
            class_bookings::Column::Position,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(class_bookings::Column::CancelledAt, Expr::value(now()))
        .col_expr(class_bookings::Column::LateCancel, Expr::value(late))
        .filter(class_bookings::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets the status and waitlist position of a booking.
pub async fn set_place(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: &str,
    position: Option<i32>,
) -> AppResult<()> {
    class_bookings::Entity::update_many()
        .col_expr(class_bookings::Column::Status, Expr::value(status))
        .col_expr(class_bookings::Column::Position, Expr::value(position))
        .filter(class_bookings::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a check-in on a booking and returns it as it is now.
pub async fn check_in(db: &impl ConnectionTrait, id: Uuid, method: &str) -> AppResult<Booking> {
    class_bookings::Entity::update_many()
        .col_expr(class_bookings::Column::CheckedInAt, Expr::value(now()))
        .col_expr(class_bookings::Column::CheckInMethod, Expr::value(method))
        .filter(class_bookings::Column::Id.eq(id))
        .exec(db)
        .await?;
    class_bookings::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(booking)
        .ok_or(AppError::NotFound)
}

/// Trainers' first and last names by id, in one query.
pub async fn trainer_names(
    db: &impl ConnectionTrait,
    org: OrgId,
    ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, (String, String)>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(trainers::Entity::find()
        .select_only()
        .column(trainers::Column::Id)
        .column(trainers::Column::FirstName)
        .column(trainers::Column::LastName)
        .filter(trainers::Column::OrganizationId.eq(org.0))
        .filter(trainers::Column::Id.is_in(ids))
        .into_tuple::<(Uuid, String, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, first, last)| (id, (first, last)))
        .collect())
}
