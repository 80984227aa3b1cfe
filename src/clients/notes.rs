//! Notes on a client (`/api/v1/clients/{id}/notes`) and the client timeline
//! (`/api/v1/clients/{id}/timeline`): notes, status changes, trainer assignments and consent changes
//! merged in time order, newest first, with a cursor.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::access::ClientScope;
use super::repo;
use crate::audit::Audit;
use crate::auth::{CurrentUser, Role};
use crate::db::entities::{client_consents, client_notes, client_status_changes, client_trainers};
use crate::error::{AppError, AppResult};
use crate::http::pagination::{DEFAULT_LIMIT, MAX_LIMIT, Page};
use crate::http::{ApiJson, ApiQuery, created};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notes, create_note))
        .routes(routes!(get_timeline))
}

/// A note on a client.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Note {
    /// Id.
    pub id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// The account that wrote it.
    pub author_id: Option<Uuid>,
    /// The text.
    pub body: String,
    /// Pinned notes are listed first.
    pub pinned: bool,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

impl From<client_notes::Model> for Note {
    fn from(m: client_notes::Model) -> Self {
        Self {
            id: m.id,
            client_id: m.client_id,
            author_id: m.author_id,
            body: m.body,
            pinned: m.pinned,
            created_at: m.created_at,
        }
    }
}

/// `POST /api/v1/clients/{id}/notes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNote {
    /// 1–10,000 characters.
    #[schema(min_length = 1, max_length = 10000)]
    pub body: String,
    /// Default false.
    #[serde(default)]
    pub pinned: Option<bool>,
}

async fn scope_for_notes(
    state: &AppState,
    caller: &CurrentUser,
    client: Uuid,
) -> AppResult<ClientScope> {
    caller.role.require(Role::Trainer)?;
    let scope = ClientScope::of(state.db.conn(), caller).await?;
    repo::ensure_visible(state.db.conn(), &scope, client).await?;
    Ok(scope)
}

/// The notes on a client, pinned first, then newest first.
#[utoipa::path(get, path = "/{id}/notes", tag = "clients", params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 200, description = "Every note on the client", body = Page<Note>)))]
pub async fn list_notes(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Page<Note>>> {
    let scope = scope_for_notes(&state, &caller, id).await?;
    let items = notes_of(state.db.conn(), &scope, id).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
        total: None,
    }))
}

/// The notes on a client (at most 1,000), pinned first, then newest first. The caller has checked
/// that the scope sees the client.
pub async fn notes_of(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
) -> AppResult<Vec<Note>> {
    Ok(client_notes::Entity::find()
        .filter(client_notes::Column::OrganizationId.eq(scope.org.0))
        .filter(client_notes::Column::ClientId.eq(id))
        .order_by_desc(client_notes::Column::Pinned)
        .order_by_desc(client_notes::Column::CreatedAt)
        .order_by_desc(client_notes::Column::Id)
        .limit(1000)
        .all(db)
        .await?
        .into_iter()
        .map(Note::from)
        .collect())
}

/// Adds a note to a client.
#[utoipa::path(post, path = "/{id}/notes", tag = "clients", request_body = CreateNote,
    params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 201, description = "Created", body = Note, headers(("Location" = String, description = "The client's notes")))))]
pub async fn create_note(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<CreateNote>,
) -> AppResult<Response> {
    let scope = ClientScope::of(state.db.conn(), &caller).await?;
    let note = super::service::add_note(&state.db, &ctx, &scope, id, input).await?;
    Ok(created(format!("/api/v1/clients/{id}/notes"), note))
}

/// One entry of a client's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineEntry {
    /// The id of the underlying record.
    pub id: Uuid,
    /// `note`, `status_change`, `trainer_assigned`, `consent`, `session` or `audit`.
    pub kind: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The account that did it, when known.
    pub actor_id: Option<Uuid>,
    /// What happened, by kind: the note text; `{from, to}`; `{trainer_id, role}`;
    /// `{channel, granted, source}`; `{action, changed_fields, source}`.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// Parameters of the timeline.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineParams {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct TimelineCursor {
    at: DateTime<Utc>,
    id: Uuid,
}

/// Everything that happened with a client, newest first.
#[utoipa::path(get, path = "/{id}/timeline", tag = "clients",
    params(("id" = Uuid, Path, description = "Client id"), TimelineParams),
    responses((status = 200, description = "A page of the timeline", body = Page<TimelineEntry>)))]
pub async fn get_timeline(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<Uuid>,
    ApiQuery(params): ApiQuery<TimelineParams>,
) -> AppResult<Json<Page<TimelineEntry>>> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::bad_param(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let before = match params.cursor.as_deref() {
        None | Some("") => None,
        Some(raw) => {
            let bad = || AppError::bad_param("cursor", "is not a cursor from this timeline");
            let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
            Some(serde_json::from_slice::<TimelineCursor>(&bytes).map_err(|_| bad())?)
        }
    };
    let scope = scope_for_notes(&state, &caller, id).await?;
    let page = timeline(
        state.db.conn(),
        &scope,
        id,
        limit,
        before.map(|c| (c.at, c.id)),
    )
    .await?;
    Ok(Json(page))
}

/// Rows strictly older than the cursor position (time, then id), newest first.
fn older<C: ColumnTrait>(at_col: C, id_col: C, before: Option<(DateTime<Utc>, Uuid)>) -> Condition {
    match before {
        None => Condition::all(),
        Some((at, id)) => Condition::any()
            .add(at_col.lt(at))
            .add(Condition::all().add(at_col.eq(at)).add(id_col.lt(id))),
    }
}

