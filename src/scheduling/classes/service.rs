//! The rules of group classes: who schedules, books, cancels and checks in, booking windows,
//! capacity and the waitlist. Each change runs in one write transaction with its audit event.
//!
//! Booking locks the class for the rest of the transaction and only then counts the places taken and
//! books, waitlists or refuses — so fifty simultaneous requests for ten places give exactly ten
//! bookings. A booking that would be refused is refused before that, from one read that does not
//! wait for the write turn. Cancelling a booked place promotes the first client on the waitlist in
//! the same transaction.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use uuid::Uuid;

use super::model::{
    BOOKED, BookClass, Booking, Class, CreateClass, ListClasses, Outlook, SCHEDULED, WAITLISTED,
    sort_roster,
};
use super::repo;
use crate::audit::{self, Event};
use crate::auth::Actor;
use crate::clients::repo as client_repo;
use crate::db::{Db, now};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::pagination::Page;
use crate::organizations::repo as org_repo;
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::sessions::{CheckIn, check_in_code, check_in_method, is_late};
use crate::scheduling::{conflicts, locations};
use crate::trainers::repo as trainer_repo;

/// Schedules a class (staff and above, or a trainer for themself). The trainer must be free.
pub async fn create_class(db: &Db, actor: &Actor, input: CreateClass) -> AppResult<Class> {
    let conn = db.conn();
    let scope = ScheduleScope::for_actor(conn, actor).await?;
    match scope.who {
        Who::All => {}
        Who::Trainer(t) if t == input.trainer_id => {}
        _ => {
            return Err(AppError::Forbidden(
                "Staff schedule classes; a trainer schedules their own.".into(),
            ));
        }
    }
    let mut e = FieldErrors::new();
    let checked = input.check(&mut e);
    if trainer_repo::get(conn, scope.org, input.trainer_id)
        .await?
        .is_none()
    {
        e.add("trainer_id", "is not a trainer of this organization");
    }
    if let Some(l) = input.location_id
        && locations::find(conn, scope.org, l).await?.is_none()
    {
        e.add("location_id", "is not a location of this organization");
    }
    let Some(name) = e.into_result(checked)? else {
        return Err(AppError::field("name", "is required"));
    };
    let txn = db.begin_write().await?;
    conflicts::lock_people(&txn, &[input.trainer_id]).await?;
    let found = conflicts::find(
        &txn,
        scope.org,
        input.trainer_id,
        None,
        input.starts_at,
        input.ends_at,
        &[],
    )
    .await?;
    if !found.is_empty() {
        return Err(AppError::Conflict {
            detail: "The trainer is already booked at that time.".into(),
            conflicts: found
                .iter()
                .filter_map(|c| serde_json::to_value(c).ok())
                .collect(),
        });
    }
    let class = repo::insert(&txn, scope.org, &input, name, check_in_code()).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("class.created", "class", Some(class.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(class.with_counts(0, 0))
}

/// A page of the organization's classes (every member sees the schedule), with places taken and
/// waiting.
pub async fn list_classes(
    db: &impl ConnectionTrait,
    actor: &Actor,
    p: ListClasses,
) -> AppResult<Page<Class>> {
    repo::list(db, actor.org(), &p).await
}

/// One class of the organization, with places taken and waiting.
pub async fn get_class(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<Class> {
    repo::get_counted(db, actor.org(), id).await
}

/// Cancels a class and every booking on it (staff and above, or its trainer).
pub async fn cancel_class(db: &Db, actor: &Actor, id: Uuid) -> AppResult<Class> {
    let conn = db.conn();
    let scope = ScheduleScope::for_actor(conn, actor).await?;
    let txn = db.begin_write().await?;
    let class = repo::get(&txn, scope.org, id).await?;
    if !(scope.is_front_desk() || scope.who == Who::Trainer(class.trainer_id)) {
        return Err(AppError::Forbidden(
            "Staff and the class's trainer cancel classes.".into(),
        ));
    }
    repo::cancel(&txn, scope.org, id).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("class.cancelled", "class", Some(id)),
    )
    .await?;
    txn.commit().await?;
    repo::get_counted(conn, scope.org, id).await
}

/// Books a place: `booked` while places are free, then `waitlisted` with a position while the
/// waitlist has room, else 409. Clients book for themselves inside the booking window; staff book
/// for anyone.
pub async fn book_class(db: &Db, actor: &Actor, id: Uuid, input: BookClass) -> AppResult<Booking> {
    let scope = ScheduleScope::for_actor(db.conn(), actor).await?;
    let client_id = match (scope.who, input.client_id) {
        (Who::Client(me), None) => me,
        (Who::Client(me), Some(c)) if c == me => me,
        (Who::Client(_), Some(_)) => {
            return Err(AppError::Forbidden("A client books for themself.".into()));
        }
        (Who::All, Some(c)) => c,
        (Who::All, None) => return Err(AppError::field("client_id", "is required")),
        _ => {
            return Err(AppError::Forbidden(
                "Staff book classes for clients; clients book for themselves.".into(),
            ));
        }
    };
    let found = client_repo::by_ids(db.conn(), scope.org, &[client_id]).await?;
    if found.first().is_none_or(|c| c.erased_at.is_some()) {
        return Err(AppError::field(
            "client_id",
            "is not a client of this organization",
        ));
    }
    // Most refusals (a full class, a place already held, a cancelled class) are decided here, from
    // one snapshot read outside the writers' queue: a refusal writes nothing, and it is what the
    // queue would have answered at the moment of that snapshot. Only a booking that may go through
    // waits for the write turn, where it is judged again on the locked class.
    let at = now();
    let window = booking_window(db.conn(), &scope).await?;
    let seen = repo::outlook(db.conn(), scope.org, id, client_id, false)
        .await?
        .ok_or(AppError::NotFound)?;
    judge(&seen, window, at)?;
    let txn = db.begin_write().await?;
    let booking = book_in(&txn, actor, &scope, id, client_id, window).await?;
    txn.commit().await?;
    Ok(booking)
}

/// When a client may book, relative to a class's start: (opens before, closes before). Staff book
/// at any time (`None`).
async fn booking_window(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
) -> AppResult<Option<(Duration, Duration)>> {
    if !matches!(scope.who, Who::Client(_)) {
        return Ok(None);
    }
    let o = org_repo::get(db, scope.org)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Some((
        Duration::days(i64::from(o.booking_opens_days)),
        Duration::minutes(i64::from(o.booking_closes_minutes)),
    )))
}

/// The decision on a booking at `at`: booked, or waitlisted at a position, or the refusal.
fn judge(
    seen: &Outlook,
    window: Option<(Duration, Duration)>,
    at: DateTime<Utc>,
) -> AppResult<(&'static str, Option<i32>)> {
    let class = &seen.class;
    if class.status != SCHEDULED {
        return Err(AppError::conflict("This class is cancelled."));
    }
    if let Some((opens, closes)) = window {
        if at < class.starts_at - opens {
            return Err(AppError::Unprocessable(format!(
                "Booking opens {} days before the class.",
                opens.num_days()
            )));
        }
        if at > class.starts_at - closes {
            return Err(AppError::Unprocessable(
                "Booking for this class has closed.".into(),
            ));
        }
    }
    if let Some((place, status)) = &seen.place {
        return Err(AppError::Conflict {
            detail: format!("This client already has a place in this class ({status})."),
            conflicts: vec![serde_json::json!({"type": "booking", "id": place})],
        });
    }
    if class.has_room(seen.booked) {
        Ok((BOOKED, None))
    } else if class.waitlist_has_room(seen.waitlisted) {
        let position = i32::try_from(seen.waitlisted).unwrap_or(i32::MAX - 1) + 1;
        Ok((WAITLISTED, Some(position)))
    } else {
        Err(AppError::conflict("The class and its waitlist are full."))
    }
}

/// The booking itself, inside the caller's write transaction: locks the class, judges the booking
/// again on what the lock holds still, checks the client is free, and books or waitlists.
async fn book_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    scope: &ScheduleScope,
    id: Uuid,
    client_id: Uuid,
    window: Option<(Duration, Duration)>,
) -> AppResult<Booking> {
    let at = now();
    let seen = repo::outlook(txn, scope.org, id, client_id, true)
        .await?
        .ok_or(AppError::NotFound)?;
    let (status, position) = judge(&seen, window, at)?;
    if status == BOOKED {
        conflicts::lock_people(txn, &[client_id]).await?;
        let class = &seen.class;
        let clash = conflicts::find(
            txn,
            scope.org,
            class.trainer_id,
            Some(client_id),
            class.starts_at,
            class.ends_at,
            &[id],
        )
        .await?
        .into_iter()
        .filter(|c| c.with == "client")
        .collect::<Vec<_>>();
        if !clash.is_empty() {
            return Err(AppError::Conflict {
                detail: "The client is already booked at that time.".into(),
                conflicts: clash
                    .iter()
                    .filter_map(|c| serde_json::to_value(c).ok())
                    .collect(),
            });
        }
    }
    let booking = repo::insert_booking(txn, scope.org, id, client_id, status, position, at).await?;
    let mut event = Event::new(
        if status == BOOKED {
            "class_booking.booked"
        } else {
            "class_booking.waitlisted"
        },
        "class_booking",
        Some(booking.id),
    );
    event.subject_client_id = Some(client_id);
    audit::record(txn, &actor.audit, event).await?;
    Ok(booking)
}

