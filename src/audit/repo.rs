//! Database access for the audit trail: appending to a chain, listing events, and reading chains back
//! for verification. Events are only ever inserted here; nothing updates or deletes them.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use super::model::{AuditEvent, GENESIS_HASH, event_hash, is_name};
use super::{AuditContext, Event};
use crate::db::entities::audit_events::{self, Column};
use crate::db::entities::organizations;
use crate::db::{Backend, new_id, now};
use crate::error::{AppError, AppResult};
use crate::http::pagination::{Page, PageRequest, SortField, SortKind, SortValue};
use crate::organizations::OrgId;

/// The fields `GET /audit-events` sorts by: the position in the chain.
pub const SORT_FIELDS: [SortField<Column>; 1] = [SortField {
    name: "seq",
    column: Column::Seq,
    kind: SortKind::Integer,
}];

/// The first key of the two-key PostgreSQL advisory locks that serialise appends to one chain
/// ("AUDT"); the second key is the hash of the organization id. Two-key locks never collide with the
/// one-key migration lock.
const AUDIT_LOCK_CLASS: i32 = 0x4155_4454;

/// Appends an event to the organization's chain: takes the chain's lock, reads its last event and
/// inserts the next one, linked to it by `prev_hash`.
pub async fn append(
    db: &impl ConnectionTrait,
    backend: Backend,
    ctx: &AuditContext,
    event: Event<'_>,
) -> AppResult<()> {
    let mut fields = event.changed_fields;
    fields.sort();
    fields.dedup();
    // A bug, not bad input: say which part is wrong but never echo it (it might be a value).
    let bad = |what: &str| {
        AppError::Internal(anyhow::anyhow!(
            "audit event {:?} has an invalid {what}",
            if is_name(event.action) {
                event.action
            } else {
                "?"
            }
        ))
    };
    if !is_name(event.action) {
        return Err(bad("action"));
    }
    if !is_name(event.entity_type) {
        return Err(bad("entity_type"));
    }
    if !is_name(ctx.actor_kind) {
        return Err(bad("actor_kind"));
    }
    if !fields.iter().all(|f| is_name(f)) {
        return Err(bad("changed field name"));
    }
    let changed_fields =
        serde_json::to_string(&fields).map_err(|e| AppError::Internal(e.into()))?;

    match backend {
        // Concurrent appends to one chain must take turns: the lock is held until the transaction
        // ends, so the next writer reads this event as the last one. SQLite needs no lock: write
        // transactions are BEGIN IMMEDIATE and exclude each other already.
        Backend::Postgres => {
            db.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                [AUDIT_LOCK_CLASS.into(), ctx.org.0.to_string().into()],
            ))
            .await?;
        }
        Backend::Sqlite => {}
    }
    let last: Option<(i64, String)> = audit_events::Entity::find()
        .select_only()
        .column(Column::Seq)
        .column(Column::Hash)
        .filter(Column::OrganizationId.eq(ctx.org.0))
        .order_by_desc(Column::Seq)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let mut model = audit_events::Model {
        id: new_id(),
        organization_id: ctx.org.0,
        seq,
        occurred_at: now(),
        actor_kind: ctx.actor_kind.to_owned(),
        actor_id: ctx.actor_id,
        actor_role: ctx.actor_role.map(|r| r.as_str().to_owned()),
        source: ctx.source.as_str().to_owned(),
        action: event.action.to_owned(),
        entity_type: event.entity_type.to_owned(),
        entity_id: event.entity_id,
        subject_client_id: event.subject_client_id,
        changed_fields,
        request_id: ctx.request_id.clone(),
        ip: ctx.ip.clone(),
        prev_hash,
        hash: String::new(),
    };
    model.hash = event_hash(&model);
    audit_events::Entity::insert(model.into_active_model().reset_all())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// What `GET /audit-events` filters by; every filter is optional and they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only events about this kind of record.
    pub entity_type: Option<String>,
    /// Only events about this record.
    pub entity_id: Option<Uuid>,
    /// Only events by this user or API key.
    pub actor_id: Option<Uuid>,
    /// Only events about this client (person).
    pub subject_client_id: Option<Uuid>,
    /// Only events with this action.
    pub action: Option<String>,
}

/// A page of the organization's events.
pub async fn list(
    db: &impl ConnectionTrait,
    org: OrgId,
    page: &PageRequest<Column>,
    filter: &EventFilter,
) -> AppResult<Page<AuditEvent>> {
    let mut cond = Condition::all().add(Column::OrganizationId.eq(org.0));
    if let Some(v) = &filter.entity_type {
        cond = cond.add(Column::EntityType.eq(v.as_str()));
    }
    if let Some(v) = filter.entity_id {
        cond = cond.add(Column::EntityId.eq(v));
    }
    if let Some(v) = filter.actor_id {
        cond = cond.add(Column::ActorId.eq(v));
    }
    if let Some(v) = filter.subject_client_id {
        cond = cond.add(Column::SubjectClientId.eq(v));
    }
    if let Some(v) = &filter.action {
        cond = cond.add(Column::Action.eq(v.as_str()));
    }
    page.fetch::<audit_events::Entity, _>(
        db,
        cond,
        Column::Id,
        |m| (SortValue::Int(m.seq), m.id),
        |m| AuditEvent::try_from(m).map_err(AppError::Internal),
    )
    .await
}

/// Every organization, oldest first: the chains `audit verify` walks.
pub async fn organization_ids(db: &impl ConnectionTrait) -> AppResult<Vec<OrgId>> {
    let ids: Vec<Uuid> = organizations::Entity::find()
        .select_only()
        .column(organizations::Column::Id)
        .order_by_asc(organizations::Column::CreatedAt)
        .order_by_asc(organizations::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().map(OrgId).collect())
}

/// Whether the organization exists.
pub async fn organization_exists(db: &impl ConnectionTrait, org: OrgId) -> AppResult<bool> {
    Ok(organizations::Entity::find_by_id(org.0).count(db).await? > 0)
}

/// Up to `limit` stored events of the organization's chain after `after_seq` (from the start when
/// `None`), in seq order, exactly as stored.
pub async fn chain_after(
    db: &impl ConnectionTrait,
    org: OrgId,
    after_seq: Option<i64>,
    limit: u64,
) -> AppResult<Vec<audit_events::Model>> {
    let mut q = audit_events::Entity::find().filter(Column::OrganizationId.eq(org.0));
    if let Some(after) = after_seq {
        q = q.filter(Column::Seq.gt(after));
    }
    Ok(q.order_by_asc(Column::Seq).limit(limit).all(db).await?)
}
