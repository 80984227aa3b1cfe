//! Agendas and attendance: which agenda an actor may see, the time zone its days are cut in, and a
//! client's attendance added up.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::model::{Agenda, AgendaParams, Attendance, attendance_of, period};
use super::repo;
use crate::auth::Actor;
use crate::clients::access::ClientScope;
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::organizations::{OrgId, repo as org_repo};
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::locations;

/// A trainer's or a location's day or week, for an actor.
pub async fn get_agenda(
    db: &impl ConnectionTrait,
    actor: &Actor,
    p: &AgendaParams,
) -> AppResult<Agenda> {
    let scope = ScheduleScope::for_actor(db, actor).await?;
    agenda(db, &scope, p).await
}

/// A trainer's or a location's day or week as the scope may see it (staff any, a trainer their own).
pub async fn agenda(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    p: &AgendaParams,
) -> AppResult<Agenda> {
    let trainer = match (p.trainer_id, p.location_id, scope.who) {
        (Some(_), Some(_), _) | (None, None, _) => {
            return Err(AppError::bad_param(
                "trainer_id",
                "give either trainer_id or location_id",
            ));
        }
        (Some(t), None, Who::All) => Some(t),
        (Some(t), None, Who::Trainer(me)) if t == me => Some(t),
        (None, Some(_), Who::All | Who::Trainer(_)) => None,
        _ => {
            return Err(AppError::Forbidden(
                "Staff see any agenda; a trainer sees their own.".into(),
            ));
        }
    };
    let tz: chrono_tz::Tz = match p.location_id {
        Some(l) => locations::find(db, scope.org, l)
            .await?
            .ok_or(AppError::NotFound)?
            .timezone
            .parse()
            .unwrap_or(chrono_tz::UTC),
        None => org_repo::get(db, scope.org)
            .await?
            .ok_or(AppError::NotFound)?
            .timezone
            .parse()
            .unwrap_or(chrono_tz::UTC),
    };
    let (_, _, from, to) = period(tz, p.date, p.view.unwrap_or_default());
    let mut items = repo::items(db, scope.org, trainer, p.location_id, from, to).await?;
    // A trainer sees a location's classes, and of other trainers' sessions only that they are busy.
    if let Who::Trainer(me) = scope.who {
        items = items
            .into_iter()
            .map(|i| {
                if i.kind == "session" && i.trainer_id != me {
                    i.as_busy()
                } else {
                    i
                }
            })
            .collect();
    }
    Ok(Agenda {
        timezone: tz.name().to_owned(),
        from,
        to,
        items,
    })
}

/// Counts a client's attendance.
pub async fn attendance(
    db: &impl ConnectionTrait,
    org: OrgId,
    client: Uuid,
) -> AppResult<Attendance> {
    let at = now();
    let sessions = repo::session_counts(db, org, client, at).await?;
    let bookings = repo::booking_outcomes(db, org, client).await?;
    Ok(attendance_of(sessions, &bookings, at))
}

/// A client's attendance, when the actor sees the client (404 otherwise).
pub async fn client_attendance(
    db: &impl ConnectionTrait,
    actor: &Actor,
    client: Uuid,
) -> AppResult<Attendance> {
    let scope = ClientScope::for_actor(db, actor).await?;
    crate::clients::repo::ensure_visible(db, &scope, client).await?;
    attendance(db, actor.org(), client).await
}