/// The roster: booked, waitlisted (in order), cancelled. Staff and the class's trainer see it all;
/// a client sees only their own booking.
pub async fn list_bookings(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Vec<Booking>> {
    let scope = ScheduleScope::for_actor(db, actor).await?;
    let class = repo::get(db, scope.org, id).await?;
    let only = match scope.who {
        Who::All => None,
        Who::Trainer(t) if t == class.trainer_id => None,
        Who::Client(c) => Some(c),
        _ => {
            return Err(AppError::Forbidden(
                "Staff and the class's trainer see the roster.".into(),
            ));
        }
    };
    let mut items = repo::bookings(db, class.id, only).await?;
    sort_roster(&mut items);
    Ok(items)
}

/// Cancels a booking. A booked place goes to the first client on the waitlist in the same
/// transaction. Clients cancel their own when the organization allows it; late cancellations are
/// recorded as such.
pub async fn cancel_booking(db: &Db, actor: &Actor, id: Uuid, booking_id: Uuid) -> AppResult<()> {
    let scope = ScheduleScope::for_actor(db.conn(), actor).await?;
    let txn = db.begin_write().await?;
    cancel_booking_in(&txn, actor, &scope, id, booking_id).await?;
    txn.commit().await?;
    Ok(())
}

async fn cancel_booking_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    scope: &ScheduleScope,
    id: Uuid,
    booking_id: Uuid,
) -> AppResult<()> {
    let class = repo::lock(txn, scope.org, id).await?;
    let booking = repo::booking_of(txn, id, booking_id, true)
        .await?
        .ok_or(AppError::NotFound)?;
    match scope.who {
        Who::All => {}
        Who::Trainer(t) if t == class.trainer_id => {}
        Who::Client(c) if c == booking.client_id => {
            let o = org_repo::get(txn, scope.org)
                .await?
                .ok_or(AppError::NotFound)?;
            if !o.clients_may_cancel {
                return Err(AppError::Forbidden(
                    "This studio does not let clients cancel themselves; please call.".into(),
                ));
            }
        }
        Who::Client(_) => return Err(AppError::NotFound),
        _ => {
            return Err(AppError::Forbidden(
                "Staff, the class's trainer and the client cancel bookings.".into(),
            ));
        }
    }
    let was_booked = booking.status == BOOKED;
    let late = was_booked && is_late(txn, scope.org, class.starts_at).await?;
    repo::cancel_booking(txn, booking_id, late).await?;
    let mut event = Event::new("class_booking.cancelled", "class_booking", Some(booking_id));
    event.subject_client_id = Some(booking.client_id);
    audit::record(txn, &actor.audit, event).await?;
    let waiting = repo::waitlist(txn, id).await?;
    let promote = was_booked && !waiting.is_empty();
    for (i, w) in waiting.iter().enumerate() {
        let (status, position) = if promote && i == 0 {
            (BOOKED, None)
        } else {
            (
                WAITLISTED,
                Some(i32::try_from(i).unwrap_or(0) + if promote { 0 } else { 1 }),
            )
        };
        repo::set_place(txn, w.id, status, position).await?;
        if promote && i == 0 {
            let mut event = Event::new("class_booking.promoted", "class_booking", Some(w.id))
                .with_fields(["status"]);
            event.subject_client_id = Some(w.client_id);
            audit::record(txn, &actor.audit, event).await?;
        }
    }
    Ok(())
}

