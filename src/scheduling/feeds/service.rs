//! Calendar feed rules: who may create (rotate) whose feed, each rotation audited, and the calendar a
//! secret address shows: from 30 days ago to a year ahead, cancelled events included (so subscribed
//! apps remove them).

use std::collections::HashMap;

use chrono::Duration;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::ics::Calendar;
use super::model::{FeedOwner, FeedUrl};
use super::repo;
use crate::audit::{self, Event};
use crate::auth::{Actor, tokens};
use crate::db::{Db, now};
use crate::error::{AppError, AppResult};
use crate::organizations::OrgId;
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::locations;
use crate::trainers::repo as trainer_repo;

/// Replaces the owner's feed with a new secret and returns its address under `base_url`.
async fn rotate(
    db: &Db,
    actor: &Actor,
    owner: FeedOwner,
    owner_id: Uuid,
    base_url: &str,
) -> AppResult<FeedUrl> {
    let secret = tokens::random_string(24);
    let txn = db.begin_write().await?;
    repo::replace(&txn, actor.org(), owner, owner_id, tokens::digest(&secret)).await?;
    let mut event = Event::new("calendar_feed.rotated", owner.as_str(), Some(owner_id));
    if owner == FeedOwner::Client {
        event.subject_client_id = Some(owner_id);
    }
    audit::record(&txn, &actor.audit, event).await?;
    txn.commit().await?;
    Ok(FeedUrl {
        url: format!("{base_url}/calendar/{secret}.ics"),
    })
}

/// Creates or rotates a trainer's feed (staff and above, or the trainer themself).
pub async fn rotate_trainer_feed(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    base_url: &str,
) -> AppResult<FeedUrl> {
    let scope = ScheduleScope::for_actor(db.conn(), actor).await?;
    if trainer_repo::get(db.conn(), scope.org, id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    if !(scope.is_front_desk() || scope.who == Who::Trainer(id)) {
        return Err(AppError::Forbidden(
            "Staff, or the trainer themself.".into(),
        ));
    }
    rotate(db, actor, FeedOwner::Trainer, id, base_url).await
}

/// Creates or rotates a client's feed (staff and above, or the client themself).
pub async fn rotate_client_feed(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    base_url: &str,
) -> AppResult<FeedUrl> {
    let scope = ScheduleScope::for_actor(db.conn(), actor).await?;
    let exists = !crate::clients::repo::by_ids(db.conn(), scope.org, &[id])
        .await?
        .is_empty();
    if !exists || matches!(scope.who, Who::Client(c) if c != id) {
        return Err(AppError::NotFound);
    }
    if !(scope.is_front_desk() || scope.who == Who::Client(id)) {
        return Err(AppError::Forbidden("Staff, or the client themself.".into()));
    }
    rotate(db, actor, FeedOwner::Client, id, base_url).await
}

/// Creates or rotates a location's feed (staff and above).
pub async fn rotate_location_feed(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    base_url: &str,
) -> AppResult<FeedUrl> {
    let scope = ScheduleScope::for_actor(db.conn(), actor).await?;
    if locations::find(db.conn(), scope.org, id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    if !scope.is_front_desk() {
        return Err(AppError::Forbidden("Staff and above.".into()));
    }
    rotate(db, actor, FeedOwner::Location, id, base_url).await
}

/// The calendar behind a secret feed address; unknown or rotated secrets are a 404.
pub async fn calendar_for_secret(db: &impl ConnectionTrait, secret: &str) -> AppResult<Calendar> {
    if secret.is_empty() || secret.len() > 100 {
        return Err(AppError::NotFound);
    }
    let feed = repo::by_secret_hash(db, &tokens::digest(secret))
        .await?
        .ok_or(AppError::NotFound)?;
    build(db, OrgId(feed.organization_id), feed.owner, feed.owner_id).await
}

/// The events of a feed: from 30 days ago to a year ahead, cancelled ones included.
pub async fn build(
    db: &impl ConnectionTrait,
    org: OrgId,
    owner: FeedOwner,
    owner_id: Uuid,
) -> AppResult<Calendar> {
    let window = (now() - Duration::days(30), now() + Duration::days(366));
    let title = match owner {
        FeedOwner::Trainer => {
            let t = trainer_repo::get(db, org, owner_id)
                .await?
                .ok_or(AppError::NotFound)?;
            format!("{} {} — FitnessCRM", t.first_name, t.last_name)
        }
        FeedOwner::Client => "My training — FitnessCRM".to_owned(),
        FeedOwner::Location => {
            let l = locations::find(db, org, owner_id)
                .await?
                .ok_or(AppError::NotFound)?;
            format!("{} — FitnessCRM", l.name)
        }
    };
    let sessions = repo::sessions(db, org, owner, owner_id, window).await?;
    let classes = repo::classes(db, org, owner, owner_id, window).await?;
    // The other party's name for every session, in one query per kind.
    let names: HashMap<Uuid, String> = if owner == FeedOwner::Client {
        let ids: Vec<Uuid> = sessions.iter().map(|s| s.trainer_id).collect();
        trainer_repo::names_by_ids(db, org, &ids)
            .await?
            .into_iter()
            .collect()
    } else {
        let ids: Vec<Uuid> = sessions.iter().map(|s| s.client_id).collect();
        crate::clients::repo::by_ids(db, org, &ids)
            .await?
            .into_iter()
            .map(|c| (c.id, format!("{} {}", c.first_name, c.last_name)))
            .collect()
    };
    let name = |id: &Uuid| names.get(id).map_or("", String::as_str).to_owned();
    let mut events: Vec<_> = sessions
        .iter()
        .map(|s| {
            s.event(if owner == FeedOwner::Client {
                format!("Training with {}", name(&s.trainer_id))
            } else {
                format!("Session: {}", name(&s.client_id))
            })
        })
        .collect();
    events.extend(classes.into_iter().map(|c| c.event()));
    Ok(Calendar {
        name: title,
        events,
    })
}
