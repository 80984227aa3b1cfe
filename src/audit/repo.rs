//! Database access for the audit trail: appending to a chain, listing events, and reading chains back
//! for verification. Events are only ever inserted here; nothing updates or deletes them.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use sha2::{Digest, Sha256};

use super::context::{AuditContext, Event, Source};
use super::model::{AuditEvent, GENESIS_HASH, is_name};
use crate::auth::Role;
use crate::db::entities::audit_events::{self, Column};
use crate::db::entities::organizations;
use crate::db::{Backend, new_id, now};
use crate::error::{AppError, AppResult};
use crate::http::pagination::{Page, PageRequest, SortField, SortKind, SortValue};
use crate::organizations::OrgId;

impl TryFrom<audit_events::Model> for AuditEvent {
    type Error = anyhow::Error;

    fn try_from(m: audit_events::Model) -> Result<Self, Self::Error> {
        let source = Source::parse(&m.source)
            .ok_or_else(|| anyhow::anyhow!("audit event {} has an unknown source", m.id))?;
        let actor_role = match &m.actor_role {
            Some(r) => Some(
                Role::parse(r)
                    .ok_or_else(|| anyhow::anyhow!("audit event {} has an unknown role", m.id))?,
            ),
            None => None,
        };
        let changed_fields: Vec<String> = serde_json::from_str(&m.changed_fields).map_err(|e| {
            anyhow::anyhow!("audit event {} has malformed changed_fields: {e}", m.id)
        })?;
        Ok(Self {
            id: m.id,
            seq: m.seq,
            occurred_at: m.occurred_at,
            actor_kind: m.actor_kind,
            actor_id: m.actor_id,
            actor_role,
            source,
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            subject_client_id: m.subject_client_id,
            changed_fields,
            request_id: m.request_id,
            ip: m.ip,
        })
    }
}

/// Tags version 1 of the hashed serialization; a later format would use a new tag.
const HASH_FORMAT: &str = "fitnesscrm.audit_event.v1";

/// The hash of an event: lowercase hex SHA-256 over a canonical serialization of every column but
/// `hash` itself. This is the only definition; appending and verifying both call it.
///
/// The serialization (version 1) is a sequence of items, each either
/// - `0x00` for NULL, or
/// - `0x01`, the length of the value's UTF-8 text as a 4-byte big-endian integer, then that text,
///
/// in this order: the format tag `fitnesscrm.audit_event.v1`, `id`, `organization_id`, `seq`,
/// `occurred_at`, `actor_kind`, `actor_id`, `actor_role`, `source`, `action`, `entity_type`,
/// `entity_id`, `subject_client_id`, `changed_fields`, `request_id`, `ip`, `prev_hash`.
///
/// Texts: UUIDs lowercase and hyphenated; `seq` in decimal; `occurred_at` in RFC 3339 UTC with exactly
/// six fractional digits (`2026-11-25T09:30:00.000000Z`, the microsecond both databases store);
/// `changed_fields` as stored (a JSON array of strings); every other column as stored. Every item has
/// an explicit length or is a NULL marker, so no two different rows serialise to the same bytes.
pub fn event_hash(event: &audit_events::Model) -> String {
    // Destructured without `..`: a new column does not compile until it is hashed (or excluded here).
    let audit_events::Model {
        id,
        organization_id,
        seq,
        occurred_at,
        actor_kind,
        actor_id,
        actor_role,
        source,
        action,
        entity_type,
        entity_id,
        subject_client_id,
        changed_fields,
        request_id,
        ip,
        prev_hash,
        hash: _,
    } = event;
    let uuid = |u: &Uuid| u.hyphenated().to_string();
    let items: [Option<String>; 17] = [
        Some(HASH_FORMAT.to_owned()),
        Some(uuid(id)),
        Some(uuid(organization_id)),
        Some(seq.to_string()),
        Some(occurred_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
        Some(actor_kind.clone()),
        actor_id.as_ref().map(uuid),
        actor_role.clone(),
        Some(source.clone()),
        Some(action.clone()),
        Some(entity_type.clone()),
        entity_id.as_ref().map(uuid),
        subject_client_id.as_ref().map(uuid),
        Some(changed_fields.clone()),
        request_id.clone(),
        ip.clone(),
        Some(prev_hash.clone()),
    ];
    let mut hasher = Sha256::new();
    for item in &items {
        match item {
            None => hasher.update([0u8]),
            Some(text) => {
                // Stored texts are bounded far below 4 GiB; saturating keeps the function total.
                let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
                hasher.update([1u8]);
                hasher.update(len.to_be_bytes());
                hasher.update(text.as_bytes());
            }
        }
    }
    hex::encode(hasher.finalize())
}

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

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn sample() -> audit_events::Model {
        audit_events::Model {
            id: Uuid::nil(),
            organization_id: Uuid::max(),
            seq: 1,
            occurred_at: DateTime::parse_from_rfc3339("2026-11-25T09:30:00.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            actor_kind: "user".into(),
            actor_id: Some(Uuid::nil()),
            actor_role: Some("owner".into()),
            source: "api".into(),
            action: "user.updated".into(),
            entity_type: "user".into(),
            entity_id: None,
            subject_client_id: None,
            changed_fields: r#"["name"]"#.into(),
            request_id: Some("abc".into()),
            ip: None,
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn the_hash_is_hex_sha256_and_ignores_only_the_hash_column() {
        let a = sample();
        let h = event_hash(&a);
        assert_eq!(h.len(), 64);
        assert!(
            h.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        let mut b = a.clone();
        b.hash = "anything".into();
        assert_eq!(event_hash(&b), h);
    }

    #[test]
    fn changing_any_column_changes_the_hash() {
        let base = event_hash(&sample());
        let changes: [fn(&mut audit_events::Model); 16] = [
            |m| m.id = Uuid::max(),
            |m| m.organization_id = Uuid::nil(),
            |m| m.seq = 2,
            |m| m.occurred_at += chrono::Duration::microseconds(1),
            |m| m.actor_kind = "system".into(),
            |m| m.actor_id = None,
            |m| m.actor_role = None,
            |m| m.source = "ui".into(),
            |m| m.action = "user.deleted".into(),
            |m| m.entity_type = "client".into(),
            |m| m.entity_id = Some(Uuid::nil()),
            |m| m.subject_client_id = Some(Uuid::nil()),
            |m| m.changed_fields = "[]".into(),
            |m| m.request_id = None,
            |m| m.ip = Some("127.0.0.1".into()),
            |m| m.prev_hash = "1".repeat(64),
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut m = sample();
            change(&mut m);
            assert_ne!(event_hash(&m), base, "change #{i} did not change the hash");
        }
    }

    #[test]
    fn moving_text_between_adjacent_columns_changes_the_hash() {
        let mut a = sample();
        a.action = "user.up".into();
        a.entity_type = "dateduser".into();
        let mut b = sample();
        b.action = "user.updated".into();
        b.entity_type = "user".into();
        assert_ne!(event_hash(&a), event_hash(&b));
        // NULL and the empty text differ too.
        let mut c = sample();
        c.request_id = Some(String::new());
        let mut d = sample();
        d.request_id = None;
        assert_ne!(event_hash(&c), event_hash(&d));
    }
}