/// Checks a booked client in (staff, the class's trainer, or the client with the class's code).
pub async fn check_in_booking(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    booking_id: Uuid,
    input: &CheckIn,
) -> AppResult<Booking> {
    let scope = ScheduleScope::for_actor(db.conn(), actor).await?;
    let txn = db.begin_write().await?;
    let class = repo::get(&txn, scope.org, id).await?;
    let booking = repo::booking_of(&txn, id, booking_id, false)
        .await?
        .ok_or(AppError::NotFound)?;
    match scope.who {
        Who::Trainer(t) if t != class.trainer_id => {
            return Err(AppError::Forbidden(
                "Only the class's trainer checks in here.".into(),
            ));
        }
        Who::Client(c) if c != booking.client_id => return Err(AppError::NotFound),
        _ => {}
    }
    let method = check_in_method(&scope, &class.check_in_code, input)?;
    if booking.status != BOOKED {
        return Err(AppError::field(
            "status",
            format!("a {} booking cannot be checked in", booking.status),
        ));
    }
    let checked = repo::check_in(&txn, booking_id, method).await?;
    let mut event = Event::new(
        "class_booking.checked_in",
        "class_booking",
        Some(booking_id),
    );
    event.subject_client_id = Some(booking.client_id);
    audit::record(&txn, &actor.audit, event).await?;
    txn.commit().await?;
    Ok(checked)
}
