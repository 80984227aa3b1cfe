//! Calendar feeds: a secret URL per trainer, client or location that calendar apps subscribe to
//! (`GET /calendar/{secret}.ics`). Creating a feed again rotates the secret: the old URL answers 404.
//! Only the secret's hash is stored.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::access::{ScheduleScope, Who};
use super::ics::{self, Calendar, EventStatus};
use super::locations;
use crate::audit::{self, Audit, Event};
use crate::auth::{CurrentUser, tokens};
use crate::db::entities::{
    calendar_feeds, class_bookings, classes, clients, trainers, training_sessions,
};
use crate::db::{new_id, now};
use crate::error::{AppError, AppResult};
use crate::organizations::OrgId;
use crate::state::AppState;

/// `POST /api/v1/trainers/{id}/calendar-feed`.
pub fn trainer_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(trainer_feed))
}
/// `POST /api/v1/clients/{id}/calendar-feed`.
pub fn client_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(client_feed))
}
/// `POST /api/v1/locations/{id}/calendar-feed`.
pub fn location_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(location_feed))
}
/// `GET /calendar/{secret}.ics`.
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(serve_feed))
}

/// A feed's address.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedUrl {
    /// Subscribe to this URL in a calendar app. Keep it secret; create the feed again to rotate it.
    pub url: String,
}

fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(base) = &state.config.public_url {
        return base.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

async fn rotate(
    state: &AppState,
    ctx: &crate::audit::AuditContext,
    org: OrgId,
    kind: &str,
    owner: Uuid,
    headers: &HeaderMap,
) -> AppResult<Json<FeedUrl>> {
    let secret = tokens::random_string(24);
    let txn = state.db.begin_write().await?;
    calendar_feeds::Entity::delete_many()
        .filter(calendar_feeds::Column::OrganizationId.eq(org.0))
        .filter(calendar_feeds::Column::OwnerType.eq(kind))
        .filter(calendar_feeds::Column::OwnerId.eq(owner))
        .exec(&txn)
        .await?;
    calendar_feeds::Entity::insert(calendar_feeds::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org.0),
        owner_type: Set(kind.to_owned()),
        owner_id: Set(owner),
        secret_hash: Set(tokens::digest(&secret)),
        created_at: Set(now()),
    })
    .exec_without_returning(&txn)
    .await?;
    let mut event = Event::new("calendar_feed.rotated", kind, Some(owner));
    if kind == "client" {
        event.subject_client_id = Some(owner);
    }
    audit::record(&txn, ctx, event).await?;
    txn.commit().await?;
    Ok(Json(FeedUrl {
        url: format!("{}/calendar/{secret}.ics", base_url(state, headers)),
    }))
}

/// Creates or rotates a trainer's feed (staff and above, or the trainer themself).
#[utoipa::path(post, path = "/{id}/calendar-feed", tag = "scheduling", params(("id" = Uuid, Path, description = "Trainer id")),
    responses((status = 200, description = "The feed's URL", body = FeedUrl)))]
