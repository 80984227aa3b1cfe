//! The rules of one-to-one sessions: who may book, move, cancel and check in; conflict and
//! working-hours checks; the organization's cancellation policy; changes to one session or to the
//! later (or all) sessions of its series. Each writing service opens the write transaction, writes,
//! records the audit event and commits; the scope comes from the actor.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use uuid::Uuid;

use super::checks::{check_parties, check_slot, is_late, zone_of};
use super::model::{
    ApplyTo, Booking, BookingOverrides, CheckIn, CreateSession, ListSessions, Session,
    SessionChange, SessionKind, SessionStatus, UpdateSession, check_in_method, check_times,
    may_book,
};
use super::repo;
use super::series::repo as series_repo;
use crate::audit::{self, Event};
use crate::auth::Actor;
use crate::db::Db;
use crate::db::versioned::expect_version;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::pagination::Page;
use crate::organizations::repo as org_repo;
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::recurrence::local_to_utc;
use crate::validation::parse_long_text;

/// A page of the sessions the actor sees.
pub async fn list_sessions(
    db: &impl ConnectionTrait,
    actor: &Actor,
    p: &ListSessions,
) -> AppResult<Page<Session>> {
    let scope = ScheduleScope::for_actor(db, actor).await?;
    repo::list(db, &scope, p).await
}

/// One session the actor sees (404 otherwise).
pub async fn get_session(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<Session> {
    let scope = ScheduleScope::for_actor(db, actor).await?;
    Ok(repo::visible(db, &scope, id).await?.for_scope(&scope))
}

/// Books a session: who may book, the fields, the parties, conflicts and working hours.
pub async fn create_session(
    db: &Db,
    actor: &Actor,
    input: CreateSession,
    overrides: &BookingOverrides,
) -> AppResult<Session> {
    let txn = db.begin_write().await?;
    let session = create_session_in(&txn, actor, input, overrides).await?;
    txn.commit().await?;
    Ok(session)
}

/// [`create_session`] inside the caller's transaction.
pub async fn create_session_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    input: CreateSession,
    overrides: &BookingOverrides,
) -> AppResult<Session> {
    let scope = ScheduleScope::for_actor(txn, actor).await?;
    may_book(&scope, input.trainer_id)?;
    let mut e = FieldErrors::new();
    check_times(&mut e, input.starts_at, input.ends_at);
    let notes = match &input.notes {
        Some(n) => e.check("notes", parse_long_text(n, 2000)).flatten(),
        None => None,
    };
    e.into_result(())?;
    let b = Booking {
        trainer_id: input.trainer_id,
        client_id: input.client_id,
        location_id: input.location_id,
        starts_at: input.starts_at,
        ends_at: input.ends_at,
    };
    let loc_tz = check_parties(txn, scope.org, &b).await?;
    let tz = zone_of(txn, scope.org, loc_tz).await?;
    check_slot(txn, &scope, &b, tz, overrides, &[]).await?;
    let kind = input.kind.unwrap_or(SessionKind::Personal);
    let s = repo::insert(txn, scope.org, &b, kind, notes, None).await?;
    let mut event = Event::new("session.created", "session", Some(s.id)).with_fields([
        "trainer_id",
        "client_id",
        "starts_at",
        "ends_at",
    ]);
    event.subject_client_id = Some(s.client_id);
    audit::record(txn, &actor.audit, event).await?;
    Ok(s.for_scope(&scope))
}

/// Moves or changes a session (and, by `overrides.apply_to`, other sessions of its series): staff and
/// above, or its trainer. `expected` is the version the change is based on (412 when stale).
pub async fn update_session(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    expected: Option<i64>,
    input: UpdateSession,
    overrides: &BookingOverrides,
) -> AppResult<Session> {
    let scope = ScheduleScope::for_actor(db.conn(), actor).await?;
    if matches!(scope.who, Who::Client(_) | Who::Nobody) {
        return Err(AppError::Forbidden(
            "Clients cancel with POST /sessions/{id}/cancel.".into(),
        ));
    }
    let txn = db.begin_write().await?;
    let current = repo::visible(&txn, &scope, id).await?;
    expect_version(expected, current.version)?;
    let changed = apply(&txn, &scope, current, input, overrides).await?;
    for s in &changed {
        let mut event = Event::new("session.updated", "session", Some(s.id));
        event.subject_client_id = Some(s.client_id);
        audit::record(&txn, &actor.audit, event).await?;
    }
    txn.commit().await?;
    pick(changed, id, &scope)
}

