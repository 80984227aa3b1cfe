//! The queries of a client's history: notes, the sources of the timeline, status and consent
//! records.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::super::access::ClientScope;
use super::super::notes::model::{ConsentRecord, Note, StatusChange, TimelineEntry};
use crate::db::entities::{
    audit_events, client_consents, client_notes, client_status_changes, client_trainers,
    training_sessions,
};
use crate::db::new_id;
use crate::db::sealed;
use crate::error::{AppError, AppResult};

/// A note's body as read, opened.
fn open_body(id: Uuid, stored: String) -> AppResult<String> {
    Ok(sealed::open(&sealed::CLIENT_NOTES_BODY, &id, stored)?)
}

fn to_note(m: client_notes::Model) -> AppResult<Note> {
    Ok(Note {
        id: m.id,
        client_id: m.client_id,
        author_id: m.author_id,
        body: open_body(m.id, m.body)?,
        pinned: m.pinned,
        created_at: m.created_at,
    })
}

/// The notes on a client (at most 1,000), pinned first, then newest first. The caller has checked
/// that the scope sees the client.
pub async fn notes_of(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
) -> AppResult<Vec<Note>> {
    client_notes::Entity::find()
        .filter(client_notes::Column::OrganizationId.eq(scope.org.0))
        .filter(client_notes::Column::ClientId.eq(id))
        .order_by_desc(client_notes::Column::Pinned)
        .order_by_desc(client_notes::Column::CreatedAt)
        .order_by_desc(client_notes::Column::Id)
        .limit(1000)
        .all(db)
        .await?
        .into_iter()
        .map(to_note)
        .collect()
}

/// Every note on a client, oldest first (the personal data export).
pub async fn all_notes(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
) -> AppResult<Vec<Note>> {
    client_notes::Entity::find()
        .filter(client_notes::Column::OrganizationId.eq(scope.org.0))
        .filter(client_notes::Column::ClientId.eq(id))
        .order_by_asc(client_notes::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(to_note)
        .collect()
}

/// Writes a note by the scope's account on a client the caller has checked the scope sees.
pub async fn insert_note(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    client: Uuid,
    body: String,
    pinned: bool,
) -> AppResult<Note> {
    let id = new_id();
    let model = client_notes::ActiveModel {
        id: Set(id),
        organization_id: Set(scope.org.0),
        client_id: Set(client),
        author_id: Set(scope.actor_id),
        body: Set(sealed::seal(&sealed::CLIENT_NOTES_BODY, &id, &body)?),
        pinned: Set(pinned),
        created_at: Set(crate::db::now()),
    };
    to_note(
        client_notes::Entity::insert(model)
            .exec_with_returning(db)
            .await?,
    )
}

/// The status history of a client, oldest first.
pub async fn status_history(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
) -> AppResult<Vec<StatusChange>> {
    Ok(client_status_changes::Entity::find()
        .filter(client_status_changes::Column::OrganizationId.eq(scope.org.0))
        .filter(client_status_changes::Column::ClientId.eq(id))
        .order_by_asc(client_status_changes::Column::ChangedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|s| StatusChange {
            from: s.from_status,
            to: s.to_status,
            at: s.changed_at,
        })
        .collect())
}

/// The consent history of a client, oldest first.
pub async fn consents(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    client: Uuid,
) -> AppResult<Vec<ConsentRecord>> {
    Ok(client_consents::Entity::find()
        .filter(client_consents::Column::OrganizationId.eq(scope.org.0))
        .filter(client_consents::Column::ClientId.eq(client))
        .order_by_asc(client_consents::Column::RecordedAt)
        .order_by_asc(client_consents::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| ConsentRecord {
            channel: c.channel,
            granted: c.granted,
            source: c.source,
            at: c.recorded_at,
        })
        .collect())
}

/// The audit events about a client, in the order they were recorded.
pub async fn audit_events_of(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
) -> AppResult<Vec<crate::audit::AuditEvent>> {
    audit_events::Entity::find()
        .filter(audit_events::Column::OrganizationId.eq(scope.org.0))
        .filter(audit_events::Column::SubjectClientId.eq(id))
        .order_by_asc(audit_events::Column::Seq)
        .all(db)
        .await?
        .into_iter()
        .map(|e| crate::audit::AuditEvent::try_from(e).map_err(AppError::Internal))
        .collect()
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

/// Up to `take` entries from each source of a client's timeline (notes, status changes, consents,
/// assignments, sessions, audit events) older than `before`, unsorted.
pub async fn timeline_entries(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    client: Uuid,
    take: u64,
    before: Option<(DateTime<Utc>, Uuid)>,
) -> AppResult<Vec<TimelineEntry>> {
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
            data: serde_json::json!({"body": open_body(n.id, n.body)?, "pinned": n.pinned}),
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
    use training_sessions::Column as TS;
    for x in training_sessions::Entity::find()
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
    use audit_events::Column as A;
    for e in audit_events::Entity::find()
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
    Ok(entries)
}