pub async fn trainer_feed(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> AppResult<Json<FeedUrl>> {
    Ok(Json(
        rotate_trainer_feed(&state, &caller, &ctx, id, &headers).await?,
    ))
}

/// Creates or rotates a trainer's feed for a caller (staff and above, or the trainer themself).
pub async fn rotate_trainer_feed(
    state: &AppState,
    caller: &CurrentUser,
    ctx: &crate::audit::AuditContext,
    id: Uuid,
    headers: &HeaderMap,
) -> AppResult<FeedUrl> {
    let db = state.db.conn();
    let scope = ScheduleScope::of(db, caller).await?;
    if crate::trainers::repo::get(db, scope.org, id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    if !(scope.is_front_desk() || scope.who == Who::Trainer(id)) {
        return Err(AppError::Forbidden(
            "Staff, or the trainer themself.".into(),
        ));
    }
    Ok(rotate(state, ctx, scope.org, "trainer", id, headers)
        .await?
        .0)
}

/// Creates or rotates a client's feed (staff and above, or the client themself).
#[utoipa::path(post, path = "/{id}/calendar-feed", tag = "scheduling", params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 200, description = "The feed's URL", body = FeedUrl)))]
pub async fn client_feed(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> AppResult<Json<FeedUrl>> {
    let db = state.db.conn();
    let scope = ScheduleScope::of(db, &caller).await?;
    let exists = clients::Entity::find_by_id(id)
        .filter(clients::Column::OrganizationId.eq(scope.org.0))
        .one(db)
        .await?
        .is_some();
    if !exists || matches!(scope.who, Who::Client(c) if c != id) {
        return Err(AppError::NotFound);
    }
    if !(scope.is_front_desk() || scope.who == Who::Client(id)) {
        return Err(AppError::Forbidden("Staff, or the client themself.".into()));
    }
    rotate(&state, &ctx, scope.org, "client", id, &headers).await
}

/// Creates or rotates a location's feed (staff and above).
#[utoipa::path(post, path = "/{id}/calendar-feed", tag = "scheduling", params(("id" = Uuid, Path, description = "Location id")),
    responses((status = 200, description = "The feed's URL", body = FeedUrl)))]
pub async fn location_feed(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> AppResult<Json<FeedUrl>> {
    let db = state.db.conn();
    let scope = ScheduleScope::of(db, &caller).await?;
    if locations::find(db, scope.org, id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    if !scope.is_front_desk() {
        return Err(AppError::Forbidden("Staff and above.".into()));
    }
    rotate(&state, &ctx, scope.org, "location", id, &headers).await
}

/// The calendar behind a secret feed URL (RFC 5545). Unknown or rotated secrets are a 404.
#[utoipa::path(get, path = "/calendar/{file}", tag = "scheduling",
    params(("file" = String, Path, description = "`<secret>.ics`")),
    responses(
        (status = 200, description = "The calendar", content_type = "text/calendar", body = String),
        (status = 404, description = "Unknown or rotated feed", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn serve_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> AppResult<Response> {
    let secret = file.strip_suffix(".ics").ok_or(AppError::NotFound)?;
    if secret.is_empty() || secret.len() > 100 {
        return Err(AppError::NotFound);
    }
    let db = state.db.conn();
    let feed = calendar_feeds::Entity::find()
        .filter(calendar_feeds::Column::SecretHash.eq(tokens::digest(secret)))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let calendar = build(
        db,
        OrgId(feed.organization_id),
        &feed.owner_type,
        feed.owner_id,
    )
    .await?;
    let mut response = ics::render(&calendar).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    Ok(response)
}

fn name(first: &str, last: &str) -> String {
    format!("{first} {last}")
}

/// The events of a feed: from 30 days ago to a year ahead, cancelled ones included (so subscribed
/// apps remove them).
pub async fn build(
    db: &impl ConnectionTrait,
    org: OrgId,
    kind: &str,
    owner: Uuid,
) -> AppResult<Calendar> {
    let (from, to) = (now() - Duration::days(30), now() + Duration::days(366));
    use training_sessions::Column as S;
    let mut sq = training_sessions::Entity::find()
        .filter(S::OrganizationId.eq(org.0))
        .filter(S::StartsAt.gte(from))
        .filter(S::StartsAt.lt(to));
    use classes::Column as C;
    let mut cq = classes::Entity::find()
        .filter(C::OrganizationId.eq(org.0))
        .filter(C::StartsAt.gte(from))
        .filter(C::StartsAt.lt(to));
    let title = match kind {
        "trainer" => {
            sq = sq.filter(S::TrainerId.eq(owner));
            cq = cq.filter(C::TrainerId.eq(owner));
            let t = trainers::Entity::find_by_id(owner)
                .one(db)
                .await?
                .ok_or(AppError::NotFound)?;
            format!("{} — FitnessCRM", name(&t.first_name, &t.last_name))
        }
        "client" => {
            sq = sq.filter(S::ClientId.eq(owner));
            cq = cq.filter(
                C::Id.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(class_bookings::Column::ClassId)
                        .from(class_bookings::Entity)
                        .and_where(class_bookings::Column::ClientId.eq(owner))
                        .and_where(class_bookings::Column::Status.eq("booked"))
                        .to_owned(),
                ),
            );
            "My training — FitnessCRM".to_owned()
        }
        _ => {
            sq = sq.filter(S::LocationId.eq(owner));
            cq = cq.filter(C::LocationId.eq(owner));
            let l = locations::find(db, org, owner)
                .await?
                .ok_or(AppError::NotFound)?;
            format!("{} — FitnessCRM", l.name)
        }
    };
    let sessions = sq.order_by_asc(S::StartsAt).all(db).await?;
    let classes = cq.order_by_asc(C::StartsAt).all(db).await?;
    let mut events = Vec::new();
    // The other party's name for every session, in one query per kind.
    let names: std::collections::HashMap<Uuid, String> = if kind == "client" {
        let ids: Vec<Uuid> = sessions.iter().map(|s| s.trainer_id).collect();
        trainers::Entity::find()
            .filter(trainers::Column::OrganizationId.eq(org.0))
            .filter(trainers::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, name(&t.first_name, &t.last_name)))
            .collect()
    } else {
        let ids: Vec<Uuid> = sessions.iter().map(|s| s.client_id).collect();
        crate::clients::repo::by_ids(db, org, &ids)
            .await?
            .into_iter()
            .map(|c| (c.id, name(&c.first_name, &c.last_name)))
            .collect()
    };
    for s in sessions {
        let summary = if kind == "client" {
            format!(
                "Training with {}",
                names.get(&s.trainer_id).map_or("", String::as_str)
            )
        } else {
            format!(
                "Session: {}",
                names.get(&s.client_id).map_or("", String::as_str)
            )
        };
        events.push(ics::Event {
            uid: format!("session-{}@fitnesscrm", s.id),
            sequence: u32::try_from(s.sequence).unwrap_or(0),
            start: s.starts_at,
            end: s.ends_at,
            summary,
            description: None,
            location: None,
            status: if s.status == "cancelled" {
                EventStatus::Cancelled
            } else {
                EventStatus::Confirmed
            },
            last_modified: s.updated_at,
            created: s.created_at,
        });
    }
    for c in classes {
        events.push(ics::Event {
            uid: format!("class-{}@fitnesscrm", c.id),
            sequence: u32::try_from(c.sequence).unwrap_or(0),
            start: c.starts_at,
            end: c.ends_at,
            summary: c.name,
            description: None,
            location: None,
            status: if c.status == "cancelled" {
                EventStatus::Cancelled
            } else {
                EventStatus::Confirmed
            },
            last_modified: c.updated_at,
            created: c.created_at,
        });
    }
    Ok(Calendar {
        name: title,
        events,
    })
}