/// A page of a client's timeline: up to `limit` entries from each source older than the cursor, merged.
pub async fn timeline(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    client: Uuid,
    limit: u64,
    before: Option<(DateTime<Utc>, Uuid)>,
) -> AppResult<Page<TimelineEntry>> {
    let take = limit + 1;
    let mut entries: Vec<TimelineEntry> = Vec::new();
    use client_notes::Column as N;
    for n in client_notes::Entity::find()
        .filter(N::OrganizationId.eq(scope.org.0))
        .filter(N::ClientId.eq(client))
        .filter(older(N::CreatedAt, N::Id, before))
        .order_by_desc(N::CreatedAt)
        .order_by_desc(N::Id)
        .limit(take)
        .all(db)
        .await?
    {
        entries.push(TimelineEntry {
            id: n.id,
            kind: "note".into(),
            at: n.created_at,
            actor_id: n.author_id,
            data: serde_json::json!({"body": n.body, "pinned": n.pinned}),
        });
    }
    use client_status_changes::Column as S;
    for s in client_status_changes::Entity::find()
        .filter(S::OrganizationId.eq(scope.org.0))
        .filter(S::ClientId.eq(client))
        .filter(older(S::ChangedAt, S::Id, before))
        .order_by_desc(S::ChangedAt)
        .order_by_desc(S::Id)
        .limit(take)
        .all(db)
        .await?
    {
        entries.push(TimelineEntry {
            id: s.id,
            kind: "status_change".into(),
            at: s.changed_at,
            actor_id: s.actor_id,
            data: serde_json::json!({"from": s.from_status, "to": s.to_status}),
        });
    }
    use client_consents::Column as C;
    for c in client_consents::Entity::find()
        .filter(C::OrganizationId.eq(scope.org.0))
        .filter(C::ClientId.eq(client))
        .filter(older(C::RecordedAt, C::Id, before))
        .order_by_desc(C::RecordedAt)
        .order_by_desc(C::Id)
        .limit(take)
        .all(db)
        .await?
    {
        entries.push(TimelineEntry {
            id: c.id,
            kind: "consent".into(),
            at: c.recorded_at,
            actor_id: c.actor_id,
            data: serde_json::json!({"channel": c.channel, "granted": c.granted, "source": c.source}),
        });
    }
    // Assignments have no id of their own; the trainer id stands in (unique per client).
    use client_trainers::Column as T;
    for a in client_trainers::Entity::find()
        .filter(T::OrganizationId.eq(scope.org.0))
        .filter(T::ClientId.eq(client))
        .filter(older(T::CreatedAt, T::TrainerId, before))
        .order_by_desc(T::CreatedAt)
        .order_by_desc(T::TrainerId)
        .limit(take)
        .all(db)
        .await?
    {
        entries.push(TimelineEntry {
            id: a.trainer_id,
            kind: "trainer_assigned".into(),
            at: a.created_at,
            actor_id: None,
            data: serde_json::json!({"trainer_id": a.trainer_id, "role": a.role}),
        });
    }
    // Sessions, at their start time.
    use crate::db::entities::training_sessions::Column as TS;
    for x in crate::db::entities::training_sessions::Entity::find()
        .filter(TS::OrganizationId.eq(scope.org.0))
        .filter(TS::ClientId.eq(client))
        .filter(older(TS::StartsAt, TS::Id, before))
        .order_by_desc(TS::StartsAt)
        .order_by_desc(TS::Id)
        .limit(take)
        .all(db)
        .await?
    {
        entries.push(TimelineEntry {
            id: x.id,
            kind: "session".into(),
            at: x.starts_at,
            actor_id: None,
            data: serde_json::json!({"ends_at": x.ends_at, "status": x.status, "kind": x.kind, "trainer_id": x.trainer_id, "late_cancel": x.late_cancel, "checked_in": x.checked_in_at.is_some()}),
        });
    }
    // Audit events about the client, except those already shown as entries of their own.
    use crate::db::entities::audit_events::Column as A;
    for e in crate::db::entities::audit_events::Entity::find()
        .filter(A::OrganizationId.eq(scope.org.0))
        .filter(A::SubjectClientId.eq(client))
        .filter(A::Action.is_not_in([
            "client_note.created",
            "client.trainer_assigned",
            "session.created",
        ]))
        .filter(older(A::OccurredAt, A::Id, before))
        .order_by_desc(A::OccurredAt)
        .order_by_desc(A::Id)
        .limit(take)
        .all(db)
        .await?
    {
        let fields: Vec<String> = serde_json::from_str(&e.changed_fields).unwrap_or_default();
        entries.push(TimelineEntry {
            id: e.id,
            kind: "audit".into(),
            at: e.occurred_at,
            actor_id: e.actor_id,
            data: serde_json::json!({"action": e.action, "changed_fields": fields, "source": e.source}),
        });
    }
    entries.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let has_more = entries.len() > limit;
    entries.truncate(limit);
    let next_cursor = if has_more {
        entries.last().map(|e| {
            URL_SAFE_NO_PAD.encode(
                serde_json::to_vec(&TimelineCursor { at: e.at, id: e.id }).unwrap_or_default(),
            )
        })
    } else {
        None
    };
    Ok(Page {
        items: entries,
        next_cursor,
        total: None,
    })
}