/// Cancels a session (and, by `options.apply_to`, other sessions of its series). Clients may cancel
/// their own when the organization allows it; a cancellation inside the late window is recorded as
/// late.
pub async fn cancel_session(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    options: &BookingOverrides,
) -> AppResult<Session> {
    if options.allow_conflict.is_some() || options.allow_outside_hours.is_some() {
        return Err(AppError::bad_param(
            "allow_conflict",
            "does not apply to cancelling",
        ));
    }
    let scope = ScheduleScope::for_actor(db.conn(), actor).await?;
    let txn = db.begin_write().await?;
    let current = repo::visible(&txn, &scope, id).await?;
    if matches!(scope.who, Who::Client(_)) {
        let o = org_repo::get(&txn, scope.org)
            .await?
            .ok_or(AppError::NotFound)?;
        if !o.clients_may_cancel {
            return Err(AppError::Forbidden(
                "This studio does not let clients cancel themselves; please call.".into(),
            ));
        }
    }
    let input = UpdateSession {
        status: Some(SessionStatus::Cancelled),
        ..UpdateSession::default()
    };
    let as_desk = ScheduleScope {
        who: Who::All,
        ..scope
    };
    let changed = apply(&txn, &as_desk, current, input, options).await?;
    for s in &changed {
        let mut event =
            Event::new("session.cancelled", "session", Some(s.id)).with_fields(["status"]);
        event.subject_client_id = Some(s.client_id);
        audit::record(&txn, &actor.audit, event).await?;
    }
    txn.commit().await?;
    pick(changed, id, &scope)
}

/// Checks a session's client in: staff and the trainer check anyone in; a client with the code.
pub async fn check_in_session(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: &CheckIn,
) -> AppResult<Session> {
    let scope = ScheduleScope::for_actor(db.conn(), actor).await?;
    let txn = db.begin_write().await?;
    let current = repo::visible(&txn, &scope, id).await?;
    let code = current.check_in_code.as_deref().unwrap_or("");
    let method = check_in_method(&scope, code, input)?;
    if !matches!(
        current.status,
        SessionStatus::Scheduled | SessionStatus::Completed
    ) {
        return Err(AppError::field(
            "status",
            format!("a {} session cannot be checked in", current.status.as_str()),
        ));
    }
    repo::check_in(&txn, scope.org, id, method).await?;
    let s = repo::visible(&txn, &scope, id).await?;
    let mut event = Event::new("session.checked_in", "session", Some(id));
    event.subject_client_id = Some(s.client_id);
    audit::record(&txn, &actor.audit, event).await?;
    txn.commit().await?;
    Ok(s.for_scope(&scope))
}

/// The session `id` among those changed, as the scope sees it.
fn pick(changed: Vec<Session>, id: Uuid, scope: &ScheduleScope) -> AppResult<Session> {
    changed
        .into_iter()
        .find(|s| s.id == id)
        .map(|s| s.for_scope(scope))
        .ok_or(AppError::NotFound)
}

/// Applies a change to a session, or to it and the later (or all) scheduled sessions of its series.
/// A move shifts every targeted session by the same local wall-clock difference, so a weekly 07:00
/// moved to 08:00 stays at 08:00 local on both sides of a daylight-saving change.
pub async fn apply(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    current: Session,
    input: UpdateSession,
    options: &BookingOverrides,
) -> AppResult<Vec<Session>> {
    let apply_to = options.apply_to.unwrap_or_default();
    let Some(series_id) = current.series_id.filter(|_| apply_to != ApplyTo::This) else {
        let id = current.id;
        return Ok(vec![
            apply_update(db, scope, current, input, options, &[id]).await?,
        ]);
    };
    let series = series_repo::get(db, scope.org, series_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let tz: chrono_tz::Tz = series.timezone.parse().unwrap_or(chrono_tz::UTC);
    let from = (apply_to == ApplyTo::Following).then_some(current.starts_at);
    let mut targets = repo::scheduled_of_series(db, scope.org, series_id, from).await?;
    if !targets.iter().any(|t| t.id == current.id) {
        targets.insert(0, current.clone());
    }
    let moving: Vec<Uuid> = targets.iter().map(|t| t.id).collect();
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).naive_local();
    let start_shift = input.starts_at.map(|s| local(s) - local(current.starts_at));
    let new_length = match (input.starts_at, input.ends_at) {
        (Some(s), Some(e)) => Some(e - s),
        (None, Some(e)) => Some(e - current.starts_at),
        _ => None,
    };
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        let start = match start_shift {
            Some(d) => local_to_utc(local(t.starts_at) + d, tz)
                .map_err(|m| AppError::field("starts_at", m))?,
            None => t.starts_at,
        };
        let end = match new_length {
            Some(len) => start + len,
            None => start + (t.ends_at - t.starts_at),
        };
        let moves = start_shift.is_some() || new_length.is_some();
        let one = UpdateSession {
            starts_at: moves.then_some(start),
            ends_at: moves.then_some(end),
            trainer_id: input.trainer_id,
            location_id: input.location_id,
            kind: input.kind,
            status: input.status,
            notes: input.notes.clone(),
            version: None,
        };
        out.push(apply_update(db, scope, t, one, options, &moving).await?);
    }
    Ok(out)
}

/// Checks and writes a change to one session inside the caller's transaction; `moving` are the
/// sessions moving with it (not conflicts of each other).
pub async fn apply_update(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    current: Session,
    input: UpdateSession,
    overrides: &BookingOverrides,
    moving: &[Uuid],
) -> AppResult<Session> {
    let from = current.status;
    let mut e = FieldErrors::new();
    if let Some(to) = input.status
        && let Err(m) = from.check_transition(to)
    {
        e.add("status", m);
    }
    let moves = input.moves();
    if moves && from != SessionStatus::Scheduled {
        e.add(
            "starts_at",
            format!("a {} session cannot move", from.as_str()),
        );
    }
    let b = Booking {
        trainer_id: input.trainer_id.unwrap_or(current.trainer_id),
        client_id: current.client_id,
        location_id: input.location_id.unwrap_or(current.location_id),
        starts_at: input.starts_at.unwrap_or(current.starts_at),
        ends_at: input.ends_at.unwrap_or(current.ends_at),
    };
    check_times(&mut e, b.starts_at, b.ends_at);
    let notes = match input.notes {
        Some(Some(n)) => e
            .check("notes", parse_long_text(&n, 2000))
            .map(|n| Some(n.unwrap_or_default())),
        other => other,
    };
    e.into_result(())?;
    if let Who::Trainer(t) = scope.who
        && b.trainer_id != t
    {
        return Err(AppError::Forbidden(
            "A trainer cannot hand a session to another trainer.".into(),
        ));
    }
    if moves {
        let loc_tz = check_parties(db, scope.org, &b).await?;
        let tz = zone_of(db, scope.org, loc_tz).await?;
        check_slot(db, scope, &b, tz, overrides, moving).await?;
    }
    let status = match input.status {
        Some(to) if to != from => {
            let late =
                to == SessionStatus::Cancelled && is_late(db, scope.org, current.starts_at).await?;
            Some((to, late))
        }
        _ => None,
    };
    let change = SessionChange {
        moved_to: moves.then_some(b),
        kind: input.kind,
        notes,
        status,
    };
    repo::update(db, scope.org, current.id, &change).await?;
    repo::visible(db, scope, current.id).await
}
